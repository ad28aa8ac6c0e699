/* process.h — tests start build/memgrams as users do and read what it says. */
#ifndef MG_TESTS_PROCESS_H
#define MG_TESTS_PROCESS_H

#include <jansson.h>
#include <stddef.h>

typedef struct command_result {
    int exit_code;   /* -1 when killed by a signal */
    int signal;      /* the signal, or 0 */
    char *out, *err; /* NUL-terminated */
    size_t out_length;
} command_result;

/* Runs MEMGRAMS_BINARY with args (NULL-terminated) and extra NAME=VALUE
 * environment entries (NULL-terminated, may be NULL). */
command_result memgrams(const char *const *args, const char *const *environment);
/* The same for another program (binary: its path). */
command_result run_program(const char *binary, const char *const *args, const char *const *environment);

/* What the child gets besides: a file on stdin (opened without blocking: a
 * FIFO too), a file on stdout (then not captured: /dev/full, say), an
 * address-space limit (RLIMIT_AS), a SIGALRM after some seconds (a child
 * that would block forever ends with that signal instead). */
typedef struct run_setup {
    const char *stdin_path;           /* NULL: the test's own */
    const char *stdout_path;          /* NULL: captured into out */
    unsigned long long address_space; /* bytes; 0: no limit */
    unsigned alarm_seconds;           /* 0: none */
} run_setup;
command_result memgrams_set_up(const char *const *args, const char *const *environment, const run_setup *setup);
command_result run_program_set_up(const char *binary, const char *const *args, const char *const *environment,
                                  const run_setup *setup);
void command_result_free(command_result *result);

/* A fresh temporary folder (mkdtemp; malloc'd path); remove_folder deletes
 * it with everything in it and frees the path. */
char *temp_folder(void);
void remove_folder(char *folder);

/* Lines in text (a last line without '\n' counts). */
int count_lines(const char *text);

/* The run object printed by `memgrams run`; NULL if stdout is no JSON object. */
json_t *run_json(const command_result *result);
/* phases[name][layer] as a number; -1 when null or absent. */
double phase_layer(json_t *run, const char *phase, const char *layer);
/* The bytes of a phase's part breakdown summed; *bad_name: the first name that is no part name
 * (mg_name_valid), else NULL. */
long long parts_sum(json_t *parts, const char **bad_name);

#endif
