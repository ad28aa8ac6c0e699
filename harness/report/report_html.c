/* report_html.c — see report_html.h. */
#include "report_html.h"
#include "chart_list.h"
#include "growth_fit.h"
#include "html_text.h"
#include "message.h"
#include "parts_files.h"
#include "report_files.h"
#include "results.h"
#include "run_fields.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The page asks for nothing outside itself (the policy makes the browser refuse any request a
 * chart could still spell), and lays out in one column up to a comfortable width, two columns
 * of charts on a wide screen; a table wider than the screen scrolls in its own box. */
static const char page_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
    "img-src data:\">\n<title>memgrams report</title>\n<style>\n"
    "body{margin:0;background:#f6f6f4;color:#1b1b1b;font:16px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,"
    "'DejaVu Sans',sans-serif}\n"
    "main{max-width:1180px;margin:0 auto;padding:.75rem 1rem 3rem}\n"
    "h1{font-size:1.6rem;margin:.5rem 0}\nh2{font-size:1.3rem;margin:2rem 0 .5rem;border-bottom:1px solid #ccc}\n"
    "nav ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;padding:0;list-style:none}\n"
    "figure{margin:0 0 1rem;padding:.5rem;background:#fff;border:1px solid #ddd;border-radius:4px}\n"
    "figcaption{font-weight:600;margin-bottom:.25rem}\nfigure svg{display:block;width:100%;height:auto}\n"
    ".files{font-size:.85rem;margin:.25rem 0 0}\n"
    ".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%}\n"
    "table{border-collapse:collapse;font-size:.875rem;background:#fff;border:1px solid #ddd}\n"
    "th,td{padding:.3rem .55rem;border-bottom:1px solid #e6e6e6;text-align:left;vertical-align:top}\n"
    "thead th{background:#f0f0ec;position:sticky;top:0}\n"
    ".n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    ".path{min-width:8rem;max-width:20rem;overflow-wrap:anywhere}\n"
    ".bad{color:#a1001c;font-weight:600}\n.aside{color:#666}\n"
    "@media (max-width:600px){main{padding:.5rem .5rem 2rem}figure{padding:.25rem}}\n"
    "@media (min-width:1700px){main{max-width:1800px}.charts{display:grid;grid-template-columns:1fr 1fr;gap:0 1rem}}\n"
    "</style>\n</head>\n<body>\n<main>\n";

/* ---- cells ---- */

static void put_text_cell(FILE *page, const char *class_name, const char *text)
{
    if (class_name)
        fprintf(page, "<td class=\"%s\">", class_name);
    else
        fputs("<td>", page);
    mg_html_put_text(page, text ? text : "");
    fputs("</td>", page);
}

static void put_figure_cell(FILE *page, int decimals, double value)
{
    if (fabs(value) < 0.5 * pow(10, -decimals))
        value = 0; /* no "-0.000" */
    fputs("<td class=\"n\">", page);
    mg_put_figure(page, "", decimals, value, "–");
    fputs("</td>", page);
}

static void put_count_cell(FILE *page, double value)
{
    char count[48];
    fprintf(page, "<td class=\"n\">%s</td>", isfinite(value) ? mg_format_count(value, count, sizeof count) : "–");
}

/* ---- the introduction and the charts ---- */

static void put_introduction(FILE *page, const mg_report *report)
{
    char series[1024];
    mg_report_series_title(report, series, sizeof series);
    fprintf(page, "<h1>memgrams report</h1>\n<p>%zu runs from <a href=\"results.jsonl\">results.jsonl</a>. "
                  "The charts follow one series: ", report->run_count);
    mg_html_put_text(page, series);
    fputs(".</p>\n<nav><ul><li><a href=\"#charts\">Charts</a></li><li><a href=\"#runs\">Runs</a></li>"
          "<li><a href=\"#growth\">Growth</a></li><li><a href=\"#parts\">Parts</a></li><li><a href=\"#allocators\">Backend × allocator</a></li>"
          "<li><a href=\"#environment\">Environment</a></li><li><a href=\"#files\">Files</a></li></ul></nav>\n",
          page);
}

