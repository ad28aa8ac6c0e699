/*
 * test_tokenize.c — the tokenization contract (harness/corpus/tokenize.h), one rule a
 * test, through mg_reader_open/mg_reader_next on temporary files; and unit
 * tests of options.h parsing, message.h's rendering of values,
 * mg_token_compare, mem.h counters and limit, and the --fraction byte limit
 * of corpus.h.
 *
 * Grams are checked as text: tokens joined by ' ', grams by '|', markers
 * written <s> and </s>, word bytes outside printable ASCII (and '\\', '<',
 * '|', space) as \xNN, so a word "<s>" cannot pass for a marker.
 */
#include "support.h"

#include "backend.h"
#include "corpus.h"
#include "mem.h"
#include "message.h"
#include "options.h"
#include "tokenize.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_BUFFER ((size_t)1 << 20) /* tokenize.c's read buffer: boundaries are tested */

/* ---- helpers -------------------------------------------------------------- */

static void render_token(mgt_buffer *out, const mg_token *token)
{
    if (mg_token_is_marker(token)) {
        cr_assert(token->len == MG_MARK_START || token->len == MG_MARK_END,
                  "marker of unknown kind %u", token->len);
        mgt_buffer_append_str(out, token->len == MG_MARK_START ? "<s>" : "</s>");
        return;
    }
    cr_assert(token->len >= 1, "an empty word");
    for (uint32_t k = 0; k < token->len; k++) {
        unsigned char byte = token->bytes[k];
        if (byte > ' ' && byte < 0x7f && byte != '\\' && byte != '<' && byte != '|')
            mgt_buffer_append_byte(out, byte);
        else
            mgt_buffer_appendf(out, "\\x%02x", byte);
    }
}

static void render_gram(mgt_buffer *out, const mg_token *gram, int order)
{
    if (out->len)
        mgt_buffer_append_byte(out, '|');
    for (int k = 0; k < order; k++) {
        if (k)
            mgt_buffer_append_byte(out, ' ');
        render_token(out, &gram[k]);
    }
}

static mg_reader *open_reader(const char *path, uint64_t limit, int order)
{
    char error[256] = "";
    mg_reader *reader = mg_reader_open(path, limit, order, error, sizeof error);
    cr_assert(reader != NULL, "mg_reader_open(%s, order %d): %s", path, order, error);
    return reader;
}

/* Renders every gram the reader gives until its end; asserts no error. */
static char *render_all(mg_reader *reader, int order)
{
    mgt_buffer text = {0};
    const mg_token *gram;
    int more;
    while ((more = mg_reader_next(reader, &gram)) == 1)
        render_gram(&text, gram, order);
    cr_assert_eq(more, 0, "mg_reader_next returned %d: %s", more, mg_reader_error(reader));
    cr_assert_eq(mg_reader_next(reader, &gram), 0, "the end is not sticky");
    mgt_buffer_append_byte(&text, '\0');
    return (char *)text.bytes;
}

