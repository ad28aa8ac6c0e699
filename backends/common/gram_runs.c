/*
 * gram_runs.c — sorted runs of grams, bit-coded (layout in gram_runs.h).
 *
 * The codes, bits in stream order (mg_bits layout: the stream's first bit
 * is bit 0 of word 0), so a decoder counts leading zeros with ctz:
 *
 *   k code:     order - 1 - k zeros, then a one            K(k) = order - k bits
 *   gap code:   Elias-delta of the gap g >= 1: with n = floor(log2 g), the
 *               Elias-gamma of n + 1, then the n low bits of g
 *                                          D(g) = n + 2 floor(log2(n + 1)) + 1 bits
 *   raw ids:    ids k+1 .. order-1, id_bits each            R(k) = (order - 1 - k) id_bits
 *   count code: Elias-gamma of c >= 1: with m = floor(log2 c), m zeros, a
 *               one, then the m low bits of c                  C(c) = 2m + 1 bits
 *
 * Delta rather than gamma for the gap: a successor's gap in a context is
 * typically 2^10 .. 2^18, where delta takes 17 .. 27 bits and gamma 21 .. 37.
 *
 * The first record is coded after a virtual previous record whose ids[0]
 * is -1, so its k is 0 and its gap ids[0] + 1 (up to 2^32): every record,
 * the first included, is coded by the same rule. Gaps and counts are
 * 64-bit throughout.
 *
 * ---- Dropping records never lengthens the stream -------------------------
 *
 * Let L(P, A) be the bits of record A coded after P. Drop one record A
 * lying between the records P (possibly the virtual one) and B that stay;
 * only B's code changes, from L(A, B) to L(P, B), and A's L(P, A) goes.
 * Let a = k(P, A) and b = k(A, B). As P < A < B, k(P, B) = min(a, b).
 *
 *   b < a: P and A agree up to a, so B's first difference from P is at b
 *          with the same gap B[b] - A[b] = B[b] - P[b]: L(P, B) = L(A, B).
 *   b > a: A and B agree up to b, so k(P, B) = a with the gap A[a] - P[a]
 *          and the same count of raw ids: L(P, B) = L(P, A) - C(cA) + C(cB)
 *          <= L(P, A) + L(A, B), as C(cB) is part of L(A, B).
 *   b = a = k: k(P, B) = k and the gap is g1 + g2 (g1 = A[k] - P[k],
 *          g2 = B[k] - A[k], both >= 1). With n = the larger of
 *          floor(log2 g1), floor(log2 g2), g1 + g2 < 2^(n+2), so
 *          D(g1 + g2) <= (n + 1) + 2 floor(log2(n + 2)) + 1 <= D(max) + 3
 *          (floor(log2) grows by at most 1 from n + 1 to n + 2), and
 *          D(min) >= 1: D(g1 + g2) <= D(g1) + D(g2) + 2. A's own K(k) >= 1
 *          and C(cA) >= 1 give those 2 bits, so
 *          L(P, B) = K + D(g1 + g2) + R + C(cB)
 *                  <= K + D(g1) + R + C(cA)  +  K + D(g2) + R + C(cB)
 *                   = L(P, A) + L(A, B).
 *   no B:  the stream loses L(P, A).
 *
 * Dropping a set is dropping its records one at a time, so no set
 * lengthens the stream. Applied to the first i records of a run (a run
 * themselves), it bounds the kept records' code among them by the bits of
 * all i: the filter's writer, having written the kept records among the
 * first i, stands at or behind its reader, which has read all i. It
 * writes a record only once the reader has read it, so it never touches
 * a bit not yet read.
 */
#include "gram_runs.h"

#include "backend.h"
#include "common/elias_fano.h"
#include "common/grow.h"
#include "mem.h"

#include <stdbool.h>
#include <string.h>

/* ---- bits ------------------------------------------------------------------ */

static inline uint64_t low_mask(unsigned width) /* width <= 63 */
{
    return (UINT64_C(1) << width) - 1;
}

static inline unsigned floor_log2(uint64_t value) /* value >= 1 */
{
    return 63u - (unsigned)__builtin_clzll(value);
}

