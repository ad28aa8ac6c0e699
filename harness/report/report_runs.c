/* report_runs.c — see report_runs.h. */
#include "report_runs.h"
#include "cell.h"
#include "message.h"
#include "report_files.h"
#include "results.h"
#include "results_file.h"
#include "run_fields.h"
#include "synth.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const mg_report_layer_names[MG_REPORT_LAYERS] = {"requested", "allocated", "active", "resident", "rss",
                                                             "rss_anon", "rss_file"};

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

/* Adds name to names[] (of *count) unless it is there; MG_NAMES_MAX at most.
 * The index of name in names, or -1 where there is no room. */
static int add_name(const char **names, int *count, const char *name)
{
    for (int index = 0; index < *count; index++)
        if (strcmp(names[index], name) == 0)
            return index;
    if (*count == MG_NAMES_MAX)
        return -1;
    names[*count] = name;
    return (*count)++;
}

const char *mg_process_mark(const char *process)
{
    if (strcmp(process, MG_PROCESS_REDIS) == 0)
        return "(server)";
    return strcmp(process, MG_PROCESS_PYTHON) == 0 ? "(python)" : "";
}

void mg_report_row_name(const char *subject, const char *process, char *name, size_t name_size)
{
    const char *mark = mg_process_mark(process);
    snprintf(name, name_size, "%s%s%s", subject, *mark ? " " : "", mark);
}

const char *mg_process_note(const char *process)
{
    if (strcmp(process, MG_PROCESS_REDIS) == 0)
        return "(server): measured in a redis-server process from outside: the baseline is the empty server's heap, "
               "RSS is the server process's, requested is unknown, and speeds include the socket's round trip.";
    if (strcmp(process, MG_PROCESS_PYTHON) == 0)
        return "(python): measured in a python3 process: allocated is tracemalloc's traced bytes, requested, active "
               "and resident are unknown, and RSS is the python3 process's.";
    return NULL;
}

/* A run read by mg_results_read names its whole cell and a status (mg_run_fault). */
static void describe_run(mg_report *report, mg_report_run *run, json_t *object)
{
    mg_cell cell;
    mg_cell_of_run(object, &cell);
    run->json = object;
    mg_cell_subject(&cell, run->subject, sizeof run->subject);
    char short_subject[MG_SUBJECT_SIZE];
    mg_cell_subject_short(&cell, short_subject, sizeof short_subject);
    run->process = mg_run_measured_process(object);
    snprintf(run->chart_name, sizeof run->chart_name, "%s%s", short_subject, mg_process_mark(run->process));
    run->backend = run->subject;
    run->corpus = cell.corpus;
    run->allocator = cell.allocator;
    run->status = mg_run_status(object);
    run->fraction = cell.fraction;
    run->order = cell.order;
    run->tokens = mg_run_tokens(object);
    run->ngrams = mg_run_ngrams(object);
    run->ok = strcmp(run->status, "ok") == 0 && run->ngrams > 0;
    for (int layer = 0; layer < MG_REPORT_LAYERS; layer++)
        run->growth[layer] = mg_run_layer_growth(object, mg_report_layer_names[layer]);
    int backend = add_name(report->backends, &report->backend_count, run->backend);
    if (backend >= 0 && !report->chart_names[backend])
        report->chart_names[backend] = run->chart_name, report->processes[backend] = run->process;
    add_name(report->allocators, &report->allocator_count, run->allocator);
}

int mg_report_same_cell(const char *corpus, double fraction, int order, const mg_report_run *run)
{
    return strcmp(corpus, run->corpus) == 0 && fabs(fraction - run->fraction) < 1e-9 && order == run->order;
}

/* A line of floor.jsonl: an object `memgrams floor` writes (memgrams.floor/1, floor.c), not a run. */
static void describe_floor(mg_report *report, mg_floor_point *point, json_t *object)
{
    point->json = object;
    point->corpus = text_of(object, "corpus");
    point->fraction = number_of(object, "fraction");
    point->order = json_is_integer(json_object_get(object, "order")) ? (int)json_integer_value(json_object_get(object, "order")) : 0;
    point->compressor = text_of(object, "compressor");
    point->ngrams = number_of(object, "ngrams");
    point->vocab_bytes = number_of(object, "vocab_xz_bytes");
    point->table_bytes = number_of(object, "table_xz_bytes");
    point->bytes_per_ngram = number_of(object, "bytes_per_ngram");
    point->floor_bytes = point->vocab_bytes + point->table_bytes;
    point->tokens = NAN;
    for (size_t index = 0; index < report->run_count; index++)
        if (report->runs[index].ok && mg_report_same_cell(point->corpus, point->fraction, point->order, &report->runs[index]))
            point->tokens = report->runs[index].tokens;
}

