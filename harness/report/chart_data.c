/* chart_data.c — see chart_data.h. */
#include "chart_data.h"
#include "atomic_file.h"
#include "cell.h"
#include "growth_fit.h"
#include "report_files.h"
#include "run_fields.h"
#include "statistics.h"
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

/* ---- bytes against lookup time ------------------------------------------------------------- */

/* A label's size and its distance from its point, in the plot's unit square (the log axes mapped to
 * 0..1): DejaVu Sans 12 on the 960 x 600 SVG, whose plot area is about 840 x 430 pixels. */
#define LABEL_CHARACTER_WIDTH 0.0088
#define LABEL_HEIGHT 0.04
#define LABEL_GAP_X 0.014
#define LABEL_GAP_Y 0.03
#define POINT_HALF_X 0.011 /* a point's disc, as an obstacle */
#define POINT_HALF_Y 0.02

void mg_label_box(const mg_chart_label *label, double box[4])
{
    double width = label->width, x = label->x, y = label->y;
    int diagonal = label->side >= MG_LABEL_ABOVE_RIGHT; /* clear of the point's disc by height alone */
    double gap_x = diagonal ? 0.4 * LABEL_GAP_X : LABEL_GAP_X, gap_y = diagonal ? 0.75 * LABEL_GAP_Y : LABEL_GAP_Y;
    int rightwards = label->side == MG_LABEL_RIGHT || label->side == MG_LABEL_ABOVE_RIGHT || label->side == MG_LABEL_BELOW_RIGHT;
    int leftwards = label->side == MG_LABEL_LEFT || label->side == MG_LABEL_ABOVE_LEFT || label->side == MG_LABEL_BELOW_LEFT;
    int upwards = label->side == MG_LABEL_ABOVE || label->side == MG_LABEL_ABOVE_RIGHT || label->side == MG_LABEL_ABOVE_LEFT;
    int downwards = label->side == MG_LABEL_BELOW || label->side == MG_LABEL_BELOW_RIGHT || label->side == MG_LABEL_BELOW_LEFT;
    box[0] = rightwards ? x + gap_x : leftwards ? x - gap_x - width : x - width / 2;
    box[1] = upwards ? y + gap_y : downwards ? y - gap_y - LABEL_HEIGHT : y - LABEL_HEIGHT / 2;
    box[2] = box[0] + width;
    box[3] = box[1] + LABEL_HEIGHT;
}

static int boxes_meet(const double a[4], const double b[4])
{
    return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
}

/* How badly a label in box sits: on a point (its own included, as a disc), across a segment, on a
 * label already placed, or out of the plot. */
static double label_cost(const double box[4], const mg_chart_label *labels, int count, int self,
                         double (*segments)[4], int segment_count)
{
    double cost = 0;
    for (int other = 0; other < count; other++) {
        double disc[4] = {labels[other].x - POINT_HALF_X, labels[other].y - POINT_HALF_Y, labels[other].x + POINT_HALF_X,
                          labels[other].y + POINT_HALF_Y};
        cost += boxes_meet(box, disc) ? 10 : 0;
        double placed[4];
        if (other < self) {
            mg_label_box(&labels[other], placed);
            cost += boxes_meet(box, placed) ? 8 : 0;
        }
    }
    for (int segment = 0; segment < segment_count; segment++) {
        const double *ends = segments[segment];
        double span[4] = {fmin(ends[0], ends[2]), fmin(ends[1], ends[3]), fmax(ends[0], ends[2]), fmax(ends[1], ends[3])};
        cost += boxes_meet(box, span) ? 3 : 0;
    }
    cost += box[0] < 0 || box[1] < 0 || box[2] > 1 || box[3] > 1 ? 6 : 0;
    return cost;
}

void mg_place_labels(mg_chart_label *labels, int count, double (*segments)[4], int segment_count)
{
    for (int index = 0; index < count; index++) {
        double best = INFINITY;
        int best_side = MG_LABEL_RIGHT;
        for (int side = 0; side < MG_LABEL_SIDES; side++) { /* the sides in order of preference */
            double box[4];
            labels[index].side = side;
            mg_label_box(&labels[index], box);
            double cost = label_cost(box, labels, count, index, segments, segment_count);
            if (cost < best)
                best = cost, best_side = side;
        }
        labels[index].side = best_side;
    }
}

double mg_label_width(const char *name)
{
    return (double)strlen(name) * LABEL_CHARACTER_WIDTH;
}

/* A backend at the common size: the median lookup-hit time and RSS per n-gram with their ranges
 * ([0] median, [1] least, [2] most) over every round of every run of the cell. */
