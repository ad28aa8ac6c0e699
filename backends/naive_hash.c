/*
 * naive_hash.c — the Python dict of dicts of docs/stories.md ({(w1, w2): {w3: count}})
 * written in C the way people first write it: a chained hash table of
 * contexts, each owning a chained hash table of next tokens, every token its
 * own heap copy. The honest baseline the other backends are measured against.
 *
 *   naive_hash        contexts.buckets
 *   +-------------+   +---+---+---+---+
 *   | order       |   | * | / | * | / | ...
 *   | contexts ---+-->+-|-+---+---+---+
 *   | ngram_count |     v
 *   +-------------+   context_entry: one per distinct (n-1)-token prefix
 *                     +--------------------+
 *                     | link --------------+--> next context in the chain
 *                     | successors.buckets-+--> +---+---+
 *                     | successors.*_count |    | * | / | ...
 *                     | tokens[0] bytes ---+--> "how"   +-|-+---+
 *                     |           len      |            v
 *                     | tokens[1] bytes ---+--> "to"    next_entry: one per n-gram
 *                     |           len      |            +------------+
 *                     +--------------------+            | link ------+--> next in chain
 *                                                       | word bytes-+--> "do"
 *                                                       |      len   |
 *                                                       | count      |
 *                                                       +------------+
 *
 * Each quoted word is a heap block of its own, exactly its length; markers
 * are stored as they arrive (bytes == NULL) and cost nothing. Order 1 has a
 * single context of no tokens whose table holds every unigram. A table starts
 * with one bucket and doubles when an insert would leave more entries than
 * buckets, so it runs between 0.5 and 1 entries per bucket (0.75 expected),
 * except that a context's first successor fills its single first bucket.
 *
 * Draws (sample_successor) need a context's successors in canonical token
 * order. A context of at most 64 successors is gathered from its chains and
 * sorted at each draw (into a scratch array in the table); finalize (and a
 * later prune) gives each bigger one a draw index: its entries' pointers
 * sorted, with their counts' running totals every 16 (common/running_totals),
 * the indexes in one array sorted by context address. On English text about
 * a sixth of the n-grams are in such contexts (gcide order 3: 0.17).
 *
 *   draw_indexes: | context * | sorted ---+--> | next_entry * | next_entry * | ..
 *                 | count | totals (EF) |
 *
 * Bytes requested per n-gram after finalize, by part (the names of the run
 * JSON's `parts`), for N n-grams, C contexts, w the vocabulary's mean word
 * length, P a pointer, pow2(x) the power of two a table of x entries has
 * doubled to, b(n) the share of n-grams in contexts of over 64 successors:
 *
 *   part              formula                                  gcide 1/4, order 3
 *   table             sizeof(naive_hash) / N                     0.00
 *   contexts          C (32 + 16 (n-1)) / N                     39.01
 *                     (link, successor table, token copies)
 *   contexts.buckets  P pow2(C) / N                              8.10
 *   contexts.keys     C (n-1) s(n-1) w / N                       7.54
 *   grams             32 (link, token copy, count)              32.00
 *   grams.buckets     P (C + (N - C) / 0.75) / N                 8.93
 *                     (order 1: P pow2(N) / N)
 *   grams.keys        (0.47 + 0.53 / n^2) w                      5.11
 *   successors        P b(n): the draw indexes' pointers         1.38
 *   totals            EF bits of b(n) N / 16 totals              0.03
 *                                                     total    102.1
 *
 * A word's copy is exactly its bytes, but the words in the grams are not the
 * vocabulary's: the frequent words are short and repeat, and markers have no
 * copy. A context's words are those of a distinct (n-1)-gram, s(m) = 0.3 +
 * 0.7 / m of w (the law of memory_lanes.c); the last word's share is fitted
 * on gcide 1/4 at orders 1 to 5 (1, 0.63, 0.53, 0.50, 0.50 measured), as
 * are b(n) (1, 0.40, 0.17, 0.10, 0.095; at order 1 the one context holds
 * every unigram). The totals are many small Elias-Fano sequences whose fixed
 * costs the bits leave out: under 0.1 byte an n-gram, they run up to 3 times
 * the estimate. At orders 1, 3 and 5 on gcide 1/4 every other part is within
 * 2% of its measure.
 */
#include "backend.h"
#include "common/running_totals.h"
#include "mem.h"
#include "random.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* ---- types --------------------------------------------------------------- */

