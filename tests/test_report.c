/*
 * test_report.c — what `memgrams report` writes, the run's timeline, and the
 * Python peers against the C harness. Every corpus is made here: no test
 * needs a fetched one.
 */
#include "chart_data.h"
#include "process.h"
#include "results.h"
#include "run_fields.h"
#include "support.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A Zipf-like text of a few thousand lines: big enough for a timeline's doublings. */
static char *zipf_corpus(size_t lines)
{
    return mgt_zipf_file(7, lines, 3000);
}

/* What `memgrams run` of backend prints for a Zipf-like corpus of `lines` lines. */
static json_t *zipf_run(const char *backend, size_t lines)
{
    char *corpus = zipf_corpus(lines);
    const char *args[] = {"run", "--backend", backend, "--corpus", corpus, NULL};
    command_result result = memgrams(args, NULL);
    cr_assert_eq(result.exit_code, 0, "run %s: %s", backend, result.err);
    json_t *run = run_json(&result);
    cr_assert(run, "run %s printed no JSON object", backend);
    command_result_free(&result);
    mgt_temp_remove(corpus);
    return run;
}

static json_t *load_json_lines(const char *path, size_t *count)
{
    mgt_buffer text = {0};
    cr_assert_eq(mgt_read_file(path, &text), 0, "cannot read %s", path);
    mgt_buffer_append_byte(&text, 0);
    json_t *lines = json_array();
    for (char *line = strtok((char *)text.bytes, "\n"); line; line = strtok(NULL, "\n")) {
        json_t *object = json_loads(line, 0, NULL);
        cr_assert(json_is_object(object), "not a JSON object: %.200s", line);
        json_array_append_new(lines, object);
    }
    mgt_buffer_free(&text);
    *count = json_array_size(lines);
    return lines;
}

static long file_size(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat info;
    return stat(path, &info) == 0 ? (long)info.st_size : -1;
}

