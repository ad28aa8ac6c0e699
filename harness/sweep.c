/* sweep.c — see sweep.h. */
#include "sweep.h"
#include "allocator.h"
#include "backend.h"
#include "config.h"
#include "corpus.h"
#include "options.h"
#include "peers.h"
#include "results.h"
#include "run.h"
#include "synth.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define LIST_MAX 64
#define PROCESSES_MAX 64

typedef struct sweep_plan {
    const char *backends[LIST_MAX], *corpora[LIST_MAX], *allocators[LIST_MAX];
    double fractions[LIST_MAX];
    int orders[LIST_MAX];
    int backend_count, corpus_count, fraction_count, order_count, allocator_count;
    char out[4096];
    int resume, plan_only;
    uint64_t timeout_seconds, seed;
    uint64_t repeat;    /* passed on as run --repeat */
    uint64_t processes; /* separate runs of every cell, one pass of the matrix each */
    char against[4096]; /* another memgrams build run beside this one, or "" */
} sweep_plan;

typedef struct cell {
    const char *backend, *corpus, *allocator;
    double fraction;
    int order;
} cell;

static int sweep_error(const char *message)
{
    fprintf(stderr, "memgrams sweep: %s\n", message);
    return 2;
}

/* ---- the plan from the options ----------------------------------------------- */

