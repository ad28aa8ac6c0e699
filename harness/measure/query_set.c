/* query_set.c — hits and misses for timed lookups; see query_set.h. */
#include "query_set.h"
#include "mapping.h"
#include "random.h"

#include <math.h>
#include <string.h>

/* ---- gram records ------------------------------------------------------ */

/* Copies gram into record; 0 when its words do not fit (it is then not sampled). */
static int record_store(mg_gram_record *record, const mg_token *gram, int order)
{
    size_t used = 0;
    for (int position = 0; position < order; position++)
        if (!mg_token_is_marker(&gram[position]))
            used += gram[position].len;
    if (used > MG_RECORD_BYTES)
        return 0;
    used = 0;
    for (int position = 0; position < order; position++) {
        const mg_token *token = &gram[position];
        if (mg_token_is_marker(token)) {
            record->lengths[position] = MG_RECORD_MARKER + token->len;
            continue;
        }
        record->lengths[position] = token->len;
        memcpy(record->bytes + used, token->bytes, token->len);
        used += token->len;
    }
    return 1;
}

static void record_tokens(const mg_gram_record *record, int order, mg_token *gram)
{
    size_t used = 0;
    for (int position = 0; position < order; position++) {
        uint32_t length = record->lengths[position];
        if (length >= MG_RECORD_MARKER) {
            gram[position] = (mg_token){NULL, length - MG_RECORD_MARKER};
            continue;
        }
        gram[position] = (mg_token){record->bytes + used, length};
        used += length;
    }
}

/* ---- buffers ------------------------------------------------------------ */

static size_t query_bytes(size_t capacity)
{
    return capacity * (2 * sizeof(mg_gram_record) + 4 * sizeof(mg_token[MG_ORDER_MAX]));
}

static void shrink_weight(mg_query_set *queries);
static void draw_next_kept(mg_query_set *queries);

/* Runs the sampling's draws once on a scratch copy: the math library's code
 * they call is then mapped before a run's baseline, as the buffers are, and
 * adds nothing to the file-backed RSS of training. */
static void touch_draw_code(const mg_query_set *queries)
{
    mg_query_set scratch = *queries;
    scratch.weight = 1.0;
    shrink_weight(&scratch);
    draw_next_kept(&scratch);
    volatile uint64_t sink = scratch.next_kept; /* the draws are used: not optimised away */
    (void)sink;
}

int mg_query_set_map(mg_query_set *queries, size_t capacity, int order, uint64_t seed)
{
    memset(queries, 0, sizeof *queries);
    unsigned char *block = mg_map(query_bytes(capacity));
    if (!block)
        return -1;
    memset(block, 0, query_bytes(capacity)); /* resident before the baseline */
    queries->hits = (mg_gram_record *)block;
    queries->misses = queries->hits + capacity;
    queries->hit_grams = (mg_token(*)[MG_ORDER_MAX])(queries->misses + capacity);
    queries->miss_grams = queries->hit_grams + capacity;
    queries->hit_run = (mg_token *)(queries->miss_grams + capacity);
    queries->miss_run = queries->hit_run + capacity * MG_ORDER_MAX;
    queries->capacity = capacity;
    queries->order = order;
    queries->random_state = seed;
    touch_draw_code(queries);
    return 0;
}

void mg_query_set_unmap(mg_query_set *queries)
{
    if (queries->hits)
        mg_unmap(queries->hits, query_bytes(queries->capacity));
    queries->hits = NULL;
}

/* ---- sampling ------------------------------------------------------------ */

/* Uniform in (0, 1): never 0, whose log is -inf. */
static double random_open_unit(uint64_t *state)
{
    return ((double)(mg_random_next(state) >> 11) + 0.5) * 0x1p-53;
}

/* Algorithm L's W times U^(1/capacity). */
static void shrink_weight(mg_query_set *queries)
{
    queries->weight *= exp(log(random_open_unit(&queries->random_state)) / (double)queries->capacity);
}

/* next_kept moves past the grams Algorithm L passes over: a geometric count
 * with the chance W of keeping each. */
static void draw_next_kept(mg_query_set *queries)
{
    double skip = floor(log(random_open_unit(&queries->random_state)) / log1p(-queries->weight));
    queries->next_kept += (skip < 0x1p62 ? (uint64_t)skip : (uint64_t)1 << 62) + 1;
}

/* next_slot drawn for the next gram kept, its record fetched into the cache
 * meanwhile: the reservoir is far larger than the cache, and the next gram
 * kept is a batch or more away. */