static void expect_chart(const char *dir, const char *name)
{
    static const char *const kinds[] = {"svg", "png"};
    for (int kind = 0; kind < 2; kind++) {
        char file[512];
        snprintf(file, sizeof file, "charts/%s.%s", name, kinds[kind]);
        cr_expect(file_size(dir, file) > 1000, "%s is missing or nearly empty (%ld bytes)", file, file_size(dir, file));
        snprintf(file, sizeof file, "charts/%s.%s.tmp", name, kinds[kind]);
        cr_expect(file_size(dir, file) < 0, "%s was left behind", file);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/charts/%s.png", dir, name);
    mgt_buffer png = {0};
    if (mgt_read_file(path, &png) == 0)
        cr_expect(png.len > 8 && memcmp(png.bytes, "\x89PNG", 4) == 0, "%s is not a PNG", path);
    mgt_buffer_free(&png);
}

/* The fields of one CSV line (no field of the tests' holds a comma), in place. */
static int csv_fields(char *line, char **fields, int capacity)
{
    int count = 0;
    for (char *at = line; count < capacity; at++) {
        fields[count++] = at;
        at = strchr(at, ',');
        if (!at)
            break;
        *at = '\0';
    }
    return count;
}

static int csv_column(char **names, int count, const char *name)
{
    for (int index = 0; index < count; index++)
        if (strcmp(names[index], name) == 0)
            return index;
    return -1;
}

/* summary.csv ends with peak_final_ratio, and each row's is its peak RSS per n-gram over its
 * final one (to the CSV's decimals), empty where either is unknown or the final is not positive. */
static void expect_peak_final_column(char *csv)
{
    char *names[64], *row[64];
    char *line = strtok(csv, "\n");
    cr_assert(line);
    int columns = csv_fields(line, names, 64);
    cr_assert_str_eq(names[columns - 1], "peak_final_ratio", "summary.csv's last column is %s", names[columns - 1]);
    int peak_at = csv_column(names, columns, "peak_rss_per_ngram");
    int rss_at = csv_column(names, columns, "rss_per_ngram");
    cr_assert(peak_at >= 0 && rss_at >= 0, "summary.csv has no peak_rss_per_ngram or rss_per_ngram");
    int rows = 0, ratios = 0;
    while ((line = strtok(NULL, "\n"))) {
        cr_assert_eq(csv_fields(line, row, 64), columns, "a row of summary.csv is not %d fields", columns);
        rows++;
        const char *ratio = row[columns - 1];
        double peak = *row[peak_at] ? atof(row[peak_at]) : NAN, rss = *row[rss_at] ? atof(row[rss_at]) : NAN;
        if (!*ratio) {
            cr_expect(isnan(peak) || isnan(rss) || rss <= 0.005, "no ratio for peak %g over rss %g", peak, rss);
            continue;
        }
        ratios++;
        double value = atof(ratio);
        cr_expect(rss > 0 && fabs(value * rss - peak) <= 1e-3 * rss + 1e-2 * value + 1e-2,
                  "peak_final_ratio %s for peak %g over rss %g", ratio, peak, rss);
        cr_expect(value >= 1 - 1e-3, "the peak %s under the final RSS", ratio);
    }
    cr_expect(rows > 0 && ratios > 0, "summary.csv has %d rows, %d with a ratio", rows, ratios);
}

/* A layer's growth from baseline to finalize (bytes), as the report computes it, from the run itself. */
static double layer_growth(json_t *run, const char *layer)
{
    double base = 0, done = 0;
    size_t index;
    json_t *phase;
    json_array_foreach(json_object_get(run, "phases"), index, phase) {
        const char *name = json_string_value(json_object_get(phase, "name"));
        if (strcmp(name, "baseline") == 0)
            base = json_number_value(json_object_get(phase, layer));
        if (strcmp(name, "finalize") == 0)
            done = json_number_value(json_object_get(phase, layer));
    }
    return done - base;
}

/* The run of backend with tokens among runs, or NULL. */
static json_t *run_of(json_t *runs, const char *backend, double tokens)
{
    size_t index;
    json_t *run;
    json_array_foreach(runs, index, run)
        if (strcmp(json_string_value(json_object_get(run, "backend")), backend) == 0 &&
            json_number_value(json_object_get(run, "tokens")) == tokens)
            return run;
    return NULL;
}

/* The run with the most tokens: the size every backend of a sweep reached, which the breakdown shows. */
static json_t *run_of_largest(json_t *runs)
{
    size_t index;
    json_t *run, *largest = NULL;
    json_array_foreach(runs, index, run)
        if (!largest || json_number_value(json_object_get(run, "tokens")) >
                            json_number_value(json_object_get(largest, "tokens")))
            largest = run;
    return largest;
}

static int close_to(double value, double expected)
{
    return fabs(value - expected) <= 1e-3 * fabs(expected) + 1e-4;
}

/* DIR/charts/NAME.dat as a string. */
static mgt_buffer chart_data(const char *dir, const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/charts/%s.dat", dir, name);
    mgt_buffer data = {0};
    cr_assert_eq(mgt_read_file(path, &data), 0, "cannot read %s", path);
    mgt_buffer_append_byte(&data, 0);
    return data;
}

/* memory-vs-size.dat: per backend block, each point's final RSS, allocated and requested growth from
 * its run, its training peak not under its final RSS, and the two ratios of the lower panel (a ratio
 * "nan" where its denominator is under 1% of RSS). */
static void expect_memory_vs_size_data(const char *dir, json_t *runs, int points_expected)
{
    mgt_buffer data = chart_data(dir, "memory-vs-size");
    int points = 0;
    char backend[64] = "";
    for (char *line = strtok((char *)data.bytes, "\n"); line; line = strtok(NULL, "\n")) {
        if (sscanf(line, "# %63s", backend) == 1)
            continue;
        double tokens, rss, allocated, peak, requested, over_allocated, over_requested;
        int synthetic, read = sscanf(line, "%lf %lf %lf %d %lf %lf %lf %lf", &tokens, &rss, &allocated, &synthetic,
                                     &peak, &requested, &over_allocated, &over_requested);
        cr_assert_eq(read, 8, "not the 8 columns of a point: %s", line);
        cr_expect(peak >= rss && peak > 0, "the peak under the final RSS: %s", line);
        json_t *run = run_of(runs, backend, tokens);
        cr_assert(run, "no run of %s at %.0f tokens", backend, tokens);
        cr_expect(close_to(rss, layer_growth(run, "rss")) && close_to(allocated, layer_growth(run, "allocated")) &&
                  close_to(requested, layer_growth(run, "requested")), "%s: not the run's layers: %s", backend, line);
        if (allocated >= 0.01 * rss)
            cr_expect(close_to(over_allocated, rss / allocated), "%s: RSS / allocated: %s", backend, line);
        else
            cr_expect(isnan(over_allocated), "%s: a ratio over allocated near 0: %s", backend, line);
        if (requested >= 0.01 * rss)
            cr_expect(close_to(over_requested, allocated / requested), "%s: allocated / requested: %s", backend, line);
        else
            cr_expect(isnan(over_requested), "%s: a ratio over requested near 0: %s", backend, line);
        points++;
    }
    cr_expect_eq(points, points_expected, "memory-vs-size.dat has %d points", points);
    mgt_buffer_free(&data);
}

/* bytes-breakdown.dat: one row per backend, a quoted name, sorted by RSS per n-gram, which is the
 * run's own. */
static void expect_breakdown_rows(const char *dir, json_t *runs, double tokens, int rows_expected)
{
    mgt_buffer data = chart_data(dir, "bytes-breakdown");
    int rows = 0;
    double previous = 0;
    for (char *line = strtok((char *)data.bytes, "\n"); line; line = strtok(NULL, "\n")) {
        char backend[64];
        double layers[5], rss;
        int read = sscanf(line, "\"%63[^\"]\" %lf %lf %lf %lf %lf %lf", backend, &layers[0], &layers[1], &layers[2],
                          &layers[3], &layers[4], &rss);
        cr_assert_eq(read, 7, "not a quoted name, 5 layers and RSS: %s", line);
        json_t *run = run_of(runs, backend, tokens);
        cr_assert(run, "no run of %s at %.0f tokens", backend, tokens);
        double ngrams = (double)json_integer_value(json_object_get(run, "ngrams"));
        cr_expect(fabs(rss - layer_growth(run, "rss") / ngrams) < 2e-3, "%s: not its RSS per n-gram: %s", backend, line);
        cr_expect(rss >= previous, "not sorted by RSS: %s after %.3f", line, previous);
        cr_expect(fabs(layers[0] - layer_growth(run, "requested") / ngrams) < 2e-3, "%s: requested: %s", backend, line);
        previous = rss;
        rows++;
    }
    cr_expect_eq(rows, rows_expected, "bytes-breakdown.dat has %d rows", rows);
    mgt_buffer_free(&data);
}

Test(report, a_small_sweep_gives_the_csv_the_markdown_and_every_chart, .timeout = 120)
{
    char *corpus = zipf_corpus(4000), *out = temp_folder();
    const char *sweep_args[] = {"sweep", "--backends", "interned_hash,trie", "--corpora", corpus,
                                "--fractions", "1/4,1/2,1", "--out", out, NULL};
    command_result sweep = memgrams(sweep_args, NULL);
    cr_assert_eq(sweep.exit_code, 0, "sweep exited %d: %s", sweep.exit_code, sweep.err);
    command_result_free(&sweep);

    /* a floor line for the whole corpus: the report must take it in */
    char floor_path[4200], floor_line[4600];
    snprintf(floor_path, sizeof floor_path, "%s/floor.jsonl", out);
    snprintf(floor_line, sizeof floor_line,
             "{\"schema\":\"memgrams.floor/1\",\"corpus\":\"%s\",\"fraction\":1,\"order\":3,\"ngrams\":1000,"
             "\"vocab\":100,\"vocab_xz_bytes\":600,\"table_xz_bytes\":2400,\"bytes_per_ngram\":3.0,"
             "\"compressor\":\"xz -9e\"}\n", corpus);
    FILE *floor_file = fopen(floor_path, "w");
    cr_assert(floor_file);
    fputs(floor_line, floor_file);
    fclose(floor_file);

    const char *report_args[] = {"report", out, NULL};
    command_result report = memgrams(report_args, NULL);
    cr_assert_eq(report.exit_code, 0, "report exited %d: %s", report.exit_code, report.err);
    cr_expect(strstr(report.out, "interned_hash") && strstr(report.out, "summary.md"), "stdout: %s", report.out);
    command_result_free(&report);

    cr_expect(file_size(out, "summary.csv") > 0 && file_size(out, "summary.md") > 0);
    char csv_path[4200];
    snprintf(csv_path, sizeof csv_path, "%s/summary.csv", out);
    mgt_buffer csv = {0};
    cr_assert_eq(mgt_read_file(csv_path, &csv), 0);
    int rows = 0;
    for (size_t index = 0; index < csv.len; index++)
        rows += csv.bytes[index] == '\n';
    cr_expect_eq(rows, 1 + 6, "summary.csv has %d lines, expected a header and 6 runs", rows);
    mgt_buffer_append_byte(&csv, 0);
    expect_peak_final_column((char *)csv.bytes);
    mgt_buffer_free(&csv);

    static const char *const charts[] = {"memory-vs-size", "bytes-breakdown", "pareto", "growth",
                                         "timeline-interned_hash", "timeline-trie"};
    for (size_t chart = 0; chart < sizeof charts / sizeof charts[0]; chart++)
        expect_chart(out, charts[chart]);
    cr_expect(file_size(out, "charts/memory-vs-size-floor.dat") > 0, "the floor was not charted");
    char results_path[4200];
    snprintf(results_path, sizeof results_path, "%s/results.jsonl", out);
    size_t run_count;
    json_t *runs = load_json_lines(results_path, &run_count);
    expect_memory_vs_size_data(out, runs, 6);
    expect_breakdown_rows(out, runs, json_number_value(json_object_get(run_of_largest(runs), "tokens")), 2);
    json_decref(runs);

    char md_path[4200];
    snprintf(md_path, sizeof md_path, "%s/summary.md", out);
    mgt_buffer md = {0};
    cr_assert_eq(mgt_read_file(md_path, &md), 0);
    mgt_buffer_append_byte(&md, 0);
    cr_expect(strstr((char *)md.bytes, "## Growth") && strstr((char *)md.bytes, "## Archival floor") &&
              strstr((char *)md.bytes, "xz -9e"), "summary.md lacks the growth or floor section");
    cr_expect(!strstr((char *)md.bytes, "## Library figures"), "library figures from runs that have none");
    cr_expect(strstr((char *)md.bytes, "| peak RSS | peak/final |"), "summary.md has no peak/final column");
    mgt_buffer_free(&md);
    remove_folder(out);
    mgt_temp_remove(corpus);
}

/* The figures a wrapped library keeps (sqlite_memory's), beside runs of a
 * backend that has none: a section of their own, the runs without left out. */
Test(report, library_figures_get_a_section_of_their_own, .timeout = 120)
{
    char *corpus = zipf_corpus(1500), *out = temp_folder();
    const char *sweep_args[] = {"sweep", "--backends", "sqlite_memory,naive_hash", "--corpora", corpus,
                                "--fractions", "1", "--out", out, NULL};
    command_result sweep = memgrams(sweep_args, NULL);
    cr_assert_eq(sweep.exit_code, 0, "sweep exited %d: %s", sweep.exit_code, sweep.err);
    command_result_free(&sweep);
    const char *report_args[] = {"report", out, NULL};
    command_result report = memgrams(report_args, NULL);
    cr_assert_eq(report.exit_code, 0, "report exited %d: %s", report.exit_code, report.err);
    command_result_free(&report);

    char md_path[4200];
    snprintf(md_path, sizeof md_path, "%s/summary.md", out);
    mgt_buffer md = {0};
    cr_assert_eq(mgt_read_file(md_path, &md), 0);
    mgt_buffer_append_byte(&md, 0);
    char *section = strstr((char *)md.bytes, "## Library figures");
    cr_assert(section, "summary.md has no library figures:\n%s", (char *)md.bytes);
    char *end = strstr(section + 1, "\n## ");
    if (end)
        *end = '\0';
    cr_expect(strstr(section, "| sqlite_memory |") && strstr(section, "| sqlite.memory_used |"), "%s", section);
    cr_expect(!strstr(section, "naive_hash"), "a backend without figures is listed: %s", section);
    mgt_buffer_free(&md);
    remove_folder(out);
    mgt_temp_remove(corpus);
}

/* Runs `memgrams sweep` with args (their --out being out) and loads out/results.jsonl. */
static json_t *sweep_and_load(const char **args, const char *out, size_t *count)
{
    command_result result = memgrams(args, NULL);
    cr_assert_eq(result.exit_code, 0, "sweep exited %d: %s", result.exit_code, result.err);
    command_result_free(&result);
    char path[4200];
    snprintf(path, sizeof path, "%s/results.jsonl", out);
    return load_json_lines(path, count);
}

/* RSS growth from baseline to finalize per n-gram, as the report computes it, from the run itself. */
static double rss_per_ngram(json_t *run)
{
    return layer_growth(run, "rss") / (double)json_integer_value(json_object_get(run, "ngrams"));
}

Test(report, backends_under_two_allocators_give_the_matrix_and_its_heat_map, .timeout = 120)
{
    char *corpus = zipf_corpus(2000), *out = temp_folder();
    const char *sweep_args[] = {"sweep", "--backends", "interned_hash,trie", "--corpora", corpus,
                                "--allocators", "jemalloc,glibc", "--out", out, NULL};
    size_t count;
    json_t *runs = sweep_and_load(sweep_args, out, &count);
    cr_assert_eq(count, 4);

    const char *report_args[] = {"report", out, NULL};
    command_result report = memgrams(report_args, NULL);
    cr_assert_eq(report.exit_code, 0, "report exited %d: %s", report.exit_code, report.err);
    cr_expect(strstr(report.out, "backend x allocator"), "no matrix on stdout: %s", report.out);
    command_result_free(&report);
    expect_chart(out, "allocators");

    char md_path[4200];
    snprintf(md_path, sizeof md_path, "%s/summary.md", out);
    mgt_buffer md = {0};
    cr_assert_eq(mgt_read_file(md_path, &md), 0);
    mgt_buffer_append_byte(&md, 0);
    const char *matrix = strstr((char *)md.bytes, "## Backend × allocator");
    cr_assert(matrix, "summary.md has no backend x allocator section");
    cr_expect(strstr(matrix, "| backend | jemalloc | glibc |"), "columns: %.300s", matrix);
    for (size_t index = 0; index < count; index++) {
        json_t *run = json_array_get(runs, index);
        if (strcmp(json_string_value(json_object_get(run, "backend")), "interned_hash") != 0)
            continue;
        char cell[64];
        snprintf(cell, sizeof cell, " %.1f (%.2f) |", rss_per_ngram(run),
                 json_number_value(json_object_get(json_object_get(run, "derived"), "fragmentation")));
        cr_expect(strstr(matrix, cell), "no cell '%s' for interned_hash under %s in: %.600s", cell,
                  json_string_value(json_object_get(run, "allocator")), matrix);
    }
    mgt_buffer_free(&md);

    char rows_path[4200];
    snprintf(rows_path, sizeof rows_path, "%s/charts/allocators-rows.dat", out);
    mgt_buffer rows = {0};
    cr_assert_eq(mgt_read_file(rows_path, &rows), 0);
    mgt_buffer_append_byte(&rows, 0);
    cr_expect_str_eq((char *)rows.bytes, "0 \"interned_hash\"\n1 \"trie\"\n");
    mgt_buffer_free(&rows);
    json_decref(runs);
    remove_folder(out);
    mgt_temp_remove(corpus);
}

/* One size and one allocator: no growth chart and no heat map, and those an earlier report drew are
 * removed, since summary.md and report.html list the charts that exist. */
Test(report, a_chart_not_drawn_leaves_no_file_of_an_earlier_report, .timeout = 120)
{
    char *corpus = zipf_corpus(2000), *out = temp_folder();
    const char *sweep_args[] = {"sweep", "--backends", "interned_hash,trie", "--corpora", corpus, "--out", out, NULL};
    size_t count;
    json_t *runs = sweep_and_load(sweep_args, out, &count);
    cr_assert_eq(count, 2);
    static const char *const stale[] = {"growth.svg", "growth.png", "growth.dat", "allocators.svg",
                                        "allocators.png", "allocators.dat", "allocators-rows.dat"};
    char path[4200];
    snprintf(path, sizeof path, "%s/charts", out);
    cr_assert(mkdir(path, 0777) == 0 || access(path, F_OK) == 0);
    for (size_t index = 0; index < sizeof stale / sizeof stale[0]; index++) {
        snprintf(path, sizeof path, "%s/charts/%s", out, stale[index]);
        cr_assert_eq(mgt_write_file(path, "from an earlier report"), 0);
    }

    const char *report_args[] = {"report", out, NULL};
    command_result report = memgrams(report_args, NULL);
    cr_assert_eq(report.exit_code, 0, "report exited %d: %s", report.exit_code, report.err);
    command_result_free(&report);
    for (size_t index = 0; index < sizeof stale / sizeof stale[0]; index++) {
        snprintf(path, sizeof path, "charts/%s", stale[index]);
        cr_expect(file_size(out, path) < 0, "%s is left from an earlier report", path);
    }
    expect_chart(out, "memory-vs-size");
    expect_chart(out, "bytes-breakdown");
    expect_breakdown_rows(out, runs, json_number_value(json_object_get(run_of_largest(runs), "tokens")), 2);

    snprintf(path, sizeof path, "%s/summary.md", out);
    mgt_buffer md = {0};
    cr_assert_eq(mgt_read_file(path, &md), 0);
    mgt_buffer_append_byte(&md, 0);
    cr_expect(!strstr((char *)md.bytes, "growth.svg") && !strstr((char *)md.bytes, "allocators.svg"),
              "summary.md links a chart not drawn: %s", (char *)md.bytes);
    mgt_buffer_free(&md);
    json_decref(runs);
    remove_folder(out);
    mgt_temp_remove(corpus);
}

Test(report, a_bad_results_line_is_an_input_error_and_leaves_no_files)
{
    char *out = temp_folder();
    char path[4200];
    snprintf(path, sizeof path, "%s/results.jsonl", out);
    cr_assert_eq(mgt_write_file(path, "{\"schema\":\"memgrams.run/1\"\nnot json\n"), 0);
    const char *args[] = {"report", out, NULL};
    command_result result = memgrams(args, NULL);
    cr_expect_eq(result.exit_code, 2, "exit %d (stderr %s)", result.exit_code, result.err);
    cr_expect_eq(count_lines(result.err), 1, "stderr: %s", result.err);
    cr_expect(file_size(out, "summary.csv") < 0 && file_size(out, "summary.md") < 0, "files written from bad input");
    command_result_free(&result);
    remove_folder(out);
}

/* A hand-written ok run of backend with extra fields (",\"name\":value" text, or ""). */
static void put_run_line(mgt_buffer *lines, const char *backend, const char *extra)
{
    mgt_buffer_appendf(lines, "{\"schema\":\"memgrams.run/1\",\"status\":\"ok\",\"backend\":\"%s\",\"corpus\":\"c\","
                       "\"fraction\":1,\"order\":3,\"allocator\":\"jemalloc\",\"tokens\":1000,\"ngrams\":500%s,"
                       "\"speed\":{\"lookup_hit_ns\":50},"
                       "\"phases\":[{\"name\":\"baseline\",\"allocated\":1000,\"rss\":100000},"
                       "{\"name\":\"finalize\",\"allocated\":21000,\"rss\":140000}]}\n", backend, extra);
}

/* A row measured in another process is marked, with one footnote per kind; a backend's row is not. */
Test(report, rows_of_other_processes_are_marked_with_a_footnote_per_kind, .timeout = 60)
{
    char *out = temp_folder(), path[4200];
    snprintf(path, sizeof path, "%s/results.jsonl", out);
    mgt_buffer lines = {0};
    put_run_line(&lines, "trie", "");
    put_run_line(&lines, "redis", ",\"measured_process\":\"redis-server\","
                                  "\"backend_settings\":\"hash-max-listpack-entries=1024\"");
    put_run_line(&lines, "python_dict", ",\"measured_process\":\"python3\"");
    put_run_line(&lines, "naive_hash", ",\"measured_process\":\"memgrams\"");
    mgt_buffer_append_byte(&lines, '\0');
    cr_assert_eq(mgt_write_file(path, (const char *)lines.bytes), 0);
    mgt_buffer_free(&lines);
    const char *args[] = {"report", out, NULL};
    command_result result = memgrams(args, NULL);
    cr_assert_eq(result.exit_code, 0, "%s", result.err);
    cr_expect(strstr(result.out, "\nredis:entries=1024 (server) "), "%s", result.out);
    cr_expect(strstr(result.out, "\npython_dict (python) "), "%s", result.out);
    cr_expect(strstr(result.out, "\ntrie ") && strstr(result.out, "\nnaive_hash "), "%s", result.out);
    cr_expect(!strstr(result.out, "trie (") && !strstr(result.out, "naive_hash ("), "a backend is marked: %s", result.out);
    cr_expect(strstr(result.out, "\n(server): ") && strstr(result.out, "empty server"), "%s", result.out);
    cr_expect(strstr(result.out, "\n(python): ") && strstr(result.out, "tracemalloc"), "%s", result.out);
    command_result_free(&result);
    snprintf(path, sizeof path, "%s/summary.md", out);
    mgt_buffer markdown = {0};
    cr_assert_eq(mgt_read_file(path, &markdown), 0);
    mgt_buffer_append_byte(&markdown, '\0');
    const char *text = (const char *)markdown.bytes;
    cr_expect(strstr(text, "| redis:hash-max-listpack-entries=1024 (server) | jemalloc |"), "%s", text);
    cr_expect(strstr(text, "| python_dict (python) | jemalloc |") && strstr(text, "| trie | jemalloc |"), "%s", text);
    cr_expect(strstr(text, "- (server): ") && strstr(text, "- (python): "), "%s", text);
    const char *note = strstr(text, "- (server): ");
    cr_expect(note && !strstr(note + 1, "- (server): "), "the server's note is there twice");
    mgt_buffer_free(&markdown);
    remove_folder(out);
}

/* Reads summary.csv (argv[1]) with Python's csv module: every row has the header's field count,
 * and the corpus column holds exactly the paths argv[2:] (in any order). */
static const char read_summary_csv[] =
    "import csv, sys\n"
    "with open(sys.argv[1], newline='') as file:\n"
    "    rows = list(csv.reader(file))\n"
    "header, body = rows[0], rows[1:]\n"
    "short = [row for row in body if len(row) != len(header)]\n"
    "corpora = sorted(row[header.index('corpus')] for row in body)\n"
    "if short or corpora != sorted(sys.argv[2:]):\n"
    "    sys.exit('%d of %d rows not of %d fields; corpus column %r, expected %r'\n"
    "             % (len(short), len(body), len(header), corpora, sorted(sys.argv[2:])))\n";

/* A corpus path holding a quote, a comma, spaces, CR or LF reads back from summary.csv intact. */
Test(report, summary_csv_gives_every_hostile_corpus_path_back_to_a_csv_reader, .timeout = 120)
{
    if (access("/usr/bin/python3", X_OK) != 0)
        cr_skip_test("python3 is not installed (scripts/install-deps installs it)");
    char *folder = temp_folder(), *out = temp_folder(), *corpus = zipf_corpus(300);
    static const char *const names[] = {"a \"quoted\", path.txt", " spaced, \"\" twice\".txt", "line\nbreak.txt",
                                        "cr\rreturn.txt"};
    enum { NAME_COUNT = sizeof names / sizeof names[0] };
    char paths[NAME_COUNT][4200], results_path[4200];
    mgt_buffer text = {0}, lines = {0};
    cr_assert_eq(mgt_read_file(corpus, &text), 0);
    mgt_buffer_append_byte(&text, 0);
    for (int index = 0; index < NAME_COUNT; index++) {
        snprintf(paths[index], sizeof paths[index], "%s/%s", folder, names[index]);
        cr_assert_eq(mgt_write_file(paths[index], (const char *)text.bytes), 0, "cannot write %s", paths[index]);
        const char *args[] = {"run", "--backend", "trie", "--corpus", paths[index], NULL};
        command_result run = memgrams(args, NULL);
        cr_assert_eq(run.exit_code, 0, "run on '%s': %s", names[index], run.err);
        mgt_buffer_append(&lines, run.out, run.out_length);
        command_result_free(&run);
    }
    mgt_buffer_append_byte(&lines, 0);
    snprintf(results_path, sizeof results_path, "%s/results.jsonl", out);
    cr_assert_eq(mgt_write_file(results_path, (const char *)lines.bytes), 0);
    const char *report_args[] = {"report", out, NULL};
    command_result report = memgrams(report_args, NULL);
    cr_assert_eq(report.exit_code, 0, "report: %s", report.err);
    command_result_free(&report);

    char csv_path[4300];
    snprintf(csv_path, sizeof csv_path, "%s/summary.csv", out);
    const char *python_args[] = {"-c", read_summary_csv, csv_path, paths[0], paths[1], paths[2], paths[3], NULL};
    command_result read = run_program("/usr/bin/python3", python_args, NULL);
    cr_expect_eq(read.exit_code, 0, "Python's csv reads summary.csv otherwise: %s", read.err);
    command_result_free(&read);
    mgt_buffer_free(&text);
    mgt_buffer_free(&lines);
    mgt_temp_remove(corpus);
    remove_folder(out);
    remove_folder(folder);
}

/* `memgrams report` of a folder whose results.jsonl holds one run line of
 * backend, extra_fields appended to its fields. */
static command_result report_of_one_run(const char *backend, const char *extra_fields)
{
    char *out = temp_folder(), path[4200];
    snprintf(path, sizeof path, "%s/results.jsonl", out);
    mgt_buffer lines = {0};
    put_run_line(&lines, backend, extra_fields);
    mgt_buffer_append_byte(&lines, '\0');
    cr_assert_eq(mgt_write_file(path, (const char *)lines.bytes), 0);
    mgt_buffer_free(&lines);
    const char *args[] = {"report", out, NULL};
    command_result result = memgrams(args, NULL);
    remove_folder(out);
    return result;
}

Test(report, a_report_of_backends_alone_has_no_marks_and_no_notes)
{
    command_result result = report_of_one_run("trie", "");
    cr_expect_eq(result.exit_code, 0, "%s", result.err);
    cr_expect(!strstr(result.out, "(server)") && !strstr(result.out, "(python)"), "%s", result.out);
    command_result_free(&result);
}

Test(report, bad_backend_settings_in_a_results_line_are_one_line_and_exit_2)
{
    command_result result =
        report_of_one_run("redis", ",\"backend_settings\":\"hash-max-listpack-entries=1;rm -rf /\"");
    cr_expect_eq(result.exit_code, 2, "exit %d (stderr %s)", result.exit_code, result.err);
    cr_expect_eq(count_lines(result.err), 1, "stderr: %s", result.err);
    cr_expect(strstr(result.err, "line 1: backend_settings"), "%s", result.err);
    command_result_free(&result);
}

/* Every phase sample splits rss by what backs it, and the split is read back
 * as layers; a run written before the split reads as unknown, not as 0. */
Test(results, rss_file_and_rss_shmem_are_read_back_and_older_runs_have_none)
{
    json_t *run = zipf_run("trie_mmap", 300);
    size_t index;
    json_t *phase;
    json_array_foreach(json_object_get(run, "phases"), index, phase) {
        double rss = json_number_value(json_object_get(phase, "rss"));
        double parts = json_number_value(json_object_get(phase, "rss_anon")) +
                       json_number_value(json_object_get(phase, "rss_file")) +
                       json_number_value(json_object_get(phase, "rss_shmem"));
        cr_expect(json_is_integer(json_object_get(phase, "rss_file")) && json_is_integer(json_object_get(phase, "rss_shmem")),
                  "phase %zu has no rss_file or rss_shmem", index);
        cr_expect(fabs(rss - parts) <= 64 * 1024, "phase %zu: rss %.0f, its parts %.0f", index, rss, parts);
    }
    cr_expect_gt(mg_run_layer_growth(run, "rss_file"), 0, "the image grew no file pages");
    cr_expect(isfinite(mg_run_layer_growth(run, "rss_shmem")));
    json_array_foreach(json_object_get(run, "phases"), index, phase) {
        json_object_del(phase, "rss_file");
        json_object_del(phase, "rss_shmem");
    }
    cr_expect(isnan(mg_run_layer_growth(run, "rss_file")) && isnan(mg_run_layer_growth(run, "rss_shmem")),
              "an older run's missing split reads as a number");
    cr_expect(isfinite(mg_run_layer_growth(run, "rss")));
    json_decref(run);
}

Test(timeline, training_samples_are_evenly_spaced_and_every_phase_ends_once)
{
    json_t *run = zipf_run("interned_hash", 3000);
    json_t *timeline = json_object_get(run, "timeline");
    cr_assert(json_is_array(timeline), "no timeline");
    double grams_added = json_number_value(json_object_get(run, "grams_added"));
    double last_grams = -1, last_seconds = -1, stride = 0, previous_sample = 0;
    int training = 0, ends = 0;
    size_t index;
    json_t *point;
    json_array_foreach(timeline, index, point) {
        double grams = json_number_value(json_object_get(point, "grams"));
        double seconds = json_number_value(json_object_get(point, "seconds"));
        cr_expect(grams >= last_grams && seconds >= last_seconds, "point %zu goes back", index);
        cr_expect(json_is_integer(json_object_get(point, "rss")) && json_is_integer(json_object_get(point, "allocated")));
        if (json_is_true(json_object_get(point, "end"))) {
            ends++;
        } else {
            if (training == 1)
                stride = grams - previous_sample;
            else if (training > 1)
                cr_expect_eq(grams - previous_sample, stride, "training samples are not evenly spaced");
            previous_sample = grams;
            training++;
        }
        last_grams = grams;
        last_seconds = seconds;
    }
    cr_expect_eq(ends, 6, "%d phase ends, expected 6", ends);
    cr_expect(training >= 64 && training < 128, "%d training samples, expected 64..127", training);
    cr_expect_eq(last_grams, grams_added);
    json_decref(run);
}

/* The data rows of DIR/charts/NAME (comments and blank lines left out), each a NUL-ended line in
 * rows; how many. */
static int chart_rows(const char *dir, const char *name, mgt_buffer *text, char **rows, int capacity)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/charts/%s", dir, name);
    cr_assert_eq(mgt_read_file(path, text), 0, "cannot read %s", path);
    mgt_buffer_append_byte(text, 0);
    int count = 0;
    for (char *line = strtok((char *)text->bytes, "\n"); line && count < capacity; line = strtok(NULL, "\n"))
        if (line[0] != '#')
            rows[count++] = line;
    return count;
}

