/* run_output.c — see run_output.h. */
#include "run_output.h"
#include "allocator.h"
#include "atomic_file.h"
#include "backend.h"
#include "corpus.h"
#include "message.h"
#include "options.h"
#include "results.h"
#include "run.h"
#include "run_fields.h"
#include "supervise.h"
#include "synth.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OPT_BACKEND = 1, OPT_CORPUS, OPT_FRACTION, OPT_ORDER, OPT_ALLOCATOR, OPT_SEED, OPT_REPEAT, OPT_OUTPUT,
       OPT_TIMEOUT, OPT_PASS };

static const struct option judged_options[] = {
    {"backend", required_argument, NULL, OPT_BACKEND}, {"corpus", required_argument, NULL, OPT_CORPUS},
    {"fraction", required_argument, NULL, OPT_FRACTION}, {"order", required_argument, NULL, OPT_ORDER},
    {"allocator", required_argument, NULL, OPT_ALLOCATOR}, {"seed", required_argument, NULL, OPT_SEED},
    {"repeat", required_argument, NULL, OPT_REPEAT}, {"output", required_argument, NULL, OPT_OUTPUT},
    {"timeout", required_argument, NULL, OPT_TIMEOUT}, {"pass", required_argument, NULL, OPT_PASS},
    {NULL, 0, NULL, 0},
};

int mg_run_judged_asked(int argc, char **argv)
{
    int code, asked = 0;
    char error[512];
    mg_option_start();
    while ((code = mg_option_next(argc, argv, judged_options, NULL, "memgrams", error, sizeof error)) != -1)
        asked |= code == OPT_OUTPUT || code == OPT_TIMEOUT || code == OPT_PASS;
    return asked;
}

typedef struct judged_run {
    mg_cell cell;
    uint64_t seed, repeat, pass, timeout_seconds;
    const char *output;
} judged_run;

static int judged_option(int code, const char *value, judged_run *run, char *error, size_t error_size)
{
    mg_allocator_spec allocator;
    switch (code) {
    case OPT_BACKEND:
        mg_cell_set_backend(&run->cell, value);
        return mg_runnable_check(value, error, error_size);
    case OPT_CORPUS:
        run->cell.corpus = value;
        return 0;
    case OPT_FRACTION:
        return mg_parse_fraction(value, &run->cell.fraction, error, error_size);
    case OPT_ORDER:
        return mg_parse_order(value, &run->cell.order, error, error_size);
    case OPT_ALLOCATOR:
        run->cell.allocator = value;
        return mg_allocator_parse(value, &allocator, error, error_size);
    case OPT_SEED:
        return mg_parse_count(value, "seed", &run->seed, error, error_size);
    case OPT_REPEAT:
        return mg_parse_bounded(value, "repeat", MG_REPEAT_MAX, &run->repeat, error, error_size);
    case OPT_OUTPUT:
        run->output = value;
        return 0;
    case OPT_TIMEOUT:
        return mg_parse_bounded(value, "timeout", UINT32_MAX, &run->timeout_seconds, error, error_size);
    default:
        return mg_parse_bounded(value, "pass", UINT32_MAX, &run->pass, error, error_size);
    }
}

static int parse_judged(int argc, char **argv, judged_run *run, char *error, size_t error_size)
{
    *run = (judged_run){.cell = {.allocator = "jemalloc", .fraction = 1.0, .order = 3},
                        .seed = 1, .repeat = 1, .pass = 1, .timeout_seconds = MG_TIMEOUT_DEFAULT};
    int code;
    mg_option_start();
    while ((code = mg_option_next(argc, argv, judged_options, NULL, "memgrams", error, error_size)) != -1)
        if (code == MG_OPTION_FAULT || judged_option(code, optarg, run, error, error_size) != 0)
            return -1;
    mg_corpus corpus;
    if (optind < argc)
        snprintf(error, error_size, "unexpected argument '%s'", mg_show(argv[optind]).text);
    else if (!run->output)
        snprintf(error, error_size, "--timeout and --pass need --output FILE (or - for stdout)");
    else if (!run->cell.backend)
        snprintf(error, error_size, "--backend is required (memgrams list shows the backends)");
    else if (!run->cell.corpus)
        snprintf(error, error_size, "--corpus is required");
    else if (mg_corpus_resolve(run->cell.corpus, run->cell.fraction, &corpus, error, error_size) == 0)
        return 0;
    return -1;
}

