/*
 * vocab.h — the vocabulary shared by the compact backends (packed_arrays,
 * trie): a training-time interner and the frozen dictionary built from it.
 *
 * Ids: 0 is the start marker, 1 the end marker, words from 2 (dense). Every
 * heap byte goes through mem.h, tagged with the part (mem.h) the caller
 * gave: an interner's blocks with its one tag, a dictionary's data with
 * the words tag, its buckets, hash index and struct with the index tag,
 * the freeze's scratch (sorted ids, remap) with the scratch tag. Every
 * fallible call returns MG_ERR_NOMEM and leaves its object as it was.
 *
 *   interner (training): word -> id, open addressing (XXH3, linear probing)
 *     slots (4 B):  | fingerprint | id |  ->  word_offset[id] (4 B) ->
 *                   varint len | bytes (arena)
 *     The slots (2^k or 1.5 * 2^k of them) are at most 80% full; the id
 *     takes ceil(log2(slots)) bits and the hash's fingerprint the rest.
 *     The arena is a space of uint32 offsets in chunks that never move, so
 *     the words hold at most ~4 GiB (MG_ERR_NOMEM past it). Blocks between
 *     MG_GROW_SMALL and MG_GROW_HUGE are huge ones (common/grow.h) of
 *     which only what is used is written, so the RSS a word costs is its
 *     record, its offset and 5-10 bytes of slots.
 *
 *   dictionary (frozen): words in mg_token_compare order, so id order equals
 *   token order; front-coded in buckets of MG_VOCAB_BUCKET words
 *     bucket: | key0 off0 | key1 off1 | ... | end |  (uint32 head key: its first
 *             4 bytes big-endian, zero-padded; uint32 offset into data)
 *     data: head: header(0, len), bytes                        (stored whole)
 *           rest: header(shared, suffix_len), suffix bytes
 *     header: one byte shared << 4 | suffix_len when shared <= 14 and
 *             suffix_len <= 15 (~98% of a sorted English vocabulary), else
 *             0xF0, varint shared, varint suffix_len
 *     index (optional, mg_vocab_dict_build_index): uint32 slots, linear
 *     probing, | id | fingerprint | (the bits above the id's width)
 *     A word longer than MG_VOCAB_FRONT_MAX is always stored whole (shared 0)
 *     and a front-coded word is at most MG_VOCAB_FRONT_MAX bytes, so decoding
 *     never needs more than MG_VOCAB_DECODE_MAX bytes of caller buffer.
 *     find without the index: a binary search of the head keys (one small
 *     array), of the heads only where keys tie, then one bucket walked
 *     without assembling its words. find_many interleaves the steps of a
 *     few finds, so their cache misses overlap. The data holds at most 4 GiB.
 *
 *   Bytes per word of the dictionary ~ (1 - s) L + 1.04 + 8 / MG_VOCAB_BUCKET for
 *   mean length L and front-coding saving s (~0.4 on a sorted English
 *   vocabulary: mg_vocab_dict_estimate_bytes).
 */
#ifndef MG_VOCAB_H
#define MG_VOCAB_H

#include "../backend.h"
#include "image.h"
#include "mem.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MG_VOCAB_NO_ID UINT32_MAX /* find's answer for an absent word */

enum {
    MG_VOCAB_START_ID = 0,
    MG_VOCAB_END_ID = 1,
    MG_VOCAB_FIRST_WORD_ID = 2,
    MG_VOCAB_BUCKET = 16,     /* words per front-coded bucket */
    MG_VOCAB_FRONT_MAX = 255, /* longer words are stored whole */
    MG_VOCAB_DECODE_MAX = MG_VOCAB_FRONT_MAX, /* bytes of a decode buffer */
    MG_VOCAB_INDEX_LOAD = 80, /* percent, of the optional hash index */
};

/* ---- interner (training) ------------------------------------------------ */

typedef struct mg_interner mg_interner;

/* A new interner holding the two markers, every block of it counted
 * against `part` (mem.h's tag); NULL when out of memory. */
mg_interner *mg_interner_create(int part);

/* Frees everything the interner holds; NULL is ignored. Tokens it handed
 * out become invalid. */
void mg_interner_destroy(mg_interner *interner);

/* Id of the token (markers: 0 and 1), or MG_VOCAB_NO_ID when not interned. */
uint32_t mg_interner_find(const mg_interner *interner, const mg_token *token);

/* Id of the token in *id, interning the word when new (copying its bytes).
 * MG_OK, or MG_ERR_NOMEM with the interner unchanged. */
int mg_interner_intern(mg_interner *interner, const mg_token *token, uint32_t *id);

/* The token of an id < mg_interner_count: bytes point into the interner and
 * stay valid until it is destroyed. */
mg_token mg_interner_token(const mg_interner *interner, uint32_t id);

/* Ids given out, the two markers included (so at least 2). */
uint32_t mg_interner_count(const mg_interner *interner);

/* Frees the hash of words: the interner then only gives out tokens and its
 * count and is frozen (mg_vocab_dict_freeze) or destroyed; find and intern
 * are no longer called. Finalize frees it before the dictionary is built,
 * so that the two are never held together. */
