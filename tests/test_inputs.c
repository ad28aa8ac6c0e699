/*
 * test_inputs.c — hostile inputs as users can give them: corpora that are
 * not regular files, numbers strtod or strtoull would take, allocator options
 * no library reads, a stale re-execution marker, values with control bytes,
 * an address-space limit, a full disk on stdout, an empty corpus's floor.
 */
#include "config.h"
#include "process.h"
#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char corpus_text[] = "the cat sat on the mat\nThe dog sat on the log\n\nthe cat ate\n";

#define CHILD_ALARM_SECONDS 60 /* a child blocked on a FIFO ends with SIGALRM, the test then fails */

/* Exit 2, one line on stderr holding every needle (NULL ends them), nothing on stdout. */
static void expect_refusal(const char *const *args, const run_setup *setup, const char *needle, const char *second)
{
    command_result result = memgrams_set_up(args, NULL, setup);
    cr_expect_eq(result.exit_code, 2, "%s %s: exit %d (signal %d), expected 2; stderr: %s", args[0], args[1],
                 result.exit_code, result.signal, result.err);
    cr_expect_eq(count_lines(result.err), 1, "%s %s: stderr is not one line: '%s'", args[0], args[1], result.err);
    cr_expect(strstr(result.err, needle), "%s %s: stderr '%s' does not say '%s'", args[0], args[1], result.err, needle);
    if (second)
        cr_expect(strstr(result.err, second), "%s %s: stderr '%s' does not say '%s'", args[0], args[1], result.err,
                  second);
    cr_expect_eq(result.out_length, 0, "%s %s: stdout is not empty: %s", args[0], args[1], result.out);
    command_result_free(&result);
}

/* ---- corpora that are not regular files ----------------------------------------------- */

/* Every command that takes a corpus, with CORPUS standing for it. */
static const char *const corpus_commands[][8] = {
    {"run", "--backend", "naive_hash", "--corpus", "CORPUS", NULL},
    {"dump", "--backend", "naive_hash", "--corpus", "CORPUS", NULL},
    {"generate", "--backend", "naive_hash", "--corpus", "CORPUS", NULL},
    {"corpus", "cat", "CORPUS", NULL},
    {"corpus", "stats", "CORPUS", NULL},
    {"floor", "CORPUS", NULL},
    {"sweep", "--backends", "naive_hash", "--corpora", "CORPUS", "--out", "OUT", NULL},
};
#define CORPUS_COMMANDS (sizeof corpus_commands / sizeof corpus_commands[0])

/* corpus_commands[index] with CORPUS and OUT filled in, into args. */
static void command_with(size_t index, const char *corpus, const char *out, const char *args[8])
{
    for (size_t word = 0; word < 8; word++) {
        const char *text = corpus_commands[index][word];
        args[word] = text && strcmp(text, "CORPUS") == 0 ? corpus : text && strcmp(text, "OUT") == 0 ? out : text;
    }
}

Test(inputs, a_fifo_corpus_is_refused_by_every_command_without_blocking)
{
    char *folder = temp_folder(), fifo[512];
    snprintf(fifo, sizeof fifo, "%s/corpus.fifo", folder);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    run_setup setup = {.alarm_seconds = CHILD_ALARM_SECONDS};
    for (size_t index = 0; index < CORPUS_COMMANDS; index++) {
        const char *args[8];
        command_with(index, fifo, folder, args);
        expect_refusal(args, &setup, "is a FIFO (a pipe), not a regular file", "save it to a file first");
    }
    remove_folder(folder);
}

Test(inputs, devices_and_a_pipe_on_stdin_are_refused)
{
    char *folder = temp_folder(), fifo[512];
    snprintf(fifo, sizeof fifo, "%s/stdin.fifo", folder);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    run_setup piped = {.stdin_path = fifo, .alarm_seconds = CHILD_ALARM_SECONDS};
    for (size_t index = 0; index < CORPUS_COMMANDS; index++) {
        const char *args[8];
        command_with(index, "/dev/stdin", folder, args);
        expect_refusal(args, &piped, "'/dev/stdin' is a FIFO", NULL);
        command_with(index, "/dev/zero", folder, args);
        expect_refusal(args, &piped, "'/dev/zero' is a character device", NULL);
    }
    remove_folder(folder);
}