/* The parts of the table, named once: tag k is naive_parts[k - 1] (backend.h). */
enum naive_part {
    NAIVE_TABLE = 1,
    NAIVE_CONTEXTS,
    NAIVE_CONTEXTS_BUCKETS,
    NAIVE_CONTEXTS_KEYS,
    NAIVE_GRAMS,
    NAIVE_GRAMS_BUCKETS,
    NAIVE_GRAMS_KEYS,
    NAIVE_SUCCESSORS,
    NAIVE_TOTALS,
};
static const char *const naive_parts[] = {
    [NAIVE_TABLE - 1] = "table",
    [NAIVE_CONTEXTS - 1] = "contexts",
    [NAIVE_CONTEXTS_BUCKETS - 1] = "contexts.buckets",
    [NAIVE_CONTEXTS_KEYS - 1] = "contexts.keys",
    [NAIVE_GRAMS - 1] = "grams",
    [NAIVE_GRAMS_BUCKETS - 1] = "grams.buckets",
    [NAIVE_GRAMS_KEYS - 1] = "grams.keys",
    [NAIVE_SUCCESSORS - 1] = "successors",
    [NAIVE_TOTALS - 1] = "totals",
};
enum { NAIVE_PART_COUNT = sizeof naive_parts / sizeof naive_parts[0] };

/* Every entry starts with its chain link, so one table code serves both kinds. */
typedef struct chain_link {
    struct chain_link *next;
} chain_link;

typedef struct chain_table {
    chain_link **buckets; /* bucket_count heads, a power of two */
    size_t bucket_count;
    size_t entry_count;
} chain_table;

/* A token as stored: a word's own heap copy of len bytes, or a marker
 * (bytes == NULL, len = MG_MARK_START or MG_MARK_END, nothing allocated). */
typedef struct token_copy {
    unsigned char *bytes;
    uint32_t len;
} token_copy;

/* One n-gram: the last token and its count, in its context's table. */
typedef struct next_entry {
    chain_link link;
    token_copy word;
    uint64_t count;
} next_entry;

/* One context (the first n-1 tokens) and the table of what followed it. */
typedef struct context_entry {
    chain_link link;
    chain_table successors; /* of next_entry */
    token_copy tokens[];    /* n-1 of them; none for order 1 */
} context_entry;

enum {
    DRAW_GATHERED_MAX = 64, /* contexts of up to this many successors are sorted at each draw */
    DRAW_TOTALS_EVERY = 16, /* a draw index's entries between two running totals */
};
/* The estimate's share of n-grams in contexts with a draw index, by order
 * (gcide 1/4; order 1: the one context holds every unigram). */
static const double draw_indexed_share[MG_ORDER_MAX] = {1.0, 0.40, 0.17, 0.10, 0.095};

/* The estimate's mean length of a word in the grams, as a share of the
 * vocabulary's mean w: frequent words are short and repeat, markers have no
 * bytes. A context's words are those of a distinct (n-1)-gram, s(n - 1) w
 * with s(m) = 0.3 + 0.7 / m (memory_lanes.c); the last word is
 * (0.47 + 0.53 / n^2) w. Both fitted on gcide 1/4, orders 1 to 5. */
#define CONTEXT_WORD_SHARE_FLOOR 0.3
#define LAST_WORD_SHARE_FLOOR 0.47
#define COUNT_SUM_PER_GRAM 1.6 /* counts' sum over distinct grams, for the totals (gcide, order 3) */

/* A context of more than DRAW_GATHERED_MAX successors, in canonical order. */
typedef struct draw_index {
    const context_entry *context;
    next_entry **sorted; /* count entries */
    size_t count;
    mg_running_totals totals;
} draw_index;

typedef struct naive_hash {
    mg_table base; /* first: the handle (backend.h) */
    chain_table contexts; /* of context_entry */
    uint64_t ngram_count;
    bool finalized;
    draw_index *draw_indexes; /* sorted by context address; NULL before finalize or when out of memory */
    size_t draw_index_count;
    next_entry *gathered[DRAW_GATHERED_MAX]; /* a small context's successors, sorted for a draw */
} naive_hash;

/* Tables start at one bucket: most contexts are followed by one token only. */
enum { INITIAL_BUCKETS = 1 };

#define EXPECTED_LOAD 0.75 /* entries per bucket, the mean under doubling */

