/*
 * chart_data.h — the data files each chart reads, in DIR/charts/:
 *   memory-vs-size.dat, memory-vs-size-floor.dat   bytes (final and peak) by tokens, per backend
 *   bytes-breakdown.dat                            the layers at the common size
 *   pareto.dat, pareto-frontier.dat                RSS per n-gram against lookup time
 *   growth.dat                                     the fitted exponents (growth_fit.h)
 *   allocators.dat, -columns.dat, -rows.dat        the backend x allocator heat map
 *   timeline-NAME.dat, timeline-NAME-phases.dat    a backend's largest run over time
 * each written whole (report_files.h). Names enter them only as quoted data fields.
 */
#ifndef MG_CHART_DATA_H
#define MG_CHART_DATA_H

#include "atomic_file.h"
#include "report_runs.h"

/* The charts being drawn: where, and the backends plotted. */
typedef struct mg_chart {
    const mg_report *report;
    char dir[MG_REPORT_PATH_SIZE];     /* DIR/charts */
    char scratch[MG_REPORT_PATH_SIZE]; /* DIR/charts/.tmp-XXXXXX: gnuplot draws here (atomic_file.h) */
    char names[1024];                  /* the backends plotted, space separated */
    int series;
} mg_chart;

void mg_chart_add_name(mg_chart *chart, const char *name);
/* charts/NAME.dat, open for writing. */
int mg_chart_data_open(mg_atomic_file *output, const mg_chart *chart, const char *name, char *error,
                       size_t error_size);

/* A ratio of two layers is left out (NAN) where its denominator is under this share of RSS. */
#define MG_RATIO_MIN_SHARE 0.01

/* Each returns 0, or -1 with a message; scratch has run_count room. */
/* left_out gets the names of the backends with a ratio left out, comma separated ("" when none). */
int mg_memory_vs_size_data(mg_chart *chart, mg_report_run **scratch, int *has_floor, char *left_out,
                           size_t left_out_size, char *error, size_t error_size);
/* One row per backend measured at size, sorted by RSS per n-gram. */
int mg_breakdown_data(mg_chart *chart, const mg_report_run *size, char *error, size_t error_size);
int mg_pareto_data(mg_chart *chart, const mg_report_run *size, char *error, size_t error_size);
/* Writes growth.dat only when *fitted (the backends with a fit) is above 0. */
int mg_growth_data(mg_chart *chart, mg_report_run **scratch, int *fitted, char *error, size_t error_size);
int mg_allocators_data(mg_chart *chart, const mg_report_run *size, char *error, size_t error_size);
/* The timeline of backend's largest run in the series; 0 with *shown NULL when there is none. */
int mg_timeline_data(mg_chart *chart, const char *backend, mg_report_run **scratch, const mg_report_run **shown,
                     char *error, size_t error_size);

#endif
