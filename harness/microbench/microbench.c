/*
 * microbench.c — memgrams-microbench: time per operation of every registered
 * backend through Google Benchmark (gbench_shim.h), with mem.h's counters as
 * its memory figures.
 *
 *   memgrams-microbench [--corpus SPEC] [--order N] [--fraction F] [--seed S]
 *                       [--allocator A] [--benchmark_filter=REGEX] [--benchmark_format=json] ...
 *
 * --allocator is run's (jemalloc by default: the program re-executes itself
 * under it), so timings compare with `memgrams run`'s; `current` keeps the
 * process's own malloc (an ASan build's, which no LD_PRELOAD may replace).
 *
 * Six benchmarks per backend, named BACKEND/OP, in registry order:
 *   add_empty   add() of the sampled grams into a table that starts empty
 *               (destroyed and created again, untimed, once all were added)
 *   add_warm    add() of the same grams into a table trained on the whole
 *               corpus and not finalized: counts grow, the table hardly does
 *   count_hit   count() of the sampled grams, finalized table
 *   count_miss  count() of grams made of corpus words and absent from it
 *   successors  successors() of a sampled gram's context, every one visited
 *   generate    one generated sentence; items are its words
 * and, after the backends, machine/dependent_load_SIZE for SIZE 1, 4, 16 and
 * 64 MiB: ns of one load that waits for the one before (load_chase.h), and
 * harness/read_corpus: the corpus reader alone (bytes_per_second).
 * Every iteration is one operation (generate: one sentence), and items
 * processed count operations (generate: words), so items_per_second reads
 * as time per operation. Hits and misses are run's (query_set.h).
 *
 * A backend's tables are built the first time one of its benchmarks runs
 * and dropped when another backend's starts, so one backend's tables are in
 * memory at a time and a --benchmark_filter builds only what it needs.
 */
#include "allocator.h"
#include "backend.h"
#include "config.h"
#include "corpus.h"
#include "gbench_shim.h"
#include "generate.h"
#include "load_chase.h"
#include "message.h"
#include "options.h"
#include "probe.h"
#include "query_set.h"
#include "random.h"
#include "run.h"
#include "tokenize.h"
#include "version.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EXIT_FAILED = 1, EXIT_USAGE = 2 };

/* Synthetic text resembling gcide, the same on every machine, needing no
 * fetch; 200 k words keep a full run near a minute on 2 busy cores. */
#define DEFAULT_CORPUS "synth:tokens=200000,seed=1"
#define SAMPLES ((size_t)1 << 15)
/* --allocator current: whatever malloc the process has (a sanitized build's) */
#define CURRENT_ALLOCATOR "current" /* sampled grams: the operands of every benchmark */

static const char usage_text[] =
    "usage: memgrams-microbench [--corpus SPEC] [--order N] [--fraction F] [--seed S] [--allocator A]\n"
    "                           [--benchmark_*=...]\n"
    "  Google Benchmark timings per operation of every backend, BACKEND/OP with OP one of\n"
    "  add_empty, add_warm, count_hit, count_miss, successors, generate; memory figures\n"
    "  from mem.h; then machine/dependent_load_SIZE: ns of one dependent load over a\n"
    "  buffer of 1, 4, 16 or 64 MiB; harness/read_corpus: the corpus reader alone (bytes_per_second).\n"
    "  Default corpus: " DEFAULT_CORPUS ".\n"
    "  A: as memgrams run's (jemalloc, the default, glibc, mimalloc or tcmalloc, with options), or current:\n"
    "  the malloc this process has (the only choice in an ASan build).\n"
    "  Google Benchmark's own flags pass through:\n";

/* The tables of the backend being measured. */
typedef struct fixture {
    const mg_backend *backend; /* whose tables these are; NULL: nothing built */
    mg_table *warm;            /* trained, not finalized: add_warm */
    mg_table *frozen;          /* trained and finalized: the queries */
    mg_query_set queries;      /* hits sampled while training warm; misses absent from frozen */
    mg_generator *generator;
} fixture;

typedef struct microbench {
    mg_corpus corpus;
    mg_allocator_spec allocator;
    int order;
    uint64_t seed;
    fixture current;
    unsigned failures; /* benchmarks ended with an error */
} microbench;

