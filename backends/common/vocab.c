/*
 * vocab.c — the shared vocabulary: the training-time interner and the frozen
 * front-coded dictionary (layouts drawn in vocab.h).
 */
#include "vocab.h"

#include "mem.h"
#include "common/grow.h"
#include "common/varint.h"

#include <stdbool.h>
#include <string.h>

#include <xxhash.h>

enum {
    MIN_CAPACITY_BITS = 4,
    MIN_CAPACITY = 1 << MIN_CAPACITY_BITS,
    INTERN_MAX_LOAD = 80, /* percent: the slot table grows past it */
    SORT_SMALL = 12, /* ranges this short are insertion sorted */
};

/* The most interner slots: 2^31 of 4 bytes, ids of 31 bits (a fingerprint
 * of 1 bit is left at that size). */
#define SLOT_CAP_MAX (UINT32_C(1) << 31)

static mg_token marker_token(uint32_t id)
{
    mg_token token = {NULL, id == MG_VOCAB_START_ID ? MG_MARK_START : MG_MARK_END};
    return token;
}

/* ---- interner ----------------------------------------------------------- */

/* The words' records (varint length, bytes) lie in one space of uint32
 * offsets cut into chunks that never move (a token's bytes stay where they
 * are): ARENA_SMALL_CHUNKS small ones of ARENA_CHUNK_MIN, ARENA_CHUNK_MIN,
 * 2 ARENA_CHUNK_MIN, ... up to MG_GROW_SMALL in all, then huge ones of
 * MG_GROW_HUGE (common/grow.h), whose pages are resident only once written
 * and go back to the kernel when freed. A chunk's offset range follows from
 * its number alone, so an offset is resolved with no search. A record never
 * crosses a chunk's end: a record too long for the next chunk skips the
 * small ones too short for it, or takes a run of huge ones (one block). */
enum {
    ARENA_CHUNK_MIN_BITS = 12,
    ARENA_CHUNK_MIN = 1 << ARENA_CHUNK_MIN_BITS,
    ARENA_SMALL_CHUNKS = 7, /* ARENA_CHUNK_MIN << (ARENA_SMALL_CHUNKS - 1) == MG_GROW_SMALL */
    ARENA_HUGE_BITS = 23,   /* MG_GROW_HUGE == 1 << ARENA_HUGE_BITS */
    /* huge chunks that fit below 4 GiB after the small ones */
    ARENA_CHUNKS = ARENA_SMALL_CHUNKS + (int)((UINT32_MAX - MG_GROW_SMALL) >> ARENA_HUGE_BITS),
};

_Static_assert(ARENA_CHUNK_MIN << (ARENA_SMALL_CHUNKS - 1) == MG_GROW_SMALL, "small chunks end at MG_GROW_SMALL");
_Static_assert(1 << ARENA_HUGE_BITS == MG_GROW_HUGE, "huge chunks are MG_GROW_HUGE");

struct mg_interner {
    int part;              /* mem.h's tag of every block the interner holds */
    uint32_t *word_offset; /* id -> offset of its record; unused for the markers */
    uint32_t count, word_cap;
    uint32_t *slots;     /* | fingerprint | id |, 0: empty (ids 0 and 1 never in a slot) */
    uint32_t slot_cap;   /* slots in use: 2^k or 1.5 * 2^k */
    uint32_t slot_room;  /* slots the block holds (common/grow.h), >= slot_cap */
    uint32_t id_bits;    /* ceil(log2(slot_cap)): the id's width; the fingerprint is above it */
    uint32_t chunks_used;    /* chunks [0, chunks_used) are allocated or skipped (NULL) */
    uint64_t arena_end;      /* offset of the next record */
    uint64_t arena_limit;    /* end of the chunk (or run) being filled */
    size_t arena_held;       /* bytes of the chunks' blocks */
    unsigned char *chunk[ARENA_CHUNKS];     /* a run's later chunks point into its block */
    uint16_t chunk_run[ARENA_CHUNKS];       /* chunks in the run a block starts, 0 elsewhere */
};

static uint64_t chunk_start(uint32_t k)
{
    if (k < ARENA_SMALL_CHUNKS)
        return k ? (uint64_t)ARENA_CHUNK_MIN << (k - 1) : 0;
    return MG_GROW_SMALL + ((uint64_t)(k - ARENA_SMALL_CHUNKS) << ARENA_HUGE_BITS);
}

static uint64_t chunk_size(uint32_t k)
{
    return k < ARENA_SMALL_CHUNKS ? (uint64_t)ARENA_CHUNK_MIN << (k ? k - 1 : 0) : MG_GROW_HUGE;
}

static inline uint32_t chunk_of(uint32_t offset)
{
    if (offset >= MG_GROW_SMALL)
        return ARENA_SMALL_CHUNKS + ((offset - MG_GROW_SMALL) >> ARENA_HUGE_BITS);
    if (offset < ARENA_CHUNK_MIN)
        return 0;
    return (31u - (unsigned)__builtin_clz(offset)) - (ARENA_CHUNK_MIN_BITS - 1);
}

static inline const unsigned char *record_at(const mg_interner *interner, uint32_t offset)
{
    uint32_t k = chunk_of(offset);
    return interner->chunk[k] + (offset - chunk_start(k));
}

static uint64_t hash_word(const mg_token *token) { return XXH3_64bits(token->bytes, token->len); }

/* The first slot of a hash, from its high half. */
static inline uint32_t home_slot(const mg_interner *interner, uint64_t hash)
{
    return (uint32_t)(((hash >> 32) * interner->slot_cap) >> 32);
}

/* The hash's bits a slot keeps above the id: taken from its low half, so
 * they are independent of the home slot. */