/* Keeps the lines of DIR/results.jsonl but those of backend at fraction. */
static void drop_runs(const char *dir, const char *backend, double fraction)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/results.jsonl", dir);
    size_t count;
    json_t *lines = load_json_lines(path, &count), *run;
    FILE *file = fopen(path, "w");
    cr_assert(file);
    size_t index;
    json_array_foreach(lines, index, run) {
        if (strcmp(json_string_value(json_object_get(run, "backend")), backend) == 0 &&
            json_number_value(json_object_get(run, "fraction")) == fraction)
            continue;
        char *text = json_dumps(run, JSON_COMPACT);
        fprintf(file, "%s\n", text);
        free(text);
    }
    fclose(file);
    json_decref(lines);
}

/* The grams added of the last training row of timeline-BACKEND.dat, after checking that its first
 * row (the baseline) is 0 in every layer. */
static double timeline_grams(const char *dir, const char *backend)
{
    char name[256], *rows[512];
    mgt_buffer text = {0};
    snprintf(name, sizeof name, "timeline-%s.dat", backend);
    int count = chart_rows(dir, name, &text, rows, 512);
    cr_assert(count > 2, "%s has %d rows", name, count);
    double grams, seconds, requested, allocated, rss;
    cr_assert_eq(sscanf(rows[0], "%lf %lf %lf %lf %lf", &grams, &seconds, &requested, &allocated, &rss), 5, "%s", rows[0]);
    cr_expect(grams == 0 && requested == 0 && allocated == 0 && rss == 0, "%s does not start at 0: %s", name, rows[0]);
    cr_assert_eq(sscanf(rows[count - 1], "%lf", &grams), 1);
    mgt_buffer_free(&text);
    return grams;
}

