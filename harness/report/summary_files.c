/* summary_files.c — see summary_files.h. */
#include "summary_files.h"
#include "cell.h"
#include "chart_list.h"
#include "growth_fit.h"
#include "parts_files.h"
#include "report_files.h"
#include "results.h"
#include "run_fields.h"

#include <csv.h>
#include <math.h>
#include <string.h>

static const char *const ratio_names[] = {"allocated_requested_ratio", "allocator_frag_ratio", "allocator_rss_ratio",
                                          "rss_overhead_ratio", "fragmentation"};

static const char *const speed_names[] = {"train_ns_per_gram", "finalize_seconds", "lookup_hit_ns",
                                          "lookup_miss_ns", "successors_ns", "generate_ns_per_token",
                                          "lookup_hit_batch_ns", "lookup_miss_batch_ns"};
/* Lookups as multiples of one dependent load (run_fields.h), after the speeds. */
static const char *const in_loads_names[] = {"lookup_hit_ns", "lookup_hit_batch_ns"};

#define RATIO_COUNT (sizeof ratio_names / sizeof ratio_names[0])
#define SPEED_COUNT (sizeof speed_names / sizeof speed_names[0])
#define IN_LOADS_COUNT (sizeof in_loads_names / sizeof in_loads_names[0])

/* A run's figures after its identity: tokens, n-grams, (CSV: each layer in bytes,) each layer
 * per n-gram, peak RSS per n-gram, the peak over the final RSS (CSV: last, after the columns
 * older readers know), the ratios and the speeds. */
static void put_run_figures(FILE *file, const mg_report_run *run, const char *separator, const char *unknown, int csv)
{
    double peak_final = mg_run_derived(run->json, "peak_final_ratio");
    mg_put_figure(file, separator, 0, run->tokens, unknown);
    mg_put_figure(file, separator, 0, run->ngrams, unknown);
    for (int layer = 0; csv && layer < MG_REPORT_LAYERS; layer++)
        mg_put_figure(file, separator, 0, run->growth[layer], unknown);
    for (int layer = 0; layer < MG_REPORT_LAYERS; layer++)
        mg_put_figure(file, separator, csv ? 2 : 1, mg_report_per_ngram(run, layer), unknown);
    mg_put_figure(file, separator, csv ? 2 : 1, mg_run_derived(run->json, "peak_bytes_per_ngram_rss"), unknown);
    if (!csv)
        mg_put_figure(file, separator, 2, peak_final, unknown);
    for (size_t ratio = 0; ratio < RATIO_COUNT; ratio++)
        mg_put_figure(file, separator, csv ? 3 : 2, mg_run_derived(run->json, ratio_names[ratio]), unknown);
    for (size_t speed = 0; speed < SPEED_COUNT; speed++)
        mg_put_figure(file, separator, csv || speed == 1 ? 3 : 0, mg_run_speed(run->json, speed_names[speed]), unknown);
    for (size_t speed = 0; speed < IN_LOADS_COUNT; speed++)
        mg_put_figure(file, separator, csv ? 3 : 2, mg_run_speed_in_loads(run->json, in_loads_names[speed]), unknown);
    if (csv)
        mg_put_figure(file, separator, 3, peak_final, unknown);
}

/* A text field of summary.csv and the comma after it: quoted, a quote doubled (RFC 4180, libcsv),
 * so a comma, quote, CR or LF in a path stays inside its field. A failed write shows in the
 * file's error flag, which mg_atomic_commit checks. */
static void put_csv_text(FILE *file, const char *text)
{
    csv_fwrite(file, text, strlen(text));
    fputc(',', file);
}

