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
/* Give touched pages back (contents become zero); keeps the mapping. */
void mg_map_release(void *block, size_t size);

#endif
