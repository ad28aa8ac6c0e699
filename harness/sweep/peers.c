/* peers.c — see peers.h. */
#include "peers.h"
#include "data_path.h"

#include <dirent.h>
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

#define DESCRIBE_TIMEOUT_MS 10000 /* a script that imports a little and prints one line */

#define PEER_FOLDER mg_data_folder(MG_DATA_PEERS)

/* Peer names are plain words: no path can be smuggled through one. A name
 * beginning with '_' is a module the peers share, not a peer (peers.h). */
static int is_plain_name(const char *name)
{
    if (!*name || *name == '_')
        return 0;
    for (const char *cursor = name; *cursor; cursor++)
        if (!((*cursor >= 'a' && *cursor <= 'z') || (*cursor >= '0' && *cursor <= '9') || *cursor == '_'))
            return 0;
    return 1;
}

int mg_peer_script(const char *name, char *path, size_t path_size)
{
    if (!is_plain_name(name))
        return -1;
    snprintf(path, path_size, "%s/%s.py", PEER_FOLDER, name);
    return access(path, R_OK) == 0 ? 0 : -1;
}

void mg_peer_names_line(char *line, size_t line_size)
{
    line[0] = '\0';
    DIR *folder = opendir(PEER_FOLDER);
    if (!folder)
        return;
    for (struct dirent *entry; (entry = readdir(folder));) {
        size_t length = strlen(entry->d_name), used = strlen(line);
        if (length > 3 && strcmp(entry->d_name + length - 3, ".py") == 0 && entry->d_name[0] != '_')
            snprintf(line + used, line_size - used, "%s%.*s", used ? ", " : "", (int)(length - 3), entry->d_name);
    }
    closedir(folder);
}

static int by_name(const void *left, const void *right)
{
    return strcmp(left, right);
}

int mg_peer_names(char (*names)[MG_PEER_NAME_SIZE], int max)
{
    int count = 0;
    DIR *folder = opendir(PEER_FOLDER);
    for (struct dirent *entry; folder && count < max && (entry = readdir(folder));) {
        size_t length = strlen(entry->d_name);
        if (length <= 3 || length - 3 >= MG_PEER_NAME_SIZE || strcmp(entry->d_name + length - 3, ".py") != 0)
            continue;
        snprintf(names[count], MG_PEER_NAME_SIZE, "%.*s", (int)(length - 3), entry->d_name);
        count += is_plain_name(names[count]);
    }
    if (folder)
        closedir(folder);
    qsort(names, (size_t)count, sizeof names[0], by_name);
    return count;
}

/* The child's stdout up to text_size - 1 bytes or DESCRIBE_TIMEOUT_MS; 1 when time ran out. */
static int read_until_closed(int fd, char *text, size_t text_size)
{
    size_t used = 0;
    struct pollfd ready = {fd, POLLIN, 0};
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left = DESCRIBE_TIMEOUT_MS - ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
        if (left <= 0)
            return 1;
        int polled = poll(&ready, 1, (int)left);
        if (polled < 0 && errno == EINTR)
            continue;
        char buffer[512];
        ssize_t got = polled > 0 ? read(fd, buffer, sizeof buffer) : -1;
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return polled == 0;
        size_t kept = (size_t)got < text_size - 1 - used ? (size_t)got : text_size - 1 - used;
        memcpy(text + used, buffer, kept);
        used += kept;
        text[used] = '\0';
    }
}

int mg_peer_describe(const char *name, char *text, size_t text_size)
{
    char script[4096];
    text[0] = '\0';
    if (access(MG_PEER_PYTHON, X_OK) != 0) {
        snprintf(text, text_size, "(%s is not installed: the peer cannot run)", MG_PEER_PYTHON);
        return -1;
    }
    int out[2];
    if (mg_peer_script(name, script, sizeof script) != 0 || pipe2(out, O_CLOEXEC) != 0) {
        snprintf(text, text_size, "(no readable script for the peer)");
        return -1;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    char *argv[] = {MG_PEER_PYTHON, script, "--describe", NULL};
    pid_t pid;
    int spawned = posix_spawn(&pid, MG_PEER_PYTHON, &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    int timed_out = spawned == 0 ? read_until_closed(out[0], text, text_size) : 0, status = 0;
    close(out[0]);
    if (spawned == 0 && timed_out)
        kill(pid, SIGKILL);
    while (spawned == 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    text[strcspn(text, "\n")] = '\0';
    if (spawned != 0 || timed_out || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || !text[0]) {
        snprintf(text, text_size, "(%s --describe failed: no description)", MG_PEER_PYTHON);
        return -1;
    }
    return 0;
}
