/* generate.c — see generate.h. */
#include "generate.h"
#include "mapping.h"
#include "random.h"
#include "tokenize.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS (MG_ORDER_MAX + 1) /* n-1 context words, the drawn word, one spare */
#define CANDIDATES_PREFAULT (64u * 1024) /* bytes of the candidate list mapped at create */

/* A successor gathered for the draw; its bytes are at offset in candidate_bytes
 * until every successor is in (the buffer may move while it grows). */
typedef struct candidate {
    mg_token token;
    uint64_t count;
    size_t offset;
} candidate;

struct mg_generator {
    uint64_t seed;
    unsigned char *slots[SLOTS];
    size_t slot_sizes[SLOTS]; /* mapped bytes: MG_SLOT_PREFAULT, more after a longer word */
    candidate *candidates;    /* the context's successors, then sorted canonically */
    size_t candidates_size, candidate_count;
    unsigned char *candidate_bytes; /* their words' bytes, end to end */
    size_t candidate_bytes_size, candidate_bytes_used;
};

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

static int gather_candidate(void *arg, const mg_token *next, uint64_t count)
{
    mg_generator *generator = arg;
    if (count == 0 || (mg_token_is_marker(next) && next->len == MG_MARK_START))
        return 0;
    size_t needed = (generator->candidate_count + 1) * sizeof(candidate);
    if (needed > generator->candidates_size) {
        candidate *grown = mg_map_grow(generator->candidates, &generator->candidates_size, needed * 2);
        if (!grown)
            return MG_ERR_NOMEM;
        generator->candidates = grown;
    }
    candidate *added = &generator->candidates[generator->candidate_count++];
    *added = (candidate){*next, count, generator->candidate_bytes_used};
    if (mg_token_is_marker(next))
        return 0;
    if (generator->candidate_bytes_used + next->len > generator->candidate_bytes_size) {
        unsigned char *grown = mg_map_grow(generator->candidate_bytes, &generator->candidate_bytes_size,
                                           (generator->candidate_bytes_used + next->len) * 2);
        if (!grown)
            return MG_ERR_NOMEM;
        generator->candidate_bytes = grown;
    }
    memcpy(generator->candidate_bytes + generator->candidate_bytes_used, next->bytes, next->len);
    generator->candidate_bytes_used += next->len;
    return 0;
}

static bool candidate_before(const candidate *a, const candidate *b)
{
    return mg_token_compare(&a->token, &b->token) < 0;
}

/* The max-heap of candidates[0, size) made whole again below `at`. */
static void sift_down(candidate *candidates, size_t size, size_t at)
{
    for (;;) {
        size_t largest = at, left = 2 * at + 1, right = left + 1;
        if (left < size && candidate_before(&candidates[largest], &candidates[left]))
            largest = left;
        if (right < size && candidate_before(&candidates[largest], &candidates[right]))
            largest = right;
        if (largest == at)
            return;
        candidate swap = candidates[at];
        candidates[at] = candidates[largest];
        candidates[largest] = swap;
        at = largest;
    }
}

/* Candidates in canonical order by a heapsort: in place, so the queries
 * take nothing from the allocator (qsort may take a buffer from malloc). */
static void sort_candidates(candidate *candidates, size_t count)
{
    for (size_t at = count / 2; at-- > 0;)
        sift_down(candidates, count, at);
    for (size_t size = count; size > 1; size--) {
        candidate swap = candidates[0];
        candidates[0] = candidates[size - 1];
        candidates[size - 1] = swap;
        sift_down(candidates, size - 1, 0);
    }
}

/* The successor of context that draw picks, gathered through successors()
 * and sorted: the path for a table without sample_successor. 1, 0 when the
 * context has no successor, -1 when a walk or a buffer failed. */