void mg_interner_drop_index(mg_interner *interner);

/* Bytes the interner holds through mem.h now. */
size_t mg_interner_bytes(const mg_interner *interner);

/* ---- dictionary (frozen) ------------------------------------------------ */

typedef struct mg_vocab_dict mg_vocab_dict;

/* The tags (mem.h) a dictionary's blocks are counted against. */
typedef struct mg_vocab_parts {
    int words;   /* the front-coded data */
    int index;   /* the bucket keys and offsets, the hash index, the struct */
    int scratch; /* the freeze's sorted ids and the remap it hands out */
} mg_vocab_parts;

/* Builds the sorted, front-coded dictionary of the interner's words. On
 * success *dict is the dictionary and *remap an array of
 * mg_interner_count(interner) ids: remap[old id] = the id in the dictionary
 * (markers keep 0 and 1); free it with mg_vocab_remap_free. The interner is
 * not changed and may be destroyed right after. MG_OK or MG_ERR_NOMEM
 * (also when the front-coded words would pass 4 GiB; nothing then is
 * allocated). */
int mg_vocab_dict_freeze(const mg_interner *interner, const mg_vocab_parts *parts, mg_vocab_dict **dict,
                         uint32_t **remap);

/* Frees a remap array of `count` ids made by mg_vocab_dict_freeze with
 * parts->scratch == part. */
void mg_vocab_remap_free(int part, uint32_t *remap, uint32_t count);

/* Frees the dictionary; NULL is ignored. */
void mg_vocab_dict_destroy(mg_vocab_dict *dict);

/* Adds a hash index to the dictionary (4 bytes a slot, at
 * MG_VOCAB_INDEX_LOAD percent: ~5 bytes a word): find then costs a probe
 * and usually one bucket decode instead of a binary search. MG_OK, or
 * MG_ERR_NOMEM with the dictionary unchanged (find still works). */
int mg_vocab_dict_build_index(mg_vocab_dict *dict);

/* Id of the token (markers: 0 and 1), or MG_VOCAB_NO_ID. With the index: a
 * hash probe (slots keep a fingerprint in the bits ids leave free);
 * without: binary search over the bucket head keys, then a scan of one bucket. */
uint32_t mg_vocab_dict_find(const mg_vocab_dict *dict, const mg_token *token);

/* The ids of tokens[0 .. count) in ids, as mg_vocab_dict_find's, found
 * side by side (32 at a time): the cache misses of each step (index slot,
 * bucket) are requested for every token before the first is waited for. */
void mg_vocab_dict_find_many(const mg_vocab_dict *dict, const mg_token *tokens, size_t count, uint32_t *ids);

/* Guessed ids of tokens[0 .. count) in ids, for a caller that goes on
 * while the guesses' buckets arrive: with the index, each token's first
 * slot whose fingerprint matches (its bucket requested), not yet compared
 * with the token; MG_VOCAB_NO_ID when none matches (the token is surely
 * absent). A guess is the id only once mg_vocab_dict_is_word confirms it;
 * when it does not, mg_vocab_dict_find gives the id. Returns true when
 * the ids are exact already (no index: find_many's). */
bool mg_vocab_dict_guess_many(const mg_vocab_dict *dict, const mg_token *tokens, size_t count, uint32_t *ids);

/* Whether id is the token's (markers included). */
bool mg_vocab_dict_is_word(const mg_vocab_dict *dict, uint32_t id, const mg_token *token);

/* The token of an id < mg_vocab_dict_count. Its bytes point into the
 * dictionary or into `buffer` (MG_VOCAB_DECODE_MAX bytes, the caller's):
 * valid while both are. */
mg_token mg_vocab_dict_word(const mg_vocab_dict *dict, uint32_t id, unsigned char *buffer);

/* Requests the cache line where the word of `id` starts to be decoded: a
 * caller decoding many ids asks ahead. */
void mg_vocab_dict_prefetch_word(const mg_vocab_dict *dict, uint32_t id);

/* Ids in the dictionary, the two markers included. */
uint32_t mg_vocab_dict_count(const mg_vocab_dict *dict);

/* Bytes the dictionary holds through mem.h. */
size_t mg_vocab_dict_bytes(const mg_vocab_dict *dict);

/* Lists the dictionary's arrays (data, buckets, index) for a frozen image
 * (image.h); the small struct holding them stays on the heap. */
void mg_vocab_dict_list_blocks(mg_vocab_dict *dict, mg_image_list *list);

/* Expected bytes of a dictionary of `words` words totalling `word_bytes`
 * bytes, by part: *data_bytes of the words tag, *index_bytes of the index
 * tag (without the optional hash index). */
void mg_vocab_dict_estimate_parts(uint64_t words, uint64_t word_bytes, double *data_bytes, double *index_bytes);
/* Their sum (the estimate formulas' vocabulary term). */
double mg_vocab_dict_estimate_bytes(uint64_t words, uint64_t word_bytes);

#endif
