/*
 * test_synth.c — the synthetic corpus: the same spec gives the same bytes
 * however it is read, another seed other bytes; exactly N tokens; a smaller
 * N is a prefix; Zipf and Heaps sanity; bad specs are refused.
 */
#include "common/vocab.h"
#include "config.h"
#include "corpus.h"
#include "gram_table.h"
#include "synth.h"
#include "tokenize.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole stream of spec, read in pieces of at most chunk bytes. */
static unsigned char *read_stream(const char *text, size_t chunk, size_t *length)
{
    mg_synth_spec spec;
    char error[256];
    cr_assert_eq(mg_synth_parse(text, &spec, error, sizeof error), 0, "%s", error);
    mg_synth *synth = mg_synth_open(&spec);
    cr_assert_not_null(synth);
    size_t capacity = 1 << 16, used = 0, got;
    unsigned char *bytes = malloc(capacity);
    for (;;) {
        if (capacity - used < chunk)
            bytes = realloc(bytes, capacity *= 2);
        cr_assert_not_null(bytes);
        if ((got = mg_synth_read(synth, bytes + used, chunk)) == 0)
            break;
        cr_assert_leq(got, chunk);
        used += got;
    }
    mg_synth_close(synth);
    *length = used;
    return bytes;
}

Test(synth, same_spec_same_bytes_in_any_read_size_other_seed_other_bytes)
{
    size_t whole_length, byte_length, odd_length, other_length;
    unsigned char *whole = read_stream("synth:tokens=20000", 1 << 20, &whole_length);
    unsigned char *by_byte = read_stream("synth:seed=1,tokens=20000", 1, &byte_length);
    unsigned char *odd = read_stream("synth:tokens=20000,seed=1", 77, &odd_length);
    unsigned char *other = read_stream("synth:tokens=20000,seed=2", 4096, &other_length);
    cr_assert_gt(whole_length, 20000 * 2);
    cr_expect(whole_length == byte_length && memcmp(whole, by_byte, whole_length) == 0);
    cr_expect(whole_length == odd_length && memcmp(whole, odd, whole_length) == 0);
    cr_expect(whole_length != other_length || memcmp(whole, other, whole_length) != 0);
    cr_expect_eq(whole[whole_length - 1], '\n');
    for (size_t at = 0; at < whole_length; at++)
        cr_assert((whole[at] >= 'a' && whole[at] <= 'z') || whole[at] == ' ' || whole[at] == '\n',
                  "byte %zu is %d", at, whole[at]);
    free(whole);
    free(by_byte);
    free(odd);
    free(other);
}

Test(synth, a_smaller_stream_is_a_prefix_up_to_its_cut_line)
{
    size_t small_length, large_length;
    unsigned char *small = read_stream("synth:tokens=5000,seed=7", 4096, &small_length);
    unsigned char *large = read_stream("synth:tokens=9000,seed=7", 4096, &large_length);
    /* all but the cut last line agree */
    size_t keep = small_length - 1;
    while (keep > 0 && small[keep - 1] != '\n')
        keep--;
    cr_assert_gt(keep, 0);
    cr_expect(memcmp(small, large, keep) == 0);
    free(small);
    free(large);
}

/* Tokens, sentences and distinct words of the spec through the contract tokenizer. */
static void tokenize_stream(const char *text, uint64_t *tokens, uint64_t *sentences, uint64_t *vocab,
                            uint64_t *top_count)
{
    char error[256];
    mg_reader *reader = mg_reader_open(text, UINT64_MAX, 1, error, sizeof error);
    cr_assert_not_null(reader, "%s", error);
    mg_interner *interner = mg_interner_create(MG_PART_OTHER);
    uint64_t *counts = calloc(1 << 22, sizeof *counts);
    cr_assert(interner && counts);
    const mg_token *gram;
    int status;
    while ((status = mg_reader_next(reader, &gram)) == 1) {
        if (mg_token_is_marker(gram))
            continue;
        uint32_t id;
        cr_assert_eq(mg_interner_intern(interner, gram, &id), MG_OK);
        cr_assert_lt(id, 1 << 22);
        counts[id]++;
    }
    cr_assert_eq(status, 0, "%s", mg_reader_error(reader));
    *tokens = mg_reader_stats_get(reader)->tokens;
    *sentences = mg_reader_stats_get(reader)->sentences;
    *vocab = mg_interner_count(interner) - MG_VOCAB_FIRST_WORD_ID;
    *top_count = 0;
    for (uint32_t id = MG_VOCAB_FIRST_WORD_ID; id < mg_interner_count(interner); id++)
        if (counts[id] > *top_count)
            *top_count = counts[id];
    free(counts);
    mg_interner_destroy(interner);
    mg_reader_close(reader);
}

Test(synth, exactly_n_tokens_zipf_head_and_heaps_growth)
{
    uint64_t tokens, sentences, vocab, top, tokens_large, sentences_large, vocab_large, top_large;
    tokenize_stream("synth:tokens=50000", &tokens, &sentences, &vocab, &top);
    tokenize_stream("synth:tokens=400000", &tokens_large, &sentences_large, &vocab_large, &top_large);
    cr_expect_eq(tokens, 50000);
    cr_expect_eq(tokens_large, 400000);
    /* gcide has 4.5 tokens a line */
    cr_expect(tokens > 3 * sentences && tokens < 6 * sentences, "%llu tokens in %llu lines",
              (unsigned long long)tokens, (unsigned long long)sentences);
    /* Zipf: the commonest word is a few percent of the text, not most of it */
    cr_expect(top_large > tokens_large / 100 && top_large < tokens_large / 10, "top word %llu times",
              (unsigned long long)top_large);
    /* Heaps: 8x the tokens gives 8^beta the words, beta in [0.6, 0.9] (gcide: 0.78) */
    double growth = (double)vocab_large / (double)vocab;
    cr_expect(growth > 3.48 && growth < 6.5, "vocabulary %llu -> %llu", (unsigned long long)vocab,
              (unsigned long long)vocab_large);
}

