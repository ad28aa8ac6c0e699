/*
 * test_backends.c — tests-only backends that prove the harness itself.
 *
 *   test_null         allocates nothing: every phase must show the harness
 *                     allocating nothing between baseline and destroy.
 *   test_calibration  requests exactly MEMGRAMS_CALIBRATION_BLOCKS blocks of
 *                     MEMGRAMS_CALIBRATION_BLOCK_BYTES bytes (written, so
 *                     resident) when training ends: the layers must show it.
 *                     Its "n-grams" are its blocks, so bytes per n-gram is
 *                     the block size. Its setting blocks=N (the tests of
 *                     backend settings) makes N blocks instead.
 *   test_crash        dies of SIGSEGV on its 1000th add (or when
 *                     MEMGRAMS_CRASH_AFTER adds were made): a sweep must
 *                     record it and go on.
 *   test_slowdown     interned_hash, whose count() and successors() do their
 *                     work MEMGRAMS_TEST_SLOWDOWN times (default 1, e.g. 1.3:
 *                     every call once, three calls in ten twice): the
 *                     deliberate slowdown `check` must catch. A repeated call
 *                     finds its data in cache, so the real slowdown is less
 *                     than the factor; the measurements say how much.
 *
 * They are never listed and never swept by default; registry.c finds them by name.
 */
#include "backend.h"
#include "mem.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* ---- shared no-op ops ------------------------------------------------------- */

static int no_successors(mg_table *self, const mg_token *context, mg_successor_visit visit, void *arg)
{
    (void)self, (void)context, (void)visit, (void)arg;
    return 0;
}

static int no_grams(mg_table *self, mg_gram_visit visit, void *arg)
{
    (void)self, (void)visit, (void)arg;
    return 0;
}

/* Every gram "present" once, so the harness's hit lookups have an answer. */
static uint64_t count_one(mg_table *self, const mg_token *gram)
{
    (void)self, (void)gram;
    return 1;
}

static uint64_t prune_nothing(mg_table *self, uint64_t min_count)
{
    (void)self, (void)min_count;
    return 0;
}

static double estimate_zero(const mg_table_shape *shape)
{
    (void)shape;
    return 0;
}

static int do_nothing(mg_table *self)
{
    (void)self;
    return MG_OK;
}

/* ---- test_null ----------------------------------------------------------------- */

/* One static handle per order: creating a table allocates nothing. */
static mg_table null_tables[MG_ORDER_MAX];

static mg_table *null_create(const mg_backend *ops, int order)
{
    if (order < 1 || order > MG_ORDER_MAX)
        return NULL;
    null_tables[order - 1] = (mg_table){ops, order};
    return &null_tables[order - 1];
}

static int null_add(mg_table *self, const mg_token *gram)
{
    (void)self, (void)gram;
    return MG_OK;
}

static void null_sizes(mg_table *self, uint64_t *ngrams, uint64_t *contexts)
{
    (void)self;
    *ngrams = *contexts = 0;
}

static void null_destroy(mg_table *self) { (void)self; }

const mg_backend mg_backend_test_null = {
    MG_BACKEND_VERSION, "test_null", "tests only: stores nothing, allocates nothing", 1,
    null_create, null_add, do_nothing, count_one, no_successors, no_grams, null_sizes,
    prune_nothing, null_destroy, estimate_zero, NULL, /* no library */
    NULL, /* no sample_successor: the generator gathers and sorts */
    NULL, NULL, /* no batches: the helpers loop over add and count */
    NULL, 0, NULL, /* no settings */
    NULL, 0, NULL, /* not split into parts */
};

/* ---- test_calibration ---------------------------------------------------------- */

/*  block 0            block 1            block K-1
 *  (part header)      (part chain)       (part chain)
 *  +------+-------+   +------+-------+   +------+-------+
 *  | next | ...   |-->| next | ...   |-->| NULL | ...   |   every block the same size;
 *  +------+-------+   +------+-------+   +------+-------+   block 0 holds the header
 */
enum calibration_part { CALIBRATION_HEADER = 1, CALIBRATION_CHAIN };
static const char *const calibration_parts[] = {[CALIBRATION_HEADER - 1] = "header", [CALIBRATION_CHAIN - 1] = "chain"};

typedef struct calibration {
    mg_table base;       /* first: the handle (backend.h) */
    void *next;          /* the chain; the first field of every other block */
    uint64_t blocks, block_bytes, made;
} calibration;

