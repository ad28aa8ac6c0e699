/* results_file.c — see results_file.h. */
#include "results_file.h"
#include "message.h"
#include "backend.h"
#include "cell.h"
#include "results.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const known_statuses[] = {"ok", "oom", "crashed", "killed", "timeout", "error"};

int mg_status_known(const char *status)
{
    for (size_t index = 0; index < sizeof known_statuses / sizeof known_statuses[0]; index++)
        if (strcmp(status, known_statuses[index]) == 0)
            return 1;
    return 0;
}

int mg_measured_process_known(const char *name)
{
    static const char *const known[] = {MG_PROCESS_MEMGRAMS, MG_PROCESS_PYTHON, MG_PROCESS_REDIS};
    for (size_t index = 0; name && index < sizeof known / sizeof known[0]; index++)
        if (strcmp(name, known[index]) == 0)
            return 1;
    return 0;
}

static int is_whole(json_t *value, json_int_t least)
{
    return json_is_integer(value) && json_integer_value(value) >= least;
}

/* A byte count, a time or a speed: null where unknown, else a finite number >= 0. */
static int is_figure(json_t *value)
{
    return !value || json_is_null(value) || (json_is_number(value) && isfinite(json_number_value(value)) &&
                                            json_number_value(value) >= 0 && json_number_value(value) < 0x1p63);
}

/* A derived figure may fall below zero (RSS can end under its baseline): null or finite. */
static int is_signed_figure(json_t *value)
{
    return !value || json_is_null(value) || (json_is_number(value) && isfinite(json_number_value(value)));
}

/* Every member of section (an object, where present) a figure. */
static int section_ok(json_t *run, const char *section, int (*figure)(json_t *value))
{
    json_t *object = json_object_get(run, section), *value;
    const char *name;
    if (!object)
        return 1;
    if (!json_is_object(object))
        return 0;
    json_object_foreach(object, name, value)
        if (!figure(value))
            return 0;
    return 1;
}

/* A part breakdown ({"vocab.words": 1234, ...}), where present: an object of figures keyed by names. */
static int parts_ok(json_t *parts, int (*figure)(json_t *value))
{
    json_t *value;
    const char *name;
    if (!parts || json_is_null(parts))
        return 1;
    if (!json_is_object(parts))
        return 0;
    json_object_foreach(parts, name, value)
        if (!mg_name_valid(name) || !figure(value))
            return 0;
    return 1;
}

/* derived: signed figures, but for the part breakdowns and the name of the part that peaked in training. */
static int derived_ok(json_t *run)
{
    json_t *derived = json_object_get(run, "derived"), *value;
    const char *name;
    if (!derived)
        return 1;
    if (!json_is_object(derived))
        return 0;
    json_object_foreach(derived, name, value) {
        int ok = strcmp(name, "training_peak_part") == 0 ? json_is_null(value) || (json_is_string(value) && mg_name_valid(json_string_value(value)))
                 : strstr(name, "_by_part")              ? parts_ok(value, is_signed_figure)
                                                          : is_signed_figure(value);
        if (!ok)
            return 0;
    }
    return 1;
}

static const char *const phase_layers[] = {"seconds", "requested", "allocated", "active", "resident", "rss",
                                           "rss_anon", "rss_file", "rss_shmem", "hwm"};

/* phases: an array of named samples whose layers are figures; an ok run's
 * has baseline and finalize with their rss, which every judgement needs. */
static const char *phases_fault(json_t *run, int ok)
{
    json_t *phases = json_object_get(run, "phases"), *phase;
    size_t index;
    int ends = 0;
    if (!phases && !ok)
        return NULL;
    if (!json_is_array(phases))
        return "phases is not an array of phase samples";
    json_array_foreach(phases, index, phase) {
        const char *name = json_string_value(json_object_get(phase, "name"));
        if (!name)
            return "a phase sample without a name";
        for (size_t layer = 0; layer < sizeof phase_layers / sizeof phase_layers[0]; layer++)
            if (!is_figure(json_object_get(phase, phase_layers[layer])))
                return "a phase's figure is not null or a number of bytes (or seconds) >= 0";
        if (!parts_ok(json_object_get(phase, "parts"), is_figure) || !parts_ok(json_object_get(phase, "parts_peak"), is_figure))
            return "a phase's parts are not an object of part names (" MG_NAME_RULE ") and bytes >= 0";
        int end = strcmp(name, "baseline") == 0 ? 1 : strcmp(name, "finalize") == 0 ? 2 : 0;
        if (end && json_is_number(json_object_get(phase, "rss")))
            ends |= end;
    }
    return ok && ends != 3 ? "an ok run without the rss of its baseline and finalize phases" : NULL;
}

