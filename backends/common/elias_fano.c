/*
 * elias_fano.c — Elias–Fano sequences: see elias_fano.h for the layout and
 * its space formula. Select is sampled: the position of every 256th one
 * (and zero) of the high bits is kept, and the rest is found by popcounts
 * over the following words and a select inside the last one.
 */
#include "elias_fano.h"

#include "backend.h"
#include "mem.h"

#include <string.h>

/* ---- sizes ------------------------------------------------------------ */

/* l = floor(log2(max / n)), 0 when max < n: the split that makes the high
 * part shorter than 3n bits. */
static unsigned low_bits_for(uint64_t count, uint64_t max)
{
    uint64_t quotient = count ? max / count : 0;
    return quotient ? 63u - (unsigned)__builtin_clzll(quotient) : 0u;
}

typedef struct ef_shape {
    unsigned low_bits;
    uint64_t high_len;
    size_t low_words, high_words, ones_samples, zeros_samples, blocks;
} ef_shape;

static ef_shape shape_of(uint64_t count, uint64_t max)
{
    ef_shape shape;
    shape.low_bits = low_bits_for(count, max);
    uint64_t zeros = (max >> shape.low_bits) + 1; /* one ends each bucket */
    shape.high_len = count + zeros;
    shape.low_words = mg_bits_words(count, shape.low_bits);
    shape.high_words = mg_bits_words(shape.high_len, 1);
    shape.ones_samples = (size_t)(count / MG_EF_SAMPLE) + 1;
    shape.zeros_samples = (size_t)(zeros / MG_EF_SAMPLE) + 1;
    shape.blocks = (size_t)(shape.high_len / MG_EF_BLOCK) + 1;
    return shape;
}

static size_t shape_words(const ef_shape *shape)
{
    return shape->low_words + shape->high_words + shape->ones_samples + shape->zeros_samples + shape->blocks;
}

size_t mg_ef_bytes_for(uint64_t count, uint64_t max)
{
    if (count == 0)
        max = 0;
    ef_shape shape = shape_of(count, max);
    return shape_words(&shape) * sizeof(uint64_t);
}

/* ---- build ------------------------------------------------------------ */

int mg_ef_init(mg_ef *ef, uint64_t count, uint64_t max)
{
    memset(ef, 0, sizeof *ef);
    if (count == 0)
        max = 0;
    ef_shape shape = shape_of(count, max);
    if (count >= SIZE_MAX / 64 || shape.high_len >= SIZE_MAX / 64)
        return MG_ERR_NOMEM;
    size_t bytes = shape_words(&shape) * sizeof(uint64_t);
    uint64_t *block = mg_calloc(1, bytes);
    if (!block)
        return MG_ERR_NOMEM;
    ef->count = count;
    ef->max = max;
    ef->low_bits = shape.low_bits;
    ef->high_len = shape.high_len;
    ef->low = block;
    ef->high = ef->low + shape.low_words;
    ef->ones_at = ef->high + shape.high_words;
    ef->zeros_at = ef->ones_at + shape.ones_samples;
    ef->ones_before = ef->zeros_at + shape.zeros_samples;
    ef->ones_samples = (count + MG_EF_SAMPLE - 1) / MG_EF_SAMPLE;
    ef->zeros_samples = (shape.high_len - count + MG_EF_SAMPLE - 1) / MG_EF_SAMPLE;
    ef->blocks = shape.blocks;
    ef->block = block;
    ef->block_bytes = bytes;
    return MG_OK;
}

void mg_ef_push(mg_ef *ef, uint64_t value)
{
    uint64_t i = ef->pushed++;
    uint64_t low_mask = ef->low_bits ? (UINT64_C(1) << ef->low_bits) - 1 : 0;
    mg_bits_or(ef->low, i * ef->low_bits, ef->low_bits, value & low_mask);
    uint64_t at = (value >> ef->low_bits) + i;
    ef->high[at >> 6] |= UINT64_C(1) << (at & 63);
}

