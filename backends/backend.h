/*
 * backend.h — the one interface every storage backend implements.
 *
 * A backend is a count table of n-grams: it is trained by add(), frozen by
 * finalize(), queried by count()/successors()/foreach(), thinned by prune()
 * and torn down by destroy(). Every backend fills the same versioned ops
 * table (in the manner of SQLite's sqlite3_io_methods); create() returns a
 * handle (mg_table) that every other op is given; registry.c lists them.
 * docs/adding-a-backend.md walks through writing one.
 *
 * Rules every implementation keeps:
 *  - Every heap byte goes through mem.h's tagged calls (mg_alloc_in,
 *    mg_calloc_in, mg_realloc_in, mg_free_in with the block's part and
 *    size), so requested bytes are exact, and exact part by part.
 *  - Allocation failure is returned (MG_ERR_NOMEM), never a crash or exit.
 *  - A backend never measures and never prints; the harness never looks
 *    inside a backend.
 *  - Tokens are byte strings with a length, never NUL-terminated: a word may
 *    contain NUL and be of any length. The two markers are told apart from
 *    words by a NULL bytes pointer (see mg_token_is_marker).
 */
#ifndef MG_BACKEND_H
#define MG_BACKEND_H

#include "mem.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#define MG_ORDER_MAX 5 /* orders run from 1 to MG_ORDER_MAX */

/* Results of the fallible ops. MG_ERR_IO: a file the table needs (a frozen
 * twin's image, made in $TMPDIR, else /var/tmp: common/image.h) could not be
 * made, written or mapped; errno says why, and the table is still whole and
 * usable, on the heap. */
enum { MG_OK = 0, MG_ERR_NOMEM = -1, MG_ERR_IO = -2 };

/* sample_successor's answer when the table leaves this draw to the
 * generator's walk (a state or an order it keeps no totals for). */
enum { MG_SAMPLE_WALK = 2 };

/*
 * One token. A word has bytes != NULL and len >= 1 (the tokenizer never makes
 * an empty word) and never holds one of the six whitespace bytes (space, \t,
 * \n, \v, \f, \r: the tokenizer splits words at them), so a backend may
 * join words with one. A marker has bytes == NULL and len equal to
 * MG_MARK_START or MG_MARK_END, so markers are distinct from every word.
 */
typedef struct mg_token {
    const unsigned char *bytes;
    uint32_t len;
} mg_token;

enum { MG_MARK_START = 0, MG_MARK_END = 1 };

static inline int mg_token_is_marker(const mg_token *token) { return token->bytes == NULL; }

/*
 * Canonical order of tokens, shared by every place that must agree across
 * backends (checksums, generation): start marker < end marker < words; words
 * by unsigned bytes, a prefix before the longer token.
 */
int mg_token_compare(const mg_token *a, const mg_token *b);

/*
 * Visitors. The tokens passed in are valid only during the call (a compact
 * backend may decode them into a scratch buffer). Return 0 to go on, non-zero
 * to stop the walk; the op then returns that value.
 */
typedef int (*mg_successor_visit)(void *arg, const mg_token *next, uint64_t count);
typedef int (*mg_gram_visit)(void *arg, const mg_token *gram, uint64_t count);
/* One figure a wrapped library keeps about itself: a dotted lower-case name
 * ("sqlite.memory_used") and its value. Return 0 to go on, non-zero to stop. */
typedef int (*mg_figure_visit)(void *arg, const char *name, uint64_t value);

/* What a backend's estimate formula may use: counts of the trained table. */
typedef struct mg_table_shape {
    int order;             /* n */
    uint64_t ngrams;       /* distinct n-grams */
    uint64_t contexts;     /* distinct (n-1)-token prefixes */
    uint64_t vocab;        /* distinct words */
    uint64_t vocab_bytes;  /* sum of the lengths of the distinct words */
} mg_table_shape;

typedef struct mg_backend mg_backend;

/* A setting a backend takes (`--backend NAME:name=N[,name=N]`): an integer within
 * [min, max], `fallback` when not given. N is written in decimal digits, so 0 <= min. */
typedef struct mg_backend_setting {
    const char *name;      /* lower-kebab-case */
    const char *summary;   /* one line for `list` and the help */
    long long min, max, fallback;
} mg_backend_setting;

/*
 * A table's handle, in the manner of SQLite's sqlite3_file: the FIRST member
 * of every backend's own table struct (C: `mg_table base;` first; C++: a
 * public base class), so a backend turns the mg_table * it is handed into its
 * own type with a cast, and the harness carries one pointer that knows its
 * ops and its order. create() fills both.
 */
