/*
 * cell_runs.h — the runs of a results file (or folder) as `memgrams check`
 * pools them: by cell (cell.h), and the figures of a cell drawn from its
 * pooled runs: the median of a memory figure, the samples of a speed, and
 * the pairs of runs made in one pass of a sweep.
 */
#ifndef MG_CELL_RUNS_H
#define MG_CELL_RUNS_H

#include <jansson.h>
#include <stddef.h>

#define MG_CELL_RUNS_MAX 64 /* lines of one cell pooled from one file */

typedef struct mg_check_cell {
    char key[1024];   /* backend|corpus|fraction|order|allocator */
    char label[1024]; /* the same, for people */
    json_t *runs[MG_CELL_RUNS_MAX];
    size_t run_count;
    int matched;
} mg_check_cell;

typedef struct mg_check_file {
    const char *path;
    json_t *lines;    /* every run, owned here */
    mg_check_cell *cells;
    size_t cell_count;
} mg_check_file;

/* The runs of a results file or folder (results_file.h), pooled by cell: 0, or -1 with a message. */
int mg_check_file_load(const char *path, mg_check_file *file, char *error, size_t error_size);
void mg_check_file_free(mg_check_file *file);
mg_check_cell *mg_check_cell_find(mg_check_file *file, const char *key);

/* The median over the cell's pooled runs of one memory figure: phase.layer
 * as a change over the baseline phase; phase NULL: the training peak over
 * baseline RSS, as the derived peak_bytes_per_ngram_rss has it. NAN where no
 * run has it. */
double mg_cell_memory(const mg_check_cell *cell, const char *phase, const char *layer);

/* The samples of a speed figure. With whole runs (by_run), one per run: the
 * runs are the independent trials, since the rounds of one run share its
 * process, its memory layout and its moment of the machine. Otherwise every
 * round of every run (speed_samples), or a run's one value where it kept none. */
size_t mg_cell_speed_samples(const mg_check_cell *cell, const char *name, int by_run, double *samples,
                             size_t capacity);

/* Paired when every run on both sides has a pass number and at least two
 * passes are on both: runs of one pass were made back to back (sweep
 * --against), so they saw the same moment of the machine. */
int mg_cells_paired(const mg_check_cell *base, const mg_check_cell *now);

/* log(now / baseline) of a speed figure, one per pass on both sides. */
size_t mg_pair_differences(const mg_check_cell *base, const mg_check_cell *now, const char *name,
                           double *differences, size_t capacity);

#endif
