/*
 * skeleton_backend.c — the smallest whole backend, to copy when adding one
 * (docs/adding-a-backend.md). It passes the conformance suite, which the
 * tests run on it beside the registered backends.
 *
 * Layout: a sorted array of pointers, one heap block per n-gram holding its
 * count, its tokens, and its words' bytes.
 *
 *   skeleton_table          entries[capacity]          one block per n-gram
 *   +----------------+      +-----+-----+-----+       +-------+-----------+------------+
 *   | base: handle   |  +-->| ptr | ptr | ... |------>| count | tokens[n] | word bytes |
 *   | entries -------+--+   +-----+-----+-----+       +-------+-----------+------------+
 *   | used, capacity |      sorted by gram             8 B     16 B each    w B each
 *   +----------------+      (mg_token_compare)
 *
 * Bytes per n-gram by part (w: the mean word length; markers are counted as
 * words, which leans high):
 *   table     sizeof(skeleton_table) / N   the handle: nothing, per n-gram
 *   entries   8 / 0.75                     the pointer; the array doubles, so it is
 *                                          1/2 to all full, 3/4 on average
 *   grams     8 + n * (16 + w)             the count, each token (mg_token) and its
 *                                          word's bytes
 * Each part is a tag of mem.h's calls (mg_alloc_in and the rest): a block is
 * made, resized and freed with its part's tag, so a run measures each part
 * exactly and `memgrams report` sets it beside its term here.
 *
 * add() keeps the array sorted by moving its tail: a new gram costs time in
 * proportion to the grams held. That is what keeps this file short; a real
 * layout trains in a hash and sorts once at finalize (packed_arrays.c, trie.c).
 */
#include "backend.h"
#include "mem.h"

#include <stdbool.h>
#include <string.h>

/* The parts of the table, named once: tag k is skeleton_parts[k - 1] (backend.h). */
enum skeleton_part { SKELETON_TABLE = 1, SKELETON_ENTRIES, SKELETON_GRAMS };
static const char *const skeleton_parts[] = {
    [SKELETON_TABLE - 1] = "table", [SKELETON_ENTRIES - 1] = "entries", [SKELETON_GRAMS - 1] = "grams"};

#define FIRST_CAPACITY 16
#define MEAN_FILL 0.75

typedef struct gram_entry {
    uint64_t count;
    mg_token tokens[]; /* n of them; a word's bytes follow in this block, a marker has none */
} gram_entry;

typedef struct skeleton_table {
    mg_table base;        /* first: the handle (backend.h) */
    gram_entry **entries; /* sorted by gram */
    size_t used, capacity;
} skeleton_table;

/* ---- helpers -------------------------------------------------------------------- */

/* Compares the first length tokens of two grams, in the canonical token order. */
static int gram_compare(const mg_token *a, const mg_token *b, int length)
{
    for (int k = 0; k < length; k++) {
        int order = mg_token_compare(&a[k], &b[k]);
        if (order != 0)
            return order;
    }
    return 0;
}