/* The 64 bits of stream from `at` (reads the word after at's: the padding). */
static inline uint64_t peek64(const uint64_t *words, uint64_t at)
{
    return mg_bits_get(words, at, 64);
}

/* Stores value (< 2^width, width <= 64) in the width bits at `at`, whatever
 * they held: the filter writes over code already read. */
static inline void bits_write(uint64_t *words, uint64_t at, unsigned width, uint64_t value)
{
    if (width == 0)
        return;
    uint64_t word = at >> 6;
    unsigned shift = (unsigned)(at & 63);
    uint64_t mask = width == 64 ? ~UINT64_C(0) : low_mask(width);
    words[word] = (words[word] & ~(mask << shift)) | (value << shift);
    if (shift + width > 64)
        words[word + 1] = (words[word + 1] & ~(mask >> (64 - shift))) | (value >> (64 - shift));
}

/* ---- code lengths ---------------------------------------------------------- */

static inline uint64_t gamma_bits(uint64_t value)
{
    return 2 * (uint64_t)floor_log2(value) + 1;
}

static inline uint64_t delta_bits(uint64_t value)
{
    unsigned n = floor_log2(value);
    return n + 2 * (uint64_t)floor_log2(n + 1) + 1;
}

/* k and gap of ids after previous (NULL: the first record). */
static inline int first_difference(const uint32_t *previous, const uint32_t *ids, int order, uint64_t *gap)
{
    if (previous == NULL) {
        *gap = (uint64_t)ids[0] + 1;
        return 0;
    }
    int k = 0;
    while (k < order - 1 && ids[k] == previous[k])
        k++;
    *gap = (uint64_t)ids[k] - previous[k];
    return k;
}

uint64_t mg_gram_run_record_bits(const uint32_t *previous, const uint32_t *ids, uint64_t count, int order,
                                 unsigned id_bits)
{
    uint64_t gap;
    int k = first_difference(previous, ids, order, &gap);
    return (uint64_t)(order - k) + delta_bits(gap) + (uint64_t)(order - 1 - k) * id_bits + gamma_bits(count);
}

/* ---- writing a record ------------------------------------------------------ */

static void write_gamma(uint64_t *words, uint64_t *at, uint64_t value)
{
    unsigned n = floor_log2(value);
    bits_write(words, *at, n + 1, UINT64_C(1) << n);
    bits_write(words, *at + n + 1, n, value & low_mask(n));
    *at += 2 * (uint64_t)n + 1;
}

static void write_delta(uint64_t *words, uint64_t *at, uint64_t value)
{
    unsigned n = floor_log2(value);
    write_gamma(words, at, n + 1);
    bits_write(words, *at, n, value & low_mask(n));
    *at += n;
}

/* Codes (ids, count) at *at after previous (NULL: first), over what the
 * bits held; *at moves past it. */
static void write_record(uint64_t *words, uint64_t *at, const uint32_t *previous, const uint32_t *ids, uint64_t count,
                         int order, unsigned id_bits)
{
    uint64_t gap;
    int k = first_difference(previous, ids, order, &gap);
    unsigned zeros = (unsigned)(order - 1 - k);
    bits_write(words, *at, zeros + 1, UINT64_C(1) << zeros);
    *at += zeros + 1;
    write_delta(words, at, gap);
    for (int position = k + 1; position < order; position++) {
        bits_write(words, *at, id_bits, ids[position]);
        *at += id_bits;
    }
    write_gamma(words, at, count);
}

/* ---- reading a record ------------------------------------------------------ */

/* Decodes the record at *at, coded after the record in ids, into ids and
 * *count; *at moves past it. The virtual previous of the first record is
 * ids[0] = UINT32_MAX: the gap ids[0] + 1 wraps round to ids[0]. */
