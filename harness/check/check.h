/*
 * check.h — `memgrams check`: a results file judged against a baseline.
 *
 *   memgrams check --baseline FILE --results FILE [--tolerance SPEC]
 *                  [--speed auto|on|off] [--junit FILE] [--verbose]
 *
 * Runs are matched by (backend, corpus, fraction, order, allocator); lines of
 * one cell in one file are pooled (cell_runs.h). Memory figures (each phase's
 * layers as a change over the baseline phase, and the training peak) are
 * judged against a tolerance (tolerance.h); speed by a one-sided test
 * (Wilcoxon signed-rank on the ratios of paired passes, else Mann–Whitney U
 * on whole runs or on the rounds of `run --repeat R`) plus a minimum change of
 * the median (compare.h). A cell whose backend declares another layout
 * version than the baseline's has its memory figures not compared: the
 * baseline needs rewriting. Exit 0 when nothing regressed, 1 on a
 * regression, a baseline cell missing from the results or a changed layout,
 * 2 on bad input (one line on stderr naming the file and the fault). --junit
 * writes the verdicts as JUnit XML (junit.h). Prints a line per cell (its
 * verdict and worst change), the figure table of a cell that regressed or
 * improved (of every cell with --verbose, the figures not judged too), then
 * the counts and a line per failure.
 */
#ifndef MG_CHECK_H
#define MG_CHECK_H

enum { MG_CHECK_EXIT_REGRESSED = 1, MG_CHECK_EXIT_UNWRITTEN = 1, MG_CHECK_EXIT_INPUT = 2 };

int mg_check_main(int argc, char **argv);

#endif
