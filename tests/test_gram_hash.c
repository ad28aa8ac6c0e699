/*
 * test_gram_hash.c — unit tests of backends/common/gram_hash.h: add and
 * count, growth across several rehashes (every gram keeps its count, the
 * load stays bounded), filter over probe runs that wrap round the end of
 * the table, the hand-over of the records and their sort, a refused grow,
 * orders 1, 3 and 5, and requested bytes back to zero.
 */
#include "support.h"

#include "backend.h"
#include "common/gram_hash.h"
#include "mem.h"

/* The tag (mem.h) the tests' tables are counted against. */
enum { TABLE_PART = 1 };

#include <criterion/criterion.h>

#include <string.h>

/* ---- helpers -------------------------------------------------------------- */

static uint64_t requested(void)
{
    mg_mem_counters counters;
    mg_mem_read(&counters);
    return counters.bytes_requested;
}

enum { ID_LIMIT = 1 << 16 }; /* test ids are below it; gram numbers too */

/* Gram number `n` (< ID_LIMIT) of a test: distinct for distinct n. */
static void gram_ids(uint64_t n, int order, uint32_t *ids)
{
    for (int k = 0; k < order; k++)
        ids[k] = (uint32_t)((n * (uint64_t)(k + 1) * 2654435761u + (uint64_t)k) % ID_LIMIT);
    ids[order - 1] = (uint32_t)n; /* makes them distinct */
}

/* How many times gram n is added: 1 to 5. */
static uint32_t times_of(uint64_t n) { return (uint32_t)(n % 5) + 1; }

static void add_times(mg_gram_hash *hash, const uint32_t *ids, uint32_t times)
{
    for (uint32_t time = 0; time < times; time++)
        cr_assert_eq(mg_gram_hash_add(hash, ids), MG_OK);
}

/* The slot a gram lands in when it is alone in a fresh table: its home. */
static uint32_t home_of(const uint32_t *ids, int order)
{
    mg_gram_hash alone;
    cr_assert_eq(mg_gram_hash_init(&alone, TABLE_PART, order), MG_OK);
    cr_assert_eq(mg_gram_hash_add(&alone, ids), MG_OK);
    uint32_t home = 0;
    while (mg_gram_hash_slot(&alone, home)[order] == 0)
        home++;
    mg_gram_hash_free(&alone);
    return home;
}

static int keys_compare(const uint32_t *a, const uint32_t *b, int keys)
{
    for (int k = 0; k < keys; k++)
        if (a[k] != b[k])
            return a[k] < b[k] ? -1 : 1;
    return 0;
}

static bool records_sorted(const uint32_t *records, uint64_t count, size_t words, int keys)
{
    for (uint64_t i = 1; i < count; i++)
        if (keys_compare(records + (i - 1) * words, records + i * words, keys) > 0)
            return false;
    return true;
}

/* ---- add and count -------------------------------------------------------- */

Test(gram_hash, add_and_count)
{
    mg_gram_hash hash;
    cr_assert_eq(mg_gram_hash_init(&hash, TABLE_PART, 3), MG_OK);
    uint32_t the_cat[] = {7, 8, 9}, the_dog[] = {7, 8, 10}, reversed[] = {9, 8, 7};
    cr_assert_eq(mg_gram_hash_count(&hash, the_cat), 0);
    add_times(&hash, the_cat, 3);
    add_times(&hash, the_dog, 1);
    cr_assert_eq(mg_gram_hash_count(&hash, the_cat), 3);
    cr_assert_eq(mg_gram_hash_count(&hash, the_dog), 1);
    cr_assert_eq(mg_gram_hash_count(&hash, reversed), 0);
    cr_assert_eq(hash.grams, 2);
    mg_gram_hash_free(&hash);
    cr_assert_eq(requested(), 0);
}

Test(gram_hash, count_saturates)
{
    mg_gram_hash hash;
    cr_assert_eq(mg_gram_hash_init(&hash, TABLE_PART, 2), MG_OK);
    uint32_t ids[] = {4, 5};
    add_times(&hash, ids, 1);
    uint32_t slot = 0;
    while (mg_gram_hash_slot(&hash, slot)[2] == 0)
        slot++;
    mg_gram_hash_slot(&hash, slot)[2] = UINT32_MAX - 1;
    add_times(&hash, ids, 2);
    cr_assert_eq(mg_gram_hash_count(&hash, ids), UINT32_MAX);
    cr_assert_eq(hash.grams, 1);
    mg_gram_hash_free(&hash);
}

/* ---- growth --------------------------------------------------------------- */