static inline void read_record(const uint64_t *words, uint64_t *at, uint32_t *ids, uint64_t *count, int order,
                               unsigned id_bits)
{
    /* k code and gap code together take at most 5 + 43 bits: one window. */
    uint64_t window = peek64(words, *at);
    unsigned zeros = (unsigned)__builtin_ctzll(window);
    int k = order - 1 - (int)zeros;
    window >>= zeros + 1;
    unsigned length_zeros = (unsigned)__builtin_ctzll(window);
    unsigned n = (unsigned)(((window >> (length_zeros + 1)) & low_mask(length_zeros)) | (UINT64_C(1) << length_zeros)) - 1;
    window >>= 2 * length_zeros + 1;
    uint64_t gap = (window & low_mask(n)) | (UINT64_C(1) << n);
    *at += zeros + 1 + 2 * length_zeros + 1 + n;
    ids[k] = (uint32_t)(ids[k] + gap);
    for (int position = k + 1; position < order; position++) {
        ids[position] = (uint32_t)mg_bits_get(words, *at, id_bits);
        *at += id_bits;
    }
    window = peek64(words, *at);
    unsigned m = (unsigned)__builtin_ctzll(window);
    if (m < 32) {
        *count = ((window >> (m + 1)) & low_mask(m)) | (UINT64_C(1) << m);
        *at += 2 * m + 1;
    } else {
        *count = mg_bits_get(words, *at + m + 1, m) | (UINT64_C(1) << m);
        *at += 2 * (uint64_t)m + 1;
    }
}

/* ---- comparing ids --------------------------------------------------------- */

static inline int ids_compare(const uint32_t *a, const uint32_t *b, int length)
{
    for (int position = 0; position < length; position++)
        if (a[position] != b[position])
            return a[position] < b[position] ? -1 : 1;
    return 0;
}

static inline bool ids_equal(const uint32_t *a, const uint32_t *b, int length)
{
    for (int position = 0; position < length; position++)
        if (a[position] != b[position])
            return false;
    return true;
}

/* ---- samples --------------------------------------------------------------- */

static inline size_t sample_words(int order)
{
    return (size_t)order + 2;
}

static inline uint64_t sample_count(uint64_t records)
{
    return (records + MG_GRAM_RUN_SAMPLE - 1) / MG_GRAM_RUN_SAMPLE;
}

static inline uint32_t *sample_at(const mg_gram_run *run, uint64_t sample)
{
    return run->samples + sample * sample_words(run->order);
}

static inline uint64_t sample_bit(const mg_gram_run *run, uint64_t sample)
{
    const uint32_t *slot = sample_at(run, sample);
    return (uint64_t)slot[run->order] | (uint64_t)slot[run->order + 1] << 32;
}

static inline void sample_set(uint32_t *slot, const uint32_t *ids, int order, uint64_t bit)
{
    memcpy(slot, ids, (size_t)order * sizeof *ids);
    slot[order] = (uint32_t)bit;
    slot[order + 1] = (uint32_t)(bit >> 32);
}

/* The slot after the samples' room: the last record put, which the next
 * put codes after. */
static inline uint32_t *last_put(const mg_gram_run *run)
{
    return run->samples + run->samples_bytes / sizeof *run->samples - sample_words(run->order);
}

/* The last sample whose first `length` ids compare to ids below `bound`
 * (-1: <, 0: <=); -1 when there is none. */
static int64_t sample_search(const mg_gram_run *run, const uint32_t *ids, int length, int bound)
{
    uint64_t low = 0, high = sample_count(run->records); /* samples [0, low) qualify; [high, ..) do not */
    while (low < high) {
        uint64_t middle = low + (high - low) / 2;
        if (ids_compare(sample_at(run, middle), ids, length) <= bound)
            low = middle + 1;
        else
            high = middle;
    }
    return (int64_t)low - 1;
}

/* A cursor having read sample `sample`'s record. */
static void cursor_at_sample(mg_gram_run_cursor *cursor, const mg_gram_run *run, uint64_t sample)
{
    memset(cursor, 0, sizeof *cursor);
    cursor->run = run;
    cursor->index = sample * MG_GRAM_RUN_SAMPLE + 1;
    cursor->bit = sample_bit(run, sample);
    /* The code's lengths do not depend on the previous record: decoded
     * after any, the record ends at the right bit with the right count. */
    read_record(run->code, &cursor->bit, cursor->ids, &cursor->count, run->order, run->id_bits);
    memcpy(cursor->ids, sample_at(run, sample), (size_t)run->order * sizeof *cursor->ids);
}