static int by_value(const void *left, const void *right)
{
    double a = *(const double *)left, b = *(const double *)right;
    return (a > b) - (a < b);
}

/* pareto.dat's row of backend has the median, least and most of every lookup-hit round of its runs. */
static void expect_pareto_row(const char *dir, json_t *runs, const char *backend, double fraction)
{
    double rounds[256];
    size_t count = 0, run_count = 0, index, at;
    json_t *run, *round;
    json_array_foreach(runs, index, run) {
        if (strcmp(json_string_value(json_object_get(run, "backend")), backend) != 0 ||
            json_number_value(json_object_get(run, "fraction")) != fraction)
            continue;
        run_count++;
        json_array_foreach(mg_run_speed_samples(run, "lookup_hit_ns"), at, round)
            if (count < 256)
                rounds[count++] = json_number_value(round);
    }
    cr_assert(count >= 2 * 3, "%zu rounds of %s, expected 3 in each of 2 runs", count, backend);
    qsort(rounds, count, sizeof *rounds, by_value);
    double median = count % 2 ? rounds[count / 2] : (rounds[count / 2 - 1] + rounds[count / 2]) / 2;
    char *rows[64], quoted[64];
    mgt_buffer text = {0};
    int rows_count = chart_rows(dir, "pareto.dat", &text, rows, 64), found = 0;
    snprintf(quoted, sizeof quoted, "\"%s\" ", backend);
    for (int row = 0; row < rows_count; row++) {
        if (strncmp(rows[row], quoted, strlen(quoted)) != 0)
            continue;
        double bytes[3], ns[3], label_x, label_y;
        int align;
        size_t row_rounds, row_runs;
        cr_assert_eq(sscanf(rows[row] + strlen(quoted), "%lf %lf %lf %lf %lf %lf %lf %lf %d %zu %zu", &bytes[0], &bytes[1],
                            &bytes[2], &ns[0], &ns[1], &ns[2], &label_x, &label_y, &align, &row_rounds, &row_runs), 11,
                     "%s", rows[row]);
        cr_expect(fabs(ns[0] - median) < 1e-3 && fabs(ns[1] - rounds[0]) < 1e-3 && fabs(ns[2] - rounds[count - 1]) < 1e-3,
                  "%s: median %.3f, least %.3f, most %.3f of the rounds; pareto.dat has %s", backend, median, rounds[0],
                  rounds[count - 1], rows[row]);
        cr_expect(bytes[1] <= bytes[0] && bytes[0] <= bytes[2] && bytes[1] > 0, "%s", rows[row]);
        cr_expect(row_rounds == count && row_runs == run_count, "%s: %zu rounds in %zu runs", rows[row], count, run_count);
        found++;
    }
    cr_expect_eq(found, 1, "pareto.dat has %d rows of %s", found, backend);
    mgt_buffer_free(&text);
}