/* The figures report and check read: counts, phases, speed, derived. */
static const char *figures_fault(json_t *run, int ok)
{
    static const char *const counts[] = {"corpus_bytes", "sentences", "tokens", "vocab", "grams_added", "ngrams",
                                         "contexts", "ngrams_after_prune"};
    for (size_t index = 0; index < sizeof counts / sizeof counts[0]; index++) {
        json_t *value = json_object_get(run, counts[index]);
        if (value && !is_whole(value, 0))
            return "a count (tokens, ngrams, ...) is not a whole number";
    }
    if (!section_ok(run, "speed", is_figure) || !derived_ok(run))
        return "a speed or derived figure is not null or a number >= 0 (a part breakdown: part names and numbers)";
    return phases_fault(run, ok);
}

const char *mg_run_fault(json_t *run)
{
    const char *schema = json_string_value(json_object_get(run, "schema"));
    const char *status = json_string_value(json_object_get(run, "status"));
    mg_cell cell;
    if (!json_is_object(run))
        return "not a JSON object";
    if (!schema || strcmp(schema, MG_RUN_SCHEMA) != 0)
        return "schema is not \"" MG_RUN_SCHEMA "\"";
    if (!status || !mg_status_known(status))
        return "status is not one of ok, oom, crashed, killed, timeout, error";
    if (mg_cell_of_run(run, &cell) != 0)
        return "a run without backend, corpus, fraction, order or allocator";
    if (!mg_name_valid(cell.backend))
        return "backend is not a name (" MG_NAME_RULE ")";
    json_t *settings = json_object_get(run, "backend_settings");
    if (settings && !json_is_null(settings) && !json_is_string(settings))
        return "backend_settings is not a text or null";
    const char *settings_fault = mg_cell_settings_fault(&cell);
    if (settings_fault)
        return settings_fault;
    json_t *process = json_object_get(run, "measured_process");
    if (process && !json_is_null(process) && !mg_measured_process_known(json_string_value(process)))
        return "measured_process is not one of memgrams, python3, redis-server";
    if (!(cell.fraction > 0 && cell.fraction <= 1))
        return "fraction is outside (0, 1]";
    if (cell.order < 1 || cell.order > MG_ORDER_MAX || json_integer_value(json_object_get(run, "order")) != cell.order)
        return "order is outside 1..5";
    static const char *const counters[][2] = {{"pass", "1"}, {"seed", "0"}, {"repeat", "1"}};
    for (size_t index = 0; index < 3; index++) {
        json_t *value = json_object_get(run, counters[index][0]);
        if (value && !is_whole(value, counters[index][1][0] - '0'))
            return "pass, seed or repeat is not a whole number";
    }
    /* Absent from older runs and from peers' (backend.h: layout_version). */
    json_t *layout_version = json_object_get(run, "backend_layout_version");
    if (layout_version && !is_whole(layout_version, 0))
        return "backend_layout_version is not a whole number";
    return figures_fault(run, strcmp(status, "ok") == 0);
}

/* The text shown for a line's fault: jansson's message for bad JSON. */
static const char *line_fault(json_t *object, const json_error_t *parse_error, mg_results_kind kind)
{
    if (!object)
        return parse_error->text;
    if (!json_is_object(object))
        return "not a JSON object";
    return kind == MG_RESULTS_RUNS ? mg_run_fault(object) : NULL;
}

static int add_object(mg_results *results, json_t *object)
{
    json_t **grown = realloc(results->objects, (results->count + 1) * sizeof *grown);
    if (!grown)
        return -1;
    results->objects = grown;
    results->objects[results->count++] = object;
    return 0;
}

