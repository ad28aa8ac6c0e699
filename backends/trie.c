/*
 * trie.c — a word-level trie of Elias–Fano coded levels (after tongrams,
 * Pibiri & Venturini 2017), counts rank-encoded, the vocabulary a sorted
 * front-coded dictionary (common/vocab).
 *
 * Memory layout after finalize (order 3; ids are dictionary ids, so id order
 * is token order):
 *
 *   dictionary (common/vocab): front-coded sorted words, token <-> id
 *
 *   level 0 child starts  EF | 0 | 2 | 2 | 3 | 3 | 5 |   one per id (+ the end),
 *                              a   b   c   d   e             indexed by it; b, d: no
 *                              |        \       \            gram starts there
 *   level 1 ids           EF | b  d |   e   |   b  g |      second words, grouped by
 *   level 1 child starts  EF | 0 | 0 | 1 | 1 | 1 | 1 |      parent, each group sorted;
 *                             (start less the node's position: 0 1 3 4 5 6 - 0 1 2 3 4 5)
 *   level 2 ids           EF | ... one per trigram ... |
 *   count tier 0             | 0 | 0 | 1 | 0 | 1 | .. |    1 bit a gram: count 1 (0), or escape (1)
 *   count tier 1             | 3 | 0 | ...               2 bits an escaped gram: counts 2-4, or escape (3)
 *   count tier 2             | 2 | ...                   the rest's ranks less 4 (9 bits)
 *   escape samples           escapes before every 256th entry of tiers 0, 1 (uint32)
 *   count values             rank -> count, most frequent count first
 *   running totals        EF | 0 | c(0..31) | c(0..63) | ... |  the last level's counts
 *                             summed every 32 nodes (sample_successor)
 *
 * Level 0 is indexed by id (orders 2 up: nearly every word starts a gram),
 * so a lookup reads the first word's group with no search. A level's ids
 * are made one increasing sequence, as EF needs, by adding to each group
 * the previous group's last value plus one: value = id + base, base =
 * value[group start - 1] + 1. A lookup reads the base and the group in one
 * cursor (next_geq_in for long groups): no group is decompressed. Every
 * node of levels 1 up has a child, so its child start less its position
 * still rises: a level of n nodes and N children costs n + (N - n) high
 * bits instead of n + N.
 *
 * Parts (mem.h's tags, named in trie_parts; trie_estimate_parts is the
 * formula, per n-gram after finalize, N grams, C contexts, V words, B
 * their bytes; EF costs l + 1 + u / 2^l / m + 0.35 bits a value,
 * l = floor(log2(u / m)), u the universe, m the values). Bytes a trigram
 * measured on gcide 1/4 (N = 1.04 M, C = 0.63 M, V = 0.21 M), order 3:
 *
 *   part               formula (bytes / N)                               measured
 *   table              sizeof(trie_table) / N                               0.002
 *   vocab.words        (0.385 B + 1.04 V) / N        (vocab.h)              0.949
 *   vocab.index        (V / 2 + 48) / N: bucket keys, offsets, struct       0.100
 *   level.0.ids        ef(N, V) / 8 / N at order 1; else empty              0.000
 *   level.0.starts     ef(V + 1, P) / 8 / N, P the level-1 nodes            0.098
 *   level.k.ids        ef(n_k, n_(k-1) V / 2) / 8 / N, n_k the level's      1.315 (k = 1)
 *                      nodes: C at order - 2, N at order - 1, in between    2.274 (k = 2)
 *                      min(C, V) + (C - min(C, V)) k / (order - 2)
 *   level.k.starts     ef(n_k + 1, n_(k+1) - n_k) / 8 / N (k >= 1)          0.153 (k = 1)
 *   counts             1.5 / 8 (1 bit a gram, 2 bits an escaped one,        0.179
 *                      9 bits the rest; values, escape samples)
 *   totals             ef(N / 32, 1.6 N) / 8 / N                            0.031
 *   training.table     the budget's slots (gram_hash.h)                     0 after finalize
 *   training.interner  the interner's slots, offsets and arena (vocab.h)    0 after finalize
 *   training.runs      the spilled runs, ~4 bytes a record (gram_runs.h)    0 after finalize
 *   training.scratch   the remap, the re-sort's block, the merges' heaps,   0 after finalize
 *                      the count classes
 *                                                                   sum     5.100 (5.131 estimated)
 *
 * Levels are declared to level.4 (MG_ORDER_MAX): a lower order leaves
 * the deeper ones at 0. Counts are one part: the values and escape
 * samples are under 0.01 byte a gram, and the formula has one term for
 * the three tiers. The training parts peak, per trigram of this run, at
 * interner 24.6 (its 8 MiB chunks, mostly unwritten), runs 14.3, scratch
 * 16.2 (the re-sort's block) and table 8.4 (a growth's transient 8 MiB
 * block, grow.h's mg_calloc_returned_in, beside the old slots). The
 * arrays are separate blocks rather than one, so that each can take the
 * pages training frees.
 *
 * A hit is a chain of dependent steps: the dictionary's finds (three binary
 * searches of the head keys, then a bucket walk each), then the descent
 * (level 0's child range, the level 1 group, level 1's child range, the
 * level 2 group, the count). Each step is one or two cache misses waited
 * for in turn (select sample, high bits; the low bits come with them), so a
 * hit costs about six dependent misses: read its time against
 * memgrams-microbench's machine/dependent_load. A hash index over the
 * dictionary would shorten the finds but cost close to a byte a trigram,
 * over the 6-byte budget, so the dictionary stays sorted only.
 *
 * Training (common/gram_counts.h): the interner (word -> id) and a table
 * of id tuples -> count bounded by the training-budget-kib setting (3 MiB
 * by default), spilled when full into sorted runs of bit-coded records
 * (~4 bytes each with the samples; a trigram of gcide is in 1.1-1.2 runs
 * at a 4 MiB budget). Finalize spills
 * the table and frees it, freezes the dictionary, frees the interner,
 * sorts each run again in dictionary ids, and builds the levels from a
 * merge of the runs read in two passes (sizes and count classes, then
 * values and ranks), never holding the grams as records: the peak is the
 * interner + the budget + the runs while training, the dictionary + the
 * runs + the trie at the end of finalize. A hash of every distinct gram
 * would hold 16 bytes a slot at its load, twice over while it rehashes.
 *
 * Allocation sizes are shaped, never measured (common/grow.h): the
 * interner's blocks grow from 256 KiB straight to 8 MiB blocks, and the
 * training table, its runs and the scratch of their re-sort are blocks
 * given back to the kernel when freed (mg_calloc_returned_in): jemalloc (from
 * opt.oversize_threshold) and glibc (mmap) return them at once. Freed
 * smaller blocks would stay resident as dirty pages for jemalloc's 10 s
 * decay and roughly double RSS after finalize.
 *
 * States: TRAINING (interner + counts: table and runs) -> finalize -> TRIE
 * (dictionary + levels). Between them RUNS (dictionary + the runs in
 * dictionary ids): where finalize stops if building the levels runs out
 * of memory (count, successors, foreach and prune still answer, from the
 * runs). A prune after finalize walks the trie into one run of the grams
 * it keeps and builds new levels from it; one that cannot get memory for
 * the rebuild zeroes the count values below the threshold in place
 * instead (count 0 = absent).
 *
 * Frozen image (trie_mmap, at the bottom of this file: the same layout, its
 * finalize then freezes it, common/image.h): every array of the TRIE state
 * goes into one private file, each at a multiple of 64 bytes after a 64-byte
 * header, which is mapped read-only and populated; the heap copies are freed.
 *
 *   image file:  | header | dictionary data | buckets | index | level 0 ids EF
 *                | level 0 child starts EF | ... | level n-1 ids EF | count
 *                values | tier 0 codes | escape samples | tier 1 ... |
 *   heap:        the table struct (1856 bytes: the levels' EF headers are in
 *                it; part table) and the dictionary's (48; part vocab.index)
 *
 * So the bytes requested after finalize are ~0 per n-gram (its estimate:
 * those two structs over N; measured on gcide 1/4, order 3: table 0.0018,
 * vocab.index 0.0001, every other part 0): the file's pages are not
 * requested bytes, no part counts them; they are file-backed resident
 * pages (RssFile), which the kernel may drop and read again.
 * Lookups are the trie's own. A prune thaws the image, prunes as above and
 * freezes the result; without memory for the thaw it zeroes the counts in
 * place in the mapping, made writable for it (private: the page written
 * becomes anonymous memory, the file is never changed).
 */
