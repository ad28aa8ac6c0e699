/* report_microbench.c — tables of a microbench.json; see report_microbench.h. */
#include "report_microbench.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ROWS 64    /* backends */
#define MAX_COLUMNS 16 /* operations, and the machine's buffer sizes */
#define NAME_BYTES 64
#define MACHINE_ROW "machine" /* machine/dependent_load_SIZE: not a backend, printed apart */
#define LOAD_PREFIX "dependent_load_"

/* One iteration row of the JSON (aggregate rows are recomputed, not read). */
typedef struct entry {
    size_t row, column;
    double ns_per_op;        /* NAN when the row has no time */
    double allocs_per_iter;  /* NAN when the memory pass was off */
    int failed;
} entry;

typedef struct grid {
    char rows[MAX_ROWS][NAME_BYTES], columns[MAX_COLUMNS][NAME_BYTES];
    size_t row_count, column_count;
    entry *entries;
    size_t entry_count;
} grid;

static void folder_file(const char *dir, char *path, size_t path_size)
{
    snprintf(path, path_size, "%s/%s", dir, MG_MICROBENCH_FILE);
}

int mg_microbench_present(const char *dir)
{
    char path[4096];
    folder_file(dir, path, sizeof path);
    return access(path, F_OK) == 0;
}

/* Index of name in names, added if new; -1 when there is no room. */
static long intern(char (*names)[NAME_BYTES], size_t *count, size_t capacity, const char *name, size_t length)
{
    if (length >= NAME_BYTES)
        length = NAME_BYTES - 1;
    for (size_t index = 0; index < *count; index++)
        if (strncmp(names[index], name, length) == 0 && names[index][length] == '\0')
            return (long)index;
    if (*count == capacity)
        return -1;
    memcpy(names[*count], name, length);
    names[*count][length] = '\0';
    return (long)(*count)++;
}

static double time_unit_ns(const char *unit)
{
    if (unit && strcmp(unit, "us") == 0)
        return 1e3;
    if (unit && strcmp(unit, "ms") == 0)
        return 1e6;
    if (unit && strcmp(unit, "s") == 0)
        return 1e9;
    return 1;
}

/* Time per operation: per item when items were counted, else CPU time per iteration. */
static double ns_per_op(json_t *benchmark)
{
    json_t *items = json_object_get(benchmark, "items_per_second");
    if (json_is_number(items) && json_number_value(items) > 0)
        return 1e9 / json_number_value(items);
    json_t *cpu = json_object_get(benchmark, "cpu_time");
    if (!json_is_number(cpu))
        return NAN;
    return json_number_value(cpu) * time_unit_ns(json_string_value(json_object_get(benchmark, "time_unit")));
}

/* BACKEND/OP into the grid; 0, or -1 when the grid is full. */
static int add_entry(grid *table, json_t *benchmark)
{
    const char *name = json_string_value(json_object_get(benchmark, "run_name"));
    if (!name)
        name = json_string_value(json_object_get(benchmark, "name"));
    if (!name)
        return 0;
    const char *slash = strchr(name, '/');
    const char *operation = slash ? slash + 1 : "-";
    long row = intern(table->rows, &table->row_count, MAX_ROWS, name, slash ? (size_t)(slash - name) : strlen(name));
    long column = intern(table->columns, &table->column_count, MAX_COLUMNS, operation, strlen(operation));
    if (row < 0 || column < 0)
        return -1;
    json_t *allocs = json_object_get(benchmark, "allocs_per_iter");
    table->entries[table->entry_count++] = (entry){
        .row = (size_t)row,
        .column = (size_t)column,
        .ns_per_op = ns_per_op(benchmark),
        .allocs_per_iter = json_is_number(allocs) ? json_number_value(allocs) : NAN,
        .failed = json_is_true(json_object_get(benchmark, "error_occurred")),
    };
    return 0;
}

static int compare_doubles(const void *a, const void *b)
{
    double left = *(const double *)a, right = *(const double *)b;
    return (left > right) - (left < right);
}

/* The cell's median time, its allocations, and whether any repetition failed. */
static void cell_figures(const grid *table, size_t row, size_t column, double *scratch, double *median,
                         double *allocs, int *failed)
{
    size_t found = 0;
    *median = *allocs = NAN;
    *failed = 0;
    for (size_t index = 0; index < table->entry_count; index++) {
        const entry *item = &table->entries[index];
        if (item->row != row || item->column != column)
            continue;
        *failed |= item->failed;
        if (isfinite(item->ns_per_op))
            scratch[found++] = item->ns_per_op;
        if (isnan(*allocs))
            *allocs = item->allocs_per_iter;
    }
    if (found == 0)
        return;
    qsort(scratch, found, sizeof *scratch, compare_doubles);
    *median = found % 2 ? scratch[found / 2] : (scratch[found / 2 - 1] + scratch[found / 2]) / 2;
}

static bool is_machine_row(const grid *table, size_t row) { return strcmp(table->rows[row], MACHINE_ROW) == 0; }

/* Whether the column holds an entry of a row that is (machine) or is not a
 * backend. */
static bool column_used(const grid *table, size_t column, bool machine)
{
    for (size_t index = 0; index < table->entry_count; index++)
        if (table->entries[index].column == column && is_machine_row(table, table->entries[index].row) == machine)
            return true;
    return false;
}

