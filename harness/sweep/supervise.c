/* supervise.c — see supervise.h. */
#include "supervise.h"
#include "allocator.h"
#include "atomic_file.h"
#include "backend.h"
#include "corpus.h"
#include "message.h"
#include "options.h"
#include "peers.h"
#include "redis_subject.h"
#include "results.h"
#include "results_file.h"
#include "run_fields.h"
#include "run.h"
#include "synth.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { STDOUT_KEPT = 64 << 20, STDERR_KEPT = 64 << 10 }; /* bytes of a child's output read; the rest is drained */

/* ---- the request and its command ---------------------------------------------- */

int mg_self_path(char *path, size_t path_size)
{
    ssize_t length = readlink("/proc/self/exe", path, path_size - 1);
    if (length <= 0)
        return -1;
    path[length] = '\0';
    return 0;
}

mg_run_request mg_run_request_make(mg_cell cell, uint64_t seed, uint64_t repeat, uint64_t pass,
                                   uint64_t timeout_seconds)
{
    mg_run_request request = {cell, seed, mg_backend_find(cell.backend) ? repeat : 1, pass, timeout_seconds};
    return request;
}

int mg_runnable_check(const char *name, char *error, size_t error_size)
{
    char script[4096], names[512], peers[512], settings[MG_SETTINGS_SIZE];
    mg_cell cell;
    mg_cell_set_backend(&cell, name);
    if (mg_redis_subject_named(name) || (mg_backend_find(cell.backend) && cell.settings))
        return mg_spec_settings(name, settings, sizeof settings, error, error_size);
    if (mg_backend_find(name) || mg_peer_script(name, script, sizeof script) == 0)
        return 0;
    mg_backend_names_line(names, sizeof names);
    mg_peer_names_line(peers, sizeof peers);
    snprintf(error, error_size, "unknown backend '%s' (valid: %s; peers: %s)", mg_show(name).text, names,
             peers[0] ? peers : "none");
    return -1;
}

enum { TEXT_BACKEND, TEXT_FRACTION, TEXT_ORDER, TEXT_SEED, TEXT_REPEAT, TEXT_PASS, TEXT_TIMEOUT, TEXT_SCRIPT, TEXT_CORPUS_PATH,
       TEXT_BYTE_LIMIT, TEXT_ALLOCATOR_LIBRARY, TEXT_COUNT };
_Static_assert((int)TEXT_COUNT <= (int)MG_COMMAND_TEXTS, "mg_command holds every text");

static void number_texts(const mg_run_request *request, mg_command *command)
{
    char(*texts)[4096] = command->texts;
    mg_cell_subject(&request->cell, texts[TEXT_BACKEND], sizeof texts[0]);
    snprintf(texts[TEXT_FRACTION], sizeof texts[0], "%.17g", request->cell.fraction);
    snprintf(texts[TEXT_ORDER], sizeof texts[0], "%d", request->cell.order);
    snprintf(texts[TEXT_SEED], sizeof texts[0], "%llu", (unsigned long long)request->seed);
    snprintf(texts[TEXT_REPEAT], sizeof texts[0], "%llu", (unsigned long long)request->repeat);
    snprintf(texts[TEXT_PASS], sizeof texts[0], "%llu", (unsigned long long)request->pass);
    snprintf(texts[TEXT_TIMEOUT], sizeof texts[0], "%llu", (unsigned long long)request->timeout_seconds);
}

/* words (count of them, the last NULL) as the command's argv. */
static void set_words(mg_command *command, const char *const *words, size_t count)
{
    for (size_t index = 0; index < count && index < MG_COMMAND_WORDS; index++)
        command->argv[index] = (char *)words[index];
    command->argv[MG_COMMAND_WORDS - 1] = NULL;
}

/* `exe run` with the request's options, then the words of tail (NULL-terminated). */
static void set_run_words(const char *exe, const mg_run_request *request, mg_command *command,
                          const char *const *tail)
{
    char(*texts)[4096] = command->texts;
    const mg_cell *cell = &request->cell;
    const char *words[MG_COMMAND_WORDS] = {exe, "run", "--backend", texts[TEXT_BACKEND], "--corpus", cell->corpus,
                                           "--fraction", texts[TEXT_FRACTION], "--order", texts[TEXT_ORDER],
                                           "--allocator", cell->allocator, "--seed", texts[TEXT_SEED],
                                           "--repeat", texts[TEXT_REPEAT]};
    size_t count = 16;
    while (*tail && count + 1 < MG_COMMAND_WORDS)
        words[count++] = *tail++;
    words[count++] = NULL;
    set_words(command, words, count);
}