int mg_summary_csv_write(const mg_report *report, char *error, size_t error_size)
{
    mg_atomic_file output;
    if (mg_report_file_open(&output, report->dir, "summary.csv", error, error_size) != 0)
        return -1;
    fputs("backend,corpus,fraction,order,allocator,status,measured_process,tokens,ngrams", output.file);
    for (int layer = 0; layer < MG_REPORT_LAYERS; layer++)
        fprintf(output.file, ",%s_bytes", mg_report_layer_names[layer]);
    for (int layer = 0; layer < MG_REPORT_LAYERS; layer++)
        fprintf(output.file, ",%s_per_ngram", mg_report_layer_names[layer]);
    fputs(",peak_rss_per_ngram", output.file);
    for (size_t ratio = 0; ratio < RATIO_COUNT; ratio++)
        fprintf(output.file, ",%s", ratio_names[ratio]);
    for (size_t speed = 0; speed < SPEED_COUNT; speed++)
        fprintf(output.file, ",%s", speed_names[speed]);
    fputs(",hit_per_load,hit_batch_per_load,peak_final_ratio", output.file);
    fputc('\n', output.file);
    for (size_t index = 0; index < report->run_count; index++) {
        const mg_report_run *run = &report->runs[index];
        put_csv_text(output.file, run->backend);
        put_csv_text(output.file, run->corpus);
        fprintf(output.file, "%.17g,%d,", run->fraction, run->order);
        put_csv_text(output.file, run->allocator);
        put_csv_text(output.file, run->status);
        csv_fwrite(output.file, run->process, strlen(run->process));
        put_run_figures(output.file, run, ",", "", 1);
        fputc('\n', output.file);
    }
    return mg_atomic_commit(&output, error, error_size);
}

/* ---- summary.md ------------------------------------------------------------------------------ */

static void markdown_corpus_table(FILE *file, const mg_report *report, const char *corpus)
{
    fprintf(file, "\n### %s\n\n", corpus);
    fputs("| backend | allocator | n | fraction | status | tokens | n-grams | requested | allocated | active | resident "
          "| RSS | RSS anon | RSS file | peak RSS | peak/final | alloc/req | active/alloc | resident/active | rss/resident | rss/alloc | train ns/gram "
          "| finalize s | hit ns | miss ns | successors ns | generate ns/token | hit batch ns | miss batch ns "
          "| hit/load | hit batch/load |\n", file);
    fputs("|---|---|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:"
          "|--:|--:|--:|--:|--:|\n", file);
    for (size_t index = 0; index < report->run_count; index++) {
        const mg_report_run *run = &report->runs[index];
        if (strcmp(run->corpus, corpus) != 0)
            continue;
        char row[MG_SUBJECT_SIZE + 16];
        mg_report_row_name(run->backend, run->process, row, sizeof row);
        fprintf(file, "| %s | %s | %d | %.4g | %s", row, run->allocator, run->order, run->fraction, run->status);
        put_run_figures(file, run, " | ", "–", 0);
        fputs(" |\n", file);
    }
}

/* One footnote line per kind of process other than memgrams that measured a run of the report. */
static void markdown_process_notes(FILE *file, const mg_report *report)
{
    static const char *const others[] = {MG_PROCESS_REDIS, MG_PROCESS_PYTHON};
    int first = 1;
    for (size_t kind = 0; kind < sizeof others / sizeof others[0]; kind++) {
        int present = 0;
        for (size_t index = 0; index < report->run_count && !present; index++)
            present = strcmp(report->runs[index].process, others[kind]) == 0;
        if (present)
            fprintf(file, "%s%s\n", first ? "\nMeasured outside the memgrams process:\n\n- " : "- ", mg_process_note(others[kind]));
        first &= !present;
    }
}

static void markdown_growth(FILE *file, const mg_report *report, mg_report_run **scratch)
{
    char title[512];
    mg_report_series_title(report, title, sizeof title);
    fprintf(file, "\n## Growth\n\nExponent b of a fit bytes ~ tokens^b (least squares on logs) over the sizes of the "
                  "series (%s). b = 1: memory in proportion to the corpus. **sparse** marks RSS growing faster than "
                  "allocated by more than %.2f (pages held for little data); *mapped file* marks a table served "
                  "from a mapped file, whose RSS grows with the file and is not judged so.\n\n", title, MG_SPARSE_MARGIN);
    fputs("| backend | sizes | span | allocated b | RSS b | RSS b − allocated b | flag |\n|---|--:|--:|--:|--:|--:|---|\n",
          file);
    for (int index = 0; index < report->backend_count; index++) {
        mg_growth_fit fit = mg_growth_fit_of(report, report->backends[index], scratch);
        char row[MG_SUBJECT_SIZE + 16];
        mg_report_row_name(report->backends[index], report->processes[index], row, sizeof row);
        fprintf(file, "| %s | %d", row, fit.sizes);
        mg_put_figure(file, " | ", 1, fit.sizes ? fit.span : NAN, "–");
        mg_put_figure(file, " | ", 3, fit.allocated, "–");
        mg_put_figure(file, " | ", 3, fit.rss, "–");
        mg_put_figure(file, " | ", 3, fit.rss - fit.allocated, "–");
        fprintf(file, " | %s |\n", mg_growth_is_sparse(&fit) ? "**sparse**" : fit.mapped ? "mapped file" : "");
    }
}