/* Seeds that spread markers apart from words (words are hashed with none);
 * lookups always compare the keys themselves, so a collision costs time only. */
#define MARKER_SEED 0x6d61726b65727321ULL
#define CONTEXT_SEED 0x636f6e7465787421ULL

/* ---- helpers: tokens ----------------------------------------------------- */

static uint64_t token_hash(const unsigned char *bytes, uint32_t len, uint64_t seed)
{
    if (bytes == NULL) /* a marker: hash its tag under a seed of its own */
        return XXH3_64bits_withSeed(&len, sizeof len, seed ^ MARKER_SEED);
    return XXH3_64bits_withSeed(bytes, len, seed);
}

/* Each token's hash seeds the next one's, so order matters. */
static uint64_t context_hash(const mg_token *tokens, int length)
{
    uint64_t hash = CONTEXT_SEED;
    for (int i = 0; i < length; i++)
        hash = token_hash(tokens[i].bytes, tokens[i].len, hash);
    return hash;
}

/* The same hash from the stored copies, for rehashing. */
static uint64_t copies_hash(const token_copy *tokens, int length)
{
    uint64_t hash = CONTEXT_SEED;
    for (int i = 0; i < length; i++)
        hash = token_hash(tokens[i].bytes, tokens[i].len, hash);
    return hash;
}

static bool token_equal(const token_copy *stored, const mg_token *token)
{
    if ((stored->bytes == NULL) != (token->bytes == NULL) || stored->len != token->len)
        return false;
    return stored->bytes == NULL || memcmp(stored->bytes, token->bytes, token->len) == 0;
}

/* The copy of a word is exactly its bytes; a marker needs no memory. */
static bool token_copy_make(int part, token_copy *copy, const mg_token *token)
{
    copy->len = token->len;
    copy->bytes = NULL;
    if (token->bytes == NULL)
        return true;
    copy->bytes = mg_alloc_in(part, token->len);
    if (copy->bytes == NULL)
        return false;
    memcpy(copy->bytes, token->bytes, token->len);
    return true;
}

static void token_copy_free(int part, token_copy *copy)
{
    if (copy->bytes != NULL)
        mg_free_in(part, copy->bytes, copy->len);
}

static mg_token token_view(const token_copy *copy)
{
    return (mg_token){.bytes = copy->bytes, .len = copy->len};
}

/* ---- helpers: chained tables --------------------------------------------- */

/* Rehashing recomputes each key's hash (entries do not store it, as in dict.c). */
typedef uint64_t entry_hash_fn(const chain_link *entry, int context_length);

/* part: the tag of the table's bucket arrays (the contexts' or a context's successors'). */
static bool table_init(int part, chain_table *table)
{
    table->buckets = mg_calloc_in(part, INITIAL_BUCKETS, sizeof *table->buckets);
    table->bucket_count = INITIAL_BUCKETS;
    table->entry_count = 0;
    return table->buckets != NULL;
}

static void table_free_buckets(int part, chain_table *table)
{
    mg_free_in(part, table->buckets, table->bucket_count * sizeof *table->buckets);
}

static chain_link **table_bucket(const chain_table *table, uint64_t hash)
{
    return &table->buckets[hash & (table->bucket_count - 1)];
}

/* Double before an insert would leave more entries than buckets. On failure
 * the table is as it was. */
static bool table_make_room(int part, chain_table *table, entry_hash_fn *hash_of, int context_length)
{
    if (table->entry_count + 1 <= table->bucket_count)
        return true;
    size_t new_count = table->bucket_count * 2;
    chain_link **new_buckets = mg_calloc_in(part, new_count, sizeof *new_buckets);
    if (new_buckets == NULL)
        return false;
    for (size_t i = 0; i < table->bucket_count; i++) {
        chain_link *entry = table->buckets[i];
        while (entry != NULL) {
            chain_link *following = entry->next;
            chain_link **head = &new_buckets[hash_of(entry, context_length) & (new_count - 1)];
            entry->next = *head;
            *head = entry;
            entry = following;
        }
    }
    table_free_buckets(part, table);
    table->buckets = new_buckets;
    table->bucket_count = new_count;
    return true;
}

/* The caller has made room. */
static void table_link(chain_table *table, chain_link *entry, uint64_t hash)
{
    chain_link **head = table_bucket(table, hash);
    entry->next = *head;
    *head = entry;
    table->entry_count++;
}

