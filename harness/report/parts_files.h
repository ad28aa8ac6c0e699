/*
 * parts_files.h — the parts in the files of `memgrams report DIR` (docs/parts.md):
 *   parts.csv     every run's parts in long form: one row per run and part
 *   summary.md    the estimate against the measurement, part by part, flagged where off
 * and a line on stderr per part flagged. The estimate is judged once per subject and cell, the
 * allocator aside: the bytes a backend requests do not depend on the allocator under it.
 */
#ifndef MG_PARTS_FILES_H
#define MG_PARTS_FILES_H

#include "parts.h"
#include "report_runs.h"

#include <stdio.h>

/* Is the run at index the one whose parts the estimate tables judge: the first run that ended ok
 * with parts of its subject, corpus, fraction and order? */
int mg_parts_judged(const mg_report *report, size_t index);
/* "gcide 1/4, order 3" or "synth:tokens=200000 all of it, order 3": the cell of a judged run in words. */
void mg_parts_cell_words(const mg_report_run *run, char *text, size_t text_size);

/* Calls visit for every part of every judged run, in the runs' order and each run's parts by bytes;
 * row_number counts the calls from 0 (a table's header goes before row 0). Returns how many. */
typedef void (*mg_part_visit)(void *context, const mg_report_run *run, const mg_run_part *part, size_t row_number);
size_t mg_parts_each_judged(const mg_report *report, mg_part_visit visit, void *context);

/* What the parts table shows and how a part is judged, in words, for the table's introduction. */
void mg_parts_note(char *text, size_t text_size);

int mg_parts_csv_write(const mg_report *report, char *error, size_t error_size);
/* The section of summary.md, when a run has parts. */
void mg_parts_markdown(FILE *file, const mg_report *report);
/* One line per part flagged off, in words; returns how many. */
int mg_parts_flags_print(FILE *out, const mg_report *report);

#endif
