/* charts.c — see charts.h. */
#include "charts.h"
#include "message.h"
#include "atomic_file.h"
#include "cell.h"
#include "data_path.h"
#include "results.h"
#include "results_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define SCRIPT_FOLDER ((char *)mg_data_folder(MG_DATA_SCRIPTS))
#define NAMES_MAX 32
#define PATH_SIZE 4400

/* The memory layers of a run, bottom up (the measurement model), then rss split by what backs
 * its pages: anonymous memory, and file pages (a mapped image) the kernel can drop and reread. */
enum { REQUESTED, ALLOCATED, ACTIVE, RESIDENT, RSS, RSS_ANON, RSS_FILE, LAYERS };
static const char *const layer_names[LAYERS] = {"requested", "allocated", "active", "resident", "rss", "rss_anon",
                                                "rss_file"};

typedef struct report_run {
    json_t *json; /* the run object (owned by the report) */
    const char *backend, *corpus, *allocator, *status;
    double fraction, tokens, ngrams;
    int order, ok;
    double growth[LAYERS]; /* bytes over baseline at the end of finalize; NAN where unknown */
} report_run;

typedef struct floor_point {
    json_t *json;
    const char *corpus;
    double fraction, floor_bytes, tokens; /* tokens from the matching run; NAN if none */
    int order;
} floor_point;

typedef struct report {
    const char *dir;
    report_run *runs;
    size_t run_count;
    floor_point *floors;
    size_t floor_count;
    const char *backends[NAMES_MAX]; /* in order of first appearance */
    int backend_count;
    const char *allocators[NAMES_MAX]; /* allocator names (without options), in order of first appearance */
    int allocator_count;
    /* the chart series: see charts.h */
    int order;
    const char *allocator, *scaled_corpus;
} report;

/* ---- reading ----------------------------------------------------------------------- */

static const char *text_of(json_t *object, const char *field)
{
    const char *text = json_string_value(json_object_get(object, field));
    return text ? text : "?";
}

static double number_of(json_t *object, const char *field)
{
    json_t *value = json_object_get(object, field);
    return json_is_number(value) ? json_number_value(value) : NAN;
}

/* Adds name to names[] (of *count) unless it is there; NAMES_MAX at most. */
static void add_name(const char **names, int *count, const char *name)
{
    for (int index = 0; index < *count; index++)
        if (strcmp(names[index], name) == 0)
            return;
    if (*count < NAMES_MAX)
        names[(*count)++] = name;
}

static void describe_run(report *report, report_run *run, json_t *object)
{
    run->json = object;
    run->backend = text_of(object, "backend");
    run->corpus = text_of(object, "corpus");
    run->allocator = text_of(object, "allocator");
    run->status = text_of(object, "status");
    run->fraction = number_of(object, "fraction");
    run->order = (int)json_integer_value(json_object_get(object, "order")); /* checked by mg_run_fault */
    run->tokens = number_of(object, "tokens");
    run->ngrams = number_of(object, "ngrams");
    run->ok = strcmp(run->status, "ok") == 0 && run->ngrams > 0;
    for (int layer = 0; layer < LAYERS; layer++)
        run->growth[layer] = mg_run_layer_growth(object, layer_names[layer]);
    add_name(report->backends, &report->backend_count, run->backend);
    add_name(report->allocators, &report->allocator_count, run->allocator);
}

static int same_cell(const char *corpus, double fraction, int order, const report_run *run)
{
    return strcmp(corpus, run->corpus) == 0 && fabs(fraction - run->fraction) < 1e-9 && order == run->order;
}

static void describe_floor(report *report, floor_point *point, json_t *object)
{
    point->json = object;
    point->corpus = text_of(object, "corpus");
    point->fraction = number_of(object, "fraction");
    point->order = json_is_integer(json_object_get(object, "order")) ? (int)json_integer_value(json_object_get(object, "order")) : 0;
    point->floor_bytes = number_of(object, "vocab_xz_bytes") + number_of(object, "table_xz_bytes");
    point->tokens = NAN;
    for (size_t index = 0; index < report->run_count; index++)
        if (report->runs[index].ok && same_cell(point->corpus, point->fraction, point->order, &report->runs[index]))
            point->tokens = report->runs[index].tokens;
}

static int load_report(report *report, char *error, size_t error_size)
{
    mg_results lines = {0};
    int status = mg_results_read(report->dir, MG_RESULTS_RUNS, &lines, error, error_size);
    if (status == 1)
        snprintf(error, error_size, "no results in '%s' (neither results.jsonl nor cells/*.jsonl)", mg_show(report->dir).text);
    report->runs = calloc(lines.count ? lines.count : 1, sizeof *report->runs);
    for (size_t index = 0; report->runs && index < lines.count; index++)
        describe_run(report, &report->runs[report->run_count++], json_incref(lines.objects[index]));
    mg_results_free(&lines);
    if (status != 0 || !report->runs)
        return -1;
    char path[PATH_SIZE];
    snprintf(path, sizeof path, "%s/floor.jsonl", report->dir);
    status = mg_results_read(path, MG_RESULTS_OBJECTS, &lines, error, error_size);
    report->floors = calloc(lines.count ? lines.count : 1, sizeof *report->floors);
    for (size_t index = 0; report->floors && index < lines.count; index++)
        describe_floor(report, &report->floors[report->floor_count++], json_incref(lines.objects[index]));
    mg_results_free(&lines);
    return status < 0 || !report->floors ? -1 : 0;
}

static void free_report(report *report)
{
    for (size_t index = 0; index < report->run_count; index++)
        json_decref(report->runs[index].json);
    for (size_t index = 0; index < report->floor_count; index++)
        json_decref(report->floors[index].json);
    free(report->runs);
    free(report->floors);
}

/* ---- the series the charts follow -------------------------------------------------------- */

static int is_synthetic(const char *corpus)
{
    return strncmp(corpus, "synth:", 6) == 0;
}

/* Distinct fractions of corpus among ok runs of the chosen order and allocator. */
static int fraction_count(const report *report, const char *corpus)
{
    double seen[64];
    int count = 0;
    for (size_t index = 0; index < report->run_count; index++) {
        const report_run *run = &report->runs[index];
        if (!run->ok || run->order != report->order || strcmp(run->allocator, report->allocator) != 0 ||
            strcmp(run->corpus, corpus) != 0)
            continue;
        int known = 0;
        for (int other = 0; other < count; other++)
            known |= fabs(seen[other] - run->fraction) < 1e-9;
        if (!known && count < 64)
            seen[count++] = run->fraction;
    }
    return count;
}

