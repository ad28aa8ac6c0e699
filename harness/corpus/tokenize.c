/* tokenize.c — see tokenize.h for the contract.
 *
 * Speed: the read buffer is indexed a segment at a time, 64 bytes (a block)
 * at once (SSE2 on x86-64, a byte loop elsewhere): each block's bytes A-Z
 * are folded in place, and its separators and '\n' become bit masks, from
 * which the offsets of the marks (a word's first byte, or a '\n') and of
 * the ends (the separator after a word) are written to two arrays. A word
 * is then the next mark and the next end, copied into its slot as one
 * whole chunk when it is short: no loop over the bytes of a word, no branch
 * that depends on them, and no chain of work from one word to the next.
 * The buffer keeps a block of slack past its data and each slot a chunk,
 * so whole-block loads and whole-chunk copies stay inside their mappings;
 * the bits of bytes past the data are masked off.
 */
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

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define READ_BUFFER_SIZE ((size_t)1 << 20)
#else
#define READ_BUFFER_SIZE ((size_t)64) /* the fuzz build: words of a fuzz input cross refills */
#endif

enum {
    BLOCK = 64,          /* bytes classified at once: one bit each in a uint64_t */
    CHUNK = 32,          /* a word up to this long is copied as a whole chunk */
    SEGMENT = 4096,      /* bytes indexed at a time: a multiple of BLOCK */
    FLATTEN_STEP = 8,    /* offsets written at a time, unconditionally, past the count too */
    /* offsets an index array holds: a segment of '\n' (one mark each), the mark of a word
     * in progress, and the slack of one flatten step */
    INDEX_ENTRIES = SEGMENT + 1 + FLATTEN_STEP,
};
#define READ_BUFFER_MAPPED (READ_BUFFER_SIZE + BLOCK) /* the slack a block loaded near the end reads */
#define READER_MAPPED (READ_BUFFER_MAPPED + 2 * INDEX_ENTRIES * sizeof(uint32_t)) /* buffer, marks, ends */
#define WINDOW_RING 64   /* tokens the window slides over before it moves back to the start */
#define RING_ROOM (2 * MG_ORDER_MAX) /* the ring's end a gram's token and start markers may reach */

_Static_assert(MG_SLOT_PREFAULT >= CHUNK, "a slot holds a whole chunk: a short word is copied as one");
_Static_assert(WINDOW_RING > 2 * RING_ROOM, "the window fits in its ring");
_Static_assert(SEGMENT % BLOCK == 0, "segments are whole blocks");

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
    /* the index of the buffer: bytes before indexed are folded and their marks and ends
     * written; marks[mark_next..mark_count) and ends[end_next..end_count) are not consumed */
    uint32_t *marks, *ends;
    size_t indexed;
    uint32_t mark_next, mark_count, end_next, end_count;
    uint64_t word_carry;       /* 1: the byte before indexed is a word byte */
    int in_line;               /* a sentence is open */
    uint64_t sentence_uncounted; /* 1: the open line was begun at the last line's end, and is
                                  * counted with its first gram, as a line begun here is */
    int next_slot;             /* the token slot of the line's next word: word k uses slot k mod order */
    unsigned char *slots[MG_ORDER_MAX];
    size_t slot_sizes[MG_ORDER_MAX]; /* mapped bytes of each slot: MG_SLOT_PREFAULT, more after a longer word */
    size_t fast_limit;         /* a '\n' before buffer[fast_limit - 1] is followed by a line to read */
    /* the next token goes to ring[next_write], the gram being the order tokens that end
     * there: a token is pushed by one store, the window moved back to the ring's start
     * once in a while; a line's start markers are written before its first word's place */
    mg_token ring[WINDOW_RING];
    size_t next_write;
    mg_reader_stats stats;
    char error[512];
    char path[4096];
};

static const mg_token start_marker = {NULL, MG_MARK_START};
static const mg_token end_marker = {NULL, MG_MARK_END};

