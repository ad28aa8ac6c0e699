/* parts_charts.c — see parts_charts.h. */
#include "parts_charts.h"
#include "growth_fit.h"
#include "parts.h"
#include "report_files.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- one colour per part name ---- */

enum { NAMES_MAX = 256, NAME_SIZE = 72 };

/* Every part name of the report's runs, sorted, so each has one colour whatever the chart. */
typedef struct part_names {
    char names[NAMES_MAX][NAME_SIZE];
    int count;
} part_names;

static int by_name(const void *left, const void *right)
{
    return strcmp(left, right);
}

static void names_of(const mg_report *report, part_names *list)
{
    list->count = 0;
    for (size_t index = 0; index < report->run_count; index++) {
        mg_run_part parts[MG_RUN_PARTS_MAX];
        size_t count = mg_run_parts(report->runs[index].json, parts, MG_RUN_PARTS_MAX);
        for (size_t part = 0; part < count; part++) {
            int known = 0;
            for (int name = 0; name < list->count && !known; name++)
                known = strcmp(list->names[name], parts[part].name) == 0;
            if (!known && list->count < NAMES_MAX)
                snprintf(list->names[list->count++], NAME_SIZE, "%s", parts[part].name);
        }
    }
    qsort(list->names, (size_t)list->count, NAME_SIZE, by_name);
}

/* The family of a part: its name up to the first dot. */
static size_t family_length(const char *name)
{
    return strcspn(name, ".");
}

static int same_family(const char *a, const char *b)
{
    return family_length(a) == family_length(b) && strncmp(a, b, family_length(a)) == 0;
}

/* 0xRRGGBB of the part: the hue of its family (families in order of their names), lighter for each
 * later name of the family; grey for "other". */
static unsigned part_colour(const part_names *list, const char *name)
{
    static const unsigned hues[] = {0x1f77b4, 0xd62728, 0x2ca02c, 0x9467bd, 0xff7f0e, 0x8c564b,
                                    0xe377c2, 0x17becf, 0xbcbd22, 0x393b79, 0x637939, 0x7b4173};
    if (strcmp(name, "other") == 0)
        return 0xbdbdbd;
    int family = 0, member = 0, members = 0;
    for (int index = 0; index < list->count; index++) {
        const char *listed = list->names[index];
        if (strcmp(listed, "other") == 0)
            continue;
        int first_of_family = index == 0 || strcmp(list->names[index - 1], "other") == 0 ||
                              !same_family(list->names[index - 1], listed);
        if (same_family(listed, name)) {
            member += strcmp(listed, name) < 0;
            members++;
        } else if (first_of_family && strcmp(listed, name) < 0) {
            family++;
        }
    }
    unsigned hue = hues[family % (int)(sizeof hues / sizeof hues[0])], colour = 0;
    double light = members > 1 ? 0.6 * member / (members - 1) : 0; /* toward white */
    for (int shift = 16; shift >= 0; shift -= 8) {
        unsigned channel = (hue >> shift) & 0xff;
        colour |= (unsigned)lround(channel + (255 - channel) * light) << shift;
    }
    return colour;
}

/* ---- the stacked bars ---- */

/* A label's width in units of the x axis's range: DejaVu Sans 10 on the plot's ~780 pixels. */
#define LABEL_CHARACTER_SHARE 0.0085
/* The x axis runs to this share: room after a whole bar for its bytes. */
#define AXIS_END 1.2

/* The segment's label: "name 1.2" where it fits, the figure alone where that fits, else none. */
static void segment_label(const mg_run_part *part, double width_share, char *label, size_t label_size)
{
    char figure[32];
    mg_part_figure_text(part->per_ngram, figure, sizeof figure);
    snprintf(label, label_size, "%s %s", part->name, figure);
    if ((double)strlen(label) * LABEL_CHARACTER_SHARE <= width_share)
        return;
    snprintf(label, label_size, "%s", (double)strlen(figure) * LABEL_CHARACTER_SHARE <= width_share ? figure : "");
}

/* The bar's whole: the parts' bytes per n-gram summed (a part under 0 counts as 0). */
static double bar_whole(const mg_run_part *parts, size_t count)
{
    double whole = 0;
    for (size_t index = 0; index < count; index++)
        whole += parts[index].per_ngram > 0 ? parts[index].per_ngram : 0;
    return whole;
}

static double run_whole(const mg_report_run *run)
{
    mg_run_part parts[MG_RUN_PARTS_MAX];
    return bar_whole(parts, mg_run_parts(run->json, parts, MG_RUN_PARTS_MAX));
}

/* A subject whose parts hold less than this per n-gram keeps its table off the heap (a mapped
 * file's pages are not requested bytes): a 100% bar, or the growth, of its handle would read as
 * a layout. Neither chart shows it. */
#define HEAP_WHOLE_MIN 0.05

