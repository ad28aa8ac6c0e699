/*
 * sqlite_memory.c — SQLite in memory (`:memory:`, SQLite 3.40 as Debian builds
 * it), the table written as someone reaching for SQLite writes it: a words
 * table, a grams table WITHOUT ROWID keyed by the id tuple, UPSERT through
 * prepared statements in batched transactions, lookups by the primary key.
 *
 *   words: a rowid table (b-tree by id)       its UNIQUE index on bytes
 *   +----+------------------------------+     +-------------------+----+
 *   | id | bytes                        |     | bytes             | id |
 *   |  0 | NULL   the start marker      |     | NULL, NULL        | 0,1|
 *   |  1 | NULL   the end marker        |     | "cat"             | 3  |
 *   |  2 | "the"  words in order of     |     | "the"             | 2  |
 *   |  3 | "cat"  first appearance      |     +-------------------+----+
 *   +----+------------------------------+     every word's bytes a second time
 *
 *   grams: one b-tree keyed by (w1 .. wn), the count in the key's record
 *   +--------+-----------------+ - - - free - - - +------------------------+
 *   | header | cell pointers   |                  | cells, packed from the |
 *   |  8 B   | 2 B a cell  --->|                  | page's end: size, record
 *   +--------+-----------------+ - - - - - - - - -+------------------------+
 *   a page of 4096 bytes; a cell of (<s>, "the", id 40000, count 1):
 *     size 09 | record header 05 08 01 03 09 | body 02 00 9c 40
 *     the header's size, then a serial type per column: 08 and 09 are the
 *     constants 0 and 1 (no body byte: the markers' ids and a count of one
 *     are free), 01 and 03 one- and three-byte integers.
 *
 *   page cache (this file's, SQLITE_CONFIG_PCACHE2): a :memory: database's
 *   pages live nowhere else, one block each, and a hash of them:
 *   [page 4096 B][SQLite's PgHdr + MemPage 208 B][cached_page 32 B]
 *
 *   every other block SQLite asks for, through mem.h: [size 8 B][SQLite's bytes]
 *
 * Parts (mem.h's tags), exact block by block:
 *   sqlite.heap        every block of SQLite's heap (SQLITE_CONFIG_MALLOC,
 *                      below): connection, schema, statements, journal,
 *                      this struct, the batch's log, prune's reserve
 *   sqlite.page_cache  every block of the page cache (below): pages, the
 *                      hash's buckets, the cache's struct
 * SQLite's own heap cannot say what a block is for, and its default page
 * cache takes pages from that heap, so it is this file's page cache that
 * makes the split exact: its blocks are made by its own code, tagged as
 * they are made, and SQLite's heap holds every other byte.
 *
 * SQLite's heap is this file's (SQLITE_CONFIG_MALLOC): each block carries an
 * 8-byte prefix with its size, as SQLite's xFree gives none and xSize must
 * answer, so the heap's part is SQLite's requests plus 8 bytes a live
 * block, and SQLite's own SQLITE_STATUS_MEMORY_USED is that part less
 * 8 x SQLITE_STATUS_MALLOC_COUNT. The table's own few bytes (this struct,
 * the batch's log, prune's reserve) come from SQLite's heap too, so that
 * relation holds for everything the backend holds but its page cache.
 *
 * SQLite takes its malloc and page cache methods only while it is stopped,
 * so the first table of a process sets them and starts SQLite, and the last
 * one destroyed stops it (sqlite3_shutdown), which gives back every block:
 * destroy returns requested and live blocks to where create found them.
 * Tables alive at the same time share the started SQLite, found through
 * SQLite's own state (it refuses the methods with SQLITE_MISUSE; a block it
 * then gives must show in mem.h); SQLite started by anyone else makes
 * create fail (NULL).
 *
 * Expected bytes per n-gram (N n-grams, V words of mean length w, order n;
 * r = bytes of the largest id in a record; fill f = 0.91 for keys inserted
 * in random order, 1 for rising rowids):
 *   gram record  1 + (n + 1) + n (r - 1)     header size, serial types, ids;
 *                                            frequent words have the small ids
 *   gram         (1 + record + 2) / f        cell size, record, cell pointer
 *   word row     (1 + varint(V) + 3 + w + 2) / 1
 *   word key     (1 + 3 + w + r + 2) / f     the UNIQUE index's entry
 *   sqlite.page_cache = (4096 + 208 + 32 + 12) / 4096 x (gram + V / N (word
 *                       row + word key))     12: a page's share of the buckets
 *   sqlite.heap       = (104.5 KB + 4.55 KB n) / N   connection, schema,
 *                       statements, prune's reserve
 * gcide 1/4 (bytes per n-gram, estimate / measured):
 *   part                order 1        order 3        order 5
 *   sqlite.page_cache   50.9 / 52.6    24.7 / 24.3    30.6 / 28.6
 *   sqlite.heap         0.53 / 0.53    0.11 / 0.11    0.11 / 0.11
 * Order 3 (N = 1.04 M, V = 207 k, w = 9.7, r = 3): 1.061 x (15.4 + 0.2 x
 * 39.2) + 0.11 = 24.8 bytes. The fills are those of gcide: 0.91 (grams),
 * 0.91 (words' index), 1.00 (words); interior and pointer-map pages add
 * under 1%. At order 5 the formula runs high: four start markers a
 * sentence cost nothing. jemalloc puts each 4336-byte page in its
 * 5120-byte class: allocated is requested x 1.18.
 *
 * Allocation failure: on SQLITE_NOMEM SQLite rolls back the whole open
 * transaction, whatever statement failed (a statement journal would confine
 * it to the statement, but SQLite keeps one only for statements that may
 * write several rows, and even then falls back to the transaction when the
 * journal itself runs short). So the batch keeps a log of its grams' ids and
 * of the words it inserted, and a rolled-back batch is replayed from it, one
 * statement a transaction: each step needs no more memory than the batch
 * did when it got there, less its journal. Should even that run short, the
 * log waits and is replayed before the next add, finalize, prune or query
 * (a query that still cannot replay it answers without those grams).
 *
 * Prune is a DELETE (then incremental_vacuum, which gives the freed pages
 * back). A DELETE needs a journal copy of every page it changes; when that
 * cannot be had, the grams below the floor stay in their pages and every
 * query asks count >= floor, so the table is pruned all the same.
 */
#include "backend.h"
#include "mem.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* ---- parts ------------------------------------------------------------- */