/* What each registered benchmark receives: one per backend. */
typedef struct backend_case {
    microbench *bench;
    const mg_backend *backend;
} backend_case;

/* ---- fixtures ----------------------------------------------------------- */

static void fixture_drop(fixture *tables)
{
    if (tables->warm)
        tables->warm->ops->destroy(tables->warm);
    if (tables->frozen)
        tables->frozen->ops->destroy(tables->frozen);
    mg_generator_destroy(tables->generator);
    mg_query_set_unmap(&tables->queries);
    memset(tables, 0, sizeof *tables);
}

/* Trains warm (sampling the hits) and frozen on the corpus; NULL or why not. */
static const char *fixture_train(fixture *tables, mg_reader *reader)
{
    mg_table *warm = tables->warm, *frozen = tables->frozen;
    const mg_token *gram;
    int more;
    while ((more = mg_reader_next(reader, &gram)) == 1) {
        if (warm->ops->add(warm, gram) != MG_OK)
            return "out of memory training the warm table";
        mg_query_set_sample(&tables->queries, gram);
    }
    if (more < 0 || mg_reader_rewind(reader) != 0)
        return mg_reader_error(reader);
    int trained = mg_train(frozen, reader);
    if (trained == 1)
        return mg_reader_error(reader);
    if (trained != MG_OK || frozen->ops->finalize(frozen) != MG_OK)
        return "out of memory training the finalized table";
    if (tables->queries.hit_count == 0)
        return "the corpus holds no n-gram";
    mg_query_set_prepare(&tables->queries, frozen);
    return NULL;
}

/* Builds the backend's tables; NULL, or why not in error. */
static const char *fixture_build(microbench *bench, const mg_backend *backend, char *error, size_t error_size)
{
    fixture *tables = &bench->current;
    tables->backend = backend;
    mg_reader *reader = mg_reader_open(bench->corpus.path, bench->corpus.byte_limit, bench->order, error, error_size);
    if (!reader)
        return error;
    const char *fault = NULL;
    tables->warm = mg_table_create(backend, bench->order);
    tables->frozen = mg_table_create(backend, bench->order);
    tables->generator = mg_generator_create(bench->seed);
    if (!tables->warm || !tables->frozen || !tables->generator)
        fault = "out of memory creating the tables";
    else if (mg_query_set_map(&tables->queries, SAMPLES, bench->order, mg_mix64(bench->seed)) != 0)
        fault = "cannot map the query buffers";
    else
        fault = fixture_train(tables, reader);
    if (fault)
        snprintf(error, error_size, "%s: %s", backend->name, fault);
    mg_reader_close(reader);
    return fault ? error : NULL;
}

static void fail(mg_gbench_state *state, microbench *bench, const char *message)
{
    mg_gbench_skip_with_error(state, message);
    bench->failures++;
}

/* The case's tables, built if another backend's are in place; NULL after
 * failing the benchmark. */
static fixture *fixture_for(mg_gbench_state *state, const backend_case *which)
{
    microbench *bench = which->bench;
    if (bench->current.backend == which->backend)
        return &bench->current;
    fixture_drop(&bench->current);
    char error[512];
    if (fixture_build(bench, which->backend, error, sizeof error) == NULL)
        return &bench->current;
    fixture_drop(&bench->current);
    fail(state, bench, error);
    return NULL;
}

/* ---- benchmarks --------------------------------------------------------- */

static void bench_add_empty(mg_gbench_state *state, void *arg)
{
    const backend_case *which = arg;
    fixture *tables = fixture_for(state, which);
    if (!tables)
        return;
    const mg_query_set *queries = &tables->queries;
    mg_table *table = mg_table_create(which->backend, which->bench->order);
    size_t next = 0;
    while (table && mg_gbench_keep_running(state)) {
        if (next == queries->hit_count) {
            mg_gbench_pause_timing(state);
            table->ops->destroy(table);
            table = mg_table_create(which->backend, which->bench->order);
            next = 0;
            mg_gbench_resume_timing(state);
            if (!table)
                break;
        }
        if (table->ops->add(table, queries->hit_grams[next++]) != MG_OK) {
            fail(state, which->bench, "out of memory adding");
            break;
        }
    }
    if (!table)
        fail(state, which->bench, "out of memory creating a table");
    else
        table->ops->destroy(table);
    mg_gbench_set_items_processed(state, mg_gbench_iterations(state));
}

