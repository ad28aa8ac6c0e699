/*
 * test_backends.c — tests-only backends that prove the harness itself.
 *
 *   test_null         allocates nothing: every phase must show the harness
 *                     allocating nothing between baseline and destroy.
 *   test_calibration  requests exactly MEMGRAMS_CALIBRATION_BLOCKS blocks of
 *                     MEMGRAMS_CALIBRATION_BLOCK_BYTES bytes (written, so
 *                     resident) when training ends: the layers must show it.
 *                     Its "n-grams" are its blocks, so bytes per n-gram is
 *                     the block size.
 *   test_crash        dies of SIGSEGV on its 1000th add (or when
 *                     MEMGRAMS_CRASH_AFTER adds were made): a sweep must
 *                     record it and go on.
 *
 * They are never listed and never swept by default; registry.c finds them by name.
 */
#include "backend.h"
#include "mem.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* ---- shared no-op ops ------------------------------------------------------- */

static int no_successors(void *self, const mg_token *context, mg_successor_visit visit, void *arg)
{
    (void)self, (void)context, (void)visit, (void)arg;
    return 0;
}

static int no_grams(void *self, mg_gram_visit visit, void *arg)
{
    (void)self, (void)visit, (void)arg;
    return 0;
}

/* Every gram "present" once, so the harness's hit lookups have an answer. */
static uint64_t count_one(void *self, const mg_token *gram)
{
    (void)self, (void)gram;
    return 1;
}

static uint64_t prune_nothing(void *self, uint64_t min_count)
{
    (void)self, (void)min_count;
    return 0;
}

static double estimate_zero(const mg_table_shape *shape)
{
    (void)shape;
    return 0;
}

static int do_nothing(void *self)
{
    (void)self;
    return MG_OK;
}

/* ---- test_null ----------------------------------------------------------------- */

static const unsigned char null_table; /* never written: create() needs a non-NULL handle */

static void *null_create(int order)
{
    (void)order;
    return (void *)&null_table;
}

static int null_add(void *self, const mg_token *gram)
{
    (void)self, (void)gram;
    return MG_OK;
}

static void null_sizes(void *self, uint64_t *ngrams, uint64_t *contexts)
{
    (void)self;
    *ngrams = *contexts = 0;
}

static void null_destroy(void *self) { (void)self; }

const mg_backend mg_backend_test_null = {
    "test_null", "tests only: stores nothing, allocates nothing",
    null_create, null_add, do_nothing, count_one, no_successors, no_grams, null_sizes,
    prune_nothing, null_destroy, estimate_zero,
};

/* ---- test_calibration ---------------------------------------------------------- */

/*  block 0            block 1            block K-1
 *  +------+-------+   +------+-------+   +------+-------+
 *  | next | ...   |-->| next | ...   |-->| NULL | ...   |   every block the same size;
 *  +------+-------+   +------+-------+   +------+-------+   block 0 holds the header
 */
typedef struct calibration {
    void *next;          /* first field of every block: the chain */
    uint64_t blocks, block_bytes, made;
} calibration;

static uint64_t environment_number(const char *name, uint64_t fallback)
{
    const char *text = getenv(name);
    return text && *text ? strtoull(text, NULL, 10) : fallback;
}

static void *calibration_create(int order)
{
    (void)order;
    uint64_t block_bytes = environment_number("MEMGRAMS_CALIBRATION_BLOCK_BYTES", 4096);
    if (block_bytes < sizeof(calibration))
        block_bytes = sizeof(calibration);
    calibration *self = mg_alloc(block_bytes);
    if (!self)
        return NULL;
    memset(self, 0xa5, block_bytes);
    *self = (calibration){NULL, environment_number("MEMGRAMS_CALIBRATION_BLOCKS", 1024), block_bytes, 1};
    return self;
}

/* Allocation happens at finalize so train measures the harness reading alone. */
static int calibration_finalize(void *table)
{
    calibration *self = table;
    for (; self->made < self->blocks; self->made++) {
        void **block = mg_alloc(self->block_bytes);
        if (!block)
            return MG_ERR_NOMEM;
        memset(block, 0xa5, self->block_bytes);
        *block = self->next;
        self->next = block;
    }
    return MG_OK;
}

static void calibration_sizes(void *table, uint64_t *ngrams, uint64_t *contexts)
{
    calibration *self = table;
    *ngrams = self->made;
    *contexts = 1;
}

static void calibration_destroy(void *table)
{
    calibration *self = table;
    uint64_t block_bytes = self->block_bytes;
    for (void **block = self->next; block;) {
        void **next = *block;
        mg_free(block, block_bytes);
        block = next;
    }
    mg_free(self, block_bytes);
}

const mg_backend mg_backend_test_calibration = {
    "test_calibration", "tests only: requests exactly blocks x block_bytes",
    calibration_create, null_add, calibration_finalize, count_one, no_successors, no_grams,
    calibration_sizes, prune_nothing, calibration_destroy, estimate_zero,
};

/* ---- test_crash ------------------------------------------------------------------ */

typedef struct crash {
    uint64_t adds, crash_after;
} crash;

static void *crash_create(int order)
{
    (void)order;
    crash *self = mg_alloc(sizeof *self);
    if (self)
        *self = (crash){0, environment_number("MEMGRAMS_CRASH_AFTER", 1000)};
    return self;
}

static int crash_add(void *table, const mg_token *gram)
{
    (void)gram;
    crash *self = table;
    if (++self->adds >= self->crash_after)
        raise(SIGSEGV);
    return MG_OK;
}

static void crash_sizes(void *table, uint64_t *ngrams, uint64_t *contexts)
{
    (void)table;
    *ngrams = *contexts = 0;
}

static void crash_destroy(void *table) { mg_free(table, sizeof(crash)); }

const mg_backend mg_backend_test_crash = {
    "test_crash", "tests only: dies of SIGSEGV while training",
    crash_create, crash_add, do_nothing, count_one, no_successors, no_grams, crash_sizes,
    prune_nothing, crash_destroy, estimate_zero,
};