/* The line written whole to output ("-": stdout, as one write). 0, or -1 with error set. */
static int write_line(const char *output, json_t *run, char *error, size_t error_size)
{
    if (strcmp(output, "-") == 0) {
        if (mg_json_write_line(run, STDOUT_FILENO) == 0)
            return 0;
        snprintf(error, error_size, "cannot write the line to stdout: %s", strerror(errno));
        return -1;
    }
    char folder[MG_PATH_SIZE];
    const char *slash = strrchr(output, '/');
    snprintf(folder, sizeof folder, "%.*s", slash ? (int)(slash - output) : 0, output);
    if (folder[0] && mg_make_folders(folder) != 0) {
        snprintf(error, error_size, "cannot make the folder '%s': %s", mg_show(folder).text, strerror(errno));
        return -1;
    }
    mg_atomic_file file;
    if (mg_atomic_begin(&file, output, error, error_size) != 0)
        return -1;
    if (json_dumpf(run, file.file, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0 || fputc('\n', file.file) == EOF) {
        snprintf(error, error_size, "cannot write '%s': %s", mg_show(output).text, strerror(errno ? errno : EIO));
        mg_atomic_abandon(&file);
        return -1;
    }
    return mg_atomic_commit(&file, error, error_size);
}

/* A peer reads a synth: corpus from a file: one in a private folder under
 * $TMPDIR (else /tmp), removed after the run. "" when none is needed. */
static int corpora_folder(const mg_cell *cell, char *folder, size_t folder_size, char *error, size_t error_size)
{
    folder[0] = '\0';
    if (mg_backend_find(cell->backend) || !mg_synth_is_spec(cell->corpus))
        return 0;
    const char *temporary = getenv("TMPDIR");
    return mg_atomic_folder(temporary && *temporary ? temporary : "/tmp", folder, folder_size, error, error_size);
}

static int judged_error(int status, const char *message)
{
    return mg_fail("run", status, message);
}

int mg_run_judged_main(int argc, char **argv)
{
    judged_run parsed;
    char error[MG_PATH_SIZE + 512], exe[MG_PATH_SIZE], folder[MG_PATH_SIZE];
    if (parse_judged(argc, argv, &parsed, error, sizeof error) != 0)
        return judged_error(2, error);
    if (mg_self_path(exe, sizeof exe) != 0)
        return judged_error(1, "cannot find the memgrams binary (/proc/self/exe)");
    signal(SIGXFSZ, SIG_IGN); /* a write past a file-size limit fails and is reported */
    mg_run_request request = mg_run_request_make(parsed.cell, parsed.seed, parsed.repeat, parsed.pass,
                                                 parsed.timeout_seconds);
    static mg_command command; /* ~45 KiB: kept off the stack */
    if (corpora_folder(&request.cell, folder, sizeof folder, error, sizeof error) != 0)
        return judged_error(1, error);
    json_t *run = mg_command_for(exe, &request, folder, &command, error, sizeof error) == 0
                      ? mg_supervise(&command, &request)
                      : mg_supervise_failed(&request, error);
    if (folder[0])
        mg_atomic_folder_remove(folder);
    const char *status = mg_run_status(run);
    int ok = status && strcmp(status, "ok") == 0, written = write_line(parsed.output, run, error, sizeof error);
    json_decref(run);
    if (written != 0)
        return judged_error(1, error);
    return ok ? 0 : 1;
}
