/*
 * report.h — the files of `memgrams report DIR`, beside its table on stdout.
 *
 * From DIR/results.jsonl and DIR/cells/ (results_file.h), and DIR/floor.jsonl
 * when present, it writes summary.csv and summary.md (summary_files.h), parts.csv (parts_files.h), the
 * charts (charts.h) and report.html (report_html.h), each file under a
 * temporary name and renamed when complete, and prints the backend x
 * allocator table.
 */
#ifndef MG_REPORT_H
#define MG_REPORT_H

#include <stddef.h>
#include <stdio.h>

/* Writes the files, and prints the backend x allocator table to terminal (when not NULL);
 * 0, or -1 with a one-line message (what was written stays). */
int mg_report_write(const char *dir, FILE *terminal, char *error, size_t error_size);

#endif
