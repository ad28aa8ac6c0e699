/* process.c — see process.h. */
#include "process.h"
#include "cell.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void append(char **buffer, size_t *length, const char *bytes, size_t count)
{
    char *grown = realloc(*buffer, *length + count + 1);
    if (!grown)
        abort();
    memcpy(grown + *length, bytes, count);
    *length += count;
    grown[*length] = '\0';
    *buffer = grown;
}

/* environ plus the extra entries (which win). */
static char **merged_environment(const char *const *extra)
{
    size_t base = 0, added = 0;
    while (environ[base])
        base++;
    while (extra && extra[added])
        added++;
    char **merged = calloc(base + added + 1, sizeof *merged);
    size_t used = 0;
    for (size_t index = 0; index < added; index++)
        merged[used++] = (char *)extra[index];
    for (size_t index = 0; index < base; index++) {
        int shadowed = 0;
        for (size_t entry = 0; entry < added; entry++) {
            size_t name = strcspn(extra[entry], "=");
            shadowed |= strncmp(environ[index], extra[entry], name + 1) == 0;
        }
        if (!shadowed)
            merged[used++] = environ[index];
    }
    return merged;
}

command_result memgrams(const char *const *args, const char *const *environment)
{
    return run_program(MEMGRAMS_BINARY, args, environment);
}

command_result run_program(const char *binary, const char *const *args, const char *const *environment)
{
    return run_program_set_up(binary, args, environment, NULL);
}

command_result memgrams_set_up(const char *const *args, const char *const *environment, const run_setup *setup)
{
    return run_program_set_up(MEMGRAMS_BINARY, args, environment, setup);
}

/* In the child between fork and exec: only async-signal-safe calls. */
static void exec_child(const char *binary, char *const *argv, char *const *environment, int out_fd, int err_fd,
                       const run_setup *setup)
{
    int in_fd = setup && setup->stdin_path ? open(setup->stdin_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1;
    int full_fd = setup && setup->stdout_path ? open(setup->stdout_path, O_WRONLY | O_CLOEXEC) : -1;
    if ((setup && setup->stdin_path && in_fd < 0) || (setup && setup->stdout_path && full_fd < 0))
        _exit(127);
    if ((in_fd >= 0 && dup2(in_fd, 0) < 0) || dup2(full_fd >= 0 ? full_fd : out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
        _exit(127);
    if (setup && setup->alarm_seconds)
        alarm(setup->alarm_seconds); /* kept across exec: a child that blocks is killed, not waited for */
    if (setup && setup->address_space) {
        struct rlimit limit = {setup->address_space, setup->address_space};
        if (setrlimit(RLIMIT_AS, &limit) != 0)
            _exit(127);
    }
    execve(binary, argv, environment);
    _exit(127);
}

command_result run_program_set_up(const char *binary, const char *const *args, const char *const *environment,
                                  const run_setup *setup)
{
    command_result result = {0};
    const char *argv[64] = {binary};
    for (size_t index = 0; args[index] && index < 62; index++)
        argv[index + 1] = args[index];
    int out_pipe[2], err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC))
        abort();
    char **merged = merged_environment(environment);
    pid_t pid = fork();
    if (pid == 0)
        exec_child(binary, (char *const *)argv, merged, out_pipe[1], err_pipe[1], setup);
    free(merged);
    close(out_pipe[1]);
    close(err_pipe[1]);
    size_t err_length = 0;
    append(&result.out, &result.out_length, "", 0);
    append(&result.err, &err_length, "", 0);
    struct pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    while (pid > 0 && (fds[0].fd >= 0 || fds[1].fd >= 0)) {
        if (poll(fds, 2, -1) < 0 && errno != EINTR)
            break;
        for (int index = 0; index < 2; index++) {
            if (fds[index].fd < 0 || !fds[index].revents)
                continue;
            char buffer[65536];
            ssize_t got = read(fds[index].fd, buffer, sizeof buffer);
            if (got > 0 && index == 0)
                append(&result.out, &result.out_length, buffer, (size_t)got);
            else if (got > 0)
                append(&result.err, &err_length, buffer, (size_t)got);
            else
                fds[index].fd = -1;
        }
    }
    close(out_pipe[0]);
    close(err_pipe[0]);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0) {
        result.exit_code = -1;
        return result;
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return result;
}

void command_result_free(command_result *result)
{
    free(result->out);
    free(result->err);
    result->out = result->err = NULL;
}

int count_lines(const char *text)
{
    int lines = 0;
    for (const char *cursor = text; *cursor; cursor++)
        lines += *cursor == '\n';
    size_t length = strlen(text);
    return lines + (length && text[length - 1] != '\n');
}

json_t *run_json(const command_result *result)
{
    json_t *run = json_loads(result->out, 0, NULL);
    if (run && !json_is_object(run)) {
        json_decref(run);
        return NULL;
    }
    return run;
}

long long parts_sum(json_t *parts, const char **bad_name)
{
    long long sum = 0;
    const char *name;
    json_t *value;
    *bad_name = NULL;
    json_object_foreach(parts, name, value) {
        if (!*bad_name && !mg_name_valid(name))
            *bad_name = name;
        sum += json_integer_value(value);
    }
    return sum;
}

double phase_layer(json_t *run, const char *phase, const char *layer)
{
    size_t index;
    json_t *entry;
    json_array_foreach(json_object_get(run, "phases"), index, entry) {
        const char *name = json_string_value(json_object_get(entry, "name"));
        if (name && strcmp(name, phase) == 0) {
            json_t *value = json_object_get(entry, layer);
            return json_is_number(value) ? json_number_value(value) : -1;
        }
    }
    return -1;
}

char *temp_folder(void)
{
    char *folder = strdup("/tmp/memgrams-test-XXXXXX");
    if (!folder || !mkdtemp(folder))
        abort();
    return folder;
}

static int remove_entry(const char *path, const struct stat *info, int kind, struct FTW *walk)
{
    (void)info, (void)kind, (void)walk;
    remove(path);
    return 0;
}

void remove_folder(char *folder)
{
    if (folder)
        nftw(folder, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(folder);
}
