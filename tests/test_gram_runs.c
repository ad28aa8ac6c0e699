/*
 * test_gram_runs.c — unit tests of backends/common/gram_runs.h against a
 * reference of plain sorted arrays: the round trip, counts of present and
 * absent grams, seeks at every prefix length (runs of 0, 1, 63, 64, 65 and
 * 1000 records, orders 1..5, id widths 1..32), the in-place filter (random
 * keep sets, every subset of the runs where the property is tightest, the
 * stream never longer), the merge of 0, 1, 3 and 20 runs with saturating
 * sums, refused allocations, and requested bytes back to zero.
 */
#include "support.h"

#include "backend.h"
#include "common/gram_runs.h"
#include "mem.h"

/* The tags (mem.h) the tests' runs and merges are counted against. */
enum { RUN_PART = 1, MERGE_PART };

#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

/* ---- the reference --------------------------------------------------------- */

typedef struct gram {
    uint32_t ids[MG_ORDER_MAX]; /* unused positions are 0 */
    uint64_t count;
} gram;

static uint64_t requested(void)
{
    mg_mem_counters counters;
    mg_mem_read(&counters);
    return counters.bytes_requested;
}

static int ids_compare(const uint32_t *a, const uint32_t *b, int length)
{
    for (int position = 0; position < length; position++)
        if (a[position] != b[position])
            return a[position] < b[position] ? -1 : 1;
    return 0;
}

static int gram_compare(const void *a, const void *b)
{
    return ids_compare(((const gram *)a)->ids, ((const gram *)b)->ids, MG_ORDER_MAX);
}

/* Sorts and drops repeats (unused positions are 0, so all MG_ORDER_MAX compare). */
static size_t sort_distinct(gram *grams, size_t count)
{
    qsort(grams, count, sizeof *grams, gram_compare);
    size_t kept = 0;
    for (size_t index = 0; index < count; index++)
        if (kept == 0 || gram_compare(&grams[kept - 1], &grams[index]) != 0)
            grams[kept++] = grams[index];
    return kept;
}

