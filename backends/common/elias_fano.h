/*
 * elias_fano.h — Elias–Fano coding of a monotone (non-decreasing) sequence of
 * 64-bit integers, searchable without decompressing; and the fixed-width bit
 * fields it is made of (mg_bits_get/set), shared with other packed arrays.
 *
 * n values v_0 <= v_1 <= ... <= v_{n-1} <= max are split at l bits:
 *
 *   low:  the l low bits of each value, packed            n l bits
 *   high: v_i >> l in unary: a one at (v_i >> l) + i,      n + (max >> l) + 1 bits
 *         so the j-th zero ends bucket j (the values whose high part is j)
 *   select samples of the ones of high:
 *     far:  the position of every 1024th (uint64)
 *     near: the position of every 64th, less its far sample (uint16;
 *           0xffff when it does not fit: a sparse stretch)
 *   rank directory: the ones before each 2048-bit block of high (uint64)
 *
 * With l = floor(log2(max / n)) the high part has fewer than 3n bits, and
 * the whole takes at most
 *
 *     2 + ceil(log2(u / n)) bits per value   (u = max + 1)
 *   + (16 / 64 + 64 / 1024) n bits of samples
 *   + 64 (n + zeros) / 2048 bits of rank directory  (zeros = (max >> l) + 1 <= 2n)
 *
 * i.e. about 2 + log2(u/n) + 0.4 bits a value. access(i) is one select on
 * the high bits and one read of the low bits, fetched together;
 * next_geq(x) a binary search of the sampled values (their high parts
 * are the samples, so a probe reads only low bits; each step requests the
 * next step's two candidates), then at most 64 values read in order. A
 * cursor crossing a long run of zeros (past a few words) jumps it through
 * the rank directory (below). A select starts at its
 * near sample, whose cache line is usually the one it ends in: when the
 * next near sample lies within MG_EF_SCAN_SPAN bits (the usual case: 64
 * ones span ~3 x 64 bits) it popcounts on from the sample; else (a long
 * run of zeros, or no near sample) it goes to the right 2048-bit block by
 * binary search over the rank directory, then popcounts at most 32 words,
 * so a skewed sequence costs no more than a few cache lines.
 *
 * Built in one pass: mg_ef_init(part, count, max), mg_ef_push() each value
 * in order, mg_ef_seal(). One allocation, through mem.h, counted against
 * the part (mem.h's tag) of the table the sequence belongs to.
 */
#ifndef MG_ELIAS_FANO_H
#define MG_ELIAS_FANO_H

#include "image.h"

#include <stddef.h>
#include <stdint.h>

/* ---- fixed-width bit fields ------------------------------------------- */

/* Set bits of a word. x86-64 builds without -mpopcnt would make
 * __builtin_popcountll a library call; the broadword sum is inline. */