/* Two backends run twice at two sizes, trie's larger runs dropped: the common size is the smaller,
 * and every timeline shows it, over its baseline; pareto pools both runs' rounds. */
Test(charts, timelines_show_one_cell_over_the_baseline_and_pareto_the_range_of_every_round, .timeout = 240)
{
    char *corpus = zipf_corpus(2000), *out = temp_folder();
    const char *args[] = {"sweep", "--backends", "naive_hash,trie", "--corpora", corpus, "--fractions", "1/2,1",
                          "--processes", "2", "--repeat", "3", "--out", out, NULL};
    size_t count;
    json_decref(sweep_and_load(args, out, &count));
    cr_assert_eq(count, 8, "%zu runs, expected 8", count);
    drop_runs(out, "trie", 1);
    char path[4200];
    snprintf(path, sizeof path, "%s/results.jsonl", out);
    json_t *runs = load_json_lines(path, &count);
    const char *report_args[] = {"report", out, NULL};
    command_result report = memgrams(report_args, NULL);
    cr_assert_eq(report.exit_code, 0, "report exited %d: %s", report.exit_code, report.err);
    command_result_free(&report);

    double half_grams = NAN;
    size_t index;
    json_t *run;
    json_array_foreach(runs, index, run)
        if (json_number_value(json_object_get(run, "fraction")) == 0.5)
            half_grams = json_number_value(json_object_get(run, "grams_added"));
    cr_expect_eq(timeline_grams(out, "naive_hash"), half_grams, "naive_hash's timeline is not of the common size");
    cr_expect_eq(timeline_grams(out, "trie"), half_grams, "trie's timeline is not of the common size");
    expect_chart(out, "timelines");
    char *rows[1024];
    mgt_buffer text = {0};
    int rows_count = chart_rows(out, "timelines-phases.dat", &text, rows, 1024);
    cr_expect_eq(rows_count, 2 * 6, "timelines-phases.dat has %d rows, expected 6 phase ends of 2 backends", rows_count);
    mgt_buffer_free(&text);
    expect_pareto_row(out, runs, "naive_hash", 0.5);
    expect_pareto_row(out, runs, "trie", 0.5);
    json_decref(runs);
    remove_folder(out);
    mgt_temp_remove(corpus);
}

/* A label's box holds no other point and crosses no segment, where a side is free of them. */
static void expect_labels_clear(const mg_chart_label *labels, int count, double (*segments)[4], int segment_count)
{
    for (int index = 0; index < count; index++) {
        double box[4];
        mg_label_box(&labels[index], box);
        for (int other = 0; other < count; other++)
            cr_expect(!(labels[other].x >= box[0] && labels[other].x <= box[2] && labels[other].y >= box[1] &&
                        labels[other].y <= box[3]), "label %d (side %d) covers point %d", index, labels[index].side, other);
        for (int segment = 0; segment < segment_count; segment++) {
            const double *ends = segments[segment];
            int meets = fmin(ends[0], ends[2]) <= box[2] && box[0] <= fmax(ends[0], ends[2]) &&
                        fmin(ends[1], ends[3]) <= box[3] && box[1] <= fmax(ends[1], ends[3]);
            cr_expect(!meets, "label %d (side %d) crosses segment %d", index, labels[index].side, segment);
        }
    }
}

