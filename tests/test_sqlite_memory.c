/*
 * test_sqlite_memory.c — what the sqlite_memory backend does that the
 * conformance suite cannot see from outside: tables alive together share
 * one started SQLite and the last one stops it; a SQLite started by someone
 * else is refused; a batch rolled back on allocation failure whose replay
 * runs short too comes back whole; SQLite's own figures against mem.h's
 * heap part, and the page cache's part against its blocks.
 */
#include "support.h"

#include "backend.h"
#include "mem.h"
#include "run.h"
#include "tokenize.h"

#include <criterion/criterion.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_PREFIX 8 /* the size sqlite_memory.c puts before each of SQLite's blocks */
#define PAGE_BYTES 4096 /* the page size SQLite gives a new database */
#define PAGE_HEADERS_MAX 300 /* SQLite's extra (under 250 bytes) and the cache's header beside each page */
#define CACHE_BOOKKEEPING_BLOCKS 2 /* the page cache's struct and its buckets */

static const mg_backend *sqlite_backend(void)
{
    const mg_backend *backend = mg_backend_find("sqlite_memory");
    cr_assert_not_null(backend, "sqlite_memory is not registered");
    return backend;
}

static mg_mem_counters counters_now(void)
{
    mg_mem_counters counters;
    mg_mem_read(&counters);
    return counters;
}

static void expect_back(const mg_mem_counters *before, const char *stage)
{
    mg_mem_counters now = counters_now();
    cr_expect_eq(now.bytes_requested, before->bytes_requested, "%s: requested %" PRIu64 ", %" PRIu64 " before", stage,
                 now.bytes_requested, before->bytes_requested);
    cr_expect_eq(now.blocks_live, before->blocks_live, "%s: %" PRIu64 " live blocks, %" PRIu64 " before", stage,
                 now.blocks_live, before->blocks_live);
}

static mg_reader *reader_of(const char *path, int order)
{
    char error[256] = "";
    mg_reader *reader = mg_reader_open(path, UINT64_MAX, order, error, sizeof error);
    cr_assert_not_null(reader, "%s", error);
    return reader;
}

/* The checksum of the corpus's table as naive_hash holds it. */
static uint64_t reference_checksum(const char *path, int order)
{
    const mg_backend *naive = mg_backend_find("naive_hash");
    mg_table *table = mg_table_create(naive, order);
    mg_reader *reader = reader_of(path, order);
    cr_assert_eq(mg_train(table, reader), MG_OK);
    mg_reader_close(reader);
    uint64_t checksum = mg_table_checksum(table);
    table->ops->destroy(table);
    return checksum;
}

static const mg_token START = {NULL, MG_MARK_START};

Test(sqlite_memory, tables_alive_together_share_sqlite_and_the_last_destroy_gives_all_back)
{
    const mg_backend *backend = sqlite_backend();
    mg_mem_counters before = counters_now();
    mg_table *first = mg_table_create(backend, 2), *second = mg_table_create(backend, 2);
    cr_assert(first && second, "two tables at once: %p %p", first, second);
    mg_token word = {(const unsigned char *)"a\0b", 3};
    mg_token gram[2] = {START, word};
    cr_assert_eq(first->ops->add(first, gram), MG_OK);
    cr_assert_eq(first->ops->add(first, gram), MG_OK);
    cr_assert_eq(second->ops->add(second, gram), MG_OK);
    cr_expect_eq(first->ops->count(first, gram), 2);
    cr_expect_eq(second->ops->count(second, gram), 1);
    first->ops->destroy(first);
    cr_assert_eq(second->ops->add(second, gram), MG_OK, "the second table after the first is gone");
    cr_assert_eq(second->ops->finalize(second), MG_OK);
    cr_expect_eq(second->ops->count(second, gram), 2);
    second->ops->destroy(second);
    expect_back(&before, "both destroyed");
    cr_expect_eq(sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 1), SQLITE_OK, "SQLite is still started");
}

/* A heap that is not mem.h's, as another user of SQLite in the process
 * would set: plain malloc, each block's size in the 8 bytes before it. */
