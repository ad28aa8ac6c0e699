/*
 * report_runs.h — the runs of `memgrams report DIR`, read once: each run's
 * cell, status and layer growths (run_fields.h), the archival floor points
 * of DIR/floor.jsonl beside them (lines of `memgrams floor`, schema
 * memgrams.floor/1), the series the charts follow, and the cells and figures
 * every table and chart of the report shares.
 *
 * The series: the runs of the most common order under jemalloc (or the only
 * allocator), on the named corpus measured at the most fractions together
 * with any synth: corpora (synth is calibrated on gcide, so its sizes
 * continue the same curve).
 */
#ifndef MG_REPORT_RUNS_H
#define MG_REPORT_RUNS_H

#include <jansson.h>
#include <stddef.h>

#define MG_NAMES_MAX 32          /* backends, and allocators, a report tells apart */
#define MG_REPORT_PATH_SIZE 4400

/* The memory layers of a run, bottom up (the measurement model), then rss split by what backs
 * its pages: anonymous memory, and file pages (a mapped image) the kernel can drop and reread. */
enum { MG_REPORT_REQUESTED, MG_REPORT_ALLOCATED, MG_REPORT_ACTIVE, MG_REPORT_RESIDENT, MG_REPORT_RSS,
       MG_REPORT_RSS_ANON, MG_REPORT_RSS_FILE, MG_REPORT_LAYERS };
extern const char *const mg_report_layer_names[MG_REPORT_LAYERS];

#define MG_SUBJECT_SIZE 160

typedef struct mg_report_run {
    json_t *json; /* the run object (owned by the report) */
    /* backend is the subject (cell.h mg_cell_subject): a backend, a peer, or
     * redis with its settings, which every table and chart tells apart */
    const char *backend, *corpus, *allocator, *status;
    const char *process;              /* measured_process (results.h MG_PROCESS_*) */
    char subject[MG_SUBJECT_SIZE];    /* what backend points to */
    char chart_name[MG_SUBJECT_SIZE]; /* one word for a chart's legend: short subject and process mark */
    double fraction, tokens, ngrams;
    int order, ok;
    double growth[MG_REPORT_LAYERS]; /* bytes over baseline at the end of finalize; NAN where unknown */
} mg_report_run;

typedef struct mg_floor_point {
    json_t *json;
    const char *corpus, *compressor;
    double fraction, ngrams, vocab_bytes, table_bytes, bytes_per_ngram; /* compressed; NAN where unknown */
    double floor_bytes; /* vocabulary and table */
    double tokens;      /* from the matching run; NAN if none */
    int order;
} mg_floor_point;

typedef struct mg_report {
    const char *dir;
    mg_report_run *runs;
    size_t run_count;
    mg_floor_point *floors;
    size_t floor_count;
    const char *backends[MG_NAMES_MAX]; /* in order of first appearance */
    const char *chart_names[MG_NAMES_MAX]; /* each backend's chart_name */
    const char *processes[MG_NAMES_MAX];   /* each backend's process */
    int backend_count;
    const char *allocators[MG_NAMES_MAX]; /* allocator names (without options), in order of first appearance */
    int allocator_count;
    /* the chart series (above) */
    int order;
    const char *allocator, *scaled_corpus;
} mg_report;

/* How a row or series of a run measured outside memgrams is marked:
 * "(server)" for redis-server, "(python)" for python3, "" for memgrams. */
const char *mg_process_mark(const char *process);
/* "subject" or "subject (server)": a table's row name for a subject measured in process. */
void mg_report_row_name(const char *subject, const char *process, char *name, size_t name_size);
/* What differs in such a run's figures, one line for a table's footnote; NULL for memgrams. */
const char *mg_process_note(const char *process);

/* Reads report->dir (results.jsonl, cells/, floor.jsonl): 0, or -1 with a one-line message. */
int mg_report_load(mg_report *report, char *error, size_t error_size);
void mg_report_free(mg_report *report);

/* ---- the series ---- */

void mg_report_choose_series(mg_report *report);
int mg_report_in_series(const mg_report *report, const mg_report_run *run);
/* The series runs of backend, by tokens; returns how many (runs has run_count room). */
size_t mg_report_backend_series(const mg_report *report, const char *backend, mg_report_run **runs);
/* "trigrams" for order 3: what a reader calls the n-grams of an order. */
const char *mg_report_order_name(int order);
/* "gcide at 3 sizes (168,742 to 2,699,868 tokens) and synthetic text at 2 sizes (...); trigrams
 * (order 3); jemalloc allocator" */
void mg_report_series_title(const mg_report *report, char *title, size_t title_size);

/* ---- cells and figures ---- */

int mg_report_same_cell(const char *corpus, double fraction, int order, const mg_report_run *run);
/* A layer's growth per n-gram; NAN where unknown. */
double mg_report_per_ngram(const mg_report_run *run, int layer);
int mg_report_serves_from_file(const mg_report_run *run);
const mg_report_run *mg_report_run_under(const mg_report *report, const char *backend, const char *allocator,
                                         const mg_report_run *size);
const mg_report_run *mg_report_allocator_cell(const mg_report *report);
void mg_report_pair_figures(const mg_report_run *run, double *rss, double *fragmentation, double *file_pages);
const mg_report_run *mg_report_common_size(const mg_report *report, int *backends_there);
const mg_report_run *mg_report_run_at(const mg_report *report, const char *backend, const mg_report_run *size);

#endif