/* ---- indexing a block ----------------------------------------------------- */

/* Bit k of each mask stands for byte k of a block. */
typedef struct block_marks {
    uint64_t separators;
    uint64_t newlines;
} block_marks;

#if defined(__SSE2__)
/* 0xff where a byte is in lowest..lowest+span (unsigned wrap-around puts the rest above span). */
static inline __m128i in_range(__m128i bytes, char lowest, char span)
{
    __m128i offset = _mm_sub_epi8(bytes, _mm_set1_epi8(lowest));
    return _mm_cmpeq_epi8(_mm_max_epu8(offset, _mm_set1_epi8(span)), _mm_set1_epi8(span));
}

/* The 16 bytes at bytes: classified into bit 'shift' on of the masks, then folded in place. */
static inline void index_sixteen(unsigned char *bytes, int shift, block_marks *marks)
{
    __m128i sixteen = _mm_loadu_si128((const __m128i *)bytes);
    __m128i separators = _mm_or_si128(_mm_cmpeq_epi8(sixteen, _mm_set1_epi8(' ')),
                                      in_range(sixteen, '\t', '\r' - '\t')); /* \t \n \v \f \r are 9..13 */
    marks->separators |= (uint64_t)(uint32_t)_mm_movemask_epi8(separators) << shift;
    marks->newlines |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(sixteen, _mm_set1_epi8('\n'))) << shift;
    __m128i upper = in_range(sixteen, 'A', 'Z' - 'A');
    _mm_storeu_si128((__m128i *)bytes, _mm_add_epi8(sixteen, _mm_and_si128(upper, _mm_set1_epi8('a' - 'A'))));
}

static inline block_marks index_block(unsigned char *bytes)
{
    block_marks marks = {0, 0};
    for (int shift = 0; shift < BLOCK; shift += 16)
        index_sixteen(bytes + shift, shift, &marks);
    return marks;
}
#else
static inline block_marks index_block(unsigned char *bytes)
{
    block_marks marks = {0, 0};
    for (unsigned index = 0; index < BLOCK; index++) {
        unsigned char byte = bytes[index];
        int separator = byte == ' ' || (unsigned char)(byte - '\t') <= '\r' - '\t';
        marks.separators |= (uint64_t)separator << index;
        marks.newlines |= (uint64_t)(byte == '\n') << index;
        bytes[index] = (unsigned char)(byte + ((unsigned char)(byte - 'A') <= 'Z' - 'A' ? 'a' - 'A' : 0));
    }
    return marks;
}
#endif

/* The bits of a block's first count bytes (all of them from BLOCK on). */
static inline uint64_t first_bits(size_t count)
{
    return count >= BLOCK ? ~(uint64_t)0 : ((uint64_t)1 << count) - 1;
}

/* Set bits, counted without the popcnt instruction baseline x86-64 lacks. */
static inline unsigned count_bits(uint64_t bits)
{
    bits -= (bits >> 1) & 0x5555555555555555u;
    bits = (bits & 0x3333333333333333u) + ((bits >> 2) & 0x3333333333333333u);
    bits = (bits + (bits >> 4)) & 0x0f0f0f0f0f0f0f0fu;
    return (unsigned)((bits * 0x0101010101010101u) >> 56);
}

/* Writes base + the offset of each set bit at out, FLATTEN_STEP at a time
 * (the loop's end is the same for most blocks, so it is predicted); returns
 * how many. Past the last bit it writes base + 63: the array's slack. */
static inline uint32_t flatten(uint32_t *out, uint64_t bits, uint32_t base)
{
    uint32_t count = count_bits(bits);
    for (uint32_t written = 0; written < count; written += FLATTEN_STEP)
        for (int step = 0; step < FLATTEN_STEP; step++) {
            out[written + (uint32_t)step] = base + (uint32_t)__builtin_ctzll(bits | (uint64_t)1 << 63);
            bits &= bits - 1;
        }
    return count;
}

/* ---- the read buffer and its index ---------------------------------------- */