/* /dev/stdin redirected from a file is that file: read twice, sized, sliced. */
Test(inputs, stdin_redirected_from_a_file_is_a_corpus)
{
    char *corpus = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    run_setup redirected = {.stdin_path = corpus, .alarm_seconds = CHILD_ALARM_SECONDS};
    const char *args[] = {"run", "--backend", "interned_hash", "--corpus", "/dev/stdin", "--fraction", "1/2", NULL};
    command_result result = memgrams_set_up(args, NULL, &redirected);
    cr_assert_eq(result.exit_code, 0, "%s", result.err);
    json_t *run = run_json(&result);
    cr_assert(run, "no run JSON: %s", result.out);
    cr_expect_eq(json_integer_value(json_object_get(run, "sentences")), 2, "half of the file is its first two lines");
    cr_expect_eq(json_integer_value(json_object_get(run, "vocab")), 7, "the vocabulary is counted on a second read");
    json_decref(run);
    command_result_free(&result);
    mgt_temp_remove(corpus);
}

/* ---- numbers ------------------------------------------------------------------------------ */

Test(inputs, fractions_are_plain_decimals_or_ratios)
{
    char *corpus = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    static const char *const malformed[] = {"-1/-2", " 0.5", "0.5 ", "0x1p-1", "+0.5", "1/-2", "inf", "nan",
                                            "1e", ".", "1/", "0.5/"};
    for (size_t index = 0; index < sizeof malformed / sizeof malformed[0]; index++) {
        const char *args[] = {"dump", "--backend", "naive_hash", "--corpus", corpus, "--fraction", malformed[index],
                              NULL};
        expect_refusal(args, NULL, "is not a decimal or a ratio A/B of decimals", malformed[index]);
    }
    static const char *const selecting_nothing[] = {"1e-320", "0.01", "1/1000"};
    for (size_t index = 0; index < sizeof selecting_nothing / sizeof selecting_nothing[0]; index++) {
        const char *args[] = {"dump", "--backend", "naive_hash", "--corpus", corpus, "--fraction",
                              selecting_nothing[index], NULL};
        expect_refusal(args, NULL, "selects no line", "(59 bytes)");
    }
    static const char *const good[] = {"1/2", ".5", "5e-1", "0.50", "2/4", "1.0/2."};
    for (size_t index = 0; index < sizeof good / sizeof good[0]; index++) {
        const char *args[] = {"dump", "--backend", "naive_hash", "--corpus", corpus, "--order", "1", "--fraction",
                              good[index], NULL};
        command_result result = memgrams(args, NULL);
        cr_expect_eq(result.exit_code, 0, "fraction '%s': %s", good[index], result.err);
        cr_expect(strstr(result.out, "dog\t1\n") && !strstr(result.out, "ate"), "fraction '%s' took: %s",
                  good[index], result.out);
        command_result_free(&result);
    }
    mgt_temp_remove(corpus);
}

Test(inputs, orders_and_counts_tell_not_a_number_from_out_of_range)
{
    char *corpus = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    static const char *const not_numbers[] = {"abc", " 3", "+3", "3 ", "0x3", ""};
    for (size_t index = 0; index < sizeof not_numbers / sizeof not_numbers[0]; index++) {
        const char *args[] = {"dump", "--backend", "naive_hash", "--corpus", corpus, "--order", not_numbers[index],
                              NULL};
        expect_refusal(args, NULL, "is not a whole number 1..5", NULL);
    }
    const char *six[] = {"dump", "--backend", "naive_hash", "--corpus", corpus, "--order", "6", NULL};
    expect_refusal(six, NULL, "order '6' is outside 1..5", NULL);
    static const char *const bad_counts[] = {" 5", "-1", "+5", "5 ", "0x5"};
    for (size_t index = 0; index < sizeof bad_counts / sizeof bad_counts[0]; index++) {
        const char *args[] = {"generate", "--backend", "naive_hash", "--corpus", corpus, "--seed", bad_counts[index],
                              NULL};
        expect_refusal(args, NULL, "seed '", "is not a whole number");
    }
    const char *huge[] = {"generate", "--backend", "naive_hash", "--corpus", corpus, "--sentences",
                          "18446744073709551616", NULL};
    expect_refusal(huge, NULL, "sentences '18446744073709551616' is too large", "18446744073709551615");
    mgt_temp_remove(corpus);
}

/* ---- allocator options -------------------------------------------------------------------- */

