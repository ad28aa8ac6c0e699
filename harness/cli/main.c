/*
 * main.c — the memgrams command line: `memgrams COMMAND [OPTIONS]`. The
 * commands, their options and their help are described in help_table.c
 * (help.h); `memgrams help` prints them.
 *
 * Exit status: 0 success; 1 a run failed; 2 a usage or input error, with one
 * line on stderr naming what was wrong.
 */
#include "allocator.h"
#include "report.h"
#include "backend.h"
#include "cell.h"
#include "check.h"
#include "config.h"
#include "corpus.h"
#include "dump.h"
#include "floor.h"
#include "generate.h"
#include "help.h"
#include "mem.h"
#include "message.h"
#include "options.h"
#include "parts.h"
#include "peers.h"
#include "probe.h"
#include "redis_subject.h"
#include "report_microbench.h"
#include "results.h"
#include "summary_table.h"
#include "synth.h"
#include "run.h"
#include "corpus_stats.h"
#include "run_output.h"
#include "settings.h"
#include "sweep.h"
#include "tokenize.h"
#include "version.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { EXIT_FAILED = 1, EXIT_USAGE = 2 };

#define MG_STRINGIFY_TEXT(value) #value
#define MG_STRINGIFY(value) MG_STRINGIFY_TEXT(value)

static int usage_error(const char *command, const char *format, const char *detail)
{
    fprintf(stderr, "memgrams%s%s: ", command ? " " : "", command ? command : "");
    fprintf(stderr, format, detail);
    fputc('\n', stderr);
    return EXIT_USAGE;
}

/* ---- options shared by run, dump and generate ------------------------------ */

typedef struct cell_options {
    const mg_backend *backend;
    const char *subject; /* run, dump: a subject outside the process (redis_subject.h), else NULL */
    const char *corpus_spec;
    mg_corpus corpus;
    int order;
    double fraction;
    uint64_t seed;
    uint64_t sentences;
    const char *allocator;
    uint64_t repeat;
    char peer_script[4096]; /* dump, generate: the peer named by --backend (peers.h), else "" */
    char settings[MG_SETTINGS_SIZE]; /* the backend's settings in normal form (settings.h), "" for none */
    int parts;                       /* run: the table of the run's parts on stderr too */
} cell_options;

enum { OPTION_BACKEND = 'b', OPTION_CORPUS = 'c', OPTION_ORDER = 'n', OPTION_FRACTION = 'f',
       OPTION_SEED = 's', OPTION_SENTENCES = 'k', OPTION_ALLOCATOR = 'a', OPTION_REPEAT = 'r', OPTION_PARTS = 'p' };

static const struct option cell_option_table[] = {
    {"backend", required_argument, NULL, OPTION_BACKEND},
    {"corpus", required_argument, NULL, OPTION_CORPUS},
    {"order", required_argument, NULL, OPTION_ORDER},
    {"fraction", required_argument, NULL, OPTION_FRACTION},
    {"seed", required_argument, NULL, OPTION_SEED},
    {"sentences", required_argument, NULL, OPTION_SENTENCES},
    {"allocator", required_argument, NULL, OPTION_ALLOCATOR},
    {"repeat", required_argument, NULL, OPTION_REPEAT},
    {"parts", no_argument, NULL, OPTION_PARTS},
    {NULL, 0, NULL, 0},
};

/* Is the option (by its short code) one this command takes? */
static int command_takes(const char *accepted, int code)
{
    return strchr(accepted, code) != NULL;
}

/* dump and generate run a peer's script (peers.h); run does not: sweep runs the script in its place. */
static int takes_peers(const char *command)
{
    return strcmp(command, "dump") == 0 || strcmp(command, "generate") == 0;
}

