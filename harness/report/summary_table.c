/* summary_table.c — see summary_table.h. */
#include "summary_table.h"
#include "cell.h"
#include "message.h"
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

static void print_header(FILE *out)
{
    fprintf(out, "%-14s %-10s %8s %2s %-9s %-7s %10s  %-49s %6s %8s %8s %8s %8s %8s\n", "", "", "", "", "", "", "",
            "bytes per n-gram (growth over baseline)", "", "train", "hit", "miss", "hit/load", "batched");
    fprintf(out, "%-14s %-10s %8s %2s %-9s %-7s %10s %8s %8s %8s %8s %8s %8s %6s %8s %8s %8s %8s %8s\n", "backend",
            "corpus", "fraction", "n", "allocator", "status", "n-grams", "request", "alloc", "active", "resident",
            "rss", "peak", "frag", "ns/gram", "ns", "ns", "", "hit/load");
}

/* A run read by mg_results_read names its whole cell (mg_run_fault). */
static void print_run(FILE *out, json_t *run)
{
    mg_cell cell;
    mg_cell_of_run(run, &cell);
    const char *base = strrchr(cell.corpus, '/');
    double ngrams = mg_run_ngrams(run);
    fprintf(out, "%-14s %-10.10s %8.4g %2d %-9.9s %-7.7s", cell.backend, base ? base + 1 : cell.corpus,
            cell.fraction, cell.order, cell.allocator, mg_run_status(run));
    print_figure(out, 10, 0, ngrams);
    for (size_t layer = 0; layer < LAYER_COUNT; layer++)
        print_figure(out, 8, 1, layer_per_ngram(run, layers[layer]));
    print_figure(out, 8, 1, mg_run_derived(run, "peak_bytes_per_ngram_rss"));
    print_figure(out, 6, 2, mg_run_derived(run, "fragmentation"));
    print_figure(out, 8, 1, mg_run_speed(run, "train_ns_per_gram"));
    print_figure(out, 8, 1, mg_run_speed(run, "lookup_hit_ns"));
    print_figure(out, 8, 1, mg_run_speed(run, "lookup_miss_ns"));
    print_figure(out, 8, 2, mg_run_speed_in_loads(run, "lookup_hit_ns"));
    print_figure(out, 8, 2, mg_run_speed_in_loads(run, "lookup_hit_batch_ns"));
    fputc('\n', out);
}

int mg_summary_print(const char *results_path, FILE *out, char *error, size_t error_size)
{
    mg_results lines = {0};
    int status = mg_results_read(results_path, MG_RESULTS_RUNS, &lines, error, error_size);
    if (status == 1)
        snprintf(error, error_size, "no results in '%s'", mg_show(results_path).text);
    if (status == 0) {
        print_header(out);
        for (size_t index = 0; index < lines.count; index++)
            print_run(out, lines.objects[index]);
    }
    mg_results_free(&lines);
    return status == 0 ? 0 : -1;
}