#include "backend.h"
#include "common/elias_fano.h"
#include "common/gram_counts.h"
#include "common/image.h"
#include "common/running_totals.h"
#include "common/vocab.h"
#include "mem.h"
#include "random.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

/* ---- parts ------------------------------------------------------------ */

/* The table's parts (mem.h's tags; names and formulas in the header's
 * table). Level k's sequences are TRIE_LEVEL_IDS(k) and TRIE_LEVEL_STARTS(k),
 * declared for every level an order up to MG_ORDER_MAX has (the last has
 * no starts): a table of a lower order leaves the deeper ones at 0. */
enum trie_part {
    TRIE_TABLE = 1,
    TRIE_VOCAB_WORDS,
    TRIE_VOCAB_INDEX,
    TRIE_LEVEL_0_IDS,
    TRIE_LEVEL_0_STARTS,
    TRIE_LEVEL_1_IDS,
    TRIE_LEVEL_1_STARTS,
    TRIE_LEVEL_2_IDS,
    TRIE_LEVEL_2_STARTS,
    TRIE_LEVEL_3_IDS,
    TRIE_LEVEL_3_STARTS,
    TRIE_LEVEL_4_IDS,
    TRIE_COUNTS,
    TRIE_TOTALS,
    TRIE_TRAINING_TABLE,
    TRIE_TRAINING_INTERNER,
    TRIE_TRAINING_RUNS,
    TRIE_TRAINING_SCRATCH,
    TRIE_PART_END, /* one past the last */
};

_Static_assert(TRIE_LEVEL_4_IDS == TRIE_LEVEL_0_IDS + 2 * (MG_ORDER_MAX - 1), "a pair of parts a level");
_Static_assert(TRIE_PART_END <= MG_PARTS_MAX, "the parts fit mem.h's tags");

static inline int trie_level_ids(int k) { return TRIE_LEVEL_0_IDS + 2 * k; }
static inline int trie_level_starts(int k) { return TRIE_LEVEL_0_STARTS + 2 * k; }

static const char *const trie_parts[] = {
    [TRIE_TABLE - 1] = "table",
    [TRIE_VOCAB_WORDS - 1] = "vocab.words",
    [TRIE_VOCAB_INDEX - 1] = "vocab.index",
    [TRIE_LEVEL_0_IDS - 1] = "level.0.ids",
    [TRIE_LEVEL_0_STARTS - 1] = "level.0.starts",
    [TRIE_LEVEL_1_IDS - 1] = "level.1.ids",
    [TRIE_LEVEL_1_STARTS - 1] = "level.1.starts",
    [TRIE_LEVEL_2_IDS - 1] = "level.2.ids",
    [TRIE_LEVEL_2_STARTS - 1] = "level.2.starts",
    [TRIE_LEVEL_3_IDS - 1] = "level.3.ids",
    [TRIE_LEVEL_3_STARTS - 1] = "level.3.starts",
    [TRIE_LEVEL_4_IDS - 1] = "level.4.ids",
    [TRIE_COUNTS - 1] = "counts",
    [TRIE_TOTALS - 1] = "totals",
    [TRIE_TRAINING_TABLE - 1] = "training.table",
    [TRIE_TRAINING_INTERNER - 1] = "training.interner",
    [TRIE_TRAINING_RUNS - 1] = "training.runs",
    [TRIE_TRAINING_SCRATCH - 1] = "training.scratch",
};

static const mg_vocab_parts trie_vocab_parts = {TRIE_VOCAB_WORDS, TRIE_VOCAB_INDEX, TRIE_TRAINING_SCRATCH};
static const mg_gram_counts_parts trie_counts_parts = {TRIE_TRAINING_TABLE, TRIE_TRAINING_RUNS,
                                                       TRIE_TRAINING_SCRATCH};

/* ---- types ------------------------------------------------------------ */

enum {
    ESCAPE_SAMPLE = 256, /* escapes are counted every this many entries of a tier */
    COUNT_TIERS = 3,     /* tiers of count rank codes */
    SHORT_GROUP = MG_EF_SAMPLE_NEAR, /* groups up to this long are read on from their start */
    CUMULATIVE_SAMPLE = 32, /* a running count total is kept every this many last-level nodes */
};

typedef enum { TRAINING, RUNS, TRIE } trie_state;

/* One level of the trie: node values (id + group base), and for every level
 * but the last, where each node's children start in the next level. */
typedef struct trie_level {
    mg_ef ids;
    mg_ef children; /* nodes + 1 values */
} trie_level;

/* One tier of rank codes: entry e's code is its rank less `first`; in a
 * tier with escapes, the all-ones code sends the reader to the next tier,
 * at the entry numbered by the escapes before e (a sample, then popcounts). */
typedef struct rank_tier {
    unsigned code_bits;  /* escaping tiers: 1, 2, 4, 8 or 16, so fields never straddle words */
    bool escapes;
    uint32_t first;      /* the rank of code 0 */
    uint64_t entries;
    uint64_t *codes;
    size_t codes_words;
    uint32_t *escape_samples; /* escapes before entry k * ESCAPE_SAMPLE */
    size_t sample_count;
} rank_tier;

/* Counts by rank, most frequent count first: every gram has an entry in
 * tier 0; rare counts escape to later tiers (on text: 1 bit a gram for
 * "count 1 or not", 2 bits for the next three counts, the exact rank). */
typedef struct count_ranks {
    uint32_t *values; /* rank -> count */
    uint32_t distinct;
    int tiers;
    rank_tier tier[COUNT_TIERS];
} count_ranks;

typedef struct trie_shape {
    trie_level levels[MG_ORDER_MAX];
    count_ranks counts;
    /* The last level's counts summed every CUMULATIVE_SAMPLE nodes, for
     * sample_successor; stale after a prune in place (counts zeroed). */
    mg_running_totals totals;
} trie_shape;

typedef struct trie_table {
    mg_table base; /* first: the handle (backend.h) */
    trie_state state;

    /* TRAINING */
    mg_interner *interner;

    /* TRAINING (interner ids) and RUNS (dictionary ids) */
    mg_gram_counts counts; /* bounded table + sorted runs (common/gram_counts.h) */

    /* RUNS and TRIE */
    mg_vocab_dict *dict;
    trie_shape trie;      /* TRIE */

    uint64_t grams;       /* grams held after finalize (TRIE: count values > 0 only) */
    uint64_t nodes;       /* TRIE: grams in the last level, zeroed ones included */
    uint64_t contexts;    /* after finalize */

    mg_image image;       /* trie_mmap: the mapping the TRIE arrays live in (none: on the heap) */
    unsigned char drawn[MG_VOCAB_DECODE_MAX]; /* the word sample_successor last decoded */
} trie_table;

/* ---- helpers ---------------------------------------------------------- */

static inline int ids_compare(const uint32_t *a, const uint32_t *b, int count)
{
    for (int k = 0; k < count; k++)
        if (a[k] != b[k])
            return a[k] < b[k] ? -1 : 1;
    return 0;
}

/* multiply-shift onto [0, range) */
static inline uint32_t fastrange(uint32_t hash, uint32_t range)
{
    return (uint32_t)(((uint64_t)hash * range) >> 32);
}

/* ---- create ------------------------------------------------------------ */

static void trie_destroy(mg_table *self);

static mg_table *trie_create(const mg_backend *ops, int order)
{
    if (order < 1 || order > MG_ORDER_MAX)
        return NULL;
    trie_table *t = mg_calloc_in(TRIE_TABLE, 1, sizeof *t);
    if (!t)
        return NULL;
    t->base = (mg_table){ops, order};
    t->state = TRAINING;
    t->interner = mg_interner_create(TRIE_TRAINING_INTERNER);
    if (!t->interner ||
        mg_gram_counts_init(&t->counts, &trie_counts_parts, order, (size_t)MG_GRAM_COUNTS_BUDGET_KIB << 10) != MG_OK) {
        trie_destroy(&t->base);
        return NULL;
    }
    return &t->base;
}