/* Position of the rank-th set bit of word (rank < popcount(word)). */
static inline unsigned select_in_word(uint64_t word, unsigned rank)
{
    unsigned base = 0;
    for (unsigned half = 32; half >= 8; half /= 2) {
        unsigned low = mg_popcount64(word & ((UINT64_C(1) << half) - 1));
        if (rank >= low) {
            rank -= low;
            word >>= half;
            base += half;
        }
    }
    for (; rank; rank--)
        word &= word - 1;
    return base + (unsigned)__builtin_ctzll(word);
}

static inline uint64_t word_of(const uint64_t *words, size_t index, int ones)
{
    return ones ? words[index] : ~words[index];
}

/* Record where every MG_EF_SAMPLE-th one (or zero) of the first len bits is. */
static void sample_positions(const uint64_t *words, uint64_t len, int ones, uint64_t *samples)
{
    uint64_t seen = 0, next = 0; /* bits of the kind so far; rank of the next sample */
    for (size_t index = 0; (uint64_t)index * 64 < len; index++) {
        uint64_t word = word_of(words, index, ones);
        uint64_t left = len - (uint64_t)index * 64;
        if (left < 64)
            word &= (UINT64_C(1) << left) - 1;
        unsigned here = mg_popcount64(word);
        for (; next < seen + here; next += MG_EF_SAMPLE)
            samples[next / MG_EF_SAMPLE] = (uint64_t)index * 64 + select_in_word(word, (unsigned)(next - seen));
        seen += here;
    }
}

void mg_ef_seal(mg_ef *ef)
{
    sample_positions(ef->high, ef->high_len, 1, ef->ones_at);
    sample_positions(ef->high, ef->high_len, 0, ef->zeros_at);
    uint64_t ones = 0;
    for (uint64_t block = 0; block < ef->blocks; block++) {
        ef->ones_before[block] = ones;
        for (size_t index = (size_t)block * (MG_EF_BLOCK / 64); index < (size_t)(block + 1) * (MG_EF_BLOCK / 64); index++)
            if ((uint64_t)index * 64 < ef->high_len)
                ones += mg_popcount64(ef->high[index]);
    }
}

void mg_ef_free(mg_ef *ef)
{
    mg_free(ef->block, ef->block_bytes);
    memset(ef, 0, sizeof *ef);
}

/* ---- queries ---------------------------------------------------------- */

/* Ones (or zeros) before rank directory block `block`. */
static inline uint64_t before_block(const mg_ef *ef, uint64_t block, int ones)
{
    return ones ? ef->ones_before[block] : block * MG_EF_BLOCK - ef->ones_before[block];
}

/* Position of the left-th one (or zero) of the high bits counted from bit
 * `shift` of word `index` on: popcounts over whole words, then a select in
 * the last one. */
static inline uint64_t select_from(const mg_ef *ef, size_t index, unsigned shift, uint64_t left, int ones)
{
    uint64_t word = word_of(ef->high, index, ones) & (~UINT64_C(0) << shift);
    for (;;) {
        unsigned here = mg_popcount64(word);
        if (left < here)
            return (uint64_t)index * 64 + select_in_word(word, (unsigned)left);
        left -= here;
        word = word_of(ef->high, ++index, ones);
    }
}

/* Position of the rank-th one (or zero) of the high bits: its sample; when
 * the next sample is near (the common, dense case) popcounts from the
 * sample on, with no other array read; else the last rank directory block
 * starting at or before it (binary search up to the next sample's block),
 * then popcounts from there. */