/* ---- helpers: entries ---------------------------------------------------- */

static next_entry *as_next(chain_link *link) { return (next_entry *)link; }
static context_entry *as_context(chain_link *link) { return (context_entry *)link; }

static uint64_t next_entry_hash(const chain_link *entry, int context_length)
{
    (void)context_length;
    const next_entry *next = (const next_entry *)entry;
    return token_hash(next->word.bytes, next->word.len, 0);
}

static uint64_t context_entry_hash(const chain_link *entry, int context_length)
{
    return copies_hash(((const context_entry *)entry)->tokens, context_length);
}

static size_t context_entry_size(int context_length)
{
    return sizeof(context_entry) + (size_t)context_length * sizeof(token_copy);
}

static next_entry *next_entry_new(const mg_token *word)
{
    next_entry *next = mg_alloc_in(NAIVE_GRAMS, sizeof *next);
    if (next == NULL)
        return NULL;
    if (!token_copy_make(NAIVE_GRAMS_KEYS, &next->word, word)) {
        mg_free_in(NAIVE_GRAMS, next, sizeof *next);
        return NULL;
    }
    next->count = 1;
    return next;
}

static void next_entry_free(next_entry *next)
{
    token_copy_free(NAIVE_GRAMS_KEYS, &next->word);
    mg_free_in(NAIVE_GRAMS, next, sizeof *next);
}

static void context_entry_free(context_entry *context, int context_length)
{
    chain_table *successors = &context->successors;
    for (size_t i = 0; i < successors->bucket_count; i++) {
        chain_link *entry = successors->buckets[i];
        while (entry != NULL) {
            chain_link *following = entry->next;
            next_entry_free(as_next(entry));
            entry = following;
        }
    }
    table_free_buckets(NAIVE_GRAMS_BUCKETS, successors);
    for (int i = 0; i < context_length; i++)
        token_copy_free(NAIVE_CONTEXTS_KEYS, &context->tokens[i]);
    mg_free_in(NAIVE_CONTEXTS, context, context_entry_size(context_length));
}

/* A context holding copies of tokens[0..context_length) and an empty table. */
static context_entry *context_entry_new(const mg_token *tokens, int context_length)
{
    context_entry *context = mg_alloc_in(NAIVE_CONTEXTS, context_entry_size(context_length));
    if (context == NULL)
        return NULL;
    int copied = 0;
    while (copied < context_length &&
           token_copy_make(NAIVE_CONTEXTS_KEYS, &context->tokens[copied], &tokens[copied]))
        copied++;
    if (copied < context_length || !table_init(NAIVE_GRAMS_BUCKETS, &context->successors)) {
        for (int i = 0; i < copied; i++)
            token_copy_free(NAIVE_CONTEXTS_KEYS, &context->tokens[i]);
        mg_free_in(NAIVE_CONTEXTS, context, context_entry_size(context_length));
        return NULL;
    }
    return context;
}

static context_entry *context_find(const naive_hash *table, const mg_token *tokens, uint64_t hash)
{
    int context_length = table->base.order - 1;
    for (chain_link *entry = *table_bucket(&table->contexts, hash); entry; entry = entry->next) {
        context_entry *context = as_context(entry);
        int i = 0;
        while (i < context_length && token_equal(&context->tokens[i], &tokens[i]))
            i++;
        if (i == context_length)
            return context;
    }
    return NULL;
}

static next_entry *next_find(const context_entry *context, const mg_token *word, uint64_t hash)
{
    for (chain_link *entry = *table_bucket(&context->successors, hash); entry; entry = entry->next)
        if (token_equal(&as_next(entry)->word, word))
            return as_next(entry);
    return NULL;
}

/* ---- create -------------------------------------------------------------- */

static mg_table *naive_create(const mg_backend *ops, int order)
{
    if (order < 1 || order > MG_ORDER_MAX)
        return NULL;
    naive_hash *table = mg_alloc_in(NAIVE_TABLE, sizeof *table);
    if (table == NULL)
        return NULL;
    table->base = (mg_table){ops, order};
    table->ngram_count = 0;
    table->finalized = false;
    table->draw_indexes = NULL;
    table->draw_index_count = 0;
    if (!table_init(NAIVE_CONTEXTS_BUCKETS, &table->contexts)) {
        mg_free_in(NAIVE_TABLE, table, sizeof *table);
        return NULL;
    }
    return &table->base;
}