enum sqlite_part {
    SQLITE_PART_HEAP = 1,   /* every block SQLite's own allocator gives, with its prefix */
    SQLITE_PART_PAGE_CACHE, /* the page cache: its pages, their headers, its hash table */
    SQLITE_PART_COUNT = SQLITE_PART_PAGE_CACHE
};

static const char *const sqlite_parts[] = {
    [SQLITE_PART_HEAP - 1] = "sqlite.heap",
    [SQLITE_PART_PAGE_CACHE - 1] = "sqlite.page_cache",
};

/* ---- constants ----------------------------------------------------------- */

/* Word ids: the markers' are reserved (SQLite stores 0 and 1 in no bytes). */
enum { START_ID = 0, END_ID = 1, FIRST_WORD_ID = 2 };

/* Adds per transaction: a commit costs little in memory, but every page a
 * transaction first changes is copied into its journal, so a batch is kept
 * short enough that the journal stays a small part of the table. */
#define BATCH_GRAMS 1024

/* Held from finalize to prune and let go while prune counts what it drops,
 * so that prune answers even when no other byte can be had. */
#define PRUNE_RESERVE_BYTES 65536

/* Bytes before each block SQLite gets, holding its size: SQLite's xFree
 * gives no size and xSize must answer. 8 keeps SQLite's 8-byte alignment. */
#define BLOCK_PREFIX 8

/* ---- SQLite's heap, through mem.h ----------------------------------------- */

static size_t block_size(const void *memory)
{
    uint64_t size;
    memcpy(&size, (const unsigned char *)memory - BLOCK_PREFIX, sizeof size);
    return (size_t)size;
}

static void *block_sized(unsigned char *block, size_t size)
{
    uint64_t stored = size;
    memcpy(block, &stored, sizeof stored);
    return block + BLOCK_PREFIX;
}

static void *heap_malloc(int size)
{
    if (size <= 0)
        return NULL;
    unsigned char *block = mg_alloc_in(SQLITE_PART_HEAP, BLOCK_PREFIX + (size_t)size);
    return block ? block_sized(block, (size_t)size) : NULL;
}

static void heap_free(void *memory)
{
    if (memory != NULL)
        mg_free_in(SQLITE_PART_HEAP, (unsigned char *)memory - BLOCK_PREFIX, BLOCK_PREFIX + block_size(memory));
}

/* SQLite calls it with a live block and a size above 0. */
static void *heap_realloc(void *memory, int size)
{
    unsigned char *block = mg_realloc_in(SQLITE_PART_HEAP, (unsigned char *)memory - BLOCK_PREFIX,
                                         BLOCK_PREFIX + block_size(memory), BLOCK_PREFIX + (size_t)size);
    return block ? block_sized(block, (size_t)size) : NULL;
}

static int heap_size(void *memory) { return memory ? (int)block_size(memory) : 0; }

/* No rounding: what SQLite asks for is what mem.h counts (plus the prefix). */
static int heap_roundup(int size) { return size; }

static int heap_init(void *unused)
{
    (void)unused;
    return SQLITE_OK;
}

static void heap_shutdown(void *unused) { (void)unused; }

static const sqlite3_mem_methods heap_methods = {
    heap_malloc, heap_free, heap_realloc, heap_size, heap_roundup, heap_init, heap_shutdown, NULL,
};

/* ---- SQLite's page cache, through mem.h --------------------------------------- */

/* SQLite's default page cache takes its pages from SQLite's heap, where a
 * block carries no word of what it is for, so this file is the page cache
 * (SQLITE_CONFIG_PCACHE2): each of its blocks is made here, counted against
 * the page cache's part. A page is one block, as in SQLite's own cache:
 * [page][SQLite's extra, zeroed][cached_page]. Pages are found by a hash
 * table of chains, doubled when it holds as many pages as buckets.
 *
 * Every page held is pinned: SQLite unpins a page of an in-memory database
 * only to discard it, and a page of a purgeable cache (a file's, which this
 * backend never opens) is let go when unpinned, as the interface allows. */

typedef struct cached_page {
    sqlite3_pcache_page page; /* pBuf and pExtra: both in this page's block */
    struct cached_page *next; /* in its bucket */
    unsigned key;             /* the page number */
} cached_page;

typedef struct page_cache {
    size_t page_bytes, extra_bytes; /* extra_bytes rounded up to 8: the header after it stays aligned */
    unsigned pages;                 /* held now */
    unsigned bucket_count;          /* a power of two, or 0 before the first page */
    cached_page **buckets;
} page_cache;

enum { BUCKETS_MIN = 64 };

static size_t page_block_bytes(const page_cache *cache)
{
    return cache->page_bytes + cache->extra_bytes + sizeof(cached_page);
}

static cached_page **bucket_of(const page_cache *cache, unsigned key)
{
    return &cache->buckets[key & (cache->bucket_count - 1)];
}

static cached_page *page_of(sqlite3_pcache_page *page) { return (cached_page *)page; }

static int cache_init(void *unused)
{
    (void)unused;
    return SQLITE_OK;
}

static sqlite3_pcache *cache_create(int page_bytes, int extra_bytes, int purgeable)
{
    (void)purgeable; /* every page held is pinned either way */
    page_cache *cache = mg_calloc_in(SQLITE_PART_PAGE_CACHE, 1, sizeof *cache);
    if (cache != NULL) {
        cache->page_bytes = (size_t)page_bytes;
        cache->extra_bytes = ((size_t)extra_bytes + 7) / 8 * 8;
    }
    return (sqlite3_pcache *)cache;
}

/* Advisory, and no page held here is unpinned: nothing to bound. */
static void cache_size_set(sqlite3_pcache *unused, int pages)
{
    (void)unused;
    (void)pages;
}

static int cache_page_count(sqlite3_pcache *self) { return (int)((page_cache *)self)->pages; }

/* Twice the buckets, the pages moved over; false (the old ones kept) when
 * they cannot be had. */
static bool buckets_grow(page_cache *cache)
{
    unsigned count = cache->bucket_count ? 2 * cache->bucket_count : BUCKETS_MIN;
    cached_page **grown = mg_calloc_in(SQLITE_PART_PAGE_CACHE, count, sizeof *grown);
    if (grown == NULL)
        return false;
    page_cache moved = *cache;
    moved.buckets = grown;
    moved.bucket_count = count;
    for (unsigned bucket = 0; bucket < cache->bucket_count; bucket++)
        for (cached_page *at = cache->buckets[bucket], *next; at != NULL; at = next) {
            next = at->next;
            cached_page **into = bucket_of(&moved, at->key);
            at->next = *into;
            *into = at;
        }
    mg_free_in(SQLITE_PART_PAGE_CACHE, cache->buckets, cache->bucket_count * sizeof *cache->buckets);
    *cache = moved;
    return true;
}

