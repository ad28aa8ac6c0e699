/* gram_batch.c — see gram_batch.h. */
#include "gram_batch.h"
#include "mapping.h"

#include <stdint.h>
#include <string.h>

#define ARENA_PREFAULT ((size_t)64 << 10) /* 64 grams of order 5 of words up to 200 bytes */

int mg_gram_batch_open(mg_gram_batch *batch, int order)
{
    memset(batch, 0, sizeof *batch);
    batch->order = order;
    batch->arena = mg_map(ARENA_PREFAULT);
    if (!batch->arena)
        return -1;
    batch->arena_size = ARENA_PREFAULT;
    return 0;
}

/* The batch's word pointers moved from the arena at old_base to the one at
 * new_base (a remap that moved it); tokens counts the tokens filled so far. */
static void rebase(mg_gram_batch *batch, uintptr_t old_base, size_t tokens)
{
    for (size_t index = 0; index < tokens; index++) {
        mg_token *token = &batch->tokens[index];
        if (!mg_token_is_marker(token))
            token->bytes = batch->arena + ((uintptr_t)token->bytes - old_base);
    }
}

/* *copy = word, its bytes copied into the arena (a marker as it is); 0, or
 * -1 when the arena could not grow. copy is the batch's token number
 * `index`: those before it are rebased if the arena moves. */
static int copy_word(mg_gram_batch *batch, const mg_token *word, size_t index)
{
    mg_token *copy = &batch->tokens[index];
    *copy = *word;
    if (mg_token_is_marker(word))
        return 0;
    if (batch->arena_used + word->len > batch->arena_size) {
        uintptr_t old_base = (uintptr_t)batch->arena;
        unsigned char *grown = mg_map_grow(batch->arena, &batch->arena_size, batch->arena_used + word->len);
        if (!grown)
            return -1;
        batch->arena = grown;
        if ((uintptr_t)grown != old_base)
            rebase(batch, old_base, index);
    }
    memcpy(batch->arena + batch->arena_used, word->bytes, word->len);
    copy->bytes = batch->arena + batch->arena_used;
    batch->arena_used += word->len;
    return 0;
}

/* Appends gram, its words copied into the arena. A word before the last
 * position was the next position's word in the gram before (the window
 * slides by one word within a sentence, and a new sentence starts with
 * markers), so once the batch has a gram only the last word is copied.
 * 0, or -1 when the arena could not grow. */
static int append_gram(mg_gram_batch *batch, const mg_token *gram)
{
    size_t order = (size_t)batch->order, first = batch->count * order;
    mg_token *copy = &batch->tokens[first];
    size_t position = 0;
    if (batch->count) {
        const mg_token *before = copy - order;
        for (; position + 1 < order; position++)
            copy[position] = mg_token_is_marker(&gram[position]) ? gram[position] : before[position + 1];
    }
    for (; position < order; position++)
        if (copy_word(batch, &gram[position], first + position) != 0)
            return -1;
    batch->count++;
    return 0;
}

int mg_gram_batch_fill(mg_gram_batch *batch, mg_reader *reader)
{
    batch->count = batch->arena_used = 0;
    int more = 1;
    while (batch->count < MG_GRAM_BATCH) {
        const mg_token *gram;
        more = mg_reader_next(reader, &gram);
        if (more != 1)
            break;
        if (append_gram(batch, gram) != 0) {
            more = MG_READ_NO_MEMORY;
            break;
        }
    }
    return more;
}

void mg_gram_batch_prefault(mg_gram_batch *batch)
{
    memset(batch->arena, 0, ARENA_PREFAULT);
}

void mg_gram_batch_close(mg_gram_batch *batch)
{
    mg_unmap(batch->arena, batch->arena_size);
    batch->arena = NULL;
}