typedef struct pareto_point {
    const char *name;
    double bytes[3], ns[3];
    size_t rounds, runs;
} pareto_point;

static void median_and_range(double *values, size_t count, double figure[3])
{
    figure[0] = mg_median_sort(values, count); /* sorts them */
    figure[1] = count ? values[0] : NAN;
    figure[2] = count ? values[count - 1] : NAN;
}

/* The figures of backend's runs in the cell of size (a sweep's --processes runs a cell several
 * times); 0 when no run there has both. values has room for MG_STATS_SAMPLES_MAX of each. */
static int pareto_point_of(const mg_report *report, int backend, const mg_report_run *size, double *rounds,
                           double *bytes, pareto_point *point)
{
    size_t round_count = 0, run_count = 0;
    for (size_t index = 0; index < report->run_count; index++) {
        const mg_report_run *run = &report->runs[index];
        double rss = mg_report_per_ngram(run, MG_REPORT_RSS);
        if (!mg_report_in_series(report, run) || strcmp(run->backend, report->backends[backend]) != 0 ||
            !mg_report_same_cell(size->corpus, size->fraction, size->order, run) || !(rss > 0) || run_count == MG_STATS_SAMPLES_MAX)
            continue;
        json_t *samples = mg_run_speed_samples(run->json, "lookup_hit_ns"), *sample;
        size_t at, before = round_count;
        json_array_foreach(samples, at, sample) {
            double ns = json_number_value(sample);
            if (json_is_number(sample) && ns > 0 && isfinite(ns) && round_count < MG_STATS_SAMPLES_MAX)
                rounds[round_count++] = ns;
        }
        double median = mg_run_speed(run->json, "lookup_hit_ns");
        if (round_count == before && median > 0 && isfinite(median)) /* a run that kept no rounds */
            rounds[round_count++] = median;
        if (round_count > before)
            bytes[run_count++] = rss;
    }
    *point = (pareto_point){.name = report->chart_names[backend], .rounds = round_count, .runs = run_count};
    median_and_range(rounds, round_count, point->ns);
    median_and_range(bytes, run_count, point->bytes);
    return run_count > 0;
}

static int by_bytes(const void *left, const void *right)
{
    const pareto_point *a = left, *b = right;
    return (a->bytes[0] > b->bytes[0]) - (a->bytes[0] < b->bytes[0]);
}

/* The log axes' ends: the least and most of every range, a margin of a tenth of the span (a
 * quarter of a decade at least) beyond. */
typedef struct pareto_axes {
    double x[2], y[2]; /* log10 of the ends */
} pareto_axes;

static pareto_axes pareto_axes_of(const pareto_point *points, int count)
{
    pareto_axes axes = {{INFINITY, -INFINITY}, {INFINITY, -INFINITY}};
    for (int index = 0; index < count; index++) {
        axes.x[0] = fmin(axes.x[0], log10(points[index].bytes[1])), axes.x[1] = fmax(axes.x[1], log10(points[index].bytes[2]));
        axes.y[0] = fmin(axes.y[0], log10(points[index].ns[1])), axes.y[1] = fmax(axes.y[1], log10(points[index].ns[2]));
    }
    double *ends[2] = {axes.x, axes.y};
    for (int axis = 0; axis < 2; axis++) {
        double margin = fmax(0.1 * (ends[axis][1] - ends[axis][0]), 0.125);
        ends[axis][0] -= margin, ends[axis][1] += margin;
    }
    return axes;
}

static double unit_of(double value, const double ends[2])
{
    return (log10(value) - ends[0]) / (ends[1] - ends[0]);
}

static double value_of(double unit, const double ends[2])
{
    return pow(10, ends[0] + unit * (ends[1] - ends[0]));
}

/* The obstacles a label keeps off, in the unit square: each point's error bars, and the frontier's
 * steps (from a point across to the next's bytes, then down to its time). Returns how many. */
static int pareto_segments(const pareto_point *points, int count, const int *frontier, int frontier_count,
                           const pareto_axes *axes, double (*segments)[4])
{
    int used = 0;
    for (int index = 0; index < count; index++) {
        double x = unit_of(points[index].bytes[0], axes->x), y = unit_of(points[index].ns[0], axes->y);
        segments[used][0] = unit_of(points[index].bytes[1], axes->x), segments[used][1] = y;
        segments[used][2] = unit_of(points[index].bytes[2], axes->x), segments[used++][3] = y;
        segments[used][0] = x, segments[used][1] = unit_of(points[index].ns[1], axes->y);
        segments[used][2] = x, segments[used++][3] = unit_of(points[index].ns[2], axes->y);
    }
    for (int step = 0; step + 1 < frontier_count; step++) {
        const pareto_point *from = &points[frontier[step]], *to = &points[frontier[step + 1]];
        double x0 = unit_of(from->bytes[0], axes->x), y0 = unit_of(from->ns[0], axes->y);
        double x1 = unit_of(to->bytes[0], axes->x), y1 = unit_of(to->ns[0], axes->y);
        double across[4] = {x0, y0, x1, y0}, down[4] = {x1, y0, x1, y1};
        memcpy(segments[used++], across, sizeof across);
        memcpy(segments[used++], down, sizeof down);
    }
    return used;
}

