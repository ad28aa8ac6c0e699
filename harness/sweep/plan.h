/*
 * plan.h — the plan of a sweep: its options checked into a matrix of cells
 * (backends x corpora x fractions x orders x allocators, backends varying
 * slowest), run --processes times (one pass of the matrix each), on one
 * build or two (--against).
 */
#ifndef MG_PLAN_H
#define MG_PLAN_H

#include "cell.h"

#include <stdint.h>

#define MG_LIST_MAX 64 /* items of one option's list */

typedef struct mg_sweep_plan {
    const char *backends[MG_LIST_MAX], *corpora[MG_LIST_MAX], *allocators[MG_LIST_MAX];
    double fractions[MG_LIST_MAX];
    int orders[MG_LIST_MAX];
    int backend_count, corpus_count, fraction_count, order_count, allocator_count;
    char out[4096];
    int out_given;      /* --out was given: a plan's lines write their own files there */
    int resume, plan_only;
    uint64_t timeout_seconds, seed;
    uint64_t repeat;    /* passed on as run --repeat */
    uint64_t processes; /* separate runs of every cell, one pass of the matrix each */
    char against[4096]; /* another memgrams build run beside this one, or "" */
} mg_sweep_plan;

/* The plan from `sweep` argv: 0, or the exit status after one line on stderr. */
int mg_sweep_plan_parse(int argc, char **argv, mg_sweep_plan *plan);

uint64_t mg_plan_cell_count(const mg_sweep_plan *plan);
/* 2 with --against, else 1. */
int mg_plan_side_count(const mg_sweep_plan *plan);
/* Every run of the sweep: cells x processes x sides. */
uint64_t mg_plan_run_count(const mg_sweep_plan *plan);
/* Cell number index, backends varying slowest... allocators fastest. */
mg_cell mg_plan_cell_at(const mg_sweep_plan *plan, uint64_t index);
/* Which side runs the turn-th run of a cell in a pass: the first side
 * alternates from cell to cell and pass to pass. */
int mg_plan_side_of(int turn, uint64_t pass, uint64_t index, int sides);

#endif
