/*
 * interned_hash.c — words interned to ids, n-grams as id tuples in one
 * open-addressing table (linear probing, fastrange, 1.5x growth).
 *
 * Memory layout (order 3):
 *
 *   arena chunks (4 KiB doubling to 1 MiB; a bigger word gets its own block)
 *   +------+-----------------------------------+------+
 *   | next | len|bytes len|bytes ...           | free |   len: varint
 *   +------+-----------------------------------+------+
 *   word_at: id -> its len|bytes in the arena (ids 0, 1: the markers)
 *   +------+------+----+----+--
 *   | NULL | NULL | w2 | w3 |..
 *   +------+------+----+----+--
 *   intern_slots (16 B): | id | hash | word: len + 7 bytes inline, or arena pointer |
 *
 *   gram_slots (4 (order + 1) B), home = fastrange(XXH3(ids)), count 0 = empty
 *   +-----+-----+-----+-------+-----+-----+-----+-------+--
 *   | id0 | id1 | id2 | count | id0 | id1 | id2 | count |..
 *   +-----+-----+-----+-------+-----+-----+-----+-------+--
 *
 *   successor index, built by finalize (order >= 2)
 *   successor_slots: every gram's slot index, grouped by context
 *   +----+----+----+----+----+----+--
 *   | s7 | s2 | s9 | s4 | s1 | s5 |..
 *   +----+----+----+----+----+----+--
 *      ^         ^    ^
 *   context_offsets: | 0 | 3 | 3 | 4 |..   group c = [offsets[c], offsets[c+1])
 *   an open-addressing table of contexts that stores no keys: an empty group
 *   is an empty slot, the key is read from the group's first gram, and groups
 *   are laid out in hash order so a radix sort builds it. Within a group the
 *   grams are in canonical order of their last word (mg_token_compare), and
 *   running totals of their counts every 4 entries, Elias-Fano coded
 *   (common/running_totals.h), serve sample_successor.
 *
 * Bytes requested per n-gram after finalize, by part (the names of the run
 * JSON's `parts`), for n grams, C contexts, V words of total length B; cap(x,
 * load) is the slots holding x at the load, raised to fill the allocator's
 * size class (mg_mem_usable_size), as finalize rebuilds each table:
 *
 *   part              formula                                   gcide 1/4, order 3
 *   table             sizeof(interned_table) / n                  0.00
 *   vocab.words       (B + V), in 4 KiB to 1 MiB arena chunks     3.04
 *                     (16 B header each, the last one whole)
 *   vocab.directory   12 (V + 2) / n                              2.40
 *   vocab.index       16 cap(V, INTERN_LOAD) / n                  4.05
 *   grams             4 (order + 1) cap(n, GRAM_LOAD) / n        20.25
 *   successors        4 + 4 (cap(C, CONTEXT_LOAD) + 1) / n        7.05
 *                     (order >= 2; the probe tail's few left out)
 *   totals            EF bits of n / 4 totals summing ~1.6 n      0.16
 *                     (order >= 2: ~5 bits every 4 entries)
 *   training.scratch  word ranks and their sort, in finalize      0
 *                                                      total     36.9
 *
 * Each part's formula is exact but for the arena's last chunk and the
 * totals (their counts' sum is taken as 1.6 n): at orders 1, 3 and 5 on
 * gcide 1/4 every part is within 0.1% of its measure but the totals (5%).
 *
 * A gram's hash is made from its words' hashes, not their ids, so its home
 * slot is known before its ids are: a lookup fetches the word slots and the
 * gram slot at once, then the records of its long words together, and a
 * batch (add_many, count_many) runs a pipeline that fetches them 12 and 6
 * grams ahead of the gram it resolves.
 */
#include "backend.h"
#include "mem.h"
#include "common/running_totals.h"
#include "common/varint.h"
#include "common/xxh3_words.h"

#include <stdbool.h>
#include <string.h>

#define XXH_INLINE_ALL /* short fixed-size keys: let XXH3 inline */
#include <xxhash.h>

/* ---- types ------------------------------------------------------------ */

/* The parts of the table, named once: tag k is interned_parts[k - 1] (backend.h). */
enum interned_part {
    INTERNED_TABLE = 1,
    INTERNED_VOCAB_WORDS,
    INTERNED_VOCAB_DIRECTORY,
    INTERNED_VOCAB_INDEX,
    INTERNED_GRAMS,
    INTERNED_SUCCESSORS,
    INTERNED_TOTALS,
    INTERNED_TRAINING_SCRATCH,
};
static const char *const interned_parts[] = {
    [INTERNED_TABLE - 1] = "table",
    [INTERNED_VOCAB_WORDS - 1] = "vocab.words",
    [INTERNED_VOCAB_DIRECTORY - 1] = "vocab.directory",
    [INTERNED_VOCAB_INDEX - 1] = "vocab.index",
    [INTERNED_GRAMS - 1] = "grams",
    [INTERNED_SUCCESSORS - 1] = "successors",
    [INTERNED_TOTALS - 1] = "totals",
    [INTERNED_TRAINING_SCRATCH - 1] = "training.scratch",
};
enum { INTERNED_PART_COUNT = sizeof interned_parts / sizeof interned_parts[0] };

/* Loads in percent. Training grows the tables by 1.5x past the MAX loads;
 * finalize and prune rebuild them at the plain loads, so sizes are known. */
#ifndef GRAM_MAX_LOAD
#define GRAM_MAX_LOAD 85
#endif
#ifndef GRAM_LOAD
#define GRAM_LOAD 87
#endif
#ifndef CONTEXT_LOAD
#define CONTEXT_LOAD 80
#endif
#ifndef INTERN_MAX_LOAD
#define INTERN_MAX_LOAD 80
#endif
#ifndef INTERN_LOAD
#define INTERN_LOAD 80
#endif

enum {
    START_ID = 0, /* the markers' ids; words from FIRST_WORD_ID */
    END_ID = 1,
    FIRST_WORD_ID = 2,
    MIN_CAPACITY = 16,
    INLINE_MAX = 7, /* words this short sit in their intern slot too */
    ARENA_CHUNK_MIN = 4096,
    ARENA_CHUNK_MAX = 1 << 20,
    RADIX_BITS = 8,
    TOTALS_EVERY = 4, /* successor index entries between two running totals */
};

#define NO_ID UINT32_MAX

/* One block of words; chunks are filled in turn, an oversized word gets a
 * block of its own. */
typedef struct arena_block {
    struct arena_block *next;
    size_t size; /* bytes of data after the header */
    unsigned char data[];
} arena_block;

/* A word's intern slot. The low bit of `hash` tells whether the word is
 * inline, so equal hashes imply the same representation. */
typedef struct intern_slot {
    uint32_t id; /* 0: empty (ids 0 and 1 are markers, never interned) */
    uint32_t hash;
    union {
        uint64_t inline_word;         /* length byte, then the bytes, zero padded */
        const unsigned char *record;  /* varint length, then the bytes, in the arena */
    } word;
} intern_slot;

/* A word being looked up: computed once, compared against slots. */
typedef struct word_key {
    const unsigned char *bytes;
    uint32_t len;
    uint32_t hash;
    uint64_t inline_word;
} word_key;