/* ---- add ----------------------------------------------------------------- */

/* A new successor of a known context: the entry first, then room for it. */
static int add_to_context(context_entry *context, const mg_token *word, uint64_t word_hash)
{
    next_entry *next = next_entry_new(word);
    if (next == NULL)
        return MG_ERR_NOMEM;
    if (!table_make_room(NAIVE_GRAMS_BUCKETS, &context->successors, next_entry_hash, 0)) {
        next_entry_free(next);
        return MG_ERR_NOMEM;
    }
    table_link(&context->successors, &next->link, word_hash);
    return MG_OK;
}

/* A new context with its first successor: everything is built before the
 * table is touched, so a failure leaves nothing behind. */
static int add_new_context(naive_hash *table, const mg_token *gram, uint64_t hash,
                           uint64_t word_hash)
{
    int context_length = table->base.order - 1;
    context_entry *context = context_entry_new(gram, context_length);
    if (context == NULL)
        return MG_ERR_NOMEM;
    if (add_to_context(context, &gram[context_length], word_hash) != MG_OK ||
        !table_make_room(NAIVE_CONTEXTS_BUCKETS, &table->contexts, context_entry_hash, context_length)) {
        context_entry_free(context, context_length);
        return MG_ERR_NOMEM;
    }
    table_link(&table->contexts, &context->link, hash);
    return MG_OK;
}

static int naive_add(mg_table *self, const mg_token *gram)
{
    naive_hash *table = (naive_hash *)self;
    int context_length = table->base.order - 1;
    const mg_token *word = &gram[context_length];
    uint64_t hash = context_hash(gram, context_length);
    uint64_t word_hash = token_hash(word->bytes, word->len, 0);
    context_entry *context = context_find(table, gram, hash);
    int status;
    if (context == NULL) {
        status = add_new_context(table, gram, hash, word_hash);
    } else {
        next_entry *next = next_find(context, word, word_hash);
        if (next != NULL) {
            next->count++;
            return MG_OK;
        }
        status = add_to_context(context, word, word_hash);
    }
    if (status == MG_OK)
        table->ngram_count++;
    return status;
}

/* ---- finalize ------------------------------------------------------------ */

static int compare_entries(const void *left, const void *right)
{
    mg_token a = token_view(&(*(next_entry *const *)left)->word), b = token_view(&(*(next_entry *const *)right)->word);
    return mg_token_compare(&a, &b);
}

static int compare_indexes(const void *left, const void *right)
{
    uintptr_t a = (uintptr_t)((const draw_index *)left)->context, b = (uintptr_t)((const draw_index *)right)->context;
    return (a > b) - (a < b);
}

static void draw_indexes_free(naive_hash *table)
{
    for (size_t i = 0; i < table->draw_index_count; i++) {
        mg_free_in(NAIVE_SUCCESSORS, table->draw_indexes[i].sorted, table->draw_indexes[i].count * sizeof(next_entry *));
        mg_running_totals_free(&table->draw_indexes[i].totals);
    }
    mg_free_in(NAIVE_SUCCESSORS, table->draw_indexes, table->draw_index_count * sizeof *table->draw_indexes);
    table->draw_indexes = NULL;
    table->draw_index_count = 0;
}

/* Count of a draw index's entry `entry` (mg_entry_count). */
static uint64_t sorted_count(const void *index, uint64_t entry)
{
    return ((const draw_index *)index)->sorted[entry]->count;
}

/* The context's successors gathered into out, in canonical order; their number. */
static size_t successors_sorted(const context_entry *context, next_entry **out)
{
    size_t count = 0;
    const chain_table *successors = &context->successors;
    for (size_t i = 0; i < successors->bucket_count; i++)
        for (chain_link *entry = successors->buckets[i]; entry; entry = entry->next)
            out[count++] = as_next(entry);
    qsort(out, count, sizeof *out, compare_entries);
    return count;
}

static bool draw_index_make(draw_index *index, const context_entry *context)
{
    index->context = context;
    index->count = context->successors.entry_count;
    index->sorted = mg_alloc_in(NAIVE_SUCCESSORS, index->count * sizeof(next_entry *));
    if (!index->sorted) {
        index->count = 0;
        return false;
    }
    successors_sorted(context, index->sorted);
    if (mg_running_totals_build_in(NAIVE_TOTALS, &index->totals, index->count, DRAW_TOTALS_EVERY, sorted_count, index) == MG_OK)
        return true;
    mg_free_in(NAIVE_SUCCESSORS, index->sorted, index->count * sizeof(next_entry *));
    index->sorted = NULL;
    index->count = 0;
    return false;
}

