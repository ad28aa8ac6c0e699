/*
 * redis_subject.h — `memgrams run --backend redis[:SETTINGS]`: a private
 * redis-server (redis_server.h) measured from the outside.
 *
 * Redis is a subject, not a backend: its memory is another process's, so
 * it is not in the registry (a backend never measures, and the harness
 * measures this one through the server's own reports and /proc). It lives
 * beside run.c because it is a run with other probes: the same phases,
 * the same run object, the counts as the dict of dicts of docs/stories.md
 * would hold them.
 *
 * Layout in the server: one hash per context, `HINCRBY context next 1`,
 * pipelined in batches. A key is the context's tokens joined by one space
 * (a word never holds whitespace, so the join is unambiguous and binary
 * safe: a word may hold NUL and be of any length); the field is the last
 * token. The start marker is the one byte "\t" and the end marker "\n":
 * no word is one whitespace byte, so neither is ever a word. Order 1 keeps
 * every unigram in the hash of the empty key.
 *
 * SETTINGS are server settings passed as its arguments:
 * redis:hash-max-listpack-entries=N,hash-max-listpack-value=N (integers;
 * redis_settings.h). The run object records backend "redis" and the
 * settings in normal form as backend_settings (absent when none), so that
 * a results file's backend stays a plain name.
 */
#ifndef MG_REDIS_SUBJECT_H
#define MG_REDIS_SUBJECT_H

#include "redis_server.h"
#include "redis_settings.h"
#include "run.h"

#include <stddef.h>

/* What `memgrams list` says of the subject. */
#define MG_REDIS_SUMMARY "a private redis-server holding one hash per context, measured from outside"

/* The measured run, its object printed on stdout: the exit status (0 ok, 1
 * the run failed, 2 bad settings or input), one line on stderr when not 0
 * and there is no run object. options->backend is unused. */
int mg_redis_run_command(const char *spec, const mg_run_options *options, const char *allocator_text);

/* For the commands that do not measure (dump, generate): an empty table of
 * the order in a private server started with spec's settings, or NULL with
 * one line in error and the exit status in *status (2 bad settings, 1 the
 * server did not start; 0 with a table). mg_redis_table_close destroys it and stops the
 * server. */
mg_table *mg_redis_table_open(const char *spec, int order, mg_redis_server *server, int *status, char *error,
                              size_t error_size);
void mg_redis_table_close(mg_table *table, mg_redis_server *server);

#endif
