/*
 * image.c — frozen images of finalized tables (layout and rules in image.h).
 */
#include "image.h"

#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum { WRITE_MAX = 1 << 30 }; /* bytes per write(2): Linux writes at most ~2 GiB a call */

static const char IMAGE_MAGIC[16] = "memgrams image\n";

/* The file's first 64 bytes: what it is and what it should hold. */
typedef struct image_header {
    char magic[16];
    uint64_t blocks; /* entries of the list it was frozen from, NULL ones included */
    uint64_t bytes;  /* the file's size */
    unsigned char unused[MG_IMAGE_ALIGN - 32];
} image_header;
_Static_assert(sizeof(image_header) == MG_IMAGE_ALIGN, "the header is one aligned slot");

/* ---- the list ------------------------------------------------------------ */

void mg_image_list_init(mg_image_list *list)
{
    list->blocks = list->inners = 0;
    list->overflow = false;
}

void mg_image_list_block(mg_image_list *list, int part, void *pointer_at, size_t bytes)
{
    if (list->blocks == MG_IMAGE_BLOCKS_MAX) {
        list->overflow = true;
        return;
    }
    list->block[list->blocks].pointer_at = pointer_at;
    list->block[list->blocks].part = part;
    list->block[list->blocks++].bytes = bytes;
}

void mg_image_list_inner(mg_image_list *list, void *pointer_at)
{
    if (list->inners == MG_IMAGE_INNER_MAX || list->blocks == 0) {
        list->overflow = true;
        return;
    }
    list->inner[list->inners].pointer_at = pointer_at;
    list->inner[list->inners++].block = list->blocks - 1;
}

/* Pointers are read and written as bytes: the list holds the addresses of
 * pointers of any object type. */
static unsigned char *pointer_get(const void *pointer_at)
{
    unsigned char *pointer;
    memcpy(&pointer, pointer_at, sizeof pointer);
    return pointer;
}

static void pointer_set(void *pointer_at, unsigned char *pointer) { memcpy(pointer_at, &pointer, sizeof pointer); }

static inline unsigned char *block_at(const mg_image_list *list, unsigned index)
{
    return pointer_get(list->block[index].pointer_at);
}

/* Where each block goes in the file (after the header, aligned; NULL
 * blocks nowhere); returns the file's size. */
static size_t layout(const mg_image_list *list, size_t *offsets)
{
    size_t at = sizeof(image_header);
    for (unsigned index = 0; index < list->blocks; index++) {
        offsets[index] = 0;
        if (!block_at(list, index))
            continue;
        at = (at + MG_IMAGE_ALIGN - 1) / MG_IMAGE_ALIGN * MG_IMAGE_ALIGN;
        offsets[index] = at;
        at += list->block[index].bytes;
    }
    return at;
}

/* Points every listed pointer at its block's new place, moved[index] (the
 * pointers inside a block keep their offset in it). */
static void repoint(const mg_image_list *list, unsigned char *const *moved)
{
    for (unsigned index = 0; index < list->inners; index++) {
        unsigned block = list->inner[index].block;
        unsigned char *inner = pointer_get(list->inner[index].pointer_at), *start = block_at(list, block);
        if (inner && start)
            pointer_set(list->inner[index].pointer_at, moved[block] + (inner - start));
    }
    for (unsigned index = 0; index < list->blocks; index++)
        if (block_at(list, index))
            pointer_set(list->block[index].pointer_at, moved[index]);
}

/* ---- the file ------------------------------------------------------------ */

static void close_keeping_errno(int fd)
{
    int saved = errno;
    close(fd);
    errno = saved;
}

static const char *image_directory(void)
{
    const char *directory = getenv("TMPDIR");
    return directory && *directory ? directory : "/var/tmp";
}

/* A new empty file with no name, open for writing; -1 with errno. */
static int image_file_open(void)
{
    const char *directory = image_directory();
    int fd = open(directory, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR)) /* EISDIR: a kernel without O_TMPFILE */
        return fd;
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/memgrams-image-XXXXXX", directory) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    fd = mkostemp(path, O_CLOEXEC);
    if (fd >= 0 && unlink(path) != 0) {
        close_keeping_errno(fd);
        return -1;
    }
    return fd;
}

/* All of it, through short writes and interruptions; -1 with errno. */
static int write_all(int fd, const unsigned char *bytes, size_t length)
{
    while (length > 0) {
        ssize_t wrote = write(fd, bytes, length < WRITE_MAX ? length : WRITE_MAX);
        if (wrote < 0 && errno == EINTR)
            continue;
        if (wrote < 0)
            return -1;
        if (wrote == 0) { /* a regular file takes at least a byte or says why not */
            errno = EIO;
            return -1;
        }
        bytes += wrote;
        length -= (size_t)wrote;
    }
    return 0;
}

static int image_write(int fd, const mg_image_list *list, const size_t *offsets, size_t bytes)
{
    static const unsigned char zeros[MG_IMAGE_ALIGN];
    image_header header = {.blocks = list->blocks, .bytes = bytes};
    memcpy(header.magic, IMAGE_MAGIC, sizeof header.magic);
    if (write_all(fd, (const unsigned char *)&header, sizeof header) != 0)
        return -1;
    size_t at = sizeof header;
    for (unsigned index = 0; index < list->blocks; index++) {
        const unsigned char *block = block_at(list, index);
        if (!block)
            continue;
        if (write_all(fd, zeros, offsets[index] - at) != 0 || write_all(fd, block, list->block[index].bytes) != 0)
            return -1;
        at = offsets[index] + list->block[index].bytes;
    }
    return 0;
}