/* Splits a comma list in place into items; -1 when it has too many or empty items. */
static int split_list(char *text, const char **items, int *count)
{
    *count = 0;
    for (char *save = NULL, *item = strtok_r(text, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        if (*count == LIST_MAX)
            return -1;
        items[(*count)++] = item;
    }
    return *count ? 0 : -1;
}

/* synth:tokens=N,seed=S and mimalloc:a=1,b=2 hold the list's separator: an
 * item with '=' and no ':' after a spec with options is that spec's next
 * option, so it is joined back (split_list cut the text in place: the comma
 * is restored over the NUL). */
static void rejoin_options(const char **items, int *count, int (*has_options)(const char *spec))
{
    int kept = 0;
    for (int index = 0; index < *count; index++) {
        const char *item = items[index];
        if (kept > 0 && has_options(items[kept - 1]) && strchr(item, '=') && !strchr(item, ':') &&
            item == items[kept - 1] + strlen(items[kept - 1]) + 1) {
            ((char *)item)[-1] = ',';
            continue;
        }
        items[kept++] = item;
    }
    *count = kept;
}

static int allocator_has_options(const char *spec)
{
    return strchr(spec, ':') != NULL;
}

/* Every name is a registered backend or a peer (peers.h). */
static int check_backends(sweep_plan *plan, char *error, size_t error_size)
{
    for (int index = 0; index < plan->backend_count; index++) {
        char script[4096];
        if (!mg_backend_find(plan->backends[index]) && mg_peer_script(plan->backends[index], script, sizeof script) != 0) {
            char names[512], peers[512];
            mg_backend_names_line(names, sizeof names);
            mg_peer_names_line(peers, sizeof peers);
            snprintf(error, error_size, "unknown backend '%s' (valid: %s; peers: %s)", plan->backends[index], names,
                     peers[0] ? peers : "none");
            return -1;
        }
    }
    return 0;
}

static int check_corpora(sweep_plan *plan, char *error, size_t error_size)
{
    for (int index = 0; index < plan->corpus_count; index++) {
        mg_corpus corpus;
        if (mg_corpus_resolve(plan->corpora[index], 1.0, &corpus, error, error_size) != 0)
            return -1;
    }
    return 0;
}

static int parse_numbers(char *text, sweep_plan *plan, int is_order, char *error, size_t error_size)
{
    const char *items[LIST_MAX];
    int count = 0;
    if (split_list(text, items, &count) != 0) {
        snprintf(error, error_size, "%s list is empty or longer than %d", is_order ? "orders" : "fractions", LIST_MAX);
        return -1;
    }
    for (int index = 0; index < count; index++) {
        int failed = is_order ? mg_parse_order(items[index], &plan->orders[index], error, error_size)
                              : mg_parse_fraction(items[index], &plan->fractions[index], error, error_size);
        if (failed)
            return -1;
    }
    *(is_order ? &plan->order_count : &plan->fraction_count) = count;
    return 0;
}

static int check_allocators(sweep_plan *plan, char *error, size_t error_size)
{
    for (int index = 0; index < plan->allocator_count; index++) {
        mg_allocator_spec spec;
        if (mg_allocator_parse(plan->allocators[index], &spec, error, error_size) != 0)
            return -1;
    }
    return 0;
}

static void default_plan(sweep_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    for (const mg_backend *const *backend = mg_backends; *backend && plan->backend_count < LIST_MAX; backend++)
        plan->backends[plan->backend_count++] = (*backend)->name;
    plan->corpora[plan->corpus_count++] = "fortunes";
    plan->allocators[plan->allocator_count++] = "jemalloc";
    plan->fractions[plan->fraction_count++] = 1.0;
    plan->orders[plan->order_count++] = 3;
    plan->timeout_seconds = 900;
    plan->seed = 1;
    plan->repeat = 1;
    plan->processes = 1;
    time_t now = time(NULL);
    struct tm local;
    localtime_r(&now, &local);
    strftime(plan->out, sizeof plan->out, "results/runs/%Y%m%d-%H%M%S", &local);
}

enum { OPT_BACKENDS = 1, OPT_CORPORA, OPT_FRACTIONS, OPT_ORDERS, OPT_ALLOCATORS, OPT_OUT,
       OPT_RESUME, OPT_PLAN, OPT_TIMEOUT, OPT_SEED, OPT_REPEAT, OPT_PROCESSES, OPT_AGAINST };

static const struct option sweep_options[] = {
    {"backends", required_argument, NULL, OPT_BACKENDS}, {"corpora", required_argument, NULL, OPT_CORPORA},
    {"fractions", required_argument, NULL, OPT_FRACTIONS}, {"orders", required_argument, NULL, OPT_ORDERS},
    {"allocators", required_argument, NULL, OPT_ALLOCATORS}, {"out", required_argument, NULL, OPT_OUT},
    {"resume", no_argument, NULL, OPT_RESUME}, {"plan", no_argument, NULL, OPT_PLAN},
    {"timeout", required_argument, NULL, OPT_TIMEOUT}, {"seed", required_argument, NULL, OPT_SEED},
    {"repeat", required_argument, NULL, OPT_REPEAT}, {"processes", required_argument, NULL, OPT_PROCESSES},
    {"against", required_argument, NULL, OPT_AGAINST},
    {NULL, 0, NULL, 0},
};

/* A count in 1..most; -1 with error set otherwise. */
static int parse_bounded(const char *value, const char *name, uint64_t most, uint64_t *count, char *error,
                         size_t error_size)
{
    if (mg_parse_count(value, name, count, error, error_size) != 0)
        return -1;
    if (*count < 1 || *count > most) {
        snprintf(error, error_size, "%s '%s' is outside 1..%llu", name, value, (unsigned long long)most);
        return -1;
    }
    return 0;
}

static int apply_option(int code, char *value, sweep_plan *plan, int *out_given, char *error, size_t error_size)
{
    switch (code) {
    case OPT_BACKENDS:
        if (split_list(value, plan->backends, &plan->backend_count) == 0)
            return check_backends(plan, error, error_size);
        snprintf(error, error_size, "backends list is empty or longer than %d", LIST_MAX);
        return -1;
    case OPT_CORPORA:
        if (split_list(value, plan->corpora, &plan->corpus_count) == 0) {
            rejoin_options(plan->corpora, &plan->corpus_count, mg_synth_is_spec);
            return 0; /* checked after parsing: --plan needs no fetched corpus */
        }
        snprintf(error, error_size, "corpora list is empty or longer than %d", LIST_MAX);
        return -1;
    case OPT_ALLOCATORS:
        if (split_list(value, plan->allocators, &plan->allocator_count) == 0) {
            rejoin_options(plan->allocators, &plan->allocator_count, allocator_has_options);
            return check_allocators(plan, error, error_size);
        }
        snprintf(error, error_size, "allocators list is empty or longer than %d", LIST_MAX);
        return -1;
    case OPT_FRACTIONS:
    case OPT_ORDERS:
        return parse_numbers(value, plan, code == OPT_ORDERS, error, error_size);
    case OPT_OUT:
        snprintf(plan->out, sizeof plan->out, "%s", value);
        *out_given = 1;
        return 0;
    case OPT_RESUME:
        plan->resume = 1;
        return 0;
    case OPT_PLAN:
        plan->plan_only = 1;
        return 0;
    case OPT_TIMEOUT:
        if (mg_parse_count(value, "timeout", &plan->timeout_seconds, error, error_size) != 0)
            return -1;
        if (plan->timeout_seconds == 0) {
            snprintf(error, error_size, "timeout must be at least 1 second");
            return -1;
        }
        return 0;
    case OPT_REPEAT:
        return parse_bounded(value, "repeat", MG_REPEAT_MAX, &plan->repeat, error, error_size);
    case OPT_PROCESSES:
        return parse_bounded(value, "processes", PROCESSES_MAX, &plan->processes, error, error_size);
    case OPT_AGAINST:
        if (access(value, X_OK) != 0) {
            snprintf(error, error_size, "--against '%s' is not an executable memgrams: %s", value, strerror(errno));
            return -1;
        }
        snprintf(plan->against, sizeof plan->against, "%s", value);
        return 0;
    default:
        return mg_parse_count(value, "seed", &plan->seed, error, error_size);
    }
}

static int parse_plan(int argc, char **argv, sweep_plan *plan)
{
    default_plan(plan);
    char error[512];
    int out_given = 0, code;
    mg_option_start();
    while ((code = mg_option_next(argc, argv, sweep_options, NULL, "memgrams", error, sizeof error)) != -1) {
        if (code == MG_OPTION_FAULT)
            return sweep_error(error);
        if (apply_option(code, optarg, plan, &out_given, error, sizeof error) != 0)
            return sweep_error(error);
    }
    if (optind < argc) {
        snprintf(error, sizeof error, "unexpected argument '%s'", argv[optind]);
        return sweep_error(error);
    }
    if (plan->resume && !out_given)
        return sweep_error("--resume needs --out DIR: the folder of the sweep to finish");
    for (int index = 0; plan->against[0] && index < plan->backend_count; index++)
        if (!mg_backend_find(plan->backends[index])) {
            snprintf(error, sizeof error, "--against compares two memgrams builds; '%s' is a peer script",
                     plan->backends[index]);
            return sweep_error(error);
        }
    if (!plan->plan_only && check_corpora(plan, error, sizeof error) != 0)
        return sweep_error(error);
    return 0;
}

/* ---- cells ---------------------------------------------------------------------- */

static int cell_count(const sweep_plan *plan)
{
    return plan->backend_count * plan->corpus_count * plan->fraction_count * plan->order_count *
           plan->allocator_count;
}

/* Cell number index, backends varying slowest... allocators fastest. */
static cell cell_at(const sweep_plan *plan, int index)
{
    cell result;
    result.allocator = plan->allocators[index % plan->allocator_count];
    index /= plan->allocator_count;
    result.order = plan->orders[index % plan->order_count];
    index /= plan->order_count;
    result.fraction = plan->fractions[index % plan->fraction_count];
    index /= plan->fraction_count;
    result.corpus = plan->corpora[index % plan->corpus_count];
    index /= plan->corpus_count;
    result.backend = plan->backends[index];
    return result;
}

static void cell_key(const char *backend, const char *corpus, double fraction, int order,
                     const char *allocator, char *key, size_t key_size)
{
    snprintf(key, key_size, "%s|%s|%.17g|%d|%s", backend, corpus, fraction, order, allocator);
}

/* ---- resume: runs already measured --------------------------------------------- */

typedef struct done_set {
    char **keys; /* one per finished run: a cell measured k times is here k times */
    size_t count;
} done_set;

/* Keys of the runs in results that ended ok or oom (both final answers). */
static void load_done(const char *results_path, done_set *done)
{
    FILE *file = fopen(results_path, "r");
    if (!file)
        return;
    char *line = NULL, key[1024];
    size_t capacity = 0;
    while (getline(&line, &capacity, file) > 0) {
        json_t *run = json_loads(line, 0, NULL);
        const char *status = json_string_value(json_object_get(run, "status"));
        if (status && (strcmp(status, "ok") == 0 || strcmp(status, "oom") == 0)) {
            cell_key(json_string_value(json_object_get(run, "backend")), json_string_value(json_object_get(run, "corpus")),
                     json_number_value(json_object_get(run, "fraction")),
                     (int)json_integer_value(json_object_get(run, "order")),
                     json_string_value(json_object_get(run, "allocator")), key, sizeof key);
            char **grown = realloc(done->keys, (done->count + 1) * sizeof *grown);
            if (grown) {
                done->keys = grown;
                done->keys[done->count++] = strdup(key);
            }
        }
        json_decref(run);
    }
    free(line);
    fclose(file);
}

/* How many finished runs of the cell the results held. */
static uint64_t done_count(const done_set *done, const char *key)
{
    uint64_t count = 0;
    for (size_t index = 0; index < done->count; index++)
        count += done->keys[index] && strcmp(done->keys[index], key) == 0;
    return count;
}

static void free_done(done_set *done)
{
    for (size_t index = 0; index < done->count; index++)
        free(done->keys[index]);
    free(done->keys);
}

/* ---- one child -------------------------------------------------------------------- */

typedef struct child_output {
    char *bytes;
    size_t length;
} child_output;

static void append_output(child_output *output, const char *bytes, size_t length)
{
    char *grown = realloc(output->bytes, output->length + length + 1);
    if (!grown)
        return;
    memcpy(grown + output->length, bytes, length);
    output->bytes = grown;
    output->length += length;
    output->bytes[output->length] = '\0';
}

/* Reads both pipes until closed or the deadline; 1 if the deadline came first. */
static int collect_output(int out_fd, int err_fd, double timeout_seconds, child_output *out, child_output *err)
{
    struct pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        double left = timeout_seconds - ((double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) * 1e-9);
        if (left <= 0)
            return 1;
        int ready = poll(fds, 2, left > 1.0 ? 1000 : (int)(left * 1000) + 1);
        if (ready < 0 && errno != EINTR)
            return 0;
        for (int index = 0; index < 2 && ready > 0; index++) {
            if (fds[index].fd < 0 || !(fds[index].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buffer[65536];
            ssize_t got = read(fds[index].fd, buffer, sizeof buffer);
            if (got > 0)
                append_output(index == 0 ? out : err, buffer, (size_t)got);
            else if (got == 0 || errno != EINTR)
                fds[index].fd = -1;
        }
    }
    return 0;
}

typedef struct child_result {
    json_t *run;      /* the line to record */
    const char *status;
} child_result;

static json_t *stub(const cell *job, const char *status, const char *message)
{
    return mg_result_stub_json(job->backend, job->corpus, job->fraction, job->order, job->allocator, status, message);
}

/* What a finished child leaves: its own JSON, or a stub saying why there is none. */
static json_t *judge_child(const cell *job, int wait_status, int timed_out, child_output *out, child_output *err)
{
    char message[512];
    const char *stderr_line = err->bytes ? err->bytes : "";
    if (timed_out)
        return stub(job, "timeout", "the run exceeded the sweep's --timeout and was killed");
    if (WIFSIGNALED(wait_status)) {
        int signal_number = WTERMSIG(wait_status);
        snprintf(message, sizeof message, "killed by signal %d (%s)%s%.*s", signal_number, strsignal(signal_number),
                 *stderr_line ? ": " : "", (int)strcspn(stderr_line, "\n"), stderr_line);
        /* An outside SIGKILL is the kernel's OOM killer far more often than anything else. */
        return stub(job, signal_number == SIGKILL ? "oom" : "crashed", message);
    }
    json_t *run = out->bytes ? json_loads(out->bytes, JSON_DISABLE_EOF_CHECK, NULL) : NULL;
    if (run && json_is_object(run))
        return run;
    json_decref(run);
    snprintf(message, sizeof message, "exit status %d: %.*s", WEXITSTATUS(wait_status),
             (int)strcspn(stderr_line, "\n"), *stderr_line ? stderr_line : "no output");
    return stub(job, "error", message);
}

static int self_path(char *path, size_t path_size)
{
    ssize_t length = readlink("/proc/self/exe", path, path_size - 1);
    if (length <= 0)
        return -1;
    path[length] = '\0';
    return 0;
}

/* A child's command line, in buffers of its own. */
enum { TEXT_FRACTION, TEXT_ORDER, TEXT_SEED, TEXT_REPEAT, TEXT_SCRIPT, TEXT_CORPUS_PATH, TEXT_BYTE_LIMIT,
       TEXT_ALLOCATOR_LIBRARY, TEXT_COUNT };
typedef struct child_command {
    char texts[TEXT_COUNT][4096];
    char *argv[24];
} child_command;

static void number_texts(const cell *job, const sweep_plan *plan, child_command *command)
{
    snprintf(command->texts[TEXT_FRACTION], sizeof command->texts[0], "%.17g", job->fraction);
    snprintf(command->texts[TEXT_ORDER], sizeof command->texts[0], "%d", job->order);
    snprintf(command->texts[TEXT_SEED], sizeof command->texts[0], "%llu", (unsigned long long)plan->seed);
    snprintf(command->texts[TEXT_REPEAT], sizeof command->texts[0], "%llu", (unsigned long long)plan->repeat);
}

/* `memgrams run` for a registered backend. */
static void run_arguments(const char *exe, const cell *job, const sweep_plan *plan, child_command *command)
{
    number_texts(job, plan, command);
    char (*texts)[4096] = command->texts;
    const char *arguments[] = {exe, "run", "--backend", job->backend, "--corpus", job->corpus,
                               "--fraction", texts[TEXT_FRACTION], "--order", texts[TEXT_ORDER],
                               "--allocator", job->allocator, "--seed", texts[TEXT_SEED],
                               plan->repeat > 1 ? "--repeat" : NULL, texts[TEXT_REPEAT], NULL};
    memcpy(command->argv, arguments, sizeof arguments);
}

static int make_folders(const char *path)
{
    char partial[4096];
    snprintf(partial, sizeof partial, "%s", path);
    for (char *slash = strchr(partial + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (mkdir(partial, 0777) != 0 && errno != EEXIST)
            return -1;
        *slash = '/';
    }
    return mkdir(partial, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

/* A synth: spec as a file a peer can read: DIR/corpora/<spec>.txt, written
 * the first time a cell needs it (the same bytes the harness reads, so the
 * fraction's byte limit holds for it too). 0, or -1 with error set. */
static int synth_file(const sweep_plan *plan, const char *spec, char *path, size_t path_size, char *error,
                      size_t error_size)
{
    mg_synth_spec synth;
    if (mg_synth_parse(spec, &synth, error, error_size) != 0)
        return -1;
    char folder[4200];
    snprintf(folder, sizeof folder, "%s/corpora", plan->out);
    snprintf(path, path_size, "%s/synth-tokens%llu-seed%llu.txt", folder, (unsigned long long)synth.tokens,
             (unsigned long long)synth.seed);
    if (access(path, R_OK) == 0)
        return 0;
    if (make_folders(folder) != 0) {
        snprintf(error, error_size, "cannot make the folder '%s': %s", folder, strerror(errno));
        return -1;
    }
    return mg_synth_write_file(&synth, path, error, error_size);
}

/* The peer's script under python3, given the resolved corpus file; -1 (error set) if there is none.
 * Peers time their queries once: --repeat is not passed on. */
static int peer_arguments(const cell *job, const sweep_plan *plan, child_command *command, char *error, size_t error_size)
{
    mg_corpus corpus;
    if (mg_corpus_resolve(job->corpus, job->fraction, &corpus, error, error_size) != 0)
        return -1;
    number_texts(job, plan, command);
    char (*texts)[4096] = command->texts;
    mg_peer_script(job->backend, texts[TEXT_SCRIPT], sizeof texts[0]);
    if (mg_synth_is_spec(job->corpus)) {
        if (synth_file(plan, job->corpus, texts[TEXT_CORPUS_PATH], sizeof texts[0], error, error_size) != 0)
            return -1;
    } else {
        snprintf(texts[TEXT_CORPUS_PATH], sizeof texts[0], "%s", corpus.path);
    }
    snprintf(texts[TEXT_BYTE_LIMIT], sizeof texts[0], "%lld",
             corpus.byte_limit == UINT64_MAX ? -1LL : (long long)corpus.byte_limit);
    mg_allocator_spec allocator;
    if (mg_allocator_parse(job->allocator, &allocator, error, error_size) != 0)
        return -1;
    mg_allocator_library(&allocator, texts[TEXT_ALLOCATOR_LIBRARY], sizeof texts[0]);
    const char *arguments[] = {MG_PEER_PYTHON, texts[TEXT_SCRIPT], "--corpus", job->corpus,
                               "--corpus-path", texts[TEXT_CORPUS_PATH], "--byte-limit", texts[TEXT_BYTE_LIMIT],
                               "--fraction", texts[TEXT_FRACTION], "--order", texts[TEXT_ORDER],
                               "--allocator", job->allocator, "--seed", texts[TEXT_SEED],
                               "--allocator-library", texts[TEXT_ALLOCATOR_LIBRARY], NULL};
    memcpy(command->argv, arguments, sizeof arguments);
    return 0;
}

/* The child's command for a cell: 0, or -1 with error set. */
static int cell_command(const char *exe, const cell *job, const sweep_plan *plan, child_command *command,
                        char *error, size_t error_size)
{
    if (mg_backend_find(job->backend)) {
        run_arguments(exe, job, plan, command);
        return 0;
    }
    return peer_arguments(job, plan, command, error, error_size);
}

static json_t *run_child(const char *exe, const cell *job, const sweep_plan *plan)
{
    child_command command; /* ~29 KiB: fine on the main thread's stack */
    char error[512];
    if (cell_command(exe, job, plan, &command, error, sizeof error) != 0)
        return stub(job, "error", error);
    int out_pipe[2], err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0)
        return stub(job, "error", "cannot make pipes for the child");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
    pid_t pid;
    int spawned = posix_spawn(&pid, command.argv[0], &actions, NULL, command.argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out_pipe[1]);
    close(err_pipe[1]);
    child_output out = {0}, err = {0};
    int timed_out = 0, wait_status = 0;
    if (spawned == 0) {
        timed_out = collect_output(out_pipe[0], err_pipe[0], (double)plan->timeout_seconds, &out, &err);
        if (timed_out)
            kill(pid, SIGKILL);
        while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR)
            ;
    }
    close(out_pipe[0]);
    close(err_pipe[0]);
    json_t *run = spawned == 0 ? judge_child(job, wait_status, timed_out, &out, &err)
                               : stub(job, "error", strerror(spawned));
    free(out.bytes);
    free(err.bytes);
    return run;
}

/* ---- the sweep --------------------------------------------------------------------- */

/* Which side runs the turn-th run of a cell in a pass: the first side
 * alternates from cell to cell and pass to pass. */
static int side_of(int turn, uint64_t pass, int index, int side_count)
{
    return (int)(((uint64_t)turn + pass + (uint64_t)index) % (uint64_t)side_count);
}

/* Every run's command line, in the order the sweep would start them. */
static void print_plan(const char *exe, const sweep_plan *plan)
{
    const char *exes[2] = {exe, plan->against};
    int side_count = plan->against[0] ? 2 : 1;
    for (uint64_t pass = 0; pass < plan->processes; pass++)
        for (int index = 0; index < cell_count(plan); index++) {
            cell job = cell_at(plan, index);
            for (int turn = 0; turn < side_count; turn++) {
                child_command command; /* ~29 KiB: fine on the main thread's stack */
                char error[512];
                const char *side_exe = exes[side_of(turn, pass, index, side_count)];
                if (cell_command(side_exe, &job, plan, &command, error, sizeof error) != 0) {
                    printf("# %s: %s\n", job.backend, error);
                    continue;
                }
                for (int word = 0; command.argv[word]; word++)
                    printf("%s%s", word ? " " : "", command.argv[word]);
                putchar('\n');
            }
        }
}

static void show_progress(int tty, int done, int total, const cell *job, const char *side, const char *status,
                          double seconds)
{
    if (tty)
        fprintf(stderr, "\r\033[K[%d/%d] %s %s %.4g n=%d %s%s%s%s", done, total, job->backend, job->corpus,
                job->fraction, job->order, job->allocator, side, status ? ": " : " ...", status ? status : "");
    else if (status)
        fprintf(stderr, "[%d/%d] %s %s %.4g n=%d %s%s: %s (%.1f s)\n", done, total, job->backend, job->corpus,
                job->fraction, job->order, job->allocator, side, status, seconds);
    fflush(stderr);
}

static double seconds_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* One build's runs: this memgrams, or the one given by --against. */
typedef struct sweep_side {
    const char *exe;
    const char *label; /* shown after the cell: "" or " (against)" */
    char results_path[4200];
    int results_fd;
    done_set done;     /* runs the results held before this sweep (--resume) */
} sweep_side;

/* Runs one cell on one side and appends its line, numbered with its pass
 * (check pairs the runs of one pass); 1 if it did not end ok. */
static int run_one(const sweep_plan *plan, sweep_side *side, const cell *job, uint64_t pass, int step, int total,
                   int tty)
{
    show_progress(tty, step, total, job, side->label, NULL, 0);
    double started = seconds_now();
    json_t *run = run_child(side->exe, job, plan);
    json_object_set_new(run, "pass", json_integer((json_int_t)pass + 1));
    const char *status = json_string_value(json_object_get(run, "status"));
    if (mg_json_write_line(run, side->results_fd) != 0)
        fprintf(stderr, "\nmemgrams sweep: cannot append to '%s': %s\n", side->results_path, strerror(errno));
    show_progress(tty, step, total, job, side->label, status ? status : "?", seconds_now() - started);
    int failed = !status || strcmp(status, "ok") != 0;
    json_decref(run);
    return failed;
}

/* Runs every run not done yet, pass by pass (each pass one run of every cell,
 * so the runs of a cell are spread over the sweep's time, not bunched); with
 * two sides, each cell runs on both back to back, the first side alternating,
 * so both sides see the same moments of the machine. Returns the failures. */
static int run_cells(const sweep_plan *plan, sweep_side *sides, int side_count)
{
    int failures = 0, cells = cell_count(plan), tty = isatty(STDERR_FILENO);
    int total = cells * (int)plan->processes * side_count, step = 0;
    for (uint64_t pass = 0; pass < plan->processes; pass++)
        for (int index = 0; index < cells; index++) {
            cell job = cell_at(plan, index);
            char key[1024];
            cell_key(job.backend, job.corpus, job.fraction, job.order, job.allocator, key, sizeof key);
            for (int turn = 0; turn < side_count; turn++) {
                sweep_side *side = &sides[side_of(turn, pass, index, side_count)];
                if (done_count(&side->done, key) > pass) {
                    show_progress(tty, ++step, total, &job, side->label, "done before", 0);
                    continue;
                }
                failures += run_one(plan, side, &job, pass, ++step, total, tty);
            }
        }
    if (tty)
        fputc('\n', stderr);
    return failures;
}

static int open_side(const sweep_plan *plan, sweep_side *side, const char *exe, const char *label, const char *file)
{
    side->exe = exe;
    side->label = label;
    snprintf(side->results_path, sizeof side->results_path, "%s/%s", plan->out, file);
    if (plan->resume)
        load_done(side->results_path, &side->done);
    side->results_fd = open(side->results_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (side->results_fd >= 0)
        return 0;
    char error[4400];
    snprintf(error, sizeof error, "cannot open '%s': %s", side->results_path, strerror(errno));
    return sweep_error(error);
}

static void close_side(sweep_side *side)
{
    if (side->results_fd >= 0)
        close(side->results_fd);
    free_done(&side->done);
}

int mg_sweep_main(int argc, char **argv)
{
    sweep_plan plan;
    int status = parse_plan(argc, argv, &plan);
    if (status)
        return status;
    char exe[4096], error[4400];
    if (self_path(exe, sizeof exe) != 0)
        return sweep_error("cannot find the memgrams binary (/proc/self/exe)");
    if (plan.plan_only) {
        print_plan(exe, &plan);
        return 0;
    }
    if (make_folders(plan.out) != 0) {
        snprintf(error, sizeof error, "cannot make the folder '%s': %s", plan.out, strerror(errno));
        return sweep_error(error);
    }
    sweep_side sides[2] = {{.results_fd = -1}, {.results_fd = -1}};
    int side_count = plan.against[0] ? 2 : 1;
    status = open_side(&plan, &sides[0], exe, "", "results.jsonl");
    if (status == 0 && side_count == 2)
        status = open_side(&plan, &sides[1], plan.against, " (against)", "against.jsonl");
    int failures = status ? 0 : run_cells(&plan, sides, side_count);
    for (int index = 0; index < side_count; index++)
        close_side(&sides[index]);
    if (status)
        return status;
    if (mg_summary_print(sides[0].results_path, stdout, error, sizeof error) != 0)
        fprintf(stderr, "memgrams sweep: %s\n", error);
    int runs = cell_count(&plan) * (int)plan.processes * side_count;
    printf("results: %s%s%s (%d of %d runs not ok)\n", sides[0].results_path, side_count == 2 ? ", against: " : "",
           side_count == 2 ? sides[1].results_path : "", failures, runs);
    return failures ? 1 : 0;
}
