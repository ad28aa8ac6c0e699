/*
 * resume.h — `sweep --resume`: the runs a sweep's results already hold
 * (results_file.h: DIR/results.jsonl and DIR/cells/), so that only what did
 * not end ok or oom is measured again. A run counts toward its cell with
 * its seed and repeat (runs of another seed or repeat are other
 * measurements); a cell measured k times counts k times.
 */
#ifndef MG_RESUME_H
#define MG_RESUME_H

#include "cell.h"

#include <stddef.h>
#include <stdint.h>

typedef struct mg_done_set {
    char **keys; /* sorted; one per finished run: a cell measured k times is here k times */
    size_t count;
} mg_done_set;

/* The key of a run toward a cell: its cell, seed and repeat. */
void mg_done_key(const mg_cell *cell, uint64_t seed, uint64_t repeat, char *key, size_t key_size);

/* The finished runs of path (a results file, or a sweep's folder). 0, or -1
 * with error set: a bad line is an input error, never resumed onto. */
int mg_done_load(const char *path, mg_done_set *done, char *error, size_t error_size);

/* How many finished runs with this key the results held. */
uint64_t mg_done_count(const mg_done_set *done, const char *key);

void mg_done_free(mg_done_set *done);

#endif
