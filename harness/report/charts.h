/*
 * charts.h — the charts of `memgrams report DIR`, each as .svg and .png in
 * DIR/charts/ beside the .dat files it plots (chart_data.h): memory-vs-size,
 * bytes-breakdown, parts and parts-growth (parts_charts.h), pareto, growth, allocators (backend x allocator heat map,
 * where a corpus size was measured under two allocators or more) and
 * timeline-<backend>, drawn by gnuplot (gnuplot.h) with scripts/NAME.gp.
 */
#ifndef MG_CHARTS_H
#define MG_CHARTS_H

#include "report_runs.h"

/* DIR/charts made (a folder of its own) and every chart drawn: 0, or -1
 * with a one-line message. scratch has run_count room. */
int mg_charts_write(const mg_report *report, mg_report_run **scratch, char *error, size_t error_size);

#endif
