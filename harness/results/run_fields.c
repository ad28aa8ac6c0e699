/* run_fields.c — see run_fields.h. */
#include "run_fields.h"
#include "results.h"

#include <math.h>
#include <string.h>

static double number_or_nan(json_t *value)
{
    return json_is_number(value) ? json_number_value(value) : NAN;
}

static const char *text_or_empty(json_t *value)
{
    return json_is_string(value) ? json_string_value(value) : "";
}

const char *mg_run_status(json_t *run)
{
    return json_string_value(json_object_get(run, "status"));
}

const char *mg_run_message(json_t *run)
{
    return json_string_value(json_object_get(run, "message"));
}

const char *mg_run_allocator_version(json_t *run)
{
    return json_string_value(json_object_get(run, "allocator_version"));
}

const char *mg_run_measured_process(json_t *run)
{
    const char *process = json_string_value(json_object_get(run, "measured_process"));
    return process ? process : MG_PROCESS_MEMGRAMS;
}

double mg_run_tokens(json_t *run)
{
    return number_or_nan(json_object_get(run, "tokens"));
}

double mg_run_ngrams(json_t *run)
{
    return number_or_nan(json_object_get(run, "ngrams"));
}

int64_t mg_run_pass(json_t *run)
{
    json_t *pass = json_object_get(run, "pass");
    return json_is_integer(pass) ? (int64_t)json_integer_value(pass) : -1;
}

static uint64_t counter_or_one(json_t *run, const char *name)
{
    json_t *value = json_object_get(run, name);
    return value ? (uint64_t)json_integer_value(value) : 1;
}

uint64_t mg_run_seed(json_t *run)
{
    return counter_or_one(run, "seed");
}

uint64_t mg_run_repeat(json_t *run)
{
    return counter_or_one(run, "repeat");
}

int mg_run_layout_version(json_t *run, int64_t *version)
{
    json_t *value = json_object_get(run, "backend_layout_version");
    if (!json_is_integer(value))
        return 0;
    *version = (int64_t)json_integer_value(value);
    return 1;
}

/* The sample of the named phase, or NULL. */
static json_t *phase_of(json_t *run, const char *name)
{
    size_t index;
    json_t *phase;
    json_array_foreach(json_object_get(run, "phases"), index, phase) {
        const char *phase_name = json_string_value(json_object_get(phase, "name"));
        if (phase_name && strcmp(phase_name, name) == 0)
            return phase;
    }
    return NULL;
}

double mg_run_phase_figure(json_t *run, const char *phase, const char *figure)
{
    return number_or_nan(json_object_get(phase_of(run, phase), figure));
}

double mg_run_layer_growth(json_t *run, const char *layer)
{
    return mg_run_phase_figure(run, "finalize", layer) - mg_run_phase_figure(run, "baseline", layer);
}

json_t *mg_run_library(json_t *run, const char *phase)
{
    json_t *figures = json_object_get(phase_of(run, phase), "library");
    return json_is_object(figures) && json_object_size(figures) > 0 ? figures : NULL;
}

/* A part's figure in a phase's parts (or parts_peak) over its figure at the baseline. */
static double part_over_baseline(json_t *run, const char *phase, const char *field, const char *name)
{
    double at = number_or_nan(json_object_get(json_object_get(phase_of(run, phase), field), name));
    double base = number_or_nan(json_object_get(json_object_get(phase_of(run, "baseline"), "parts"), name));
    return at - (isfinite(base) ? base : 0);
}

size_t mg_run_parts(json_t *run, mg_run_part *parts, size_t room)
{
    json_t *derived = json_object_get(run, "derived"), *value;
    json_t *measured = json_object_get(derived, "bytes_per_ngram_by_part");
    json_t *estimated = json_object_get(derived, "estimated_bytes_per_ngram_by_part");
    json_t *names = json_is_object(measured) ? measured : json_object_get(phase_of(run, "finalize"), "parts");
    const char *name;
    size_t count = 0;
    if (!json_is_object(names))
        return 0;
    json_object_foreach(names, name, value) {
        if (count == room)
            break;
        parts[count++] = (mg_run_part){
            .name = name,
            .bytes = part_over_baseline(run, "finalize", "parts", name),
            .per_ngram = number_or_nan(json_object_get(measured, name)),
            .estimate = number_or_nan(json_object_get(estimated, name)),
            .training_peak = part_over_baseline(run, "train", "parts_peak", name),
        };
    }
    return count;
}

const char *mg_run_training_peak_part(json_t *run)
{
    return json_string_value(json_object_get(json_object_get(run, "derived"), "training_peak_part"));
}

double mg_run_figure(json_t *run, const char *section, const char *field)
{
    return number_or_nan(json_object_get(json_object_get(run, section), field));
}

double mg_run_speed(json_t *run, const char *name)
{
    return mg_run_figure(run, "speed", name);
}

double mg_run_derived(json_t *run, const char *name)
{
    return mg_run_figure(run, "derived", name);
}

json_t *mg_run_speed_samples(json_t *run, const char *name)
{
    json_t *samples = json_object_get(json_object_get(run, "speed_samples"), name);
    return json_is_array(samples) ? samples : NULL;
}

size_t mg_run_timeline_length(json_t *run)
{
    return json_array_size(json_object_get(run, "timeline"));
}

mg_run_point mg_run_timeline_point(json_t *run, size_t index)
{
    json_t *point = json_array_get(json_object_get(run, "timeline"), index);
    const char *phase = json_string_value(json_object_get(point, "phase"));
    return (mg_run_point){
        .phase = phase ? phase : "?",
        .end = json_is_true(json_object_get(point, "end")),
        .grams = number_or_nan(json_object_get(point, "grams")),
        .seconds = number_or_nan(json_object_get(point, "seconds")),
        .requested = number_or_nan(json_object_get(point, "requested")),
        .allocated = number_or_nan(json_object_get(point, "allocated")),
        .rss = number_or_nan(json_object_get(point, "rss")),
    };
}

double mg_run_dependent_load_ns(json_t *run)
{
    return number_or_nan(json_object_get(json_object_get(run, "env"), "dependent_load_ns"));
}

double mg_run_speed_in_loads(json_t *run, const char *name)
{
    double load = mg_run_dependent_load_ns(run);
    return load > 0 ? mg_run_speed(run, name) / load : NAN;
}

mg_run_machine mg_run_machine_of(json_t *run)
{
    json_t *env = json_object_get(run, "env");
    return (mg_run_machine){
        .cpu = text_or_empty(json_object_get(env, "cpu")),
        .compiler = text_or_empty(json_object_get(env, "compiler")),
        .build = text_or_empty(json_object_get(env, "build")),
        .thp_enabled = text_or_empty(json_object_get(json_object_get(env, "transparent_hugepage"), "enabled")),
        .cpus = json_object_get(env, "cpus"),
    };
}

mg_run_origin mg_run_origin_of(json_t *run)
{
    json_t *env = json_object_get(run, "env");
    return (mg_run_origin){
        .version = text_or_empty(json_object_get(env, "version")),
        .commit = text_or_empty(json_object_get(env, "git_commit")),
        .kernel = text_or_empty(json_object_get(env, "kernel")),
    };
}