typedef struct interned_table {
    mg_table base; /* first: the handle (backend.h) */
    size_t slot_words; /* uint32 per gram slot: order ids, then the count */

    /* vocabulary */
    arena_block *arena_blocks;     /* every block, newest first */
    unsigned char *arena_cursor;   /* free space in the current chunk */
    size_t arena_free;
    size_t arena_bytes;            /* data bytes of all blocks: sizes the next chunk */
    const unsigned char **word_at; /* id -> varint length + bytes; NULL for markers */
    uint32_t *word_hash;           /* id -> the word's hash; word_at's block holds it too */
    uint32_t word_count;           /* ids given out, markers included */
    uint32_t word_cap;
    intern_slot *intern_slots;
    uint32_t intern_cap;

    /* grams */
    uint32_t *gram_slots; /* gram_cap slots of slot_words */
    uint32_t gram_cap;
    uint64_t grams;

    /* successor index, valid while indexed */
    bool finalized;
    bool indexed;
    uint32_t *successor_slots;  /* gram-slot indices grouped by context */
    size_t successor_bytes;     /* its allocation */
    uint32_t *context_offsets;  /* context_len + 1 group starts */
    uint32_t context_cap;       /* homes are fastrange(hash, context_cap) */
    uint32_t context_len;       /* context_cap plus the probe tail past it */
    uint64_t contexts;
    mg_running_totals totals;   /* the index's counts summed; empty when out of memory */
} interned_table;

/* ---- helpers ---------------------------------------------------------- */

/* Maps a 32-bit hash onto [0, range) by multiply-shift: any range, no
 * modulo, and homes stay in hash order. */
static inline uint32_t fastrange(uint32_t hash, uint32_t range)
{
    return (uint32_t)(((uint64_t)hash * range) >> 32);
}

static inline uint32_t hash_bytes(const void *bytes, size_t len)
{
    return (uint32_t)(XXH3_64bits(bytes, len) >> 32);
}

/* A gram's (or context's) hash is XXH3 over its words' hashes rather than
 * over its ids, so that a lookup knows the gram's home, and can fetch it,
 * while its words' ids are still being looked up. */
static inline uint32_t hash_word_hashes(const uint32_t *hashes, int count)
{
    return (uint32_t)(mg_xxh3_words(hashes, count) >> 32);
}

static inline bool same_ids(const uint32_t *a, const uint32_t *b, int count)
{
    for (int k = 0; k < count; k++)
        if (a[k] != b[k])
            return false;
    return true;
}

/* Smallest capacity holding `items` at or under `load_percent`, one slot always free. */
static uint64_t capacity_for(uint64_t items, unsigned load_percent)
{
    uint64_t capacity = items * 100 / load_percent + 1;
    return capacity < MIN_CAPACITY ? MIN_CAPACITY : capacity;
}

static inline bool over_load(uint64_t items, uint32_t capacity, unsigned load_percent)
{
    return items * 100 > (uint64_t)capacity * load_percent;
}

static uint64_t grown(uint32_t capacity) { return (uint64_t)capacity + capacity / 2; }

/* The capacity, raised to fill the allocator's size class: the rounding a
 * big table would lose anyway holds slots (a lower load) instead. */
static uint64_t filling_class(uint64_t capacity, size_t slot_bytes)
{
    if (capacity >= SIZE_MAX / slot_bytes)
        return capacity;
    return mg_mem_usable_size((size_t)capacity * slot_bytes) / slot_bytes;
}

static mg_token token_of(const interned_table *t, uint32_t id)
{
    mg_token token = {NULL, id == START_ID ? MG_MARK_START : MG_MARK_END};
    if (id >= FIRST_WORD_ID)
        token.bytes = mg_varint_read32(t->word_at[id], &token.len);
    return token;
}

static inline uint32_t *gram_slot(const interned_table *t, uint32_t index)
{
    return t->gram_slots + (size_t)index * t->slot_words;
}

static inline uint32_t slot_count(const interned_table *t, const uint32_t *slot)
{
    return slot[t->base.order];
}

static uint32_t hash_ids(const interned_table *t, const uint32_t *ids, int count)
{
    uint32_t hashes[MG_ORDER_MAX] = {0}; /* all set below; zeroed for GCC, which cannot see that */
    for (int k = 0; k < count; k++)
        hashes[k] = t->word_hash[ids[k]];
    return hash_word_hashes(hashes, count);
}

/* -- intern table -- */

/* The bytes of a word of 1 to INLINE_MAX bytes in the low end of a
 * uint64, read as whole loads that overlap rather than byte by byte. */
static inline uint64_t short_word_bytes(const unsigned char *bytes, uint32_t len)
{
    if (len >= 4) {
        uint32_t first, last;
        memcpy(&first, bytes, sizeof first);
        memcpy(&last, bytes + len - 4, sizeof last);
        return first | (uint64_t)last << 8 * (len - 4);
    }
    return bytes[0] | (uint64_t)bytes[len / 2] << 8 * (len / 2) | (uint64_t)bytes[len - 1] << 8 * (len - 1);
}

/* A short word's inline form: its length byte, then its bytes, zero padded
 * (as the bytes lie in memory on a little-endian machine; any one fixed
 * packing serves, as slots and keys are packed alike). Built in a register:
 * bytes stored one by one and read back as one word would wait for the
 * stores to reach the cache. */
static word_key word_key_of(const mg_token *token)
{
    word_key key = {token->bytes, token->len, hash_bytes(token->bytes, token->len) & ~1u, 0};
    if (token->len <= INLINE_MAX) {
        key.inline_word = token->len | (token->len ? short_word_bytes(token->bytes, token->len) << 8 : 0);
        key.hash |= 1;
    }
    return key;
}

static bool slot_holds(const intern_slot *slot, const word_key *key)
{
    if (slot->hash != key->hash)
        return false;
    if (key->hash & 1)
        return slot->word.inline_word == key->inline_word;
    uint32_t len;
    const unsigned char *bytes = mg_varint_read32(slot->word.record, &len);
    return len == key->len && memcmp(bytes, key->bytes, len) == 0;
}

/* Id of the word, or NO_ID. */
static uint32_t word_find(const interned_table *t, const word_key *key)
{
    uint32_t index = fastrange(key->hash, t->intern_cap);
    for (;;) {
        const intern_slot *slot = &t->intern_slots[index];
        if (slot->id == 0)
            return NO_ID;
        if (slot_holds(slot, key))
            return slot->id;
        if (++index == t->intern_cap)
            index = 0;
    }
}

static void intern_place(intern_slot *slots, uint32_t capacity, const intern_slot *slot)
{
    uint32_t index = fastrange(slot->hash, capacity);
    while (slots[index].id != 0)
        if (++index == capacity)
            index = 0;
    slots[index] = *slot;
}

/* Rehash the intern table into `capacity` slots, by the stored hashes. */
static int intern_resize(interned_table *t, uint64_t capacity)
{
    if (capacity >= UINT32_MAX)
        return MG_ERR_NOMEM;
    intern_slot *slots = mg_calloc_in(INTERNED_VOCAB_INDEX, (size_t)capacity, sizeof *slots);
    if (!slots)
        return MG_ERR_NOMEM;
    for (uint32_t index = 0; index < t->intern_cap; index++)
        if (t->intern_slots[index].id != 0)
            intern_place(slots, (uint32_t)capacity, &t->intern_slots[index]);
    mg_free_in(INTERNED_VOCAB_INDEX, t->intern_slots, (size_t)t->intern_cap * sizeof *slots);
    t->intern_slots = slots;
    t->intern_cap = (uint32_t)capacity;
    return MG_OK;
}

/* -- directory: word_at and word_hash, one block of word_cap entries -- */

enum { DIRECTORY_ENTRY = sizeof(const unsigned char *) + sizeof(uint32_t) };