typedef struct mg_table {
    const mg_backend *ops; /* the backend that made the table: every op is called through it */
    int order;             /* tokens per gram, 1..MG_ORDER_MAX; fixed at create */
} mg_table;

/* The interface version every backend puts in mg_backend.version: it changes
 * when a member is added, removed or changes meaning, so that a backend
 * written against another interface is told apart. Version 2 added
 * sample_successor, add_many and count_many. Version 3 added settings and configure.
 * Version 4 added parts, part_count and estimate_parts. */
#define MG_BACKEND_VERSION 4

/* A backend's layout_version starts at 1 and is bumped when its in-memory
 * layout or its estimate formula changes: memory figures of runs with
 * different layout versions measure different things and are not compared
 * (the run JSON records it as "backend_layout_version"). */

struct mg_backend {
    /* Interface version: MG_BACKEND_VERSION. */
    int version;

    /* Registry name (lower_snake_case) and a one-line description for `list`. */
    const char *name;
    const char *summary;

    /* Layout version (>= 1): bumped when the layout or its estimate formula
     * changes (the rule above). */
    int layout_version;

    /* New empty table of the given order (1..MG_ORDER_MAX) whose handle holds
     * ops (the backend called: a frozen twin shares its base's create) and
     * order; NULL when out of memory. */
    mg_table *(*create)(const mg_backend *ops, int order);

    /* count(gram) += 1, gram being `order` tokens. MG_OK or MG_ERR_NOMEM; on
     * failure the table is unchanged and still usable (destroy must work). */
    int (*add)(mg_table *table, const mg_token *gram);

    /* Training has ended: merge, sort, compact. add() is not called after it
     * (prune() still may be). MG_OK, MG_ERR_NOMEM, or MG_ERR_IO. */
    int (*finalize)(mg_table *table);

    /* Count of gram, 0 when absent. Valid before and after finalize. */
    uint64_t (*count)(mg_table *table, const mg_token *gram);

    /* Visit every next token seen after context (order-1 tokens; for order 1
     * the context is empty and every unigram is a successor), in any order. */
    int (*successors)(mg_table *table, const mg_token *context, mg_successor_visit visit, void *arg);

    /* Visit every n-gram with its count, in any order. */
    int (*foreach)(mg_table *table, mg_gram_visit visit, void *arg);

    /* Distinct n-grams and distinct contexts ((n-1)-token prefixes; for order
     * 1 the empty prefix, so 1 once any gram is held) held now. Called only
     * after finalize (also after a later prune). Must not allocate. */
    void (*sizes)(mg_table *table, uint64_t *ngrams, uint64_t *contexts);

    /* Drop grams with count < min_count; returns how many were dropped.
     * Valid before and after finalize; the table stays fully usable. A
     * backend that must rebuild to shrink does so and may fail only by
     * keeping its old layout (never by losing grams that pass). */
    uint64_t (*prune)(mg_table *table, uint64_t min_count);

    /* Free everything, the handle too: mem.h's requested bytes return to
     * where create found them. */
    void (*destroy)(mg_table *table);

    /* Optional (NULL when estimate_parts is given, whose sum is the whole): the layout's
     * arithmetic (estimate before you measure) for a table that names no parts: expected
     * bytes requested per n-gram for a table of this shape. */
    double (*estimate_bytes_per_ngram)(const mg_table_shape *shape);

    /* Optional (NULL for a backend that wraps no library): the figures a
     * wrapped library keeps about its own memory, now, visited one by one.
     * Read by the harness at each phase end where a table exists, beside
     * the layers it measures itself. Must not allocate. */
    void (*library_figures)(mg_table *table, mg_figure_visit visit, void *arg);

    /* Optional (NULL: the generator gathers successors() and sorts them):
     * the successor the generation rule (harness/measure/generate.h) draws
     * after context for this 64-bit draw. The candidates are the context's
     * successors with count > 0, the start marker excluded, in canonical
     * token order (mg_token_compare); total is the sum of their counts and
     * r = (draw * total) >> 64; the one drawn is the first whose cumulative
     * count exceeds r. Returns 1 with *next (its bytes valid until the next
     * call on the table), 0 when the context has no candidate,
     * MG_SAMPLE_WALK when the table keeps nothing to draw from now (before
     * finalize, say: the generator then gathers successors() and sorts),
     * MG_ERR_NOMEM on failure. A backend serves it from cumulative counts in
     * canonical order that it builds at finalize, not from a walk. */
    int (*sample_successor)(mg_table *table, const mg_token *context, uint64_t draw, mg_token *next);

