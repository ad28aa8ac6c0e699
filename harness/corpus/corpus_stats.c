/* corpus_stats.c — see corpus_stats.h. */
#include "corpus_stats.h"
#include "common/vocab.h"
#include "corpus.h"
#include "gram_table.h"
#include "message.h"
#include "options.h"
#include "results.h"
#include "synth.h"
#include "tokenize.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { EXIT_FAILED = 1, EXIT_USAGE = 2 };
#define CHUNK_BYTES ((size_t)1 << 20)

static int corpus_error(const char *subcommand, const char *message)
{
    fprintf(stderr, "memgrams corpus%s%s: %s\n", subcommand ? " " : "", subcommand ? subcommand : "", message);
    return EXIT_USAGE;
}

typedef struct corpus_arguments {
    const char *spec;
    double fraction;
    const char *orders; /* stats: the list, NULL for 1..5 */
    int json;
    mg_corpus corpus;
} corpus_arguments;

enum { OPTION_FRACTION = 'f', OPTION_ORDERS = 'o', OPTION_JSON = 'j' };

static const struct option corpus_option_table[] = {
    {"fraction", required_argument, NULL, OPTION_FRACTION},
    {"orders", required_argument, NULL, OPTION_ORDERS},
    {"json", no_argument, NULL, OPTION_JSON},
    {NULL, 0, NULL, 0},
};

/* argv[0] is the subcommand; accepted lists the short codes it takes. */
static int parse_arguments(const char *subcommand, const char *accepted, int argc, char **argv,
                           corpus_arguments *arguments)
{
    *arguments = (corpus_arguments){.fraction = 1.0};
    char error[600];
    mg_option_start();
    int code;
    while ((code = mg_option_next(argc, argv, corpus_option_table, NULL, "memgrams", error, sizeof error)) != -1) {
        if (code != MG_OPTION_FAULT && !strchr(accepted, code)) {
            snprintf(error, sizeof error, "option '%s' does not apply here (see memgrams --help)",
                     mg_show(argv[optind - 1]).text);
            code = MG_OPTION_FAULT;
        }
        if (code == MG_OPTION_FAULT)
            return corpus_error(subcommand, error);
        if (code == OPTION_FRACTION && mg_parse_fraction(optarg, &arguments->fraction, error, sizeof error) != 0)
            return corpus_error(subcommand, error);
        if (code == OPTION_ORDERS)
            arguments->orders = optarg;
        if (code == OPTION_JSON)
            arguments->json = 1;
    }
    if (optind >= argc)
        return corpus_error(subcommand, "needs a corpus spec (a file, fortunes, gcide or synth:tokens=N)");
    if (optind + 1 < argc) {
        snprintf(error, sizeof error, "unexpected argument '%s'", mg_show(argv[optind + 1]).text);
        return corpus_error(subcommand, error);
    }
    arguments->spec = argv[optind];
    if (mg_corpus_resolve(arguments->spec, arguments->fraction, &arguments->corpus, error, sizeof error) != 0)
        return corpus_error(subcommand, error);
    return 0;
}

/* ---- cat ------------------------------------------------------------------------ */

/* The corpus's bytes as a stream: a synth generator or a file. */
typedef struct byte_source {
    mg_synth *synth;
    int fd;
} byte_source;

static int source_open(const mg_corpus *corpus, byte_source *source, char *error, size_t error_size)
{
    *source = (byte_source){.synth = NULL, .fd = -1};
    if (mg_synth_is_spec(corpus->path)) {
        source->synth = mg_synth_open_text(corpus->path, error, error_size);
        return source->synth ? 0 : -1;
    }
    source->fd = mg_corpus_open(corpus->path, error, error_size);
    return source->fd < 0 ? -1 : 0;
}

static ssize_t source_read(byte_source *source, unsigned char *buffer, size_t size)
{
    if (source->synth)
        return (ssize_t)mg_synth_read(source->synth, buffer, size);
    ssize_t got;
    do
        got = read(source->fd, buffer, size);
    while (got < 0 && errno == EINTR);
    return got;
}

