/*
 * test_check.c — `memgrams check` as CI meets it: verdicts and exit codes on
 * synthetic baseline/results files, JUnit XML, `run --repeat`, and the
 * determinism every memory verdict relies on (two runs of a cell request and
 * allocate the same bytes).
 */
#include "backend.h"
#include "process.h"
#include "statistics.h"
#include "support.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- check on synthetic files ------------------------------------------------------- */

typedef struct synthetic {
    const char *backend;
    double memory_scale; /* every phase's growth over baseline, times this */
    double speed_scale;  /* every speed sample, times this */
    const char *schema;
    const char *allocator_version;
    int pass;      /* > 0: the run's sweep pass, and its speed medians are set */
    double regime; /* the machine's moment: every speed median of the run, times this */
    int layout;    /* > 0: the backend_layout_version the run declares */
} synthetic;

static const char *const phase_names[] = {"baseline", "train", "finalize", "prune", "purge", "destroy"};

static json_t *synthetic_phases(double scale)
{
    json_t *phases = json_array();
    for (int phase = 0; phase < 6; phase++) {
        double grown = phase == 0 || phase == 5 ? 0 : scale * 1e6 * phase;
        json_array_append_new(phases, json_pack("{s:s, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
            "name", phase_names[phase], "seconds", 0.01, "requested", (json_int_t)grown,
            "allocated", (json_int_t)(100000 + grown * 1.1), "active", (json_int_t)(200000 + grown * 1.2),
            "resident", (json_int_t)(300000 + grown * 1.3), "rss", (json_int_t)(20000000 + grown * 1.4),
            "rss_anon", (json_int_t)(10000000 + grown * 1.4), "hwm", (json_int_t)(20000000 + grown * 1.5)));
    }
    return phases;
}

static const char *const sampled_names[] = {"lookup_hit_ns", "lookup_miss_ns", "successors_ns",
                                            "generate_ns_per_token"};

/* Ten samples around 100 (spread 10%), times the scale, for each sampled speed. */
static json_t *synthetic_samples(double scale)
{
    const char *const *names = sampled_names;
    json_t *samples = json_pack("{s:i}", "rounds", 10);
    for (size_t name = 0; name < 4; name++) {
        json_t *values = json_array();
        for (int round = 0; round < 10; round++)
            json_array_append_new(values, json_real((100 + (round * 7) % 10) * scale * (double)(name + 1)));
        json_object_set_new(samples, names[name], values);
    }
    return samples;
}

static json_t *synthetic_run(const synthetic *spec)
{
    json_t *run = json_pack("{s:s, s:s, s:s, s:s, s:f, s:i, s:s, s:s}", "schema",
                            spec->schema ? spec->schema : "memgrams.run/1", "status", "ok", "backend", spec->backend,
                            "corpus", "synth", "fraction", 1.0, "order", 3, "allocator", "jemalloc",
                            "allocator_version", spec->allocator_version ? spec->allocator_version : "5.3.0");
    json_object_set_new(run, "phases", synthetic_phases(spec->memory_scale));
    json_object_set_new(run, "speed", json_pack("{s:f, s:f}", "train_ns_per_gram", 500.0, "finalize_seconds", 0.1));
    json_object_set_new(run, "speed_samples", synthetic_samples(spec->speed_scale));
    if (spec->pass > 0) {
        const char *const *names = sampled_names;
        json_t *speed = json_object_get(run, "speed");
        for (size_t name = 0; name < 4; name++)
            json_object_set_new(speed, names[name],
                                json_real(104.5 * spec->speed_scale * spec->regime * (double)(name + 1)));
        json_object_set_new(run, "pass", json_integer(spec->pass));
    }
    if (spec->layout > 0)
        json_object_set_new(run, "backend_layout_version", json_integer(spec->layout));
    json_object_set_new(run, "env", json_pack("{s:s, s:i, s:s, s:s, s:{s:s}}", "cpu", "Test CPU", "cpus", 2,
                                              "compiler", "gcc 12", "build", "release",
                                              "transparent_hugepage", "enabled", "always [madvise] never"));
    return run;
}