/* The only setting: the training table's budget (common/gram_counts.h). */
static int trie_configure(mg_table *self, size_t index, long long value)
{
    (void)index;
    mg_gram_counts_set_budget(&((trie_table *)self)->counts, (size_t)value << 10);
    return MG_OK;
}

/* ---- add --------------------------------------------------------------- */

/* Interner ids of the tokens; false when one is not interned. */
static bool training_ids(const trie_table *t, const mg_token *tokens, int count, uint32_t *ids)
{
    for (int k = 0; k < count; k++)
        if ((ids[k] = mg_interner_find(t->interner, &tokens[k])) == MG_VOCAB_NO_ID)
            return false;
    return true;
}

/* Room for the gram is made first (table, then words), so a refusal leaves
 * the grams as they were (a word interned before it is harmless). */
static int trie_add(mg_table *self, const mg_token *gram)
{
    trie_table *t = (trie_table *)self;
    uint32_t ids[MG_ORDER_MAX];
    if (training_ids(t, gram, t->base.order, ids)) /* a failed grow or spill changes nothing */
        return mg_gram_counts_add(&t->counts, ids);
    if (mg_gram_counts_make_room(&t->counts) != MG_OK)
        return MG_ERR_NOMEM;
    for (int k = 0; k < t->base.order; k++)
        if (mg_interner_intern(t->interner, &gram[k], &ids[k]) != MG_OK)
            return MG_ERR_NOMEM;
    return mg_gram_counts_add(&t->counts, ids);
}

static int trie_add_many(mg_table *self, const mg_token *grams, size_t count, size_t *added)
{
    trie_table *t = (trie_table *)self;
    return mg_gram_counts_add_many(&t->counts, t->interner, self, trie_add, grams, count, added);
}

/* ---- finalize: counts by rank ------------------------------------------- */

/* Count classes: one 3-word record per distinct count value. Gathered in a
 * small open-addressing table keyed by value (word 1), then sorted by
 * frequency: | UINT32_MAX - grams | value | 0 |, so rank r = position r. */
enum { CLASS_WORDS = 3 };

static bool classes_place(uint32_t *table, uint32_t capacity, uint32_t value, uint32_t grams)
{
    uint32_t index = fastrange(value * 0x9e3779b9u, capacity);
    for (;; index = index + 1 == capacity ? 0 : index + 1) {
        uint32_t *slot = table + (size_t)index * CLASS_WORDS;
        if (slot[0] == 0 || slot[1] == value) {
            bool added = slot[0] == 0;
            slot[0] += grams;
            slot[1] = value;
            return added;
        }
    }
}

/* The count classes of a table's grams, gathered gram by gram. */
typedef struct class_table {
    uint32_t *slots; /* capacity records of CLASS_WORDS */
    uint32_t capacity, used;
    bool failed;     /* a growth was refused: the table is freed */
} class_table;

static int classes_init(class_table *classes)
{
    classes->capacity = 64;
    classes->used = 0;
    classes->slots = mg_calloc_in(TRIE_TRAINING_SCRATCH, classes->capacity, CLASS_WORDS * sizeof *classes->slots);
    classes->failed = classes->slots == NULL;
    return classes->failed ? MG_ERR_NOMEM : MG_OK;
}

static void classes_free(class_table *classes)
{
    mg_free_in(TRIE_TRAINING_SCRATCH, classes->slots, (size_t)classes->capacity * CLASS_WORDS * sizeof *classes->slots);
    classes->slots = NULL;
}

/* One gram of count `value`; the table grows at half full. */
static void classes_add(class_table *classes, uint32_t value)
{
    if (classes->failed)
        return;
    if ((classes->used + 1) * 2 > classes->capacity) {
        uint32_t capacity = classes->capacity * 2;
        uint32_t *grown = mg_calloc_in(TRIE_TRAINING_SCRATCH, capacity, CLASS_WORDS * sizeof *grown);
        for (uint32_t slot = 0; grown && slot < classes->capacity; slot++)
            if (classes->slots[slot * CLASS_WORDS] != 0)
                classes_place(grown, capacity, classes->slots[slot * CLASS_WORDS + 1], classes->slots[slot * CLASS_WORDS]);
        classes_free(classes);
        classes->slots = grown;
        classes->capacity = capacity;
        if (!grown) {
            classes->failed = true;
            return;
        }
    }
    classes->used += classes_place(classes->slots, classes->capacity, value, 1);
}

/* The classes packed to the front by rank: | UINT32_MAX - grams | value | 0 |. */
static uint32_t classes_by_rank(class_table *classes)
{
    uint32_t kept = 0;
    uint32_t *table = classes->slots;
    for (uint32_t slot = 0; slot < classes->capacity; slot++)
        if (table[slot * CLASS_WORDS] != 0) {
            uint32_t *record = table + (size_t)kept++ * CLASS_WORDS;
            uint32_t class_grams = table[slot * CLASS_WORDS], value = table[slot * CLASS_WORDS + 1];
            record[0] = UINT32_MAX - class_grams;
            record[1] = value;
            record[2] = 0;
        }
    mg_records_sort(table, kept, CLASS_WORDS, 2);
    return kept;
}

static inline uint64_t class_grams(const uint32_t *classes, uint32_t rank)
{
    return UINT32_MAX - classes[(size_t)rank * CLASS_WORDS];
}

static unsigned bits_for(uint64_t value) /* bits to write 0..value */
{
    return value ? 64u - (unsigned)__builtin_clzll(value) : 0u;
}

static uint64_t grams_from_rank(const uint32_t *classes, uint32_t first, uint32_t distinct)
{
    uint64_t grams = 0;
    for (uint32_t r = first; r < distinct; r++)
        grams += class_grams(classes, r);
    return grams;
}

static inline uint64_t escape_code(const rank_tier *tier)
{
    return (UINT64_C(1) << tier->code_bits) - 1;
}

/* The tiers' code widths: each tier the cheaper of ending there (the exact
 * width of the ranks left) or escaping with b of 1, 2, 4, 8 or 16 bits,
 * the escaped ranks costed as one exact tier. */
static void plan_tiers(count_ranks *ranks, const uint32_t *classes, uint64_t grams)
{
    uint64_t entries = grams;
    uint32_t first = 0;
    for (int t = 0; t < COUNT_TIERS; t++) {
        rank_tier *tier = &ranks->tier[t];
        uint32_t left = ranks->distinct - first;
        tier->first = first;
        tier->entries = entries;
        tier->escapes = false;
        tier->code_bits = bits_for(left ? left - 1 : 0);
        ranks->tiers = t + 1;
        uint64_t best = entries * tier->code_bits, escaped = 0;
        for (unsigned bits = 1; t + 1 < COUNT_TIERS && bits <= 16; bits *= 2) {
            uint32_t direct = (uint32_t)((UINT64_C(1) << bits) - 1);
            if (direct >= left)
                break;
            uint64_t beyond = grams_from_rank(classes, first + direct, ranks->distinct);
            uint64_t cost = entries * bits + (entries / ESCAPE_SAMPLE + 1) * 32 + beyond * bits_for(left - direct - 1);
            if (cost < best) {
                best = cost;
                tier->code_bits = bits;
                tier->escapes = true;
                escaped = beyond;
            }
        }
        if (!tier->escapes)
            return;
        first += (uint32_t)escape_code(tier);
        entries = escaped;
    }
}

static void counts_free(count_ranks *ranks)
{
    mg_free_in(TRIE_COUNTS, ranks->values, (size_t)(ranks->distinct ? ranks->distinct : 1) * sizeof *ranks->values);
    for (int t = 0; t < ranks->tiers; t++) {
        mg_free_in(TRIE_COUNTS, ranks->tier[t].codes, ranks->tier[t].codes_words * sizeof(uint64_t));
        mg_free_in(TRIE_COUNTS, ranks->tier[t].escape_samples, ranks->tier[t].sample_count * sizeof(uint32_t));
    }
    memset(ranks, 0, sizeof *ranks);
}

