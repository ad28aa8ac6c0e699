/* stats.c — see stats.h. */
#include "stats.h"
#include "corpus.h"
#include "options.h"
#include "synth.h"

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
    opterr = 0;
    optind = 1;
    int code, option_index = 0;
    while ((code = getopt_long(argc, argv, ":", corpus_option_table, &option_index)) != -1) {
        if (code == '?' || (code != ':' && !strchr(accepted, code))) {
            snprintf(error, sizeof error, "option '%s' does not apply here (see memgrams --help)", argv[optind - 1]);
            return corpus_error(subcommand, error);
        }
        if (code == ':') {
            snprintf(error, sizeof error, "option '%s' needs a value", argv[optind - 1]);
            return corpus_error(subcommand, error);
        }
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
        snprintf(error, sizeof error, "unexpected argument '%s'", argv[optind + 1]);
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
        mg_synth_spec spec;
        if (mg_synth_parse(corpus->path, &spec, error, error_size) != 0)
            return -1;
        source->synth = mg_synth_open(&spec);
        if (!source->synth)
            snprintf(error, error_size, "out of memory");
        return source->synth ? 0 : -1;
    }
    source->fd = open(corpus->path, O_RDONLY | O_CLOEXEC);
    if (source->fd < 0)
        snprintf(error, error_size, "corpus '%s': %s", corpus->path, strerror(errno));
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

/* Writes the lines that begin before byte_limit, as the tokenizer takes them. */
static int copy_lines(byte_source *source, uint64_t byte_limit, FILE *out)
{
    unsigned char *chunk = malloc(CHUNK_BYTES);
    uint64_t offset = 0;
    int at_line_start = 1, status = chunk ? 0 : -1;
    ssize_t got;
    while (status == 0 && (got = source_read(source, chunk, CHUNK_BYTES)) != 0) {
        if (got < 0) {
            status = -1;
            break;
        }
        size_t keep = 0;
        while (keep < (size_t)got && !(at_line_start && offset + keep >= byte_limit)) {
            at_line_start = chunk[keep] == '\n';
            keep++;
        }
        if (fwrite(chunk, 1, keep, out) != keep)
            status = -1;
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
    if (source_open(&arguments.corpus, &source, error, sizeof error) != 0)
        return corpus_error("cat", error);
    status = copy_lines(&source, arguments.corpus.byte_limit, stdout) == 0 && fflush(stdout) == 0 ? 0 : EXIT_FAILED;
    if (status)
        fprintf(stderr, "memgrams corpus cat: reading or writing failed: %s\n", strerror(errno));
    source_close(&source);
    return status;
}

/* ---- dispatch ------------------------------------------------------------------- */

int mg_corpus_main(int argc, char **argv)
{
    if (argc < 2)
        return corpus_error(NULL, "needs a subcommand: cat or stats");
    if (strcmp(argv[1], "cat") == 0)
        return command_cat(argc - 1, argv + 1);
    char error[600];
    snprintf(error, sizeof error, "unknown subcommand '%s' (valid: cat, stats)", argv[1]);
    return corpus_error(NULL, error);
}