/* A JSONL file of the runs (NULL-terminated specs). */
static char *synthetic_file(const synthetic *const *specs)
{
    mgt_buffer text = {0};
    for (; *specs; specs++) {
        json_t *run = synthetic_run(*specs);
        char *line = json_dumps(run, JSON_COMPACT);
        mgt_buffer_appendf(&text, "%s\n", line);
        free(line);
        json_decref(run);
    }
    char *path = mgt_temp_file(text.bytes, text.len);
    mgt_buffer_free(&text);
    return path;
}

static const synthetic lean = {"alpha", 1.0, 1.0, NULL, NULL, 0, 1.0, 0},
                       lean_beta = {"beta", 1.0, 1.0, NULL, NULL, 0, 1.0, 0};

/* check on the runs of baseline and results, with an option (and its value) where not NULL, and
 * --verbose when verbose. */
static command_result run_check(const synthetic *const *baseline, const synthetic *const *results, int verbose,
                                const char *extra_option, const char *extra_value)
{
    char *baseline_path = synthetic_file(baseline), *results_path = synthetic_file(results);
    const char *args[9] = {"check", "--baseline", baseline_path, "--results", results_path};
    size_t count = 5;
    if (verbose)
        args[count++] = "--verbose";
    if (extra_option)
        args[count++] = extra_option;
    if (extra_value)
        args[count++] = extra_value;
    command_result result = memgrams(args, NULL);
    mgt_temp_remove(baseline_path);
    mgt_temp_remove(results_path);
    return result;
}

static command_result check_files(const synthetic *const *baseline, const synthetic *const *results,
                                  const char *extra_option, const char *extra_value)
{
    return run_check(baseline, results, 0, extra_option, extra_value);
}

static command_result check_verbose(const synthetic *const *baseline, const synthetic *const *results,
                                    const char *extra_option, const char *extra_value)
{
    return run_check(baseline, results, 1, extra_option, extra_value);
}

static int occurrences(const char *text, const char *needle)
{
    int count = 0;
    for (const char *at = strstr(text, needle); at; at = strstr(at + 1, needle))
        count++;
    return count;
}

/* A number in exponent notation ("3.611e+04", "7e+04", "2.4e-04") anywhere in text. */
static int has_exponent(const char *text)
{
    for (const char *at = strchr(text, 'e'); at; at = strchr(at + 1, 'e'))
        if (at > text && at[-1] >= '0' && at[-1] <= '9' && (at[1] == '+' || at[1] == '-') && at[2] >= '0' &&
            at[2] <= '9')
            return 1;
    return 0;
}

Test(check, unchanged_results_pass)
{
    const synthetic *files[] = {&lean, &lean_beta, NULL};
    command_result result = check_files(files, files, NULL, NULL);
    cr_expect_eq(result.exit_code, 0, "exit %d: %s%s", result.exit_code, result.out, result.err);
    cr_expect_eq(count_lines(result.out), 3, "a line per cell and the counts: %s", result.out);
    cr_expect(strstr(result.out, "ok         alpha synth f=1 n=3 jemalloc: worst ") &&
                  strstr(result.out, "\nok         beta synth f=1 n=3 jemalloc: worst "), "%s", result.out);
    cr_expect(!strstr(result.out, "finalize.requested  "), "no figure table for a cell that is ok: %s", result.out);
    cr_expect(strstr(result.out, "check: 2 cells: 2 ok, 0 improved, 0 REGRESSED, 0 missing, 0 extra; "), "%s",
              result.out);
    command_result_free(&result);
}

Test(check, verbose_lists_every_figure_of_every_cell)
{
    const synthetic *files[] = {&lean, &lean_beta, NULL};
    command_result result = check_verbose(files, files, "--speed", "off");
    cr_expect_eq(result.exit_code, 0, "exit %d: %s%s", result.exit_code, result.out, result.err);
    cr_expect_eq(occurrences(result.out, "\n  figure "), 2, "a table under each of the two cells: %s", result.out);
    cr_expect(strncmp(result.out, "ok         alpha ", 17) == 0, "%s", result.out);
    cr_expect_eq(occurrences(result.out, "  finalize.requested "), 2, "%s", result.out);
    cr_expect_eq(occurrences(result.out, "  lookup_hit_ns "), 2, "%s", result.out);
    cr_expect(strstr(result.out, "(+0.0%)  skipped    --speed off"), "a speed not judged, its change in parentheses: %s",
              result.out);
    command_result_free(&result);
}

