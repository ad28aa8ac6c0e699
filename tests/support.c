/* support.c — see support.h. */
#include "support.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- byte buffers ------------------------------------------------------- */

static void buffer_reserve(mgt_buffer *buffer, size_t extra)
{
    cr_assert(extra <= SIZE_MAX - buffer->len, "buffer size overflow");
    size_t need = buffer->len + extra;
    if (need <= buffer->cap)
        return;
    size_t cap = buffer->cap ? buffer->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    unsigned char *bytes = realloc(buffer->bytes, cap);
    cr_assert(bytes != NULL, "out of memory growing a test buffer to %zu bytes", cap);
    buffer->bytes = bytes;
    buffer->cap = cap;
}

void mgt_buffer_append(mgt_buffer *buffer, const void *bytes, size_t len)
{
    if (len == 0)
        return;
    buffer_reserve(buffer, len);
    memcpy(buffer->bytes + buffer->len, bytes, len);
    buffer->len += len;
}

void mgt_buffer_append_str(mgt_buffer *buffer, const char *text)
{
    mgt_buffer_append(buffer, text, strlen(text));
}

void mgt_buffer_append_byte(mgt_buffer *buffer, unsigned char byte)
{
    mgt_buffer_append(buffer, &byte, 1);
}

void mgt_buffer_append_repeat(mgt_buffer *buffer, unsigned char byte, size_t count)
{
    if (count == 0)
        return;
    buffer_reserve(buffer, count);
    memset(buffer->bytes + buffer->len, byte, count);
    buffer->len += count;
}

void mgt_buffer_appendf(mgt_buffer *buffer, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int needed = vsnprintf(NULL, 0, format, args);
    va_end(args);
    cr_assert(needed >= 0, "bad format '%s'", format);
    buffer_reserve(buffer, (size_t)needed + 1);
    va_start(args, format);
    vsnprintf((char *)buffer->bytes + buffer->len, (size_t)needed + 1, format, args);
    va_end(args);
    buffer->len += (size_t)needed;
}

void mgt_buffer_free(mgt_buffer *buffer)
{
    free(buffer->bytes);
    buffer->bytes = NULL;
    buffer->len = buffer->cap = 0;
}

/* ---- temporary files ---------------------------------------------------- */

static char *temp_open(int *fd)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    size_t size = strlen(dir) + sizeof "/memgrams-test-XXXXXX";
    char *path = malloc(size);
    cr_assert(path != NULL, "out of memory");
    snprintf(path, size, "%s/memgrams-test-XXXXXX", dir);
    *fd = mkstemp(path);
    cr_assert(*fd >= 0, "mkstemp in %s: %s", dir, strerror(errno));
    return path;
}

static void write_all(int fd, const char *path, const unsigned char *bytes, size_t len)
{
    while (len > 0) {
        ssize_t wrote = write(fd, bytes, len);
        if (wrote < 0 && errno == EINTR)
            continue;
        cr_assert(wrote > 0, "writing %s: %s", path, strerror(errno));
        bytes += wrote;
        len -= (size_t)wrote;
    }
}

char *mgt_temp_file(const void *bytes, size_t len)
{
    int fd;
    char *path = temp_open(&fd);
    write_all(fd, path, bytes, len);
    cr_assert(close(fd) == 0, "closing %s: %s", path, strerror(errno));
    return path;
}

char *mgt_temp_file_repeat(unsigned char byte, uint64_t count)
{
    enum { CHUNK = 1 << 20 };
    unsigned char *chunk = malloc(CHUNK);
    cr_assert(chunk != NULL, "out of memory");
    memset(chunk, byte, CHUNK);
    int fd;
    char *path = temp_open(&fd);
    while (count > 0) {
        size_t part = count < CHUNK ? (size_t)count : CHUNK;
        write_all(fd, path, chunk, part);
        count -= part;
    }
    free(chunk);
    cr_assert(close(fd) == 0, "closing %s: %s", path, strerror(errno));
    return path;
}

void mgt_temp_remove(char *path)
{
    if (!path)
        return;
    unlink(path);
    free(path);
}

