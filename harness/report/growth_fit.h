/*
 * growth_fit.h — how a backend's memory grows with the corpus: exponents b
 * of a fit bytes ~ tokens^b over the sizes of the series (report_runs.h),
 * and the sparse-memory flag they raise. The growth table of summary.md and
 * the growth chart both show it.
 */
#ifndef MG_GROWTH_FIT_H
#define MG_GROWTH_FIT_H

#include "report_runs.h"

/* RSS growing faster than allocated by more than this exponent flags
 * "sparse memory" (pages held for little data); see the justification in growth_fit.c. */
#define MG_SPARSE_MARGIN 0.10

typedef struct mg_growth_fit {
    double allocated, rss; /* exponents b in bytes ~ tokens^b; NAN when not fitted */
    int sizes;
    double span;           /* largest / smallest tokens */
    int mapped;            /* the table is served from a mapped file (mg_report_serves_from_file) */
} mg_growth_fit;

/* Least-squares slope of log y on log x over the points where both are above 0: b in y ~ x^b;
 * NAN with fewer than 3 such points. */
double mg_fit_exponent(const double *x, const double *y, size_t count);

/* The fit over backend's series runs (scratch has run_count room). */
mg_growth_fit mg_growth_fit_of(const mg_report *report, const char *backend, mg_report_run **scratch);
int mg_growth_is_sparse(const mg_growth_fit *fit);

#endif
