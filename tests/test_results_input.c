/*
 * test_results_input.c — results files as an attacker or an unlucky user
 * hands them to `report` and `check`: names and paths that would be program
 * text for gnuplot, names that would be paths, planted symlinks, cut-short
 * and blank lines, figures that are not figures, per-cell files of a job
 * runner. Every case makes its own small sweep; no fetched corpus.
 */
#include "process.h"
#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Two runs of naive_hash on a small synthetic corpus into dir/results.jsonl. */
static void small_sweep(const char *dir)
{
    const char *args[] = {"sweep", "--backends", "naive_hash", "--corpora", "synth:tokens=3000", "--fractions",
                          "1/2,1", "--out", dir, NULL};
    command_result result = memgrams(args, NULL);
    cr_assert_eq(result.exit_code, 0, "sweep exited %d: %s", result.exit_code, result.err);
    command_result_free(&result);
}

static char *results_text(const char *dir)
{
    char path[4200];
    mgt_buffer text = {0};
    snprintf(path, sizeof path, "%s/results.jsonl", dir);
    cr_assert_eq(mgt_read_file(path, &text), 0, "cannot read %s", path);
    mgt_buffer_append_byte(&text, 0);
    return (char *)text.bytes;
}

/* Every run line of dir/results.jsonl with field set to value (a JSON value's text). */
static void set_field(const char *dir, const char *field, const char *value)
{
    char *text = results_text(dir), path[4200];
    mgt_buffer out = {0};
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        json_t *run = json_loads(line, 0, NULL), *replacement = json_loads(value, JSON_DECODE_ANY, NULL);
        cr_assert(run && replacement, "bad line or value: %s", value);
        json_object_set_new(run, field, replacement);
        char *dumped = json_dumps(run, JSON_COMPACT);
        mgt_buffer_appendf(&out, "%s\n", dumped);
        free(dumped);
        json_decref(run);
    }
    snprintf(path, sizeof path, "%s/results.jsonl", dir);
    mgt_buffer_append_byte(&out, 0);
    cr_assert_eq(mgt_write_file(path, (char *)out.bytes), 0);
    mgt_buffer_free(&out);
    free(text);
}

static void append_text(const char *dir, const char *name, const char *text)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *file = fopen(path, "a");
    cr_assert(file, "cannot open %s", path);
    fputs(text, file);
    cr_assert_eq(fclose(file), 0);
}

static int exists(const char *path)
{
    struct stat info;
    return lstat(path, &info) == 0;
}

static command_result report_of(const char *dir)
{
    const char *args[] = {"report", dir, NULL};
    return memgrams(args, NULL);
}

static command_result check_of(const char *baseline, const char *results)
{
    const char *args[] = {"check", "--baseline", baseline, "--results", results, NULL};
    return memgrams(args, NULL);
}

static void expect_input_error(command_result *result, const char *needle)
{
    cr_expect_eq(result->exit_code, 2, "exit %d, not 2; stderr: %s", result->exit_code, result->err);
    cr_expect(strstr(result->err, needle), "stderr does not name '%s': %s", needle, result->err);
    cr_expect_eq(count_lines(result->err), 1, "not one line: %s", result->err);
    command_result_free(result);
}

/* A canary path under base, and gnuplot payloads that would create it. */
static void payloads(const char *canary, char single[512], char dquoted[512])
{
    snprintf(single, 512, "x';system('touch %s');y='", canary);
    snprintf(dquoted, 512, "x\";system(\"touch %s\");y=\"", canary);
}

Test(injection, a_corpus_name_holding_gnuplot_code_stays_a_title)
{
    char *dir = temp_folder(), canary[4200], single[512], dquoted[512], value[1200];
    snprintf(canary, sizeof canary, "%s/PWNED", dir);
    payloads(canary, single, dquoted);
    small_sweep(dir);
    json_t *text = json_string(single);
    char *quoted = json_dumps(text, JSON_ENCODE_ANY);
    snprintf(value, sizeof value, "%s", quoted);
    set_field(dir, "corpus", value);
    command_result result = report_of(dir);
    cr_expect_eq(result.exit_code, 0, "report exited %d: %s", result.exit_code, result.err);
    cr_expect(!exists(canary), "gnuplot ran a command from a corpus name");
    command_result_free(&result);
    free(quoted);
    json_decref(text);
    remove_folder(dir);
}