static int put_chart(FILE *page, const mg_report *report, const mg_chart_entry *chart, size_t number, char *error,
                     size_t error_size)
{
    char svg[MG_REPORT_PATH_SIZE + 300], png[MG_REPORT_PATH_SIZE + 300], prefix[32];
    snprintf(svg, sizeof svg, "%s/charts/%s.svg", report->dir, chart->name);
    snprintf(png, sizeof png, "%s/charts/%s.png", report->dir, chart->name);
    snprintf(prefix, sizeof prefix, "c%zu-", number);
    fprintf(page, "<figure id=\"chart-%zu\">\n<figcaption>", number);
    mg_html_put_text(page, chart->title);
    fputs("</figcaption>\n", page);
    if (mg_html_put_svg(page, svg, prefix, chart->title, error, error_size) != 0)
        return -1;
    fputs("\n<p class=\"files\"><a href=\"charts/", page);
    mg_html_put_link(page, chart->name);
    fputs(".svg\">SVG</a>", page);
    if (access(png, F_OK) == 0) {
        fputs(" · <a href=\"charts/", page);
        mg_html_put_link(page, chart->name);
        fputs(".png\">PNG</a>", page);
    }
    fputs("</p>\n</figure>\n", page);
    return 0;
}

static int put_charts(FILE *page, const mg_report *report, char *error, size_t error_size)
{
    mg_chart_entry charts[MG_CHART_LIST_MAX];
    size_t count = mg_chart_list(report, charts);
    fputs("<h2 id=\"charts\">Charts</h2>\n", page);
    if (!count)
        fputs("<p>No chart was drawn.</p>\n", page);
    fputs("<div class=\"charts\">\n", page);
    for (size_t chart = 0; chart < count; chart++)
        if (put_chart(page, report, &charts[chart], chart + 1, error, error_size) != 0)
            return -1;
    fputs("</div>\n", page);
    return 0;
}

/* ---- the runs ---- */

/* Rows by corpus, size, backend, allocator and order, as a reader looks a run up. */
static int compare_runs(const void *left, const void *right)
{
    const mg_report_run *a = *(const mg_report_run *const *)left, *b = *(const mg_report_run *const *)right;
    int order = strcmp(a->corpus, b->corpus);
    if (order == 0)
        order = (a->tokens > b->tokens) - (a->tokens < b->tokens);
    if (order == 0)
        order = strcmp(a->backend, b->backend);
    if (order == 0)
        order = strcmp(a->allocator, b->allocator);
    return order ? order : a->order - b->order;
}

/* The hit lookup's median, with the range of its rounds when there are several. */
static void put_lookup_cell(FILE *page, const mg_report_run *run)
{
    json_t *samples = mg_run_speed_samples(run->json, "lookup_hit_ns"), *sample;
    double median = mg_run_speed(run->json, "lookup_hit_ns"), least = INFINITY, most = -INFINITY;
    size_t index;
    json_array_foreach(samples, index, sample) {
        least = json_is_number(sample) ? fmin(least, json_number_value(sample)) : least;
        most = json_is_number(sample) ? fmax(most, json_number_value(sample)) : most;
    }
    if (!isfinite(median) || json_array_size(samples) < 2 || !(least < most)) {
        put_figure_cell(page, 0, median);
        return;
    }
    fprintf(page, "<td class=\"n\">%.0f <span class=\"aside\">(%.0f–%.0f)</span></td>", median, least, most);
}

