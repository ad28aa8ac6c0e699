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
