/* results.c — see results.h. */
#include "results.h"
#include "atomic_file.h"
#include "config.h"
#include "version.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* ---- small helpers -------------------------------------------------------- */

static json_t *bytes_or_null(uint64_t value)
{
    return value == MG_UNKNOWN ? json_null() : json_integer((json_int_t)value);
}

static json_t *real_or_null(double value)
{
    return isfinite(value) ? json_real(value) : json_null();
}

/* after - before, as a double; NAN where either is unknown. */
static double layer_delta(uint64_t after, uint64_t before)
{
    if (after == MG_UNKNOWN || before == MG_UNKNOWN)
        return NAN;
    return (double)after - (double)before;
}

static double ratio(double numerator, double denominator)
{
    return (isfinite(numerator) && isfinite(denominator) && denominator > 0) ? numerator / denominator : NAN;
}

/* Two layers' changes: NAN (null) when the first fell below its baseline
 * (mimalloc's commit can), as the second's never may. */
static double layer_ratio(double numerator, double denominator)
{
    return numerator >= 0 ? ratio(numerator, denominator) : NAN;
}

/* First line of a file, trimmed; "" when unreadable. */
static void read_first_line(const char *path, char *line, size_t line_size)
{
    line[0] = '\0';
    FILE *file = fopen(path, "r");
    if (!file)
        return;
    if (fgets(line, (int)line_size, file))
        line[strcspn(line, "\n")] = '\0';
    fclose(file);
}

static void read_cpu_model(char *model, size_t model_size)
{
    snprintf(model, model_size, "unknown");
    FILE *file = fopen("/proc/cpuinfo", "r");
    if (!file)
        return;
    char line[512];
    while (fgets(line, sizeof line, file)) {
        if (strncmp(line, "model name", 10) == 0 && strchr(line, ':')) {
            const char *value = strchr(line, ':') + 2;
            snprintf(model, model_size, "%.*s", (int)strcspn(value, "\n"), value);
            break;
        }
    }
    fclose(file);
}

/* ---- the run object -------------------------------------------------------- */

/* A wrapped library's own figures: {"sqlite.memory_used": 123, ...}. */
static json_t *library_json(const mg_phase_result *record)
{
    json_t *figures = json_object();
    for (int index = 0; index < record->library_count; index++) {
        const mg_library_figure *figure = &record->library[index];
        json_object_set_new(figures, figure->name, figure->is_ratio ? real_or_null(figure->ratio)
                                                                    : json_integer((json_int_t)figure->value));
    }
    return figures;
}

/* A tag's part name: "other" for MG_PART_OTHER, else the backend's. */
static const char *part_name(const mg_backend *backend, int tag)
{
    return tag == MG_PART_OTHER ? "other" : backend->parts[tag - 1];
}

/* Tags in use: "other" and the backend's parts. */
static int tag_count(const mg_backend *backend)
{
    return backend->part_count < MG_PARTS_MAX ? 1 + (int)backend->part_count : 1;
}

/* {"other": bytes, "vocab.words": bytes, ...}: a phase's bytes per part, which sum to requested. */
static json_t *parts_json(const mg_backend *backend, const uint64_t *bytes)
{
    json_t *parts = json_object();
    for (int tag = 0; tag < tag_count(backend); tag++)
        json_object_set_new(parts, part_name(backend, tag), json_integer((json_int_t)bytes[tag]));
    return parts;
}

static json_t *phases_json(const mg_backend *backend, const mg_run_result *result)
{
    json_t *phases = json_array();
    for (int phase = 0; phase < MG_PHASE_COUNT; phase++) {
        if (!(result->phases_done & (1 << phase)))
            continue;
        const mg_phase_result *record = &result->phases[phase];
        const mg_memory_sample *memory = &record->memory;
        json_t *sample = json_pack("{s:s, s:f, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
            "name", mg_phase_names[phase], "seconds", record->seconds,
            "requested", bytes_or_null(memory->requested), "allocated", bytes_or_null(memory->allocated),
            "active", bytes_or_null(memory->active), "resident", bytes_or_null(memory->resident),
            "rss", bytes_or_null(memory->rss), "rss_anon", bytes_or_null(memory->rss_anon),
            "rss_file", bytes_or_null(memory->rss_file), "rss_shmem", bytes_or_null(memory->rss_shmem),
            "hwm", bytes_or_null(memory->hwm));
        json_object_set_new(sample, "parts", parts_json(backend, record->part_bytes));
        json_object_set_new(sample, "parts_peak", parts_json(backend, record->part_bytes_peak));
        if (record->library_count > 0)
            json_object_set_new(sample, "library", library_json(record));
        json_array_append_new(phases, sample);
    }
    return phases;
}