/* ---- building -------------------------------------------------------------- */

int mg_gram_run_open(mg_gram_run *run, int part, int order, unsigned id_bits, uint64_t records, uint64_t bits)
{
    memset(run, 0, sizeof *run);
    size_t code_words = mg_bits_words(bits, 1);
    uint64_t slots = sample_count(records) + 1; /* and the last record put */
    if (code_words > SIZE_MAX / sizeof(uint64_t) || slots > SIZE_MAX / sizeof(uint32_t) / sample_words(order))
        return MG_ERR_NOMEM;
    size_t code_bytes = code_words * sizeof(uint64_t);
    size_t samples_bytes = (size_t)slots * sample_words(order) * sizeof(uint32_t);
    uint64_t *code = mg_calloc_returned_in(part, code_bytes); /* a run is freed before its table is done */
    uint32_t *samples = mg_calloc_returned_in(part, samples_bytes);
    if (code == NULL || samples == NULL) {
        mg_free_in(part, code, code == NULL ? 0 : code_bytes);
        mg_free_in(part, samples, samples == NULL ? 0 : samples_bytes);
        return MG_ERR_NOMEM;
    }
    *run = (mg_gram_run){.part = part,
                         .order = order,
                         .id_bits = id_bits,
                         .code = code,
                         .code_bytes = code_bytes,
                         .samples = samples,
                         .samples_bytes = samples_bytes};
    return MG_OK;
}

void mg_gram_run_put(mg_gram_run *run, const uint32_t *ids, uint64_t count)
{
    uint32_t *last = last_put(run);
    if (run->records % MG_GRAM_RUN_SAMPLE == 0)
        sample_set(sample_at(run, run->records / MG_GRAM_RUN_SAMPLE), ids, run->order, run->bit_length);
    write_record(run->code, &run->bit_length, run->records == 0 ? NULL : last, ids, count, run->order, run->id_bits);
    memcpy(last, ids, (size_t)run->order * sizeof *ids);
    run->records++;
}

int mg_gram_run_encode(mg_gram_run *run, int part, int order, const uint32_t *records, uint64_t count)
{
    size_t stride = (size_t)order + 1;
    uint32_t largest = 1;
    for (uint64_t index = 0; index < count; index++)
        for (int position = 0; position < order; position++)
            if (records[index * stride + (size_t)position] > largest)
                largest = records[index * stride + (size_t)position];
    unsigned id_bits = floor_log2(largest) + 1;
    uint64_t bits = 0;
    for (uint64_t index = 0; index < count; index++) {
        const uint32_t *previous = index == 0 ? NULL : records + (index - 1) * stride;
        const uint32_t *record = records + index * stride;
        bits += mg_gram_run_record_bits(previous, record, record[order], order, id_bits);
    }
    int status = mg_gram_run_open(run, part, order, id_bits, count, bits);
    if (status != MG_OK)
        return status;
    for (uint64_t index = 0; index < count; index++)
        mg_gram_run_put(run, records + index * stride, records[index * stride + (size_t)order]);
    return MG_OK;
}

void mg_gram_run_free(mg_gram_run *run)
{
    mg_free_in(run->part, run->code, run->code_bytes);
    mg_free_in(run->part, run->samples, run->samples_bytes);
    memset(run, 0, sizeof *run);
}

size_t mg_gram_run_bytes(const mg_gram_run *run)
{
    return run->code_bytes + run->samples_bytes;
}

/* ---- reading --------------------------------------------------------------- */

void mg_gram_run_cursor_start(mg_gram_run_cursor *cursor, const mg_gram_run *run)
{
    memset(cursor, 0, sizeof *cursor);
    cursor->run = run;
    cursor->ids[0] = UINT32_MAX; /* the virtual previous of the first record */
}

