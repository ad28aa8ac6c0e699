/*
 * fuzz_support.h — what the libFuzzer targets share: a failed invariant as a
 * crash the fuzzer keeps, a fuzz input as a file the harness opens by path,
 * and the rule every error message keeps.
 */
#ifndef MG_FUZZ_SUPPORT_H
#define MG_FUZZ_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

/* Prints "invariant failed: ..." on stderr and aborts: libFuzzer saves the
 * input as crash-<sha1> and stops. */
_Noreturn void fuzz_fail(const char *format, ...) __attribute__((format(printf, 1, 2)));

#define FUZZ_CHECK(condition, ...)            \
    do {                                      \
        if (!(condition))                     \
            fuzz_fail(__VA_ARGS__);           \
    } while (0)

/* The input's bytes as the whole of an unnamed in-memory file (memfd), and
 * its path "/proc/self/fd/N": every open of the path reads it from byte 0. */
typedef struct fuzz_file {
    int fd;
    char path[32];
} fuzz_file;

void fuzz_file_open(fuzz_file *file, const void *bytes, size_t size);
void fuzz_file_close(fuzz_file *file);

/* An error message from a call given a buffer of size bytes: NUL-terminated
 * inside the buffer, not empty, one line. what names the call. */
void fuzz_check_message(const char *message, size_t size, const char *what);

#endif
