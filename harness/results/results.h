/*
 * results.h — a run as the contract's JSON object (jansson), and the summary
 * table read back from results files.
 */
#ifndef MG_RESULTS_H
#define MG_RESULTS_H

#include "cell.h"
#include "probe.h"
#include "run.h"

#include <jansson.h>
#include <stdio.h>

#define MG_RUN_SCHEMA "memgrams.run/1"

/* The contract's run object. */
json_t *mg_result_json(const mg_run_options *options, const char *allocator_spec,
                       const mg_probe *probe, const mg_run_result *result);

/* The environment that moves the figures: build, kernel, CPU, allocator configuration. */
json_t *mg_env_json(const mg_probe *probe);

/* A run that produced no JSON of its own (crashed, killed, timed out,
 * refused): the cell, the seed and repeat it was asked for, the status and why. */
json_t *mg_result_stub_json(const mg_cell *cell, uint64_t seed, uint64_t repeat, const char *status,
                            const char *message);

/* Can text be a string of a run object (JSON strings are UTF-8)? */
int mg_result_text_valid(const char *text);

/* Writes object as one line with one write(2), so lines never interleave, and
 * all or nothing (mg_append_whole): 0, or -1 with errno set. */
int mg_json_write_line(json_t *object, int fd);

/* section.field of a run object as a number; NAN when null or absent. */
double mg_run_figure(json_t *run, const char *section, const char *field);
/* A layer's growth in bytes from the baseline to the end of finalize; NAN if unknown. */
double mg_run_layer_growth(json_t *run, const char *layer);
/* The figures a wrapped library reported about itself at the end of phase
 * (an object of name: number, borrowed from run), or NULL where there are
 * none: a backend wrapping no library, a phase without a table, a file
 * written before the field existed. */
json_t *mg_run_library(json_t *run, const char *phase);

/* The summary table of every run in a results file or folder (results_file.h): 0, or -1 with a message. */
int mg_summary_print(const char *results_path, FILE *out, char *error, size_t error_size);

#endif
