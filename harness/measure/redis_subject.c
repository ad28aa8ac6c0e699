/* redis_subject.c — see redis_subject.h. */
#include "redis_subject.h"
#include "cell.h"
#include "generate.h"
#include "message.h"
#include "query_set.h"
#include "random.h"
#include "redis_server.h"
#include "redis_table.h"
#include "results.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_FAILED = 1, EXIT_USAGE = 2 };

/* Query workload: every call is a round trip, so fewer than run.c's. */
#define HIT_SAMPLES 4096
#define LOOKUPS_PER_KIND 65536
#define SUCCESSOR_CALLS 4096
#define GENERATE_DRAWS 20000
#define QUERY_BUDGET_SECONDS 0.25

typedef struct server_settings {
    char normal[MG_SETTINGS_SIZE];                          /* as the run object records them */
    char words[2 * MG_REDIS_SETTING_COUNT + 1][64];        /* "--name", "value", ... */
    const char *argv[2 * MG_REDIS_SETTING_COUNT + 1];
} server_settings;

typedef struct subject_run {
    const mg_run_options *options;
    mg_run_result *result;
    mg_redis_server server;
    mg_table *table;
    mg_reader *reader;
    mg_generator *generator;
    mg_query_set queries;
    mg_redis_figures figures[MG_PHASE_COUNT];
    double phase_started;
} subject_run;

/* ---- settings --------------------------------------------------------------- */

/* spec's settings (settings.h, redis's list) as the server's argument words. */
static int parse_settings(const char *spec, server_settings *settings, char *error, size_t error_size)
{
    mg_setting_list list = mg_redis_setting_list();
    mg_setting_values values = {{0}, {0}};
    int count = 0;
    if (mg_spec_settings(spec, settings->normal, sizeof settings->normal, error, error_size) != 0)
        return -1;
    if (settings->normal[0])
        mg_settings_parse(&list, settings->normal, &values, error, error_size);
    for (int index = 0; index < MG_REDIS_SETTING_COUNT; index++)
        if (values.given[index]) {
            snprintf(settings->words[count], sizeof settings->words[0], "--%s", mg_redis_settings[index].name);
            snprintf(settings->words[count + 1], sizeof settings->words[0], "%lld", values.values[index]);
            count += 2;
        }
    for (int index = 0; index < count; index++)
        settings->argv[index] = settings->words[index];
    settings->argv[count] = NULL;
    return 0;
}

/* ---- phases --------------------------------------------------------------------- */

static double now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

static void phase_begin(subject_run *run)
{
    mg_redis_server_reset_peak(&run->server);
    run->phase_started = now_seconds();
}

static void add_figure(mg_phase_result *record, const char *name, uint64_t value, double ratio, int is_ratio)
{
    if (record->library_count == MG_LIBRARY_FIGURES_MAX)
        return;
    mg_library_figure *figure = &record->library[record->library_count++];
    snprintf(figure->name, sizeof figure->name, "redis.%s", name);
    figure->value = value;
    figure->ratio = ratio >= 0 ? ratio : NAN;
    figure->is_ratio = is_ratio;
}

static void keep_figures(mg_phase_result *record, const mg_redis_figures *figures)
{
    record->library_count = 0;
    add_figure(record, "used_memory", figures->used_memory, 0, 0);
    add_figure(record, "used_memory_dataset", figures->used_memory_dataset, 0, 0);
    add_figure(record, "used_memory_overhead", figures->used_memory_overhead, 0, 0);
    add_figure(record, "allocator_allocated", figures->allocator_allocated, 0, 0);
    add_figure(record, "used_memory_rss", figures->used_memory_rss, 0, 0);
    add_figure(record, "mem_fragmentation_ratio", 0, figures->mem_fragmentation_ratio, 1);
    add_figure(record, "allocator_frag_ratio", 0, figures->allocator_frag_ratio, 1);
    add_figure(record, "allocator_rss_ratio", 0, figures->allocator_rss_ratio, 1);
}