/* Move the directory to a block of `capacity` entries (growing or trimming). */
static int directory_resize(interned_table *t, uint64_t capacity)
{
    if (capacity >= UINT32_MAX)
        return MG_ERR_NOMEM;
    unsigned char *block = mg_alloc_in(INTERNED_VOCAB_DIRECTORY, (size_t)capacity * DIRECTORY_ENTRY);
    if (!block)
        return MG_ERR_NOMEM;
    const unsigned char **word_at = (const unsigned char **)(void *)block;
    uint32_t *word_hash = (uint32_t *)(void *)(block + (size_t)capacity * sizeof *word_at);
    if (t->word_at) {
        memcpy(word_at, t->word_at, t->word_count * sizeof *word_at);
        memcpy(word_hash, t->word_hash, t->word_count * sizeof *word_hash);
        mg_free_in(INTERNED_VOCAB_DIRECTORY, t->word_at, (size_t)t->word_cap * DIRECTORY_ENTRY);
    }
    t->word_at = word_at;
    t->word_hash = word_hash;
    t->word_cap = (uint32_t)capacity;
    return MG_OK;
}

/* -- arena -- */

static arena_block *arena_block_new(interned_table *t, size_t size)
{
    arena_block *block = mg_alloc_in(INTERNED_VOCAB_WORDS, sizeof(arena_block) + size);
    if (!block)
        return NULL;
    block->next = t->arena_blocks;
    block->size = size;
    t->arena_blocks = block;
    t->arena_bytes += size;
    return block;
}

/* Room for `need` bytes of new words: the current chunk, a new chunk (their
 * size doubles up to ARENA_CHUNK_MAX), or a block of its own when `need` is
 * bigger than a chunk. Where to write, or NULL when out of memory. */
static unsigned char *arena_reserve(interned_table *t, size_t need, bool *own_block)
{
    *own_block = false;
    if (need <= t->arena_free)
        return t->arena_cursor;
    size_t chunk = t->arena_bytes < ARENA_CHUNK_MIN   ? ARENA_CHUNK_MIN
                   : t->arena_bytes > ARENA_CHUNK_MAX ? ARENA_CHUNK_MAX
                                                      : t->arena_bytes;
    if (need > chunk) {
        arena_block *block = arena_block_new(t, need);
        *own_block = true;
        return block ? block->data : NULL;
    }
    arena_block *block = arena_block_new(t, chunk);
    if (!block)
        return NULL;
    t->arena_cursor = block->data; /* the old chunk's tail is given up */
    t->arena_free = chunk;
    return t->arena_cursor;
}

static void arena_commit(interned_table *t, size_t used, bool own_block)
{
    if (own_block)
        return;
    t->arena_cursor += used;
    t->arena_free -= used;
}

/* -- gram table -- */

/* Index of the slot holding ids, or of the empty slot where they belong. */
static uint32_t gram_probe(const interned_table *t, const uint32_t *ids, uint32_t hash)
{
    uint32_t index = fastrange(hash, t->gram_cap);
    for (;;) {
        const uint32_t *slot = gram_slot(t, index);
        if (slot_count(t, slot) == 0 || same_ids(slot, ids, t->base.order))
            return index;
        if (++index == t->gram_cap)
            index = 0;
    }
}

/* Copy a gram known to be absent into the first free slot from its home. */
static void gram_place(const interned_table *t, uint32_t *slots, uint32_t capacity, const uint32_t *slot)
{
    uint32_t index = fastrange(hash_ids(t, slot, t->base.order), capacity);
    while (slots[(size_t)index * t->slot_words + (size_t)t->base.order] != 0)
        if (++index == capacity)
            index = 0;
    memcpy(slots + (size_t)index * t->slot_words, slot, t->slot_words * sizeof(uint32_t));
}

/* Move the grams with count >= min_count into a new table of `capacity`
 * slots. Walking the old table in order writes the new one almost in order
 * too (fastrange keeps homes in hash order). On failure nothing changes. */
static int gram_rebuild(interned_table *t, uint64_t capacity, uint64_t min_count)
{
    if (capacity >= UINT32_MAX)
        return MG_ERR_NOMEM;
    uint32_t *slots = mg_calloc_in(INTERNED_GRAMS, (size_t)capacity, t->slot_words * sizeof(uint32_t));
    if (!slots)
        return MG_ERR_NOMEM;
    uint64_t kept = 0;
    for (uint32_t index = 0; index < t->gram_cap; index++) {
        const uint32_t *slot = gram_slot(t, index);
        if (slot_count(t, slot) != 0 && slot_count(t, slot) >= min_count) {
            gram_place(t, slots, (uint32_t)capacity, slot);
            kept++;
        }
    }
    mg_free_in(INTERNED_GRAMS, t->gram_slots, (size_t)t->gram_cap * t->slot_words * sizeof(uint32_t));
    t->gram_slots = slots;
    t->gram_cap = (uint32_t)capacity;
    t->grams = kept;
    return MG_OK;
}

/* -- successor index -- */

static void index_free(interned_table *t)
{
    mg_free_in(INTERNED_SUCCESSORS, t->successor_slots, t->successor_bytes);
    mg_free_in(INTERNED_SUCCESSORS, t->context_offsets, ((size_t)t->context_len + 1) * sizeof(uint32_t));
    t->successor_slots = NULL;
    t->successor_bytes = 0;
    t->context_offsets = NULL;
    t->context_cap = t->context_len = 0;
    t->indexed = false;
    mg_running_totals_free(&t->totals);
}

/* ---- create ----------------------------------------------------------- */

static void ih_destroy(mg_table *self);

static mg_table *ih_create(const mg_backend *ops, int order)
{
    if (order < 1 || order > MG_ORDER_MAX)
        return NULL;
    interned_table *t = mg_calloc_in(INTERNED_TABLE, 1, sizeof *t);
    if (!t)
        return NULL;
    t->base = (mg_table){ops, order};
    t->slot_words = (size_t)order + 1;
    t->intern_cap = MIN_CAPACITY;
    t->gram_cap = MIN_CAPACITY;
    t->intern_slots = mg_calloc_in(INTERNED_VOCAB_INDEX, t->intern_cap, sizeof *t->intern_slots);
    t->gram_slots = mg_calloc_in(INTERNED_GRAMS, t->gram_cap, t->slot_words * sizeof(uint32_t));
    if (directory_resize(t, MIN_CAPACITY) != MG_OK || !t->intern_slots || !t->gram_slots) {
        ih_destroy(&t->base);
        return NULL;
    }
    /* the markers: ids 0 and 1, no bytes, arbitrary fixed hashes */
    t->word_at[START_ID] = t->word_at[END_ID] = NULL;
    t->word_hash[START_ID] = 0x9e3779b8u;
    t->word_hash[END_ID] = 0x7f4a7c14u;
    t->word_count = FIRST_WORD_ID;
    return &t->base;
}

/* ---- add -------------------------------------------------------------- */

static inline uint32_t marker_id(const mg_token *token)
{
    return token->len == MG_MARK_START ? START_ID : END_ID;
}

/* Keys and hashes of the tokens, and the tuple's hash; the words' intern
 * homes are fetched now so that their cache misses overlap. */
static uint32_t tokens_hash(const interned_table *t, const mg_token *tokens, int count, word_key *keys)
{
    uint32_t hashes[MG_ORDER_MAX] = {0}; /* all set below; zeroed for GCC, which cannot see that */
    for (int k = 0; k < count; k++) {
        if (mg_token_is_marker(&tokens[k])) {
            hashes[k] = t->word_hash[marker_id(&tokens[k])];
            continue;
        }
        keys[k] = word_key_of(&tokens[k]);
        hashes[k] = keys[k].hash;
        __builtin_prefetch(&t->intern_slots[fastrange(keys[k].hash, t->intern_cap)]);
    }
    return hash_word_hashes(hashes, count);
}

