/*
 * sides.h — the sides of a sweep: this memgrams, and the build --against
 * names, each with its results file. Every run not done yet is started as a
 * child (supervise.h), pass by pass (each pass one run of every cell, so the
 * runs of a cell are spread over the sweep's time, not bunched); with two
 * sides, each cell runs on both back to back, the first side alternating,
 * so both sides see the same moments of the machine.
 */
#ifndef MG_SIDES_H
#define MG_SIDES_H

#include "plan.h"
#include "resume.h"

#include <stdint.h>

/* The statuses of a run that did not end ok, as the sweep counts them: oom, timeout, crashed,
 * killed, and any other ("error"). */
#define MG_SWEEP_FAILURE_KINDS 5
const char *mg_sweep_failure_name(int kind);

/* Counts of the sweep so far, every one of them 64-bit. */
typedef struct mg_sweep_tally {
    uint64_t step, total; /* runs seen, and in all */
    uint64_t failures;    /* runs that did not end ok */
    uint64_t failed_as[MG_SWEEP_FAILURE_KINDS]; /* of them, by status (mg_sweep_failure_name) */
    uint64_t unstored;    /* lines that could not be appended */
    int tty;              /* progress on one terminal line */
} mg_sweep_tally;

/* One build's runs: this memgrams, or the one given by --against. */
typedef struct mg_sweep_side {
    const char *exe;
    const char *label; /* shown after the cell: "" or " (against)" */
    char results_path[4200];
    int results_fd;
    mg_done_set done;  /* runs the results held before this sweep (--resume) */
} mg_sweep_side;

/* Opens a side's results file (PLAN.out/file) for appending, never after an
 * unfinished line; with --resume, reads the runs done (from done_path, else
 * the file). 0 or the exit status. */
int mg_sweep_side_open(const mg_sweep_plan *plan, mg_sweep_side *side, const char *file, const char *done_path);
void mg_sweep_side_close(mg_sweep_side *side);

/* Runs every run of the plan not done yet on its side (sides has
 * mg_plan_side_count entries), appending each line. Tells its progress on
 * stderr: the cell, its status and seconds, runs done of all, the time
 * elapsed and left (each run left at its subject's mean so far); on a
 * terminal as one line drawn again, otherwise a line per run ended. */
void mg_sweep_run_cells(const mg_sweep_plan *plan, mg_sweep_side *sides, mg_sweep_tally *tally);

#endif
