/* options.h — parsing and checking of command-line values, one message per fault. */
#ifndef MG_OPTIONS_H
#define MG_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

/* Each returns 0, or -1 with a one-line message naming the value and the rule. */
int mg_parse_order(const char *text, int *order, char *error, size_t error_size);
/* A fraction in (0, 1], as a decimal (0.25) or a ratio (1/4). */
int mg_parse_fraction(const char *text, double *fraction, char *error, size_t error_size);
/* A whole number >= 0; what names it in the message. */
int mg_parse_count(const char *text, const char *what, uint64_t *count, char *error, size_t error_size);

/* "naive_hash, interned_hash, ..." from the registry. */
void mg_backend_names_line(char *line, size_t line_size);

#endif
