/*
 * packed_arrays.c — words interned to ids; at finalize the vocabulary is
 * frozen into the shared front-coded dictionary (common/vocab.h, ids in
 * token order) and the n-grams, sorted by id tuple, are stored column by
 * column in bit-packed arrays.
 *
 * Training (a compact hash of id tuples, as in interned_hash):
 *
 *   interner (common/vocab.h): word -> id
 *   gram_slots (4 (order + 1) B), home = fastrange(XXH3(ids)), count 0 = empty
 *   +-----+-----+-----+-------+-----+-----+-----+-------+--
 *   | id0 | id1 | id2 | count | id0 | id1 | id2 | count |..
 *   +-----+-----+-----+-------+-----+-----+-----+-------+--
 *
 *   Why a hash and not append-then-sort: appending costs 4 order bytes per
 *   gram *added*, a hash 4 (order + 1) / load per *distinct* gram; on gcide
 *   order 3 a trigram is added ~1.3 times, so the two peaks are alike, but
 *   the hash's grows with distinct grams only (order 1 and 2 repeat far more:
 *   there appending would cost many times more), and count() before
 *   finalize is one probe instead of a scan or a sort.
 *
 * Frozen (order 3; grams sorted by (w0, w1, w2), ids from the dictionary):
 *
 *   first_at: V + 1 entries of ceil(log2(n + 1)) bits: grams with w0 < v
 *   +---+---+---+---+--
 *   | 0 | 0 | 3 | 4 |..        grams of w0 = v: [first_at[v], first_at[v+1])
 *   +---+---+---+---+--        (w0 is implicit: no column for it)
 *   column 1: w1 of every gram, ceil(log2 V) bits   | 7 | 7 | 9 | 2 |..
 *   column 2: w2 of every gram, ceil(log2 V) bits   | 3 | 8 | 1 | 5 |..
 *   counts:   count - 1 in b bits, all ones = escape | 0 | 0 | 3 | 0 |..
 *   escapes:  (gram, count) sorted by gram, for counts that do not fit
 *   dictionary: common/vocab.h
 *
 *   b is the width minimising n b + 128 escapes. A context's successors are
 *   one contiguous range: narrowed column by column (interpolation search,
 *   then binary; galloping for the end of a run). Words are found through
 *   the dictionary's hash index.
 *
 * Expected bytes requested per n-gram after finalize, for n grams, V words
 * totalling B bytes:
 *
 *     (order - 1) ceil(log2 V) / 8            id columns
 *   + (b + 128 e) / 8                         counts, e = escaped fraction
 *   + (V / n) ceil(log2(n + 1)) / 8           first_at
 *   + (dict(V, B) + 5 V) / n                  dictionary and its hash index (vocab.h)
 *
 * Order 3 on gcide's first 15 MB (V ~ 2^18, V/n ~ 0.16, b = 2, e ~ 0.02):
 *   4.5 + 0.6 + 0.4 + 0.16 (0.6 x 9 + 2.5 + 5) ~ 7.6 bytes.
 */
#include "backend.h"
#include "common/vocab.h"
#include "mem.h"

#include <stdbool.h>
#include <string.h>

#include <xxhash.h>

/* ---- types ------------------------------------------------------------ */

enum {
    MIN_CAPACITY = 16,
    GRAM_MAX_LOAD = 85, /* percent: the training table grows by 1.5x past it */
    SORT_SMALL = 12,
    COUNT_BITS_MAX = 32,
    ESCAPE_BITS = 128, /* an escape entry: 16 bytes */
    INTERPOLATION_STEPS = 4, /* then binary search */
    INTERPOLATION_MIN = 64,  /* ranges narrower than this are binary searched */
};

/* Assumed by the estimate (measured on gcide order 3): count width and the
 * fraction of counts escaped. */
#define ESTIMATE_COUNT_BITS 2.0
#define ESTIMATE_ESCAPED 0.02

/* n values of `bits` bits each, packed into 64-bit words (one spare word at
 * the end, so a value never reads past the block). */
typedef struct packed_array {
    uint64_t *words;
    size_t word_count;
    unsigned bits;
} packed_array;

/* A count too big for the counts column. */
typedef struct escape {
    uint64_t gram;
    uint64_t count;
} escape;

