/*
 * gram_hash.c — the compact backends' training table of id tuples and the
 * in-place record sort (layout and growth in gram_hash.h).
 */
#include "gram_hash.h"

#include "backend.h"
#include "common/grow.h"
#include "common/vocab.h"
#include "mem.h"

#include <stdbool.h>
#include <string.h>

#include <xxhash.h>

enum { SORT_SMALL = 12 }; /* ranges this short are insertion sorted */

/* ---- slots ---------------------------------------------------------------- */

static inline size_t slot_bytes(const mg_gram_hash *hash)
{
    return hash->record_words * sizeof(uint32_t);
}

/* multiply-shift onto [0, range) */
static inline uint32_t fastrange(uint32_t hash, uint32_t range)
{
    return (uint32_t)(((uint64_t)hash * range) >> 32);
}

static inline uint32_t home_slot(const mg_gram_hash *hash, const uint32_t *ids, uint32_t capacity)
{
    uint32_t ids_hash = (uint32_t)(XXH3_64bits(ids, (size_t)hash->order * sizeof *ids) >> 32);
    return fastrange(ids_hash, capacity);
}

static inline bool same_ids(const uint32_t *a, const uint32_t *b, int count)
{
    for (int k = 0; k < count; k++)
        if (a[k] != b[k])
            return false;
    return true;
}

/* Index of the slot holding ids, or of the empty slot where they belong. */
static uint32_t slot_probe(const mg_gram_hash *hash, const uint32_t *ids)
{
    uint32_t index = home_slot(hash, ids, hash->capacity);
    for (;;) {
        const uint32_t *slot = mg_gram_hash_slot(hash, index);
        if (slot[hash->order] == 0 || same_ids(slot, ids, hash->order))
            return index;
        if (++index == hash->capacity)
            index = 0;
    }
}

/* Copies a record known to be absent into the first free slot from its home. */
static void slot_place(const mg_gram_hash *hash, uint32_t *slots, uint32_t capacity, const uint32_t *record)
{
    uint32_t index = home_slot(hash, record, capacity);
    while (slots[(size_t)index * hash->record_words + (size_t)hash->order] != 0)
        if (++index == capacity)
            index = 0;
    memcpy(slots + (size_t)index * hash->record_words, record, slot_bytes(hash));
}

/* Rehash into 1.5 times the slots, rounded up as gram_hash.h says;
 * unchanged on failure. */
static int slots_grow(mg_gram_hash *hash)
{
    uint64_t wanted = (uint64_t)hash->capacity + hash->capacity / 2;
    uint64_t capacity = mg_mem_usable_size(mg_grow_bytes((size_t)wanted * slot_bytes(hash))) / slot_bytes(hash);
    if (hash->capacity_max && capacity > hash->capacity_max)
        capacity = hash->capacity_max;
    if (capacity >= UINT32_MAX || capacity <= hash->capacity)
        return MG_ERR_NOMEM;
    uint32_t *slots = mg_calloc_returned_in(hash->part, (size_t)capacity * slot_bytes(hash));
    if (!slots)
        return MG_ERR_NOMEM;
    for (uint32_t index = 0; index < hash->capacity; index++) {
        const uint32_t *slot = mg_gram_hash_slot(hash, index);
        if (slot[hash->order] != 0)
            slot_place(hash, slots, (uint32_t)capacity, slot);
    }
    mg_free_in(hash->part, hash->slots, mg_gram_hash_bytes(hash));
    hash->slots = slots;
    hash->capacity = (uint32_t)capacity;
    return MG_OK;
}

/* ---- table ---------------------------------------------------------------- */

int mg_gram_hash_init(mg_gram_hash *hash, int part, int order)
{
    hash->part = part;
    hash->order = order;
    hash->record_words = (size_t)order + 1;
    hash->grams = 0;
    hash->capacity_max = 0;
    hash->slots = mg_calloc_in(part, MG_GRAM_HASH_MIN, slot_bytes(hash));
    hash->capacity = hash->slots ? MG_GRAM_HASH_MIN : 0;
    return hash->slots ? MG_OK : MG_ERR_NOMEM;
}

void mg_gram_hash_bound(mg_gram_hash *hash, size_t bytes)
{
    size_t slots = bytes / slot_bytes(hash);
    hash->capacity_max = slots < MG_GRAM_HASH_MIN ? MG_GRAM_HASH_MIN : slots >= UINT32_MAX ? UINT32_MAX - 1 : (uint32_t)slots;
}

uint64_t mg_gram_hash_bound_grams(const mg_gram_hash *hash)
{
    return (uint64_t)hash->capacity_max * MG_GRAM_HASH_LOAD / 100;
}

bool mg_gram_hash_at_bound(const mg_gram_hash *hash)
{
    return hash->capacity_max && hash->grams >= mg_gram_hash_bound_grams(hash);
}

void mg_gram_hash_free(mg_gram_hash *hash)
{
    mg_free_in(hash->part, hash->slots, mg_gram_hash_bytes(hash));
    hash->slots = NULL;
    hash->capacity = 0;
    hash->grams = 0;
}