/* By the bars' wholes, the smallest first. */
static int by_whole(const void *left, const void *right)
{
    double a = run_whole(*(const mg_report_run *const *)left), b = run_whole(*(const mg_report_run *const *)right);
    return (a > b) - (a < b);
}

/* parts.dat: row share_from share_to colour "label", one line per segment, each part as its share of
 * the bar (100% stacked, as bytes-breakdown: a compact backend's parts read as well as a big one's);
 * returns the bar's whole in bytes per n-gram. */
static double bar_segments(FILE *file, int row, const mg_report_run *run, const part_names *list)
{
    mg_run_part parts[MG_RUN_PARTS_MAX];
    size_t count = mg_parts_sorted(run->json, parts);
    double whole = bar_whole(parts, count), at = 0;
    for (size_t index = 0; whole > 0 && index < count; index++) {
        double width = parts[index].per_ngram / whole;
        if (!(width > 0))
            continue;
        char label[160];
        segment_label(&parts[index], width / AXIS_END, label, sizeof label);
        fprintf(file, "%d %.5f %.5f %u ", row, at, at + width, part_colour(list, parts[index].name));
        mg_put_data_label(file, label);
        fputc('\n', file);
        at += width;
    }
    return whole;
}

/* parts-key.dat: x y colour "name" of each part drawn, in columns on a unit square. */
static void key_rows(FILE *file, const mg_report_run **rows, size_t count, const part_names *list)
{
    enum { KEY_COLUMNS = 4 };
    int shown[NAMES_MAX] = {0}, total = 0;
    for (size_t row = 0; row < count; row++) {
        mg_run_part parts[MG_RUN_PARTS_MAX];
        size_t part_count = mg_run_parts(rows[row]->json, parts, MG_RUN_PARTS_MAX);
        for (size_t part = 0; part < part_count; part++)
            for (int name = 0; name < list->count; name++)
                if (parts[part].per_ngram > 0 && strcmp(list->names[name], parts[part].name) == 0)
                    shown[name] = 1;
    }
    for (int name = 0; name < list->count; name++)
        total += shown[name];
    int key_rows_count = (total + KEY_COLUMNS - 1) / KEY_COLUMNS, place = 0;
    for (int name = 0; name < list->count; name++) {
        if (!shown[name])
            continue;
        int column = place / (key_rows_count ? key_rows_count : 1), line = place % (key_rows_count ? key_rows_count : 1);
        fprintf(file, "%.3f %.3f %u ", 0.02 + column * (1.0 / KEY_COLUMNS), 1 - (line + 0.5) / (key_rows_count > 4 ? key_rows_count : 4),
                part_colour(list, list->names[name]));
        mg_put_data_label(file, list->names[name]);
        fputc('\n', file);
        place++;
    }
}

int mg_parts_data(mg_chart *chart, const mg_report_run *size, int *drawn, char *error, size_t error_size)
{
    const mg_report *report = chart->report;
    const mg_report_run *rows[MG_NAMES_MAX];
    size_t count = 0;
    for (int index = 0; size && index < report->backend_count; index++) {
        const mg_report_run *run = mg_report_run_at(report, report->backends[index], size);
        if (run && mg_parts_named(run->json) && run_whole(run) >= HEAP_WHOLE_MIN)
            rows[count++] = run;
    }
    *drawn = count > 0;
    if (!count)
        return 0;
    qsort(rows, count, sizeof *rows, by_whole);
    part_names *list = malloc(sizeof *list);
    if (!list) {
        snprintf(error, error_size, "out of memory for the parts chart");
        return -1;
    }
    names_of(report, list);
    mg_atomic_file segments, names, key;
    int status = mg_chart_data_open(&segments, chart, "parts", error, error_size);
    if (status == 0 && (status = mg_chart_data_open(&names, chart, "parts-rows", error, error_size)) != 0)
        mg_atomic_abandon(&segments);
    if (status == 0 && (status = mg_chart_data_open(&key, chart, "parts-key", error, error_size)) != 0) {
        mg_atomic_abandon(&segments);
        mg_atomic_abandon(&names);
    }
    if (status == 0) {
        for (size_t row = 0; row < count; row++) {
            double whole = bar_segments(segments.file, (int)row, rows[row], list);
            fprintf(names.file, "%zu ", row);
            mg_put_data_label(names.file, rows[row]->chart_name);
            fprintf(names.file, " %.4f %.2f\n", whole, AXIS_END);
        }
        key_rows(key.file, rows, count, list);
        status = mg_atomic_commit(&segments, error, error_size);
        status |= mg_atomic_commit(&names, error, error_size);
        status |= mg_atomic_commit(&key, error, error_size);
    }
    free(list);
    return status ? -1 : 0;
}

/* ---- growth, part by part ---- */

/* Parts under this share of their subject's parts at its largest size are left out of the growth
 * chart: a fixed handle or header fits a flat line that says nothing of the table. */