static int parse_cell_option(const char *command, int code, const char *value, cell_options *cell)
{
    char error[512];
    switch (code) {
    case OPTION_BACKEND:
        if (mg_redis_subject_named(value)) {
            cell->subject = value;
            return 0;
        }
        cell->subject = NULL;
        mg_cell named;
        mg_cell_set_backend(&named, value);
        cell->backend = mg_backend_find(named.backend);
        cell->settings[0] = '\0';
        if (cell->backend && named.settings &&
            mg_spec_settings(value, cell->settings, sizeof cell->settings, error, sizeof error) != 0)
            return usage_error(command, "%s", error);
        if (!cell->backend && takes_peers(command) &&
            mg_peer_script(value, cell->peer_script, sizeof cell->peer_script) == 0)
            return 0;
        cell->peer_script[0] = '\0'; /* mg_peer_script leaves a path behind when it refuses */
        if (!cell->backend) {
            char peers[256] = "";
            mg_backend_names_line(error, sizeof error);
            if (takes_peers(command))
                mg_peer_names_line(peers, sizeof peers);
            fprintf(stderr, "memgrams %s: unknown backend '%s' (valid: %s%s%s)\n", command, mg_show(value).text, error,
                    peers[0] ? "; peers: " : "", peers);
            return EXIT_USAGE;
        }
        return 0;
    case OPTION_CORPUS:
        cell->corpus_spec = value;
        return 0;
    case OPTION_ORDER:
        if (mg_parse_order(value, &cell->order, error, sizeof error) != 0)
            return usage_error(command, "%s", error);
        return 0;
    case OPTION_FRACTION:
        if (mg_parse_fraction(value, &cell->fraction, error, sizeof error) != 0)
            return usage_error(command, "%s", error);
        return 0;
    case OPTION_SEED:
        if (mg_parse_count(value, "seed", &cell->seed, error, sizeof error) != 0)
            return usage_error(command, "%s", error);
        return 0;
    case OPTION_SENTENCES:
        if (mg_parse_count(value, "sentences", &cell->sentences, error, sizeof error) != 0)
            return usage_error(command, "%s", error);
        return 0;
    case OPTION_REPEAT:
        if (mg_parse_count(value, "repeat", &cell->repeat, error, sizeof error) != 0)
            return usage_error(command, "%s", error);
        if (cell->repeat < 1 || cell->repeat > MG_REPEAT_MAX)
            return usage_error(command, "repeat '%s' is outside 1.." MG_STRINGIFY(MG_REPEAT_MAX), mg_show(value).text);
        return 0;
    case OPTION_PARTS:
        cell->parts = 1;
        return 0;
    default:
        cell->allocator = value;
        return 0;
    }
}

/* Parses argv for command; accepted lists the short codes it takes. */
static int parse_cell(const char *command, const char *accepted, int argc, char **argv, cell_options *cell)
{
    *cell = (cell_options){.order = 3, .fraction = 1.0, .seed = 1, .sentences = 10, .allocator = "jemalloc", .repeat = 1};
    mg_option_start();
    int code, option_index = 0;
    char error[512];
    while ((code = mg_option_next(argc, argv, cell_option_table, &option_index, "memgrams", error, sizeof error)) != -1) {
        if (code == MG_OPTION_FAULT)
            return usage_error(command, "%s", error);
        if (!command_takes(accepted, code)) {
            snprintf(error, sizeof error, "option '--%s' does not apply here (see memgrams %s --help)",
                     cell_option_table[option_index].name, command);
            return usage_error(command, "%s", error);
        }
        int status = parse_cell_option(command, code, optarg, cell);
        if (status)
            return status;
    }
    if (optind < argc)
        return usage_error(command, "unexpected argument '%s'", mg_show(argv[optind]).text);
    if (!cell->backend && !cell->peer_script[0] && !cell->subject)
        return usage_error(command, "%s", "--backend is required (memgrams list shows the backends)");
    if (!cell->corpus_spec)
        return usage_error(command, "%s", "--corpus is required");
    if (mg_corpus_resolve(cell->corpus_spec, cell->fraction, &cell->corpus, error, sizeof error) != 0)
        return usage_error(command, "%s", error);
    return 0;
}

/* ---- list --------------------------------------------------------------------- */

enum { LISTED_PEERS_MAX = 64 };

/* The widest name list prints: every backend's, every peer's and redis's. */
static int list_name_width(char (*peers)[MG_PEER_NAME_SIZE], int peer_count)
{
    size_t width = strlen(MG_REDIS_SUBJECT);
    for (const mg_backend *const *backend = mg_backends; *backend; backend++)
        width = strlen((*backend)->name) > width ? strlen((*backend)->name) : width;
    for (int index = 0; index < peer_count; index++)
        width = strlen(peers[index]) > width ? strlen(peers[index]) : width;
    return (int)width;
}

/* The backends, one line each (a name, its summary), then a blank line and
 * the subjects measured outside this process: the Python peers (each one's
 * line from its script) and redis with its settings. */