static void choose_series(report *report)
{
    int best_votes = 0;
    for (size_t index = 0; index < report->run_count; index++) {
        int votes = 0;
        for (size_t other = 0; other < report->run_count; other++)
            votes += report->runs[other].ok && report->runs[other].order == report->runs[index].order;
        if (votes > best_votes) {
            best_votes = votes;
            report->order = report->runs[index].order;
        }
    }
    report->allocator = NULL;
    for (size_t index = 0; index < report->run_count; index++) {
        const report_run *run = &report->runs[index];
        if (run->ok && run->order == report->order && (!report->allocator || strcmp(run->allocator, "jemalloc") == 0))
            report->allocator = run->allocator;
    }
    int most = 0;
    report->scaled_corpus = NULL;
    for (size_t index = 0; report->allocator && index < report->run_count; index++) {
        const char *corpus = report->runs[index].corpus;
        int count = is_synthetic(corpus) ? 0 : fraction_count(report, corpus);
        if (count > most) {
            most = count;
            report->scaled_corpus = corpus;
        }
    }
}

static int in_series(const report *report, const report_run *run)
{
    return run->ok && report->allocator && run->order == report->order &&
           strcmp(run->allocator, report->allocator) == 0 &&
           ((report->scaled_corpus && strcmp(run->corpus, report->scaled_corpus) == 0) || is_synthetic(run->corpus));
}

static int by_tokens(const void *left, const void *right)
{
    double a = (*(report_run *const *)left)->tokens, b = (*(report_run *const *)right)->tokens;
    return (a > b) - (a < b);
}

/* The series runs of backend, by tokens; returns how many (runs has run_count room). */
static size_t backend_series(const report *report, const char *backend, report_run **runs)
{
    size_t count = 0;
    for (size_t index = 0; index < report->run_count; index++)
        if (in_series(report, &report->runs[index]) && strcmp(report->runs[index].backend, backend) == 0)
            runs[count++] = &report->runs[index];
    qsort(runs, count, sizeof *runs, by_tokens);
    return count;
}

/* "gcide fractions + synth: sizes, order 3, jemalloc allocator" */
static void series_title(const report *report, char *title, size_t title_size)
{
    int synthetic = 0;
    for (size_t index = 0; index < report->run_count; index++)
        synthetic |= in_series(report, &report->runs[index]) && is_synthetic(report->runs[index].corpus);
    const char *corpus = report->scaled_corpus ? report->scaled_corpus : "synth";
    const char *base = strrchr(corpus, '/');
    snprintf(title, title_size, "%s%s, order %d, %s allocator", base ? base + 1 : corpus,
             synthetic && report->scaled_corpus ? " fractions and synth: sizes" : " sizes", report->order,
             report->allocator);
}

/* ---- writing files whole ---------------------------------------------------------------- */

typedef mg_atomic_file output_file;

static int output_open(output_file *output, const char *dir, const char *name, char *error, size_t error_size)
{
    char path[PATH_SIZE];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return mg_atomic_begin(output, path, error, error_size);
}

static int output_close(output_file *output, char *error, size_t error_size)
{
    return mg_atomic_commit(output, error, error_size);
}

/* A figure with decimals, or the empty string (CSV) / a dash (Markdown) when unknown. */
static void put_figure(FILE *file, const char *separator, int decimals, double value, const char *unknown)
{
    if (isfinite(value))
        fprintf(file, "%s%.*f", separator, decimals, value);
    else
        fprintf(file, "%s%s", separator, unknown);
}

/* ---- summary.csv and summary.md ------------------------------------------------------------ */

static const char *const ratio_names[] = {"allocated_requested_ratio", "allocator_frag_ratio", "allocator_rss_ratio",
                                          "rss_overhead_ratio", "fragmentation"};
static const char *const speed_names[] = {"train_ns_per_gram", "finalize_seconds", "lookup_hit_ns",
                                          "lookup_miss_ns", "successors_ns", "generate_ns_per_token"};
#define RATIO_COUNT (sizeof ratio_names / sizeof ratio_names[0])
#define SPEED_COUNT (sizeof speed_names / sizeof speed_names[0])

static double per_ngram(const report_run *run, int layer)
{
    return run->ngrams > 0 ? run->growth[layer] / run->ngrams : NAN;
}

/* A run's figures after its identity: tokens, n-grams, (CSV: each layer in bytes,) each layer
 * per n-gram, peak RSS per n-gram, the ratios and the speeds. */
static void put_run_figures(FILE *file, const report_run *run, const char *separator, const char *unknown, int csv)
{
    put_figure(file, separator, 0, run->tokens, unknown);
    put_figure(file, separator, 0, run->ngrams, unknown);
    for (int layer = 0; csv && layer < LAYERS; layer++)
        put_figure(file, separator, 0, run->growth[layer], unknown);
    for (int layer = 0; layer < LAYERS; layer++)
        put_figure(file, separator, csv ? 2 : 1, per_ngram(run, layer), unknown);
    put_figure(file, separator, csv ? 2 : 1, mg_run_figure(run->json, "derived", "peak_bytes_per_ngram_rss"), unknown);
    for (size_t ratio = 0; ratio < RATIO_COUNT; ratio++)
        put_figure(file, separator, csv ? 3 : 2, mg_run_figure(run->json, "derived", ratio_names[ratio]), unknown);
    for (size_t speed = 0; speed < SPEED_COUNT; speed++)
        put_figure(file, separator, csv || speed == 1 ? 3 : 0, mg_run_figure(run->json, "speed", speed_names[speed]),
                   unknown);
}