typedef struct packed_table {
    int order;
    size_t slot_words; /* uint32 per gram slot: order ids, then the count */
    bool finalized;
    uint64_t grams;
    uint64_t contexts;

    /* training */
    mg_interner *interner;
    uint32_t *gram_slots;
    uint32_t gram_cap;

    /* frozen */
    mg_vocab_dict *dict;
    uint32_t vocab; /* dictionary ids, markers included */
    packed_array first_at;
    packed_array columns[MG_ORDER_MAX]; /* 1 .. order - 1 */
    packed_array counts;
    escape *escapes;
    uint64_t escape_count;
} packed_table;

/* ---- packed arrays ---------------------------------------------------- */

/* Bits to hold every value up to max (at least 1). */
static unsigned bits_for(uint64_t max)
{
    unsigned bits = 1;
    while (bits < 64 && (max >> bits) != 0)
        bits++;
    return bits;
}

static int packed_make(packed_array *array, uint64_t len, unsigned bits)
{
    array->bits = bits;
    array->word_count = (size_t)((len * bits + 63) / 64 + 1);
    array->words = mg_calloc(array->word_count, sizeof(uint64_t));
    return array->words ? MG_OK : MG_ERR_NOMEM;
}

static void packed_free(packed_array *array)
{
    mg_free(array->words, array->word_count * sizeof(uint64_t));
    array->words = NULL;
    array->word_count = 0;
}

static inline uint64_t packed_get(const packed_array *array, uint64_t index)
{
    uint64_t bit = index * array->bits;
    unsigned shift = (unsigned)(bit & 63);
    const uint64_t *word = array->words + (bit >> 6);
    uint64_t value = word[0] >> shift;
    if (shift + array->bits > 64)
        value |= word[1] << (64 - shift);
    return array->bits == 64 ? value : value & ((UINT64_C(1) << array->bits) - 1);
}

static inline void packed_set(packed_array *array, uint64_t index, uint64_t value)
{
    uint64_t mask = array->bits == 64 ? UINT64_MAX : (UINT64_C(1) << array->bits) - 1;
    uint64_t bit = index * array->bits;
    unsigned shift = (unsigned)(bit & 63);
    uint64_t *word = array->words + (bit >> 6);
    word[0] = (word[0] & ~(mask << shift)) | (value << shift);
    if (shift + array->bits > 64)
        word[1] = (word[1] & ~(mask >> (64 - shift))) | (value >> (64 - shift));
}

/* Give back the tail after a prune (the array now holds len values); on
 * failure the block just stays as big. */
static void packed_shrink(packed_array *array, uint64_t len)
{
    size_t words = (size_t)((len * array->bits + 63) / 64 + 1);
    if (words >= array->word_count)
        return;
    uint64_t *shrunk = mg_realloc(array->words, array->word_count * sizeof(uint64_t), words * sizeof(uint64_t));
    if (shrunk) {
        array->words = shrunk;
        array->word_count = words;
    }
}

/* ---- training table helpers ------------------------------------------- */

static inline uint32_t fastrange(uint32_t hash, uint32_t range)
{
    return (uint32_t)(((uint64_t)hash * range) >> 32);
}

static inline uint32_t hash_ids(const uint32_t *ids, int count)
{
    return (uint32_t)(XXH3_64bits(ids, (size_t)count * sizeof(uint32_t)) >> 32);
}

static inline uint32_t *gram_slot(const packed_table *t, uint32_t index)
{
    return t->gram_slots + (size_t)index * t->slot_words;
}

static inline bool same_ids(const uint32_t *a, const uint32_t *b, int count)
{
    for (int k = 0; k < count; k++)
        if (a[k] != b[k])
            return false;
    return true;
}

/* Index of the slot holding ids, or of the empty slot where they belong. */
static uint32_t gram_probe(const packed_table *t, const uint32_t *ids)
{
    uint32_t index = fastrange(hash_ids(ids, t->order), t->gram_cap);
    for (;;) {
        const uint32_t *slot = gram_slot(t, index);
        if (slot[t->order] == 0 || same_ids(slot, ids, t->order))
            return index;
        if (++index == t->gram_cap)
            index = 0;
    }
}

