/*
 * chart_list.h — the charts of a report in reading order, each with its title in words: the one
 * list summary.md links and report.html inlines, so neither names a chart that is not there.
 * A chart is listed when its DIR/charts/NAME.svg exists; a chart the report does not draw this
 * time (growth with too few sizes, allocators with one allocator) has its old files removed by
 * charts.c, so what is listed is what this report drew.
 */
#ifndef MG_CHART_LIST_H
#define MG_CHART_LIST_H

#include "report_runs.h"

#include <stddef.h>

enum { MG_CHART_LIST_MAX = 10 + MG_NAMES_MAX };

typedef struct mg_chart_entry {
    char name[256];  /* the file name in DIR/charts without .svg or .png */
    char title[320]; /* what the chart shows */
} mg_chart_entry;

/* Fills entries (MG_CHART_LIST_MAX of them) with the charts of report that exist; returns how many. */
size_t mg_chart_list(const mg_report *report, mg_chart_entry *entries);

#endif
