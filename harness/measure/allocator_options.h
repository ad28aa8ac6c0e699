/*
 * allocator_options.h — the options each allocator reads, each with the kind
 * of value it takes, so that an allocator spec is checked before anything is
 * set: a misspelt key or a value the library would drop (each of them skips
 * what it does not understand, some with a warning, some silently) is a
 * usage error, never a run recorded under a setting it did not have.
 *
 * The names are the Debian builds' (docs/allocators.md lists them):
 * jemalloc 5.3.0's MALLOC_CONF keys (as its library accepts them), glibc
 * 2.36's glibc.malloc.* tunables, mimalloc 2.0.9's options (mi_option_e,
 * deprecated ones left out) and gperftools 2.10's TCMALLOC_* variables that
 * libtcmalloc_minimal reads.
 */
#ifndef MG_ALLOCATOR_OPTIONS_H
#define MG_ALLOCATOR_OPTIONS_H

#include <stddef.h>

/* 0 when allocator (jemalloc, glibc, mimalloc, tcmalloc) reads an option key
 * with a value of value's kind; else -1 with a one-line message: "allocator
 * option 'bogus' is not a jemalloc option (valid: ...)" or "allocator option
 * 'narenas=x': jemalloc's narenas takes a whole number from 1". */
int mg_allocator_option_check(const char *allocator, const char *key, const char *value, char *error,
                              size_t error_size);

#endif
