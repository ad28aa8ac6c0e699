/* options.c — see options.h. */
#include "options.h"
#include "backend.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mg_parse_count(const char *text, const char *what, uint64_t *count, char *error, size_t error_size)
{
    char *end = NULL;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (!(*text >= '0' && *text <= '9') || *end || errno) {
        snprintf(error, error_size, "%s '%s' is not a whole number", what, text);
        return -1;
    }
    *count = value;
    return 0;
}

int mg_parse_order(const char *text, int *order, char *error, size_t error_size)
{
    uint64_t value = 0;
    if (mg_parse_count(text, "order", &value, error, error_size) != 0 || value < 1 || value > MG_ORDER_MAX) {
        snprintf(error, error_size, "order '%s' is outside 1..%d", text, MG_ORDER_MAX);
        return -1;
    }
    *order = (int)value;
    return 0;
}

int mg_parse_fraction(const char *text, double *fraction, char *error, size_t error_size)
{
    char *end = NULL;
    double value = strtod(text, &end);
    if (end != text && *end == '/') {
        const char *denominator_text = end + 1;
        double denominator = strtod(denominator_text, &end);
        value = end != denominator_text && denominator != 0 ? value / denominator : NAN;
    }
    if (end == text || *end || !(value > 0.0 && value <= 1.0)) {
        snprintf(error, error_size, "fraction '%s' is outside (0, 1]", text);
        return -1;
    }
    *fraction = value;
    return 0;
}

void mg_backend_names_line(char *line, size_t line_size)
{
    line[0] = '\0';
    for (const mg_backend *const *backend = mg_backends; *backend; backend++) {
        size_t used = strlen(line);
        snprintf(line + used, line_size - used, "%s%s", used ? ", " : "", (*backend)->name);
    }
}

void mg_option_start(void)
{
    opterr = 0;
    optind = 1;
}

int mg_option_next(int argc, char **argv, const struct option *table, int *option_index, const char *program,
                   char *error, size_t error_size)
{
    int code = getopt_long(argc, argv, ":", table, option_index); /* ':' first: a missing value is told apart */
    if (code == '?')
        snprintf(error, error_size, "unknown option '%s' (see %s --help)", argv[optind - 1], program);
    else if (code == ':')
        snprintf(error, error_size, "option '%s' needs a value", argv[optind - 1]);
    return code == '?' || code == ':' ? MG_OPTION_FAULT : code;
}