/* ---- freeze, thaw, release ------------------------------------------------ */

int mg_image_freeze(mg_image *image, const mg_image_list *list)
{
    if (list->overflow)
        return MG_ERR_NOMEM;
    if (image->base)
        return MG_OK;
    size_t offsets[MG_IMAGE_BLOCKS_MAX];
    size_t bytes = layout(list, offsets);
    int fd = image_file_open();
    if (fd < 0)
        return MG_ERR_IO;
    if (image_write(fd, list, offsets, bytes) != 0) {
        close_keeping_errno(fd);
        return MG_ERR_IO;
    }
    void *mapped = mmap(NULL, bytes, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    close_keeping_errno(fd);
    if (mapped == MAP_FAILED)
        return MG_ERR_IO;
    unsigned char *heap[MG_IMAGE_BLOCKS_MAX], *moved[MG_IMAGE_BLOCKS_MAX];
    for (unsigned index = 0; index < list->blocks; index++) {
        heap[index] = block_at(list, index);
        moved[index] = (unsigned char *)mapped + offsets[index];
    }
    repoint(list, moved);
    for (unsigned index = 0; index < list->blocks; index++)
        mg_free_in(list->block[index].part, heap[index], list->block[index].bytes);
    image->base = mapped;
    image->bytes = bytes;
    return MG_OK;
}

/* Whether the list is the one the image was frozen from: the same entries,
 * adding up to the same size (else copying it back would read out of the
 * mapping). */
static bool list_matches(const mg_image *image, const mg_image_list *list)
{
    size_t offsets[MG_IMAGE_BLOCKS_MAX];
    const image_header *header = (const image_header *)(const void *)image->base;
    return memcmp(header->magic, IMAGE_MAGIC, sizeof header->magic) == 0 && header->blocks == list->blocks &&
           header->bytes == image->bytes && layout(list, offsets) == image->bytes;
}

int mg_image_thaw(mg_image *image, const mg_image_list *list)
{
    if (!image->base)
        return MG_OK;
    if (list->overflow)
        return MG_ERR_NOMEM;
    if (!list_matches(image, list)) {
        errno = EINVAL;
        return MG_ERR_IO;
    }
    unsigned char *copies[MG_IMAGE_BLOCKS_MAX];
    for (unsigned index = 0; index < list->blocks; index++) {
        const unsigned char *block = block_at(list, index);
        copies[index] = block ? mg_alloc_in(list->block[index].part, list->block[index].bytes) : NULL;
        if (block && !copies[index]) {
            while (index-- > 0)
                mg_free_in(list->block[index].part, copies[index], list->block[index].bytes);
            return MG_ERR_NOMEM;
        }
        if (block)
            memcpy(copies[index], block, list->block[index].bytes);
    }
    repoint(list, copies);
    munmap(image->base, image->bytes);
    image->base = NULL;
    image->bytes = 0;
    return MG_OK;
}

int mg_image_writable(mg_image *image, bool writable)
{
    if (!image->base)
        return MG_OK;
    return mprotect(image->base, image->bytes, PROT_READ | (writable ? PROT_WRITE : 0)) == 0 ? MG_OK : MG_ERR_IO;
}

void mg_image_release(mg_image *image, const mg_image_list *list)
{
    if (!image->base)
        return;
    munmap(image->base, image->bytes);
    image->base = NULL;
    image->bytes = 0;
    for (unsigned index = 0; index < list->inners; index++)
        pointer_set(list->inner[index].pointer_at, NULL);
    for (unsigned index = 0; index < list->blocks; index++)
        pointer_set(list->block[index].pointer_at, NULL);
}

/* ---- frozen twins ----------------------------------------------------------- */

static void twin_list(const mg_image_twin *twin, mg_table *table, mg_image_list *list)
{
    mg_image_list_init(list);
    twin->list_blocks(table, list);
}

static int twin_freeze(const mg_image_twin *twin, mg_table *table)
{
    mg_image_list list;
    twin_list(twin, table, &list);
    return mg_image_freeze(twin->image(table), &list);
}

int mg_image_twin_finalize(const mg_image_twin *twin, mg_table *table)
{
    int status = twin->base->finalize(table);
    return status == MG_OK ? twin_freeze(twin, table) : status;
}

uint64_t mg_image_twin_prune(const mg_image_twin *twin, mg_table *table, uint64_t min_count)
{
    mg_image *image = twin->image(table);
    if (!mg_image_held(image))
        return twin->base->prune(table, min_count);
    mg_image_list list;
    twin_list(twin, table, &list);
    if (mg_image_thaw(image, &list) == MG_OK) {
        uint64_t dropped = twin->base->prune(table, min_count);
        twin_freeze(twin, table);
        return dropped;
    }
    if (mg_image_writable(image, true) != MG_OK)
        return 0; /* no writable mapping to be had: the table stays as it was */
    uint64_t dropped = twin->prune_in_place(table, min_count);
    mg_image_writable(image, false);
    return dropped;
}

void mg_image_twin_destroy(const mg_image_twin *twin, mg_table *table)
{
    if (table && mg_image_held(twin->image(table))) {
        mg_image_list list;
        twin_list(twin, table, &list);
        mg_image_release(twin->image(table), &list);
    }
    twin->base->destroy(table);
}