static void put_run_row(FILE *page, const mg_report_run *run)
{
    static const int layers[] = {MG_REPORT_REQUESTED, MG_REPORT_ALLOCATED, MG_REPORT_ACTIVE, MG_REPORT_RESIDENT,
                                 MG_REPORT_RSS};
    char row[MG_SUBJECT_SIZE + 16];
    mg_report_row_name(run->backend, run->process, row, sizeof row);
    fputs("<tr>", page);
    put_text_cell(page, NULL, row);
    put_text_cell(page, "path", run->corpus);
    fprintf(page, "<td class=\"n\">%d</td>", run->order);
    put_count_cell(page, run->tokens);
    put_text_cell(page, NULL, run->allocator);
    fputs(run->ok ? "<td" : "<td class=\"bad\"", page);
    const char *message = mg_run_message(run->json);
    if (!run->ok && message) {
        fputs(" title=\"", page);
        mg_html_put_text(page, message);
        fputc('"', page);
    }
    fputc('>', page);
    mg_html_put_text(page, run->status);
    fputs("</td>", page);
    for (size_t layer = 0; layer < sizeof layers / sizeof layers[0]; layer++)
        put_figure_cell(page, 1, mg_report_per_ngram(run, layers[layer]));
    put_figure_cell(page, 1, mg_run_derived(run->json, "peak_bytes_per_ngram_rss"));
    put_lookup_cell(page, run);
    fputs("</tr>\n", page);
}

/* One note per kind of process other than memgrams that measured a run. */
static void put_process_notes(FILE *page, const mg_report *report)
{
    static const char *const others[] = {MG_PROCESS_REDIS, MG_PROCESS_PYTHON};
    for (size_t kind = 0; kind < sizeof others / sizeof others[0]; kind++) {
        int present = 0;
        for (size_t index = 0; index < report->run_count && !present; index++)
            present = strcmp(report->runs[index].process, others[kind]) == 0;
        if (!present)
            continue;
        fputs("<p class=\"aside\">", page);
        mg_html_put_text(page, mg_process_note(others[kind]));
        fputs("</p>\n", page);
    }
}

static int put_runs(FILE *page, const mg_report *report, char *error, size_t error_size)
{
    const mg_report_run **rows = calloc(report->run_count ? report->run_count : 1, sizeof *rows);
    if (!rows) {
        snprintf(error, error_size, MG_OUT_OF_MEMORY);
        return -1;
    }
    for (size_t index = 0; index < report->run_count; index++)
        rows[index] = &report->runs[index];
    qsort(rows, report->run_count, sizeof *rows, compare_runs);
    fputs("<h2 id=\"runs\">Runs</h2>\n<p>One row per run, by corpus and size. Memory is in bytes per distinct "
          "n-gram: what each layer grew by from the baseline to the end of finalize, and the training peak of "
          "RSS; a lookup of a present n-gram in ns (the median, and the range of the rounds when there are "
          "several). <a href=\"summary.csv\">summary.csv</a> has every figure.</p>\n"
          "<div class=\"scroll\"><table id=\"runs-table\">\n<thead><tr><th>backend</th><th>corpus</th>"
          "<th class=\"n\">n</th><th class=\"n\">tokens</th><th>allocator</th><th>status</th>"
          "<th class=\"n\">requested</th><th class=\"n\">allocated</th><th class=\"n\">active</th>"
          "<th class=\"n\">resident</th><th class=\"n\">RSS</th><th class=\"n\">peak RSS</th>"
          "<th class=\"n\">hit ns</th></tr></thead>\n<tbody>\n", page);
    for (size_t index = 0; index < report->run_count; index++)
        put_run_row(page, rows[index]);
    fputs("</tbody></table></div>\n", page);
    put_process_notes(page, report);
    free(rows);
    return 0;
}

/* ---- growth and the allocators ---- */