static void source_close(byte_source *source)
{
    mg_synth_close(source->synth);
    if (source->fd >= 0)
        close(source->fd);
}

enum { COPY_DONE = 0, COPY_READ_FAILED = -1, COPY_WRITE_FAILED = -2, COPY_NO_MEMORY = -3 };

/* Writes the lines that begin before byte_limit, as the tokenizer takes them. */
static int copy_lines(byte_source *source, uint64_t byte_limit, FILE *out)
{
    unsigned char *chunk = malloc(CHUNK_BYTES);
    uint64_t offset = 0;
    int at_line_start = 1, status = chunk ? COPY_DONE : COPY_NO_MEMORY;
    ssize_t got;
    while (status == COPY_DONE && (got = source_read(source, chunk, CHUNK_BYTES)) != 0) {
        if (got < 0) {
            status = COPY_READ_FAILED;
            break;
        }
        size_t keep = 0;
        while (keep < (size_t)got && !(at_line_start && offset + keep >= byte_limit)) {
            at_line_start = chunk[keep] == '\n';
            keep++;
        }
        if (fwrite(chunk, 1, keep, out) != keep)
            status = COPY_WRITE_FAILED;
        offset += keep;
        if (keep < (size_t)got)
            break;
    }
    free(chunk);
    return status;
}

static int command_cat(int argc, char **argv)
{
    corpus_arguments arguments;
    int status = parse_arguments("cat", "f", argc, argv, &arguments);
    if (status)
        return status;
    char error[600];
    byte_source source;
    if (source_open(&arguments.corpus, &source, error, sizeof error) != 0) {
        int usage = corpus_error("cat", error);
        return mg_is_out_of_memory(error) ? EXIT_FAILED : usage;
    }
    int copied = copy_lines(&source, arguments.corpus.byte_limit, stdout);
    int copy_error = errno;
    source_close(&source);
    if (copied == COPY_WRITE_FAILED)
        return mg_output_failed("corpus cat", copy_error);
    if (copied == COPY_NO_MEMORY) {
        corpus_error("cat", MG_OUT_OF_MEMORY);
        return EXIT_FAILED;
    }
    if (copied == COPY_READ_FAILED) {
        snprintf(error, sizeof error, "corpus '%s': %s", mg_show(arguments.spec).text, strerror(copy_error));
        return corpus_error("cat", error);
    }
    return 0; /* the last of stdout is flushed and checked by main */
}

/* ---- stats ---------------------------------------------------------------------- */

#define STATS_SCHEMA "memgrams.corpus_stats/1"

/* "1,3,5" into a mask of (1 << order) bits; 0, or -1 with a message. */
static int parse_orders(const char *text, unsigned *order_mask, char *error, size_t error_size)
{
    *order_mask = 0;
    char copy[64];
    if (strlen(text) >= sizeof copy) {
        snprintf(error, error_size, "orders '%s' is too long", mg_show(text).text);
        return -1;
    }
    snprintf(copy, sizeof copy, "%s", text);
    char *state = NULL;
    for (char *item = strtok_r(copy, ",", &state); item; item = strtok_r(NULL, ",", &state)) {
        int order;
        if (mg_parse_order(item, &order, error, error_size) != 0)
            return -1;
        *order_mask |= 1u << order;
    }
    if (*order_mask == 0) {
        snprintf(error, error_size, "orders '%s' lists no order", mg_show(text).text);
        return -1;
    }
    return 0;
}

typedef struct corpus_stats {
    mg_reader_stats reader;
    uint64_t vocab;
    uint64_t distinct[MG_GRAM_TABLES]; /* per order, for the orders asked */
} corpus_stats;

