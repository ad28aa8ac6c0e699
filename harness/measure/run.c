/* run.c — one measured run; see run.h. */
#include "run.h"
#include "generate.h"
#include "load_chase.h"
#include "mem.h"
#include "message.h"
#include "query_set.h"
#include "random.h"
#include "settings.h"
#include "statistics.h"
#include "tokenize.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack: no heap during a run */
#include <xxhash.h>

const char *const mg_phase_names[MG_PHASE_COUNT] = {
    "baseline", "train", "finalize", "prune", "purge", "destroy",
};

const char *const mg_sampled_speed_names[MG_SAMPLED_COUNT] = {
    "lookup_hit_ns", "lookup_miss_ns", "successors_ns", "generate_ns_per_token",
    "lookup_hit_batch_ns", "lookup_miss_batch_ns",
};

/* Query workload: sizes fixed so runs of any corpus are comparable. */
#define HIT_SAMPLES ((size_t)1 << 15)   /* grams reservoir-sampled during training */
#define LOOKUPS_PER_KIND 262144         /* timed count() calls for hits, and for misses */
#define SUCCESSOR_CALLS 16384           /* timed successors() calls at most */
#define GENERATE_DRAWS 20000            /* timed generation draws at most */
#define QUERY_BUDGET_SECONDS 0.25       /* no timed loop runs longer than this (make bench runs ~50 cells) */
#define CHASE_BYTES ((size_t)64 << 20)   /* the dependent load: a buffer far past the last-level cache */
#define CHASE_SECONDS 0.05               /* of walking it */

typedef struct run_context {
    const mg_run_options *options;
    mg_probe *probe;
    mg_run_result *result;
    mg_reader *reader;
    mg_generator *generator;
    mg_query_set queries;
    mg_table *table;
    double phase_started;
} run_context;

static double now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* CPU time of this thread, for the timed queries: time spent waiting for a
 * core on a busy machine is not the backend's and is not counted. The clock
 * is a system call, so the loops read it once per batch of calls. */
static double cpu_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* ---- phases ------------------------------------------------------------ */

static void phase_begin(run_context *run)
{
    mg_probe_reset_peak(run->probe);
    run->phase_started = now_seconds();
}

static int keep_library_figure(void *arg, const char *name, uint64_t value)
{
    mg_phase_result *record = arg;
    if (record->library_count == MG_LIBRARY_FIGURES_MAX)
        return 1;
    mg_library_figure *figure = &record->library[record->library_count++];
    snprintf(figure->name, sizeof figure->name, "%s", name);
    figure->value = value;
    return 0;
}

static void phase_end(run_context *run, enum mg_phase phase)
{
    mg_phase_result *record = &run->result->phases[phase];
    double now = now_seconds();
    record->seconds = now - run->phase_started;
    mg_probe_sample(run->probe, &record->memory);
    mg_mem_counters counters;
    mg_mem_read(&counters);
    memcpy(record->part_bytes, counters.part_bytes, sizeof record->part_bytes);
    memcpy(record->part_bytes_peak, counters.part_bytes_peak, sizeof record->part_bytes_peak);
    if (run->table && run->table->ops->library_figures)
        run->table->ops->library_figures(run->table, keep_library_figure, record);
    run->result->phases_done |= 1 << phase;
    if (phase == MG_PHASE_BASELINE)
        mg_timeline_start(&run->result->timeline, now);
    mg_timeline_add(&run->result->timeline, phase, 1, run->result->grams_added, now, &record->memory);
}

static void fail(run_context *run, const char *status, const char *message)
{
    run->result->status = status;
    snprintf(run->result->message, sizeof run->result->message, "%s", message);
}

/* ---- training ---------------------------------------------------------- */

/* What training's end says: MG_OK at the corpus's end, MG_ERR_NOMEM when
 * the reader ran out of memory, 1 for the input's fault. */
static int training_end(int more)
{
    return more == MG_READ_NO_MEMORY ? MG_ERR_NOMEM : more < 0 ? 1 : MG_OK;
}

/* Adds a batch of grams (the reader's: order tokens each, end to end); MG_OK,
 * or MG_ERR_NOMEM with *added those that went in. */
static int add_batch(mg_table *table, const mg_token *grams, size_t count, size_t *added)
{
    *added = 0;
    return count ? mg_table_add_many(table, grams, count, added) : MG_OK;
}