static void print_header_row(FILE *out, const grid *table)
{
    fprintf(out, "%-16s", "backend");
    for (size_t column = 0; column < table->column_count; column++)
        if (column_used(table, column, false))
            fprintf(out, " %11s", table->columns[column]);
    fputc('\n', out);
}

static void print_cell(FILE *out, double value, int failed, int decimals)
{
    if (failed)
        fprintf(out, " %11s", "error");
    else if (isfinite(value))
        fprintf(out, " %11.*f", decimals, value);
    else
        fprintf(out, " %11s", "-");
}

/* A row's cells in the columns of its kind (machine or backends): times
 * when want_time, else allocations per iteration. */
static void print_row(FILE *out, const grid *table, size_t row, double *scratch, int want_time)
{
    fprintf(out, "%-16s", table->rows[row]);
    bool machine = is_machine_row(table, row);
    for (size_t column = 0; column < table->column_count; column++) {
        if (!column_used(table, column, machine))
            continue;
        double median, allocs;
        int failed;
        cell_figures(table, row, column, scratch, &median, &allocs, &failed);
        print_cell(out, want_time ? median : allocs, failed, want_time ? 1 : 2);
    }
    fputc('\n', out);
}

/* One matrix of the backends. */
static void print_matrix(FILE *out, const grid *table, double *scratch, int want_time)
{
    print_header_row(out, table);
    for (size_t row = 0; row < table->row_count; row++)
        if (!is_machine_row(table, row))
            print_row(out, table, row, scratch, want_time);
}

/* The machine's row, when the file has one: a dependent load's time per buffer size. */
static void print_machine(FILE *out, const grid *table, double *scratch)
{
    size_t row = 0;
    while (row < table->row_count && !is_machine_row(table, row))
        row++;
    if (row == table->row_count)
        return;
    fputs("ns per dependent load (pointer chase over one random cycle of a buffer's cache lines)\n", out);
    fprintf(out, "%-16s", "buffer");
    for (size_t column = 0; column < table->column_count; column++)
        if (column_used(table, column, true)) {
            const char *size = table->columns[column];
            fprintf(out, " %11s", strncmp(size, LOAD_PREFIX, strlen(LOAD_PREFIX)) == 0 ? size + strlen(LOAD_PREFIX) : size);
        }
    fputc('\n', out);
    print_row(out, table, row, scratch, 1);
}

static const char *context_text(json_t *root, const char *key)
{
    const char *text = json_string_value(json_object_get(json_object_get(root, "context"), key));
    return text ? text : "?";
}

static void print_tables(FILE *out, json_t *root, const grid *table, double *scratch)
{
    fprintf(out, "\nmicrobench (%s: Google Benchmark, memgrams-microbench): corpus %s, fraction %s, order %s, "
                 "allocator %s\n",
            MG_MICROBENCH_FILE, context_text(root, "memgrams_corpus"), context_text(root, "memgrams_fraction"),
            context_text(root, "memgrams_order"), context_text(root, "memgrams_allocator"));
    fputs("ns per operation (CPU time / items; generate: per word; median over repetitions)\n", out);
    print_matrix(out, table, scratch, 1);
    fputs("mem.h allocations per iteration (Google Benchmark's memory pass)\n", out);
    print_matrix(out, table, scratch, 0);
    print_machine(out, table, scratch);
}

/* Fills the grid from the "benchmarks" array; 0, or -1 with a message. */
static int read_grid(json_t *benchmarks, grid *table, const char *path, char *error, size_t error_size)
{
    size_t index;
    json_t *benchmark;
    json_array_foreach(benchmarks, index, benchmark) {
        const char *run_type = json_string_value(json_object_get(benchmark, "run_type"));
        if (run_type && strcmp(run_type, "aggregate") == 0)
            continue;
        if (add_entry(table, benchmark) != 0) {
            snprintf(error, error_size, "%s: more than %d backends or %d operations", path, MAX_ROWS, MAX_COLUMNS);
            return -1;
        }
    }
    return 0;
}

int mg_microbench_report(const char *dir, FILE *out, char *error, size_t error_size)
{
    char path[4096];
    folder_file(dir, path, sizeof path);
    if (access(path, F_OK) != 0)
        return 0;
    json_error_t parse_error;
    json_t *root = json_load_file(path, 0, &parse_error);
    json_t *benchmarks = json_object_get(root, "benchmarks");
    if (!json_is_array(benchmarks)) {
        snprintf(error, error_size, "%s is not Google Benchmark JSON: %s", path,
                 root ? "no \"benchmarks\" array" : parse_error.text);
        json_decref(root);
        return -1;
    }
    size_t count = json_array_size(benchmarks);
    grid *table = calloc(1, sizeof *table);
    entry *entries = calloc(count ? count : 1, sizeof *entries);
    double *scratch = calloc(count ? count : 1, sizeof *scratch);
    int status = -1;
    if (!table || !entries || !scratch) {
        snprintf(error, error_size, "%s: %s", path, strerror(ENOMEM));
    } else {
        table->entries = entries;
        status = read_grid(benchmarks, table, path, error, error_size);
        if (status == 0)
            print_tables(out, root, table, scratch);
    }
    free(scratch);
    free(entries);
    free(table);
    json_decref(root);
    return status;
}
