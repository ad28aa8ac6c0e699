/*
 * results_file.h — the one reader of results files: JSON object lines as
 * sweep writes them (results.jsonl), as job runners leave them (one file
 * per cell in DIR/cells/), and floor.jsonl beside them.
 *
 * The rules, the same for report, check and sweep --resume: a blank line
 * is skipped; every other line is one JSON object; a last line without its
 * newline that does not parse is a write cut short (sweep --resume sets it
 * aside); a run line names a well-formed cell (mg_run_fault). A bad line is
 * an input error naming the file and the line. A run's fields are then
 * read through run_fields.h.
 */
#ifndef MG_RESULTS_FILE_H
#define MG_RESULTS_FILE_H

#include <jansson.h>
#include <stddef.h>

typedef enum mg_results_kind {
    MG_RESULTS_RUNS,    /* run objects (memgrams.run/1), checked by mg_run_fault */
    MG_RESULTS_OBJECTS, /* any JSON objects (floor.jsonl) */
} mg_results_kind;

typedef struct mg_results {
    json_t **objects; /* owned: one per line read, in file order */
    size_t count;
} mg_results;

/* Appends the lines of path to results. path is a file, or a sweep's
 * folder: its results.jsonl, then DIR/cells/ *.jsonl in name order.
 * 0; 1 when there is no such file (or the folder holds no results);
 * -1 with "'PATH' line N: why" in error. */
int mg_results_read(const char *path, mg_results_kind kind, mg_results *results, char *error, size_t error_size);

void mg_results_free(mg_results *results);

/* Why run is not a well-formed run object, or NULL when it is: the schema,
 * a known status, a valid backend name (cell.h) and settings it takes,
 * a known measured_process where present, corpus, a fraction in
 * (0, 1], an order in 1..5, an allocator; pass, seed and repeat, where
 * present, whole numbers. */
const char *mg_run_fault(json_t *run);

/* Is status one a run can end with? ok, oom, crashed, killed, timeout, error. */
int mg_status_known(const char *status);

/* Is name a measured_process a run can record (results.h: MG_PROCESS_*)? */
int mg_measured_process_known(const char *name);

#endif