static void draw_next_slot(mg_query_set *queries)
{
    queries->next_slot = mg_random_below(&queries->random_state, queries->capacity);
    const char *record = (const char *)&queries->hits[queries->next_slot];
    for (size_t line = 0; line < sizeof(mg_gram_record); line += 64)
        __builtin_prefetch(record + line, 1, 0);
}

/* The gram at position seen among the first capacity: kept if it fits a record. */
static void fill(mg_query_set *queries, const mg_token *gram, uint64_t seen)
{
    if (record_store(&queries->hits[queries->hit_count], gram, queries->order))
        queries->hit_count++;
    if (seen + 1 == queries->capacity) { /* full: the first gram to keep after them */
        queries->weight = 1.0;
        shrink_weight(queries);
        queries->next_kept = seen;
        draw_next_kept(queries);
        draw_next_slot(queries);
    }
}

void mg_query_set_sample_run(mg_query_set *queries, const mg_token *grams, size_t count)
{
    size_t order = (size_t)queries->order;
    uint64_t first = queries->grams_seen, past = first + count;
    for (uint64_t seen = first; seen < past && seen < queries->capacity; seen++)
        fill(queries, &grams[(seen - first) * order], seen);
    while (first + count > queries->capacity && queries->next_kept < past) {
        uint64_t slot = queries->next_slot;
        if (slot < queries->hit_count) /* a slot that a gram too long left empty stays empty, as it began */
            record_store(&queries->hits[slot], &grams[(queries->next_kept - first) * order], queries->order);
        shrink_weight(queries);
        draw_next_kept(queries);
        draw_next_slot(queries);
    }
    queries->grams_seen = past;
}

void mg_query_set_clear(mg_query_set *queries, uint64_t seed)
{
    queries->grams_seen = queries->hit_count = queries->miss_count = 0;
    queries->random_state = seed;
}

void mg_query_set_sample(mg_query_set *queries, const mg_token *gram)
{
    mg_query_set_sample_run(queries, gram, 1);
}

/* A word of a sampled hit, chosen at random (markers skipped); 0 if none. */
static int random_word(mg_query_set *queries, mg_token *word)
{
    for (int attempt = 0; attempt < 64; attempt++) {
        const mg_token *gram = queries->hit_grams[mg_random_below(&queries->random_state, queries->hit_count)];
        const mg_token *token = &gram[mg_random_below(&queries->random_state, (uint64_t)queries->order)];
        if (!mg_token_is_marker(token)) {
            *word = *token;
            return 1;
        }
    }
    return 0;
}

/* Candidate miss: sampled words in a random order; for order 1, where every
 * word alone is a hit, a word with a byte appended. 0 if none could be made. */
static int make_miss(mg_query_set *queries, mg_gram_record *record)
{
    int order = queries->order;
    mg_token candidate[MG_ORDER_MAX];
    for (int position = 0; position < order; position++)
        if (!random_word(queries, &candidate[position]))
            return 0;
    if (order == 1 && candidate[0].len >= MG_RECORD_BYTES)
        return 0;
    if (!record_store(record, candidate, order))
        return 0;
    if (order == 1)
        record->bytes[record->lengths[0]++] = 0xff;
    return 1;
}

/* Misses are made of vocabulary words in orders the table does not hold,
 * each checked absent with count() before the timing. */
static void build_misses(mg_query_set *queries, mg_table *table)
{
    if (queries->hit_count == 0)
        return;
    for (size_t attempt = 0; attempt < 4 * queries->capacity && queries->miss_count < queries->capacity; attempt++) {
        mg_gram_record *record = &queries->misses[queries->miss_count];
        if (!make_miss(queries, record))
            continue;
        mg_token *gram = queries->miss_grams[queries->miss_count];
        record_tokens(record, queries->order, gram);
        if (table->ops->count(table, gram) == 0)
            memcpy(queries->miss_run + queries->miss_count++ * (size_t)queries->order, gram,
                   (size_t)queries->order * sizeof *gram);
    }
}

void mg_query_set_prepare(mg_query_set *queries, mg_table *table)
{
    for (size_t sample = 0; sample < queries->hit_count; sample++) {
        record_tokens(&queries->hits[sample], queries->order, queries->hit_grams[sample]);
        memcpy(queries->hit_run + sample * (size_t)queries->order, queries->hit_grams[sample],
               (size_t)queries->order * sizeof(mg_token));
    }
    build_misses(queries, table);
}