/* Copy a gram known to be absent into the first free slot from its home. */
static void gram_place(const packed_table *t, uint32_t *slots, uint32_t capacity, const uint32_t *gram)
{
    uint32_t index = fastrange(hash_ids(gram, t->order), capacity);
    while (slots[(size_t)index * t->slot_words + (size_t)t->order] != 0)
        if (++index == capacity)
            index = 0;
    memcpy(slots + (size_t)index * t->slot_words, gram, t->slot_words * sizeof(uint32_t));
}

/* Move every gram into a table 1.5 times bigger; unchanged on failure. */
static int gram_grow(packed_table *t)
{
    uint64_t capacity = (uint64_t)t->gram_cap + t->gram_cap / 2;
    if (capacity >= UINT32_MAX)
        return MG_ERR_NOMEM;
    size_t slot_bytes = t->slot_words * sizeof(uint32_t);
    uint32_t *slots = mg_calloc((size_t)capacity, slot_bytes);
    if (!slots)
        return MG_ERR_NOMEM;
    for (uint32_t index = 0; index < t->gram_cap; index++) {
        const uint32_t *slot = gram_slot(t, index);
        if (slot[t->order] != 0)
            gram_place(t, slots, (uint32_t)capacity, slot);
    }
    mg_free(t->gram_slots, (size_t)t->gram_cap * slot_bytes);
    t->gram_slots = slots;
    t->gram_cap = (uint32_t)capacity;
    return MG_OK;
}

/* ---- create ----------------------------------------------------------- */

static void pa_destroy(void *self);

static void *pa_create(int order)
{
    if (order < 1 || order > MG_ORDER_MAX)
        return NULL;
    packed_table *t = mg_calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->order = order;
    t->slot_words = (size_t)order + 1;
    t->interner = mg_interner_create();
    t->gram_slots = mg_calloc(MIN_CAPACITY, t->slot_words * sizeof(uint32_t));
    t->gram_cap = t->gram_slots ? MIN_CAPACITY : 0;
    if (!t->interner || !t->gram_slots) {
        pa_destroy(t);
        return NULL;
    }
    return t;
}

/* ---- add -------------------------------------------------------------- */

/* New words are interned first: on a later failure they stay interned,
 * which no lookup can see (a word counts only through its grams). */
static int pa_add(void *self, const mg_token *gram)
{
    packed_table *t = self;
    uint32_t ids[MG_ORDER_MAX + 1] = {0};
    for (int k = 0; k < t->order; k++)
        if (mg_interner_intern(t->interner, &gram[k], &ids[k]) != MG_OK)
            return MG_ERR_NOMEM;
    uint32_t *slot = gram_slot(t, gram_probe(t, ids));
    if (slot[t->order] != 0) {
        if (slot[t->order] < UINT32_MAX)
            slot[t->order]++;
        return MG_OK;
    }
    if ((t->grams + 1) * 100 > (uint64_t)t->gram_cap * GRAM_MAX_LOAD) {
        if (gram_grow(t) != MG_OK)
            return MG_ERR_NOMEM;
        slot = gram_slot(t, gram_probe(t, ids));
    }
    ids[t->order] = 1;
    memcpy(slot, ids, t->slot_words * sizeof(uint32_t));
    t->grams++;
    return MG_OK;
}

/* ---- finalize --------------------------------------------------------- */

/* Records (the compacted slots) sorted by id tuple: quicksort, median of
 * three, recursion on the smaller side; no two records are equal. */
static int record_compare(const uint32_t *a, const uint32_t *b, int order)
{
    for (int k = 0; k < order; k++)
        if (a[k] != b[k])
            return a[k] < b[k] ? -1 : 1;
    return 0;
}

static void record_swap(uint32_t *a, uint32_t *b, size_t words)
{
    for (size_t k = 0; k < words; k++) {
        uint32_t held = a[k];
        a[k] = b[k];
        b[k] = held;
    }
}