Test(injection, a_results_folder_named_with_gnuplot_and_shell_code_is_only_a_path)
{
    char *base = temp_folder(), single[512], dquoted[512];
    cr_assert_eq(chdir(base), 0); /* the payloads touch a file in the working folder */
    payloads("PWNED", single, dquoted);
    /* a '|' or '<' first would be one of gnuplot's pipes if the path reached it as given */
    const char *folders[] = {single, dquoted, "|touch PWNED", "<touch PWNED", "a b\nc"};
    for (size_t index = 0; index < sizeof folders / sizeof folders[0]; index++) {
        cr_assert_eq(mkdir(folders[index], 0700), 0, "cannot make %s", folders[index]);
        small_sweep(folders[index]);
        command_result result = report_of(folders[index]);
        cr_expect_eq(result.exit_code, 0, "report of '%s' exited %d: %s", folders[index], result.exit_code, result.err);
        command_result_free(&result);
        cr_expect(!exists("PWNED"), "a command ran from the folder's name '%s'", folders[index]);
    }
    remove_folder(base);
}

Test(injection, a_backend_name_that_is_not_a_name_is_refused_before_anything_is_written)
{
    char *dir = temp_folder(), canary[4200], single[512], dquoted[512], value[1200];
    snprintf(canary, sizeof canary, "%s/PWNED", dir);
    payloads(canary, single, dquoted);
    const char *names[] = {single, dquoted, "x/../../../ESCAPED", "..", "-rf", "a b", ""};
    char *template_dir = temp_folder(), *text;
    small_sweep(template_dir);
    text = results_text(template_dir);
    remove_folder(template_dir);
    for (size_t index = 0; index < sizeof names / sizeof names[0]; index++) {
        append_text(dir, "results.jsonl", text);
        json_t *text = json_string(names[index]);
        char *quoted = json_dumps(text, JSON_ENCODE_ANY);
        snprintf(value, sizeof value, "%s", quoted);
        set_field(dir, "backend", value);
        command_result result = report_of(dir);
        expect_input_error(&result, "backend is not a name");
        result = check_of(dir, dir);
        expect_input_error(&result, "backend is not a name");
        free(quoted);
        json_decref(text);
        char path[4200];
        snprintf(path, sizeof path, "%s/results.jsonl", dir);
        remove(path);
    }
    char escaped[4200], charts[4200];
    snprintf(escaped, sizeof escaped, "%s/../ESCAPED.dat", dir);
    snprintf(charts, sizeof charts, "%s/charts", dir);
    cr_expect(!exists(canary), "a backend name ran a command");
    cr_expect(!exists(escaped), "a backend name wrote outside the folder");
    cr_expect(!exists(charts), "charts/ was made for a refused file");
    free(text);
    remove_folder(dir);
}

Test(symlinks, report_never_writes_through_a_planted_symlink)
{
    char *dir = temp_folder(), *victim_dir = temp_folder(), victim[4200], link_path[4200], charts[4200];
    small_sweep(dir);
    snprintf(victim, sizeof victim, "%s/victim", victim_dir);
    cr_assert_eq(mgt_write_file(victim, "precious\n"), 0);
    snprintf(charts, sizeof charts, "%s/charts", dir);
    cr_assert_eq(mkdir(charts, 0777), 0);
    /* fixed temporary names a careless writer would open, and the final names */
    const char *planted[] = {"summary.csv.tmp", "summary.md.tmp", "charts/memory-vs-size.dat.tmp",
                             "charts/memory-vs-size.svg.tmp", "charts/pareto.png.tmp",
                             "charts/timeline-naive_hash.dat.tmp", "charts/growth.dat"};
    for (size_t index = 0; index < sizeof planted / sizeof planted[0]; index++) {
        snprintf(link_path, sizeof link_path, "%s/%s", dir, planted[index]);
        cr_assert_eq(symlink(victim, link_path), 0, "cannot plant %s", link_path);
    }
    command_result result = report_of(dir);
    cr_expect_eq(result.exit_code, 0, "report exited %d: %s", result.exit_code, result.err);
    command_result_free(&result);
    mgt_buffer text = {0};
    cr_assert_eq(mgt_read_file(victim, &text), 0);
    cr_expect(text.len == 9 && memcmp(text.bytes, "precious\n", 9) == 0, "the symlink's target was written");
    mgt_buffer_free(&text);

    /* charts/ itself a symlink out of the folder: refused */
    char *other = temp_folder();
    remove_folder(strdup(charts));
    cr_assert_eq(symlink(other, charts), 0);
    result = report_of(dir);
    cr_expect_eq(result.exit_code, 1, "report exited %d: %s", result.exit_code, result.err);
    cr_expect(strstr(result.err, "not a folder"), "%s", result.err);
    command_result_free(&result);
    char outside[4200];
    snprintf(outside, sizeof outside, "%s/memory-vs-size.dat", other);
    cr_expect(!exists(outside), "report wrote through a charts/ symlink");
    remove_folder(other);
    remove_folder(victim_dir);
    remove_folder(dir);
}