/* 0, or -1 when the server no longer answers (the run's status says so). */
static int phase_end(subject_run *run, enum mg_phase phase)
{
    mg_phase_result *record = &run->result->phases[phase];
    double now = now_seconds();
    record->seconds = now - run->phase_started;
    if (mg_redis_server_figures(&run->server, &run->figures[phase]) != 0)
        return -1;
    mg_redis_server_sample(&run->server, &run->figures[phase], &record->memory);
    keep_figures(record, &run->figures[phase]);
    if (run->figures[phase].parts_known)
        memcpy(record->part_bytes, run->figures[phase].parts, sizeof run->figures[phase].parts);
    run->result->phases_done |= 1 << phase;
    if (phase == MG_PHASE_BASELINE)
        mg_timeline_start(&run->result->timeline, now);
    mg_timeline_add(&run->result->timeline, phase, 1, run->result->grams_added, now, &record->memory);
    return 0;
}

static void fail(subject_run *run, const char *status, const char *message)
{
    if (strcmp(run->result->status, "ok") != 0)
        return;
    run->result->status = status;
    snprintf(run->result->message, sizeof run->result->message, "%s", message);
}

/* ---- training --------------------------------------------------------------------- */

static int train(subject_run *run)
{
    const mg_token *gram;
    int more;
    while ((more = mg_reader_next(run->reader, &gram)) == 1) {
        if (run->table->ops->add(run->table, gram) != MG_OK)
            return -1;
        run->result->grams_added++;
        mg_query_set_sample(&run->queries, gram);
    }
    if (more < 0) {
        fail(run, "error", mg_reader_error(run->reader));
        run->result->input_error = more != MG_READ_NO_MEMORY;
        return -1;
    }
    return mg_redis_table_flush(run->table) == MG_OK ? 0 : -1;
}

static int train_and_finalize(subject_run *run)
{
    mg_run_result *result = run->result;
    phase_begin(run);
    run->table = mg_redis_table_create(&run->server, run->options->order);
    int trained = run->table ? train(run) : -1;
    if (phase_end(run, MG_PHASE_TRAIN) != 0 || trained != 0) {
        fail(run, "error", run->table && *mg_redis_table_error(run->table) ? mg_redis_table_error(run->table)
                                                                           : "redis-server stopped answering");
        return -1;
    }
    const mg_reader_stats *stats = mg_reader_stats_get(run->reader);
    result->sentences = stats->sentences;
    result->tokens = stats->tokens;
    result->corpus_bytes = stats->bytes_read;
    if (result->grams_added)
        result->speed.train_ns_per_gram = result->phases[MG_PHASE_TRAIN].seconds * 1e9 / (double)result->grams_added;
    phase_begin(run); /* nothing to finalize: every HINCRBY was answered in training */
    if (phase_end(run, MG_PHASE_FINALIZE) != 0)
        return -1;
    result->speed.finalize_seconds = result->phases[MG_PHASE_FINALIZE].seconds;
    run->table->ops->sizes(run->table, &result->ngrams, &result->contexts);
    return 0;
}

/* ---- timed queries: wall time per call, the socket's round trip included ------------ */

static double time_lookups(subject_run *run, mg_token (*grams)[MG_ORDER_MAX], size_t gram_count, uint64_t *zeros)
{
    if (gram_count == 0)
        return NAN;
    uint64_t done = 0;
    double started = now_seconds(), elapsed = 0;
    while (done < LOOKUPS_PER_KIND && elapsed < QUERY_BUDGET_SECONDS) {
        for (int batch = 0; batch < 64; batch++, done++)
            *zeros += run->table->ops->count(run->table, grams[done % gram_count]) == 0;
        elapsed = now_seconds() - started;
    }
    return elapsed * 1e9 / (double)done;
}

static int sum_counts(void *arg, const mg_token *next, uint64_t count)
{
    (void)next;
    mg_successor_tally *tally = arg;
    tally->counts += count;
    tally->visited++;
    return 0;
}

/* ns per successors() call; the successors visited and the time in *tally. */
static double time_successors(subject_run *run, mg_successor_tally *tally)
{
    const mg_query_set *queries = &run->queries;
    if (queries->hit_count == 0)
        return NAN;
    uint64_t calls = 0;
    double started = now_seconds(), elapsed = 0;
    while (calls < SUCCESSOR_CALLS && elapsed < QUERY_BUDGET_SECONDS) {
        run->table->ops->successors(run->table, queries->hit_grams[calls % queries->hit_count], sum_counts, tally);
        calls++;
        elapsed = now_seconds() - started;
    }
    tally->seconds = elapsed;
    return tally->counts ? elapsed * 1e9 / (double)calls : NAN;
}

