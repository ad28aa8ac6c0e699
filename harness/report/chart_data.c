/* chart_data.c — see chart_data.h. */
#include "chart_data.h"
#include "atomic_file.h"
#include "cell.h"
#include "growth_fit.h"
#include "report_files.h"
#include "run_fields.h"
#include "synth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void mg_chart_add_name(mg_chart *chart, const char *name)
{
    size_t used = strlen(chart->names);
    snprintf(chart->names + used, sizeof chart->names - used, "%s%s", used ? " " : "", name);
    chart->series++;
}

int mg_chart_data_open(mg_atomic_file *output, const mg_chart *chart, const char *name, char *error, size_t error_size)
{
    char file_name[512];
    snprintf(file_name, sizeof file_name, "%s.dat", name);
    return mg_report_file_open(output, chart->dir, file_name, error, error_size);
}

/* The training peak in bytes over the baseline RSS, as the run's derived figure has it per n-gram; NAN
 * where unknown (gnuplot skips a "nan" point). */
static double peak_bytes(const mg_report_run *run)
{
    return mg_run_derived(run->json, "peak_bytes_per_ngram_rss") * run->ngrams;
}

/* numerator / denominator, or NAN when the denominator is unknown or under MG_RATIO_MIN_SHARE of RSS:
 * a table served from a mapped file allocates next to nothing, and a ratio over that says nothing. */
static double layer_ratio(double numerator, double denominator, double rss)
{
    return isfinite(numerator) && isfinite(denominator) && denominator >= MG_RATIO_MIN_SHARE * rss && denominator > 0
               ? numerator / denominator
               : NAN;
}

/* A point of memory-vs-size.dat; whether a ratio of it was left out for a denominator near 0. */
static int memory_vs_size_row(FILE *file, const mg_report_run *run)
{
    const double *growth = run->growth;
    double over_allocated = layer_ratio(growth[MG_REPORT_RSS], growth[MG_REPORT_ALLOCATED], growth[MG_REPORT_RSS]);
    double over_requested = layer_ratio(growth[MG_REPORT_ALLOCATED], growth[MG_REPORT_REQUESTED], growth[MG_REPORT_RSS]);
    fprintf(file, "%.0f %.0f %.0f %d %.0f %.0f %.4f %.4f\n", run->tokens, growth[MG_REPORT_RSS],
            growth[MG_REPORT_ALLOCATED], mg_synth_is_spec(run->corpus), peak_bytes(run), growth[MG_REPORT_REQUESTED],
            over_allocated, over_requested);
    return (isnan(over_allocated) && isfinite(growth[MG_REPORT_ALLOCATED])) ||
           (isnan(over_requested) && isfinite(growth[MG_REPORT_REQUESTED]));
}

int mg_memory_vs_size_data(mg_chart *chart, mg_report_run **scratch, int *has_floor, char *left_out,
                           size_t left_out_size, char *error, size_t error_size)
{
    const mg_report *report = chart->report;
    mg_atomic_file output;
    if (mg_chart_data_open(&output, chart, "memory-vs-size", error, error_size) != 0)
        return -1;
    *left_out = '\0';
    for (int index = 0; index < report->backend_count; index++) {
        size_t count = mg_report_backend_series(report, report->backends[index], scratch);
        if (!count)
            continue;
        mg_chart_add_name(chart, report->chart_names[index]);
        fprintf(output.file, "# %s\n", report->chart_names[index]);
        int skipped = 0;
        for (size_t point = 0; point < count; point++)
            skipped |= memory_vs_size_row(output.file, scratch[point]);
        fputs("\n\n", output.file);
        size_t used = strlen(left_out);
        if (skipped)
            snprintf(left_out + used, left_out_size - used, "%s%s", used ? ", " : "", report->chart_names[index]);
    }
    if (mg_atomic_commit(&output, error, error_size) != 0 || mg_chart_data_open(&output, chart, "memory-vs-size-floor", error, error_size) != 0)
        return -1;
    *has_floor = 0;
    for (size_t index = 0; index < report->floor_count; index++) {
        const mg_floor_point *point = &report->floors[index];
        int wanted = point->order == report->order && isfinite(point->tokens) && point->floor_bytes > 0 &&
                     ((report->scaled_corpus && strcmp(point->corpus, report->scaled_corpus) == 0) || mg_synth_is_spec(point->corpus));
        if (wanted) {
            fprintf(output.file, "%.0f %.0f\n", point->tokens, point->floor_bytes);
            *has_floor = 1;
        }
    }
    return mg_atomic_commit(&output, error, error_size);
}

/* A layer per n-gram, the layer below standing in where a layer is unknown (glibc has no
 * active or resident; the Python peer has no requested). */
static double layer_or_below(const mg_report_run *run, int layer)
{
    for (; layer > MG_REPORT_REQUESTED && !isfinite(run->growth[layer]); layer--)
        ;
    if (layer == MG_REPORT_REQUESTED && !isfinite(run->growth[MG_REPORT_REQUESTED]))
        layer = MG_REPORT_ALLOCATED;
    return mg_report_per_ngram(run, layer);
}

