/*
 * check.h — `memgrams check`: a results file judged against a baseline.
 *
 *   memgrams check --baseline FILE --results FILE [--tolerance SPEC]
 *                  [--speed auto|on|off] [--junit FILE]
 *
 * Runs are matched by (backend, corpus, fraction, order, allocator); lines of
 * one cell in one file are pooled. Memory figures (each phase's layers as a
 * change over the baseline phase, and the training peak) are judged against
 * a tolerance; speed by a one-sided test (Wilcoxon signed-rank on the
 * ratios of paired passes, else Mann–Whitney U on whole runs or on the
 * rounds of `run --repeat R`) plus a minimum change of the median. Exit 0
 * when nothing regressed, 1 on a regression or a baseline cell missing from
 * the results, 2 on bad input (one line on stderr naming the file and the
 * fault).
 */
#ifndef MG_CHECK_H
#define MG_CHECK_H

#include <stddef.h>

/* Memory figures with a tolerance of their own. */
enum mg_check_layer { MG_CHECK_REQUESTED, MG_CHECK_ALLOCATED, MG_CHECK_ACTIVE, MG_CHECK_RESIDENT,
                      MG_CHECK_RSS, MG_CHECK_PEAK, MG_CHECK_LAYERS };

/* Allowed change either way: percent of the baseline figure plus bytes. */
typedef struct mg_tolerance {
    double percent, bytes;
    int off; /* not judged */
} mg_tolerance;

typedef struct mg_check_tolerances {
    mg_tolerance memory[MG_CHECK_LAYERS];
    double speed_percent; /* smallest change of the median that can fail */
    int speed_off;
    double alpha;         /* significance level of the one-sided speed tests */
} mg_check_tolerances;

/* requested=0.5%, allocated=1%, active/rss/peak=5%+256KiB, resident=off (5%+256KiB
 * when switched on without an amount of its own), speed=10%, alpha=0.001 */
void mg_check_default_tolerances(mg_check_tolerances *tolerances);

/* Applies SPEC, a comma list of FIGURE=AMOUNT, over what tolerances holds.
 * FIGURE: requested, allocated, active, resident, rss, peak, memory (all six),
 * speed, alpha. AMOUNT: off, or terms joined by '+', each N% or N with a unit
 * (B, KiB, MiB, GiB); speed takes N% or off; alpha a number in (0, 0.5].
 * 0, or -1 with a one-line message. */
int mg_check_parse_tolerances(const char *spec, mg_check_tolerances *tolerances, char *error, size_t error_size);

int mg_check_main(int argc, char **argv);

#endif