/* A point hemmed in by points right, above and left, and by a frontier step below: its label
 * takes a diagonal; the others find free sides. */
Test(charts, labels_keep_off_other_points_and_the_frontier)
{
    mg_chart_label labels[] = {
        {0.5, 0.5, mg_label_width("packed_arrays"), MG_LABEL_RIGHT},
        {0.56, 0.5, mg_label_width("trie"), MG_LABEL_RIGHT},
        {0.5, 0.56, mg_label_width("naive_hash"), MG_LABEL_RIGHT},
        {0.38, 0.5, mg_label_width("std_map"), MG_LABEL_RIGHT},
    };
    double segments[][4] = {{0.5, 0.5, 0.5, 0.3}};
    int count = sizeof labels / sizeof labels[0];
    mg_place_labels(labels, count, segments, 1);
    cr_expect(labels[0].side >= MG_LABEL_ABOVE_RIGHT, "the hemmed-in label went to side %d", labels[0].side);
    expect_labels_clear(labels, count, segments, 1);
}

/* Bytes the contract splits on, bytes it keeps, uppercase, a last line without \n. */
static const char hostile_text[] =
    "The CAT sat\ton\vthe\fmat\r\n"
    "\n"
    "   \t \n"
    "\xc3\x89t\xc3\xa9 \xc3\xa9T\xc3\xa9 ABC abc aBc\n"
    "nul\0byte nul\0byte x\x1cy x\x85y x\xa0y\n"
    "the cat sat on the log the cat sat\n"
    "<s> </s> ^ $ the end";

/* The peer's run is ok and counts what the harness's run counted. */
static void expect_peer_counts(json_t *c_run, json_t *peer_run, size_t order)
{
    static const char *const fields[] = {"sentences", "tokens", "vocab", "grams_added", "ngrams", "contexts",
                                         "ngrams_after_prune"};
    cr_assert_str_eq(json_string_value(json_object_get(peer_run, "backend")), "python_dict");
    cr_expect_str_eq(json_string_value(json_object_get(peer_run, "status")), "ok");
    cr_expect_str_eq(json_string_value(json_object_get(peer_run, "schema")), "memgrams.run/1");
    for (size_t field = 0; field < sizeof fields / sizeof fields[0]; field++) {
        json_int_t expected = json_integer_value(json_object_get(c_run, fields[field]));
        json_int_t got = json_integer_value(json_object_get(peer_run, fields[field]));
        cr_expect_eq(got, expected, "order %zu: %s is %lld in python_dict, %lld in the harness", order, fields[field],
                     (long long)got, (long long)expected);
    }
}

Test(peer, python_dict_counts_equal_the_harness_counts, .timeout = 120)
{
    char *corpus = mgt_temp_file(hostile_text, sizeof hostile_text - 1), *out = temp_folder();
    const char *args[] = {"sweep", "--backends", "naive_hash,python_dict", "--corpora", corpus, "--orders", "1,2,3",
                          "--allocators", "glibc", "--out", out, NULL};
    size_t count;
    json_t *runs = sweep_and_load(args, out, &count);
    cr_assert_eq(count, 6, "%zu runs, expected 6", count);
    for (size_t order = 0; order < 3; order++) {
        json_t *peer_run = json_array_get(runs, 3 + order);
        expect_peer_counts(json_array_get(runs, order), peer_run, order + 1);
        cr_expect(json_array_size(json_object_get(peer_run, "timeline")) >= 6, "the peer has no timeline");
    }
    json_decref(runs);
    remove_folder(out);
    mgt_temp_remove(corpus);
}

/* A word longer than 65535 bytes (its length takes more than two bytes) and a count above 255
 * (more than one byte), beside NUL bytes and a prefix pair. */
static void long_word_corpus(mgt_buffer *out)
{
    for (int repeat = 0; repeat < 300; repeat++)
        mgt_buffer_append_str(out, "x ");
    mgt_buffer_append_str(out, "\nab a ");
    mgt_buffer_append_repeat(out, 'W', 70000);
    mgt_buffer_append(out, " n\0l a\n", 7);
}

/* The trie run of the same corpus and order as peer_run in runs. */
static json_t *trie_run_of(json_t *runs, json_t *peer_run)
{
    size_t index;
    json_t *run;
    json_array_foreach(runs, index, run) {
        if (strcmp(json_string_value(json_object_get(run, "backend")), "trie") == 0 &&
            json_equal(json_object_get(run, "corpus"), json_object_get(peer_run, "corpus")) &&
            json_equal(json_object_get(run, "order"), json_object_get(peer_run, "order")))
            return run;
    }
    return NULL;
}

/* Every peer's run records the checksum trie's run of the same cell records: the harness's digest,
 * from the peer's own table (a digest of other bytes, or of the grams in another form, differs). */
Test(peer, every_peer_records_the_checksum_of_trie, .timeout = 300)
{
    mgt_buffer long_word = {0};
    long_word_corpus(&long_word);
    char *hostile = mgt_temp_file(hostile_text, sizeof hostile_text - 1);
    char *long_corpus = mgt_temp_file(long_word.bytes, long_word.len), *out = temp_folder();
    char corpora[8300];
    snprintf(corpora, sizeof corpora, "%s,%s", hostile, long_corpus);
    const char *args[] = {"sweep", "--backends", "trie,python_dict,python_interned,python_lists", "--corpora", corpora,
                          "--orders", "1,2,3,4,5", "--allocators", "glibc", "--out", out, NULL};
    size_t count, peer_runs = 0;
    json_t *runs = sweep_and_load(args, out, &count);
    cr_assert_eq(count, 40, "%zu runs, expected 40", count);
    size_t index;
    json_t *run;
    json_array_foreach(runs, index, run) {
        const char *backend = json_string_value(json_object_get(run, "backend"));
        if (strcmp(backend, "trie") == 0)
            continue;
        json_t *trie = trie_run_of(runs, run);
        cr_assert(trie, "no trie run beside %s's run %zu", backend, index);
        const char *want = json_string_value(json_object_get(trie, "checksum"));
        const char *got = json_string_value(json_object_get(run, "checksum"));
        cr_assert(want && strlen(want) == 16 && strcmp(want, "0000000000000000") != 0, "trie's checksum: %s", want);
        cr_expect(got && strcmp(got, want) == 0, "%s, order %lld, corpus %s: checksum %s, trie's %s", backend,
                  (long long)json_integer_value(json_object_get(run, "order")),
                  json_string_value(json_object_get(run, "corpus")), got ? got : "(not a string)", want);
        peer_runs++;
    }
    cr_expect_eq(peer_runs, 30, "%zu peer runs, expected 30", peer_runs);
    json_decref(runs);
    remove_folder(out);
    mgt_temp_remove(long_corpus);
    mgt_temp_remove(hostile);
    mgt_buffer_free(&long_word);
}

/* Each phase's parts are named by the rule and sum to its `allocated` exactly; the by-part figures
 * sum to bytes_per_ngram_allocated; a peer has no per-part peak. The parts named, at finalize. */
static void expect_peer_parts(json_t *run, const char *const *grown, size_t grown_count)
{
    const char *backend = json_string_value(json_object_get(run, "backend"));
    json_int_t order = json_integer_value(json_object_get(run, "order"));
    json_t *phases = json_object_get(run, "phases"), *phase, *value, *finalize = NULL, *baseline = NULL;
    size_t index;
    const char *name;
    cr_assert_eq(json_array_size(phases), 6, "%s order %lld: %zu phases", backend, (long long)order, json_array_size(phases));
    json_array_foreach(phases, index, phase) {
        const char *phase_name = json_string_value(json_object_get(phase, "name"));
        json_t *parts = json_object_get(phase, "parts");
        cr_assert(json_is_object(parts), "%s order %lld, %s: no parts", backend, (long long)order, phase_name);
        cr_expect(!json_object_get(phase, "parts_peak"), "%s: a parts_peak a peer cannot know", backend);
        const char *bad_name;
        long long sum = parts_sum(parts, &bad_name);
        cr_expect(!bad_name, "%s: part name '%s'", backend, bad_name);
        cr_expect_eq(sum, json_integer_value(json_object_get(phase, "allocated")), "%s order %lld, %s: parts sum to %lld, allocated %lld",
                     backend, (long long)order, phase_name, sum, (long long)json_integer_value(json_object_get(phase, "allocated")));
        if (strcmp(phase_name, "baseline") == 0)
            baseline = parts;
        if (strcmp(phase_name, "finalize") == 0)
            finalize = parts;
    }
    cr_assert(baseline && finalize);
    for (size_t part = 0; part < grown_count; part++)
        cr_expect(json_integer_value(json_object_get(finalize, grown[part])) > json_integer_value(json_object_get(baseline, grown[part])),
                  "%s order %lld: part %s did not grow in training", backend, (long long)order, grown[part]);
    json_t *derived = json_object_get(run, "derived");
    double by_parts = 0;
    json_object_foreach(json_object_get(derived, "bytes_per_ngram_by_part"), name, value)
        by_parts += json_number_value(value);
    double allocated = json_number_value(json_object_get(derived, "bytes_per_ngram_allocated"));
    cr_expect(fabs(by_parts - allocated) <= 1e-6 * allocated, "%s: by part %g, allocated %g per n-gram", backend, by_parts, allocated);
    cr_expect(json_is_null(json_object_get(derived, "training_peak_part")), "%s: a training peak part a peer cannot know", backend);
}