static inline uint32_t fingerprint(const mg_interner *interner, uint64_t hash)
{
    return (uint32_t)hash & ~((UINT32_C(1) << interner->id_bits) - 1);
}

static inline uint32_t slot_id(const mg_interner *interner, uint32_t slot)
{
    return slot & ((UINT32_C(1) << interner->id_bits) - 1);
}

static inline uint32_t next_slot(const mg_interner *interner, uint32_t index)
{
    return ++index == interner->slot_cap ? 0 : index;
}

static mg_token record_token(const unsigned char *record)
{
    mg_token token;
    token.bytes = mg_varint_read32(record, &token.len);
    return token;
}

static inline mg_token word_token(const mg_interner *interner, uint32_t id)
{
    return record_token(record_at(interner, interner->word_offset[id]));
}

mg_token mg_interner_token(const mg_interner *interner, uint32_t id)
{
    if (id < MG_VOCAB_FIRST_WORD_ID)
        return marker_token(id);
    return word_token(interner, id);
}

uint32_t mg_interner_count(const mg_interner *interner) { return interner->count; }

size_t mg_interner_bytes(const mg_interner *interner)
{
    return sizeof *interner + interner->arena_held + (size_t)interner->word_cap * sizeof *interner->word_offset +
           (size_t)interner->slot_room * sizeof *interner->slots;
}

mg_interner *mg_interner_create(int part)
{
    mg_interner *interner = mg_calloc_in(part, 1, sizeof *interner);
    if (!interner)
        return NULL;
    interner->part = part;
    interner->slots = mg_calloc_in(part, MIN_CAPACITY, sizeof *interner->slots);
    interner->word_offset = mg_calloc_in(part, MIN_CAPACITY, sizeof *interner->word_offset);
    interner->slot_cap = interner->slot_room = interner->slots ? MIN_CAPACITY : 0;
    interner->id_bits = MIN_CAPACITY_BITS;
    interner->word_cap = interner->word_offset ? MIN_CAPACITY : 0;
    if (!interner->slots || !interner->word_offset) {
        mg_interner_destroy(interner);
        return NULL;
    }
    interner->count = MG_VOCAB_FIRST_WORD_ID;
    return interner;
}

void mg_interner_destroy(mg_interner *interner)
{
    if (!interner)
        return;
    for (uint32_t k = 0; k < interner->chunks_used; k++)
        if (interner->chunk_run[k])
            mg_free_in(interner->part, interner->chunk[k], (size_t)(chunk_size(k) * interner->chunk_run[k]));
    mg_free_in(interner->part, interner->word_offset, (size_t)interner->word_cap * sizeof *interner->word_offset);
    mg_free_in(interner->part, interner->slots, (size_t)interner->slot_room * sizeof *interner->slots);
    mg_free_in(interner->part, interner, sizeof *interner);
}

void mg_interner_drop_index(mg_interner *interner)
{
    mg_free_in(interner->part, interner->slots, (size_t)interner->slot_room * sizeof *interner->slots);
    interner->slots = NULL;
    interner->slot_cap = interner->slot_room = 0;
}

/* Index of the slot holding the word, or of the empty slot where it belongs. */
static uint32_t slot_probe(const mg_interner *interner, const mg_token *token, uint64_t hash)
{
    uint32_t id_mask = (UINT32_C(1) << interner->id_bits) - 1, index = home_slot(interner, hash);
    uint32_t mark = fingerprint(interner, hash);
    for (;; index = next_slot(interner, index)) {
        uint32_t slot = interner->slots[index];
        if (slot == 0)
            return index;
        if ((slot & ~id_mask) == mark) {
            mg_token held = word_token(interner, slot & id_mask);
            if (held.len == token->len && memcmp(held.bytes, token->bytes, held.len) == 0)
                return index;
        }
    }
}

uint32_t mg_interner_find(const mg_interner *interner, const mg_token *token)
{
    if (mg_token_is_marker(token))
        return token->len == MG_MARK_START ? MG_VOCAB_START_ID : MG_VOCAB_END_ID;
    uint32_t slot = interner->slots[slot_probe(interner, token, hash_word(token))];
    return slot == 0 ? MG_VOCAB_NO_ID : slot_id(interner, slot);
}

/* Puts every word in the (zeroed) slots again, hashing it anew: the slots
 * keep no hash, and the words are read in id order, so the arena is read
 * front to back. */
static void slots_refill(mg_interner *interner)
{
    for (uint32_t id = MG_VOCAB_FIRST_WORD_ID; id < interner->count; id++) {
        mg_token word = word_token(interner, id);
        uint64_t hash = hash_word(&word);
        uint32_t index = home_slot(interner, hash);
        while (interner->slots[index] != 0)
            index = next_slot(interner, index);
        interner->slots[index] = fingerprint(interner, hash) | id;
    }
}

/* Grows the slots in use: small ones double (the allocator keeps the
 * arrays outgrown resident, and doubling leaves the fewest), big ones grow
 * in steps of 1.5 and 4/3 (2^k -> 1.5 * 2^k -> 2^(k+1)), so they stay
 * 53-80% full where doubling would leave them 40%. The block is sized by
 * common/grow.h: between MG_GROW_SMALL and MG_GROW_HUGE it is a huge block
 * of which only the slots in use are ever written (the rest costs address
 * space, not RSS), so the next steps refill it in place, and freeing it
 * returns its pages at once. On failure the interner is as it was. */
