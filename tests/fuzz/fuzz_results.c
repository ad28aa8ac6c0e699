/*
 * fuzz_results.c — libFuzzer target: the reader of results files
 * (harness/results/results_file.h) and what reads the runs it gives, on the input
 * as a results file (an in-memory file).
 *
 * mg_results_read, as runs and as any objects, with error buffers of 512
 * bytes and of a few:
 *  - answers 0 or -1 (the file exists), the same for both buffers; -1 with
 *    a message NUL-terminated within its buffer, not empty and one line;
 *  - 0 gives one JSON object for each line that is not blank (blank: only
 *    space, \t, \r, \n), runs each without a fault (mg_run_fault); a file
 *    read as runs is read as objects too;
 *  - mg_summary_print succeeds exactly when the file is read as runs.
 * Every line that parses as a JSON object goes through mg_run_fault, and
 * every run without a fault through mg_run_figure, mg_run_layer_growth,
 * mg_run_library and the cell's key, label and file name (cell.h): a file
 * name holds only letters, digits, '_', '-' and '.' and does not start with
 * '.'; two runs' keys are equal exactly when their cells are.
 */
#include "fuzz_support.h"

#include "cell.h"
#include "results.h"
#include "results_file.h"
#include "run_fields.h"
#include "summary_table.h"
#include "run.h"

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT(array) (sizeof array / sizeof array[0])
#define RUNS_KEPT 16 /* runs of one input whose cell keys are compared pairwise */

static const char *const sections[] = {"derived", "speed", "phases", "corpus", "env", "nonesuch"};
static const char *const fields[] = {"peak_bytes_per_ngram_rss", "fragmentation", "train_ns_per_gram",
                                     "lookup_hit_ns", "lookup_miss_ns", "name", ""};
static const char *const layers[] = {"requested", "allocated", "active", "resident", "rss", "name", "nonesuch"};

/* ---- the file as a whole ----------------------------------------------------------- */

/* Lines as getline gives them (the last may lack its '\n') that hold more than space, \t, \r and \n. */
static size_t lines_not_blank(const uint8_t *data, size_t size)
{
    size_t count = 0;
    for (size_t start = 0; start < size;) {
        const uint8_t *newline = memchr(data + start, '\n', size - start);
        size_t end = newline ? (size_t)(newline - data) : size;
        bool blank = true;
        for (size_t at = start; at < end && blank; at++)
            blank = data[at] == ' ' || data[at] == '\t' || data[at] == '\r';
        count += !blank;
        start = end + 1;
    }
    return count;
}

/* mg_results_read with an error buffer of error_size bytes; its answer. */
static int read_results(const char *path, mg_results_kind kind, size_t error_size, size_t not_blank)
{
    const char *what = kind == MG_RESULTS_RUNS ? "mg_results_read (runs)" : "mg_results_read (objects)";
    char *error = malloc(error_size);
    FUZZ_CHECK(error, "out of memory");
    mg_results results = {0};
    int status = mg_results_read(path, kind, &results, error, error_size);
    FUZZ_CHECK(status == 0 || status == -1, "%s returned %d on a file that exists", what, status);
    if (status != 0) {
        fuzz_check_message(error, error_size, what);
    } else {
        FUZZ_CHECK(results.count == not_blank, "%s gave %zu objects for %zu lines that are not blank", what,
                   results.count, not_blank);
        for (size_t index = 0; index < results.count; index++) {
            FUZZ_CHECK(json_is_object(results.objects[index]), "%s: object %zu is not a JSON object", what, index);
            FUZZ_CHECK(kind != MG_RESULTS_RUNS || !mg_run_fault(results.objects[index]),
                       "%s: run %zu has a fault: %s", what, index, mg_run_fault(results.objects[index]));
        }
    }
    mg_results_free(&results);
    free(error);
    return status;
}

static void fuzz_file_whole(const char *path, size_t not_blank, size_t small_size)
{
    int runs = read_results(path, MG_RESULTS_RUNS, 512, not_blank);
    FUZZ_CHECK(read_results(path, MG_RESULTS_RUNS, small_size, not_blank) == runs,
               "mg_results_read's answer depends on the error buffer's size");
    int objects = read_results(path, MG_RESULTS_OBJECTS, small_size, not_blank);
    FUZZ_CHECK(runs != 0 || objects == 0, "a file read as runs is refused as objects");

    FILE *out = fopen("/dev/null", "w");
    FUZZ_CHECK(out, "cannot open /dev/null");
    char error[512];
    int printed = mg_summary_print(path, out, error, sizeof error);
    fclose(out);
    FUZZ_CHECK(printed == runs, "mg_summary_print returned %d where mg_results_read returned %d", printed, runs);
    if (printed != 0)
        fuzz_check_message(error, sizeof error, "mg_summary_print");
}

/* ---- each line ----------------------------------------------------------------------- */

