/*
 * elias_fano.c — Elias–Fano sequences: see elias_fano.h for the layout and
 * its space formula. Select is sampled: the position of every 64th one of
 * the high bits is kept in two levels (a uint64 every 1024th, a uint16
 * offset from it every 64th), and the rest is found by popcounts over the
 * following words and a select inside the last one. next_geq searches the
 * sampled values, then reads on from the last one below its target.
 */
#include "elias_fano.h"

#include "backend.h"
#include "mem.h"

#include <string.h>

enum {
    NEAR_NONE = UINT16_MAX, /* a near sample too far from its far one */
    NEAR_PER_FAR = MG_EF_SAMPLE_FAR / MG_EF_SAMPLE_NEAR,
};

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
    size_t low_words, high_words, far_samples, near_words, blocks;
} ef_shape;

static inline uint64_t samples_for(uint64_t bits, uint64_t period)
{
    return (bits + period - 1) / period;
}

static ef_shape shape_of(uint64_t count, uint64_t max)
{
    ef_shape shape;
    shape.low_bits = low_bits_for(count, max);
    shape.high_len = count + (max >> shape.low_bits) + 1; /* a zero ends each bucket */
    shape.low_words = mg_bits_words(count, shape.low_bits);
    shape.high_words = mg_bits_words(shape.high_len, 1);
    shape.far_samples = (size_t)samples_for(count, MG_EF_SAMPLE_FAR);
    shape.near_words = (size_t)(samples_for(count, MG_EF_SAMPLE_NEAR) + 3) / 4;
    shape.blocks = (size_t)(shape.high_len / MG_EF_BLOCK) + 1;
    return shape;
}

static size_t shape_words(const ef_shape *shape)
{
    return shape->low_words + shape->high_words + shape->far_samples + shape->near_words + shape->blocks;
}

size_t mg_ef_bytes_for(uint64_t count, uint64_t max)
{
    if (count == 0)
        max = 0;
    ef_shape shape = shape_of(count, max);
    return shape_words(&shape) * sizeof(uint64_t);
}

/* ---- build ------------------------------------------------------------ */

