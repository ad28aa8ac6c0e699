/* atomic_file.c — see atomic_file.h. */
#include "atomic_file.h"
#include "message.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The folder part of path ("." when it has none) and its last part. */
static void split_path(const char *path, char *folder, size_t folder_size, const char **name)
{
    const char *slash = strrchr(path, '/');
    *name = slash ? slash + 1 : path;
    if (!slash)
        snprintf(folder, folder_size, ".");
    else if (slash == path)
        snprintf(folder, folder_size, "/");
    else
        snprintf(folder, folder_size, "%.*s", (int)(slash - path), path);
}

/* The mode a plain fopen would give: 0666 less the umask (mkstemp makes 0600). */
static mode_t usual_mode(void)
{
    mode_t mask = umask(022);
    umask(mask);
    return 0666 & ~mask;
}

static int write_error(const char *path, int code, char *error, size_t error_size)
{
    snprintf(error, error_size, "cannot write '%s': %s", mg_show(path).text, strerror(code));
    return -1;
}

int mg_atomic_begin(mg_atomic_file *out, const char *path, char *error, size_t error_size)
{
    char folder[MG_PATH_SIZE];
    const char *name;
    out->file = NULL;
    if (snprintf(out->path, sizeof out->path, "%s", path) >= (int)sizeof out->path)
        return write_error(path, ENAMETOOLONG, error, error_size);
    split_path(path, folder, sizeof folder, &name);
    if (!*name)
        return write_error(path, EISDIR, error, error_size);
    if (snprintf(out->temporary, sizeof out->temporary, "%s/.%s.XXXXXX", folder, name) >= (int)sizeof out->temporary)
        return write_error(path, ENAMETOOLONG, error, error_size);
    int fd = mkstemp(out->temporary);
    if (fd < 0)
        return write_error(path, errno, error, error_size);
    if (fchmod(fd, usual_mode()) != 0 || !(out->file = fdopen(fd, "w"))) {
        int code = errno;
        close(fd);
        unlink(out->temporary);
        return write_error(path, code, error, error_size);
    }
    return 0;
}

int mg_atomic_commit(mg_atomic_file *out, char *error, size_t error_size)
{
    int code = 0;
    if (fflush(out->file) != 0 || ferror(out->file))
        code = errno ? errno : EIO;
    else if (fsync(fileno(out->file)) != 0 && errno != EINVAL)
        code = errno;
    if (fclose(out->file) != 0 && !code)
        code = errno;
    out->file = NULL;
    if (!code && rename(out->temporary, out->path) != 0)
        code = errno;
    if (!code)
        return 0;
    unlink(out->temporary);
    return write_error(out->path, code, error, error_size);
}

void mg_atomic_abandon(mg_atomic_file *out)
{
    if (out->file)
        fclose(out->file);
    out->file = NULL;
    unlink(out->temporary);
}

int mg_atomic_folder(const char *dir, char *folder, size_t folder_size, char *error, size_t error_size)
{
    if (snprintf(folder, folder_size, "%s/.tmp-XXXXXX", dir) >= (int)folder_size)
        return write_error(dir, ENAMETOOLONG, error, error_size);
    if (mkdtemp(folder))
        return 0;
    return write_error(dir, errno, error, error_size);
}

void mg_atomic_folder_remove(const char *folder)
{
    DIR *listing = opendir(folder);
    struct dirent *entry;
    char path[MG_PATH_SIZE + 300];
    while (listing && (entry = readdir(listing))) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", folder, entry->d_name);
        unlink(path);
    }
    if (listing)
        closedir(listing);
    rmdir(folder);
}

int mg_make_folders(const char *path)
{
    char partial[MG_PATH_SIZE];
    if (snprintf(partial, sizeof partial, "%s", path) >= (int)sizeof partial) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *slash = strchr(partial + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (mkdir(partial, 0777) != 0 && errno != EEXIST)
            return -1;
        *slash = '/';
    }
    return mkdir(partial, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

/* The length of a regular file opened O_APPEND, where a failed line is cut
 * back to; -1 for any other fd, which is never cut. */
static off_t appended_length(int fd)
{
    struct stat info;
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || !(flags & O_APPEND) || fstat(fd, &info) != 0 || !S_ISREG(info.st_mode))
        return -1;
    return info.st_size;
}

int mg_append_whole(int fd, const char *bytes, size_t length)
{
    off_t before = appended_length(fd);
    size_t written = 0;
    while (written < length) {
        ssize_t wrote = write(fd, bytes + written, length - written);
        if (wrote < 0 && errno == EINTR)
            continue;
        if (wrote <= 0) {
            int code = wrote < 0 ? errno : ENOSPC;
            int cut = before >= 0 ? ftruncate(fd, before) : 0; /* if the cut fails too, the write's cause is the news */
            (void)cut;
            errno = code;
            return -1;
        }
        written += (size_t)wrote;
    }
    return 0;
}