static void bench_add_warm(mg_gbench_state *state, void *arg)
{
    const backend_case *which = arg;
    fixture *tables = fixture_for(state, which);
    if (!tables)
        return;
    const mg_query_set *queries = &tables->queries;
    mg_table *warm = tables->warm;
    size_t next = 0;
    while (mg_gbench_keep_running(state)) {
        if (warm->ops->add(warm, queries->hit_grams[next]) != MG_OK) {
            fail(state, which->bench, "out of memory adding");
            break;
        }
        next = next + 1 == queries->hit_count ? 0 : next + 1;
    }
    mg_gbench_set_items_processed(state, mg_gbench_iterations(state));
}

/* count() over grams, cycled; how many answers were zero. */
static uint64_t time_counts(mg_gbench_state *state, const backend_case *which,
                            mg_token (*grams)[MG_ORDER_MAX], size_t gram_count)
{
    mg_table *table = which->bench->current.frozen;
    uint64_t zeros = 0;
    size_t next = 0;
    while (mg_gbench_keep_running(state)) {
        zeros += table->ops->count(table, grams[next]) == 0;
        next = next + 1 == gram_count ? 0 : next + 1;
    }
    mg_gbench_set_items_processed(state, mg_gbench_iterations(state));
    return zeros;
}

static void bench_count_hit(mg_gbench_state *state, void *arg)
{
    const backend_case *which = arg;
    fixture *tables = fixture_for(state, which);
    if (tables && time_counts(state, which, tables->queries.hit_grams, tables->queries.hit_count) != 0)
        fail(state, which->bench, "count() answered 0 for a trained n-gram");
}

static void bench_count_miss(mg_gbench_state *state, void *arg)
{
    const backend_case *which = arg;
    fixture *tables = fixture_for(state, which);
    if (!tables)
        return;
    const mg_query_set *queries = &tables->queries;
    if (queries->miss_count == 0) {
        fail(state, which->bench, "no absent n-gram could be made from this corpus");
        return;
    }
    uint64_t zeros = time_counts(state, which, queries->miss_grams, queries->miss_count);
    if (zeros != (uint64_t)mg_gbench_iterations(state))
        fail(state, which->bench, "count() found an n-gram checked absent");
}

static int sum_counts(void *arg, const mg_token *next, uint64_t count)
{
    (void)next;
    *(uint64_t *)arg += count;
    return 0;
}

static void bench_successors(mg_gbench_state *state, void *arg)
{
    const backend_case *which = arg;
    fixture *tables = fixture_for(state, which);
    if (!tables)
        return;
    const mg_query_set *queries = &tables->queries;
    mg_table *frozen = tables->frozen;
    uint64_t total = 0;
    size_t next = 0;
    while (mg_gbench_keep_running(state)) {
        frozen->ops->successors(frozen, queries->hit_grams[next], sum_counts, &total);
        next = next + 1 == queries->hit_count ? 0 : next + 1;
    }
    mg_gbench_set_items_processed(state, mg_gbench_iterations(state));
    if (total < (uint64_t)mg_gbench_iterations(state))
        fail(state, which->bench, "successors() missed a context it was trained on");
}

static void count_word(void *arg, const mg_token *word, int end_of_sentence)
{
    (void)word;
    *(uint64_t *)arg += !end_of_sentence;
}

static void bench_generate(mg_gbench_state *state, void *arg)
{
    const backend_case *which = arg;
    fixture *tables = fixture_for(state, which);
    if (!tables)
        return;
    uint64_t words = 0, sentence = 0;
    while (mg_gbench_keep_running(state)) {
        if (mg_generate_sentence(tables->generator, tables->frozen, sentence++, count_word, &words) < 0) {
            fail(state, which->bench, "generation failed");
            break;
        }
    }
    mg_gbench_set_items_processed(state, (int64_t)words);
    mg_gbench_set_counter(state, "words_per_sentence", (double)words, MG_GBENCH_COUNTER_AVERAGE_ITERATIONS);
}

