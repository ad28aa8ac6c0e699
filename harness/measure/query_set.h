/*
 * query_set.h — the n-grams lookups are timed with: hits sampled from the
 * corpus while training, misses made of its words in orders the table does
 * not hold. Shared by `run` and memgrams-microbench so both query alike.
 *
 * Every buffer is mapped and touched by mg_query_set_map (before a run's
 * baseline); sampling and preparing allocate nothing on the heap.
 */
#ifndef MG_QUERY_SET_H
#define MG_QUERY_SET_H

#include "backend.h"

#include <stddef.h>
#include <stdint.h>

/* A gram copied out of the stream: word lengths, or MG_RECORD_MARKER + marker kind. */
#define MG_RECORD_MARKER 0xFFFFFFF0u
#define MG_RECORD_BYTES 108
typedef struct mg_gram_record {
    uint32_t lengths[MG_ORDER_MAX];
    unsigned char bytes[MG_RECORD_BYTES];
} mg_gram_record;

typedef struct mg_query_set {
    mg_gram_record *hits, *misses;
    mg_token (*hit_grams)[MG_ORDER_MAX], (*miss_grams)[MG_ORDER_MAX]; /* tokens, once prepared */
    mg_token *hit_run, *miss_run; /* the same grams end to end (order tokens each), for the batch ops */
    size_t capacity, hit_count, miss_count;
    uint64_t grams_seen; /* reservoir position */
    uint64_t next_kept;  /* once the reservoir is full: the position of the next gram kept */
    uint64_t next_slot;  /* and the slot it goes to, drawn (and its record prefetched) ahead */
    double weight;       /* Algorithm L's W */
    uint64_t random_state;
    int order;
} mg_query_set;

/* Maps room for capacity hits and as many misses; 0, or -1 if mmap failed. */
int mg_query_set_map(mg_query_set *queries, size_t capacity, int order, uint64_t seed);
void mg_query_set_unmap(mg_query_set *queries);

/* Offers trained grams to the reservoir: every gram added is equally likely
 * kept (grams longer than a record are never kept). The first capacity fill
 * it; after them Algorithm L (Li 1994) draws how many grams to pass over to
 * the next one kept, so a gram passed over costs nothing. Deterministic for
 * the seed, however the stream is cut into runs. */
void mg_query_set_sample(mg_query_set *queries, const mg_token *gram);
/* count grams of order tokens each, end to end (add_many's layout). */
void mg_query_set_sample_run(mg_query_set *queries, const mg_token *grams, size_t count);
/* Empties the reservoir for another stream, seeded anew (the microbench's iterations). */
void mg_query_set_clear(mg_query_set *queries, uint64_t seed);

/* Training ended: sets hit_grams from the records and builds the misses,
 * each checked absent with the table's count() (up to capacity of them). */
void mg_query_set_prepare(mg_query_set *queries, mg_table *table);

#endif
