/*
 * mem.h — the allocation entry points every backend uses, with exact counters.
 *
 * Backends allocate only through these so that the harness knows, to the
 * byte, what they asked for ("requested", the first memory layer). The
 * sized free lets the counters stay exact without a header per block, so
 * what the allocator reports is not disturbed by the counting itself.
 *
 * The counters are the only global mutable state in memgrams (single
 * threaded by design: one run is one process).
 */
#ifndef MG_MEM_H
#define MG_MEM_H

#include <stddef.h>
#include <stdint.h>

typedef struct mg_mem_counters {
    uint64_t bytes_requested;       /* live bytes asked for now */
    uint64_t bytes_requested_peak;  /* highest bytes_requested since the last reset */
    uint64_t blocks_live;           /* live blocks now */
    uint64_t allocations_total;     /* allocations (and growing reallocs) ever made */
    uint64_t bytes_requested_total; /* bytes ever asked for (a realloc counts its growth) */
    uint64_t failures_total;        /* requests refused (limit reached or allocator NULL) */
} mg_mem_counters;

/* NULL on failure (never aborts). Zero sizes are allowed and counted as 0. */
void *mg_alloc(size_t size);
void *mg_calloc(size_t count, size_t size);
/* old_size must be the size the block was obtained with; on failure the old block stays valid. */
void *mg_realloc(void *block, size_t old_size, size_t new_size);
/* size must be the size the block was obtained with; NULL is ignored. */
void mg_free(void *block, size_t size);

/* What the allocator really sets aside for a request of `size` bytes:
 * jemalloc's nallocx() when jemalloc is the allocator in the process, else
 * `size` (glibc has no size classes worth sizing to). A backend sizes a big
 * table to it so that the allocator's rounding holds slots, not waste (as
 * folly's goodMallocSize does); asking it measures nothing. */
size_t mg_mem_usable_size(size_t size);

/* Copy of the counters. */
void mg_mem_read(mg_mem_counters *out);
/* Peak := current; the harness calls it at each phase start. */
void mg_mem_reset_peak(void);
/* Refuse requests that would take bytes_requested above limit (0: no limit).
 * Emulates a memory budget; tests use it to prove backends survive failure. */
void mg_mem_set_limit(uint64_t limit);

#endif