static void put_growth(FILE *page, const mg_report *report, mg_report_run **scratch)
{
    fprintf(page, "<h2 id=\"growth\">Growth</h2>\n<p>The exponent b of a fit bytes ~ tokens<sup>b</sup> (least squares "
                  "on logs) over the sizes of the series. b = 1 is memory in proportion to the corpus. "
                  "<strong>sparse</strong> marks RSS growing faster than allocated by more than %.2f (pages held "
                  "for little data); <em>mapped file</em> marks a table served from a mapped file, whose RSS grows "
                  "with the file.</p>\n<div class=\"scroll\"><table id=\"growth-table\">\n<thead><tr><th>backend</th>"
                  "<th class=\"n\">sizes</th><th class=\"n\">span</th><th class=\"n\">allocated b</th>"
                  "<th class=\"n\">RSS b</th><th class=\"n\">RSS b − allocated b</th><th>flag</th></tr></thead>\n"
                  "<tbody>\n", MG_SPARSE_MARGIN);
    for (int index = 0; index < report->backend_count; index++) {
        mg_growth_fit fit = mg_growth_fit_of(report, report->backends[index], scratch);
        char row[MG_SUBJECT_SIZE + 16];
        mg_report_row_name(report->backends[index], report->processes[index], row, sizeof row);
        fputs("<tr>", page);
        put_text_cell(page, NULL, row);
        fprintf(page, "<td class=\"n\">%d</td>", fit.sizes);
        put_figure_cell(page, 1, fit.sizes ? fit.span : NAN);
        put_figure_cell(page, 3, fit.allocated);
        put_figure_cell(page, 3, fit.rss);
        put_figure_cell(page, 3, fit.rss - fit.allocated);
        fprintf(page, "<td>%s</td></tr>\n", mg_growth_is_sparse(&fit) ? "<strong>sparse</strong>"
                                                : fit.mapped                ? "<em>mapped file</em>"
                                                                            : "");
    }
    fputs("</tbody></table></div>\n", page);
}

/* A matrix cell: RSS per n-gram and, aside, fragmentation or file pages; the status of a run that
 * did not end ok; a dash where the pair was not measured. */
static void put_pair_cell(FILE *page, const mg_report_run *run)
{
    double rss, fragmentation, file_pages;
    mg_report_pair_figures(run, &rss, &fragmentation, &file_pages);
    if (!run || !isfinite(rss)) {
        put_text_cell(page, run ? "n bad" : "n", run ? run->status : "–");
        return;
    }
    fprintf(page, "<td class=\"n\">%.1f <span class=\"aside\">", rss);
    if (file_pages > 0)
        fprintf(page, "(file %.1f)", file_pages);
    else
        mg_put_figure(page, "(", 2, fragmentation, "–");
    fputs(file_pages > 0 ? "</span></td>" : ")</span></td>", page);
}

static void put_allocators(FILE *page, const mg_report *report)
{
    const mg_report_run *size = mg_report_allocator_cell(report);
    fputs("<h2 id=\"allocators\">Backend × allocator</h2>\n", page);
    if (!size) {
        fputs("<p>No corpus size was measured under two allocators.</p>\n", page);
        return;
    }
    char tokens[48];
    fputs("<p>At ", page);
    mg_html_put_text(page, size->corpus);
    fprintf(page, " fraction %.4g, order %d (%s tokens): RSS per distinct n-gram in bytes (growth over the baseline "
                  "after finalize), and in brackets fragmentation = RSS / allocated (– where the allocator has no "
                  "allocated figure; for a table served from a mapped file, the part of its RSS that is file "
                  "pages).</p>\n<div class=\"scroll\"><table id=\"allocators-table\">\n<thead><tr><th>backend</th>",
            size->fraction, size->order, mg_format_count(size->tokens, tokens, sizeof tokens));
    for (int a = 0; a < report->allocator_count; a++) {
        fputs("<th class=\"n\">", page);
        mg_html_put_text(page, report->allocators[a]);
        fputs("</th>", page);
    }
    fputs("</tr></thead>\n<tbody>\n", page);
    for (int b = 0; b < report->backend_count; b++) {
        char row[MG_SUBJECT_SIZE + 16];
        mg_report_row_name(report->backends[b], report->processes[b], row, sizeof row);
        fputs("<tr>", page);
        put_text_cell(page, NULL, row);
        for (int a = 0; a < report->allocator_count; a++)
            put_pair_cell(page, mg_report_run_under(report, report->backends[b], report->allocators[a], size));
        fputs("</tr>\n", page);
    }
    fputs("</tbody></table></div>\n", page);
}