/* Past the 256 KiB jump to 8 MiB for orders 3 and 5 (slots of 16 and 24 B). */
static void check_growth(int order, uint64_t grams)
{
    mg_gram_hash hash;
    cr_assert_eq(mg_gram_hash_init(&hash, TABLE_PART, order), MG_OK);
    uint32_t ids[MG_ORDER_MAX], capacity = hash.capacity;
    int rehashes = 0;
    for (uint64_t n = 0; n < grams; n++) {
        gram_ids(n, order, ids);
        add_times(&hash, ids, times_of(n));
        if (hash.capacity != capacity) {
            cr_assert_gt(hash.capacity, capacity);
            capacity = hash.capacity;
            rehashes++;
        }
        cr_assert_leq(hash.grams * 100, (uint64_t)hash.capacity * MG_GRAM_HASH_LOAD);
    }
    cr_assert_geq(rehashes, 10, "order %d: %d rehashes", order, rehashes);
    cr_assert_eq(hash.grams, grams);
    cr_assert_eq(requested(), mg_gram_hash_bytes(&hash));
    for (uint64_t n = 0; n < grams; n++) {
        gram_ids(n, order, ids);
        cr_assert_eq(mg_gram_hash_count(&hash, ids), times_of(n), "order %d, gram %lu", order, (unsigned long)n);
    }
    uint64_t held = 0;
    for (uint32_t index = 0; index < hash.capacity; index++)
        held += mg_gram_hash_slot(&hash, index)[order] != 0;
    cr_assert_eq(held, grams);
    mg_gram_hash_free(&hash);
    cr_assert_eq(requested(), 0);
}

Test(gram_hash, growth_keeps_every_count_order_1) { check_growth(1, 3000); }
Test(gram_hash, growth_keeps_every_count_order_3) { check_growth(3, 40000); }
Test(gram_hash, growth_keeps_every_count_order_5) { check_growth(5, 40000); }

Test(gram_hash, refused_grow_leaves_the_table)
{
    mg_gram_hash hash;
    cr_assert_eq(mg_gram_hash_init(&hash, TABLE_PART, 3), MG_OK);
    uint32_t ids[MG_ORDER_MAX];
    uint64_t n = 0;
    for (; (hash.grams + 1) * 100 <= (uint64_t)hash.capacity * MG_GRAM_HASH_LOAD; n++) {
        gram_ids(n, 3, ids);
        add_times(&hash, ids, times_of(n));
    }
    mg_mem_set_limit(requested() + 16);
    gram_ids(n, 3, ids);
    cr_assert_eq(mg_gram_hash_add(&hash, ids), MG_ERR_NOMEM);
    cr_assert_eq(mg_gram_hash_make_room(&hash), MG_ERR_NOMEM);
    mg_mem_set_limit(0);
    cr_assert_eq(hash.grams, n);
    cr_assert_eq(mg_gram_hash_count(&hash, ids), 0);
    for (uint64_t m = 0; m < n; m++) {
        gram_ids(m, 3, ids);
        cr_assert_eq(mg_gram_hash_count(&hash, ids), times_of(m));
    }
    cr_assert_eq(mg_gram_hash_make_room(&hash), MG_OK);
    mg_gram_hash_free(&hash);
}

/* ---- filter --------------------------------------------------------------- */

/* A 16-slot table whose last slots' grams wrap round to the front: grams
 * homed in the last three slots and in the first two, some dropped. */
/* keep(): grams counted at least *(uint64_t *)arg times */
static bool keep_at_least(void *arg, const uint32_t *ids, uint64_t count)
{
    (void)ids;
    return count >= *(const uint64_t *)arg;
}

static void check_filter_wraps(int order)
{
    mg_gram_hash hash;
    cr_assert_eq(mg_gram_hash_init(&hash, TABLE_PART, order), MG_OK);
    uint32_t grams[MG_GRAM_HASH_MIN][MG_ORDER_MAX], wanted = 11, held = 0;
    for (uint64_t n = 0; held < wanted; n++) {
        uint32_t *ids = grams[held];
        gram_ids(n, order, ids);
        uint32_t home = home_of(ids, order);
        if (home >= MG_GRAM_HASH_MIN - 3 || (home <= 1 && held >= 6))
            add_times(&hash, ids, times_of(held++));
    }
    cr_assert_eq(hash.capacity, MG_GRAM_HASH_MIN, "no rehash: the runs are the ones built");
    bool wrapped = false;
    for (uint32_t index = 0; index < 4; index++) {
        const uint32_t *slot = mg_gram_hash_slot(&hash, index);
        wrapped |= slot[order] != 0 && home_of(slot, order) >= MG_GRAM_HASH_MIN - 3;
    }
    cr_assert(wrapped, "a run wraps round the end");
    mg_gram_hash_filter(&hash, keep_at_least, &(uint64_t){3});
    uint64_t kept = 0;
    for (uint32_t g = 0; g < held; g++) {
        uint32_t expected = times_of(g) >= 3 ? times_of(g) : 0;
        cr_assert_eq(mg_gram_hash_count(&hash, grams[g]), expected, "order %d, gram %u", order, g);
        kept += expected != 0;
    }
    cr_assert_eq(hash.grams, kept);
    cr_assert_lt(kept, held);
    mg_gram_hash_filter(&hash, keep_at_least, &(uint64_t){1}); /* keeps everything */
    cr_assert_eq(hash.grams, kept);
    mg_gram_hash_free(&hash);
}

Test(gram_hash, filter_wrapping_runs_order_1) { check_filter_wraps(1); }
Test(gram_hash, filter_wrapping_runs_order_3) { check_filter_wraps(3); }
Test(gram_hash, filter_wrapping_runs_order_5) { check_filter_wraps(5); }

