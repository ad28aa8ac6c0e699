/* tokenize.c — see tokenize.h for the contract. */
#include "tokenize.h"
#include "corpus.h"
#include "mapping.h"
#include "message.h"
#include "synth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define READ_BUFFER_SIZE ((size_t)1 << 20)
#else
#define READ_BUFFER_SIZE ((size_t)64) /* the fuzz build: words of a fuzz input cross refills */
#endif

enum { SCAN_WORD = 1, SCAN_LINE_END = 0, SCAN_ERROR = MG_READ_ERROR, SCAN_NO_MEMORY = MG_READ_NO_MEMORY };

struct mg_reader {
    int fd;
    mg_synth *synth;           /* the byte source instead of fd for a synth: spec */
    int order;
    uint64_t byte_limit;
    /* read buffer: bytes [position, filled) not consumed yet; buffer[0] is file offset buffer_offset */
    unsigned char *buffer;
    size_t position, filled;
    uint64_t buffer_offset;
    int at_eof;
    int in_line;               /* a sentence is open */
    uint64_t words_in_line;    /* picks the token slot: word k uses slot k mod order */
    unsigned char *slots[MG_ORDER_MAX];
    size_t slot_sizes[MG_ORDER_MAX]; /* mapped bytes of each slot: MG_SLOT_PREFAULT, more after a longer word */
    mg_token window[MG_ORDER_MAX];
    mg_reader_stats stats;
    char error[512];
    char path[4096];
};

static const mg_token start_marker = {NULL, MG_MARK_START};
static const mg_token end_marker = {NULL, MG_MARK_END};

static int is_separator(unsigned char byte)
{
    return byte == ' ' || byte == '\t' || byte == '\n' || byte == '\v' || byte == '\f' || byte == '\r';
}

static unsigned char fold_case(unsigned char byte)
{
    return (byte >= 'A' && byte <= 'Z') ? (unsigned char)(byte + ('a' - 'A')) : byte;
}

/* Refill when empty: 1 bytes available, 0 end of file, -1 error. */
static int ensure_bytes(mg_reader *reader)
{
    if (reader->position < reader->filled)
        return 1;
    if (reader->at_eof)
        return 0;
    reader->buffer_offset += reader->filled;
    reader->position = reader->filled = 0;
    for (;;) {
        ssize_t got = reader->synth ? (ssize_t)mg_synth_read(reader->synth, reader->buffer, READ_BUFFER_SIZE)
                                    : read(reader->fd, reader->buffer, READ_BUFFER_SIZE);
        if (got > 0) {
            reader->filled = (size_t)got;
            return 1;
        }
        if (got == 0) {
            reader->at_eof = 1;
            return 0;
        }
        if (errno != EINTR) {
            snprintf(reader->error, sizeof reader->error, "corpus '%s': %s", mg_show(reader->path).text,
                     strerror(errno));
            return -1;
        }
    }
}

static uint64_t current_offset(const mg_reader *reader)
{
    return reader->buffer_offset + reader->position;
}

/* A new line starts here if there is a byte left and it begins before the limit. */
static int begin_line(mg_reader *reader)
{
    if (current_offset(reader) >= reader->byte_limit)
        return 0;
    int available = ensure_bytes(reader);
    if (available <= 0)
        return available;
    reader->in_line = 1;
    reader->words_in_line = 0;
    for (int position = 1; position < reader->order; position++)
        reader->window[position] = start_marker;
    reader->stats.sentences++;
    return 1;
}

/* Slot number slot made to hold at least bytes (at most MG_TOKEN_MAX), grown
 * by doubling (a remap, outside the allocator). 0, or SCAN_NO_MEMORY. */
static int fit_slot(mg_reader *reader, int slot, size_t bytes)
{
    unsigned char *grown = mg_map_grow(reader->slots[slot], &reader->slot_sizes[slot], bytes);
    if (!grown) {
        snprintf(reader->error, sizeof reader->error, MG_OUT_OF_MEMORY " reading a word of %zu bytes in line %llu of "
                 "corpus '%s'", bytes, (unsigned long long)reader->stats.sentences, mg_show(reader->path).text);
        return SCAN_NO_MEMORY;
    }
    reader->slots[slot] = grown;
    return 0;
}

/* Copies the word starting at the current byte into token slot number slot, folding case. */
static int scan_word(mg_reader *reader, int slot, uint32_t *length)
{
    uint32_t copied = 0;
    for (;;) {
        int available = ensure_bytes(reader);
        if (available < 0)
            return SCAN_ERROR;
        if (available == 0)
            break;
        const unsigned char *bytes = reader->buffer + reader->position;
        size_t left = reader->filled - reader->position, taken = 0;
        while (taken < left && !is_separator(bytes[taken]))
            taken++;
        if (taken > MG_TOKEN_MAX - copied) {
            snprintf(reader->error, sizeof reader->error,
                     "corpus '%s': a word in line %llu is longer than the %u MiB limit", mg_show(reader->path).text,
                     (unsigned long long)reader->stats.sentences, MG_TOKEN_MAX >> 20);
            return SCAN_ERROR;
        }
        if (fit_slot(reader, slot, copied + taken) != 0)
            return SCAN_NO_MEMORY;
        unsigned char *into = reader->slots[slot] + copied;
        for (size_t index = 0; index < taken; index++)
            into[index] = fold_case(bytes[index]);
        copied += (uint32_t)taken;
        reader->position += taken;
        if (taken < left)
            break;
    }
    *length = copied;
    return SCAN_WORD;
}