Test(lines, report_and_check_agree_on_blank_and_cut_short_lines)
{
    char *dir = temp_folder();
    small_sweep(dir);
    append_text(dir, "results.jsonl", "\n   \n\t\r\n");
    command_result result = report_of(dir);
    cr_expect_eq(result.exit_code, 0, "report refused blank lines: %s", result.err);
    command_result_free(&result);
    result = check_of(dir, dir);
    cr_expect_eq(result.exit_code, 0, "check refused blank lines: %s", result.err);
    command_result_free(&result);

    append_text(dir, "results.jsonl", "{\"schema\":\"memgrams.run/1\",\"status\":\"ok\",\"backe");
    result = report_of(dir);
    expect_input_error(&result, "line 6: cut short");
    result = check_of(dir, dir);
    expect_input_error(&result, "line 6: cut short");
    remove_folder(dir);
}

Test(figures, a_figure_that_is_no_figure_is_an_input_error_naming_the_line)
{
    const char *cases[][3] = {
        {"phases", "[]", "baseline and finalize"},
        {"phases", "5", "phases is not an array"},
        {"phases", "[{\"name\":\"baseline\",\"rss\":1000},{\"name\":\"finalize\",\"rss\":-1e308}]", "figure"},
        {"phases", "[{\"name\":\"baseline\",\"rss\":1000},{\"name\":\"finalize\",\"rss\":\"big\"}]", "figure"},
        {"tokens", "\"abc\"", "count"},
        {"ngrams", "-5", "count"},
        {"speed", "{\"lookup_hit_ns\":-1}", "speed"},
        {"order", "\"3\"", "order"},
        {"order", "9", "order"},
        {"fraction", "0", "fraction"},
        {"status", "\"fine\"", "status"},
    };
    char *good = temp_folder(), *text;
    small_sweep(good);
    text = results_text(good);
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        char *dir = temp_folder();
        append_text(dir, "results.jsonl", text);
        set_field(dir, cases[index][0], cases[index][1]);
        command_result result = report_of(dir);
        expect_input_error(&result, "line 1");
        result = report_of(dir);
        expect_input_error(&result, cases[index][2]);
        result = check_of(good, dir);
        expect_input_error(&result, cases[index][2]);
        remove_folder(dir);
    }
    free(text);
    remove_folder(good);
}

Test(cells, report_and_check_read_a_job_runners_per_cell_files)
{
    char *dir = temp_folder(), *cells_dir = temp_folder(), cells[4200], path[4300];
    small_sweep(dir);
    snprintf(cells, sizeof cells, "%s/cells", cells_dir);
    cr_assert_eq(mkdir(cells, 0777), 0);
    char *text = results_text(dir);
    int file = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        snprintf(path, sizeof path, "%s/cell-%d.jsonl", cells, file++);
        char whole[65536];
        snprintf(whole, sizeof whole, "%s\n", line);
        cr_assert_eq(mgt_write_file(path, whole), 0);
    }
    free(text);
    snprintf(path, sizeof path, "%s/.cell-partial.jsonl.XXXXXX", cells); /* a writer's temporary: not read */
    cr_assert_eq(mgt_write_file(path, "{\"half"), 0);
    command_result result = report_of(cells_dir);
    cr_expect_eq(result.exit_code, 0, "report exited %d: %s", result.exit_code, result.err);
    cr_expect_eq(count_lines(result.out) >= 4, 1, "%s", result.out);
    command_result_free(&result);
    result = check_of(dir, cells_dir);
    cr_expect_eq(result.exit_code, 0, "check exited %d: %s%s", result.exit_code, result.out, result.err);
    cr_expect(strstr(result.out, "0 REGRESSED"), "%s", result.out);
    command_result_free(&result);
    remove_folder(dir);
    remove_folder(cells_dir);
}

Test(writes, check_says_when_its_junit_or_output_cannot_be_written)
{
    char *dir = temp_folder();
    small_sweep(dir);
    const char *args[] = {"check", "--baseline", dir, "--results", dir, "--junit", "/nonexistent/junit.xml", NULL};
    command_result result = memgrams(args, NULL);
    cr_expect_eq(result.exit_code, 1, "exit %d: %s", result.exit_code, result.err);
    cr_expect(strstr(result.err, "/nonexistent/junit.xml"), "%s", result.err);
    command_result_free(&result);
    remove_folder(dir);
}
