/*
 * test_query_set.c — the reservoir of hits that training fills
 * (harness/measure/query_set.h): every gram is equally likely kept, the same
 * grams for a seed however the stream is cut into runs, and a gram too long
 * for a record is never kept.
 *
 * A stream position is a word of order 1, "p<position>", so a kept record
 * tells which gram it was.
 */
#include "support.h"

#include "backend.h"
#include "query_set.h"
#include "random.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUN_MAX 64 /* grams offered at once, at most */

/* The gram (one token) of stream position `position`; long: 200 bytes, past a record. */
static mg_token position_gram(uint64_t position, int long_word, char *text, size_t text_size)
{
    int length = snprintf(text, text_size, "p%llu", (unsigned long long)position);
    if (long_word) {
        memset(text + length, 'x', 200);
        length += 200;
    }
    return (mg_token){(const unsigned char *)text, (uint32_t)length};
}

/* The position a kept record holds (-1: not a position's word, or a long one). */
static long long record_position(const mg_gram_record *record)
{
    char text[MG_RECORD_BYTES + 1];
    uint32_t length = record->lengths[0];
    if (length >= MG_RECORD_BYTES)
        return -1;
    memcpy(text, record->bytes, length);
    text[length] = '\0';
    char *end;
    long long position = strtoll(text + 1, &end, 10);
    return text[0] == 'p' && *end == '\0' ? position : -1;
}

/* Offers positions 0..count-1 in runs of run_size (0: sizes that vary
 * from 1 to RUN_MAX); every third position a long word when with_long. */
static void offer_stream(mg_query_set *queries, uint64_t count, size_t run_size, int with_long)
{
    static char texts[RUN_MAX][256];
    mg_token run[RUN_MAX];
    uint64_t position = 0;
    for (size_t call = 0; position < count; call++) {
        size_t size = run_size ? run_size : 1 + (call * 29) % RUN_MAX;
        if (size > count - position)
            size = (size_t)(count - position);
        for (size_t index = 0; index < size; index++, position++)
            run[index] = position_gram(position, with_long && position % 3 == 1, texts[index], sizeof texts[index]);
        mg_query_set_sample_run(queries, run, size);
    }
}

Test(query_set, same_hits_for_a_seed_however_the_stream_is_cut)
{
    static const size_t run_sizes[] = {1, 7, RUN_MAX, 0};
    mg_query_set want;
    cr_assert_eq(mg_query_set_map(&want, 50, 1, 99), 0);
    offer_stream(&want, 20000, 1, 1);
    cr_assert_eq(want.hit_count, 33, "of the first 50 grams, every third is too long: %zu kept", want.hit_count);
    for (size_t k = 0; k < sizeof run_sizes / sizeof run_sizes[0]; k++) {
        mg_query_set got;
        cr_assert_eq(mg_query_set_map(&got, 50, 1, 99), 0);
        offer_stream(&got, 20000, run_sizes[k], 1);
        cr_expect_eq(got.hit_count, want.hit_count);
        cr_expect(memcmp(got.hits, want.hits, want.hit_count * sizeof *want.hits) == 0,
                  "runs of %zu (0: varied) keep other grams than runs of 1", run_sizes[k]);
        mg_query_set_unmap(&got);
    }
    for (size_t hit = 0; hit < want.hit_count; hit++)
        cr_expect(record_position(&want.hits[hit]) % 3 != 1, "hit %zu is a long word", hit);
    mg_query_set_unmap(&want);
}

Test(query_set, every_position_equally_likely_kept)
{
    /* 4000 seeds, a stream of 1000 grams, 10 kept: each tenth of the stream
     * holds 4000 of the 40000 kept in expectation (sd ~ 60) */
    enum { SEEDS = 4000, STREAM = 1000, CAPACITY = 10, BINS = 10 };
    uint64_t kept[BINS] = {0};
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        mg_query_set queries;
        cr_assert_eq(mg_query_set_map(&queries, CAPACITY, 1, mg_mix64(seed)), 0); /* as run.c seeds it */
        offer_stream(&queries, STREAM, 0, 0);
        cr_assert_eq(queries.hit_count, CAPACITY);
        for (size_t hit = 0; hit < CAPACITY; hit++) {
            long long position = record_position(&queries.hits[hit]);
            cr_assert(position >= 0 && position < STREAM, "hit %zu holds no position of the stream", hit);
            kept[position * BINS / STREAM]++;
        }
        mg_query_set_unmap(&queries);
    }
    for (int bin = 0; bin < BINS; bin++)
        cr_expect(kept[bin] > 3800 && kept[bin] < 4300, "positions %d..%d kept %llu times of 40000, expected ~4000",
                  bin * STREAM / BINS, (bin + 1) * STREAM / BINS - 1, (unsigned long long)kept[bin]);
}

Test(query_set, a_stream_shorter_than_the_reservoir_is_kept_whole)
{
    mg_query_set queries;
    cr_assert_eq(mg_query_set_map(&queries, 100, 1, 5), 0);
    offer_stream(&queries, 60, 0, 0);
    cr_assert_eq(queries.hit_count, 60);
    for (size_t hit = 0; hit < 60; hit++)
        cr_expect_eq(record_position(&queries.hits[hit]), (long long)hit);
    mg_query_set_unmap(&queries);
}