Test(synth, bad_specs_are_refused_with_the_reason)
{
    static const struct {
        const char *text, *needle;
    } cases[] = {
        {"synth:tokens=0", "tokens=N"},          {"synth:", "expected synth:tokens=N"},
        {"synth:tokens=12x", "whole number"},    {"synth:tokens=-3", "whole number"},
        {"synth:seed=4", "tokens=N"},            {"synth:tokens=5,colour=red", "colour"},
        {"synth:tokens=5,tokens=6", "tokens=6"}, {"synth:tokens", "expected"},
        {"synth:tokens=5,", "expected"},         {"synth:tokens=99999999999999999999", "whole number"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        mg_synth_spec spec;
        char error[256] = "";
        cr_expect_eq(mg_synth_parse(cases[k].text, &spec, error, sizeof error), -1, "%s accepted", cases[k].text);
        cr_expect(strstr(error, cases[k].needle), "%s: '%s' lacks '%s'", cases[k].text, error, cases[k].needle);
        cr_expect(strstr(error, cases[k].text), "%s: '%s' does not name the spec", cases[k].text, error);
    }
}

/* ---- calibration against gcide (tests/gcide_reference.tsv) ---------------------- */

typedef struct reference_row {
    double fraction;
    uint64_t sentences, tokens, vocab, unigrams, bigrams, trigrams;
} reference_row;

static int read_reference(reference_row *rows, int capacity)
{
    FILE *file = fopen(MG_SOURCE_ROOT "/tests/gcide_reference.tsv", "r");
    cr_assert_not_null(file, "tests/gcide_reference.tsv is missing");
    char line[512];
    int count = 0;
    while (count < capacity && fgets(line, sizeof line, file)) {
        reference_row *row = &rows[count];
        if (sscanf(line, "%lf %lu %lu %lu %lu %lu %lu", &row->fraction, &row->sentences, &row->tokens, &row->vocab,
                   &row->unigrams, &row->bigrams, &row->trigrams) == 7)
            count++;
    }
    fclose(file);
    return count;
}

/* Distinct 1-, 2- and 3-grams of synth at the given token count. */
static void synth_distinct(uint64_t tokens, uint64_t distinct[4])
{
    char spec[64], error[512];
    snprintf(spec, sizeof spec, "synth:tokens=%lu", (unsigned long)tokens);
    mg_corpus corpus;
    cr_assert_eq(mg_corpus_resolve(spec, 1.0, &corpus, error, sizeof error), 0, "%s", error);
    mg_gram_table tables[MG_GRAM_TABLES];
    mg_interner *interner;
    mg_reader_stats stats;
    cr_assert_eq(mg_gram_count_corpus(&corpus, 0xe, tables, &interner, &stats, error, sizeof error), 0, "%s", error);
    cr_expect_eq(stats.tokens, tokens);
    for (int order = 1; order <= 3; order++) {
        distinct[order] = tables[order].used;
        mg_gram_table_free(&tables[order]);
    }
    distinct[0] = mg_interner_count(interner) - MG_VOCAB_FIRST_WORD_ID;
    mg_interner_destroy(interner);
}

/* The bound: at equal token counts, distinct trigrams within a factor
 * 1.5 of gcide's. Checked here at gcide's two smallest fractions (seconds);
 * docs/corpora.md's table has every fraction. Vocabulary and bigrams get the same
 * bound, and the growth from one size to the next must match within 15 %. */
Test(synth, calibration_within_a_factor_1_5_of_gcide_at_small_sizes, .timeout = 120)
{
    reference_row rows[8];
    cr_assert_geq(read_reference(rows, 8), 2);
    uint64_t previous[4] = {0};
    for (int row = 0; row < 2; row++) {
        uint64_t distinct[4];
        synth_distinct(rows[row].tokens, distinct);
        const uint64_t reference[4] = {rows[row].vocab, rows[row].unigrams, rows[row].bigrams, rows[row].trigrams};
        static const char *const names[4] = {"vocabulary", "unigrams", "bigrams", "trigrams"};
        for (int k = 0; k < 4; k++) {
            double ratio = (double)distinct[k] / (double)reference[k];
            cr_expect(ratio > 1 / 1.5 && ratio < 1.5, "%lu tokens: synth %s %lu, gcide %lu (ratio %.3f)",
                      (unsigned long)rows[row].tokens, names[k], (unsigned long)distinct[k],
                      (unsigned long)reference[k], ratio);
            if (row > 0) {
                double synth_growth = (double)distinct[k] / (double)previous[k];
                double gcide_growth = (double)reference[k] / (double)(k == 0   ? rows[row - 1].vocab
                                                                     : k == 1 ? rows[row - 1].unigrams
                                                                     : k == 2 ? rows[row - 1].bigrams
                                                                              : rows[row - 1].trigrams);
                cr_expect(synth_growth > gcide_growth / 1.15 && synth_growth < gcide_growth * 1.15,
                          "%s grow x%.3f, gcide x%.3f", names[k], synth_growth, gcide_growth);
            }
            previous[k] = distinct[k];
        }
    }
}
