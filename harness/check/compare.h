/*
 * compare.h — the comparison of `memgrams check`: every figure of a
 * baseline cell against the same cell in the results, one row each with its
 * verdict. Memory against a tolerance; speed by a U test on independent
 * samples or a signed-rank test on paired runs, plus a minimum change of the
 * median; a cell whose backend's layout changed, by one row that fails and
 * asks for the baseline to be rewritten.
 */
#ifndef MG_COMPARE_H
#define MG_COMPARE_H

#include "cell_runs.h"
#include "tolerance.h"

#include <stddef.h>

typedef enum { MG_VERDICT_OK, MG_VERDICT_IMPROVED, MG_VERDICT_REGRESSED, MG_VERDICT_MISSING, MG_VERDICT_SKIPPED,
               MG_VERDICT_EXTRA, MG_VERDICT_LAYOUT, MG_VERDICT_COUNT } mg_verdict;
/* ok, improved, REGRESSED, missing, skipped, extra, CHANGED */
extern const char *const mg_verdict_names[MG_VERDICT_COUNT];

/* Does the verdict fail the check? REGRESSED, missing and a changed layout. */
int mg_verdict_fails(mg_verdict verdict);

typedef struct mg_check_row {
    const char *cell;  /* label, owned by the cell */
    char figure[64];
    double baseline, now; /* NAN where there is none */
    double change;        /* paired speed rows: the median ratio - 1; else NAN (now / baseline - 1) */
    int is_speed;
    int is_version;       /* baseline and now are layout versions: no change in percent */
    mg_verdict verdict;
    char note[192];
} mg_check_row;

typedef struct mg_check_state {
    mg_check_tolerances tolerances;
    const char *speed_when; /* auto, on, off */
    mg_check_row *rows;
    size_t row_count;
    int failed;
    double *base_samples, *now_samples; /* MG_STATS_SAMPLES_MAX each: scratch for one figure */
} mg_check_state;

/* Every baseline cell against the results: rows for each figure, a missing
 * cell, an extra one. */
void mg_check_compare(mg_check_state *state, mg_check_file *baseline, mg_check_file *results);

/* A row's baseline or now as text ("-" where none): bytes and nanoseconds whole with thousands
 * separators ("2,735,170"), seconds with four decimals; never an exponent. */
void mg_check_value_text(const mg_check_row *row, double value, char *text, size_t text_size);
/* A row's change as a fraction of its baseline (paired speed rows: the median ratio - 1), or NAN
 * where there is none (a layout version, a figure missing on a side); as text, signed percent with
 * one decimal ("+15.0%") or "-". */
double mg_check_row_change(const mg_check_row *row);
void mg_check_change_text(const mg_check_row *row, char *text, size_t text_size);

#endif