Test(check, a_fatter_table_regresses_and_names_the_figures)
{
    const synthetic fat = {"alpha", 1.15, 1.0, NULL, NULL, 0, 1.0, 0};
    const synthetic *baseline[] = {&lean, &lean_beta, NULL}, *results[] = {&fat, &lean_beta, NULL};
    command_result result = check_files(baseline, results, NULL, NULL);
    cr_expect_eq(result.exit_code, 1, "exit %d: %s%s", result.exit_code, result.out, result.err);
    cr_expect(strstr(result.out, "REGRESSED: alpha synth f=1 n=3 jemalloc finalize.requested +15.0%"), "%s",
              result.out);
    cr_expect(!strstr(result.out, "REGRESSED: beta"), "beta did not change: %s", result.out);
    /* the regressed cell's line names its worst figure, and its figures follow; beta's is one line */
    const char *alpha = strstr(result.out, "REGRESSED  alpha synth f=1 n=3 jemalloc: worst train.requested +15.0% (");
    const char *beta = strstr(result.out, "\nok         beta synth f=1 n=3 jemalloc: worst ");
    cr_assert(alpha && beta && alpha < beta, "a line per cell: %s", result.out);
    const char *table = strstr(alpha, "\n  figure "), *allocated = strstr(alpha, "\n  finalize.allocated ");
    cr_expect(table && allocated && allocated < beta, "alpha's figures under its line: %s", result.out);
    cr_expect(allocated && strstr(allocated, "2,200,000      2,530,000    +15.0%  REGRESSED"),
              "bytes with thousands separators, the change with one decimal: %s", result.out);
    cr_expect(!strstr(beta + 1, "\n  "), "no figures under beta, which is ok: %s", result.out);
    cr_expect(!strstr(result.out, "skipped"), "no figure not judged is shown: %s", result.out);
    command_result_free(&result);
}

/* Bytes, nanoseconds, seconds and p-values in plain notation: 36,110 not 3.611e+04, 0.000038 not 3.8e-05. */
Test(check, no_figure_is_shown_with_an_exponent)
{
    const synthetic slow_base = {"alpha", 1.0, 361.1, NULL, NULL, 0, 1.0, 0},
                    slower = {"alpha", 1.2, 700.0, NULL, NULL, 0, 1.0, 0};
    const synthetic *baseline[] = {&slow_base, NULL}, *results[] = {&slower, NULL};
    command_result result = check_verbose(baseline, results, NULL, NULL);
    cr_expect_eq(result.exit_code, 1, "%s", result.out);
    cr_expect(!has_exponent(result.out), "an exponent: %s", result.out);
    cr_expect(strstr(result.out, "37,735         73,150    +93.9%  REGRESSED"), "ns whole with separators: %s",
              result.out);
    cr_expect(strstr(result.out, "p(slower)=0.0000"), "a small p in fixed notation: %s", result.out);
    cr_expect(strstr(result.out, "0.1000         0.1000"), "seconds with four decimals: %s", result.out);
    cr_expect(has_exponent("lookup 3.611e+04 ns") && has_exponent("7e+04") && !has_exponent("signed-rank 1e"),
              "the test itself finds exponents");
    command_result_free(&result);
}

Test(check, a_leaner_table_is_an_improvement_not_a_failure)
{
    const synthetic leaner = {"alpha", 0.85, 0.7, NULL, NULL, 0, 1.0, 0};
    const synthetic *baseline[] = {&lean, NULL}, *results[] = {&leaner, NULL};
    command_result result = check_files(baseline, results, NULL, NULL);
    cr_expect_eq(result.exit_code, 0, "exit %d: %s", result.exit_code, result.out);
    cr_expect(strstr(result.out, "improved"), "%s", result.out);
    cr_expect(strstr(result.out, " 0 REGRESSED"), "%s", result.out);
    command_result_free(&result);
}