static void records_sort(uint32_t *records, size_t count, size_t words, int order)
{
#define REC(i) (records + (size_t)(i) * words)
    uint32_t pivot[MG_ORDER_MAX + 1];
    while (count > SORT_SMALL) {
        size_t mid = count / 2, last = count - 1;
        if (record_compare(REC(mid), REC(0), order) < 0)
            record_swap(REC(mid), REC(0), words);
        if (record_compare(REC(last), REC(mid), order) < 0) {
            record_swap(REC(last), REC(mid), words);
            if (record_compare(REC(mid), REC(0), order) < 0)
                record_swap(REC(mid), REC(0), words);
        }
        memcpy(pivot, REC(mid), words * sizeof(uint32_t));
        size_t low = 0, high = last;
        for (;;) {
            while (record_compare(REC(low), pivot, order) < 0)
                low++;
            while (record_compare(pivot, REC(high), order) < 0)
                high--;
            if (low >= high)
                break;
            record_swap(REC(low++), REC(high--), words);
        }
        size_t left = high + 1;
        if (left < count - left) {
            records_sort(records, left, words, order);
            records += left * words;
            count -= left;
        } else {
            records_sort(REC(left), count - left, words, order);
            count = left;
        }
    }
    for (size_t k = 1; k < count; k++)
        for (size_t at = k; at > 0 && record_compare(REC(at), REC(at - 1), order) < 0; at--)
            record_swap(REC(at), REC(at - 1), words);
#undef REC
}

/* The counts width minimising n b + ESCAPE_BITS escapes(b). A count is
 * stored as count - 1 unless that is the escape (all ones), i.e. inline iff
 * count < 2^b: from a histogram of the bits each count needs, escapes(b) is
 * exact; *escaped gets it. */
static unsigned count_width(const packed_table *t, uint64_t *escaped)
{
    uint64_t needing[COUNT_BITS_MAX + 1] = {0}; /* counts needing exactly k bits */
    for (uint32_t index = 0; index < t->gram_cap; index++) {
        uint32_t count = gram_slot(t, index)[t->order];
        if (count != 0)
            needing[bits_for(count)]++;
    }
    unsigned best = COUNT_BITS_MAX;
    uint64_t best_cost = UINT64_MAX, best_escaped = 0;
    for (unsigned bits = 1; bits <= COUNT_BITS_MAX; bits++) {
        uint64_t over = 0;
        for (unsigned k = bits + 1; k <= COUNT_BITS_MAX; k++)
            over += needing[k];
        uint64_t cost = t->grams * bits + over * ESCAPE_BITS;
        if (cost < best_cost) {
            best_cost = cost;
            best = bits;
            best_escaped = over;
        }
    }
    *escaped = best_escaped;
    return best;
}

static void frozen_free(packed_table *t)
{
    mg_vocab_dict_destroy(t->dict);
    t->dict = NULL;
    packed_free(&t->first_at);
    for (int k = 1; k < t->order; k++)
        packed_free(&t->columns[k]);
    packed_free(&t->counts);
    mg_free(t->escapes, t->escape_count * sizeof *t->escapes);
    t->escapes = NULL;
}

/* Every frozen block, sized; on failure none stays. */
static int frozen_make(packed_table *t, uint64_t escapes, unsigned count_bits)
{
    unsigned id_bits = bits_for(t->vocab > 1 ? t->vocab - 1 : 1);
    bool made = packed_make(&t->first_at, (uint64_t)t->vocab + 1, bits_for(t->grams)) == MG_OK &&
                packed_make(&t->counts, t->grams, count_bits) == MG_OK;
    for (int k = 1; made && k < t->order; k++)
        made = packed_make(&t->columns[k], t->grams, id_bits) == MG_OK;
    t->escape_count = escapes;
    if (made && escapes > 0) {
        t->escapes = mg_alloc(escapes * sizeof *t->escapes);
        made = t->escapes != NULL;
    }
    if (!made) {
        frozen_free(t);
        t->escape_count = 0;
        return MG_ERR_NOMEM;
    }
    return MG_OK;
}

/* The slots, renumbered to dictionary ids, packed to the front and sorted;
 * returns the records (the slot block itself). */
static uint32_t *records_gather(packed_table *t, const uint32_t *remap)
{
    uint32_t *records = t->gram_slots;
    size_t kept = 0;
    for (uint32_t index = 0; index < t->gram_cap; index++) {
        const uint32_t *slot = gram_slot(t, index);
        if (slot[t->order] == 0)
            continue;
        uint32_t *record = records + kept++ * t->slot_words;
        for (int k = 0; k < t->order; k++)
            record[k] = remap[slot[k]];
        record[t->order] = slot[t->order];
    }
    records_sort(records, kept, t->slot_words, t->order);
    return records;
}