/* A draw index for every context of more than DRAW_GATHERED_MAX successors;
 * when memory runs out none stays (their draws are left to the walk). */
static void draw_indexes_build(naive_hash *table)
{
    draw_indexes_free(table);
    size_t wanted = 0;
    for (size_t i = 0; i < table->contexts.bucket_count; i++)
        for (chain_link *entry = table->contexts.buckets[i]; entry; entry = entry->next)
            wanted += as_context(entry)->successors.entry_count > DRAW_GATHERED_MAX;
    if (wanted == 0 || !(table->draw_indexes = mg_calloc_in(NAIVE_SUCCESSORS, wanted, sizeof *table->draw_indexes)))
        return;
    table->draw_index_count = wanted; /* the ones not made yet are zeroed: freeing them is harmless */
    size_t made = 0;
    for (size_t i = 0; i < table->contexts.bucket_count; i++)
        for (chain_link *entry = table->contexts.buckets[i]; entry; entry = entry->next) {
            const context_entry *context = as_context(entry);
            if (context->successors.entry_count <= DRAW_GATHERED_MAX)
                continue;
            if (!draw_index_make(&table->draw_indexes[made++], context)) {
                draw_indexes_free(table);
                return;
            }
        }
    qsort(table->draw_indexes, table->draw_index_count, sizeof *table->draw_indexes, compare_indexes);
}

/* Nothing to merge or compact: the tables are already what queries walk;
 * only the big contexts' draw indexes are made. */
static int naive_finalize(mg_table *self)
{
    naive_hash *table = (naive_hash *)self;
    table->finalized = true;
    draw_indexes_build(table);
    return MG_OK;
}

/* ---- lookups ------------------------------------------------------------- */

static uint64_t naive_count(mg_table *self, const mg_token *gram)
{
    naive_hash *table = (naive_hash *)self;
    int context_length = table->base.order - 1;
    const mg_token *word = &gram[context_length];
    context_entry *context = context_find(table, gram, context_hash(gram, context_length));
    if (context == NULL)
        return 0;
    next_entry *next = next_find(context, word, token_hash(word->bytes, word->len, 0));
    return next ? next->count : 0;
}

static int naive_successors(mg_table *self, const mg_token *context_tokens, mg_successor_visit visit,
                            void *arg)
{
    naive_hash *table = (naive_hash *)self;
    int context_length = table->base.order - 1;
    /* Order 1: no tokens are read, so context_tokens may be anything. */
    context_entry *context =
        context_find(table, context_tokens, context_hash(context_tokens, context_length));
    if (context == NULL)
        return 0;
    const chain_table *successors = &context->successors;
    for (size_t i = 0; i < successors->bucket_count; i++) {
        for (chain_link *entry = successors->buckets[i]; entry; entry = entry->next) {
            mg_token word = token_view(&as_next(entry)->word);
            int stop = visit(arg, &word, as_next(entry)->count);
            if (stop != 0)
                return stop;
        }
    }
    return 0;
}

static const draw_index *draw_index_find(const naive_hash *table, const context_entry *context)
{
    draw_index key = {.context = context};
    return table->draw_indexes ? bsearch(&key, table->draw_indexes, table->draw_index_count, sizeof key,
                                         compare_indexes)
                               : NULL;
}

/* The entry of sorted[first, count) that draw picks by cumulative count, or NULL. */
static const next_entry *draw_among(next_entry *const *sorted, size_t first, size_t count, uint64_t draw)
{
    uint64_t total = 0, below = 0;
    for (size_t i = first; i < count; i++)
        total += sorted[i]->count;
    if (total == 0)
        return NULL;
    uint64_t r = mg_scale_below(draw, total);
    for (size_t i = first; i < count; i++)
        if ((below += sorted[i]->count) > r)
            return sorted[i];
    return NULL;
}

static bool is_start(const next_entry *next)
{
    return next->word.bytes == NULL && next->word.len == MG_MARK_START;
}

/* A small context is gathered and sorted; a big one read from its draw
 * index (none before finalize: the walk then draws). */
