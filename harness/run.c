/* run.c — one measured run; see run.h. */
#include "run.h"
#include "generate.h"
#include "mapping.h"
#include "mem.h"
#include "random.h"
#include "tokenize.h"

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

/* Query workload: sizes fixed so runs of any corpus are comparable. */
#define HIT_SAMPLES ((size_t)1 << 15)   /* grams reservoir-sampled during training */
#define LOOKUPS_PER_KIND 262144         /* timed count() calls for hits, and for misses */
#define SUCCESSOR_CALLS 16384           /* timed successors() calls at most */
#define GENERATE_DRAWS 20000            /* timed generation draws at most */
#define QUERY_BUDGET_SECONDS 0.5        /* no timed loop runs longer than this */

/* A gram copied out of the stream: word lengths, or MARKER_LENGTH + marker kind. */
#define MARKER_LENGTH 0xFFFFFFF0u
#define RECORD_BYTES 108
typedef struct gram_record {
    uint32_t lengths[MG_ORDER_MAX];
    unsigned char bytes[RECORD_BYTES];
} gram_record;

/* Buffers for the queries; mapped and touched before the baseline. */
typedef struct query_set {
    gram_record *hits, *misses;
    mg_token (*hit_grams)[MG_ORDER_MAX], (*miss_grams)[MG_ORDER_MAX];
    size_t hit_count, miss_count;
    uint64_t grams_seen; /* reservoir position */
    uint64_t random_state;
} query_set;

typedef struct run_context {
    const mg_run_options *options;
    mg_probe *probe;
    mg_run_result *result;
    mg_reader *reader;
    mg_generator *generator;
    query_set queries;
    void *table;
    double phase_started;
} run_context;

static double now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* ---- phases ------------------------------------------------------------ */

static void phase_begin(run_context *run)
{
    mg_probe_reset_peak(run->probe);
    run->phase_started = now_seconds();
}