/* The link that points at the page of `key`, or at the NULL ending its bucket. */
static cached_page **link_of(page_cache *cache, unsigned key)
{
    cached_page **link = bucket_of(cache, key);
    while (*link != NULL && (*link)->key != key)
        link = &(*link)->next;
    return link;
}

static cached_page *page_new(page_cache *cache, unsigned key)
{
    if ((cache->pages >= cache->bucket_count && !buckets_grow(cache) && cache->bucket_count == 0) ||
        cache->pages == UINT32_MAX)
        return NULL;
    unsigned char *block = mg_alloc_in(SQLITE_PART_PAGE_CACHE, page_block_bytes(cache));
    if (block == NULL)
        return NULL;
    cached_page *page = (cached_page *)(block + cache->page_bytes + cache->extra_bytes);
    memset(block + cache->page_bytes, 0, cache->extra_bytes); /* SQLite reads a new page's extra as zero */
    *page = (cached_page){{block, block + cache->page_bytes}, NULL, key};
    cached_page **bucket = bucket_of(cache, key);
    page->next = *bucket;
    *bucket = page;
    cache->pages++;
    return page;
}

/* The page of `key`, made when absent if SQLite asks (create 1 or 2 alike). */
static sqlite3_pcache_page *cache_fetch(sqlite3_pcache *self, unsigned key, int create)
{
    page_cache *cache = (page_cache *)self;
    cached_page *found = cache->bucket_count ? *link_of(cache, key) : NULL;
    if (found == NULL && create != 0)
        found = page_new(cache, key);
    return found ? &found->page : NULL;
}

/* Unlinks the page at *link and frees its block. */
static void page_drop(page_cache *cache, cached_page **link)
{
    cached_page *page = *link;
    *link = page->next;
    cache->pages--;
    mg_free_in(SQLITE_PART_PAGE_CACHE, page->page.pBuf, page_block_bytes(cache));
}

static void cache_unpin(sqlite3_pcache *self, sqlite3_pcache_page *page, int discard)
{
    (void)discard; /* an unpinned page is let go (see above) */
    page_cache *cache = (page_cache *)self;
    page_drop(cache, link_of(cache, page_of(page)->key));
}

/* The page takes the new key; a page held under it is let go first. */
static void cache_rekey(sqlite3_pcache *self, sqlite3_pcache_page *page, unsigned old_key, unsigned new_key)
{
    page_cache *cache = (page_cache *)self;
    if (old_key == new_key)
        return;
    cached_page **other = link_of(cache, new_key);
    if (*other != NULL)
        page_drop(cache, other);
    cached_page **link = link_of(cache, old_key), *moved = *link;
    *link = moved->next;
    moved->key = new_key;
    cached_page **bucket = bucket_of(cache, new_key);
    moved->next = *bucket;
    *bucket = moved;
    (void)page;
}

/* Every page of key >= limit let go. */
static void cache_truncate(sqlite3_pcache *self, unsigned limit)
{
    page_cache *cache = (page_cache *)self;
    for (unsigned bucket = 0; bucket < cache->bucket_count; bucket++)
        for (cached_page **link = &cache->buckets[bucket]; *link != NULL;)
            if ((*link)->key >= limit)
                page_drop(cache, link);
            else
                link = &(*link)->next;
}

static void cache_destroy(sqlite3_pcache *self)
{
    page_cache *cache = (page_cache *)self;
    cache_truncate(self, 0);
    mg_free_in(SQLITE_PART_PAGE_CACHE, cache->buckets, cache->bucket_count * sizeof *cache->buckets);
    mg_free_in(SQLITE_PART_PAGE_CACHE, cache, sizeof *cache);
}

/* Every page held is pinned: none can be let go. */
static void cache_shrink(sqlite3_pcache *unused) { (void)unused; }

static const sqlite3_pcache_methods2 cache_methods = {
    1, NULL, cache_init, NULL, cache_create, cache_size_set, cache_page_count, cache_fetch, cache_unpin, cache_rekey,
    cache_truncate, cache_destroy, cache_shrink,
};

/* ---- SQLite started and stopped ------------------------------------------- */

/* Does SQLite's heap come through here? A block it gives shows in mem.h. */
static bool heap_is_ours(void)
{
    mg_mem_counters before, after;
    mg_mem_read(&before);
    void *probe = sqlite3_malloc(1);
    mg_mem_read(&after);
    sqlite3_free(probe);
    return probe != NULL && after.blocks_live == before.blocks_live + 1;
}

/* The malloc methods can be set only while SQLite is stopped: a started
 * SQLite refuses with SQLITE_MISUSE, and is then either started by another
 * table of this file (its heap is ours: share it) or by someone else. */
static bool library_start(void)
{
    int configured = sqlite3_config(SQLITE_CONFIG_MALLOC, &heap_methods);
    if (configured == SQLITE_MISUSE)
        return heap_is_ours();
    if (configured != SQLITE_OK || sqlite3_config(SQLITE_CONFIG_PCACHE2, &cache_methods) != SQLITE_OK ||
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 1) != SQLITE_OK)
        return false;
    if (sqlite3_initialize() != SQLITE_OK) {
        sqlite3_shutdown(); /* gives back what a part-way start took */
        return false;
    }
    sqlite3_int64 now, highwater;
    sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &now, &highwater, 1);
    sqlite3_status64(SQLITE_STATUS_MALLOC_COUNT, &now, &highwater, 1);
    return true;
}

/* Stops SQLite once no block of its heap is live: no table is left. */
static void library_stop(void)
{
    sqlite3_int64 blocks = 0, highwater = 0;
    sqlite3_status64(SQLITE_STATUS_MALLOC_COUNT, &blocks, &highwater, 0);
    if (blocks == 0)
        sqlite3_shutdown();
}

/* ---- types ------------------------------------------------------------------ */

enum statement {
    BEGIN_BATCH, COMMIT_BATCH, WORD_FIND, WORD_INSERT, GRAM_ADD, GRAM_COUNT, SUCCESSORS, FOREACH,
    PRUNE_DELETE, PRUNE_RECLAIM, COUNT_GRAMS, COUNT_CONTEXTS, STATEMENT_COUNT
};

