/* summary_table.c — see summary_table.h. */
#include "summary_table.h"
#include "cell.h"
#include "message.h"
#include "parts.h"
#include "report_files.h"
#include "report_runs.h"
#include "results.h"
#include "results_file.h"
#include "run_fields.h"
#include "synth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The table's columns, in order; COLUMN_ORDER is shown only when the runs have several orders. */
enum {
    COLUMN_SUBJECT,
    COLUMN_CORPUS,
    COLUMN_TOKENS,
    COLUMN_ORDER,
    COLUMN_ALLOCATOR,
    COLUMN_STATUS,
    COLUMN_NGRAMS,
    COLUMN_REQUESTED,
    COLUMN_ALLOCATED,
    COLUMN_RSS,
    COLUMN_PEAK,
    COLUMN_PEAK_RSS,
    COLUMN_HIT,
    COLUMN_BATCH,
    COLUMN_COUNT
};

static const char *const headers[COLUMN_COUNT] = {"subject", "corpus", "tokens", "n", "allocator", "status", "n-grams",
                                                  "req", "alloc", "RSS", "peak", "peak/RSS", "hit ns", "batch/load"};
/* The text columns are aligned left, the figures right. */
static const int left_aligned[COLUMN_COUNT] = {[COLUMN_SUBJECT] = 1, [COLUMN_CORPUS] = 1, [COLUMN_ALLOCATOR] = 1,
                                               [COLUMN_STATUS] = 1};

#define LEGEND "req alloc RSS peak: bytes/n-gram over baseline (peak: in training); batch/load: batched hit in loads"
#define LEGEND_SPREAD "\nx (a-b): median (min-max) of the rounds of a cell's runs; more columns in summary.csv"
#define LEGEND_COMPACT "\nx\u00b1p%: median, and the farther of min and max of the rounds of a cell's runs from it in " \
                       "percent; more: summary.csv"
#define LEGEND_PLAIN "; more: summary.csv"
#define TERMINAL_COLUMNS 120 /* a note is wrapped to this width */

#define CELL_TEXT_SIZE (MG_SUBJECT_SIZE + 16)
#define ALLOCATOR_SHOWN_MIN 12 /* an allocator's settings are cut, when the table is too wide, to no less */
#define CORPUS_SHOWN 14 /* a corpus's base name is cut to this many bytes */

/* One row: every run of one cell (and process), in the results' order. */
typedef struct table_row {
    size_t first;  /* the index of its first run: ties keep the file's order */
    size_t *runs;  /* indexes of its runs */
    size_t count;
    double tokens; /* the first known of its runs */
    char corpus[CORPUS_SHOWN * 4 + 8];
    char text[COLUMN_COUNT][CELL_TEXT_SIZE];
    char compact[2][CELL_TEXT_SIZE]; /* the speeds' spread in fewer columns: "312±9%" */
} table_row;

/* A row's name: the subject, short (cell.h), and the mark of a process other than memgrams. */
static void row_name(json_t *run, char *name, size_t name_size)
{
    mg_cell cell;
    char subject[MG_SUBJECT_SIZE];
    mg_cell_of_run(run, &cell);
    mg_cell_subject_short(&cell, subject, sizeof subject);
    mg_report_row_name(subject, mg_run_measured_process(run), name, name_size);
}

/* The corpus as a person names it: "synth" for a synthetic text (its tokens tell sizes apart),
 * else the file's base name, cut short and shown as one line (mg_show). */
static void corpus_name(const char *corpus, char *name, size_t name_size)
{
    const char *base = strrchr(corpus, '/');
    char cut[CORPUS_SHOWN + 1];
    snprintf(cut, sizeof cut, "%s", mg_synth_is_spec(corpus) ? "synth" : base ? base + 1 : corpus);
    snprintf(name, name_size, "%s", mg_show(cut).text);
}