int mg_train(mg_table *table, mg_reader *reader)
{
    int more, status = MG_OK;
    do {
        const mg_token *grams;
        size_t count, added;
        more = mg_reader_next_batch(reader, MG_READER_BATCH, &grams, &count);
        status = add_batch(table, grams, count, &added);
    } while (more == 1 && status == MG_OK);
    return status != MG_OK ? MG_ERR_NOMEM : training_end(more);
}

/* Adds the batch in chunks that end where the timeline's next sample is
 * due, reservoir-sampling the grams added; MG_OK or MG_ERR_NOMEM. */
static int add_batch_sampling(run_context *run, const mg_token *batch, size_t count)
{
    mg_run_result *result = run->result;
    size_t order = (size_t)run->table->order;
    for (size_t done = 0; done < count;) {
        size_t chunk = count - done, added;
        uint64_t due = mg_timeline_grams_to_sample(&result->timeline, result->grams_added);
        if (due < chunk)
            chunk = (size_t)due;
        const mg_token *grams = &batch[done * order];
        int status = add_batch(run->table, grams, chunk, &added);
        mg_query_set_sample_run(&run->queries, grams, added);
        result->grams_added += added;
        mg_timeline_tick(&result->timeline, MG_PHASE_TRAIN, result->grams_added, run->probe);
        if (status != MG_OK)
            return MG_ERR_NOMEM;
        done += added;
    }
    return MG_OK;
}

/* The measured training loop: mg_train's, plus reservoir sampling of hits
 * and the timeline's samples. */
static int train_sampling(run_context *run)
{
    int more, status = MG_OK;
    do {
        const mg_token *grams;
        size_t count;
        more = mg_reader_next_batch(run->reader, MG_READER_BATCH, &grams, &count);
        status = add_batch_sampling(run, grams, count);
    } while (more == 1 && status == MG_OK);
    return status != MG_OK ? MG_ERR_NOMEM : training_end(more);
}

/* ---- checksum ---------------------------------------------------------- */

typedef struct checksum_state {
    int order;
    uint64_t sum;
} checksum_state;

static int checksum_visit(void *arg, const mg_token *gram, uint64_t count)
{
    checksum_state *state = arg;
    XXH3_state_t hash;
    XXH3_64bits_reset(&hash);
    for (int position = 0; position < state->order; position++) {
        const mg_token *token = &gram[position];
        unsigned char tag = mg_token_is_marker(token) ? (unsigned char)token->len : 2;
        XXH3_64bits_update(&hash, &tag, 1);
        if (!mg_token_is_marker(token)) {
            XXH3_64bits_update(&hash, &token->len, sizeof token->len);
            XXH3_64bits_update(&hash, token->bytes, token->len);
        }
    }
    XXH3_64bits_update(&hash, &count, sizeof count);
    state->sum += XXH3_64bits_digest(&hash); /* a sum: the visiting order does not matter */
    return 0;
}

uint64_t mg_table_checksum(mg_table *table)
{
    checksum_state state = {table->order, 0};
    table->ops->foreach(table, checksum_visit, &state);
    return state.sum;
}

/* ---- timed queries ------------------------------------------------------ */

/* One round of a timed section: at most calls calls or budget seconds; cursor
 * carries on where the last round stopped, so the rounds of a run together
 * do the workload of one run without repeats. */
typedef struct query_round {
    uint64_t calls;
    double budget_seconds;
    uint64_t *cursor;
} query_round;

/* Mean ns per count() over the grams, cycled; zero_counts gets the 0 answers. */
static double time_lookups(run_context *run, mg_token (*grams)[MG_ORDER_MAX], size_t gram_count,
                           query_round round, uint64_t *zero_counts)
{
    mg_table *table = run->table;
    if (gram_count == 0)
        return NAN;
    uint64_t zeros = 0, done = 0, next = *round.cursor;
    double started = cpu_seconds(), elapsed = 0;
    while (done < round.calls && elapsed < round.budget_seconds) {
        for (int batch = 0; batch < 1024; batch++, done++, next++)
            zeros += table->ops->count(table, grams[next % gram_count]) == 0;
        elapsed = cpu_seconds() - started;
    }
    *round.cursor = next;
    *zero_counts += zeros;
    return elapsed * 1e9 / (double)done;
}