static bool same_context_as_previous(const packed_table *t, uint64_t gram, uint64_t first, uint64_t previous_first)
{
    if (first != previous_first)
        return false;
    for (int k = 1; k < t->order - 1; k++)
        if (packed_get(&t->columns[k], gram) != packed_get(&t->columns[k], gram - 1))
            return false;
    return true;
}

/* Distinct (order - 1)-prefixes of the frozen grams, by one sequential walk. */
static uint64_t contexts_count(const packed_table *t)
{
    if (t->order == 1)
        return t->grams > 0;
    uint64_t contexts = 0, previous_first = UINT64_MAX;
    for (uint32_t first = 0; first < t->vocab; first++) {
        uint64_t end = packed_get(&t->first_at, first + 1);
        for (uint64_t gram = packed_get(&t->first_at, first); gram < end; gram++) {
            if (gram == 0 || !same_context_as_previous(t, gram, first, previous_first))
                contexts++;
            previous_first = first;
        }
    }
    return contexts;
}

static void frozen_fill(packed_table *t, const uint32_t *records)
{
    uint64_t escape_mark = (UINT64_C(1) << t->counts.bits) - 1, escaped = 0;
    uint32_t first = 0;
    for (uint64_t gram = 0; gram < t->grams; gram++) {
        const uint32_t *record = records + gram * t->slot_words;
        while (first < record[0])
            packed_set(&t->first_at, ++first, gram);
        for (int k = 1; k < t->order; k++)
            packed_set(&t->columns[k], gram, record[k]);
        uint64_t count = record[t->order];
        if (count - 1 < escape_mark) {
            packed_set(&t->counts, gram, count - 1);
        } else {
            packed_set(&t->counts, gram, escape_mark);
            t->escapes[escaped++] = (escape){gram, count};
        }
    }
    while (first < t->vocab)
        packed_set(&t->first_at, ++first, t->grams);
}

/* Everything the frozen layout needs is allocated before anything of the
 * training layout is let go, so a failure leaves the table as it was. */
static int pa_finalize(void *self)
{
    packed_table *t = self;
    if (t->finalized)
        return MG_OK;
    uint32_t *remap = NULL;
    if (mg_vocab_dict_freeze(t->interner, &t->dict, &remap) != MG_OK)
        return MG_ERR_NOMEM;
    t->vocab = mg_vocab_dict_count(t->dict);
    mg_vocab_dict_build_index(t->dict); /* without it lookups are slower, not wrong */
    uint64_t escapes;
    unsigned count_bits = count_width(t, &escapes);
    if (frozen_make(t, escapes, count_bits) != MG_OK) {
        mg_vocab_remap_free(remap, t->vocab);
        return MG_ERR_NOMEM;
    }
    mg_interner_destroy(t->interner);
    t->interner = NULL;
    const uint32_t *records = records_gather(t, remap);
    mg_vocab_remap_free(remap, t->vocab);
    frozen_fill(t, records);
    mg_free(t->gram_slots, (size_t)t->gram_cap * t->slot_words * sizeof(uint32_t));
    t->gram_slots = NULL;
    t->gram_cap = 0;
    t->contexts = contexts_count(t);
    t->finalized = true;
    return MG_OK;
}

/* ---- lookups ---------------------------------------------------------- */

/* Ids of the tokens in the current vocabulary; false when one is unknown. */
static bool ids_find(const packed_table *t, const mg_token *tokens, int count, uint32_t *ids)
{
    for (int k = 0; k < count; k++) {
        ids[k] = t->finalized ? mg_vocab_dict_find(t->dict, &tokens[k]) : mg_interner_find(t->interner, &tokens[k]);
        if (ids[k] == MG_VOCAB_NO_ID)
            return false;
    }
    return true;
}

static uint64_t count_at(const packed_table *t, uint64_t gram)
{
    uint64_t stored = packed_get(&t->counts, gram);
    if (stored != (UINT64_C(1) << t->counts.bits) - 1)
        return stored + 1;
    uint64_t low = 0, high = t->escape_count;
    while (low < high) {
        uint64_t mid = low + (high - low) / 2;
        if (t->escapes[mid].gram < gram)
            low = mid + 1;
        else
            high = mid;
    }
    return t->escapes[low].count;
}

