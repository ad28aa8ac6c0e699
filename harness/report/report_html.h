/*
 * report_html.h — DIR/report.html: the report as one page a browser opens
 * without a network or a script, on a phone as on a wide screen. It holds
 * the series in words, every chart of chart_list.h inlined as SVG in that
 * order, the runs, growth and backend x allocator tables, the machine and
 * build the runs were measured on, and links to the files beside it
 * (summary.csv, summary.md, results.jsonl). Every text from the results is
 * escaped and every chart copied in through html_text.h.
 */
#ifndef MG_REPORT_HTML_H
#define MG_REPORT_HTML_H

#include "report_runs.h"

#include <stddef.h>

/* Writes DIR/report.html after the charts (scratch has run_count room): 0, or -1 with a message. */
int mg_report_html_write(const mg_report *report, mg_report_run **scratch, char *error, size_t error_size);

#endif