/* A word longer than INLINE_MAX is compared through its arena record:
 * fetch the record of each such word whose home slot holds its hash, so
 * that the tuple's records arrive together (a word probed past its home
 * is rare, and fetched when compared). The home slots should have arrived. */
static void records_fetch(const interned_table *t, const mg_token *tokens, int count, const word_key *keys)
{
    for (int k = 0; k < count; k++) {
        if (mg_token_is_marker(&tokens[k]) || (keys[k].hash & 1))
            continue;
        const intern_slot *home = &t->intern_slots[fastrange(keys[k].hash, t->intern_cap)];
        if (home->hash == keys[k].hash && home->id != 0)
            __builtin_prefetch(home->word.record);
    }
}

/* Ids of the tokens (NO_ID for a word not interned); true when all known. */
static bool ids_find(const interned_table *t, const mg_token *tokens, int count,
                     const word_key *keys, uint32_t *ids)
{
    records_fetch(t, tokens, count, keys);
    bool all_known = true;
    for (int k = 0; k < count; k++) {
        ids[k] = mg_token_is_marker(&tokens[k]) ? marker_id(&tokens[k]) : word_find(t, &keys[k]);
        all_known &= ids[k] != NO_ID;
    }
    return all_known;
}

/* Hash the tokens and fetch the gram's home slot, then find the ids. */
static bool gram_lookup(const interned_table *t, const mg_token *gram, word_key *keys, uint32_t *ids,
                        uint32_t *hash)
{
    *hash = tokens_hash(t, gram, t->base.order, keys);
    __builtin_prefetch(gram_slot(t, fastrange(*hash, t->gram_cap)));
    return ids_find(t, gram, t->base.order, keys, ids);
}

/* Room for one more gram: the table grows by 1.5x past GRAM_MAX_LOAD. */
static int gram_reserve(interned_table *t)
{
    if (!over_load(t->grams + 1, t->gram_cap, GRAM_MAX_LOAD))
        return MG_OK;
    return gram_rebuild(t, filling_class(grown(t->gram_cap), t->slot_words * sizeof(uint32_t)), 0);
}

/* Room for `words` new words of `bytes` arena bytes: word_at, intern table,
 * then the arena (last, so a failure never leaves an unused block). */
static unsigned char *words_reserve(interned_table *t, uint32_t words, size_t bytes, bool *own_block)
{
    uint64_t needed = (uint64_t)t->word_count + words;
    if (needed > t->word_cap &&
        directory_resize(t, grown(t->word_cap) > needed ? grown(t->word_cap) : needed) != MG_OK)
        return NULL;
    uint64_t interned = needed - FIRST_WORD_ID;
    if (over_load(interned, t->intern_cap, INTERN_MAX_LOAD)) {
        uint64_t capacity = grown(t->intern_cap);
        if (capacity < capacity_for(interned, INTERN_MAX_LOAD))
            capacity = capacity_for(interned, INTERN_MAX_LOAD);
        if (intern_resize(t, filling_class(capacity, sizeof(intern_slot))) != MG_OK)
            return NULL;
    }
    return arena_reserve(t, bytes, own_block);
}

/* Intern a word known to be absent, writing it at *at; room was reserved. */
static uint32_t word_intern(interned_table *t, const word_key *key, unsigned char **at)
{
    intern_slot slot = {t->word_count++, key->hash, {key->inline_word}};
    t->word_at[slot.id] = *at;
    t->word_hash[slot.id] = key->hash;
    if (!(key->hash & 1))
        slot.word.record = *at;
    *at = mg_varint_write(*at, key->len);
    memcpy(*at, key->bytes, key->len);
    *at += key->len;
    intern_place(t->intern_slots, t->intern_cap, &slot);
    return slot.id;
}

/* Intern the gram's unknown words; all room is reserved first, so a
 * failure changes nothing. */
static int words_add(interned_table *t, uint32_t *ids, const word_key *keys)
{
    uint32_t missing = 0;
    size_t bytes = 0;
    for (int k = 0; k < t->base.order; k++)
        if (ids[k] == NO_ID) {
            missing++;
            bytes += mg_varint_size(keys[k].len) + keys[k].len;
        }
    bool own_block;
    unsigned char *start = words_reserve(t, missing, bytes, &own_block);
    if (!start)
        return MG_ERR_NOMEM;
    unsigned char *at = start;
    for (int k = 0; k < t->base.order; k++) {
        if (ids[k] != NO_ID)
            continue;
        ids[k] = word_find(t, &keys[k]); /* the same new word may come twice */
        if (ids[k] == NO_ID)
            ids[k] = word_intern(t, &keys[k], &at);
    }
    arena_commit(t, (size_t)(at - start), own_block);
    return MG_OK;
}

/* add() of a gram whose keys and hash are made (and its slots fetched). */
static int add_hashed(interned_table *t, const mg_token *gram, const word_key *keys, uint32_t hash)
{
    uint32_t ids[MG_ORDER_MAX];
    bool all_known = ids_find(t, gram, t->base.order, keys, ids);
    if (all_known) {
        uint32_t *slot = gram_slot(t, gram_probe(t, ids, hash));
        if (slot_count(t, slot) != 0) {
            if (slot[t->base.order] != UINT32_MAX) /* saturate, never wrap */
                slot[t->base.order]++;
            return MG_OK;
        }
    }
    /* A new gram: all the room it needs is made before anything changes. */
    if (gram_reserve(t) != MG_OK)
        return MG_ERR_NOMEM;
    if (!all_known && words_add(t, ids, keys) != MG_OK)
        return MG_ERR_NOMEM;
    uint32_t *slot = gram_slot(t, gram_probe(t, ids, hash));
    memcpy(slot, ids, (size_t)t->base.order * sizeof(uint32_t));
    slot[t->base.order] = 1;
    t->grams++;
    if (t->indexed) /* an add after finalize: the index no longer holds */
        index_free(t);
    return MG_OK;
}

static int ih_add(mg_table *self, const mg_token *gram)
{
    interned_table *t = (interned_table *)self;
    word_key keys[MG_ORDER_MAX];
    uint32_t hash = tokens_hash(t, gram, t->base.order, keys);
    __builtin_prefetch(gram_slot(t, fastrange(hash, t->gram_cap)));
    return add_hashed(t, gram, keys, hash);
}

/* Batches go through a software pipeline of three stages, each gram
 * AHEAD grams behind the one before it: (1) hash the gram's words, fetch
 * their intern home slots and the gram's home slot; (2) the intern slots
 * have arrived: fetch the arena records of its long words; (3) the records
 * and the gram slot have arrived: find the ids and probe (add or count).
 * So each gram's misses overlap those of the 2 AHEAD grams in flight, with
 * no stop between groups; AHEAD grams of 3 words and a gram slot each are
 * about the core's outstanding misses (prefetching is only a hint: a table
 * that grows in stage 3 is probed afresh). */
enum { AHEAD = 6, RING = 16 }; /* RING > 2 AHEAD, a power of two */

typedef struct gram_state {
    word_key keys[MG_ORDER_MAX];
    uint32_t hash;
} gram_state;

typedef struct gram_pipeline {
    const interned_table *t;
    const mg_token *grams;
    size_t count;
    gram_state ring[RING];
} gram_pipeline;

static const mg_token *pipeline_gram(const gram_pipeline *line, size_t i)
{
    return line->grams + i * (size_t)line->t->base.order;
}

