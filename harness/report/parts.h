/*
 * parts.h — a run's parts as `run --parts` and `report` show them (docs/parts.md): sorted by
 * bytes, each part's estimate judged against its measurement, the top parts in a few words,
 * and the table of one run. Everything comes from the run's JSON (run_fields.h).
 */
#ifndef MG_PARTS_H
#define MG_PARTS_H

#include "run_fields.h"

#include <stddef.h>
#include <stdio.h>

/* An estimate is off when it misses the measurement by more than this share of it ... */
#define MG_PART_TOLERANCE 0.10
/* ... and by at least this many bytes per n-gram: a smaller miss moves no total worth a flag. */
#define MG_PART_NEGLIGIBLE 0.05

typedef enum mg_part_verdict {
    MG_PART_UNJUDGED, /* no estimate, or no measurement */
    MG_PART_AGREES,   /* within MG_PART_TOLERANCE */
    MG_PART_SMALL,    /* off by more than the tolerance, but by less than MG_PART_NEGLIGIBLE bytes */
    MG_PART_OFF,      /* flagged: the formula of the part does not match what it holds */
} mg_part_verdict;

mg_part_verdict mg_part_judge(const mg_run_part *part);
/* estimate / measured; NAN where either is unknown or nothing was measured. */
double mg_part_ratio(const mg_run_part *part);
/* The verdict in a word for a table: "", "ok", "small", "off". */
const char *mg_part_verdict_word(mg_part_verdict verdict);

/* The run's parts sorted by bytes per n-gram, the largest first and "other" last; returns how many
 * (parts has MG_RUN_PARTS_MAX room). */
size_t mg_parts_sorted(json_t *run, mg_run_part *parts);
/* Does the run name a part of its own (not only "other")? */
int mg_parts_named(json_t *run);

/* The top parts holding bytes at finalize, with their bytes per n-gram: "level.2.ids 2.1,
 * vocab.words 1.4, counts 0.3"; "" when the run has none. */
void mg_parts_top_text(json_t *run, int top, char *text, size_t text_size);

/* A figure per n-gram as the tables show it: one decimal from 1 up, two below. */
void mg_part_figure_text(double value, char *text, size_t text_size);

/* The table of `run --parts`: one row per part (part, bytes at finalize, bytes per n-gram,
 * estimate per n-gram, estimate/measured, peak in training, verdict), their sum, and the part
 * that peaked in training. */
void mg_parts_print(FILE *out, json_t *run);

#endif