static int write_csv(const report *report, char *error, size_t error_size)
{
    output_file output;
    if (output_open(&output, report->dir, "summary.csv", error, error_size) != 0)
        return -1;
    fputs("backend,corpus,fraction,order,allocator,status,tokens,ngrams", output.file);
    for (int layer = 0; layer < LAYERS; layer++)
        fprintf(output.file, ",%s_bytes", layer_names[layer]);
    for (int layer = 0; layer < LAYERS; layer++)
        fprintf(output.file, ",%s_per_ngram", layer_names[layer]);
    fputs(",peak_rss_per_ngram", output.file);
    for (size_t ratio = 0; ratio < RATIO_COUNT; ratio++)
        fprintf(output.file, ",%s", ratio_names[ratio]);
    for (size_t speed = 0; speed < SPEED_COUNT; speed++)
        fprintf(output.file, ",%s", speed_names[speed]);
    fputc('\n', output.file);
    for (size_t index = 0; index < report->run_count; index++) {
        const report_run *run = &report->runs[index];
        fprintf(output.file, "%s,\"%s\",%.17g,%d,%s,%s", run->backend, run->corpus, run->fraction, run->order,
                run->allocator, run->status);
        put_run_figures(output.file, run, ",", "", 1);
        fputc('\n', output.file);
    }
    return output_close(&output, error, error_size);
}

static void markdown_corpus_table(FILE *file, const report *report, const char *corpus)
{
    fprintf(file, "\n### %s\n\n", corpus);
    fputs("| backend | allocator | n | fraction | status | tokens | n-grams | requested | allocated | active | resident "
          "| RSS | RSS anon | RSS file | peak RSS | alloc/req | active/alloc | resident/active | rss/resident | rss/alloc | train ns/gram "
          "| finalize s | hit ns | miss ns | successors ns | generate ns/token |\n", file);
    fputs("|---|---|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
          file);
    for (size_t index = 0; index < report->run_count; index++) {
        const report_run *run = &report->runs[index];
        if (strcmp(run->corpus, corpus) != 0)
            continue;
        fprintf(file, "| %s | %s | %d | %.4g | %s", run->backend, run->allocator, run->order, run->fraction, run->status);
        put_run_figures(file, run, " | ", "–", 0);
        fputs(" |\n", file);
    }
}

/* ---- growth: fitted exponents ------------------------------------------------------------- */

typedef struct growth_fit {
    double allocated, rss; /* exponents b in bytes ~ tokens^b; NAN when not fitted */
    int sizes;
    double span;           /* largest / smallest tokens */
    int mapped;            /* the table is served from a mapped file (serves_from_file) */
} growth_fit;

/* Does the run serve its table from a mapped file? Then its file pages outgrow its allocated
 * bytes, and RSS / allocated (or their growth exponents) compare a file with a heap. */
static int serves_from_file(const report_run *run)
{
    return per_ngram(run, RSS_FILE) > per_ngram(run, ALLOCATED);
}

/* Least-squares slope of log y on log x over the runs; NAN when fewer than 3 usable points. */
static double fit_exponent(report_run **runs, size_t count, int layer)
{
    double sum_x = 0, sum_y = 0, sum_xx = 0, sum_xy = 0;
    int points = 0;
    for (size_t index = 0; index < count; index++) {
        double x = runs[index]->tokens, y = runs[index]->growth[layer];
        if (!(x > 0 && y > 0))
            continue;
        x = log(x);
        y = log(y);
        sum_x += x, sum_y += y, sum_xx += x * x, sum_xy += x * y;
        points++;
    }
    double spread = points * sum_xx - sum_x * sum_x;
    return points >= 3 && spread > 0 ? (points * sum_xy - sum_x * sum_y) / spread : NAN;
}

/* Fits need 3 sizes spanning at least 4x: over less, fixed costs and page rounding dominate. */
static growth_fit fit_growth(const report *report, const char *backend, report_run **scratch)
{
    growth_fit fit = {NAN, NAN, 0, 0, 0};
    size_t count = backend_series(report, backend, scratch);
    fit.sizes = (int)count;
    for (size_t index = 0; index < count; index++)
        fit.mapped |= serves_from_file(scratch[index]);
    if (count < 3)
        return fit;
    fit.span = scratch[count - 1]->tokens / scratch[0]->tokens;
    if (fit.span < 4)
        return fit;
    fit.allocated = fit_exponent(scratch, count, ALLOCATED);
    fit.rss = fit_exponent(scratch, count, RSS);
    return fit;
}

/*
 * The sparse-memory flag (docs/stories.md: RSS far above what the program holds, growing
 * out of proportion). Over the 16x span of gcide's fractions an exponent gap d makes
 * rss/allocated drift by 16^d: 0.10 is a 32% drift, a third more memory held for
 * nothing at the largest size. Below that, a table growing by doubling moves
 * rss/allocated up and down between neighbouring sizes (interned_hash on fortunes:
 * 1.46, 2.13, 1.92) and tilts a fit by a few hundredths; repeats of one cell agree
 * within 0.1%, so this is structure, not noise, and not a trend worth a flag. A table
 * served from a mapped file is never flagged: its RSS grows with the file while its heap
 * stays a struct, which says nothing of pages held for little data.
 */
static int is_sparse(const growth_fit *fit)
{
    return !fit->mapped && isfinite(fit->rss) && isfinite(fit->allocated) &&
           fit->rss - fit->allocated > MG_SPARSE_MARGIN;
}

static void markdown_growth(FILE *file, const report *report, report_run **scratch)
{
    char title[512];
    series_title(report, title, sizeof title);
    fprintf(file, "\n## Growth\n\nExponent b of a fit bytes ~ tokens^b (least squares on logs) over the sizes of the "
                  "series (%s). b = 1: memory in proportion to the corpus. **sparse** marks RSS growing faster than "
                  "allocated by more than %.2f (pages held for little data); *mapped file* marks a table served "
                  "from a mapped file, whose RSS grows with the file and is not judged so.\n\n", title, MG_SPARSE_MARGIN);
    fputs("| backend | sizes | span | allocated b | RSS b | RSS b − allocated b | flag |\n|---|--:|--:|--:|--:|--:|---|\n",
          file);
    for (int index = 0; index < report->backend_count; index++) {
        growth_fit fit = fit_growth(report, report->backends[index], scratch);
        fprintf(file, "| %s | %d", report->backends[index], fit.sizes);
        put_figure(file, " | ", 1, fit.sizes ? fit.span : NAN, "–");
        put_figure(file, " | ", 3, fit.allocated, "–");
        put_figure(file, " | ", 3, fit.rss, "–");
        put_figure(file, " | ", 3, fit.rss - fit.allocated, "–");
        fprintf(file, " | %s |\n", is_sparse(&fit) ? "**sparse**" : fit.mapped ? "mapped file" : "");
    }
}