/* The timeline: training samples and phase ends, in the order taken. */
static json_t *timeline_json(const mg_timeline *timeline)
{
    json_t *points = json_array();
    for (int index = 0; index < timeline->count; index++) {
        const mg_timeline_point *point = &timeline->points[index];
        json_array_append_new(points, json_pack("{s:s, s:b, s:I, s:f, s:o, s:o, s:o}",
            "phase", mg_phase_names[point->phase], "end", point->phase_end, "grams", (json_int_t)point->grams,
            "seconds", point->seconds, "requested", bytes_or_null(point->requested),
            "allocated", bytes_or_null(point->allocated), "rss", bytes_or_null(point->rss)));
    }
    return points;
}

static json_t *speed_json(const mg_speed *speed)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
        "train_ns_per_gram", real_or_null(speed->train_ns_per_gram),
        "finalize_seconds", real_or_null(speed->finalize_seconds),
        "lookup_hit_ns", real_or_null(speed->lookup_hit_ns),
        "lookup_miss_ns", real_or_null(speed->lookup_miss_ns),
        "successors_ns", real_or_null(speed->successors_ns),
        "successors_ns_per_successor", real_or_null(speed->successors_ns_per_successor),
        "generate_ns_per_token", real_or_null(speed->generate_ns_per_token),
        "lookup_hit_batch_ns", real_or_null(speed->lookup_hit_batch_ns),
        "lookup_miss_batch_ns", real_or_null(speed->lookup_miss_batch_ns));
}

/* Every round's figure of `run --repeat R` (one round without it), for check's U test. */
static json_t *speed_samples_json(const mg_speed_samples *samples)
{
    json_t *object = json_pack("{s:i}", "rounds", samples->rounds);
    for (int which = 0; which < MG_SAMPLED_COUNT; which++) {
        json_t *values = json_array();
        for (int round = 0; round < samples->rounds; round++)
            json_array_append_new(values, real_or_null(samples->values[which][round]));
        json_object_set_new(object, mg_sampled_speed_names[which], values);
    }
    return object;
}

/* Part by part at finalize, over baseline, per n-gram: what is measured and what the
 * backend's formula expects; and the part that held the most during training. */
static void derived_parts(const mg_backend *backend, const mg_run_result *result, json_t *derived)
{
    const mg_phase_result *base = &result->phases[MG_PHASE_BASELINE], *done = &result->phases[MG_PHASE_FINALIZE];
    const mg_phase_result *train = &result->phases[MG_PHASE_TRAIN];
    int finalized = (result->phases_done & (1 << MG_PHASE_FINALIZE)) && result->ngrams > 0;
    json_t *measured = json_object(), *estimated = json_object();
    int peak_tag = -1;
    double peak_bytes = 0;
    for (int tag = 0; tag < tag_count(backend); tag++) {
        const char *name = part_name(backend, tag);
        double over_base = (double)done->part_bytes[tag] - (double)base->part_bytes[tag];
        json_object_set_new(measured, name, real_or_null(finalized ? over_base / (double)result->ngrams : NAN));
        json_object_set_new(estimated, name, real_or_null(result->estimated_part_bytes_per_ngram[tag]));
        double train_peak = (double)train->part_bytes_peak[tag] - (double)base->part_bytes[tag];
        if (train_peak > peak_bytes)
            peak_tag = tag, peak_bytes = train_peak;
    }
    json_object_set_new(derived, "bytes_per_ngram_by_part", measured);
    json_object_set_new(derived, "estimated_bytes_per_ngram_by_part", estimated);
    int trained = (result->phases_done & (1 << MG_PHASE_TRAIN)) && peak_tag >= 0;
    json_object_set_new(derived, "training_peak_part", trained ? json_string(part_name(backend, peak_tag)) : json_null());
    json_object_set_new(derived, "training_peak_part_bytes", trained ? json_integer((json_int_t)peak_bytes) : json_null());
}