/* First index in [low, high) whose value in column is >= id (or > id when
 * `after`); the column is sorted over the range. */
static uint64_t column_bound(const packed_array *column, uint64_t low, uint64_t high, uint64_t id, bool after)
{
    while (low < high) {
        uint64_t mid = low + (high - low) / 2;
        uint64_t value = packed_get(column, mid);
        if (value < id || (after && value == id))
            low = mid + 1;
        else
            high = mid;
    }
    return low;
}

/* column_bound(>= id), starting with a few interpolation steps while the
 * range is wide: the ids that follow a common prefix spread fairly evenly
 * over the sorted vocabulary, so each step cuts far more than a halving. */
static uint64_t column_lower(const packed_array *column, uint64_t low, uint64_t high, uint64_t id)
{
    for (int step = 0; step < INTERPOLATION_STEPS && high - low > INTERPOLATION_MIN; step++) {
        uint64_t first = packed_get(column, low), last = packed_get(column, high - 1);
        if (id <= first)
            return low;
        if (id > last)
            return high;
        uint64_t guess = low + (uint64_t)((double)(id - first) / (double)(last - first) * (double)(high - 1 - low));
        if (packed_get(column, guess) < id)
            low = guess + 1;
        else
            high = guess + 1;
    }
    return column_bound(column, low, high, id, false);
}

/* column_bound(> id) from `from`, the first index holding id: galloping,
 * as a run of one id is usually short. */
static uint64_t column_upper(const packed_array *column, uint64_t from, uint64_t high, uint64_t id)
{
    uint64_t step = 1, low = from;
    while (low + step < high && packed_get(column, low + step) <= id) {
        low += step;
        step *= 2;
    }
    uint64_t end = low + step < high ? low + step : high;
    return column_bound(column, low, end, id, true);
}

/* The range of frozen grams starting with ids[0 .. count): contiguous, as
 * the grams are sorted. Empty when none. */
static void prefix_range(const packed_table *t, const uint32_t *ids, int count, uint64_t *low, uint64_t *high)
{
    *low = packed_get(&t->first_at, ids[0]);
    *high = packed_get(&t->first_at, ids[0] + 1);
    for (int k = 1; k < count && *low < *high; k++) {
        *low = column_lower(&t->columns[k], *low, *high, ids[k]);
        if (*low < *high && packed_get(&t->columns[k], *low) == ids[k])
            *high = column_upper(&t->columns[k], *low, *high, ids[k]);
        else
            *high = *low;
    }
}

static uint64_t pa_count(void *self, const mg_token *gram)
{
    packed_table *t = self;
    uint32_t ids[MG_ORDER_MAX + 1] = {0};
    if (!ids_find(t, gram, t->order, ids))
        return 0;
    if (!t->finalized)
        return gram_slot(t, gram_probe(t, ids))[t->order];
    int last = t->order - 1;
    uint64_t low, high;
    prefix_range(t, ids, last > 0 ? last : 1, &low, &high);
    if (last > 0)
        low = column_lower(&t->columns[last], low, high, ids[last]);
    if (low >= high || (last > 0 && packed_get(&t->columns[last], low) != ids[last]))
        return 0;
    return count_at(t, low);
}

/* Before finalize: every slot is looked at. */
static int successors_scan(const packed_table *t, const uint32_t *context, mg_successor_visit visit, void *arg)
{
    int context_len = t->order - 1;
    for (uint32_t index = 0; index < t->gram_cap; index++) {
        const uint32_t *slot = gram_slot(t, index);
        if (slot[t->order] == 0 || !same_ids(slot, context, context_len))
            continue;
        mg_token next = mg_interner_token(t->interner, slot[context_len]);
        int stop = visit(arg, &next, slot[t->order]);
        if (stop)
            return stop;
    }
    return 0;
}

/* Order 1 frozen: every word with a gram. */
static int successors_unigrams(const packed_table *t, mg_successor_visit visit, void *arg)
{
    unsigned char buffer[MG_VOCAB_DECODE_MAX];
    for (uint32_t id = 0; id < t->vocab; id++) {
        uint64_t gram = packed_get(&t->first_at, id);
        if (gram == packed_get(&t->first_at, id + 1))
            continue;
        mg_token next = mg_vocab_dict_word(t->dict, id, buffer);
        int stop = visit(arg, &next, count_at(t, gram));
        if (stop)
            return stop;
    }
    return 0;
}