/* Index of the first gram whose first `length` ids are >= prefix. */
static size_t lower_bound(const gram *grams, size_t count, const uint32_t *prefix, int length)
{
    size_t low = 0, high = count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (ids_compare(grams[middle].ids, prefix, length) < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

static uint64_t reference_count(const gram *grams, size_t count, const uint32_t *ids, int order)
{
    size_t index = lower_bound(grams, count, ids, order);
    return index < count && ids_compare(grams[index].ids, ids, order) == 0 ? grams[index].count : 0;
}

static unsigned log2_floor(uint64_t value)
{
    unsigned bits = 0;
    while (value >>= 1)
        bits++;
    return bits;
}

/* The coded bits of a gram after previous (NULL: first), from the format's
 * definition: unary k, Elias-delta gap, raw ids, Elias-gamma count. */
static uint64_t reference_bits(const gram *previous, const gram *current, int order, unsigned id_bits)
{
    int k = 0;
    uint64_t gap = (uint64_t)current->ids[0] + 1;
    if (previous != NULL) {
        while (k < order - 1 && current->ids[k] == previous->ids[k])
            k++;
        gap = (uint64_t)current->ids[k] - previous->ids[k];
    }
    unsigned n = log2_floor(gap);
    return (uint64_t)(order - k) + n + 2 * log2_floor(n + 1) + 1 + (uint64_t)(order - 1 - k) * id_bits +
           2 * log2_floor(current->count) + 1;
}

static uint64_t reference_stream_bits(const gram *grams, size_t count, int order, unsigned id_bits)
{
    uint64_t bits = 0;
    for (size_t index = 0; index < count; index++)
        bits += reference_bits(index == 0 ? NULL : &grams[index - 1], &grams[index], order, id_bits);
    return bits;
}

static uint32_t id_limit(unsigned id_bits)
{
    return id_bits == 32 ? UINT32_MAX : (uint32_t)((UINT64_C(1) << id_bits) - 1);
}

/* An id at most `largest`: often small or at the top, so grams share
 * prefixes and reach the extremes. */
static uint32_t random_id(mgt_rng *rng, uint32_t largest)
{
    switch (mgt_rng_below(rng, 6)) {
    case 0: return largest;
    case 1:
    case 2: return (uint32_t)mgt_rng_below(rng, (uint64_t)(largest < 3 ? largest : 3) + 1);
    default: return (uint32_t)mgt_rng_below(rng, (uint64_t)largest + 1);
    }
}

static uint64_t random_count(mgt_rng *rng, bool wide)
{
    switch (mgt_rng_below(rng, 8)) {
    case 0: return UINT32_MAX;
    case 1: return wide ? UINT64_MAX - mgt_rng_below(rng, 3) : UINT32_MAX - 1;
    case 2: return wide ? (UINT64_C(1) << 32) + mgt_rng_below(rng, 1000) : mgt_rng_below(rng, 1u << 20) + 1;
    case 3: return mgt_rng_below(rng, 1000) + 1;
    default: return 1 + mgt_rng_below(rng, 2);
    }
}

/* Up to `wanted` distinct sorted grams (fewer only when the id space is
 * smaller); malloc'd, count in *count. */
static gram *random_grams(mgt_rng *rng, int order, unsigned id_bits, size_t wanted, bool wide_counts, size_t *count)
{
    uint32_t largest = id_limit(id_bits);
    size_t room = 2 * wanted + 8;
    gram *grams = calloc(room, sizeof *grams);
    cr_assert_not_null(grams);
    size_t held = 0;
    for (int attempt = 0; attempt < 20 && held < wanted; attempt++) {
        while (held < room) {
            for (int position = 0; position < order; position++)
                grams[held].ids[position] = random_id(rng, largest);
            grams[held++].count = random_count(rng, wide_counts);
        }
        held = sort_distinct(grams, held);
    }
    /* Keep a random `wanted` of them, in order. */
    while (held > wanted) {
        size_t drop = (size_t)mgt_rng_below(rng, held);
        memmove(&grams[drop], &grams[drop + 1], (held - drop - 1) * sizeof *grams);
        held--;
    }
    *count = held;
    return grams;
}

/* ---- building runs --------------------------------------------------------- */

static unsigned id_bits_of(const gram *grams, size_t count, int order)
{
    uint32_t largest = 1;
    for (size_t index = 0; index < count; index++)
        for (int position = 0; position < order; position++)
            if (grams[index].ids[position] > largest)
                largest = grams[index].ids[position];
    return log2_floor(largest) + 1;
}

/* Through open and put, with the full 64-bit counts. */
static void run_put(mg_gram_run *run, const gram *grams, size_t count, int order, unsigned id_bits)
{
    uint64_t bits = 0;
    for (size_t index = 0; index < count; index++)
        bits += mg_gram_run_record_bits(index == 0 ? NULL : grams[index - 1].ids, grams[index].ids,
                                        grams[index].count, order, id_bits);
    cr_assert_eq(bits, reference_stream_bits(grams, count, order, id_bits));
    cr_assert_eq(mg_gram_run_open(run, RUN_PART, order, id_bits, count, bits), MG_OK);
    for (size_t index = 0; index < count; index++)
        mg_gram_run_put(run, grams[index].ids, grams[index].count);
    cr_assert_eq(run->records, count);
    cr_assert_eq(run->bit_length, bits);
}

/* Through encode: counts clamped to uint32 in the reference first. */
static void run_encode(mg_gram_run *run, gram *grams, size_t count, int order)
{
    size_t stride = (size_t)order + 1;
    uint32_t *records = malloc((count + 1) * stride * sizeof *records);
    cr_assert_not_null(records);
    for (size_t index = 0; index < count; index++) {
        if (grams[index].count > UINT32_MAX)
            grams[index].count = UINT32_MAX;
        memcpy(records + index * stride, grams[index].ids, (size_t)order * sizeof *records);
        records[index * stride + (size_t)order] = (uint32_t)grams[index].count;
    }
    cr_assert_eq(mg_gram_run_encode(run, RUN_PART, order, records, count), MG_OK);
    free(records);
    cr_assert_eq(run->records, count);
    cr_assert_eq(run->id_bits, id_bits_of(grams, count, order));
    cr_assert_eq(run->bit_length, reference_stream_bits(grams, count, order, run->id_bits));
}

/* ---- checking a run against its reference ---------------------------------- */

static void check_decode(const mg_gram_run *run, const gram *grams, size_t count, int order)
{
    size_t stride = (size_t)order + 1;
    uint32_t *records = malloc((count + 1) * stride * sizeof *records);
    cr_assert_not_null(records);
    mg_gram_run_decode(run, records);
    for (size_t index = 0; index < count; index++) {
        cr_assert_eq(ids_compare(records + index * stride, grams[index].ids, order), 0, "record %zu", index);
        uint32_t clamped = grams[index].count > UINT32_MAX ? UINT32_MAX : (uint32_t)grams[index].count;
        cr_assert_eq(records[index * stride + (size_t)order], clamped);
    }
    free(records);

    mg_gram_run_cursor cursor;
    mg_gram_run_cursor_start(&cursor, run);
    for (size_t index = 0; index < count; index++) {
        cr_assert(mg_gram_run_cursor_next(&cursor));
        cr_assert_eq(ids_compare(cursor.ids, grams[index].ids, order), 0, "record %zu", index);
        cr_assert_eq(cursor.count, grams[index].count);
    }
    cr_assert_not(mg_gram_run_cursor_next(&cursor));
    cr_assert_not(mg_gram_run_cursor_next(&cursor));
}

static void check_count_of(const mg_gram_run *run, const gram *grams, size_t count, const uint32_t *ids, int order)
{
    cr_assert_eq(mg_gram_run_count(run, ids), reference_count(grams, count, ids, order), "ids %u %u %u %u %u",
                 ids[0], order > 1 ? ids[1] : 0, order > 2 ? ids[2] : 0, order > 3 ? ids[3] : 0,
                 order > 4 ? ids[4] : 0);
}

/* Every present gram, its neighbours one up and down at each position,
 * and the ends of the id space. */
static void check_counts(const mg_gram_run *run, const gram *grams, size_t count, int order)
{
    uint32_t ids[MG_ORDER_MAX];
    for (size_t index = 0; index < count; index++) {
        check_count_of(run, grams, count, grams[index].ids, order);
        for (int position = 0; position < order; position++) {
            memcpy(ids, grams[index].ids, sizeof ids);
            if (ids[position] < UINT32_MAX) {
                ids[position]++;
                check_count_of(run, grams, count, ids, order);
            }
            memcpy(ids, grams[index].ids, sizeof ids);
            if (ids[position] > 0) {
                ids[position]--;
                check_count_of(run, grams, count, ids, order);
            }
        }
    }
    memset(ids, 0, sizeof ids);
    check_count_of(run, grams, count, ids, order);
    for (int position = 0; position < order; position++)
        ids[position] = UINT32_MAX;
    check_count_of(run, grams, count, ids, order);
}

static void check_seek_of(const mg_gram_run *run, const gram *grams, size_t count, const uint32_t *prefix, int length)
{
    size_t expected = lower_bound(grams, count, prefix, length);
    mg_gram_run_cursor cursor;
    mg_gram_run_cursor_seek(&cursor, run, prefix, length);
    cr_assert_eq(cursor.index, expected, "prefix length %d: at %llu, not %zu", length,
                 (unsigned long long)cursor.index, expected);
    if (expected == count) {
        cr_assert_not(mg_gram_run_cursor_next(&cursor));
        return;
    }
    cr_assert(mg_gram_run_cursor_next(&cursor));
    cr_assert_eq(ids_compare(cursor.ids, grams[expected].ids, run->order), 0);
    cr_assert_eq(cursor.count, grams[expected].count);
    if (expected + 1 < count) {
        cr_assert(mg_gram_run_cursor_next(&cursor));
        cr_assert_eq(ids_compare(cursor.ids, grams[expected + 1].ids, run->order), 0);
    }
}

/* Every prefix length, at each gram's prefix and one above and below its
 * last id (absent prefixes, between and at samples), and at the ends. */
static void check_seeks(const mg_gram_run *run, const gram *grams, size_t count, int order)
{
    uint32_t prefix[MG_ORDER_MAX];
    for (int length = 0; length <= order; length++) {
        for (size_t index = 0; index < count; index++) {
            memcpy(prefix, grams[index].ids, sizeof prefix);
            check_seek_of(run, grams, count, prefix, length);
            if (length == 0)
                break;
            if (prefix[length - 1] < UINT32_MAX) {
                prefix[length - 1]++;
                check_seek_of(run, grams, count, prefix, length);
                prefix[length - 1]--;
            }
            if (prefix[length - 1] > 0) {
                prefix[length - 1]--;
                check_seek_of(run, grams, count, prefix, length);
            }
        }
        memset(prefix, 0, sizeof prefix);
        check_seek_of(run, grams, count, prefix, length);
        for (int position = 0; position < order; position++)
            prefix[position] = UINT32_MAX;
        check_seek_of(run, grams, count, prefix, length);
    }
}

static void check_run(const mg_gram_run *run, const gram *grams, size_t count, int order)
{
    cr_assert_eq(run->records, count);
    check_decode(run, grams, count, order);
    check_counts(run, grams, count, order);
    check_seeks(run, grams, count, order);
}

/* ---- round trip, counts, seeks --------------------------------------------- */

static const size_t run_sizes[] = {0, 1, 63, 64, 65, 1000};
static const unsigned id_widths[] = {1, 2, 5, 8, 13, 19, 31, 32};

static void check_round_trip(int order)
{
    uint64_t before = requested();
    mgt_rng rng = mgt_rng_make(0x5eed0000u + (uint64_t)order);
    for (size_t width = 0; width < sizeof id_widths / sizeof *id_widths; width++) {
        for (size_t size = 0; size < sizeof run_sizes / sizeof *run_sizes; size++) {
            size_t count;
            gram *grams = random_grams(&rng, order, id_widths[width], run_sizes[size], true, &count);
            mg_gram_run run;
            run_put(&run, grams, count, order, id_widths[width]);
            check_run(&run, grams, count, order);
            mg_gram_run_free(&run);
            cr_assert_eq(run.code, NULL);
            run_encode(&run, grams, count, order);
            check_run(&run, grams, count, order);
            mg_gram_run_free(&run);
            free(grams);
        }
    }
    cr_assert_eq(requested(), before);
}

Test(gram_runs, round_trip_order_1) { check_round_trip(1); }
Test(gram_runs, round_trip_order_2) { check_round_trip(2); }
Test(gram_runs, round_trip_order_3) { check_round_trip(3); }
Test(gram_runs, round_trip_order_4) { check_round_trip(4); }
Test(gram_runs, round_trip_order_5) { check_round_trip(5); }

Test(gram_runs, empty_run)
{
    uint64_t before = requested();
    for (int order = 1; order <= MG_ORDER_MAX; order++) {
        mg_gram_run run;
        cr_assert_eq(mg_gram_run_encode(&run, RUN_PART, order, NULL, 0), MG_OK);
        cr_assert_eq(run.records, 0);
        cr_assert_eq(run.bit_length, 0);
        cr_assert_eq(run.id_bits, 1);
        check_run(&run, NULL, 0, order);
        mg_gram_run_free(&run);
        cr_assert_eq(mg_gram_run_open(&run, RUN_PART, order, 7, 0, 0), MG_OK);
        check_run(&run, NULL, 0, order);
        mg_gram_run_free(&run);
    }
    cr_assert_eq(requested(), before);
}

Test(gram_runs, seek_at_sample_boundaries)
{
    /* Order 2, one context per 8 grams: contexts straddle every sample, so
     * the record before a sample shares the sample's prefix. */
    enum { GRAMS = 1000 };
    gram grams[GRAMS];
    memset(grams, 0, sizeof grams);
    for (size_t index = 0; index < GRAMS; index++) {
        grams[index].ids[0] = (uint32_t)((index + 4) / 8);
        grams[index].ids[1] = (uint32_t)index;
        grams[index].count = 1;
    }
    mg_gram_run run;
    run_put(&run, grams, GRAMS, 2, 10);
    check_run(&run, grams, GRAMS, 2);
    for (size_t sample = 0; sample * MG_GRAM_RUN_SAMPLE < GRAMS; sample++) {
        mg_gram_run_cursor cursor;
        mg_gram_run_cursor_seek(&cursor, &run, grams[sample * MG_GRAM_RUN_SAMPLE].ids, 1);
        cr_assert_eq(cursor.index, lower_bound(grams, GRAMS, grams[sample * MG_GRAM_RUN_SAMPLE].ids, 1));
        if (sample > 0) /* the sample's context starts 4 records before it */
            cr_assert_eq(cursor.index, sample * MG_GRAM_RUN_SAMPLE - 4);
    }
    mg_gram_run_free(&run);
}

/* ---- filter ---------------------------------------------------------------- */

typedef struct keep_plan {
    const gram *grams; /* the run's grams before the filter */
    const bool *keep;  /* per gram */
    int order;
    size_t calls;
} keep_plan;

static bool keep_by_plan(void *arg, const uint32_t *ids, uint64_t count)
{
    keep_plan *plan = arg;
    const gram *expected = &plan->grams[plan->calls];
    /* The filter hands over each record in order, decoded whole. */
    cr_assert_eq(ids_compare(ids, expected->ids, plan->order), 0, "record %zu", plan->calls);
    cr_assert_eq(count, expected->count);
    return plan->keep[plan->calls++];
}

/* Filters a run of grams by keep, then checks it against the kept grams. */
static void check_filter(mg_gram_run *run, const gram *grams, size_t count, const bool *keep, int order)
{
    gram *kept = calloc(count + 1, sizeof *kept);
    cr_assert_not_null(kept);
    size_t kept_count = 0;
    for (size_t index = 0; index < count; index++)
        if (keep[index])
            kept[kept_count++] = grams[index];
    uint64_t bits_before = run->bit_length, bytes_before = requested();
    size_t run_bytes = mg_gram_run_bytes(run);
    keep_plan plan = {.grams = grams, .keep = keep, .order = order};
    cr_assert_eq(mg_gram_run_filter(run, keep_by_plan, &plan), count - kept_count);
    cr_assert_eq(plan.calls, count);
    cr_assert_eq(requested(), bytes_before);
    cr_assert_eq(mg_gram_run_bytes(run), run_bytes);
    cr_assert_leq(run->bit_length, bits_before);
    cr_assert_eq(run->bit_length, reference_stream_bits(kept, kept_count, order, run->id_bits));
    check_run(run, kept, kept_count, order);
    free(kept);
}

static void check_random_filters(int order)
{
    uint64_t before = requested();
    mgt_rng rng = mgt_rng_make(0xf117e400u + (uint64_t)order);
    static const double keep_rates[] = {0.0, 0.1, 0.5, 0.9, 1.0};
    for (size_t width = 0; width < sizeof id_widths / sizeof *id_widths; width++) {
        size_t count;
        gram *grams = random_grams(&rng, order, id_widths[width], 300, true, &count);
        bool *keep = calloc(count + 1, sizeof *keep);
        cr_assert_not_null(keep);
        for (size_t rate = 0; rate <= sizeof keep_rates / sizeof *keep_rates; rate++) {
            for (size_t index = 0; index < count; index++)
                keep[index] = rate == sizeof keep_rates / sizeof *keep_rates ? index % 2 == 1
                                                                              : mgt_rng_unit(&rng) < keep_rates[rate];
            mg_gram_run run;
            run_put(&run, grams, count, order, id_widths[width]);
            check_filter(&run, grams, count, keep, order);
            /* A second filter over the filtered run: drop what is left. */
            size_t left = (size_t)run.records;
            gram *kept = calloc(left + 1, sizeof *kept);
            cr_assert_not_null(kept);
            for (size_t index = 0, at = 0; index < count; index++)
                if (keep[index])
                    kept[at++] = grams[index];
            bool *none = calloc(left + 1, sizeof *none);
            cr_assert_not_null(none);
            check_filter(&run, kept, left, none, order);
            free(none);
            free(kept);
            mg_gram_run_free(&run);
        }
        free(keep);
        free(grams);
    }
    cr_assert_eq(requested(), before);
}

Test(gram_runs, filter_random_order_1) { check_random_filters(1); }
Test(gram_runs, filter_random_order_2) { check_random_filters(2); }
Test(gram_runs, filter_random_order_3) { check_random_filters(3); }
Test(gram_runs, filter_random_order_5) { check_random_filters(5); }

/* Every subset of a small run kept, through the filter. */
static void check_every_subset(const gram *grams, size_t count, int order, unsigned id_bits)
{
    cr_assert_leq(count, 12);
    bool keep[12];
    for (uint32_t subset = 0; subset < (UINT32_C(1) << count); subset++) {
        for (size_t index = 0; index < count; index++)
            keep[index] = (subset >> index) & 1;
        mg_gram_run run;
        run_put(&run, grams, count, order, id_bits);
        check_filter(&run, grams, count, keep, order);
        mg_gram_run_free(&run);
    }
}

static gram gram_of(uint32_t a, uint32_t b, uint32_t c, uint64_t count)
{
    return (gram){.ids = {a, b, c}, .count = count};
}

Test(gram_runs, filter_tight_cases)
{
    uint64_t before = requested();
    const uint32_t top = UINT32_MAX;
    /* Gaps whose sum crosses a power of two where the delta code's length
     * field grows too (2^3, 2^7, 2^15, 2^31), dropped records costing the
     * fewest bits (count 1, k = order - 1), ids at UINT32_MAX. */
    gram order_1[] = {
        gram_of(6, 0, 0, 1),
        gram_of(7, 0, 0, 1),
        gram_of(126, 0, 0, 1),
        gram_of(127, 0, 0, 1),
        gram_of(32766, 0, 0, 1),
        gram_of(32767, 0, 0, UINT32_MAX),
        gram_of(32768 + 0x7fffffffu, 0, 0, 1),
        gram_of(32769 + 0x7fffffffu, 0, 0, UINT64_MAX),
        gram_of(top - 1, 0, 0, 1),
        gram_of(top, 0, 0, 1),
    };
    check_every_subset(order_1, sizeof order_1 / sizeof *order_1, 1, 32);
    gram first_gap_2_31[] = {gram_of(0x7ffffffeu, 0, 0, 1), gram_of(0x7fffffffu, 0, 0, 1)};
    check_every_subset(first_gap_2_31, 2, 1, 31);
    gram first_gap_2_32[] = {gram_of(top - 1, 0, 0, 1), gram_of(top, 0, 0, 1)};
    check_every_subset(first_gap_2_32, 2, 1, 32);
    gram order_3[] = {
        gram_of(7, 7, 0, 1),
        gram_of(7, 7, 0x7ffffffeu, 1),
        gram_of(7, 7, 0x7fffffffu, 1),
        gram_of(7, 7, 0x80000000u, UINT32_MAX),
        gram_of(7, 7, top - 1, 1),
        gram_of(7, 7, top, 1),
        gram_of(7, 8, 0, 1),
        gram_of(7, top, top, 1),
        gram_of(0x7fffffffu, 0, 0, 1),
        gram_of(0x80000000u, 0, 0, UINT64_MAX),
        gram_of(top, top - 1, top, 1),
        gram_of(top, top, top, (UINT64_C(1) << 32) - 1),
    };
    check_every_subset(order_3, sizeof order_3 / sizeof *order_3, 3, 32);
    cr_assert_eq(requested(), before);
}

/* Random runs walked by gaps near powers of two, random keep sets. */
Test(gram_runs, filter_gaps_near_powers_of_two)
{
    uint64_t before = requested();
    mgt_rng rng = mgt_rng_make(0x9a95);
    for (int round = 0; round < 40; round++) {
        int order = 1 + (int)mgt_rng_below(&rng, MG_ORDER_MAX);
        gram grams[400];
        memset(grams, 0, sizeof grams);
        size_t count = 0;
        gram current = {.ids = {0}};
        bool first = true;
        while (count < 400) {
            int k = first ? 0 : (int)mgt_rng_below(&rng, (uint64_t)order);
            unsigned power = (unsigned)mgt_rng_below(&rng, 33);
            uint64_t gap = (UINT64_C(1) << power) + mgt_rng_below(&rng, 3) - 1;
            uint64_t next = (first ? 0 : (uint64_t)current.ids[k]) + (gap == 0 ? 1 : gap);
            if (next > UINT32_MAX)
                break;
            current.ids[k] = (uint32_t)next;
            for (int position = k + 1; position < order; position++)
                current.ids[position] = random_id(&rng, UINT32_MAX);
            current.count = random_count(&rng, true);
            grams[count++] = current;
            first = false;
        }
        bool keep[400];
        for (size_t index = 0; index < count; index++)
            keep[index] = mgt_rng_below(&rng, 3) == 0;
        mg_gram_run run;
        run_put(&run, grams, count, order, 32);
        check_filter(&run, grams, count, keep, order);
        mg_gram_run_free(&run);
    }
    cr_assert_eq(requested(), before);
}

/* ---- merge ----------------------------------------------------------------- */

/* Merges run_count runs of random subsets of one pool of grams and checks
 * the result against summing the pool's counts. */
static void check_merge(size_t run_count, int order, unsigned id_bits)
{
    uint64_t before = requested();
    mgt_rng rng = mgt_rng_make(0x3e49e000u + run_count * 8 + (uint64_t)order);
    size_t pool_count;
    gram *pool = random_grams(&rng, order, id_bits, 2000, false, &pool_count);
    uint64_t *sums = calloc(pool_count + 1, sizeof *sums);
    bool *present = calloc(pool_count + 1, sizeof *present);
    gram *members = calloc(pool_count + 1, sizeof *members);
    mg_gram_run *runs = calloc(run_count + 1, sizeof *runs);
    cr_assert(sums && present && members && runs);
    for (size_t index = 0; index < run_count; index++) {
        /* Every fifth run is empty; the others hold 1 in 2..1 in 8 of the pool. */
        uint64_t share = index % 5 == 4 ? 0 : 2 + index % 7;
        size_t member_count = 0;
        for (size_t at = 0; at < pool_count; at++) {
            if (share == 0 || mgt_rng_below(&rng, share) != 0)
                continue;
            members[member_count] = pool[at];
            members[member_count].count = mgt_rng_below(&rng, 4) == 0 ? UINT32_MAX - mgt_rng_below(&rng, 2)
                                                                       : mgt_rng_below(&rng, 1000) + 1;
            sums[at] += members[member_count].count;
            present[at] = true;
            member_count++;
        }
        run_encode(&runs[index], members, member_count, order);
    }
    mg_gram_merge merge;
    cr_assert_eq(mg_gram_merge_start(&merge, MERGE_PART, runs, run_count), MG_OK);
    for (size_t at = 0; at < pool_count; at++) {
        if (!present[at])
            continue;
        cr_assert(mg_gram_merge_next(&merge));
        cr_assert_eq(ids_compare(merge.ids, pool[at].ids, order), 0, "gram %zu", at);
        cr_assert_eq(merge.count, sums[at] > UINT32_MAX ? UINT32_MAX : sums[at]);
    }
    cr_assert_not(mg_gram_merge_next(&merge));
    cr_assert_not(mg_gram_merge_next(&merge));
    mg_gram_merge_free(&merge);
    for (size_t index = 0; index < run_count; index++)
        mg_gram_run_free(&runs[index]);
    free(runs);
    free(members);
    free(present);
    free(sums);
    free(pool);
    cr_assert_eq(requested(), before);
}

Test(gram_runs, merge_no_run) { check_merge(0, 3, 8); }
Test(gram_runs, merge_one_run) { check_merge(1, 3, 8); }
Test(gram_runs, merge_three_runs)
{
    for (int order = 1; order <= MG_ORDER_MAX; order++)
        check_merge(3, order, 6);
}
Test(gram_runs, merge_twenty_runs)
{
    check_merge(20, 1, 12);
    check_merge(20, 3, 5);
    check_merge(20, 5, 32);
}

Test(gram_runs, merge_sums_saturate_past_64_bits)
{
    /* UINT64_MAX + 2 would wrap round to 1. */
    gram huge[] = {gram_of(3, 0, 0, UINT64_MAX), gram_of(4, 0, 0, 1)};
    gram small[] = {gram_of(3, 0, 0, 2), gram_of(4, 0, 0, 1)};
    mg_gram_run runs[2];
    run_put(&runs[0], huge, 2, 1, 3);
    run_put(&runs[1], small, 2, 1, 3);
    mg_gram_merge merge;
    cr_assert_eq(mg_gram_merge_start(&merge, MERGE_PART, runs, 2), MG_OK);
    cr_assert(mg_gram_merge_next(&merge));
    cr_assert_eq(merge.ids[0], 3);
    cr_assert_eq(merge.count, UINT32_MAX);
    cr_assert(mg_gram_merge_next(&merge));
    cr_assert_eq(merge.ids[0], 4);
    cr_assert_eq(merge.count, 2);
    cr_assert_not(mg_gram_merge_next(&merge));
    mg_gram_merge_free(&merge);
    mg_gram_run_free(&runs[0]);
    mg_gram_run_free(&runs[1]);
}

/* ---- refused allocations --------------------------------------------------- */

Test(gram_runs, refused_allocations_leave_nothing)
{
    uint64_t before = requested();
    mgt_rng rng = mgt_rng_make(7);
    size_t count;
    gram *grams = random_grams(&rng, 3, 16, 500, false, &count);
    mg_gram_run runs[2];
    run_put(&runs[0], grams, count, 3, 16);
    run_put(&runs[1], grams, count, 3, 16);
    uint64_t held = requested();

    mg_mem_set_limit(held + 16);
    mg_gram_run refused;
    cr_assert_eq(mg_gram_run_open(&refused, RUN_PART, 3, 16, count, runs[0].bit_length), MG_ERR_NOMEM);
    cr_assert_eq(refused.code, NULL);
    cr_assert_eq(refused.samples, NULL);
    cr_assert_eq(refused.records, 0);
    cr_assert_eq(mg_gram_run_bytes(&refused), 0);
    mg_gram_merge merge;
    cr_assert_eq(mg_gram_merge_start(&merge, MERGE_PART, runs, 2), MG_ERR_NOMEM);
    cr_assert_eq(merge.cursors, NULL);
    cr_assert_eq(merge.heap, NULL);
    cr_assert_eq(requested(), held);
    mg_mem_set_limit(0);

    mg_gram_run_free(&runs[0]);
    mg_gram_run_free(&runs[1]);
    free(grams);
    cr_assert_eq(requested(), before);
}