/* Per-n-gram figures and ratios: deltas over baseline at finalize. */
static json_t *derived_json(const mg_backend *backend, const mg_run_result *result)
{
    const mg_memory_sample *base = &result->phases[MG_PHASE_BASELINE].memory;
    const mg_memory_sample *done = &result->phases[MG_PHASE_FINALIZE].memory;
    double ngrams = (double)result->ngrams;
    int finalized = (result->phases_done & (1 << MG_PHASE_FINALIZE)) && result->ngrams > 0;
    double requested = NAN, allocated = NAN, active = NAN, resident = NAN, rss = NAN, peak = NAN;
    double rss_anon = NAN, rss_file = NAN, rss_shmem = NAN; /* rss by what backs its pages */
    if (finalized) {
        requested = layer_delta(done->requested, base->requested);
        allocated = layer_delta(done->allocated, base->allocated);
        active = layer_delta(done->active, base->active);
        resident = layer_delta(done->resident, base->resident);
        rss = layer_delta(done->rss, base->rss);
        rss_anon = layer_delta(done->rss_anon, base->rss_anon);
        rss_file = layer_delta(done->rss_file, base->rss_file);
        rss_shmem = layer_delta(done->rss_shmem, base->rss_shmem);
        uint64_t train_peak = result->phases[MG_PHASE_TRAIN].memory.hwm;
        uint64_t top = train_peak != MG_UNKNOWN && done->hwm != MG_UNKNOWN && done->hwm > train_peak ? done->hwm : train_peak;
        peak = layer_delta(top, base->rss);
    }
    json_t *derived = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
        "bytes_per_ngram_requested", real_or_null(ratio(requested, ngrams)),
        "bytes_per_ngram_allocated", real_or_null(ratio(allocated, ngrams)),
        "bytes_per_ngram_rss", real_or_null(ratio(rss, ngrams)),
        "bytes_per_ngram_rss_anon", real_or_null(ratio(rss_anon, ngrams)),
        "bytes_per_ngram_rss_file", real_or_null(ratio(rss_file, ngrams)),
        "bytes_per_ngram_rss_shmem", real_or_null(ratio(rss_shmem, ngrams)),
        "peak_bytes_per_ngram_rss", real_or_null(ratio(peak, ngrams)),
        "peak_final_ratio", real_or_null(ratio(peak, rss)),
        "fragmentation", real_or_null(layer_ratio(rss, allocated)),
        "allocator_frag_ratio", real_or_null(layer_ratio(active, allocated)),
        "allocator_rss_ratio", real_or_null(layer_ratio(resident, active)),
        "rss_overhead_ratio", real_or_null(layer_ratio(rss, resident)),
        "allocated_requested_ratio", real_or_null(layer_ratio(allocated, requested)),
        "estimated_bytes_per_ngram", real_or_null(result->estimated_bytes_per_ngram));
    derived_parts(backend, result, derived);
    return derived;
}

/* The cell and its status, the backend's layout version beside its name: a
 * backend this binary does not hold (a peer) has none, and the field is left out. */
static json_t *identity_json(const char *backend, const char *corpus, double fraction, int order,
                             const char *allocator, const char *status)
{
    const mg_backend *found = mg_backend_find(backend);
    json_t *layout_version = found ? json_integer(found->layout_version) : NULL; /* o*: NULL leaves it out */
    return json_pack("{s:s, s:s, s:s, s:o*, s:s, s:f, s:i, s:s}", "schema", MG_RUN_SCHEMA, "status", status,
                     "backend", backend, "backend_layout_version", layout_version, "corpus", corpus,
                     "fraction", fraction, "order", order, "allocator", allocator);
}