/* Stage 1 for gram i, if it exists. */
static void pipeline_hash(gram_pipeline *line, size_t i)
{
    if (i >= line->count)
        return;
    const interned_table *t = line->t;
    gram_state *state = &line->ring[i % RING];
    state->hash = tokens_hash(t, pipeline_gram(line, i), t->base.order, state->keys);
    __builtin_prefetch(gram_slot(t, fastrange(state->hash, t->gram_cap)));
}

/* Stage 2 for gram i, if it exists. */
static void pipeline_fetch(gram_pipeline *line, size_t i)
{
    if (i < line->count)
        records_fetch(line->t, pipeline_gram(line, i), line->t->base.order, line->ring[i % RING].keys);
}

/* The first 2 AHEAD grams through stage 1, the first AHEAD through stage 2. */
static void pipeline_start(gram_pipeline *line, const interned_table *t, const mg_token *grams, size_t count)
{
    line->t = t;
    line->grams = grams;
    line->count = count;
    for (size_t i = 0; i < 2 * AHEAD; i++) {
        pipeline_hash(line, i);
        if (i >= AHEAD)
            pipeline_fetch(line, i - AHEAD);
    }
}

/* Before gram i's stage 3: stage 1 of gram i + 2 AHEAD, stage 2 of i + AHEAD. */
static void pipeline_feed(gram_pipeline *line, size_t i)
{
    pipeline_hash(line, i + 2 * AHEAD);
    pipeline_fetch(line, i + AHEAD);
}

static int ih_add_many(mg_table *self, const mg_token *grams, size_t count, size_t *added)
{
    interned_table *t = (interned_table *)self;
    gram_pipeline line;
    pipeline_start(&line, t, grams, count);
    for (*added = 0; *added < count; ++*added) {
        pipeline_feed(&line, *added);
        const gram_state *state = &line.ring[*added % RING];
        if (add_hashed(t, pipeline_gram(&line, *added), state->keys, state->hash) != MG_OK)
            return MG_ERR_NOMEM;
    }
    return MG_OK;
}

/* ---- finalize --------------------------------------------------------- */

/*
 * The successor index is built from one 64-bit record per gram: its
 * context's hash (low bit cleared) above its slot index. Sorted by hash,
 * the records of one context are adjacent and contexts come in home order,
 * so the context table is filled front to back without probing; the low
 * bit then marks the first record of each group.
 */
static inline uint32_t record_hash(uint64_t record) { return (uint32_t)(record >> 32) & ~1u; }
static inline uint32_t record_slot(uint64_t record) { return (uint32_t)record; }
static inline bool record_starts_group(uint64_t record) { return (record >> 32) & 1; }

enum { SMALL_SORT = 32 }; /* ranges this short are insertion-sorted */

static void records_insertion_sort(uint64_t *records, size_t count)
{
    for (size_t i = 1; i < count; i++) {
        uint64_t record = records[i];
        size_t j = i;
        for (; j > 0 && record_hash(records[j - 1]) > record_hash(record); j--)
            records[j] = records[j - 1];
        records[j] = record;
    }
}

/* In-place MSD radix sort by hash (American flag sort), RADIX_BITS a level
 * from the top hash bit down to bit 1 (bit 0 is the group mark). In place,
 * so finalize needs no scratch copy: half the temporary memory, and fewer
 * freed pages left for the allocator to hold. Recursion depth <= 4. */
static void records_sort_from(uint64_t *records, size_t count, int shift)
{
    if (count <= SMALL_SORT || shift < 32) {
        records_insertion_sort(records, count);
        return;
    }
    enum { DIGITS = 1 << RADIX_BITS };
    size_t starts[DIGITS] = {0}, ends[DIGITS];
    for (size_t i = 0; i < count; i++)
        starts[(records[i] >> shift) & (DIGITS - 1)]++;
    for (size_t digit = 0, start = 0; digit < DIGITS; digit++) {
        size_t size = starts[digit];
        starts[digit] = start;
        ends[digit] = start += size;
    }
    size_t next[DIGITS];
    memcpy(next, starts, sizeof next);
    for (size_t digit = 0; digit < DIGITS; digit++)
        while (next[digit] < ends[digit]) { /* cycle each record into its bucket */
            uint64_t record = records[next[digit]];
            size_t home;
            while ((home = (record >> shift) & (DIGITS - 1)) != digit) {
                uint64_t displaced = records[next[home]];
                records[next[home]++] = record;
                record = displaced;
            }
            records[next[digit]++] = record;
        }
    for (size_t digit = 0; digit < DIGITS; digit++)
        records_sort_from(records + starts[digit], ends[digit] - starts[digit], shift - RADIX_BITS);
}

static void records_sort(uint64_t *records, size_t count)
{
    records_sort_from(records, count, 64 - RADIX_BITS);
}

/* Records a pass reads the gram slot of are fetched this far ahead, so the
 * random reads overlap. */
enum { RECORDS_AHEAD = 16 };

/* Fetch the gram slots of the records before `until` not fetched yet. */
static void records_prefetch(const interned_table *t, const uint64_t *records, size_t count, size_t until,
                             size_t *fetched)
{
    for (; *fetched < until && *fetched < count; ++*fetched)
        __builtin_prefetch(gram_slot(t, record_slot(records[*fetched])));
}

/* Mark the first record of each context; a run of equal hashes holding
 * several contexts (a collision) is partitioned first. Returns the contexts. */
static uint64_t records_group(const interned_table *t, uint64_t *records, size_t count)
{
    uint64_t contexts = 0;
    size_t fetched = 0;
    for (size_t run = 0, end; run < count; run = end) {
        records_prefetch(t, records, count, run + RECORDS_AHEAD, &fetched);
        for (end = run + 1; end < count && record_hash(records[end]) == record_hash(records[run]); end++)
            ;
        for (size_t group = run, next; group < end; group = next) {
            const uint32_t *context = gram_slot(t, record_slot(records[group]));
            for (next = group + 1; next < end; next++)
                if (!same_ids(gram_slot(t, record_slot(records[next])), context, t->base.order - 1))
                    break;
            for (size_t k = next + 1; k < end; k++)
                if (same_ids(gram_slot(t, record_slot(records[k])), context, t->base.order - 1)) {
                    uint64_t swap = records[k];
                    records[k] = records[next];
                    records[next++] = swap;
                }
            records[group] |= (uint64_t)1 << 32;
            contexts++;
        }
    }
    return contexts;
}

/* Context table position of each group: its home, or the slot after the
 * previous group's. Calls place(slot, first record) per group, in order,
 * and returns the table length (capacity and tail, one empty slot last). */
static uint32_t contexts_layout(const uint64_t *records, size_t count, uint32_t capacity,
                                uint32_t *offsets)
{
    uint64_t slot = 0; /* next slot whose offset is unwritten */
    for (size_t i = 0; i < count; i++) {
        if (!record_starts_group(records[i]))
            continue;
        uint64_t home = fastrange(record_hash(records[i]), capacity);
        uint64_t position = home > slot ? home : slot;
        if (offsets)
            while (slot <= position)
                offsets[slot++] = (uint32_t)i;
        slot = position + 1;
    }
    uint64_t length = slot + 1 > capacity ? slot + 1 : capacity;
    if (offsets)
        while (slot <= length)
            offsets[slot++] = (uint32_t)count;
    return (uint32_t)length;
}

/* A word in the sort of word_ranks: its first 8 bytes big-endian, zero
 * padded, so that keys compare as the words do wherever they differ. */
typedef struct ranked_word {
    uint64_t key;
    uint32_t id;
} ranked_word;