static void markdown_floor(FILE *file, const report *report)
{
    if (!report->floor_count)
        return;
    fputs("\n## Archival floor\n\nThe compressed size of the id-sorted, delta-coded n-gram table plus the sorted "
          "vocabulary (`memgrams floor`): what the counts cost at rest, the line no in-memory layout goes under.\n\n"
          "| corpus | fraction | n | n-grams | vocabulary bytes | table bytes | bytes per n-gram | compressor |\n"
          "|---|--:|--:|--:|--:|--:|--:|---|\n", file);
    for (size_t index = 0; index < report->floor_count; index++) {
        const floor_point *point = &report->floors[index];
        fprintf(file, "| %s | %.4g | %d", point->corpus, point->fraction, point->order);
        put_figure(file, " | ", 0, number_of(point->json, "ngrams"), "–");
        put_figure(file, " | ", 0, number_of(point->json, "vocab_xz_bytes"), "–");
        put_figure(file, " | ", 0, number_of(point->json, "table_xz_bytes"), "–");
        put_figure(file, " | ", 2, number_of(point->json, "bytes_per_ngram"), "–");
        fprintf(file, " | %s |\n", text_of(point->json, "compressor"));
    }
}

/* ---- backend x allocator ------------------------------------------------------------------- */

/* The run of backend under allocator in the cell of size (ok or not), or NULL. */
static const report_run *run_under(const report *report, const char *backend, const char *allocator,
                                   const report_run *size)
{
    for (size_t index = 0; index < report->run_count; index++) {
        const report_run *run = &report->runs[index];
        if (strcmp(run->backend, backend) == 0 && strcmp(run->allocator, allocator) == 0 &&
            same_cell(size->corpus, size->fraction, size->order, run))
            return run;
    }
    return NULL;
}

/* The (corpus, fraction, order) cell with the most allocators among its ok runs (then the
 * most backend x allocator pairs, then the most tokens): where allocators are compared.
 * NULL when no cell has two allocators. */
static const report_run *allocator_cell(const report *report)
{
    const report_run *best = NULL;
    int best_allocators = 1, best_pairs = 0;
    for (size_t index = 0; index < report->run_count; index++) {
        const report_run *candidate = &report->runs[index];
        if (!candidate->ok)
            continue;
        int allocators = 0, pairs = 0;
        for (int a = 0; a < report->allocator_count; a++) {
            int here = 0;
            for (int b = 0; b < report->backend_count; b++) {
                const report_run *run = run_under(report, report->backends[b], report->allocators[a], candidate);
                here += run && run->ok;
            }
            allocators += here > 0;
            pairs += here;
        }
        if (allocators > best_allocators || (allocators == best_allocators && best &&
                                              (pairs > best_pairs || (pairs == best_pairs && candidate->tokens > best->tokens)))) {
            best = candidate;
            best_allocators = allocators;
            best_pairs = pairs;
        }
    }
    return best;
}

/* RSS per n-gram and fragmentation (rss / allocated) of one pair; NAN where not measured ok.
 * A table served from a mapped file has next to no heap, so RSS / allocated says nothing
 * there: where its file pages outgrow its allocated bytes, *file_pages is their bytes per
 * n-gram and fragmentation is NAN (else *file_pages is 0). */
static void pair_figures(const report_run *run, double *rss, double *fragmentation, double *file_pages)
{
    *rss = run && run->ok ? per_ngram(run, RSS) : NAN;
    *fragmentation = run && run->ok ? mg_run_figure(run->json, "derived", "fragmentation") : NAN;
    *file_pages = run && run->ok && serves_from_file(run) ? per_ngram(run, RSS_FILE) : 0;
    if (*file_pages > 0)
        *fragmentation = NAN;
}

/* One matrix cell as text: "RSS (fragmentation)" or "RSS (file pages)", unknown for a figure or
 * a run that is not there, or the status of a run that did not end ok. */