static int slots_grow(mg_interner *interner)
{
    if (interner->slot_cap >= SLOT_CAP_MAX)
        return MG_ERR_NOMEM;
    uint32_t cap = interner->slot_cap;
    uint32_t capacity = (size_t)cap * 2 * sizeof *interner->slots <= MG_GROW_SMALL ? cap * 2
                        : (cap & (cap - 1)) == 0                                ? cap + cap / 2
                                                                                : cap / 3 * 4;
    if (capacity <= interner->slot_room) {
        memset(interner->slots, 0, (size_t)interner->slot_cap * sizeof *interner->slots);
    } else {
        size_t room = mg_grow_bytes((size_t)capacity * sizeof *interner->slots) / sizeof *interner->slots;
        uint32_t *slots = mg_calloc_in(interner->part, room, sizeof *slots);
        if (!slots)
            return MG_ERR_NOMEM;
        mg_free_in(interner->part, interner->slots, (size_t)interner->slot_room * sizeof *slots);
        interner->slots = slots;
        interner->slot_room = (uint32_t)room;
    }
    interner->slot_cap = capacity;
    interner->id_bits = 32u - (unsigned)__builtin_clz(capacity - 1);
    slots_refill(interner);
    return MG_OK;
}

/* word_offset doubles (or grows to a huge block: common/grow.h), so the
 * small arrays it outgrows, left resident by the allocator, add up to no
 * more than the last one; on failure the old array stays. */
static int directory_grow(mg_interner *interner)
{
    size_t entry = sizeof *interner->word_offset;
    uint64_t capacity = mg_grow_bytes((size_t)interner->word_cap * 2 * entry) / entry;
    if (capacity >= UINT32_MAX)
        capacity = UINT32_MAX;
    uint32_t *grown =
        mg_realloc_in(interner->part, interner->word_offset, (size_t)interner->word_cap * entry, (size_t)capacity * entry);
    if (!grown)
        return MG_ERR_NOMEM;
    interner->word_offset = grown;
    interner->word_cap = (uint32_t)capacity;
    return MG_OK;
}

/* Makes the chunk (or run of huge chunks) after the last one hold `need`
 * bytes, skipping small chunks too short for them, and moves the arena's
 * end to its start. MG_ERR_NOMEM (nothing changed) when out of memory or
 * past the offsets' 4 GiB. */
static int arena_next_chunk(mg_interner *interner, uint64_t need)
{
    uint32_t k = interner->chunks_used;
    while (k < ARENA_SMALL_CHUNKS && chunk_size(k) < need)
        k++;
    uint64_t run = (need + chunk_size(k) - 1) / chunk_size(k);
    if (k + run > ARENA_CHUNKS)
        return MG_ERR_NOMEM;
    size_t bytes = (size_t)(chunk_size(k) * run);
    unsigned char *block = mg_alloc_in(interner->part, bytes);
    if (!block)
        return MG_ERR_NOMEM;
    for (uint32_t later = 0; later < run; later++)
        interner->chunk[k + later] = block + later * chunk_size(k);
    interner->chunk_run[k] = (uint16_t)run;
    interner->chunks_used = k + (uint32_t)run;
    interner->arena_held += bytes;
    interner->arena_end = chunk_start(k);
    interner->arena_limit = chunk_start(k) + bytes; /* the last chunk's tail is given up */
    return MG_OK;
}

int mg_interner_intern(mg_interner *interner, const mg_token *token, uint32_t *id)
{
    if (mg_token_is_marker(token)) {
        *id = token->len == MG_MARK_START ? MG_VOCAB_START_ID : MG_VOCAB_END_ID;
        return MG_OK;
    }
    uint64_t hash = hash_word(token);
    uint32_t index = slot_probe(interner, token, hash);
    if (interner->slots[index] != 0) {
        *id = slot_id(interner, interner->slots[index]);
        return MG_OK;
    }
    /* Room first (each step keeps the interner whole), then the word. */
    if ((uint64_t)(interner->count + 1) * 100 > (uint64_t)interner->slot_cap * INTERN_MAX_LOAD) {
        if (slots_grow(interner) != MG_OK)
            return MG_ERR_NOMEM;
        index = slot_probe(interner, token, hash);
    }
    if (interner->count == interner->word_cap && directory_grow(interner) != MG_OK)
        return MG_ERR_NOMEM;
    uint64_t need = (uint64_t)mg_varint_size(token->len) + token->len;
    if (interner->arena_end + need > interner->arena_limit && arena_next_chunk(interner, need) != MG_OK)
        return MG_ERR_NOMEM;
    uint32_t offset = (uint32_t)interner->arena_end;
    unsigned char *record = (unsigned char *)record_at(interner, offset);
    memcpy(mg_varint_write(record, token->len), token->bytes, token->len);
    interner->arena_end += need;
    *id = interner->count++;
    interner->word_offset[*id] = offset;
    interner->slots[index] = fingerprint(interner, hash) | *id;
    return MG_OK;
}

/* ---- sorting ids by token ----------------------------------------------- */

static int compare_ids(const mg_interner *interner, uint32_t a, uint32_t b)
{
    mg_token ta = mg_interner_token(interner, a), tb = mg_interner_token(interner, b);
    return mg_token_compare(&ta, &tb);
}

static void swap_ids(uint32_t *a, uint32_t *b)
{
    uint32_t held = *a;
    *a = *b;
    *b = held;
}

/* Quicksort (median of three, recursion on the smaller side, so the stack
 * stays O(log n)); ids are distinct words, so no two compare equal. No
 * allocation, unlike some qsort implementations. */
