/*
 * redis_server.h — a private redis-server for one run, and its memory read
 * from the outside.
 *
 * The server is the Debian redis-server found on PATH, started by fork and
 * exec (never a shell) in a process group of its own, with
 *   --port 0 (no TCP) --unixsocket DIR/redis.sock --unixsocketperm 700
 *   --save "" --appendonly no --dir DIR --daemonize no --logfile ""
 * and the settings asked for; DIR is a fresh mkdtemp folder
 * $TMPDIR/memgrams-redis-PID-XXXXXX (/tmp without TMPDIR), PID being the
 * run's. Its log (stdout) goes to DIR/redis.log, read only to say why it
 * did not start. Once the one connection is made, the socket, the log and
 * DIR are removed: the server keeps its listening socket and the run its
 * connection, so nothing is left on disk while the run goes on.
 *
 * The server dies with the run: the child asks for SIGKILL when its parent
 * dies (PR_SET_PDEATHSIG) before exec, so SIGKILL of the run takes the server
 * with it; SIGINT, SIGTERM and SIGHUP of the run kill the server's group,
 * remove DIR if it is still there, and end the run by the same signal. A
 * run killed while the server is starting can leave DIR behind; every start
 * removes the memgrams-redis-PID-* folders whose PID no longer lives.
 */
#ifndef MG_REDIS_SERVER_H
#define MG_REDIS_SERVER_H

#include "probe.h"

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <sys/types.h>

#define MG_REDIS_FOLDER_PREFIX "memgrams-redis-"

typedef struct mg_redis_server {
    pid_t pid;                 /* 0 when not running */
    redisContext *connection;  /* the run's one connection */
    int peak_resettable;       /* the server's clear_refs accepted "5" */
} mg_redis_server;

/* Starts the server with the extra arguments (NULL-terminated, as argv words)
 * and connects: 0, or -1 with the message (nothing left running or on disk). */
int mg_redis_server_start(mg_redis_server *server, const char *const *extra_arguments, char *error,
                          size_t error_size);

/* SHUTDOWN NOSAVE, waits for the server (SIGKILL after a few seconds). */
void mg_redis_server_stop(mg_redis_server *server);

/* The parts of the server's used memory, as MEMORY STATS attributes it (docs/redis.md): a tag as
 * mem.h numbers parts (1-based; MG_PART_OTHER, 0, holds the overheads not named here). */
enum mg_redis_part { MG_REDIS_STARTUP = 1, MG_REDIS_CLIENTS, MG_REDIS_KEYSPACE, MG_REDIS_DATASET, MG_REDIS_PARTS_END };
#define MG_REDIS_PART_COUNT (MG_REDIS_PARTS_END - 1)
extern const char *const mg_redis_part_names[MG_REDIS_PART_COUNT];

/* Figures the server reports about itself, read at a phase end. */
typedef struct mg_redis_figures {
    uint64_t used_memory, allocator_allocated, allocator_active, allocator_resident, used_memory_rss;
    uint64_t used_memory_dataset, used_memory_overhead;
    /* MEMORY STATS, read after INFO: its total.allocated, and that total split by part (by tag) */
    uint64_t stats_allocated, parts[MG_REDIS_PARTS_END];
    int parts_known; /* the reply held every figure, and its parts sum to stats_allocated */
    double mem_fragmentation_ratio, allocator_frag_ratio, allocator_rss_ratio;
    double cpu_seconds; /* used_cpu_user + used_cpu_sys */
} mg_redis_figures;

/* INFO memory, INFO cpu and MEMORY STATS: 0, or -1 when the server did not answer INFO (a
 * MEMORY STATS without its figures leaves parts_known 0). */
int mg_redis_server_figures(mg_redis_server *server, mg_redis_figures *figures);

/* The layers of a phase end: allocated = used_memory (MEMORY STATS's total.allocated
 * when its parts are known, so that they sum to it), active and resident = the
 * allocator's, rss and its parts and the peak from /proc/PID/status; requested is
 * unknown (no counter runs inside the server). */
void mg_redis_server_sample(mg_redis_server *server, const mg_redis_figures *figures, mg_memory_sample *sample);

/* Starts a new peak of the server's VmHWM (clear_refs "5"), where permitted. */
void mg_redis_server_reset_peak(mg_redis_server *server);

/* A reply of the server's, NULL when the connection failed (freeReplyObject to free). */
redisReply *mg_redis_command(mg_redis_server *server, int argc, const char **argv, const size_t *lengths);

#endif
