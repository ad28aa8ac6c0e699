/*
 * packed_arrays.c — words interned to ids; at finalize the vocabulary is
 * frozen into the shared front-coded dictionary (common/vocab.h, ids in
 * token order) and the n-grams, sorted by id tuple, are stored as
 * bit-packed rows with a sampled skip index per field.
 *
 * Training: the interner (common/vocab.h), word -> id, and the counts of
 * id tuples shared with trie (common/gram_counts.h): a table bounded by
 * the training-budget-kib setting (3 MiB by default), spilled when full
 * into sorted runs of bit-coded records (~4 bytes each). At finalize the
 * table is spilled and freed, the dictionary frozen, the interner freed,
 * each run sorted again in dictionary ids, the runs merged into one (each
 * gram once: the rows' pass then holds the grams' bytes once, not 1.1-1.2
 * times), and the rows written from it in two passes (the grams and
 * their counts' widths, then the rows): the grams are never held as
 * records, so the training peak is the interner + the budget + the runs,
 * not a hash of every distinct gram.
 *
 * Frozen (order 3; grams sorted by (w0, w1, w2), ids from the dictionary):
 *
 *   first_at: V + 1 entries of ceil(log2(n + 1)) bits: grams with w0 < v
 *   +---+---+---+---+--
 *   | 0 | 0 | 3 | 4 |..        grams of w0 = v: rows [first_at[v], first_at[v+1])
 *   +---+---+---+---+--        (w0 is implicit: no field for it)
 *   rows: one per gram, 2 ceil(log2 V) + b bits, packed in 64-bit words
 *   +----+----+-----+----+----+-----+----+----+-----+--
 *   | w1 | w2 | c-1 | w1 | w2 | c-1 | w1 | w2 | c-1 |..   c-1 all ones: escape
 *   +----+----+-----+----+----+-----+----+----+-----+--
 *   samples: the ids of rows 0, 32, 64, ..  | w1 | w2 | w1 | w2 |..  (no count)
 *   coarse samples: the ids of rows 0, 1024, 2048, .. (the same layout)
 *   escapes: (gram, count) sorted by gram, for the counts that do not fit
 *   hot words: up to 4096 slots of 16 B | id | len | up to 11 bytes |,
 *              hashed: the most frequent words of at most 11 bytes, half full
 *   running totals: the rows' counts summed every 32 rows, Elias-Fano coded
 *              (common/running_totals.h): sample_successor's search
 *   dictionary: common/vocab.h (front-coded, with its hash index)
 *
 *   b is the width minimising n b + 128 escapes. A context's successors are
 *   one contiguous range of rows. A lookup is one search of w0's rows for
 *   the tuple (w1, w2), compared whole, level by level: the coarse samples
 *   the range holds (a frequent range's stay cached), then the 32 samples
 *   between two coarse ones, then the 32 rows between two samples; each of
 *   these two spans is 2 or 3 cache lines, all requested at once.
 *   Why rows and not columns: the count is read from the cache line that
 *   held the last id, and the rows can be packed in place (below). Why a
 *   hot table: a dictionary find costs dependent cache misses (index slot,
 *   bucket offset, bucket scan) and a hit does three finds, but queries
 *   follow the text, where the 2048 words it holds make half the tokens of
 *   gcide's hit grams; the other words are found side by side (vocab.h's
 *   find_many), their misses overlapping.
 *
 * Where a hit's time goes: the three ids (a word outside the hot table
 * costs an index slot; the bucket that confirms the slot's guess is
 * fetched while the rows are searched, pa_count), then first_at, then the
 * rows search (the level-0 samples' span, then the rows' span: two misses
 * in turn), then the count. Each step waits for a dependent cache miss,
 * whose cost memgrams-microbench's machine/dependent_load_SIZE shows, so a
 * hit with a cold word waits for about four. The hot table
 * stays at HOT_SLOTS_MAX because the layout's bytes budget bounds it: a
 * larger one buys a little lookup time with bytes a trigram.
 *
 * Memory shaping (RSS after finalize, not only bytes requested): the
 * training table, its runs and the scratch of their re-sort are blocks
 * given back to the kernel when freed (common/grow.h: mg_calloc_returned_in),
 * so they leave no dirty pages behind. The optional parts come last: the
 * dictionary's hash index into pages the interner and the runs have just
 * freed, the samples and the hot table into the rows' block, after the
 * rows (sharing its rounding).
 *
 * Parts (mem.h's tags, named in pa_parts; pa_estimate_parts is the
 * formula), bytes requested per n-gram after finalize, for n grams, V words
 * totalling B bytes, b = 3 count bits and e = 0.007 of the counts escaped
 * (as measured on gcide order 3); bytes a trigram measured on gcide 1/4
 * (n = 1.04 M, V = 0.21 M ~ 2^17.7, b = 3), order 3:
 *
 *   part               formula (bytes / n)                               measured
 *   table              sizeof(packed_table) / n                             0.001
 *   vocab.words        (0.385 B + 1.04 V) / n        (vocab.h)              0.949
 *   vocab.index        (V / 2 + 48 + 5 V) / n: bucket keys, offsets,        1.100
 *                      struct and the hash index
 *   grams.starts       (V / n) ceil(log2(n + 1)) / 8    (first_at)          0.500
 *   grams.rows         (order - 1) ceil(log2 V) (1 + 1/32 + 1/1024) / 8     5.083
 *                      + b / 8 + 16 H / n: rows, samples and hot words
 *                      (H = min(4096, 2 V) slots), one block
 *   counts.escapes     128 e / 8                                            0.103
 *   totals             ef(n / 32, 1.6 n) / 8 / n (running_totals.h)         0.031
 *   training.table     the budget's slots (gram_hash.h)                     0 after finalize
 *   training.interner  the interner's slots, offsets and arena (vocab.h)    0 after finalize
 *   training.runs      the spilled runs, ~4 bytes a record (gram_runs.h)    0 after finalize
 *   training.scratch   the remap, the re-sort's block, the merges' heaps,   0 after finalize
 *                      the hot words' heap
 *                                                                   sum     7.767 (7.780 estimated)
 *
 * The rows' block is one part, grams.rows: the samples and the hot table
 * share its allocation and rounding (above), so the part holds them too.
 * The training parts peak, per trigram of this run, at interner 24.6 (its
 * 8 MiB chunks, mostly unwritten), runs 16.3 (the merged run beside the
 * runs), scratch 16.2 (the re-sort's block) and table 8.4 (a growth's
 * transient 8 MiB block beside the old slots).
 *
 * Frozen image (packed_arrays_mmap, at the bottom of this file: the same
 * layout, its finalize then freezes it, common/image.h): every frozen array
 * goes into one private file, each at a multiple of 64 bytes after a 64-byte
 * header, which is mapped read-only and populated; the heap copies are freed.
 *
 *   image file:  | header | dictionary data | buckets | index | first_at |
 *                | rows, samples, hot words (one block) | escapes | running totals |
 *   heap:        the table struct (664 bytes; part table) and the
 *                dictionary's (48; part vocab.index)
 *
 * So the bytes requested after finalize are ~0 per n-gram (its estimate:
 * those two structs over n; measured on gcide 1/4, order 3: table 0.0006,
 * vocab.index 0.0001, every other part 0): the file's pages are not
 * requested bytes, no part counts them; they are file-backed resident
 * pages (RssFile), which the kernel may drop and read again.
 * Lookups are packed_arrays' own. A prune thaws the image, prunes as below
 * and freezes the result; without memory for the thaw it compacts the rows
 * in place in the mapping, made writable for it, the blocks keeping their
 * size (private: the pages written become anonymous memory, the file is
 * never changed).
 */
#include "backend.h"
#include "common/elias_fano.h"
#include "common/gram_counts.h"
#include "common/image.h"
#include "common/running_totals.h"
#include "common/vocab.h"
#include "mem.h"

