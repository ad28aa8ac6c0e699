/* mapping.c — see mapping.h. */
#include "mapping.h"

#include <sys/mman.h>

void *mg_map(size_t size)
{
    void *block = mmap(NULL, size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return block == MAP_FAILED ? NULL : block;
}

void mg_unmap(void *block, size_t size)
{
    if (block)
        munmap(block, size);
}

void *mg_map_resize(void *block, size_t old_size, size_t new_size)
{
    void *moved = mremap(block, old_size, new_size, MREMAP_MAYMOVE);
    return moved == MAP_FAILED ? NULL : moved;
}

void *mg_map_grow(void *block, size_t *size, size_t needed)
{
    size_t grown_size = *size;
    while (grown_size < needed)
        grown_size *= 2;
    void *grown = grown_size == *size ? block : mg_map_resize(block, *size, grown_size);
    if (grown)
        *size = grown_size;
    return grown;
}