static int by_rss_per_ngram(const void *left, const void *right)
{
    double a = mg_report_per_ngram(*(const mg_report_run *const *)left, MG_REPORT_RSS);
    double b = mg_report_per_ngram(*(const mg_report_run *const *)right, MG_REPORT_RSS);
    return (a > b) - (a < b);
}

/* A backend's row: its name, then each layer per n-gram over the one below, and RSS. */
static void breakdown_row(FILE *file, const mg_report_run *run)
{
    double requested = layer_or_below(run, MG_REPORT_REQUESTED), allocated = layer_or_below(run, MG_REPORT_ALLOCATED);
    double resident = layer_or_below(run, MG_REPORT_RESIDENT), rss = mg_report_per_ngram(run, MG_REPORT_RSS);
    double file_pages = isfinite(run->growth[MG_REPORT_RSS_FILE]) ? mg_report_per_ngram(run, MG_REPORT_RSS_FILE) : 0;
    char name[MG_SUBJECT_SIZE + 16];
    snprintf(name, sizeof name, "%s%s", run->chart_name, isfinite(run->growth[MG_REPORT_REQUESTED]) ? "" : " (traced)");
    mg_put_data_label(file, name);
    fprintf(file, " %.3f %.3f %.3f %.3f %.3f %.3f\n", requested, allocated - requested, resident - allocated,
            rss - file_pages - resident, file_pages, rss);
}

int mg_breakdown_data(mg_chart *chart, const mg_report_run *size, char *error, size_t error_size)
{
    const mg_report *report = chart->report;
    const mg_report_run *rows[MG_NAMES_MAX];
    size_t count = 0;
    for (int index = 0; size && index < report->backend_count; index++) {
        const mg_report_run *run = mg_report_run_at(report, report->backends[index], size);
        if (run)
            rows[count++] = run;
    }
    qsort(rows, count, sizeof *rows, by_rss_per_ngram);
    mg_atomic_file output;
    if (mg_chart_data_open(&output, chart, "bytes-breakdown", error, error_size) != 0)
        return -1;
    for (size_t row = 0; row < count; row++)
        breakdown_row(output.file, rows[row]);
    return mg_atomic_commit(&output, error, error_size);
}

typedef struct pareto_point {
    double bytes, ns;
} pareto_point;

static int by_bytes(const void *left, const void *right)
{
    const pareto_point *a = left, *b = right;
    return (a->bytes > b->bytes) - (a->bytes < b->bytes);
}

int mg_pareto_data(mg_chart *chart, const mg_report_run *size, char *error, size_t error_size)
{
    const mg_report *report = chart->report;
    pareto_point points[MG_NAMES_MAX];
    int count = 0;
    mg_atomic_file output;
    if (mg_chart_data_open(&output, chart, "pareto", error, error_size) != 0)
        return -1;
    for (int index = 0; size && index < report->backend_count; index++) {
        const mg_report_run *run = mg_report_run_at(report, report->backends[index], size);
        double ns = run ? mg_run_speed(run->json, "lookup_hit_ns") : NAN;
        if (!run || !(ns > 0) || !(mg_report_per_ngram(run, MG_REPORT_RSS) > 0))
            continue;
        points[count++] = (pareto_point){mg_report_per_ngram(run, MG_REPORT_RSS), ns};
        fprintf(output.file, "%s %.3f %.3f\n", run->chart_name, points[count - 1].bytes, ns);
    }
    if (mg_atomic_commit(&output, error, error_size) != 0 || mg_chart_data_open(&output, chart, "pareto-frontier", error, error_size) != 0)
        return -1;
    qsort(points, (size_t)count, sizeof *points, by_bytes);
    double fastest = INFINITY;
    for (int index = 0; index < count; index++) /* by bytes: undominated when faster than all smaller */
        if (points[index].ns < fastest) {
            fastest = points[index].ns;
            fprintf(output.file, "%.3f %.3f\n", points[index].bytes, points[index].ns);
        }
    return mg_atomic_commit(&output, error, error_size);
}

int mg_growth_data(mg_chart *chart, mg_report_run **scratch, int *fitted, char *error, size_t error_size)
{
    const mg_report *report = chart->report;
    mg_growth_fit fits[MG_NAMES_MAX];
    *fitted = 0;
    for (int index = 0; index < report->backend_count; index++) {
        fits[index] = mg_growth_fit_of(report, report->backends[index], scratch);
        *fitted += isfinite(fits[index].allocated) && isfinite(fits[index].rss);
    }
    if (*fitted == 0)
        return 0;
    mg_atomic_file output;
    if (mg_chart_data_open(&output, chart, "growth", error, error_size) != 0)
        return -1;
    for (int index = 0; index < report->backend_count; index++) {
        const mg_growth_fit *fit = &fits[index];
        if (!isfinite(fit->allocated) || !isfinite(fit->rss))
            continue;
        mg_put_data_label(output.file, report->chart_names[index]);
        fprintf(output.file, " %.4f %.4f \"%s\" %d %.1f\n", fit->allocated, fit->rss,
                mg_growth_is_sparse(fit) ? "sparse" : fit->mapped ? "mapped file" : "", fit->sizes, fit->span);
    }
    return mg_atomic_commit(&output, error, error_size);
}