/* The key of the row a run belongs to: its cell and its process. */
static void row_key(json_t *run, char *key, size_t key_size)
{
    mg_cell cell;
    char cell_key[MG_PATH_SIZE + 512];
    mg_cell_of_run(run, &cell);
    mg_cell_key(&cell, cell_key, sizeof cell_key);
    snprintf(key, key_size, "%s|%s", cell_key, mg_run_measured_process(run));
}

static int compare_numbers(double left, double right)
{
    if (isnan(left) || isnan(right))
        return isnan(left) - isnan(right); /* unknown last */
    return (left > right) - (left < right);
}

/* By corpus, size, subject, allocator, then order and fraction; ties in the file's order. */
static int compare_rows(const void *left_row, const void *right_row)
{
    const table_row *left = left_row, *right = right_row;
    int order = strcmp(left->corpus, right->corpus);
    if (!order)
        order = compare_numbers(left->tokens, right->tokens);
    if (!order)
        order = strcmp(left->text[COLUMN_SUBJECT], right->text[COLUMN_SUBJECT]);
    if (!order)
        order = strcmp(left->text[COLUMN_ALLOCATOR], right->text[COLUMN_ALLOCATOR]);
    if (!order)
        order = strcmp(left->text[COLUMN_ORDER], right->text[COLUMN_ORDER]);
    return order ? order : (left->first > right->first) - (left->first < right->first);
}

static int compare_doubles(const void *left, const void *right)
{
    return compare_numbers(*(const double *)left, *(const double *)right);
}

/* The median of count sorted values. */
static double median_of(const double *values, size_t count)
{
    return count % 2 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2;
}

/* A figure over the row's runs as text: the median with decimals; where compact is given (a
 * speed) and the values differ, text gets " (min-max)" after it and compact "±P%", P the
 * farther of min and max from the median in percent; "-" when no run knows it. */
static void figure_text(double *values, size_t count, int decimals, char *text, char *compact)
{
    if (!count) {
        snprintf(text, CELL_TEXT_SIZE, "-");
        if (compact)
            snprintf(compact, CELL_TEXT_SIZE, "-");
        return;
    }
    qsort(values, count, sizeof *values, compare_doubles);
    double low = values[0], high = values[count - 1], median = median_of(values, count);
    char median_text[64], low_text[64], high_text[64];
    snprintf(median_text, sizeof median_text, "%.*f", decimals, median);
    snprintf(low_text, sizeof low_text, "%.*f", decimals, low);
    snprintf(high_text, sizeof high_text, "%.*f", decimals, high);
    snprintf(text, CELL_TEXT_SIZE, "%s", median_text);
    if (!compact)
        return;
    snprintf(compact, CELL_TEXT_SIZE, "%s", median_text);
    if (strcmp(low_text, high_text) == 0)
        return;
    snprintf(text, CELL_TEXT_SIZE, "%s (%s-%s)", median_text, low_text, high_text);
    double farther = high - median > median - low ? high - median : median - low;
    if (median > 0)
        snprintf(compact, CELL_TEXT_SIZE, "%s\u00b1%.0f%%", median_text, 100 * farther / median);
}

/* Appends value when it is known. */
static void keep(double *values, size_t *count, double value)
{
    if (isfinite(value))
        values[(*count)++] = value;
}

/* A speed's samples over the row's runs: every round a run kept, else its median; in dependent
 * loads (run_fields.h) when in_loads is set. values has room for every sample of the row. */
static size_t speed_samples(const mg_results *lines, const table_row *row, const char *name, int in_loads, double *values)
{
    size_t count = 0;
    for (size_t index = 0; index < row->count; index++) {
        json_t *run = lines->objects[row->runs[index]], *samples = mg_run_speed_samples(run, name), *sample;
        double scale = in_loads ? mg_run_dependent_load_ns(run) : 1;
        size_t position;
        if (!(scale > 0))
            continue;
        if (json_array_size(samples)) {
            json_array_foreach(samples, position, sample) {
                keep(values, &count, json_is_number(sample) ? json_number_value(sample) / scale : NAN);
            }
        } else {
            keep(values, &count, mg_run_speed(run, name) / scale);
        }
    }
    return count;
}

