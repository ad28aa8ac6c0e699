/*
 * results.h — the one writer of the run JSON: a run as the contract's object
 * (jansson), a stub for a run that left none, and a line written whole.
 * What reads a run back is run_fields.h; what reads results files is
 * results_file.h.
 */
#ifndef MG_RESULTS_H
#define MG_RESULTS_H

#include "cell.h"
#include "probe.h"
#include "run.h"

#include <jansson.h>

#define MG_RUN_SCHEMA "memgrams.run/1"

/* The process whose memory a run's figures are (its measured_process):
 * memgrams itself for a backend, a Python peer's python3, the redis
 * subject's server. A run without the field is memgrams'. */
#define MG_PROCESS_MEMGRAMS "memgrams"
#define MG_PROCESS_PYTHON "python3"
#define MG_PROCESS_REDIS "redis-server"

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

/* The pass, and the seed and repeat the run was asked for where its object
 * does not say them (a peer's line). */
void mg_result_stamp(json_t *run, uint64_t seed, uint64_t repeat, uint64_t pass);

#endif