json_t *mg_result_json(const mg_run_options *options, const char *allocator_spec,
                       const mg_probe *probe, const mg_run_result *result)
{
    json_t *run = identity_json(options->backend->name, options->corpus_spec, options->fraction,
                                options->order, allocator_spec, result->status);
    char checksum[17];
    snprintf(checksum, sizeof checksum, "%016llx", (unsigned long long)result->checksum);
    if (options->settings && options->settings[0])
        json_object_set_new(run, "backend_settings", json_string(options->settings));
    json_object_set_new(run, "measured_process", json_string(MG_PROCESS_MEMGRAMS));
    json_object_set_new(run, "allocator_version", json_string(probe->allocator_version));
    json_object_set_new(run, "seed", json_integer((json_int_t)options->seed));
    json_object_set_new(run, "repeat", json_integer(options->repeat > 1 ? options->repeat : 1));
    json_object_set_new(run, "corpus_bytes", json_integer((json_int_t)result->corpus_bytes));
    json_object_set_new(run, "sentences", json_integer((json_int_t)result->sentences));
    json_object_set_new(run, "tokens", json_integer((json_int_t)result->tokens));
    json_object_set_new(run, "vocab", json_integer((json_int_t)result->vocab));
    json_object_set_new(run, "grams_added", json_integer((json_int_t)result->grams_added));
    json_object_set_new(run, "ngrams", json_integer((json_int_t)result->ngrams));
    json_object_set_new(run, "contexts", json_integer((json_int_t)result->contexts));
    json_object_set_new(run, "ngrams_after_prune", json_integer((json_int_t)result->ngrams_after_prune));
    json_object_set_new(run, "checksum", json_string(checksum));
    json_object_set_new(run, "phases", phases_json(options->backend, result));
    json_object_set_new(run, "timeline", timeline_json(&result->timeline));
    json_object_set_new(run, "speed", speed_json(&result->speed));
    if (result->speed_samples.rounds > 0)
        json_object_set_new(run, "speed_samples", speed_samples_json(&result->speed_samples));
    json_object_set_new(run, "derived", derived_json(options->backend, result));
    json_object_set_new(run, "queries", json_pack("{s:I, s:I, s:I}",
        "hit_samples", (json_int_t)result->hit_samples, "miss_samples", (json_int_t)result->miss_samples,
        "lookups_per_kind", (json_int_t)result->lookups_per_kind));
    if (strcmp(result->status, "ok") != 0)
        json_object_set_new(run, "message", json_string(result->message));
    json_t *env = mg_env_json(probe);
    json_object_set_new(env, "dependent_load_ns", real_or_null(result->dependent_load_ns));
    json_object_set_new(run, "env", env);
    return run;
}

json_t *mg_result_stub_json(const mg_cell *cell, uint64_t seed, uint64_t repeat, const char *status,
                            const char *message)
{
    json_t *run = identity_json(cell->backend, cell->corpus, cell->fraction, cell->order, cell->allocator, status);
    char settings[MG_SETTINGS_SIZE] = "";
    if (cell->settings)
        mg_cell_settings(cell, settings, sizeof settings);
    if (settings[0])
        json_object_set_new(run, "backend_settings", json_string(settings));
    json_object_set_new(run, "seed", json_integer((json_int_t)seed));
    json_object_set_new(run, "repeat", json_integer((json_int_t)repeat));
    json_object_set_new(run, "message", json_string(message));
    return run;
}

void mg_result_stamp(json_t *run, uint64_t seed, uint64_t repeat, uint64_t pass)
{
    if (!json_object_get(run, "seed"))
        json_object_set_new(run, "seed", json_integer((json_int_t)seed));
    if (!json_object_get(run, "repeat"))
        json_object_set_new(run, "repeat", json_integer((json_int_t)repeat));
    json_object_set_new(run, "pass", json_integer((json_int_t)pass));
}

/* ---- environment ------------------------------------------------------------ */

