/* mem.c — exact counters around malloc; see mem.h. */
#include "mem.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

static mg_mem_counters counters;
static uint64_t limit_bytes; /* 0: no limit */

/* A tag past the table counts as other, so the parts still sum to bytes_requested. */
static int tag_of(int part) { return part > 0 && part < MG_PARTS_MAX ? part : MG_PART_OTHER; }

static void note_grown(int part, size_t extra)
{
    counters.bytes_requested += extra;
    counters.bytes_requested_total += extra;
    if (counters.bytes_requested > counters.bytes_requested_peak)
        counters.bytes_requested_peak = counters.bytes_requested;
    counters.part_bytes[part] += extra;
    if (counters.part_bytes[part] > counters.part_bytes_peak[part])
        counters.part_bytes_peak[part] = counters.part_bytes[part];
}

static void note_shrunk(int part, size_t less)
{
    counters.bytes_requested -= less;
    counters.part_bytes[part] -= less;
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
static void *note_new_block(int part, void *block, size_t size)
{
    if (!block) {
        counters.failures_total++;
        return NULL;
    }
    counters.blocks_live++;
    counters.allocations_total++;
    note_grown(part, size);
    return block;
}

/* malloc(0) may legitimately return NULL: zero sizes ask for 1 byte and count 0. */
void *mg_alloc_in(int part, size_t size)
{
    return refused(size) ? NULL : note_new_block(tag_of(part), malloc(size ? size : 1), size);
}

void *mg_calloc_in(int part, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) {
        counters.failures_total++;
        return NULL;
    }
    size_t total = count * size;
    return refused(total) ? NULL : note_new_block(tag_of(part), calloc(total ? total : 1, 1), total);
}

void *mg_realloc_in(int part, void *block, size_t old_size, size_t new_size)
{
    if (!block)
        return mg_alloc_in(part, new_size);
    if (new_size > old_size && refused(new_size - old_size))
        return NULL;
    void *moved = realloc(block, new_size ? new_size : 1);
    if (!moved) {
        counters.failures_total++;
        return NULL;
    }
    if (new_size >= old_size) {
        counters.allocations_total++;
        note_grown(tag_of(part), new_size - old_size);
    } else {
        note_shrunk(tag_of(part), old_size - new_size);
    }
    return moved;
}

void mg_free_in(int part, void *block, size_t size)
{
    if (!block)
        return;
    free(block);
    counters.blocks_live--;
    note_shrunk(tag_of(part), size);
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

void mg_mem_reset_peak(void)
{
    counters.bytes_requested_peak = counters.bytes_requested;
    memcpy(counters.part_bytes_peak, counters.part_bytes, sizeof counters.part_bytes);
}

void mg_mem_set_limit(uint64_t limit) { limit_bytes = limit; }