static void count_word(void *arg, const mg_token *word, int end_of_sentence)
{
    (void)word;
    (void)end_of_sentence;
    ++*(uint64_t *)arg;
}

static double time_generation(subject_run *run)
{
    uint64_t draws = 0, sentence = 0;
    double started = now_seconds(), elapsed = 0;
    while (draws < GENERATE_DRAWS && elapsed < QUERY_BUDGET_SECONDS) {
        if (mg_generate_sentence(run->generator, run->table, sentence++, count_word, &draws) < 0)
            return NAN;
        elapsed = now_seconds() - started;
    }
    return draws ? elapsed * 1e9 / (double)draws : NAN;
}

static void run_queries(subject_run *run)
{
    mg_run_result *result = run->result;
    mg_query_set_prepare(&run->queries, run->table);
    result->hit_samples = run->queries.hit_count;
    result->miss_samples = run->queries.miss_count;
    result->lookups_per_kind = LOOKUPS_PER_KIND;
    uint64_t lost_hits = 0, found_misses = 0;
    mg_speed *speed = &result->speed;
    speed->lookup_hit_ns = time_lookups(run, run->queries.hit_grams, run->queries.hit_count, &lost_hits);
    speed->lookup_miss_ns = time_lookups(run, run->queries.miss_grams, run->queries.miss_count, &found_misses);
    mg_successor_tally successors_tally = {0};
    speed->successors_ns = time_successors(run, &successors_tally);
    speed->successors_ns_per_successor = mg_successor_tally_ns(&successors_tally);
    speed->generate_ns_per_token = time_generation(run);
    mg_speed_samples *samples = &result->speed_samples;
    samples->rounds = 1;
    samples->values[MG_SAMPLED_LOOKUP_HIT][0] = speed->lookup_hit_ns;
    samples->values[MG_SAMPLED_LOOKUP_MISS][0] = speed->lookup_miss_ns;
    samples->values[MG_SAMPLED_SUCCESSORS][0] = speed->successors_ns;
    samples->values[MG_SAMPLED_GENERATE][0] = speed->generate_ns_per_token;
    samples->values[MG_SAMPLED_LOOKUP_HIT_BATCH][0] = NAN; /* a server's lookups are one round trip each */
    samples->values[MG_SAMPLED_LOOKUP_MISS_BATCH][0] = NAN;
    if (lost_hits)
        fail(run, "error", "redis-server answered 0 for n-grams it was trained on");
}

/* ---- prune, purge, destroy ------------------------------------------------------------ */

static void prune_purge_destroy(subject_run *run, int trained)
{
    mg_run_result *result = run->result;
    if (trained) {
        phase_begin(run);
        result->pruned = run->table->ops->prune(run->table, MG_PRUNE_MIN_COUNT);
        if (phase_end(run, MG_PHASE_PRUNE) != 0 || *mg_redis_table_error(run->table))
            fail(run, "error", mg_redis_table_error(run->table));
        uint64_t contexts_after_prune;
        run->table->ops->sizes(run->table, &result->ngrams_after_prune, &contexts_after_prune);
    }
    phase_begin(run);
    const char *purge[] = {"MEMORY", "PURGE"};
    freeReplyObject(mg_redis_command(&run->server, 2, purge, NULL));
    phase_end(run, MG_PHASE_PURGE);
    phase_begin(run);
    if (run->table)
        run->table->ops->destroy(run->table); /* FLUSHALL */
    run->table = NULL;
    phase_end(run, MG_PHASE_DESTROY);
}

/* ---- the run ------------------------------------------------------------------------- */

static int prepare(subject_run *run, char *error, size_t error_size)
{
    const mg_run_options *options = run->options;
    run->reader = mg_reader_open(options->corpus.path, options->corpus.byte_limit, options->order, error,
                                 error_size);
    if (!run->reader)
        return -1;
    run->generator = mg_generator_create(options->seed);
    if (mg_query_set_map(&run->queries, HIT_SAMPLES, options->order, mg_mix64(options->seed)) != 0 ||
        !run->generator) {
        snprintf(error, error_size, MG_OUT_OF_MEMORY " mapping the query buffers");
        return -1;
    }
    return 0;
}