/* The backend x allocator heat map's data: allocators.dat (column row rss fragmentation
 * file_pages, one line per pair that ended ok), allocators-columns.dat and allocators-rows.dat (index "name"). */
int mg_allocators_data(mg_chart *chart, const mg_report_run *size, char *error, size_t error_size)
{
    const mg_report *report = chart->report;
    mg_atomic_file output;
    if (mg_chart_data_open(&output, chart, "allocators", error, error_size) != 0)
        return -1;
    for (int b = 0; b < report->backend_count; b++)
        for (int a = 0; a < report->allocator_count; a++) {
            double rss, fragmentation, file_pages;
            mg_report_pair_figures(mg_report_run_under(report, report->backends[b], report->allocators[a], size), &rss, &fragmentation,
                         &file_pages);
            if (isfinite(rss) && rss > 0) {
                fprintf(output.file, "%d %d %.3f", a, b, rss);
                mg_put_figure(output.file, " ", 3, fragmentation, "0");
                fprintf(output.file, " %.3f\n", file_pages);
            }
        }
    if (mg_atomic_commit(&output, error, error_size) != 0 ||
        mg_chart_data_open(&output, chart, "allocators-columns", error, error_size) != 0)
        return -1;
    for (int a = 0; a < report->allocator_count; a++) {
        fprintf(output.file, "%d ", a);
        mg_put_data_label(output.file, report->allocators[a]);
        fputc('\n', output.file);
    }
    if (mg_atomic_commit(&output, error, error_size) != 0 || mg_chart_data_open(&output, chart, "allocators-rows", error, error_size) != 0)
        return -1;
    for (int b = 0; b < report->backend_count; b++) {
        fprintf(output.file, "%d ", b);
        mg_put_data_label(output.file, report->chart_names[b]);
        fputc('\n', output.file);
    }
    return mg_atomic_commit(&output, error, error_size);
}

/* ---- a backend's timeline ---------------------------------------------------------------------- */

static double mebibytes(double bytes)
{
    return bytes / 1048576.0;
}

static void duration_text(double seconds, char *text, size_t text_size)
{
    if (!isfinite(seconds))
        snprintf(text, text_size, "?");
    else if (seconds >= 1)
        snprintf(text, text_size, "%.1f s", seconds);
    else if (seconds >= 0.001)
        snprintf(text, text_size, "%.0f ms", seconds * 1e3);
    else
        snprintf(text, text_size, "<1 ms");
}

/* requested, allocated and rss in MiB. */
static void timeline_layers_row(FILE *file, const mg_run_point *point)
{
    mg_put_figure(file, " ", 3, mebibytes(point->requested), "NaN");
    mg_put_figure(file, " ", 3, mebibytes(point->allocated), "NaN");
    mg_put_figure(file, " ", 3, mebibytes(point->rss), "NaN");
    fputc('\n', file);
}

/* Training samples (with the baseline and train ends) into one file, phase ends into the other. */
static void timeline_rows(const mg_report_run *run, FILE *training, FILE *phases)
{
    int phase_position = 0;
    for (size_t index = 0; index < mg_run_timeline_length(run->json); index++) {
        mg_run_point point = mg_run_timeline_point(run->json, index);
        if (!point.end || strcmp(point.phase, "baseline") == 0 || strcmp(point.phase, "train") == 0) {
            fprintf(training, "%.0f %.6f", point.grams, point.seconds);
            timeline_layers_row(training, &point);
        }
        if (point.end) {
            char took[32];
            duration_text(mg_run_phase_figure(run->json, point.phase, "seconds"), took, sizeof took);
            fprintf(phases, "%d \"%s (%s)\"", phase_position++, point.phase, took);
            timeline_layers_row(phases, &point);
        }
    }
}

int mg_timeline_data(mg_chart *chart, const char *backend, mg_report_run **scratch, const mg_report_run **shown,
                         char *error, size_t error_size)
{
    size_t count = mg_report_backend_series(chart->report, backend, scratch);
    *shown = NULL;
    if (count == 0 || mg_run_timeline_length(scratch[count - 1]->json) == 0)
        return 0;
    *shown = scratch[count - 1];
    char name[256];
    mg_atomic_file training, phases;
    mg_file_name("timeline-", backend, "", name, sizeof name);
    if (mg_chart_data_open(&training, chart, name, error, error_size) != 0)
        return -1;
    mg_file_name("timeline-", backend, "-phases", name, sizeof name);
    if (mg_chart_data_open(&phases, chart, name, error, error_size) != 0) {
        mg_atomic_abandon(&training);
        return -1;
    }
    timeline_rows(*shown, training.file, phases.file);
    int status = mg_atomic_commit(&training, error, error_size);
    return mg_atomic_commit(&phases, error, error_size) | status;
}