static uint64_t prefix_key(const mg_token *word)
{
    uint64_t key = 0;
    for (uint32_t k = 0; k < 8; k++)
        key = key << 8 | (k < word->len ? word->bytes[k] : 0);
    return key;
}

static int compare_ranked_words(const void *left, const void *right, void *table)
{
    mg_token a = token_of(table, ((const ranked_word *)left)->id);
    mg_token b = token_of(table, ((const ranked_word *)right)->id);
    return mg_token_compare(&a, &b);
}

/* LSD radix sort by key, RADIX_BITS a pass, through scratch (count words);
 * a pass whose digit is the same in every key is skipped. */
static void ranked_words_sort(ranked_word *words, ranked_word *scratch, size_t count)
{
    enum { DIGITS = 1 << RADIX_BITS };
    for (int shift = 0; shift < 64; shift += RADIX_BITS) {
        size_t starts[DIGITS] = {0};
        for (size_t i = 0; i < count; i++)
            starts[(words[i].key >> shift) & (DIGITS - 1)]++;
        if (starts[(words[0].key >> shift) & (DIGITS - 1)] == count)
            continue;
        for (size_t digit = 0, start = 0; digit < DIGITS; digit++) {
            size_t size = starts[digit];
            starts[digit] = start;
            start += size;
        }
        for (size_t i = 0; i < count; i++)
            scratch[starts[(words[i].key >> shift) & (DIGITS - 1)]++] = words[i];
        memcpy(words, scratch, count * sizeof *words);
    }
}

/* id -> its place in canonical token order (markers first); NULL when out
 * of memory. A training.scratch block of word_count entries. Words are sorted by their
 * 8-byte prefix keys; only runs of equal keys compare whole words. */
static uint32_t *word_ranks(const interned_table *t)
{
    size_t words = (size_t)t->word_count - FIRST_WORD_ID, sort_bytes = words * sizeof(ranked_word);
    uint32_t *rank = mg_alloc_in(INTERNED_TRAINING_SCRATCH, (size_t)t->word_count * sizeof(uint32_t));
    ranked_word *sorted = mg_alloc_in(INTERNED_TRAINING_SCRATCH, sort_bytes);
    ranked_word *scratch = mg_alloc_in(INTERNED_TRAINING_SCRATCH, sort_bytes);
    if (rank && sorted && scratch) {
        for (size_t i = 0; i < words; i++) {
            mg_token word = token_of(t, (uint32_t)(FIRST_WORD_ID + i));
            sorted[i] = (ranked_word){prefix_key(&word), (uint32_t)(FIRST_WORD_ID + i)};
        }
        if (words > 0)
            ranked_words_sort(sorted, scratch, words);
        for (size_t run = 0, end; run < words; run = end) {
            for (end = run + 1; end < words && sorted[end].key == sorted[run].key; end++)
                ;
            if (end - run > 1)
                qsort_r(sorted + run, end - run, sizeof *sorted, compare_ranked_words, (void *)t);
        }
        rank[START_ID] = 0;
        rank[END_ID] = 1;
        for (size_t place = 0; place < words; place++)
            rank[sorted[place].id] = (uint32_t)(FIRST_WORD_ID + place);
    } else {
        mg_free_in(INTERNED_TRAINING_SCRATCH, rank, (size_t)t->word_count * sizeof(uint32_t));
        rank = NULL;
    }
    mg_free_in(INTERNED_TRAINING_SCRATCH, scratch, sort_bytes);
    mg_free_in(INTERNED_TRAINING_SCRATCH, sorted, sort_bytes);
    return rank;
}

static int compare_records(const void *left, const void *right)
{
    uint64_t a = *(const uint64_t *)left, b = *(const uint64_t *)right;
    return (a > b) - (a < b);
}

/* Most groups are a few grams: those are insertion-sorted. */
static void records_sort_plain(uint64_t *records, size_t count)
{
    if (count > SMALL_SORT) {
        qsort(records, count, sizeof *records, compare_records);
        return;
    }
    for (size_t i = 1; i < count; i++) {
        uint64_t record = records[i];
        size_t j = i;
        for (; j > 0 && records[j - 1] > record; j--)
            records[j] = records[j - 1];
        records[j] = record;
    }
}

/* Each group's records (grouped, their hashes no longer needed) put in
 * canonical order of their last word: the rank in the high half, sorted.
 * Each record then holds its gram's count above its slot, for the running
 * totals (the slot's line has just been read). */
static void groups_in_token_order(const interned_table *t, const uint32_t *rank, uint64_t *records,
                                  size_t count)
{
    int last = t->base.order - 1;
    size_t fetched = 0;
    for (size_t group = 0, end; group < count; group = end) {
        for (end = group + 1; end < count && !record_starts_group(records[end]); end++)
            ;
        records_prefetch(t, records, count, end + RECORDS_AHEAD, &fetched);
        for (size_t i = group; i < end; i++) {
            uint32_t slot = record_slot(records[i]);
            records[i] = (uint64_t)rank[gram_slot(t, slot)[last]] << 32 | slot;
        }
        records_sort_plain(records + group, end - group);
        for (size_t i = group; i < end; i++) {
            uint32_t slot = record_slot(records[i]);
            records[i] = (uint64_t)slot_count(t, gram_slot(t, slot)) << 32 | slot;
        }
    }
}

/* Count of entry `entry` while the records hold count above slot. */
static uint64_t record_count(const void *records, uint64_t entry)
{
    return ((const uint64_t *)records)[entry] >> 32;
}

/* Count of successor index entry `entry` (mg_entry_count over the table). */
static uint64_t entry_count(const void *table, uint64_t entry)
{
    const interned_table *t = table;
    return slot_count(t, gram_slot(t, t->successor_slots[entry]));
}

/* Build the successor index of the grams now held; counts the contexts.
 * The word ranks are made first, so their sort's scratch is freed before
 * the records are allocated. */
static int index_build(interned_table *t)
{
    index_free(t);
    if (t->base.order == 1) {
        t->contexts = t->grams > 0;
        t->indexed = true;
        return MG_OK;
    }
    size_t rank_bytes = (size_t)t->word_count * sizeof(uint32_t);
    uint32_t *rank = word_ranks(t);
    if (!rank)
        return MG_ERR_NOMEM;
    size_t count = (size_t)t->grams, records_size = count * sizeof(uint64_t);
    uint64_t *records = mg_alloc_in(INTERNED_SUCCESSORS, records_size); /* becomes successor_slots */
    if (!records) {
        mg_free_in(INTERNED_TRAINING_SCRATCH, rank, rank_bytes);
        return MG_ERR_NOMEM;
    }
    for (uint32_t index = 0, i = 0; index < t->gram_cap; index++)
        if (slot_count(t, gram_slot(t, index)) != 0)
            records[i++] = (uint64_t)(hash_ids(t, gram_slot(t, index), t->base.order - 1) & ~1u) << 32 | index;
    records_sort(records, count);
    uint64_t contexts = records_group(t, records, count);
    uint64_t capacity = capacity_for(contexts, CONTEXT_LOAD);
    uint64_t length = capacity < UINT32_MAX ? contexts_layout(records, count, (uint32_t)capacity, NULL) : UINT32_MAX;
    uint32_t *offsets =
        length < UINT32_MAX ? mg_alloc_in(INTERNED_SUCCESSORS, ((size_t)length + 1) * sizeof *offsets) : NULL;
    if (!offsets) {
        mg_free_in(INTERNED_SUCCESSORS, records, records_size);
        mg_free_in(INTERNED_TRAINING_SCRATCH, rank, rank_bytes);
        return MG_ERR_NOMEM;
    }
    contexts_layout(records, count, (uint32_t)capacity, offsets);
    groups_in_token_order(t, rank, records, count);
    mg_free_in(INTERNED_TRAINING_SCRATCH, rank, rank_bytes);
    mg_running_totals_build_in(INTERNED_TOTALS, &t->totals, count, TOTALS_EVERY, record_count, records); /* optional: draws sum their group */
    /* Keep only the slot indices, packed in place at the front. */
    unsigned char *packed = (unsigned char *)records;
    for (size_t i = 0; i < count; i++) {
        uint32_t slot = record_slot(records[i]);
        memcpy(packed + i * sizeof slot, &slot, sizeof slot);
    }
    t->successor_slots = (uint32_t *)records;
    t->successor_bytes = records_size;
    uint32_t *shrunk = mg_realloc_in(INTERNED_SUCCESSORS, records, records_size, count * sizeof(uint32_t));
    if (shrunk) {
        t->successor_slots = shrunk;
        t->successor_bytes = count * sizeof(uint32_t);
    }
    t->context_offsets = offsets;
    t->context_cap = (uint32_t)capacity;
    t->context_len = (uint32_t)length;
    t->contexts = contexts;
    t->indexed = true;
    return MG_OK;
}