/* pareto.dat: "name" bytes bytes_least bytes_most ns ns_least ns_most label_x label_y align rounds runs
 * (align 0 left, 1 centre, 2 right of label_x), by bytes. */
static void pareto_rows(FILE *file, const pareto_point *points, int count, const int *frontier, int frontier_count,
                        const pareto_axes *axes)
{
    mg_chart_label labels[MG_NAMES_MAX];
    double segments[4 * MG_NAMES_MAX][4];
    for (int index = 0; index < count; index++)
        labels[index] = (mg_chart_label){unit_of(points[index].bytes[0], axes->x), unit_of(points[index].ns[0], axes->y),
                                         mg_label_width(points[index].name), MG_LABEL_RIGHT};
    mg_place_labels(labels, count, segments, pareto_segments(points, count, frontier, frontier_count, axes, segments));
    fputs("# \"name\" bytes bytes_least bytes_most ns ns_least ns_most label_x label_y align rounds runs\n", file);
    for (int index = 0; index < count; index++) {
        const pareto_point *point = &points[index];
        double box[4];
        mg_label_box(&labels[index], box);
        int align = box[0] > labels[index].x ? 0 : box[2] < labels[index].x ? 2 : 1;
        double anchor = align == 0 ? box[0] : align == 2 ? box[2] : labels[index].x;
        mg_put_data_label(file, point->name);
        fprintf(file, " %.3f %.3f %.3f %.3f %.3f %.3f %.4g %.4g %d %zu %zu\n", point->bytes[0], point->bytes[1],
                point->bytes[2], point->ns[0], point->ns[1], point->ns[2], value_of(anchor, axes->x),
                value_of((box[1] + box[3]) / 2, axes->y), align, point->rounds, point->runs);
    }
}

