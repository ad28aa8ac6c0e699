/* results_append.c — see results_append.h. */
#include "results_append.h"
#include "atomic_file.h"
#include "message.h"
#include "results.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where the last line of the file at fd starts: its length when it ends in
 * '\n' (or is empty); -1 on a read error. */
static off_t last_line_start(int fd)
{
    struct stat info;
    char buffer[65536];
    if (fstat(fd, &info) != 0)
        return -1;
    for (off_t end = info.st_size; end > 0;) {
        off_t start = end > (off_t)sizeof buffer ? end - (off_t)sizeof buffer : 0;
        if (pread(fd, buffer, (size_t)(end - start), start) != end - start)
            return -1;
        const char *newline = memrchr(buffer, '\n', (size_t)(end - start));
        if (newline)
            return start + (newline - buffer) + 1;
        end = start;
    }
    return 0;
}

/* Appends the bytes of fd from start to end, and a '\n', to path: 0, or -1 with errno set. */
static int copy_tail(int fd, off_t start, off_t end, const char *path)
{
    int out = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666), status = out < 0 ? -1 : 0;
    char buffer[65536];
    for (off_t at = start; status == 0 && at < end;) {
        size_t want = end - at > (off_t)sizeof buffer ? sizeof buffer : (size_t)(end - at);
        ssize_t got = pread(fd, buffer, want, at);
        status = got > 0 ? mg_append_whole(out, buffer, (size_t)got) : (errno = got == 0 ? EIO : errno, -1);
        at += got > 0 ? got : 0;
    }
    if (status == 0)
        status = mg_append_whole(out, "\n", 1) == 0 && fsync(out) == 0 ? 0 : -1;
    int code = errno;
    if (out >= 0)
        close(out);
    errno = code;
    return status;
}

/* Is the last line, from start to end, whole JSON that lacks only its '\n'
 * (as the reader takes it)? */
static int whole_without_newline(int fd, off_t start, off_t end)
{
    enum { LINE_MOST = 64 << 20 };
    if (end - start > LINE_MOST)
        return 0;
    char *line = malloc((size_t)(end - start));
    json_t *object = line && pread(fd, line, (size_t)(end - start), start) == end - start
                         ? json_loadb(line, (size_t)(end - start), 0, NULL)
                         : NULL;
    int whole = json_is_object(object);
    json_decref(object);
    free(line);
    return whole;
}

int mg_results_set_aside_partial(int fd, const char *path, char *error, size_t error_size)
{
    struct stat info;
    off_t start = last_line_start(fd);
    if (start < 0 || fstat(fd, &info) != 0) {
        snprintf(error, error_size, "cannot read '%s': %s", mg_show(path).text, strerror(errno));
        return -1;
    }
    if (start == info.st_size)
        return 0;
    if (whole_without_newline(fd, start, info.st_size)) {
        if (mg_append_whole(fd, "\n", 1) == 0)
            return 0;
        snprintf(error, error_size, "cannot end the last line of '%s': %s", mg_show(path).text, strerror(errno));
        return -1;
    }
    char partial[MG_PATH_SIZE + 16];
    snprintf(partial, sizeof partial, "%s.partial", path);
    if (copy_tail(fd, start, info.st_size, partial) != 0 || ftruncate(fd, start) != 0) {
        snprintf(error, error_size, "cannot set the unfinished last line of '%s' aside in '%s': %s", mg_show(path).text,
                 mg_show(partial).text,
                 strerror(errno));
        return -1;
    }
    fprintf(stderr, "memgrams sweep: '%s' ended in %lld bytes of an unfinished line: moved to '%s'\n",
            mg_show(path).text, (long long)(info.st_size - start), mg_show(partial).text);
    return 0;
}

void mg_results_lock(int fd)
{
    while (flock(fd, LOCK_EX) != 0 && errno == EINTR)
        ;
}

int mg_results_append_line(int fd, json_t *run)
{
    mg_results_lock(fd);
    int status = mg_json_write_line(run, fd), code = errno;
    flock(fd, LOCK_UN);
    errno = code;
    return status;
}