static void sort_ids(const mg_interner *interner, uint32_t *ids, size_t count)
{
    while (count > SORT_SMALL) {
        size_t mid = count / 2, last = count - 1;
        if (compare_ids(interner, ids[mid], ids[0]) < 0)
            swap_ids(&ids[mid], &ids[0]);
        if (compare_ids(interner, ids[last], ids[mid]) < 0) {
            swap_ids(&ids[last], &ids[mid]);
            if (compare_ids(interner, ids[mid], ids[0]) < 0)
                swap_ids(&ids[mid], &ids[0]);
        }
        uint32_t pivot = ids[mid];
        size_t low = 0, high = last;
        for (;;) {
            while (compare_ids(interner, ids[low], pivot) < 0)
                low++;
            while (compare_ids(interner, pivot, ids[high]) < 0)
                high--;
            if (low >= high)
                break;
            swap_ids(&ids[low++], &ids[high--]);
        }
        size_t left = high + 1; /* [0, left) <= pivot <= [left, count) */
        if (left < count - left) {
            sort_ids(interner, ids, left);
            ids += left;
            count -= left;
        } else {
            sort_ids(interner, ids + left, count - left);
            count = left;
        }
    }
    for (size_t k = 1; k < count; k++) {
        uint32_t held = ids[k];
        size_t at = k;
        for (; at > 0 && compare_ids(interner, held, ids[at - 1]) < 0; at--)
            ids[at] = ids[at - 1];
        ids[at] = held;
    }
}

/* ---- dictionary --------------------------------------------------------- */

/* Maps a hash onto [0, range) without a modulo. */
static inline uint32_t fastrange(uint32_t hash, uint32_t range)
{
    return (uint32_t)(((uint64_t)hash * range) >> 32);
}

/* A bucket's head key (its first 4 bytes, big-endian, zero-padded) and where
 * it starts in data. Keys order as the heads do, ties aside, so find's
 * binary search compares integers in one array and reads a head only
 * among the buckets whose key equals the token's. */
typedef struct dict_bucket {
    uint32_t key;
    uint32_t offset;
} dict_bucket;

struct mg_vocab_dict {
    unsigned char *data;
    size_t data_size;
    dict_bucket *bucket; /* buckets + 1: the last one holds only the end offset */
    uint32_t buckets;
    uint32_t count; /* ids, markers included */
    /* optional hash index: slot = id | fingerprint << id_bits, 0 = empty */
    uint32_t *index_slots;
    uint32_t index_cap;
    uint8_t id_bits;
    /* The tags of its blocks (data: words; buckets, index, struct: index),
     * in bytes beside id_bits: a frozen image leaves this struct on the
     * heap, and it stays 48 bytes. */
    uint8_t words_part, index_part;
};

_Static_assert(MG_PARTS_MAX <= UINT8_MAX + 1, "a tag fits a byte");

static uint32_t common_prefix(const mg_token *a, const mg_token *b)
{
    uint32_t shorter = a->len < b->len ? a->len : b->len, shared = 0;
    while (shared < shorter && a->bytes[shared] == b->bytes[shared])
        shared++;
    return shared;
}

/* An entry's header: one byte shared << 4 | suffix when shared <= 14 and
 * suffix <= 15 (most words of a sorted vocabulary), else HEADER_ESCAPE and
 * two varints (shared, suffix). */
enum { HEADER_ESCAPE = 0xF0, HEADER_NIBBLE_MAX = 15 };

static bool header_is_short(uint32_t shared, uint32_t suffix)
{
    return shared < HEADER_NIBBLE_MAX && suffix <= HEADER_NIBBLE_MAX;
}

static size_t header_size(uint32_t shared, uint32_t suffix)
{
    return header_is_short(shared, suffix) ? 1 : 1 + mg_varint_size(shared) + mg_varint_size(suffix);
}

static unsigned char *header_write(unsigned char *at, uint32_t shared, uint32_t suffix)
{
    if (header_is_short(shared, suffix)) {
        *at = (unsigned char)(shared << 4 | suffix);
        return at + 1;
    }
    *at++ = HEADER_ESCAPE;
    return mg_varint_write(mg_varint_write(at, shared), suffix);
}

static inline const unsigned char *header_read(const unsigned char *at, uint32_t *shared, uint32_t *suffix)
{
    if (*at < HEADER_ESCAPE) {
        *shared = *at >> 4;
        *suffix = *at & HEADER_NIBBLE_MAX;
        return at + 1;
    }
    return mg_varint_read32(mg_varint_read32(at + 1, shared), suffix);
}

/* Bytes shared with the previous word: 0 for a bucket head and for words
 * stored whole (longer than MG_VOCAB_FRONT_MAX). */
static uint32_t front_shared(size_t rank, const mg_token *previous, const mg_token *word)
{
    if (rank % MG_VOCAB_BUCKET == 0 || word->len > MG_VOCAB_FRONT_MAX)
        return 0;
    return common_prefix(previous, word);
}

/* The size of the front-coded data of the sorted words. */
static size_t dict_data_size(const mg_interner *interner, const uint32_t *sorted, size_t words)
{
    size_t size = 0;
    mg_token previous = {NULL, 0};
    for (size_t rank = 0; rank < words; rank++) {
        mg_token word = mg_interner_token(interner, sorted[rank]);
        uint32_t shared = front_shared(rank, &previous, &word);
        size += header_size(shared, word.len - shared) + (word.len - shared);
        previous = word;
    }
    return size;
}

/* The first 4 bytes of a word as a big-endian integer, zero-padded. */
static uint32_t word_key(const mg_token *word)
{
    uint32_t key = 0;
    for (uint32_t k = 0; k < 4; k++)
        key = key << 8 | (k < word->len ? word->bytes[k] : 0u);
    return key;
}

static void dict_write(mg_vocab_dict *dict, const mg_interner *interner, const uint32_t *sorted, size_t words)
{
    unsigned char *at = dict->data;
    mg_token previous = {NULL, 0};
    for (size_t rank = 0; rank < words; rank++) {
        mg_token word = mg_interner_token(interner, sorted[rank]);
        if (rank % MG_VOCAB_BUCKET == 0)
            dict->bucket[rank / MG_VOCAB_BUCKET] = (dict_bucket){word_key(&word), (uint32_t)(at - dict->data)};
        uint32_t shared = front_shared(rank, &previous, &word);
        at = header_write(at, shared, word.len - shared);
        memcpy(at, word.bytes + shared, word.len - shared);
        at += word.len - shared;
        previous = word;
    }
    dict->bucket[dict->buckets] = (dict_bucket){UINT32_MAX, (uint32_t)(at - dict->data)};
}