Test(check, a_slower_table_regresses_on_speed_only_past_the_effect_size)
{
    const synthetic slower = {"alpha", 1.0, 1.3, NULL, NULL, 0, 1.0, 0};
    const synthetic a_bit_slower = {"alpha", 1.0, 1.05, NULL, NULL, 0, 1.0, 0};
    const synthetic *baseline[] = {&lean, NULL}, *results[] = {&slower, NULL}, *close[] = {&a_bit_slower, NULL};
    command_result result = check_files(baseline, results, NULL, NULL);
    cr_expect_eq(result.exit_code, 1, "%s", result.out);
    cr_expect(strstr(result.out, "REGRESSED: alpha synth f=1 n=3 jemalloc lookup_hit_ns +30.0%"), "%s", result.out);
    command_result_free(&result);
    result = check_files(baseline, close, NULL, NULL);
    cr_expect_eq(result.exit_code, 0, "5%% slower is significant but under the 10%% effect size: %s", result.out);
    command_result_free(&result);
    result = check_files(baseline, results, "--speed", "off");
    cr_expect_eq(result.exit_code, 0, "--speed off: %s", result.out);
    command_result_free(&result);
}

/* PAIRED_PASSES runs of alpha as sweep --against makes them: pass k on a slow
 * or a fast moment of the machine (a 2.2x swing, shared by both sides of a
 * pass), the candidate's speed times scale and a little jitter per pass. */
#define PAIRED_PASSES 12
static char *paired_file(double scale, int numbered)
{
    synthetic specs[PAIRED_PASSES];
    const synthetic *list[PAIRED_PASSES + 1];
    for (int pass = 0; pass < PAIRED_PASSES; pass++) {
        double jitter = scale == 1.0 ? 1.0 : 1.0 + 0.004 * pass;
        specs[pass] = (synthetic){"alpha", 1.0, scale * jitter, NULL, NULL, pass + 1, pass % 2 ? 1.0 : 2.2, 0};
        list[pass] = &specs[pass];
    }
    list[PAIRED_PASSES] = NULL;
    char *path = synthetic_file(list);
    if (!numbered) { /* the same runs without their pass numbers */
        char command[600];
        snprintf(command, sizeof command, "sed -i 's/,\\? *\"pass\": *[0-9]*//' '%s'", path);
        cr_assert_eq(system(command), 0);
    }
    return path;
}

static command_result check_paths(char *baseline_path, char *results_path)
{
    const char *args[] = {"check", "--speed", "on", "--verbose", "--baseline", baseline_path, "--results", results_path,
                          NULL};
    command_result result = memgrams(args, NULL);
    mgt_temp_remove(baseline_path);
    mgt_temp_remove(results_path);
    return result;
}

Test(check, paired_runs_are_judged_by_their_ratios)
{
    command_result result = check_paths(paired_file(1.0, 1), paired_file(1.3, 1));
    cr_expect_eq(result.exit_code, 1, "%s", result.out);
    cr_expect(strstr(result.out, "REGRESSED: alpha synth f=1 n=3 jemalloc lookup_hit_ns +32."), "%s", result.out);
    cr_expect(strstr(result.out, "12 pairs, p(slower)=0.00024"), "all 12 slower: p = 2^-12: %s", result.out);
    command_result_free(&result);

    result = check_paths(paired_file(1.0, 1), paired_file(1.05, 1));
    cr_expect_eq(result.exit_code, 0, "5%% slower is under the effect size: %s", result.out);
    command_result_free(&result);
    result = check_paths(paired_file(1.0, 1), paired_file(1.0, 1));
    cr_expect_eq(result.exit_code, 0, "unchanged: %s", result.out);
    command_result_free(&result);

    /* Without the pass numbers the same 30% is lost in the machine's swings:
     * the runs are compared as two independent samples. */
    result = check_paths(paired_file(1.0, 0), paired_file(1.3, 0));
    cr_expect_eq(result.exit_code, 0, "unpaired: %s", result.out);
    cr_expect(strstr(result.out, "12 vs 12 runs"), "%s", result.out);
    command_result_free(&result);
}