static void markdown_floor(FILE *file, const mg_report *report)
{
    if (!report->floor_count)
        return;
    fputs("\n## Archival floor\n\nThe compressed size of the id-sorted, delta-coded n-gram table plus the sorted "
          "vocabulary (`memgrams floor`): what the counts cost at rest, the line no in-memory layout goes under.\n\n"
          "| corpus | fraction | n | n-grams | vocabulary bytes | table bytes | bytes per n-gram | compressor |\n"
          "|---|--:|--:|--:|--:|--:|--:|---|\n", file);
    for (size_t index = 0; index < report->floor_count; index++) {
        const mg_floor_point *point = &report->floors[index];
        fprintf(file, "| %s | %.4g | %d", point->corpus, point->fraction, point->order);
        mg_put_figure(file, " | ", 0, point->ngrams, "–");
        mg_put_figure(file, " | ", 0, point->vocab_bytes, "–");
        mg_put_figure(file, " | ", 0, point->table_bytes, "–");
        mg_put_figure(file, " | ", 2, point->bytes_per_ngram, "–");
        fprintf(file, " | %s |\n", point->compressor);
    }
}

/* One matrix cell as text: "RSS (fragmentation)" or "RSS (file pages)", unknown for a figure or
 * a run that is not there, or the status of a run that did not end ok. */
static void pair_text(const mg_report_run *run, const char *unknown, char *cell, size_t cell_size)
{
    double rss, fragmentation, file_pages;
    mg_report_pair_figures(run, &rss, &fragmentation, &file_pages);
    if (!run)
        snprintf(cell, cell_size, "%s", unknown);
    else if (!isfinite(rss))
        snprintf(cell, cell_size, "%s", run->status);
    else if (file_pages > 0)
        snprintf(cell, cell_size, "%.1f (file %.1f)", rss, file_pages);
    else if (isfinite(fragmentation))
        snprintf(cell, cell_size, "%.1f (%.2f)", rss, fragmentation);
    else
        snprintf(cell, cell_size, "%.1f (%s)", rss, unknown);
}

/* The matrix's rows, each starting with row_format (the backend), then cell_format per allocator. */
static void put_allocator_rows(FILE *file, const mg_report *report, const mg_report_run *size, const char *row_format,
                               const char *cell_format, const char *unknown)
{
    for (int b = 0; b < report->backend_count; b++) {
        char row[MG_SUBJECT_SIZE + 16];
        mg_report_row_name(report->backends[b], report->processes[b], row, sizeof row);
        fprintf(file, row_format, row);
        for (int a = 0; a < report->allocator_count; a++) {
            char cell[48];
            pair_text(mg_report_run_under(report, report->backends[b], report->allocators[a], size), unknown, cell, sizeof cell);
            fprintf(file, cell_format, cell);
        }
    }
}

/* What a wrapped library says about its own memory at the end of finalize,
 * for the runs that have such figures (none from older files). */
