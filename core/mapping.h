/*
 * mapping.h — harness buffers mapped straight from the kernel.
 *
 * The harness's own buffers (read buffer, token slots, query samples) are
 * made before a run's baseline and mapped outside the allocator, so the
 * allocator's statistics show the backend alone and pages count toward RSS
 * only once touched.
 */
#ifndef MG_MAPPING_H
#define MG_MAPPING_H

#include <stddef.h>

/* Zeroed, lazily committed pages; NULL on failure. */
void *mg_map(size_t size);
void mg_unmap(void *block, size_t size);
/* The block made new_size bytes long, moved if it must (its contents kept
 * up to the smaller size; a shrink gives the pages past new_size back and
 * never moves); NULL on failure, the block then unchanged. */
void *mg_map_resize(void *block, size_t old_size, size_t new_size);
/* The block of *size bytes made to hold at least needed: its size doubled
 * until it does (mg_map_resize), *size updated; NULL on failure, the block
 * and *size then unchanged. */
void *mg_map_grow(void *block, size_t *size, size_t needed);

#endif