void mg_vocab_dict_destroy(mg_vocab_dict *dict)
{
    if (!dict)
        return;
    mg_free_in(dict->words_part, dict->data, dict->data_size);
    mg_free_in(dict->index_part, dict->bucket, ((size_t)dict->buckets + 1) * sizeof *dict->bucket);
    mg_free_in(dict->index_part, dict->index_slots, (size_t)dict->index_cap * sizeof *dict->index_slots);
    mg_free_in(dict->index_part, dict, sizeof *dict);
}

/* The freeze's scratch arrays (sorted ids, the remap) are sized by
 * common/grow.h: past MG_GROW_SMALL they are huge blocks, whose pages leave
 * with them instead of staying dirty beside the dictionary. */
static size_t scratch_bytes(size_t ids) { return mg_grow_bytes(ids * sizeof(uint32_t)); }

void mg_vocab_remap_free(int part, uint32_t *remap, uint32_t count) { mg_free_in(part, remap, scratch_bytes(count)); }

/* An empty dictionary with room for the data and the bucket index; NULL
 * when out of memory, or when the data would pass the 4 GiB that bucket
 * offsets reach. */
static mg_vocab_dict *dict_new(const mg_vocab_parts *parts, uint32_t count, size_t data_size)
{
    if (data_size > UINT32_MAX)
        return NULL;
    mg_vocab_dict *dict = mg_calloc_in(parts->index, 1, sizeof *dict);
    if (!dict)
        return NULL;
    dict->words_part = (uint8_t)parts->words;
    dict->index_part = (uint8_t)parts->index;
    size_t words = count - MG_VOCAB_FIRST_WORD_ID;
    dict->count = count;
    dict->buckets = (uint32_t)((words + MG_VOCAB_BUCKET - 1) / MG_VOCAB_BUCKET);
    dict->data_size = data_size > 0 ? data_size : 1;
    dict->data = mg_alloc_in(parts->words, dict->data_size);
    dict->bucket = mg_alloc_in(parts->index, ((size_t)dict->buckets + 1) * sizeof *dict->bucket);
    if (!dict->data || !dict->bucket) {
        mg_vocab_dict_destroy(dict);
        return NULL;
    }
    return dict;
}

int mg_vocab_dict_freeze(const mg_interner *interner, const mg_vocab_parts *parts, mg_vocab_dict **dict,
                         uint32_t **remap)
{
    uint32_t count = interner->count;
    size_t words = count - MG_VOCAB_FIRST_WORD_ID;
    uint32_t *sorted = mg_alloc_in(parts->scratch, scratch_bytes(words));
    uint32_t *ids = mg_alloc_in(parts->scratch, scratch_bytes(count));
    if (!sorted || !ids) {
        mg_free_in(parts->scratch, sorted, scratch_bytes(words));
        mg_vocab_remap_free(parts->scratch, ids, count);
        return MG_ERR_NOMEM;
    }
    for (size_t rank = 0; rank < words; rank++)
        sorted[rank] = (uint32_t)(rank + MG_VOCAB_FIRST_WORD_ID);
    sort_ids(interner, sorted, words);
    mg_vocab_dict *built = dict_new(parts, count, dict_data_size(interner, sorted, words));
    if (!built) {
        mg_free_in(parts->scratch, sorted, scratch_bytes(words));
        mg_vocab_remap_free(parts->scratch, ids, count);
        return MG_ERR_NOMEM;
    }
    dict_write(built, interner, sorted, words);
    ids[MG_VOCAB_START_ID] = MG_VOCAB_START_ID;
    ids[MG_VOCAB_END_ID] = MG_VOCAB_END_ID;
    for (size_t rank = 0; rank < words; rank++)
        ids[sorted[rank]] = (uint32_t)(rank + MG_VOCAB_FIRST_WORD_ID);
    mg_free_in(parts->scratch, sorted, scratch_bytes(words));
    *dict = built;
    *remap = ids;
    return MG_OK;
}

uint32_t mg_vocab_dict_count(const mg_vocab_dict *dict) { return dict->count; }

size_t mg_vocab_dict_bytes(const mg_vocab_dict *dict)
{
    return sizeof *dict + dict->data_size + ((size_t)dict->buckets + 1) * sizeof *dict->bucket +
           (size_t)dict->index_cap * sizeof *dict->index_slots;
}

void mg_vocab_dict_list_blocks(mg_vocab_dict *dict, mg_image_list *list)
{
    mg_image_list_block(list, dict->words_part, &dict->data, dict->data_size);
    mg_image_list_block(list, dict->index_part, &dict->bucket, ((size_t)dict->buckets + 1) * sizeof *dict->bucket);
    mg_image_list_block(list, dict->index_part, &dict->index_slots,
                        (size_t)dict->index_cap * sizeof *dict->index_slots);
}

/* Requests the cache lines of a bucket's first bytes (a bucket is
 * usually 2 or 3 lines). */
static void bucket_prefetch(const mg_vocab_dict *dict, uint32_t bucket)
{
    const unsigned char *at = dict->data + dict->bucket[bucket].offset;
    __builtin_prefetch(at);
    __builtin_prefetch(at + 64);
    __builtin_prefetch(at + 128);
}

/* One front-coded entry, read but not assembled. */
typedef struct entry_view {
    uint32_t shared, suffix;
    const unsigned char *bytes; /* the suffix */
} entry_view;

