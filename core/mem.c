/* mem.c — exact counters around malloc; see mem.h. */
#include "mem.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

static mg_mem_counters counters;
static uint64_t limit_bytes; /* 0: no limit */

static void note_grown(size_t extra)
{
    counters.bytes_requested += extra;
    counters.bytes_requested_total += extra;
    if (counters.bytes_requested > counters.bytes_requested_peak)
        counters.bytes_requested_peak = counters.bytes_requested;
}

/* Would growing by extra pass the limit? Counts the refusal. */
static int refused(size_t extra)
{
    if (limit_bytes == 0 || counters.bytes_requested + extra <= limit_bytes)
        return 0;
    counters.failures_total++;
    return 1;
}

/* Counts a block the allocator just returned for size bytes (or its failure). */
static void *note_new_block(void *block, size_t size)
{
    if (!block) {
        counters.failures_total++;
        return NULL;
    }
    counters.blocks_live++;
    counters.allocations_total++;
    note_grown(size);
    return block;
}

/* malloc(0) may legitimately return NULL: zero sizes ask for 1 byte and count 0. */
void *mg_alloc(size_t size)
{
    return refused(size) ? NULL : note_new_block(malloc(size ? size : 1), size);
}

void *mg_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) {
        counters.failures_total++;
        return NULL;
    }
    size_t total = count * size;
    return refused(total) ? NULL : note_new_block(calloc(total ? total : 1, 1), total);
}

void *mg_realloc(void *block, size_t old_size, size_t new_size)
{
    if (!block)
        return mg_alloc(new_size);
    if (new_size > old_size && refused(new_size - old_size))
        return NULL;
    void *moved = realloc(block, new_size ? new_size : 1);
    if (!moved) {
        counters.failures_total++;
        return NULL;
    }
    if (new_size >= old_size) {
        counters.allocations_total++;
        note_grown(new_size - old_size);
    } else {
        counters.bytes_requested -= old_size - new_size;
    }
    return moved;
}

void mg_free(void *block, size_t size)
{
    if (!block)
        return;
    free(block);
    counters.blocks_live--;
    counters.bytes_requested -= size;
}

size_t mg_mem_usable_size(size_t size)
{
    /* Looked up on each call (only table resizes call it): no cached state. */
    size_t (*nallocx)(size_t, int);
    *(void **)&nallocx = dlsym(RTLD_DEFAULT, "nallocx");
    if (!nallocx || size == 0)
        return size;
    size_t usable = nallocx(size, 0);
    return usable >= size ? usable : size; /* 0 means the size is too big for it */
}

void mg_mem_read(mg_mem_counters *out) { *out = counters; }

void mg_mem_reset_peak(void) { counters.bytes_requested_peak = counters.bytes_requested; }

void mg_mem_set_limit(uint64_t limit) { limit_bytes = limit; }