/* A synth: spec as a file a peer can read: FOLDER/synth-tokensN-seedS.txt,
 * written the first time it is needed (the same bytes the harness reads, so
 * the fraction's byte limit holds for it too). 0, or -1 with error set. */
static int synth_file(const char *folder, const char *spec, char *path, size_t path_size, char *error,
                      size_t error_size)
{
    mg_synth_spec synth;
    if (mg_synth_parse(spec, &synth, error, error_size) != 0)
        return -1;
    snprintf(path, path_size, "%s/synth-tokens%llu-seed%llu.txt", folder, (unsigned long long)synth.tokens,
             (unsigned long long)synth.seed);
    if (access(path, R_OK) == 0)
        return 0;
    if (mg_make_folders(folder) != 0) {
        snprintf(error, error_size, "cannot make the folder '%s': %s", mg_show(folder).text, strerror(errno));
        return -1;
    }
    return mg_synth_write_file(&synth, path, error, error_size);
}

/* The peer's script under python3, given the resolved corpus file; -1 (error set) if there is none. */
static int peer_command(const mg_run_request *request, const char *corpora_folder, mg_command *command,
                        char *error, size_t error_size)
{
    const mg_cell *cell = &request->cell;
    char(*texts)[4096] = command->texts;
    mg_corpus corpus;
    mg_allocator_spec allocator;
    if (mg_corpus_resolve(cell->corpus, cell->fraction, &corpus, error, error_size) != 0 ||
        mg_allocator_parse(cell->allocator, &allocator, error, error_size) != 0)
        return -1;
    mg_peer_script(cell->backend, texts[TEXT_SCRIPT], sizeof texts[0]);
    if (mg_synth_is_spec(cell->corpus)) {
        if (synth_file(corpora_folder, cell->corpus, texts[TEXT_CORPUS_PATH], sizeof texts[0], error, error_size) != 0)
            return -1;
    } else {
        snprintf(texts[TEXT_CORPUS_PATH], sizeof texts[0], "%s", corpus.path);
    }
    snprintf(texts[TEXT_BYTE_LIMIT], sizeof texts[0], "%lld",
             corpus.byte_limit == UINT64_MAX ? -1LL : (long long)corpus.byte_limit);
    mg_allocator_library(&allocator, texts[TEXT_ALLOCATOR_LIBRARY], sizeof texts[0]);
    const char *words[] = {MG_PEER_PYTHON, texts[TEXT_SCRIPT], "--corpus", cell->corpus,
                           "--corpus-path", texts[TEXT_CORPUS_PATH], "--byte-limit", texts[TEXT_BYTE_LIMIT],
                           "--fraction", texts[TEXT_FRACTION], "--order", texts[TEXT_ORDER],
                           "--allocator", cell->allocator, "--seed", texts[TEXT_SEED],
                           "--allocator-library", texts[TEXT_ALLOCATOR_LIBRARY], NULL};
    set_words(command, words, sizeof words / sizeof words[0]);
    return 0;
}

int mg_command_for(const char *exe, const mg_run_request *request, const char *corpora_folder,
                   mg_command *command, char *error, size_t error_size)
{
    number_texts(request, command);
    if (!mg_backend_find(request->cell.backend) && !mg_redis_subject_named(request->cell.backend))
        return peer_command(request, corpora_folder, command, error, error_size);
    const char *none[] = {NULL};
    set_run_words(exe, request, command, none);
    return 0;
}

void mg_command_judged(const char *exe, const mg_run_request *request, const char *output, mg_command *command)
{
    number_texts(request, command);
    const char *tail[] = {"--pass", command->texts[TEXT_PASS], "--timeout", command->texts[TEXT_TIMEOUT],
                          "--output", output, NULL};
    set_run_words(exe, request, command, tail);
}

/* ---- the kernel's count of OOM kills --------------------------------------------- */

/* Where the kernel counts OOM kills: everywhere, and in this process's
 * cgroup (v2 and v1; a hybrid system has both, most have one). A child
 * stays in its parent's cgroup. */
enum { COUNTER_SYSTEM, COUNTER_CGROUP2, COUNTER_CGROUP1, COUNTER_COUNT };
typedef struct oom_counters {
    uint64_t kills[COUNTER_COUNT]; /* UINT64_MAX where unreadable */
} oom_counters;