static void pair_text(const report_run *run, const char *unknown, char *cell, size_t cell_size)
{
    double rss, fragmentation, file_pages;
    pair_figures(run, &rss, &fragmentation, &file_pages);
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
static void put_allocator_rows(FILE *file, const report *report, const report_run *size, const char *row_format,
                               const char *cell_format, const char *unknown)
{
    for (int b = 0; b < report->backend_count; b++) {
        fprintf(file, row_format, report->backends[b]);
        for (int a = 0; a < report->allocator_count; a++) {
            char cell[48];
            pair_text(run_under(report, report->backends[b], report->allocators[a], size), unknown, cell, sizeof cell);
            fprintf(file, cell_format, cell);
        }
    }
}

/* What a wrapped library says about its own memory at the end of finalize,
 * for the runs that have such figures (none from older files). */
static void markdown_library(FILE *file, const report *report)
{
    int rows = 0;
    for (size_t index = 0; index < report->run_count; index++) {
        const report_run *run = &report->runs[index];
        json_t *figures = mg_run_library(run->json, "finalize"), *value;
        const char *name;
        if (figures && rows == 0)
            fputs("\n## Library figures\n\nA wrapped library's own figures about its memory at the end of finalize, "
                  "beside the layers measured above (each backend's documentation says what they mean).\n\n"
                  "| backend | corpus | allocator | n | fraction | figure | value |\n|---|---|---|--:|--:|---|--:|\n", file);
        json_object_foreach(figures, name, value) {
            fprintf(file, "| %s | %s | %s | %d | %.4g | %s", run->backend, run->corpus, run->allocator, run->order,
                    run->fraction, name);
            put_figure(file, " | ", 0, json_is_number(value) ? json_number_value(value) : NAN, "–");
            fputs(" |\n", file);
            rows++;
        }
    }
}

/* The matrix as a Markdown table: one row per backend, one column per allocator, each cell
 * "RSS per n-gram (fragmentation)", or the run's status when it did not end ok. */
static void markdown_allocators(FILE *file, const report *report, const report_run *size)
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
static void print_allocators(FILE *out, const report *report, const report_run *size)
{
    if (!size)
        return;
    fprintf(out, "\nRSS bytes per n-gram (fragmentation = RSS / allocated; or file pages), backend x allocator, at %s fraction "
                 "%.4g, order %d:\n%-20s", size->corpus, size->fraction, size->order, "");
    for (int a = 0; a < report->allocator_count; a++)
        fprintf(out, " %16.16s", report->allocators[a]);
    put_allocator_rows(out, report, size, "\n%-20.20s", " %16s", "-");
    fputc('\n', out);
}

static const char *const chart_names[] = {"memory-vs-size", "bytes-breakdown", "pareto", "growth"};
#define CHART_COUNT (sizeof chart_names / sizeof chart_names[0])

static int write_markdown(const report *report, report_run **scratch, char *error, size_t error_size)
{
    output_file output;
    if (output_open(&output, report->dir, "summary.md", error, error_size) != 0)
        return -1;
    FILE *file = output.file;
    fprintf(file, "# memgrams report\n\n%zu runs from `results.jsonl`. Memory figures are bytes per distinct n-gram, "
                  "growth over the baseline at the end of finalize; ratios as in README.md; speeds in ns unless "
                  "named.\n\n## Runs by corpus\n", report->run_count);
    for (size_t index = 0; index < report->run_count; index++) {
        int first = 1;
        for (size_t before = 0; before < index; before++)
            first &= strcmp(report->runs[before].corpus, report->runs[index].corpus) != 0;
        if (first)
            markdown_corpus_table(file, report, report->runs[index].corpus);
    }
    const report_run *allocator_size = allocator_cell(report);
    markdown_allocators(file, report, allocator_size);
    markdown_growth(file, report, scratch);
    markdown_floor(file, report);
    markdown_library(file, report);
    fputs("\n## Charts\n\n", file);
    for (size_t chart = 0; chart < CHART_COUNT; chart++)
        fprintf(file, "![%s](charts/%s.svg)\n\n", chart_names[chart], chart_names[chart]);
    if (allocator_size)
        fputs("![backend x allocator](charts/allocators.svg)\n\n", file);
    for (int index = 0; index < report->backend_count; index++) {
        char name[256];
        mg_file_name("timeline-", report->backends[index], ".svg", name, sizeof name);
        fprintf(file, "![timeline of %s](charts/%s)\n\n", report->backends[index], name);
    }
    return output_close(&output, error, error_size);
}

/* ---- chart data ---------------------------------------------------------------------------- */

typedef struct chart {
    const report *report;
    char dir[PATH_SIZE];      /* DIR/charts */
    char scratch[PATH_SIZE];  /* DIR/charts/.tmp-XXXXXX: gnuplot draws here (atomic_file.h) */
    char names[1024];         /* the backends plotted, space separated */
    int series;
} chart;

static void chart_add_name(chart *chart, const char *name)
{
    size_t used = strlen(chart->names);
    snprintf(chart->names + used, sizeof chart->names - used, "%s%s", used ? " " : "", name);
    chart->series++;
}

static int data_open(output_file *output, const chart *chart, const char *name, char *error, size_t error_size)
{
    char file_name[512];
    snprintf(file_name, sizeof file_name, "%s.dat", name);
    return output_open(output, chart->dir, file_name, error, error_size);
}

static int memory_vs_size_data(chart *chart, report_run **scratch, int *has_floor, char *error, size_t error_size)
{
    const report *report = chart->report;
    output_file output;
    if (data_open(&output, chart, "memory-vs-size", error, error_size) != 0)
        return -1;
    for (int index = 0; index < report->backend_count; index++) {
        size_t count = backend_series(report, report->backends[index], scratch);
        if (!count)
            continue;
        chart_add_name(chart, report->backends[index]);
        fprintf(output.file, "# %s\n", report->backends[index]);
        for (size_t point = 0; point < count; point++)
            fprintf(output.file, "%.0f %.0f %.0f %d\n", scratch[point]->tokens, scratch[point]->growth[RSS],
                    scratch[point]->growth[ALLOCATED], is_synthetic(scratch[point]->corpus));
        fputs("\n\n", output.file);
    }
    if (output_close(&output, error, error_size) != 0 || data_open(&output, chart, "memory-vs-size-floor", error, error_size) != 0)
        return -1;
    *has_floor = 0;
    for (size_t index = 0; index < report->floor_count; index++) {
        const floor_point *point = &report->floors[index];
        int wanted = point->order == report->order && isfinite(point->tokens) && point->floor_bytes > 0 &&
                     ((report->scaled_corpus && strcmp(point->corpus, report->scaled_corpus) == 0) || is_synthetic(point->corpus));
        if (wanted) {
            fprintf(output.file, "%.0f %.0f\n", point->tokens, point->floor_bytes);
            *has_floor = 1;
        }
    }
    return output_close(&output, error, error_size);
}

/* The size (a run of the series) that most backends reached, the largest among equals. */
static const report_run *common_size(const report *report, int *backends_there)
{
    const report_run *best = NULL;
    int best_count = 0;
    for (size_t index = 0; index < report->run_count; index++) {
        const report_run *candidate = &report->runs[index];
        if (!in_series(report, candidate))
            continue;
        int count = 0;
        for (int backend = 0; backend < report->backend_count; backend++)
            for (size_t other = 0; other < report->run_count; other++) {
                const report_run *run = &report->runs[other];
                if (in_series(report, run) && strcmp(run->backend, report->backends[backend]) == 0 &&
                    same_cell(candidate->corpus, candidate->fraction, candidate->order, run)) {
                    count++;
                    break;
                }
            }
        if (count > best_count || (count == best_count && best && candidate->tokens > best->tokens)) {
            best = candidate;
            best_count = count;
        }
    }
    *backends_there = best_count;
    return best;
}

static const report_run *run_at(const report *report, const char *backend, const report_run *size)
{
    for (size_t index = 0; index < report->run_count; index++) {
        const report_run *run = &report->runs[index];
        if (in_series(report, run) && strcmp(run->backend, backend) == 0 &&
            same_cell(size->corpus, size->fraction, size->order, run))
            return run;
    }
    return NULL;
}

/* A layer per n-gram, the layer below standing in where a layer is unknown (glibc has no
 * active or resident; the Python peer has no requested). */
static double layer_or_below(const report_run *run, int layer)
{
    for (; layer > REQUESTED && !isfinite(run->growth[layer]); layer--)
        ;
    if (layer == REQUESTED && !isfinite(run->growth[REQUESTED]))
        layer = ALLOCATED;
    return per_ngram(run, layer);
}

static int breakdown_data(chart *chart, const report_run *size, char *error, size_t error_size)
{
    const report *report = chart->report;
    output_file output;
    if (data_open(&output, chart, "bytes-breakdown", error, error_size) != 0)
        return -1;
    for (int index = 0; size && index < report->backend_count; index++) {
        const report_run *run = run_at(report, report->backends[index], size);
        if (!run)
            continue;
        double requested = layer_or_below(run, REQUESTED), allocated = layer_or_below(run, ALLOCATED);
        double resident = layer_or_below(run, RESIDENT), rss = per_ngram(run, RSS);
        double file_pages = isfinite(run->growth[RSS_FILE]) ? per_ngram(run, RSS_FILE) : 0;
        fprintf(output.file, "\"%s%s\" %.3f %.3f %.3f %.3f %.3f %.3f\n", run->backend,
                isfinite(run->growth[REQUESTED]) ? "" : " (traced)", requested, allocated - requested,
                resident - allocated, rss - file_pages - resident, file_pages, rss);
    }
    return output_close(&output, error, error_size);
}

typedef struct pareto_point {
    double bytes, ns;
} pareto_point;

static int by_bytes(const void *left, const void *right)
{
    const pareto_point *a = left, *b = right;
    return (a->bytes > b->bytes) - (a->bytes < b->bytes);
}

static int pareto_data(chart *chart, const report_run *size, char *error, size_t error_size)
{
    const report *report = chart->report;
    pareto_point points[NAMES_MAX];
    int count = 0;
    output_file output;
    if (data_open(&output, chart, "pareto", error, error_size) != 0)
        return -1;
    for (int index = 0; size && index < report->backend_count; index++) {
        const report_run *run = run_at(report, report->backends[index], size);
        double ns = run ? mg_run_figure(run->json, "speed", "lookup_hit_ns") : NAN;
        if (!run || !(ns > 0) || !(per_ngram(run, RSS) > 0))
            continue;
        points[count++] = (pareto_point){per_ngram(run, RSS), ns};
        fprintf(output.file, "%s %.3f %.3f\n", run->backend, points[count - 1].bytes, ns);
    }
    if (output_close(&output, error, error_size) != 0 || data_open(&output, chart, "pareto-frontier", error, error_size) != 0)
        return -1;
    qsort(points, (size_t)count, sizeof *points, by_bytes);
    double fastest = INFINITY;
    for (int index = 0; index < count; index++) /* by bytes: undominated when faster than all smaller */
        if (points[index].ns < fastest) {
            fastest = points[index].ns;
            fprintf(output.file, "%.3f %.3f\n", points[index].bytes, points[index].ns);
        }
    return output_close(&output, error, error_size);
}

static int growth_data(chart *chart, report_run **scratch, int *fitted, char *error, size_t error_size)
{
    const report *report = chart->report;
    *fitted = 0;
    output_file output;
    if (data_open(&output, chart, "growth", error, error_size) != 0)
        return -1;
    for (int index = 0; index < report->backend_count; index++) {
        growth_fit fit = fit_growth(report, report->backends[index], scratch);
        if (!isfinite(fit.allocated) || !isfinite(fit.rss))
            continue;
        ++*fitted;
        fprintf(output.file, "%s %.4f %.4f \"%s\"\n", report->backends[index], fit.allocated, fit.rss,
                is_sparse(&fit) ? "sparse" : "");
    }
    return output_close(&output, error, error_size);
}

/* A name as a double-quoted gnuplot data field: quotes, backslashes and control bytes become '?',
 * so a hostile name stays one field of data. */
static void put_data_label(FILE *file, const char *name)
{
    fputc('"', file);
    for (const unsigned char *at = (const unsigned char *)name; *at; at++)
        fputc(*at == '"' || *at == '\\' || *at < 0x20 || *at == 0x7f ? '?' : *at, file);
    fputc('"', file);
}

/* The backend x allocator heat map's data: allocators.dat (column row rss fragmentation
 * file_pages, one line per pair that ended ok), allocators-columns.dat and allocators-rows.dat (index "name"). */
static int allocators_data(chart *chart, const report_run *size, char *error, size_t error_size)
{
    const report *report = chart->report;
    output_file output;
    if (data_open(&output, chart, "allocators", error, error_size) != 0)
        return -1;
    for (int b = 0; b < report->backend_count; b++)
        for (int a = 0; a < report->allocator_count; a++) {
            double rss, fragmentation, file_pages;
            pair_figures(run_under(report, report->backends[b], report->allocators[a], size), &rss, &fragmentation,
                         &file_pages);
            if (isfinite(rss) && rss > 0) {
                fprintf(output.file, "%d %d %.3f", a, b, rss);
                put_figure(output.file, " ", 3, fragmentation, "0");
                fprintf(output.file, " %.3f\n", file_pages);
            }
        }
    if (output_close(&output, error, error_size) != 0 ||
        data_open(&output, chart, "allocators-columns", error, error_size) != 0)
        return -1;
    for (int a = 0; a < report->allocator_count; a++) {
        fprintf(output.file, "%d ", a);
        put_data_label(output.file, report->allocators[a]);
        fputc('\n', output.file);
    }
    if (output_close(&output, error, error_size) != 0 || data_open(&output, chart, "allocators-rows", error, error_size) != 0)
        return -1;
    for (int b = 0; b < report->backend_count; b++) {
        fprintf(output.file, "%d ", b);
        put_data_label(output.file, report->backends[b]);
        fputc('\n', output.file);
    }
    return output_close(&output, error, error_size);
}

static const char *const timeline_layers[3] = {"requested", "allocated", "rss"};

static double mebibytes(json_t *value)
{
    return json_is_number(value) ? json_number_value(value) / 1048576.0 : NAN;
}

/* Seconds the named phase took in run; NAN when not recorded. */
static double phase_seconds(const report_run *run, const char *name)
{
    size_t index;
    json_t *phase;
    json_array_foreach(json_object_get(run->json, "phases"), index, phase)
        if (strcmp(text_of(phase, "name"), name) == 0)
            return number_of(phase, "seconds");
    return NAN;
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

static void timeline_layers_row(FILE *file, json_t *point)
{
    for (int layer = 0; layer < 3; layer++)
        put_figure(file, " ", 3, mebibytes(json_object_get(point, timeline_layers[layer])), "NaN");
    fputc('\n', file);
}

/* Training samples (with the baseline and train ends) into one file, phase ends into the other. */
static void timeline_rows(const report_run *run, json_t *points, FILE *training, FILE *phases)
{
    size_t index;
    json_t *point;
    int phase_position = 0;
    json_array_foreach(points, index, point) {
        const char *phase = text_of(point, "phase");
        int end = json_is_true(json_object_get(point, "end"));
        if (!end || strcmp(phase, "baseline") == 0 || strcmp(phase, "train") == 0) {
            fprintf(training, "%.0f %.6f", number_of(point, "grams"), number_of(point, "seconds"));
            timeline_layers_row(training, point);
        }
        if (end) {
            char took[32];
            duration_text(phase_seconds(run, phase), took, sizeof took);
            fprintf(phases, "%d \"%s (%s)\"", phase_position++, phase, took);
            timeline_layers_row(phases, point);
        }
    }
}

/* The timeline of backend's largest run in the series; 0 with *shown NULL when there is none. */
static int timeline_data(chart *chart, const char *backend, report_run **scratch, const report_run **shown,
                         char *error, size_t error_size)
{
    size_t count = backend_series(chart->report, backend, scratch);
    json_t *points = count ? json_object_get(scratch[count - 1]->json, "timeline") : NULL;
    *shown = NULL;
    if (!json_array_size(points))
        return 0;
    *shown = scratch[count - 1];
    char name[256];
    output_file training, phases;
    mg_file_name("timeline-", backend, "", name, sizeof name);
    if (data_open(&training, chart, name, error, error_size) != 0)
        return -1;
    mg_file_name("timeline-", backend, "-phases", name, sizeof name);
    if (data_open(&phases, chart, name, error, error_size) != 0) {
        mg_atomic_abandon(&training);
        return -1;
    }
    timeline_rows(*shown, points, training.file, phases.file);
    int status = output_close(&training, error, error_size);
    return output_close(&phases, error, error_size) | status;
}

/* ---- gnuplot ----------------------------------------------------------------------------- */

/* What a chart script is given, as gnuplot -c arguments ARG1..ARG9: values
 * only, never program text, so no name or path in them can run anything. */
enum { EXTRAS_MAX = 3 };
typedef struct chart_arguments {
    const char *script, *name;      /* scripts/SCRIPT.gp draws charts/NAME.svg and .png */
    const char *title_detail, *cell_detail;
    const char *extras[EXTRAS_MAX]; /* the script's own settings, ARG7..ARG9 */
} chart_arguments;

/* The last non-blank line of a log, control bytes as '?', or "no message". */
static void last_line(const char *path, char *line, size_t line_size)
{
    char buffer[512];
    FILE *file = fopen(path, "r");
    snprintf(line, line_size, "no message");
    while (file && fgets(buffer, sizeof buffer, file)) {
        buffer[strcspn(buffer, "\r\n")] = '\0';
        if (buffer[strspn(buffer, " \t^")] == '\0')
            continue;
        for (char *at = buffer; *at; at++)
            if ((unsigned char)*at < 0x20)
                *at = '?';
        snprintf(line, line_size, "%s", buffer);
    }
    if (file)
        fclose(file);
}

/* Runs gnuplot on the script; it draws into the private folder, from which the
 * .svg and .png are renamed into charts/. */
static int run_gnuplot(const chart *chart, const chart_arguments *arguments, char *error, size_t error_size)
{
    char script_path[PATH_SIZE], data[PATH_SIZE], output[PATH_SIZE], log_path[PATH_SIZE + 16];
    snprintf(data, sizeof data, "%s/%s", chart->dir, arguments->name);
    snprintf(output, sizeof output, "%s/%s", chart->scratch, arguments->name);
    snprintf(script_path, sizeof script_path, "%s/%s.gp", SCRIPT_FOLDER, arguments->script);
    char *argv[] = {"gnuplot", "-c", script_path, SCRIPT_FOLDER, data, output, (char *)chart->names,
                    (char *)arguments->title_detail, (char *)arguments->cell_detail, (char *)arguments->extras[0],
                    (char *)arguments->extras[1], (char *)arguments->extras[2], NULL};
    for (int index = 0; index < EXTRAS_MAX; index++)
        if (!argv[9 + index])
            argv[9 + index] = "";
    snprintf(log_path, sizeof log_path, "%s/gnuplot.log", chart->scratch); /* gnuplot's warnings, kept out of the way */
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    pid_t pid;
    int spawned = posix_spawnp(&pid, "gnuplot", &actions, NULL, argv, environ), wait_status = 0;
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
        snprintf(error, error_size, "cannot start gnuplot: %s (scripts/install-deps installs gnuplot-nox)",
                 strerror(spawned));
        return -1;
    }
    while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR)
        ;
    int failed = !WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0;
    for (int kind = 0; kind < 2; kind++) {
        char drawn[PATH_SIZE + 16], final[PATH_SIZE + 16];
        snprintf(drawn, sizeof drawn, "%s.%s", output, kind ? "png" : "svg");
        snprintf(final, sizeof final, "%s.%s", data, kind ? "png" : "svg");
        struct stat info;
        if (failed || stat(drawn, &info) != 0 || info.st_size == 0 || rename(drawn, final) != 0)
            failed = 1;
    }
    if (failed) {
        char said[256];
        last_line(log_path, said, sizeof said);
        snprintf(error, error_size, "gnuplot could not draw %s (scripts/%s.gp): %s", arguments->name,
                 arguments->script, said);
    }
    return failed ? -1 : 0;
}