bool mg_gram_run_cursor_next(mg_gram_run_cursor *cursor)
{
    const mg_gram_run *run = cursor->run;
    if (cursor->index == run->records)
        return false;
    read_record(run->code, &cursor->bit, cursor->ids, &cursor->count, run->order, run->id_bits);
    cursor->index++;
    return true;
}

void mg_gram_run_cursor_seek(mg_gram_run_cursor *cursor, const mg_gram_run *run, const uint32_t *prefix,
                             int prefix_len)
{
    int64_t sample = prefix_len == 0 ? -1 : sample_search(run, prefix, prefix_len, -1);
    if (sample < 0) {
        mg_gram_run_cursor_start(cursor, run);
        return;
    }
    /* Sample `sample` is below prefix and the next one (if any) is not: the
     * first record at or above prefix is among the next 64. */
    cursor_at_sample(cursor, run, (uint64_t)sample);
    while (cursor->index < run->records) {
        uint32_t ids[MG_ORDER_MAX];
        uint64_t count, bit = cursor->bit;
        memcpy(ids, cursor->ids, sizeof ids);
        read_record(run->code, &bit, ids, &count, run->order, run->id_bits);
        if (ids_compare(ids, prefix, prefix_len) >= 0)
            return;
        memcpy(cursor->ids, ids, sizeof ids);
        cursor->count = count;
        cursor->bit = bit;
        cursor->index++;
    }
}

uint64_t mg_gram_run_count(const mg_gram_run *run, const uint32_t *ids)
{
    int64_t sample = sample_search(run, ids, run->order, 0);
    if (sample < 0)
        return 0;
    mg_gram_run_cursor cursor;
    cursor_at_sample(&cursor, run, (uint64_t)sample);
    for (;;) {
        int order_relation = ids_compare(cursor.ids, ids, run->order);
        if (order_relation == 0)
            return cursor.count;
        if (order_relation > 0 || !mg_gram_run_cursor_next(&cursor))
            return 0;
    }
}

void mg_gram_run_decode(const mg_gram_run *run, uint32_t *records)
{
    mg_gram_run_cursor cursor;
    mg_gram_run_cursor_start(&cursor, run);
    size_t stride = (size_t)run->order + 1;
    for (uint32_t *record = records; mg_gram_run_cursor_next(&cursor); record += stride) {
        memcpy(record, cursor.ids, (size_t)run->order * sizeof *record);
        record[run->order] = cursor.count > UINT32_MAX ? UINT32_MAX : (uint32_t)cursor.count;
    }
}

/* ---- filtering in place ---------------------------------------------------- */

uint64_t mg_gram_run_filter(mg_gram_run *run, mg_gram_keep keep, void *arg)
{
    mg_gram_run_cursor reader;
    mg_gram_run_cursor_start(&reader, run);
    uint32_t written[MG_ORDER_MAX]; /* the last record written */
    uint64_t kept = 0, write_bit = 0;
    while (mg_gram_run_cursor_next(&reader)) {
        if (!keep(arg, reader.ids, reader.count))
            continue;
        /* The record is read whole, and the writer is behind the reader
         * (proof above): writing it touches only bits already read. */
        if (kept % MG_GRAM_RUN_SAMPLE == 0)
            sample_set(sample_at(run, kept / MG_GRAM_RUN_SAMPLE), reader.ids, run->order, write_bit);
        write_record(run->code, &write_bit, kept == 0 ? NULL : written, reader.ids, reader.count, run->order,
                     run->id_bits);
        memcpy(written, reader.ids, (size_t)run->order * sizeof *written);
        kept++;
    }
    /* Old code past the new end is zeroed: the block is as encode would
     * have left it for the records kept. */
    if (write_bit < run->bit_length) {
        bits_write(run->code, write_bit, (unsigned)(64 - (write_bit & 63)), 0);
        uint64_t first_clear = (write_bit + 63) / 64, end = (run->bit_length + 63) / 64;
        if (first_clear < end)
            memset(run->code + first_clear, 0, (size_t)(end - first_clear) * sizeof *run->code);
    }
    uint64_t dropped = run->records - kept;
    run->records = kept;
    run->bit_length = write_bit;
    if (kept > 0)
        memcpy(last_put(run), written, (size_t)run->order * sizeof *written);
    return dropped;
}