Test(check, a_missing_cell_fails_and_an_extra_one_is_reported)
{
    const synthetic *both[] = {&lean, &lean_beta, NULL}, *alpha_only[] = {&lean, NULL};
    command_result result = check_files(both, alpha_only, NULL, NULL);
    cr_expect_eq(result.exit_code, 1, "%s", result.out);
    cr_expect(strstr(result.out, "missing: beta synth f=1 n=3 jemalloc cell"), "%s", result.out);
    command_result_free(&result);
    result = check_files(alpha_only, both, NULL, NULL);
    cr_expect_eq(result.exit_code, 0, "%s", result.out);
    cr_expect(strstr(result.out, "extra"), "%s", result.out);
    command_result_free(&result);
}

Test(check, another_allocator_version_skips_the_allocator_figures)
{
    const synthetic upgraded = {"alpha", 1.15, 1.0, NULL, "5.3.1", 0, 1.0, 0};
    const synthetic *baseline[] = {&lean, NULL}, *results[] = {&upgraded, NULL};
    command_result result = check_verbose(baseline, results, NULL, NULL);
    cr_expect_eq(result.exit_code, 1, "requested is still judged: %s", result.out);
    cr_expect(strstr(result.out, "allocator version differs"), "%s", result.out);
    cr_expect(!strstr(result.out, "REGRESSED: alpha synth f=1 n=3 jemalloc finalize.allocated"), "%s", result.out);
    command_result_free(&result);
}

Test(check, a_changed_layout_fails_once_and_compares_no_memory)
{
    const synthetic before = {"alpha", 1.0, 1.0, NULL, NULL, 0, 1.0, 1},
                    after = {"alpha", 1.15, 1.0, NULL, NULL, 0, 1.0, 2};
    const synthetic *baseline[] = {&before, &lean_beta, NULL}, *results[] = {&after, &lean_beta, NULL};
    command_result result = check_verbose(baseline, results, NULL, NULL);
    cr_expect_eq(result.exit_code, 1, "a changed layout fails the check: %s", result.out);
    cr_expect(strstr(result.out, "CHANGED: alpha synth f=1 n=3 jemalloc: layout changed (from 1 to 2): memory not "
                                 "compared; the baseline needs rewriting (make baseline)\n"), "%s", result.out);
    cr_expect_eq(occurrences(result.out, "CHANGED: "), 1, "one line for the cell: %s", result.out);
    cr_expect(strstr(result.out, " 0 REGRESSED"), "the fatter table is not judged against the old layout: %s",
              result.out);
    cr_expect_eq(occurrences(result.out, "finalize.allocated"), 1, "only beta's memory is compared: %s", result.out);
    cr_expect_eq(occurrences(result.out, "lookup_hit_ns"), 2, "speed is still judged on both cells: %s", result.out);
    command_result_free(&result);
}

Test(check, a_layout_declared_on_one_side_only_or_unchanged_compares_as_before)
{
    const synthetic first = {"alpha", 1.15, 1.0, NULL, NULL, 0, 1.0, 1},
                    second = {"alpha", 1.15, 1.0, NULL, NULL, 0, 1.0, 2};
    const synthetic *undeclared[] = {&lean, NULL}, *declared[] = {&first, NULL}, *redeclared[] = {&second, NULL};
    const synthetic *const *pairs[][2] = {{undeclared, redeclared}, {declared, undeclared}, {redeclared, redeclared}};
    for (size_t pair = 0; pair < 3; pair++) {
        command_result result = check_verbose(pairs[pair][0], pairs[pair][1], NULL, NULL);
        cr_expect(!strstr(result.out, "layout changed"), "pair %zu: %s", pair, result.out);
        cr_expect(strstr(result.out, "finalize.allocated"), "pair %zu: memory is compared: %s", pair, result.out);
        cr_expect_eq(result.exit_code, pair == 0 ? 1 : 0, "pair %zu: the fatter table regresses only as results: %s",
                     pair, result.out);
        command_result_free(&result);
    }
}

Test(check, a_changed_layout_is_skipped_where_no_memory_is_judged)
{
    const synthetic before = {"alpha", 1.0, 1.0, NULL, NULL, 0, 1.0, 3},
                    after = {"alpha", 1.15, 1.0, NULL, NULL, 0, 1.0, 4};
    const synthetic *baseline[] = {&before, NULL}, *results[] = {&after, NULL};
    command_result result = check_verbose(baseline, results, "--tolerance", "memory=off");
    cr_expect_eq(result.exit_code, 0, "%s", result.out);
    cr_expect(strstr(result.out, "skipped    layout changed (from 3 to 4): memory is not judged"), "%s", result.out);
    cr_expect(!strstr(result.out, "CHANGED"), "%s", result.out);
    command_result_free(&result);
}