static const struct {
    const char *name;
    mg_gbench_function function;
} operations[] = {
    {"add_empty", bench_add_empty},   {"add_warm", bench_add_warm},     {"count_hit", bench_count_hit},
    {"count_miss", bench_count_miss}, {"successors", bench_successors}, {"generate", bench_generate},
};

/* ---- the machine -------------------------------------------------------- */

/* machine/dependent_load_SIZE: ns of one load whose address the load before
 * gave, over a buffer of SIZE (load_chase.h): the scale to read a lookup's
 * time against, as a count of cache misses waited for in turn. Registered
 * after the backends; the buffer is made at the benchmark's first run, with
 * the last backend's tables dropped first, and unmapped when it ends. */
typedef struct chase_case {
    microbench *bench;
    size_t bytes;
} chase_case;

enum { LOADS_PER_ITERATION = 64 };

static const size_t chase_sizes[] = {(size_t)1 << 20, (size_t)4 << 20, (size_t)16 << 20, (size_t)64 << 20};
#define CHASE_SIZES (sizeof chase_sizes / sizeof chase_sizes[0])

static void bench_dependent_load(mg_gbench_state *state, void *arg)
{
    const chase_case *which = arg;
    fixture_drop(&which->bench->current);
    mg_load_chase chase;
    if (mg_load_chase_make(&chase, which->bytes, which->bench->seed) != 0) {
        fail(state, which->bench, "could not map the pointer chase's buffer");
        return;
    }
    void **at = chase.start;
    while (mg_gbench_keep_running(state))
        at = mg_load_chase_walk(at, LOADS_PER_ITERATION);
    mg_gbench_set_items_processed(state, mg_gbench_iterations(state) * LOADS_PER_ITERATION);
    mg_gbench_set_counter(state, "buffer_mib", (double)(which->bytes >> 20), MG_GBENCH_COUNTER_DEFAULT);
    if (at == NULL) /* never: the cycle holds no NULL; the walk's end is used, so it is not optimised away */
        fail(state, which->bench, "the pointer chase left its cycle");
    mg_load_chase_free(&chase);
}

enum read_mode { READ_SINGLE, READ_BATCHES, READ_SAMPLING };

/* Every gram of the reader's corpus taken and dropped: one at a time, or in
 * batches as training takes them, offered to the hits' reservoir too when
 * sampling. 1, or 0 on a read error. */
static int read_all(mg_reader *reader, enum read_mode mode, mg_query_set *queries)
{
    int more;
    if (mode != READ_SINGLE) {
        const mg_token *grams;
        size_t count;
        do {
            more = mg_reader_next_batch(reader, MG_READER_BATCH, &grams, &count);
            if (mode == READ_SAMPLING)
                mg_query_set_sample_run(queries, grams, count);
        } while (more == 1);
    } else {
        const mg_token *gram;
        while ((more = mg_reader_next(reader, &gram)) == 1)
            continue;
    }
    return more == 0;
}

/* harness/read_corpus (batches) and harness/read_corpus_single (a gram a
 * call): the corpus reader alone (tokenize.h), every gram of the corpus at
 * the bench's order taken and dropped, once per iteration; bytes_per_second
 * is the reader's speed, items_per_second its grams. harness/sample_hits:
 * the batches offered to a reservoir of hits as training does, emptied at
 * each iteration (the harness's part of training but the table's add). */