/* Rank of a count value in classes sorted by value: | value | rank | .. | */
static uint32_t rank_of(const uint32_t *classes, uint32_t distinct, uint32_t value)
{
    uint32_t low = 0, high = distinct;
    while (high - low > 1) {
        uint32_t middle = low + (high - low) / 2;
        if (classes[(size_t)middle * CLASS_WORDS] <= value)
            low = middle;
        else
            high = middle;
    }
    return classes[(size_t)low * CLASS_WORDS + 1];
}

static int counts_alloc(count_ranks *ranks)
{
    ranks->values = mg_alloc_in(TRIE_COUNTS, (size_t)(ranks->distinct ? ranks->distinct : 1) * sizeof *ranks->values);
    bool ok = ranks->values != NULL;
    for (int t = 0; t < ranks->tiers; t++) {
        rank_tier *tier = &ranks->tier[t];
        tier->codes_words = mg_bits_words(tier->entries, tier->code_bits);
        tier->codes = mg_calloc_in(TRIE_COUNTS, tier->codes_words, sizeof(uint64_t));
        ok = ok && tier->codes;
        if (tier->escapes) {
            tier->sample_count = (size_t)(tier->entries / ESCAPE_SAMPLE) + 1;
            tier->escape_samples = mg_alloc_in(TRIE_COUNTS, tier->sample_count * sizeof(uint32_t));
            ok = ok && tier->escape_samples;
        }
    }
    return ok ? MG_OK : MG_ERR_NOMEM;
}

/* Write a gram's rank: an entry in each tier down to the one that holds it. */
static void counts_put(count_ranks *ranks, uint64_t *entries, uint32_t rank)
{
    for (int t = 0; t < ranks->tiers; t++) {
        rank_tier *tier = &ranks->tier[t];
        uint64_t entry = entries[t]++, code = rank - tier->first;
        if (tier->escapes && entry % ESCAPE_SAMPLE == 0)
            tier->escape_samples[entry / ESCAPE_SAMPLE] = (uint32_t)entries[t + 1];
        bool escaped = tier->escapes && code >= escape_code(tier);
        mg_bits_or(tier->codes, entry * tier->code_bits, tier->code_bits, escaped ? escape_code(tier) : code);
        if (!escaped)
            return;
    }
}

/* The tiers planned and allocated for the classes gathered; the classes
 * are then | value | rank |, sorted by value, for rank_of. */
static int counts_plan(count_ranks *ranks, class_table *classes, uint64_t grams)
{
    memset(ranks, 0, sizeof *ranks);
    uint32_t distinct = classes_by_rank(classes);
    ranks->distinct = distinct;
    plan_tiers(ranks, classes->slots, grams);
    if (counts_alloc(ranks) != MG_OK) {
        counts_free(ranks);
        return MG_ERR_NOMEM;
    }
    for (uint32_t r = 0; r < distinct; r++) {
        uint32_t *record = classes->slots + (size_t)r * CLASS_WORDS;
        ranks->values[r] = record[0] = record[1];
        record[1] = r;
    }
    mg_records_sort(classes->slots, distinct, CLASS_WORDS, 1);
    return MG_OK;
}

/* Fields equal to all ones among the code fields of word (b-bit fields). */
static inline unsigned escape_fields(uint64_t word, unsigned bits)
{
    for (unsigned shift = 1; shift < bits; shift *= 2)
        word &= word >> shift;
    return mg_popcount64(word & (~UINT64_C(0) / ((UINT64_C(1) << bits) - 1)));
}

/* Escapes before entry e of a tier: a sample, then popcounts over at most
 * 4 b words. */
static uint64_t escapes_before(const rank_tier *tier, uint64_t entry)
{
    uint64_t escaped = tier->escape_samples[entry / ESCAPE_SAMPLE];
    uint64_t from = entry / ESCAPE_SAMPLE * ESCAPE_SAMPLE * tier->code_bits, to = entry * tier->code_bits;
    for (uint64_t at = from; at < to; at += 64) {
        uint64_t word = tier->codes[at / 64];
        if (to - at < 64)
            word &= (UINT64_C(1) << (to - at)) - 1;
        escaped += escape_fields(word, tier->code_bits);
    }
    return escaped;
}

/* Gram i's first code, fetched while the last level is searched for it
 * (a group is short, so its grams' codes share a cache line). */
static inline void count_prefetch(const count_ranks *ranks, uint64_t i)
{
    __builtin_prefetch(ranks->tier[0].codes + ((i * ranks->tier[0].code_bits) >> 6));
}

/* Count of gram i: its code in the first tier that holds its rank. */
static uint64_t count_at(const count_ranks *ranks, uint64_t i)
{
    uint64_t entry = i;
    for (int t = 0;; t++) {
        const rank_tier *tier = &ranks->tier[t];
        uint64_t code = mg_bits_get(tier->codes, entry * tier->code_bits, tier->code_bits);
        if (!tier->escapes || code != escape_code(tier))
            return ranks->values[tier->first + code];
        entry = escapes_before(tier, entry);
    }
}

/* ---- finalize: the levels ------------------------------------------------ */

/* Whether level 0 is indexed by id (orders 2 and up): see the header. */
static inline bool first_level_direct(const trie_table *t)
{
    return t->base.order > 1;
}

/* Level k's child starts less their node's position (k >= 1, where every
 * node has a child, so starts rise by at least one a node): the sequence
 * stays monotone and its universe shrinks by the nodes (about 1 bit a
 * node: a level of n nodes and N children takes n + N - n high bits, not
 * n + N). The direct level 0 has empty groups, so it keeps its starts. */
static inline uint64_t start_shift(int k, uint64_t node)
{
    return k > 0 ? node : 0;
}

/* Level 0's child starts for ids up to `id` (inclusive), direct: the ids
 * not held before it get empty groups. */
static void direct_starts_upto(trie_level *level, uint64_t id, uint64_t start)
{
    while (level->children.pushed <= id)
        mg_ef_push(&level->children, start);
}

/* The levels as a pass over the sorted grams sees them: a new node at
 * level k for each gram differing from the one before at or before k; its
 * value id + base, base renewed (last value + 1) where the parent is new
 * too. With levels, the values and child starts are written; without,
 * only counted. A direct level 0 gets child starts only, one per id. */
typedef struct levels_pass {
    trie_level *levels; /* NULL: count only */
    uint64_t nodes[MG_ORDER_MAX], last[MG_ORDER_MAX], base[MG_ORDER_MAX];
    uint32_t previous[MG_ORDER_MAX];
    uint64_t grams;
} levels_pass;

static void levels_pass_start(levels_pass *pass, trie_level *levels)
{
    memset(pass, 0, sizeof *pass);
    pass->levels = levels;
}

static void levels_step(const trie_table *t, levels_pass *pass, const uint32_t *ids)
{
    int order = t->base.order;
    int first_new = 0;
    while (pass->grams > 0 && first_new < order && ids[first_new] == pass->previous[first_new])
        first_new++;
    bool direct = first_level_direct(t);
    for (int k = first_new; k < order; k++) {
        if (k > first_new) /* the parent is new too: a new group */
            pass->base[k] = pass->nodes[k] ? pass->last[k] + 1 : 0;
        pass->last[k] = ids[k] + pass->base[k];
        if (pass->levels && k == 0 && direct) {
            direct_starts_upto(&pass->levels[0], ids[0], pass->nodes[1]);
        } else if (pass->levels) {
            mg_ef_push(&pass->levels[k].ids, pass->last[k]);
            if (k + 1 < order)
                mg_ef_push(&pass->levels[k].children, pass->nodes[k + 1] - start_shift(k, pass->nodes[k]));
        }
        pass->nodes[k]++;
    }
    memcpy(pass->previous, ids, (size_t)order * sizeof *ids);
    pass->grams++;
}

static void levels_free(trie_level *levels, int order)
{
    for (int k = 0; k < order; k++) {
        mg_ef_free(&levels[k].ids);
        mg_ef_free(&levels[k].children);
    }
}

static void trie_shape_free(trie_shape *shape, int order)
{
    levels_free(shape->levels, order);
    counts_free(&shape->counts);
    mg_running_totals_free(&shape->totals);
}

/* Count of the last level's node `entry` (mg_entry_count over count_ranks). */
static uint64_t node_count(const void *ranks, uint64_t entry)
{
    return count_at(ranks, entry);
}

