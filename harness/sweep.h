/*
 * sweep.h — the matrix: one child process per run.
 *
 * Every (backend, corpus, fraction, order, allocator) cell is a fresh
 * `memgrams run` started with posix_spawn (no shell); its JSON line is
 * appended to DIR/results.jsonl in one write, so an interrupted sweep loses
 * nothing and --resume skips the cells already measured. A child that
 * crashes, is killed or runs out of time is recorded with that status and the
 * sweep goes on. --plan prints the cells' command lines for a job runner.
 */
#ifndef MG_SWEEP_H
#define MG_SWEEP_H

/* `memgrams sweep ...` (argv[0] is "sweep"); returns the exit status. */
int mg_sweep_main(int argc, char **argv);

#endif