static int ih_finalize(mg_table *self)
{
    interned_table *t = (interned_table *)self;
    t->finalized = true;
    if (t->word_cap != t->word_count && directory_resize(t, t->word_count) != MG_OK)
        return MG_ERR_NOMEM;
    /* Tables shrink to their final load, in whole size classes. */
    uint64_t intern_cap = filling_class(capacity_for((uint64_t)t->word_count - FIRST_WORD_ID, INTERN_LOAD),
                                        sizeof(intern_slot));
    if (intern_cap < t->intern_cap && intern_resize(t, intern_cap) != MG_OK)
        return MG_ERR_NOMEM;
    uint64_t gram_cap = filling_class(capacity_for(t->grams, GRAM_LOAD), t->slot_words * sizeof(uint32_t));
    if (gram_cap < t->gram_cap && gram_rebuild(t, gram_cap, 0) != MG_OK)
        return MG_ERR_NOMEM;
    return index_build(t);
}

/* ---- lookups ---------------------------------------------------------- */

static uint64_t ih_count(mg_table *self, const mg_token *gram)
{
    interned_table *t = (interned_table *)self;
    uint32_t ids[MG_ORDER_MAX], hash;
    word_key keys[MG_ORDER_MAX];
    if (!gram_lookup(t, gram, keys, ids, &hash))
        return 0;
    return slot_count(t, gram_slot(t, gram_probe(t, ids, hash)));
}

/* Through the pipeline of ih_add_many. */
static void ih_count_many(mg_table *self, const mg_token *grams, size_t count, uint64_t *counts)
{
    interned_table *t = (interned_table *)self;
    gram_pipeline line;
    pipeline_start(&line, t, grams, count);
    for (size_t i = 0; i < count; i++) {
        pipeline_feed(&line, i);
        const gram_state *state = &line.ring[i % RING];
        uint32_t ids[MG_ORDER_MAX];
        counts[i] = ids_find(t, pipeline_gram(&line, i), t->base.order, state->keys, ids)
                        ? slot_count(t, gram_slot(t, gram_probe(t, ids, state->hash)))
                        : 0;
    }
}

static int visit_successor(const interned_table *t, const uint32_t *slot, mg_successor_visit visit,
                           void *arg)
{
    mg_token next = token_of(t, slot[t->base.order - 1]);
    return visit(arg, &next, slot_count(t, slot));
}

/* Without an index (before finalize): every slot is looked at. */
static int successors_scan(const interned_table *t, const uint32_t *context, mg_successor_visit visit,
                           void *arg)
{
    for (uint32_t index = 0; index < t->gram_cap; index++) {
        const uint32_t *slot = gram_slot(t, index);
        if (slot_count(t, slot) != 0 && same_ids(slot, context, t->base.order - 1)) {
            int stop = visit_successor(t, slot, visit, arg);
            if (stop)
                return stop;
        }
    }
    return 0;
}

/* The context's group in the index, [*first, *end); false when absent.
 * Probes the context table from the home; an empty group ends the probe. */
static bool context_group(const interned_table *t, const uint32_t *context, uint32_t hash, uint32_t *first,
                          uint32_t *end)
{
    const uint32_t *offsets = t->context_offsets;
    for (uint32_t entry = fastrange(hash & ~1u, t->context_cap);
         offsets[entry] != offsets[entry + 1]; entry++) {
        if (!same_ids(gram_slot(t, t->successor_slots[offsets[entry]]), context, t->base.order - 1))
            continue;
        *first = offsets[entry];
        *end = offsets[entry + 1];
        return true;
    }
    return false;
}

static int successors_indexed(const interned_table *t, const uint32_t *context, uint32_t hash,
                              mg_successor_visit visit, void *arg)
{
    uint32_t first, end;
    if (!context_group(t, context, hash, &first, &end))
        return 0;
    for (uint32_t at = first; at < end; at++) {
        int stop = visit_successor(t, gram_slot(t, t->successor_slots[at]), visit, arg);
        if (stop)
            return stop;
    }
    return 0;
}

/* From the index, whose groups are in canonical order (the start marker
 * first). Order 1 keeps no index, and a table whose index could not be
 * rebuilt after a prune keeps none: the generator walks. */
static int ih_sample_successor(mg_table *self, const mg_token *context, uint64_t draw, mg_token *next)
{
    interned_table *t = (interned_table *)self;
    int last = t->base.order - 1;
    if (!t->indexed || last == 0)
        return MG_SAMPLE_WALK;
    uint32_t ids[MG_ORDER_MAX], first, end;
    word_key keys[MG_ORDER_MAX];
    uint32_t hash = tokens_hash(t, context, last, keys);
    if (!ids_find(t, context, last, keys, ids) || !context_group(t, ids, hash, &first, &end))
        return 0;
    first += gram_slot(t, t->successor_slots[first])[last] == START_ID;
    uint64_t chosen;
    if (!mg_running_totals_draw(&t->totals, first, end, draw, entry_count, t, &chosen))
        return 0;
    *next = token_of(t, gram_slot(t, t->successor_slots[chosen])[last]);
    return 1;
}

static int ih_successors(mg_table *self, const mg_token *context, mg_successor_visit visit, void *arg)
{
    interned_table *t = (interned_table *)self;
    uint32_t ids[MG_ORDER_MAX];
    word_key keys[MG_ORDER_MAX];
    uint32_t hash = tokens_hash(t, context, t->base.order - 1, keys);
    if (!ids_find(t, context, t->base.order - 1, keys, ids))
        return 0;
    if (t->indexed && t->base.order > 1)
        return successors_indexed(t, ids, hash, visit, arg);
    return successors_scan(t, ids, visit, arg);
}

static int ih_foreach(mg_table *self, mg_gram_visit visit, void *arg)
{
    interned_table *t = (interned_table *)self;
    mg_token gram[MG_ORDER_MAX];
    for (uint32_t index = 0; index < t->gram_cap; index++) {
        const uint32_t *slot = gram_slot(t, index);
        if (slot_count(t, slot) == 0)
            continue;
        for (int k = 0; k < t->base.order; k++)
            gram[k] = token_of(t, slot[k]);
        int stop = visit(arg, gram, slot_count(t, slot));
        if (stop)
            return stop;
    }
    return 0;
}