/* ---- merging --------------------------------------------------------------- */

static inline bool cursor_below(const mg_gram_merge *merge, uint32_t a, uint32_t b)
{
    return ids_compare(merge->cursors[a].ids, merge->cursors[b].ids, merge->order) < 0;
}

static void sift_down(mg_gram_merge *merge, size_t slot)
{
    uint32_t *heap = merge->heap;
    size_t size = merge->heap_size;
    uint32_t moving = heap[slot];
    for (;;) {
        size_t child = 2 * slot + 1;
        if (child >= size)
            break;
        if (child + 1 < size && cursor_below(merge, heap[child + 1], heap[child]))
            child++;
        if (!cursor_below(merge, heap[child], moving))
            break;
        heap[slot] = heap[child];
        slot = child;
    }
    heap[slot] = moving;
}

/* The top cursor reads its next record: it goes down to its place, or out. */
static inline void advance_top(mg_gram_merge *merge)
{
    mg_gram_run_cursor *cursor = &merge->cursors[merge->heap[0]];
    const mg_gram_run *run = cursor->run;
    if (cursor->index == run->records) {
        merge->heap[0] = merge->heap[--merge->heap_size];
    } else {
        read_record(run->code, &cursor->bit, cursor->ids, &cursor->count, run->order, run->id_bits);
        cursor->index++;
    }
    if (merge->heap_size > 1)
        sift_down(merge, 0);
}

int mg_gram_merge_start(mg_gram_merge *merge, int part, const mg_gram_run *runs, size_t run_count)
{
    memset(merge, 0, sizeof *merge);
    merge->part = part;
    merge->order = run_count > 0 ? runs[0].order : 1;
    if (run_count == 0)
        return MG_OK;
    if (run_count > UINT32_MAX || run_count > SIZE_MAX / sizeof(mg_gram_run_cursor))
        return MG_ERR_NOMEM;
    mg_gram_run_cursor *cursors = mg_alloc_in(part, run_count * sizeof *cursors);
    uint32_t *heap = mg_alloc_in(part, run_count * sizeof *heap);
    if (cursors == NULL || heap == NULL) {
        mg_free_in(part, cursors, cursors == NULL ? 0 : run_count * sizeof *cursors);
        mg_free_in(part, heap, heap == NULL ? 0 : run_count * sizeof *heap);
        return MG_ERR_NOMEM;
    }
    merge->run_count = run_count;
    merge->cursors = cursors;
    merge->heap = heap;
    for (size_t index = 0; index < run_count; index++) {
        mg_gram_run_cursor_start(&cursors[index], &runs[index]);
        if (mg_gram_run_cursor_next(&cursors[index]))
            heap[merge->heap_size++] = (uint32_t)index;
    }
    for (size_t slot = merge->heap_size / 2; slot-- > 0;)
        sift_down(merge, slot);
    return MG_OK;
}

bool mg_gram_merge_next(mg_gram_merge *merge)
{
    if (merge->heap_size == 0)
        return false;
    const mg_gram_run_cursor *top = &merge->cursors[merge->heap[0]];
    memcpy(merge->ids, top->ids, sizeof merge->ids);
    uint64_t sum = top->count;
    advance_top(merge);
    while (merge->heap_size > 0) {
        top = &merge->cursors[merge->heap[0]];
        if (!ids_equal(top->ids, merge->ids, merge->order))
            break;
        sum = sum + top->count < sum ? UINT64_MAX : sum + top->count;
        advance_top(merge);
    }
    merge->count = sum > UINT32_MAX ? UINT32_MAX : sum;
    return true;
}

void mg_gram_merge_free(mg_gram_merge *merge)
{
    mg_free_in(merge->part, merge->cursors, merge->run_count * sizeof *merge->cursors);
    mg_free_in(merge->part, merge->heap, merge->run_count * sizeof *merge->heap);
    memset(merge, 0, sizeof *merge);
}