typedef struct sqlite_table {
    mg_table base; /* first: the handle (backend.h) */
    sqlite3 *db;
    sqlite3_stmt *statements[STATEMENT_COUNT];
    sqlite3_int64 next_word_id;
    uint64_t floor;          /* grams counted below it are pruned: every query asks count >= floor */
    uint64_t deleted_below;  /* the floor the last DELETE enforced (<= floor) */
    uint64_t ngrams, contexts; /* visible ones, from finalize on */
    bool finalized;

    /* The open transaction and what it holds, to bring it back if SQLite
     * rolls it back (it does on SQLITE_NOMEM). */
    bool batch_open;
    bool replay_pending;     /* rolled back and not yet all replayed */
    uint32_t batch_grams;    /* grams in gram_log */
    uint32_t grams_replayed;
    sqlite3_int64 *gram_log; /* BATCH_GRAMS x order ids */
    unsigned char *word_log; /* words inserted: id (8 bytes), length (4), bytes */
    size_t word_log_used, word_log_capacity, words_replayed;

    void *prune_reserve;
} sqlite_table;

/* ---- helpers: statements -------------------------------------------------------- */

/* SQL text of fixed words and column numbers only: data is always bound. */
typedef struct sql_text {
    char text[1024];
    size_t used;
} sql_text;

static void sql_add(sql_text *sql, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    int wrote = vsnprintf(sql->text + sql->used, sizeof sql->text - sql->used, format, arguments);
    va_end(arguments);
    if (wrote > 0)
        sql->used += (size_t)wrote < sizeof sql->text - sql->used ? (size_t)wrote : sizeof sql->text - sql->used - 1;
}

/* "w1, w2, ..." */
static void sql_add_columns(sql_text *sql, const char *prefix, int last)
{
    for (int column = 1; column <= last; column++)
        sql_add(sql, "%s%sw%d", column > 1 ? ", " : "", prefix, column);
}

static bool prepare(sqlite_table *table, enum statement which, const sql_text *sql)
{
    return sqlite3_prepare_v3(table->db, sql->text, -1, SQLITE_PREPARE_PERSISTENT, &table->statements[which], NULL) ==
           SQLITE_OK;
}

/* Runs a statement that returns no rows; SQLITE_OK or its error. */
static int run(sqlite3_stmt *statement)
{
    int stepped = sqlite3_step(statement);
    sqlite3_reset(statement);
    return stepped == SQLITE_DONE ? SQLITE_OK : stepped;
}

/* Runs a statement to its end, whatever rows it returns; SQLITE_OK or its error. */
static int run_through(sqlite3_stmt *statement)
{
    int stepped;
    while ((stepped = sqlite3_step(statement)) == SQLITE_ROW)
        continue;
    sqlite3_reset(statement);
    return stepped == SQLITE_DONE ? SQLITE_OK : stepped;
}

/* Runs a statement that returns one integer. */
static bool run_integer(sqlite3_stmt *statement, sqlite3_int64 *value)
{
    bool found = sqlite3_step(statement) == SQLITE_ROW;
    if (found)
        *value = sqlite3_column_int64(statement, 0);
    sqlite3_reset(statement);
    return found;
}

/* Counts are below 2^63 (one add each), so a floor above that is every count. */
static sqlite3_int64 floor_parameter(uint64_t floor)
{
    return floor > (uint64_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)floor;
}

/* "coalesce(?1, (SELECT id FROM words WHERE bytes = ?2))": a token's id from
 * its two parameters (bind_tokens), NULL when the word is not in the table. */
static void sql_add_token_id(sql_text *sql, int position)
{
    sql_add(sql, "coalesce(?%d, (SELECT id FROM words WHERE bytes = ?%d))", 2 * position - 1, 2 * position);
}

/* "g.w1 = <token 1's id> AND ..." for positions 1..last. */
static void sql_add_tokens_equal(sql_text *sql, const char *prefix, int last)
{
    for (int position = 1; position <= last; position++) {
        sql_add(sql, "%s%sw%d = ", position > 1 ? " AND " : "", prefix, position);
        sql_add_token_id(sql, position);
    }
}

/* Each token as two parameters from 1 on: a marker's id and NULL, or NULL
 * and a word's bytes (SQLITE_STATIC: bound afresh before every run). */
static int bind_tokens(sqlite3_stmt *statement, const mg_token *tokens, int count)
{
    for (int position = 0; position < count; position++) {
        const mg_token *token = &tokens[position];
        int marker = 2 * position + 1, bytes = 2 * position + 2, bound;
        if (mg_token_is_marker(token)) {
            bound = sqlite3_bind_int64(statement, marker, token->len == MG_MARK_START ? START_ID : END_ID);
            if (bound == SQLITE_OK)
                bound = sqlite3_bind_null(statement, bytes);
        } else {
            bound = sqlite3_bind_null(statement, marker);
            if (bound == SQLITE_OK)
                bound = sqlite3_bind_blob64(statement, bytes, token->bytes, token->len, SQLITE_STATIC);
        }
        if (bound != SQLITE_OK)
            return bound;
    }
    return SQLITE_OK;
}

static int bind_ids(sqlite3_stmt *statement, const sqlite3_int64 *ids, int count)
{
    int bound = SQLITE_OK;
    for (int column = 0; column < count && bound == SQLITE_OK; column++)
        bound = sqlite3_bind_int64(statement, column + 1, ids[column]);
    return bound;
}

/* ---- create ------------------------------------------------------------------------ */

/* Pragmas for a table that lives and dies in memory:
 *  journal_mode MEMORY  (a :memory: database's default, said here because it
 *                        matters) SQLite rolls a transaction back on
 *                        SQLITE_NOMEM; OFF would leave it half-written.
 *  synchronous OFF      there is no file to sync.
 *  temp_store MEMORY    statement journals and temporary b-trees in the
 *                       heap counted here, never in a temporary file.
 *  secure_delete OFF    Debian builds SQLite to zero every freed cell; no
 *                       one can read a freed page of this database.
 *  auto_vacuum INCREMENTAL  pages prune frees are given back (incremental_vacuum).
 * cache_size is left alone: it bounds only a purgeable page cache, and a
 * :memory: database's cache is not purgeable (its pages are the database). */
static const char pragmas[] = "PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; PRAGMA temp_store = MEMORY; "
                              "PRAGMA secure_delete = OFF; PRAGMA auto_vacuum = INCREMENTAL;";

