/*
 * summary_table.h — the summary table on stdout (what `memgrams report` and
 * the end of a sweep print), at most 120 columns: one row per cell, sorted
 * by corpus, size, subject and allocator, with its tokens, n-grams, bytes
 * per n-gram (requested, allocated, RSS, peak), peak over final RSS, and
 * the hit and batched hit speeds as median and range over the cell's rounds
 * and runs; a legend line names the short headers (summary.csv has the rest).
 */
#ifndef MG_SUMMARY_TABLE_H
#define MG_SUMMARY_TABLE_H

#include <stddef.h>
#include <stdio.h>

/* The table of every run in a results file or folder (results_file.h): 0, or -1 with a message. */
int mg_summary_print(const char *results_path, FILE *out, char *error, size_t error_size);

#endif
