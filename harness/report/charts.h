/*
 * charts.h — the files of `memgrams report DIR`, beside its table on stdout.
 *
 * From DIR/results.jsonl (and DIR/floor.jsonl when present: lines of
 * `memgrams floor`, schema memgrams.floor/1) it writes
 *   summary.csv   every run, one row: layers, ratios, speeds
 *   summary.md    per corpus the same as tables; the backend x allocator
 *                 table; the growth table; the floor
 *   charts/       memory-vs-size, bytes-breakdown, pareto, growth,
 *                 allocators (backend x allocator heat map, where a corpus
 *                 size was measured under two allocators or more) and
 *                 timeline-<backend>, each as .svg and .png (gnuplot, with
 *                 scripts/NAME.gp) and the .dat files they plot
 * Each file is written under a temporary name and renamed when complete.
 *
 * The charts follow one series: the runs of the most common order under
 * jemalloc (or the only allocator), on the named corpus measured at the most
 * fractions together with any synth: corpora (synth is calibrated on gcide,
 * so its sizes continue the same curve).
 */
#ifndef MG_CHARTS_H
#define MG_CHARTS_H

#include <stddef.h>
#include <stdio.h>

/* RSS growing faster than allocated by more than this exponent flags
 * "sparse memory" (pages held for little data); see the justification in charts.c. */
#define MG_SPARSE_MARGIN 0.10

/* Writes the files, and prints the backend x allocator table to terminal (when not NULL);
 * 0, or -1 with a one-line message (what was written stays). */
int mg_report_write(const char *dir, FILE *terminal, char *error, size_t error_size);

#endif
