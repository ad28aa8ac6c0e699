/*
 * probe.h — memory probes: the layers of shared/DESIGN.md's measurement model.
 *
 *   requested  mem.h counters (exact)
 *   allocated  jemalloc stats.allocated; glibc mallinfo2 uordblks + hblkhd
 *   active     jemalloc stats.active            (unknown under glibc)
 *   resident   jemalloc stats.resident          (unknown under glibc)
 *   rss        /proc/self/status VmRSS, split into RssAnon, RssFile and
 *              RssShmem; peak VmHWM, reset through /proc/self/clear_refs.
 *              File pages (a mapped image, the binary) can be dropped by
 *              the kernel and read again; anonymous and shared memory
 *              pages cannot (but to swap).
 *
 * The allocator is whatever the process runs under (LD_PRELOAD picks it);
 * jemalloc's mallctl is looked up at run time and its epoch refreshed before
 * every read. Sampling allocates nothing: /proc is read with plain read(2).
 */
#ifndef MG_PROBE_H
#define MG_PROBE_H

#include <stddef.h>
#include <stdint.h>

#define MG_UNKNOWN UINT64_MAX /* a layer the allocator has no figure for: JSON null */

typedef enum mg_allocator_kind { MG_ALLOCATOR_GLIBC, MG_ALLOCATOR_JEMALLOC, MG_ALLOCATOR_OTHER } mg_allocator_kind;

typedef struct mg_memory_sample {
    uint64_t requested;
    uint64_t allocated, active, resident; /* MG_UNKNOWN where the allocator has no such figure */
    uint64_t rss, rss_anon, hwm;          /* MG_UNKNOWN where /proc does not tell */
    uint64_t rss_file, rss_shmem;         /* the rest of rss: file-backed, shared memory (tmpfs) */
} mg_memory_sample;

typedef int (*mg_mallctl_fn)(const char *name, void *old_value, size_t *old_length,
                             void *new_value, size_t new_length);

typedef struct mg_probe {
    mg_allocator_kind kind;
    char allocator[32];          /* "jemalloc", "glibc", or the library's file name */
    char allocator_version[64];
    char allocator_library[256]; /* the file malloc() comes from */
    mg_mallctl_fn mallctl;       /* jemalloc only */
    int peak_resettable;         /* clear_refs accepted "5" */
} mg_probe;

/* Finds out which allocator serves malloc() in this process. */
void mg_probe_init(mg_probe *probe);
void mg_probe_sample(const mg_probe *probe, mg_memory_sample *out);
/* Start a new peak: VmHWM := VmRSS (and mem.h's requested peak). */
void mg_probe_reset_peak(mg_probe *probe);
/* Ask the allocator to give free memory back: jemalloc arena purge, glibc malloc_trim. */
void mg_probe_purge(const mg_probe *probe);

/* The allocator's name for an allocator kind found in this process. */
const char *mg_allocator_kind_name(mg_allocator_kind kind);

#endif