    /* Optional batches (NULL: the helpers below loop over the single op), so
     * a backend can hash a whole batch and prefetch its slots before it
     * waits for the first. `grams`: count grams of `order` tokens, end to
     * end. add_many is add() on each gram in turn: MG_OK with *added =
     * count, or MG_ERR_NOMEM with *added = the grams before the one that
     * failed: those are added, it and the rest are not, and the table is
     * usable as after a failed add(). count_many sets counts[i] to
     * count(gram i); valid when count() is. */
    int (*add_many)(mg_table *table, const mg_token *grams, size_t count, size_t *added);
    void (*count_many)(mg_table *table, const mg_token *grams, size_t count, uint64_t *counts);

    /* Optional (NULL, 0: none): the settings the backend takes. create()
     * starts every setting at its fallback; the harness configures only the
     * settings a spec gives with another value (a spec's normal form leaves
     * out a setting at its fallback: harness/common/settings.h). */
    const mg_backend_setting *settings;
    size_t setting_count;
    /* Sets settings[index] to value (within its range) on a table just created,
     * before its first add. MG_OK, or MG_ERR_NOMEM. NULL when setting_count is 0. */
    int (*configure)(mg_table *table, size_t index, long long value);

    /* The parts of the table, named once: parts[tag - 1] names the tag
     * 1..part_count of mem.h's tagged calls (mg_alloc_in and the rest), in
     * dotted lower case ("vocab.words", "level.2.ids", "training.table").
     * Every block the table requests is made with one of these tags, so no
     * byte counts as MG_PART_OTHER once finalize has returned. At most
     * MG_PARTS_MAX - 1 parts; NULL, 0 only while a backend is not yet split. */
    const char *const *parts;
    size_t part_count;

    /* The estimate part by part: bytes_per_ngram[tag - 1] for every part, after finalize, for a
     * table of this shape (the drawing at the top of the file gives the same terms); a part
     * that is gone after finalize (a training table) is 0. The whole estimate is their sum
     * (mg_backend_estimate). NULL only for a table without parts. */
    void (*estimate_parts)(const mg_table_shape *shape, double *bytes_per_ngram);
};

/* The whole estimate of a table of this shape: its parts' sum (by_part, when not NULL, gets
 * them: by_part[tag - 1], MG_PARTS_MAX - 1 of room), or estimate_bytes_per_ngram where the
 * backend names no parts; NAN where it has neither. */
static inline double mg_backend_estimate(const mg_backend *backend, const mg_table_shape *shape, double *by_part)
{
    if (!backend->estimate_parts || backend->part_count == 0 || backend->part_count >= MG_PARTS_MAX)
        return backend->estimate_bytes_per_ngram ? backend->estimate_bytes_per_ngram(shape) : NAN;
    double parts[MG_PARTS_MAX - 1], sum = 0;
    backend->estimate_parts(shape, by_part ? by_part : parts);
    for (size_t index = 0; index < backend->part_count; index++)
        sum += (by_part ? by_part : parts)[index];
    return sum;
}

/* A new table of backend's: backend->create(backend, order). */
static inline mg_table *mg_table_create(const mg_backend *backend, int order)
{
    return backend->create(backend, order);
}

/* The batch ops, or their loop over the single op where a backend has none
 * (the one place that falls back). */
static inline int mg_table_add_many(mg_table *table, const mg_token *grams, size_t count, size_t *added)
{
    if (table->ops->add_many)
        return table->ops->add_many(table, grams, count, added);
    for (*added = 0; *added < count; ++*added)
        if (table->ops->add(table, grams + *added * (size_t)table->order) != MG_OK)
            return MG_ERR_NOMEM;
    return MG_OK;
}

static inline void mg_table_count_many(mg_table *table, const mg_token *grams, size_t count, uint64_t *counts)
{
    if (table->ops->count_many) {
        table->ops->count_many(table, grams, count, counts);
        return;
    }
    for (size_t i = 0; i < count; i++)
        counts[i] = table->ops->count(table, grams + i * (size_t)table->order);
}

/* registry.c: the table of backends, NULL-terminated. */
extern const mg_backend *const mg_backends[];
/* The instrument backends (null, calibration, crash, slowdown; backends/testing/): found by
 * name, never listed, never in a default sweep or in the conformance suite; empty in the
 * product binary, filled in the test programs (registry.c). */
extern const mg_backend *const mg_test_backends[];

/* The backend of that name (registered or tests-only), or NULL. */
const mg_backend *mg_backend_find(const char *name);

#endif
