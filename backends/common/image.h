/*
 * image.h — a finalized table frozen into one private file and served from a
 * read-only mapping of it (the frozen twins trie_mmap, packed_arrays_mmap).
 *
 * A backend lists its finalized heap blocks (where each pointer to a block
 * lives, and the block's size) and the pointers that point inside a block;
 * freeze writes the blocks into one file, maps it, points every listed
 * pointer into the mapping and frees the heap copies through mem.h:
 *
 *   file (unnamed, unlinked):
 *   +--------------------+---------+-----+---------+-----+--     each block at a
 *   | header (64 B):     | block 0 | pad | block 1 | pad |..     multiple of 64 B,
 *   | magic, blocks,     |         |     |         |     |       in list order;
 *   | bytes              |         |     |         |     |       NULL blocks take none
 *   +--------------------+---------+-----+---------+-----+--
 *
 * What stays on the heap is what holds the pointers: the backend's table
 * struct (and the dictionary's, vocab.h), never a block of the list. The
 * file's pages are not requested bytes (mem.h counts none of them): a
 * frozen table's parts hold only those structs.
 *
 * The mapping is PROT_READ, MAP_PRIVATE | MAP_POPULATE: every page is read
 * in at freeze, so the table is as resident as a served table is after its
 * warm-up, and those pages are file-backed (RssFile, not RssAnon: the kernel
 * may drop them under pressure and read them again from the file).
 *
 * The file is made in $TMPDIR, else /var/tmp (disk-backed on Debian; a
 * tmpfs there would make the pages shared memory, RssShmem, which the
 * kernel cannot drop), with O_TMPFILE, so it never has a name and nothing
 * is left behind even when the process is killed; where the file system
 * has no O_TMPFILE, mkstemp and an unlink right after it (a name lives for
 * those few instructions). The descriptor is closed once the file is
 * mapped: the mapping holds the file until release.
 *
 * Every call is all or nothing: on failure the listed pointers are as they
 * were, so a table that cannot be frozen stays whole on the heap, and one
 * that cannot be thawed stays whole in its mapping.
 */
#ifndef MG_IMAGE_H
#define MG_IMAGE_H

#include "../backend.h"

#include <stdbool.h>
#include <stddef.h>

enum {
    MG_IMAGE_BLOCKS_MAX = 32, /* blocks a list holds (trie order 5: 19) */
    MG_IMAGE_INNER_MAX = 64,  /* pointers inside blocks (trie order 5: 45) */
    MG_IMAGE_ALIGN = 64,      /* every block starts at a multiple of this in the file */
};

/* The blocks of a table, made afresh on the stack for each call (a table
 * lists the same blocks in the same order as long as it is not changed). */
typedef struct mg_image_list {
    struct {
        void *pointer_at; /* the address of the pointer to the block (any object pointer type) */
        size_t bytes;     /* the block's size, as mem.h has it */
        int part;         /* the block's tag in mem.h */
    } block[MG_IMAGE_BLOCKS_MAX];
    struct {
        void *pointer_at; /* a pointer into (or just past) a block */
        unsigned block;   /* its block's index in block[] */
    } inner[MG_IMAGE_INNER_MAX];
    unsigned blocks, inners;
    bool overflow; /* more were listed than the arrays hold: every call refuses the list */
} mg_image_list;

/* A table's mapping: base NULL while the table lives on the heap. */
typedef struct mg_image {
    unsigned char *base;
    size_t bytes;
} mg_image;

void mg_image_list_init(mg_image_list *list);
/* Lists a block: pointer_at is the address of the pointer to it (NULL
 * pointers are listed too, and stay NULL), part its tag in mem.h (a freeze
 * frees it, a thaw allocates its copy, with that tag). */
void mg_image_list_block(mg_image_list *list, int part, void *pointer_at, size_t bytes);
/* Lists a pointer into the block listed last, moved along with it. */
void mg_image_list_inner(mg_image_list *list, void *pointer_at);

static inline bool mg_image_held(const mg_image *image) { return image->base != NULL; }

/* Heap -> mapping: writes the blocks to a new private file, maps it, points
 * the listed pointers into the mapping and frees the heap blocks. MG_OK;
 * MG_ERR_IO when the file cannot be made, written (a short write, ENOSPC,
 * EFBIG) or mapped, errno telling why; MG_ERR_NOMEM for a list that
 * overflowed. Nothing changes on failure. */
int mg_image_freeze(mg_image *image, const mg_image_list *list);

/* Mapping -> heap: copies every block into a new heap block (mem.h), points
 * the listed pointers at the copies and unmaps. MG_OK, or MG_ERR_NOMEM
 * (the table stays mapped). */
int mg_image_thaw(mg_image *image, const mg_image_list *list);

/* Lets the table be written in place (writable: PROT_READ | PROT_WRITE), or
 * read-only again. The mapping is private: a written page becomes a private
 * copy (anonymous memory), never a change to the file. MG_OK or MG_ERR_IO. */
int mg_image_writable(mg_image *image, bool writable);

/* Unmaps, and clears every listed pointer, so that the backend's destroy
 * frees nothing of the image. Harmless on a table that holds none. */
void mg_image_release(mg_image *image, const mg_image_list *list);

/* ---- frozen twins ----------------------------------------------------------
 *
 * A frozen twin is its base's layout, frozen: the base's ops, but for
 * finalize, prune and destroy, which go through these with a description
 * of the base's table. */
typedef struct mg_image_twin {
    const mg_backend *base;
    mg_image *(*image)(mg_table *table);                       /* where the table keeps its mapping */
    void (*list_blocks)(mg_table *table, mg_image_list *list); /* its finalized blocks (after list_init) */
    /* The base's prune of a finalized table done where it lies, allocating
     * nothing and keeping every block's size; returns the grams dropped. */
    uint64_t (*prune_in_place)(mg_table *table, uint64_t min_count);
} mg_image_twin;

/* The base's finalize, then a freeze: MG_OK, the base's error, or the
 * freeze's (the table then stays finalized and whole on the heap). */
int mg_image_twin_finalize(const mg_image_twin *twin, mg_table *table);

/* A table on the heap (training, or not frozen) is pruned by the base. A
 * frozen one is thawed, pruned by the base and frozen again (a failed
 * freeze leaves it whole on the heap); when the thaw is refused, it is
 * pruned in place in its mapping, made writable for it: the pages written
 * become private copies (anonymous memory), the file never changes. */
uint64_t mg_image_twin_prune(const mg_image_twin *twin, mg_table *table, uint64_t min_count);

/* Releases the image, then the base's destroy frees the rest. */
void mg_image_twin_destroy(const mg_image_twin *twin, mg_table *table);

#endif