#include <stdbool.h>
#include <string.h>

#include <xxhash.h>

/* ---- parts ------------------------------------------------------------ */

/* The table's parts (mem.h's tags; names and formulas in the header's
 * table). The rows' block is one part: the samples and the hot table share
 * it (and its rounding), so grams.rows holds them too. */
enum pa_part {
    PA_TABLE = 1,
    PA_VOCAB_WORDS,
    PA_VOCAB_INDEX,
    PA_GRAMS_STARTS,
    PA_GRAMS_ROWS,
    PA_COUNTS_ESCAPES,
    PA_TOTALS,
    PA_TRAINING_TABLE,
    PA_TRAINING_INTERNER,
    PA_TRAINING_RUNS,
    PA_TRAINING_SCRATCH,
    PA_PART_END, /* one past the last */
};

_Static_assert(PA_PART_END <= MG_PARTS_MAX, "the parts fit mem.h's tags");

static const char *const pa_parts[] = {
    [PA_TABLE - 1] = "table",
    [PA_VOCAB_WORDS - 1] = "vocab.words",
    [PA_VOCAB_INDEX - 1] = "vocab.index",
    [PA_GRAMS_STARTS - 1] = "grams.starts",
    [PA_GRAMS_ROWS - 1] = "grams.rows",
    [PA_COUNTS_ESCAPES - 1] = "counts.escapes",
    [PA_TOTALS - 1] = "totals",
    [PA_TRAINING_TABLE - 1] = "training.table",
    [PA_TRAINING_INTERNER - 1] = "training.interner",
    [PA_TRAINING_RUNS - 1] = "training.runs",
    [PA_TRAINING_SCRATCH - 1] = "training.scratch",
};

static const mg_vocab_parts pa_vocab_parts = {PA_VOCAB_WORDS, PA_VOCAB_INDEX, PA_TRAINING_SCRATCH};
static const mg_gram_counts_parts pa_counts_parts = {PA_TRAINING_TABLE, PA_TRAINING_RUNS, PA_TRAINING_SCRATCH};

/* ---- types ------------------------------------------------------------ */

enum {
    COUNT_BITS_MAX = 32,
    ESCAPE_BITS = 128,  /* an escape entry: 16 bytes */
    SAMPLE_EVERY = 32,  /* rows between two samples; samples between two of the next level */
    SAMPLE_LEVELS = 2,  /* samples of every 32nd row, then of every 1024th */
    HOT_SLOTS_MAX = 4096, /* hot words table: slots (a power of two), half filled */
    HOT_BYTES = 11,       /* longest word the hot table holds */
    DECODE_AHEAD = 8,     /* successors: the word decoded this many rows later is requested */
    TOTALS_EVERY = 32,    /* rows between two running totals */
};

/* Assumed by the estimate (measured on gcide order 3): count width and the
 * fraction of counts escaped. */
#define ESTIMATE_COUNT_BITS 3.0
#define ESTIMATE_ESCAPED 0.007

/* n values of `bits` bits each, packed into 64-bit words (one spare word at
 * the end, so a value never reads past the block). */
typedef struct packed_array {
    uint64_t *words;
    size_t word_count;
    unsigned bits;
    int part; /* mem.h's tag of words */
} packed_array;

/* A frequent word and its id: 16 bytes, len 0 = empty. */
typedef struct hot_word {
    uint32_t id;
    uint8_t len;
    unsigned char bytes[HOT_BYTES];
} hot_word;
_Static_assert(sizeof(hot_word) == 16, "a hot word is 16 bytes");

/* A count too big for the count field. */
typedef struct escape {
    uint64_t gram;
    uint64_t count;
} escape;

