/* tokenize.c — see tokenize.h for the contract.
 *
 * Speed: the read buffer is indexed a segment at a time, 64 bytes (a block)
 * at once (AVX2 with popcnt and BMI1 where the CPU has them, chosen at
 * open, unless built with -DMG_NO_AVX2; else SSE2 on x86-64, a byte loop
 * elsewhere): each block's bytes A-Z
 * are folded in place, and its separators and '\n' become bit masks, from
 * which the offsets of the marks (a word's first byte, or a '\n') and of
 * the ends (the separator after a word) are written to two arrays. A word
 * is then the next mark and the next end, and its token points into the
 * folded buffer: no loop over the bytes of a word, no copy, no branch that
 * depends on them, and no chain of work from one word to the next. Only a
 * refill moves words: the window's into the slots, and a word across
 * refills is gathered in one. mg_reader_next_batch runs through the index
 * a batch of grams at a time, the window held in locals. The buffer keeps
 * a block of slack past its data, so whole-block loads stay inside its
 * mapping; the bits of bytes past the data are masked off.
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
    SEGMENT = 4096,      /* bytes indexed at a time: a multiple of BLOCK */
    FLATTEN_STEP = 8,    /* offsets written at a time, unconditionally, past the count too */
    /* offsets an index array holds: a segment of '\n' (one mark each), the mark of a word
     * in progress, and the slack of one flatten step */
    INDEX_ENTRIES = SEGMENT + 1 + FLATTEN_STEP,
};
#define READ_BUFFER_MAPPED (READ_BUFFER_SIZE + BLOCK) /* the slack a block loaded near the end reads */
#define INDEX_MAPPED (2 * INDEX_ENTRIES * sizeof(uint32_t)) /* marks, ends */
#define BATCH_MAPPED (MG_READER_BATCH * MG_ORDER_MAX * sizeof(mg_token)) /* a batch's grams */
#define READER_MAPPED (READ_BUFFER_MAPPED + INDEX_MAPPED + BATCH_MAPPED)
#define WINDOW_RING 64   /* tokens the window slides over before it moves back to the start */
#define RING_ROOM (2 * MG_ORDER_MAX) /* the ring's end a gram's token and start markers may reach */

_Static_assert(READ_BUFFER_SIZE <= MG_TOKEN_MAX, "a word inside the read buffer is never too long");
_Static_assert(INDEX_MAPPED % _Alignof(mg_token) == 0, "the batch's tokens are aligned");
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
    void (*index_segment)(mg_reader *reader); /* the indexing for this CPU */
    int in_line;               /* a sentence is open */
    uint64_t sentence_uncounted; /* 1: the open line was begun at the last line's end, and is
                                  * counted with its first gram, as a line begun here is */
    /* a word is read where it lies in the buffer; the words of the window move to the
     * slots when the buffer is refilled, and a word across refills is gathered in one */
    int word_slot;             /* the slot of the word being gathered across refills, or -1 */
    unsigned char *slots[MG_ORDER_MAX];
    size_t slot_sizes[MG_ORDER_MAX]; /* mapped bytes of each slot: MG_SLOT_PREFAULT, more after a longer word */
    size_t fast_limit;         /* a '\n' before buffer[fast_limit - 1] is followed by a line to read */
    /* the next token goes to ring[next_write], the gram being the order tokens that end
     * there: a token is pushed by one store, the window moved back to the ring's start
     * once in a while; a line's start markers are written before its first word's place */
    mg_token ring[WINDOW_RING];
    size_t next_write;
    mg_token *batch;           /* mg_reader_next_batch's grams: MG_READER_BATCH of MG_ORDER_MAX tokens */
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

#if defined(__x86_64__) && defined(__GNUC__) && !defined(MG_NO_AVX2)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1

/* in_range and index_block for 32 bytes at once, where the CPU has AVX2 (chosen at open). */
static __attribute__((target("avx2"))) inline __m256i in_range_avx2(__m256i bytes, char lowest, char span)
{
    __m256i offset = _mm256_sub_epi8(bytes, _mm256_set1_epi8(lowest));
    return _mm256_cmpeq_epi8(_mm256_max_epu8(offset, _mm256_set1_epi8(span)), _mm256_set1_epi8(span));
}