static int command_list(int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        return usage_error("list", "unexpected argument '%s'", mg_show(argv[1]).text);
    static char peers[LISTED_PEERS_MAX][MG_PEER_NAME_SIZE];
    int peer_count = mg_peer_names(peers, LISTED_PEERS_MAX), width = list_name_width(peers, peer_count);
    for (const mg_backend *const *backend = mg_backends; *backend; backend++) {
        mg_setting_list settings = mg_backend_setting_list(*backend);
        char lines[4096];
        mg_settings_describe(&settings, "    ", lines, sizeof lines);
        printf("%-*s  %s\n%s", width, (*backend)->name, (*backend)->summary, lines);
    }
    printf("\nMeasured outside the memgrams process (another process's figures: docs/run-json.md, measured_process):\n");
    for (int index = 0; index < peer_count; index++) {
        char description[512];
        mg_peer_describe(peers[index], description, sizeof description);
        printf("%-*s  %-12s  %s\n", width, peers[index], MG_PROCESS_PYTHON, mg_show(description).text);
    }
    printf("%-*s  %-12s  %s; settings: redis:%s=N,%s=N (docs/redis.md)\n", width, MG_REDIS_SUBJECT, MG_PROCESS_REDIS,
           MG_REDIS_SUMMARY, mg_redis_settings[0].name, mg_redis_settings[1].name);
    return 0;
}

/* ---- run ----------------------------------------------------------------------- */

/* Re-executes this run under the wanted allocator if the process has another. */
static int ensure_allocator(const mg_allocator_spec *spec, const mg_probe *probe, char **argv)
{
    char error[512];
    int fault = mg_allocator_ensure(spec, probe, argv, error, sizeof error);
    if (fault == MG_ALLOCATOR_BAD_SPEC)
        return usage_error("run", "%s", error);
    return fault ? mg_fail("run", EXIT_FAILED, error) : 0;
}

static int command_run(int argc, char **argv, char **full_argv)
{
    if (mg_run_judged_asked(argc, argv)) {
        for (int index = 1; index < argc; index++)
            if (strcmp(argv[index], "--parts") == 0)
                return usage_error("run", "%s", "--parts does not apply with --output (memgrams report shows the parts "
                                                "of the lines written)");
        return mg_run_judged_main(argc, argv);
    }
    cell_options cell;
    int status = parse_cell("run", "bcnfsarp", argc, argv, &cell);
    if (status)
        return status;
    if (cell.parts && cell.subject)
        return usage_error("run", "%s", "--parts needs a backend of this binary: redis does not tell its parts");
    char error[512];
    mg_allocator_spec allocator;
    if (mg_allocator_parse(cell.allocator, &allocator, error, sizeof error) != 0)
        return usage_error("run", "%s", error);
    mg_run_options options = {cell.backend, cell.corpus_spec, cell.corpus, cell.fraction, cell.order, cell.seed,
                              (int)cell.repeat, cell.settings};
    if (cell.subject)
        return mg_redis_run_command(cell.subject, &options, allocator.text);
    mg_probe probe;
    mg_probe_init(&probe);
    status = ensure_allocator(&allocator, &probe, full_argv);
    if (status)
        return status;

    static mg_run_result result; /* large; kept off the stack */
    if (mg_run(&options, &probe, &result) != 0)
        return usage_error("run", "%s", result.message);
    json_t *object = mg_result_json(&options, allocator.text, &probe, &result);
    int written = mg_json_write_line(object, STDOUT_FILENO);
    int write_error = errno;
    /* stdout stays the one JSON line of the contract; the table is for the person watching */
    if (cell.parts)
        mg_parts_print(stderr, object);
    json_decref(object);
    if (written != 0)
        return mg_output_failed("run", write_error);
    return strcmp(result.status, "ok") == 0 ? 0 : EXIT_FAILED;
}

/* ---- dump and generate (not measured) ------------------------------------------ */

/* Destroys a table made by train_table, and a subject's server with it. */
static void close_table(const cell_options *cell, mg_table *table, mg_redis_server *server)
{
    if (cell->subject)
        mg_redis_table_close(table, server);
    else if (table)
        table->ops->destroy(table);
}

