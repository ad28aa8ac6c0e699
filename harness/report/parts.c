/* parts.c — see parts.h. */
#include "parts.h"
#include "report_files.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

mg_part_verdict mg_part_judge(const mg_run_part *part)
{
    if (!isfinite(part->estimate) || !isfinite(part->per_ngram))
        return MG_PART_UNJUDGED;
    double miss = fabs(part->estimate - part->per_ngram);
    if (miss <= MG_PART_TOLERANCE * fabs(part->per_ngram))
        return MG_PART_AGREES;
    return miss < MG_PART_NEGLIGIBLE ? MG_PART_SMALL : MG_PART_OFF;
}

double mg_part_ratio(const mg_run_part *part)
{
    return isfinite(part->estimate) && part->per_ngram > 0 ? part->estimate / part->per_ngram : NAN;
}

const char *mg_part_verdict_word(mg_part_verdict verdict)
{
    static const char *const words[] = {[MG_PART_UNJUDGED] = "", [MG_PART_AGREES] = "ok", [MG_PART_SMALL] = "small",
                                        [MG_PART_OFF] = "off"};
    return words[verdict];
}

static int is_other(const mg_run_part *part)
{
    return strcmp(part->name, "other") == 0;
}

/* By bytes per n-gram, the largest first (an unknown figure last), "other" after every named part. */
static int by_bytes(const void *left, const void *right)
{
    const mg_run_part *a = left, *b = right;
    if (is_other(a) != is_other(b))
        return is_other(a) - is_other(b);
    double x = isfinite(a->per_ngram) ? a->per_ngram : -INFINITY, y = isfinite(b->per_ngram) ? b->per_ngram : -INFINITY;
    int order = (x < y) - (x > y);
    return order ? order : strcmp(a->name, b->name);
}

size_t mg_parts_sorted(json_t *run, mg_run_part *parts)
{
    size_t count = mg_run_parts(run, parts, MG_RUN_PARTS_MAX);
    qsort(parts, count, sizeof *parts, by_bytes);
    return count;
}

int mg_parts_named(json_t *run)
{
    mg_run_part parts[MG_RUN_PARTS_MAX];
    size_t count = mg_run_parts(run, parts, MG_RUN_PARTS_MAX);
    for (size_t index = 0; index < count; index++)
        if (!is_other(&parts[index]))
            return 1;
    return 0;
}

void mg_part_figure_text(double value, char *text, size_t text_size)
{
    if (!isfinite(value))
        snprintf(text, text_size, "-");
    else
        snprintf(text, text_size, "%.*f", fabs(value) >= 1 ? 1 : 2, value);
}

void mg_parts_top_text(json_t *run, int top, char *text, size_t text_size)
{
    mg_run_part parts[MG_RUN_PARTS_MAX];
    size_t count = mg_parts_sorted(run, parts), used = 0;
    *text = '\0';
    for (size_t index = 0; index < count && top > 0; index++) {
        if (!(parts[index].per_ngram > 0))
            continue;
        char figure[32];
        mg_part_figure_text(parts[index].per_ngram, figure, sizeof figure);
        used += (size_t)snprintf(text + used, used < text_size ? text_size - used : 0, "%s%s %s", used ? ", " : "",
                                 parts[index].name, figure);
        if (used >= text_size)
            return;
        top--;
    }
}

/* ---- the table of run --parts ---- */

enum { COLUMN_PART, COLUMN_BYTES, COLUMN_PER_NGRAM, COLUMN_ESTIMATE, COLUMN_RATIO, COLUMN_PEAK, COLUMN_VERDICT,
       COLUMN_COUNT };
static const char *const headers[COLUMN_COUNT] = {"part", "bytes", "bytes/n-gram", "estimate", "estimate/measured",
                                                  "peak in training", "verdict"};
enum { CELL_SIZE = 96 };

typedef struct table_line {
    char cells[COLUMN_COUNT][CELL_SIZE];
} table_line;

static void count_cell(double value, char *cell)
{
    if (isfinite(value))
        mg_format_count(value, cell, CELL_SIZE);
    else
        snprintf(cell, CELL_SIZE, "-");
}