static void unprepare(subject_run *run)
{
    mg_generator_destroy(run->generator);
    mg_query_set_unmap(&run->queries);
    mg_reader_close(run->reader);
}

static void measure(subject_run *run)
{
    mg_run_result *result = run->result;
    result->dependent_load_ns = mg_dependent_load_ns(run->options->seed);
    phase_begin(run);
    if (phase_end(run, MG_PHASE_BASELINE) != 0) {
        fail(run, "error", "redis-server did not answer INFO");
        return;
    }
    int trained = train_and_finalize(run) == 0;
    if (trained) {
        result->checksum = mg_table_checksum(run->table);
        run_queries(run);
    }
    prune_purge_destroy(run, trained);
}

/* An INFO section's "name:value" as a JSON string into env, where the server tells it. */
static void keep_info_text(mg_redis_server *server, const char *section, const char *name, json_t *env,
                           const char *key)
{
    const char *info[] = {"INFO", section};
    char needle[64];
    snprintf(needle, sizeof needle, "%s:", name);
    redisReply *reply = mg_redis_command(server, 2, info, NULL);
    const char *value = reply && reply->type == REDIS_REPLY_STRING ? strstr(reply->str, needle) : NULL;
    if (value) {
        value += strlen(needle);
        json_object_set_new(env, key, json_stringn(value, strcspn(value, "\r\n")));
    }
    freeReplyObject(reply);
}

/* The server's version, its allocator and the encoding thresholds in effect (CONFIG GET). */
static json_t *server_env(mg_redis_server *server)
{
    json_t *env = json_object();
    keep_info_text(server, "server", "redis_version", env, "version");
    keep_info_text(server, "memory", "mem_allocator", env, "mem_allocator");
    redisReply *reply;
    for (size_t index = 0; index < MG_REDIS_SETTING_COUNT; index++) {
        const char *words[] = {"CONFIG", "GET", mg_redis_settings[index].name};
        reply = mg_redis_command(server, 3, words, NULL);
        if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2)
            json_object_set_new(env, mg_redis_settings[index].name, json_integer(strtoll(reply->element[1]->str, NULL, 10)));
        freeReplyObject(reply);
    }
    return env;
}

/* The parts as the server told them: none in a phase whose MEMORY STATS did not add up, and no
 * parts_peak (the server keeps no peak per part); no by-part figures without baseline and finalize parts. */
static void keep_told_parts(json_t *object, const subject_run *run)
{
    json_t *phases = json_object_get(object, "phases"), *phase;
    size_t index;
    int known = 1;
    json_array_foreach(phases, index, phase) {
        json_object_del(phase, "parts_peak");
        const char *name = json_string_value(json_object_get(phase, "name"));
        for (int which = 0; name && which < MG_PHASE_COUNT; which++)
            if (strcmp(name, mg_phase_names[which]) == 0 && !run->figures[which].parts_known) {
                json_object_del(phase, "parts");
                known &= which != MG_PHASE_BASELINE && which != MG_PHASE_FINALIZE;
            }
    }
    json_t *by_part = json_object_get(json_object_get(object, "derived"), "bytes_per_ngram_by_part"), *value;
    const char *part;
    json_object_foreach(by_part, part, value)
        if (!known)
            json_object_set_new(by_part, part, json_null());
}

/* What the run object adds to a backend's: the server's CPU per gram, how the queries were timed, the server. */
static void add_server_fields(json_t *object, const char *settings, const subject_run *run, json_t *env)
{
    const mg_run_result *result = run->result;
    json_object_set_new(object, "backend", json_string(MG_REDIS_SUBJECT));
    if (settings[0])
        json_object_set_new(object, "backend_settings", json_string(settings));
    json_object_set_new(object, "measured_process", json_string(MG_PROCESS_REDIS));
    double cpu = run->figures[MG_PHASE_TRAIN].cpu_seconds - run->figures[MG_PHASE_BASELINE].cpu_seconds;
    json_t *speed = json_object_get(object, "speed");
    json_object_set_new(speed, "train_server_cpu_ns_per_gram",
                        result->grams_added && (result->phases_done & (1 << MG_PHASE_TRAIN)) && cpu >= 0
                            ? json_real(cpu * 1e9 / (double)result->grams_added) : json_null());
    json_object_set_new(json_object_get(object, "queries"), "timing",
                        json_string("wall time per call through the Unix socket, round trip included"));
    json_t *server_allocator = json_object_get(env, "mem_allocator");
    if (server_allocator) /* the server's allocator is its build's: the cell's allocator does not reach it */
        json_object_set_new(object, "allocator_version", json_incref(server_allocator));
    json_object_set_new(json_object_get(object, "env"), "redis", env);
}