static void *foreign_malloc(int size)
{
    int64_t *block = malloc((size_t)size + 8);
    if (!block)
        return NULL;
    block[0] = size;
    return block + 1;
}
static void foreign_free(void *memory) { free(memory ? (int64_t *)memory - 1 : NULL); }
static void *foreign_realloc(void *memory, int size)
{
    int64_t *block = realloc((int64_t *)memory - 1, (size_t)size + 8);
    if (!block)
        return NULL;
    block[0] = size;
    return block + 1;
}
static int foreign_size(void *memory) { return memory ? (int)((int64_t *)memory)[-1] : 0; }
static int foreign_roundup(int size) { return size; }
static int foreign_init(void *unused) { return (void)unused, SQLITE_OK; }
static void foreign_shutdown(void *unused) { (void)unused; }

Test(sqlite_memory, a_sqlite_started_by_someone_else_is_refused)
{
    static const sqlite3_mem_methods foreign = {foreign_malloc, foreign_free, foreign_realloc, foreign_size,
                                                foreign_roundup, foreign_init, foreign_shutdown, NULL};
    cr_assert_eq(sqlite3_config(SQLITE_CONFIG_MALLOC, &foreign), SQLITE_OK);
    cr_assert_eq(sqlite3_initialize(), SQLITE_OK);
    mg_mem_counters before = counters_now();
    mg_table *table = mg_table_create(sqlite_backend(), 3);
    cr_expect_null(table, "create used a SQLite whose heap mem.h does not see");
    if (table)
        table->ops->destroy(table);
    expect_back(&before, "refused create");
    sqlite3_shutdown();
}

static int add_count(void *arg, const mg_token *next, uint64_t count)
{
    (void)next;
    *(uint64_t *)arg += count;
    return 0;
}

/* With no byte to be had, the failed add's statement fails, SQLite rolls the
 * batch back, and the replay cannot run either (every statement takes its
 * cursors from the heap): the batch waits in the log. Queries then, and
 * once memory is back the retried add, bring it back. */
Test(sqlite_memory, a_rolled_back_batch_whose_replay_runs_short_comes_back_whole)
{
    const mg_backend *backend = sqlite_backend();
    int order = 3;
    char *path = mgt_zipf_file(11, 600, 400);
    mg_mem_counters before = counters_now();
    mg_table *table = mg_table_create(backend, order);
    cr_assert_not_null(table);
    mg_reader *reader = reader_of(path, order);
    const mg_token *gram;
    uint64_t added = 0;
    int more;
    while ((more = mg_reader_next(reader, &gram)) == 1) {
        if (added++ == 1500) { /* 476 grams into the second batch */
            mg_mem_set_limit(1);
            cr_assert_eq(table->ops->add(table, gram), MG_ERR_NOMEM, "an add with no memory at all");
            uint64_t total = 0;
            table->ops->count(table, gram);
            table->ops->successors(table, gram, add_count, &total);
            cr_expect_eq(table->ops->finalize(table), MG_ERR_NOMEM, "finalize with the batch not put back");
            mg_mem_set_limit(0);
        }
        cr_assert_eq(table->ops->add(table, gram), MG_OK, "gram %" PRIu64, added);
    }
    cr_assert_eq(more, 0);
    mg_reader_close(reader);
    cr_assert_eq(table->ops->finalize(table), MG_OK);
    cr_expect_eq(mg_table_checksum(table), reference_checksum(path, order),
                 "the table differs from naive_hash's after the replay");
    table->ops->destroy(table);
    expect_back(&before, "destroy");
    mgt_temp_remove(path);
}

typedef struct figures {
    uint64_t memory_used, malloc_count, highwater;
    int seen;
} figures;

static int keep_figure(void *arg, const char *name, uint64_t value)
{
    figures *kept = arg;
    kept->seen++;
    if (strcmp(name, "sqlite.memory_used") == 0)
        kept->memory_used = value;
    else if (strcmp(name, "sqlite.malloc_count") == 0)
        kept->malloc_count = value;
    else if (strcmp(name, "sqlite.memory_used_highwater") == 0)
        kept->highwater = value;
    return 0;
}

