/*
 * test_corpus_cli.c — corpus specs and the corpus commands as users meet
 * them: synth specs (bad ones exit 2 with one line), `corpus cat` and
 * --fraction on a synthetic stream.
 */
#include "process.h"
#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs args and checks: exit 2, exactly one line on stderr naming needle, nothing on stdout. */
static void expect_usage_error(const char *const *args, const char *needle)
{
    command_result result = memgrams(args, NULL);
    cr_expect_eq(result.exit_code, 2, "%s %s: exit %d, expected 2 (stderr: %s)", args[0], args[1], result.exit_code,
                 result.err);
    cr_expect_eq(count_lines(result.err), 1, "stderr is not one line: '%s'", result.err);
    cr_expect(strstr(result.err, needle), "stderr '%s' does not name '%s'", result.err, needle);
    cr_expect_eq(result.out_length, 0, "stdout is not empty: %s", result.out);
    command_result_free(&result);
}

Test(corpus_cli, bad_synth_specs_exit_2_with_one_line)
{
    static const char *const specs[] = {"synth:tokens=0", "synth:junk", "synth:tokens=10,colour=red", "synth:"};
    for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
        const char *run_args[] = {"run", "--backend", "naive_hash", "--corpus", specs[k], NULL};
        expect_usage_error(run_args, specs[k]);
        const char *cat_args[] = {"corpus", "cat", specs[k], NULL};
        expect_usage_error(cat_args, specs[k]);
    }
    const char *no_spec[] = {"corpus", "cat", NULL};
    expect_usage_error(no_spec, "spec");
    const char *bad_subcommand[] = {"corpus", "sing", "synth:tokens=5", NULL};
    expect_usage_error(bad_subcommand, "sing");
}

/* The lines of text that begin before byte limit. */
static size_t lines_before(const char *text, size_t length, size_t limit)
{
    size_t end = 0;
    while (end < length && end < limit) {
        const char *newline = memchr(text + end, '\n', length - end);
        end = newline ? (size_t)(newline - text) + 1 : length;
    }
    return end;
}

Test(corpus_cli, cat_of_a_fraction_is_the_lines_before_that_byte_of_the_whole)
{
    const char *whole_args[] = {"corpus", "cat", "synth:tokens=3000,seed=5", NULL};
    command_result whole = memgrams(whole_args, NULL);
    cr_assert_eq(whole.exit_code, 0, "%s", whole.err);
    const char *part_args[] = {"corpus", "cat", "synth:tokens=3000,seed=5", "--fraction", "0.3", NULL};
    command_result part = memgrams(part_args, NULL);
    cr_assert_eq(part.exit_code, 0, "%s", part.err);
    size_t limit = (size_t)(0.3 * (double)whole.out_length);
    size_t expected = lines_before(whole.out, whole.out_length, limit);
    cr_expect_eq(part.out_length, expected, "fraction 0.3 of %zu bytes: %zu, expected %zu", whole.out_length,
                 part.out_length, expected);
    cr_expect(memcmp(part.out, whole.out, part.out_length) == 0);
    /* exactly 3000 words in the whole */
    size_t words = 0;
    for (size_t at = 0; at < whole.out_length; at++)
        words += whole.out[at] != ' ' && whole.out[at] != '\n' &&
                 (at == 0 || whole.out[at - 1] == ' ' || whole.out[at - 1] == '\n');
    cr_expect_eq(words, 3000);
    command_result_free(&whole);
    command_result_free(&part);
}

static const char small_text[] = "the cat sat on the mat\nThe dog sat on the log\n\nthe cat ate\n";
/* its distinct n-grams by order, counted by hand: 8 words + </s>; bigrams 7 + 4 + 1 + 2; ... */
static const json_int_t small_ngrams[] = {0, 9, 14, 15, 16, 16};

/* Runs args, which must succeed printing one JSON line of the given schema; the object. */
static json_t *one_json_line(const char *const *args, const char *schema)
{
    command_result result = memgrams(args, NULL);
    cr_assert_eq(result.exit_code, 0, "%s", result.err);
    cr_expect_eq(count_lines(result.out), 1);
    json_error_t parse_error;
    json_t *object = json_loads(result.out, 0, &parse_error);
    cr_assert_not_null(object, "not JSON: %s", result.out);
    cr_expect_str_eq(json_string_value(json_object_get(object, "schema")), schema);
    command_result_free(&result);
    return object;
}