/* The levels' sequences sized from the first pass's nodes and last values. */
static int levels_alloc(const trie_table *t, const levels_pass *counted, trie_level *levels)
{
    bool direct = first_level_direct(t);
    uint64_t words = mg_vocab_dict_count(t->dict);
    for (int k = 0; k < t->base.order; k++) {
        bool ids = !(k == 0 && direct);
        bool ok = mg_ef_init(&levels[k].ids, trie_level_ids(k), ids ? counted->nodes[k] : 0,
                             ids ? counted->last[k] : 0) == MG_OK;
        if (ok && k + 1 < t->base.order)
            ok = mg_ef_init(&levels[k].children, trie_level_starts(k), (ids ? counted->nodes[k] : words) + 1,
                            counted->nodes[k + 1] - start_shift(k, counted->nodes[k])) == MG_OK;
        if (!ok) {
            levels_free(levels, t->base.order);
            return MG_ERR_NOMEM;
        }
    }
    return MG_OK;
}

/* The last child starts pushed, every sequence sealed. */
static void levels_seal(const trie_table *t, levels_pass *pass)
{
    if (first_level_direct(t))
        direct_starts_upto(&pass->levels[0], mg_vocab_dict_count(t->dict) - 1, pass->nodes[1]);
    for (int k = 0; k < t->base.order; k++) {
        if (k + 1 < t->base.order)
            mg_ef_push(&pass->levels[k].children, pass->nodes[k + 1] - start_shift(k, pass->nodes[k]));
        mg_ef_seal(&pass->levels[k].ids);
        if (k + 1 < t->base.order)
            mg_ef_seal(&pass->levels[k].children);
    }
}

/* Pass 1 over the runs' merge: the levels' sizes and the count classes. */
static int build_count(const trie_table *t, const mg_gram_run *runs, size_t run_count, levels_pass *counted,
                       class_table *classes)
{
    mg_gram_merge merge;
    if (classes_init(classes) != MG_OK)
        return MG_ERR_NOMEM;
    if (mg_gram_merge_start(&merge, TRIE_TRAINING_SCRATCH, runs, run_count) != MG_OK) {
        classes_free(classes);
        return MG_ERR_NOMEM;
    }
    levels_pass_start(counted, NULL);
    while (mg_gram_merge_next(&merge)) {
        levels_step(t, counted, merge.ids);
        classes_add(classes, (uint32_t)merge.count);
    }
    mg_gram_merge_free(&merge);
    if (classes->failed)
        return MG_ERR_NOMEM;
    return MG_OK;
}

/* Pass 2: the levels' values and child starts, and every gram's count rank. */
static int build_write(const trie_table *t, const mg_gram_run *runs, size_t run_count, const class_table *classes,
                       trie_shape *shape)
{
    mg_gram_merge merge;
    if (mg_gram_merge_start(&merge, TRIE_TRAINING_SCRATCH, runs, run_count) != MG_OK)
        return MG_ERR_NOMEM;
    levels_pass pass;
    levels_pass_start(&pass, shape->levels);
    uint64_t entries[COUNT_TIERS + 1] = {0};
    while (mg_gram_merge_next(&merge)) {
        levels_step(t, &pass, merge.ids);
        counts_put(&shape->counts, entries, rank_of(classes->slots, shape->counts.distinct, (uint32_t)merge.count));
    }
    mg_gram_merge_free(&merge);
    levels_seal(t, &pass);
    return MG_OK;
}

/* Contexts of the counted grams: the nodes of level order - 2 (1 for
 * order 1 once any gram is held). */
static uint64_t pass_contexts(const trie_table *t, const levels_pass *counted)
{
    if (t->base.order == 1)
        return counted->grams > 0;
    return counted->nodes[t->base.order - 2];
}

/* The levels and counts of the grams of sorted runs, read in two passes of
 * their merge; *grams and *contexts get their numbers. */
static int trie_build(const trie_table *t, const mg_gram_run *runs, size_t run_count, trie_shape *shape,
                      uint64_t *grams, uint64_t *contexts)
{
    memset(shape, 0, sizeof *shape);
    levels_pass counted;
    levels_pass_start(&counted, NULL);
    class_table classes;
    if (build_count(t, runs, run_count, &counted, &classes) != MG_OK) {
        *grams = *contexts = 0;
        return MG_ERR_NOMEM;
    }
    int status = levels_alloc(t, &counted, shape->levels);
    if (status == MG_OK && (status = counts_plan(&shape->counts, &classes, counted.grams)) != MG_OK)
        levels_free(shape->levels, t->base.order);
    if (status == MG_OK && (status = build_write(t, runs, run_count, &classes, shape)) != MG_OK)
        trie_shape_free(shape, t->base.order);
    classes_free(&classes);
    if (status == MG_OK &&
        mg_running_totals_build_in(TRIE_TOTALS, &shape->totals, counted.grams, CUMULATIVE_SAMPLE, node_count,
                                   &shape->counts) != MG_OK) {
        trie_shape_free(shape, t->base.order);
        status = MG_ERR_NOMEM;
    }
    *grams = counted.grams;
    *contexts = pass_contexts(t, &counted);
    return status;
}

/* RUNS -> TRIE; on failure the table stays RUNS, its runs whole. */
static int trie_from_runs(trie_table *t)
{
    trie_shape shape;
    uint64_t grams, contexts;
    if (trie_build(t, t->counts.runs, t->counts.run_count, &shape, &grams, &contexts) != MG_OK) {
        t->grams = grams;
        t->contexts = contexts;
        return MG_ERR_NOMEM;
    }
    mg_gram_counts_free(&t->counts);
    t->trie = shape;
    t->grams = t->nodes = grams;
    t->contexts = contexts;
    t->state = TRIE;
    return MG_OK;
}

/* TRAINING -> RUNS: the table spilled and freed, the dictionary frozen,
 * the interner freed, the runs given the dictionary's ids. */
static int runs_from_training(trie_table *t)
{
    uint32_t *remap;
    if (mg_gram_counts_seal(&t->counts) != MG_OK)
        return MG_ERR_NOMEM;
    mg_interner_drop_index(t->interner); /* only its words are read now */
    if (mg_vocab_dict_freeze(t->interner, &trie_vocab_parts, &t->dict, &remap) != MG_OK)
        return MG_ERR_NOMEM;
    uint32_t ids = mg_interner_count(t->interner);
    mg_interner_destroy(t->interner);
    t->interner = NULL;
    int status = mg_gram_counts_remap(&t->counts, remap);
    mg_vocab_remap_free(TRIE_TRAINING_SCRATCH, remap, ids);
    if (status != MG_OK)
        return status;
    t->state = RUNS;
    return MG_OK;
}

static int trie_finalize(mg_table *self)
{
    trie_table *t = (trie_table *)self;
    if (t->state == TRAINING && runs_from_training(t) != MG_OK)
        return MG_ERR_NOMEM;
    if (t->state == RUNS)
        return trie_from_runs(t);
    return MG_OK;
}

/* ---- lookups ------------------------------------------------------------- */

/* Ids of tokens in the table's vocabulary; false when one is unknown. */
static bool token_ids(const trie_table *t, const mg_token *tokens, int count, uint32_t *ids)
{
    if (t->state == TRAINING)
        return training_ids(t, tokens, count, ids);
    mg_vocab_dict_find_many(t->dict, tokens, count, ids); /* the finds' cache misses overlap */
    for (int k = 0; k < count; k++)
        if (ids[k] == MG_VOCAB_NO_ID)
            return false;
    return true;
}

static mg_token token_of(const trie_table *t, uint32_t id, unsigned char *buffer)
{
    if (t->state == TRAINING)
        return mg_interner_token(t->interner, id);
    return mg_vocab_dict_word(t->dict, id, buffer);
}

/* Node range [*low, *high) of level k's children of node `node` of level k - 1. */
static void children_range(const trie_table *t, int k, uint64_t node, uint64_t *low, uint64_t *high)
{
    if (k == 0) {
        *low = 0;
        *high = t->trie.levels[0].ids.count;
        return;
    }
    mg_ef_iter it;
    mg_ef_iter_at(&it, &t->trie.levels[k - 1].children, node);
    *low = mg_ef_iter_next(&it) + start_shift(k - 1, node);
    *high = mg_ef_iter_next(&it) + start_shift(k - 1, node + 1);
}