size_t mg_gram_hash_bytes(const mg_gram_hash *hash)
{
    return (size_t)hash->capacity * slot_bytes(hash);
}

uint32_t mg_gram_hash_count(const mg_gram_hash *hash, const uint32_t *ids)
{
    return mg_gram_hash_slot(hash, slot_probe(hash, ids))[hash->order];
}

/* ---- batches ---------------------------------------------------------------- */

enum { GROUP = 16 }; /* grams whose slots are requested before the first is added */

int mg_gram_hash_add_many(mg_gram_hash *hash, const mg_interner *interner, mg_table *table, mg_gram_add add,
                          const mg_token *grams, size_t count, size_t *added)
{
    uint32_t ids[GROUP][MG_ORDER_MAX];
    bool known[GROUP];
    size_t order = (size_t)hash->order;
    for (*added = 0; *added < count;) {
        size_t size = count - *added < GROUP ? count - *added : GROUP;
        const mg_token *first = grams + *added * order;
        for (size_t i = 0; i < size; i++) {
            known[i] = true;
            for (size_t k = 0; k < order && known[i]; k++)
                known[i] = (ids[i][k] = mg_interner_find(interner, &first[i * order + k])) != MG_VOCAB_NO_ID;
            if (known[i])
                __builtin_prefetch(mg_gram_hash_slot(hash, home_slot(hash, ids[i], hash->capacity)));
        }
        for (size_t i = 0; i < size; i++, ++*added) {
            int status = known[i] ? mg_gram_hash_add(hash, ids[i]) : add(table, &first[i * order]);
            if (status != MG_OK)
                return status;
        }
    }
    return MG_OK;
}

/* Whether one more gram would pass the load. */
static inline bool full(const mg_gram_hash *hash)
{
    return (hash->grams + 1) * 100 > (uint64_t)hash->capacity * MG_GRAM_HASH_LOAD;
}

int mg_gram_hash_make_room(mg_gram_hash *hash)
{
    return full(hash) ? slots_grow(hash) : MG_OK;
}

int mg_gram_hash_add(mg_gram_hash *hash, const uint32_t *ids)
{
    uint32_t *slot = mg_gram_hash_slot(hash, slot_probe(hash, ids));
    if (slot[hash->order] != 0) {
        if (slot[hash->order] < UINT32_MAX) /* saturate, never wrap */
            slot[hash->order]++;
        return MG_OK;
    }
    if (full(hash)) {
        if (slots_grow(hash) != MG_OK)
            return MG_ERR_NOMEM;
        slot = mg_gram_hash_slot(hash, slot_probe(hash, ids));
    }
    memcpy(slot, ids, (size_t)hash->order * sizeof *ids);
    slot[hash->order] = 1;
    hash->grams++;
    return MG_OK;
}

/* Starting after an empty slot, every gram is taken out and, if kept, put
 * back from its home: each lands at or before its old place (counting
 * round the end) and no probe run is cut. */
void mg_gram_hash_filter(mg_gram_hash *hash, mg_gram_hash_keep keep, void *arg)
{
    uint32_t empty = 0;
    while (mg_gram_hash_slot(hash, empty)[hash->order] != 0) /* the load keeps one */
        empty++;
    uint32_t held[MG_ORDER_MAX + 1];
    for (uint64_t step = 1; step <= hash->capacity; step++) {
        uint32_t *slot = mg_gram_hash_slot(hash, (uint32_t)((empty + step) % hash->capacity));
        if (slot[hash->order] == 0)
            continue;
        memcpy(held, slot, slot_bytes(hash));
        slot[hash->order] = 0;
        if (keep(arg, held, held[hash->order]))
            slot_place(hash, hash->slots, hash->capacity, held);
        else
            hash->grams--;
    }
}

uint32_t *mg_gram_hash_pack_sorted(mg_gram_hash *hash)
{
    uint64_t packed = 0;
    for (uint32_t index = 0; index < hash->capacity; index++) {
        const uint32_t *slot = mg_gram_hash_slot(hash, index);
        if (slot[hash->order] != 0)
            memmove(hash->slots + packed++ * hash->record_words, slot, slot_bytes(hash));
    }
    mg_records_sort(hash->slots, packed, hash->record_words, hash->order);
    return hash->slots;
}

void mg_gram_hash_clear(mg_gram_hash *hash)
{
    memset(hash->slots, 0, mg_gram_hash_bytes(hash));
    hash->grams = 0;
}

/* ---- sort ----------------------------------------------------------------- */

static inline int records_compare(const uint32_t *a, const uint32_t *b, int keys)
{
    for (int k = 0; k < keys; k++)
        if (a[k] != b[k])
            return a[k] < b[k] ? -1 : 1;
    return 0;
}

static inline void records_swap(uint32_t *a, uint32_t *b, size_t words)
{
    for (size_t k = 0; k < words; k++) {
        uint32_t held = a[k];
        a[k] = b[k];
        b[k] = held;
    }
}

