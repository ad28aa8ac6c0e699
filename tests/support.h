/*
 * support.h — helpers shared by the tests: growable byte buffers, temporary
 * corpus files written from bytes with an explicit length (corpora may hold
 * NUL bytes), a deterministic PRNG and a Zipf-like text generator.
 *
 * Every helper that can fail fails the running Criterion test (cr_assert):
 * a test never goes on with a half-written corpus.
 */
#ifndef MG_TEST_SUPPORT_H
#define MG_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

/* ---- byte buffers ------------------------------------------------------- */

typedef struct mgt_buffer {
    unsigned char *bytes; /* malloc'd; NULL while empty */
    size_t len, cap;
} mgt_buffer;

void mgt_buffer_append(mgt_buffer *buffer, const void *bytes, size_t len);
void mgt_buffer_append_str(mgt_buffer *buffer, const char *text);
void mgt_buffer_append_byte(mgt_buffer *buffer, unsigned char byte);
void mgt_buffer_append_repeat(mgt_buffer *buffer, unsigned char byte, size_t count);
/* printf-style append (the text itself has no NUL). */
void mgt_buffer_appendf(mgt_buffer *buffer, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
void mgt_buffer_free(mgt_buffer *buffer);

/* ---- temporary files ---------------------------------------------------- */

/* A new file under $TMPDIR (or /tmp) holding exactly len bytes; returns its
 * path (malloc'd). Remove it with mgt_temp_remove. */
char *mgt_temp_file(const void *bytes, size_t len);
/* A new file of count copies of one byte, written in chunks (for files of
 * tens of MiB that are not worth holding in memory). */
char *mgt_temp_file_repeat(unsigned char byte, uint64_t count);
/* Unlinks the file and frees the path; NULL is ignored. */
void mgt_temp_remove(char *path);
/* Whole file into out (appended); 0, or -1 if it cannot be read. */
int mgt_read_file(const char *path, mgt_buffer *out);
/* text as the whole of the file at path (created or truncated); 0, or -1. */
int mgt_write_file(const char *path, const char *text);

/* ---- deterministic random numbers (splitmix64) --------------------------- */

typedef struct mgt_rng {
    uint64_t state;
} mgt_rng;

mgt_rng mgt_rng_make(uint64_t seed);
uint64_t mgt_rng_next(mgt_rng *rng);
/* Uniform in [0, bound), bound > 0. */
uint64_t mgt_rng_below(mgt_rng *rng, uint64_t bound);
/* Uniform in [0, 1). */
double mgt_rng_unit(mgt_rng *rng);

/* ---- generated text ------------------------------------------------------ */

/* Appends `lines` lines of text: words drawn with a Zipf-like law (weight
 * 1/(rank+1)^1.1) from a vocabulary of `vocab` random lowercase words of
 * 1..10 letters, 0..19 words a line, single spaces, each line ended by '\n'.
 * Same seed, same text. */
void mgt_zipf_text(mgt_buffer *out, uint64_t seed, size_t lines, size_t vocab);

/* mgt_zipf_text into a temporary file; its path (free with mgt_temp_remove). */
char *mgt_zipf_file(uint64_t seed, size_t lines, size_t vocab);

/* Printable rendering of bytes for messages into out (out_size >= 32):
 * printable ASCII kept, anything else (and '\\', '<', '|', space) as \xNN;
 * cut to fit, then "...(N bytes)". Returns out. */
char *mgt_printable(char *out, size_t out_size, const void *bytes, size_t len);

#endif