static void fuzz_figures(json_t *run)
{
    for (size_t section = 0; section < COUNT(sections); section++)
        for (size_t field = 0; field < COUNT(fields); field++) {
            double figure = mg_run_figure(run, sections[section], fields[field]);
            json_t *value = json_object_get(json_object_get(run, sections[section]), fields[field]);
            double want = json_is_number(value) ? json_number_value(value) : NAN;
            FUZZ_CHECK(figure == want || (isnan(figure) && isnan(want)), "mg_run_figure(%s.%s) is %g, not %g",
                       sections[section], fields[field], figure, want);
        }
    for (size_t layer = 0; layer < COUNT(layers); layer++)
        (void)mg_run_layer_growth(run, layers[layer]);
    for (int phase = 0; phase < MG_PHASE_COUNT; phase++) {
        json_t *library = mg_run_library(run, mg_phase_names[phase]);
        FUZZ_CHECK(!library || json_is_object(library), "mg_run_library(%s) is not an object", mg_phase_names[phase]);
    }
}

static bool is_file_name_byte(char byte)
{
    return (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') || (byte >= '0' && byte <= '9') ||
           byte == '_' || byte == '-' || byte == '.';
}

static void expect_file_name(const char *name, size_t size, const char *what)
{
    size_t length = strnlen(name, size);
    FUZZ_CHECK(length < size, "%s: not NUL-terminated within %zu bytes", what, size);
    FUZZ_CHECK(length > 0 && name[0] != '.', "%s: '%s' is empty or hidden", what, name);
    for (size_t index = 0; index < length; index++)
        FUZZ_CHECK(is_file_name_byte(name[index]), "%s: byte 0x%02x in '%s'", what, (unsigned char)name[index], name);
}

/* A run without a fault: its cell, key, label and file names. */
static void fuzz_cell(json_t *run, mg_cell *cell, char *key, size_t key_size)
{
    FUZZ_CHECK(mg_cell_of_run(run, cell) == 0, "a run without a fault has no cell");
    mg_cell_key(cell, key, key_size);
    char small[16], label[512], name[256];
    mg_cell_key(cell, small, sizeof small);
    mg_cell_label(cell, label, sizeof label);
    mg_cell_label(cell, small, sizeof small);
    FUZZ_CHECK(memchr(key, '\0', key_size) && memchr(label, '\0', sizeof label) && memchr(small, '\0', sizeof small),
               "a cell key or label is not NUL-terminated");
    mg_cell_file_name(cell, 1, name, sizeof name);
    expect_file_name(name, sizeof name, "mg_cell_file_name");
    mg_file_name("timeline-", cell->backend, ".svg", name, sizeof name);
    expect_file_name(name, sizeof name, "mg_file_name(backend)");
    mg_file_name("", cell->corpus, "", name, sizeof name);
    expect_file_name(name, sizeof name, "mg_file_name(corpus)");
}

static bool cells_equal(const mg_cell *a, const mg_cell *b)
{
    return strcmp(a->backend, b->backend) == 0 && strcmp(a->corpus, b->corpus) == 0 &&
           strcmp(a->allocator, b->allocator) == 0 && a->fraction == b->fraction && a->order == b->order;
}

typedef struct kept_runs {
    json_t *runs[RUNS_KEPT];
    mg_cell cells[RUNS_KEPT];
    char keys[RUNS_KEPT][1024];
    size_t count;
} kept_runs;

/* Each line of the input that parses as a JSON object; the runs among them kept (up to RUNS_KEPT). */
static void fuzz_lines(const uint8_t *data, size_t size, kept_runs *kept)
{
    for (size_t start = 0; start < size;) {
        const uint8_t *newline = memchr(data + start, '\n', size - start);
        size_t end = newline ? (size_t)(newline - data) : size;
        json_t *object = json_loadb((const char *)data + start, end - start, 0, NULL);
        start = end + 1;
        if (!json_is_object(object)) {
            json_decref(object);
            continue;
        }
        fuzz_figures(object);
        if (mg_run_fault(object) || kept->count == RUNS_KEPT) {
            json_decref(object);
            continue;
        }
        size_t index = kept->count++;
        kept->runs[index] = object;
        fuzz_cell(object, &kept->cells[index], kept->keys[index], sizeof kept->keys[index]);
    }
}

/* Keys short enough to be whole are equal exactly when the cells are. */
static void expect_keys(const kept_runs *kept)
{
    for (size_t a = 0; a < kept->count; a++)
        for (size_t b = a + 1; b < kept->count; b++) {
            if (strlen(kept->keys[a]) + 1 >= sizeof kept->keys[a] || strlen(kept->keys[b]) + 1 >= sizeof kept->keys[b])
                continue;
            bool same_key = strcmp(kept->keys[a], kept->keys[b]) == 0;
            FUZZ_CHECK(same_key == cells_equal(&kept->cells[a], &kept->cells[b]),
                       "runs %zu and %zu: %s cells, %s keys ('%s')", a, b, same_key ? "different" : "equal",
                       same_key ? "equal" : "different", kept->keys[a]);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_file file;
    fuzz_file_open(&file, data, size);
    fuzz_file_whole(file.path, lines_not_blank(data, size), 1 + size % 48);
    kept_runs kept = {.count = 0};
    fuzz_lines(data, size, &kept);
    expect_keys(&kept);
    for (size_t index = 0; index < kept.count; index++)
        json_decref(kept.runs[index]);
    fuzz_file_close(&file);
    return 0;
}
