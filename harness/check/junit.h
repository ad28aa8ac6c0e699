/*
 * junit.h — the verdicts of `memgrams check` as JUnit XML, for CI: one
 * testcase per row, a failure where the check fails (with the figures and
 * the note), skipped where it was not judged.
 */
#ifndef MG_JUNIT_H
#define MG_JUNIT_H

#include "compare.h"

#include <stddef.h>

/* Written whole or not at all (atomic_file.h): 0, or -1 with a message. */
int mg_junit_write(const char *path, const mg_check_state *state, char *error, size_t error_size);

#endif
