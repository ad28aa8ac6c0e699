/* resume.c — see resume.h. */
#include "resume.h"
#include "cell.h"
#include "message.h"
#include "results_file.h"
#include "run_fields.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mg_done_key(const mg_cell *cell, uint64_t seed, uint64_t repeat, char *key, size_t key_size)
{
    char cell_key[8192];
    mg_cell_key(cell, cell_key, sizeof cell_key);
    snprintf(key, key_size, "%s|%llu|%llu", cell_key, (unsigned long long)seed, (unsigned long long)repeat);
}

static int by_text(const void *left, const void *right)
{
    return strcmp(*(char *const *)left, *(char *const *)right);
}

static int add_done(mg_done_set *done, json_t *run)
{
    const char *status = mg_run_status(run);
    mg_cell cell;
    char key[8300];
    if (strcmp(status, "ok") != 0 && strcmp(status, "oom") != 0) /* the final answers; the rest is measured again */
        return 0;
    mg_cell_of_run(run, &cell);
    mg_done_key(&cell, mg_run_seed(run), mg_run_repeat(run), key, sizeof key);
    char **grown = realloc(done->keys, (done->count + 1) * sizeof *grown);
    if (!grown || !(grown[done->count] = strdup(key))) {
        done->keys = grown ? grown : done->keys;
        return -1;
    }
    done->keys = grown;
    done->count++;
    return 0;
}

int mg_done_load(const char *path, mg_done_set *done, char *error, size_t error_size)
{
    mg_results results = {0};
    if (mg_results_read(path, MG_RESULTS_RUNS, &results, error, error_size) < 0)
        return -1;
    int status = 0;
    for (size_t index = 0; index < results.count && status == 0; index++)
        status = add_done(done, results.objects[index]);
    mg_results_free(&results);
    if (status != 0) {
        snprintf(error, error_size, MG_OUT_OF_MEMORY " reading '%s'", mg_show(path).text);
        return -1;
    }
    if (done->count > 0) /* qsort's array must not be NULL, even when empty (C11 7.22.5) */
        qsort(done->keys, done->count, sizeof *done->keys, by_text);
    return 0;
}

/* The first key not below key. */
static size_t first_at_least(const mg_done_set *done, const char *key)
{
    size_t low = 0, high = done->count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (strcmp(done->keys[middle], key) < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

uint64_t mg_done_count(const mg_done_set *done, const char *key)
{
    size_t index = first_at_least(done, key), first = index;
    while (index < done->count && strcmp(done->keys[index], key) == 0)
        index++;
    return index - first;
}

void mg_done_free(mg_done_set *done)
{
    for (size_t index = 0; index < done->count; index++)
        free(done->keys[index]);
    free(done->keys);
}
