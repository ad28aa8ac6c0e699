/*
 * report_microbench.h — `memgrams report DIR`'s tables of DIR/microbench.json,
 * the Google Benchmark JSON that memgrams-microbench writes (make microbench):
 * backends down, operations across; time per operation (1e9 / items_per_second,
 * the median over repetitions) and mem.h allocations per iteration.
 */
#ifndef MG_REPORT_MICROBENCH_H
#define MG_REPORT_MICROBENCH_H

#include <stddef.h>
#include <stdio.h>

#define MG_MICROBENCH_FILE "microbench.json"

/* 1 when DIR holds a microbench.json, else 0. */
int mg_microbench_present(const char *dir);

/* Prints the tables of DIR/microbench.json: 0 (nothing printed when there
 * is none), or -1 with a one-line message in error. */
int mg_microbench_report(const char *dir, FILE *out, char *error, size_t error_size);

#endif
