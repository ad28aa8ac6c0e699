/*
 * probe.h — memory probes: the layers of the measurement model (docs/measurement.md).
 *
 *   requested  mem.h counters (exact)
 *   allocated  jemalloc stats.allocated less its thread caches' blocks
 *              (stats.arenas.<all>.tcache_bytes); glibc mallinfo2 uordblks + hblkhd
 *   active     jemalloc stats.active            (unknown under glibc)
 *   resident   jemalloc stats.resident          (unknown under glibc)
 *   rss        /proc/self/status VmRSS, split into RssAnon, RssFile and
 *              RssShmem; peak VmHWM, reset through /proc/self/clear_refs.
 *              File pages (a mapped image, the binary) can be dropped by
 *              the kernel and read again; anonymous and shared memory
 *              pages cannot (but to swap).
 *
 * mimalloc's and tcmalloc's layers come from their own counters: mimalloc's
 * from a walk of its heap's pages (blocks in use, blocks carved out) and
 * mi_process_info's commit, tcmalloc's from its numeric properties;
 * docs/allocators.md has the mapping and how exact each layer is.
 *
 * The allocator is whatever the process runs under (LD_PRELOAD picks it);
 * jemalloc's mallctl and mimalloc's and tcmalloc's calls are looked up at
 * run time (never linked), jemalloc's epoch refreshed before every read.
 * Sampling allocates nothing: /proc is read with plain read(2), and the
 * allocators' calls read their own structures.
 */
#ifndef MG_PROBE_H
#define MG_PROBE_H

#include <stddef.h>
#include <stdint.h>

#define MG_UNKNOWN UINT64_MAX /* a layer the allocator has no figure for: JSON null */

typedef enum mg_allocator_kind {
    MG_ALLOCATOR_GLIBC, MG_ALLOCATOR_JEMALLOC, MG_ALLOCATOR_MIMALLOC, MG_ALLOCATOR_TCMALLOC, MG_ALLOCATOR_OTHER
} mg_allocator_kind;

typedef struct mg_memory_sample {
    uint64_t requested;
    uint64_t allocated, active, resident; /* MG_UNKNOWN where the allocator has no such figure */
    uint64_t rss, rss_anon, hwm;          /* MG_UNKNOWN where /proc does not tell */
    uint64_t rss_file, rss_shmem;         /* the rest of rss: file-backed, shared memory (tmpfs) */
} mg_memory_sample;

typedef int (*mg_mallctl_fn)(const char *name, void *old_value, size_t *old_length,
                             void *new_value, size_t new_length);

/* A function dlsym found, kept untyped here: probe.c calls it through the
 * type its allocator's header declares. */
typedef void (*mg_allocator_call)(void);

typedef struct mg_mimalloc_calls {
    mg_allocator_call version, heap_get_default, heap_visit_blocks, process_info, collect, option_get;
} mg_mimalloc_calls;

typedef struct mg_tcmalloc_calls {
    mg_allocator_call version, get_numeric_property, release_free_memory;
} mg_tcmalloc_calls;

typedef struct mg_probe {
    mg_allocator_kind kind;
    char allocator[32];          /* "jemalloc", "glibc", "mimalloc", "tcmalloc", or the library's file name */
    char allocator_version[64];
    char allocator_library[256]; /* the file malloc() comes from */
    mg_mallctl_fn mallctl;       /* jemalloc only */
    mg_mimalloc_calls mimalloc;  /* mimalloc only */
    mg_tcmalloc_calls tcmalloc;  /* tcmalloc only */
    int peak_resettable;         /* clear_refs accepted "5" */
} mg_probe;

/* Finds out which allocator serves malloc() in this process. */
void mg_probe_init(mg_probe *probe);
void mg_probe_sample(const mg_probe *probe, mg_memory_sample *out);
/* Start a new peak: VmHWM := VmRSS (and mem.h's requested peak). */
void mg_probe_reset_peak(mg_probe *probe);
/* Ask the allocator to give free memory back: jemalloc arena purge, glibc
 * malloc_trim(0), mimalloc mi_collect(true), tcmalloc
 * MallocExtension_ReleaseFreeMemory(). */
void mg_probe_purge(const mg_probe *probe);

/* The settings that move RSS, as the allocator reports them: mimalloc's
 * options (mi_option_get) and tcmalloc's numeric properties, one visit each;
 * none under glibc (jemalloc's are read through mallctl). */
typedef void mg_setting_visit(void *arg, const char *name, int64_t value);
void mg_probe_settings(const mg_probe *probe, mg_setting_visit *visit, void *arg);

/* The allocator's name for an allocator kind found in this process. */
const char *mg_allocator_kind_name(mg_allocator_kind kind);

#endif