int mg_report_load(mg_report *report, char *error, size_t error_size)
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
    char path[MG_REPORT_PATH_SIZE];
    snprintf(path, sizeof path, "%s/floor.jsonl", report->dir);
    status = mg_results_read(path, MG_RESULTS_OBJECTS, &lines, error, error_size);
    report->floors = calloc(lines.count ? lines.count : 1, sizeof *report->floors);
    for (size_t index = 0; report->floors && index < lines.count; index++)
        describe_floor(report, &report->floors[report->floor_count++], json_incref(lines.objects[index]));
    mg_results_free(&lines);
    return status < 0 || !report->floors ? -1 : 0;
}

void mg_report_free(mg_report *report)
{
    for (size_t index = 0; index < report->run_count; index++)
        json_decref(report->runs[index].json);
    for (size_t index = 0; index < report->floor_count; index++)
        json_decref(report->floors[index].json);
    free(report->runs);
    free(report->floors);
}

/* ---- the series the charts follow -------------------------------------------------------- */

/* Distinct fractions of corpus among ok runs of the chosen order and allocator. */
static int fraction_count(const mg_report *report, const char *corpus)
{
    double seen[64];
    int count = 0;
    for (size_t index = 0; index < report->run_count; index++) {
        const mg_report_run *run = &report->runs[index];
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

void mg_report_choose_series(mg_report *report)
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
        const mg_report_run *run = &report->runs[index];
        if (run->ok && run->order == report->order && (!report->allocator || strcmp(run->allocator, "jemalloc") == 0))
            report->allocator = run->allocator;
    }
    int most = 0;
    report->scaled_corpus = NULL;
    for (size_t index = 0; report->allocator && index < report->run_count; index++) {
        const char *corpus = report->runs[index].corpus;
        int count = mg_synth_is_spec(corpus) ? 0 : fraction_count(report, corpus);
        if (count > most) {
            most = count;
            report->scaled_corpus = corpus;
        }
    }
}

int mg_report_in_series(const mg_report *report, const mg_report_run *run)
{
    return run->ok && report->allocator && run->order == report->order &&
           strcmp(run->allocator, report->allocator) == 0 &&
           ((report->scaled_corpus && strcmp(run->corpus, report->scaled_corpus) == 0) || mg_synth_is_spec(run->corpus));
}

static int by_tokens(const void *left, const void *right)
{
    double a = (*(mg_report_run *const *)left)->tokens, b = (*(mg_report_run *const *)right)->tokens;
    return (a > b) - (a < b);
}

size_t mg_report_backend_series(const mg_report *report, const char *backend, mg_report_run **runs)
{
    size_t count = 0;
    for (size_t index = 0; index < report->run_count; index++)
        if (mg_report_in_series(report, &report->runs[index]) && strcmp(report->runs[index].backend, backend) == 0)
            runs[count++] = &report->runs[index];
    qsort(runs, count, sizeof *runs, by_tokens);
    return count;
}

const char *mg_report_order_name(int order)
{
    static const char *const names[] = {"n-grams", "unigrams", "bigrams", "trigrams", "4-grams", "5-grams",
                                        "6-grams", "7-grams", "8-grams"};
    return order >= 1 && order <= 8 ? names[order] : names[0];
}

/* How many distinct sizes the series has of corpus (or of synthetic text when corpus is NULL), and
 * their smallest and largest token counts. */
static int series_sizes(const mg_report *report, const char *corpus, double *fewest, double *most)
{
    double seen[64];
    int count = 0;
    *fewest = INFINITY, *most = 0;
    for (size_t index = 0; index < report->run_count; index++) {
        const mg_report_run *run = &report->runs[index];
        if (!mg_report_in_series(report, run) || (corpus ? strcmp(run->corpus, corpus) != 0 : !mg_synth_is_spec(run->corpus)))
            continue;
        int known = 0;
        for (int other = 0; other < count; other++)
            known |= seen[other] == run->tokens;
        if (!known && count < 64)
            seen[count++] = run->tokens;
        *fewest = fmin(*fewest, run->tokens), *most = fmax(*most, run->tokens);
    }
    return count;
}

/* "gcide at 3 sizes (168,742 to 2,699,868 tokens)" or "synthetic text at 1 size (10,799,472 tokens)". */
static void sizes_text(const char *name, int count, double fewest, double most, char *text, size_t text_size)
{
    char low[32], high[32];
    mg_format_count(fewest, low, sizeof low);
    mg_format_count(most, high, sizeof high);
    if (count == 1)
        snprintf(text, text_size, "%s at 1 size (%s tokens)", name, high);
    else
        snprintf(text, text_size, "%s at %d sizes (%s to %s tokens)", name, count, low, high);
}