typedef struct packed_table {
    mg_table base; /* first: the handle (backend.h) */
    bool finalized;
    uint64_t grams; /* frozen */
    uint64_t contexts;

    /* training */
    mg_interner *interner;
    mg_gram_counts counts; /* id tuple -> count: bounded table + sorted runs (common/gram_counts.h) */

    /* frozen */
    mg_vocab_dict *dict;
    uint32_t vocab; /* dictionary ids, markers included */
    packed_array first_at;
    uint64_t *rows;    /* one row per gram */
    size_t rows_bytes; /* the rows' block */
    unsigned id_bits, count_bits, row_bits;
    uint64_t *samples[SAMPLE_LEVELS]; /* level l: the id fields of every 32^(l + 1)-th row; NULL when out of memory */
    escape *escapes;
    uint64_t escape_count;
    size_t escapes_bytes; /* their block (more than needed after a prune that could not shrink it) */
    hot_word *hot;        /* the most frequent short words, hashed: NULL when out of memory */
    uint32_t hot_cap;
    mg_running_totals totals; /* the rows' counts summed; empty when out of memory (draws sum their rows) */
    unsigned char drawn[MG_VOCAB_DECODE_MAX]; /* the word sample_successor last decoded */

    mg_image image; /* packed_arrays_mmap: the mapping the frozen arrays live in (none: on the heap) */
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

/* The width-bit field at bit `at` (width < 64); the word after it is always
 * there (every block keeps a spare word), so both are read, no branch. */
static inline uint64_t bits_read(const uint64_t *words, uint64_t at, unsigned width)
{
    const uint64_t *word = words + (at >> 6);
    unsigned shift = (unsigned)(at & 63);
    uint64_t value = (word[0] >> shift) | ((word[1] << 1) << (63 - shift));
    return value & ((UINT64_C(1) << width) - 1);
}

/* Overwrite the width-bit field at bit `at` (width <= 32, value < 2^width). */
static inline void bits_put(uint64_t *words, uint64_t at, unsigned width, uint64_t value)
{
    if (width == 0)
        return;
    uint64_t mask = (UINT64_C(1) << width) - 1;
    uint64_t *word = words + (at >> 6);
    unsigned shift = (unsigned)(at & 63);
    word[0] = (word[0] & ~(mask << shift)) | (value << shift);
    if (shift + width > 64)
        word[1] = (word[1] & ~(mask >> (64 - shift))) | (value >> (64 - shift));
}

static int packed_make(packed_array *array, int part, uint64_t len, unsigned bits)
{
    array->bits = bits;
    array->part = part;
    array->word_count = mg_bits_words(len, bits);
    array->words = mg_calloc_in(part, array->word_count, sizeof(uint64_t));
    return array->words ? MG_OK : MG_ERR_NOMEM;
}

static void packed_free(packed_array *array)
{
    mg_free_in(array->part, array->words, array->word_count * sizeof(uint64_t));
    array->words = NULL;
    array->word_count = 0;
}

static inline uint64_t packed_get(const packed_array *array, uint64_t index)
{
    return bits_read(array->words, index * array->bits, array->bits);
}

static inline void packed_set(packed_array *array, uint64_t index, uint64_t value)
{
    bits_put(array->words, index * array->bits, array->bits, value);
}

/* Give back the tail of a block (tagged part) of old_bytes now needing
 * `bytes`; on failure the block just stays as big. */
static void *block_shrink(int part, void *block, size_t *old_bytes, size_t bytes)
{
    if (bytes >= *old_bytes)
        return block;
    void *shrunk = mg_realloc_in(part, block, *old_bytes, bytes);
    if (!shrunk)
        return block;
    *old_bytes = bytes;
    return shrunk;
}

/* Fields written in order into words no one reads again: each word is
 * stored once, whole, when its 64 bits are known. */
typedef struct bit_writer {
    uint64_t *words;
    size_t at;
    uint64_t pending;
    unsigned used;
} bit_writer;

static inline void writer_put(bit_writer *writer, uint64_t value, unsigned width)
{
    if (width == 0)
        return;
    writer->pending |= value << writer->used;
    writer->used += width;
    if (writer->used >= 64) {
        writer->words[writer->at++] = writer->pending;
        writer->used -= 64;
        writer->pending = writer->used == 0 ? 0 : value >> (width - writer->used);
    }
}

/* The last partial word and the spare word. */
static void writer_flush(bit_writer *writer)
{
    if (writer->used > 0)
        writer->words[writer->at++] = writer->pending;
    writer->words[writer->at++] = 0;
}

/* ---- rows ------------------------------------------------------------- */

/* Field k (1 .. order - 1) of a row: the id at position k. */
static inline uint64_t row_id(const packed_table *t, uint64_t row, int k)
{
    return bits_read(t->rows, row * t->row_bits + (uint64_t)(k - 1) * t->id_bits, t->id_bits);
}

static inline uint64_t row_count_bits_at(const packed_table *t, uint64_t row)
{
    return row * t->row_bits + (uint64_t)(t->base.order - 1) * t->id_bits;
}

static inline uint64_t row_stored_count(const packed_table *t, uint64_t row)
{
    return bits_read(t->rows, row_count_bits_at(t, row), t->count_bits);
}

static inline uint64_t escape_mark(const packed_table *t)
{
    return (UINT64_C(1) << t->count_bits) - 1;
}

/* Rows between two samples of a level. */
static inline uint64_t sample_every(int level)
{
    uint64_t every = SAMPLE_EVERY;
    for (int above = 0; above < level; above++)
        every *= SAMPLE_EVERY;
    return every;
}

static uint64_t samples_for(uint64_t rows, int level)
{
    return rows == 0 ? 0 : (rows - 1) / sample_every(level) + 1;
}

/* Bits of a sample: a row's id fields, without the count. */
static inline unsigned sample_bits(const packed_table *t)
{
    return (unsigned)(t->base.order - 1) * t->id_bits;
}

/* Words of a level's samples (one spare). */
static size_t samples_words(const packed_table *t, int level)
{
    return mg_bits_words(samples_for(t->grams, level), sample_bits(t));
}

/* ---- create ----------------------------------------------------------- */

static void pa_destroy(mg_table *self);

static mg_table *pa_create(const mg_backend *ops, int order)
{
    if (order < 1 || order > MG_ORDER_MAX)
        return NULL;
    packed_table *t = mg_calloc_in(PA_TABLE, 1, sizeof *t);
    if (!t)
        return NULL;
    t->base = (mg_table){ops, order};
    t->interner = mg_interner_create(PA_TRAINING_INTERNER);
    if (!t->interner ||
        mg_gram_counts_init(&t->counts, &pa_counts_parts, order, (size_t)MG_GRAM_COUNTS_BUDGET_KIB << 10) != MG_OK) {
        pa_destroy(&t->base);
        return NULL;
    }
    return &t->base;
}

/* The only setting: the training table's budget (common/gram_counts.h). */
static int pa_configure(mg_table *self, size_t index, long long value)
{
    (void)index;
    mg_gram_counts_set_budget(&((packed_table *)self)->counts, (size_t)value << 10);
    return MG_OK;
}

/* ---- add -------------------------------------------------------------- */

/* New words are interned first: on a later failure they stay interned,
 * which no lookup can see (a word counts only through its grams). */
static int pa_add(mg_table *self, const mg_token *gram)
{
    packed_table *t = (packed_table *)self;
    uint32_t ids[MG_ORDER_MAX];
    for (int k = 0; k < t->base.order; k++)
        if (mg_interner_intern(t->interner, &gram[k], &ids[k]) != MG_OK)
            return MG_ERR_NOMEM;
    return mg_gram_counts_add(&t->counts, ids);
}

static int pa_add_many(mg_table *self, const mg_token *grams, size_t count, size_t *added)
{
    packed_table *t = (packed_table *)self;
    return mg_gram_counts_add_many(&t->counts, t->interner, self, pa_add, grams, count, added);
}

/* ---- finalize --------------------------------------------------------- */

/* The counts width minimising n b + ESCAPE_BITS escapes(b). A count is
 * stored as count - 1 unless that is the escape (all ones), i.e. inline iff
 * count < 2^b: from a histogram of the bits each count needs, escapes(b) is
 * exact; *escaped gets it. */
static unsigned count_width(const packed_table *t, const uint64_t *needing, uint64_t *escaped)
{
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
    mg_free_in(PA_COUNTS_ESCAPES, t->escapes, t->escapes_bytes);
    t->escapes = NULL;
    t->escapes_bytes = 0;
    t->escape_count = 0;
    mg_running_totals_free(&t->totals);
}

/* The frozen blocks the rows cannot do without, sized; on failure none stays. */
static int frozen_make(packed_table *t, uint64_t escapes)
{
    if (packed_make(&t->first_at, PA_GRAMS_STARTS, (uint64_t)t->vocab + 1, bits_for(t->grams)) != MG_OK)
        return MG_ERR_NOMEM;
    t->escape_count = escapes;
    if (escapes > 0) {
        t->escapes = mg_alloc_in(PA_COUNTS_ESCAPES, escapes * sizeof *t->escapes);
        t->escapes_bytes = t->escapes ? escapes * sizeof *t->escapes : 0;
        if (!t->escapes) {
            packed_free(&t->first_at);
            t->escape_count = 0;
            return MG_ERR_NOMEM;
        }
    }
    return MG_OK;
}

/* The rows from the merge of the runs, front to back, with first_at and
 * the escapes. */
static void rows_pack(packed_table *t, mg_gram_merge *merge)
{
    bit_writer writer = {t->rows, 0, 0, 0};
    uint64_t mark = escape_mark(t), escaped = 0;
    uint32_t first = 0;
    for (uint64_t gram = 0; mg_gram_merge_next(merge); gram++) {
        const uint32_t *ids = merge->ids;
        while (first < ids[0])
            packed_set(&t->first_at, ++first, gram);
        for (int k = 1; k < t->base.order; k++)
            writer_put(&writer, ids[k], t->id_bits);
        uint64_t count = merge->count;
        writer_put(&writer, count - 1 < mark ? count - 1 : mark, t->count_bits);
        if (count - 1 >= mark)
            t->escapes[escaped++] = (escape){gram, count};
    }
    writer_flush(&writer);
    while (first < t->vocab)
        packed_set(&t->first_at, ++first, t->grams);
}

/* Field k of every SAMPLE_EVERY-th row: a small sorted index over any
 * range of rows sharing a k-prefix. Optional: without them (out of memory)
 * lookups are slower, not wrong. */
static void samples_fill(packed_table *t)
{
    unsigned bits = sample_bits(t);
    for (int level = 0; level < SAMPLE_LEVELS && t->samples[level]; level++)
        for (uint64_t sample = 0; sample < samples_for(t->grams, level); sample++)
            for (int k = 1; k < t->base.order; k++)
                bits_put(t->samples[level], sample * bits + (uint64_t)(k - 1) * t->id_bits, t->id_bits,
                         row_id(t, sample * sample_every(level), k));
}

/* The rows' block: the rows, then (optional) the samples of each field and
 * the hot table, so that they share the allocation's rounding. */
static size_t block_bytes(const packed_table *t, bool optional)
{
    size_t words = mg_bits_words(t->grams, t->row_bits);
    for (int level = 0; optional && level < SAMPLE_LEVELS; level++)
        words += samples_words(t, level);
    return words * sizeof(uint64_t) + (optional ? t->hot_cap * sizeof(hot_word) : 0);
}

/* Points the samples and the hot table at their places after the rows
 * (present: the block is block_bytes(t, true) or more). */
static void block_point(packed_table *t, bool present)
{
    uint64_t *at = t->rows + mg_bits_words(t->grams, t->row_bits);
    for (int level = 0; level < SAMPLE_LEVELS; level++) {
        t->samples[level] = present ? at : NULL;
        at += samples_words(t, level);
    }
    t->hot = present ? (hot_word *)(void *)at : NULL;
}

/* The rows' block, with room for the optional parts after the rows, which
 * are then placed; without memory for them, the rows alone. */
static int block_make(packed_table *t)
{
    size_t wanted = block_bytes(t, true);
    t->rows = mg_alloc_in(PA_GRAMS_ROWS, wanted);
    bool optional = t->rows != NULL;
    if (!optional)
        wanted = block_bytes(t, false);
    if (!optional && !(t->rows = mg_alloc_in(PA_GRAMS_ROWS, wanted)))
        return MG_ERR_NOMEM;
    t->rows_bytes = wanted;
    block_point(t, optional);
    return MG_OK;
}

static bool same_context_as_previous(const packed_table *t, uint64_t gram, uint64_t first, uint64_t previous_first)
{
    if (first != previous_first)
        return false;
    for (int k = 1; k < t->base.order - 1; k++)
        if (row_id(t, gram, k) != row_id(t, gram - 1, k))
            return false;
    return true;
}

/* Distinct (order - 1)-prefixes of the frozen grams, by one sequential walk. */
static uint64_t contexts_count(const packed_table *t)
{
    if (t->base.order == 1)
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

/* ---- hot words -------------------------------------------------------- */

static uint64_t count_at(const packed_table *t, uint64_t gram);

/* Count of row `gram` (mg_entry_count over the table). */
static uint64_t row_count(const void *table, uint64_t gram)
{
    return count_at(table, gram);
}

/* The running totals of the rows, taken again after a prune; optional
 * (without them a draw sums its rows). */
static void totals_make(packed_table *t)
{
    mg_running_totals_free(&t->totals);
    mg_running_totals_build_in(PA_TOTALS, &t->totals, t->grams, TOTALS_EVERY, row_count, t);
}

/* A (frequency, id) min-heap of the words the hot table will hold. */
typedef struct word_rank {
    uint64_t frequency;
    uint32_t id;
} word_rank;

static void heap_sift_down(word_rank *heap, size_t size, size_t at)
{
    for (;;) {
        size_t least = at, left = 2 * at + 1, right = left + 1;
        if (left < size && heap[left].frequency < heap[least].frequency)
            least = left;
        if (right < size && heap[right].frequency < heap[least].frequency)
            least = right;
        if (least == at)
            return;
        word_rank held = heap[at];
        heap[at] = heap[least];
        heap[least] = held;
        at = least;
    }
}

/* Occurrences of a word as the first of a gram, counts included: its
 * frequency in the text, but for the last order - 1 tokens of a sentence. */
static uint64_t word_frequency(const packed_table *t, uint32_t id)
{
    uint64_t frequency = 0, end = packed_get(&t->first_at, id + 1);
    for (uint64_t gram = packed_get(&t->first_at, id); gram < end; gram++)
        frequency += count_at(t, gram);
    return frequency;
}

static uint32_t hot_home(const packed_table *t, const mg_token *word)
{
    return (uint32_t)XXH3_64bits(word->bytes, word->len) & (t->hot_cap - 1);
}

static void hot_insert(packed_table *t, uint32_t id)
{
    unsigned char buffer[MG_VOCAB_DECODE_MAX];
    mg_token word = mg_vocab_dict_word(t->dict, id, buffer);
    uint32_t at = hot_home(t, &word);
    while (t->hot[at].len != 0)
        at = (at + 1) & (t->hot_cap - 1);
    t->hot[at].id = id;
    t->hot[at].len = (uint8_t)word.len;
    memcpy(t->hot[at].bytes, word.bytes, word.len);
}

/* Slots of the hot table: twice the words, a power of two, at most
 * HOT_SLOTS_MAX. */
static uint32_t hot_slots(uint32_t vocab)
{
    uint32_t slots = 16;
    while (slots < HOT_SLOTS_MAX && slots < 2 * (uint64_t)(vocab - MG_VOCAB_FIRST_WORD_ID))
        slots *= 2;
    return slots;
}

/* The hot table: the hot_cap / 2 most frequent words of at most HOT_BYTES
 * bytes, picked through a min-heap. Optional, like the samples. */
static void hot_make(packed_table *t)
{
    size_t wanted = t->hot_cap / 2, held = 0;
    word_rank *heap = t->hot ? mg_alloc_in(PA_TRAINING_SCRATCH, wanted * sizeof *heap) : NULL;
    if (!heap) {
        t->hot = NULL;
        return;
    }
    memset(t->hot, 0, t->hot_cap * sizeof *t->hot);
    unsigned char buffer[MG_VOCAB_DECODE_MAX];
    for (uint32_t id = MG_VOCAB_FIRST_WORD_ID; id < t->vocab; id++) {
        if (mg_vocab_dict_word(t->dict, id, buffer).len > HOT_BYTES)
            continue;
        word_rank rank = {word_frequency(t, id), id};
        if (held < wanted) {
            heap[held++] = rank;
            if (held == wanted)
                for (size_t at = wanted / 2; at-- > 0;)
                    heap_sift_down(heap, held, at);
        } else if (rank.frequency > heap[0].frequency) {
            heap[0] = rank;
            heap_sift_down(heap, held, 0);
        }
    }
    for (size_t at = 0; at < held; at++)
        hot_insert(t, heap[at].id);
    mg_free_in(PA_TRAINING_SCRATCH, heap, wanted * sizeof *heap);
}

/* Pass 1 over the merge of the runs: the grams and, for count_width, how
 * many counts need each number of bits. */
static int runs_measure(packed_table *t, uint64_t *needing)
{
    mg_gram_merge merge;
    if (mg_gram_counts_merge(&t->counts, &merge) != MG_OK)
        return MG_ERR_NOMEM;
    t->grams = 0;
    while (mg_gram_merge_next(&merge)) {
        needing[bits_for(merge.count)]++;
        t->grams++;
    }
    mg_gram_merge_free(&merge);
    return MG_OK;
}

/* The training table spilled and freed, the dictionary frozen, the
 * interner freed, the runs given the dictionary's ids (common/gram_counts.h); then the
 * widths from a first pass over the runs' merge, the frozen blocks, and
 * the rows written by a second pass; the runs are freed. The optional
 * parts (the dictionary's hash index, the samples, the hot table) come
 * last, into the pages the runs have just freed, which the allocator would
 * otherwise keep dirty. On MG_ERR_NOMEM the table is only fit for destroy. */
static int pa_finalize(mg_table *self)
{
    packed_table *t = (packed_table *)self;
    if (t->finalized)
        return MG_OK;
    uint32_t *remap = NULL;
    if (mg_gram_counts_seal(&t->counts) != MG_OK)
        return MG_ERR_NOMEM;
    mg_interner_drop_index(t->interner); /* only its words are read now */
    if (mg_vocab_dict_freeze(t->interner, &pa_vocab_parts, &t->dict, &remap) != MG_OK)
        return MG_ERR_NOMEM;
    uint32_t interned = mg_interner_count(t->interner);
    mg_interner_destroy(t->interner);
    t->interner = NULL;
    int status = mg_gram_counts_remap(&t->counts, remap);
    mg_vocab_remap_free(PA_TRAINING_SCRATCH, remap, interned);
    uint64_t needing[COUNT_BITS_MAX + 1] = {0}; /* counts needing exactly k bits */
    if (status != MG_OK)
        return MG_ERR_NOMEM;
    mg_gram_counts_compact(&t->counts); /* optional: lowers the peak of the rows' pass */
    if (runs_measure(t, needing) != MG_OK)
        return MG_ERR_NOMEM;
    t->vocab = mg_vocab_dict_count(t->dict);
    uint64_t escapes;
    t->count_bits = count_width(t, needing, &escapes);
    t->id_bits = t->base.order > 1 ? bits_for(t->vocab > 1 ? t->vocab - 1 : 1) : 0;
    t->row_bits = (unsigned)(t->base.order - 1) * t->id_bits + t->count_bits;
    t->hot_cap = hot_slots(t->vocab);
    mg_gram_merge merge;
    if (frozen_make(t, escapes) != MG_OK || block_make(t) != MG_OK || mg_gram_counts_merge(&t->counts, &merge) != MG_OK)
        return MG_ERR_NOMEM;
    rows_pack(t, &merge);
    mg_gram_merge_free(&merge);
    mg_gram_counts_free(&t->counts);
    mg_vocab_dict_build_index(t->dict); /* optional: see vocab.h */
    samples_fill(t);
    hot_make(t);
    totals_make(t);
    t->contexts = contexts_count(t);
    t->finalized = true;
    return MG_OK;
}

/* ---- lookups ---------------------------------------------------------- */

/* Id of a frozen word in the hot table, or MG_VOCAB_NO_ID. */
static uint32_t hot_find(const packed_table *t, const mg_token *token)
{
    if (t->hot && !mg_token_is_marker(token) && token->len <= HOT_BYTES)
        for (uint32_t at = hot_home(t, token);; at = (at + 1) & (t->hot_cap - 1)) {
            const hot_word *slot = &t->hot[at];
            if (slot->len == 0)
                break;
            if (slot->len == token->len && memcmp(slot->bytes, token->bytes, token->len) == 0)
                return slot->id;
        }
    return MG_VOCAB_NO_ID;
}

/* Ids of frozen words: the hot table first, then the dictionary for the
 * others, found side by side. With `guessed`, a cold word's id is the
 * dictionary index's guess (vocab.h: mg_vocab_dict_guess_many), its bit
 * set in *guessed until guesses_hold confirms it: the rows are searched
 * while the guess's bucket arrives, instead of after. The first word's
 * rows are requested as soon as its id is known. */
static void frozen_ids_find(const packed_table *t, const mg_token *tokens, int count, uint32_t *ids, unsigned *guessed)
{
    mg_token cold[MG_ORDER_MAX];
    uint32_t cold_ids[MG_ORDER_MAX];
    int cold_at[MG_ORDER_MAX], colds = 0;
    if (guessed)
        *guessed = 0;
    for (int k = 0; k < count; k++)
        if ((ids[k] = hot_find(t, &tokens[k])) == MG_VOCAB_NO_ID) {
            cold[colds] = tokens[k];
            cold_at[colds++] = k;
        }
    if (ids[0] != MG_VOCAB_NO_ID)
        __builtin_prefetch(t->first_at.words + (ids[0] * (uint64_t)t->first_at.bits >> 6));
    if (colds == 0)
        return;
    bool exact = !guessed;
    if (guessed)
        exact = mg_vocab_dict_guess_many(t->dict, cold, colds, cold_ids);
    else
        mg_vocab_dict_find_many(t->dict, cold, colds, cold_ids);
    for (int k = 0; k < colds; k++) {
        ids[cold_at[k]] = cold_ids[k];
        if (!exact)
            *guessed |= 1u << cold_at[k];
    }
    if (cold_at[0] == 0 && ids[0] != MG_VOCAB_NO_ID)
        __builtin_prefetch(t->first_at.words + (ids[0] * (uint64_t)t->first_at.bits >> 6));
}

/* Whether the guessed ids (frozen_ids_find) are the tokens': a guess of
 * no id is sure (no slot matched), the others are compared with their
 * words. */
static bool guesses_hold(const packed_table *t, const mg_token *tokens, const uint32_t *ids, unsigned guessed)
{
    for (int k = 0; guessed != 0; k++, guessed >>= 1)
        if ((guessed & 1) && ids[k] != MG_VOCAB_NO_ID && !mg_vocab_dict_is_word(t->dict, ids[k], &tokens[k]))
            return false;
    return true;
}

/* Ids of the tokens in the current vocabulary; false when one is unknown. */
static bool ids_find(const packed_table *t, const mg_token *tokens, int count, uint32_t *ids)
{
    if (t->finalized)
        frozen_ids_find(t, tokens, count, ids, NULL);
    for (int k = 0; k < count; k++) {
        if (!t->finalized)
            ids[k] = mg_interner_find(t->interner, &tokens[k]);
        if (ids[k] == MG_VOCAB_NO_ID)
            return false;
    }
    return true;
}

static uint64_t count_at(const packed_table *t, uint64_t gram)
{
    uint64_t stored = row_stored_count(t, gram);
    if (stored != escape_mark(t))
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

/* A sorted run of fixed-width records, each starting with id fields 1, 2,
 * .. of `width` bits: the rows, or the samples. Records compare as tuples
 * of their first `fields` ids. */
typedef struct tuple_view {
    const uint64_t *words;
    uint64_t stride; /* bits per record */
    unsigned width;  /* bits per id */
    int fields;      /* ids compared */
} tuple_view;

/* Whether record `index` is below the key, read branch-free: every field
 * is in the record's one or two cache lines anyway. */
static inline bool tuple_less(const tuple_view *view, uint64_t index, const uint32_t *key)
{
    uint64_t at = index * view->stride;
    bool less = false, equal = true;
    for (int k = 0; k < view->fields; k++, at += view->width) {
        uint64_t id = bits_read(view->words, at, view->width);
        less |= equal & (id < key[k]);
        equal &= id == key[k];
    }
    return less;
}

static inline void tuple_prefetch(const tuple_view *view, uint64_t index)
{
    __builtin_prefetch(view->words + ((index * view->stride) >> 6));
}

enum { PREFETCH_ALL_BYTES = 512 }; /* spans this short are fetched whole, at once */

/* Requests every cache line of bits [from, to). */
static inline void span_prefetch(const uint64_t *words, uint64_t from, uint64_t to)
{
    uint64_t last = (to - 1) >> 6;
    for (uint64_t word = from >> 6; word < last; word += 8)
        __builtin_prefetch(words + word);
    __builtin_prefetch(words + last);
}

/* First index in [low, high) whose record is >= key (high when none).
 * Branchless (the halving is a conditional move); a short span has all of
 * its lines requested at once, a longer one the two records the next step
 * may read, so the cache misses overlap instead of queueing. */
static uint64_t tuple_lower(const tuple_view *view, uint64_t low, uint64_t high, const uint32_t *key)
{
    if (low >= high)
        return high;
    uint64_t n = high - low;
    bool short_span = n * view->stride <= PREFETCH_ALL_BYTES * 8;
    if (short_span)
        span_prefetch(view->words, low * view->stride, high * view->stride);
    while (n > 1) {
        uint64_t half = n / 2;
        if (!short_span) {
            tuple_prefetch(view, low + half / 2);
            tuple_prefetch(view, low + half + half / 2);
        }
        low = tuple_less(view, low + half, key) ? low + half : low;
        n -= half;
    }
    return low + tuple_less(view, low, key);
}

/* First row in [low, high) whose first `fields` ids are >= key (high when
 * none), the rows being sorted there. A wide range is narrowed level by
 * level, from the sparsest samples it holds, to the rows between two
 * samples: each level leaves at most 32 records of the next to search, a
 * span of 2 or 3 cache lines requested at once, and the sparse levels of a
 * frequent range stay cached. */
/* The samples of `level` that rows [low, high) hold, [*first, *last]: false
 * when the level is not searched (the range is short, or it has none). */
static bool level_samples(const packed_table *t, int level, uint64_t low, uint64_t high, int fields,
                          tuple_view *samples, uint64_t *first, uint64_t *last)
{
    uint64_t every = sample_every(level);
    if (high - low <= 2 * every || !t->samples[level])
        return false;
    *samples = (tuple_view){t->samples[level], sample_bits(t), t->id_bits, fields};
    *first = (low + every - 1) / every;
    *last = (high - 1) / every;
    return true;
}

/* Narrows rows [*low, *high) to the samples of `level` around key. */
static void level_narrow(const packed_table *t, int level, uint64_t *low, uint64_t *high, const uint32_t *key,
                         int fields)
{
    tuple_view samples;
    uint64_t first, last, every = sample_every(level);
    if (!level_samples(t, level, *low, *high, fields, &samples, &first, &last))
        return;
    uint64_t sample = tuple_lower(&samples, first, last + 1, key); /* the first sample >= key */
    if (sample > first)
        *low = (sample - 1) * every + 1; /* that sample is < key */
    if (sample <= last)
        *high = sample * every; /* this one is >= key */
}

static uint64_t rows_lower(const packed_table *t, uint64_t low, uint64_t high, const uint32_t *key, int fields)
{
    for (int level = SAMPLE_LEVELS - 1; level >= 0; level--)
        level_narrow(t, level, &low, &high, key, fields);
    tuple_view rows = {t->rows, t->row_bits, t->id_bits, fields};
    return tuple_lower(&rows, low, high, key);
}

/* Whether row `row` starts with the ids key[0 .. fields). */
static bool row_starts_with(const packed_table *t, uint64_t row, const uint32_t *key, int fields)
{
    for (int k = 0; k < fields; k++)
        if (row_id(t, row, k + 1) != key[k])
            return false;
    return true;
}

/* The rows of first id `first`: [*low, *high). */
static inline void first_range(const packed_table *t, uint32_t first, uint64_t *low, uint64_t *high)
{
    *low = packed_get(&t->first_at, first);
    *high = packed_get(&t->first_at, first + 1);
}

/* The range of frozen grams starting with ids[0 .. count): contiguous, as
 * the grams are sorted; empty when none. One search for its start, then a
 * short gallop past it (most contexts have few successors) and a search
 * for the first row beyond the prefix. */
static void prefix_range(const packed_table *t, const uint32_t *ids, int count, uint64_t *low, uint64_t *high)
{
    first_range(t, ids[0], low, high);
    int fields = count - 1;
    if (fields == 0 || *low >= *high)
        return;
    *low = rows_lower(t, *low, *high, ids + 1, fields);
    if (*low == *high || !row_starts_with(t, *low, ids + 1, fields)) {
        *high = *low;
        return;
    }
    uint32_t beyond[MG_ORDER_MAX];
    memcpy(beyond, ids + 1, (size_t)fields * sizeof *beyond);
    beyond[fields - 1]++; /* ids < 2^32 - 1: the dictionary holds fewer */
    uint64_t step = 1, from = *low;
    while (step < SAMPLE_EVERY && from + step < *high && row_starts_with(t, from + step, ids + 1, fields)) {
        from += step;
        step *= 2;
    }
    uint64_t end = from + step < *high && step < SAMPLE_EVERY ? from + step : *high; /* a long run: the samples narrow it */
    *high = rows_lower(t, from + 1, end, beyond, fields);
}

/* Count of the frozen gram of these ids (all known). */
static uint64_t frozen_count(const packed_table *t, const uint32_t *ids)
{
    int fields = t->base.order - 1;
    uint64_t low, high;
    first_range(t, ids[0], &low, &high);
    if (fields > 0)
        low = rows_lower(t, low, high, ids + 1, fields);
    if (low >= high || !row_starts_with(t, low, ids + 1, fields))
        return 0;
    return count_at(t, low);
}

static bool ids_known(const uint32_t *ids, int count)
{
    for (int k = 0; k < count; k++)
        if (ids[k] == MG_VOCAB_NO_ID)
            return false;
    return true;
}

/* Frozen: the rows are searched with the guessed ids, then the guesses
 * are confirmed (their buckets have come meanwhile); a wrong one, rare
 * (a fingerprint shared within the index's run), sends the gram to the
 * exact find. */
static uint64_t pa_count(mg_table *self, const mg_token *gram)
{
    packed_table *t = (packed_table *)self;
    uint32_t ids[MG_ORDER_MAX + 1] = {0};
    if (!t->finalized)
        return ids_find(t, gram, t->base.order, ids) ? mg_gram_counts_count(&t->counts, ids) : 0;
    unsigned guessed;
    frozen_ids_find(t, gram, t->base.order, ids, &guessed);
    if (!ids_known(ids, t->base.order))
        return 0;
    uint64_t count = frozen_count(t, ids);
    if (guesses_hold(t, gram, ids, guessed))
        return count;
    return ids_find(t, gram, t->base.order, ids) ? frozen_count(t, ids) : 0;
}

/*
 * count_many after finalize: a group's grams take each step of pa_count
 * together, every gram's cache lines of the step requested before the
 * first is read, so the step's misses overlap: the ids (the hot table, then
 * one find_many for the cold words of the whole group), first_at, each
 * sample level, then the rows. The ids are exact, not guessed as pa_count's:
 * across a group the misses overlap anyway, and the guesses' buckets,
 * requested with the rows, would only crowd the rows' requests. Before
 * finalize: count per gram.
 */
enum { GROUP = 16 };

typedef struct lookup {
    uint32_t ids[MG_ORDER_MAX + 1];
    uint64_t low, high; /* the rows left to search; the answer is in [low, high] */
    uint64_t end;       /* the end of the first word's rows */
    bool known;         /* every word is in the dictionary */
} lookup;

static void group_ids(const packed_table *t, const mg_token *grams, size_t count, lookup *lookups)
{
    int order = t->base.order;
    mg_token cold[GROUP * MG_ORDER_MAX];
    uint32_t cold_ids[GROUP * MG_ORDER_MAX], *cold_at[GROUP * MG_ORDER_MAX];
    size_t colds = 0;
    for (size_t i = 0; i < count; i++)
        for (int k = 0; k < order; k++)
            if ((lookups[i].ids[k] = hot_find(t, &grams[i * (size_t)order + (size_t)k])) == MG_VOCAB_NO_ID) {
                cold[colds] = grams[i * (size_t)order + (size_t)k];
                cold_at[colds++] = &lookups[i].ids[k];
            }
    mg_vocab_dict_find_many(t->dict, cold, colds, cold_ids);
    for (size_t c = 0; c < colds; c++)
        *cold_at[c] = cold_ids[c];
    for (size_t i = 0; i < count; i++) {
        lookups[i].known = true;
        for (int k = 0; k < order; k++)
            lookups[i].known &= lookups[i].ids[k] != MG_VOCAB_NO_ID;
        if (lookups[i].known)
            __builtin_prefetch(t->first_at.words + (lookups[i].ids[0] * (uint64_t)t->first_at.bits >> 6));
    }
}

/* Requests what tuple_lower over [low, high) reads first: a short span
 * whole, a long one's first probes. */
static void view_prefetch(const tuple_view *view, uint64_t low, uint64_t high)
{
    if (low >= high)
        return;
    uint64_t n = high - low;
    if (n * view->stride <= PREFETCH_ALL_BYTES * 8) {
        span_prefetch(view->words, low * view->stride, high * view->stride);
        return;
    }
    tuple_prefetch(view, low + n / 2);
    tuple_prefetch(view, low + n / 4);
    tuple_prefetch(view, low + n / 2 + n / 4);
}

/* Every gram's rows narrowed level by level, each level fetched for all first. */
static void group_rows(const packed_table *t, size_t count, lookup *lookups)
{
    int fields = t->base.order - 1;
    for (size_t i = 0; i < count; i++)
        if (lookups[i].known) {
            first_range(t, lookups[i].ids[0], &lookups[i].low, &lookups[i].high);
            lookups[i].end = lookups[i].high;
        }
    if (fields == 0)
        return;
    for (int level = SAMPLE_LEVELS - 1; level >= 0; level--) {
        for (size_t i = 0; i < count; i++) {
            tuple_view samples;
            uint64_t first, last;
            if (lookups[i].known &&
                level_samples(t, level, lookups[i].low, lookups[i].high, fields, &samples, &first, &last))
                view_prefetch(&samples, first, last + 1);
        }
        for (size_t i = 0; i < count; i++)
            if (lookups[i].known)
                level_narrow(t, level, &lookups[i].low, &lookups[i].high, lookups[i].ids + 1, fields);
    }
    tuple_view rows = {t->rows, t->row_bits, t->id_bits, fields};
    for (size_t i = 0; i < count; i++)
        if (lookups[i].known)
            view_prefetch(&rows, lookups[i].low, lookups[i].high);
    for (size_t i = 0; i < count; i++)
        if (lookups[i].known)
            lookups[i].low = tuple_lower(&rows, lookups[i].low, lookups[i].high, lookups[i].ids + 1);
}

static void pa_count_many(mg_table *self, const mg_token *grams, size_t count, uint64_t *counts)
{
    packed_table *t = (packed_table *)self;
    size_t order = (size_t)t->base.order;
    if (!t->finalized) {
        for (size_t i = 0; i < count; i++)
            counts[i] = pa_count(self, grams + i * order);
        return;
    }
    lookup lookups[GROUP];
    int fields = t->base.order - 1;
    for (size_t done = 0; done < count; done += GROUP) {
        size_t size = count - done < GROUP ? count - done : GROUP;
        group_ids(t, grams + done * order, size, lookups);
        group_rows(t, size, lookups);
        for (size_t i = 0; i < size; i++) {
            const lookup *at = &lookups[i];
            bool found = at->known && at->low < at->end && row_starts_with(t, at->low, at->ids + 1, fields);
            counts[done + i] = found ? count_at(t, at->low) : 0;
        }
    }
}

/* Before finalize: the table and the runs (common/gram_counts.h). */
typedef struct training_visit {
    const packed_table *t;
    mg_successor_visit successor;
    mg_gram_visit gram;
    void *arg;
} training_visit;

static int visit_training_successor(void *arg, const uint32_t *ids, uint64_t count)
{
    const training_visit *state = arg;
    mg_token next = mg_interner_token(state->t->interner, ids[state->t->base.order - 1]);
    return state->successor(state->arg, &next, count);
}

static int successors_scan(const packed_table *t, const uint32_t *context, mg_successor_visit visit, void *arg)
{
    training_visit state = {t, visit, NULL, arg};
    return mg_gram_counts_successors(&t->counts, context, visit_training_successor, &state);
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

static int pa_successors(mg_table *self, const mg_token *context, mg_successor_visit visit, void *arg)
{
    packed_table *t = (packed_table *)self;
    uint32_t ids[MG_ORDER_MAX + 1] = {0};
    int context_len = t->base.order - 1;
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
        if (gram + DECODE_AHEAD < high) /* the words' cache misses overlap */
            mg_vocab_dict_prefetch_word(t->dict, (uint32_t)row_id(t, gram + DECODE_AHEAD, context_len));
        mg_token next = mg_vocab_dict_word(t->dict, (uint32_t)row_id(t, gram, context_len), buffer);
        int stop = visit(arg, &next, count_at(t, gram));
        if (stop)
            return stop;
    }
    return 0;
}

/* The id of the word whose rows hold row `gram` (order 1: rows carry no
 * id, first_at says whose they are). */
static uint32_t unigram_id(const packed_table *t, uint64_t gram)
{
    uint32_t low = 0, high = t->vocab; /* first_at[low] <= gram < first_at[high] */
    while (high - low > 1) {
        uint32_t middle = low + (high - low) / 2;
        if (packed_get(&t->first_at, middle) <= gram)
            low = middle;
        else
            high = middle;
    }
    return low;
}

/* After finalize a context's rows are in id order, which is canonical
 * order (the dictionary's), the start marker first; before it the
 * generator walks. */
static int pa_sample_successor(mg_table *self, const mg_token *context, uint64_t draw, mg_token *next)
{
    packed_table *t = (packed_table *)self;
    uint32_t ids[MG_ORDER_MAX + 1] = {0};
    int context_len = t->base.order - 1;
    if (!t->finalized)
        return MG_SAMPLE_WALK; /* ids in the order first seen, not canonical */
    if (!ids_find(t, context, context_len, ids))
        return 0;
    uint64_t low = 0, high = t->grams, chosen;
    if (context_len > 0)
        prefix_range(t, ids, context_len, &low, &high);
    else if (high > 0 && unigram_id(t, 0) == MG_MARK_START)
        low = packed_get(&t->first_at, MG_MARK_START + 1);
    if (context_len > 0 && low < high && row_id(t, low, context_len) == MG_MARK_START)
        low++;
    if (!mg_running_totals_draw(&t->totals, low, high, draw, row_count, t, &chosen))
        return 0;
    uint32_t id = context_len > 0 ? (uint32_t)row_id(t, chosen, context_len) : unigram_id(t, chosen);
    *next = mg_vocab_dict_word(t->dict, id, t->drawn);
    return 1;
}

static int visit_training_gram(void *arg, const uint32_t *ids, uint64_t count)
{
    const training_visit *state = arg;
    mg_token tokens[MG_ORDER_MAX];
    for (int k = 0; k < state->t->base.order; k++)
        tokens[k] = mg_interner_token(state->t->interner, ids[k]);
    return state->gram(state->arg, tokens, count);
}

static int foreach_training(const packed_table *t, mg_gram_visit visit, void *arg)
{
    training_visit state = {t, NULL, visit, arg};
    return mg_gram_counts_foreach(&t->counts, visit_training_gram, &state);
}

/* In id order; a position's token is decoded again only when its id changes. */
static int pa_foreach(mg_table *self, mg_gram_visit visit, void *arg)
{
    packed_table *t = (packed_table *)self;
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
            for (int k = 0; k < t->base.order; k++) {
                uint64_t id = k == 0 ? first : row_id(t, gram, k);
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

static void pa_sizes(mg_table *self, uint64_t *ngrams, uint64_t *contexts)
{
    packed_table *t = (packed_table *)self;
    *ngrams = t->grams;
    *contexts = t->contexts;
}

/* ---- prune ------------------------------------------------------------ */

/* Row `from` copied over row `to` (to <= from), field by field. */
static void row_move(packed_table *t, uint64_t to, uint64_t from)
{
    for (int k = 1; k < t->base.order; k++)
        bits_put(t->rows, to * t->row_bits + (uint64_t)(k - 1) * t->id_bits, t->id_bits, row_id(t, from, k));
    bits_put(t->rows, row_count_bits_at(t, to), t->count_bits, row_stored_count(t, from));
}

/* Frozen grams are kept in place: every kept row moves down to the next
 * free index, first_at is rewritten as the walk passes each first id,
 * escapes are compacted alongside, the samples taken again. No
 * allocation; with give_back, the freed tails are then given back (a
 * mapped image keeps its blocks whole). */
static void prune_frozen(packed_table *t, uint64_t min_count, bool give_back)
{
    uint64_t mark = escape_mark(t);
    uint64_t kept = 0, escape_read = 0, escape_kept = 0;
    uint64_t start = packed_get(&t->first_at, 0);
    for (uint32_t first = 0; first < t->vocab; first++) {
        uint64_t end = packed_get(&t->first_at, first + 1);
        packed_set(&t->first_at, first, kept);
        for (uint64_t gram = start; gram < end; gram++) {
            uint64_t stored = row_stored_count(t, gram);
            uint64_t count = stored == mark ? t->escapes[escape_read++].count : stored + 1;
            if (count < min_count)
                continue;
            row_move(t, kept, gram);
            if (stored == mark)
                t->escapes[escape_kept++] = (escape){kept, count};
            kept++;
        }
        start = end;
    }
    packed_set(&t->first_at, t->vocab, kept);
    t->grams = kept;
    bool optional = t->samples[0] != NULL;
    if (t->hot) /* moves down with the end of the rows; the samples are taken again */
        memmove((unsigned char *)t->rows + block_bytes(t, true) - t->hot_cap * sizeof(hot_word), t->hot,
                t->hot_cap * sizeof(hot_word));
    if (give_back)
        t->rows = block_shrink(PA_GRAMS_ROWS, t->rows, &t->rows_bytes, block_bytes(t, optional));
    hot_word *hot = t->hot;
    block_point(t, optional);
    if (!hot)
        t->hot = NULL;
    samples_fill(t);
    t->escape_count = escape_kept;
    if (give_back)
        t->escapes = block_shrink(PA_COUNTS_ESCAPES, t->escapes, &t->escapes_bytes, escape_kept * sizeof *t->escapes);
    t->contexts = contexts_count(t);
}

static uint64_t pa_prune(mg_table *self, uint64_t min_count)
{
    packed_table *t = (packed_table *)self;
    if (!t->finalized)
        return mg_gram_counts_prune(&t->counts, min_count);
    uint64_t before = t->grams;
    prune_frozen(t, min_count, true);
    totals_make(t);
    return before - t->grams;
}

/* ---- destroy ---------------------------------------------------------- */

static void pa_destroy(mg_table *self)
{
    packed_table *t = (packed_table *)self;
    if (!t)
        return;
    mg_interner_destroy(t->interner);
    mg_gram_counts_free(&t->counts);
    mg_free_in(PA_GRAMS_ROWS, t->rows, t->rows_bytes);
    frozen_free(t);
    mg_free_in(PA_TABLE, t, sizeof *t);
}

/* ---- estimate --------------------------------------------------------- */

/* The formula of the header, part by part (bytes[tag - 1] per n-gram). */
static void pa_estimate_parts(const mg_table_shape *shape, double *bytes)
{
    for (int part = 1; part < PA_PART_END; part++)
        bytes[part - 1] = 0.0;
    if (shape->ngrams == 0)
        return;
    double ngrams = (double)shape->ngrams;
    double vocab = (double)shape->vocab + MG_VOCAB_FIRST_WORD_ID;
    double ids = (shape->order - 1) * (double)bits_for((uint64_t)vocab - 1) / 8.0;
    double hot = 16.0 * (vocab * 2 < HOT_SLOTS_MAX ? vocab * 2 : HOT_SLOTS_MAX) / ngrams;
    bytes[PA_GRAMS_ROWS - 1] = ids * (1.0 + 1.0 / SAMPLE_EVERY + 1.0 / (SAMPLE_EVERY * SAMPLE_EVERY)) +
                               ESTIMATE_COUNT_BITS / 8.0 + hot;
    bytes[PA_COUNTS_ESCAPES - 1] = ESCAPE_BITS * ESTIMATE_ESCAPED / 8.0;
    bytes[PA_GRAMS_STARTS - 1] = vocab * bits_for(shape->ngrams) / 8.0 / ngrams;
    double words, index;
    mg_vocab_dict_estimate_parts(shape->vocab, shape->vocab_bytes, &words, &index);
    bytes[PA_VOCAB_WORDS - 1] = words / ngrams;
    bytes[PA_VOCAB_INDEX - 1] = (index + (double)shape->vocab * 4.0 * 100.0 / MG_VOCAB_INDEX_LOAD) / ngrams;
    bytes[PA_TOTALS - 1] = mg_running_totals_bits(ngrams, TOTALS_EVERY, 1.6 * ngrams) / 8.0 / ngrams; /* ~1.6 adds a gram */
    bytes[PA_TABLE - 1] = (double)sizeof(packed_table) / ngrams;
}

/* ---- ops table -------------------------------------------------------- */

const mg_backend mg_backend_packed_arrays = {
    .version = MG_BACKEND_VERSION,
    .name = "packed_arrays",
    .summary = "interned ids; at finalize sorted id tuples in bit-packed rows, front-coded vocabulary",
    .layout_version = 4,
    .create = pa_create,
    .add = pa_add,
    .finalize = pa_finalize,
    .count = pa_count,
    .successors = pa_successors,
    .foreach = pa_foreach,
    .sizes = pa_sizes,
    .prune = pa_prune,
    .destroy = pa_destroy,
    .sample_successor = pa_sample_successor,
    .add_many = pa_add_many,
    .count_many = pa_count_many,
    .settings = &mg_gram_counts_budget_setting,
    .setting_count = 1,
    .configure = pa_configure,
    .parts = pa_parts,
    .part_count = PA_PART_END - 1,
    .estimate_parts = pa_estimate_parts,
};

/* ---- the frozen twin: packed_arrays_mmap ---------------------------------- */

static mg_image *pa_image(mg_table *self) { return &((packed_table *)self)->image; }

/* The frozen arrays, for the image: the dictionary's, first_at, the rows'
 * block (with the samples and the hot table inside it), the escapes. */
static void pa_list_blocks(mg_table *self, mg_image_list *list)
{
    packed_table *t = (packed_table *)self;
    mg_vocab_dict_list_blocks(t->dict, list);
    mg_image_list_block(list, PA_GRAMS_STARTS, &t->first_at.words, t->first_at.word_count * sizeof(uint64_t));
    mg_image_list_block(list, PA_GRAMS_ROWS, &t->rows, t->rows_bytes);
    for (int level = 0; level < SAMPLE_LEVELS; level++)
        mg_image_list_inner(list, &t->samples[level]);
    mg_image_list_inner(list, &t->hot);
    mg_image_list_block(list, PA_COUNTS_ESCAPES, &t->escapes, t->escapes_bytes);
    mg_ef_list_blocks(&t->totals.totals, list);
}

/* packed_arrays' own prune, but the blocks keep their size. */
static uint64_t pa_prune_frozen_in_place(mg_table *self, uint64_t min_count)
{
    packed_table *t = (packed_table *)self;
    uint64_t before = t->grams;
    prune_frozen(t, min_count, false);
    t->totals.stale = true; /* in the image: kept, no longer used */
    return before - t->grams;
}

static const mg_image_twin pa_twin = {&mg_backend_packed_arrays, pa_image, pa_list_blocks, pa_prune_frozen_in_place};

static int pa_mmap_finalize(mg_table *self) { return mg_image_twin_finalize(&pa_twin, self); }
static uint64_t pa_mmap_prune(mg_table *self, uint64_t min_count) { return mg_image_twin_prune(&pa_twin, self, min_count); }
static void pa_mmap_destroy(mg_table *self) { mg_image_twin_destroy(&pa_twin, self); }

/* The image holds every array: what is requested is the table's struct and
 * the dictionary's (its estimate for no words), whatever the table's size. */
static void pa_mmap_estimate_parts(const mg_table_shape *shape, double *bytes)
{
    for (int part = 1; part < PA_PART_END; part++)
        bytes[part - 1] = 0.0;
    if (shape->ngrams == 0)
        return;
    double words, index;
    mg_vocab_dict_estimate_parts(0, 0, &words, &index);
    bytes[PA_TABLE - 1] = (double)sizeof(packed_table) / (double)shape->ngrams;
    bytes[PA_VOCAB_INDEX - 1] = index / (double)shape->ngrams;
}

const mg_backend mg_backend_packed_arrays_mmap = {
    .version = MG_BACKEND_VERSION,
    .name = "packed_arrays_mmap",
    .summary = "packed_arrays frozen at finalize into a private image file, served from a read-only mmap",
    .layout_version = 4,
    .create = pa_create,
    .add = pa_add,
    .finalize = pa_mmap_finalize,
    .count = pa_count,
    .successors = pa_successors,
    .foreach = pa_foreach,
    .sizes = pa_sizes,
    .prune = pa_mmap_prune,
    .destroy = pa_mmap_destroy,
    .sample_successor = pa_sample_successor,
    .add_many = pa_add_many,
    .count_many = pa_count_many,
    .settings = &mg_gram_counts_budget_setting,
    .setting_count = 1,
    .configure = pa_configure,
    .parts = pa_parts,
    .part_count = PA_PART_END - 1,
    .estimate_parts = pa_mmap_estimate_parts,
};
