/* options.c — see options.h. */
#include "options.h"
#include "backend.h"
#include "message.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A whole number is decimal digits and nothing else: strtoull alone would
 * take leading blanks, a sign (wrapping "-1" round) and "0x". */
int mg_parse_count(const char *text, const char *what, uint64_t *count, char *error, size_t error_size)
{
    size_t digits = strspn(text, "0123456789");
    if (digits == 0 || text[digits]) {
        snprintf(error, error_size, "%s '%s' is not a whole number", what, mg_show(text).text);
        return -1;
    }
    errno = 0;
    unsigned long long value = strtoull(text, NULL, 10);
    if (errno == ERANGE) {
        snprintf(error, error_size, "%s '%s' is too large (at most %llu)", what, mg_show(text).text, ULLONG_MAX);
        return -1;
    }
    *count = value;
    return 0;
}

int mg_parse_bounded(const char *text, const char *what, uint64_t most, uint64_t *count, char *error,
                     size_t error_size)
{
    if (mg_parse_count(text, what, count, error, error_size) != 0)
        return -1;
    if (*count < 1 || *count > most) {
        snprintf(error, error_size, "%s '%s' is outside 1..%llu", what, text, (unsigned long long)most);
        return -1;
    }
    return 0;
}

int mg_parse_order(const char *text, int *order, char *error, size_t error_size)
{
    size_t digits = strspn(text, "0123456789");
    if (digits == 0 || text[digits]) {
        snprintf(error, error_size, "order '%s' is not a whole number 1..%d", mg_show(text).text, MG_ORDER_MAX);
        return -1;
    }
    uint64_t value = 0;
    if (mg_parse_count(text, "order", &value, error, error_size) != 0 || value < 1 || value > MG_ORDER_MAX) {
        snprintf(error, error_size, "order '%s' is outside 1..%d", mg_show(text).text, MG_ORDER_MAX);
        return -1;
    }
    *order = (int)value;
    return 0;
}

/* Length of the plain decimal at the start of text: digits with an optional
 * '.' (a digit on one side of it at least), then an optional exponent
 * e[+-]DIGITS; 0 when text does not start with one. No sign, blank, hex,
 * inf or nan: strtod would take them all. */
static size_t decimal_length(const char *text)
{
    size_t whole = strspn(text, "0123456789"), length = whole, part = 0;
    if (text[length] == '.')
        length += 1 + (part = strspn(text + length + 1, "0123456789"));
    if (whole + part == 0)
        return 0;
    if (text[length] == 'e' || text[length] == 'E') {
        size_t sign = text[length + 1] == '+' || text[length + 1] == '-';
        size_t exponent = strspn(text + length + 1 + sign, "0123456789");
        if (exponent)
            length += 1 + sign + exponent;
    }
    return length;
}

int mg_parse_fraction(const char *text, double *fraction, char *error, size_t error_size)
{
    size_t numerator = decimal_length(text), denominator = 0;
    if (numerator && text[numerator] == '/')
        denominator = decimal_length(text + numerator + 1);
    size_t length = numerator + (denominator ? 1 + denominator : 0);
    if (numerator == 0 || text[length]) {
        snprintf(error, error_size, "fraction '%s' is not a decimal or a ratio A/B of decimals in (0, 1]",
                 mg_show(text).text);
        return -1;
    }
    double value = strtod(text, NULL);
    if (denominator)
        value = value / strtod(text + numerator + 1, NULL); /* x/0 is inf or nan: refused below */
    if (!(value > 0.0 && value <= 1.0)) {
        snprintf(error, error_size, "fraction '%s' is outside (0, 1]", mg_show(text).text);
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
        snprintf(error, error_size, "unknown option '%s' (see %s --help)", mg_show(argv[optind - 1]).text, program);
    else if (code == ':')
        snprintf(error, error_size, "option '%s' needs a value", mg_show(argv[optind - 1]).text);
    return code == '?' || code == ':' ? MG_OPTION_FAULT : code;
}
