/* summary_table.c — see summary_table.h. */
#include "summary_table.h"
#include "cell.h"
#include "message.h"
#include "report_runs.h"
#include "results.h"
#include "results_file.h"
#include "run_fields.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* "%*.*f" or a dash where the figure is unknown. */
static void print_figure(FILE *out, int width, int decimals, double value)
{
    if (isfinite(value))
        fprintf(out, " %*.*f", width, decimals, value);
    else
        fprintf(out, " %*s", width, "-");
}

/* A layer's growth from baseline to the end of finalize, per n-gram; NAN if unknown. */
static double layer_per_ngram(json_t *run, const char *layer)
{
    double ngrams = mg_run_ngrams(run);
    return ngrams > 0 ? mg_run_layer_growth(run, layer) / ngrams : NAN;
}

static const char *const layers[] = {"requested", "allocated", "active", "resident", "rss"};
#define LAYER_COUNT (sizeof layers / sizeof layers[0])

/* The table keeps its width: the peak-over-final column is paid for by the corpus, n-gram, peak
 * and lookup columns, each one character narrower and still wide enough for their figures. */
static void print_header(FILE *out, int name_width)
{
    fprintf(out, "%-*s %-9s %8s %2s %-9s %-7s %9s %-52s %4s %6s %8s %7s %7s %8s %8s\n", name_width, "", "", "", "", "", "",
            "", "bytes per n-gram (growth over baseline)", "peak", "", "train", "hit", "miss", "hit/load", "batched");
    fprintf(out, "%-*s %-9s %8s %2s %-9s %-7s %9s %8s %8s %8s %8s %8s %7s %4s %6s %8s %7s %7s %8s %8s\n", name_width,
            "backend", "corpus", "fraction", "n", "allocator", "status", "n-grams", "request", "alloc", "active",
            "resident", "rss", "peak", "/rss", "frag", "ns/gram", "ns", "ns", "", "hit/load");
}

/* A row's name: the subject, short (cell.h), and the mark of a process other than memgrams. */
static void row_name(json_t *run, char *name, size_t name_size)
{
    mg_cell cell;
    char subject[MG_SUBJECT_SIZE];
    mg_cell_of_run(run, &cell);
    mg_cell_subject_short(&cell, subject, sizeof subject);
    mg_report_row_name(subject, mg_run_measured_process(run), name, name_size);
}

/* A run read by mg_results_read names its whole cell (mg_run_fault). */
static void print_run(FILE *out, json_t *run, int name_width)
{
    mg_cell cell;
    char name[MG_SUBJECT_SIZE + 16];
    mg_cell_of_run(run, &cell);
    row_name(run, name, sizeof name);
    const char *base = strrchr(cell.corpus, '/');
    double ngrams = mg_run_ngrams(run);
    fprintf(out, "%-*s %-9.9s %8.4g %2d %-9.9s %-7.7s", name_width, name, base ? base + 1 : cell.corpus,
            cell.fraction, cell.order, cell.allocator, mg_run_status(run));
    print_figure(out, 9, 0, ngrams);
    for (size_t layer = 0; layer < LAYER_COUNT; layer++)
        print_figure(out, 8, 1, layer_per_ngram(run, layers[layer]));
    print_figure(out, 7, 1, mg_run_derived(run, "peak_bytes_per_ngram_rss"));
    print_figure(out, 4, 1, mg_run_derived(run, "peak_final_ratio"));
    print_figure(out, 6, 2, mg_run_derived(run, "fragmentation"));
    print_figure(out, 8, 1, mg_run_speed(run, "train_ns_per_gram"));
    print_figure(out, 7, 1, mg_run_speed(run, "lookup_hit_ns"));
    print_figure(out, 7, 1, mg_run_speed(run, "lookup_miss_ns"));
    print_figure(out, 8, 2, mg_run_speed_in_loads(run, "lookup_hit_ns"));
    print_figure(out, 8, 2, mg_run_speed_in_loads(run, "lookup_hit_batch_ns"));
    fputc('\n', out);
}

/* One footnote line per kind of process other than memgrams that measured a run of the table. */
static void print_notes(FILE *out, const mg_results *lines)
{
    static const char *const others[] = {MG_PROCESS_REDIS, MG_PROCESS_PYTHON};
    for (size_t kind = 0; kind < sizeof others / sizeof others[0]; kind++) {
        int present = 0;
        for (size_t index = 0; index < lines->count && !present; index++)
            present = strcmp(mg_run_measured_process(lines->objects[index]), others[kind]) == 0;
        if (present)
            fprintf(out, "%s\n", mg_process_note(others[kind]));
    }
}

int mg_summary_print(const char *results_path, FILE *out, char *error, size_t error_size)
{
    mg_results lines = {0};
    int status = mg_results_read(results_path, MG_RESULTS_RUNS, &lines, error, error_size);
    if (status == 1)
        snprintf(error, error_size, "no results in '%s'", mg_show(results_path).text);
    if (status == 0) {
        int name_width = 14;
        for (size_t index = 0; index < lines.count; index++) {
            char name[MG_SUBJECT_SIZE + 16];
            row_name(lines.objects[index], name, sizeof name);
            name_width = (int)strlen(name) > name_width ? (int)strlen(name) : name_width;
        }
        print_header(out, name_width);
        for (size_t index = 0; index < lines.count; index++)
            print_run(out, lines.objects[index], name_width);
        print_notes(out, &lines);
    }
    mg_results_free(&lines);
    return status == 0 ? 0 : -1;
}