/* A cursor at `low`, the start of a group of level k, and the group's base
 * (the value before it + 1), read in one select. */
static uint64_t group_start(const trie_table *t, int k, uint64_t low, mg_ef_iter *it)
{
    const mg_ef *ids = &t->trie.levels[k].ids;
    if (k == 0 || low == 0) {
        mg_ef_iter_at(it, ids, low);
        return 0;
    }
    mg_ef_iter_at(it, ids, low - 1);
    return mg_ef_iter_next(it) + 1;
}

/* Position of id in the group [low, high) of level k: in a short group
 * (most) the cursor that read the base skips to id's bucket and reads its
 * few values; long ones are searched with next_geq_in. */
static bool group_find(const trie_table *t, int k, uint64_t low, uint64_t high, uint32_t id, uint64_t *at)
{
    if (low == high)
        return false;
    mg_ef_iter it;
    uint64_t base = group_start(t, k, low, &it);
    if (high - low <= SHORT_GROUP) {
        mg_ef_iter_skip_below(&it, base + id);
        for (*at = it.index; *at < high; ++*at) {
            uint64_t found = mg_ef_iter_next(&it) - base;
            if (found >= id)
                return found == id;
        }
        return false;
    }
    uint64_t value = 0;
    *at = mg_ef_next_geq_in(&t->trie.levels[k].ids, low, high, base + id, &value);
    return *at < high && value == base + id;
}

/* Walk down `depth` levels; the node of ids[depth - 1] in *node. */
static bool trie_descend(const trie_table *t, const uint32_t *ids, int depth, uint64_t *node)
{
    uint64_t at = 0;
    int k = 0;
    if (first_level_direct(t) && depth > 0) /* level 0's node is the id */
        at = ids[k++];
    for (; k < depth; k++) {
        uint64_t low, high;
        children_range(t, k, at, &low, &high);
        if (k == t->base.order - 1)
            count_prefetch(&t->trie.counts, low);
        if (!group_find(t, k, low, high, ids[k], &at))
            return false;
    }
    *node = at;
    return true;
}

static uint64_t trie_count(mg_table *self, const mg_token *gram)
{
    trie_table *t = (trie_table *)self;
    uint32_t ids[MG_ORDER_MAX];
    if (!token_ids(t, gram, t->base.order, ids))
        return 0;
    if (t->state != TRIE)
        return mg_gram_counts_count(&t->counts, ids);
    uint64_t node;
    return trie_descend(t, ids, t->base.order, &node) ? count_at(&t->trie.counts, node) : 0;
}

/*
 * count_many of the TRIE state, orders 2 up: a group's grams descend
 * together, level by level, and every step's lines are requested for all
 * of them before the first is read, so the group's cache misses overlap:
 * the ids (one find_many for the whole group), then per level the child
 * range (select samples, then high bits) and the group's start (the same
 * two rounds), then the search in the group; then the counts. Other
 * states, and order 1: count per gram.
 */
enum { GROUP = 16 };

typedef struct descent {
    uint64_t node, low, high;
    bool live; /* every id known and every level found so far */
} descent;

/* Level k's child ranges of the group's nodes (level k - 1), fetched first. */
static void group_children(const trie_table *t, int k, size_t count, descent *at)
{
    const mg_ef *children = &t->trie.levels[k - 1].children;
    for (size_t i = 0; i < count; i++)
        if (at[i].live)
            mg_ef_prefetch(children, at[i].node);
    for (size_t i = 0; i < count; i++)
        if (at[i].live)
            mg_ef_prefetch_high(children, at[i].node);
    for (size_t i = 0; i < count; i++)
        if (at[i].live) {
            children_range(t, k, at[i].node, &at[i].low, &at[i].high);
            at[i].live = at[i].low < at[i].high;
        }
}

/* The id of each gram's k-th word in its group of level k, the groups' starts fetched first. */
static void group_search(const trie_table *t, int k, const uint32_t *ids, size_t count, descent *at)
{
    const mg_ef *level_ids = &t->trie.levels[k].ids;
    int order = t->base.order;
    for (size_t i = 0; i < count; i++)
        if (at[i].live) {
            mg_ef_prefetch(level_ids, at[i].low > 0 ? at[i].low - 1 : 0);
            if (k == order - 1)
                count_prefetch(&t->trie.counts, at[i].low);
        }
    for (size_t i = 0; i < count; i++)
        if (at[i].live)
            mg_ef_prefetch_high(level_ids, at[i].low > 0 ? at[i].low - 1 : 0);
    for (size_t i = 0; i < count; i++)
        if (at[i].live)
            at[i].live = group_find(t, k, at[i].low, at[i].high, ids[i * (size_t)order + (size_t)k], &at[i].node);
}

static void trie_count_many(mg_table *self, const mg_token *grams, size_t count, uint64_t *counts)
{
    trie_table *t = (trie_table *)self;
    size_t order = (size_t)t->base.order;
    if (t->state != TRIE || !first_level_direct(t)) {
        for (size_t i = 0; i < count; i++)
            counts[i] = trie_count(self, grams + i * order);
        return;
    }
    uint32_t ids[GROUP * MG_ORDER_MAX];
    descent at[GROUP];
    for (size_t done = 0; done < count; done += GROUP) {
        size_t size = count - done < GROUP ? count - done : GROUP;
        mg_vocab_dict_find_many(t->dict, grams + done * order, size * order, ids);
        for (size_t i = 0; i < size; i++) {
            at[i].live = true;
            for (size_t k = 0; k < order; k++)
                at[i].live &= ids[i * order + k] != MG_VOCAB_NO_ID;
            at[i].node = ids[i * order]; /* level 0's node is the id */
        }
        for (int k = 1; k < (int)order; k++) {
            group_children(t, k, size, at);
            group_search(t, k, ids, size, at);
        }
        for (size_t i = 0; i < size; i++)
            counts[done + i] = at[i].live ? count_at(&t->trie.counts, at[i].node) : 0;
    }
}

/* Visit the successors of a context found at `node` of level order - 2. */
static int trie_successors_of(const trie_table *t, uint64_t node, mg_successor_visit visit, void *arg)
{
    int k = t->base.order - 1;
    uint64_t low, high;
    children_range(t, k, node, &low, &high);
    mg_ef_iter it;
    uint64_t base = group_start(t, k, low, &it);
    unsigned char buffer[MG_VOCAB_DECODE_MAX];
    for (uint64_t at = low; at < high; at++) {
        uint32_t id = (uint32_t)(mg_ef_iter_next(&it) - base);
        uint64_t count = count_at(&t->trie.counts, at);
        if (count == 0)
            continue;
        mg_token next = token_of(t, id, buffer);
        int stop = visit(arg, &next, count);
        if (stop)
            return stop;
    }
    return 0;
}

/* A walk over ids (the runs', the trie's) handing tokens to a caller's visitor. */
typedef struct visit_state {
    const trie_table *t;
    mg_successor_visit successor;
    mg_gram_visit gram;
    void *arg;
} visit_state;

static int visit_ids_as_successor(void *arg, const uint32_t *ids, uint64_t count)
{
    const visit_state *state = arg;
    unsigned char buffer[MG_VOCAB_DECODE_MAX];
    mg_token next = token_of(state->t, ids[state->t->base.order - 1], buffer);
    return state->successor(state->arg, &next, count);
}

static int trie_successors(mg_table *self, const mg_token *context, mg_successor_visit visit, void *arg)
{
    trie_table *t = (trie_table *)self;
    uint32_t ids[MG_ORDER_MAX];
    int depth = t->base.order - 1;
    if (!token_ids(t, context, depth, ids))
        return 0;
    if (t->state == TRIE) {
        uint64_t node = 0;
        return trie_descend(t, ids, depth, &node) ? trie_successors_of(t, node, visit, arg) : 0;
    }
    visit_state state = {t, visit, NULL, arg};
    return mg_gram_counts_successors(&t->counts, ids, visit_ids_as_successor, &state);
}

/* ---- sample_successor ---------------------------------------------------- */

/* The TRIE state; before it (training, or the runs where building the
 * levels ran out of memory) the generator walks. */