void mg_report_series_title(const mg_report *report, char *title, size_t title_size)
{
    char named[256] = "", synthetic[128] = "";
    double fewest, most;
    int count;
    if (report->scaled_corpus && (count = series_sizes(report, report->scaled_corpus, &fewest, &most)) > 0) {
        const char *base = strrchr(report->scaled_corpus, '/');
        sizes_text(base ? base + 1 : report->scaled_corpus, count, fewest, most, named, sizeof named);
    }
    if ((count = series_sizes(report, NULL, &fewest, &most)) > 0)
        sizes_text("synthetic text", count, fewest, most, synthetic, sizeof synthetic);
    snprintf(title, title_size, "%s%s%s; %s (order %d); %s allocator", named, *named && *synthetic ? " and " : "",
             synthetic, mg_report_order_name(report->order), report->order, report->allocator ? report->allocator : "no");
}

/* ---- the figures and cells every table and chart shares ------------------------------------- */

double mg_report_per_ngram(const mg_report_run *run, int layer)
{
    return run->ngrams > 0 ? run->growth[layer] / run->ngrams : NAN;
}

/* Does the run serve its table from a mapped file? Then its file pages outgrow its allocated
 * bytes, and RSS / allocated (or their growth exponents) compare a file with a heap. */
int mg_report_serves_from_file(const mg_report_run *run)
{
    return mg_report_per_ngram(run, MG_REPORT_RSS_FILE) > mg_report_per_ngram(run, MG_REPORT_ALLOCATED);
}

/* The run of backend under allocator in the cell of size (ok or not), or NULL. */
const mg_report_run *mg_report_run_under(const mg_report *report, const char *backend, const char *allocator,
                                   const mg_report_run *size)
{
    for (size_t index = 0; index < report->run_count; index++) {
        const mg_report_run *run = &report->runs[index];
        if (strcmp(run->backend, backend) == 0 && strcmp(run->allocator, allocator) == 0 &&
            mg_report_same_cell(size->corpus, size->fraction, size->order, run))
            return run;
    }
    return NULL;
}

/* The (corpus, fraction, order) cell with the most allocators among its ok runs (then the
 * most backend x allocator pairs, then the most tokens): where allocators are compared.
 * NULL when no cell has two allocators. */
const mg_report_run *mg_report_allocator_cell(const mg_report *report)
{
    const mg_report_run *best = NULL;
    int best_allocators = 1, best_pairs = 0;
    for (size_t index = 0; index < report->run_count; index++) {
        const mg_report_run *candidate = &report->runs[index];
        if (!candidate->ok)
            continue;
        int allocators = 0, pairs = 0;
        for (int a = 0; a < report->allocator_count; a++) {
            int here = 0;
            for (int b = 0; b < report->backend_count; b++) {
                const mg_report_run *run = mg_report_run_under(report, report->backends[b], report->allocators[a], candidate);
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
void mg_report_pair_figures(const mg_report_run *run, double *rss, double *fragmentation, double *file_pages)
{
    *rss = run && run->ok ? mg_report_per_ngram(run, MG_REPORT_RSS) : NAN;
    *fragmentation = run && run->ok ? mg_run_figure(run->json, "derived", "fragmentation") : NAN;
    *file_pages = run && run->ok && mg_report_serves_from_file(run) ? mg_report_per_ngram(run, MG_REPORT_RSS_FILE) : 0;
    if (*file_pages > 0)
        *fragmentation = NAN;
}

/* The size (a run of the series) that most backends reached, the largest among equals. */
const mg_report_run *mg_report_common_size(const mg_report *report, int *backends_there)
{
    const mg_report_run *best = NULL;
    int best_count = 0;
    for (size_t index = 0; index < report->run_count; index++) {
        const mg_report_run *candidate = &report->runs[index];
        if (!mg_report_in_series(report, candidate))
            continue;
        int count = 0;
        for (int backend = 0; backend < report->backend_count; backend++)
            for (size_t other = 0; other < report->run_count; other++) {
                const mg_report_run *run = &report->runs[other];
                if (mg_report_in_series(report, run) && strcmp(run->backend, report->backends[backend]) == 0 &&
                    mg_report_same_cell(candidate->corpus, candidate->fraction, candidate->order, run)) {
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

const mg_report_run *mg_report_run_at(const mg_report *report, const char *backend, const mg_report_run *size)
{
    for (size_t index = 0; index < report->run_count; index++) {
        const mg_report_run *run = &report->runs[index];
        if (mg_report_in_series(report, run) && strcmp(run->backend, backend) == 0 &&
            mg_report_same_cell(size->corpus, size->fraction, size->order, run))
            return run;
    }
    return NULL;
}
