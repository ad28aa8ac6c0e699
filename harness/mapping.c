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

void mg_map_release(void *block, size_t size)
{
    if (block)
        madvise(block, size, MADV_DONTNEED);
}