static int trie_sample_successor(mg_table *self, const mg_token *context, uint64_t draw, mg_token *next)
{
    trie_table *t = (trie_table *)self;
    uint32_t ids[MG_ORDER_MAX];
    int k = t->base.order - 1;
    if (t->state != TRIE)
        return MG_SAMPLE_WALK; /* the runs keep no running totals */
    if (!token_ids(t, context, k, ids))
        return 0;
    uint64_t node = 0, low, high, chosen;
    if (!trie_descend(t, ids, k, &node))
        return 0;
    children_range(t, k, node, &low, &high);
    if (low == high)
        return 0;
    mg_ef_iter it;
    uint64_t base = group_start(t, k, low, &it);
    uint64_t first = low + (mg_ef_iter_next(&it) - base == MG_MARK_START); /* ids follow token order: it leads */
    if (!mg_running_totals_draw(&t->trie.totals, first, high, draw, node_count, &t->trie.counts, &chosen))
        return 0;
    *next = token_of(t, (uint32_t)(mg_ef_get(&t->trie.levels[k].ids, chosen) - base), t->drawn);
    return 1;
}

/* ---- walking the trie in order ------------------------------------------- */

/* Every level's current node, read in step with the last level. */
typedef struct trie_cursor {
    const trie_table *t;
    mg_ef_iter ids[MG_ORDER_MAX], children[MG_ORDER_MAX];
    uint64_t read[MG_ORDER_MAX];      /* nodes read per level */
    uint64_t child_end[MG_ORDER_MAX]; /* end of the current node's children */
    uint64_t last[MG_ORDER_MAX], base[MG_ORDER_MAX];
    uint32_t id[MG_ORDER_MAX];
} trie_cursor;

static void cursor_start(trie_cursor *c, const trie_table *t)
{
    memset(c, 0, sizeof *c);
    c->t = t;
    for (int k = 0; k < t->base.order; k++) {
        mg_ef_iter_at(&c->ids[k], &t->trie.levels[k].ids, 0);
        if (k + 1 < t->base.order)
            mg_ef_iter_at(&c->children[k], &t->trie.levels[k].children, 1); /* ends */
    }
}

/* Move level k to its next node, moving its parent on first when the
 * parent's children are used up. */
static void cursor_advance(trie_cursor *c, int k)
{
    if (k == 0 && first_level_direct(c->t)) { /* the next id with children */
        uint64_t start = c->child_end[0];
        do {
            c->id[0] = (uint32_t)c->read[0]++;
            c->child_end[0] = mg_ef_iter_next(&c->children[0]);
        } while (c->child_end[0] == start);
        return;
    }
    if (k > 0 && c->read[k] == c->child_end[k - 1]) {
        cursor_advance(c, k - 1);
        c->base[k] = c->read[k] ? c->last[k] + 1 : 0;
    }
    c->last[k] = mg_ef_iter_next(&c->ids[k]);
    c->id[k] = (uint32_t)(c->last[k] - c->base[k]);
    c->read[k]++;
    if (k + 1 < c->t->base.order)
        c->child_end[k] = mg_ef_iter_next(&c->children[k]) + start_shift(k, c->read[k]);
}

typedef int (*record_visit)(void *arg, const uint32_t *ids, uint64_t count);

/* Visit every gram held (count > 0) as ids, in id order. */
static int trie_walk(const trie_table *t, record_visit visit, void *arg)
{
    trie_cursor cursor;
    cursor_start(&cursor, t);
    for (uint64_t i = 0; i < t->nodes; i++) {
        cursor_advance(&cursor, t->base.order - 1);
        uint64_t count = count_at(&t->trie.counts, i);
        if (count == 0)
            continue;
        int stop = visit(arg, cursor.id, count);
        if (stop)
            return stop;
    }
    return 0;
}

static int visit_ids_as_gram(void *arg, const uint32_t *ids, uint64_t count)
{
    const visit_state *state = arg;
    unsigned char buffers[MG_ORDER_MAX][MG_VOCAB_DECODE_MAX];
    mg_token gram[MG_ORDER_MAX];
    for (int k = 0; k < state->t->base.order; k++)
        gram[k] = token_of(state->t, ids[k], buffers[k]);
    return state->gram(state->arg, gram, count);
}

static int trie_foreach(mg_table *self, mg_gram_visit visit, void *arg)
{
    trie_table *t = (trie_table *)self;
    visit_state state = {t, NULL, visit, arg};
    if (t->state == TRIE)
        return trie_walk(t, visit_ids_as_gram, &state);
    return mg_gram_counts_foreach(&t->counts, visit_ids_as_gram, &state);
}

static void trie_sizes(mg_table *self, uint64_t *ngrams, uint64_t *contexts)
{
    const trie_table *t = (const trie_table *)self;
    *ngrams = t->grams;
    *contexts = t->contexts;
}

/* ---- prune --------------------------------------------------------------- */

/* A walk's kept grams: how many, their contexts, the bits of a run of
 * them, and (with out) the run itself. */
typedef struct walk_tally {
    const trie_table *t;
    uint64_t min_count;
    uint64_t kept, contexts, bits;
    unsigned id_bits;
    uint32_t previous[MG_ORDER_MAX];
    mg_gram_run *out; /* when set, kept grams are put in it */
} walk_tally;

static void tally_start(walk_tally *tally, const trie_table *t, uint64_t min_count, mg_gram_run *out)
{
    memset(tally, 0, sizeof *tally);
    tally->t = t;
    tally->min_count = min_count;
    tally->out = out;
    uint32_t words = mg_vocab_dict_count(t->dict);
    tally->id_bits = words > 2 ? 64u - (unsigned)__builtin_clzll(words - 1) : 1u;
}

static int tally_gram(void *arg, const uint32_t *ids, uint64_t count)
{
    walk_tally *tally = arg;
    int order = tally->t->base.order;
    if (count < tally->min_count)
        return 0;
    if (tally->kept == 0 || ids_compare(ids, tally->previous, order - 1) != 0)
        tally->contexts++;
    tally->bits += mg_gram_run_record_bits(tally->kept ? tally->previous : NULL, ids, count, order, tally->id_bits);
    if (tally->out)
        mg_gram_run_put(tally->out, ids, count);
    memcpy(tally->previous, ids, (size_t)order * sizeof *ids);
    tally->kept++;
    return 0;
}

/* No memory for a rebuild: count values under min_count become 0 (absent)
 * in place; the levels stay as they are. */
static void trie_prune_in_place(trie_table *t, uint64_t min_count)
{
    count_ranks *ranks = &t->trie.counts;
    for (uint32_t r = 0; r < ranks->distinct; r++)
        if (ranks->values[r] < min_count)
            ranks->values[r] = 0;
    t->trie.totals.stale = true;
    walk_tally tally;
    tally_start(&tally, t, 1, NULL);
    trie_walk(t, tally_gram, &tally);
    t->grams = tally.kept;
    t->contexts = tally.contexts;
}

/* The grams that pass, as one sorted run, then new levels from it. */
static void trie_prune_rebuild(trie_table *t, uint64_t min_count, const walk_tally *counted)
{
    mg_gram_run kept;
    if (mg_gram_run_open(&kept, TRIE_TRAINING_RUNS, t->base.order, counted->id_bits, counted->kept, counted->bits) !=
        MG_OK) {
        trie_prune_in_place(t, min_count);
        return;
    }
    walk_tally tally;
    tally_start(&tally, t, min_count, &kept);
    trie_walk(t, tally_gram, &tally);
    trie_shape shape;
    uint64_t grams, contexts;
    int status = trie_build(t, &kept, 1, &shape, &grams, &contexts);
    mg_gram_run_free(&kept);
    if (status != MG_OK) {
        trie_prune_in_place(t, min_count);
        return;
    }
    trie_shape_free(&t->trie, t->base.order);
    t->trie = shape;
    t->grams = t->nodes = grams;
    t->contexts = contexts;
}

