/*
 * message.h — what the one-line messages to the user share: a user's value
 * rendered so that it cannot break the line, the wording of resource
 * failures, and the line of a failed write.
 */
#ifndef MG_MESSAGE_H
#define MG_MESSAGE_H

#include <stddef.h>

#define MG_SHOWN_MAX 256 /* a rendered value with its terminator */

/* A value as a message shows it. */
typedef struct mg_shown {
    char text[MG_SHOWN_MAX];
} mg_shown;

/* value (a path, a spec, an option's value) as a message shows it: control
 * bytes as \n, \t, \r or \xHH, a backslash as \\, and bytes that are not
 * UTF-8 text (C1 controls and line separators too) as \xHH, so a message
 * stays one line whatever was typed or found; a rendering longer than
 * MG_SHOWN_MAX - 1 keeps its head and its tail around "...". NULL shows as
 * "(none)". Written as mg_show(value).text inside the call that prints it. */
mg_shown mg_show(const char *value);

/* Every resource failure's message begins so: it is not the input's fault
 * (exit 1, a run's status "oom"), where a bad input is exit 2. */
#define MG_OUT_OF_MEMORY "out of memory"
int mg_is_out_of_memory(const char *message);

/* The one error printer of every command: "memgrams COMMAND: MESSAGE" on
 * stderr, one line; returns status (2 for bad input, 1 for a failure). */
int mg_fail(const char *command, int status, const char *message);

/* "memgrams COMMAND: cannot write the output: REASON" on stderr, REASON
 * being strerror(error_number); returns 1, the exit status of a failed write. */
int mg_output_failed(const char *command, int error_number);

#endif
