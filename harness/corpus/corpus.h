/*
 * corpus.h — corpus specs: what a user names, resolved to a file and a byte limit.
 *
 * A spec is a path to a text file, or a name (fortunes, gcide) meaning
 * NAME.txt in the corpora folder of data_path.h, as made by `corpora/fetch NAME`
 * (installed: memgrams-fetch-corpus), or `synth:tokens=N[,seed=S]`, the synthetic
 * stream of synth.h (always synthetic: a file of that name is ./synth:...).
 * A file must be a regular file: memgrams reads a corpus more than once and
 * needs its size, so a FIFO, a pipe (/dev/stdin) or a device is refused.
 * --fraction F takes the lines that begin before byte floor(F * size); a
 * fraction that takes no line of a non-empty corpus is refused.
 */
#ifndef MG_CORPUS_H
#define MG_CORPUS_H

#include <stddef.h>
#include <stdint.h>

typedef struct mg_corpus {
    char path[4096];      /* the file read, or the synth: spec */
    uint64_t file_bytes;  /* its whole size; UINT64_MAX if unknown (synth at fraction 1) */
    uint64_t byte_limit;  /* lines beginning before this offset are read */
} mg_corpus;

/* 0 and *corpus filled, or -1 with a one-line message naming the fault. */
int mg_corpus_resolve(const char *spec, double fraction, mg_corpus *corpus,
                      char *error, size_t error_size);

/* The corpus file at path opened for reading, checked to be a regular file
 * (the file opened, not the name: it may have changed since it was resolved;
 * the open never blocks on a FIFO): its descriptor, or -1 with a one-line
 * message. */
int mg_corpus_open(const char *path, char *error, size_t error_size);

/* Names `corpora/fetch` knows, for messages: "fortunes, gcide". */
extern const char mg_corpus_names[];

#endif
