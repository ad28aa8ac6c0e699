/*
 * sweep.h — `memgrams sweep`: the matrix, one child process per run.
 *
 * Every (backend, corpus, fraction, order, allocator) cell of the plan
 * (plan.h) is a fresh `memgrams run` started with posix_spawn (no shell) and
 * judged by supervise.h, on this build and on the one --against names
 * (sides.h); its JSON line is appended to DIR/results.jsonl whole, under the
 * file's lock (results_append.h), so an interrupted sweep loses nothing and
 * sweeps sharing a folder append whole lines. A line that cannot be stored
 * is counted, and the sweep says so and exits 1. A results file that ends in
 * an unfinished line has it set aside in results.jsonl.partial before
 * anything is appended. --resume reads the runs done (resume.h) and measures
 * again what did not end ok or oom with the plan's seed and repeat. --plan
 * prints every run's command line quoted for sh (plan_lines.h); with --out
 * DIR each line judges itself into DIR/cells/ (docs/parallel.md).
 */
#ifndef MG_SWEEP_H
#define MG_SWEEP_H

/* `memgrams sweep ...` (argv[0] is "sweep"); returns the exit status. */
int mg_sweep_main(int argc, char **argv);

#endif