/* A layer's growth from baseline to the end of finalize, per n-gram; NAN if unknown. */
static double layer_per_ngram(json_t *run, const char *layer)
{
    double ngrams = mg_run_ngrams(run);
    return ngrams > 0 ? mg_run_layer_growth(run, layer) / ngrams : NAN;
}

/* A memory figure over the row's runs (their median, no spread: it does not vary between runs). */
static void memory_text(const mg_results *lines, const table_row *row, const char *layer, const char *derived,
                        int decimals, double *values, char *text)
{
    size_t count = 0;
    for (size_t index = 0; index < row->count; index++) {
        json_t *run = lines->objects[row->runs[index]];
        keep(values, &count, layer ? layer_per_ngram(run, layer) : mg_run_derived(run, derived));
    }
    figure_text(values, count, decimals, text, NULL);
}

/* "ok" or the status every run of the row ended with; else how many ended ok: "2/3 ok". */
static void status_text(const mg_results *lines, const table_row *row, char *text, size_t text_size)
{
    const char *first = mg_run_status(lines->objects[row->runs[0]]);
    size_t same = 0, ok = 0;
    for (size_t index = 0; index < row->count; index++) {
        const char *status = mg_run_status(lines->objects[row->runs[index]]);
        same += strcmp(status, first) == 0;
        ok += strcmp(status, "ok") == 0;
    }
    if (same == row->count)
        snprintf(text, text_size, "%s", mg_show(first).text);
    else
        snprintf(text, text_size, "%zu/%zu ok", ok, row->count);
}

/* A count with thousands separators, or "-" as the other columns show an unknown. */
static void count_text(double count, char *text)
{
    if (isfinite(count))
        mg_format_count(count, text, CELL_TEXT_SIZE);
    else
        snprintf(text, CELL_TEXT_SIZE, "-");
}

/* The n-grams of the row's first run that counted them (a run that did not end ok may not have). */
static double row_ngrams(const mg_results *lines, const table_row *row)
{
    for (size_t index = 0; index < row->count; index++)
        if (isfinite(mg_run_ngrams(lines->objects[row->runs[index]])))
            return mg_run_ngrams(lines->objects[row->runs[index]]);
    return NAN;
}

/* Every cell of a row as text. values has room for every sample of the row. */
static void row_texts(const mg_results *lines, table_row *row, double *values)
{
    json_t *run = lines->objects[row->first];
    mg_cell cell;
    mg_cell_of_run(run, &cell);
    char (*text)[CELL_TEXT_SIZE] = row->text;
    row_name(run, text[COLUMN_SUBJECT], CELL_TEXT_SIZE);
    snprintf(text[COLUMN_CORPUS], CELL_TEXT_SIZE, "%s", row->corpus);
    count_text(row->tokens, text[COLUMN_TOKENS]);
    snprintf(text[COLUMN_ORDER], CELL_TEXT_SIZE, "%d", cell.order);
    snprintf(text[COLUMN_ALLOCATOR], CELL_TEXT_SIZE, "%s", mg_show(cell.allocator).text);
    status_text(lines, row, text[COLUMN_STATUS], CELL_TEXT_SIZE);
    count_text(row_ngrams(lines, row), text[COLUMN_NGRAMS]);
    memory_text(lines, row, "requested", NULL, 1, values, text[COLUMN_REQUESTED]);
    memory_text(lines, row, "allocated", NULL, 1, values, text[COLUMN_ALLOCATED]);
    memory_text(lines, row, "rss", NULL, 1, values, text[COLUMN_RSS]);
    memory_text(lines, row, NULL, "peak_bytes_per_ngram_rss", 1, values, text[COLUMN_PEAK]);
    memory_text(lines, row, NULL, "peak_final_ratio", 1, values, text[COLUMN_PEAK_RSS]);
    figure_text(values, speed_samples(lines, row, "lookup_hit_ns", 0, values), 0, text[COLUMN_HIT], row->compact[0]);
    figure_text(values, speed_samples(lines, row, "lookup_hit_batch_ns", 1, values), 2, text[COLUMN_BATCH],
                row->compact[1]);
}