#define GROWTH_SHARE_MIN 0.01

/* A part's bytes at finalize in run, or NAN where the run has no such part. */
static double part_bytes(json_t *run, const char *name)
{
    mg_run_part parts[MG_RUN_PARTS_MAX];
    size_t count = mg_run_parts(run, parts, MG_RUN_PARTS_MAX);
    for (size_t index = 0; index < count; index++)
        if (strcmp(parts[index].name, name) == 0)
            return parts[index].bytes;
    return NAN;
}

/* The fits of one subject's parts over its series runs (by tokens): rows of parts-growth.dat
 * (row exponent colour "label") under a heading row of parts-growth-rows.dat (row "name"). Returns
 * how many parts it fitted; *row moves past the rows written. */
static int subject_growth(FILE *bars, FILE *names, mg_report_run **runs, size_t count, const char *chart_name,
                          const part_names *list, int *row, double *tokens, double *bytes)
{
    if (count < 3 || runs[count - 1]->tokens < 4 * runs[0]->tokens || !mg_parts_named(runs[count - 1]->json) ||
        run_whole(runs[count - 1]) < HEAP_WHOLE_MIN)
        return 0;
    mg_run_part parts[MG_RUN_PARTS_MAX];
    size_t part_count = mg_parts_sorted(runs[count - 1]->json, parts);
    double whole = 0;
    for (size_t part = 0; part < part_count; part++)
        whole += parts[part].bytes > 0 ? parts[part].bytes : 0;
    int fitted = 0;
    for (size_t part = 0; part < part_count; part++) {
        if (!(parts[part].bytes >= GROWTH_SHARE_MIN * whole) || !(parts[part].bytes > 0))
            continue;
        for (size_t index = 0; index < count; index++)
            tokens[index] = runs[index]->tokens, bytes[index] = part_bytes(runs[index]->json, parts[part].name);
        double exponent = mg_fit_exponent(tokens, bytes, count);
        if (!isfinite(exponent))
            continue;
        if (fitted++ == 0) {
            fprintf(names, "%d ", (*row)++);
            mg_put_data_label(names, chart_name);
            fputc('\n', names);
        }
        char label[160];
        snprintf(label, sizeof label, "%s  b = %.2f", parts[part].name, exponent);
        fprintf(bars, "%d %.4f %u ", (*row)++, exponent, part_colour(list, parts[part].name));
        mg_put_data_label(bars, label);
        fputc('\n', bars);
    }
    return fitted;
}

/* The exponent of the distinct n-grams over the series of the first subject with 3 sizes. */
static double ngrams_exponent(const mg_report *report, mg_report_run **scratch, double *tokens, double *ngrams)
{
    for (int index = 0; index < report->backend_count; index++) {
        size_t count = mg_report_backend_series(report, report->backends[index], scratch);
        for (size_t run = 0; run < count; run++)
            tokens[run] = scratch[run]->tokens, ngrams[run] = scratch[run]->ngrams;
        double exponent = count >= 3 ? mg_fit_exponent(tokens, ngrams, count) : NAN;
        if (isfinite(exponent))
            return exponent;
    }
    return NAN;
}

int mg_parts_growth_data(mg_chart *chart, mg_report_run **scratch, int *drawn, double *ngram_exponent, char *error,
                         size_t error_size)
{
    const mg_report *report = chart->report;
    size_t room = report->run_count ? report->run_count : 1;
    double *tokens = malloc(2 * room * sizeof *tokens), *bytes = tokens ? tokens + room : NULL;
    part_names *list = malloc(sizeof *list);
    mg_atomic_file bars, names;
    int status = 0, fitted = 0, row = 0;
    *drawn = 0;
    if (!tokens || !list) {
        snprintf(error, error_size, "out of memory for the parts growth chart");
        status = -1;
    }
    if (status == 0)
        status = mg_chart_data_open(&bars, chart, "parts-growth", error, error_size);
    if (status == 0 && (status = mg_chart_data_open(&names, chart, "parts-growth-rows", error, error_size)) != 0)
        mg_atomic_abandon(&bars);
    if (status == 0) {
        names_of(report, list);
        for (int index = 0; index < report->backend_count; index++) {
            size_t count = mg_report_backend_series(report, report->backends[index], scratch);
            fitted += subject_growth(bars.file, names.file, scratch, count, report->chart_names[index], list, &row,
                                     tokens, bytes);
        }
        *ngram_exponent = ngrams_exponent(report, scratch, tokens, bytes);
        if (fitted) {
            status = mg_atomic_commit(&bars, error, error_size) | mg_atomic_commit(&names, error, error_size);
        } else {
            mg_atomic_abandon(&bars);
            mg_atomic_abandon(&names);
        }
    }
    *drawn = status == 0 && fitted > 0;
    free(tokens);
    free(list);
    return status ? -1 : 0;
}
