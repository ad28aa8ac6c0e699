/*
 * fuzz_options.c — libFuzzer target: the parsers of command-line values on
 * arbitrary text (the input up to its first NUL, as argv holds it).
 *
 * mg_parse_fraction, mg_parse_order, mg_parse_count, mg_parse_bounded
 * (harness/common/options.h), mg_allocator_parse (allocator.h), mg_synth_parse
 * (synth.h) and mg_corpus_resolve (corpus.h) never crash, and:
 *  - a fraction accepted is in (0, 1]; an order accepted is 1..5; a count is
 *    accepted exactly when the text is decimal digits of a number that fits
 *    in 64 bits, and is that number; a bounded count exactly when it is
 *    also in 1..most;
 *  - an allocator accepted names one of the four, keeps the text whole and
 *    its options are what follows the name;
 *  - a synth spec accepted has 1 <= tokens <= MG_SYNTH_TOKENS_MAX;
 *  - a corpus resolved has a NUL-terminated path and a byte limit within
 *    the file (or none);
 *  - every error message is NUL-terminated within its buffer, not empty and
 *    one line, for buffers of 1 byte up to a full one (each one malloc'd to
 *    its size, so a write past it is AddressSanitizer's to see).
 * Synthetic corpora over SYNTH_SIZED_TOKENS_MAX tokens are resolved at
 * fraction 1 only: a smaller fraction generates the stream to size it, as
 * long as its tokens take (a size, not a defect).
 */
#include "fuzz_support.h"

#include "allocator.h"
#include "corpus.h"
#include "options.h"
#include "synth.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX 4096
#define SYNTH_SIZED_TOKENS_MAX 20000

/* A parser's call with an error buffer of error_size bytes: 0 or -1. */
typedef struct parse_call {
    const char *what;
    int (*call)(const char *text, void *out, char *error, size_t error_size);
} parse_call;

/* Runs call with a malloc'd error buffer of error_size bytes; checks the
 * answer is 0 or -1 and the message on -1. */
static int run_call(const parse_call *pc, const char *text, void *out, size_t error_size)
{
    char *error = malloc(error_size);
    FUZZ_CHECK(error, "out of memory");
    memset(error, 'X', error_size);
    int status = pc->call(text, out, error, error_size);
    FUZZ_CHECK(status == 0 || status == -1, "%s returned %d", pc->what, status);
    if (status != 0)
        fuzz_check_message(error, error_size, pc->what);
    free(error);
    return status;
}

/* The full-size call's answer, which every smaller buffer must give too. */
static int run_sizes(const parse_call *pc, const char *text, void *out, size_t out_size, size_t small_size)
{
    int status = run_call(pc, text, out, 512);
    void *again = malloc(out_size);
    FUZZ_CHECK(again, "out of memory");
    FUZZ_CHECK(run_call(pc, text, again, 1) == status && run_call(pc, text, again, small_size) == status,
               "%s: the answer depends on the error buffer's size", pc->what);
    free(again);
    return status;
}

/* ---- the parsers -------------------------------------------------------------- */

static int call_fraction(const char *text, void *out, char *error, size_t error_size)
{
    return mg_parse_fraction(text, out, error, error_size);
}

static int call_order(const char *text, void *out, char *error, size_t error_size)
{
    return mg_parse_order(text, out, error, error_size);
}

static int call_count(const char *text, void *out, char *error, size_t error_size)
{
    return mg_parse_count(text, "count", out, error, error_size);
}

#define BOUNDED_MOST 64

static int call_bounded(const char *text, void *out, char *error, size_t error_size)
{
    return mg_parse_bounded(text, "bounded", BOUNDED_MOST, out, error, error_size);
}

static int call_allocator(const char *text, void *out, char *error, size_t error_size)
{
    return mg_allocator_parse(text, out, error, error_size);
}

static int call_synth(const char *text, void *out, char *error, size_t error_size)
{
    return mg_synth_parse(text, out, error, error_size);
}

/* Decimal digits only, of a value below 2^64: that value in *value. */
static bool is_whole_number(const char *text, uint64_t *value)
{
    *value = 0;
    if (!*text)
        return false;
    for (const char *digit = text; *digit; digit++) {
        if (*digit < '0' || *digit > '9')
            return false;
        unsigned next = (unsigned)(*digit - '0');
        if (*value > (UINT64_MAX - next) / 10)
            return false;
        *value = *value * 10 + next;
    }
    return true;
}

static void fuzz_numbers(const char *text, size_t small_size)
{
    static const parse_call fraction = {"mg_parse_fraction", call_fraction};
    static const parse_call order = {"mg_parse_order", call_order};
    static const parse_call count = {"mg_parse_count", call_count};
    static const parse_call bounded = {"mg_parse_bounded", call_bounded};
    double fraction_value = -1;
    if (run_sizes(&fraction, text, &fraction_value, sizeof fraction_value, small_size) == 0)
        FUZZ_CHECK(fraction_value > 0.0 && fraction_value <= 1.0, "mg_parse_fraction took '%s' as %g", text,
                   fraction_value);
    int order_value = -1;
    if (run_sizes(&order, text, &order_value, sizeof order_value, small_size) == 0)
        FUZZ_CHECK(order_value >= 1 && order_value <= 5, "mg_parse_order took '%s' as %d", text, order_value);
    uint64_t count_value = 0, want = 0;
    bool whole = is_whole_number(text, &want);
    int counted = run_sizes(&count, text, &count_value, sizeof count_value, small_size);
    FUZZ_CHECK((counted == 0) == whole, "mg_parse_count %s '%s'", whole ? "refused" : "took", text);
    FUZZ_CHECK(!whole || count_value == want, "mg_parse_count took '%s' as %" PRIu64, text, count_value);
    bool in_bounds = whole && want >= 1 && want <= BOUNDED_MOST;
    uint64_t bounded_value = 0;
    int bounded_status = run_sizes(&bounded, text, &bounded_value, sizeof bounded_value, small_size);
    FUZZ_CHECK((bounded_status == 0) == in_bounds && (!in_bounds || bounded_value == want),
               "mg_parse_bounded(1..%d) %s '%s' (as %" PRIu64 ")", BOUNDED_MOST, in_bounds ? "refused" : "took",
               text, bounded_value);
}