/* The index of the part named `name` in the backend's tags, or a failed test. */
static int part_tag(const mg_backend *backend, const char *name)
{
    for (size_t index = 0; index < backend->part_count; index++)
        if (strcmp(backend->parts[index], name) == 0)
            return (int)index + 1;
    cr_assert_fail("sqlite_memory has no part %s", name);
    return 0;
}

static uint64_t part_grown(const mg_mem_counters *now, const mg_mem_counters *before, int tag)
{
    return now->part_bytes[tag] - before->part_bytes[tag];
}

/* A table trained on the corpus at path, finalized. */
static mg_table *trained_table(const mg_backend *backend, const char *path, int order)
{
    mg_table *table = mg_table_create(backend, order);
    cr_assert_not_null(table);
    mg_reader *reader = reader_of(path, order);
    cr_assert_eq(mg_train(table, reader), MG_OK);
    mg_reader_close(reader);
    cr_assert_eq(table->ops->finalize(table), MG_OK);
    return table;
}

Test(sqlite_memory, memory_used_is_the_heap_part_less_the_prefixes_and_reading_allocates_nothing)
{
    const mg_backend *backend = sqlite_backend();
    int heap = part_tag(backend, "sqlite.heap"), page_cache = part_tag(backend, "sqlite.page_cache");
    char *path = mgt_zipf_file(12, 400, 300);
    mg_mem_counters before = counters_now();
    mg_table *table = trained_table(backend, path, 2);
    mg_mem_counters now = counters_now();
    figures kept = {0};
    table->ops->library_figures(table, keep_figure, &kept);
    expect_back(&now, "reading the figures");
    uint64_t requested = now.bytes_requested - before.bytes_requested;
    cr_expect_gt(kept.memory_used, 0);
    cr_expect_eq(kept.memory_used + BLOCK_PREFIX * kept.malloc_count, part_grown(&now, &before, heap),
                 "memory_used %" PRIu64 " + 8 x %" PRIu64 " blocks, the heap's part %" PRIu64, kept.memory_used,
                 kept.malloc_count, part_grown(&now, &before, heap));
    cr_expect_eq(part_grown(&now, &before, heap) + part_grown(&now, &before, page_cache), requested,
                 "the parts do not sum to requested");
    cr_expect_geq(kept.highwater, kept.memory_used);
    kept.seen = 0;
    table->ops->library_figures(table, keep_figure, &kept);
    cr_expect_eq(kept.highwater, kept.memory_used, "a reading resets the highwater");
    table->ops->destroy(table);
    mgt_temp_remove(path);
}

/* The blocks that are not SQLite's heap's are the page cache's: its struct,
 * its buckets and a block a page, each a page and its headers. */
Test(sqlite_memory, the_page_cache_part_is_its_pages_and_their_headers)
{
    const mg_backend *backend = sqlite_backend();
    int page_cache = part_tag(backend, "sqlite.page_cache");
    char *path = mgt_zipf_file(13, 2000, 500);
    mg_mem_counters before = counters_now();
    mg_table *table = trained_table(backend, path, 3);
    mg_mem_counters now = counters_now();
    figures kept = {0};
    table->ops->library_figures(table, keep_figure, &kept);
    uint64_t cache_blocks = now.blocks_live - before.blocks_live - kept.malloc_count;
    cr_assert_gt(cache_blocks, CACHE_BOOKKEEPING_BLOCKS + 2, "%" PRIu64 " page cache blocks", cache_blocks);
    uint64_t pages = cache_blocks - CACHE_BOOKKEEPING_BLOCKS, held = part_grown(&now, &before, page_cache);
    cr_expect_gt(held, pages * PAGE_BYTES, "%" PRIu64 " bytes for %" PRIu64 " pages", held, pages);
    cr_expect_lt(held, pages * (PAGE_BYTES + PAGE_HEADERS_MAX + 2 * sizeof(void *)) + 4096,
                 "%" PRIu64 " bytes for %" PRIu64 " pages", held, pages);
    table->ops->destroy(table);
    expect_back(&before, "destroy");
    mg_mem_counters after = counters_now();
    cr_expect_eq(after.part_bytes[page_cache], before.part_bytes[page_cache], "the page cache after destroy");
    mgt_temp_remove(path);
}