static int naive_sample_successor(mg_table *self, const mg_token *context_tokens, uint64_t draw, mg_token *next)
{
    naive_hash *table = (naive_hash *)self;
    const context_entry *context =
        context_find(table, context_tokens, context_hash(context_tokens, table->base.order - 1));
    if (context == NULL)
        return 0;
    const next_entry *chosen;
    if (context->successors.entry_count <= DRAW_GATHERED_MAX) {
        size_t count = successors_sorted(context, table->gathered);
        chosen = draw_among(table->gathered, count > 0 && is_start(table->gathered[0]), count, draw);
    } else {
        const draw_index *index = draw_index_find(table, context);
        if (!index)
            return MG_SAMPLE_WALK;
        uint64_t at;
        size_t first = is_start(index->sorted[0]);
        chosen = mg_running_totals_draw(&index->totals, first, index->count, draw, sorted_count, index, &at)
                     ? index->sorted[at]
                     : NULL;
    }
    if (!chosen)
        return 0;
    *next = token_view(&chosen->word);
    return 1;
}

/* Every n-gram of one context, its tokens gathered on the stack. */
static int foreach_in_context(const context_entry *context, int context_length,
                              mg_gram_visit visit, void *arg)
{
    mg_token gram[MG_ORDER_MAX];
    for (int i = 0; i < context_length; i++)
        gram[i] = token_view(&context->tokens[i]);
    const chain_table *successors = &context->successors;
    for (size_t i = 0; i < successors->bucket_count; i++) {
        for (chain_link *entry = successors->buckets[i]; entry; entry = entry->next) {
            gram[context_length] = token_view(&as_next(entry)->word);
            int stop = visit(arg, gram, as_next(entry)->count);
            if (stop != 0)
                return stop;
        }
    }
    return 0;
}

static int naive_foreach(mg_table *self, mg_gram_visit visit, void *arg)
{
    naive_hash *table = (naive_hash *)self;
    for (size_t i = 0; i < table->contexts.bucket_count; i++) {
        for (chain_link *entry = table->contexts.buckets[i]; entry; entry = entry->next) {
            int stop = foreach_in_context(as_context(entry), table->base.order - 1, visit, arg);
            if (stop != 0)
                return stop;
        }
    }
    return 0;
}

static void naive_sizes(mg_table *self, uint64_t *ngrams, uint64_t *contexts)
{
    naive_hash *table = (naive_hash *)self;
    *ngrams = table->ngram_count;
    *contexts = table->contexts.entry_count;
}

/* ---- prune --------------------------------------------------------------- */

/* Bucket arrays are never shrunk, here or below: naive code frees the entries
 * and keeps the arrays, and the holes this leaves are what the benchmark's
 * prune phase is there to show. */
static uint64_t prune_context(context_entry *context, uint64_t min_count)
{
    chain_table *successors = &context->successors;
    uint64_t dropped = 0;
    for (size_t i = 0; i < successors->bucket_count; i++) {
        chain_link **slot = &successors->buckets[i];
        while (*slot != NULL) {
            next_entry *next = as_next(*slot);
            if (next->count >= min_count) {
                slot = &next->link.next;
                continue;
            }
            *slot = next->link.next;
            next_entry_free(next);
            successors->entry_count--;
            dropped++;
        }
    }
    return dropped;
}

static uint64_t naive_prune(mg_table *self, uint64_t min_count)
{
    naive_hash *table = (naive_hash *)self;
    int context_length = table->base.order - 1;
    uint64_t dropped = 0;
    draw_indexes_free(table); /* they point at entries about to go */
    for (size_t i = 0; i < table->contexts.bucket_count; i++) {
        chain_link **slot = &table->contexts.buckets[i];
        while (*slot != NULL) {
            context_entry *context = as_context(*slot);
            dropped += prune_context(context, min_count);
            if (context->successors.entry_count > 0) {
                slot = &context->link.next;
                continue;
            }
            *slot = context->link.next; /* left empty: the context goes too */
            context_entry_free(context, context_length);
            table->contexts.entry_count--;
        }
    }
    table->ngram_count -= dropped;
    if (table->finalized)
        draw_indexes_build(table);
    return dropped;
}

/* ---- destroy ------------------------------------------------------------- */

