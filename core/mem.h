/*
 * mem.h — the allocation entry points every backend uses, with exact counters.
 *
 * Backends allocate only through these so that the harness knows, to the
 * byte, what they asked for ("requested", the first memory layer). The
 * sized free lets the counters stay exact without a header per block, so
 * what the allocator reports is not disturbed by the counting itself.
 *
 * Parts: a backend names the parts of its table once (backend.h: parts) and
 * allocates each block through the tagged calls (mg_alloc_in and the rest,
 * given the part's tag, 1..MG_PARTS_MAX-1), so every requested byte is
 * counted against exactly one part and the parts always sum to
 * bytes_requested. The untagged calls are the tagged ones with
 * MG_PART_OTHER: the harness's own blocks, and any byte a backend left
 * untagged. A block is freed or resized with the tag it was made with.
 *
 * The counters are the only global mutable state in memgrams (single
 * threaded by design: one run is one process).
 */
#ifndef MG_MEM_H
#define MG_MEM_H

#include <stddef.h>
#include <stdint.h>

/* Tags: 0 is the part named "other"; a backend's own parts are 1..part_count. */
#define MG_PARTS_MAX 24
#define MG_PART_OTHER 0

typedef struct mg_mem_counters {
    uint64_t bytes_requested;       /* live bytes asked for now */
    uint64_t bytes_requested_peak;  /* highest bytes_requested since the last reset */
    uint64_t blocks_live;           /* live blocks now */
    uint64_t allocations_total;     /* allocations (and growing reallocs) ever made */
    uint64_t bytes_requested_total; /* bytes ever asked for (a realloc counts its growth) */
    uint64_t failures_total;        /* requests refused (limit reached or allocator NULL) */
    uint64_t part_bytes[MG_PARTS_MAX];      /* live bytes per tag: they sum to bytes_requested */
    uint64_t part_bytes_peak[MG_PARTS_MAX]; /* highest part_bytes[tag] since the last reset */
} mg_mem_counters;

/* NULL on failure (never aborts). Zero sizes are allowed and counted as 0.
 * part: the tag the bytes count against (a tag at or past MG_PARTS_MAX counts
 * as MG_PART_OTHER). */
void *mg_alloc_in(int part, size_t size);
void *mg_calloc_in(int part, size_t count, size_t size);
/* old_size must be the size the block was obtained with, part its tag; on
 * failure the old block stays valid. */
void *mg_realloc_in(int part, void *block, size_t old_size, size_t new_size);
/* size must be the size the block was obtained with, part its tag; NULL is ignored. */
void mg_free_in(int part, void *block, size_t size);

/* The untagged calls: the same, counted against MG_PART_OTHER. */
static inline void *mg_alloc(size_t size) { return mg_alloc_in(MG_PART_OTHER, size); }
static inline void *mg_calloc(size_t count, size_t size) { return mg_calloc_in(MG_PART_OTHER, count, size); }
static inline void *mg_realloc(void *block, size_t old_size, size_t new_size)
{
    return mg_realloc_in(MG_PART_OTHER, block, old_size, new_size);
}
static inline void mg_free(void *block, size_t size) { mg_free_in(MG_PART_OTHER, block, size); }

/* What the allocator really sets aside for a request of `size` bytes:
 * jemalloc's nallocx() when jemalloc is the allocator in the process, else
 * `size` (glibc has no size classes worth sizing to). A backend sizes a big
 * table to it so that the allocator's rounding holds slots, not waste (as
 * folly's goodMallocSize does); asking it measures nothing. */
size_t mg_mem_usable_size(size_t size);

/* Copy of the counters. */
void mg_mem_read(mg_mem_counters *out);
/* Peak := current, the parts' peaks too; the harness calls it at each phase start. */
void mg_mem_reset_peak(void);
/* Refuse requests that would take bytes_requested above limit (0: no limit).
 * Emulates a memory budget; tests use it to prove backends survive failure. */
void mg_mem_set_limit(uint64_t limit);

#endif
