/*
 * generate.h — sentences sampled from a trained table, identical for every backend.
 *
 * Each next word is drawn with probability count / total among the context's
 * successors by a cumulative draw in canonical token order (mg_token_compare):
 *   draw = mix(seed ^ mix(sentence * 0x100000001b3 + position))   (mg_mix64)
 *   r    = (draw * total) >> 64                                    (0 <= r < total)
 * and the word is the first successor, in canonical order, whose cumulative
 * count exceeds r; the start marker is never drawn, the end marker ends the
 * sentence. The draw depends only on the set of (word, count) pairs, never
 * on the order a backend visits them in, so equal tables give equal text
 * (docs/backends.md). A table whose backend has sample_successor draws the
 * word itself (from its cumulative counts: O(log n) a word); for any other
 * (the test backends, a table before finalize or one that leaves the draw
 * to the walk) the successors are gathered and heap-sorted in place in
 * mapped buffers: nothing comes from the allocator. Word slots and buffers are
 * mapped at create and grow (a remap) only when a context needs more.
 */
#ifndef MG_GENERATE_H
#define MG_GENERATE_H

#include "backend.h"

#include <stdint.h>

#define MG_SENTENCE_WORDS_MAX 200 /* a sentence stops here if no end marker is drawn */

typedef struct mg_generator mg_generator;

/* Receives each generated word; end_of_sentence after the last one. */
typedef void (*mg_word_sink)(void *arg, const mg_token *word, int end_of_sentence);

mg_generator *mg_generator_create(uint64_t seed);
/* Sentence number sentence_index drawn from table; returns the number of
 * words, or -1 if a walk failed. */
int64_t mg_generate_sentence(mg_generator *generator, mg_table *table, uint64_t sentence_index,
                             mg_word_sink sink, void *arg);
/* As mg_reader_prefault / mg_reader_release_pages, for the word slots. */
void mg_generator_prefault(mg_generator *generator);
void mg_generator_release_pages(mg_generator *generator);
void mg_generator_destroy(mg_generator *generator);

#endif