Test(peer, every_peer_splits_allocated_into_parts_that_report_reads, .timeout = 300)
{
    char *corpus = mgt_temp_file(hostile_text, sizeof hostile_text - 1), *out = temp_folder();
    const char *args[] = {"sweep", "--backends", "python_dict,python_interned,python_lists", "--corpora", corpus,
                          "--orders", "1,3", "--allocators", "glibc", "--out", out, NULL};
    /* the parts each run grows: at order 1 the one context is the empty tuple, which Python shares */
    static const char *const dict_parts[] = {"contexts.index", "successors.dicts", "vocab.words", "contexts.tuples"};
    static const char *const interned_parts[] = {"table", "vocab.index", "vocab.words", "contexts.index",
                                                 "successors.dicts", "contexts.tuples"};
    static const char *const lists_parts[] = {"table", "successors.lists", "counts.lists", "contexts.index",
                                              "vocab.words", "contexts.tuples"};
    size_t count;
    json_t *runs = sweep_and_load(args, out, &count);
    cr_assert_eq(count, 6, "%zu runs, expected 6", count);
    for (size_t order = 0; order < 2; order++) {
        expect_peer_parts(json_array_get(runs, order), dict_parts, 3 + order);
        expect_peer_parts(json_array_get(runs, 2 + order), interned_parts, 5 + order);
        expect_peer_parts(json_array_get(runs, 4 + order), lists_parts, 5 + order);
    }
    json_decref(runs);
    const char *report_args[] = {"report", out, NULL};
    command_result result = memgrams(report_args, NULL);
    cr_expect_eq(result.exit_code, 0, "report of the peers' parts exited %d: %s", result.exit_code, result.err);
    cr_expect(strstr(result.out, "python_lists (python) "), "%s", result.out);
    command_result_free(&result);
    remove_folder(out);
    mgt_temp_remove(corpus);
}

Test(peer, python_dict_reads_a_synth_spec_through_a_file_of_the_sweep, .timeout = 120)
{
    char *out = temp_folder();
    const char *args[] = {"sweep", "--backends", "naive_hash,python_dict", "--corpora", "synth:tokens=3000,seed=5",
                          "--fractions", "1/2", "--orders", "2", "--allocators", "glibc", "--out", out, NULL};
    command_result result = memgrams(args, NULL);
    cr_assert_eq(result.exit_code, 0, "sweep exited %d: %s", result.exit_code, result.err);
    command_result_free(&result);
    char path[4200];
    snprintf(path, sizeof path, "%s/corpora/synth-tokens3000-seed5.txt", out);
    cr_expect_eq(access(path, R_OK), 0, "the synthetic text is not in %s", path);
    snprintf(path, sizeof path, "%s/results.jsonl", out);
    size_t count;
    json_t *runs = load_json_lines(path, &count);
    cr_assert_eq(count, 2, "%zu runs, expected 2", count);
    expect_peer_counts(json_array_get(runs, 0), json_array_get(runs, 1), 2);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(runs, 1), "corpus")), "synth:tokens=3000,seed=5");
    json_decref(runs);
    remove_folder(out);
}

/* ---- parts (docs/parts.md) ---- */

/* A part of a hand-made run: its bytes at finalize and the estimate's share of its bytes per n-gram. */
typedef struct made_part {
    const char *name;
    double bytes, estimate_share;
} made_part;

/* An ok run of backend at fraction, tokens and n-grams, whose parts hold bytes (other holds 0),
 * each estimated at estimate_share of what it holds, the first part the largest in training. */
static json_t *parts_run(const char *backend, double fraction, double tokens, double ngrams, const made_part *parts,
                         size_t count)
{
    json_t *base = json_pack("{s:i}", "other", 0), *held = json_pack("{s:i}", "other", 0);
    json_t *measured = json_pack("{s:f}", "other", 0.0), *estimated = json_pack("{s:f}", "other", 0.0);
    double requested = 0;
    for (size_t index = 0; index < count; index++) {
        json_object_set_new(base, parts[index].name, json_integer(0));
        json_object_set_new(held, parts[index].name, json_integer((json_int_t)parts[index].bytes));
        json_object_set_new(measured, parts[index].name, json_real(parts[index].bytes / ngrams));
        json_object_set_new(estimated, parts[index].name,
                            json_real(parts[index].estimate_share * parts[index].bytes / ngrams));
        requested += parts[index].bytes;
    }
    json_int_t held_bytes = (json_int_t)requested;
    json_t *phases = json_pack("[{s:s, s:i, s:i, s:i, s:O, s:O}, {s:s, s:I, s:I, s:I, s:O, s:O}, {s:s, s:I, s:I, s:I, s:O, s:O}]",
        "name", "baseline", "requested", 0, "allocated", 1000, "rss", 100000, "parts", base, "parts_peak", base,
        "name", "train", "requested", held_bytes, "allocated", 1000 + held_bytes, "rss", 100000 + 2 * held_bytes,
        "parts", held, "parts_peak", held,
        "name", "finalize", "requested", held_bytes, "allocated", 1000 + held_bytes, "rss", 100000 + 2 * held_bytes,
        "parts", held, "parts_peak", held);
    json_t *derived = json_pack("{s:f, s:o, s:o, s:s, s:I}", "bytes_per_ngram_requested", requested / ngrams,
        "bytes_per_ngram_by_part", measured, "estimated_bytes_per_ngram_by_part", estimated,
        "training_peak_part", parts[0].name, "training_peak_part_bytes", (json_int_t)parts[0].bytes);
    json_t *run = json_pack("{s:s, s:s, s:s, s:s, s:f, s:i, s:s, s:I, s:I, s:o, s:o}", "schema", "memgrams.run/1",
        "status", "ok", "backend", backend, "corpus", "c", "fraction", fraction, "order", 3, "allocator", "jemalloc",
        "tokens", (json_int_t)tokens, "ngrams", (json_int_t)ngrams, "phases", phases, "derived", derived);
    json_decref(base);
    json_decref(held);
    return run;
}

/* Writes the runs as out/results.jsonl and reports it. */
static command_result report_of_runs(const char *out, json_t **runs, size_t count)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/results.jsonl", out);
    mgt_buffer lines = {0};
    for (size_t index = 0; index < count; index++) {
        char *line = json_dumps(runs[index], JSON_COMPACT | JSON_PRESERVE_ORDER);
        mgt_buffer_appendf(&lines, "%s\n", line);
        free(line);
        json_decref(runs[index]);
    }
    mgt_buffer_append_byte(&lines, 0);
    cr_assert_eq(mgt_write_file(path, (const char *)lines.bytes), 0);
    mgt_buffer_free(&lines);
    const char *args[] = {"report", out, NULL};
    return memgrams(args, NULL);
}

static char *read_text(const char *dir, const char *name, mgt_buffer *text)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    *text = (mgt_buffer){0};
    cr_assert_eq(mgt_read_file(path, text), 0, "cannot read %s", path);
    mgt_buffer_append_byte(text, 0);
    return (char *)text->bytes;
}

/* Two backends at three sizes spanning 4x, one part of hash growing faster than the corpus. */
static size_t sized_parts_runs(json_t **runs)
{
    size_t count = 0;
    for (int size = 0; size < 3; size++) {
        double scale = 1 << (size == 0 ? 0 : size == 1 ? 1 : 2), ngrams = 500 * scale;
        made_part trie[] = {{"level.2.ids", 1000 * scale, 1}, {"counts", 500 * scale, 1}, {"vocab.words", 300 * scale, 1},
                            {"table", 64, 1}};
        made_part hash[] = {{"grams", 8000 * scale, 1}, {"vocab.index", 600 * scale * scale, 1},
                            {"vocab.words", 300 * scale, 1}};
        runs[count++] = parts_run("trie", 0.25 * scale, 1000 * scale, ngrams, trie, 4);
        runs[count++] = parts_run("interned_hash", 0.25 * scale, 1000 * scale, ngrams, hash, 3);
    }
    return count;
}