static void part_line(const mg_run_part *part, table_line *line)
{
    double ratio = mg_part_ratio(part);
    snprintf(line->cells[COLUMN_PART], CELL_SIZE, "%s", part->name);
    count_cell(part->bytes, line->cells[COLUMN_BYTES]);
    snprintf(line->cells[COLUMN_PER_NGRAM], CELL_SIZE, isfinite(part->per_ngram) ? "%.3f" : "-", part->per_ngram);
    snprintf(line->cells[COLUMN_ESTIMATE], CELL_SIZE, isfinite(part->estimate) ? "%.3f" : "-", part->estimate);
    snprintf(line->cells[COLUMN_RATIO], CELL_SIZE, isfinite(ratio) ? "%.2f" : "-", ratio);
    count_cell(part->training_peak, line->cells[COLUMN_PEAK]);
    snprintf(line->cells[COLUMN_VERDICT], CELL_SIZE, "%s", mg_part_verdict_word(mg_part_judge(part)));
}

/* The parts summed: what the run requested over baseline, and the whole estimate. */
static void sum_line(const mg_run_part *parts, size_t count, table_line *line)
{
    mg_run_part sum = {.name = "sum"};
    for (size_t index = 0; index < count; index++) {
        sum.bytes += parts[index].bytes;
        sum.per_ngram += parts[index].per_ngram;
        sum.estimate += parts[index].estimate;
    }
    part_line(&sum, line);
    snprintf(line->cells[COLUMN_PEAK], CELL_SIZE, "%s", "");
    snprintf(line->cells[COLUMN_VERDICT], CELL_SIZE, "%s", "");
}

/* A line of the table, its columns aligned, without trailing spaces. */
static void print_line(FILE *out, const table_line *line, const int *widths)
{
    char text[COLUMN_COUNT * (CELL_SIZE + 2) + 1];
    size_t used = (size_t)snprintf(text, sizeof text, "%-*s", widths[COLUMN_PART], line->cells[COLUMN_PART]);
    for (int column = COLUMN_PART + 1; column < COLUMN_VERDICT && used < sizeof text; column++)
        used += (size_t)snprintf(text + used, sizeof text - used, "  %*s", widths[column], line->cells[column]);
    if (used < sizeof text)
        used += (size_t)snprintf(text + used, sizeof text - used, "  %s", line->cells[COLUMN_VERDICT]);
    used = used < sizeof text ? used : sizeof text - 1;
    while (used > 0 && text[used - 1] == ' ')
        used--;
    fprintf(out, "%.*s\n", (int)used, text);
}

void mg_parts_print(FILE *out, json_t *run)
{
    mg_run_part parts[MG_RUN_PARTS_MAX];
    size_t count = mg_parts_sorted(run, parts);
    if (count == 0) {
        fputs("parts: the run names none (a subject that cannot tell its parts)\n", out);
        return;
    }
    table_line lines[MG_RUN_PARTS_MAX + 2];
    for (int column = 0; column < COLUMN_COUNT; column++)
        snprintf(lines[0].cells[column], CELL_SIZE, "%s", headers[column]);
    for (size_t index = 0; index < count; index++)
        part_line(&parts[index], &lines[index + 1]);
    sum_line(parts, count, &lines[count + 1]);
    int widths[COLUMN_COUNT] = {0};
    for (size_t line = 0; line < count + 2; line++)
        for (int column = 0; column < COLUMN_COUNT; column++) {
            int width = (int)strlen(lines[line].cells[column]);
            widths[column] = width > widths[column] ? width : widths[column];
        }
    for (size_t line = 0; line < count + 2; line++)
        print_line(out, &lines[line], widths);
    const char *peak_part = mg_run_training_peak_part(run);
    char peak[64];
    if (peak_part)
        fprintf(out, "largest in training: %s, %s bytes\n", peak_part,
                mg_format_count(mg_run_derived(run, "training_peak_part_bytes"), peak, sizeof peak));
    fprintf(out, "bytes: over baseline at finalize; estimate: the backend's formula per n-gram; off: more than %.0f%% "
                 "and %.2f B/n-gram apart\n",
            100 * MG_PART_TOLERANCE, MG_PART_NEGLIGIBLE);
}
