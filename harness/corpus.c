/* corpus.c — see corpus.h. */
#include "corpus.h"
#include "config.h"
#include "synth.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char mg_corpus_names[] = "fortunes, gcide";

static int is_known_name(const char *spec)
{
    return strcmp(spec, "fortunes") == 0 || strcmp(spec, "gcide") == 0;
}

static void cache_path(const char *name, char *path, size_t path_size)
{
    const char *folder = getenv("MEMGRAMS_CORPORA");
    if (folder && *folder)
        snprintf(path, path_size, "%s/%s.txt", folder, name);
    else
        snprintf(path, path_size, "%s/corpora/cache/%s.txt", MG_SOURCE_ROOT, name);
}

static int find_file(const char *spec, mg_corpus *corpus, char *error, size_t error_size)
{
    struct stat info;
    if (stat(spec, &info) == 0) {
        snprintf(corpus->path, sizeof corpus->path, "%s", spec);
    } else if (is_known_name(spec)) {
        cache_path(spec, corpus->path, sizeof corpus->path);
        if (stat(corpus->path, &info) != 0) {
            snprintf(error, error_size, "corpus '%s' is not fetched yet: run corpora/fetch %s", spec, spec);
            return -1;
        }
    } else {
        snprintf(error, error_size, "corpus '%s': %s (named corpora: %s)", spec, strerror(errno), mg_corpus_names);
        return -1;
    }
    if (S_ISDIR(info.st_mode)) {
        snprintf(error, error_size, "corpus '%s' is a directory, not a text file", spec);
        return -1;
    }
    if (access(corpus->path, R_OK) != 0) {
        snprintf(error, error_size, "corpus '%s' is not readable: %s", spec, strerror(errno));
        return -1;
    }
    corpus->file_bytes = S_ISREG(info.st_mode) ? (uint64_t)info.st_size : UINT64_MAX;
    return 0;
}

/* floor(F x size), where F is the decimal the user wrote: 0.29 is stored as
 * 0.28999999999999998, so a product a few ulps under a whole number is that number. */
static uint64_t fraction_limit(double fraction, uint64_t file_bytes)
{
    double product = fraction * (double)file_bytes, limit = floor(product);
    if (limit + 1 <= product * (1 + 8 * DBL_EPSILON))
        limit += 1;
    return (uint64_t)limit;
}

/* A synth: spec is its own path (the reader generates it). Its size is known
 * only by generating it, so that pass is made only when a fraction needs it. */
static int find_synth(const char *spec, double fraction, mg_corpus *corpus, char *error, size_t error_size)
{
    mg_synth_spec synth;
    if (mg_synth_parse(spec, &synth, error, error_size) != 0)
        return -1;
    snprintf(corpus->path, sizeof corpus->path, "%s", spec);
    corpus->file_bytes = fraction == 1.0 ? UINT64_MAX : mg_synth_stream_bytes(&synth);
    if (corpus->file_bytes == 0) {
        snprintf(error, error_size, "corpus '%s': out of memory", spec);
        return -1;
    }
    return 0;
}

int mg_corpus_resolve(const char *spec, double fraction, mg_corpus *corpus,
                      char *error, size_t error_size)
{
    memset(corpus, 0, sizeof *corpus);
    if (!(fraction > 0.0 && fraction <= 1.0)) {
        snprintf(error, error_size, "fraction %g is outside (0, 1]", fraction);
        return -1;
    }
    int found = mg_synth_is_spec(spec) ? find_synth(spec, fraction, corpus, error, error_size)
                                       : find_file(spec, corpus, error, error_size);
    if (found != 0)
        return -1;
    if (fraction == 1.0 || corpus->file_bytes == UINT64_MAX)
        corpus->byte_limit = UINT64_MAX;
    else
        corpus->byte_limit = fraction_limit(fraction, corpus->file_bytes);
    return 0;
}