static void ih_sizes(mg_table *self, uint64_t *ngrams, uint64_t *contexts)
{
    const interned_table *t = (const interned_table *)self;
    *ngrams = t->grams;
    *contexts = t->contexts;
}

/* ---- prune ------------------------------------------------------------ */

/* Contexts keeping a gram, read off the old index, so that they are known
 * even if the new index cannot be built. */
static uint64_t contexts_surviving(const interned_table *t, uint64_t min_count)
{
    uint64_t contexts = 0;
    for (uint32_t entry = 0; entry < t->context_len; entry++)
        for (uint32_t at = t->context_offsets[entry]; at < t->context_offsets[entry + 1]; at++)
            if (slot_count(t, gram_slot(t, t->successor_slots[at])) >= min_count) {
                contexts++;
                break;
            }
    return contexts;
}

/* Drop grams below min_count without allocating: starting after an empty
 * slot, every gram is taken out and, if kept, put back from its home. Each
 * lands at or before its old place and no probe run is cut. */
static void gram_filter_in_place(interned_table *t, uint64_t min_count)
{
    uint32_t empty = 0;
    while (slot_count(t, gram_slot(t, empty)) != 0)
        empty++;
    uint32_t kept[MG_ORDER_MAX + 1];
    uint64_t grams = 0;
    for (uint64_t step = 1; step <= t->gram_cap; step++) {
        uint32_t *slot = gram_slot(t, (uint32_t)((empty + step) % t->gram_cap));
        if (slot_count(t, slot) == 0)
            continue;
        memcpy(kept, slot, t->slot_words * sizeof(uint32_t));
        slot[t->base.order] = 0;
        if (kept[t->base.order] >= min_count) {
            gram_place(t, t->gram_slots, t->gram_cap, kept);
            grams++;
        }
    }
    t->grams = grams;
}

/* Words stay interned: a word whose grams are all dropped keeps its id. */
static uint64_t ih_prune(mg_table *self, uint64_t min_count)
{
    interned_table *t = (interned_table *)self;
    uint64_t survivors = 0;
    for (uint32_t index = 0; index < t->gram_cap; index++) {
        uint32_t count = slot_count(t, gram_slot(t, index));
        survivors += count != 0 && count >= min_count;
    }
    uint64_t dropped = t->grams - survivors;
    if (dropped == 0)
        return 0;
    if (t->indexed && t->base.order > 1)
        t->contexts = contexts_surviving(t, min_count);
    index_free(t);
    /* Shrink by rebuilding when that frees memory; in place otherwise or
     * when the new table cannot be had. */
    uint64_t capacity = filling_class(capacity_for(survivors, GRAM_LOAD), t->slot_words * sizeof(uint32_t));
    if (capacity >= t->gram_cap || gram_rebuild(t, capacity, min_count) != MG_OK)
        gram_filter_in_place(t, min_count);
    if (t->base.order == 1)
        t->contexts = t->grams > 0;
    if (t->finalized)
        index_build(t); /* on failure successors fall back to a scan */
    return dropped;
}

/* ---- destroy ---------------------------------------------------------- */

static void ih_destroy(mg_table *self)
{
    interned_table *t = (interned_table *)self;
    if (!t)
        return;
    index_free(t);
    mg_free_in(INTERNED_GRAMS, t->gram_slots, (size_t)t->gram_cap * t->slot_words * sizeof(uint32_t));
    mg_free_in(INTERNED_VOCAB_INDEX, t->intern_slots, (size_t)t->intern_cap * sizeof *t->intern_slots);
    mg_free_in(INTERNED_VOCAB_DIRECTORY, t->word_at, (size_t)t->word_cap * DIRECTORY_ENTRY);
    for (arena_block *block = t->arena_blocks, *next; block; block = next) {
        next = block->next;
        mg_free_in(INTERNED_VOCAB_WORDS, block, sizeof(arena_block) + block->size);
    }
    mg_free_in(INTERNED_TABLE, t, sizeof *t);
}

/* ---- estimate --------------------------------------------------------- */

/* Bytes of arena blocks holding `bytes` of word records: chunks of 4 KiB
 * doubling to 1 MiB (arena_reserve), each with its header, the last one
 * whole (its free tail is requested too). */
static double arena_bytes_for(double bytes)
{
    double held = 0.0, blocks = 0.0;
    while (held < bytes) {
        double chunk = held < ARENA_CHUNK_MIN ? ARENA_CHUNK_MIN : held > ARENA_CHUNK_MAX ? ARENA_CHUNK_MAX : held;
        held += chunk;
        blocks += sizeof(arena_block) + chunk;
    }
    return blocks;
}

/* The formula at the top of the file, part by part: the tables' sizes after
 * finalize follow from the counts (each is rebuilt at its load, filling its
 * size class); the arena's last chunk and the totals' bits are estimates. */
static void ih_estimate_parts(const mg_table_shape *shape, double *bytes_per_ngram)
{
    for (int part = 0; part < INTERNED_PART_COUNT; part++)
        bytes_per_ngram[part] = 0.0;
    if (shape->ngrams == 0)
        return;
    double ngrams = (double)shape->ngrams, words = (double)shape->vocab;
    size_t slot_bytes = ((size_t)shape->order + 1) * sizeof(uint32_t);
    bytes_per_ngram[INTERNED_TABLE - 1] = sizeof(interned_table) / ngrams;
    /* each word's record: a one-byte length (words under 128 bytes), then its bytes */
    bytes_per_ngram[INTERNED_VOCAB_WORDS - 1] = arena_bytes_for((double)shape->vocab_bytes + words) / ngrams;
    bytes_per_ngram[INTERNED_VOCAB_DIRECTORY - 1] = (words + FIRST_WORD_ID) * DIRECTORY_ENTRY / ngrams;
    bytes_per_ngram[INTERNED_VOCAB_INDEX - 1] =
        (double)filling_class(capacity_for(shape->vocab, INTERN_LOAD), sizeof(intern_slot)) *
        sizeof(intern_slot) / ngrams;
    bytes_per_ngram[INTERNED_GRAMS - 1] =
        (double)filling_class(capacity_for(shape->ngrams, GRAM_LOAD), slot_bytes) * (double)slot_bytes / ngrams;
    if (shape->order == 1) /* no index */
        return;
    /* a slot index a gram; a group start a context slot, the probe tail's few left out */
    bytes_per_ngram[INTERNED_SUCCESSORS - 1] =
        sizeof(uint32_t) * (ngrams + (double)capacity_for(shape->contexts, CONTEXT_LOAD) + 1) / ngrams;
    /* the index's counts sum to ~1.6 a gram */
    bytes_per_ngram[INTERNED_TOTALS - 1] = mg_running_totals_bits(ngrams, TOTALS_EVERY, 1.6 * ngrams) / 8.0 / ngrams;
}

/* ---- ops table -------------------------------------------------------- */

const mg_backend mg_backend_interned_hash = {
    .version = MG_BACKEND_VERSION,
    .name = "interned_hash",
    .summary = "interned word ids, id tuples in one open-addressing table (linear probing, xxh3)",
    .layout_version = 3, /* 3: the estimate part by part */
    .create = ih_create,
    .add = ih_add,
    .finalize = ih_finalize,
    .count = ih_count,
    .successors = ih_successors,
    .foreach = ih_foreach,
    .sizes = ih_sizes,
    .prune = ih_prune,
    .destroy = ih_destroy,
    .sample_successor = ih_sample_successor,
    .add_many = ih_add_many,
    .count_many = ih_count_many,
    .parts = interned_parts,
    .part_count = INTERNED_PART_COUNT,
    .estimate_parts = ih_estimate_parts,
};