/* Draws a chart with the series as the title's second line. */
static int draw(const chart *chart, chart_arguments *arguments, char *error, size_t error_size)
{
    char series[1024];
    series_title(chart->report, series, sizeof series);
    if (!arguments->title_detail)
        arguments->title_detail = series;
    if (!arguments->cell_detail)
        arguments->cell_detail = "";
    return run_gnuplot(chart, arguments, error, error_size);
}

static int draw_size_charts(chart *chart, report_run **scratch, char *error, size_t error_size)
{
    const report *report = chart->report;
    char cell[256], floor_title[128], number[2][32];
    int has_floor = 0, there = 0;
    if (memory_vs_size_data(chart, scratch, &has_floor, error, error_size) != 0)
        return -1;
    snprintf(floor_title, sizeof floor_title, "archival floor (%s)",
             report->floor_count ? text_of(report->floors[0].json, "compressor") : "none");
    snprintf(number[0], sizeof number[0], "%d", has_floor);
    chart_arguments memory = {"memory-vs-size", "memory-vs-size", NULL, NULL, {number[0], floor_title}};
    if (draw(chart, &memory, error, error_size) != 0)
        return -1;

    const report_run *size = common_size(report, &there);
    if (breakdown_data(chart, size, error, error_size) != 0 || pareto_data(chart, size, error, error_size) != 0)
        return -1;
    snprintf(cell, sizeof cell, "at %s fraction %.4g (%.0f tokens); %d of %d backends measured there",
             size ? size->corpus : "-", size ? size->fraction : 0, size ? size->tokens : 0, there, chart->series);
    chart_arguments breakdown = {"bytes-breakdown", "bytes-breakdown", NULL, cell, {NULL}};
    chart_arguments pareto = {"pareto", "pareto", NULL, cell, {NULL}};
    if (draw(chart, &breakdown, error, error_size) != 0 || draw(chart, &pareto, error, error_size) != 0)
        return -1;

    int fitted;
    if (growth_data(chart, scratch, &fitted, error, error_size) != 0)
        return -1;
    snprintf(number[0], sizeof number[0], "%.2f", MG_SPARSE_MARGIN);
    snprintf(number[1], sizeof number[1], "%d", fitted > 0);
    chart_arguments growth = {"growth", "growth", NULL, NULL, {number[0], number[1]}};
    return draw(chart, &growth, error, error_size);
}