int mgt_write_file(const char *path, const char *text)
{
    FILE *file = fopen(path, "w");
    if (!file)
        return -1;
    int failed = fputs(text, file) < 0;
    return fclose(file) != 0 || failed ? -1 : 0;
}

int mgt_read_file(const char *path, mgt_buffer *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    unsigned char chunk[65536];
    for (;;) {
        ssize_t got = read(fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            close(fd);
            return -1;
        }
        if (got == 0)
            break;
        mgt_buffer_append(out, chunk, (size_t)got);
    }
    close(fd);
    return 0;
}

/* ---- deterministic random numbers --------------------------------------- */

mgt_rng mgt_rng_make(uint64_t seed) { return (mgt_rng){seed}; }

uint64_t mgt_rng_next(mgt_rng *rng)
{
    uint64_t value = (rng->state += 0x9e3779b97f4a7c15ULL);
    value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
    value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
    return value ^ (value >> 31);
}

__extension__ typedef unsigned __int128 mgt_u128;

uint64_t mgt_rng_below(mgt_rng *rng, uint64_t bound)
{
    return (uint64_t)(((mgt_u128)mgt_rng_next(rng) * bound) >> 64);
}

double mgt_rng_unit(mgt_rng *rng) { return (double)(mgt_rng_next(rng) >> 11) * 0x1.0p-53; }

/* ---- generated text ------------------------------------------------------ */

void mgt_zipf_text(mgt_buffer *out, uint64_t seed, size_t lines, size_t vocab)
{
    cr_assert(vocab > 0, "empty vocabulary");
    mgt_rng rng = mgt_rng_make(seed);
    char (*words)[11] = calloc(vocab, sizeof *words);
    double *cumulative = malloc(vocab * sizeof *cumulative);
    cr_assert(words && cumulative, "out of memory");
    double total = 0;
    for (size_t rank = 0; rank < vocab; rank++) {
        size_t len = 1 + (size_t)mgt_rng_below(&rng, 10);
        for (size_t k = 0; k < len; k++)
            words[rank][k] = (char)('a' + mgt_rng_below(&rng, 26));
        total += 1.0 / pow((double)rank + 1.0, 1.1);
        cumulative[rank] = total;
    }
    for (size_t line = 0; line < lines; line++) {
        size_t count = (size_t)mgt_rng_below(&rng, 20);
        for (size_t k = 0; k < count; k++) {
            double target = mgt_rng_unit(&rng) * total;
            size_t low = 0, high = vocab - 1;
            while (low < high) {
                size_t middle = low + (high - low) / 2;
                if (cumulative[middle] <= target)
                    low = middle + 1;
                else
                    high = middle;
            }
            if (k)
                mgt_buffer_append_byte(out, ' ');
            mgt_buffer_append_str(out, words[low]);
        }
        mgt_buffer_append_byte(out, '\n');
    }
    free(words);
    free(cumulative);
}

char *mgt_zipf_file(uint64_t seed, size_t lines, size_t vocab)
{
    mgt_buffer text = {0};
    mgt_zipf_text(&text, seed, lines, vocab);
    char *path = mgt_temp_file(text.bytes, text.len);
    mgt_buffer_free(&text);
    return path;
}

char *mgt_printable(char *out, size_t out_size, const void *bytes, size_t len)
{
    const unsigned char *in = bytes;
    size_t used = 0, room = out_size > 32 ? out_size - 32 : 0; /* keep room for the suffix */
    size_t k = 0;
    for (; k < len; k++) {
        unsigned char byte = in[k];
        int plain = byte > ' ' && byte < 0x7f && byte != '\\' && byte != '<' && byte != '|';
        if (used + (plain ? 1 : 4) > room)
            break;
        if (plain)
            out[used++] = (char)byte;
        else
            used += (size_t)snprintf(out + used, out_size - used, "\\x%02x", byte);
    }
    if (k < len)
        snprintf(out + used, out_size - used, "...(%zu bytes)", len);
    else
        out[used] = '\0';
    return out;
}