/* The rows of the runs: one per cell and process, in the results' order, each with its runs'
 * indexes (in runs_block, lines->count room). Returns the row count, or -1 out of memory. */
static long gather_rows(const mg_results *lines, table_row *rows, size_t *runs_block)
{
    size_t row_count = 0, *row_of = calloc(lines->count, sizeof *row_of);
    char **keys = calloc(lines->count, sizeof *keys);
    int failed = !row_of || !keys;
    for (size_t index = 0; !failed && index < lines->count; index++) {
        json_t *run = lines->objects[index];
        char key[MG_PATH_SIZE + 640];
        row_key(run, key, sizeof key);
        size_t row = 0;
        while (row < row_count && strcmp(keys[row], key) != 0)
            row++;
        if (row == row_count) {
            mg_cell cell;
            mg_cell_of_run(run, &cell);
            rows[row] = (table_row){.first = index, .tokens = NAN};
            corpus_name(cell.corpus, rows[row].corpus, sizeof rows[row].corpus);
            failed = !(keys[row] = strdup(key));
            row_count++;
        }
        row_of[index] = row;
        rows[row].count++;
        if (isnan(rows[row].tokens))
            rows[row].tokens = mg_run_tokens(run);
    }
    /* each row's runs side by side in runs_block, in the results' order */
    size_t start = 0;
    for (size_t row = 0; !failed && row < row_count; row++) {
        rows[row].runs = runs_block + start;
        start += rows[row].count;
        rows[row].count = 0;
    }
    for (size_t index = 0; !failed && index < lines->count; index++) {
        table_row *row = &rows[row_of[index]];
        row->runs[row->count++] = index;
    }
    for (size_t row = 0; keys && row < row_count; row++)
        free(keys[row]);
    free(keys);
    free(row_of);
    return failed ? -1 : (long)row_count;
}

/* How many columns a text takes on a terminal: its UTF-8 characters. */
static int text_columns(const char *text)
{
    int columns = 0;
    for (; *text; text++)
        columns += ((unsigned char)*text & 0xC0) != 0x80;
    return columns;
}

static void print_cell(FILE *out, const char *text, int width, int left, int last)
{
    int pad = width - text_columns(text);
    if (!left)
        fprintf(out, "%*s", pad > 0 ? pad : 0, "");
    fputs(text, out);
    if (left && !last)
        fprintf(out, "%*s", pad > 0 ? pad : 0, "");
}

static void print_line(FILE *out, const char *const *texts, const int *widths, const int *shown)
{
    int first = 1, last_column = COLUMN_COUNT - 1;
    for (int column = 0; column < COLUMN_COUNT; column++) {
        if (!shown[column])
            continue;
        if (!first)
            fputc(' ', out);
        print_cell(out, texts[column], widths[column], left_aligned[column], column == last_column);
        first = 0;
    }
    fputc('\n', out);
}

/* text on lines of at most TERMINAL_COLUMNS bytes, broken at spaces (a word longer stays whole). */
static void print_wrapped(FILE *out, const char *text)
{
    while (strlen(text) > TERMINAL_COLUMNS) {
        const char *space = text + TERMINAL_COLUMNS;
        while (space > text && *space != ' ')
            space--;
        if (space == text)
            space = strchr(text + TERMINAL_COLUMNS, ' ');
        if (!space)
            break;
        fprintf(out, "%.*s\n", (int)(space - text), text);
        text = space + 1;
    }
    fprintf(out, "%s\n", text);
}