/* The value of the line "oom_kill N" in a file of "name value" lines; UINT64_MAX when there is none. */
static uint64_t oom_kill_line(const char *path)
{
    FILE *file = fopen(path, "r");
    char line[256];
    uint64_t kills = UINT64_MAX;
    while (file && kills == UINT64_MAX && fgets(line, sizeof line, file))
        if (strncmp(line, "oom_kill ", 9) == 0)
            kills = strtoull(line + 9, NULL, 10);
    if (file)
        fclose(file);
    return kills;
}

/* Does the controller list of a /proc/self/cgroup line ("4:memory:/x", "3:cpu,memory:/x") name memory? */
static int names_memory(const char *controllers, size_t length)
{
    for (size_t start = 0; start < length;) {
        size_t word = strcspn(controllers + start, ",:");
        if (word == 6 && strncmp(controllers + start, "memory", 6) == 0)
            return 1;
        start += word + 1;
    }
    return 0;
}

static void oom_counters_read(oom_counters *counters)
{
    char paths[COUNTER_COUNT][4400] = {"/proc/vmstat", "", ""}, line[4096];
    FILE *cgroups = fopen("/proc/self/cgroup", "r");
    while (cgroups && fgets(line, sizeof line, cgroups)) {
        line[strcspn(line, "\n")] = '\0';
        char *controllers = strchr(line, ':'), *path = controllers ? strchr(controllers + 1, ':') : NULL;
        if (!path)
            continue;
        controllers++;
        if (path == controllers)
            snprintf(paths[COUNTER_CGROUP2], sizeof paths[0], "/sys/fs/cgroup%s/memory.events", path + 1);
        else if (names_memory(controllers, (size_t)(path - controllers)))
            snprintf(paths[COUNTER_CGROUP1], sizeof paths[0], "/sys/fs/cgroup/memory%s/memory.oom_control", path + 1);
    }
    if (cgroups)
        fclose(cgroups);
    for (int index = 0; index < COUNTER_COUNT; index++)
        counters->kills[index] = paths[index][0] ? oom_kill_line(paths[index]) : UINT64_MAX;
}

/* Did any count readable both times grow? */
static int oom_counted(const oom_counters *before, const oom_counters *after)
{
    for (int index = 0; index < COUNTER_COUNT; index++)
        if (before->kills[index] != UINT64_MAX && after->kills[index] != UINT64_MAX &&
            after->kills[index] > before->kills[index])
            return 1;
    return 0;
}

/* ---- one child --------------------------------------------------------------------- */

typedef struct child_output {
    char *bytes;  /* NUL-terminated; NULL while empty */
    size_t length, kept_most;
    int cut;      /* more came than is kept */
} child_output;

typedef struct child_end {
    int spawn_error;   /* posix_spawn's errno, or 0 */
    int wait_status;
    int timed_out;
    int oom_counted;   /* the kernel counted an OOM kill while the child ran */
    child_output out, err;
} child_end;

static void append_output(child_output *output, const char *bytes, size_t length)
{
    if (length > output->kept_most - output->length) {
        output->cut = 1;
        length = output->kept_most - output->length;
    }
    char *grown = length ? realloc(output->bytes, output->length + length + 1) : NULL;
    if (!grown) {
        output->cut |= length > 0;
        return;
    }
    memcpy(grown + output->length, bytes, length);
    output->bytes = grown;
    output->length += length;
    output->bytes[output->length] = '\0';
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) * 1e-9;
}

/* Reads both pipes until closed or the deadline; 1 if the deadline came first. */
static int collect_output(int out_fd, int err_fd, double timeout_seconds, child_output *out, child_output *err)
{
    struct pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (fds[0].fd >= 0 || fds[1].fd >= 0) {
        double left = timeout_seconds - seconds_since(&start);
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

/* Starts the command with its stdout and stderr on pipes and SIGXFSZ at
 * its default action: the pid, or -1 with end->spawn_error set. */
static pid_t start_child(const mg_command *command, int out_pipe[2], int err_pipe[2], child_end *end)
{
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGXFSZ);
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);
    pid_t pid = -1;
    end->spawn_error = posix_spawn(&pid, command->argv[0], &actions, &attributes, command->argv, environ);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    return end->spawn_error ? -1 : pid;
}

