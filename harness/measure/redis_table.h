/*
 * redis_table.h — the counts held in a redis-server, behind the ops table
 * so that the harness's checksum, query set and generator walk them as
 * they walk a backend's. Not a backend: it is in no registry and is made
 * only by the redis subject (redis_subject.h has the key layout).
 */
#ifndef MG_REDIS_TABLE_H
#define MG_REDIS_TABLE_H

#include "backend.h"
#include "redis_server.h"

/* The ops the table is called through (named "redis"; never registered). */
extern const mg_backend mg_redis_client;

/* A table on the server's connection; NULL when out of memory. */
mg_table *mg_redis_table_create(mg_redis_server *server, int order);

/* The server's complaint if a command failed ("" while all went well). */
const char *mg_redis_table_error(mg_table *table);

/* Sends what is still pipelined and reads its replies: MG_OK, or -1 (the error is kept). */
int mg_redis_table_flush(mg_table *table);

#endif
