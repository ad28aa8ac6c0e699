/* gnuplot.c — see gnuplot.h. */
#include "gnuplot.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

enum { PATH_SIZE = 4416 }; /* a report's longest path (report_runs.h) and an extension */

/* The last non-blank line of a log, control bytes as '?', or "no message". */
static void last_line(const char *path, char *line, size_t line_size)
{
    char buffer[512];
    FILE *file = fopen(path, "r");
    snprintf(line, line_size, "no message");
    while (file && fgets(buffer, sizeof buffer, file)) {
        buffer[strcspn(buffer, "\r\n")] = '\0';
        if (buffer[strspn(buffer, " \t^")] == '\0')
            continue;
        for (char *at = buffer; *at; at++)
            if ((unsigned char)*at < 0x20)
                *at = '?';
        snprintf(line, line_size, "%s", buffer);
    }
    if (file)
        fclose(file);
}

/* Starts gnuplot -c on the job's script and waits for it: 0 when it ended
 * with status 0, 1 when it did not, -1 (error set) when it could not start. */
static int spawn_gnuplot(const mg_gnuplot_job *job, char *error, size_t error_size)
{
    char *argv[3 + MG_GNUPLOT_ARGUMENTS + 1] = {"gnuplot", "-c", (char *)job->script_path};
    for (int index = 0; index < MG_GNUPLOT_ARGUMENTS; index++)
        argv[3 + index] = (char *)(job->arguments[index] ? job->arguments[index] : "");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, job->log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    pid_t pid;
    int spawned = posix_spawnp(&pid, "gnuplot", &actions, NULL, argv, environ), wait_status = 0;
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
        snprintf(error, error_size, "cannot start gnuplot: %s (scripts/install-deps installs gnuplot-nox)",
                 strerror(spawned));
        return -1;
    }
    while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0 ? 0 : 1;
}

/* Renames the drawn .svg and .png into place, each only when there and not empty: 0, or -1. */
static int move_drawings(const mg_gnuplot_job *job)
{
    for (int kind = 0; kind < 2; kind++) {
        char drawn[PATH_SIZE], final[PATH_SIZE];
        snprintf(drawn, sizeof drawn, "%s.%s", job->drawn, kind ? "png" : "svg");
        snprintf(final, sizeof final, "%s.%s", job->final, kind ? "png" : "svg");
        struct stat info;
        if (stat(drawn, &info) != 0 || info.st_size == 0 || rename(drawn, final) != 0)
            return -1;
    }
    return 0;
}

int mg_gnuplot_run(const mg_gnuplot_job *job, char *error, size_t error_size)
{
    int ended = spawn_gnuplot(job, error, error_size);
    if (ended < 0)
        return -1;
    if (ended == 0 && move_drawings(job) == 0)
        return 0;
    char said[256];
    last_line(job->log_path, said, sizeof said);
    snprintf(error, error_size, "gnuplot could not draw %s: %s", job->what, said);
    return -1;
}
