/*
 * atomic_file.h — the one way memgrams writes a file: whole or not at all.
 *
 * A file written whole goes to a fresh temporary name beside its target
 * (created with O_EXCL by mkstemp, so a planted symlink or file is never
 * followed or truncated), is flushed and fsync'd, then renamed over the
 * target: a reader sees the old file or the new one, never half of one.
 * A line appended to a log (results.jsonl) goes out in one write and is
 * cut back off the file if the write falls short, so the file never ends
 * in half a line.
 */
#ifndef MG_ATOMIC_FILE_H
#define MG_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

#define MG_PATH_SIZE 4400

typedef struct mg_atomic_file {
    FILE *file;                          /* write here, then mg_atomic_commit */
    char path[MG_PATH_SIZE];             /* the target */
    char temporary[MG_PATH_SIZE + 16];   /* DIR/.NAME.XXXXXX: hidden, so no *.jsonl glob meets it */
} mg_atomic_file;

/* Opens a temporary file for path. 0, or -1 with "cannot write 'PATH': why". */
int mg_atomic_begin(mg_atomic_file *out, const char *path, char *error, size_t error_size);

/* Flushes, fsyncs, closes and renames into place: 0, or -1 with the message
 * (the temporary is removed and the target left as it was). */
int mg_atomic_commit(mg_atomic_file *out, char *error, size_t error_size);

/* Drops the temporary file; the target stays as it was. */
void mg_atomic_abandon(mg_atomic_file *out);

/* A private folder (mode 0700, mkdtemp) inside dir for a helper program's
 * outputs, renamed into place from there by the caller: 0, or -1 with the
 * message. mg_atomic_folder_remove deletes it with what is left in it. */
int mg_atomic_folder(const char *dir, char *folder, size_t folder_size, char *error, size_t error_size);
void mg_atomic_folder_remove(const char *folder);

/* Makes the folder path and any missing folder above it: 0, or -1 with errno set. */
int mg_make_folders(const char *path);

/* Writes bytes to fd in one write where it can: 0 when every byte went
 * out, else -1 with errno set. A regular file opened O_APPEND is cut back
 * to its length before, so a failed line leaves nothing behind; anything
 * else (a pipe, a terminal, a file opened without O_APPEND) is never cut:
 * -1 only reports the failure. */
int mg_append_whole(int fd, const char *bytes, size_t length);

#endif