Test(inputs, allocator_options_are_the_libraries_own)
{
    char *corpus = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    static const struct { const char *spec, *needle, *second; } bad[] = {
        {"jemalloc:bogus_key=1", "'bogus_key' is not a jemalloc option (valid: dirty_decay_ms, muzzy_decay_ms", NULL},
        {"glibc:mmap_threshold=abc", "'mmap_threshold=abc': glibc's mmap_threshold takes a whole number", NULL},
        {"glibc:decommit_delay=0", "'decommit_delay' is not a glibc option", "mmap_threshold"},
        {"mimalloc:dirty_decay_ms=0", "'dirty_decay_ms' is not a mimalloc option", "decommit_delay"},
        {"tcmalloc:narenas=1", "'narenas' is not a tcmalloc option", "release_rate"},
        {"jemalloc:dirty_decay_ms=-2", "takes a whole number from -1", NULL},
        {"jemalloc:background_thread=1", "takes one of true, false", NULL},
        {"jemalloc:thp=sometimes", "takes one of default, always, never", NULL},
        {"jemalloc:narenas=0", "narenas takes a whole number from 1", NULL},
        {"glibc:perturb=256", "from 0 to 255", NULL},
        {"mimalloc:page_reset=maybe", "page_reset takes one of 1, 0, true", NULL},
        {"mimalloc:reserve_os_memory=4X", "takes a size", NULL},
        {"tcmalloc:release_rate=fast", "takes a decimal number", NULL},
        {"jemalloc:narenas=1,narenas=2", "'narenas' is given twice", NULL},
    };
    for (size_t index = 0; index < sizeof bad / sizeof bad[0]; index++) {
        const char *args[] = {"run", "--backend", "naive_hash", "--corpus", corpus, "--allocator", bad[index].spec,
                              NULL};
        expect_refusal(args, NULL, bad[index].needle, bad[index].second);
        const char *sweep_args[] = {"sweep", "--allocators", bad[index].spec, "--plan", NULL};
        expect_refusal(sweep_args, NULL, bad[index].needle, bad[index].second);
    }
    const char *good[] = {"sweep", "--backends", "trie", "--corpora", "fortunes", "--allocators",
                          "jemalloc:dirty_decay_ms=-1,thp=never,narenas=2,background_thread=false,"
                          "glibc:mmap_threshold=65536,arena_max=1,mimalloc:eager_commit=off,reserve_os_memory=4MiB,"
                          "tcmalloc:aggressive_decommit=t,release_rate=2.5", "--plan", NULL};
    command_result result = memgrams(good, NULL);
    cr_expect_eq(result.exit_code, 0, "%s", result.err);
    cr_expect_eq(count_lines(result.out), 4, "plan: %s", result.out);
    command_result_free(&result);
    mgt_temp_remove(corpus);
}

/* opt.dirty_decay_ms as a run under jemalloc:dirty_decay_ms=0 records it; -1 if the run failed. */
static json_int_t recorded_dirty_decay_ms(const char *const *environment)
{
    char *corpus = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    const char *args[] = {"run", "--backend", "naive_hash", "--corpus", corpus, "--allocator",
                          "jemalloc:dirty_decay_ms=0", NULL};
    command_result result = memgrams(args, environment);
    cr_expect_eq(result.exit_code, 0, "%s", result.err);
    json_t *run = run_json(&result);
    json_t *value = json_object_get(json_object_get(json_object_get(run, "env"), "allocator_config"),
                                    "opt.dirty_decay_ms");
    json_int_t recorded = json_is_integer(value) ? json_integer_value(value) : -1;
    json_decref(run);
    command_result_free(&result);
    mgt_temp_remove(corpus);
    return recorded;
}

/* A marker of re-execution inherited from elsewhere is not this run's: the
 * allocator's options are put in place all the same. */
Test(inputs, a_stale_reexecution_marker_is_not_trusted)
{
    const char *preloaded[] = {"MEMGRAMS_ALLOCATOR=jemalloc:dirty_decay_ms=0",
                               "LD_PRELOAD=" MG_JEMALLOC_LIBDIR "/libjemalloc.so.2", NULL};
    cr_expect_eq(recorded_dirty_decay_ms(preloaded), 0, "the options were not put in place (jemalloc's default 10000)");
    const char *marker_alone[] = {"MEMGRAMS_ALLOCATOR=jemalloc:dirty_decay_ms=0", NULL};
    cr_expect_eq(recorded_dirty_decay_ms(marker_alone), 0);
    char marker[128]; /* one with a pid, as a run writes it: another process's */
    snprintf(marker, sizeof marker, "MEMGRAMS_ALLOCATOR=%ld jemalloc:dirty_decay_ms=0", (long)getpid());
    const char *with_pid[] = {marker, "LD_PRELOAD=" MG_JEMALLOC_LIBDIR "/libjemalloc.so.2", NULL};
    cr_expect_eq(recorded_dirty_decay_ms(with_pid), 0);
}