static bool create_schema(sqlite_table *table)
{
    sql_text grams = {0};
    sql_add(&grams, "CREATE TABLE words(id INTEGER PRIMARY KEY, bytes BLOB UNIQUE);"
                    "INSERT INTO words(id, bytes) VALUES (%d, NULL), (%d, NULL);"
                    "CREATE TABLE grams(", START_ID, END_ID);
    for (int column = 1; column <= table->base.order; column++)
        sql_add(&grams, "w%d INTEGER NOT NULL, ", column);
    sql_add(&grams, "count INTEGER NOT NULL, PRIMARY KEY(");
    sql_add_columns(&grams, "", table->base.order);
    sql_add(&grams, ")) WITHOUT ROWID;");
    return sqlite3_exec(table->db, pragmas, NULL, NULL, NULL) == SQLITE_OK &&
           sqlite3_exec(table->db, grams.text, NULL, NULL, NULL) == SQLITE_OK;
}

static bool prepare_training(sqlite_table *table)
{
    int order = table->base.order;
    sql_text begin = {0}, commit = {0}, find = {0}, insert = {0}, add = {0};
    sql_add(&begin, "BEGIN");
    sql_add(&commit, "COMMIT");
    sql_add(&find, "SELECT id FROM words WHERE bytes = ?1");
    sql_add(&insert, "INSERT INTO words(id, bytes) VALUES (?1, ?2)");
    sql_add(&add, "INSERT INTO grams(");
    sql_add_columns(&add, "", order);
    sql_add(&add, ", count) VALUES (");
    for (int column = 1; column <= order; column++)
        sql_add(&add, "?%d, ", column);
    sql_add(&add, "1) ON CONFLICT DO UPDATE SET count = count + 1");
    return prepare(table, BEGIN_BATCH, &begin) && prepare(table, COMMIT_BATCH, &commit) &&
           prepare(table, WORD_FIND, &find) && prepare(table, WORD_INSERT, &insert) && prepare(table, GRAM_ADD, &add);
}

/* CROSS JOIN keeps grams the outer loop: SQLite takes the join order as written. */
static bool prepare_queries(sqlite_table *table)
{
    int order = table->base.order;
    sql_text count = {0}, successors = {0}, all = {0};
    sql_add(&count, "SELECT count FROM grams WHERE ");
    sql_add_tokens_equal(&count, "", order);
    sql_add(&count, " AND count >= ?%d", 2 * order + 1);

    sql_add(&successors, "SELECT g.w%d, w.bytes, g.count FROM grams AS g CROSS JOIN words AS w ON w.id = g.w%d WHERE ",
            order, order);
    sql_add_tokens_equal(&successors, "g.", order - 1);
    sql_add(&successors, "%sg.count >= ?%d", order > 1 ? " AND " : "", 2 * order - 1);

    sql_add(&all, "SELECT ");
    for (int column = 1; column <= order; column++)
        sql_add(&all, "g.w%d, w%d.bytes, ", column, column);
    sql_add(&all, "g.count FROM grams AS g");
    for (int column = 1; column <= order; column++)
        sql_add(&all, " CROSS JOIN words AS w%d ON w%d.id = g.w%d", column, column, column);
    sql_add(&all, " WHERE g.count >= ?1");
    return prepare(table, GRAM_COUNT, &count) && prepare(table, SUCCESSORS, &successors) &&
           prepare(table, FOREACH, &all);
}

static bool prepare_pruning(sqlite_table *table)
{
    sql_text remove = {0}, reclaim = {0}, grams = {0}, contexts = {0};
    sql_add(&remove, "DELETE FROM grams WHERE count < ?1");
    sql_add(&reclaim, "PRAGMA incremental_vacuum");
    sql_add(&grams, "SELECT count(*) FROM grams WHERE count >= ?1");
    if (table->base.order == 1) {
        sql_add(&contexts, "SELECT count(*) FROM (SELECT 1 FROM grams WHERE count >= ?1 LIMIT 1)");
    } else {
        sql_add(&contexts, "SELECT count(*) FROM (SELECT DISTINCT ");
        sql_add_columns(&contexts, "", table->base.order - 1);
        sql_add(&contexts, " FROM grams WHERE count >= ?1)");
    }
    return prepare(table, PRUNE_DELETE, &remove) && prepare(table, PRUNE_RECLAIM, &reclaim) &&
           prepare(table, COUNT_GRAMS, &grams) && prepare(table, COUNT_CONTEXTS, &contexts);
}

