/* generate.c — see generate.h. */
#include "generate.h"
#include "mapping.h"
#include "random.h"
#include "tokenize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define SLOTS (MG_ORDER_MAX + 1) /* n-1 context words, the candidate, one spare */

struct mg_generator {
    uint64_t seed;
    unsigned char *slots[SLOTS];
    size_t slot_sizes[SLOTS]; /* mapped bytes: MG_SLOT_PREFAULT, more after a longer word */
};

typedef struct race {
    uint64_t draw_seed;
    mg_generator *generator;
    int slot;                       /* the slot the best word so far is copied into */
    mg_token best;
    double best_key;
    uint64_t best_hash;
    int found;
} race;

static uint64_t word_hash(uint64_t seed, const mg_token *word)
{
    if (mg_token_is_marker(word))
        return mg_mix64(seed ^ (0x51ed270b27e5a0b1ULL + word->len));
    return XXH3_64bits_withSeed(word->bytes, word->len, seed);
}

/* The slot made to hold at least bytes (mg_map_grow); 0 or -1. No token of
 * the context lives in it (SLOTS has a spare), so it may move. */
static int fit_slot(mg_generator *generator, int slot, size_t bytes)
{
    unsigned char *grown = mg_map_grow(generator->slots[slot], &generator->slot_sizes[slot], bytes);
    if (!grown)
        return -1;
    generator->slots[slot] = grown;
    return 0;
}

static int race_visit(void *arg, const mg_token *next, uint64_t count)
{
    race *state = arg;
    if (count == 0 || (mg_token_is_marker(next) && next->len == MG_MARK_START))
        return 0;
    uint64_t hash = word_hash(state->draw_seed, next);
    double uniform = ((double)(hash >> 11) + 1.0) * 0x1.0p-53; /* (0, 1] */
    double key = -log(uniform) / (double)count;
    if (state->found && (key > state->best_key || (key == state->best_key && hash >= state->best_hash)))
        return 0;
    state->found = 1;
    state->best_key = key;
    state->best_hash = hash;
    state->best = *next;
    if (!mg_token_is_marker(next)) {
        if (fit_slot(state->generator, state->slot, next->len) != 0)
            return MG_ERR_NOMEM;
        memcpy(state->generator->slots[state->slot], next->bytes, next->len);
        state->best.bytes = state->generator->slots[state->slot];
    }
    return 0;
}

mg_generator *mg_generator_create(uint64_t seed)
{
    mg_generator *generator = calloc(1, sizeof *generator);
    if (!generator)
        return NULL;
    generator->seed = seed;
    for (int slot = 0; slot < SLOTS; slot++) {
        generator->slots[slot] = mg_map(MG_SLOT_PREFAULT);
        if (!generator->slots[slot]) {
            mg_generator_destroy(generator);
            return NULL;
        }
        generator->slot_sizes[slot] = MG_SLOT_PREFAULT;
    }
    return generator;
}

int64_t mg_generate_sentence(mg_generator *generator, mg_table *table, uint64_t sentence_index,
                             mg_word_sink sink, void *arg)
{
    int context_length = table->order - 1;
    mg_token context[MG_ORDER_MAX];
    for (int position = 0; position < context_length; position++)
        context[position] = (mg_token){NULL, MG_MARK_START};
    int64_t words = 0;
    for (uint64_t position = 0; position < MG_SENTENCE_WORDS_MAX; position++) {
        race state = {
            .draw_seed = mg_mix64(generator->seed ^ mg_mix64(sentence_index * 0x100000001b3ULL + position)),
            .generator = generator,
            .slot = (int)(position % SLOTS),
        };
        if (table->ops->successors(table, context, race_visit, &state) != 0)
            return -1;
        if (!state.found || mg_token_is_marker(&state.best))
            break;
        sink(arg, &state.best, 0);
        words++;
        if (context_length > 0) {
            memmove(context, context + 1, sizeof(mg_token) * (size_t)(context_length - 1));
            context[context_length - 1] = state.best;
        }
    }
    sink(arg, NULL, 1);
    return words;
}

void mg_generator_prefault(mg_generator *generator)
{
    for (int slot = 0; slot < SLOTS; slot++)
        memset(generator->slots[slot], 0, MG_SLOT_PREFAULT);
}

void mg_generator_release_pages(mg_generator *generator)
{
    for (int slot = 0; slot < SLOTS; slot++)
        if (generator->slot_sizes[slot] > MG_SLOT_PREFAULT) {
            unsigned char *shrunk =
                mg_map_resize(generator->slots[slot], generator->slot_sizes[slot], MG_SLOT_PREFAULT);
            if (shrunk) {
                generator->slots[slot] = shrunk;
                generator->slot_sizes[slot] = MG_SLOT_PREFAULT;
            }
        }
}

void mg_generator_destroy(mg_generator *generator)
{
    if (!generator)
        return;
    for (int slot = 0; slot < SLOTS; slot++)
        mg_unmap(generator->slots[slot], generator->slot_sizes[slot]);
    free(generator);
}
