/*
 * fuzz_tokenize.c — libFuzzer target: the corpus reader (harness/corpus/tokenize.h)
 * on arbitrary bytes against a reference tokenizer written here.
 *
 * Each input is read at every order 1..5 through mg_reader_open on an
 * in-memory file, twice (the second time after mg_reader_rewind), and once
 * more with a byte limit taken from its first byte; every gram, the
 * counters at the end and the point of an over-long word's error must be
 * the reference's. The fuzz build shrinks the reader's buffer, token slots
 * and word limit (tokenize.h), so words cross refills, grow their slots and
 * pass the limit.
 */
#include "fuzz_support.h"

#include "tokenize.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const mg_token START = {NULL, MG_MARK_START};
static const mg_token END = {NULL, MG_MARK_END};

/* ---- the reference: the contract, by the letter ----------------------------- */

typedef struct reference {
    int order;
    unsigned char *lowered;  /* the input, A-Z lowered: words point into it */
    mg_token *grams;         /* order tokens each, in reading order */
    size_t gram_count;
    bool overlong;           /* reading stops at a word longer than MG_TOKEN_MAX, after gram_count grams */
    mg_reader_stats stats;   /* as the reader counts at the end (or at the error) */
} reference;

static bool is_separator(unsigned char byte)
{
    return byte == ' ' || byte == '\t' || byte == '\n' || byte == '\v' || byte == '\f' || byte == '\r';
}

static void reference_push(reference *ref, mg_token *window, mg_token next)
{
    memmove(window, window + 1, sizeof *window * (size_t)(ref->order - 1));
    window[ref->order - 1] = next;
    memcpy(ref->grams + ref->gram_count * (size_t)ref->order, window, sizeof *window * (size_t)ref->order);
    ref->gram_count++;
}

/* The grams of one line [line, end); false at an over-long word. */
static bool reference_line(reference *ref, size_t line, size_t end)
{
    mg_token window[MG_ORDER_MAX];
    for (int position = 0; position < ref->order; position++)
        window[position] = START;
    for (size_t at = line;;) {
        while (at < end && is_separator(ref->lowered[at]))
            at++;
        if (at == end)
            break;
        size_t stop = at;
        while (stop < end && !is_separator(ref->lowered[stop]))
            stop++;
        if (stop - at > MG_TOKEN_MAX)
            return false;
        reference_push(ref, window, (mg_token){ref->lowered + at, (uint32_t)(stop - at)});
        ref->stats.tokens++;
        at = stop;
    }
    reference_push(ref, window, END);
    return true;
}

/* Lines are read while they begin before limit. */
static void reference_build(reference *ref, const uint8_t *data, size_t size, int order, uint64_t limit)
{
    memset(ref, 0, sizeof *ref);
    ref->order = order;
    ref->lowered = malloc(size + 1);
    ref->grams = malloc(sizeof *ref->grams * (size_t)order * (size + 1));
    FUZZ_CHECK(ref->lowered && ref->grams, "out of memory");
    for (size_t at = 0; at < size; at++)
        ref->lowered[at] = data[at] >= 'A' && data[at] <= 'Z' ? (unsigned char)(data[at] - 'A' + 'a') : data[at];
    for (size_t line = 0; line < size && line < limit;) {
        const unsigned char *newline = memchr(ref->lowered + line, '\n', size - line);
        size_t end = newline ? (size_t)(newline - ref->lowered) : size;
        ref->stats.sentences++;
        if (!reference_line(ref, line, end)) {
            ref->overlong = true;
            break;
        }
        line = newline ? end + 1 : size;
        ref->stats.bytes_read = line;
    }
    ref->stats.grams = ref->gram_count;
}

static void reference_free(reference *ref)
{
    free(ref->lowered);
    free(ref->grams);
}

/* ---- the reader against it ------------------------------------------------------ */