static bool is_allocator_name(const char *name)
{
    return strcmp(name, "jemalloc") == 0 || strcmp(name, "glibc") == 0 || strcmp(name, "mimalloc") == 0 ||
           strcmp(name, "tcmalloc") == 0;
}

static void fuzz_allocator(const char *text, size_t small_size)
{
    static const parse_call allocator = {"mg_allocator_parse", call_allocator};
    mg_allocator_spec spec;
    if (run_sizes(&allocator, text, &spec, sizeof spec, small_size) != 0)
        return;
    FUZZ_CHECK(memchr(spec.name, '\0', sizeof spec.name) && memchr(spec.options, '\0', sizeof spec.options) &&
                   memchr(spec.text, '\0', sizeof spec.text),
               "mg_allocator_parse('%s'): a field is not NUL-terminated", text);
    FUZZ_CHECK(is_allocator_name(spec.name), "mg_allocator_parse took '%s' as allocator '%s'", text, spec.name);
    FUZZ_CHECK(strcmp(spec.text, text) == 0, "mg_allocator_parse('%s') kept the text as '%s'", text, spec.text);
    size_t name_length = strlen(spec.name);
    const char *options = text[name_length] == ':' ? text + name_length + 1 : "";
    FUZZ_CHECK(strncmp(text, spec.name, name_length) == 0 && strcmp(spec.options, options) == 0 &&
                   (text[name_length] == ':' || text[name_length] == '\0'),
               "mg_allocator_parse('%s') took allocator '%s' with options '%s'", text, spec.name, spec.options);
}

/* text itself when it is a synth spec, and "synth:" + text always. */
static void fuzz_synth(const char *text, size_t small_size)
{
    static const parse_call synth = {"mg_synth_parse", call_synth};
    char spec_text[TEXT_MAX + sizeof MG_SYNTH_PREFIX];
    snprintf(spec_text, sizeof spec_text, "%s%s", MG_SYNTH_PREFIX, text);
    const char *texts[] = {spec_text, mg_synth_is_spec(text) ? text : NULL};
    for (size_t index = 0; index < 2 && texts[index]; index++) {
        mg_synth_spec spec;
        if (run_sizes(&synth, texts[index], &spec, sizeof spec, small_size) == 0)
            FUZZ_CHECK(spec.tokens >= 1 && spec.tokens <= MG_SYNTH_TOKENS_MAX,
                       "mg_synth_parse took '%s' as %" PRIu64 " tokens", texts[index], spec.tokens);
    }
}

static void expect_resolved(const char *text, double fraction, size_t error_size)
{
    mg_corpus *corpus = malloc(sizeof *corpus);
    char *error = malloc(error_size);
    FUZZ_CHECK(corpus && error, "out of memory");
    int status = mg_corpus_resolve(text, fraction, corpus, error, error_size);
    FUZZ_CHECK(status == 0 || status == -1, "mg_corpus_resolve returned %d", status);
    if (status != 0) {
        fuzz_check_message(error, error_size, "mg_corpus_resolve");
    } else {
        FUZZ_CHECK(fraction > 0.0 && fraction <= 1.0, "mg_corpus_resolve took fraction %g", fraction);
        FUZZ_CHECK(memchr(corpus->path, '\0', sizeof corpus->path), "mg_corpus_resolve('%s'): path not terminated",
                   text);
        FUZZ_CHECK(corpus->byte_limit == UINT64_MAX || corpus->byte_limit <= corpus->file_bytes,
                   "mg_corpus_resolve('%s', %g): byte limit %" PRIu64 " past the %" PRIu64 " bytes", text, fraction,
                   corpus->byte_limit, corpus->file_bytes);
    }
    free(error);
    free(corpus);
}

static void fuzz_corpus(const char *text, size_t small_size)
{
    mg_synth_spec spec;
    char error[256];
    bool sized = !mg_synth_is_spec(text) || (mg_synth_parse(text, &spec, error, sizeof error) == 0 &&
                                             spec.tokens <= SYNTH_SIZED_TOKENS_MAX);
    expect_resolved(text, 1.0, 512);
    expect_resolved(text, 0.0, small_size);
    if (sized) {
        expect_resolved(text, 0.5, small_size);
        expect_resolved(text, 1.0 / 3.0, 512);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > TEXT_MAX)
        return 0;
    char *text = malloc(size + 1);
    FUZZ_CHECK(text, "out of memory");
    memcpy(text, data, size);
    text[size] = '\0';
    size_t small_size = 1 + size % 64; /* messages cut to a short buffer too */
    fuzz_numbers(text, small_size);
    fuzz_allocator(text, small_size);
    fuzz_synth(text, small_size);
    fuzz_corpus(text, small_size);
    free(text);
    return 0;
}