/* One footnote per kind of process other than memgrams that measured a run of the table. */
static void print_notes(FILE *out, const mg_results *lines)
{
    static const char *const others[] = {MG_PROCESS_REDIS, MG_PROCESS_PYTHON};
    for (size_t kind = 0; kind < sizeof others / sizeof others[0]; kind++) {
        int present = 0;
        for (size_t index = 0; index < lines->count && !present; index++)
            present = strcmp(mg_run_measured_process(lines->objects[index]), others[kind]) == 0;
        if (present)
            print_wrapped(out, mg_process_note(others[kind]));
    }
}

/* Each shown column's width: its header's or its widest text's. Returns the widest line's length
 * in bytes, at least its width (a '±' is two bytes: a reader counting bytes finds the same). */
static int column_widths(const table_row *rows, size_t row_count, const int *shown, int *widths)
{
    int total = -1;
    for (int column = 0; column < COLUMN_COUNT; column++) {
        int multibyte = 0; /* the most bytes a text has over its columns */
        widths[column] = text_columns(headers[column]);
        for (size_t row = 0; row < row_count; row++) {
            int width = text_columns(rows[row].text[column]), over = (int)strlen(rows[row].text[column]) - width;
            widths[column] = width > widths[column] ? width : widths[column];
            multibyte = over > multibyte ? over : multibyte;
        }
        total += shown[column] ? widths[column] + multibyte + 1 : 0;
    }
    return total;
}

/* Allocators with settings cut to width (at least ALLOCATOR_SHOWN_MIN), a '~' marking the cut:
 * summary.csv and summary.md keep them whole. */
static void cut_allocators(table_row *rows, size_t row_count, int width)
{
    width = width < ALLOCATOR_SHOWN_MIN ? ALLOCATOR_SHOWN_MIN : width;
    for (size_t row = 0; row < row_count; row++) {
        char *text = rows[row].text[COLUMN_ALLOCATOR];
        if ((int)strlen(text) > width)
            snprintf(text + width - 1, CELL_TEXT_SIZE - (size_t)width + 1, "~");
    }
}

/* The rows sorted, each column as wide as its texts; where a line would be wider than
 * TERMINAL_COLUMNS, the speeds' spread as "±P%" for "(min-max)", then the allocators cut. */
static void print_table(FILE *out, const mg_results *lines, table_row *rows, size_t row_count)
{
    qsort(rows, row_count, sizeof *rows, compare_rows);
    int widths[COLUMN_COUNT], shown[COLUMN_COUNT], spread = 0, compact = 0;
    for (int column = 0; column < COLUMN_COUNT; column++)
        shown[column] = column != COLUMN_ORDER;
    for (size_t row = 0; row < row_count; row++) {
        shown[COLUMN_ORDER] |= strcmp(rows[row].text[COLUMN_ORDER], rows[0].text[COLUMN_ORDER]) != 0;
        spread |= strchr(rows[row].text[COLUMN_HIT], '(') || strchr(rows[row].text[COLUMN_BATCH], '(');
    }
    if (spread && column_widths(rows, row_count, shown, widths) > TERMINAL_COLUMNS) {
        compact = 1;
        for (size_t row = 0; row < row_count; row++) {
            memcpy(rows[row].text[COLUMN_HIT], rows[row].compact[0], CELL_TEXT_SIZE);
            memcpy(rows[row].text[COLUMN_BATCH], rows[row].compact[1], CELL_TEXT_SIZE);
        }
    }
    int excess = column_widths(rows, row_count, shown, widths) - TERMINAL_COLUMNS;
    if (excess > 0)
        cut_allocators(rows, row_count, widths[COLUMN_ALLOCATOR] - excess);
    column_widths(rows, row_count, shown, widths);
    print_line(out, headers, widths, shown);
    for (size_t row = 0; row < row_count; row++) {
        const char *texts[COLUMN_COUNT];
        for (int column = 0; column < COLUMN_COUNT; column++)
            texts[column] = rows[row].text[column];
        print_line(out, texts, widths, shown);
    }
    fprintf(out, "%s%s\n", LEGEND, !spread ? LEGEND_PLAIN : compact ? LEGEND_COMPACT : LEGEND_SPREAD);
    print_notes(out, lines);
}