static int draw_timelines(chart *chart, report_run **scratch, char *error, size_t error_size)
{
    const report *report = chart->report;
    for (int index = 0; index < report->backend_count; index++) {
        const char *backend = report->backends[index];
        const report_run *run;
        if (timeline_data(chart, backend, scratch, &run, error, error_size) != 0)
            return -1;
        if (!run)
            continue;
        char name[256], cell[PATH_SIZE];
        mg_file_name("timeline-", backend, "", name, sizeof name);
        snprintf(cell, sizeof cell, "%s fraction %.4g: %.0f tokens, %.0f distinct n-grams", run->corpus, run->fraction,
                 run->tokens, run->ngrams);
        chart_arguments timeline = {"timeline", name, NULL, cell, {backend}};
        if (draw(chart, &timeline, error, error_size) != 0)
            return -1;
    }
    return 0;
}

/* The heat map of RSS per n-gram, backend x allocator, where allocators were compared. */
static int draw_allocators(chart *chart, char *error, size_t error_size)
{
    const report *report = chart->report;
    const report_run *size = allocator_cell(report);
    if (!size)
        return 0;
    if (allocators_data(chart, size, error, error_size) != 0)
        return -1;
    char cell[PATH_SIZE], counts[2][16];
    snprintf(cell, sizeof cell, "%s fraction %.4g, order %d (%.0f tokens)", size->corpus, size->fraction,
             size->order, size->tokens);
    snprintf(counts[0], sizeof counts[0], "%d", report->allocator_count);
    snprintf(counts[1], sizeof counts[1], "%d", report->backend_count);
    chart_arguments allocators = {"allocators", "allocators", cell, "", {counts[0], counts[1]}};
    return run_gnuplot(chart, &allocators, error, error_size);
}

