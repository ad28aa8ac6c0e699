/*
 * tokenize.h — streaming corpus reader and the contract tokenizer.
 *
 * Contract (every backend, peer and dump relies on it): lines end at '\n' (a last line without '\n'
 * counts; no empty line after a final '\n'); every line is a sentence, an
 * empty one too; tokens are maximal runs of bytes other than space, \t, \n,
 * \v, \f, \r; A-Z are lowercased, every other byte kept; a sentence of order
 * n is padded with n-1 start markers and one end marker.
 *
 * The corpus goes through a fixed read buffer and is never held whole; a
 * word's token points where it lies in the buffer (folded in place), and
 * only when the buffer is refilled do the words of the current n-gram
 * window move to token slots (a word across refills is gathered in one).
 * The buffer, the batch's tokens and a slot of MG_SLOT_PREFAULT bytes per
 * word of the window are mapped at open (before a run's baseline), outside
 * the allocator; a slot grows (a remap) only for a longer word, up to
 * MG_TOKEN_MAX, so a run reserves address space for the words it meets,
 * not for the longest word allowed.
 */
#ifndef MG_TOKENIZE_H
#define MG_TOKENIZE_H

#include "backend.h"

#include <stddef.h>
#include <stdint.h>

#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define MG_TOKEN_MAX ((uint32_t)64 << 20) /* longest word accepted: 64 MiB */
#define MG_SLOT_PREFAULT ((size_t)64 << 10)
#else
/* The fuzz build (meson -Dfuzz=true): slots that grow from 64 bytes, past a
 * page (where a remap may move them), to a limit a fuzz input of a few KiB passes. */
#define MG_TOKEN_MAX ((uint32_t)5 << 10)
#define MG_SLOT_PREFAULT ((size_t)64)
#endif

typedef struct mg_reader mg_reader;

typedef struct mg_reader_stats {
    uint64_t sentences;   /* lines read */
    uint64_t tokens;      /* words read (markers not counted) */
    uint64_t grams;       /* n-grams produced */
    uint64_t bytes_read;  /* corpus bytes consumed (whole lines) */
} mg_reader_stats;

/* Reads the lines of path that begin before byte_limit (UINT64_MAX: all) as
 * n-grams of the given order; a path "synth:..." is the synthetic stream
 * (synth.h), any other a regular file (mg_corpus_open). NULL with a one-line
 * message in error on failure, beginning MG_OUT_OF_MEMORY (message.h) when
 * memory, not the input, failed. */
mg_reader *mg_reader_open(const char *path, uint64_t byte_limit, int order,
                          char *error, size_t error_size);

/* Next n-gram: 1 with *gram set (valid until the next call), 0 at the end,
 * MG_READ_ERROR on a read error or an over-long word, MG_READ_NO_MEMORY when
 * a word's slot cannot grow (see mg_reader_error for either). */
enum { MG_READ_ERROR = -1, MG_READ_NO_MEMORY = -2 };
int mg_reader_next(mg_reader *reader, const mg_token **gram);

/* Up to max_grams (at most MG_READER_BATCH; 0 counts as 1) next n-grams at
 * once: *grams is *count grams of order tokens each, end to end (the layout
 * of a table's add_many), valid until the next call on the reader. Returns
 * 1 when more grams may follow, 0 at the end, or mg_reader_next's errors;
 * the *count grams are valid in every case and come before the end or the
 * error. The same grams, in the same order, as mg_reader_next's, and the
 * stats as after the last of them; the two calls may be mixed. */
#define MG_READER_BATCH 64
int mg_reader_next_batch(mg_reader *reader, size_t max_grams, const mg_token **grams, size_t *count);

/* Start again from the first line, counters reset. 0, or -1 on error. */
int mg_reader_rewind(mg_reader *reader);

/* Touch the read buffer and the first MG_SLOT_PREFAULT bytes of each token
 * slot, so reading ordinary text adds nothing to RSS after a baseline. */
void mg_reader_prefault(mg_reader *reader);
/* Give back what slots grew by beyond the prefaulted part (for huge words). */
void mg_reader_release_pages(mg_reader *reader);

const mg_reader_stats *mg_reader_stats_get(const mg_reader *reader);
const char *mg_reader_error(const mg_reader *reader);
void mg_reader_close(mg_reader *reader);

#endif