Test(gram_hash, filter_large_table)
{
    mg_gram_hash hash;
    cr_assert_eq(mg_gram_hash_init(&hash, TABLE_PART, 2), MG_OK);
    uint32_t ids[MG_ORDER_MAX];
    for (uint64_t n = 0; n < 20000; n++) {
        gram_ids(n, 2, ids);
        add_times(&hash, ids, times_of(n));
    }
    uint64_t bytes = requested();
    mg_gram_hash_filter(&hash, keep_at_least, &(uint64_t){4});
    cr_assert_eq(requested(), bytes, "no allocation");
    cr_assert_eq(hash.grams, 8000);
    for (uint64_t n = 0; n < 20000; n++) {
        gram_ids(n, 2, ids);
        cr_assert_eq(mg_gram_hash_count(&hash, ids), times_of(n) >= 4 ? times_of(n) : 0);
    }
    mg_gram_hash_filter(&hash, keep_at_least, &(uint64_t){6});
    cr_assert_eq(hash.grams, 0);
    mg_gram_hash_free(&hash);
}

/* ---- release and sort ----------------------------------------------------- */

static void check_release_sorted(int order)
{
    mg_gram_hash hash;
    cr_assert_eq(mg_gram_hash_init(&hash, TABLE_PART, order), MG_OK);
    uint32_t ids[MG_ORDER_MAX];
    uint64_t grams = 5000;
    for (uint64_t n = 0; n < grams; n++) {
        gram_ids(n, order, ids);
        add_times(&hash, ids, times_of(n));
    }
    size_t block_bytes = mg_gram_hash_bytes(&hash);
    uint32_t *records = mg_gram_hash_pack_sorted(&hash);
    cr_assert_eq(requested(), block_bytes, "packed in the table's own block");
    size_t words = (size_t)order + 1;
    cr_assert(records_sorted(records, grams, words, order));
    uint64_t total = 0, expected_total = 0;
    for (uint64_t n = 0; n < grams; n++) {
        total += records[n * words + (size_t)order];
        expected_total += times_of(n);
    }
    cr_assert_eq(total, expected_total);
    for (uint64_t n = 0; n < grams; n++) {
        const uint32_t *record = records + n * words;
        uint32_t number = record[order - 1]; /* the last id is the gram's number */
        uint32_t original[MG_ORDER_MAX];
        gram_ids(number, order, original);
        for (int k = 0; k < order; k++)
            cr_assert_eq(record[k], original[k]);
        cr_assert_eq(record[order], times_of(number));
    }
    mg_gram_hash_clear(&hash);
    cr_assert_eq(hash.grams, 0);
    cr_assert_eq(requested(), block_bytes, "the block is kept");
    gram_ids(7, order, ids);
    cr_assert_eq(mg_gram_hash_count(&hash, ids), 0);
    cr_assert_eq(mg_gram_hash_add(&hash, ids), MG_OK);
    cr_assert_eq(mg_gram_hash_count(&hash, ids), 1);
    mg_gram_hash_free(&hash);
    cr_assert_eq(requested(), 0);
}

Test(gram_hash, release_renames_and_sorts_order_1) { check_release_sorted(1); }
Test(gram_hash, release_renames_and_sorts_order_3) { check_release_sorted(3); }
Test(gram_hash, release_renames_and_sorts_order_5) { check_release_sorted(5); }

/* Trie's count classes: 3-word records sorted by fewer keys, with ties. */
Test(gram_hash, sort_by_key_prefix_with_ties)
{
    enum { RECORDS = 3000, WORDS = 3 };
    static uint32_t records[RECORDS * WORDS];
    mgt_rng rng = mgt_rng_make(5);
    uint64_t sum_before = 0;
    for (size_t i = 0; i < RECORDS; i++) {
        records[i * WORDS] = (uint32_t)mgt_rng_below(&rng, 40); /* many ties */
        records[i * WORDS + 1] = (uint32_t)mgt_rng_below(&rng, 5);
        records[i * WORDS + 2] = (uint32_t)i;
        sum_before += records[i * WORDS] * 1000003u + records[i * WORDS + 1] * 7u + i;
    }
    for (int keys = 1; keys <= 2; keys++) {
        mg_records_sort(records, RECORDS, WORDS, keys);
        cr_assert(records_sorted(records, RECORDS, WORDS, keys), "keys %d", keys);
        uint64_t sum_after = 0;
        bool seen[RECORDS] = {false};
        for (size_t i = 0; i < RECORDS; i++) {
            uint32_t original = records[i * WORDS + 2];
            cr_assert(!seen[original]);
            seen[original] = true;
            sum_after += records[i * WORDS] * 1000003u + records[i * WORDS + 1] * 7u + original;
        }
        cr_assert_eq(sum_after, sum_before, "a permutation, records whole");
    }
    mg_records_sort(records, 0, WORDS, 2); /* empty and single ranges */
    mg_records_sort(records, 1, WORDS, 2);
}