static int pa_successors(void *self, const mg_token *context, mg_successor_visit visit, void *arg)
{
    packed_table *t = self;
    uint32_t ids[MG_ORDER_MAX + 1] = {0};
    int context_len = t->order - 1;
    if (!ids_find(t, context, context_len, ids))
        return 0;
    if (!t->finalized)
        return successors_scan(t, ids, visit, arg);
    if (context_len == 0)
        return successors_unigrams(t, visit, arg);
    uint64_t low, high;
    prefix_range(t, ids, context_len, &low, &high);
    unsigned char buffer[MG_VOCAB_DECODE_MAX];
    for (uint64_t gram = low; gram < high; gram++) {
        mg_token next = mg_vocab_dict_word(t->dict, (uint32_t)packed_get(&t->columns[context_len], gram), buffer);
        int stop = visit(arg, &next, count_at(t, gram));
        if (stop)
            return stop;
    }
    return 0;
}

static int foreach_training(const packed_table *t, mg_gram_visit visit, void *arg)
{
    mg_token tokens[MG_ORDER_MAX];
    for (uint32_t index = 0; index < t->gram_cap; index++) {
        const uint32_t *slot = gram_slot(t, index);
        if (slot[t->order] == 0)
            continue;
        for (int k = 0; k < t->order; k++)
            tokens[k] = mg_interner_token(t->interner, slot[k]);
        int stop = visit(arg, tokens, slot[t->order]);
        if (stop)
            return stop;
    }
    return 0;
}

/* In id order; a position's token is decoded again only when its id changes. */
static int pa_foreach(void *self, mg_gram_visit visit, void *arg)
{
    packed_table *t = self;
    if (!t->finalized)
        return foreach_training(t, visit, arg);
    unsigned char buffers[MG_ORDER_MAX][MG_VOCAB_DECODE_MAX];
    mg_token tokens[MG_ORDER_MAX];
    uint64_t held[MG_ORDER_MAX];
    for (int k = 0; k < MG_ORDER_MAX; k++)
        held[k] = UINT64_MAX;
    for (uint32_t first = 0; first < t->vocab; first++) {
        uint64_t end = packed_get(&t->first_at, first + 1);
        for (uint64_t gram = packed_get(&t->first_at, first); gram < end; gram++) {
            for (int k = 0; k < t->order; k++) {
                uint64_t id = k == 0 ? first : packed_get(&t->columns[k], gram);
                if (id != held[k]) {
                    tokens[k] = mg_vocab_dict_word(t->dict, (uint32_t)id, buffers[k]);
                    held[k] = id;
                }
            }
            int stop = visit(arg, tokens, count_at(t, gram));
            if (stop)
                return stop;
        }
    }
    return 0;
}

static void pa_sizes(void *self, uint64_t *ngrams, uint64_t *contexts)
{
    packed_table *t = self;
    *ngrams = t->grams;
    *contexts = t->contexts;
}

/* ---- prune ------------------------------------------------------------ */

/* Drop training grams below min_count without allocating: starting after an
 * empty slot, every gram is taken out and, if kept, put back from its home.
 * Each lands at or before its old place and no probe run is cut. */
static void prune_training(packed_table *t, uint64_t min_count)
{
    uint32_t empty = 0;
    while (gram_slot(t, empty)[t->order] != 0)
        empty++;
    uint32_t kept[MG_ORDER_MAX + 1];
    uint64_t grams = 0;
    for (uint64_t step = 1; step <= t->gram_cap; step++) {
        uint32_t *slot = gram_slot(t, (uint32_t)((empty + step) % t->gram_cap));
        if (slot[t->order] == 0)
            continue;
        memcpy(kept, slot, t->slot_words * sizeof(uint32_t));
        slot[t->order] = 0;
        if (kept[t->order] >= min_count) {
            gram_place(t, t->gram_slots, t->gram_cap, kept);
            grams++;
        }
    }
    t->grams = grams;
}

