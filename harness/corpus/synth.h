/*
 * synth.h — the synthetic corpus `synth:tokens=N[,seed=S]`.
 *
 * A deterministic stream of text lines that the contract tokenizer reads,
 * generated on the fly (no temporary file, memory constant in N). It holds
 * exactly N tokens: the sentences of an endless stream, cut after its N-th
 * token, the cut line ending there with '\n'. A smaller N gives a prefix of a
 * larger one (up to that cut), and S picks another stream (default 1).
 *
 * The model, fitted to gcide (numbers in synth.c):
 *  - words are ids drawn from a shifted power law (Zipf-Mandelbrot), so token
 *    frequencies are Zipfian and the vocabulary grows as Heaps' law says;
 *    an id is spelled as lowercase syllables, frequent ids short, rare long;
 *  - each word comes, by a fixed mixture, from its two-word context, its
 *    one-word context or no context: a context's k-th favourite successor is
 *    the word whose id a seeded hash of (context, k) draws from the power
 *    law, and k itself is drawn from a power law, so every context has a few
 *    frequent successors and an unbounded tail, and distinct n-grams keep
 *    growing with the tokens as in real text;
 *  - sentence lengths follow gcide's line-length histogram.
 * Only integer arithmetic (fixed-point log2/exp2 tables built at open), so a
 * spec gives the same bytes on every machine.
 */
#ifndef MG_SYNTH_H
#define MG_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#define MG_SYNTH_PREFIX "synth:"
#define MG_SYNTH_TOKENS_MAX ((uint64_t)1 << 40)

typedef struct mg_synth_spec {
    uint64_t tokens;  /* N >= 1 */
    uint64_t seed;    /* S, default 1 */
} mg_synth_spec;

/* 1 if text starts with "synth:" (a synthetic spec, maybe malformed), else 0. */
int mg_synth_is_spec(const char *text);

/* The one parser of a spec: 0 and *spec filled, or -1 with a one-line
 * message naming the fault. */
int mg_synth_parse(const char *text, mg_synth_spec *spec, char *error, size_t error_size);

typedef struct mg_synth mg_synth;

/* The stream of a spec's text (mg_synth_parse, then mg_synth_open), or NULL
 * with a one-line message: the spec's fault, or memory. */
mg_synth *mg_synth_open_text(const char *text, char *error, size_t error_size);

/* A stream at its first byte; NULL when out of memory. All memory is taken here. */
mg_synth *mg_synth_open(const mg_synth_spec *spec);

/* Up to size (>= 1) next bytes of the stream into buffer; 0 at the end. Allocates nothing. */
size_t mg_synth_read(mg_synth *synth, unsigned char *buffer, size_t size);

/* Back to the first byte. */
void mg_synth_rewind(mg_synth *synth);

void mg_synth_close(mg_synth *synth);

/* The stream's length in bytes (generates it once); 0 when out of memory. */
uint64_t mg_synth_stream_bytes(const mg_synth_spec *spec);

/* The whole stream written to path (through path.tmp, renamed when complete),
 * for programs that read files (peers); 0, or -1 with a one-line message. */
int mg_synth_write_file(const mg_synth_spec *spec, const char *path, char *error, size_t error_size);

#endif
