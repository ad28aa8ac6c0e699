/* cell_runs.c — see cell_runs.h. */
#include "cell_runs.h"
#include "cell.h"
#include "message.h"
#include "results_file.h"
#include "run_fields.h"
#include "statistics.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int input_error(char *error, size_t error_size, const char *path, const char *what)
{
    snprintf(error, error_size, "'%s': %s", mg_show(path).text, what);
    return -1;
}

static void cell_identity(json_t *run, char *key, size_t key_size, char *label, size_t label_size)
{
    mg_cell cell;
    mg_cell_of_run(run, &cell); /* mg_run_fault has checked the fields */
    mg_cell_key(&cell, key, key_size);
    mg_cell_label(&cell, label, label_size);
}

mg_check_cell *mg_check_cell_find(mg_check_file *file, const char *key)
{
    for (size_t index = 0; index < file->cell_count; index++)
        if (strcmp(file->cells[index].key, key) == 0)
            return &file->cells[index];
    return NULL;
}

static int add_to_cell(mg_check_file *file, json_t *run)
{
    char key[1024], label[1024];
    cell_identity(run, key, sizeof key, label, sizeof label);
    mg_check_cell *cell = mg_check_cell_find(file, key);
    if (!cell) {
        mg_check_cell *grown = realloc(file->cells, (file->cell_count + 1) * sizeof *grown);
        if (!grown)
            return -1;
        file->cells = grown;
        cell = &file->cells[file->cell_count++];
        memset(cell, 0, sizeof *cell);
        snprintf(cell->key, sizeof cell->key, "%s", key);
        snprintf(cell->label, sizeof cell->label, "%s", label);
    }
    if (cell->run_count == MG_CELL_RUNS_MAX)
        return -1;
    cell->runs[cell->run_count++] = run;
    return 0;
}

void mg_check_file_free(mg_check_file *file)
{
    json_decref(file->lines);
    free(file->cells);
    memset(file, 0, sizeof *file);
}

int mg_check_file_load(const char *path, mg_check_file *file, char *error, size_t error_size)
{
    memset(file, 0, sizeof *file);
    file->path = path;
    file->lines = json_array();
    mg_results lines = {0};
    int status = mg_results_read(path, MG_RESULTS_RUNS, &lines, error, error_size);
    if (status == 1)
        snprintf(error, error_size, "cannot read '%s': %s", mg_show(path).text, strerror(ENOENT));
    for (size_t index = 0; status == 0 && index < lines.count; index++) {
        json_t *run = lines.objects[index];
        if (json_array_append(file->lines, run) != 0 || add_to_cell(file, run) != 0)
            status = input_error(error, error_size, path, "too many runs of one cell (64 at most)");
    }
    mg_results_free(&lines);
    if (status == 0 && file->cell_count == 0)
        status = input_error(error, error_size, path, "holds no runs");
    if (status != 0)
        mg_check_file_free(file);
    return status ? -1 : 0;
}

/* ---- figures of a cell --------------------------------------------------------- */

/* phase.layer - baseline.base_layer; NAN when either is unknown. */
static double layer_change(json_t *run, const char *phase, const char *layer, const char *base_layer)
{
    return mg_run_phase_figure(run, phase, layer) - mg_run_phase_figure(run, "baseline", base_layer);
}

/* The training peak over baseline RSS, as the derived peak_bytes_per_ngram_rss has it. */
static double peak_change(json_t *run)
{
    double train = layer_change(run, "train", "hwm", "rss");
    double finalize = layer_change(run, "finalize", "hwm", "rss");
    return isnan(finalize) || train >= finalize ? train : finalize;
}

double mg_cell_memory(const mg_check_cell *cell, const char *phase, const char *layer)
{
    double values[MG_CELL_RUNS_MAX];
    size_t count = 0;
    for (size_t index = 0; index < cell->run_count; index++) {
        double value = phase ? layer_change(cell->runs[index], phase, layer, layer) : peak_change(cell->runs[index]);
        if (!isnan(value))
            values[count++] = value;
    }
    return count ? mg_median_sort(values, count) : NAN;
}

/* A run's figure: the median of its rounds, as `speed` holds it. */
static size_t run_speed(json_t *run, const char *name, double *samples, size_t count, size_t capacity)
{
    double value = mg_run_speed(run, name);
    if (!isnan(value) && count < capacity)
        samples[count++] = value;
    return count;
}

size_t mg_cell_speed_samples(const mg_check_cell *cell, const char *name, int by_run, double *samples,
                             size_t capacity)
{
    size_t count = 0;
    for (size_t index = 0; index < cell->run_count; index++) {
        json_t *run = cell->runs[index];
        json_t *kept = mg_run_speed_samples(run, name), *value;
        size_t position;
        if (by_run || !kept) {
            count = run_speed(run, name, samples, count, capacity);
            continue;
        }
        json_array_foreach(kept, position, value)
            if (json_is_number(value) && count < capacity)
                samples[count++] = json_number_value(value);
    }
    return count;
}

int mg_cells_paired(const mg_check_cell *base, const mg_check_cell *now)
{
    size_t common = 0;
    for (size_t index = 0; index < base->run_count; index++)
        if (mg_run_pass(base->runs[index]) < 0)
            return 0;
    for (size_t index = 0; index < now->run_count; index++) {
        int64_t pass = mg_run_pass(now->runs[index]);
        if (pass < 0)
            return 0;
        for (size_t other = 0; other < base->run_count; other++)
            if (mg_run_pass(base->runs[other]) == pass) {
                common++;
                break;
            }
    }
    return common >= 2;
}

size_t mg_pair_differences(const mg_check_cell *base, const mg_check_cell *now, const char *name,
                           double *differences, size_t capacity)
{
    size_t count = 0;
    for (size_t index = 0; index < now->run_count && count < capacity; index++) {
        int64_t pass = mg_run_pass(now->runs[index]);
        for (size_t other = 0; other < base->run_count; other++) {
            if (mg_run_pass(base->runs[other]) != pass)
                continue;
            double before = 0, after = 0;
            run_speed(base->runs[other], name, &before, 0, 1);
            run_speed(now->runs[index], name, &after, 0, 1);
            if (before > 0 && after > 0)
                differences[count++] = log(after / before);
            break;
        }
    }
    return count;
}