/* The row's first run that ended ok naming its parts, or NULL. */
static json_t *parts_run(const mg_results *lines, const table_row *row)
{
    for (size_t index = 0; index < row->count; index++) {
        json_t *run = lines->objects[row->runs[index]];
        if (strcmp(mg_run_status(run), "ok") == 0 && mg_parts_named(run))
            return run;
    }
    return NULL;
}

/* Is row the one whose parts its subject's line shows: the one with the most n-grams of those
 * naming parts (the first of equals)? */
static int shows_parts(const mg_results *lines, const table_row *rows, size_t row_count, size_t row)
{
    double ngrams = row_ngrams(lines, &rows[row]);
    if (!parts_run(lines, &rows[row]))
        return 0;
    for (size_t other = 0; other < row_count; other++) {
        if (other == row || strcmp(rows[other].text[COLUMN_SUBJECT], rows[row].text[COLUMN_SUBJECT]) != 0 ||
            !parts_run(lines, &rows[other]))
            continue;
        double more = row_ngrams(lines, &rows[other]);
        if (more > ngrams || (more == ngrams && other < row))
            return 0;
    }
    return 1;
}

/* Under the table, each subject's three largest parts at its largest cell, where runs name them. */
static void print_top_parts(FILE *out, const mg_results *lines, const table_row *rows, size_t row_count)
{
    int first = 1;
    for (size_t row = 0; row < row_count; row++) {
        if (!shows_parts(lines, rows, row_count, row))
            continue;
        if (first)
            fputs("\nlargest parts, bytes/n-gram at finalize (each subject at its most n-grams; run --parts, "
                  "parts.csv):\n", out);
        first = 0;
        char top[1024], line[1400];
        mg_parts_top_text(parts_run(lines, &rows[row]), 3, top, sizeof top);
        snprintf(line, sizeof line, "%s (%s, %s n-grams): %s", rows[row].text[COLUMN_SUBJECT], rows[row].corpus,
                 rows[row].text[COLUMN_NGRAMS], top);
        print_wrapped(out, line);
    }
}

int mg_summary_print(const char *results_path, FILE *out, char *error, size_t error_size)
{
    mg_results lines = {0};
    int status = mg_results_read(results_path, MG_RESULTS_RUNS, &lines, error, error_size);
    if (status == 1)
        snprintf(error, error_size, "no results in '%s'", mg_show(results_path).text);
    table_row *rows = NULL;
    size_t *runs_block = NULL;
    double *values = NULL;
    size_t sample_room = 0;
    for (size_t index = 0; status == 0 && index < lines.count; index++) {
        json_t *samples = mg_run_speed_samples(lines.objects[index], "lookup_hit_ns"),
               *batch = mg_run_speed_samples(lines.objects[index], "lookup_hit_batch_ns");
        size_t most = json_array_size(samples) > json_array_size(batch) ? json_array_size(samples) : json_array_size(batch);
        sample_room += most ? most : 1;
    }
    if (status == 0) {
        rows = calloc(lines.count, sizeof *rows);
        runs_block = calloc(lines.count, sizeof *runs_block);
        values = calloc(sample_room, sizeof *values);
        if (!rows || !runs_block || !values) {
            snprintf(error, error_size, MG_OUT_OF_MEMORY " for the summary of %zu runs", lines.count);
            status = -1;
        }
    }
    if (status == 0) {
        long row_count = gather_rows(&lines, rows, runs_block);
        if (row_count < 0) {
            snprintf(error, error_size, MG_OUT_OF_MEMORY " for the summary of %zu runs", lines.count);
            status = -1;
        }
        for (long row = 0; row < row_count; row++)
            row_texts(&lines, &rows[row], values);
        if (status == 0) {
            print_table(out, &lines, rows, (size_t)row_count);
            print_top_parts(out, &lines, rows, (size_t)row_count);
        }
    }
    free(rows);
    free(runs_block);
    free(values);
    mg_results_free(&lines);
    return status == 0 ? 0 : -1;
}
