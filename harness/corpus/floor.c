/* floor.c — see floor.h. */
#include "floor.h"
#include "common/varint.h"
#include "common/vocab.h"
#include "corpus.h"
#include "gram_table.h"
#include "message.h"
#include "options.h"
#include "results.h"
#include "tokenize.h"

#include <errno.h>
#include <getopt.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { EXIT_FAILED = 1, EXIT_USAGE = 2 };
#define FLOOR_SCHEMA "memgrams.floor/1"
#define STAGE_BYTES ((size_t)1 << 16) /* coded bytes handed to the encoder at a time */
#define ROW_BYTES_MAX (11 * (MG_ORDER_MAX + 1)) /* varints of one row */

/* ---- an xz stream of which only the size is kept ---------------------------------- */

typedef struct xz_counter {
    lzma_stream stream;
    unsigned char stage[STAGE_BYTES]; /* coded bytes waiting for the encoder */
    size_t staged;
    unsigned char out[STAGE_BYTES]; /* compressed bytes, counted and dropped */
    uint64_t raw_bytes, xz_bytes;
} xz_counter;

static int xz_open(xz_counter *counter)
{
    counter->stream = (lzma_stream)LZMA_STREAM_INIT;
    counter->staged = 0;
    counter->raw_bytes = counter->xz_bytes = 0;
    /* xz -9e: 64 MiB dictionary, about 674 MiB of encoder memory */
    return lzma_easy_encoder(&counter->stream, 9 | LZMA_PRESET_EXTREME, LZMA_CHECK_CRC64) == LZMA_OK ? 0 : -1;
}

/* Runs the encoder over the stage (action LZMA_RUN) or to the end (LZMA_FINISH). */
static int xz_pump(xz_counter *counter, lzma_action action)
{
    counter->stream.next_in = counter->stage;
    counter->stream.avail_in = counter->staged;
    for (;;) {
        counter->stream.next_out = counter->out;
        counter->stream.avail_out = sizeof counter->out;
        lzma_ret status = lzma_code(&counter->stream, action);
        counter->xz_bytes += sizeof counter->out - counter->stream.avail_out;
        if (status == LZMA_STREAM_END)
            break;
        if (status != LZMA_OK)
            return -1;
        if (counter->stream.avail_in == 0 && counter->stream.avail_out != 0 && action == LZMA_RUN)
            break;
    }
    counter->staged = 0;
    return 0;
}

static int xz_write(xz_counter *counter, const void *bytes, size_t length)
{
    const unsigned char *at = bytes;
    counter->raw_bytes += length;
    while (length > 0) {
        size_t take = sizeof counter->stage - counter->staged;
        if (take > length)
            take = length;
        memcpy(counter->stage + counter->staged, at, take);
        counter->staged += take;
        at += take;
        length -= take;
        if (counter->staged == sizeof counter->stage && xz_pump(counter, LZMA_RUN) != 0)
            return -1;
    }
    return 0;
}

/* Ends the stream (flushing it when status is 0) and frees the encoder; 0 or -1. */
static int xz_finish(xz_counter *counter, int status)
{
    if (status == 0)
        status = xz_pump(counter, LZMA_FINISH);
    lzma_end(&counter->stream);
    return status;
}

/* ---- the two streams ---------------------------------------------------------------- */

/* The sorted vocabulary, one word a line (words hold no '\n'); markers not listed. */
static int compress_vocabulary(const mg_vocab_dict *dict, xz_counter *counter)
{
    unsigned char buffer[MG_VOCAB_DECODE_MAX];
    int status = xz_open(counter);
    for (uint32_t id = MG_VOCAB_FIRST_WORD_ID; status == 0 && id < mg_vocab_dict_count(dict); id++) {
        mg_token word = mg_vocab_dict_word(dict, id, buffer);
        status = xz_write(counter, word.bytes, word.len) == 0 && xz_write(counter, "\n", 1) == 0 ? 0 : -1;
    }
    return xz_finish(counter, status);
}

static int compare_rows(const void *left, const void *right, void *order)
{
    const uint32_t *a = left, *b = right;
    for (int position = 0; position < *(const int *)order; position++)
        if (a[position] != b[position])
            return a[position] < b[position] ? -1 : 1;
    return 0;
}

/* Renumbers the rows' ids in vocabulary order and sorts the rows by id tuple. */
static void sort_rows(mg_gram_table *table, const uint32_t *remap)
{
    size_t words = (size_t)table->order + 1;
    mg_gram_table_compact(table);
    for (uint64_t row = 0; row < table->used; row++)
        for (int position = 0; position < table->order; position++)
            table->records[row * words + position] = remap[table->records[row * words + position]];
    qsort_r(table->records, table->used, words * sizeof *table->records, compare_rows, &table->order);
}

/* Each row as varints: while the row equals the one before, a position holds
 * the difference from the one before (0 = equal, so the next position is a
 * difference too); after the first difference, ids as they are; then the count. */
static int compress_rows(const mg_gram_table *table, xz_counter *counter)
{
    size_t words = (size_t)table->order + 1;
    static const uint32_t no_row[MG_ORDER_MAX] = {0};
    const uint32_t *previous = no_row;
    int status = xz_open(counter);
    for (uint64_t row = 0; status == 0 && row < table->used; row++) {
        const uint32_t *record = table->records + row * words;
        unsigned char coded[ROW_BYTES_MAX], *at = coded;
        int same_so_far = 1;
        for (int position = 0; position < table->order; position++) {
            at = mg_varint_write(at, same_so_far ? record[position] - previous[position] : record[position]);
            same_so_far = same_so_far && record[position] == previous[position];
        }
        at = mg_varint_write(at, record[table->order]);
        status = xz_write(counter, coded, (size_t)(at - coded));
        previous = record;
    }
    return xz_finish(counter, status);
}