int mg_ef_init(mg_ef *ef, int part, uint64_t count, uint64_t max)
{
    memset(ef, 0, sizeof *ef);
    ef->part = part;
    if (count == 0)
        max = 0;
    ef_shape shape = shape_of(count, max);
    if (count >= SIZE_MAX / 64 || shape.high_len >= SIZE_MAX / 64)
        return MG_ERR_NOMEM;
    size_t bytes = shape_words(&shape) * sizeof(uint64_t);
    uint64_t *block = mg_calloc_in(part, 1, bytes);
    if (!block)
        return MG_ERR_NOMEM;
    ef->count = count;
    ef->max = max;
    ef->low_bits = shape.low_bits;
    ef->high_len = shape.high_len;
    ef->low = block;
    ef->high = ef->low + shape.low_words;
    ef->far = ef->high + shape.high_words;
    ef->near = (uint16_t *)(ef->far + shape.far_samples);
    ef->samples = samples_for(count, MG_EF_SAMPLE_NEAR);
    ef->ones_before = ef->far + shape.far_samples + shape.near_words;
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

/* Position of the rank-th set bit of word (rank < popcount(word)),
 * broadword: the ones of bytes 0 .. i summed in byte i (one multiply),
 * every byte compared with rank at once (no borrow crosses a byte: sums
 * are at most 64), then the few ones left inside the byte found. */
static inline unsigned select_in_word(uint64_t word, unsigned rank)
{
    const uint64_t ones8 = UINT64_C(0x0101010101010101), high8 = UINT64_C(0x8080808080808080);
    uint64_t sums = word - ((word >> 1) & UINT64_C(0x5555555555555555));
    sums = (sums & UINT64_C(0x3333333333333333)) + ((sums >> 2) & UINT64_C(0x3333333333333333));
    sums = ((sums + (sums >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f)) * ones8;
    uint64_t past = ((sums | high8) - (uint64_t)(rank + 1) * ones8) & high8; /* bytes whose sum passes rank */
    unsigned place = (unsigned)__builtin_ctzll(past) & ~7u;
    unsigned left = rank - (unsigned)(((sums << 8) >> place) & 0xff);
    uint64_t byte = (word >> place) & 0xff;
    for (; left; left--)
        byte &= byte - 1;
    return place + (unsigned)__builtin_ctzll(byte);
}

/* Record where every MG_EF_SAMPLE_NEAR-th one of the high bits is, in two
 * levels. */
static void sample_positions(mg_ef *ef)
{
    uint64_t seen = 0, next = 0; /* ones so far; rank of the next sample */
    for (size_t index = 0; next < ef->count; index++) {
        uint64_t word = ef->high[index];
        unsigned here = mg_popcount64(word);
        for (; next < seen + here; next += MG_EF_SAMPLE_NEAR) {
            uint64_t at = (uint64_t)index * 64 + select_in_word(word, (unsigned)(next - seen));
            uint64_t sample = next / MG_EF_SAMPLE_NEAR;
            if (sample % NEAR_PER_FAR == 0)
                ef->far[sample / NEAR_PER_FAR] = at;
            uint64_t offset = at - ef->far[sample / NEAR_PER_FAR];
            ef->near[sample] = offset < NEAR_NONE ? (uint16_t)offset : NEAR_NONE;
        }
        seen += here;
    }
}

void mg_ef_seal(mg_ef *ef)
{
    sample_positions(ef);
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
    mg_free_in(ef->part, ef->block, ef->block_bytes);
    memset(ef, 0, sizeof *ef);
}

void mg_ef_list_blocks(mg_ef *ef, mg_image_list *list)
{
    mg_image_list_block(list, ef->part, &ef->block, ef->block_bytes);
    mg_image_list_inner(list, &ef->low);
    mg_image_list_inner(list, &ef->high);
    mg_image_list_inner(list, &ef->far);
    mg_image_list_inner(list, &ef->near);
    mg_image_list_inner(list, &ef->ones_before);
}

/* ---- queries ---------------------------------------------------------- */

/* Position of the left-th one of the high bits counted from bit `shift` of
 * word `index` on: popcounts over whole words, then a select in the last. */
static inline uint64_t select_from(const mg_ef *ef, size_t index, unsigned shift, uint64_t left)
{
    uint64_t word = ef->high[index] & (~UINT64_C(0) << shift);
    for (;;) {
        unsigned here = mg_popcount64(word);
        if (left < here)
            return (uint64_t)index * 64 + select_in_word(word, (unsigned)left);
        left -= here;
        word = ef->high[++index];
    }
}

/* Position of one number sample * MG_EF_SAMPLE_NEAR, or UINT64_MAX when its
 * offset did not fit. */
static inline uint64_t near_sample(const mg_ef *ef, uint64_t sample)
{
    uint16_t offset = ef->near[sample];
    return offset == NEAR_NONE ? UINT64_MAX : ef->far[sample / NEAR_PER_FAR] + offset;
}

/* Position of the rank-th one of the high bits: from its near sample when
 * the next one is near (the common case: one cache line); else the last
 * rank directory block starting at or before it (binary search between
 * the samples around it), then popcounts from there. */
static uint64_t select_high(const mg_ef *ef, uint64_t rank)
{
    uint64_t sample = rank / MG_EF_SAMPLE_NEAR, far = rank / MG_EF_SAMPLE_FAR;
    uint64_t from = near_sample(ef, sample);
    uint64_t to = sample + 1 < ef->samples ? near_sample(ef, sample + 1) : ef->high_len;
    if (from != UINT64_MAX && to != UINT64_MAX && to - from <= MG_EF_SCAN_SPAN)
        return select_from(ef, (size_t)(from >> 6), (unsigned)(from & 63), rank % MG_EF_SAMPLE_NEAR);
    if (from == UINT64_MAX)
        from = ef->far[far];
    if (to == UINT64_MAX) /* the next far sample, past the rank too */
        to = (far + 1) * NEAR_PER_FAR < ef->samples ? ef->far[far + 1] : ef->high_len;
    uint64_t low = from / MG_EF_BLOCK, high = to / MG_EF_BLOCK < ef->blocks ? to / MG_EF_BLOCK : ef->blocks - 1;
    while (low < high) {
        uint64_t middle = low + (high - low + 1) / 2;
        if (ef->ones_before[middle] <= rank)
            low = middle;
        else
            high = middle - 1;
    }
    return select_from(ef, (size_t)low * (MG_EF_BLOCK / 64), 0, rank - ef->ones_before[low]);
}

static inline uint64_t low_of(const mg_ef *ef, uint64_t i)
{
    return mg_bits_get(ef->low, i * ef->low_bits, ef->low_bits);
}

/* Value i's low bits are where a select will want them: fetched while the
 * select reads the high bits, the two cache misses overlap. */
static inline void low_prefetch(const mg_ef *ef, uint64_t i)
{
    __builtin_prefetch(ef->low + ((i * ef->low_bits) >> 6));
}

void mg_ef_prefetch(const mg_ef *ef, uint64_t i)
{
    if (i >= ef->count)
        return;
    uint64_t sample = i / MG_EF_SAMPLE_NEAR;
    __builtin_prefetch(&ef->near[sample]);
    __builtin_prefetch(&ef->far[sample / NEAR_PER_FAR]);
    low_prefetch(ef, i);
}

void mg_ef_prefetch_high(const mg_ef *ef, uint64_t i)
{
    if (i >= ef->count)
        return;
    uint64_t at = near_sample(ef, i / MG_EF_SAMPLE_NEAR);
    if (at != UINT64_MAX)
        __builtin_prefetch(&ef->high[at >> 6]);
}

uint64_t mg_ef_get(const mg_ef *ef, uint64_t i)
{
    low_prefetch(ef, i);
    uint64_t high = select_high(ef, i) - i;
    return high << ef->low_bits | low_of(ef, i);
}

void mg_ef_iter_at(mg_ef_iter *it, const mg_ef *ef, uint64_t i)
{
    it->ef = ef;
    it->index = i;
    low_prefetch(ef, i);
    it->high_at = i < ef->count ? select_high(ef, i) : ef->high_len;
}

enum { SCAN_WORDS = 8 }; /* words of high read in order before a run of zeros is jumped */

/* The last rank directory block in [low, high) whose ones_before is <= ones:
 * a gallop from low (ones_before[low] <= ones), then a binary search. The
 * directory is small (a uint64 every 2048 bits), so its reads are cache hits. */
static uint64_t block_of_one(const mg_ef *ef, uint64_t low, uint64_t ones)
{
    uint64_t step = 1;
    while (low + step < ef->blocks && ef->ones_before[low + step] <= ones) {
        low += step;
        step *= 2;
    }
    uint64_t high = low + step < ef->blocks ? low + step : ef->blocks;
    while (high - low > 1) {
        uint64_t middle = low + (high - low) / 2;
        if (ef->ones_before[middle] <= ones)
            low = middle;
        else
            high = middle;
    }
    return low;
}

/* Requests the cache lines of high words [from, to). */
static inline void high_prefetch(const mg_ef *ef, size_t from, size_t to)
{
    for (size_t index = from; index < to; index += 8)
        __builtin_prefetch(&ef->high[index]);
    __builtin_prefetch(&ef->high[to - 1]);
}

/* The first word after `index` with a one, in *word; `ones` is the number
 * of ones before it (one exists after it). A short run of zeros is read
 * word by word; a long one (a node with many children, a gap in a group)
 * is jumped through the rank directory to the block holding the one, whose
 * lines are requested together: a few cache misses, not one a line. */
static size_t next_one_word(const mg_ef *ef, size_t index, uint64_t ones, uint64_t *word)
{
    for (size_t end = index + SCAN_WORDS; ++index < end;)
        if ((*word = ef->high[index]) != 0)
            return index;
    uint64_t block = block_of_one(ef, (uint64_t)index * 64 / MG_EF_BLOCK, ones);
    size_t from = (size_t)block * (MG_EF_BLOCK / 64);
    if (from > index)
        index = from;
    size_t block_end = from + MG_EF_BLOCK / 64, words = (size_t)((ef->high_len + 63) / 64);
    high_prefetch(ef, index, block_end < words ? block_end : words);
    while ((*word = ef->high[index]) == 0)
        index++;
    return index;
}

uint64_t mg_ef_iter_next(mg_ef_iter *it)
{
    const mg_ef *ef = it->ef;
    size_t index = (size_t)(it->high_at >> 6);
    uint64_t word = ef->high[index] & (~UINT64_C(0) << (it->high_at & 63));
    if (word == 0) /* the ones before the cursor are the values before it */
        index = next_one_word(ef, index, it->index, &word);
    uint64_t at = (uint64_t)index * 64 + (unsigned)__builtin_ctzll(word);
    uint64_t value = (at - it->index) << ef->low_bits | low_of(ef, it->index);
    it->high_at = at + 1;
    it->index++;
    return value;
}

/* The zeros before the cursor's bit number its bucket; those up to x's
 * bucket are passed a word at a time (popcounts), not value by value. */
void mg_ef_iter_skip_below(mg_ef_iter *it, uint64_t x)
{
    const mg_ef *ef = it->ef;
    if (x > ef->max) { /* every value is below x */
        it->index = ef->count;
        it->high_at = ef->high_len;
        return;
    }
    uint64_t high = x >> ef->low_bits, passed = it->high_at - it->index; /* zeros before the cursor */
    if (high <= passed)
        return;
    uint64_t zeros = high - passed; /* to pass, the last one being zero number high - 1 */
    size_t index = (size_t)(it->high_at >> 6);
    uint64_t word = ~ef->high[index] & (~UINT64_C(0) << (it->high_at & 63));
    for (;;) {
        unsigned here = mg_popcount64(word);
        if (zeros <= here) {
            uint64_t zero = (uint64_t)index * 64 + select_in_word(word, (unsigned)(zeros - 1));
            it->high_at = zero + 1;
            it->index = zero + 1 - high;
            return;
        }
        zeros -= here;
        word = ~ef->high[++index];
    }
}

/* The value at position sample * MG_EF_SAMPLE_NEAR: its high part from the
 * sample itself (no select when the offset fit). */
static uint64_t sampled_value(const mg_ef *ef, uint64_t sample)
{
    uint64_t i = sample * MG_EF_SAMPLE_NEAR;
    low_prefetch(ef, i);
    uint64_t at = near_sample(ef, sample);
    if (at == UINT64_MAX)
        at = select_high(ef, i);
    return (at - i) << ef->low_bits | low_of(ef, i);
}

/* Requests what sampled_value(sample) reads: its low bits and near sample. */
static inline void sampled_prefetch(const mg_ef *ef, uint64_t sample)
{
    low_prefetch(ef, sample * MG_EF_SAMPLE_NEAR);
    __builtin_prefetch(&ef->near[sample]);
}

/* A binary search of the sampled values in [from, to) finds the last one
 * below x, each step requesting the two samples the next may read, so
 * that its cache miss overlaps this one's; from that sample the cursor
 * skips to x's bucket (x >> l), whose few values are read in order. */
uint64_t mg_ef_next_geq_in(const mg_ef *ef, uint64_t from, uint64_t to, uint64_t x, uint64_t *value)
{
    if (to > ef->count)
        to = ef->count;
    if (from >= to || x > ef->max)
        return to;
    uint64_t first = (from + MG_EF_SAMPLE_NEAR - 1) / MG_EF_SAMPLE_NEAR; /* samples in [from, to) */
    uint64_t low = first, high = (to - 1) / MG_EF_SAMPLE_NEAR + 1;
    while (low < high) { /* the first sample at or above x */
        uint64_t middle = low + (high - low) / 2;
        if (middle > low)
            sampled_prefetch(ef, low + (middle - low) / 2);
        if (high > middle + 1)
            sampled_prefetch(ef, middle + 1 + (high - middle - 1) / 2);
        if (sampled_value(ef, middle) < x)
            low = middle + 1;
        else
            high = middle;
    }
    uint64_t start = low > first ? (low - 1) * MG_EF_SAMPLE_NEAR : from;
    mg_ef_iter it;
    mg_ef_iter_at(&it, ef, start);
    mg_ef_iter_skip_below(&it, x);
    for (uint64_t at = it.index; at < to; at++) {
        uint64_t found = mg_ef_iter_next(&it);
        if (found >= x) {
            *value = found;
            return at;
        }
    }
    return to;
}

uint64_t mg_ef_next_geq(const mg_ef *ef, uint64_t x, uint64_t *value)
{
    return mg_ef_next_geq_in(ef, 0, ef->count, x, value);
}