Test(corpus_cli, stats_of_a_small_file_has_the_known_counts)
{
    char *path = mgt_temp_file(small_text, sizeof small_text - 1);
    const char *json_args[] = {"corpus", "stats", path, "--json", NULL};
    json_t *stats = one_json_line(json_args, "memgrams.corpus_stats/1");
    cr_expect_eq(json_integer_value(json_object_get(stats, "sentences")), 4);
    cr_expect_eq(json_integer_value(json_object_get(stats, "tokens")), 15);
    cr_expect_eq(json_integer_value(json_object_get(stats, "vocab")), 8);
    cr_expect_eq(json_integer_value(json_object_get(stats, "bytes")), sizeof small_text - 1);
    json_t *distinct = json_object_get(stats, "distinct_ngrams");
    for (int order = 1; order <= 5; order++) {
        char key[4];
        snprintf(key, sizeof key, "%d", order);
        cr_expect_eq(json_integer_value(json_object_get(distinct, key)), small_ngrams[order], "order %d", order);
    }
    json_decref(stats);

    const char *text_args[] = {"corpus", "stats", path, "--orders", "2", "--fraction", "0.5", NULL};
    command_result result = memgrams(text_args, NULL);
    cr_assert_eq(result.exit_code, 0, "%s", result.err);
    /* floor(0.5 x 59) = 29: the lines beginning at bytes 0 and 23; bigrams 7 + 4 */
    cr_expect(strstr(result.out, "sentences   2\n") && strstr(result.out, "tokens      12\n"), "%s", result.out);
    cr_expect(strstr(result.out, "\n2                    11     0.9167\n"), "%s", result.out);
    cr_expect(!strstr(result.out, "\n3 "), "%s", result.out);
    command_result_free(&result);

    const char *bad_orders[] = {"corpus", "stats", path, "--orders", "2,6", NULL};
    expect_usage_error(bad_orders, "order '6'");
    const char *bad_option[] = {"corpus", "stats", path, "--backend", "trie", NULL};
    expect_usage_error(bad_option, "--backend");
    mgt_temp_remove(path);
}

Test(corpus_cli, floor_of_a_tiny_corpus_counts_exactly_and_refuses_bad_input)
{
    char *path = mgt_temp_file(small_text, sizeof small_text - 1);
    for (int order = 1; order <= 5; order += 2) {
        char order_text[4];
        snprintf(order_text, sizeof order_text, "%d", order);
        const char *args[] = {"floor", path, "--order", order_text, NULL};
        json_t *floor = one_json_line(args, "memgrams.floor/1");
        cr_expect_str_eq(json_string_value(json_object_get(floor, "compressor")), "xz -9e");
        cr_expect_eq(json_integer_value(json_object_get(floor, "order")), order);
        cr_expect_eq(json_integer_value(json_object_get(floor, "ngrams")), small_ngrams[order]);
        cr_expect_eq(json_integer_value(json_object_get(floor, "vocab")), 8);
        /* 8 words and their newlines: the, cat, sat, on, mat, dog, log, ate */
        cr_expect_eq(json_integer_value(json_object_get(floor, "vocab_raw_bytes")), 31);
        json_int_t vocab_xz = json_integer_value(json_object_get(floor, "vocab_xz_bytes"));
        json_int_t table_xz = json_integer_value(json_object_get(floor, "table_xz_bytes"));
        cr_expect(vocab_xz > 0 && table_xz > 0 && json_integer_value(json_object_get(floor, "table_raw_bytes")) > 0);
        double per_ngram = json_real_value(json_object_get(floor, "bytes_per_ngram"));
        cr_expect(per_ngram > 0 && per_ngram * (double)small_ngrams[order] > (double)(vocab_xz + table_xz) - 0.5 &&
                  per_ngram * (double)small_ngrams[order] < (double)(vocab_xz + table_xz) + 0.5);
        json_decref(floor);
    }
    const char *bad_order[] = {"floor", path, "--order", "6", NULL};
    expect_usage_error(bad_order, "order '6'");
    const char *bad_fraction[] = {"floor", path, "--fraction", "0", NULL};
    expect_usage_error(bad_fraction, "fraction '0'");
    const char *no_spec[] = {"floor", NULL};
    expect_usage_error(no_spec, "spec");
    const char *bad_spec[] = {"floor", "synth:tokens=0", NULL};
    expect_usage_error(bad_spec, "synth:tokens=0");
    const char *missing[] = {"floor", "/nonexistent/floor.txt", NULL};
    expect_usage_error(missing, "/nonexistent/floor.txt");
    const char *bad_option[] = {"floor", path, "--json", NULL};
    expect_usage_error(bad_option, "--json");
    mgt_temp_remove(path);
}

Test(corpus_cli, floor_of_synth_grows_with_the_corpus)
{
    const char *small_args[] = {"floor", "synth:tokens=20000", NULL};
    const char *large_args[] = {"floor", "synth:tokens=40000", NULL};
    json_t *small_floor = one_json_line(small_args, "memgrams.floor/1");
    json_t *large_floor = one_json_line(large_args, "memgrams.floor/1");
    cr_expect_gt(json_integer_value(json_object_get(large_floor, "ngrams")),
                 json_integer_value(json_object_get(small_floor, "ngrams")));
    cr_expect_gt(json_integer_value(json_object_get(large_floor, "table_xz_bytes")),
                 json_integer_value(json_object_get(small_floor, "table_xz_bytes")));
    /* a real floor: a few bytes a trigram, far under any table */
    double per_ngram = json_real_value(json_object_get(large_floor, "bytes_per_ngram"));
    cr_expect(per_ngram > 1 && per_ngram < 16, "%.2f bytes per trigram", per_ngram);
    json_decref(small_floor);
    json_decref(large_floor);
}
