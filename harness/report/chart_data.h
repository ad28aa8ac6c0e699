/*
 * chart_data.h — the data files each chart reads, in DIR/charts/:
 *   memory-vs-size.dat, memory-vs-size-floor.dat   bytes (final and peak) by tokens, per backend
 *   bytes-breakdown.dat                            the layers at the common size
 *   pareto.dat, pareto-frontier.dat, -axes.dat     RSS per n-gram against lookup time, with ranges
 *   growth.dat                                     the fitted exponents (growth_fit.h)
 *   allocators.dat, -columns.dat, -rows.dat        the backend x allocator heat map
 *   timeline-NAME.dat, timeline-NAME-phases.dat    a backend's run at the common size over time
 *   timelines.dat, timelines-phases.dat            every backend's RSS over that run, one block each
 * (the parts charts' files: parts_charts.h), each written whole (report_files.h). Names enter them only as quoted data fields.
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
/* Each backend's median lookup-hit time and RSS per n-gram at size, with their least and most over
 * every round of every run of that cell, and a label placed beside it (mg_place_labels). */
int mg_pareto_data(mg_chart *chart, const mg_report_run *size, char *error, size_t error_size);
/* Writes growth.dat only when *fitted (the backends with a fit) is above 0. */
int mg_growth_data(mg_chart *chart, mg_report_run **scratch, int *fitted, char *error, size_t error_size);
int mg_allocators_data(mg_chart *chart, const mg_report_run *size, char *error, size_t error_size);
/* The timeline of backend's run at size (the common size: every backend's the same cell), each layer
 * over its value at the baseline sample; 0 with *shown NULL when there is none. */
int mg_timeline_data(mg_chart *chart, const char *backend, const mg_report_run *size, const mg_report_run **shown,
                     char *error, size_t error_size);
/* The RSS over baseline of every backend's timeline at size, one block per backend (training
 * samples, and phase ends in -phases.dat); shown gets their chart names, space separated. */
int mg_timelines_data(mg_chart *chart, const mg_report_run *size, char *shown, size_t shown_size, char *error,
                      size_t error_size);

/* A label beside its point on a chart of two log axes, both mapped to 0..1. */
enum { MG_LABEL_RIGHT, MG_LABEL_ABOVE, MG_LABEL_LEFT, MG_LABEL_BELOW, MG_LABEL_ABOVE_RIGHT, MG_LABEL_ABOVE_LEFT,
       MG_LABEL_BELOW_RIGHT, MG_LABEL_BELOW_LEFT, MG_LABEL_SIDES };
typedef struct mg_chart_label {
    double x, y;  /* the point */
    double width; /* the label's (mg_label_width) */
    int side;     /* MG_LABEL_* */
} mg_chart_label;

double mg_label_width(const char *name);
/* The label's box on its side: least x, least y, most x, most y. */
void mg_label_box(const mg_chart_label *label, double box[4]);
/* Puts each label on the side (in order of preference) where it meets the fewest other points,
 * segments (x0 y0 x1 y1: error bars, the frontier), labels placed before it, and edges. */
void mg_place_labels(mg_chart_label *labels, int count, double (*segments)[4], int segment_count);

#endif