static int gather_and_draw(mg_generator *generator, mg_table *table, const mg_token *context, uint64_t draw,
                           mg_token *drawn)
{
    generator->candidate_count = generator->candidate_bytes_used = 0;
    if (table->ops->successors(table, context, gather_candidate, generator) != 0)
        return -1;
    uint64_t total = 0;
    for (size_t index = 0; index < generator->candidate_count; index++) {
        candidate *each = &generator->candidates[index];
        if (!mg_token_is_marker(&each->token))
            each->token.bytes = generator->candidate_bytes + each->offset;
        total += each->count;
    }
    if (total == 0)
        return 0;
    sort_candidates(generator->candidates, generator->candidate_count);
    uint64_t r = mg_scale_below(draw, total), cumulative = 0;
    const candidate *chosen = generator->candidates;
    for (size_t index = 0; index < generator->candidate_count; index++) {
        chosen = &generator->candidates[index];
        cumulative += chosen->count;
        if (cumulative > r)
            break;
    }
    *drawn = chosen->token;
    return 1;
}

/* The successor of context that draw picks (see generate.h) into *drawn, its
 * bytes copied into slot (the table's own copy lasts only until its next
 * call): 1, 0 when the context has no successor, -1 on failure. */
static int draw_successor(mg_generator *generator, mg_table *table, const mg_token *context, uint64_t draw,
                          int slot, mg_token *drawn)
{
    int found = table->ops->sample_successor ? table->ops->sample_successor(table, context, draw, drawn)
                                             : MG_SAMPLE_WALK;
    if (found == MG_SAMPLE_WALK)
        found = gather_and_draw(generator, table, context, draw, drawn);
    if (found <= 0)
        return found < 0 ? -1 : 0;
    if (!mg_token_is_marker(drawn)) {
        if (fit_slot(generator, slot, drawn->len) != 0)
            return -1;
        memcpy(generator->slots[slot], drawn->bytes, drawn->len);
        drawn->bytes = generator->slots[slot];
    }
    return 1;
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
    generator->candidates = mg_map(CANDIDATES_PREFAULT);
    generator->candidate_bytes = mg_map(CANDIDATES_PREFAULT);
    if (!generator->candidates || !generator->candidate_bytes) {
        mg_generator_destroy(generator);
        return NULL;
    }
    generator->candidates_size = generator->candidate_bytes_size = CANDIDATES_PREFAULT;
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
        uint64_t draw = mg_mix64(generator->seed ^ mg_mix64(sentence_index * 0x100000001b3ULL + position));
        mg_token word;
        int found = draw_successor(generator, table, context, draw, (int)(position % SLOTS), &word);
        if (found < 0)
            return -1;
        if (!found || mg_token_is_marker(&word))
            break;
        sink(arg, &word, 0);
        words++;
        if (context_length > 0) {
            memmove(context, context + 1, sizeof(mg_token) * (size_t)(context_length - 1));
            context[context_length - 1] = word;
        }
    }
    sink(arg, NULL, 1);
    return words;
}

void mg_generator_prefault(mg_generator *generator)
{
    for (int slot = 0; slot < SLOTS; slot++)
        memset(generator->slots[slot], 0, MG_SLOT_PREFAULT);
    memset(generator->candidates, 0, CANDIDATES_PREFAULT);
    memset(generator->candidate_bytes, 0, CANDIDATES_PREFAULT);
}

/* A mapped block grown past its first size, back at that size; the block as
 * it was when the remap fails. */
static void *shrink_mapping(void *block, size_t *size, size_t first_size)
{
    if (*size <= first_size)
        return block;
    void *shrunk = mg_map_resize(block, *size, first_size);
    if (!shrunk)
        return block;
    *size = first_size;
    return shrunk;
}

void mg_generator_release_pages(mg_generator *generator)
{
    for (int slot = 0; slot < SLOTS; slot++)
        generator->slots[slot] = shrink_mapping(generator->slots[slot], &generator->slot_sizes[slot], MG_SLOT_PREFAULT);
    generator->candidates = shrink_mapping(generator->candidates, &generator->candidates_size, CANDIDATES_PREFAULT);
    generator->candidate_bytes =
        shrink_mapping(generator->candidate_bytes, &generator->candidate_bytes_size, CANDIDATES_PREFAULT);
}

void mg_generator_destroy(mg_generator *generator)
{
    if (!generator)
        return;
    for (int slot = 0; slot < SLOTS; slot++)
        mg_unmap(generator->slots[slot], generator->slot_sizes[slot]);
    mg_unmap(generator->candidates, generator->candidates_size);
    mg_unmap(generator->candidate_bytes, generator->candidate_bytes_size);
    free(generator);
}