/* The first entry whose first length tokens are not below key's. */
static size_t lower_bound(const skeleton_table *t, const mg_token *key, int length)
{
    size_t low = 0, high = t->used;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (gram_compare(t->entries[middle]->tokens, key, length) < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

/* The size of a gram's block: mg_free needs the size it was allocated with. */
static size_t entry_size(const mg_token *gram, int order)
{
    size_t size = sizeof(gram_entry) + (size_t)order * sizeof(mg_token);
    for (int k = 0; k < order; k++)
        if (!mg_token_is_marker(&gram[k]))
            size += gram[k].len;
    return size;
}

/* A block holding a copy of gram, counted once; NULL when out of memory. */
static gram_entry *entry_new(const mg_token *gram, int order)
{
    gram_entry *entry = mg_alloc_in(SKELETON_GRAMS, entry_size(gram, order));
    if (!entry)
        return NULL;
    entry->count = 1;
    unsigned char *bytes = (unsigned char *)&entry->tokens[order];
    for (int k = 0; k < order; k++) {
        entry->tokens[k] = gram[k];
        if (!mg_token_is_marker(&gram[k])) {
            memcpy(bytes, gram[k].bytes, gram[k].len);
            entry->tokens[k].bytes = bytes;
            bytes += gram[k].len;
        }
    }
    return entry;
}

static void entry_free(gram_entry *entry, int order)
{
    mg_free_in(SKELETON_GRAMS, entry, entry_size(entry->tokens, order));
}

/* ---- create ----------------------------------------------------------------------- */

static mg_table *skeleton_create(const mg_backend *ops, int order)
{
    if (order < 1 || order > MG_ORDER_MAX)
        return NULL;
    skeleton_table *t = mg_calloc_in(SKELETON_TABLE, 1, sizeof *t);
    if (!t)
        return NULL;
    t->base = (mg_table){ops, order};
    return &t->base;
}

/* ---- add ---------------------------------------------------------------------------- */

/* Room for one more pointer; false (the array as it was) when out of memory. */
static bool entries_make_room(skeleton_table *t)
{
    if (t->used < t->capacity)
        return true;
    size_t capacity = t->capacity ? 2 * t->capacity : FIRST_CAPACITY;
    gram_entry **grown = mg_realloc_in(SKELETON_ENTRIES, t->entries, t->capacity * sizeof *grown, capacity * sizeof *grown);
    if (!grown)
        return false;
    t->entries = grown;
    t->capacity = capacity;
    return true;
}

/* Whether the entry at `at` (from lower_bound) is gram itself. */
static bool holds(const skeleton_table *t, size_t at, const mg_token *gram)
{
    return at < t->used && gram_compare(t->entries[at]->tokens, gram, t->base.order) == 0;
}

/* Everything that can fail comes before the array changes: a refused add
 * leaves the table as it was. */
static int skeleton_add(mg_table *table, const mg_token *gram)
{
    skeleton_table *t = (skeleton_table *)table;
    int order = table->order;
    size_t at = lower_bound(t, gram, order);
    if (holds(t, at, gram)) {
        t->entries[at]->count++;
        return MG_OK;
    }
    gram_entry *entry = entries_make_room(t) ? entry_new(gram, order) : NULL;
    if (!entry)
        return MG_ERR_NOMEM;
    memmove(&t->entries[at + 1], &t->entries[at], (t->used - at) * sizeof *t->entries);
    t->entries[at] = entry;
    t->used++;
    return MG_OK;
}

/* ---- finalize ------------------------------------------------------------------------ */

/* Sorted all along: nothing to merge or compact. */
static int skeleton_finalize(mg_table *table)
{
    (void)table;
    return MG_OK;
}

/* ---- lookups -------------------------------------------------------------------------- */

static uint64_t skeleton_count(mg_table *table, const mg_token *gram)
{
    skeleton_table *t = (skeleton_table *)table;
    size_t at = lower_bound(t, gram, table->order);
    return holds(t, at, gram) ? t->entries[at]->count : 0;
}

/* A context's grams are neighbours in the sorted array. */
static int skeleton_successors(mg_table *table, const mg_token *context, mg_successor_visit visit, void *arg)
{
    skeleton_table *t = (skeleton_table *)table;
    int length = table->order - 1;
    for (size_t at = lower_bound(t, context, length);
         at < t->used && gram_compare(t->entries[at]->tokens, context, length) == 0; at++) {
        int stop = visit(arg, &t->entries[at]->tokens[length], t->entries[at]->count);
        if (stop != 0)
            return stop;
    }
    return 0;
}

static int skeleton_foreach(mg_table *table, mg_gram_visit visit, void *arg)
{
    skeleton_table *t = (skeleton_table *)table;
    for (size_t at = 0; at < t->used; at++) {
        int stop = visit(arg, t->entries[at]->tokens, t->entries[at]->count);
        if (stop != 0)
            return stop;
    }
    return 0;
}

/* A new context starts wherever the first n-1 tokens change. */
static void skeleton_sizes(mg_table *table, uint64_t *ngrams, uint64_t *contexts)
{
    skeleton_table *t = (skeleton_table *)table;
    int length = table->order - 1;
    *ngrams = t->used;
    *contexts = 0;
    for (size_t at = 0; at < t->used; at++)
        *contexts += at == 0 || gram_compare(t->entries[at - 1]->tokens, t->entries[at]->tokens, length) != 0;
}

/* ---- prune ------------------------------------------------------------------------------ */

/* Frees the dropped blocks and closes the gaps in place: it allocates
 * nothing, so it cannot fail. The array keeps its capacity. */
static uint64_t skeleton_prune(mg_table *table, uint64_t min_count)
{
    skeleton_table *t = (skeleton_table *)table;
    size_t kept = 0;
    for (size_t at = 0; at < t->used; at++) {
        if (t->entries[at]->count >= min_count)
            t->entries[kept++] = t->entries[at];
        else
            entry_free(t->entries[at], table->order);
    }
    uint64_t dropped = t->used - kept;
    t->used = kept;
    return dropped;
}

/* ---- destroy ---------------------------------------------------------------------------- */

static void skeleton_destroy(mg_table *table)
{
    skeleton_table *t = (skeleton_table *)table;
    for (size_t at = 0; at < t->used; at++)
        entry_free(t->entries[at], table->order);
    mg_free_in(SKELETON_ENTRIES, t->entries, t->capacity * sizeof *t->entries);
    mg_free_in(SKELETON_TABLE, t, sizeof *t);
}

/* ---- estimate ---------------------------------------------------------------------------- */

/* The formula at the top of the file, part by part. */
static void skeleton_estimate_parts(const mg_table_shape *shape, double *bytes_per_ngram)
{
    double word = shape->vocab ? (double)shape->vocab_bytes / (double)shape->vocab : 0.0;
    bytes_per_ngram[SKELETON_TABLE - 1] = shape->ngrams ? (double)sizeof(skeleton_table) / (double)shape->ngrams : 0.0;
    bytes_per_ngram[SKELETON_ENTRIES - 1] = sizeof(gram_entry *) / MEAN_FILL;
    bytes_per_ngram[SKELETON_GRAMS - 1] = sizeof(gram_entry) + shape->order * (sizeof(mg_token) + word);
}

/* ---- ops table ---------------------------------------------------------------------------- */

const mg_backend mg_backend_skeleton = {
    .version = MG_BACKEND_VERSION,
    .name = "skeleton",
    .summary = "the skeleton of docs/adding-a-backend.md: a sorted array of pointers to one block per n-gram",
    .layout_version = 1,
    .create = skeleton_create,
    .add = skeleton_add,
    .finalize = skeleton_finalize, /* a no-op: sorted all along */
    .count = skeleton_count,
    .successors = skeleton_successors,
    .foreach = skeleton_foreach,
    .sizes = skeleton_sizes,       /* O(n): counts the context runs */
    .prune = skeleton_prune,       /* in place, allocates nothing */
    .destroy = skeleton_destroy,
    .library_figures = NULL,       /* wraps no library */
    .parts = skeleton_parts,
    .part_count = sizeof skeleton_parts / sizeof skeleton_parts[0],
    .estimate_parts = skeleton_estimate_parts,
};