static void read_corpus(mg_gbench_state *state, microbench *bench, enum read_mode mode)
{
    fixture_drop(&bench->current);
    char error[512];
    mg_reader *reader = mg_reader_open(bench->corpus.path, bench->corpus.byte_limit, bench->order, error,
                                       sizeof error);
    if (!reader) {
        fail(state, bench, error);
        return;
    }
    mg_reader_prefault(reader);
    mg_query_set queries = {0};
    if (mode == READ_SAMPLING && mg_query_set_map(&queries, SAMPLES, bench->order, mg_mix64(bench->seed)) != 0) {
        fail(state, bench, "cannot map the query buffers");
        mg_reader_close(reader);
        return;
    }
    int64_t bytes = 0, grams = 0;
    while (mg_gbench_keep_running(state)) {
        if (mode == READ_SAMPLING)
            mg_query_set_clear(&queries, mg_mix64(bench->seed));
        int read = read_all(reader, mode, &queries);
        bytes += (int64_t)mg_reader_stats_get(reader)->bytes_read;
        grams += (int64_t)mg_reader_stats_get(reader)->grams;
        if (!read || mg_reader_rewind(reader) != 0) {
            fail(state, bench, mg_reader_error(reader));
            break;
        }
    }
    mg_gbench_set_bytes_processed(state, bytes);
    mg_gbench_set_items_processed(state, grams);
    mg_query_set_unmap(&queries);
    mg_reader_close(reader);
}

static void bench_read_corpus(mg_gbench_state *state, void *arg) { read_corpus(state, arg, READ_BATCHES); }

static void bench_read_corpus_single(mg_gbench_state *state, void *arg) { read_corpus(state, arg, READ_SINGLE); }

static void bench_sample_hits(mg_gbench_state *state, void *arg) { read_corpus(state, arg, READ_SAMPLING); }

/* ---- command line ------------------------------------------------------- */

static int usage_error(const char *format, const char *detail)
{
    fputs("memgrams-microbench: ", stderr);
    fprintf(stderr, format, detail);
    fputc('\n', stderr);
    return EXIT_USAGE;
}