static void expect_input_error(command_result *result, const char *needle, const char *second_needle)
{
    cr_expect_eq(result->exit_code, 2, "exit %d: %s", result->exit_code, result->err);
    cr_expect_eq(count_lines(result->err), 1, "stderr is not one line: '%s'", result->err);
    cr_expect(strstr(result->err, needle), "'%s' does not name '%s'", result->err, needle);
    if (second_needle)
        cr_expect(strstr(result->err, second_needle), "'%s' does not name '%s'", result->err, second_needle);
    command_result_free(result);
}

Test(check, bad_input_exits_2_naming_the_file)
{
    const synthetic foreign = {"alpha", 1.0, 1.0, "other.run/9", NULL, 0, 1.0, 0};
    const synthetic *good[] = {&lean, NULL}, *bad_schema[] = {&foreign, NULL};
    command_result result = check_files(good, bad_schema, NULL, NULL);
    expect_input_error(&result, "line 1", "schema");

    char *baseline = synthetic_file(good), *not_json = mgt_temp_file("{\"schema\":\n", 11);
    const char *missing_args[] = {"check", "--baseline", "/nonexistent/base.jsonl", "--results", baseline, NULL};
    result = memgrams(missing_args, NULL);
    expect_input_error(&result, "/nonexistent/base.jsonl", "No such file");
    const char *json_args[] = {"check", "--baseline", baseline, "--results", not_json, NULL};
    result = memgrams(json_args, NULL);
    expect_input_error(&result, not_json, "not JSON");
    const char *tolerance_args[] = {"check", "--baseline", baseline, "--results", baseline, "--tolerance", "rss=lots",
                                    NULL};
    result = memgrams(tolerance_args, NULL);
    expect_input_error(&result, "rss", NULL);
    const char *no_results[] = {"check", "--baseline", baseline, NULL};
    result = memgrams(no_results, NULL);
    expect_input_error(&result, "--results", NULL);
    mgt_temp_remove(baseline);
    mgt_temp_remove(not_json);
}

/* The JUnit XML of a check that fails (exit 1), as text in xml. */
static const char *failing_junit(const synthetic *const *baseline, const synthetic *const *results, mgt_buffer *xml)
{
    char *folder = temp_folder(), junit[4200];
    snprintf(junit, sizeof junit, "%s/junit.xml", folder);
    command_result result = check_files(baseline, results, "--junit", junit);
    cr_expect_eq(result.exit_code, 1, "%s", result.err);
    command_result_free(&result);
    cr_assert_eq(mgt_read_file(junit, xml), 0, "no %s", junit);
    mgt_buffer_append_byte(xml, 0);
    remove_folder(folder);
    return (const char *)xml->bytes;
}