static void index_reset(mg_reader *reader, size_t from, uint64_t word_carry)
{
    reader->indexed = from;
    reader->mark_next = reader->mark_count = reader->end_next = reader->end_count = 0;
    reader->word_carry = word_carry;
}

/* Indexes the next segment of the buffer: 1, or 0 when all of it is indexed. */
static int index_more(mg_reader *reader)
{
    if (reader->indexed >= reader->filled)
        return 0;
    /* what is not consumed yet moves to the arrays' starts: at most a word's mark */
    uint32_t marks_left = reader->mark_count - reader->mark_next, ends_left = reader->end_count - reader->end_next;
    memmove(reader->marks, reader->marks + reader->mark_next, marks_left * sizeof(uint32_t));
    memmove(reader->ends, reader->ends + reader->end_next, ends_left * sizeof(uint32_t));
    reader->mark_next = reader->end_next = 0;
    size_t stop = reader->filled - reader->indexed > SEGMENT ? reader->indexed + SEGMENT : reader->filled;
    uint64_t carry = reader->word_carry;
    for (size_t at = reader->indexed; at < stop; at += BLOCK) {
        block_marks block = index_block(reader->buffer + at);
        uint64_t valid = first_bits(reader->filled - at), separators = block.separators & valid;
        uint64_t words = ~block.separators & valid;
        uint64_t after_word = words << 1 | carry;
        marks_left += flatten(reader->marks + marks_left, (words & ~after_word) | (block.newlines & valid),
                              (uint32_t)at);
        ends_left += flatten(reader->ends + ends_left, separators & after_word, (uint32_t)at);
        carry = words >> 63;
    }
    reader->indexed = stop;
    reader->word_carry = carry;
    reader->mark_count = marks_left;
    reader->end_count = ends_left;
    return 1;
}

