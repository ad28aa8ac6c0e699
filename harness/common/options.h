/* options.h — parsing and checking of command-line values, one message per fault. */
#ifndef MG_OPTIONS_H
#define MG_OPTIONS_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

/* Each returns 0, or -1 with a one-line message naming the value and the rule. */
int mg_parse_order(const char *text, int *order, char *error, size_t error_size);
/* A fraction in (0, 1], as a decimal (0.25) or a ratio (1/4). */
int mg_parse_fraction(const char *text, double *fraction, char *error, size_t error_size);
/* A whole number >= 0; what names it in the message. */
int mg_parse_count(const char *text, const char *what, uint64_t *count, char *error, size_t error_size);
/* A whole number in 1..most: "WHAT 'TEXT' is outside 1..MOST" otherwise. */
int mg_parse_bounded(const char *text, const char *what, uint64_t most, uint64_t *count, char *error,
                     size_t error_size);

/* ---- reading a command's options (getopt_long) ---- */

enum { MG_OPTION_FAULT = -2 }; /* mg_option_next's answer for a bad option */

/* Starts reading options from argv[1] with mg_option_next. */
void mg_option_start(void);

/* The next option's code from getopt_long over table (its index in
 * *option_index when that is not NULL), -1 after the last, or
 * MG_OPTION_FAULT with a one-line message in error: "unknown option 'X'
 * (see PROGRAM --help)" or "option 'X' needs a value". getopt itself
 * prints nothing. */
int mg_option_next(int argc, char **argv, const struct option *table, int *option_index, const char *program,
                   char *error, size_t error_size);

/* "naive_hash, interned_hash, ..." from the registry. */
void mg_backend_names_line(char *line, size_t line_size);

#endif
