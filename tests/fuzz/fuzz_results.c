/*
 * fuzz_results.c — libFuzzer target: reading a results file (JSON Lines,
 * one run object a line) through the public readers of results.h.
 *
 * The input is the file: mg_summary_print reads it from an in-memory file
 * and prints the summary table (to /dev/null); it returns 0, or -1 with a
 * message NUL-terminated within its buffer, not empty and one line. Every
 * line that parses as a JSON object is a run, read with mg_run_figure,
 * mg_run_layer_growth and mg_run_library, which never crash and answer a
 * number (or NAN) and an object (or NULL).
 */
#include "fuzz_support.h"

#include "results.h"
#include "run.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const sections[] = {"derived", "speed", "phases", "corpus", "env", "nonesuch"};
static const char *const fields[] = {"peak_bytes_per_ngram_rss", "fragmentation", "train_ns_per_gram",
                                     "lookup_hit_ns", "lookup_miss_ns", "name", ""};
static const char *const layers[] = {"requested", "allocated", "active", "resident", "rss", "name", "nonesuch"};
#define COUNT(array) (sizeof array / sizeof array[0])

static void fuzz_summary(const char *path)
{
    FILE *out = fopen("/dev/null", "w");
    FUZZ_CHECK(out, "cannot open /dev/null");
    size_t sizes[] = {512, 40};
    for (size_t index = 0; index < COUNT(sizes); index++) {
        char *error = malloc(sizes[index]);
        FUZZ_CHECK(error, "out of memory");
        int status = mg_summary_print(path, out, error, sizes[index]);
        FUZZ_CHECK(status == 0 || status == -1, "mg_summary_print returned %d", status);
        if (status != 0)
            fuzz_check_message(error, sizes[index], "mg_summary_print");
        free(error);
    }
    fclose(out);
}

/* Every figure a reader of runs asks for, on one line as parsed. */
static void fuzz_run(json_t *run)
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

/* Each line of the input that parses as a JSON object. */
static void fuzz_lines(const uint8_t *data, size_t size)
{
    for (size_t start = 0; start < size;) {
        const uint8_t *newline = memchr(data + start, '\n', size - start);
        size_t end = newline ? (size_t)(newline - data) : size;
        json_t *run = json_loadb((const char *)data + start, end - start, 0, NULL);
        if (json_is_object(run))
            fuzz_run(run);
        json_decref(run);
        start = end + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_file file;
    fuzz_file_open(&file, data, size);
    fuzz_summary(file.path);
    fuzz_lines(data, size);
    fuzz_file_close(&file);
    return 0;
}
