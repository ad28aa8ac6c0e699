/*
 * gram_runs.h — sorted runs of grams (id tuples with their counts),
 * bit-coded: what the compact backends' streaming build spills its bounded
 * training table into, and what finalize merges into the final layout.
 *
 * A run holds distinct grams of `order` ids (uint32), strictly increasing
 * as unsigned tuples, each with a count >= 1. Record r is coded after
 * record r - 1 (the first after an all-zero "previous" with k = 0):
 *
 *   | k code | gap code | ids k+1 .. order-1, id_bits each | count code |
 *
 *   k: the first position where r's ids differ from r - 1's (0 .. order-1);
 *   gap: ids[k] - previous[k] (>= 1; the first record: ids[0] + 1);
 *   count: the count (>= 1), in a universal code.
 *
 * Property the in-place filter relies on (proved in gram_runs.c, tested):
 * dropping records never makes the coded stream longer, so a filter
 * rewrites a run in place, the writer behind the reader, without memory.
 *
 * Sample index: every MG_GRAM_RUN_SAMPLE-th record's ids and bit offset,
 * so a lookup is a binary search of the samples and a scan of at most
 * MG_GRAM_RUN_SAMPLE records. The codes (unary k, Elias-delta gap,
 * Elias-gamma count) and the property's proof are in gram_runs.c.
 *
 * Every heap byte goes through mem.h, counted against the part (mem.h's
 * tag) a run or merge is opened with; fallible calls return MG_OK or
 * MG_ERR_NOMEM and then leave the run as it was (empty when new).
 */
#ifndef MG_GRAM_RUNS_H
#define MG_GRAM_RUNS_H

#include "../backend.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    MG_GRAM_RUN_SAMPLE = 64, /* records between two samples of the index */
};

typedef struct mg_gram_run {
    int part;             /* mem.h's tag of its blocks */
    int order;            /* ids per record, 1..MG_ORDER_MAX */
    unsigned id_bits;     /* width of the raw ids (1..32): covers the largest id */
    uint64_t records;     /* records held */
    uint64_t bit_length;  /* bits of code used */
    uint64_t *code;       /* the coded records (mg_bits layout: bit i of word i / 64) */
    size_t code_bytes;    /* the block's size, for mg_free */
    uint32_t *samples;    /* per sample: order ids, then the bit offset (low, high 32 bits);
                           * the block's last order + 2 words: the last record put */
    size_t samples_bytes; /* the block's size, for mg_free */
} mg_gram_run;

/* Bits record (ids, count) takes when coded after `previous` (NULL: it is
 * the first record), at id_bits: for sizing a run before writing it. */
uint64_t mg_gram_run_record_bits(const uint32_t *previous, const uint32_t *ids, uint64_t count, int order,
                                 unsigned id_bits);

/* A new empty run sized for `records` records taking `bits` bits in all
 * (as mg_gram_run_record_bits sums them), to be filled by mg_gram_run_put,
 * its blocks counted against `part`. MG_OK or MG_ERR_NOMEM (nothing held
 * then). */
int mg_gram_run_open(mg_gram_run *run, int part, int order, unsigned id_bits, uint64_t records, uint64_t bits);

/* Appends a record (ids greater than the last one's, each below
 * 2^id_bits, count >= 1) to a run opened for it (at most `records`
 * records, `bits` bits in all); no allocation. */
void mg_gram_run_put(mg_gram_run *run, const uint32_t *ids, uint64_t count);

/* Codes `count` records of order + 1 uint32 (ids, then the count), sorted
 * and distinct, into a new run: sizes it, opens it, puts each. */
int mg_gram_run_encode(mg_gram_run *run, int part, int order, const uint32_t *records, uint64_t count);

/* Frees what the run holds; it is then empty (zeroed). */
void mg_gram_run_free(mg_gram_run *run);

/* Bytes the run holds through mem.h. */
size_t mg_gram_run_bytes(const mg_gram_run *run);

/* The count of ids in the run, 0 when absent. */
uint64_t mg_gram_run_count(const mg_gram_run *run, const uint32_t *ids);

/* Decodes every record into `records` (run->records records of order + 1
 * uint32: ids, then the count clamped to UINT32_MAX). */
void mg_gram_run_decode(const mg_gram_run *run, uint32_t *records);

/* Drops, in place and without allocating, the records for which keep()
 * returns false; the sample index is rebuilt in place. Returns the records
 * dropped. keep() may read this run (mg_gram_run_count) only through
 * its `arg`, never this run, which is being rewritten. */
typedef bool (*mg_gram_keep)(void *arg, const uint32_t *ids, uint64_t count);
uint64_t mg_gram_run_filter(mg_gram_run *run, mg_gram_keep keep, void *arg);

/* ---- reading a run in order ---------------------------------------------- */

typedef struct mg_gram_run_cursor {
    const mg_gram_run *run;
    uint64_t index;                /* records read */
    uint64_t bit;                  /* where the next record's code starts */
    uint32_t ids[MG_ORDER_MAX];    /* the record last read */
    uint64_t count;
} mg_gram_run_cursor;

/* A cursor before the run's first record. */
void mg_gram_run_cursor_start(mg_gram_run_cursor *cursor, const mg_gram_run *run);

/* A cursor before the first record whose first `prefix_len` ids are >=
 * prefix (as a tuple): a context's grams are then read with next() until
 * their prefix differs. Uses the samples (no scan from the start). */
void mg_gram_run_cursor_seek(mg_gram_run_cursor *cursor, const mg_gram_run *run, const uint32_t *prefix,
                             int prefix_len);

/* Reads the next record into cursor->ids and cursor->count; false at the end. */
bool mg_gram_run_cursor_next(mg_gram_run_cursor *cursor);

/* ---- merging runs ------------------------------------------------------- */

/* The grams of several runs in id order, each once, its counts summed
 * (saturating at UINT32_MAX). A min-heap of cursors. */
typedef struct mg_gram_merge {
    int part; /* mem.h's tag of its two arrays */
    int order;
    size_t run_count;
    mg_gram_run_cursor *cursors; /* run_count cursors (mem.h) */
    uint32_t *heap;              /* cursors ordered by their current ids (mem.h) */
    size_t heap_size;
    uint32_t ids[MG_ORDER_MAX];  /* the gram last read */
    uint64_t count;
} mg_gram_merge;

/* A merge of runs[0 .. run_count) before its first gram, its arrays
 * counted against `part`. MG_OK or MG_ERR_NOMEM. The runs must outlive it
 * and not change meanwhile. */
int mg_gram_merge_start(mg_gram_merge *merge, int part, const mg_gram_run *runs, size_t run_count);

/* The next gram (ids and summed count in merge->ids, merge->count); false at the end. */
bool mg_gram_merge_next(mg_gram_merge *merge);

/* Frees the merge's arrays. */
void mg_gram_merge_free(mg_gram_merge *merge);

#endif