static int same_token(const mg_token *a, const mg_token *b)
{
    if (mg_token_is_marker(a) || mg_token_is_marker(b))
        return mg_token_is_marker(a) && mg_token_is_marker(b) && a->len == b->len;
    return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

/* Reads path through mg_reader_next_batch, max_grams at a time (0: the sizes
 * vary, and every third call is mg_reader_next: the two may be mixed), in
 * step with the single-gram reader: the same grams, and the same stats
 * after each batch. */
static void expect_batches_equal_at(const char *path, uint64_t limit, int order, size_t max_grams)
{
    mg_reader *batched = open_reader(path, limit, order), *single = open_reader(path, limit, order);
    const mg_token *grams, *gram;
    size_t count, call = 0;
    uint64_t taken = 0;
    int more, single_more = 1;
    do {
        size_t ask = max_grams ? max_grams : 1 + (call * 37) % MG_READER_BATCH;
        if (max_grams == 0 && call++ % 3 == 2) {
            more = mg_reader_next(batched, &gram);
            count = more == 1;
            grams = gram;
        } else {
            more = mg_reader_next_batch(batched, ask, &grams, &count);
        }
        cr_assert(count <= ask && count <= MG_READER_BATCH, "a batch of %zu grams, %zu asked", count, ask);
        cr_assert(more != 1 || count > 0, "an empty batch before the end");
        for (size_t index = 0; index < count; index++, taken++) {
            single_more = mg_reader_next(single, &gram);
            cr_assert_eq(single_more, 1, "batches of %zu (0: mixed), order %d: gram %llu past the single reader's end",
                         max_grams, order, (unsigned long long)taken);
            for (int position = 0; position < order; position++)
                cr_assert(same_token(&grams[index * (size_t)order + (size_t)position], &gram[position]),
                          "batches of %zu (0: mixed), order %d, limit %llu: gram %llu differs at token %d", max_grams,
                          order, (unsigned long long)limit, (unsigned long long)taken, position);
        }
        const mg_reader_stats *got = mg_reader_stats_get(batched), *want = mg_reader_stats_get(single);
        cr_assert(memcmp(got, want, sizeof *got) == 0, "batches of %zu (0: mixed), order %d, after gram %llu: stats "
                  "%llu sentences %llu tokens %llu grams %llu bytes, single %llu %llu %llu %llu", max_grams, order,
                  (unsigned long long)taken, (unsigned long long)got->sentences, (unsigned long long)got->tokens,
                  (unsigned long long)got->grams, (unsigned long long)got->bytes_read,
                  (unsigned long long)want->sentences, (unsigned long long)want->tokens,
                  (unsigned long long)want->grams, (unsigned long long)want->bytes_read);
    } while (more == 1);
    cr_assert_eq(more, 0, "mg_reader_next_batch returned %d: %s", more, mg_reader_error(batched));
    cr_assert_eq(mg_reader_next(single, &gram), 0, "the single reader has grams past the batches' end");
    cr_assert_eq(mg_reader_next_batch(batched, MG_READER_BATCH, &grams, &count), 0, "the end is not sticky");
    cr_assert_eq(count, 0, "grams after the end");
    mg_reader_close(batched);
    mg_reader_close(single);
}

/* The batch reader's grams and stats, at several batch sizes, equal the single-gram reader's. */
static void expect_batches_equal(const char *path, uint64_t limit, int order)
{
    static const size_t sizes[] = {1, 2, 7, MG_READER_BATCH, 0};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        expect_batches_equal_at(path, limit, order, sizes[k]);
}

/* Tokenizes the corpus bytes (written to a temp file) and checks the grams and stats. */
static void expect_grams_limit(const void *corpus, size_t corpus_len, uint64_t limit, int order,
                               const char *expected, uint64_t sentences, uint64_t tokens)
{
    char *path = mgt_temp_file(corpus, corpus_len);
    mg_reader *reader = open_reader(path, limit, order);
    char *text = render_all(reader, order);
    char shown[128];
    mgt_printable(shown, sizeof shown, corpus, corpus_len);
    cr_expect_str_eq(text, expected, "corpus \"%s\", order %d, limit %llu", shown, order,
                     (unsigned long long)limit);
    const mg_reader_stats *stats = mg_reader_stats_get(reader);
    /* grams: one per word and one end marker per sentence */
    cr_expect_eq(stats->sentences, sentences, "sentences %llu, expected %llu (corpus \"%s\", order %d)",
                 (unsigned long long)stats->sentences, (unsigned long long)sentences, shown, order);
    cr_expect_eq(stats->tokens, tokens, "tokens %llu, expected %llu (corpus \"%s\", order %d)",
                 (unsigned long long)stats->tokens, (unsigned long long)tokens, shown, order);
    cr_expect_eq(stats->grams, sentences + tokens, "grams %llu, expected %llu (corpus \"%s\", order %d)",
                 (unsigned long long)stats->grams, (unsigned long long)(sentences + tokens), shown, order);
    expect_batches_equal(path, limit, order);
    free(text);
    mg_reader_close(reader);
    mgt_temp_remove(path);
}

static void expect_grams(const char *corpus, size_t corpus_len, int order, const char *expected,
                         uint64_t sentences, uint64_t tokens)
{
    expect_grams_limit(corpus, corpus_len, UINT64_MAX, order, expected, sentences, tokens);
}

/* String literal corpora, NUL bytes included (sizeof, not strlen). */
#define CORPUS(literal) literal, sizeof(literal) - 1

/* ---- lines ---------------------------------------------------------------- */

Test(tokenize, crlf_line_ends)
{
    /* \r is a separator, so "a\r\n" is the word "a" and the line ends at \n */
    expect_grams(CORPUS("a b\r\nc\r\n"), 2, "<s> a|a b|b </s>|<s> c|c </s>", 2, 3);
    expect_grams(CORPUS("\r\n\r\n"), 2, "<s> </s>|<s> </s>", 2, 0);
    /* a lone \r does not end the line */
    expect_grams(CORPUS("a\rb\rc\n"), 1, "a|b|c|</s>", 1, 3);
    expect_grams(CORPUS("a\r"), 1, "a|</s>", 1, 1);
}

Test(tokenize, separators_space_tab_vt_ff)
{
    expect_grams(CORPUS("\ta\vb\fc  d \t\n"), 1, "a|b|c|d|</s>", 1, 4);
    expect_grams(CORPUS("x\t\v\f\r y\n"), 2, "<s> x|x y|y </s>", 1, 2);
    /* only those six bytes separate: other control bytes, DEL, NEL (0x85) and
     * NBSP (0xa0) are parts of words */
    expect_grams(CORPUS("a\x1c" "b\x1f" "c\x7f" "d\x85" "e\xa0" "f\x01\n"), 1,
                 "a\\x1cb\\x1fc\\x7fd\\x85e\\xa0f\\x01|</s>", 1, 1);
}

Test(tokenize, nul_inside_token)
{
    expect_grams(CORPUS("a\0b c\0\n\0\n"), 1, "a\\x00b|c\\x00|</s>|\\x00|</s>", 2, 3);
    expect_grams(CORPUS("\0\0 A\0B\n"), 2, "<s> \\x00\\x00|\\x00\\x00 a\\x00b|a\\x00b </s>", 1, 2);
}

Test(tokenize, last_line_without_newline)
{
    expect_grams(CORPUS("a\nb c"), 2, "<s> a|a </s>|<s> b|b c|c </s>", 2, 3);
    /* a last line of separators only is still a (empty) sentence */
    expect_grams(CORPUS("a\n \t"), 1, "a|</s>|</s>", 2, 1);
    expect_grams(CORPUS("z"), 3, "<s> <s> z|<s> z </s>", 1, 1);
}

Test(tokenize, final_newline_adds_no_line)
{
    expect_grams(CORPUS("a\n"), 1, "a|</s>", 1, 1);
    expect_grams(CORPUS("\n"), 1, "</s>", 1, 0);
    /* but a second newline is an empty line */
    expect_grams(CORPUS("a\n\n"), 1, "a|</s>|</s>", 2, 1);
}

Test(tokenize, empty_lines_are_sentences)
{
    expect_grams(CORPUS("\n\na\n\n"), 3, "<s> <s> </s>|<s> <s> </s>|<s> <s> a|<s> a </s>|<s> <s> </s>", 4, 1);
    expect_grams(CORPUS("\n\n\n"), 2, "<s> </s>|<s> </s>|<s> </s>", 3, 0);
    expect_grams(CORPUS("\n\n\n"), 1, "</s>|</s>|</s>", 3, 0);
    /* a line of whitespace only is an empty sentence */
    expect_grams(CORPUS("  \t\v\f\r\nq\n"), 3, "<s> <s> </s>|<s> <s> q|<s> q </s>", 2, 1);
}

/* ---- bytes ---------------------------------------------------------------- */

Test(tokenize, lowercase_ascii_only)
{
    /* "ÄBC" in UTF-8: the two bytes of Ä untouched (no locale folding), B C lowered */
    expect_grams(CORPUS("\xc3\x84" "BC \xc3\xa4" "bc\n"), 1, "\\xc3\\x84bc|\\xc3\\xa4bc|</s>", 1, 2);
    /* the neighbours of A-Z are kept: @ [ ` { */
    expect_grams(CORPUS("@AZ[`az{\n"), 1, "@az[`az{|</s>", 1, 1);

    /* every byte that is not a separator, in one word */
    unsigned char corpus[256];
    size_t len = 0;
    for (int byte = 0; byte < 256; byte++)
        if (!strchr(" \t\n\v\f\r", byte) || byte == 0)
            corpus[len++] = (unsigned char)byte;
    char *path = mgt_temp_file(corpus, len);
    mg_reader *reader = open_reader(path, UINT64_MAX, 1);
    const mg_token *gram;
    cr_assert_eq(mg_reader_next(reader, &gram), 1);
    cr_assert_not_null(gram->bytes);
    cr_assert_eq(gram->len, len, "word of %u bytes, expected %zu", gram->len, len);
    for (size_t k = 0; k < len; k++) {
        unsigned char expected = corpus[k] >= 'A' && corpus[k] <= 'Z' ? corpus[k] + 32 : corpus[k];
        cr_assert_eq(gram->bytes[k], expected, "byte 0x%02x read as 0x%02x", corpus[k], gram->bytes[k]);
    }
    cr_assert_eq(mg_reader_next(reader, &gram), 1);
    cr_assert(mg_token_is_marker(gram) && gram->len == MG_MARK_END);
    cr_assert_eq(mg_reader_next(reader, &gram), 0);
    mg_reader_close(reader);
    mgt_temp_remove(path);
}

/* ---- long words ------------------------------------------------------------- */

typedef struct collected {
    mgt_buffer bytes;   /* the words' bytes, concatenated */
    size_t starts[64];  /* per token: offset in bytes, or SIZE_MAX - kind for a marker */
    uint32_t lens[64];
    size_t count;
} collected;

/* Reads every gram of order 1 and keeps each token (at most 64). */
static void collect_tokens(const char *path, collected *out)
{
    mg_reader *reader = open_reader(path, UINT64_MAX, 1);
    const mg_token *gram;
    int more;
    memset(out, 0, sizeof *out);
    while ((more = mg_reader_next(reader, &gram)) == 1) {
        cr_assert(out->count < 64, "more than 64 tokens");
        if (mg_token_is_marker(gram)) {
            out->starts[out->count] = SIZE_MAX - gram->len;
        } else {
            out->starts[out->count] = out->bytes.len;
            mgt_buffer_append(&out->bytes, gram->bytes, gram->len);
        }
        out->lens[out->count++] = gram->len;
    }
    cr_assert_eq(more, 0, "read error: %s", mg_reader_error(reader));
    mg_reader_close(reader);
}

static void expect_word(const collected *got, size_t index, const unsigned char *bytes, size_t len)
{
    cr_assert(index < got->count, "token %zu missing (%zu read)", index, got->count);
    cr_assert(got->starts[index] < SIZE_MAX - 1, "token %zu is a marker, expected a word", index);
    cr_assert_eq(got->lens[index], len, "token %zu has %u bytes, expected %zu", index, got->lens[index], len);
    const unsigned char *at = got->bytes.bytes + got->starts[index];
    for (size_t k = 0; k < len; k++)
        cr_assert_eq(at[k], bytes[k], "token %zu differs at byte %zu: 0x%02x, expected 0x%02x", index, k,
                     at[k], bytes[k]);
}

static void expect_end(const collected *got, size_t index)
{
    cr_assert(index < got->count, "token %zu missing (%zu read)", index, got->count);
    cr_assert_eq(got->starts[index], SIZE_MAX - MG_MARK_END, "token %zu is not the end marker", index);
}

/* A word of len varied non-separator bytes (upper case included) and its lowered form. */
static void make_word(mgt_buffer *raw, mgt_buffer *lowered, size_t len, uint64_t seed)
{
    static const char alphabet[] = "abcXYZ\0\x80\xff-_.019";
    mgt_rng rng = mgt_rng_make(seed);
    for (size_t k = 0; k < len; k++) {
        unsigned char byte = (unsigned char)alphabet[mgt_rng_below(&rng, sizeof alphabet - 1)];
        mgt_buffer_append_byte(raw, byte);
        mgt_buffer_append_byte(lowered, byte >= 'A' && byte <= 'Z' ? byte + 32 : byte);
    }
}

Test(tokenize, one_megabyte_token_read_whole)
{
    mgt_buffer corpus = {0}, raw = {0}, lowered = {0};
    make_word(&raw, &lowered, 1000000, 7);
    mgt_buffer_append_str(&corpus, "x ");
    mgt_buffer_append(&corpus, raw.bytes, raw.len);
    mgt_buffer_append_str(&corpus, " y\n");
    char *path = mgt_temp_file(corpus.bytes, corpus.len);
    collected got;
    collect_tokens(path, &got);
    cr_assert_eq(got.count, 4, "%zu tokens, expected x, the big word, y, </s>", got.count);
    expect_word(&got, 0, (const unsigned char *)"x", 1);
    expect_word(&got, 1, lowered.bytes, lowered.len);
    expect_word(&got, 2, (const unsigned char *)"y", 1);
    expect_end(&got, 3);

    /* at order 3 the big word is in three windows, whole each time */
    mg_reader *reader = open_reader(path, UINT64_MAX, 3);
    const mg_token *gram;
    int windows = 0;
    while (mg_reader_next(reader, &gram) == 1)
        for (int k = 0; k < 3; k++)
            if (!mg_token_is_marker(&gram[k]) && gram[k].len == lowered.len) {
                cr_assert(memcmp(gram[k].bytes, lowered.bytes, lowered.len) == 0,
                          "big word altered in a window");
                windows++;
            }
    cr_assert_eq(windows, 3, "big word seen in %d windows, expected 3", windows);
    cr_assert_eq(mg_reader_stats_get(reader)->bytes_read, corpus.len);
    mg_reader_close(reader);
    mgt_buffer_free(&got.bytes);
    mgt_buffer_free(&corpus);
    mgt_buffer_free(&raw);
    mgt_buffer_free(&lowered);
    mgt_temp_remove(path);
}

Test(tokenize, token_spanning_read_buffer_boundaries)
{
    /* a word that starts 100 bytes before the first 1 MiB boundary and ends
     * 100 bytes after the second one */
    mgt_buffer corpus = {0}, raw = {0}, lowered = {0};
    mgt_buffer_append_str(&corpus, "w ");
    size_t start = READ_BUFFER - 100;
    mgt_buffer_append_repeat(&corpus, ' ', start - corpus.len);
    make_word(&raw, &lowered, READ_BUFFER + 200, 11);
    mgt_buffer_append(&corpus, raw.bytes, raw.len);
    mgt_buffer_append_str(&corpus, "\nlast");
    char *path = mgt_temp_file(corpus.bytes, corpus.len);
    collected got;
    collect_tokens(path, &got);
    cr_assert_eq(got.count, 5, "%zu tokens, expected w, the big word, </s>, last, </s>", got.count);
    expect_word(&got, 0, (const unsigned char *)"w", 1);
    expect_word(&got, 1, lowered.bytes, lowered.len);
    expect_end(&got, 2);
    expect_word(&got, 3, (const unsigned char *)"last", 4);
    expect_end(&got, 4);
    mgt_buffer_free(&got.bytes);
    mgt_buffer_free(&corpus);
    mgt_buffer_free(&raw);
    mgt_buffer_free(&lowered);
    mgt_temp_remove(path);
}

/* "a " then a word of word_len 'K' (lowered to 'k'), then tail: the word
 * ends at byte word_len + 1. In expected, 'K' stands for the whole word. */
static void expect_boundary(size_t word_len, const char *tail, size_t tail_len, const char *expected,
                            uint64_t sentences, uint64_t tokens)
{
    mgt_buffer corpus = {0}, want = {0};
    mgt_buffer_append_str(&corpus, "a ");
    mgt_buffer_append_repeat(&corpus, 'K', word_len);
    mgt_buffer_append(&corpus, tail, tail_len);
    for (const char *at = expected; *at; at++) {
        if (*at == 'K')
            mgt_buffer_append_repeat(&want, 'k', word_len);
        else
            mgt_buffer_append_byte(&want, (unsigned char)*at);
    }
    mgt_buffer_append_byte(&want, '\0');
    expect_grams((const char *)corpus.bytes, corpus.len, 1, (const char *)want.bytes, sentences, tokens);
    mgt_buffer_free(&corpus);
    mgt_buffer_free(&want);
}

Test(tokenize, separators_at_read_buffer_boundary)
{
    /* the word's last byte is the buffer's last byte; \n is the next buffer's first */
    expect_boundary(READ_BUFFER - 2, CORPUS("\nz\n"), "a|K|</s>|z|</s>", 2, 3);
    /* \r as the buffer's last byte, \n as the next one's first */
    expect_boundary(READ_BUFFER - 3, CORPUS("\r\nz\n"), "a|K|</s>|z|</s>", 2, 3);
    /* \n as the buffer's last byte: the next line begins a buffer */
    expect_boundary(READ_BUFFER - 3, CORPUS("\nZ"), "a|K|</s>|z|</s>", 2, 3);
    /* an empty line beginning at the boundary */
    expect_boundary(READ_BUFFER - 3, CORPUS("\n\n"), "a|K|</s>|</s>", 2, 2);
    /* the file ends exactly at the boundary, mid-word */
    expect_boundary(READ_BUFFER - 2, "", 0, "a|K|</s>", 1, 2);
    /* the file ends one byte past the boundary, the word spanning it */
    expect_boundary(READ_BUFFER - 1, "", 0, "a|K|</s>", 1, 2);
}

/* The 64 MiB files go even when a test fails. */
static char *big_file;

static void big_file_remove(void)
{
    mgt_temp_remove(big_file);
    big_file = NULL;
}

Test(tokenize, word_at_token_max_accepted, .fini = big_file_remove, .timeout = 120)
{
    char *path = big_file = mgt_temp_file_repeat('X', MG_TOKEN_MAX);
    mg_reader *reader = open_reader(path, UINT64_MAX, 2);
    const mg_token *gram;
    cr_assert_eq(mg_reader_next(reader, &gram), 1, "a word of exactly MG_TOKEN_MAX bytes: %s",
                 mg_reader_error(reader));
    cr_assert(mg_token_is_marker(&gram[0]) && gram[0].len == MG_MARK_START);
    cr_assert_eq(gram[1].len, MG_TOKEN_MAX);
    cr_assert(gram[1].bytes[0] == 'x' && gram[1].bytes[MG_TOKEN_MAX / 2] == 'x' &&
              gram[1].bytes[MG_TOKEN_MAX - 1] == 'x', "word not lowered whole");
    cr_assert_eq(mg_reader_next(reader, &gram), 1);
    cr_assert(mg_token_is_marker(&gram[1]) && gram[1].len == MG_MARK_END);
    cr_assert_eq(mg_reader_next(reader, &gram), 0);
    mg_reader_close(reader);
}

Test(tokenize, word_longer_than_token_max_is_an_error, .fini = big_file_remove, .timeout = 120)
{
    char *path = big_file = mgt_temp_file_repeat('x', (uint64_t)MG_TOKEN_MAX + 1);
    mg_reader *reader = open_reader(path, UINT64_MAX, 1);
    const mg_token *gram;
    int status = mg_reader_next(reader, &gram);
    cr_expect_eq(status, -1, "mg_reader_next returned %d for a word of MG_TOKEN_MAX + 1 bytes", status);
    const char *message = mg_reader_error(reader);
    cr_expect(message && message[0] != '\0', "no message from mg_reader_error");
    cr_expect(message && !strchr(message, '\n'), "the message is not one line: %s", message);
    mg_reader_close(reader);
}

/* ---- orders ------------------------------------------------------------------ */

Test(tokenize, order1_no_start_markers)
{
    expect_grams(CORPUS("a b\n\nc\n"), 1, "a|b|</s>|</s>|c|</s>", 3, 3);
}

Test(tokenize, order5_padding)
{
    expect_grams(CORPUS("a b\n"), 5, "<s> <s> <s> <s> a|<s> <s> <s> a b|<s> <s> a b </s>", 1, 2);
    expect_grams(CORPUS("\n"), 5, "<s> <s> <s> <s> </s>", 1, 0);
    /* the window slides past the padding: seven distinct words */
    expect_grams(CORPUS("a b c d e f g\n"), 5,
                 "<s> <s> <s> <s> a|<s> <s> <s> a b|<s> <s> a b c|<s> a b c d|a b c d e|b c d e f|"
                 "c d e f g|d e f g </s>",
                 1, 7);
}

Test(tokenize, orders_2_to_4_windows)
{
    expect_grams(CORPUS("a b c d e\nf\n"), 2, "<s> a|a b|b c|c d|d e|e </s>|<s> f|f </s>", 2, 6);
    expect_grams(CORPUS("a b c d e\nf\n"), 3,
                 "<s> <s> a|<s> a b|a b c|b c d|c d e|d e </s>|<s> <s> f|<s> f </s>", 2, 6);
    expect_grams(CORPUS("a b c d e\nf\n"), 4,
                 "<s> <s> <s> a|<s> <s> a b|<s> a b c|a b c d|b c d e|c d e </s>|<s> <s> <s> f|<s> <s> f </s>",
                 2, 6);
}

/* A reference of the contract in a few lines: the grams of corpus as text. */
static char *reference_render(const unsigned char *corpus, size_t len, uint64_t limit, int order,
                              uint64_t *sentences, uint64_t *tokens)
{
    mgt_buffer out = {0};
    *sentences = *tokens = 0;
    size_t at = 0;
    while (at < len && at < limit) {
        size_t end = at;
        while (end < len && corpus[end] != '\n')
            end++;
        (*sentences)++;
        mg_token window[MG_ORDER_MAX];
        for (int k = 0; k < order; k++)
            window[k] = (mg_token){NULL, MG_MARK_START};
        size_t k = at;
        unsigned char *lowered = malloc(end - at + 1);
        for (size_t b = at; b < end; b++)
            lowered[b - at] = corpus[b] >= 'A' && corpus[b] <= 'Z' ? corpus[b] + 32 : corpus[b];
        for (;;) {
            while (k < end && strchr(" \t\v\f\r", corpus[k]) && corpus[k])
                k++;
            mg_token next = {NULL, MG_MARK_END};
            if (k < end) {
                size_t w = k;
                while (w < end && !(strchr(" \t\v\f\r", corpus[w]) && corpus[w]))
                    w++;
                next = (mg_token){lowered + (k - at), (uint32_t)(w - k)};
                k = w;
                (*tokens)++;
            }
            memmove(window, window + 1, sizeof(mg_token) * (size_t)(order - 1));
            window[order - 1] = next;
            render_gram(&out, window, order);
            if (mg_token_is_marker(&next))
                break;
        }
        free(lowered);
        at = end < len ? end + 1 : end;
    }
    mgt_buffer_append_byte(&out, '\0');
    return (char *)out.bytes;
}

Test(tokenize, random_bytes_match_reference)
{
    static const unsigned char alphabet[] = {'a', 'b', 'B', ' ', ' ', '\t', '\n', '\n', '\r',
                                             '\0', 0x80, 0xC3, '\v', '\f', 'Z', '<'};
    mgt_rng rng = mgt_rng_make(2024);
    for (int round = 0; round < 40; round++) {
        size_t len = (size_t)mgt_rng_below(&rng, 400);
        unsigned char corpus[400];
        for (size_t k = 0; k < len; k++)
            corpus[k] = alphabet[mgt_rng_below(&rng, sizeof alphabet)];
        int order = 1 + (int)mgt_rng_below(&rng, MG_ORDER_MAX);
        uint64_t limit = mgt_rng_below(&rng, 3) == 0 ? UINT64_MAX : mgt_rng_below(&rng, len + 2);
        uint64_t sentences, tokens;
        char *expected = reference_render(corpus, len, limit, order, &sentences, &tokens);
        expect_grams_limit(corpus, len, limit, order, expected, sentences, tokens);
        free(expected);
    }
}

/* ---- the block-wise reader against the reference ---------------------------------- */

/* tokenize.c's own sizes, for inputs that straddle them: bytes classified at
 * once, a word copied whole, bytes indexed at a time. */
#define BLOCK 64
#define CHUNK 32
#define SEGMENT 4096

/* The reader's grams and counts of corpus equal the reference's; a mismatch
 * names the first differing character of the rendered grams, not all of them. */
static void expect_reference(const unsigned char *corpus, size_t len, uint64_t limit, int order, const char *what)
{
    uint64_t sentences, tokens;
    char *expected = reference_render(corpus, len, limit, order, &sentences, &tokens);
    char *path = mgt_temp_file(corpus, len);
    mg_reader *reader = open_reader(path, limit, order);
    char *got = render_all(reader, order);
    size_t at = 0;
    while (got[at] && got[at] == expected[at])
        at++;
    size_t from = at > 40 ? at - 40 : 0;
    cr_expect(got[at] == expected[at], "%s (%zu bytes, order %d, limit %llu): grams differ at character %zu:\n"
              "  read      ...%.80s\n  reference ...%.80s", what, len, order, (unsigned long long)limit, at,
              got + from, expected + from);
    const mg_reader_stats *stats = mg_reader_stats_get(reader);
    cr_expect_eq(stats->sentences, sentences, "%s: sentences %llu, expected %llu", what,
                 (unsigned long long)stats->sentences, (unsigned long long)sentences);
    cr_expect_eq(stats->tokens, tokens, "%s: tokens %llu, expected %llu", what, (unsigned long long)stats->tokens,
                 (unsigned long long)tokens);
    cr_expect_eq(stats->grams, sentences + tokens, "%s: grams %llu", what, (unsigned long long)stats->grams);
    expect_batches_equal(path, limit, order);
    free(got);
    free(expected);
    mg_reader_close(reader);
    mgt_temp_remove(path);
}

static const char separators[] = " \t\n\v\f\r";

Test(tokenize, a_separator_at_every_offset_of_a_block)
{
    /* words of 'W' with one separator, then two, at every offset of three blocks */
    for (size_t kind = 0; kind < sizeof separators - 1; kind++)
        for (size_t offset = 0; offset < 3 * BLOCK; offset++) {
            unsigned char corpus[3 * BLOCK + 8];
            memset(corpus, 'W', sizeof corpus);
            corpus[offset] = (unsigned char)separators[kind];
            char what[64];
            snprintf(what, sizeof what, "separator 0x%02x at %zu", separators[kind], offset);
            expect_reference(corpus, sizeof corpus, UINT64_MAX, 2, what);
            corpus[offset + 1 + offset % 5] = (unsigned char)separators[(kind + offset) % (sizeof separators - 1)];
            expect_reference(corpus, sizeof corpus, UINT64_MAX, 3, what);
        }
}

Test(tokenize, words_of_every_length_at_every_offset)
{
    /* for each length around a chunk and a block, the word starts at every
     * offset of a block in turn, one line each, at every order */
    for (size_t length = 1; length <= 2 * BLOCK + 2; length++) {
        mgt_buffer corpus = {0};
        for (size_t offset = 0; offset < BLOCK + 1; offset++) {
            mgt_buffer_append_repeat(&corpus, offset % 3 ? ' ' : '\t', offset);
            mgt_buffer_append_repeat(&corpus, offset % 2 ? 'q' : 'Q', length);
            mgt_buffer_append_str(&corpus, offset % 4 ? " z\n" : "\r\n");
        }
        char what[64];
        snprintf(what, sizeof what, "words of %zu bytes", length);
        expect_reference(corpus.bytes, corpus.len, UINT64_MAX, 1 + (int)(length % MG_ORDER_MAX), what);
        mgt_buffer_free(&corpus);
    }
}

Test(tokenize, all_256_byte_values)
{
    /* every byte value inside words and beside separators, in shuffled orders */
    mgt_rng rng = mgt_rng_make(256);
    for (int round = 0; round < 24; round++) {
        unsigned char corpus[4 * 256];
        size_t len = 0;
        for (int copy = 0; copy < 4; copy++)
            for (int value = 0; value < 256; value++)
                corpus[len++] = (unsigned char)value;
        for (size_t k = len - 1; round > 0 && k > 0; k--) {
            size_t other = (size_t)mgt_rng_below(&rng, k + 1);
            unsigned char byte = corpus[k];
            corpus[k] = corpus[other];
            corpus[other] = byte;
        }
        expect_reference(corpus, len, UINT64_MAX, 1 + round % MG_ORDER_MAX, "all byte values");
    }
    /* each byte value alone as a word, the bytes beside it separators */
    mgt_buffer line = {0};
    for (int value = 0; value < 256; value++) {
        mgt_buffer_append_byte(&line, (unsigned char)value);
        mgt_buffer_append_byte(&line, ' ');
    }
    expect_reference(line.bytes, line.len, UINT64_MAX, 2, "each byte value as a word");
    mgt_buffer_free(&line);
}

/* Text of words whose lengths are mostly short, some near a chunk or a block,
 * a few past a segment; separators, CRLF, empty lines and NUL bytes mixed in. */
static void random_text(mgt_buffer *out, size_t len, mgt_rng *rng)
{
    static const unsigned char word_bytes[] = {'a', 'b', 'Z', 'Q', '\0', 0x80, 0xff, '<', '9', '-'};
    while (out->len < len) {
        uint64_t pick = mgt_rng_below(rng, 100);
        size_t word = pick < 80 ? 1 + mgt_rng_below(rng, 10) : pick < 97 ? CHUNK - 3 + mgt_rng_below(rng, BLOCK)
                    : SEGMENT - 2 + mgt_rng_below(rng, 5);
        for (size_t k = 0; k < word && out->len < len; k++)
            mgt_buffer_append_byte(out, word_bytes[mgt_rng_below(rng, sizeof word_bytes)]);
        uint64_t gap = mgt_rng_below(rng, 20);
        if (gap == 0)
            mgt_buffer_append_str(out, "\r\n");
        else if (gap == 1)
            mgt_buffer_append_str(out, "\n\n");
        else if (gap < 5)
            mgt_buffer_append_byte(out, '\n');
        else
            for (uint64_t k = gap < 17 ? 1 : gap - 15; k > 0; k--)
                mgt_buffer_append_byte(out, (unsigned char)separators[mgt_rng_below(rng, sizeof separators - 1)]);
    }
    out->len = len;
}

Test(tokenize, random_text_across_segments_matches_reference)
{
    mgt_rng rng = mgt_rng_make(4096);
    for (int round = 0; round < 12; round++) {
        mgt_buffer corpus = {0};
        size_t len = (size_t)mgt_rng_below(&rng, 3 * SEGMENT) + 1;
        random_text(&corpus, len, &rng);
        int order = 1 + round % MG_ORDER_MAX;
        uint64_t limit = round % 3 ? UINT64_MAX : mgt_rng_below(&rng, len + 1);
        expect_reference(corpus.bytes, corpus.len, limit, order, "random text");
        mgt_buffer_free(&corpus);
    }
}

Test(tokenize, a_segment_of_newlines_and_long_lines)
{
    /* more '\n' in a row than a segment has bytes: one mark each */
    mgt_buffer corpus = {0};
    mgt_buffer_append_str(&corpus, "a b");
    mgt_buffer_append_repeat(&corpus, '\n', 2 * SEGMENT + 3);
    mgt_buffer_append_str(&corpus, "c");
    expect_reference(corpus.bytes, corpus.len, UINT64_MAX, 2, "a run of newlines");
    /* a word that begins a segment's last byte, and words across segment ends */
    mgt_buffer_free(&corpus);
    mgt_buffer_append_repeat(&corpus, ' ', SEGMENT - 1);
    mgt_buffer_append_str(&corpus, "Seg");
    mgt_buffer_append_repeat(&corpus, 'x', 2 * SEGMENT - 3);
    mgt_buffer_append_str(&corpus, "\nEnd");
    expect_reference(corpus.bytes, corpus.len, UINT64_MAX, 3, "words across segments");
    mgt_buffer_free(&corpus);
    /* a line of more words than the window's ring holds, at every order */
    for (int word = 0; word < 300; word++)
        mgt_buffer_appendf(&corpus, "w%d ", word % 17);
    mgt_buffer_append_str(&corpus, "\nshort line\n");
    for (int order = 1; order <= MG_ORDER_MAX; order++)
        expect_reference(corpus.bytes, corpus.len, UINT64_MAX, order, "a line of 300 words");
    mgt_buffer_free(&corpus);
}

Test(tokenize, file_without_final_newline_ends_in_a_short_block)
{
    /* the last block holds 1 .. 2 blocks of bytes, the file ending mid-word or on a separator */
    for (size_t tail = 1; tail <= 2 * BLOCK; tail++) {
        mgt_buffer corpus = {0};
        mgt_buffer_append_str(&corpus, "first line\n");
        for (size_t k = 0; k < tail; k++)
            mgt_buffer_append_byte(&corpus, k % 7 == 6 ? ' ' : (unsigned char)('A' + k % 26));
        char what[64];
        snprintf(what, sizeof what, "a last line of %zu bytes", tail);
        expect_reference(corpus.bytes, corpus.len, UINT64_MAX, 2, what);
        mgt_buffer_free(&corpus);
    }
}

Test(tokenize, a_line_is_counted_with_its_first_gram)
{
    /* readers of the stats (gram_table.c) start a sentence's window when the count moves */
    mgt_rng rng = mgt_rng_make(5);
    mgt_buffer corpus = {0};
    random_text(&corpus, 3 * SEGMENT, &rng);
    char *path = mgt_temp_file(corpus.bytes, corpus.len);
    for (int order = 1; order <= MG_ORDER_MAX; order++) {
        mg_reader *reader = open_reader(path, UINT64_MAX, order);
        const mg_token *gram;
        uint64_t lines = 0, grams = 0;
        int after_line_end = 1;
        while (mg_reader_next(reader, &gram) == 1) {
            lines += (uint64_t)after_line_end;
            grams++;
            cr_assert_eq(mg_reader_stats_get(reader)->sentences, lines, "order %d, gram %llu: %llu sentences, "
                         "expected %llu", order, (unsigned long long)grams,
                         (unsigned long long)mg_reader_stats_get(reader)->sentences, (unsigned long long)lines);
            after_line_end = mg_token_is_marker(&gram[order - 1]);
        }
        cr_assert_gt(lines, 20, "the text has lines");
        mg_reader_close(reader);
    }
    mgt_temp_remove(path);
    mgt_buffer_free(&corpus);
}

Test(tokenize, random_text_across_read_buffers_matches_reference, .timeout = 120)
{
    /* two and a half read buffers: words, lines and limits fall on both boundaries */
    mgt_rng rng = mgt_rng_make(20);
    mgt_buffer corpus = {0};
    random_text(&corpus, 2 * READ_BUFFER + READ_BUFFER / 2, &rng);
    expect_reference(corpus.bytes, corpus.len, UINT64_MAX, 2, "random text over read buffers");
    static const int64_t near_boundary[] = {-2, -1, 0, 1, 2};
    for (size_t k = 0; k < sizeof near_boundary / sizeof near_boundary[0]; k++)
        expect_reference(corpus.bytes, corpus.len, (uint64_t)((int64_t)READ_BUFFER + near_boundary[k]), 3,
                         "random text, a limit near the read buffer's end");
    mgt_buffer_free(&corpus);
}

Test(tokenize, batches_of_huge_words_across_read_buffers)
{
    /* words of 200 KB, one across each read buffer's end, between short words and lines
     * (CRLF, empty, NUL bytes, no final newline): the batches' grams are the single reader's */
    mgt_buffer corpus = {0}, raw = {0}, lowered = {0};
    mgt_rng rng = mgt_rng_make(31);
    for (int word = 0; corpus.len < 2 * READ_BUFFER + READ_BUFFER / 3; word++) {
        if (word % 3 == 0) {
            size_t to_boundary = READ_BUFFER - corpus.len % READ_BUFFER;
            size_t before = to_boundary > 150000 ? to_boundary - 100000 : 0; /* the next word crosses */
            random_text(&corpus, corpus.len + before, &rng);
        }
        raw.len = lowered.len = 0;
        make_word(&raw, &lowered, 200000 + (size_t)word, (uint64_t)word);
        mgt_buffer_append_str(&corpus, word % 2 ? " x\r\n\n" : " Y ");
        mgt_buffer_append(&corpus, raw.bytes, raw.len);
        mgt_buffer_append(&corpus, " \0z\n", 4);
    }
    mgt_buffer_append_str(&corpus, "the end");
    char *path = mgt_temp_file(corpus.bytes, corpus.len);
    for (int order = 1; order <= MG_ORDER_MAX; order += 2)
        expect_batches_equal(path, UINT64_MAX, order);
    mgt_temp_remove(path);
    mgt_buffer_free(&corpus);
    mgt_buffer_free(&raw);
    mgt_buffer_free(&lowered);
}

/* ---- --fraction ---------------------------------------------------------------- */

static void expect_limit(const char *corpus, size_t len, uint64_t limit, const char *expected,
                         uint64_t sentences, uint64_t tokens, uint64_t bytes_read)
{
    expect_grams_limit(corpus, len, limit, 1, expected, sentences, tokens);
    char *path = mgt_temp_file(corpus, len);
    mg_reader *reader = open_reader(path, limit, 1);
    free(render_all(reader, 1));
    cr_expect_eq(mg_reader_stats_get(reader)->bytes_read, bytes_read,
                 "limit %llu: bytes_read %llu, expected %llu", (unsigned long long)limit,
                 (unsigned long long)mg_reader_stats_get(reader)->bytes_read, (unsigned long long)bytes_read);
    mg_reader_close(reader);
    mgt_temp_remove(path);
}

Test(tokenize, byte_limit_takes_lines_beginning_before_it)
{
    /* lines begin at 0, 3, 6; the file has 9 bytes */
    static const char corpus[] = "ab\ncd\nef\n";
    size_t len = sizeof corpus - 1;
    expect_limit(corpus, len, 0, "", 0, 0, 0);
    expect_limit(corpus, len, 1, "ab|</s>", 1, 1, 3);  /* the line is read whole past the limit */
    expect_limit(corpus, len, 2, "ab|</s>", 1, 1, 3);
    expect_limit(corpus, len, 3, "ab|</s>", 1, 1, 3);  /* a line beginning at the limit is out */
    expect_limit(corpus, len, 4, "ab|</s>|cd|</s>", 2, 2, 6);
    expect_limit(corpus, len, 6, "ab|</s>|cd|</s>", 2, 2, 6);
    expect_limit(corpus, len, 7, "ab|</s>|cd|</s>|ef|</s>", 3, 3, 9);
    expect_limit(corpus, len, 9, "ab|</s>|cd|</s>|ef|</s>", 3, 3, 9);
    expect_limit(corpus, len, 1000, "ab|</s>|cd|</s>|ef|</s>", 3, 3, 9);
    expect_limit(corpus, len, UINT64_MAX, "ab|</s>|cd|</s>|ef|</s>", 3, 3, 9);
    /* empty lines count as lines that begin somewhere */
    expect_limit(CORPUS("\n\nx"), 1, "</s>", 1, 0, 1);
    expect_limit(CORPUS("\n\nx"), 2, "</s>|</s>", 2, 0, 2);
    expect_limit(CORPUS("\n\nx"), 3, "</s>|</s>|x|</s>", 3, 1, 3);
}

Test(tokenize, byte_limit_at_read_buffer_boundary)
{
    /* a line that begins exactly at 1 MiB, where the first buffer ends */
    mgt_buffer corpus = {0};
    mgt_buffer_append_repeat(&corpus, 'q', READ_BUFFER - 1);
    mgt_buffer_append_str(&corpus, "\nnext\n");
    char *path = mgt_temp_file(corpus.bytes, corpus.len);
    for (int round = 0; round < 3; round++) {
        uint64_t limit = READ_BUFFER - 1 + (uint64_t)round; /* 1 MiB - 1, 1 MiB, 1 MiB + 1 */
        mg_reader *reader = open_reader(path, limit, 1);
        free(render_all(reader, 1));
        uint64_t want = round == 2 ? 2 : 1;
        cr_expect_eq(mg_reader_stats_get(reader)->sentences, want, "limit %llu: %llu sentences, expected %llu",
                     (unsigned long long)limit, (unsigned long long)mg_reader_stats_get(reader)->sentences,
                     (unsigned long long)want);
        mg_reader_close(reader);
    }
    mgt_temp_remove(path);
    mgt_buffer_free(&corpus);
}

Test(tokenize, corpus_fraction_is_floor_of_f_times_size)
{
    static const char corpus[] = "aaaa\nbbbb\n"; /* 10 bytes, lines at 0 and 5 */
    char *path = mgt_temp_file(corpus, sizeof corpus - 1);
    static const struct { double fraction; uint64_t limit; } cases[] = {
        {0.25, 2}, {0.5, 5}, {0.55, 5}, {0.59, 5}, {0.6, 6}, {0.1, 1}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        mg_corpus resolved;
        char error[256] = "";
        int status = mg_corpus_resolve(path, cases[k].fraction, &resolved, error, sizeof error);
        cr_assert_eq(status, 0, "mg_corpus_resolve(%s, %g): %s", path, cases[k].fraction, error);
        cr_expect_eq(resolved.file_bytes, 10);
        cr_expect_eq(resolved.byte_limit, cases[k].limit, "fraction %g: limit %llu, expected %llu",
                     cases[k].fraction, (unsigned long long)resolved.byte_limit,
                     (unsigned long long)cases[k].limit);
    }
    /* 0.5 of 10 bytes: the second line begins at byte 5, so it is out */
    mg_corpus resolved;
    char error[256] = "";
    cr_assert_eq(mg_corpus_resolve(path, 0.5, &resolved, error, sizeof error), 0, "%s", error);
    mg_reader *reader = open_reader(resolved.path, resolved.byte_limit, 1);
    char *text = render_all(reader, 1);
    cr_expect_str_eq(text, "aaaa|</s>");
    free(text);
    mg_reader_close(reader);
    /* 1.0: everything */
    cr_assert_eq(mg_corpus_resolve(path, 1.0, &resolved, error, sizeof error), 0, "%s", error);
    reader = open_reader(resolved.path, resolved.byte_limit, 1);
    text = render_all(reader, 1);
    cr_expect_str_eq(text, "aaaa|</s>|bbbb|</s>");
    free(text);
    mg_reader_close(reader);
    /* out of (0, 1] */
    cr_expect_neq(mg_corpus_resolve(path, 0.0, &resolved, error, sizeof error), 0, "fraction 0 accepted");
    cr_expect_neq(mg_corpus_resolve(path, 1.5, &resolved, error, sizeof error), 0, "fraction 1.5 accepted");
    /* 0.01 of 10 bytes is byte 0: no line begins before it, and an empty slice of a text is refused */
    cr_expect_neq(mg_corpus_resolve(path, 0.01, &resolved, error, sizeof error), 0, "fraction 0.01 accepted");
    cr_expect(strstr(error, "selects no line") && strstr(error, "1/10"), "%s", error);
    mgt_temp_remove(path);
    /* an empty file is empty at any fraction */
    path = mgt_temp_file("", 0);
    cr_expect_eq(mg_corpus_resolve(path, 0.01, &resolved, error, sizeof error), 0, "%s", error);
    mgt_temp_remove(path);
}

/* ---- files ------------------------------------------------------------------------ */

Test(tokenize, empty_file_has_no_sentences)
{
    for (int order = 1; order <= MG_ORDER_MAX; order++)
        expect_grams("", 0, order, "", 0, 0);
}

Test(tokenize, rewind_gives_the_same_sequence)
{
    mgt_buffer corpus = {0};
    mgt_zipf_text(&corpus, 5, 200, 50);
    mgt_buffer_append_str(&corpus, "\n\nTail Without NEWLINE");
    char *path = mgt_temp_file(corpus.bytes, corpus.len);
    for (int order = 1; order <= MG_ORDER_MAX; order++) {
        mg_reader *reader = open_reader(path, UINT64_MAX, order);
        char *first = render_all(reader, order);
        mg_reader_stats stats = *mg_reader_stats_get(reader);
        cr_assert_eq(mg_reader_rewind(reader), 0, "rewind: %s", mg_reader_error(reader));
        char *second = render_all(reader, order);
        cr_expect_str_eq(second, first, "order %d: the sequence after rewind differs", order);
        cr_expect(memcmp(&stats, mg_reader_stats_get(reader), sizeof stats) == 0,
                  "order %d: stats after rewind differ", order);
        cr_expect_eq(stats.bytes_read, corpus.len);
        /* rewind in the middle of a sentence */
        cr_assert_eq(mg_reader_rewind(reader), 0);
        const mg_token *gram;
        for (int k = 0; k < 7; k++)
            cr_assert_eq(mg_reader_next(reader, &gram), 1);
        cr_assert_eq(mg_reader_rewind(reader), 0);
        char *third = render_all(reader, order);
        cr_expect_str_eq(third, first, "order %d: the sequence after a mid-line rewind differs", order);
        cr_expect_eq(mg_reader_stats_get(reader)->grams, stats.grams);
        free(first);
        free(second);
        free(third);
        mg_reader_close(reader);
    }
    mgt_temp_remove(path);
    mgt_buffer_free(&corpus);
}

Test(tokenize, open_errors_have_a_message)
{
    char error[256] = "";
    mg_reader *reader = mg_reader_open("/nonexistent/memgrams/corpus.txt", UINT64_MAX, 3, error, sizeof error);
    cr_expect_null(reader, "a missing file opened");
    cr_expect(strstr(error, "/nonexistent/memgrams/corpus.txt") != NULL, "message does not name the path: %s",
              error);
    mg_reader_close(reader);
    error[0] = '\0';
    reader = mg_reader_open("/tmp", UINT64_MAX, 3, error, sizeof error);
    cr_expect_null(reader, "a directory opened as a corpus");
    cr_expect(error[0] != '\0', "no message for a directory");
    mg_reader_close(reader);
}

/* ---- options.h ------------------------------------------------------------------------ */

Test(options, parse_order)
{
    char error[256];
    for (int want = 1; want <= MG_ORDER_MAX; want++) {
        char text[16];
        snprintf(text, sizeof text, "%d", want);
        int order = -1;
        cr_expect_eq(mg_parse_order(text, &order, error, sizeof error), 0, "order '%s' refused", text);
        cr_expect_eq(order, want);
    }
    static const char *const bad[] = {"0", "6", "-1", "", "3x", "x", "2.5", "99999999999999999999", "-0"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        int order = 42;
        error[0] = '\0';
        cr_expect_eq(mg_parse_order(bad[k], &order, error, sizeof error), -1, "order '%s' accepted", bad[k]);
        cr_expect_eq(order, 42, "order '%s' written though refused", bad[k]);
        cr_expect(error[0] != '\0' && strchr(error, '\n') == NULL, "order '%s': message '%s'", bad[k], error);
        cr_expect(strstr(error, bad[k]) != NULL, "order '%s': the message does not name it: %s", bad[k], error);
    }
}

Test(options, parse_fraction)
{
    char error[256];
    static const struct { const char *text; double value; } good[] = {
        {"0.25", 0.25}, {"1/4", 0.25}, {"1", 1.0}, {"1.0", 1.0}, {"3/3", 1.0}, {"1e-3", 0.001}, {"2/8", 0.25}};
    for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
        double fraction = -1;
        cr_expect_eq(mg_parse_fraction(good[k].text, &fraction, error, sizeof error), 0, "fraction '%s' refused: %s",
                     good[k].text, error);
        cr_expect_eq(fraction, good[k].value, "fraction '%s' read as %g", good[k].text, fraction);
    }
    static const char *const bad[] = {"0", "1.5", "abc", "1/0", "", "-0.5", "0/4", "5/4", "1/", "/4",
                                      "0.5x", "1/4/2", "nan", "inf", "1/-0", "0.0"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        double fraction = 42;
        error[0] = '\0';
        cr_expect_eq(mg_parse_fraction(bad[k], &fraction, error, sizeof error), -1, "fraction '%s' accepted (%g)",
                     bad[k], fraction);
        cr_expect_eq(fraction, 42, "fraction '%s' written though refused", bad[k]);
        cr_expect(error[0] != '\0' && strchr(error, '\n') == NULL, "fraction '%s': message '%s'", bad[k], error);
        cr_expect(strstr(error, bad[k]) != NULL, "fraction '%s': the message does not name it: %s", bad[k], error);
    }
    /* a small message buffer is cut, not overrun */
    char tiny[8];
    cr_expect_eq(mg_parse_fraction("abcdefghijklmnop", &(double){0}, tiny, sizeof tiny), -1);
    cr_expect_lt(strlen(tiny), sizeof tiny);
}