/* ---- values with control bytes ------------------------------------------------------------ */

Test(inputs, control_bytes_in_a_value_leave_the_message_one_line)
{
    char *corpus = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    const char *path[] = {"dump", "--backend", "naive_hash", "--corpus", "/nonexistent/a\nb\tc", NULL};
    expect_refusal(path, NULL, "corpus '/nonexistent/a\\nb\\tc'", NULL);
    const char *named[] = {"floor", "no\nsuch\x1b[2J", NULL};
    expect_refusal(named, NULL, "corpus 'no\\nsuch\\x1B[2J'", NULL);
    const char *backend[] = {"dump", "--backend", "naive\nhash", "--corpus", corpus, NULL};
    expect_refusal(backend, NULL, "unknown backend 'naive\\nhash'", NULL);
    const char *fraction[] = {"dump", "--backend", "naive_hash", "--corpus", corpus, "--fraction", "0.5\n", NULL};
    expect_refusal(fraction, NULL, "fraction '0.5\\n'", NULL);
    const char *allocator[] = {"run", "--backend", "naive_hash", "--corpus", corpus, "--allocator", "hoard\r\n", NULL};
    expect_refusal(allocator, NULL, "unknown allocator 'hoard\\r\\n'", NULL);
    const char *synth[] = {"corpus", "cat", "synth:tokens=1\n,seed=2", NULL};
    expect_refusal(synth, NULL, "'synth:tokens=1\\n,seed=2'", NULL);
    const char *argument[] = {"list", "\n", NULL};
    expect_refusal(argument, NULL, "unexpected argument '\\n'", NULL);
    char long_path[8192] = "/nonexistent/";
    memset(long_path + strlen(long_path), 'x', 6000);
    long_path[6100] = '\0';
    const char *absurd[] = {"corpus", "stats", long_path, NULL};
    expect_refusal(absurd, NULL, "'/nonexistent/xxx", "xxx...xxx");
    mgt_temp_remove(corpus);
}

/* ---- memory ----------------------------------------------------------------------------------- */

#define ADDRESS_SPACE ((unsigned long long)200 << 20)

/* Under 200 MiB of address space a small corpus runs, and a run that outgrows
 * it ends "oom" (exit 1), never as a usage error. */
Test(inputs, a_small_address_space_runs_small_corpora_and_reports_oom)
{
    char *corpus = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    run_setup limited = {.address_space = ADDRESS_SPACE};
    const char *small[] = {"run", "--backend", "interned_hash", "--corpus", corpus, "--order", "5", NULL};
    command_result result = memgrams_set_up(small, NULL, &limited);
    cr_expect_eq(result.exit_code, 0, "a 4-line corpus under 200 MiB: exit %d, %s", result.exit_code, result.err);
    command_result_free(&result);
    const char *small_dump[] = {"generate", "--backend", "trie", "--corpus", corpus, "--order", "5", NULL};
    result = memgrams_set_up(small_dump, NULL, &limited);
    cr_expect_eq(result.exit_code, 0, "generate under 200 MiB: exit %d, %s", result.exit_code, result.err);
    command_result_free(&result);

    const char *large[] = {"run", "--backend", "naive_hash", "--corpus", "synth:tokens=20000000", NULL};
    result = memgrams_set_up(large, NULL, &limited);
    cr_expect_eq(result.exit_code, 1, "exit %d: %s", result.exit_code, result.err);
    json_t *run = run_json(&result);
    cr_assert(run, "no run JSON: %s %s", result.out, result.err);
    cr_expect_str_eq(json_string_value(json_object_get(run, "status")), "oom");
    cr_expect(strstr(json_string_value(json_object_get(run, "message")), "out of memory"));
    json_decref(run);
    command_result_free(&result);
    const char *large_dump[] = {"dump", "--backend", "naive_hash", "--corpus", "synth:tokens=20000000", NULL};
    result = memgrams_set_up(large_dump, NULL, &limited);
    cr_expect_eq(result.exit_code, 1, "exit %d: %s", result.exit_code, result.err);
    cr_expect(strstr(result.err, "memgrams dump: out of memory") && count_lines(result.err) == 1, "%s", result.err);
    command_result_free(&result);
    mgt_temp_remove(corpus);
}