/* Mean ns per gram of count_many over batches of MG_LOOKUP_BATCH consecutive
 * grams of the run (a batch stops at its end, never wraps); as time_lookups. */
static double time_batched_lookups(run_context *run, const mg_token *grams, size_t gram_count,
                                   query_round round, uint64_t *zero_counts)
{
    mg_table *table = run->table;
    if (gram_count == 0)
        return NAN;
    size_t order = (size_t)table->order;
    uint64_t counts[MG_LOOKUP_BATCH], zeros = 0, done = 0, next = *round.cursor;
    double started = cpu_seconds(), elapsed = 0;
    while (done < round.calls && elapsed < round.budget_seconds) {
        for (int batch = 0; batch < 16; batch++) {
            size_t first = next % gram_count;
            size_t size = gram_count - first < MG_LOOKUP_BATCH ? gram_count - first : MG_LOOKUP_BATCH;
            mg_table_count_many(table, grams + first * order, size, counts);
            for (size_t i = 0; i < size; i++)
                zeros += counts[i] == 0;
            done += size;
            next += size;
        }
        elapsed = cpu_seconds() - started;
    }
    *round.cursor = next;
    *zero_counts += zeros;
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

/* ns per successors() call this round; the time and the successors visited
 * also add up in *tally, for the figure per successor. */
static double time_successors(run_context *run, query_round round, mg_successor_tally *tally)
{
    const mg_query_set *queries = &run->queries;
    if (queries->hit_count == 0)
        return NAN;
    mg_successor_tally this_round = {0};
    uint64_t calls = 0;
    double started = cpu_seconds(), elapsed = 0;
    while (calls < round.calls && elapsed < round.budget_seconds) {
        for (int batch = 0; batch < 16 && calls < round.calls; batch++, calls++, ++*round.cursor)
            run->table->ops->successors(run->table, queries->hit_grams[*round.cursor % queries->hit_count],
                                        sum_counts, &this_round);
        elapsed = cpu_seconds() - started;
    }
    tally->counts += this_round.counts;
    tally->visited += this_round.visited;
    tally->seconds += elapsed;
    return this_round.counts ? elapsed * 1e9 / (double)calls : NAN;
}

static void count_word(void *arg, const mg_token *word, int end_of_sentence)
{
    (void)word;
    (void)end_of_sentence;
    ++*(uint64_t *)arg;
}

/* The cursor is the sentence number: every round generates new sentences. */
static double time_generation(run_context *run, query_round round)
{
    uint64_t draws = 0;
    double started = cpu_seconds(), elapsed = 0;
    while (draws < round.calls && elapsed < round.budget_seconds) {
        if (mg_generate_sentence(run->generator, run->table, (*round.cursor)++, count_word, &draws) < 0)
            return NAN;
        elapsed = cpu_seconds() - started;
    }
    return draws ? elapsed * 1e9 / (double)draws : NAN;
}

/* Rounds interleave the sections, so a burst of outside load lands on one
 * round of each rather than on every sample of one. */
static void time_rounds(run_context *run, uint64_t *lost_hits, mg_successor_tally *successors_tally)
{
    mg_query_set *queries = &run->queries;
    mg_speed_samples *samples = &run->result->speed_samples;
    int rounds = run->options->repeat > 1 ? run->options->repeat : 1;
    uint64_t cursors[MG_SAMPLED_COUNT] = {0}, found_misses = 0;
    double budget = QUERY_BUDGET_SECONDS / rounds;
    for (int round = 0; round < rounds; round++) {
        query_round hits = {(LOOKUPS_PER_KIND + rounds - 1) / rounds, budget, &cursors[MG_SAMPLED_LOOKUP_HIT]};
        query_round misses = {hits.calls, budget, &cursors[MG_SAMPLED_LOOKUP_MISS]};
        query_round successors = {(SUCCESSOR_CALLS + rounds - 1) / rounds, budget, &cursors[MG_SAMPLED_SUCCESSORS]};
        query_round generation = {(GENERATE_DRAWS + rounds - 1) / rounds, budget, &cursors[MG_SAMPLED_GENERATE]};
        samples->values[MG_SAMPLED_LOOKUP_HIT][round] =
            time_lookups(run, queries->hit_grams, queries->hit_count, hits, lost_hits);
        samples->values[MG_SAMPLED_LOOKUP_MISS][round] =
            time_lookups(run, queries->miss_grams, queries->miss_count, misses, &found_misses);
        query_round hit_batches = {hits.calls, budget, &cursors[MG_SAMPLED_LOOKUP_HIT_BATCH]};
        query_round miss_batches = {hits.calls, budget, &cursors[MG_SAMPLED_LOOKUP_MISS_BATCH]};
        samples->values[MG_SAMPLED_LOOKUP_HIT_BATCH][round] =
            time_batched_lookups(run, queries->hit_run, queries->hit_count, hit_batches, lost_hits);
        samples->values[MG_SAMPLED_LOOKUP_MISS_BATCH][round] =
            time_batched_lookups(run, queries->miss_run, queries->miss_count, miss_batches, &found_misses);
        samples->values[MG_SAMPLED_SUCCESSORS][round] = time_successors(run, successors, successors_tally);
        samples->values[MG_SAMPLED_GENERATE][round] = time_generation(run, generation);
    }
    samples->rounds = rounds;
}

/* The median of a section's rounds (a copy is sorted: the samples keep their order). */
static double median_of_rounds(const mg_speed_samples *samples, enum mg_sampled_speed which)
{
    double sorted[MG_REPEAT_MAX];
    memcpy(sorted, samples->values[which], (size_t)samples->rounds * sizeof sorted[0]);
    return mg_median_sort(sorted, (size_t)samples->rounds);
}

static void run_queries(run_context *run)
{
    mg_run_result *result = run->result;
    mg_query_set *queries = &run->queries;
    mg_query_set_prepare(queries, run->table);
    result->hit_samples = queries->hit_count;
    result->miss_samples = queries->miss_count;
    result->lookups_per_kind = LOOKUPS_PER_KIND;

    uint64_t lost_hits = 0;
    mg_successor_tally successors_tally = {0};
    time_rounds(run, &lost_hits, &successors_tally);
    if (lost_hits)
        fail(run, "error", "the backend answered 0 for n-grams it was trained on");
    const mg_speed_samples *samples = &result->speed_samples;
    result->speed.lookup_hit_ns = median_of_rounds(samples, MG_SAMPLED_LOOKUP_HIT);
    result->speed.lookup_miss_ns = median_of_rounds(samples, MG_SAMPLED_LOOKUP_MISS);
    result->speed.successors_ns = median_of_rounds(samples, MG_SAMPLED_SUCCESSORS);
    result->speed.successors_ns_per_successor = mg_successor_tally_ns(&successors_tally);
    result->speed.generate_ns_per_token = median_of_rounds(samples, MG_SAMPLED_GENERATE);
    result->speed.lookup_hit_batch_ns = median_of_rounds(samples, MG_SAMPLED_LOOKUP_HIT_BATCH);
    result->speed.lookup_miss_batch_ns = median_of_rounds(samples, MG_SAMPLED_LOOKUP_MISS_BATCH);
    mg_generator_release_pages(run->generator);
}

/* ---- the run ------------------------------------------------------------ */

static void set_speeds_unknown(mg_speed *speed)
{
    speed->train_ns_per_gram = speed->finalize_seconds = speed->lookup_hit_ns = NAN;
    speed->lookup_miss_ns = speed->successors_ns = speed->generate_ns_per_token = NAN;
    speed->successors_ns_per_successor = NAN;
    speed->lookup_hit_batch_ns = speed->lookup_miss_batch_ns = NAN;
}

/* The harness's buffers, mapped and touched before the baseline; 0, or -1
 * with the message (MG_OUT_OF_MEMORY first when memory failed). */
static int prepare(run_context *run, char *error, size_t error_size)
{
    const mg_run_options *options = run->options;
    run->reader = mg_reader_open(options->corpus.path, options->corpus.byte_limit, options->order,
                                 error, error_size);
    if (!run->reader)
        return -1;
    if (mg_query_set_map(&run->queries, HIT_SAMPLES, options->order, mg_mix64(options->seed)) != 0) {
        snprintf(error, error_size, MG_OUT_OF_MEMORY " mapping the query buffers");
        return -1;
    }
    mg_reader_prefault(run->reader);
    run->generator = mg_generator_create(options->seed);
    if (!run->generator) {
        snprintf(error, error_size, MG_OUT_OF_MEMORY " mapping the generator's buffers");
        return -1;
    }
    mg_generator_prefault(run->generator);
    return 0;
}

static void unprepare(run_context *run)
{
    mg_generator_destroy(run->generator);
    mg_query_set_unmap(&run->queries);
    mg_reader_close(run->reader);
}

/* train and finalize; returns 0 to go on to the queries. */
static int train_and_finalize(run_context *run)
{
    mg_run_result *result = run->result;

    phase_begin(run);
    run->table = mg_table_create(run->options->backend, run->options->order);
    int trained = run->table ? mg_settings_configure(run->table, run->options->settings) : MG_ERR_NOMEM;
    if (trained == MG_OK)
        trained = train_sampling(run);
    mg_reader_release_pages(run->reader);
    phase_end(run, MG_PHASE_TRAIN);
    const mg_reader_stats *stats = mg_reader_stats_get(run->reader);
    result->sentences = stats->sentences;
    result->tokens = stats->tokens;
    result->corpus_bytes = stats->bytes_read;
    if (result->grams_added)
        result->speed.train_ns_per_gram = result->phases[MG_PHASE_TRAIN].seconds * 1e9 / (double)result->grams_added;
    if (trained == MG_ERR_NOMEM) {
        const char *reader_error = mg_reader_error(run->reader);
        fail(run, "oom", !run->table ? MG_OUT_OF_MEMORY " creating the table"
                         : mg_is_out_of_memory(reader_error) ? reader_error : MG_OUT_OF_MEMORY " while training");
        return -1;
    }
    if (trained != MG_OK) {
        fail(run, "error", mg_reader_error(run->reader));
        result->input_error = 1;
        return -1;
    }

    phase_begin(run);
    int finalized = run->table->ops->finalize(run->table);
    int finalize_errno = errno; /* MG_ERR_IO's cause, before the probes touch errno */
    phase_end(run, MG_PHASE_FINALIZE);
    result->speed.finalize_seconds = result->phases[MG_PHASE_FINALIZE].seconds;
    if (finalized == MG_ERR_IO) {
        char message[sizeof result->message];
        snprintf(message, sizeof message, "finalize could not write or map the table's image file "
                 "(made in $TMPDIR, else /var/tmp): %s", strerror(finalize_errno));
        fail(run, "error", message);
        return -1;
    }
    if (finalized != MG_OK) {
        fail(run, "oom", MG_OUT_OF_MEMORY " while finalizing");
        return -1;
    }
    run->table->ops->sizes(run->table, &result->ngrams, &result->contexts);
    return 0;
}

static void prune_purge_destroy(run_context *run, int trained)
{
    mg_table *table = run->table;
    mg_run_result *result = run->result;
    if (trained) {
        phase_begin(run);
        result->pruned = table->ops->prune(table, MG_PRUNE_MIN_COUNT);
        phase_end(run, MG_PHASE_PRUNE);
        uint64_t contexts_after_prune;
        table->ops->sizes(table, &result->ngrams_after_prune, &contexts_after_prune);
    }
    phase_begin(run);
    mg_probe_purge(run->probe);
    phase_end(run, MG_PHASE_PURGE);

    phase_begin(run);
    if (table)
        table->ops->destroy(table);
    run->table = NULL;
    phase_end(run, MG_PHASE_DESTROY);
    uint64_t left = result->phases[MG_PHASE_DESTROY].memory.requested -
                    result->phases[MG_PHASE_BASELINE].memory.requested;
    if (left && strcmp(result->status, "ok") == 0) {
        char message[128];
        snprintf(message, sizeof message, "the backend leaked %llu bytes", (unsigned long long)left);
        fail(run, "error", message);
    }
}

/* ---- after the measurement: vocabulary and estimate --------------------- */

typedef struct word_set {
    XXH128_hash_t *slots; /* 128-bit hashes: a collision among distinct words is ~2^-100 */
    size_t capacity, used;
} word_set;

static int word_set_add(word_set *set, const mg_token *word)
{
    if ((set->used + 1) * 4 > set->capacity * 3) {
        word_set grown = {calloc(set->capacity * 2, sizeof(XXH128_hash_t)), set->capacity * 2, 0};
        if (!grown.slots)
            return -1;
        for (size_t slot = 0; slot < set->capacity; slot++)
            if (set->slots[slot].low64 | set->slots[slot].high64) {
                size_t probe = set->slots[slot].low64 & (grown.capacity - 1);
                while (grown.slots[probe].low64 | grown.slots[probe].high64)
                    probe = (probe + 1) & (grown.capacity - 1);
                grown.slots[probe] = set->slots[slot];
                grown.used++;
            }
        free(set->slots);
        *set = grown;
    }
    XXH128_hash_t hash = XXH3_128bits(word->bytes, word->len);
    hash.high64 |= 1; /* never all zero: zero marks an empty slot */
    size_t probe = hash.low64 & (set->capacity - 1);
    for (; set->slots[probe].low64 | set->slots[probe].high64; probe = (probe + 1) & (set->capacity - 1))
        if (XXH128_isEqual(set->slots[probe], hash))
            return 0;
    set->slots[probe] = hash;
    set->used++;
    return 1;
}

int mg_count_vocabulary(const mg_run_options *options, uint64_t *vocab, uint64_t *vocab_bytes)
{
    char error[256];
    mg_reader *reader = mg_reader_open(options->corpus.path, options->corpus.byte_limit, 1, error, sizeof error);
    word_set set = {calloc(1024, sizeof(XXH128_hash_t)), 1024, 0};
    int status = reader && set.slots ? 0 : -1;
    const mg_token *gram;
    int more = 0;
    *vocab = *vocab_bytes = 0;
    while (status == 0 && (more = mg_reader_next(reader, &gram)) == 1) {
        if (mg_token_is_marker(gram))
            continue;
        int added = word_set_add(&set, gram);
        if (added < 0)
            status = -1;
        else if (added)
            *vocab_bytes += gram->len;
    }
    *vocab = set.used;
    free(set.slots);
    mg_reader_close(reader);
    return status == 0 && more == 0 ? 0 : -1;
}

/* The backend's estimate for this shape: part by part where it gives one (the whole is their sum). */
static void estimate(const mg_backend *backend, const mg_table_shape *shape, mg_run_result *result)
{
    double by_part[MG_PARTS_MAX - 1];
    result->estimated_bytes_per_ngram = mg_backend_estimate(backend, shape, by_part);
    if (!backend->estimate_parts || backend->part_count == 0 || backend->part_count >= MG_PARTS_MAX)
        return;
    result->estimated_part_bytes_per_ngram[MG_PART_OTHER] = 0;
    for (size_t index = 0; index < backend->part_count; index++)
        result->estimated_part_bytes_per_ngram[index + 1] = by_part[index];
}

double mg_dependent_load_ns(uint64_t seed)
{
    return mg_load_chase_ns(CHASE_BYTES, mg_mix64(seed), CHASE_SECONDS);
}

int mg_run(const mg_run_options *options, mg_probe *probe, mg_run_result *result)
{
    memset(result, 0, sizeof *result);
    result->status = "ok";
    set_speeds_unknown(&result->speed);
    result->estimated_bytes_per_ngram = NAN;
    for (int tag = 0; tag < MG_PARTS_MAX; tag++)
        result->estimated_part_bytes_per_ngram[tag] = NAN;
    run_context run = {.options = options, .probe = probe, .result = result};
    result->dependent_load_ns = mg_dependent_load_ns(options->seed);

    phase_begin(&run);
    if (prepare(&run, result->message, sizeof result->message) != 0) {
        unprepare(&run);
        if (!mg_is_out_of_memory(result->message))
            return -1;
        result->status = "oom"; /* a resource, not the input: measured as far as it went (nothing) */
        return 0;
    }
    phase_end(&run, MG_PHASE_BASELINE);

    int trained = train_and_finalize(&run) == 0;
    if (trained) {
        result->checksum = mg_table_checksum(run.table);
        run_queries(&run);
    }
    prune_purge_destroy(&run, trained);

    unprepare(&run);
    if (mg_count_vocabulary(options, &result->vocab, &result->vocab_bytes) == 0 && result->ngrams) {
        mg_table_shape shape = {options->order, result->ngrams, result->contexts, result->vocab, result->vocab_bytes};
        estimate(options->backend, &shape, result);
    }
    return result->input_error ? -1 : 0;
}
