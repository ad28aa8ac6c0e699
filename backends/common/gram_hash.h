/*
 * gram_hash.h — the training table of the compact backends (packed_arrays,
 * trie, through common/gram_counts.h): id tuple -> count, open addressing,
 * bounded or not, and the in-place sort of its records for a spill.
 *
 *   slots (4 (order + 1) B), count 0 = empty
 *   +-----+-----+-----+-------+-----+-----+-----+-------+--
 *   | id0 | id1 | id2 | count | id0 | id1 | id2 | count |..   (order 3)
 *   +-----+-----+-----+-------+-----+-----+-----+-------+--
 *   home = fastrange(upper 32 bits of XXH3 of the ids), linear probing
 *
 * Growth: past MG_GRAM_HASH_LOAD percent the table is rehashed into 1.5
 * times the slots, rounded up by common/grow.h (from 256 KiB straight to
 * 8 MiB, whose outgrown blocks leave no dirty pages) and then to the
 * allocator's size class (mg_mem_usable_size): the rounding is allocated
 * anyway, and slots in it defer the next rehash. A bound (mg_gram_hash_bound,
 * the counts' budget) caps the slots; a capped block is one given back to
 * the kernel when freed (mg_calloc_returned_in), whatever its size.
 *
 * A spill packs the slots to the front of their block and sorts them in
 * place (mg_gram_hash_pack_sorted), then empties the table in the same
 * block (mg_gram_hash_clear): no second copy of the grams is made.
 *
 * Every heap byte goes through mem.h; a call that fails returns
 * MG_ERR_NOMEM and leaves the table as it was.
 */
#ifndef MG_GRAM_HASH_H
#define MG_GRAM_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    MG_GRAM_HASH_LOAD = 85, /* percent: the table grows past it */
    MG_GRAM_HASH_MIN = 16,  /* slots of a new table */
};

typedef struct mg_gram_hash {
    uint32_t *slots;     /* capacity slots of record_words uint32 */
    uint32_t capacity;   /* slots */
    uint64_t grams;      /* slots holding a gram */
    int order;           /* ids per gram */
    size_t record_words; /* uint32 per slot: order ids, then the count */
    uint32_t capacity_max; /* slots the table may grow to (0: no bound) */
    int part;            /* mem.h's tag of the slots */
} mg_gram_hash;

/* An empty table of MG_GRAM_HASH_MIN slots, its slots (now and grown)
 * counted against `part` (mem.h's tag): MG_OK or MG_ERR_NOMEM (then
 * nothing is held). */
int mg_gram_hash_init(mg_gram_hash *hash, int part, int order);

/* Bounds the table's growth to `bytes` of slots (at least MG_GRAM_HASH_MIN
 * slots); mg_gram_hash_at_bound then says when it is as full as it may be. */
void mg_gram_hash_bound(mg_gram_hash *hash, size_t bytes);

/* Whether one more gram would pass the load of a table grown to its bound. */
bool mg_gram_hash_at_bound(const mg_gram_hash *hash);

/* Grams the table takes before mg_gram_hash_at_bound (0 when unbounded). */
uint64_t mg_gram_hash_bound_grams(const mg_gram_hash *hash);

/* Frees the slots (if still held); the table is then empty, with none. */
void mg_gram_hash_free(mg_gram_hash *hash);

/* Bytes of the slot block. */
size_t mg_gram_hash_bytes(const mg_gram_hash *hash);

/* Slot `index` (< capacity): its count (word `order`) is 0 when empty. */
static inline uint32_t *mg_gram_hash_slot(const mg_gram_hash *hash, uint32_t index)
{
    return hash->slots + (size_t)index * hash->record_words;
}

/* The gram's count (0 when absent). */
uint32_t mg_gram_hash_count(const mg_gram_hash *hash, const uint32_t *ids);

/* Room for one more gram without a rehash (grows if needed): lets a caller
 * take the memory before it changes anything else. */
int mg_gram_hash_make_room(mg_gram_hash *hash);

/* Count of ids plus one (saturating at UINT32_MAX); a new gram may grow
 * the table first. */
int mg_gram_hash_add(mg_gram_hash *hash, const uint32_t *ids);

/* add_many of a backend that trains an interner and this table (packed_arrays,
 * trie; backend.h): a group's grams whose words are all interned have
 * their ids found and their slots requested before the first is counted,
 * so the cache misses overlap; a gram with a new word goes through `add`,
 * the backend's add(). Gram for gram what add() does: the same table, and
 * on MG_ERR_NOMEM *added grams are in, the rest not. */
struct mg_interner;
struct mg_table;
struct mg_token;
typedef int (*mg_gram_add)(struct mg_table *table, const struct mg_token *gram);
int mg_gram_hash_add_many(mg_gram_hash *hash, const struct mg_interner *interner, struct mg_table *table,
                          mg_gram_add add, const struct mg_token *grams, size_t count, size_t *added);

/* Drops the grams for which keep(arg, ids, count) is false, without
 * allocating; keep() must not read this table. */
typedef bool (*mg_gram_hash_keep)(void *arg, const uint32_t *ids, uint64_t count);
void mg_gram_hash_filter(mg_gram_hash *hash, mg_gram_hash_keep keep, void *arg);

/* Packs the grams to the front of the slot block as records | ids | count |
 * sorted by ids, keeping the block: then mg_gram_hash_clear makes the
 * table empty again in the same block. Returns the records. */
uint32_t *mg_gram_hash_pack_sorted(mg_gram_hash *hash);

/* Empties the table, keeping its block. */
void mg_gram_hash_clear(mg_gram_hash *hash);

/* Sorts `count` records of `words` (<= MG_ORDER_MAX + 1) uint32 in place
 * by their first `keys` words (as unsigned tuples). No allocation: glibc's qsort would malloc a
 * copy of the whole array, outside mem.h. */
void mg_records_sort(uint32_t *records, uint64_t count, size_t words, int keys);

#endif