/* Refill when empty: 1 bytes available, 0 end of file, -1 error. */
static int ensure_bytes(mg_reader *reader)
{
    if (reader->position < reader->filled)
        return 1;
    if (reader->at_eof)
        return 0;
    reader->buffer_offset += reader->filled;
    reader->position = reader->filled = reader->fast_limit = 0;
    index_reset(reader, 0, 0);
    for (;;) {
        ssize_t got = reader->synth ? (ssize_t)mg_synth_read(reader->synth, reader->buffer, READ_BUFFER_SIZE)
                                    : read(reader->fd, reader->buffer, READ_BUFFER_SIZE);
        if (got > 0) {
            reader->filled = (size_t)got;
            uint64_t limit_here = reader->byte_limit - reader->buffer_offset; /* lines begin before it */
            reader->fast_limit = reader->byte_limit <= reader->buffer_offset ? 0
                               : limit_here < reader->filled ? (size_t)limit_here : reader->filled;
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

/* ---- the window ----------------------------------------------------------- */

/* The order - 1 start markers before the place of the next token. */
static inline void write_start_markers(mg_reader *reader)
{
    for (size_t back = 1; back < (size_t)reader->order; back++)
        reader->ring[reader->next_write - back] = start_marker;
}

/* token at the window's end; the gram is then ring + the returned index. */
static size_t push_window(mg_reader *reader, const mg_token *token)
{
    size_t keep = (size_t)reader->order - 1;
    if (reader->next_write + RING_ROOM >= WINDOW_RING) {
        memmove(reader->ring, reader->ring + reader->next_write - keep, sizeof(mg_token) * keep);
        reader->next_write = keep;
    }
    reader->ring[reader->next_write++] = *token;
    return reader->next_write - 1 - keep;
}

/* ---- lines and words ------------------------------------------------------ */

/* A new line starts here if there is a byte left and it begins before the limit. */
static int begin_line(mg_reader *reader)
{
    if (current_offset(reader) >= reader->byte_limit)
        return 0;
    int available = ensure_bytes(reader);
    if (available <= 0)
        return available;
    reader->in_line = 1;
    reader->next_slot = 0;
    write_start_markers(reader);
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

/* Buffer bytes [from, to) (indexed: folded) appended to the copied bytes of
 * the word in slot number slot. 0, SCAN_ERROR past MG_TOKEN_MAX, or SCAN_NO_MEMORY. */
static int append_to_slot(mg_reader *reader, int slot, uint32_t copied, size_t from, size_t to)
{
    size_t taken = to - from;
    if (taken > MG_TOKEN_MAX - copied) {
        snprintf(reader->error, sizeof reader->error,
                 "corpus '%s': a word in line %llu is longer than the %u MiB limit", mg_show(reader->path).text,
                 (unsigned long long)reader->stats.sentences, MG_TOKEN_MAX >> 20);
        return SCAN_ERROR;
    }
    if (fit_slot(reader, slot, copied + taken) != 0)
        return SCAN_NO_MEMORY;
    memcpy(reader->slots[slot] + copied, reader->buffer + from, taken);
    return 0;
}

/* The word whose first byte is at 'from' and that runs to the buffer's end,
 * copied into slot number slot through as many refills as it spans. */
static int scan_long_word(mg_reader *reader, int slot, size_t from, uint32_t *length)
{
    uint32_t copied = 0;
    for (;;) {
        int appended = append_to_slot(reader, slot, copied, from, reader->filled);
        if (appended != 0)
            return appended;
        copied += (uint32_t)(reader->filled - from);
        reader->position = reader->filled;
        int available = ensure_bytes(reader);
        if (available < 0)
            return SCAN_ERROR;
        if (available == 0)
            break; /* the word ends the file */
        reader->word_carry = 1; /* the word goes on: no mark before its end */
        while (reader->end_count == 0 && index_more(reader))
            continue;
        if (reader->end_count > 0) {
            size_t end = reader->ends[reader->end_next++];
            if ((appended = append_to_slot(reader, slot, copied, 0, end)) != 0)
                return appended;
            copied += (uint32_t)end;
            reader->position = end;
            break;
        }
        from = 0; /* the whole buffer is the word's */
    }
    *length = copied;
    return SCAN_WORD;
}

/* The word whose mark is next, into slot number slot. */
static int scan_word(mg_reader *reader, int slot, uint32_t *length)
{
    size_t from = reader->marks[reader->mark_next];
    while (reader->end_next == reader->end_count)
        if (!index_more(reader)) {
            reader->mark_next++;
            return scan_long_word(reader, slot, from, length);
        }
    /* index_more may have moved the mark, not its offset */
    reader->mark_next++;
    size_t end = reader->ends[reader->end_next++];
    if (end - from <= CHUNK)
        memcpy(reader->slots[slot], reader->buffer + from, CHUNK);
    else {
        int appended = append_to_slot(reader, slot, 0, from, end);
        if (appended != 0)
            return appended;
    }
    reader->position = end;
    *length = (uint32_t)(end - from);
    return SCAN_WORD;
}

/* Next word of the open line into a token slot, or the end of the line. */
static int scan_token(mg_reader *reader, mg_token *token)
{
    while (reader->mark_next == reader->mark_count)
        if (!index_more(reader)) {
            reader->position = reader->filled; /* separators to the buffer's end */
            int available = ensure_bytes(reader);
            if (available < 0)
                return SCAN_ERROR;
            if (available == 0)
                return SCAN_LINE_END;
        }
    size_t at = reader->marks[reader->mark_next];
    if (reader->buffer[at] == '\n') {
        reader->mark_next++;
        reader->position = at + 1;
        return SCAN_LINE_END;
    }
    /* the slot of the word leaving the window: a slot that moves as it grows leaves no token behind */
    int slot = reader->next_slot;
    uint32_t length = 0;
    int scanned = scan_word(reader, slot, &length);
    if (scanned != SCAN_WORD)
        return scanned;
    token->bytes = reader->slots[slot];
    token->len = length;
    return SCAN_WORD;
}

/* ---- grams ---------------------------------------------------------------- */

/* mg_reader_next for all but the commonest grams: a line's first, a line's
 * end that the buffer or the limit may end, a long word, a word whose end is
 * not indexed yet, an exhausted index, a window at the ring's end. */
static __attribute__((noinline)) int next_gram(mg_reader *reader, const mg_token **gram)
{
    reader->stats.sentences += reader->sentence_uncounted;
    reader->sentence_uncounted = 0;
    if (!reader->in_line) {
        int begun = begin_line(reader);
        if (begun <= 0)
            return begun;
    }
    mg_token token;
    int scanned = scan_token(reader, &token);
    if (scanned < 0)
        return scanned;
    size_t start;
    if (scanned == SCAN_WORD) {
        reader->next_slot = reader->next_slot + 1 == reader->order ? 0 : reader->next_slot + 1;
        reader->stats.tokens++;
        start = push_window(reader, &token);
    } else {
        reader->in_line = 0;
        start = push_window(reader, &end_marker);
        reader->stats.bytes_read = current_offset(reader);
    }
    reader->stats.grams++;
    *gram = reader->ring + start;
    return 1;
}

/* The commonest grams, inline and without a branch on the text: the next
 * mark is a short word, or a '\n' followed by a line that is read (the next
 * line is begun at once: its start markers written after the end marker). */
int mg_reader_next(mg_reader *reader, const mg_token **gram)
{
    uint32_t mark = reader->mark_next, end_index = reader->end_next;
    size_t order = (size_t)reader->order, write = reader->next_write;
    if (!(reader->in_line && mark < reader->mark_count && end_index < reader->end_count &&
          write + RING_ROOM < WINDOW_RING))
        return next_gram(reader, gram);
    size_t from = reader->marks[mark], end = reader->ends[end_index];
    int line_end = reader->buffer[from] == '\n';
    if (from + 1 >= reader->fast_limit || (end - from > CHUNK && !line_end))
        return next_gram(reader, gram);
    /* a line's end copies too: into the slot of the word that left the window */
    int slot = reader->next_slot;
    unsigned char *into = reader->slots[slot];
    memcpy(into, reader->buffer + from, CHUNK);
    reader->ring[write] = line_end ? end_marker : (mg_token){into, (uint32_t)(end - from)};
    for (size_t back = 1; back < order; back++)
        reader->ring[write + back] = start_marker; /* a word's next tokens overwrite them */
    reader->next_write = write + (line_end ? order : 1);
    reader->mark_next = mark + 1;
    reader->end_next = end_index + !line_end;
    reader->position = line_end ? from + 1 : end;
    reader->next_slot = line_end || (size_t)slot + 1 == order ? 0 : slot + 1;
    reader->stats.tokens += !line_end;
    reader->stats.sentences += reader->sentence_uncounted;
    reader->sentence_uncounted = line_end;
    reader->stats.grams++;
    if (line_end)
        reader->stats.bytes_read = reader->buffer_offset + from + 1;
    *gram = reader->ring + write + 1 - order;
    return 1;
}

static void close_parts(mg_reader *reader)
{
    if (reader->fd >= 0)
        close(reader->fd);
    mg_synth_close(reader->synth);
    mg_unmap(reader->buffer, READER_MAPPED);
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
    reader->next_write = (size_t)order - 1;
    reader->byte_limit = byte_limit;
    reader->buffer = mg_map(READER_MAPPED);
    if (reader->buffer) {
        reader->marks = (uint32_t *)(reader->buffer + READ_BUFFER_MAPPED);
        reader->ends = reader->marks + INDEX_ENTRIES;
    }
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
    reader->sentence_uncounted = 0;
    reader->next_write = (size_t)reader->order - 1;
    index_reset(reader, 0, 0);
    memset(&reader->stats, 0, sizeof reader->stats);
    return 0;
}

void mg_reader_prefault(mg_reader *reader)
{
    memset(reader->buffer, 0, READER_MAPPED);
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
