/*
 * summary_files.h — the tables of `memgrams report DIR`:
 *   summary.csv   every run, one row: layers, ratios, speeds
 *   summary.md    per corpus the same as tables; the backend x allocator
 *                 table; the growth table; the floor; a wrapped library's
 *                 own figures; the parts (parts_files.h); the charts
 * and the backend x allocator table on the terminal.
 */
#ifndef MG_SUMMARY_FILES_H
#define MG_SUMMARY_FILES_H

#include "report_runs.h"

#include <stdio.h>

int mg_summary_csv_write(const mg_report *report, char *error, size_t error_size);
/* scratch has run_count room. */
int mg_summary_md_write(const mg_report *report, mg_report_run **scratch, char *error, size_t error_size);
/* The backend x allocator matrix at size (mg_report_allocator_cell), fixed-width; nothing when size is NULL. */
void mg_allocators_print(FILE *out, const mg_report *report, const mg_report_run *size);

#endif