Test(check, junit_is_well_formed_and_counts_the_failures)
{
    const synthetic fat = {"alpha", 1.15, 1.0, NULL, NULL, 0, 1.0, 0};
    const synthetic *baseline[] = {&lean, &lean_beta, NULL}, *results[] = {&fat, NULL};
    mgt_buffer xml = {0};
    const char *text = failing_junit(baseline, results, &xml);
    static const char opening[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites ";
    cr_expect_eq(strncmp(text, opening, sizeof opening - 1), 0, "%s", text);
    int testcases = occurrences(text, "<testcase "), failures = occurrences(text, "<failure ");
    cr_expect_eq(testcases, occurrences(text, "</testcase>"), "every testcase is closed");
    cr_expect_eq(occurrences(text, "<testsuite "), 1);
    cr_expect_eq(occurrences(text, "</testsuite>"), 1);
    cr_expect(strstr(text, "</testsuites>\n") && text[strlen(text) - 1] == '\n', "ends with </testsuites>");
    char attribute[64];
    snprintf(attribute, sizeof attribute, "tests=\"%d\" failures=\"%d\"", testcases, failures);
    cr_expect(strstr(text, attribute), "the counts %s match the cases: %.300s", attribute, text);
    cr_expect(failures >= 3, "requested, allocated and the missing beta fail: %d", failures);
    cr_expect(strstr(text, "name=\"cell\"><failure type=\"missing\""), "the missing cell is a failure");
    cr_expect_eq(occurrences(text, "<"), occurrences(text, ">"), "no stray angle brackets");
    mgt_buffer_free(&xml);
}

Test(check, junit_names_a_changed_layout_as_a_failure)
{
    const synthetic before = {"alpha", 1.0, 1.0, NULL, NULL, 0, 1.0, 1},
                    after = {"alpha", 1.0, 1.0, NULL, NULL, 0, 1.0, 2};
    const synthetic *baseline[] = {&before, NULL}, *results[] = {&after, NULL};
    mgt_buffer xml = {0};
    const char *text = failing_junit(baseline, results, &xml);
    cr_expect(strstr(text, "name=\"layout\"><failure type=\"CHANGED\" message=\"layout changed (from 1 to 2): memory "
                           "not compared; the baseline needs rewriting (make baseline)\"/>"), "%s", text);
    cr_expect(strstr(text, "failures=\"1\""), "the changed layout is the one failure: %s", text);
    mgt_buffer_free(&xml);
}

/* ---- real runs: --repeat and determinism ------------------------------------------------ */

static char *zipf_corpus(void)
{
    return mgt_zipf_file(5, 4000, 2000);
}

Test(repeat, keeps_every_round_and_the_median)
{
    char *corpus = zipf_corpus();
    const char *args[] = {"run", "--backend", "interned_hash", "--corpus", corpus, "--repeat", "5", NULL};
    command_result result = memgrams(args, NULL);
    cr_assert_eq(result.exit_code, 0, "%s", result.err);
    json_t *run = run_json(&result);
    json_t *samples = json_object_get(run, "speed_samples");
    cr_expect_eq(json_integer_value(json_object_get(samples, "rounds")), 5);
    json_t *hits = json_object_get(samples, "lookup_hit_ns");
    cr_assert_eq(json_array_size(hits), 5);
    double values[5];
    for (size_t round = 0; round < 5; round++)
        values[round] = json_number_value(json_array_get(hits, round));
    double median = json_number_value(json_object_get(json_object_get(run, "speed"), "lookup_hit_ns"));
    cr_expect_eq(median, mg_median_sort(values, 5), "speed holds the median of the rounds");
    json_decref(run);
    command_result_free(&result);
    const char *too_many[] = {"run", "--backend", "interned_hash", "--corpus", corpus, "--repeat", "65", NULL};
    result = memgrams(too_many, NULL);
    cr_expect_eq(result.exit_code, 2, "%s", result.err);
    command_result_free(&result);
    mgt_temp_remove(corpus);
}

Test(determinism, two_runs_of_a_cell_request_and_allocate_the_same_bytes, .timeout = 120)
{
    char *corpus = zipf_corpus();
    for (const mg_backend *const *backend = mg_backends; *backend; backend++) {
        json_t *runs[2];
        for (int attempt = 0; attempt < 2; attempt++) {
            const char *args[] = {"run", "--backend", (*backend)->name, "--corpus", corpus, NULL};
            command_result result = memgrams(args, NULL);
            cr_assert_eq(result.exit_code, 0, "%s: %s", (*backend)->name, result.err);
            runs[attempt] = run_json(&result);
            command_result_free(&result);
        }
        /* A wrapped library may allocate in the timed queries (SQLite: a
         * statement's cursors), as many times as the clock lets them run;
         * the blocks jemalloc's thread cache keeps from them are not counted
         * as allocated, so both layers are exact. */
        for (int phase = 0; phase < 6; phase++)
            for (int layer = 0; layer < 2; layer++) {
                const char *name = layer ? "allocated" : "requested";
                double first = phase_layer(runs[0], phase_names[phase], name);
                double second = phase_layer(runs[1], phase_names[phase], name);
                cr_expect(first >= 0 && first == second, "%s %s.%s: %.0f then %.0f", (*backend)->name,
                          phase_names[phase], name, first, second);
            }
        json_decref(runs[0]);
        json_decref(runs[1]);
    }
    mgt_temp_remove(corpus);
}