static void markdown_library(FILE *file, const mg_report *report)
{
    int rows = 0;
    for (size_t index = 0; index < report->run_count; index++) {
        const mg_report_run *run = &report->runs[index];
        json_t *figures = mg_run_library(run->json, "finalize"), *value;
        const char *name;
        if (figures && rows == 0)
            fputs("\n## Library figures\n\nA wrapped library's own figures about its memory at the end of finalize, "
                  "beside the layers measured above (each backend's documentation says what they mean).\n\n"
                  "| backend | corpus | allocator | n | fraction | figure | value |\n|---|---|---|--:|--:|---|--:|\n", file);
        char row[MG_SUBJECT_SIZE + 16];
        mg_report_row_name(run->backend, run->process, row, sizeof row);
        json_object_foreach(figures, name, value) {
            fprintf(file, "| %s | %s | %s | %d | %.4g | %s", row, run->corpus, run->allocator, run->order,
                    run->fraction, name);
            mg_put_figure(file, " | ", 0, json_is_number(value) ? json_number_value(value) : NAN, "–");
            fputs(" |\n", file);
            rows++;
        }
    }
}

/* The matrix as a Markdown table: one row per backend, one column per allocator, each cell
 * "RSS per n-gram (fragmentation)", or the run's status when it did not end ok. */
static void markdown_allocators(FILE *file, const mg_report *report, const mg_report_run *size)
{
    fputs("\n## Backend × allocator\n\n", file);
    if (!size) {
        fputs("No corpus size was measured under two allocators.\n", file);
        return;
    }
    fprintf(file, "At %s fraction %.4g, order %d (%.0f tokens): RSS per distinct n-gram in bytes (growth over the "
                  "baseline after finalize), and in brackets fragmentation = RSS / allocated (– where the allocator "
                  "has no allocated figure; for a table served from a mapped file, the part of its RSS that is "
                  "file pages).\n\n| backend |", size->corpus, size->fraction, size->order, size->tokens);
    for (int a = 0; a < report->allocator_count; a++)
        fprintf(file, " %s |", report->allocators[a]);
    fputs("\n|---|", file);
    for (int a = 0; a < report->allocator_count; a++)
        fputs("--:|", file);
    put_allocator_rows(file, report, size, "\n| %s |", " %s |", "–");
    fputs("\n", file);
}

/* The same matrix for the terminal, fixed-width. */
void mg_allocators_print(FILE *out, const mg_report *report, const mg_report_run *size)
{
    if (!size)
        return;
    fprintf(out, "\nRSS bytes per n-gram, backend x allocator, at %s fraction %.4g, order %d\n(in brackets: "
                 "fragmentation = RSS / allocated, or the file pages of a mapped table):\n%-20s", size->corpus,
            size->fraction, size->order, "");
    for (int a = 0; a < report->allocator_count; a++)
        fprintf(out, " %16.16s", report->allocators[a]);
    put_allocator_rows(out, report, size, "\n%-20.20s", " %16s", "-");
    fputc('\n', out);
}

int mg_summary_md_write(const mg_report *report, mg_report_run **scratch, char *error, size_t error_size)
{
    mg_atomic_file output;
    if (mg_report_file_open(&output, report->dir, "summary.md", error, error_size) != 0)
        return -1;
    FILE *file = output.file;
    fprintf(file, "# memgrams report\n\n%zu runs from `results.jsonl`. Memory figures are bytes per distinct n-gram, "
                  "growth over the baseline at the end of finalize; ratios as in docs/run-json.md; speeds in ns unless "
                  "named.\n\n## Runs by corpus\n", report->run_count);
    for (size_t index = 0; index < report->run_count; index++) {
        int first = 1;
        for (size_t before = 0; before < index; before++)
            first &= strcmp(report->runs[before].corpus, report->runs[index].corpus) != 0;
        if (first)
            markdown_corpus_table(file, report, report->runs[index].corpus);
    }
    markdown_process_notes(file, report);
    const mg_report_run *allocator_size = mg_report_allocator_cell(report);
    markdown_allocators(file, report, allocator_size);
    markdown_growth(file, report, scratch);
    markdown_floor(file, report);
    markdown_library(file, report);
    mg_parts_markdown(file, report);
    mg_chart_entry charts[MG_CHART_LIST_MAX];
    size_t chart_count = mg_chart_list(report, charts);
    if (chart_count)
        fputs("\n## Charts\n\n", file);
    for (size_t chart = 0; chart < chart_count; chart++)
        fprintf(file, "![%s](charts/%s.svg)\n\n", charts[chart].title, charts[chart].name);
    return mg_atomic_commit(&output, error, error_size);
}