/* ---- the parts ---- */

static void put_part_row(void *context, const mg_report_run *run, const mg_run_part *part, size_t row_number)
{
    FILE *page = context;
    char row[MG_SUBJECT_SIZE + 16], cell[MG_REPORT_PATH_SIZE];
    if (row_number == 0) {
        char note[1024];
        mg_parts_note(note, sizeof note);
        fputs("<h2 id=\"parts\">Parts</h2>\n<p>", page);
        mg_html_put_text(page, note);
        fputs(" <a href=\"parts.csv\">parts.csv</a> has every run's parts.</p>\n<div class=\"scroll\">"
              "<table id=\"parts-table\">\n<thead><tr><th>backend</th><th>cell</th><th>part</th>"
              "<th class=\"n\">bytes/n-gram</th><th class=\"n\">estimate</th><th class=\"n\">estimate/measured</th>"
              "<th class=\"n\">peak in training (bytes)</th><th>verdict</th></tr></thead>\n<tbody>\n", page);
    }
    mg_report_row_name(run->backend, run->process, row, sizeof row);
    mg_parts_cell_words(run, cell, sizeof cell);
    mg_part_verdict verdict = mg_part_judge(part);
    fputs(verdict == MG_PART_OFF ? "<tr class=\"bad\">" : "<tr>", page);
    put_text_cell(page, NULL, row);
    put_text_cell(page, "path", cell);
    put_text_cell(page, NULL, part->name);
    put_figure_cell(page, 3, part->per_ngram);
    put_figure_cell(page, 3, part->estimate);
    put_figure_cell(page, 2, mg_part_ratio(part));
    put_count_cell(page, part->training_peak);
    put_text_cell(page, NULL, mg_part_verdict_word(verdict));
    fputs("</tr>\n", page);
}

/* The estimate against the measurement part by part, as summary.md has it. */
static void put_parts(FILE *page, const mg_report *report)
{
    if (mg_parts_each_judged(report, put_part_row, page) == 0)
        fputs("<h2 id=\"parts\">Parts</h2>\n<p>No run names the parts of its table.</p>\n", page);
    else
        fputs("</tbody></table></div>\n", page);
}

/* ---- the environment and the files ---- */

enum { DISTINCT_MAX = 6, DISTINCT_SIZE = 512 };

/* The different values of one field over the runs, in order of first appearance. */
typedef struct distinct_values {
    char values[DISTINCT_MAX][DISTINCT_SIZE];
    int count, more; /* more: values beyond DISTINCT_MAX were left out */
} distinct_values;

static void distinct_add(distinct_values *set, const char *value)
{
    if (!value || !*value)
        return;
    for (int index = 0; index < set->count; index++)
        if (strncmp(set->values[index], value, DISTINCT_SIZE - 1) == 0)
            return;
    if (set->count == DISTINCT_MAX)
        set->more = 1;
    else
        snprintf(set->values[set->count++], DISTINCT_SIZE, "%s", value);
}

static void put_distinct_row(FILE *page, const char *label, const distinct_values *set)
{
    fputs("<tr><th scope=\"row\">", page);
    mg_html_put_text(page, label);
    fputs("</th><td>", page);
    for (int index = 0; index < set->count; index++) {
        fputs(index ? "<br>" : "", page);
        mg_html_put_text(page, set->values[index]);
    }
    fputs(set->count == 0 ? "–" : set->more ? "<br>…" : "", page);
    fputs("</td></tr>\n", page);
}

enum { ENV_VERSION, ENV_COMMIT, ENV_BUILD, ENV_COMPILER, ENV_KERNEL, ENV_CPU, ENV_CPUS, ENV_THP, ENV_FIELDS };
static const char *const env_labels[ENV_FIELDS] = {"memgrams version", "commit", "build", "compiler", "kernel",
                                                   "CPU", "CPUs online", "transparent huge pages"};