/* A word longer than the token slots' first mapping grows them, in training and in generation. */
Test(inputs, words_longer_than_the_first_slot_are_read_and_generated)
{
    mgt_buffer text = {0};
    mgt_buffer_append_str(&text, "a ");
    mgt_buffer_append_repeat(&text, 'W', 300000);
    mgt_buffer_append_str(&text, " b\n");
    mgt_buffer_append_repeat(&text, 'W', 300000);
    mgt_buffer_append_str(&text, "\n");
    char *corpus = mgt_temp_file(text.bytes, text.len);
    const char *args[] = {"generate", "--backend", "interned_hash", "--corpus", corpus, "--sentences", "8", NULL};
    command_result result = memgrams(args, NULL);
    cr_expect_eq(result.exit_code, 0, "%s", result.err);
    cr_expect_eq(count_lines(result.out), 8);
    cr_expect(result.out_length > 300000, "the long word was never generated (%zu bytes)", result.out_length);
    for (size_t at = 0; at < result.out_length; at++)
        cr_assert(strchr("wab \n", result.out[at]), "byte %zu is '%c'", at, result.out[at]);
    command_result_free(&result);
    mgt_temp_remove(corpus);
    mgt_buffer_free(&text);
}

/* ---- a full disk ------------------------------------------------------------------------------- */

Test(inputs, every_command_says_when_its_output_cannot_be_written)
{
    char *corpus = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    static const char *const commands[][8] = {
        {"list", NULL},
        {"--help", NULL},
        {"--version", NULL},
        {"run", "--backend", "naive_hash", "--corpus", "CORPUS", NULL},
        {"dump", "--backend", "naive_hash", "--corpus", "CORPUS", NULL},
        {"generate", "--backend", "naive_hash", "--corpus", "CORPUS", NULL},
        {"corpus", "cat", "CORPUS", NULL},
        {"corpus", "stats", "CORPUS", NULL},
        {"corpus", "stats", "CORPUS", "--json", NULL},
        {"floor", "CORPUS", NULL},
        {"dump", "--backend", "trie", "--corpus", "synth:tokens=100000", NULL},
    };
    run_setup full = {.stdout_path = "/dev/full"};
    for (size_t index = 0; index < sizeof commands / sizeof commands[0]; index++) {
        const char *args[8];
        for (size_t word = 0; word < 8; word++)
            args[word] = commands[index][word] && strcmp(commands[index][word], "CORPUS") == 0 ? corpus
                                                                                               : commands[index][word];
        command_result result = memgrams_set_up(args, NULL, &full);
        char expected[128];
        snprintf(expected, sizeof expected, "memgrams %s%s%s: cannot write the output: No space left on device\n",
                 args[0], strcmp(args[0], "corpus") == 0 ? " " : "", strcmp(args[0], "corpus") == 0 ? args[1] : "");
        cr_expect_eq(result.exit_code, 1, "%s %s: exit %d", args[0], args[1] ? args[1] : "", result.exit_code);
        cr_expect_str_eq(result.err, expected, "%s %s", args[0], args[1] ? args[1] : "");
        command_result_free(&result);
    }
    mgt_temp_remove(corpus);
}

/* ---- an empty corpus ----------------------------------------------------------------------------- */

Test(inputs, the_floor_of_an_empty_corpus_has_no_bytes_per_ngram)
{
    char *empty = mgt_temp_file("", 0);
    const char *args[] = {"floor", empty, NULL};
    command_result result = memgrams(args, NULL);
    cr_assert_eq(result.exit_code, 0, "%s", result.err);
    json_t *floor = json_loads(result.out, 0, NULL);
    cr_assert(floor, "not JSON: %s", result.out);
    cr_expect_eq(json_integer_value(json_object_get(floor, "ngrams")), 0);
    cr_expect(json_is_null(json_object_get(floor, "bytes_per_ngram")), "bytes_per_ngram: %s", result.out);
    json_decref(floor);
    command_result_free(&result);
    mgt_temp_remove(empty);
}