/* Frozen grams are kept in place: every kept gram moves down to the next
 * free index (same widths), first_at is rewritten as the walk passes each
 * first id, escapes are compacted alongside. No allocation; the freed
 * tails are then given back. */
static void prune_frozen(packed_table *t, uint64_t min_count)
{
    uint64_t escape_mark = (UINT64_C(1) << t->counts.bits) - 1;
    uint64_t kept = 0, escape_read = 0, escape_kept = 0;
    uint64_t start = packed_get(&t->first_at, 0);
    for (uint32_t first = 0; first < t->vocab; first++) {
        uint64_t end = packed_get(&t->first_at, first + 1);
        packed_set(&t->first_at, first, kept);
        for (uint64_t gram = start; gram < end; gram++) {
            uint64_t stored = packed_get(&t->counts, gram);
            uint64_t count = stored == escape_mark ? t->escapes[escape_read++].count : stored + 1;
            if (count < min_count)
                continue;
            for (int k = 1; k < t->order; k++)
                packed_set(&t->columns[k], kept, packed_get(&t->columns[k], gram));
            packed_set(&t->counts, kept, stored);
            if (stored == escape_mark)
                t->escapes[escape_kept++] = (escape){kept, count};
            kept++;
        }
        start = end;
    }
    packed_set(&t->first_at, t->vocab, kept);
    t->grams = kept;
    for (int k = 1; k < t->order; k++)
        packed_shrink(&t->columns[k], kept);
    packed_shrink(&t->counts, kept);
    if (escape_kept < t->escape_count) {
        escape *shrunk = escape_kept == 0 ? NULL
                                          : mg_realloc(t->escapes, t->escape_count * sizeof *t->escapes,
                                                       escape_kept * sizeof *t->escapes);
        if (escape_kept == 0 || shrunk) {
            if (escape_kept == 0)
                mg_free(t->escapes, t->escape_count * sizeof *t->escapes);
            t->escapes = shrunk;
            t->escape_count = escape_kept;
        }
    }
    t->contexts = contexts_count(t);
}

static uint64_t pa_prune(void *self, uint64_t min_count)
{
    packed_table *t = self;
    uint64_t before = t->grams;
    if (t->finalized)
        prune_frozen(t, min_count);
    else if (t->grams > 0)
        prune_training(t, min_count);
    return before - t->grams;
}

/* ---- destroy ---------------------------------------------------------- */

static void pa_destroy(void *self)
{
    packed_table *t = self;
    if (!t)
        return;
    mg_interner_destroy(t->interner);
    mg_free(t->gram_slots, (size_t)t->gram_cap * t->slot_words * sizeof(uint32_t));
    frozen_free(t);
    mg_free(t, sizeof *t);
}

/* ---- estimate --------------------------------------------------------- */

static double pa_estimate(const mg_table_shape *shape)
{
    if (shape->ngrams == 0)
        return 0.0;
    double ngrams = (double)shape->ngrams;
    double vocab = (double)shape->vocab + MG_VOCAB_FIRST_WORD_ID;
    double columns = (shape->order - 1) * (double)bits_for((uint64_t)vocab - 1) / 8.0;
    double counts = (ESTIMATE_COUNT_BITS + ESCAPE_BITS * ESTIMATE_ESCAPED) / 8.0;
    double first_at = vocab * bits_for(shape->ngrams) / 8.0 / ngrams;
    double index = (double)shape->vocab * 4.0 * 100.0 / MG_VOCAB_INDEX_LOAD;
    double dictionary = (mg_vocab_dict_estimate_bytes(shape->vocab, shape->vocab_bytes) + index) / ngrams;
    return columns + counts + first_at + dictionary;
}

/* ---- ops table -------------------------------------------------------- */

const mg_backend mg_backend_packed_arrays = {
    .name = "packed_arrays",
    .summary = "interned ids; at finalize sorted id tuples in bit-packed columns, front-coded vocabulary",
    .create = pa_create,
    .add = pa_add,
    .finalize = pa_finalize,
    .count = pa_count,
    .successors = pa_successors,
    .foreach = pa_foreach,
    .sizes = pa_sizes,
    .prune = pa_prune,
    .destroy = pa_destroy,
    .estimate_bytes_per_ngram = pa_estimate,
};