static bool token_equal(const mg_token *a, const mg_token *b)
{
    if (a->bytes == NULL || b->bytes == NULL)
        return a->bytes == b->bytes && a->len == b->len;
    return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

static void expect_stats(const mg_reader_stats *got, const mg_reader_stats *want, const char *where)
{
    FUZZ_CHECK(got->sentences == want->sentences && got->tokens == want->tokens && got->grams == want->grams &&
                   got->bytes_read == want->bytes_read,
               "%s: the reader counted %" PRIu64 " sentences, %" PRIu64 " tokens, %" PRIu64 " grams, %" PRIu64
               " bytes; the reference %" PRIu64 ", %" PRIu64 ", %" PRIu64 ", %" PRIu64,
               where, got->sentences, got->tokens, got->grams, got->bytes_read, want->sentences, want->tokens,
               want->grams, want->bytes_read);
}

/* One pass of the reader from where it stands, gram by gram against ref. */
static void expect_pass(mg_reader *reader, const reference *ref, const char *where)
{
    const mg_token *gram;
    for (size_t index = 0; index < ref->gram_count; index++) {
        int status = mg_reader_next(reader, &gram);
        FUZZ_CHECK(status == 1, "%s: gram %zu of %zu: mg_reader_next returned %d (%s)", where, index,
                   ref->gram_count, status, mg_reader_error(reader));
        const mg_token *want = ref->grams + index * (size_t)ref->order;
        for (int position = 0; position < ref->order; position++)
            FUZZ_CHECK(token_equal(&gram[position], &want[position]),
                       "%s: gram %zu, token %d differs from the reference's (length %u, expected %u)", where, index,
                       position, gram[position].len, want[position].len);
        FUZZ_CHECK(mg_reader_stats_get(reader)->grams == index + 1, "%s: gram %zu counted as %" PRIu64, where,
                   index, mg_reader_stats_get(reader)->grams);
    }
    int status = mg_reader_next(reader, &gram);
    if (ref->overlong) {
        FUZZ_CHECK(status == -1, "%s: a word longer than %u bytes: mg_reader_next returned %d", where,
                   MG_TOKEN_MAX, status);
        fuzz_check_message(mg_reader_error(reader), 512, where);
        return;
    }
    FUZZ_CHECK(status == 0, "%s: after the last of %zu grams mg_reader_next returned %d (%s)", where,
               ref->gram_count, status, mg_reader_error(reader));
    FUZZ_CHECK(mg_reader_next(reader, &gram) == 0, "%s: the end does not stay the end", where);
    expect_stats(mg_reader_stats_get(reader), &ref->stats, where);
}

/* One pass through mg_reader_next_batch, max_grams at a time, against ref. */
static void expect_batched_pass(mg_reader *reader, const reference *ref, size_t max_grams, const char *where)
{
    size_t index = 0, count, order = (size_t)ref->order;
    const mg_token *grams;
    int status;
    do {
        status = mg_reader_next_batch(reader, max_grams, &grams, &count);
        FUZZ_CHECK(count <= max_grams && count <= ref->gram_count - index,
                   "%s: batches of %zu: a batch of %zu grams after %zu of %zu", where, max_grams, count, index,
                   ref->gram_count);
        for (size_t in_batch = 0; in_batch < count; in_batch++, index++)
            for (size_t position = 0; position < order; position++)
                FUZZ_CHECK(token_equal(&grams[in_batch * order + position], &ref->grams[index * order + position]),
                           "%s: batches of %zu: gram %zu, token %zu differs from the reference's", where, max_grams,
                           index, position);
        FUZZ_CHECK(mg_reader_stats_get(reader)->grams == index, "%s: batches of %zu: %zu grams counted as %" PRIu64,
                   where, max_grams, index, mg_reader_stats_get(reader)->grams);
    } while (status == 1);
    FUZZ_CHECK(index == ref->gram_count, "%s: batches of %zu: %zu grams of %zu before the end", where, max_grams,
               index, ref->gram_count);
    if (ref->overlong) {
        FUZZ_CHECK(status == -1, "%s: batches: a word longer than %u bytes: returned %d", where, MG_TOKEN_MAX, status);
        return;
    }
    FUZZ_CHECK(status == 0, "%s: batches: after the last of %zu grams returned %d (%s)", where, ref->gram_count,
               status, mg_reader_error(reader));
    expect_stats(mg_reader_stats_get(reader), &ref->stats, where);
}

static void expect_reader(const char *path, const uint8_t *data, size_t size, int order, uint64_t limit,
                          bool rewind)
{
    char where[96], error[256] = "";
    snprintf(where, sizeof where, "order %d, limit %" PRIu64 ", %zu bytes", order, limit, size);
    reference ref;
    reference_build(&ref, data, size, order, limit);
    mg_reader *reader = mg_reader_open(path, limit, order, error, sizeof error);
    FUZZ_CHECK(reader != NULL, "%s: mg_reader_open: %s", where, error);
    expect_pass(reader, &ref, where);
    if (rewind) {
        FUZZ_CHECK(mg_reader_rewind(reader) == 0, "%s: mg_reader_rewind: %s", where, mg_reader_error(reader));
        expect_pass(reader, &ref, where);
        FUZZ_CHECK(mg_reader_rewind(reader) == 0, "%s: mg_reader_rewind: %s", where, mg_reader_error(reader));
        expect_batched_pass(reader, &ref, 1 + size % MG_READER_BATCH, where);
    }
    mg_reader_close(reader);
    reference_free(&ref);
}

static void expect_order_refused(const char *path, int order)
{
    char error[64];
    FUZZ_CHECK(mg_reader_open(path, UINT64_MAX, order, error, sizeof error) == NULL,
               "mg_reader_open took order %d", order);
    fuzz_check_message(error, sizeof error, "mg_reader_open with a bad order");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_file file;
    fuzz_file_open(&file, data, size);
    for (int order = 1; order <= MG_ORDER_MAX; order++)
        expect_reader(file.path, data, size, order, UINT64_MAX, true);
    /* a limit inside the input: lines that begin before it, whole */
    uint64_t limit = size ? (uint64_t)data[0] * size / 255 : 0;
    expect_reader(file.path, data, size, 1 + (int)(size % MG_ORDER_MAX), limit, false);
    expect_order_refused(file.path, 0);
    expect_order_refused(file.path, MG_ORDER_MAX + 1);
    fuzz_file_close(&file);
    return 0;
}