static __attribute__((target("avx2"))) inline block_marks index_block_avx2(unsigned char *bytes)
{
    block_marks marks = {0, 0};
    for (int shift = 0; shift < BLOCK; shift += 32) {
        __m256i bytes32 = _mm256_loadu_si256((const __m256i *)(bytes + shift));
        __m256i separators = _mm256_or_si256(_mm256_cmpeq_epi8(bytes32, _mm256_set1_epi8(' ')),
                                             in_range_avx2(bytes32, '\t', '\r' - '\t'));
        marks.separators |= (uint64_t)(uint32_t)_mm256_movemask_epi8(separators) << shift;
        marks.newlines |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(bytes32, _mm256_set1_epi8('\n')))
                          << shift;
        __m256i upper = in_range_avx2(bytes32, 'A', 'Z' - 'A');
        _mm256_storeu_si256((__m256i *)(bytes + shift),
                            _mm256_add_epi8(bytes32, _mm256_and_si256(upper, _mm256_set1_epi8('a' - 'A'))));
    }
    return marks;
}
#else
#define HAVE_AVX2_PATH 0
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
static inline __attribute__((always_inline)) uint32_t flatten(uint32_t *out, uint64_t bits, uint32_t base,
                                                               uint32_t count)
{
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

/* Indexes the segment of the buffer at reader->indexed with classify;
 * popcount counts a mask's bits. One copy of this for each instruction set. */
static inline __attribute__((always_inline)) void index_segment_with(mg_reader *reader,
                                                                     block_marks (*classify)(unsigned char *),
                                                                     unsigned (*popcount)(uint64_t))
{
    /* what is not consumed yet moves to the arrays' starts: at most a word's mark */
    uint32_t marks_left = reader->mark_count - reader->mark_next, ends_left = reader->end_count - reader->end_next;
    memmove(reader->marks, reader->marks + reader->mark_next, marks_left * sizeof(uint32_t));
    memmove(reader->ends, reader->ends + reader->end_next, ends_left * sizeof(uint32_t));
    reader->mark_next = reader->end_next = 0;
    size_t stop = reader->filled - reader->indexed > SEGMENT ? reader->indexed + SEGMENT : reader->filled;
    uint64_t carry = reader->word_carry;
    for (size_t at = reader->indexed; at < stop; at += BLOCK) {
        block_marks block = classify(reader->buffer + at);
        uint64_t valid = first_bits(reader->filled - at), separators = block.separators & valid;
        uint64_t words = ~block.separators & valid;
        uint64_t after_word = words << 1 | carry;
        uint64_t starts = (words & ~after_word) | (block.newlines & valid), ends = separators & after_word;
        marks_left += flatten(reader->marks + marks_left, starts, (uint32_t)at, popcount(starts));
        ends_left += flatten(reader->ends + ends_left, ends, (uint32_t)at, popcount(ends));
        carry = words >> 63;
    }
    reader->indexed = stop;
    reader->word_carry = carry;
    reader->mark_count = marks_left;
    reader->end_count = ends_left;
}

static void index_segment(mg_reader *reader)
{
    index_segment_with(reader, index_block, count_bits);
}

#if HAVE_AVX2_PATH
static __attribute__((target("popcnt"))) inline unsigned count_bits_popcnt(uint64_t bits)
{
    return (unsigned)__builtin_popcountll(bits);
}

static __attribute__((target("avx2,popcnt,bmi"))) void index_segment_avx2(mg_reader *reader)
{
    index_segment_with(reader, index_block_avx2, count_bits_popcnt);
}
#endif

/* The indexing for this CPU: AVX2 (with popcnt and BMI1) where it has it. */
static void (*choose_index_segment(void))(mg_reader *)
{
#if HAVE_AVX2_PATH
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt") && __builtin_cpu_supports("bmi"))
        return index_segment_avx2;
#endif
    return index_segment;
}

/* Indexes the next segment of the buffer: 1, or 0 when all of it is indexed. */
static int index_more(mg_reader *reader)
{
    if (reader->indexed >= reader->filled)
        return 0;
    reader->index_segment(reader);
    return 1;
}

/* ---- the word slots ------------------------------------------------------ */

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

/* A slot that holds neither a word of the window nor the word being gathered:
 * the window has order - 1 tokens, so one of the order slots is always free. */
static int free_slot(const mg_reader *reader)
{
    size_t keep = (size_t)reader->order - 1;
    for (int slot = 0; slot < reader->order; slot++) {
        int used = slot == reader->word_slot;
        for (size_t back = 1; back <= keep && !used; back++)
            used = reader->ring[reader->next_write - back].bytes == reader->slots[slot];
        if (!used)
            return slot;
    }
    return reader->order - 1; /* not reached: see above */
}

/* The window's words that lie in the read buffer, copied into free slots
 * before a refill overwrites them: the next grams still hold them. 0, or
 * SCAN_NO_MEMORY. */
static int keep_window(mg_reader *reader)
{
    uintptr_t buffer = (uintptr_t)reader->buffer;
    for (size_t back = 1; back < (size_t)reader->order; back++) {
        mg_token *token = &reader->ring[reader->next_write - back];
        if ((uintptr_t)token->bytes - buffer >= READ_BUFFER_MAPPED)
            continue; /* a marker, or a word in a slot already */
        int slot = free_slot(reader);
        if (fit_slot(reader, slot, token->len) != 0)
            return SCAN_NO_MEMORY;
        memcpy(reader->slots[slot], token->bytes, token->len);
        token->bytes = reader->slots[slot];
    }
    return 0;
}

/* ---- refills --------------------------------------------------------------- */

/* Refill when empty: 1 bytes available, 0 end of file, SCAN_ERROR or SCAN_NO_MEMORY. */
static int ensure_bytes(mg_reader *reader)
{
    if (reader->position < reader->filled)
        return 1;
    if (reader->at_eof)
        return 0;
    if (keep_window(reader) != 0)
        return SCAN_NO_MEMORY;
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
            return SCAN_ERROR;
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

/* A new line starts here if there is a byte left and it begins before the
 * limit. The start markers go first: a refill keeps no word of the last line. */
static int begin_line(mg_reader *reader)
{
    if (current_offset(reader) >= reader->byte_limit)
        return 0;
    write_start_markers(reader);
    int available = ensure_bytes(reader);
    if (available <= 0)
        return available;
    reader->in_line = 1;
    reader->stats.sentences++;
    return 1;
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
 * gathered in a free slot through as many refills as it spans. */
static int scan_long_word(mg_reader *reader, size_t from, mg_token *token)
{
    int slot = reader->word_slot = free_slot(reader);
    uint32_t copied = 0;
    for (;;) {
        int appended = append_to_slot(reader, slot, copied, from, reader->filled);
        if (appended != 0)
            return appended;
        copied += (uint32_t)(reader->filled - from);
        reader->position = reader->filled;
        int available = ensure_bytes(reader);
        if (available < 0)
            return available;
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
    reader->word_slot = -1;
    *token = (mg_token){reader->slots[slot], copied};
    return SCAN_WORD;
}

/* The word whose mark is next: where it lies in the buffer, or gathered in a
 * slot when the buffer ends before it does. */
static int scan_word(mg_reader *reader, mg_token *token)
{
    size_t from = reader->marks[reader->mark_next];
    while (reader->end_next == reader->end_count)
        if (!index_more(reader)) {
            reader->mark_next++;
            return scan_long_word(reader, from, token);
        }
    /* index_more may have moved the mark, not its offset */
    reader->mark_next++;
    size_t end = reader->ends[reader->end_next++];
    reader->position = end;
    *token = (mg_token){reader->buffer + from, (uint32_t)(end - from)};
    return SCAN_WORD;
}

/* Next word of the open line, or the end of the line. */
static int scan_token(mg_reader *reader, mg_token *token)
{
    while (reader->mark_next == reader->mark_count)
        if (!index_more(reader)) {
            reader->position = reader->filled; /* separators to the buffer's end */
            int available = ensure_bytes(reader);
            if (available < 0)
                return available;
            if (available == 0)
                return SCAN_LINE_END;
        }
    size_t at = reader->marks[reader->mark_next];
    if (reader->buffer[at] == '\n') {
        reader->mark_next++;
        reader->position = at + 1;
        return SCAN_LINE_END;
    }
    return scan_word(reader, token);
}

/* ---- grams ---------------------------------------------------------------- */

/* mg_reader_next for all but the commonest grams: a line's first, a line's
 * end that the buffer or the limit may end, a word whose end is not indexed
 * yet, an exhausted index, a window at the ring's end. */
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
 * mark is a word, or a '\n' followed by a line that is read (the next line
 * is begun at once: its start markers written after the end marker). */
int mg_reader_next(mg_reader *reader, const mg_token **gram)
{
    uint32_t mark = reader->mark_next, end_index = reader->end_next;
    size_t order = (size_t)reader->order, write = reader->next_write;
    if (!(reader->in_line && mark < reader->mark_count && end_index < reader->end_count &&
          write + RING_ROOM < WINDOW_RING))
        return next_gram(reader, gram);
    size_t from = reader->marks[mark], end = reader->ends[end_index];
    int line_end = reader->buffer[from] == '\n';
    if (from + 1 >= reader->fast_limit)
        return next_gram(reader, gram);
    reader->ring[write] = line_end ? end_marker : (mg_token){reader->buffer + from, (uint32_t)(end - from)};
    for (size_t back = 1; back < order; back++)
        reader->ring[write + back] = start_marker; /* a word's next tokens overwrite them */
    reader->next_write = write + (line_end ? order : 1);
    reader->mark_next = mark + 1;
    reader->end_next = end_index + !line_end;
    reader->position = line_end ? from + 1 : end;
    reader->stats.tokens += !line_end;
    reader->stats.sentences += reader->sentence_uncounted;
    reader->sentence_uncounted = line_end;
    reader->stats.grams++;
    if (line_end)
        reader->stats.bytes_read = reader->buffer_offset + from + 1;
    *gram = reader->ring + write + 1 - order;
    return 1;
}

/* ---- batches -------------------------------------------------------------- */

/* The first mark from mark_next on that a batch's loop leaves to next_gram:
 * the index's last (its word's end may not be indexed yet), or the first at
 * or past fast_limit - 1 (a '\n' there may end the last line read). */
static uint32_t fast_marks_stop(const mg_reader *reader)
{
    uint32_t low = reader->mark_next;
    if (reader->mark_count <= low + 1)
        return low;
    uint32_t high = reader->mark_count - 1; /* marks[low..high) are the candidates */
    if (reader->marks[high - 1] + 1 < reader->fast_limit)
        return high;
    while (low < high) { /* the first mark at or past fast_limit - 1 */
        uint32_t middle = low + (high - low) / 2;
        if (reader->marks[middle] + 1 < reader->fast_limit)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

/* token kept where keep is all ones, a start marker where it is zero. */
static inline mg_token token_or_start(mg_token token, uintptr_t keep)
{
    return (mg_token){(const unsigned char *)((uintptr_t)token.bytes & keep), token.len & (uint32_t)keep};
}

/* Up to room grams of the open line and the lines after it into out, end to
 * end, straight from the index: a word points into the (folded) buffer, a
 * '\n' is the end marker and begins the next line. The window is held in
 * locals (order is a constant in each copy of this loop), and a word and a
 * line's end take the same path, by masks, not branches. */
static inline __attribute__((always_inline)) size_t batch_run_order(mg_reader *reader, mg_token *out, size_t room,
                                                                     const size_t order)
{
    uint32_t mark = reader->mark_next, end_index = reader->end_next;
    size_t grams = fast_marks_stop(reader) - mark;
    if (grams > room)
        grams = room;
    if (grams == 0 || !reader->in_line)
        return 0;
    const size_t keep = order - 1;
    mg_token window[MG_ORDER_MAX];
    for (size_t position = 0; position < keep; position++)
        window[position] = reader->ring[reader->next_write - keep + position];
    const unsigned char *buffer = reader->buffer;
    const uint32_t *marks = reader->marks + mark, *ends = reader->ends;
    _Static_assert(MG_MARK_END == 1, "a line's end is the length 1 of a marker");
    for (size_t index = 0; index < grams; index++) {
        uint32_t from = marks[index], end = ends[end_index]; /* past a '\n', a word's end or slack: unused */
        uintptr_t is_word = (uintptr_t)0 - (uintptr_t)(buffer[from] != '\n');
        mg_token token = {(const unsigned char *)((uintptr_t)(buffer + from) & is_word),
                          ((end - from - 1) & (uint32_t)is_word) + 1};
        mg_token *gram = out + index * order;
        for (size_t position = 0; position < keep; position++)
            gram[position] = window[position];
        gram[keep] = token;
        for (size_t position = 0; position + 1 < keep; position++)
            window[position] = token_or_start(window[position + 1], is_word);
        if (keep > 0)
            window[keep - 1] = token_or_start(token, is_word);
        end_index += (uint32_t)(is_word & 1);
    }
    uint64_t words = end_index - reader->end_next;
    size_t line_ends = grams - words, last_line_end = grams;
    while (line_ends > 0 && buffer[marks[--last_line_end]] != '\n')
        continue; /* the last '\n' taken, for bytes_read: a few words back */
    uint32_t last = marks[grams - 1];
    int last_is_line_end = buffer[last] == '\n';
    reader->mark_next = mark + (uint32_t)grams;
    reader->end_next = end_index;
    reader->position = last_is_line_end ? last + 1 : ends[end_index - 1];
    reader->stats.grams += grams;
    reader->stats.tokens += words;
    reader->stats.sentences += reader->sentence_uncounted + line_ends - (uint64_t)last_is_line_end;
    reader->sentence_uncounted = (uint64_t)last_is_line_end;
    if (line_ends > 0)
        reader->stats.bytes_read = reader->buffer_offset + marks[last_line_end] + 1;
    for (size_t position = 0; position < keep; position++) /* the window back, at the ring's start */
        reader->ring[position] = window[position];
    reader->next_write = keep;
    return grams;
}

_Static_assert(MG_ORDER_MAX == 5, "a copy of the batch loop for each order");

static size_t batch_run(mg_reader *reader, mg_token *out, size_t room)
{
    switch (reader->order) {
    case 1: return batch_run_order(reader, out, room, 1);
    case 2: return batch_run_order(reader, out, room, 2);
    case 3: return batch_run_order(reader, out, room, 3);
    case 4: return batch_run_order(reader, out, room, 4);
    default: return batch_run_order(reader, out, room, 5);
    }
}

/* Whether the next gram may refill the read buffer, which the batch's words
 * lie in: unless the next mark is a '\n' or a word whose end is indexed. */
static int may_refill(const mg_reader *reader)
{
    if (reader->mark_next == reader->mark_count)
        return 1;
    return reader->buffer[reader->marks[reader->mark_next]] != '\n' && reader->end_next == reader->end_count;
}

int mg_reader_next_batch(mg_reader *reader, size_t max_grams, const mg_token **grams, size_t *count)
{
    size_t room = max_grams == 0 ? 1 : max_grams > MG_READER_BATCH ? MG_READER_BATCH : max_grams;
    size_t order = (size_t)reader->order, filled = 0;
    int more = 1;
    *grams = reader->batch;
    for (;;) {
        filled += batch_run(reader, reader->batch + filled * order, room - filled);
        if (filled == room)
            break;
        if (reader->mark_count - reader->mark_next <= 1 && index_more(reader))
            continue; /* the loop again, over the next segment */
        if (filled > 0 && may_refill(reader))
            break; /* the batch's words go before the buffer is refilled */
        const mg_token *gram;
        if ((more = next_gram(reader, &gram)) != 1)
            break;
        memcpy(reader->batch + filled++ * order, gram, order * sizeof *gram);
        if (filled == room)
            break;
    }
    *count = filled;
    return more;
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
    reader->word_slot = -1;
    reader->index_segment = choose_index_segment();
    reader->next_write = (size_t)order - 1;
    reader->byte_limit = byte_limit;
    reader->buffer = mg_map(READER_MAPPED);
    if (reader->buffer) {
        reader->marks = (uint32_t *)(reader->buffer + READ_BUFFER_MAPPED);
        reader->ends = reader->marks + INDEX_ENTRIES;
        reader->batch = (mg_token *)(reader->buffer + READ_BUFFER_MAPPED + INDEX_MAPPED);
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
    reader->word_slot = -1;
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