static void naive_destroy(mg_table *self)
{
    naive_hash *table = (naive_hash *)self;
    if (table == NULL)
        return;
    for (size_t i = 0; i < table->contexts.bucket_count; i++) {
        chain_link *entry = table->contexts.buckets[i];
        while (entry != NULL) {
            chain_link *following = entry->next;
            context_entry_free(as_context(entry), table->base.order - 1);
            entry = following;
        }
    }
    draw_indexes_free(table);
    table_free_buckets(NAIVE_CONTEXTS_BUCKETS, &table->contexts);
    mg_free_in(NAIVE_TABLE, table, sizeof *table);
}

/* ---- estimate ------------------------------------------------------------ */

/* Buckets of a table of `entries` entries: it doubles from one bucket while
 * an insert would leave more entries than buckets. */
static double buckets_for(uint64_t entries)
{
    uint64_t buckets = INITIAL_BUCKETS;
    while (buckets < entries)
        buckets *= 2;
    return (double)buckets;
}

/* The formula at the top of the file, part by part. */
static void naive_estimate_parts(const mg_table_shape *shape, double *bytes_per_ngram)
{
    for (int part = 0; part < NAIVE_PART_COUNT; part++)
        bytes_per_ngram[part] = 0.0;
    if (shape->ngrams == 0)
        return;
    double ngrams = (double)shape->ngrams, contexts = (double)shape->contexts;
    double word_bytes = shape->vocab ? (double)shape->vocab_bytes / (double)shape->vocab : 0.0;
    double pointer = sizeof(chain_link *);
    int context_length = shape->order - 1;
    double context_word_share =
        context_length ? CONTEXT_WORD_SHARE_FLOOR + (1.0 - CONTEXT_WORD_SHARE_FLOOR) / context_length : 0.0;
    double last_word_share = LAST_WORD_SHARE_FLOOR + (1.0 - LAST_WORD_SHARE_FLOOR) / (shape->order * shape->order);
    /* one context (order 1) holds every gram in one table of known size */
    double inner_buckets = shape->contexts == 1 ? buckets_for(shape->ngrams)
                                                : contexts + (ngrams - contexts) / EXPECTED_LOAD;
    double indexed = shape->order == 1 ? (double)(shape->ngrams > DRAW_GATHERED_MAX)
                                       : draw_indexed_share[shape->order - 1];
    bytes_per_ngram[NAIVE_TABLE - 1] = sizeof(naive_hash) / ngrams;
    bytes_per_ngram[NAIVE_CONTEXTS - 1] = contexts * (double)context_entry_size(context_length) / ngrams;
    bytes_per_ngram[NAIVE_CONTEXTS_BUCKETS - 1] = pointer * buckets_for(shape->contexts) / ngrams;
    bytes_per_ngram[NAIVE_CONTEXTS_KEYS - 1] =
        contexts * context_length * context_word_share * word_bytes / ngrams;
    bytes_per_ngram[NAIVE_GRAMS - 1] = sizeof(next_entry);
    bytes_per_ngram[NAIVE_GRAMS_BUCKETS - 1] = pointer * inner_buckets / ngrams;
    bytes_per_ngram[NAIVE_GRAMS_KEYS - 1] = last_word_share * word_bytes;
    bytes_per_ngram[NAIVE_SUCCESSORS - 1] = pointer * indexed;
    bytes_per_ngram[NAIVE_TOTALS - 1] =
        indexed > 0 ? mg_running_totals_bits(indexed * ngrams, DRAW_TOTALS_EVERY, COUNT_SUM_PER_GRAM * indexed * ngrams) /
                          8.0 / ngrams
                    : 0.0;
}

/* ---- ops table ----------------------------------------------------------- */

const mg_backend mg_backend_naive_hash = {
    .version = MG_BACKEND_VERSION,
    .name = "naive_hash",
    .summary = "the Python dict of dicts in C: hash of contexts -> hash of next tokens, every token a heap copy",
    .layout_version = 3, /* 3: the estimate part by part */
    .create = naive_create,
    .add = naive_add,
    .finalize = naive_finalize, /* nothing to compact: the big contexts' draw indexes */
    .count = naive_count,
    .successors = naive_successors,
    .foreach = naive_foreach,
    .sizes = naive_sizes,       /* O(1): kept counters */
    .prune = naive_prune,       /* frees entries, keeps bucket arrays */
    .destroy = naive_destroy,
    .sample_successor = naive_sample_successor,
    .parts = naive_parts,
    .part_count = NAIVE_PART_COUNT,
    .estimate_parts = naive_estimate_parts,
};