static int print_run(const char *settings, subject_run *run, const char *allocator_text, json_t *env)
{
    mg_probe probe;
    mg_probe_init(&probe);
    mg_run_options options = *run->options;
    options.backend = &mg_redis_client;
    json_t *object = mg_result_json(&options, allocator_text, &probe, run->result);
    add_server_fields(object, settings, run, env);
    keep_told_parts(object, run);
    int written = mg_json_write_line(object, STDOUT_FILENO);
    int write_error = errno;
    json_decref(object);
    if (written != 0) {
        fprintf(stderr, "memgrams run: cannot write the run object: %s\n", strerror(write_error));
        return EXIT_FAILED;
    }
    return strcmp(run->result->status, "ok") == 0 ? 0 : EXIT_FAILED;
}

static void start_result(mg_run_result *result)
{
    memset(result, 0, sizeof *result);
    result->status = "ok";
    mg_speed *speed = &result->speed;
    speed->train_ns_per_gram = speed->finalize_seconds = speed->lookup_hit_ns = NAN;
    speed->lookup_miss_ns = speed->successors_ns = speed->generate_ns_per_token = NAN;
    speed->successors_ns_per_successor = NAN;
    speed->lookup_hit_batch_ns = speed->lookup_miss_batch_ns = NAN;
    result->estimated_bytes_per_ngram = result->dependent_load_ns = NAN;
    for (int tag = 0; tag < MG_PARTS_MAX; tag++)
        result->estimated_part_bytes_per_ngram[tag] = NAN; /* no formula per part: Redis's own split */
}

int mg_redis_run_command(const char *spec, const mg_run_options *options, const char *allocator_text)
{
    char error[512];
    server_settings settings;
    if (parse_settings(spec, &settings, error, sizeof error) != 0)
        return mg_fail("run", EXIT_USAGE, error);
    static mg_run_result result; /* large; kept off the stack */
    start_result(&result);
    subject_run run = {.options = options, .result = &result};
    if (prepare(&run, error, sizeof error) != 0) {
        unprepare(&run);
        return mg_fail("run", mg_is_out_of_memory(error) ? EXIT_FAILED : EXIT_USAGE, error);
    }
    if (mg_redis_server_start(&run.server, settings.argv, error, sizeof error) != 0) {
        unprepare(&run);
        return mg_fail("run", EXIT_FAILED, error);
    }
    fprintf(stderr, "memgrams run: redis-server pid %ld\n", (long)run.server.pid);
    json_t *env = server_env(&run.server);
    measure(&run);
    if (run.table)
        run.table->ops->destroy(run.table);
    mg_redis_server_stop(&run.server);
    unprepare(&run);
    if (result.input_error) {
        json_decref(env);
        return mg_fail("run", EXIT_USAGE, result.message);
    }
    mg_count_vocabulary(options, &result.vocab, &result.vocab_bytes);
    return print_run(settings.normal, &run, allocator_text, env);
}

/* ---- a table for dump and generate -------------------------------------------------------- */

mg_table *mg_redis_table_open(const char *spec, int order, mg_redis_server *server, int *status, char *error,
                              size_t error_size)
{
    server_settings settings;
    *status = EXIT_USAGE;
    if (parse_settings(spec, &settings, error, error_size) != 0)
        return NULL;
    *status = EXIT_FAILED;
    if (mg_redis_server_start(server, settings.argv, error, error_size) != 0)
        return NULL;
    mg_table *table = mg_redis_table_create(server, order);
    if (!table) {
        mg_redis_server_stop(server);
        snprintf(error, error_size, MG_OUT_OF_MEMORY " making the redis table");
        return NULL;
    }
    *status = 0;
    return table;
}

void mg_redis_table_close(mg_table *table, mg_redis_server *server)
{
    if (table)
        table->ops->destroy(table);
    mg_redis_server_stop(server);
}