/* Creates and trains a table (a subject's in its own server); NULL after printing why. */
static mg_table *train_table(const char *command, const cell_options *cell, mg_redis_server *server,
                             int *exit_status)
{
    char error[512];
    mg_reader *reader = mg_reader_open(cell->corpus.path, cell->corpus.byte_limit, cell->order, error, sizeof error);
    if (!reader) {
        *exit_status = usage_error(command, "%s", error);
        if (mg_is_out_of_memory(error))
            *exit_status = EXIT_FAILED;
        return NULL;
    }
    mg_table *table = NULL;
    if (cell->subject) {
        table = mg_redis_table_open(cell->subject, cell->order, server, exit_status, error, sizeof error);
        if (!table) {
            mg_reader_close(reader);
            mg_fail(command, *exit_status, error);
            return NULL;
        }
    } else {
        table = mg_table_create(cell->backend, cell->order);
    }
    int trained = table ? mg_settings_configure(table, cell->settings) : MG_ERR_NOMEM;
    if (trained == MG_OK)
        trained = mg_train(table, reader);
    if (trained == MG_OK)
        trained = table->ops->finalize(table);
    if (trained != MG_OK) {
        if (trained == MG_ERR_NOMEM) {
            const char *reader_error = mg_reader_error(reader);
            fprintf(stderr, "memgrams %s: %s\n", command,
                    mg_is_out_of_memory(reader_error) ? reader_error : MG_OUT_OF_MEMORY);
            *exit_status = EXIT_FAILED;
        } else if (trained == MG_ERR_IO) {
            fprintf(stderr, "memgrams %s: finalize could not write or map the table's image file "
                    "(made in $TMPDIR, else /var/tmp): %s\n", command, strerror(errno));
            *exit_status = EXIT_FAILED;
        } else {
            *exit_status = usage_error(command, "%s", mg_reader_error(reader));
        }
        close_table(cell, table, server);
        table = NULL;
    }
    mg_reader_close(reader);
    return table;
}

/* A peer's dump or sentences: its script with the command's mode and options
 * (tail) in place of this process, so its lines and its exit status are the
 * command's. */
static int exec_peer(const char *command, const cell_options *cell, const char *const *tail)
{
    if (mg_synth_is_spec(cell->corpus.path))
        return usage_error(command, "a peer reads corpus files, not '%s'", mg_show(cell->corpus_spec).text);
    char order[16], byte_limit[32];
    snprintf(order, sizeof order, "%d", cell->order);
    snprintf(byte_limit, sizeof byte_limit, "%lld",
             cell->corpus.byte_limit == UINT64_MAX ? -1LL : (long long)cell->corpus.byte_limit);
    const char *words[24] = {MG_PEER_PYTHON, cell->peer_script, "--corpus", cell->corpus_spec,
                             "--corpus-path", cell->corpus.path, "--byte-limit", byte_limit,
                             "--order", order};
    size_t count = 10;
    while (*tail && count + 1 < sizeof words / sizeof words[0])
        words[count++] = *tail++;
    fflush(stdout);
    execv(MG_PEER_PYTHON, (char *const *)words);
    char error[512];
    snprintf(error, sizeof error, "cannot run " MG_PEER_PYTHON ": %s", strerror(errno));
    return mg_fail(command, EXIT_FAILED, error);
}

static int command_dump(int argc, char **argv)
{
    cell_options cell;
    int status = parse_cell("dump", "bcnf", argc, argv, &cell);
    if (status)
        return status;
    if (cell.peer_script[0]) {
        const char *const mode[] = {"--dump", NULL};
        return exec_peer("dump", &cell, mode);
    }
    mg_redis_server server = {0};
    mg_table *table = train_table("dump", &cell, &server, &status);
    if (!table)
        return status;
    status = mg_dump_table(table, stdout);
    close_table(&cell, table, &server);
    if (status != 0)
        fputs("memgrams dump: " MG_OUT_OF_MEMORY " listing the n-grams\n", stderr);
    return status ? EXIT_FAILED : 0; /* a failed write is seen by main */
}

static void print_word(void *arg, const mg_token *word, int end_of_sentence)
{
    int *first = arg;
    if (end_of_sentence) {
        fputc('\n', stdout);
        *first = 1;
        return;
    }
    if (!*first)
        fputc(' ', stdout);
    fwrite(word->bytes, 1, word->len, stdout);
    *first = 0;
}

static int command_generate(int argc, char **argv)
{
    cell_options cell;
    int status = parse_cell("generate", "bcnfsk", argc, argv, &cell);
    if (status)
        return status;
    if (cell.peer_script[0]) {
        char seed[32], sentences[32];
        snprintf(seed, sizeof seed, "%llu", (unsigned long long)cell.seed);
        snprintf(sentences, sizeof sentences, "%llu", (unsigned long long)cell.sentences);
        const char *const mode[] = {"--generate", "--seed", seed, "--sentences", sentences, NULL};
        return exec_peer("generate", &cell, mode);
    }
    mg_redis_server server = {0};
    mg_table *table = train_table("generate", &cell, &server, &status);
    if (!table)
        return status;
    mg_generator *generator = mg_generator_create(cell.seed);
    for (uint64_t sentence = 0; generator && sentence < cell.sentences && status == 0; sentence++) {
        int first = 1;
        if (mg_generate_sentence(generator, table, sentence, print_word, &first) < 0)
            status = EXIT_FAILED;
    }
    if (!generator || status)
        fputs("memgrams generate: " MG_OUT_OF_MEMORY " generating\n", stderr);
    mg_generator_destroy(generator);
    close_table(&cell, table, &server);
    return generator && !status ? 0 : EXIT_FAILED; /* a failed write is seen by main */
}

