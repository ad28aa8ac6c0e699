/* fuzz_support.c — see fuzz_support.h. */
#include "fuzz_support.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void fuzz_fail(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fputs("invariant failed: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    abort();
}

void fuzz_file_open(fuzz_file *file, const void *bytes, size_t size)
{
    file->fd = memfd_create("fuzz-input", MFD_CLOEXEC);
    FUZZ_CHECK(file->fd >= 0, "memfd_create failed");
    for (size_t written = 0; written < size;) {
        ssize_t wrote = write(file->fd, (const char *)bytes + written, size - written);
        FUZZ_CHECK(wrote > 0, "writing the input to its memfd failed");
        written += (size_t)wrote;
    }
    snprintf(file->path, sizeof file->path, "/proc/self/fd/%d", file->fd);
}

void fuzz_file_close(fuzz_file *file)
{
    close(file->fd);
    file->fd = -1;
}

void fuzz_check_message(const char *message, size_t size, const char *what)
{
    size_t length = strnlen(message, size);
    FUZZ_CHECK(length < size, "%s: the error message is not NUL-terminated within its %zu bytes", what, size);
    FUZZ_CHECK(length > 0 || size == 1, "%s: empty error message", what);
    FUZZ_CHECK(!memchr(message, '\n', length), "%s: the error message is more than one line: %s", what, message);
}
