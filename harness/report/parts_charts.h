/*
 * parts_charts.h — the data of the two charts of parts (docs/parts.md, docs/charts.md), in
 * DIR/charts/:
 *   parts.dat, parts-rows.dat, parts-key.dat   each subject's parts stacked, bytes per n-gram at the
 *                                              common size (the cell of bytes-breakdown)
 *   parts-growth.dat, parts-growth-rows.dat    the exponent b of bytes ~ tokens^b of each part
 * A part's colour is the same on both charts and on every bar: its family (the name's first dotted
 * word) picks the hue, its place among the family's names the shade; "other" is grey. Part names
 * enter the files only as quoted data fields, never a script.
 */
#ifndef MG_PARTS_CHARTS_H
#define MG_PARTS_CHARTS_H

#include "chart_data.h"

/* The parts of the runs at size; *drawn 0 (and no file written) when none names a part. */
int mg_parts_data(mg_chart *chart, const mg_report_run *size, int *drawn, char *error, size_t error_size);
/* The fitted exponents of the parts over each subject's series (3 sizes or more spanning 4x);
 * *drawn 0 (and no file written) when no part could be fitted; ngram_exponent gets the exponent of
 * the distinct n-grams over the same sizes (NAN when unknown). */
int mg_parts_growth_data(mg_chart *chart, mg_report_run **scratch, int *drawn, double *ngram_exponent, char *error,
                         size_t error_size);

#endif
