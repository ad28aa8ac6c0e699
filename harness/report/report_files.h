/*
 * report_files.h — how the report writes its files: each whole or not at
 * all (atomic_file.h), a figure as text, a name as one field of gnuplot data.
 */
#ifndef MG_REPORT_FILES_H
#define MG_REPORT_FILES_H

#include "atomic_file.h"

#include <stddef.h>
#include <stdio.h>

/* DIR/NAME under a temporary name until mg_atomic_commit: 0, or -1 with a message. */
int mg_report_file_open(mg_atomic_file *output, const char *dir, const char *name, char *error, size_t error_size);

/* A figure with decimals, or the empty string (CSV) / a dash (Markdown) when unknown. */
void mg_put_figure(FILE *file, const char *separator, int decimals, double value, const char *unknown);

/* A name as a double-quoted gnuplot data field: quotes, backslashes and control bytes become '?',
 * so a hostile name stays one field of data. */
void mg_put_data_label(FILE *file, const char *name);

/* A whole number with thousands separators, as a reader's text shows it: "1,234,567"; "?" when
 * unknown. Returns text. */
char *mg_format_count(double value, char *text, size_t text_size);

#endif