static const unsigned char *entry_read(const unsigned char *at, entry_view *entry)
{
    at = header_read(at, &entry->shared, &entry->suffix);
    entry->bytes = at;
    return at + entry->suffix;
}

/* The entries of a bucket up to the word's are read, not assembled; then
 * the word is assembled from its end: each earlier entry gives only the
 * bytes before where the later ones start, so every byte is copied once. */
mg_token mg_vocab_dict_word(const mg_vocab_dict *dict, uint32_t id, unsigned char *buffer)
{
    if (id < MG_VOCAB_FIRST_WORD_ID)
        return marker_token(id);
    size_t rank = id - MG_VOCAB_FIRST_WORD_ID, last = rank % MG_VOCAB_BUCKET;
    const unsigned char *at = dict->data + dict->bucket[rank / MG_VOCAB_BUCKET].offset;
    entry_view entries[MG_VOCAB_BUCKET];
    for (size_t entry = 0; entry <= last; entry++)
        at = entry_read(at, &entries[entry]);
    const entry_view *word = &entries[last];
    if (word->shared == 0)
        return (mg_token){word->bytes, word->suffix};
    memcpy(buffer + word->shared, word->bytes, word->suffix);
    uint32_t missing = word->shared; /* bytes [0, missing) are still to copy */
    for (size_t entry = last; missing > 0 && entry-- > 0;)
        if (entries[entry].shared < missing) {
            memcpy(buffer + entries[entry].shared, entries[entry].bytes, missing - entries[entry].shared);
            missing = entries[entry].shared;
        }
    return (mg_token){buffer, word->shared + word->suffix};
}

void mg_vocab_dict_prefetch_word(const mg_vocab_dict *dict, uint32_t id)
{
    if (id >= MG_VOCAB_FIRST_WORD_ID)
        bucket_prefetch(dict, (id - MG_VOCAB_FIRST_WORD_ID) / MG_VOCAB_BUCKET);
}

static mg_token bucket_head(const mg_vocab_dict *dict, uint32_t bucket)
{
    entry_view head; /* stored whole */
    entry_read(dict->data + dict->bucket[bucket].offset, &head);
    return (mg_token){head.bytes, head.suffix};
}

/* -- hash index -- */

static uint32_t index_fingerprint(const mg_vocab_dict *dict, uint64_t hash)
{
    return dict->id_bits >= 32 ? 0 : (uint32_t)(hash >> 32) >> dict->id_bits << dict->id_bits;
}

static uint32_t index_id(const mg_vocab_dict *dict, uint32_t slot)
{
    return dict->id_bits >= 32 ? slot : slot & ((UINT32_C(1) << dict->id_bits) - 1);
}

/* Whether word `id` is the token, walking its bucket without assembling
 * words: `matched` is how many leading bytes the entry reached so far
 * shares with the token. An entry sharing more with its predecessor than
 * the predecessor shared with the token differs from it where that did. */
static bool word_equals(const mg_vocab_dict *dict, uint32_t id, const mg_token *token)
{
    size_t rank = id - MG_VOCAB_FIRST_WORD_ID;
    const unsigned char *at = dict->data + dict->bucket[rank / MG_VOCAB_BUCKET].offset;
    uint32_t matched = 0, len = 0;
    for (size_t entry = rank / MG_VOCAB_BUCKET * MG_VOCAB_BUCKET; entry <= rank; entry++) {
        uint32_t shared, suffix;
        at = header_read(at, &shared, &suffix);
        if (shared <= matched) {
            matched = shared;
            while (matched < token->len && matched - shared < suffix && at[matched - shared] == token->bytes[matched])
                matched++;
        }
        len = shared + suffix;
        at += suffix;
    }
    return matched == len && len == token->len;
}

/* Where a find stands: the token's hash, then its probe. */
typedef struct index_probe {
    uint32_t fingerprint;
    uint32_t at;        /* the slot probed next */
    uint32_t candidate; /* the id of the last slot whose fingerprint matched, or MG_VOCAB_NO_ID */
} index_probe;

static index_probe index_start(const mg_vocab_dict *dict, const mg_token *token)
{
    uint64_t hash = XXH3_64bits(token->bytes, token->len);
    index_probe probe = {index_fingerprint(dict, hash), fastrange((uint32_t)hash, dict->index_cap), MG_VOCAB_NO_ID};
    __builtin_prefetch(&dict->index_slots[probe.at]);
    return probe;
}

/* Moves the probe to the next slot whose fingerprint matches: its id in
 * probe->candidate, or MG_VOCAB_NO_ID at the end of the run. */
static void index_next(const mg_vocab_dict *dict, index_probe *probe)
{
    for (;;) {
        uint32_t slot = dict->index_slots[probe->at];
        probe->at = probe->at + 1 == dict->index_cap ? 0 : probe->at + 1;
        if (slot == 0) {
            probe->candidate = MG_VOCAB_NO_ID;
            return;
        }
        if (index_fingerprint(dict, (uint64_t)slot << 32) == probe->fingerprint) {
            probe->candidate = index_id(dict, slot);
            return;
        }
    }
}

/* The id of the token, its probe having reached a first candidate (or the
 * end of its run). */
static uint32_t index_finish(const mg_vocab_dict *dict, const mg_token *token, index_probe *probe)
{
    while (probe->candidate != MG_VOCAB_NO_ID && !word_equals(dict, probe->candidate, token))
        index_next(dict, probe);
    return probe->candidate;
}

static uint32_t index_find(const mg_vocab_dict *dict, const mg_token *token)
{
    index_probe probe = index_start(dict, token);
    index_next(dict, &probe);
    return index_finish(dict, token, &probe);
}

