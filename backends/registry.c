/*
 * registry.c — the table of backends: the only file that lists them.
 * A backend joins every command, sweep and the conformance suite by being
 * added to mg_backends[] here (and its file to meson.build).
 *
 * The instrument backends (backends/testing/) are found by name only in the
 * test programs, compiled with MG_INSTRUMENT_BACKENDS (meson.build): the
 * product binary does not offer a backend that crashes on purpose.
 */
#include "backend.h"

#include <string.h>

extern const mg_backend mg_backend_naive_hash;
extern const mg_backend mg_backend_interned_hash;
extern const mg_backend mg_backend_memory_lanes;
extern const mg_backend mg_backend_packed_arrays;
extern const mg_backend mg_backend_trie;
extern const mg_backend mg_backend_trie_mmap;
extern const mg_backend mg_backend_packed_arrays_mmap;
extern const mg_backend mg_backend_std_map;
extern const mg_backend mg_backend_absl_flat_hash;
extern const mg_backend mg_backend_sqlite_memory;
#ifdef MG_INSTRUMENT_BACKENDS
extern const mg_backend mg_backend_test_null;
extern const mg_backend mg_backend_test_calibration;
extern const mg_backend mg_backend_test_crash;
extern const mg_backend mg_backend_test_slowdown;
#endif

const mg_backend *const mg_backends[] = {
    &mg_backend_naive_hash,
    &mg_backend_interned_hash,
    &mg_backend_memory_lanes,
    &mg_backend_packed_arrays,
    &mg_backend_trie,
    &mg_backend_trie_mmap,
    &mg_backend_packed_arrays_mmap,
    &mg_backend_std_map,
    &mg_backend_absl_flat_hash,
    &mg_backend_sqlite_memory,
    NULL,
};

const mg_backend *const mg_test_backends[] = {
#ifdef MG_INSTRUMENT_BACKENDS
    &mg_backend_test_null,
    &mg_backend_test_calibration,
    &mg_backend_test_crash,
    &mg_backend_test_slowdown,
#endif
    NULL,
};

static const mg_backend *find_in(const mg_backend *const *table, const char *name)
{
    for (const mg_backend *const *backend = table; *backend; backend++)
        if (strcmp((*backend)->name, name) == 0)
            return *backend;
    return NULL;
}

const mg_backend *mg_backend_find(const char *name)
{
    const mg_backend *found = find_in(mg_backends, name);
    return found ? found : find_in(mg_test_backends, name);
}