/* Next word of the open line into a token slot, or the end of the line. */
static int scan_token(mg_reader *reader, mg_token *token)
{
    for (;;) {
        int available = ensure_bytes(reader);
        if (available < 0)
            return SCAN_ERROR;
        if (available == 0)
            return SCAN_LINE_END;
        unsigned char byte = reader->buffer[reader->position];
        if (byte == '\n') {
            reader->position++;
            return SCAN_LINE_END;
        }
        if (!is_separator(byte))
            break;
        reader->position++;
    }
    /* the slot of the word leaving the window: a slot that moves as it grows leaves no token behind */
    int slot = (int)(reader->words_in_line % (uint64_t)reader->order);
    uint32_t length = 0;
    int scanned = scan_word(reader, slot, &length);
    if (scanned != SCAN_WORD)
        return scanned;
    token->bytes = reader->slots[slot];
    token->len = length;
    return SCAN_WORD;
}

static void push_window(mg_reader *reader, const mg_token *token)
{
    memmove(reader->window, reader->window + 1, sizeof(mg_token) * (size_t)(reader->order - 1));
    reader->window[reader->order - 1] = *token;
}

int mg_reader_next(mg_reader *reader, const mg_token **gram)
{
    if (!reader->in_line) {
        int begun = begin_line(reader);
        if (begun <= 0)
            return begun;
    }
    mg_token token;
    int scanned = scan_token(reader, &token);
    if (scanned < 0)
        return scanned;
    if (scanned == SCAN_WORD) {
        reader->words_in_line++;
        reader->stats.tokens++;
        push_window(reader, &token);
    } else {
        reader->in_line = 0;
        push_window(reader, &end_marker);
    }
    reader->stats.grams++;
    reader->stats.bytes_read = current_offset(reader);
    *gram = reader->window;
    return 1;
}

static void close_parts(mg_reader *reader)
{
    if (reader->fd >= 0)
        close(reader->fd);
    mg_synth_close(reader->synth);
    mg_unmap(reader->buffer, READ_BUFFER_SIZE);
    for (int slot = 0; slot < MG_ORDER_MAX; slot++)
        mg_unmap(reader->slots[slot], reader->slot_sizes[slot]);
    free(reader);
}

mg_reader *mg_reader_open(const char *path, uint64_t byte_limit, int order,
                          char *error, size_t error_size)
{
    if (order < 1 || order > MG_ORDER_MAX) {
        snprintf(error, error_size, "order %d is outside 1..%d", order, MG_ORDER_MAX);
        return NULL;
    }
    mg_reader *reader = calloc(1, sizeof *reader);
    if (!reader) {
        snprintf(error, error_size, MG_OUT_OF_MEMORY " opening corpus '%s'", mg_show(path).text);
        return NULL;
    }
    snprintf(reader->path, sizeof reader->path, "%s", path);
    reader->fd = -1;
    if (mg_synth_is_spec(path) && !(reader->synth = mg_synth_open_text(path, error, error_size))) {
        close_parts(reader);
        return NULL;
    }
    if (!reader->synth && (reader->fd = mg_corpus_open(path, error, error_size)) < 0) {
        close_parts(reader);
        return NULL;
    }
    reader->order = order;
    reader->byte_limit = byte_limit;
    reader->buffer = mg_map(READ_BUFFER_SIZE);
    int mapped = reader->buffer != NULL;
    for (int slot = 0; slot < order && mapped; slot++) {
        mapped = (reader->slots[slot] = mg_map(MG_SLOT_PREFAULT)) != NULL;
        reader->slot_sizes[slot] = mapped ? MG_SLOT_PREFAULT : 0;
    }
    if (!mapped) {
        snprintf(error, error_size, MG_OUT_OF_MEMORY " mapping the reader's buffers for corpus '%s'",
                 mg_show(path).text);
        close_parts(reader);
        return NULL;
    }
    return reader;
}

int mg_reader_rewind(mg_reader *reader)
{
    if (reader->synth)
        mg_synth_rewind(reader->synth);
    else if (lseek(reader->fd, 0, SEEK_SET) != 0) {
        snprintf(reader->error, sizeof reader->error, "corpus '%s': %s", mg_show(reader->path).text,
                 strerror(errno));
        return -1;
    }
    reader->position = reader->filled = 0;
    reader->buffer_offset = 0;
    reader->at_eof = 0;
    reader->in_line = 0;
    memset(&reader->stats, 0, sizeof reader->stats);
    return 0;
}

void mg_reader_prefault(mg_reader *reader)
{
    memset(reader->buffer, 0, READ_BUFFER_SIZE);
    for (int slot = 0; slot < reader->order; slot++)
        memset(reader->slots[slot], 0, MG_SLOT_PREFAULT);
}

void mg_reader_release_pages(mg_reader *reader)
{
    for (int slot = 0; slot < reader->order; slot++)
        if (reader->slot_sizes[slot] > MG_SLOT_PREFAULT) {
            unsigned char *shrunk = mg_map_resize(reader->slots[slot], reader->slot_sizes[slot], MG_SLOT_PREFAULT);
            if (shrunk) {
                reader->slots[slot] = shrunk;
                reader->slot_sizes[slot] = MG_SLOT_PREFAULT;
            }
        }
}

const mg_reader_stats *mg_reader_stats_get(const mg_reader *reader) { return &reader->stats; }

const char *mg_reader_error(const mg_reader *reader) { return reader->error; }

void mg_reader_close(mg_reader *reader)
{
    if (reader)
        close_parts(reader);
}
