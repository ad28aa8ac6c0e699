/*
 * allocator.h — choosing the allocator a run measures under.
 *
 * A spec is NAME[:KEY=VALUE,...]: jemalloc (the default; LD_PRELOAD of its
 * shared library, options into MALLOC_CONF, e.g. jemalloc:dirty_decay_ms=0),
 * glibc (options into GLIBC_TUNABLES as glibc.malloc.KEY=VALUE), mimalloc or
 * tcmalloc (LD_PRELOAD of theirs, each option into MIMALLOC_<KEY> or
 * TCMALLOC_<KEY>, KEY upper-cased, e.g. mimalloc:decommit_delay=0). KEY is
 * [a-z0-9_]+, VALUE printable without ',' or ':'. A run re-executes itself
 * under the spec's allocator when the process runs under another, so a
 * variant is always an explicit, recorded choice. docs/allocators.md says more.
 */
#ifndef MG_ALLOCATOR_H
#define MG_ALLOCATOR_H

#include "probe.h"

#include <stddef.h>

typedef struct mg_allocator_spec {
    char text[256];     /* as given */
    char name[32];      /* jemalloc, glibc, mimalloc, tcmalloc */
    char options[224];  /* KEY=VALUE,... or "" */
} mg_allocator_spec;

extern const char mg_allocator_names[]; /* "jemalloc, glibc, mimalloc, tcmalloc", for messages */

/* 0, or -1 with a one-line message naming the fault. */
int mg_allocator_parse(const char *text, mg_allocator_spec *spec, char *error, size_t error_size);

/* Does this process already run under spec? */
int mg_allocator_in_place(const mg_allocator_spec *spec, const mg_probe *probe);

/* The file LD_PRELOAD names for spec's allocator, into path; "" for glibc. */
void mg_allocator_library(const mg_allocator_spec *spec, char *path, size_t path_size);

/* Sets this process's environment so that an exec runs under spec: LD_PRELOAD
 * (any allocator library already there dropped), MALLOC_CONF, GLIBC_TUNABLES
 * or MIMALLOC_* / TCMALLOC_*, and MEMGRAMS_ALLOCATOR. */
int mg_allocator_prepare_exec(const mg_allocator_spec *spec, char *error, size_t error_size);

/* Puts spec in place: 0 when this process already runs under it; else
 * re-executes argv (as /proc/self/exe) with the environment set, returning
 * only on failure: MG_ALLOCATOR_BAD_SPEC (cannot be prepared: a usage
 * error) or MG_ALLOCATOR_FAILED (the exec failed, or the re-executed
 * process still has another allocator), with a one-line message. */
enum { MG_ALLOCATOR_BAD_SPEC = -2, MG_ALLOCATOR_FAILED = -1 };
int mg_allocator_ensure(const mg_allocator_spec *spec, const mg_probe *probe, char *const *argv,
                        char *error, size_t error_size);

#endif