static bool table_open(sqlite_table *table)
{
    if (sqlite3_open_v2(":memory:", &table->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
        return false;
    table->gram_log = sqlite3_malloc64(sizeof *table->gram_log * BATCH_GRAMS * (size_t)table->base.order);
    return table->gram_log != NULL && create_schema(table) && prepare_training(table) && prepare_queries(table) &&
           prepare_pruning(table);
}

/* Everything the table holds, then SQLite itself once no table is left. */
static void table_close(sqlite_table *table)
{
    for (int which = 0; which < STATEMENT_COUNT; which++)
        sqlite3_finalize(table->statements[which]);
    sqlite3_close(table->db);
    sqlite3_free(table->gram_log);
    sqlite3_free(table->word_log);
    sqlite3_free(table->prune_reserve);
    sqlite3_free(table);
    library_stop();
}

/* The table's own few bytes come from SQLite's heap too, so that every byte
 * it holds is in SQLite's figures. */
static mg_table *sqlite_create(const mg_backend *ops, int order)
{
    if (order < 1 || order > MG_ORDER_MAX || !library_start())
        return NULL;
    sqlite_table *table = sqlite3_malloc64(sizeof *table);
    if (table == NULL) {
        library_stop();
        return NULL;
    }
    memset(table, 0, sizeof *table);
    table->base = (mg_table){ops, order};
    table->next_word_id = FIRST_WORD_ID;
    table->floor = table->deleted_below = 1;
    if (!table_open(table)) {
        table_close(table);
        return NULL;
    }
    return &table->base;
}

/* ---- add: the batch and its log ------------------------------------------------- */

enum { WORD_ENTRY_HEADER = sizeof(sqlite3_int64) + sizeof(uint32_t) };

static void log_clear(sqlite_table *table)
{
    table->batch_grams = table->grams_replayed = 0;
    table->word_log_used = table->words_replayed = 0;
}

/* Room for one more word in the log, taken before the word is inserted. */
static bool word_log_reserve(sqlite_table *table, uint32_t len)
{
    size_t needed = table->word_log_used + WORD_ENTRY_HEADER + len;
    if (needed <= table->word_log_capacity)
        return true;
    size_t capacity = table->word_log_capacity ? table->word_log_capacity : 4096;
    while (capacity < needed)
        capacity *= 2;
    unsigned char *grown = sqlite3_realloc64(table->word_log, capacity);
    if (grown == NULL)
        return false;
    table->word_log = grown;
    table->word_log_capacity = capacity;
    return true;
}

static void word_log_append(sqlite_table *table, sqlite3_int64 id, const mg_token *word)
{
    unsigned char *entry = table->word_log + table->word_log_used;
    memcpy(entry, &id, sizeof id);
    memcpy(entry + sizeof id, &word->len, sizeof word->len);
    memcpy(entry + WORD_ENTRY_HEADER, word->bytes, word->len);
    table->word_log_used += WORD_ENTRY_HEADER + word->len;
}

static bool word_insert(sqlite_table *table, sqlite3_int64 id, const unsigned char *bytes, uint32_t len)
{
    sqlite3_stmt *insert = table->statements[WORD_INSERT];
    return sqlite3_bind_int64(insert, 1, id) == SQLITE_OK &&
           sqlite3_bind_blob64(insert, 2, bytes, len, SQLITE_STATIC) == SQLITE_OK && run(insert) == SQLITE_OK;
}

static bool gram_upsert(sqlite_table *table, const sqlite3_int64 *ids)
{
    sqlite3_stmt *add = table->statements[GRAM_ADD];
    return bind_ids(add, ids, table->base.order) == SQLITE_OK && run(add) == SQLITE_OK;
}

/* Puts back, one statement (one transaction) at a time, what a rolled-back
 * batch held: each step needs no more memory than the batch did when it got
 * there, as its journal is gone. Stops at a failure and goes on from there
 * next time. */
static bool replay(sqlite_table *table)
{
    while (table->words_replayed < table->word_log_used) {
        const unsigned char *entry = table->word_log + table->words_replayed;
        sqlite3_int64 id;
        uint32_t len;
        memcpy(&id, entry, sizeof id);
        memcpy(&len, entry + sizeof id, sizeof len);
        if (!word_insert(table, id, entry + WORD_ENTRY_HEADER, len))
            return false;
        table->words_replayed += WORD_ENTRY_HEADER + len;
    }
    for (; table->grams_replayed < table->batch_grams; table->grams_replayed++)
        if (!gram_upsert(table, &table->gram_log[(size_t)table->grams_replayed * (size_t)table->base.order]))
            return false;
    log_clear(table);
    table->replay_pending = false;
    return true;
}

/* After a failed statement: if SQLite rolled the batch back (it does on
 * SQLITE_NOMEM, whatever statement failed), the log puts it back. */
static void recover(sqlite_table *table)
{
    if (table->batch_open && sqlite3_get_autocommit(table->db)) {
        table->batch_open = false;
        table->replay_pending = true;
        replay(table);
    }
}

/* Every gram added is in the database, no transaction open. */
static bool batch_close(sqlite_table *table)
{
    if (table->replay_pending && !replay(table))
        return false;
    if (!table->batch_open)
        return true;
    if (run(table->statements[COMMIT_BATCH]) == SQLITE_OK) {
        table->batch_open = false;
        log_clear(table);
        return true;
    }
    recover(table);
    return !table->batch_open && !table->replay_pending;
}

/* A DELETE that prune could not run (short of memory) is run before any add:
 * a gram pruned and seen again must start from 0, as it would had it gone. */
static bool deletion_done(sqlite_table *table)
{
    sqlite3_stmt *remove = table->statements[PRUNE_DELETE];
    if (table->deleted_below == table->floor)
        return true;
    if (sqlite3_bind_int64(remove, 1, floor_parameter(table->floor)) != SQLITE_OK || run(remove) != SQLITE_OK)
        return false;
    table->deleted_below = table->floor;
    return true;
}

/* A transaction open with room for one more gram. */
static bool batch_ready(sqlite_table *table)
{
    if (table->batch_open && table->batch_grams < BATCH_GRAMS && !table->replay_pending)
        return true;
    if (!batch_close(table) || !deletion_done(table))
        return false;
    if (run(table->statements[BEGIN_BATCH]) != SQLITE_OK)
        return false;
    table->batch_open = true;
    return true;
}

/* The word's id, the word inserted (and logged) when new. A marker's id is
 * known; a word's is found with one statement of its own, which costs fewer
 * instructions than one statement for the whole gram's ids. */
static bool word_id(sqlite_table *table, const mg_token *token, sqlite3_int64 *id)
{
    if (mg_token_is_marker(token)) {
        *id = token->len == MG_MARK_START ? START_ID : END_ID;
        return true;
    }
    sqlite3_stmt *find = table->statements[WORD_FIND];
    if (sqlite3_bind_blob64(find, 1, token->bytes, token->len, SQLITE_STATIC) != SQLITE_OK)
        return false;
    int stepped = sqlite3_step(find);
    if (stepped == SQLITE_ROW)
        *id = sqlite3_column_int64(find, 0);
    sqlite3_reset(find);
    if (stepped != SQLITE_DONE)
        return stepped == SQLITE_ROW;
    if (!word_log_reserve(table, token->len) || !word_insert(table, table->next_word_id, token->bytes, token->len))
        return false;
    word_log_append(table, table->next_word_id, token);
    *id = table->next_word_id++;
    return true;
}

/* UPSERT in the open batch; the gram goes into the log once it is in. */
static int sqlite_add(mg_table *self, const mg_token *gram)
{
    sqlite_table *table = (sqlite_table *)self;
    if (!batch_ready(table))
        return MG_ERR_NOMEM;
    sqlite3_int64 ids[MG_ORDER_MAX];
    int position = 0;
    while (position < table->base.order && word_id(table, &gram[position], &ids[position]))
        position++;
    if (position < table->base.order || !gram_upsert(table, ids)) {
        recover(table);
        return MG_ERR_NOMEM;
    }
    memcpy(&table->gram_log[(size_t)table->batch_grams * (size_t)table->base.order], ids,
           sizeof ids[0] * (size_t)table->base.order);
    table->batch_grams++;
    return MG_OK;
}

/* ---- finalize ---------------------------------------------------------------------- */

static bool count_visible(sqlite_table *table, uint64_t floor, uint64_t *ngrams, uint64_t *contexts)
{
    sqlite3_stmt *grams = table->statements[COUNT_GRAMS], *prefixes = table->statements[COUNT_CONTEXTS];
    sqlite3_int64 gram_count = 0, context_count = 0;
    bool counted = sqlite3_bind_int64(grams, 1, floor_parameter(floor)) == SQLITE_OK &&
                   run_integer(grams, &gram_count) &&
                   sqlite3_bind_int64(prefixes, 1, floor_parameter(floor)) == SQLITE_OK &&
                   run_integer(prefixes, &context_count);
    *ngrams = (uint64_t)gram_count;
    *contexts = (uint64_t)context_count;
    return counted;
}

/* The last batch committed; the log let go; the sizes counted. */
static int sqlite_finalize(mg_table *self)
{
    sqlite_table *table = (sqlite_table *)self;
    if (!batch_close(table) || !count_visible(table, table->floor, &table->ngrams, &table->contexts))
        return MG_ERR_NOMEM;
    if (table->prune_reserve == NULL && (table->prune_reserve = sqlite3_malloc(PRUNE_RESERVE_BYTES)) == NULL)
        return MG_ERR_NOMEM;
    sqlite3_free(table->gram_log);
    sqlite3_free(table->word_log);
    table->gram_log = NULL;
    table->word_log = NULL;
    table->word_log_capacity = 0;
    table->finalized = true;
    return MG_OK;
}

/* ---- lookups ------------------------------------------------------------------------- */

/* A batch rolled back and not yet put back is put back before a query. */
static void settle(sqlite_table *table)
{
    if (table->replay_pending)
        replay(table);
}

static uint64_t sqlite_count(mg_table *self, const mg_token *gram)
{
    sqlite_table *table = (sqlite_table *)self;
    settle(table);
    sqlite3_int64 count = 0;
    sqlite3_stmt *lookup = table->statements[GRAM_COUNT];
    if (bind_tokens(lookup, gram, table->base.order) != SQLITE_OK ||
        sqlite3_bind_int64(lookup, 2 * table->base.order + 1, floor_parameter(table->floor)) != SQLITE_OK ||
        !run_integer(lookup, &count))
        return 0;
    return (uint64_t)count;
}

/* The token of a row: a marker by its id, a word by its bytes (valid until
 * the next step). False when SQLite could not give the bytes. */
static bool column_token(sqlite3_stmt *row, int id_column, mg_token *token)
{
    sqlite3_int64 id = sqlite3_column_int64(row, id_column);
    if (id < FIRST_WORD_ID) {
        *token = (mg_token){NULL, id == START_ID ? MG_MARK_START : MG_MARK_END};
        return true;
    }
    token->bytes = sqlite3_column_blob(row, id_column + 1);
    token->len = (uint32_t)sqlite3_column_bytes(row, id_column + 1);
    return token->bytes != NULL;
}

/* A walk SQLite could not finish (short of memory) stops with this. */
enum { WALK_FAILED = -1 };

static int walk_end(sqlite3_stmt *rows, int stepped)
{
    sqlite3_reset(rows);
    return stepped == SQLITE_DONE ? 0 : WALK_FAILED;
}

static int sqlite_successors(mg_table *self, const mg_token *context, mg_successor_visit visit, void *arg)
{
    sqlite_table *table = (sqlite_table *)self;
    settle(table);
    int context_length = table->base.order - 1;
    sqlite3_stmt *rows = table->statements[SUCCESSORS];
    if (bind_tokens(rows, context, context_length) != SQLITE_OK ||
        sqlite3_bind_int64(rows, 2 * context_length + 1, floor_parameter(table->floor)) != SQLITE_OK)
        return WALK_FAILED;
    int stepped;
    while ((stepped = sqlite3_step(rows)) == SQLITE_ROW) {
        mg_token next;
        if (!column_token(rows, 0, &next))
            break;
        int stop = visit(arg, &next, (uint64_t)sqlite3_column_int64(rows, 2));
        if (stop != 0) {
            sqlite3_reset(rows);
            return stop;
        }
    }
    return walk_end(rows, stepped);
}

static int sqlite_foreach(mg_table *self, mg_gram_visit visit, void *arg)
{
    sqlite_table *table = (sqlite_table *)self;
    settle(table);
    int order = table->base.order;
    sqlite3_stmt *rows = table->statements[FOREACH];
    if (sqlite3_bind_int64(rows, 1, floor_parameter(table->floor)) != SQLITE_OK)
        return WALK_FAILED;
    int stepped;
    while ((stepped = sqlite3_step(rows)) == SQLITE_ROW) {
        mg_token gram[MG_ORDER_MAX];
        int position = 0;
        while (position < order && column_token(rows, 2 * position, &gram[position]))
            position++;
        if (position < order)
            break;
        int stop = visit(arg, gram, (uint64_t)sqlite3_column_int64(rows, 2 * order));
        if (stop != 0) {
            sqlite3_reset(rows);
            return stop;
        }
    }
    return walk_end(rows, stepped);
}

static void sqlite_sizes(mg_table *self, uint64_t *ngrams, uint64_t *contexts)
{
    sqlite_table *table = (sqlite_table *)self;
    *ngrams = table->ngrams;
    *contexts = table->contexts;
}

/* ---- prune ---------------------------------------------------------------------------- */

/* Raises the floor, then deletes what is below it and gives the pages back.
 * Counting needs a little memory (the reserve is let go for it); the
 * DELETE needs a journal copy of every page it changes: when it cannot
 * have that, the grams below the floor stay in their pages, hidden from
 * every query, and the next add (if any) deletes them first. */
static uint64_t sqlite_prune(mg_table *self, uint64_t min_count)
{
    sqlite_table *table = (sqlite_table *)self;
    uint64_t floor = min_count > table->floor ? min_count : table->floor;
    if (floor == table->floor || !batch_close(table))
        return 0;
    sqlite3_free(table->prune_reserve);
    table->prune_reserve = NULL;
    uint64_t before = table->ngrams, after, contexts, ignored;
    bool counted = (table->finalized || count_visible(table, table->floor, &before, &ignored)) &&
                   count_visible(table, floor, &after, &contexts);
    if (counted) {
        table->floor = floor;
        table->ngrams = after;
        table->contexts = contexts;
        if (deletion_done(table))
            run_through(table->statements[PRUNE_RECLAIM]); /* a row a page; pages kept if it fails */
    }
    if (table->finalized)
        table->prune_reserve = sqlite3_malloc(PRUNE_RESERVE_BYTES);
    return counted ? before - after : 0;
}

/* ---- destroy ---------------------------------------------------------------------------- */

static void sqlite_destroy(mg_table *self)
{
    if (self != NULL)
        table_close((sqlite_table *)self);
}

/* ---- the library's figures ---------------------------------------------------------------- */

/* A figure SQLite keeps: process-wide (sqlite3_status64) or the connection's
 * (sqlite3_db_status). */
typedef struct library_figure {
    int op;
    bool of_connection;
    const char *name;
} library_figure;

static const library_figure figures[] = {
    {SQLITE_STATUS_MALLOC_COUNT, false, "sqlite.malloc_count"},
    {SQLITE_STATUS_PAGECACHE_USED, false, "sqlite.pagecache_used"},
    {SQLITE_STATUS_PAGECACHE_OVERFLOW, false, "sqlite.pagecache_overflow"},
    {SQLITE_DBSTATUS_CACHE_USED, true, "sqlite.cache_used"},
    {SQLITE_DBSTATUS_SCHEMA_USED, true, "sqlite.schema_used"},
    {SQLITE_DBSTATUS_STMT_USED, true, "sqlite.stmt_used"},
};

static uint64_t figure_now(sqlite3 *db, const library_figure *figure)
{
    if (figure->of_connection) {
        int now = 0, highwater = 0;
        sqlite3_db_status(db, figure->op, &now, &highwater, 0);
        return (uint64_t)now;
    }
    sqlite3_int64 now = 0, highwater = 0;
    sqlite3_status64(figure->op, &now, &highwater, 0);
    return (uint64_t)now;
}

/* SQLite's own view of its memory. Reading resets the highwater mark of
 * memory_used, so each reading's highwater covers the time since the one
 * before. */
static void sqlite_library_figures(mg_table *self, mg_figure_visit visit, void *arg)
{
    sqlite_table *table = (sqlite_table *)self;
    sqlite3_int64 used = 0, highwater = 0;
    sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &used, &highwater, 1);
    if (visit(arg, "sqlite.memory_used", (uint64_t)used) ||
        visit(arg, "sqlite.memory_used_highwater", (uint64_t)highwater))
        return;
    for (size_t index = 0; index < sizeof figures / sizeof figures[0]; index++)
        if (visit(arg, figures[index].name, figure_now(table->db, &figures[index])))
            return;
    visit(arg, "sqlite.version_number", (uint64_t)sqlite3_libversion_number());
}

/* ---- estimate ------------------------------------------------------------------------------ */

/* SQLite's b-tree constants (3.40, 64-bit) and the fills measured on gcide. */
#define PAGE_BYTES 4096.0
#define PAGE_EXTRA 208.0     /* SQLite's PgHdr and MemPage beside each cached page (szExtra, 8-aligned) */
#define PAGE_BUCKET 12.0     /* the hash's bucket a page: 1 to 2 of 8 bytes as the buckets double */
#define INDEX_FILL 0.91      /* keys in random order: three-sibling balancing */
#define TABLE_FILL 1.0       /* rising rowids: appended, pages left full */
#define HEAP_BYTES 104500.0  /* connection, schema, statements, prune's reserve */
#define HEAP_BYTES_PER_ORDER 4550.0 /* the statements and schema of a longer key */

/* Bytes of an integer in a record body (serial types 1, 2, 3, 4, 6). */
static double record_integer_bytes(double value)
{
    return value < 128 ? 1 : value < 32768 ? 2 : value < 8388608 ? 3 : value < 2147483648.0 ? 4 : 6;
}

/* Bytes of a varint (cell sizes, rowids): 7 bits a byte. */
static double varint_bytes(double value)
{
    double bytes = 1;
    for (; value >= 128 && bytes < 9; value /= 128)
        bytes++;
    return bytes;
}

/* The formula at the top of the file, part by part (bytes per n-gram). */
static void sqlite_estimate_parts(const mg_table_shape *shape, double *bytes_per_ngram)
{
    bytes_per_ngram[SQLITE_PART_HEAP - 1] = bytes_per_ngram[SQLITE_PART_PAGE_CACHE - 1] = 0.0;
    if (shape->ngrams == 0)
        return;
    double ngrams = (double)shape->ngrams, words = (double)shape->vocab, order = shape->order;
    double word_bytes = words > 0 ? (double)shape->vocab_bytes / words : 0.0;
    double largest_id = record_integer_bytes(words + FIRST_WORD_ID);
    double gram_id = largest_id > 1 ? largest_id - 1 : 1;
    double record = 1 + (order + 1) + order * gram_id;
    double gram = (1 + record + 2) / INDEX_FILL;
    double word_row = (1 + varint_bytes(words + FIRST_WORD_ID) + 3 + word_bytes + 2) / TABLE_FILL;
    double word_key = (1 + 3 + word_bytes + largest_id + 2) / INDEX_FILL;
    double per_page = (PAGE_BYTES + PAGE_EXTRA + sizeof(cached_page) + PAGE_BUCKET) / PAGE_BYTES;
    bytes_per_ngram[SQLITE_PART_PAGE_CACHE - 1] = per_page * (gram + words / ngrams * (word_row + word_key));
    bytes_per_ngram[SQLITE_PART_HEAP - 1] = (HEAP_BYTES + HEAP_BYTES_PER_ORDER * order) / ngrams;
}

/* ---- ops table --------------------------------------------------------------------------- */

const mg_backend mg_backend_sqlite_memory = {
    .version = MG_BACKEND_VERSION,
    .name = "sqlite_memory",
    .summary = "SQLite in memory: words and WITHOUT ROWID grams tables, UPSERT in batched transactions",
    .layout_version = 2, /* 2: its own page cache, its pages without SQLite's PgHdr1 or a prefix */
    .create = sqlite_create,
    .add = sqlite_add,
    .finalize = sqlite_finalize,     /* commits the last batch, counts the sizes */
    .count = sqlite_count,
    .successors = sqlite_successors, /* the primary key's prefix */
    .foreach = sqlite_foreach,
    .sizes = sqlite_sizes,           /* kept from finalize and prune */
    .prune = sqlite_prune,           /* DELETE, then incremental_vacuum */
    .destroy = sqlite_destroy,
    .library_figures = sqlite_library_figures,
    .parts = sqlite_parts,
    .part_count = SQLITE_PART_COUNT,
    .estimate_parts = sqlite_estimate_parts,
};