static int count_stats(const mg_corpus *corpus, unsigned order_mask, corpus_stats *stats, char *error,
                       size_t error_size)
{
    mg_gram_table tables[MG_GRAM_TABLES];
    mg_interner *interner = NULL;
    if (mg_gram_count_corpus(corpus, order_mask, tables, &interner, &stats->reader, error, error_size) != 0)
        return -1;
    stats->vocab = mg_interner_count(interner) - MG_VOCAB_FIRST_WORD_ID;
    for (int order = 1; order < MG_GRAM_TABLES; order++) {
        stats->distinct[order] = tables[order].used;
        mg_gram_table_free(&tables[order]);
    }
    mg_interner_destroy(interner);
    return 0;
}

static void print_stats_text(const corpus_arguments *arguments, unsigned order_mask, const corpus_stats *stats)
{
    printf("corpus      %s\nfraction    %g\nbytes       %llu\nsentences   %llu\ntokens      %llu\nvocab       %llu\n",
           arguments->spec, arguments->fraction, (unsigned long long)stats->reader.bytes_read,
           (unsigned long long)stats->reader.sentences, (unsigned long long)stats->reader.tokens,
           (unsigned long long)stats->vocab);
    printf("order  distinct n-grams  per token\n");
    for (int order = 1; order < MG_GRAM_TABLES; order++)
        if (order_mask & (1u << order))
            printf("%-5d  %16llu  %9.4f\n", order, (unsigned long long)stats->distinct[order],
                   stats->reader.tokens ? (double)stats->distinct[order] / (double)stats->reader.tokens : 0.0);
}

static int print_stats_json(const corpus_arguments *arguments, unsigned order_mask, const corpus_stats *stats)
{
    json_t *distinct = json_object();
    for (int order = 1; order < MG_GRAM_TABLES; order++) {
        char key[4];
        snprintf(key, sizeof key, "%d", order);
        if (order_mask & (1u << order))
            json_object_set_new(distinct, key, json_integer((json_int_t)stats->distinct[order]));
    }
    json_t *object = json_pack("{s:s, s:s, s:f, s:I, s:I, s:I, s:I, s:o}", "schema", STATS_SCHEMA, "corpus",
                               arguments->spec, "fraction", arguments->fraction, "bytes",
                               (json_int_t)stats->reader.bytes_read, "sentences",
                               (json_int_t)stats->reader.sentences, "tokens", (json_int_t)stats->reader.tokens,
                               "vocab", (json_int_t)stats->vocab, "distinct_ngrams", distinct);
    int written = object ? mg_json_write_line(object, STDOUT_FILENO) : -1;
    int write_error = object ? errno : ENOMEM;
    json_decref(object);
    return written == 0 ? 0 : mg_output_failed("corpus stats", write_error);
}

static int command_stats(int argc, char **argv)
{
    corpus_arguments arguments;
    int status = parse_arguments("stats", "foj", argc, argv, &arguments);
    if (status)
        return status;
    char error[600];
    unsigned order_mask = 0x3e; /* orders 1..5 */
    if (arguments.orders && parse_orders(arguments.orders, &order_mask, error, sizeof error) != 0)
        return corpus_error("stats", error);
    corpus_stats stats;
    if (count_stats(&arguments.corpus, order_mask, &stats, error, sizeof error) != 0) {
        fprintf(stderr, "memgrams corpus stats: %s\n", error);
        return mg_is_out_of_memory(error) ? EXIT_FAILED : EXIT_USAGE;
    }
    if (arguments.json)
        return print_stats_json(&arguments, order_mask, &stats);
    print_stats_text(&arguments, order_mask, &stats);
    return 0; /* stdout is flushed and checked by main */
}

/* ---- dispatch ------------------------------------------------------------------- */

int mg_corpus_main(int argc, char **argv)
{
    if (argc < 2)
        return corpus_error(NULL, "needs a subcommand: cat or stats");
    if (strcmp(argv[1], "cat") == 0)
        return command_cat(argc - 1, argv + 1);
    if (strcmp(argv[1], "stats") == 0)
        return command_stats(argc - 1, argv + 1);
    char error[600];
    snprintf(error, sizeof error, "unknown subcommand '%s' (valid: cat, stats)", mg_show(argv[1]).text);
    return corpus_error(NULL, error);
}