int mg_vocab_dict_build_index(mg_vocab_dict *dict)
{
    if (dict->index_slots)
        return MG_OK;
    uint64_t words = dict->count - MG_VOCAB_FIRST_WORD_ID;
    uint64_t capacity = words * 100 / MG_VOCAB_INDEX_LOAD + 1;
    if (capacity >= UINT32_MAX)
        return MG_ERR_NOMEM;
    uint32_t *slots = mg_calloc_in(dict->index_part, (size_t)capacity, sizeof *slots);
    if (!slots)
        return MG_ERR_NOMEM;
    dict->id_bits = 1;
    while (dict->id_bits < 32 && ((dict->count - 1) >> dict->id_bits) != 0)
        dict->id_bits++;
    unsigned char buffer[MG_VOCAB_DECODE_MAX];
    for (uint32_t id = MG_VOCAB_FIRST_WORD_ID; id < dict->count; id++) {
        mg_token word = mg_vocab_dict_word(dict, id, buffer);
        uint64_t hash = XXH3_64bits(word.bytes, word.len);
        uint32_t at = fastrange((uint32_t)hash, (uint32_t)capacity);
        while (slots[at] != 0)
            at = at + 1 == capacity ? 0 : at + 1;
        slots[at] = id | index_fingerprint(dict, hash);
    }
    dict->index_slots = slots;
    dict->index_cap = (uint32_t)capacity;
    return MG_OK;
}

/* The last bucket whose head is <= token (-1 when none): a binary search
 * of the keys, then of the heads whose key ties with the token's. */
static int64_t bucket_of_from(const mg_vocab_dict *dict, const mg_token *token, uint32_t key, uint32_t low);

static int64_t bucket_of(const mg_vocab_dict *dict, const mg_token *token)
{
    uint32_t key = word_key(token), low = 0, high = dict->buckets;
    while (low < high) { /* low = the first key >= the token's */
        uint32_t middle = low + (high - low) / 2;
        if (dict->bucket[middle].key < key)
            low = middle + 1;
        else
            high = middle;
    }
    return bucket_of_from(dict, token, key, low);
}

/* bucket_of's first search for `count` keys in lockstep: every key's
 * halving steps are the same (the buckets are), so each step's loads, one
 * per key, are independent and their cache misses overlap; the next step's
 * two candidates are requested ahead. lows[k] = the first key >= keys[k]. */
static void keys_lower(const mg_vocab_dict *dict, const uint32_t *keys, int count, uint32_t *lows)
{
    for (int k = 0; k < count; k++)
        lows[k] = 0;
    uint32_t n = dict->buckets;
    if (n == 0)
        return;
    for (; n > 1; n -= n / 2) {
        uint32_t half = n / 2;
        for (int k = 0; k < count; k++) {
            __builtin_prefetch(&dict->bucket[lows[k] + half / 2]);
            __builtin_prefetch(&dict->bucket[lows[k] + half + half / 2]);
        }
        for (int k = 0; k < count; k++)
            lows[k] = dict->bucket[lows[k] + half].key < keys[k] ? lows[k] + half : lows[k];
    }
    for (int k = 0; k < count; k++)
        lows[k] += dict->bucket[lows[k]].key < keys[k];
}

/* bucket_of from `low`, the first bucket whose key is >= the token's `key`. */
static int64_t bucket_of_from(const mg_vocab_dict *dict, const mg_token *token, uint32_t key, uint32_t low)
{
    uint32_t ties_end = low;
    while (ties_end < dict->buckets && dict->bucket[ties_end].key == key) /* short: heads rarely share 4 bytes */
        ties_end++;
    uint32_t high = ties_end;
    while (low < high) { /* low = the first tied head > token */
        uint32_t middle = low + (high - low) / 2;
        mg_token head = bucket_head(dict, middle);
        if (mg_token_compare(&head, token) <= 0)
            low = middle + 1;
        else
            high = middle;
    }
    return (int64_t)low - 1;
}

/* Rank of the token within its bucket, or -1: the entries are walked as
 * word_equals does, never assembled; `matched` is how many leading bytes
 * the entry reached shares with the token. An entry sharing fewer bytes
 * with its predecessor than `matched` is past the token, as is every later
 * one; sharing more, it stands to the token as its predecessor did. A
 * word stored whole for its length (shared 0) is compared from its start. */
static int bucket_rank(const mg_vocab_dict *dict, uint32_t bucket, const mg_token *token)
{
    const unsigned char *at = dict->data + dict->bucket[bucket].offset;
    const unsigned char *end = dict->data + dict->bucket[bucket + 1].offset;
    uint32_t matched = 0;
    for (int entry = 0; at < end; entry++) {
        uint32_t shared, suffix;
        at = header_read(at, &shared, &suffix);
        if (shared == 0 && suffix > MG_VOCAB_FRONT_MAX)
            matched = 0; /* a long word is stored whole: compared afresh */
        if (shared < matched)
            return -1;
        if (shared == matched) {
            while (matched < token->len && matched - shared < suffix && at[matched - shared] == token->bytes[matched])
                matched++;
            uint32_t len = shared + suffix;
            if (matched == len && len == token->len)
                return entry;
            if (matched == token->len || (matched < len && at[matched - shared] > token->bytes[matched]))
                return -1; /* the entry is past the token */
        }
        at += suffix;
    }
    return -1;
}

static uint32_t rank_id(int64_t bucket, int rank)
{
    if (bucket < 0 || rank < 0)
        return MG_VOCAB_NO_ID;
    return MG_VOCAB_FIRST_WORD_ID + (uint32_t)bucket * MG_VOCAB_BUCKET + (uint32_t)rank;
}

enum { FIND_GROUP = 32 }; /* tokens found side by side: a few times the core's outstanding misses */

