/* report_files.c — see report_files.h. */
#include "report_files.h"
#include "report_runs.h"

#include <math.h>
#include <string.h>

int mg_report_file_open(mg_atomic_file *output, const char *dir, const char *name, char *error, size_t error_size)
{
    char path[MG_REPORT_PATH_SIZE];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return mg_atomic_begin(output, path, error, error_size);
}

void mg_put_figure(FILE *file, const char *separator, int decimals, double value, const char *unknown)
{
    if (isfinite(value))
        fprintf(file, "%s%.*f", separator, decimals, value);
    else
        fprintf(file, "%s%s", separator, unknown);
}

void mg_put_data_label(FILE *file, const char *name)
{
    fputc('"', file);
    for (const unsigned char *at = (const unsigned char *)name; *at; at++)
        fputc(*at == '"' || *at == '\\' || *at < 0x20 || *at == 0x7f ? '?' : *at, file);
    fputc('"', file);
}

char *mg_format_count(double value, char *text, size_t text_size)
{
    char digits[64];
    if (!isfinite(value) || fabs(value) >= 1e18) {
        snprintf(text, text_size, "?");
        return text;
    }
    snprintf(digits, sizeof digits, "%.0f", value);
    const char *first = digits + (digits[0] == '-');
    size_t length = strlen(first), used = 0;
    char grouped[96];
    if (first != digits)
        grouped[used++] = '-';
    for (size_t index = 0; index < length; index++) {
        if (index && (length - index) % 3 == 0)
            grouped[used++] = ',';
        grouped[used++] = first[index];
    }
    grouped[used] = '\0';
    snprintf(text, text_size, "%s", grouped);
    return text;
}