static uint64_t environment_number(const char *name, uint64_t fallback)
{
    const char *text = getenv(name);
    return text && *text ? strtoull(text, NULL, 10) : fallback;
}

static mg_table *calibration_create(const mg_backend *ops, int order)
{
    uint64_t block_bytes = environment_number("MEMGRAMS_CALIBRATION_BLOCK_BYTES", 4096);
    if (block_bytes < sizeof(calibration))
        block_bytes = sizeof(calibration);
    calibration *self = mg_alloc_in(CALIBRATION_HEADER, block_bytes);
    if (!self)
        return NULL;
    memset(self, 0xa5, block_bytes);
    *self = (calibration){{ops, order}, NULL, environment_number("MEMGRAMS_CALIBRATION_BLOCKS", 1024), block_bytes, 1};
    return &self->base;
}

/* Allocation happens at finalize so train measures the harness reading alone. */
static int calibration_finalize(mg_table *table)
{
    calibration *self = (calibration *)table;
    for (; self->made < self->blocks; self->made++) {
        void **block = mg_alloc_in(CALIBRATION_CHAIN, self->block_bytes);
        if (!block)
            return MG_ERR_NOMEM;
        memset(block, 0xa5, self->block_bytes);
        *block = self->next;
        self->next = block;
    }
    return MG_OK;
}

static void calibration_sizes(mg_table *table, uint64_t *ngrams, uint64_t *contexts)
{
    calibration *self = (calibration *)table;
    *ngrams = self->made;
    *contexts = 1;
}

static void calibration_destroy(mg_table *table)
{
    calibration *self = (calibration *)table;
    uint64_t block_bytes = self->block_bytes;
    for (void **block = self->next; block;) {
        void **next = *block;
        mg_free_in(CALIBRATION_CHAIN, block, block_bytes);
        block = next;
    }
    mg_free_in(CALIBRATION_HEADER, self, block_bytes);
}

/* Its one setting: the blocks it makes (the n-grams a run records), so a run
 * shows the value its table was configured with. */
static const mg_backend_setting calibration_settings[] = {
    {"blocks", "the blocks made at finalize (MEMGRAMS_CALIBRATION_BLOCKS when not given)", 1, 65536, 1024},
};

static int calibration_configure(mg_table *table, size_t index, long long value)
{
    calibration *self = (calibration *)table;
    if (index == 0)
        self->blocks = (uint64_t)value;
    return MG_OK;
}

const mg_backend mg_backend_test_calibration = {
    MG_BACKEND_VERSION, "test_calibration", "tests only: requests exactly blocks x block_bytes", 1,
    calibration_create, null_add, calibration_finalize, count_one, no_successors, no_grams,
    calibration_sizes, prune_nothing, calibration_destroy, estimate_zero, NULL, /* no library */
    NULL, /* no sample_successor: the generator gathers and sorts */
    NULL, NULL, /* no batches: the helpers loop over add and count */
    calibration_settings, 1, calibration_configure,
    calibration_parts, 2, NULL, /* parts; no estimate of them */
};

/* ---- test_crash ------------------------------------------------------------------ */

typedef struct crash {
    mg_table base; /* first: the handle (backend.h) */
    uint64_t adds, crash_after;
} crash;

static mg_table *crash_create(const mg_backend *ops, int order)
{
    crash *self = mg_alloc(sizeof *self);
    if (!self)
        return NULL;
    *self = (crash){{ops, order}, 0, environment_number("MEMGRAMS_CRASH_AFTER", 1000)};
    return &self->base;
}

static int crash_add(mg_table *table, const mg_token *gram)
{
    (void)gram;
    crash *self = (crash *)table;
    if (++self->adds >= self->crash_after)
        raise(SIGSEGV);
    return MG_OK;
}

static void crash_sizes(mg_table *table, uint64_t *ngrams, uint64_t *contexts)
{
    (void)table;
    *ngrams = *contexts = 0;
}

static void crash_destroy(mg_table *table) { mg_free(table, sizeof(crash)); }

const mg_backend mg_backend_test_crash = {
    MG_BACKEND_VERSION, "test_crash", "tests only: dies of SIGSEGV while training", 1,
    crash_create, crash_add, do_nothing, count_one, no_successors, no_grams, crash_sizes,
    prune_nothing, crash_destroy, estimate_zero, NULL, /* no library */
    NULL, /* no sample_successor: the generator gathers and sorts */
    NULL, NULL, /* no batches: the helpers loop over add and count */
    NULL, 0, NULL, /* no settings */
    NULL, 0, NULL, /* not split into parts */
};