static void find_group(const mg_vocab_dict *dict, const mg_token *tokens, int count, uint32_t *ids)
{
    for (int k = 0; k < count; k++)
        if (mg_token_is_marker(&tokens[k]))
            ids[k] = tokens[k].len == MG_MARK_START ? MG_VOCAB_START_ID : MG_VOCAB_END_ID;
    if (dict->index_slots) {
        index_probe probes[FIND_GROUP];
        for (int k = 0; k < count; k++)
            if (!mg_token_is_marker(&tokens[k]))
                probes[k] = index_start(dict, &tokens[k]);
        for (int k = 0; k < count; k++)
            if (!mg_token_is_marker(&tokens[k])) {
                index_next(dict, &probes[k]);
                if (probes[k].candidate != MG_VOCAB_NO_ID)
                    bucket_prefetch(dict, (probes[k].candidate - MG_VOCAB_FIRST_WORD_ID) / MG_VOCAB_BUCKET);
            }
        for (int k = 0; k < count; k++)
            if (!mg_token_is_marker(&tokens[k]))
                ids[k] = index_finish(dict, &tokens[k], &probes[k]);
        return;
    }
    int64_t buckets[FIND_GROUP];
    uint32_t keys[FIND_GROUP], lows[FIND_GROUP];
    for (int k = 0; k < count; k++)
        keys[k] = mg_token_is_marker(&tokens[k]) ? 0 : word_key(&tokens[k]);
    keys_lower(dict, keys, count, lows);
    for (int k = 0; k < count; k++)
        if (!mg_token_is_marker(&tokens[k]) && (buckets[k] = bucket_of_from(dict, &tokens[k], keys[k], lows[k])) >= 0)
            bucket_prefetch(dict, (uint32_t)buckets[k]);
    for (int k = 0; k < count; k++)
        if (!mg_token_is_marker(&tokens[k]))
            ids[k] = rank_id(buckets[k], buckets[k] < 0 ? -1 : bucket_rank(dict, (uint32_t)buckets[k], &tokens[k]));
}

/* The index's first candidate of each token, its bucket requested: a find
 * without the bucket walk that confirms it (mg_vocab_dict_is_word). */
static void guess_group(const mg_vocab_dict *dict, const mg_token *tokens, int count, uint32_t *ids)
{
    index_probe probes[FIND_GROUP];
    for (int k = 0; k < count; k++)
        if (mg_token_is_marker(&tokens[k]))
            ids[k] = tokens[k].len == MG_MARK_START ? MG_VOCAB_START_ID : MG_VOCAB_END_ID;
        else
            probes[k] = index_start(dict, &tokens[k]);
    for (int k = 0; k < count; k++)
        if (!mg_token_is_marker(&tokens[k])) {
            index_next(dict, &probes[k]);
            ids[k] = probes[k].candidate;
            if (ids[k] != MG_VOCAB_NO_ID)
                bucket_prefetch(dict, (ids[k] - MG_VOCAB_FIRST_WORD_ID) / MG_VOCAB_BUCKET);
        }
}

bool mg_vocab_dict_guess_many(const mg_vocab_dict *dict, const mg_token *tokens, size_t count, uint32_t *ids)
{
    if (!dict->index_slots) {
        mg_vocab_dict_find_many(dict, tokens, count, ids);
        return true;
    }
    for (size_t done = 0; done < count; done += FIND_GROUP)
        guess_group(dict, tokens + done, count - done < FIND_GROUP ? (int)(count - done) : FIND_GROUP, ids + done);
    return false;
}

bool mg_vocab_dict_is_word(const mg_vocab_dict *dict, uint32_t id, const mg_token *token)
{
    if (mg_token_is_marker(token))
        return id == (token->len == MG_MARK_START ? MG_VOCAB_START_ID : MG_VOCAB_END_ID);
    return id >= MG_VOCAB_FIRST_WORD_ID && id < dict->count && word_equals(dict, id, token);
}

void mg_vocab_dict_find_many(const mg_vocab_dict *dict, const mg_token *tokens, size_t count, uint32_t *ids)
{
    for (size_t done = 0; done < count; done += FIND_GROUP)
        find_group(dict, tokens + done, count - done < FIND_GROUP ? (int)(count - done) : FIND_GROUP, ids + done);
}

uint32_t mg_vocab_dict_find(const mg_vocab_dict *dict, const mg_token *token)
{
    if (mg_token_is_marker(token))
        return token->len == MG_MARK_START ? MG_VOCAB_START_ID : MG_VOCAB_END_ID;
    if (dict->index_slots)
        return index_find(dict, token);
    int64_t bucket = bucket_of(dict, token);
    return rank_id(bucket, bucket < 0 ? -1 : bucket_rank(dict, (uint32_t)bucket, token));
}

void mg_vocab_dict_estimate_parts(uint64_t words, uint64_t word_bytes, double *data_bytes, double *index_bytes)
{
    /* front coding keeps ~38.5% of the bytes of a sorted English vocabulary
     * (fitted on gcide: 38.3% of a quarter, 38.6% of the whole); a header
     * of 1 byte for ~98% of its words, 3 for the rest; one key and offset
     * per bucket, and the struct */
    *data_bytes = 0.385 * (double)word_bytes + 1.04 * (double)words;
    *index_bytes = 8.0 * (double)words / MG_VOCAB_BUCKET + (double)sizeof(mg_vocab_dict);
}

double mg_vocab_dict_estimate_bytes(uint64_t words, uint64_t word_bytes)
{
    double data_bytes, index_bytes;
    mg_vocab_dict_estimate_parts(words, word_bytes, &data_bytes, &index_bytes);
    return data_bytes + index_bytes;
}