/* ---- report --------------------------------------------------------------------- */

static int command_report(int argc, char **argv)
{
    if (argc != 2)
        return usage_error("report", "%s", argc < 2 ? "needs a results folder (memgrams report DIR)" : "takes one folder");
    char path[4096], cells[4096], error[512];
    snprintf(path, sizeof path, "%s/results.jsonl", argv[1]);
    snprintf(cells, sizeof cells, "%s/cells", argv[1]);
    if (access(argv[1], F_OK) != 0)
        return usage_error("report", "no such folder '%s'", mg_show(argv[1]).text);
    /* A folder of make microbench alone has no results.jsonl. */
    int sweep_results = access(path, F_OK) == 0 || access(cells, F_OK) == 0 || !mg_microbench_present(argv[1]);
    if (sweep_results && mg_summary_print(argv[1], stdout, error, sizeof error) != 0)
        return usage_error("report", "%s", error);
    if (mg_microbench_report(argv[1], stdout, error, sizeof error) != 0)
        return usage_error("report", "%s", error);
    if (!sweep_results)
        return 0;
    if (mg_report_write(argv[1], stdout, error, sizeof error) != 0)
        return mg_fail("report", EXIT_FAILED, error);
    printf("report: %s/report.html (summary.md and summary.csv beside it, charts in %s/charts/)\n", argv[1], argv[1]);
    return 0;
}

/* ---- dispatch ------------------------------------------------------------------- */

/* The command's exit status, or 1 with one line when what it printed to
 * stdout could not all be written (stdio keeps the fault until this flush).
 * A command that failed already said why. When the failed write was an
 * earlier flush, its errno is the one left, if any. */
static int output_written(int argc, char **argv, int status)
{
    int earlier_error = errno;
    int flushed = fflush(stdout) == 0;
    if ((flushed && !ferror(stdout)) || status != 0)
        return status;
    int write_error = !flushed ? errno : earlier_error ? earlier_error : EIO;
    int subcommand = strcmp(argv[1], "corpus") == 0 && argc > 2;
    char command[2 * MG_SHOWN_MAX];
    snprintf(command, sizeof command, "%s%s%s", mg_show(argv[1]).text, subcommand ? " " : "",
             subcommand ? mg_show(argv[2]).text : "");
    return mg_output_failed(command, write_error);
}

static int run_command(int argc, char **argv)
{
    if (argc < 2)
        return usage_error(NULL, "a command is needed: %s (memgrams --help)", mg_help_command_names());
    const char *command = argv[1];
    if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0)
        return mg_help_main(1, argv + 1);
    if (strcmp(command, "--version") == 0) {
        printf("memgrams %s (%s)\n", MG_VERSION, MG_GIT_COMMIT);
        return 0;
    }
    const mg_help_command *known = mg_help_find(command);
    if (!known) {
        fprintf(stderr, "memgrams: unknown command '%s' (valid: %s)\n", mg_show(command).text, mg_help_command_names());
        return EXIT_USAGE;
    }
    /* Every command's --help is answered here, before its own options are read. */
    if (mg_help_asked(argc - 1, argv + 1)) {
        mg_help_print_command(stdout, known);
        return 0;
    }
    if (strcmp(command, "help") == 0)
        return mg_help_main(argc - 1, argv + 1);
    if (strcmp(command, "list") == 0)
        return command_list(argc - 1, argv + 1);
    if (strcmp(command, "run") == 0)
        return command_run(argc - 1, argv + 1, argv);
    if (strcmp(command, "dump") == 0)
        return command_dump(argc - 1, argv + 1);
    if (strcmp(command, "generate") == 0)
        return command_generate(argc - 1, argv + 1);
    if (strcmp(command, "sweep") == 0)
        return mg_sweep_main(argc - 1, argv + 1);
    if (strcmp(command, "report") == 0)
        return command_report(argc - 1, argv + 1);
    if (strcmp(command, "check") == 0)
        return mg_check_main(argc - 1, argv + 1);
    if (strcmp(command, "corpus") == 0)
        return mg_corpus_main(argc - 1, argv + 1);
    if (strcmp(command, "floor") == 0)
        return mg_floor_main(argc - 1, argv + 1);
    return usage_error(NULL, "command '%s' has help but no code", command);
}

int main(int argc, char **argv)
{
    int status = run_command(argc, argv);
    return argc < 2 ? status : output_written(argc, argv, status);
}
