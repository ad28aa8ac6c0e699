/*
 * gram_batch.h — the reader's n-grams gathered into batches for a table's
 * add_many (backend.h), so a backend can hash a whole batch and overlap its
 * cache misses. A gram from mg_reader_next is valid only until the next
 * call, so each batch copies its grams' words into an arena of its own:
 *
 *   tokens: | g0 t0 | g0 t1 | g0 t2 | g1 t0 | ...   count x order tokens, end to end
 *   arena:  | word bytes, end to end |               mapped at open (outside the
 *                                                    allocator, like the reader's slots)
 *
 * The arena grows by a remap for a batch of long words; the batch's tokens
 * are then moved with it.
 */
#ifndef MG_GRAM_BATCH_H
#define MG_GRAM_BATCH_H

#include "backend.h"
#include "tokenize.h"

#include <stddef.h>

#define MG_GRAM_BATCH 64 /* grams per batch: training's add_many calls */

typedef struct mg_gram_batch {
    mg_token tokens[MG_GRAM_BATCH * MG_ORDER_MAX]; /* count grams of order tokens each */
    size_t count;
    int order;
    unsigned char *arena; /* the words' bytes */
    size_t arena_size, arena_used;
} mg_gram_batch;

/* An empty batch for grams of order; 0, or -1 when the arena could not be mapped. */
int mg_gram_batch_open(mg_gram_batch *batch, int order);

/* Empties the batch and fills it with up to MG_GRAM_BATCH grams from the
 * reader. Returns what the reader's last call said: 1 when more grams may
 * follow, 0 at the corpus's end, or the reader's error (MG_READ_ERROR,
 * MG_READ_NO_MEMORY), also MG_READ_NO_MEMORY when the arena cannot grow.
 * The batch's grams are valid in every case, and are to be added first. */
int mg_gram_batch_fill(mg_gram_batch *batch, mg_reader *reader);

/* Touches the arena's first pages, so a run's training adds nothing to RSS for them. */
void mg_gram_batch_prefault(mg_gram_batch *batch);

void mg_gram_batch_close(mg_gram_batch *batch);

#endif
