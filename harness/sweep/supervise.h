/*
 * supervise.h — one run of a cell as a child process, judged.
 *
 * The command line of a run (`memgrams run`, or a peer's script), the child
 * started without a shell, its output read under a time limit, and the line
 * recorded for it: the run's own JSON object, or a stub saying why there is
 * none. sweep runs every cell through here, and so does `run --output FILE`
 * (the form `sweep --plan --out DIR` prints for a job runner), so a run is
 * judged the same way wherever it ran (run_output.h):
 *
 *   killed by the sweep's time limit     timeout
 *   SIGKILL while the kernel counted     oom      (/proc/vmstat oom_kill, or the
 *     an OOM kill                                  cgroup's memory.events / memory.oom_control)
 *   SIGKILL otherwise                    killed   (someone's kill -9: measured again by --resume)
 *   any other signal                     crashed
 *   no run object on stdout              error
 *
 * A run that runs out of memory inside (malloc failing under a limit) says
 * "oom" in its own line. A process that supervises ignores SIGXFSZ, so a
 * write past a file-size limit fails with EFBIG and is reported; its child
 * starts with the default action.
 */
#ifndef MG_SUPERVISE_H
#define MG_SUPERVISE_H

#include "cell.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define MG_TIMEOUT_DEFAULT 900 /* seconds a run may take before it is killed */

/* What one run of a cell is asked to do. */
typedef struct mg_run_request {
    mg_cell cell;
    uint64_t seed;
    uint64_t repeat;          /* rounds of the timed queries; 1 for a peer, which times them once */
    uint64_t pass;            /* which run of the cell (1..), recorded as "pass" */
    uint64_t timeout_seconds;
} mg_run_request;

/* This memgrams binary's path (/proc/self/exe), which runs a cell: 0, or -1. */
int mg_self_path(char *path, size_t path_size);

/* The request for a cell; repeat becomes 1 for a peer. */
mg_run_request mg_run_request_make(mg_cell cell, uint64_t seed, uint64_t repeat, uint64_t pass,
                                   uint64_t timeout_seconds);

/* 0 when name is a registered backend or the redis subject, either with
 * valid settings (settings.h) or none, or a peer (peers.h); -1 with "unknown
 * backend 'X' (valid: ...; peers: ...)" or what is wrong with the settings otherwise. */
int mg_runnable_check(const char *name, char *error, size_t error_size);

/* A command line in buffers of its own (~49 KiB). */
enum { MG_COMMAND_TEXTS = 11, MG_COMMAND_WORDS = 32 };
typedef struct mg_command {
    char texts[MG_COMMAND_TEXTS][4096];
    char *argv[MG_COMMAND_WORDS];
} mg_command;

/* The command that measures the request: `exe run ...` for a registered
 * backend, `python3 SCRIPT ...` for a peer (whose synth: corpus is written
 * as a file into corpora_folder, made if missing, the first time it is
 * needed). 0, or -1 with error set. */
int mg_command_for(const char *exe, const mg_run_request *request, const char *corpora_folder,
                   mg_command *command, char *error, size_t error_size);

/* `exe run ... --pass P --timeout S --output OUTPUT`: the run judged by a
 * memgrams of its own, its line written whole to OUTPUT ("-": stdout). */
void mg_command_judged(const char *exe, const mg_run_request *request, const char *output, mg_command *command);

/* Runs the command as a child and judges it: a run object stamped with the
 * request's pass (and its seed and repeat where the line lacks them), or a
 * stub. Never NULL. */
json_t *mg_supervise(const mg_command *command, const mg_run_request *request);

/* The stub, stamped the same way, of a run that could not be started (no command for it: message says why). */
json_t *mg_supervise_failed(const mg_run_request *request, const char *message);

#endif