/* ---- test_slowdown ---------------------------------------------------------------- */

typedef struct slowdown {
    mg_table base;   /* first: the handle (backend.h) */
    mg_table *inner; /* the interned_hash table doing the work */
    double extra; /* factor - 1: the share of calls done twice */
    double owed;  /* accumulated share; one more call each time it passes 1 */
} slowdown;

static double slowdown_extra(void)
{
    const char *text = getenv("MEMGRAMS_TEST_SLOWDOWN");
    double factor = text && *text ? strtod(text, NULL) : 1.0;
    return isfinite(factor) && factor > 1.0 ? factor - 1.0 : 0.0;
}

static mg_table *slowdown_create(const mg_backend *ops, int order)
{
    const mg_backend *inner = mg_backend_find("interned_hash");
    slowdown *self = inner ? mg_alloc(sizeof *self) : NULL;
    if (!self)
        return NULL;
    *self = (slowdown){{ops, order}, mg_table_create(inner, order), slowdown_extra(), 0};
    if (!self->inner) {
        mg_free(self, sizeof *self);
        return NULL;
    }
    return &self->base;
}

/* 1 when this call owes one more round of the work. */
static int slowdown_owes(slowdown *self)
{
    self->owed += self->extra;
    if (self->owed < 1.0)
        return 0;
    self->owed -= 1.0;
    return 1;
}

static int slowdown_add(mg_table *table, const mg_token *gram)
{
    slowdown *self = (slowdown *)table;
    return self->inner->ops->add(self->inner, gram);
}

static int slowdown_finalize(mg_table *table)
{
    slowdown *self = (slowdown *)table;
    return self->inner->ops->finalize(self->inner);
}

static uint64_t slowdown_count(mg_table *table, const mg_token *gram)
{
    slowdown *self = (slowdown *)table;
    uint64_t count = self->inner->ops->count(self->inner, gram);
    if (slowdown_owes(self) && self->inner->ops->count(self->inner, gram) != count)
        return 0; /* never: the same question has the same answer */
    return count;
}

static int ignore_successor(void *arg, const mg_token *next, uint64_t count)
{
    (void)arg, (void)next, (void)count;
    return 0;
}

static int slowdown_successors(mg_table *table, const mg_token *context, mg_successor_visit visit, void *arg)
{
    slowdown *self = (slowdown *)table;
    if (slowdown_owes(self))
        self->inner->ops->successors(self->inner, context, ignore_successor, NULL);
    return self->inner->ops->successors(self->inner, context, visit, arg);
}

static int slowdown_foreach(mg_table *table, mg_gram_visit visit, void *arg)
{
    slowdown *self = (slowdown *)table;
    return self->inner->ops->foreach(self->inner, visit, arg);
}

static void slowdown_sizes(mg_table *table, uint64_t *ngrams, uint64_t *contexts)
{
    slowdown *self = (slowdown *)table;
    self->inner->ops->sizes(self->inner, ngrams, contexts);
}

static uint64_t slowdown_prune(mg_table *table, uint64_t min_count)
{
    slowdown *self = (slowdown *)table;
    return self->inner->ops->prune(self->inner, min_count);
}

static void slowdown_destroy(mg_table *table)
{
    slowdown *self = (slowdown *)table;
    self->inner->ops->destroy(self->inner);
    mg_free(self, sizeof *self);
}

static double slowdown_estimate(const mg_table_shape *shape)
{
    return mg_backend_estimate(mg_backend_find("interned_hash"), shape, NULL);
}

const mg_backend mg_backend_test_slowdown = {
    MG_BACKEND_VERSION, "test_slowdown", "tests only: interned_hash with MEMGRAMS_TEST_SLOWDOWN times the query work", 1,
    slowdown_create, slowdown_add, slowdown_finalize, slowdown_count, slowdown_successors, slowdown_foreach,
    slowdown_sizes, slowdown_prune, slowdown_destroy, slowdown_estimate, NULL, /* no library */
    NULL, /* no sample_successor: the generator gathers and sorts */
    NULL, NULL, /* no batches: the helpers loop over add and count */
    NULL, 0, NULL, /* no settings */
    NULL, 0, NULL, /* not split into parts */
};