/* Trigram records whose ids fit 21 bits are sorted as 16-byte (key,
 * count) pairs, the three ids one 64-bit key, in the same bytes: one
 * compare instead of up to three. */
typedef struct keyed_record {
    uint64_t key;
    uint64_t count;
} keyed_record;

enum { KEYED_ID_BITS = 21 };

static void keyed_sort(keyed_record *records, uint64_t count)
{
    while (count > SORT_SMALL) {
        uint64_t mid = count / 2, last = count - 1;
        keyed_record held;
#define KEYED_SWAP(a, b) (held = records[a], records[a] = records[b], records[b] = held)
        if (records[mid].key < records[0].key)
            KEYED_SWAP(mid, 0);
        if (records[last].key < records[mid].key) {
            KEYED_SWAP(last, mid);
            if (records[mid].key < records[0].key)
                KEYED_SWAP(mid, 0);
        }
        uint64_t pivot = records[mid].key, low = 0, high = last;
        for (;;) {
            while (records[low].key < pivot)
                low++;
            while (pivot < records[high].key)
                high--;
            if (low >= high)
                break;
            KEYED_SWAP(low, high);
            low++;
            high--;
        }
#undef KEYED_SWAP
        uint64_t left = high + 1;
        if (left < count - left) {
            keyed_sort(records, left);
            records += left;
            count -= left;
        } else {
            keyed_sort(records + left, count - left);
            count = left;
        }
    }
    for (uint64_t k = 1; k < count; k++) {
        keyed_record held = records[k];
        uint64_t at = k;
        for (; at > 0 && held.key < records[at - 1].key; at--)
            records[at] = records[at - 1];
        records[at] = held;
    }
}

/* The keyed sort of records of 3 ids and a count, when every id fits. */
static bool trigrams_sorted_keyed(uint32_t *records, uint64_t count)
{
    uint32_t any = 0;
    for (uint64_t i = 0; i < count; i++)
        any |= records[4 * i] | records[4 * i + 1] | records[4 * i + 2];
    if (any >> KEYED_ID_BITS)
        return false;
    for (uint64_t i = 0; i < count; i++) {
        uint32_t *record = records + 4 * i;
        keyed_record keyed = {(uint64_t)record[0] << (2 * KEYED_ID_BITS) | (uint64_t)record[1] << KEYED_ID_BITS | record[2],
                              record[3]};
        memcpy(record, &keyed, sizeof keyed);
    }
    keyed_sort((keyed_record *)(void *)records, count);
    uint32_t mask = (UINT32_C(1) << KEYED_ID_BITS) - 1;
    for (uint64_t i = 0; i < count; i++) {
        uint32_t *record = records + 4 * i;
        keyed_record keyed;
        memcpy(&keyed, record, sizeof keyed);
        record[0] = (uint32_t)(keyed.key >> (2 * KEYED_ID_BITS));
        record[1] = (uint32_t)(keyed.key >> KEYED_ID_BITS) & mask;
        record[2] = (uint32_t)keyed.key & mask;
        record[3] = (uint32_t)keyed.count;
    }
    return true;
}

/* Quicksort: the median of the first, middle and last records as pivot
 * (they also stop both scans), Hoare partition, recursion on the smaller
 * side only (depth O(log n)), insertion sort below SORT_SMALL. */
void mg_records_sort(uint32_t *records, uint64_t count, size_t words, int keys)
{
    if (words == 4 && keys == 3 && count > SORT_SMALL && trigrams_sorted_keyed(records, count))
        return;
#define RECORD(i) (records + (uint64_t)(i) * words)
    uint32_t pivot[MG_ORDER_MAX + 1];
    while (count > SORT_SMALL) {
        uint64_t mid = count / 2, last = count - 1;
        if (records_compare(RECORD(mid), RECORD(0), keys) < 0)
            records_swap(RECORD(mid), RECORD(0), words);
        if (records_compare(RECORD(last), RECORD(mid), keys) < 0) {
            records_swap(RECORD(last), RECORD(mid), words);
            if (records_compare(RECORD(mid), RECORD(0), keys) < 0)
                records_swap(RECORD(mid), RECORD(0), words);
        }
        memcpy(pivot, RECORD(mid), words * sizeof *pivot);
        uint64_t low = 0, high = last;
        for (;;) {
            while (records_compare(RECORD(low), pivot, keys) < 0)
                low++;
            while (records_compare(pivot, RECORD(high), keys) < 0)
                high--;
            if (low >= high)
                break;
            records_swap(RECORD(low++), RECORD(high--), words);
        }
        uint64_t left = high + 1;
        if (left < count - left) {
            mg_records_sort(records, left, words, keys);
            records += left * words;
            count -= left;
        } else {
            mg_records_sort(RECORD(left), count - left, words, keys);
            count = left;
        }
    }
    for (uint64_t k = 1; k < count; k++)
        for (uint64_t at = k; at > 0 && records_compare(RECORD(at), RECORD(at - 1), keys) < 0; at--)
            records_swap(RECORD(at), RECORD(at - 1), words);
#undef RECORD
}
