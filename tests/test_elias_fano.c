/*
 * test_elias_fano.c — backends/common/elias_fano: every query (get,
 * next_geq, iteration from any position) against the plain array it was
 * built from, on empty, single, constant, dense, sparse, huge-universe and
 * gapped sequences; the space bound of the header; failure under a memory limit.
 */
#include "backend.h"
#include "common/elias_fano.h"
#include "mem.h"

/* The tag (mem.h) the tests' sequences are counted against. */
enum { EF_PART = 1 };

#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdlib.h>

/* xorshift64*: deterministic values without libc's rand */
static uint64_t next_random(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * UINT64_C(2685821657736338717);
}

static void build(mg_ef *ef, const uint64_t *values, uint64_t count, uint64_t max)
{
    cr_assert_eq(mg_ef_init(ef, EF_PART, count, max), MG_OK);
    for (uint64_t i = 0; i < count; i++)
        mg_ef_push(ef, values[i]);
    mg_ef_seal(ef);
}

/* First position whose value is >= x in the plain array. */
static uint64_t plain_next_geq(const uint64_t *values, uint64_t count, uint64_t x)
{
    uint64_t low = 0, high = count;
    while (low < high) {
        uint64_t middle = low + (high - low) / 2;
        if (values[middle] < x)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

static void expect_next_geq(const mg_ef *ef, const uint64_t *values, uint64_t count, uint64_t x)
{
    uint64_t value = 0, want = plain_next_geq(values, count, x);
    uint64_t got = mg_ef_next_geq(ef, x, &value);
    cr_assert_eq(got, want, "next_geq(%" PRIu64 ") = %" PRIu64 ", expected %" PRIu64, x, got, want);
    if (want < count)
        cr_assert_eq(value, values[want], "next_geq(%" PRIu64 ") value", x);
}

/* Every query on the sequence, against the array; then frees it. */
static void check_sequence(const uint64_t *values, uint64_t count, uint64_t max)
{
    mg_mem_counters before;
    mg_mem_read(&before);
    mg_ef ef;
    build(&ef, values, count, max);
    cr_assert_eq(ef.count, count);
    for (uint64_t i = 0; i < count; i++)
        cr_assert_eq(mg_ef_get(&ef, i), values[i], "get(%" PRIu64 ")", i);

    mg_ef_iter it;
    mg_ef_iter_at(&it, &ef, 0);
    for (uint64_t i = 0; i < count; i++)
        cr_assert_eq(mg_ef_iter_next(&it), values[i], "iteration at %" PRIu64, i);
    uint64_t state = count * 7 + 1;
    for (int k = 0; k < 200 && count > 0; k++) { /* iteration from anywhere */
        uint64_t from = next_random(&state) % count;
        mg_ef_iter_at(&it, &ef, from);
        for (uint64_t i = from; i < count && i < from + 300; i++)
            cr_assert_eq(mg_ef_iter_next(&it), values[i], "iteration from %" PRIu64 " at %" PRIu64, from, i);
    }

    for (uint64_t i = 0; i < count; i++) { /* present values, their neighbours */
        expect_next_geq(&ef, values, count, values[i]);
        if (values[i] > 0)
            expect_next_geq(&ef, values, count, values[i] - 1);
        if (values[i] < UINT64_MAX)
            expect_next_geq(&ef, values, count, values[i] + 1);
    }
    expect_next_geq(&ef, values, count, 0);
    expect_next_geq(&ef, values, count, max);
    expect_next_geq(&ef, values, count, UINT64_MAX);
    for (int k = 0; k < 1000; k++) /* anywhere in the universe */
        expect_next_geq(&ef, values, count, max ? next_random(&state) % max : 0);
    for (int k = 0; k < 1000 && count > 0; k++) { /* a cursor skipping to x's bucket */
        uint64_t from = next_random(&state) % count, x = values[next_random(&state) % count] + k % 3;
        mg_ef_iter_at(&it, &ef, from);
        mg_ef_iter_skip_below(&it, x);
        uint64_t want = from;
        while (want < count && values[want] < x)
            want++;
        cr_assert_geq(it.index, from, "skip_below went back");
        cr_assert_leq(it.index, want, "skip_below(%" PRIu64 ") from %" PRIu64 " passed a value >= x", x, from);
        for (uint64_t i = it.index; i < count && i < it.index + 3; i++)
            cr_assert_eq(mg_ef_iter_next(&it), values[i], "iteration after skip_below at %" PRIu64, i);
    }
    for (int k = 0; k < 1000 && count > 0; k++) { /* within a range of positions */
        uint64_t from = next_random(&state) % count, to = from + next_random(&state) % 300;
        uint64_t x = k % 2 ? values[from + (to - from) / 2 < count ? from + (to - from) / 2 : count - 1]
                           : values[from] + next_random(&state) % 1000;
        uint64_t end = to < count ? to : count, want = from, value = 0;
        while (want < end && values[want] < x)
            want++;
        uint64_t got = mg_ef_next_geq_in(&ef, from, to, x, &value);
        cr_assert_eq(got, want, "next_geq_in(%" PRIu64 ", %" PRIu64 ", %" PRIu64 ")", from, to, x);
        if (want < end)
            cr_assert_eq(value, values[want], "next_geq_in value");
    }

    /* the header's bound: 2 + ceil(log2(u / n)) bits a value, plus samples
     * of the ones, the rank directory (n + zeros <= 3 n + 1 bits of high)
     * and padding */
    if (count > 0) {
        double high_bits = 3.0 * (double)count + 1.0;
        double samples = (16.0 / MG_EF_SAMPLE_NEAR + 64.0 / MG_EF_SAMPLE_FAR) * (double)count;
        double bound = (double)count * (2.0 + (double)ef.low_bits + 1.0) + samples + 64.0 * high_bits / MG_EF_BLOCK +
                       64.0 * 10.0;
        cr_assert_leq((double)ef.block_bytes * 8.0, bound, "%zu bytes for %" PRIu64 " values", ef.block_bytes, count);
    }
    cr_assert_eq(mg_ef_bytes_for(count, max), ef.block_bytes);
    mg_ef_free(&ef);
    mg_mem_counters after;
    mg_mem_read(&after);
    cr_assert_eq(after.bytes_requested, before.bytes_requested, "bytes left after mg_ef_free");
}

/* count sorted values, each gap uniform in [0, max_gap], from start. */
static uint64_t *random_sequence(uint64_t count, uint64_t start, uint64_t max_gap, uint64_t seed)
{
    uint64_t *values = malloc((count ? count : 1) * sizeof *values);
    cr_assert_not_null(values);
    uint64_t state = seed | 1, value = start;
    for (uint64_t i = 0; i < count; i++) {
        values[i] = value;
        value += max_gap == UINT64_MAX ? next_random(&state) : next_random(&state) % (max_gap + 1);
    }
    return values;
}

Test(elias_fano, empty)
{
    check_sequence(NULL, 0, 0);
    check_sequence(NULL, 0, 1000); /* a bound without values */
    mg_ef ef;
    build(&ef, NULL, 0, 0);
    uint64_t value = 42;
    cr_assert_eq(mg_ef_next_geq(&ef, 0, &value), 0);
    cr_assert_eq(value, 42, "no value written when there is none");
    mg_ef_iter it;
    mg_ef_iter_at(&it, &ef, 0);
    cr_assert_eq(it.index, 0);
    mg_ef_free(&ef);
}

Test(elias_fano, one_element)
{
    uint64_t values[][1] = {{0}, {1}, {5}, {UINT32_MAX}, {UINT64_MAX - 1}, {UINT64_MAX}};
    for (size_t k = 0; k < sizeof values / sizeof values[0]; k++)
        check_sequence(values[k], 1, values[k][0]);
    uint64_t zero[1] = {0};
    check_sequence(zero, 1, UINT64_MAX); /* a loose bound */
}

Test(elias_fano, all_equal)
{
    enum { COUNT = 3000 };
    uint64_t *values = malloc(COUNT * sizeof *values);
    cr_assert_not_null(values);
    uint64_t constants[] = {0, 7, 1u << 20, UINT64_MAX};
    for (size_t k = 0; k < sizeof constants / sizeof constants[0]; k++) {
        for (int i = 0; i < COUNT; i++)
            values[i] = constants[k];
        check_sequence(values, COUNT, constants[k]);
    }
    free(values);
}

Test(elias_fano, dense)
{
    uint64_t *values = random_sequence(20000, 0, 1, 3); /* gaps 0 or 1 */
    check_sequence(values, 20000, values[19999]);
    free(values);
    values = malloc(5000 * sizeof *values);
    cr_assert_not_null(values);
    for (uint64_t i = 0; i < 5000; i++)
        values[i] = i; /* 0, 1, 2, ...: every value present */
    check_sequence(values, 5000, 4999);
    free(values);
}

Test(elias_fano, sparse)
{
    uint64_t *values = random_sequence(10000, 3, 100000, 5);
    check_sequence(values, 10000, values[9999]);
    check_sequence(values, 10000, values[9999] * 3); /* bound far above the last value */
    free(values);
    values = random_sequence(1000, 0, 1u << 30, 11);
    check_sequence(values, 1000, values[999]);
    free(values);
}

Test(elias_fano, large_universe)
{
    /* up to 2^32 - 1 */
    uint64_t *values = random_sequence(4000, 0, (UINT64_C(1) << 32) / 4000, 17);
    values[3999] = UINT32_MAX;
    check_sequence(values, 4000, UINT32_MAX);
    free(values);
    /* 64-bit values, the last one UINT64_MAX */
    enum { COUNT = 2000 };
    values = random_sequence(COUNT, UINT64_C(1) << 40, UINT64_MAX / COUNT / 2, 23);
    values[COUNT - 1] = UINT64_MAX;
    check_sequence(values, COUNT, UINT64_MAX);
    free(values);
    uint64_t extremes[] = {0, 0, 1, UINT64_MAX / 2, UINT64_MAX - 1, UINT64_MAX, UINT64_MAX};
    check_sequence(extremes, 7, UINT64_MAX);
}

Test(elias_fano, sample_boundaries)
{
    /* counts around the sampling periods, where sample tables end */
    uint64_t periods[] = {MG_EF_SAMPLE_NEAR, MG_EF_SAMPLE_FAR};
    for (size_t k = 0; k < sizeof periods / sizeof periods[0]; k++)
        for (uint64_t count = periods[k] - 2; count <= 2 * periods[k] + 2; count++) {
            if (count == periods[k] + 3) /* one period on, only its end */
                count = 2 * periods[k] - 2;
            uint64_t *values = random_sequence(count, 0, 3, count);
            check_sequence(values, count, values[count - 1]);
            free(values);
        }
}

Test(elias_fano, skewed)
{
    /* a dense stretch, then a sparse one: the zeros of the high part all lie
     * among the last ones, far more than a near sample's offset can reach,
     * in long runs the selects must cross */
    enum { DENSE = 79000, SPARSE = 1000, COUNT = DENSE + SPARSE };
    uint64_t *values = random_sequence(COUNT, 0, 1, 29);
    uint64_t state = 31;
    for (uint64_t i = DENSE; i < COUNT; i++)
        values[i] = values[i - 1] + (next_random(&state) % (UINT64_C(1) << 21));
    check_sequence(values, COUNT, values[COUNT - 1]);
    for (uint64_t i = DENSE; i < COUNT; i++) /* runs of 64 equal values, long jumps between */
        values[i] = values[i - 1] + (i % 64 == 0 ? UINT64_C(1) << 24 : 0);
    check_sequence(values, COUNT, values[COUNT - 1]);
    free(values);
}

Test(elias_fano, long_zero_runs)
{
    /* dense values but for a few huge gaps (a word with many children): the
     * high part has runs of thousands of zeros, which cursors and next_geq
     * cross through the rank directory */
    enum { COUNT = 40000 };
    uint64_t *values = random_sequence(COUNT, 0, 1, 37);
    uint64_t jump = 0;
    for (uint64_t i = 0; i < COUNT; i++) {
        if (i % 7919 == 100)
            jump += 100000 + i;
        values[i] += jump;
    }
    check_sequence(values, COUNT, values[COUNT - 1]);
    mg_ef ef;
    build(&ef, values, COUNT, values[COUNT - 1]);
    for (uint64_t i = 90; i < COUNT; i += 7919) { /* each range across a jump, x on either side and inside it */
        uint64_t from = i, to = i + 40;
        uint64_t xs[] = {values[i], values[i + 9], values[i + 10], values[i + 10] - 1, values[i + 9] + 1, values[i + 39] + 1};
        for (size_t k = 0; k < sizeof xs / sizeof xs[0]; k++) {
            uint64_t want = from, value = 0;
            while (want < to && values[want] < xs[k])
                want++;
            cr_assert_eq(mg_ef_next_geq_in(&ef, from, to, xs[k], &value), want, "across the jump at %" PRIu64, i);
            if (want < to)
                cr_assert_eq(value, values[want]);
        }
    }
    mg_ef_free(&ef);
    free(values);
}

Test(elias_fano, out_of_memory)
{
    mg_mem_counters before;
    mg_mem_read(&before);
    mg_mem_set_limit(before.bytes_requested + 16);
    mg_ef ef;
    int status = mg_ef_init(&ef, EF_PART, 100000, 1u << 30);
    mg_mem_set_limit(0);
    cr_assert_eq(status, MG_ERR_NOMEM);
    mg_ef_free(&ef); /* harmless */
    mg_mem_counters after;
    mg_mem_read(&after);
    cr_assert_eq(after.bytes_requested, before.bytes_requested);
}
