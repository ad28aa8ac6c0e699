/*
 * grow.h — the size a training structure grows to, shaped so that the
 * blocks it outgrows leave no resident pages behind once it is freed.
 *
 * A table that doubles from small to large leaves every outgrown copy
 * freed; jemalloc keeps freed pages resident ("dirty") for its decay time
 * (10 s by default), so after finalize the process holds the training
 * structures' ghosts (~12 MB on gcide's first 15 MB, twice the trie). But
 * blocks of 8 MiB and more (opt.oversize_threshold) come from an arena that
 * returns them to the kernel as soon as they are freed, and glibc mmaps
 * them. So past MG_GROW_SMALL a structure jumps straight to MG_GROW_HUGE:
 * only the small steps below 256 KiB are left to the allocator's caches.
 * Why 256 KiB and not higher: the steps below the jump stay resident after
 * finalize, under jemalloc (dirty pages) and under glibc (its mmap
 * threshold, raised by the first freed mmapped block, sends later blocks of
 * that size to the heap), and they are a large part of a compact table.
 * The price: a small table reserves 8 MiB early, which raises the training
 * peak per n-gram of a small corpus, not of a large one. The
 * pages of a huge block are resident only once written, so a block
 * reserved ahead costs address space, not RSS. This shapes sizes only; a
 * backend may also fill a block's size class (mem.h's mg_mem_usable_size,
 * as common/gram_hash does), but none measures the allocator.
 */
#ifndef MG_GROW_H
#define MG_GROW_H

#include "mem.h"

#include <stddef.h>

enum {
    MG_GROW_SMALL = 256 << 10, /* bytes: smaller blocks are left as they are */
    MG_GROW_HUGE = 8 << 20,  /* bytes: jemalloc's default opt.oversize_threshold */
    MG_RETURNED_MIN = 16 << 10, /* bytes: smaller blocks are left to the allocator's caches */
};

/* The bytes to allocate for a structure that needs `bytes`. */
static inline size_t mg_grow_bytes(size_t bytes)
{
    return bytes > MG_GROW_SMALL && bytes < MG_GROW_HUGE ? MG_GROW_HUGE : bytes;
}

/* A zeroed block of `bytes` whose pages go back to the kernel when it is
 * freed, whatever its size: from MG_RETURNED_MIN up it is allocated at
 * MG_GROW_HUGE or more (jemalloc's oversize arena, which purges at once;
 * glibc's mmap) and shrunk in place, where it stays, so a later shrink or
 * free still gives its pages back. For blocks a structure frees before it
 * is done (a training table, the runs it spills): freed from the ordinary
 * arena, they would stay resident as dirty pages after finalize. The
 * larger request is transient: mem.h counts the shrunk size, against
 * `part` (freed with mg_free_in(part, ...)). */
static inline void *mg_calloc_returned_in(int part, size_t bytes)
{
    if (bytes < MG_RETURNED_MIN || bytes >= MG_GROW_HUGE)
        return mg_calloc_in(part, 1, bytes);
    void *huge = mg_calloc_in(part, 1, MG_GROW_HUGE);
    if (!huge)
        return NULL;
    void *block = mg_realloc_in(part, huge, MG_GROW_HUGE, bytes);
    if (block)
        return block;
    mg_free_in(part, huge, MG_GROW_HUGE);
    return mg_calloc_in(part, 1, bytes);
}

#endif