static inline unsigned mg_popcount64(uint64_t word)
{
#if defined(__POPCNT__) || !defined(__x86_64__)
    return (unsigned)__builtin_popcountll(word);
#else
    word -= (word >> 1) & UINT64_C(0x5555555555555555);
    word = (word & UINT64_C(0x3333333333333333)) + ((word >> 2) & UINT64_C(0x3333333333333333));
    word = (word + (word >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
    return (unsigned)((word * UINT64_C(0x0101010101010101)) >> 56);
#endif
}

/* Words of a packed array of count fields of width bits, with the one word
 * of padding mg_bits_get may read past the last field. */
static inline size_t mg_bits_words(uint64_t count, unsigned width)
{
    return (size_t)((count * width + 63) / 64) + 1;
}

/* The width-bit field (width <= 64) starting at bit position `at`. */
static inline uint64_t mg_bits_get(const uint64_t *words, uint64_t at, unsigned width)
{
    if (width == 0)
        return 0;
    uint64_t word = at >> 6;
    unsigned shift = (unsigned)(at & 63);
    uint64_t value = words[word] >> shift;
    if (shift + width > 64)
        value |= words[word + 1] << (64 - shift);
    return width == 64 ? value : value & ((UINT64_C(1) << width) - 1);
}

/* Store value (< 2^width) in the width-bit field at `at`, whose bits are zero. */
static inline void mg_bits_or(uint64_t *words, uint64_t at, unsigned width, uint64_t value)
{
    if (width == 0)
        return;
    uint64_t word = at >> 6;
    unsigned shift = (unsigned)(at & 63);
    words[word] |= value << shift;
    if (shift + width > 64)
        words[word + 1] |= value >> (64 - shift);
}

/* ---- Elias–Fano ------------------------------------------------------- */

enum {
    MG_EF_SAMPLE_FAR = 1024, /* a uint64 select sample every this many ones */
    MG_EF_SAMPLE_NEAR = 64,  /* a uint16 select sample every this many, from the far one */
    MG_EF_BLOCK = 2048,      /* bits per rank directory entry */
    MG_EF_SCAN_SPAN = 1024,  /* near samples this close: select counts from the sample */
};

typedef struct mg_ef {
    uint64_t count;        /* n */
    uint64_t max;          /* the bound every value is under or at */
    uint64_t pushed;       /* values pushed so far (count once sealed) */
    unsigned low_bits;     /* l */
    int part;              /* mem.h's tag of the block (in low_bits' padding: the struct keeps its size) */
    uint64_t high_len;     /* bits of the high part */
    uint64_t *low;         /* n l bits */
    uint64_t *high;        /* high_len bits */
    uint64_t *far;         /* position of one number k * MG_EF_SAMPLE_FAR */
    uint16_t *near;        /* position of one number k * MG_EF_SAMPLE_NEAR less its far sample, or 0xffff */
    uint64_t samples;      /* near samples held */
    uint64_t *ones_before; /* ones before each MG_EF_BLOCK-bit block of high */
    uint64_t blocks;       /* rank directory entries */
    uint64_t *block;       /* the one allocation holding the arrays */
    size_t block_bytes;
} mg_ef;

/* Bytes an Elias–Fano sequence of count values up to max takes (the block). */
size_t mg_ef_bytes_for(uint64_t count, uint64_t max);

/* An empty sequence of room for count values in [0, max], its block
 * counted against `part`. MG_OK or MG_ERR_NOMEM (then *ef holds nothing
 * and mg_ef_free is harmless). */
int mg_ef_init(mg_ef *ef, int part, uint64_t count, uint64_t max);
/* Append the next value (>= the previous one, <= max). */
void mg_ef_push(mg_ef *ef, uint64_t value);
/* All count values pushed: build the select samples. */
void mg_ef_seal(mg_ef *ef);
void mg_ef_free(mg_ef *ef);
/* Lists the sequence's one block, and the arrays inside it, for a frozen
 * image (image.h). */
void mg_ef_list_blocks(mg_ef *ef, mg_image_list *list);

/* v_i, for i < count. */
uint64_t mg_ef_get(const mg_ef *ef, uint64_t i);
/* Position of the first value >= x (count when there is none); the value
 * itself in *value when there is one. */
uint64_t mg_ef_next_geq(const mg_ef *ef, uint64_t x, uint64_t *value);
/* The same among positions [from, to): the first there whose value is >= x,
 * or to (capped at count) when there is none. */
uint64_t mg_ef_next_geq_in(const mg_ef *ef, uint64_t from, uint64_t to, uint64_t x, uint64_t *value);

/* Reading many values, one per lookup of a batch, in two rounds of
 * requests before the reads, so their cache misses overlap: first value
 * i's select samples and low bits; then, once those have come, the word of
 * high bits its near sample points at. Nothing is read for i >= count. */
void mg_ef_prefetch(const mg_ef *ef, uint64_t i);
void mg_ef_prefetch_high(const mg_ef *ef, uint64_t i);

/* A forward cursor: values from a position on, one step each. */
typedef struct mg_ef_iter {
    const mg_ef *ef;
    uint64_t index;     /* position of the value the next call returns */
    uint64_t high_at;   /* bit position just past the previous one in high */
} mg_ef_iter;

/* Cursor at position i (i <= count). */
void mg_ef_iter_at(mg_ef_iter *it, const mg_ef *ef, uint64_t i);
/* The value at the cursor, then moves it on; only while index < count. */
uint64_t mg_ef_iter_next(mg_ef_iter *it);
/* Moves the cursor on past the values whose high part is below x's (so
 * all below x), never back: a few words of high bits, not one step a
 * value. Past the end when every value is below x. */
void mg_ef_iter_skip_below(mg_ef_iter *it, uint64_t x);

#endif
