/*
 * corpus.h — corpus specs: what a user names, resolved to a file and a byte limit.
 *
 * A spec is a path to a text file, or a name (fortunes, gcide) meaning
 * corpora/cache/NAME.txt as made by `corpora/fetch NAME` (the cache folder can
 * be moved with MEMGRAMS_CORPORA), or `synth:tokens=N[,seed=S]`, the synthetic
 * stream of synth.h (always synthetic: a file of that name is ./synth:...).
 * --fraction F takes the lines that begin before byte floor(F * size).
 */
#ifndef MG_CORPUS_H
#define MG_CORPUS_H

#include <stddef.h>
#include <stdint.h>

typedef struct mg_corpus {
    char path[4096];      /* the file read, or the synth: spec */
    uint64_t file_bytes;  /* its whole size; UINT64_MAX if unknown (a pipe; synth at fraction 1) */
    uint64_t byte_limit;  /* lines beginning before this offset are read */
} mg_corpus;

/* 0 and *corpus filled, or -1 with a one-line message naming the fault. */
int mg_corpus_resolve(const char *spec, double fraction, mg_corpus *corpus,
                      char *error, size_t error_size);

/* Names `corpora/fetch` knows, for messages: "fortunes, gcide". */
extern const char mg_corpus_names[];

#endif