static uint64_t select_high(const mg_ef *ef, uint64_t rank, int ones)
{
    const uint64_t *samples = ones ? ef->ones_at : ef->zeros_at;
    uint64_t sample = rank / MG_EF_SAMPLE, held = ones ? ef->ones_samples : ef->zeros_samples;
    uint64_t from = samples[sample], to = sample + 1 < held ? samples[sample + 1] : ef->high_len;
    if (to - from <= MG_EF_SCAN_SPAN) /* dense: count on from the sample itself */
        return select_from(ef, (size_t)(from >> 6), (unsigned)(from & 63), rank % MG_EF_SAMPLE, ones);
    uint64_t low = from / MG_EF_BLOCK;
    uint64_t high = sample + 1 < held ? to / MG_EF_BLOCK : ef->blocks - 1;
    while (low < high) {
        uint64_t middle = low + (high - low + 1) / 2;
        if (before_block(ef, middle, ones) <= rank)
            low = middle;
        else
            high = middle - 1;
    }
    return select_from(ef, (size_t)low * (MG_EF_BLOCK / 64), 0, rank - before_block(ef, low, ones), ones);
}

static inline uint64_t low_of(const mg_ef *ef, uint64_t i)
{
    return mg_bits_get(ef->low, i * ef->low_bits, ef->low_bits);
}

uint64_t mg_ef_get(const mg_ef *ef, uint64_t i)
{
    uint64_t high = select_high(ef, i, 1) - i;
    return high << ef->low_bits | low_of(ef, i);
}

void mg_ef_iter_at(mg_ef_iter *it, const mg_ef *ef, uint64_t i)
{
    it->ef = ef;
    it->index = i;
    it->high_at = i < ef->count ? select_high(ef, i, 1) : ef->high_len;
}

uint64_t mg_ef_iter_next(mg_ef_iter *it)
{
    const mg_ef *ef = it->ef;
    size_t index = (size_t)(it->high_at >> 6);
    uint64_t word = ef->high[index] & (~UINT64_C(0) << (it->high_at & 63));
    while (word == 0)
        word = ef->high[++index];
    uint64_t at = (uint64_t)index * 64 + (unsigned)__builtin_ctzll(word);
    uint64_t value = (at - it->index) << ef->low_bits | low_of(ef, it->index);
    it->high_at = at + 1;
    it->index++;
    return value;
}

/* Position of zero number `bucket` (the end of that bucket), the bucket
 * starting at bit `start`: most buckets are short, so the next zero is
 * looked for in this word and the next before asking select. */
static uint64_t bucket_end(const mg_ef *ef, uint64_t start, uint64_t bucket)
{
    size_t index = (size_t)(start >> 6);
    uint64_t zeros = ~ef->high[index] & (~UINT64_C(0) << (start & 63));
    if (zeros == 0)
        zeros = ~ef->high[++index];
    if (zeros != 0)
        return (uint64_t)index * 64 + (unsigned)__builtin_ctzll(zeros);
    return select_high(ef, bucket, 0);
}

/* The values of bucket h = x >> l lie between zero number h - 1 and zero
 * number h of the high bits, and share their high part, so their low bits
 * are sorted: a binary search over them finds the first value >= x (a
 * bucket of a dense stretch may hold thousands). None there: the answer is
 * the first value of a later bucket. */
uint64_t mg_ef_next_geq(const mg_ef *ef, uint64_t x, uint64_t *value)
{
    if (ef->count == 0 || x > ef->max)
        return ef->count;
    uint64_t bucket = x >> ef->low_bits;
    uint64_t start = bucket ? select_high(ef, bucket - 1, 0) + 1 : 0; /* the bucket's first bit */
    uint64_t end = bucket_end(ef, start, bucket) - bucket, low = start - bucket, high = end;
    uint64_t low_mask = ef->low_bits ? (UINT64_C(1) << ef->low_bits) - 1 : 0, wanted = x & low_mask;
    while (low < high) {
        uint64_t middle = low + (high - low) / 2;
        if (low_of(ef, middle) < wanted)
            low = middle + 1;
        else
            high = middle;
    }
    if (low < end) {
        *value = bucket << ef->low_bits | low_of(ef, low);
        return low;
    }
    if (low >= ef->count)
        return ef->count;
    *value = mg_ef_get(ef, low);
    return low;
}