/* Only space, \t, \r and \n over the whole line: a NUL byte is not the line's end, it is a fault. */
static bool is_blank(const char *line, size_t length)
{
    for (size_t at = 0; at < length; at++)
        if (line[at] != ' ' && line[at] != '\t' && line[at] != '\r' && line[at] != '\n')
            return false;
    return true;
}

static int read_stream(FILE *stream, const char *path, mg_results_kind kind, mg_results *results, char *error,
                       size_t error_size)
{
    char *line = NULL;
    size_t capacity = 0;
    unsigned long number = 0;
    ssize_t length;
    int status = 0;
    while (status == 0 && (length = getline(&line, &capacity, stream)) > 0) {
        number++;
        if (is_blank(line, (size_t)length))
            continue;
        json_error_t parse_error;
        json_t *object = json_loadb(line, (size_t)length, 0, &parse_error);
        const char *fault = line_fault(object, &parse_error, kind);
        if (!object && line[length - 1] != '\n')
            fault = "cut short: the last line has no newline and is not whole JSON (a write that did not finish; "
                    "memgrams sweep --resume --out DIR sets it aside)";
        if (!fault && add_object(results, object) == 0)
            continue;
        snprintf(error, error_size, "'%s' line %lu: %s%s", mg_show(path).text, number, object || fault != parse_error.text ? "" :
                 "not JSON: ", fault ? fault : "out of memory");
        json_decref(object);
        status = -1;
    }
    if (status == 0 && ferror(stream)) {
        snprintf(error, error_size, "cannot read '%s': %s", mg_show(path).text, strerror(errno));
        status = -1;
    }
    free(line);
    return status;
}

static int read_file(const char *path, mg_results_kind kind, mg_results *results, char *error, size_t error_size)
{
    FILE *stream = fopen(path, "r");
    if (!stream) {
        if (errno == ENOENT)
            return 1;
        snprintf(error, error_size, "cannot read '%s': %s", mg_show(path).text, strerror(errno));
        return -1;
    }
    int status = read_stream(stream, path, kind, results, error, error_size);
    fclose(stream);
    return status;
}

static int is_jsonl(const struct dirent *entry)
{
    size_t length = strlen(entry->d_name);
    return entry->d_name[0] != '.' && length > 6 && strcmp(entry->d_name + length - 6, ".jsonl") == 0;
}

static int by_name(const struct dirent **left, const struct dirent **right)
{
    return strcmp((*left)->d_name, (*right)->d_name);
}

/* DIR/cells/ *.jsonl: 0 with at least one read, 1 when there are none, -1 on a fault. */
static int read_cells(const char *dir, mg_results_kind kind, mg_results *results, char *error, size_t error_size)
{
    char folder[4400], path[4700];
    snprintf(folder, sizeof folder, "%s/cells", dir);
    struct dirent **entries = NULL;
    int count = scandir(folder, &entries, is_jsonl, by_name), status = 1;
    if (count < 0)
        return errno == ENOENT || errno == ENOTDIR ? 1 : (snprintf(error, error_size, "cannot read '%s': %s", mg_show(folder).text,
                                                                    strerror(errno)), -1);
    for (int index = 0; index < count; index++) {
        snprintf(path, sizeof path, "%s/%s", folder, entries[index]->d_name);
        if (status != -1) {
            int read = read_file(path, kind, results, error, error_size);
            status = read < 0 ? -1 : read == 0 ? 0 : status;
        }
        free(entries[index]);
    }
    free(entries);
    return status;
}

int mg_results_read(const char *path, mg_results_kind kind, mg_results *results, char *error, size_t error_size)
{
    struct stat info;
    if (stat(path, &info) != 0 || !S_ISDIR(info.st_mode))
        return read_file(path, kind, results, error, error_size);
    char file[4400];
    snprintf(file, sizeof file, "%s/results.jsonl", path);
    int status = read_file(file, kind, results, error, error_size);
    if (status < 0)
        return -1;
    int cells = read_cells(path, kind, results, error, error_size);
    return cells < 0 ? -1 : status == 0 || cells == 0 ? 0 : 1;
}

void mg_results_free(mg_results *results)
{
    for (size_t index = 0; index < results->count; index++)
        json_decref(results->objects[index]);
    free(results->objects);
    results->objects = NULL;
    results->count = 0;
}