static void add_environment(distinct_values *fields, json_t *run)
{
    mg_run_origin origin = mg_run_origin_of(run);
    mg_run_machine machine = mg_run_machine_of(run);
    char cpus[32] = "";
    if (json_is_integer(machine.cpus))
        snprintf(cpus, sizeof cpus, "%lld", (long long)json_integer_value(machine.cpus));
    const char *values[ENV_FIELDS] = {origin.version, origin.commit, machine.build, machine.compiler,
                                      origin.kernel, machine.cpu, cpus, machine.thp_enabled};
    for (int field = 0; field < ENV_FIELDS; field++)
        distinct_add(&fields[field], values[field]);
}

static int put_environment(FILE *page, const mg_report *report, char *error, size_t error_size)
{
    distinct_values *fields = calloc(ENV_FIELDS + 1, sizeof *fields), *versions = fields + ENV_FIELDS;
    if (!fields) {
        snprintf(error, error_size, MG_OUT_OF_MEMORY);
        return -1;
    }
    for (size_t index = 0; index < report->run_count; index++)
        add_environment(fields, report->runs[index].json);
    fputs("<h2 id=\"environment\">Environment</h2>\n<p>The build and the machine the runs were measured on "
          "(every value the runs recorded).</p>\n<div class=\"scroll\"><table id=\"environment-table\">\n<tbody>\n",
          page);
    for (int field = 0; field < ENV_FIELDS; field++)
        put_distinct_row(page, env_labels[field], &fields[field]);
    for (int a = 0; a < report->allocator_count; a++) {
        char label[160];
        memset(versions, 0, sizeof *versions);
        for (size_t index = 0; index < report->run_count; index++)
            if (strcmp(report->runs[index].allocator, report->allocators[a]) == 0)
                distinct_add(versions, mg_run_allocator_version(report->runs[index].json));
        snprintf(label, sizeof label, "%s version", report->allocators[a]);
        put_distinct_row(page, label, versions);
    }
    fputs("</tbody></table></div>\n", page);
    free(fields);
    return 0;
}

static void put_files(FILE *page, const mg_report *report)
{
    fputs("<h2 id=\"files\">Files</h2>\n<ul>\n"
          "<li><a href=\"summary.csv\">summary.csv</a>: every run, one row, every layer and speed</li>\n"
          "<li><a href=\"summary.md\">summary.md</a>: the same tables in Markdown, per corpus</li>\n"
          "<li><a href=\"parts.csv\">parts.csv</a>: every run's parts, one row per run and part</li>\n"
          "<li><a href=\"results.jsonl\">results.jsonl</a>: the runs as measured, one JSON object a line</li>\n",
          page);
    if (report->floor_count)
        fputs("<li><a href=\"floor.jsonl\">floor.jsonl</a>: the archival floor</li>\n", page);
    fputs("<li><a href=\"charts/\">charts/</a>: each chart as SVG and PNG, and the data it plots</li>\n</ul>\n",
          page);
}

int mg_report_html_write(const mg_report *report, mg_report_run **scratch, char *error, size_t error_size)
{
    mg_atomic_file output;
    if (mg_report_file_open(&output, report->dir, "report.html", error, error_size) != 0)
        return -1;
    FILE *page = output.file;
    fputs(page_head, page);
    put_introduction(page, report);
    int status = put_charts(page, report, error, error_size);
    if (status == 0)
        status = put_runs(page, report, error, error_size);
    if (status == 0) {
        put_growth(page, report, scratch);
        put_parts(page, report);
        put_allocators(page, report);
        status = put_environment(page, report, error, error_size);
    }
    if (status != 0) {
        mg_atomic_abandon(&output);
        return -1;
    }
    put_files(page, report);
    fputs("</main>\n</body>\n</html>\n", page);
    return mg_atomic_commit(&output, error, error_size);
}