static json_t *jemalloc_config_json(const mg_probe *probe)
{
    json_t *config = json_object();
    static const char *const signed_options[] = {"opt.dirty_decay_ms", "opt.muzzy_decay_ms"};
    for (size_t index = 0; index < 2; index++) {
        ssize_t value = 0;
        size_t length = sizeof value;
        if (probe->mallctl(signed_options[index], &value, &length, NULL, 0) == 0)
            json_object_set_new(config, signed_options[index], json_integer(value));
    }
    unsigned arenas = 0;
    size_t length = sizeof arenas;
    if (probe->mallctl("opt.narenas", &arenas, &length, NULL, 0) == 0)
        json_object_set_new(config, "opt.narenas", json_integer(arenas));
    static const char *const flag_options[] = {"opt.background_thread", "background_thread"};
    for (size_t index = 0; index < 2; index++) {
        _Bool flag = 0;
        length = sizeof flag;
        if (probe->mallctl(flag_options[index], &flag, &length, NULL, 0) == 0)
            json_object_set_new(config, flag_options[index], json_boolean(flag));
    }
    const char *thp = NULL;
    length = sizeof thp;
    if (probe->mallctl("opt.thp", &thp, &length, NULL, 0) == 0 && thp)
        json_object_set_new(config, "opt.thp", json_string(thp));
    return config;
}

static void add_setting(void *config, const char *name, int64_t value)
{
    json_object_set_new(config, name, json_integer(value));
}

static json_t *allocator_config_json(const mg_probe *probe)
{
    json_t *config = probe->kind == MG_ALLOCATOR_JEMALLOC ? jemalloc_config_json(probe) : json_object();
    mg_probe_settings(probe, add_setting, config);
    static const char *const variables[] = {"MALLOC_CONF", "GLIBC_TUNABLES", "MALLOC_ARENA_MAX", "LD_PRELOAD"};
    for (size_t index = 0; index < sizeof variables / sizeof variables[0]; index++) {
        const char *value = getenv(variables[index]);
        json_object_set_new(config, variables[index], value ? json_string(value) : json_null());
    }
    for (char **variable = environ; *variable; variable++) { /* the ones mimalloc and tcmalloc read */
        size_t name_length = strcspn(*variable, "=");
        if ((strncmp(*variable, "MIMALLOC_", 9) == 0 || strncmp(*variable, "TCMALLOC_", 9) == 0) &&
            (*variable)[name_length] == '=')
            json_object_setn_new(config, *variable, name_length, json_string(*variable + name_length + 1));
    }
    json_object_set_new(config, "library", json_string(probe->allocator_library));
    return config;
}

json_t *mg_env_json(const mg_probe *probe)
{
    struct utsname system;
    char kernel[256] = "unknown", cpu[256], thp_enabled[128], thp_defrag[128];
    if (uname(&system) == 0)
        snprintf(kernel, sizeof kernel, "%s %s %s", system.sysname, system.release, system.machine);
    read_cpu_model(cpu, sizeof cpu);
    read_first_line("/sys/kernel/mm/transparent_hugepage/enabled", thp_enabled, sizeof thp_enabled);
    read_first_line("/sys/kernel/mm/transparent_hugepage/defrag", thp_defrag, sizeof thp_defrag);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:{s:s, s:s}, s:b, s:o}",
        "version", MG_VERSION, "git_commit", MG_GIT_COMMIT, "compiler", MG_COMPILER,
        "build", MG_BUILD_TYPE, "kernel", kernel, "cpu", cpu, "cpus", (json_int_t)sysconf(_SC_NPROCESSORS_ONLN),
        "transparent_hugepage", "enabled", thp_enabled, "defrag", thp_defrag,
        "peak_resettable", probe->peak_resettable,
        "allocator_config", allocator_config_json(probe));
}

int mg_result_text_valid(const char *text)
{
    json_t *string = json_string(text);
    json_decref(string);
    return string != NULL;
}

int mg_json_write_line(json_t *object, int fd)
{
    char *text = json_dumps(object, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text)
        return -1;
    size_t length = strlen(text);
    text[length] = '\n'; /* replaces the terminator: the line goes out in one write */
    int status = mg_append_whole(fd, text, length + 1);
    free(text);
    return status;
}