Test(options, parse_count)
{
    char error[256];
    static const struct { const char *text; uint64_t value; } good[] = {
        {"0", 0}, {"7", 7}, {"1000000", 1000000}, {"18446744073709551615", UINT64_MAX}};
    for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
        uint64_t count = 42;
        cr_expect_eq(mg_parse_count(good[k].text, "seed", &count, error, sizeof error), 0, "count '%s' refused: %s",
                     good[k].text, error);
        cr_expect_eq(count, good[k].value, "count '%s' read as %llu", good[k].text, (unsigned long long)count);
    }
    static const char *const bad[] = {"-1", "", "1.5", "12abc", "abc", "18446744073709551616", " -1", "-0"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        uint64_t count = 42;
        error[0] = '\0';
        cr_expect_eq(mg_parse_count(bad[k], "sentences", &count, error, sizeof error), -1,
                     "count '%s' accepted as %llu", bad[k], (unsigned long long)count);
        cr_expect_eq(count, 42, "count '%s' written though refused", bad[k]);
        cr_expect(strstr(error, "sentences") != NULL, "count '%s': the message does not name what: %s", bad[k],
                  error);
    }
}

/* ---- message.h ------------------------------------------------------------------------------ */

Test(message, show_escapes_what_would_break_a_line_and_keeps_text)
{
    static const struct { const char *value, *shown; } cases[] = {
        {"plain/path.txt", "plain/path.txt"},
        {"a\nb\tc\rd", "a\\nb\\tc\\rd"},
        {"back\\slash", "back\\\\slash"},
        {"\x1b[2J\x7f\x01", "\\x1B[2J\\x7F\\x01"},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
        {"\xc2\x85nel", "\\xC2\\x85nel"},                        /* U+0085, a C1 control */
        {"\xe2\x80\xa8ls", "\\xE2\\x80\\xA8ls"},                 /* U+2028 LINE SEPARATOR */
        {"\xff\xc3(\xe2\x82", "\\xFF\\xC3(\\xE2\\x82"},          /* not UTF-8, a cut sequence */
        {"\xc0\xaf\xed\xa0\x80", "\\xC0\\xAF\\xED\\xA0\\x80"},   /* overlong, surrogate */
        {"", ""},
        {NULL, "(none)"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        cr_expect_str_eq(mg_show(cases[k].value).text, cases[k].shown, "case %zu", k);
}

Test(message, show_keeps_the_head_and_tail_of_a_long_value)
{
    char value[4000];
    memset(value, 'm', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    memcpy(value, "HEAD", 4);
    memcpy(value + sizeof value - 5, "TAIL", 4);
    value[2000] = '\n';
    mg_shown shown = mg_show(value);
    size_t length = strlen(shown.text);
    cr_expect_leq(length, MG_SHOWN_MAX - 1);
    cr_expect_geq(length, MG_SHOWN_MAX - 5, "the room is used: %zu", length);
    cr_expect(strncmp(shown.text, "HEAD", 4) == 0 && strcmp(shown.text + length - 4, "TAIL") == 0, "%s", shown.text);
    cr_expect(strstr(shown.text, "m...m") != NULL, "%s", shown.text);
    /* an escape is never cut in two: a value of newlines shows whole \n pairs */
    memset(value, '\n', sizeof value - 1);
    shown = mg_show(value);
    cr_expect(strstr(shown.text, "\\n...\\n") != NULL, "%s", shown.text);
    for (const char *at = shown.text; *at; at++)
        cr_assert(*at != '\n');
}

Test(message, out_of_memory_is_told_by_its_first_words)
{
    cr_expect(mg_is_out_of_memory(MG_OUT_OF_MEMORY " mapping the query buffers"));
    cr_expect(!mg_is_out_of_memory("corpus 'out of memory': No such file or directory"));
}

/* ---- mg_token_compare --------------------------------------------------------------------- */

static mg_token word(const char *bytes, uint32_t len) { return (mg_token){(const unsigned char *)bytes, len}; }

static int sign(int value) { return (value > 0) - (value < 0); }

static void expect_before(mg_token a, mg_token b, const char *what)
{
    cr_expect_lt(mg_token_compare(&a, &b), 0, "%s: not a < b", what);
    cr_expect_gt(mg_token_compare(&b, &a), 0, "%s: not b > a", what);
    cr_expect_eq(mg_token_compare(&a, &a), 0, "%s: a != a", what);
    cr_expect_eq(mg_token_compare(&b, &b), 0, "%s: b != b", what);
}

Test(token, compare_order)
{
    mg_token start = {NULL, MG_MARK_START}, end = {NULL, MG_MARK_END};
    expect_before(start, end, "start < end");
    expect_before(start, word("\0", 1), "start < word NUL");
    expect_before(end, word("\0", 1), "end < word NUL");
    expect_before(end, word("a", 1), "end < word a");
    expect_before(word("a", 1), word("b", 1), "a < b");
    expect_before(word("a", 1), word("ab", 2), "prefix first");
    expect_before(word("a", 1), word("a\0", 2), "prefix first, NUL after");
    expect_before(word("\0", 1), word("a", 1), "NUL < a");
    expect_before(word("z", 1), word("\x80", 1), "unsigned: z < 0x80");
    expect_before(word("\x7f\xff", 2), word("\x80", 1), "unsigned: 0x7f 0xff < 0x80");
    expect_before(word("ab", 2), word("b", 1), "bytewise, not by length");
    /* equal bytes in different buffers */
    char one[] = "same", two[] = "same";
    mg_token a = word(one, 4), b = word(two, 4);
    cr_expect_eq(mg_token_compare(&a, &b), 0, "equal words in different buffers");
    /* a random set sorts transitively */
    mgt_rng rng = mgt_rng_make(3);
    unsigned char pool[64][3];
    mg_token tokens[66];
    for (int k = 0; k < 64; k++) {
        for (int b2 = 0; b2 < 3; b2++)
            pool[k][b2] = (unsigned char)(mgt_rng_below(&rng, 3) == 0 ? 0x80 + mgt_rng_below(&rng, 2)
                                                                       : 'a' + mgt_rng_below(&rng, 2));
        tokens[k] = (mg_token){pool[k], 1 + (uint32_t)mgt_rng_below(&rng, 3)};
    }
    tokens[64] = start;
    tokens[65] = end;
    for (int i = 0; i < 66; i++)
        for (int j = 0; j < 66; j++) {
            int ij = sign(mg_token_compare(&tokens[i], &tokens[j]));
            int ji = sign(mg_token_compare(&tokens[j], &tokens[i]));
            cr_assert_eq(ij, -ji, "compare not antisymmetric for %d, %d", i, j);
            for (int k = 0; k < 66; k++)
                if (ij <= 0 && sign(mg_token_compare(&tokens[j], &tokens[k])) <= 0)
                    cr_assert_leq(sign(mg_token_compare(&tokens[i], &tokens[k])), 0,
                                  "compare not transitive for %d, %d, %d", i, j, k);
        }
}

/* ---- mem.h ------------------------------------------------------------------------------------ */

static mg_mem_counters read_counters(void)
{
    mg_mem_counters counters;
    mg_mem_read(&counters);
    return counters;
}

#define EXPECT_DELTA(field, before, after, delta)                                                           \
    cr_expect_eq((after).field - (before).field, (uint64_t)(delta), "%s changed by %lld, expected %lld",   \
                 #field, (long long)((after).field - (before).field), (long long)(delta))

Test(mem, counters_are_exact)
{
    mg_mem_reset_peak();
    mg_mem_counters base = read_counters(), now;

    unsigned char *block = mg_alloc(100);
    cr_assert_not_null(block);
    memset(block, 0xab, 100);
    now = read_counters();
    EXPECT_DELTA(bytes_requested, base, now, 100);
    EXPECT_DELTA(blocks_live, base, now, 1);
    EXPECT_DELTA(allocations_total, base, now, 1);
    EXPECT_DELTA(bytes_requested_total, base, now, 100);
    EXPECT_DELTA(failures_total, base, now, 0);
    cr_expect_geq(now.bytes_requested_peak, now.bytes_requested);

    unsigned char *zeroed = mg_calloc(10, 12);
    cr_assert_not_null(zeroed);
    for (int k = 0; k < 120; k++)
        cr_assert_eq(zeroed[k], 0, "mg_calloc block not zeroed at %d", k);
    now = read_counters();
    EXPECT_DELTA(bytes_requested, base, now, 220);
    EXPECT_DELTA(blocks_live, base, now, 2);
    EXPECT_DELTA(allocations_total, base, now, 2);
    EXPECT_DELTA(bytes_requested_total, base, now, 220);

    /* realloc grow: +200, counted as an allocation; contents kept */
    block = mg_realloc(block, 100, 300);
    cr_assert_not_null(block);
    for (int k = 0; k < 100; k++)
        cr_assert_eq(block[k], 0xab, "realloc lost byte %d", k);
    now = read_counters();
    EXPECT_DELTA(bytes_requested, base, now, 420);
    EXPECT_DELTA(blocks_live, base, now, 2);
    EXPECT_DELTA(allocations_total, base, now, 3);
    EXPECT_DELTA(bytes_requested_total, base, now, 420);
    cr_expect_eq(now.bytes_requested_peak - base.bytes_requested, 420);

    /* realloc shrink: -250, totals unchanged, peak kept */
    block = mg_realloc(block, 300, 50);
    cr_assert_not_null(block);
    now = read_counters();
    EXPECT_DELTA(bytes_requested, base, now, 170);
    EXPECT_DELTA(blocks_live, base, now, 2);
    EXPECT_DELTA(allocations_total, base, now, 3);
    EXPECT_DELTA(bytes_requested_total, base, now, 420);
    cr_expect_eq(now.bytes_requested_peak - base.bytes_requested, 420, "peak lost by a shrink");

    /* realloc of NULL is an allocation */
    unsigned char *fresh = mg_realloc(NULL, 0, 64);
    cr_assert_not_null(fresh);
    now = read_counters();
    EXPECT_DELTA(bytes_requested, base, now, 234);
    EXPECT_DELTA(blocks_live, base, now, 3);

    /* zero sizes: a block, 0 bytes */
    void *empty = mg_alloc(0);
    cr_assert_not_null(empty, "mg_alloc(0) returned NULL");
    now = read_counters();
    EXPECT_DELTA(bytes_requested, base, now, 234);
    EXPECT_DELTA(blocks_live, base, now, 4);

    /* overflowing calloc is refused and counted */
    cr_expect_null(mg_calloc(SIZE_MAX / 2, 4), "an overflowing mg_calloc succeeded");
    now = read_counters();
    EXPECT_DELTA(failures_total, base, now, 1);
    EXPECT_DELTA(bytes_requested, base, now, 234);

    /* reset_peak: peak := current */
    mg_mem_reset_peak();
    now = read_counters();
    cr_expect_eq(now.bytes_requested_peak, now.bytes_requested, "peak not reset to current");

    mg_free(empty, 0);
    mg_free(fresh, 64);
    mg_free(zeroed, 120);
    mg_free(block, 50);
    mg_free(NULL, 12345); /* ignored */
    now = read_counters();
    EXPECT_DELTA(bytes_requested, base, now, 0);
    EXPECT_DELTA(blocks_live, base, now, 0);
    EXPECT_DELTA(allocations_total, base, now, 5);
    EXPECT_DELTA(bytes_requested_total, base, now, 484);
}

Test(mem, limit_refuses_and_counts_failures)
{
    mg_mem_counters base = read_counters(), now;
    mg_mem_set_limit(base.bytes_requested + 1000);

    void *first = mg_alloc(600);
    cr_assert_not_null(first, "600 bytes under a 1000-byte budget refused");
    void *second = mg_alloc(400);
    cr_assert_not_null(second, "exactly filling the budget refused");
    cr_expect_null(mg_alloc(1), "one byte over the budget granted");
    cr_expect_null(mg_calloc(1, 1), "calloc over the budget granted");
    now = read_counters();
    EXPECT_DELTA(failures_total, base, now, 2);
    EXPECT_DELTA(bytes_requested, base, now, 1000);
    EXPECT_DELTA(blocks_live, base, now, 2);
    EXPECT_DELTA(allocations_total, base, now, 2);

    /* growing realloc refused; the old block stays valid */
    memset(second, 0x5a, 400);
    cr_expect_null(mg_realloc(second, 400, 401), "realloc over the budget granted");
    for (int k = 0; k < 400; k++)
        cr_assert_eq(((unsigned char *)second)[k], 0x5a, "refused realloc damaged the block");
    now = read_counters();
    EXPECT_DELTA(failures_total, base, now, 3);
    EXPECT_DELTA(bytes_requested, base, now, 1000);

    /* shrinking is always allowed; the room it frees can be used again */
    second = mg_realloc(second, 400, 100);
    cr_assert_not_null(second, "shrinking realloc refused under a budget");
    void *third = mg_alloc(300);
    cr_assert_not_null(third, "freed room not usable again");
    mg_free(third, 300);
    mg_free(first, 600);
    now = read_counters();
    EXPECT_DELTA(bytes_requested, base, now, 100);

    /* no limit again */
    mg_mem_set_limit(0);
    void *big = mg_alloc((size_t)16 << 20);
    cr_expect_not_null(big, "16 MiB refused with the limit unset");
    mg_free(big, (size_t)16 << 20);
    mg_free(second, 100);
    now = read_counters();
    EXPECT_DELTA(bytes_requested, base, now, 0);
    EXPECT_DELTA(blocks_live, base, now, 0);
    EXPECT_DELTA(failures_total, base, now, 3);
}
