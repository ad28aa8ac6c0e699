/* report.c — the summary table of a results file (one run object per line). */
#include "results.h"
#include "message.h"
#include "results_file.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

double mg_run_figure(json_t *run, const char *section, const char *field)
{
    json_t *value = json_object_get(json_object_get(run, section), field);
    return json_is_number(value) ? json_number_value(value) : NAN;
}

/* "%*.*f" or a dash where the figure is unknown. */
static void print_figure(FILE *out, int width, int decimals, double value)
{
    if (isfinite(value))
        fprintf(out, " %*.*f", width, decimals, value);
    else
        fprintf(out, " %*s", width, "-");
}

double mg_run_layer_growth(json_t *run, const char *layer)
{
    double base = NAN, done = NAN;
    size_t index;
    json_t *phase;
    json_array_foreach(json_object_get(run, "phases"), index, phase) {
        const char *name = json_string_value(json_object_get(phase, "name"));
        json_t *value = json_object_get(phase, layer);
        if (!name || !json_is_number(value))
            continue;
        if (strcmp(name, "baseline") == 0)
            base = json_number_value(value);
        else if (strcmp(name, "finalize") == 0)
            done = json_number_value(value);
    }
    return done - base;
}

/* A layer's growth from baseline to the end of finalize, per n-gram; NAN if unknown. */
static double layer_per_ngram(json_t *run, const char *layer)
{
    double ngrams = (double)json_integer_value(json_object_get(run, "ngrams"));
    return ngrams > 0 ? mg_run_layer_growth(run, layer) / ngrams : NAN;
}

static const char *const layers[] = {"requested", "allocated", "active", "resident", "rss"};
#define LAYER_COUNT (sizeof layers / sizeof layers[0])

static void print_header(FILE *out)
{
    fprintf(out, "%-14s %-10s %8s %2s %-9s %-7s %10s  %-49s %6s %8s %8s %8s\n", "", "", "", "", "", "", "",
            "bytes per n-gram (growth over baseline)", "", "train", "hit", "miss");
    fprintf(out, "%-14s %-10s %8s %2s %-9s %-7s %10s %8s %8s %8s %8s %8s %8s %6s %8s %8s %8s\n", "backend", "corpus",
            "fraction", "n", "allocator", "status", "n-grams", "request", "alloc", "active", "resident", "rss",
            "peak", "frag", "ns/gram", "ns", "ns");
}

static void print_run(FILE *out, json_t *run)
{
    const char *backend = json_string_value(json_object_get(run, "backend"));
    const char *corpus = json_string_value(json_object_get(run, "corpus"));
    const char *allocator = json_string_value(json_object_get(run, "allocator"));
    const char *status = json_string_value(json_object_get(run, "status"));
    const char *base = corpus ? strrchr(corpus, '/') : NULL;
    json_t *ngrams = json_object_get(run, "ngrams");
    fprintf(out, "%-14s %-10.10s %8.4g %2d %-9.9s %-7.7s", backend ? backend : "?", base ? base + 1 : corpus ? corpus : "?",
            json_number_value(json_object_get(run, "fraction")),
            (int)json_integer_value(json_object_get(run, "order")), allocator ? allocator : "?",
            status ? status : "?");
    if (json_is_integer(ngrams))
        fprintf(out, " %10lld", (long long)json_integer_value(ngrams));
    else
        fprintf(out, " %10s", "-");
    for (size_t layer = 0; layer < LAYER_COUNT; layer++)
        print_figure(out, 8, 1, layer_per_ngram(run, layers[layer]));
    print_figure(out, 8, 1, mg_run_figure(run, "derived", "peak_bytes_per_ngram_rss"));
    print_figure(out, 6, 2, mg_run_figure(run, "derived", "fragmentation"));
    print_figure(out, 8, 1, mg_run_figure(run, "speed", "train_ns_per_gram"));
    print_figure(out, 8, 1, mg_run_figure(run, "speed", "lookup_hit_ns"));
    print_figure(out, 8, 1, mg_run_figure(run, "speed", "lookup_miss_ns"));
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