int mg_pareto_data(mg_chart *chart, const mg_report_run *size, char *error, size_t error_size)
{
    const mg_report *report = chart->report;
    pareto_point points[MG_NAMES_MAX];
    int count = 0, frontier[MG_NAMES_MAX], frontier_count = 0;
    double *values = malloc(2 * MG_STATS_SAMPLES_MAX * sizeof *values);
    if (!values) {
        snprintf(error, error_size, "out of memory for the pareto chart's rounds");
        return -1;
    }
    for (int index = 0; size && index < report->backend_count; index++)
        count += pareto_point_of(report, index, size, values, values + MG_STATS_SAMPLES_MAX, &points[count]);
    free(values);
    qsort(points, (size_t)count, sizeof *points, by_bytes);
    double fastest = INFINITY;
    for (int index = 0; index < count; index++) /* by bytes: undominated when faster than all smaller */
        if (points[index].ns[0] < fastest) {
            fastest = points[index].ns[0];
            frontier[frontier_count++] = index;
        }
    pareto_axes axes = pareto_axes_of(points, count);
    mg_atomic_file output;
    if (mg_chart_data_open(&output, chart, "pareto", error, error_size) != 0)
        return -1;
    pareto_rows(output.file, points, count, frontier, frontier_count, &axes);
    if (mg_atomic_commit(&output, error, error_size) != 0 || mg_chart_data_open(&output, chart, "pareto-frontier", error, error_size) != 0)
        return -1;
    for (int index = 0; index < frontier_count; index++)
        fprintf(output.file, "%.3f %.3f\n", points[frontier[index]].bytes[0], points[frontier[index]].ns[0]);
    if (mg_atomic_commit(&output, error, error_size) != 0 || mg_chart_data_open(&output, chart, "pareto-axes", error, error_size) != 0)
        return -1;
    if (count)
        fprintf(output.file, "%.4g %.4g %.4g %.4g\n", pow(10, axes.x[0]), pow(10, axes.x[1]), pow(10, axes.y[0]), pow(10, axes.y[1]));
    else /* nothing measured: a blank chart on axes of a plausible size */
        fputs("1 1000 10 10000\n", output.file);
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

/* The point at the end of the baseline phase (the timeline's first), whose layers every other
 * point is drawn over: what the table costs, not the process. */
static mg_run_point timeline_baseline(json_t *run)
{
    for (size_t index = 0; index < mg_run_timeline_length(run); index++) {
        mg_run_point point = mg_run_timeline_point(run, index);
        if (point.end && strcmp(point.phase, "baseline") == 0)
            return point;
    }
    return mg_run_timeline_point(run, 0);
}

/* requested, allocated and rss over the baseline's, in MiB. */
static void timeline_layers_row(FILE *file, const mg_run_point *point, const mg_run_point *baseline)
{
    mg_put_figure(file, " ", 3, mebibytes(point->requested - baseline->requested), "NaN");
    mg_put_figure(file, " ", 3, mebibytes(point->allocated - baseline->allocated), "NaN");
    mg_put_figure(file, " ", 3, mebibytes(point->rss - baseline->rss), "NaN");
    fputc('\n', file);
}

/* Is point drawn on the training panel: a training sample, or the end of baseline or train? */
static int training_point(const mg_run_point *point)
{
    return !point->end || strcmp(point->phase, "baseline") == 0 || strcmp(point->phase, "train") == 0;
}

/* Training samples (with the baseline and train ends) into one file, phase ends into the other. */
static void timeline_rows(const mg_report_run *run, FILE *training, FILE *phases)
{
    int phase_position = 0;
    mg_run_point baseline = timeline_baseline(run->json);
    for (size_t index = 0; index < mg_run_timeline_length(run->json); index++) {
        mg_run_point point = mg_run_timeline_point(run->json, index);
        if (training_point(&point)) {
            fprintf(training, "%.0f %.6f", point.grams, point.seconds);
            timeline_layers_row(training, &point, &baseline);
        }
        if (point.end) {
            char took[32], label[128];
            duration_text(mg_run_phase_figure(run->json, point.phase, "seconds"), took, sizeof took);
            snprintf(label, sizeof label, "%s (%s)", point.phase, took);
            fprintf(phases, "%d ", phase_position++);
            mg_put_data_label(phases, label);
            timeline_layers_row(phases, &point, &baseline);
        }
    }
}

/* backend's run at size that has a timeline, or NULL. */
static const mg_report_run *timeline_run(const mg_report *report, const char *backend, const mg_report_run *size)
{
    const mg_report_run *run = size ? mg_report_run_at(report, backend, size) : NULL;
    return run && mg_run_timeline_length(run->json) > 0 ? run : NULL;
}

int mg_timeline_data(mg_chart *chart, const char *backend, const mg_report_run *size, const mg_report_run **shown,
                     char *error, size_t error_size)
{
    *shown = timeline_run(chart->report, backend, size);
    if (!*shown)
        return 0;
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

/* One backend's block of timelines.dat (grams_added rss_MiB) and of timelines-phases.dat
 * (position "phase" rss_MiB), RSS over the baseline's. */
static void timelines_block(const mg_report_run *run, FILE *training, FILE *phases)
{
    int phase_position = 0;
    mg_run_point baseline = timeline_baseline(run->json);
    for (size_t index = 0; index < mg_run_timeline_length(run->json); index++) {
        mg_run_point point = mg_run_timeline_point(run->json, index);
        if (training_point(&point)) {
            fprintf(training, "%.0f", point.grams);
            mg_put_figure(training, " ", 3, mebibytes(point.rss - baseline.rss), "NaN");
            fputc('\n', training);
        }
        if (point.end) {
            fprintf(phases, "%d ", phase_position++);
            mg_put_data_label(phases, point.phase);
            mg_put_figure(phases, " ", 3, mebibytes(point.rss - baseline.rss), "NaN");
            fputc('\n', phases);
        }
    }
    fputs("\n\n", training);
    fputs("\n\n", phases);
}

int mg_timelines_data(mg_chart *chart, const mg_report_run *size, char *shown, size_t shown_size, char *error,
                      size_t error_size)
{
    const mg_report *report = chart->report;
    mg_atomic_file training, phases;
    *shown = '\0';
    if (mg_chart_data_open(&training, chart, "timelines", error, error_size) != 0)
        return -1;
    if (mg_chart_data_open(&phases, chart, "timelines-phases", error, error_size) != 0) {
        mg_atomic_abandon(&training);
        return -1;
    }
    for (int index = 0; index < report->backend_count; index++) {
        const mg_report_run *run = timeline_run(report, report->backends[index], size);
        if (!run)
            continue;
        size_t used = strlen(shown);
        snprintf(shown + used, shown_size - used, "%s%s", used ? " " : "", report->chart_names[index]);
        timelines_block(run, training.file, phases.file);
    }
    int status = mg_atomic_commit(&training, error, error_size);
    return mg_atomic_commit(&phases, error, error_size) | status;
}