static void phase_end(run_context *run, enum mg_phase phase)
{
    mg_phase_result *record = &run->result->phases[phase];
    double now = now_seconds();
    record->seconds = now - run->phase_started;
    mg_probe_sample(run->probe, &record->memory);
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

/* ---- gram records ------------------------------------------------------ */

/* Copies gram into record; 0 when its words do not fit (it is then not sampled). */
static int record_store(gram_record *record, const mg_token *gram, int order)
{
    size_t used = 0;
    for (int position = 0; position < order; position++)
        if (!mg_token_is_marker(&gram[position]))
            used += gram[position].len;
    if (used > RECORD_BYTES)
        return 0;
    used = 0;
    for (int position = 0; position < order; position++) {
        const mg_token *token = &gram[position];
        if (mg_token_is_marker(token)) {
            record->lengths[position] = MARKER_LENGTH + token->len;
            continue;
        }
        record->lengths[position] = token->len;
        memcpy(record->bytes + used, token->bytes, token->len);
        used += token->len;
    }
    return 1;
}

static void record_tokens(const gram_record *record, int order, mg_token *gram)
{
    size_t used = 0;
    for (int position = 0; position < order; position++) {
        uint32_t length = record->lengths[position];
        if (length >= MARKER_LENGTH) {
            gram[position] = (mg_token){NULL, length - MARKER_LENGTH};
            continue;
        }
        gram[position] = (mg_token){record->bytes + used, length};
        used += length;
    }
}

/* ---- query buffers ------------------------------------------------------ */

static size_t query_bytes(void)
{
    return HIT_SAMPLES * (2 * sizeof(gram_record) + 2 * sizeof(mg_token[MG_ORDER_MAX]));
}

static int queries_map(query_set *queries, uint64_t seed)
{
    unsigned char *block = mg_map(query_bytes());
    if (!block)
        return -1;
    memset(block, 0, query_bytes()); /* resident before the baseline */
    queries->hits = (gram_record *)block;
    queries->misses = queries->hits + HIT_SAMPLES;
    queries->hit_grams = (mg_token(*)[MG_ORDER_MAX])(queries->misses + HIT_SAMPLES);
    queries->miss_grams = queries->hit_grams + HIT_SAMPLES;
    queries->random_state = seed;
    return 0;
}

static void queries_unmap(query_set *queries)
{
    mg_unmap(queries->hits, query_bytes());
}

/* Reservoir sampling (Algorithm R): every gram added is equally likely kept. */
static void sample_gram(query_set *queries, const mg_token *gram, int order)
{
    uint64_t seen = queries->grams_seen++;
    if (seen < HIT_SAMPLES) {
        if (record_store(&queries->hits[queries->hit_count], gram, order))
            queries->hit_count++;
        return;
    }
    uint64_t slot = mg_random_below(&queries->random_state, seen + 1);
    if (slot < queries->hit_count)
        record_store(&queries->hits[slot], gram, order);
}

/* A word of a sampled hit, chosen at random (markers skipped); 0 if none. */
static int random_word(query_set *queries, int order, mg_token *word)
{
    for (int attempt = 0; attempt < 64; attempt++) {
        const mg_token *gram = queries->hit_grams[mg_random_below(&queries->random_state, queries->hit_count)];
        const mg_token *token = &gram[mg_random_below(&queries->random_state, (uint64_t)order)];
        if (!mg_token_is_marker(token)) {
            *word = *token;
            return 1;
        }
    }
    return 0;
}

/* Candidate miss: sampled words in a random order; for order 1, where every
 * word alone is a hit, a word with a byte appended. 0 if none could be made. */
static int make_miss(query_set *queries, int order, gram_record *record)
{
    mg_token candidate[MG_ORDER_MAX];
    for (int position = 0; position < order; position++)
        if (!random_word(queries, order, &candidate[position]))
            return 0;
    if (order == 1 && candidate[0].len >= RECORD_BYTES)
        return 0;
    if (!record_store(record, candidate, order))
        return 0;
    if (order == 1)
        record->bytes[record->lengths[0]++] = 0xff;
    return 1;
}

/* Misses are made of vocabulary words in orders the table does not hold,
 * each checked absent with count() before the timing. */
static void build_misses(run_context *run)
{
    query_set *queries = &run->queries;
    int order = run->options->order;
    if (queries->hit_count == 0)
        return;
    for (size_t attempt = 0; attempt < 4 * HIT_SAMPLES && queries->miss_count < HIT_SAMPLES; attempt++) {
        gram_record *record = &queries->misses[queries->miss_count];
        if (!make_miss(queries, order, record))
            continue;
        mg_token *gram = queries->miss_grams[queries->miss_count];
        record_tokens(record, order, gram);
        if (run->options->backend->count(run->table, gram) == 0)
            queries->miss_count++;
    }
}

/* ---- training ---------------------------------------------------------- */

int mg_train(const mg_backend *backend, void *table, mg_reader *reader)
{
    const mg_token *gram;
    int more;
    while ((more = mg_reader_next(reader, &gram)) == 1)
        if (backend->add(table, gram) != MG_OK)
            return MG_ERR_NOMEM;
    return more < 0 ? 1 : MG_OK;
}

/* The measured training loop: mg_train plus reservoir sampling of hits. */
static int train_sampling(run_context *run)
{
    const mg_backend *backend = run->options->backend;
    int order = run->options->order;
    const mg_token *gram;
    int more;
    while ((more = mg_reader_next(run->reader, &gram)) == 1) {
        if (backend->add(run->table, gram) != MG_OK)
            return MG_ERR_NOMEM;
        run->result->grams_added++;
        sample_gram(&run->queries, gram, order);
        mg_timeline_tick(&run->result->timeline, MG_PHASE_TRAIN, run->result->grams_added, run->probe);
    }
    return more < 0 ? 1 : MG_OK;
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

uint64_t mg_table_checksum(const mg_backend *backend, void *table, int order)
{
    checksum_state state = {order, 0};
    backend->foreach(table, checksum_visit, &state);
    return state.sum;
}

/* ---- timed queries ------------------------------------------------------ */

/* Mean ns per count() over the grams, cycled; zero_counts gets the 0 answers. */
static double time_lookups(run_context *run, mg_token (*grams)[MG_ORDER_MAX], size_t gram_count,
                           uint64_t *zero_counts)
{
    const mg_backend *backend = run->options->backend;
    if (gram_count == 0)
        return NAN;
    uint64_t zeros = 0, done = 0;
    double started = now_seconds(), elapsed = 0;
    while (done < LOOKUPS_PER_KIND && elapsed < QUERY_BUDGET_SECONDS) {
        for (int batch = 0; batch < 1024; batch++, done++)
            zeros += backend->count(run->table, grams[done % gram_count]) == 0;
        elapsed = now_seconds() - started;
    }
    *zero_counts = zeros;
    return elapsed * 1e9 / (double)done;
}

static int sum_counts(void *arg, const mg_token *next, uint64_t count)
{
    (void)next;
    *(uint64_t *)arg += count;
    return 0;
}

static double time_successors(run_context *run)
{
    const query_set *queries = &run->queries;
    if (queries->hit_count == 0)
        return NAN;
    uint64_t total = 0, calls = 0;
    double started = now_seconds(), elapsed = 0;
    while (calls < SUCCESSOR_CALLS && elapsed < QUERY_BUDGET_SECONDS) {
        run->options->backend->successors(run->table, queries->hit_grams[calls % queries->hit_count],
                                          sum_counts, &total);
        calls++;
        elapsed = now_seconds() - started;
    }
    return total ? elapsed * 1e9 / (double)calls : NAN;
}

static void count_word(void *arg, const mg_token *word, int end_of_sentence)
{
    (void)word;
    (void)end_of_sentence;
    ++*(uint64_t *)arg;
}

static double time_generation(run_context *run)
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

static void run_queries(run_context *run)
{
    mg_run_result *result = run->result;
    query_set *queries = &run->queries;
    int order = run->options->order;
    for (size_t sample = 0; sample < queries->hit_count; sample++)
        record_tokens(&queries->hits[sample], order, queries->hit_grams[sample]);
    build_misses(run);
    result->hit_samples = queries->hit_count;
    result->miss_samples = queries->miss_count;
    result->lookups_per_kind = LOOKUPS_PER_KIND;

    uint64_t lost_hits = 0, found_misses = 0;
    result->speed.lookup_hit_ns = time_lookups(run, queries->hit_grams, queries->hit_count, &lost_hits);
    result->speed.lookup_miss_ns = time_lookups(run, queries->miss_grams, queries->miss_count, &found_misses);
    (void)found_misses;
    if (lost_hits)
        fail(run, "error", "the backend answered 0 for n-grams it was trained on");
    result->speed.successors_ns = time_successors(run);
    result->speed.generate_ns_per_token = time_generation(run);
    mg_generator_release_pages(run->generator);
}

/* ---- the run ------------------------------------------------------------ */

static void set_speeds_unknown(mg_speed *speed)
{
    speed->train_ns_per_gram = speed->finalize_seconds = speed->lookup_hit_ns = NAN;
    speed->lookup_miss_ns = speed->successors_ns = speed->generate_ns_per_token = NAN;
}

static int prepare(run_context *run, char *error, size_t error_size)
{
    const mg_run_options *options = run->options;
    run->reader = mg_reader_open(options->corpus.path, options->corpus.byte_limit, options->order,
                                 error, error_size);
    if (!run->reader)
        return -1;
    if (queries_map(&run->queries, mg_mix64(options->seed)) != 0) {
        snprintf(error, error_size, "cannot map the query buffers");
        return -1;
    }
    mg_reader_prefault(run->reader);
    return 0;
}

/* train and finalize; returns 0 to go on to the queries. */
static int train_and_finalize(run_context *run)
{
    const mg_backend *backend = run->options->backend;
    mg_run_result *result = run->result;

    phase_begin(run);
    run->table = backend->create(run->options->order);
    int trained = run->table ? train_sampling(run) : MG_ERR_NOMEM;
    mg_reader_release_pages(run->reader);
    phase_end(run, MG_PHASE_TRAIN);
    const mg_reader_stats *stats = mg_reader_stats_get(run->reader);
    result->sentences = stats->sentences;
    result->tokens = stats->tokens;
    result->corpus_bytes = stats->bytes_read;
    if (result->grams_added)
        result->speed.train_ns_per_gram = result->phases[MG_PHASE_TRAIN].seconds * 1e9 / (double)result->grams_added;
    if (trained == MG_ERR_NOMEM) {
        fail(run, "oom", run->table ? "out of memory while training" : "out of memory creating the table");
        return -1;
    }
    if (trained != MG_OK) {
        fail(run, "error", mg_reader_error(run->reader));
        result->input_error = 1;
        return -1;
    }

    phase_begin(run);
    int finalized = backend->finalize(run->table);
    phase_end(run, MG_PHASE_FINALIZE);
    result->speed.finalize_seconds = result->phases[MG_PHASE_FINALIZE].seconds;
    if (finalized != MG_OK) {
        fail(run, "oom", "out of memory while finalizing");
        return -1;
    }
    backend->sizes(run->table, &result->ngrams, &result->contexts);
    return 0;
}

static void prune_purge_destroy(run_context *run, int trained)
{
    const mg_backend *backend = run->options->backend;
    mg_run_result *result = run->result;
    if (trained) {
        phase_begin(run);
        result->pruned = backend->prune(run->table, MG_PRUNE_MIN_COUNT);
        phase_end(run, MG_PHASE_PRUNE);
        uint64_t contexts_after_prune;
        backend->sizes(run->table, &result->ngrams_after_prune, &contexts_after_prune);
    }
    phase_begin(run);
    mg_probe_purge(run->probe);
    phase_end(run, MG_PHASE_PURGE);

    phase_begin(run);
    if (run->table)
        backend->destroy(run->table);
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

/* Distinct words of the corpus slice, read again now that nothing is measured. */
static int count_vocabulary(const mg_run_options *options, uint64_t *vocab, uint64_t *vocab_bytes)
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

int mg_run(const mg_run_options *options, mg_probe *probe, mg_run_result *result)
{
    memset(result, 0, sizeof *result);
    result->status = "ok";
    set_speeds_unknown(&result->speed);
    result->estimated_bytes_per_ngram = NAN;
    run_context run = {.options = options, .probe = probe, .result = result};

    phase_begin(&run);
    if (prepare(&run, result->message, sizeof result->message) != 0) {
        queries_unmap(&run.queries);
        mg_reader_close(run.reader);
        return -1;
    }
    run.generator = mg_generator_create(options->backend, options->order, options->seed);
    if (!run.generator) {
        snprintf(result->message, sizeof result->message, "cannot map the generator's buffers");
        queries_unmap(&run.queries);
        mg_reader_close(run.reader);
        return -1;
    }
    mg_generator_prefault(run.generator);
    phase_end(&run, MG_PHASE_BASELINE);

    int trained = train_and_finalize(&run) == 0;
    if (trained) {
        result->checksum = mg_table_checksum(options->backend, run.table, options->order);
        run_queries(&run);
    }
    prune_purge_destroy(&run, trained);

    mg_generator_destroy(run.generator);
    queries_unmap(&run.queries);
    mg_reader_close(run.reader);
    if (count_vocabulary(options, &result->vocab, &result->vocab_bytes) == 0 && result->ngrams) {
        mg_table_shape shape = {options->order, result->ngrams, result->contexts, result->vocab, result->vocab_bytes};
        result->estimated_bytes_per_ngram = options->backend->estimate_bytes_per_ngram(&shape);
    }
    return result->input_error ? -1 : 0;
}