/* Parses what Google Benchmark left in argv; 0 or an exit status. */
static int parse_options(int argc, char **argv, microbench *bench, const char **corpus_spec, double *fraction)
{
    static const struct option table[] = {
        {"corpus", required_argument, NULL, 'c'}, {"order", required_argument, NULL, 'n'},
        {"fraction", required_argument, NULL, 'f'}, {"seed", required_argument, NULL, 's'},
        {"allocator", required_argument, NULL, 'a'}, {NULL, 0, NULL, 0},
    };
    char error[512];
    const char *allocator = "jemalloc";
    int code;
    mg_option_start();
    while ((code = mg_option_next(argc, argv, table, NULL, "memgrams-microbench", error, sizeof error)) != -1) {
        if (code == MG_OPTION_FAULT)
            return usage_error("%s", error);
        int fault = 0;
        if (code == 'c')
            *corpus_spec = optarg;
        else if (code == 'n')
            fault = mg_parse_order(optarg, &bench->order, error, sizeof error);
        else if (code == 'f')
            fault = mg_parse_fraction(optarg, fraction, error, sizeof error);
        else if (code == 'a')
            allocator = optarg;
        else
            fault = mg_parse_count(optarg, "seed", &bench->seed, error, sizeof error);
        if (fault)
            return usage_error("%s", error);
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", mg_show(argv[optind]).text);
    if (!*corpus_spec)
        *corpus_spec = DEFAULT_CORPUS;
    if (mg_corpus_resolve(*corpus_spec, *fraction, &bench->corpus, error, sizeof error) != 0)
        return usage_error("%s", error);
    if (strcmp(allocator, CURRENT_ALLOCATOR) == 0)
        snprintf(bench->allocator.text, sizeof bench->allocator.text, "%s", CURRENT_ALLOCATOR);
    else if (mg_allocator_parse(allocator, &bench->allocator, error, sizeof error) != 0)
        return usage_error("%s", error);
    return 0;
}

/* Re-executes full_argv under the chosen allocator unless it is in place. */
static int ensure_allocator(const microbench *bench, char **full_argv)
{
    if (strcmp(bench->allocator.text, CURRENT_ALLOCATOR) == 0)
        return 0;
    char error[512];
    mg_probe probe;
    mg_probe_init(&probe);
    int fault = mg_allocator_ensure(&bench->allocator, &probe, full_argv, error, sizeof error);
    if (fault == MG_ALLOCATOR_BAD_SPEC)
        return usage_error("%s", error);
    if (fault)
        fprintf(stderr, "memgrams-microbench: %s\n", error);
    return fault ? EXIT_FAILED : 0;
}

static int wants_help(int argc, char **argv)
{
    for (int index = 1; index < argc; index++)
        if (strcmp(argv[index], "--help") == 0 || strcmp(argv[index], "-h") == 0)
            return 1;
    return 0;
}

/* What the JSON's "context" records beside Google Benchmark's own. */
static void add_context(const microbench *bench, const char *corpus_spec, double fraction)
{
    char text[64];
    mg_probe probe;
    mg_probe_init(&probe);
    mg_gbench_add_context("memgrams_version", MG_VERSION " " MG_GIT_COMMIT);
    mg_gbench_add_context("memgrams_corpus", corpus_spec);
    snprintf(text, sizeof text, "%.17g", fraction);
    mg_gbench_add_context("memgrams_fraction", text);
    snprintf(text, sizeof text, "%d", bench->order);
    mg_gbench_add_context("memgrams_order", text);
    snprintf(text, sizeof text, "%llu", (unsigned long long)bench->seed);
    mg_gbench_add_context("memgrams_seed", text);
    mg_gbench_add_context("memgrams_allocator", bench->allocator.text);
    mg_gbench_add_context("memgrams_malloc_library", probe.allocator_library);
    mg_gbench_add_context("memgrams_build", MG_BUILD_TYPE);
}

/* BACKEND/OP for every backend of the registry; 0, or -1 out of memory. */
static int register_benchmarks(microbench *bench, backend_case **cases_out, chase_case *chases)
{
    size_t backend_count = 0;
    while (mg_backends[backend_count])
        backend_count++;
    backend_case *cases = calloc(backend_count, sizeof *cases);
    *cases_out = cases;
    if (!cases)
        return -1;
    for (size_t index = 0; index < backend_count; index++) {
        cases[index] = (backend_case){bench, mg_backends[index]};
        for (size_t op = 0; op < sizeof operations / sizeof operations[0]; op++) {
            char name[128];
            snprintf(name, sizeof name, "%s/%s", mg_backends[index]->name, operations[op].name);
            mg_gbench_register(name, operations[op].function, &cases[index]);
        }
    }
    for (size_t size = 0; size < CHASE_SIZES; size++) {
        char name[128];
        chases[size] = (chase_case){bench, chase_sizes[size]};
        snprintf(name, sizeof name, "machine/dependent_load_%zuMiB", chase_sizes[size] >> 20);
        mg_gbench_register(name, bench_dependent_load, &chases[size]);
    }
    mg_gbench_register("harness/read_corpus", bench_read_corpus, bench);
    mg_gbench_register("harness/read_corpus_single", bench_read_corpus_single, bench);
    mg_gbench_register("harness/sample_hits", bench_sample_hits, bench);
    return 0;
}

int main(int argc, char **argv)
{
    if (wants_help(argc, argv))
        fputs(usage_text, stdout); /* Google Benchmark then prints its flags and exits */
    char **full_argv = calloc((size_t)argc + 1, sizeof *full_argv); /* before Google Benchmark takes its flags */
    if (!full_argv)
        return EXIT_FAILED;
    memcpy(full_argv, argv, (size_t)argc * sizeof *argv);
    mg_gbench_session *session = mg_gbench_initialize(&argc, argv, 1);
    microbench bench = {.order = 3, .seed = 1};
    const char *corpus_spec = NULL;
    double fraction = 1.0;
    int status = parse_options(argc, argv, &bench, &corpus_spec, &fraction);
    if (status == 0)
        status = ensure_allocator(&bench, full_argv);
    backend_case *cases = NULL;
    chase_case chases[CHASE_SIZES];
    if (status == 0 && register_benchmarks(&bench, &cases, chases) != 0) {
        fputs("memgrams-microbench: out of memory\n", stderr);
        status = EXIT_FAILED;
    }
    if (status == 0) {
        add_context(&bench, corpus_spec, fraction);
        if (mg_gbench_run(session) == 0 || bench.failures)
            status = EXIT_FAILED;
        fixture_drop(&bench.current);
    }
    free(cases);
    free(full_argv);
    mg_gbench_shutdown(session);
    return status;
}