Test(parts, the_chart_stacks_every_part_and_the_growth_chart_fits_each, .timeout = 120)
{
    char *out = temp_folder();
    json_t *runs[6];
    command_result result = report_of_runs(out, runs, sized_parts_runs(runs));
    cr_assert_eq(result.exit_code, 0, "report: %s", result.err);
    expect_chart(out, "parts");
    expect_chart(out, "parts-growth");
    mgt_buffer key, rows, segments, growth;
    char *key_text = read_text(out, "charts/parts-key.dat", &key), *rows_text = read_text(out, "charts/parts-rows.dat", &rows);
    char *segments_text = read_text(out, "charts/parts.dat", &segments);
    static const char *const names[] = {"\"level.2.ids\"", "\"counts\"", "\"vocab.words\"", "\"table\"", "\"grams\"",
                                        "\"vocab.index\""};
    for (size_t index = 0; index < sizeof names / sizeof names[0]; index++)
        cr_expect(strstr(key_text, names[index]), "the key lacks %s:\n%s", names[index], key_text);
    cr_expect(strstr(rows_text, "0 \"trie\" 3.63") && strstr(rows_text, "1 \"interned_hash\""),
              "the bars are not by bytes, the smaller first:\n%s", rows_text);
    cr_expect(strstr(segments_text, "\"level.2.ids 2.0\""), "the largest part of trie is not labelled:\n%s", segments_text);
    /* a part keeps one colour on every bar: vocab.words, the third part of both, the largest first */
    unsigned colours[2][8] = {{0}};
    int segments_of[2] = {0, 0};
    for (char *line = strtok(segments_text, "\n"); line; line = strtok(NULL, "\n")) {
        int row;
        double from, to;
        unsigned colour;
        if (sscanf(line, "%d %lf %lf %u", &row, &from, &to, &colour) == 4 && row >= 0 && row < 2 && segments_of[row] < 8)
            colours[row][segments_of[row]++] = colour;
    }
    cr_expect(segments_of[0] == 4 && segments_of[1] == 3, "segments: %d and %d", segments_of[0], segments_of[1]);
    cr_expect_eq(colours[0][2], colours[1][2], "vocab.words: %06x and %06x", colours[0][2], colours[1][2]);
    cr_expect_neq(colours[0][0], colours[0][1], "two parts of one bar share a colour");
    char *growth_text = read_text(out, "charts/parts-growth.dat", &growth);
    cr_expect(strstr(growth_text, "\"vocab.index  b = 2.00\"") && strstr(growth_text, "\"grams  b = 1.00\""),
              "the exponents:\n%s", growth_text);
    cr_expect(!strstr(growth_text, "table"), "a fixed part under 1%% is fitted:\n%s", growth_text);
    mgt_buffer_free(&key);
    mgt_buffer_free(&rows);
    mgt_buffer_free(&segments);
    mgt_buffer_free(&growth);
    command_result_free(&result);
    remove_folder(out);
}

Test(parts, an_estimate_off_by_20_percent_is_flagged_and_one_off_by_5_is_not, .timeout = 60)
{
    char *out = temp_folder();
    made_part parts[] = {{"grams", 10000, 1.2}, {"counts", 5000, 0.95}, {"vocab.words", 2000, 1}, {"table", 10, 3}};
    json_t *runs[] = {parts_run("interned_hash", 1, 1000, 500, parts, 4)};
    command_result result = report_of_runs(out, runs, 1);
    cr_assert_eq(result.exit_code, 0, "report: %s", result.err);
    cr_expect(strstr(result.err, "interned_hash's part grams on c whole, order 3 is estimated at 24.000 bytes per "
                                 "n-gram but holds 20.000 (+20%): its formula is off"), "stderr: %s", result.err);
    cr_expect(!strstr(result.err, "part counts") && !strstr(result.err, "part table"), "stderr: %s", result.err);
    mgt_buffer md, csv;
    char *md_text = read_text(out, "summary.md", &md);
    cr_expect(strstr(md_text, "| interned_hash | c whole, order 3 | grams | 20.000 | 24.000 | 1.20 | 10,000 | **off** |"),
              "%s", md_text);
    cr_expect(strstr(md_text, "| counts | 10.000 | 9.500 | 0.95 | 5,000 | ok |"), "%s", md_text);
    cr_expect(strstr(md_text, "| table | 0.020 | 0.060 | 3.00 | 10 | small |"), "a tiny miss is flagged: %s", md_text);
    /* parts.csv read back: one row per part, the verdict last */
    char *csv_text = read_text(out, "parts.csv", &csv), *names[32], *row[32], *line = strtok(csv_text, "\n");
    int columns = csv_fields(line, names, 32), part = csv_column(names, columns, "part"),
        bytes = csv_column(names, columns, "bytes"), verdict = csv_column(names, columns, "verdict");
    cr_assert(part >= 0 && bytes >= 0 && verdict == columns - 1, "header");
    const char *expected[][3] = {{"\"grams\"", "10000", "off"}, {"\"counts\"", "5000", "ok"},
                                 {"\"vocab.words\"", "2000", "ok"}, {"\"table\"", "10", "small"}, {"\"other\"", "0", "ok"}};
    size_t rows = 0;
    while ((line = strtok(NULL, "\n")) && rows < 5) {
        cr_expect_eq(csv_fields(line, row, 32), columns);
        cr_expect_str_eq(row[part], expected[rows][0]);
        cr_expect_str_eq(row[bytes], expected[rows][1]);
        cr_expect_str_eq(row[verdict], expected[rows][2]);
        rows++;
    }
    cr_expect_eq(rows, 5, "parts.csv has %zu rows", rows);
    mgt_buffer_free(&md);
    mgt_buffer_free(&csv);
    command_result_free(&result);
    remove_folder(out);
}

Test(parts, the_terminal_table_shows_each_subjects_three_largest_parts, .timeout = 60)
{
    char *out = temp_folder();
    json_t *runs[6];
    command_result result = report_of_runs(out, runs, sized_parts_runs(runs));
    cr_assert_eq(result.exit_code, 0, "report: %s", result.err);
    cr_expect(strstr(result.out, "\ntrie (c, 2,000 n-grams): level.2.ids 2.0, counts 1.0, vocab.words 0.60\n"),
              "%s", result.out);
    cr_expect(strstr(result.out, "\ninterned_hash (c, 2,000 n-grams): grams 16.0, vocab.index 4.8, vocab.words 0.60\n"),
              "%s", result.out);
    const char *block = strstr(result.out, "\nlargest parts");
    cr_assert(block, "%s", result.out);
    for (const char *line = block + 1; *line && strncmp(line, "report:", 7) != 0; line += strcspn(line, "\n") + 1)
        cr_expect(strcspn(line, "\n") <= 120, "a line over 120 columns: %.*s", (int)strcspn(line, "\n"), line);
    command_result_free(&result);
    remove_folder(out);
}

Test(parts, runs_without_parts_get_no_chart_no_table_and_no_flag, .timeout = 60)
{
    char *out = temp_folder(), path[4200];
    snprintf(path, sizeof path, "%s/charts", out);
    cr_assert_eq(mkdir(path, 0777), 0);
    snprintf(path, sizeof path, "%s/charts/parts.svg", out);
    cr_assert_eq(mgt_write_file(path, "from an earlier report"), 0);
    snprintf(path, sizeof path, "%s/results.jsonl", out);
    mgt_buffer lines = {0};
    put_run_line(&lines, "trie", "");
    mgt_buffer_append_byte(&lines, 0);
    cr_assert_eq(mgt_write_file(path, (const char *)lines.bytes), 0);
    mgt_buffer_free(&lines);
    const char *args[] = {"report", out, NULL};
    command_result result = memgrams(args, NULL);
    cr_assert_eq(result.exit_code, 0, "report: %s", result.err);
    cr_expect(file_size(out, "charts/parts.svg") < 0 && file_size(out, "charts/parts-growth.svg") < 0,
              "a parts chart without parts");
    cr_expect(!strstr(result.out, "largest parts") && !strstr(result.err, "formula"), "%s%s", result.out, result.err);
    mgt_buffer csv, md;
    cr_expect_eq(count_lines(read_text(out, "parts.csv", &csv)), 1, "parts.csv holds more than its header");
    cr_expect(!strstr(read_text(out, "summary.md", &md), "## Parts"), "summary.md has a parts table");
    mgt_buffer_free(&csv);
    mgt_buffer_free(&md);
    command_result_free(&result);
    remove_folder(out);
}