static uint64_t trie_prune(mg_table *self, uint64_t min_count)
{
    trie_table *t = (trie_table *)self;
    if (t->state != TRIE) {
        uint64_t dropped = mg_gram_counts_prune(&t->counts, min_count);
        t->grams = t->grams > dropped ? t->grams - dropped : 0;
        return dropped;
    }
    uint64_t before = t->grams;
    walk_tally tally;
    tally_start(&tally, t, min_count, NULL);
    trie_walk(t, tally_gram, &tally);
    if (tally.kept != before)
        trie_prune_rebuild(t, min_count, &tally);
    return before - tally.kept;
}

/* ---- destroy ------------------------------------------------------------- */

static void trie_destroy(mg_table *self)
{
    trie_table *t = (trie_table *)self;
    if (!t)
        return;
    mg_interner_destroy(t->interner);
    mg_gram_counts_free(&t->counts);
    mg_vocab_dict_destroy(t->dict);
    trie_shape_free(&t->trie, t->base.order);
    mg_free_in(TRIE_TABLE, t, sizeof *t);
}

/* ---- estimate ------------------------------------------------------------ */

/* Bits of an EF sequence of m values over a universe u, per the header:
 * l = floor(log2(u / m)) low bits, a one and (u / 2^l) / m zeros of high
 * bits, 0.35 of samples and rank directory, a value. */
static double ef_bits(double m, double u)
{
    if (m < 1.0)
        return 0.0;
    double low_bits = u > m ? floor(log2(u / m)) : 0.0;
    return m * (low_bits + 1.0 + u / exp2(low_bits) / m + 0.35);
}

/* The formula of the header, part by part (bytes[tag - 1] per n-gram). */
static void trie_estimate_parts(const mg_table_shape *shape, double *bytes)
{
    for (int part = 1; part < TRIE_PART_END; part++)
        bytes[part - 1] = 0.0;
    if (shape->ngrams == 0)
        return;
    double grams = (double)shape->ngrams, contexts = (double)shape->contexts, vocab = (double)shape->vocab + 2;
    double nodes[MG_ORDER_MAX];
    int order = shape->order;
    /* Level 0 has about a node a word; the levels between it and the
     * contexts' (orders 4 and 5) grow from the words towards the contexts,
     * taken as a straight line in k. */
    double first = contexts < vocab ? contexts : vocab;
    for (int k = 0; k < order; k++)
        nodes[k] = k == order - 1 ? grams : k == order - 2 ? contexts : first + (contexts - first) * k / (order - 2);
    for (int k = 0; k < order; k++) {
        bool direct = k == 0 && order > 1; /* child starts by id, no node values */
        if (!direct)
            bytes[trie_level_ids(k) - 1] = ef_bits(nodes[k], k == 0 ? vocab : nodes[k - 1] * vocab / 2.0) / 8.0 / grams;
        if (k + 1 < order)
            bytes[trie_level_starts(k) - 1] =
                (direct ? ef_bits(vocab + 1, nodes[1]) : ef_bits(nodes[k] + 1, nodes[k + 1] - nodes[k])) / 8.0 / grams;
    }
    bytes[TRIE_COUNTS - 1] = 1.5 / 8.0; /* 1 bit a gram, 2 more for one in ten, 9 more for one in seventy */
    bytes[TRIE_TOTALS - 1] = mg_running_totals_bits(grams, CUMULATIVE_SAMPLE, 1.6 * grams) / 8.0 / grams;
    double words, index;
    mg_vocab_dict_estimate_parts(shape->vocab, shape->vocab_bytes, &words, &index);
    bytes[TRIE_VOCAB_WORDS - 1] = words / grams;
    bytes[TRIE_VOCAB_INDEX - 1] = index / grams;
    bytes[TRIE_TABLE - 1] = (double)sizeof(trie_table) / grams;
}

/* ---- ops table ----------------------------------------------------------- */

const mg_backend mg_backend_trie = {
    .version = MG_BACKEND_VERSION,
    .name = "trie",
    .summary = "word-level trie, Elias-Fano coded levels, rank-encoded counts, front-coded vocabulary",
    .layout_version = 4,
    .create = trie_create,
    .add = trie_add,
    .finalize = trie_finalize,
    .count = trie_count,
    .successors = trie_successors,
    .foreach = trie_foreach,
    .sizes = trie_sizes,
    .prune = trie_prune,
    .destroy = trie_destroy,
    .sample_successor = trie_sample_successor,
    .add_many = trie_add_many,
    .count_many = trie_count_many,
    .settings = &mg_gram_counts_budget_setting,
    .setting_count = 1,
    .configure = trie_configure,
    .parts = trie_parts,
    .part_count = TRIE_PART_END - 1,
    .estimate_parts = trie_estimate_parts,
};

/* ---- the frozen twin: trie_mmap ------------------------------------------ */

static mg_image *trie_image(mg_table *self) { return &((trie_table *)self)->image; }

/* The TRIE state's arrays, for the image: the dictionary's, every level's
 * sequences, the count values and tiers. */
static void trie_list_blocks(mg_table *self, mg_image_list *list)
{
    trie_table *t = (trie_table *)self;
    mg_vocab_dict_list_blocks(t->dict, list);
    for (int k = 0; k < t->base.order; k++) {
        mg_ef_list_blocks(&t->trie.levels[k].ids, list);
        if (k + 1 < t->base.order)
            mg_ef_list_blocks(&t->trie.levels[k].children, list);
    }
    mg_ef_list_blocks(&t->trie.totals.totals, list);
    count_ranks *ranks = &t->trie.counts;
    mg_image_list_block(list, TRIE_COUNTS, &ranks->values,
                        (size_t)(ranks->distinct ? ranks->distinct : 1) * sizeof *ranks->values);
    for (int k = 0; k < ranks->tiers; k++) {
        mg_image_list_block(list, TRIE_COUNTS, &ranks->tier[k].codes, ranks->tier[k].codes_words * sizeof(uint64_t));
        mg_image_list_block(list, TRIE_COUNTS, &ranks->tier[k].escape_samples,
                            ranks->tier[k].sample_count * sizeof(uint32_t));
    }
}

/* What trie does when it cannot rebuild: the counts under min_count zeroed. */
static uint64_t trie_prune_frozen_in_place(mg_table *self, uint64_t min_count)
{
    trie_table *t = (trie_table *)self;
    uint64_t before = t->grams;
    trie_prune_in_place(t, min_count);
    return before - t->grams;
}

static const mg_image_twin trie_twin = {&mg_backend_trie, trie_image, trie_list_blocks, trie_prune_frozen_in_place};

static int trie_mmap_finalize(mg_table *self) { return mg_image_twin_finalize(&trie_twin, self); }
static uint64_t trie_mmap_prune(mg_table *self, uint64_t min_count) { return mg_image_twin_prune(&trie_twin, self, min_count); }
static void trie_mmap_destroy(mg_table *self) { mg_image_twin_destroy(&trie_twin, self); }

/* The image holds every array: what is requested is the table's struct and
 * the dictionary's (its estimate for no words), whatever the table's size. */
static void trie_mmap_estimate_parts(const mg_table_shape *shape, double *bytes)
{
    for (int part = 1; part < TRIE_PART_END; part++)
        bytes[part - 1] = 0.0;
    if (shape->ngrams == 0)
        return;
    double words, index;
    mg_vocab_dict_estimate_parts(0, 0, &words, &index);
    bytes[TRIE_TABLE - 1] = (double)sizeof(trie_table) / (double)shape->ngrams;
    bytes[TRIE_VOCAB_INDEX - 1] = index / (double)shape->ngrams;
}

const mg_backend mg_backend_trie_mmap = {
    .version = MG_BACKEND_VERSION,
    .name = "trie_mmap",
    .summary = "trie frozen at finalize into a private image file, served from a read-only mmap",
    .layout_version = 4,
    .create = trie_create,
    .add = trie_add,
    .finalize = trie_mmap_finalize,
    .count = trie_count,
    .successors = trie_successors,
    .foreach = trie_foreach,
    .sizes = trie_sizes,
    .prune = trie_mmap_prune,
    .destroy = trie_mmap_destroy,
    .sample_successor = trie_sample_successor,
    .add_many = trie_add_many,
    .count_many = trie_count_many,
    .settings = &mg_gram_counts_budget_setting,
    .setting_count = 1,
    .configure = trie_configure,
    .parts = trie_parts,
    .part_count = TRIE_PART_END - 1,
    .estimate_parts = trie_mmap_estimate_parts,
};