/* ---- the command -------------------------------------------------------------------- */

typedef struct floor_result {
    mg_reader_stats reader;
    uint64_t ngrams, vocab;
    xz_counter *vocab_xz, *table_xz;
} floor_result;

/* Counts, renumbers, sorts and compresses; 0, or -1 with a message. */
static int measure_floor(const mg_corpus *corpus, int order, floor_result *result, char *error, size_t error_size)
{
    mg_gram_table tables[MG_GRAM_TABLES];
    mg_interner *interner = NULL;
    if (mg_gram_count_corpus(corpus, 1u << order, tables, &interner, &result->reader, error, error_size) != 0)
        return -1;
    mg_vocab_dict *dict = NULL;
    uint32_t *remap = NULL;
    uint32_t id_count = mg_interner_count(interner);
    const mg_vocab_parts untagged = {MG_PART_OTHER, MG_PART_OTHER, MG_PART_OTHER}; /* the harness's own */
    int status = mg_vocab_dict_freeze(interner, &untagged, &dict, &remap) == MG_OK ? 0 : -1;
    mg_interner_destroy(interner);
    if (status == 0) {
        result->ngrams = tables[order].used;
        result->vocab = id_count - MG_VOCAB_FIRST_WORD_ID;
        sort_rows(&tables[order], remap);
        mg_vocab_remap_free(MG_PART_OTHER, remap, id_count);
        status = compress_vocabulary(dict, result->vocab_xz) == 0 && compress_rows(&tables[order], result->table_xz) == 0
                     ? 0
                     : -1;
    }
    if (status != 0)
        snprintf(error, error_size, MG_OUT_OF_MEMORY " (counting, sorting or compressing)");
    mg_vocab_dict_destroy(dict);
    mg_gram_table_free(&tables[order]);
    return status;
}

/* 0, or 1 (the exit status) after saying why not. */
static int print_floor(const char *spec, double fraction, int order, const floor_result *result)
{
    uint64_t total = result->vocab_xz->xz_bytes + result->table_xz->xz_bytes;
    /* a corpus without n-grams has no cost per n-gram: null, as the run JSON writes what is unknown */
    json_t *per_ngram = result->ngrams ? json_real((double)total / (double)result->ngrams) : json_null();
    json_t *object = json_pack(
        "{s:s, s:s, s:f, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:s, s:s}", "schema", FLOOR_SCHEMA, "corpus",
        spec, "fraction", fraction, "order", order, "tokens", (json_int_t)result->reader.tokens, "ngrams",
        (json_int_t)result->ngrams, "vocab", (json_int_t)result->vocab, "vocab_raw_bytes",
        (json_int_t)result->vocab_xz->raw_bytes, "vocab_xz_bytes", (json_int_t)result->vocab_xz->xz_bytes,
        "table_raw_bytes", (json_int_t)result->table_xz->raw_bytes, "table_xz_bytes",
        (json_int_t)result->table_xz->xz_bytes, "bytes_per_ngram", per_ngram, "compressor", "xz -9e", "ids",
        "vocabulary order");
    int written = object ? mg_json_write_line(object, STDOUT_FILENO) : -1;
    int write_error = object ? errno : ENOMEM;
    json_decref(object);
    return written == 0 ? 0 : mg_output_failed("floor", write_error);
}

static int floor_error(const char *message)
{
    return mg_fail("floor", EXIT_USAGE, message);
}

int mg_floor_main(int argc, char **argv)
{
    static const struct option options[] = {
        {"order", required_argument, NULL, 'n'}, {"fraction", required_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
    int order = 3, code;
    double fraction = 1.0;
    char error[600];
    mg_option_start();
    while ((code = mg_option_next(argc, argv, options, NULL, "memgrams", error, sizeof error)) != -1) {
        if (code == MG_OPTION_FAULT)
            return floor_error(error);
        int parsed = code == 'n' ? mg_parse_order(optarg, &order, error, sizeof error)
                                 : mg_parse_fraction(optarg, &fraction, error, sizeof error);
        if (parsed != 0)
            return floor_error(error);
    }
    if (optind + 1 != argc)
        return floor_error(optind >= argc ? "needs a corpus spec (a file, fortunes, gcide or synth:tokens=N)"
                                          : "takes one corpus spec");
    mg_corpus corpus;
    if (mg_corpus_resolve(argv[optind], fraction, &corpus, error, sizeof error) != 0)
        return floor_error(error);
    floor_result result = {.vocab_xz = malloc(sizeof(xz_counter)), .table_xz = malloc(sizeof(xz_counter))};
    int status = 0;
    if (!result.vocab_xz || !result.table_xz)
        snprintf(error, sizeof error, MG_OUT_OF_MEMORY);
    if (!result.vocab_xz || !result.table_xz || measure_floor(&corpus, order, &result, error, sizeof error) != 0) {
        status = mg_fail("floor", mg_is_out_of_memory(error) ? EXIT_FAILED : EXIT_USAGE, error);
    }
    if (status == 0)
        status = print_floor(argv[optind], fraction, order, &result);
    free(result.vocab_xz);
    free(result.table_xz);
    return status;
}