/* DIR/charts as a folder of its own: made if missing, refused if something
 * else (a symlink, a file) stands there, so nothing is written outside DIR. */
static int charts_folder(const char *dir, char *error, size_t error_size)
{
    struct stat info;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        snprintf(error, error_size, "cannot make '%s': %s", mg_show(dir).text, strerror(errno));
        return -1;
    }
    if (lstat(dir, &info) != 0 || !S_ISDIR(info.st_mode)) {
        snprintf(error, error_size, "'%s' is not a folder (a symlink or a file stands there)", mg_show(dir).text);
        return -1;
    }
    return 0;
}

static int write_charts(const report *report, report_run **scratch, char *error, size_t error_size)
{
    chart chart = {.report = report};
    snprintf(chart.dir, sizeof chart.dir, "%s/charts", report->dir);
    if (charts_folder(chart.dir, error, error_size) != 0)
        return -1;
    if (!report->allocator) {
        snprintf(error, error_size, "no run ended ok: nothing to chart");
        return -1;
    }
    if (mg_atomic_folder(chart.dir, chart.scratch, sizeof chart.scratch, error, error_size) != 0)
        return -1;
    int status = draw_size_charts(&chart, scratch, error, error_size);
    if (status == 0)
        status = draw_allocators(&chart, error, error_size);
    if (status == 0)
        status = draw_timelines(&chart, scratch, error, error_size);
    mg_atomic_folder_remove(chart.scratch);
    return status;
}

int mg_report_write(const char *dir, FILE *terminal, char *error, size_t error_size)
{
    /* Absolute, so no path handed to gnuplot starts with '<' or '|' (its pipes). */
    char absolute[PATH_MAX];
    if (!realpath(dir, absolute)) {
        snprintf(error, error_size, "cannot read the folder '%s': %s", mg_show(dir).text, strerror(errno));
        return -1;
    }
    report report = {.dir = absolute};
    int status = load_report(&report, error, error_size);
    report_run **scratch = calloc(report.run_count ? report.run_count : 1, sizeof *scratch);
    if (status == 0 && !scratch) {
        snprintf(error, error_size, "out of memory");
        status = -1;
    }
    if (status == 0) {
        choose_series(&report);
        if (terminal)
            print_allocators(terminal, &report, allocator_cell(&report));
        status = write_csv(&report, error, error_size);
    }
    if (status == 0)
        status = write_markdown(&report, scratch, error, error_size);
    if (status == 0)
        status = write_charts(&report, scratch, error, error_size);
    free(scratch);
    free_report(&report);
    return status;
}
