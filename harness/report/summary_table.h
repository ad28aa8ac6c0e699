/*
 * summary_table.h — the summary table on stdout: one line per run of a
 * results file or folder, its bytes per n-gram by layer, peak and peak over
 * final rss, fragmentation and speeds (what `memgrams report` and the end of
 * a sweep print).
 */
#ifndef MG_SUMMARY_TABLE_H
#define MG_SUMMARY_TABLE_H

#include <stddef.h>
#include <stdio.h>

/* The table of every run in a results file or folder (results_file.h): 0, or -1 with a message. */
int mg_summary_print(const char *results_path, FILE *out, char *error, size_t error_size);

#endif
