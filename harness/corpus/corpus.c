/* corpus.c — see corpus.h. */
#include "corpus.h"
#include "data_path.h"
#include "message.h"
#include "synth.h"

#include <errno.h>
#include <fcntl.h>
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
    snprintf(path, path_size, "%s/%s.txt", mg_corpora_folder(), name);
}

/* What a file of this mode is, for a message; NULL for a regular file. */
static const char *file_kind(mode_t mode)
{
    return S_ISREG(mode) ? NULL : S_ISDIR(mode) ? "a directory" : S_ISFIFO(mode) ? "a FIFO (a pipe)"
         : S_ISCHR(mode) ? "a character device" : S_ISBLK(mode) ? "a block device"
         : S_ISSOCK(mode) ? "a socket" : "a special file";
}

/* 0 for a regular file; else -1 with the message. memgrams reads a corpus
 * more than once (a run counts its vocabulary after the measurement) and
 * takes its size for --fraction: a stream has neither. */
static int check_regular(const char *shown_as, mode_t mode, char *error, size_t error_size)
{
    const char *kind = file_kind(mode);
    if (!kind)
        return 0;
    if (S_ISDIR(mode))
        snprintf(error, error_size, "corpus '%s' is a directory, not a text file", mg_show(shown_as).text);
    else
        snprintf(error, error_size, "corpus '%s' is %s, not a regular file: memgrams reads a corpus more than once; "
                 "save it to a file first", mg_show(shown_as).text, kind);
    return -1;
}

int mg_corpus_open(const char *path, char *error, size_t error_size)
{
    /* O_NONBLOCK: a FIFO put in the file's place since it was resolved must
     * not block the open; the check below is of the file read (fstat). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        snprintf(error, error_size, "corpus '%s': %s", mg_show(path).text, strerror(errno));
        return -1;
    }
    struct stat info;
    if (fstat(fd, &info) != 0) {
        snprintf(error, error_size, "corpus '%s': %s", mg_show(path).text, strerror(errno));
        close(fd);
        return -1;
    }
    if (check_regular(path, info.st_mode, error, error_size) != 0) {
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK); /* a regular file's reads never wait: no fault to see */
    return fd;
}

static int find_file(const char *spec, mg_corpus *corpus, char *error, size_t error_size)
{
    struct stat info;
    if (stat(spec, &info) == 0) {
        snprintf(corpus->path, sizeof corpus->path, "%s", spec);
    } else if (is_known_name(spec)) {
        cache_path(spec, corpus->path, sizeof corpus->path);
        if (stat(corpus->path, &info) != 0) {
            snprintf(error, error_size, "corpus '%s' is not fetched yet: run %s %s", spec, mg_fetch_command(), spec);
            return -1;
        }
    } else {
        snprintf(error, error_size, "corpus '%s': %s (named corpora: %s)", mg_show(spec).text, strerror(errno),
                 mg_corpus_names);
        return -1;
    }
    if (check_regular(spec, info.st_mode, error, error_size) != 0)
        return -1;
    if (access(corpus->path, R_OK) != 0) {
        snprintf(error, error_size, "corpus '%s' is not readable: %s", mg_show(spec).text, strerror(errno));
        return -1;
    }
    corpus->file_bytes = (uint64_t)info.st_size;
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
        snprintf(error, error_size, MG_OUT_OF_MEMORY " measuring corpus '%s'", mg_show(spec).text);
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
    if (corpus->byte_limit == 0 && corpus->file_bytes > 0) {
        snprintf(error, error_size, "fraction %g of corpus '%s' (%llu bytes) selects no line: from 1/%llu on it "
                 "takes the first", fraction, mg_show(spec).text, (unsigned long long)corpus->file_bytes,
                 (unsigned long long)corpus->file_bytes);
        return -1;
    }
    return 0;
}