static void run_child(const mg_command *command, double timeout_seconds, child_end *end)
{
    int out_pipe[2], err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0) {
        end->spawn_error = errno;
        return;
    }
    if (pipe2(err_pipe, O_CLOEXEC) != 0) {
        end->spawn_error = errno;
        close(out_pipe[0]);
        close(out_pipe[1]);
        return;
    }
    pid_t pid = start_child(command, out_pipe, err_pipe, end);
    close(out_pipe[1]);
    close(err_pipe[1]);
    if (pid > 0) {
        end->timed_out = collect_output(out_pipe[0], err_pipe[0], timeout_seconds, &end->out, &end->err);
        if (end->timed_out)
            kill(pid, SIGKILL);
        while (waitpid(pid, &end->wait_status, 0) < 0 && errno == EINTR)
            ;
    }
    close(out_pipe[0]);
    close(err_pipe[0]);
}

/* ---- judging ------------------------------------------------------------------------ */

static json_t *stub(const mg_run_request *request, const char *status, const char *message)
{
    return mg_result_stub_json(&request->cell, request->seed, request->repeat, status, message);
}

/* The first line of what the child said on stderr, as a message shows a
 * value (a JSON string must be UTF-8; a child's bytes need not be); "" if none. */
static mg_shown stderr_line(const child_end *end)
{
    const char *text = end->err.bytes ? end->err.bytes : "";
    char line[MG_SHOWN_MAX];
    snprintf(line, sizeof line, "%.*s", (int)strcspn(text, "\n"), text);
    return mg_show(line);
}

static json_t *judge_signal(const mg_run_request *request, const child_end *end, const char *said)
{
    char message[1024];
    int signal_number = WTERMSIG(end->wait_status), sigkill = signal_number == SIGKILL;
    const char *status = !sigkill ? "crashed" : end->oom_counted ? "oom" : "killed";
    const char *why = !sigkill ? "" : end->oom_counted ? ", and the kernel counted an OOM kill meanwhile"
                                                       : ", and the kernel counted no OOM kill meanwhile";
    snprintf(message, sizeof message, "killed by signal %d (%s)%s%s%s", signal_number, strsignal(signal_number), why,
             *said ? ": " : "", said);
    return stub(request, status, message);
}

/* What a finished child leaves: its own run object, or a stub saying why there is none. */
static json_t *judge(const mg_run_request *request, const child_end *end)
{
    char message[1024];
    mg_shown shown = stderr_line(end);
    const char *said = shown.text;
    if (end->spawn_error) {
        snprintf(message, sizeof message, "cannot start the run: %s", strerror(end->spawn_error));
        return stub(request, "error", message);
    }
    if (end->timed_out) {
        snprintf(message, sizeof message, "the run exceeded its --timeout of %llu s and was killed",
                 (unsigned long long)request->timeout_seconds);
        return stub(request, "timeout", message);
    }
    if (WIFSIGNALED(end->wait_status))
        return judge_signal(request, end, said);
    json_t *run = end->out.bytes && !end->out.cut ? json_loads(end->out.bytes, JSON_DISABLE_EOF_CHECK, NULL) : NULL;
    const char *fault = end->out.cut ? "more output than a run prints" : run ? mg_run_fault(run) : NULL;
    if (run && !fault)
        return run;
    json_decref(run);
    if (fault)
        snprintf(message, sizeof message, "exit status %d: stdout is not a run object (%s)",
                 WEXITSTATUS(end->wait_status), fault);
    else
        snprintf(message, sizeof message, "exit status %d: %s", WEXITSTATUS(end->wait_status),
                 *said ? said : "no output");
    return stub(request, "error", message);
}

/* The pass, and the seed and repeat the run was asked for where its line does not say. */
static void stamp(json_t *run, const mg_run_request *request)
{
    mg_result_stamp(run, request->seed, request->repeat, request->pass);
}

json_t *mg_supervise_failed(const mg_run_request *request, const char *message)
{
    json_t *run = stub(request, "error", message);
    stamp(run, request);
    return run;
}

json_t *mg_supervise(const mg_command *command, const mg_run_request *request)
{
    child_end end = {.out.kept_most = STDOUT_KEPT, .err.kept_most = STDERR_KEPT};
    oom_counters before, after;
    oom_counters_read(&before);
    run_child(command, (double)request->timeout_seconds, &end);
    oom_counters_read(&after);
    end.oom_counted = oom_counted(&before, &after);
    json_t *run = judge(request, &end);
    free(end.out.bytes);
    free(end.err.bytes);
    stamp(run, request);
    return run;
}
