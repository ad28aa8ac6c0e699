/* plan.c — see plan.h. */
#include "plan.h"
#include "allocator.h"
#include "backend.h"
#include "corpus.h"
#include "message.h"
#include "options.h"
#include "results.h"
#include "run.h"
#include "supervise.h"
#include "synth.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROCESSES_MAX 64
#define RUNS_MAX 1000000 /* runs in one sweep; a longer list is a typo more often than a plan */

/* Splits a comma list in place into items; -1 when it has too many or empty items. */
static int split_list(char *text, const char **items, int *count)
{
    *count = 0;
    for (char *save = NULL, *item = strtok_r(text, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        if (*count == MG_LIST_MAX)
            return -1;
        items[(*count)++] = item;
    }
    return *count ? 0 : -1;
}

/* synth:tokens=N,seed=S and mimalloc:a=1,b=2 hold the list's separator: an
 * item with '=' and no ':' after a spec with options is that spec's next
 * option, so it is joined back (split_list cut the text in place: the comma
 * is restored over the NUL). */
static void rejoin_options(const char **items, int *count, int (*has_options)(const char *spec))
{
    int kept = 0;
    for (int index = 0; index < *count; index++) {
        const char *item = items[index];
        if (kept > 0 && has_options(items[kept - 1]) && strchr(item, '=') && !strchr(item, ':') &&
            item == items[kept - 1] + strlen(items[kept - 1]) + 1) {
            ((char *)item)[-1] = ',';
            continue;
        }
        items[kept++] = item;
    }
    *count = kept;
}

static int allocator_has_options(const char *spec)
{
    return strchr(spec, ':') != NULL;
}

/* redis:a=1,b=2 and trie:a=1,b=2 (settings.h) hold the list's separator too. */
static int backend_has_settings(const char *spec)
{
    return strchr(spec, ':') != NULL;
}

/* The backend a spec names, its settings aside. */
static const char *spec_backend(const char *spec)
{
    mg_cell cell;
    mg_cell_set_backend(&cell, spec);
    return cell.backend;
}

/* Every name is a registered backend or a peer (peers.h). */
static int check_backends(mg_sweep_plan *plan, char *error, size_t error_size)
{
    for (int index = 0; index < plan->backend_count; index++)
        if (mg_runnable_check(plan->backends[index], error, error_size) != 0)
            return -1;
    return 0;
}

static int check_corpora(mg_sweep_plan *plan, char *error, size_t error_size)
{
    for (int index = 0; index < plan->corpus_count; index++) {
        mg_corpus corpus;
        if (mg_corpus_resolve(plan->corpora[index], 1.0, &corpus, error, error_size) != 0)
            return -1;
    }
    return 0;
}

/* A run object names its corpus and allocator in JSON strings, which are UTF-8. */
static int check_texts(const char *what, const char *const *texts, int count, char *error, size_t error_size)
{
    for (int index = 0; index < count; index++)
        if (!mg_result_text_valid(texts[index])) {
            snprintf(error, error_size, "%s '%s' is not UTF-8 text, which the run JSON needs", what,
                     mg_show(texts[index]).text);
            return -1;
        }
    return 0;
}

static int parse_numbers(char *text, mg_sweep_plan *plan, int is_order, char *error, size_t error_size)
{
    const char *items[MG_LIST_MAX];
    int count = 0;
    if (split_list(text, items, &count) != 0) {
        snprintf(error, error_size, "%s list is empty or longer than %d", is_order ? "orders" : "fractions", MG_LIST_MAX);
        return -1;
    }
    for (int index = 0; index < count; index++) {
        int failed = is_order ? mg_parse_order(items[index], &plan->orders[index], error, error_size)
                              : mg_parse_fraction(items[index], &plan->fractions[index], error, error_size);
        if (failed)
            return -1;
    }
    *(is_order ? &plan->order_count : &plan->fraction_count) = count;
    return 0;
}

static int check_allocators(mg_sweep_plan *plan, char *error, size_t error_size)
{
    for (int index = 0; index < plan->allocator_count; index++) {
        mg_allocator_spec spec;
        if (mg_allocator_parse(plan->allocators[index], &spec, error, error_size) != 0)
            return -1;
    }
    return 0;
}

static void default_plan(mg_sweep_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    for (const mg_backend *const *backend = mg_backends; *backend && plan->backend_count < MG_LIST_MAX; backend++)
        plan->backends[plan->backend_count++] = (*backend)->name;
    plan->corpora[plan->corpus_count++] = "fortunes";
    plan->allocators[plan->allocator_count++] = "jemalloc";
    plan->fractions[plan->fraction_count++] = 1.0;
    plan->orders[plan->order_count++] = 3;
    plan->timeout_seconds = MG_TIMEOUT_DEFAULT;
    plan->seed = 1;
    plan->repeat = 1;
    plan->processes = 1;
    time_t now = time(NULL);
    struct tm local;
    localtime_r(&now, &local);
    strftime(plan->out, sizeof plan->out, "results/runs/%Y%m%d-%H%M%S", &local);
}

enum { OPT_BACKENDS = 1, OPT_CORPORA, OPT_FRACTIONS, OPT_ORDERS, OPT_ALLOCATORS, OPT_OUT,
       OPT_RESUME, OPT_PLAN, OPT_TIMEOUT, OPT_SEED, OPT_REPEAT, OPT_PROCESSES, OPT_AGAINST };

static const struct option sweep_options[] = {
    {"backends", required_argument, NULL, OPT_BACKENDS}, {"corpora", required_argument, NULL, OPT_CORPORA},
    {"fractions", required_argument, NULL, OPT_FRACTIONS}, {"orders", required_argument, NULL, OPT_ORDERS},
    {"allocators", required_argument, NULL, OPT_ALLOCATORS}, {"out", required_argument, NULL, OPT_OUT},
    {"resume", no_argument, NULL, OPT_RESUME}, {"plan", no_argument, NULL, OPT_PLAN},
    {"timeout", required_argument, NULL, OPT_TIMEOUT}, {"seed", required_argument, NULL, OPT_SEED},
    {"repeat", required_argument, NULL, OPT_REPEAT}, {"processes", required_argument, NULL, OPT_PROCESSES},
    {"against", required_argument, NULL, OPT_AGAINST},
    {NULL, 0, NULL, 0},
};

static int apply_option(int code, char *value, mg_sweep_plan *plan, char *error, size_t error_size)
{
    switch (code) {
    case OPT_BACKENDS:
        if (split_list(value, plan->backends, &plan->backend_count) == 0) {
            rejoin_options(plan->backends, &plan->backend_count, backend_has_settings);
            return check_backends(plan, error, error_size);
        }
        snprintf(error, error_size, "backends list is empty or longer than %d", MG_LIST_MAX);
        return -1;
    case OPT_CORPORA:
        if (split_list(value, plan->corpora, &plan->corpus_count) == 0) {
            rejoin_options(plan->corpora, &plan->corpus_count, mg_synth_is_spec);
            return 0; /* checked after parsing: --plan needs no fetched corpus */
        }
        snprintf(error, error_size, "corpora list is empty or longer than %d", MG_LIST_MAX);
        return -1;
    case OPT_ALLOCATORS:
        if (split_list(value, plan->allocators, &plan->allocator_count) == 0) {
            rejoin_options(plan->allocators, &plan->allocator_count, allocator_has_options);
            return check_allocators(plan, error, error_size);
        }
        snprintf(error, error_size, "allocators list is empty or longer than %d", MG_LIST_MAX);
        return -1;
    case OPT_FRACTIONS:
    case OPT_ORDERS:
        return parse_numbers(value, plan, code == OPT_ORDERS, error, error_size);
    case OPT_OUT:
        snprintf(plan->out, sizeof plan->out, "%s", value);
        plan->out_given = 1;
        return 0;
    case OPT_RESUME:
        plan->resume = 1;
        return 0;
    case OPT_PLAN:
        plan->plan_only = 1;
        return 0;
    case OPT_TIMEOUT:
        return mg_parse_bounded(value, "timeout", UINT32_MAX, &plan->timeout_seconds, error, error_size);
    case OPT_REPEAT:
        return mg_parse_bounded(value, "repeat", MG_REPEAT_MAX, &plan->repeat, error, error_size);
    case OPT_PROCESSES:
        return mg_parse_bounded(value, "processes", PROCESSES_MAX, &plan->processes, error, error_size);
    case OPT_AGAINST:
        if (access(value, X_OK) != 0) {
            snprintf(error, error_size, "--against '%s' is not an executable memgrams: %s", mg_show(value).text,
                     strerror(errno));
            return -1;
        }
        snprintf(plan->against, sizeof plan->against, "%s", value);
        return 0;
    default:
        return mg_parse_count(value, "seed", &plan->seed, error, error_size);
    }
}

/* ---- the matrix ----------------------------------------------------------------- */

uint64_t mg_plan_cell_count(const mg_sweep_plan *plan)
{
    return (uint64_t)plan->backend_count * (uint64_t)plan->corpus_count * (uint64_t)plan->fraction_count *
           (uint64_t)plan->order_count * (uint64_t)plan->allocator_count;
}

int mg_plan_side_count(const mg_sweep_plan *plan)
{
    return plan->against[0] ? 2 : 1;
}

/* Every run of the sweep: at most 64^6 x 2, so the product never overflows. */
uint64_t mg_plan_run_count(const mg_sweep_plan *plan)
{
    return mg_plan_cell_count(plan) * plan->processes * (uint64_t)mg_plan_side_count(plan);
}

static int check_size(const mg_sweep_plan *plan, char *error, size_t error_size)
{
    if (mg_plan_run_count(plan) <= RUNS_MAX)
        return 0;
    snprintf(error, error_size,
             "the matrix is %d backends x %d corpora x %d fractions x %d orders x %d allocators x %llu processes%s "
             "= %llu runs, more than %d",
             plan->backend_count, plan->corpus_count, plan->fraction_count, plan->order_count, plan->allocator_count,
             (unsigned long long)plan->processes, mg_plan_side_count(plan) == 2 ? " x 2 builds" : "",
             (unsigned long long)mg_plan_run_count(plan), RUNS_MAX);
    return -1;
}

mg_cell mg_plan_cell_at(const mg_sweep_plan *plan, uint64_t index)
{
    mg_cell result;
    result.allocator = plan->allocators[index % (uint64_t)plan->allocator_count];
    index /= (uint64_t)plan->allocator_count;
    result.order = plan->orders[index % (uint64_t)plan->order_count];
    index /= (uint64_t)plan->order_count;
    result.fraction = plan->fractions[index % (uint64_t)plan->fraction_count];
    index /= (uint64_t)plan->fraction_count;
    result.corpus = plan->corpora[index % (uint64_t)plan->corpus_count];
    index /= (uint64_t)plan->corpus_count;
    mg_cell_set_backend(&result, plan->backends[index]);
    return result;
}

int mg_plan_side_of(int turn, uint64_t pass, uint64_t index, int sides)
{
    return (int)(((uint64_t)turn + pass + index) % (uint64_t)sides);
}

/* What the options ask, checked as a whole: 0, or -1 with error set. */
static int check_plan(const mg_sweep_plan *plan, char *error, size_t error_size)
{
    if (plan->resume && !plan->out_given) {
        snprintf(error, error_size, "--resume needs --out DIR: the folder of the sweep to finish");
        return -1;
    }
    if (strcmp(plan->out, "-") == 0 && !plan->plan_only) {
        snprintf(error, error_size, "--out - (each line to stdout) is for --plan; a sweep writes DIR/results.jsonl");
        return -1;
    }
    for (int index = 0; plan->against[0] && index < plan->backend_count; index++)
        if (!mg_backend_find(spec_backend(plan->backends[index]))) {
            snprintf(error, error_size, "--against compares two memgrams builds; '%s' is a peer script",
                     mg_show(plan->backends[index]).text);
            return -1;
        }
    if (check_texts("corpus", plan->corpora, plan->corpus_count, error, error_size) != 0 ||
        check_texts("allocator", plan->allocators, plan->allocator_count, error, error_size) != 0)
        return -1;
    return check_size(plan, error, error_size);
}

int mg_sweep_plan_parse(int argc, char **argv, mg_sweep_plan *plan)
{
    default_plan(plan);
    char error[1024];
    int code;
    mg_option_start();
    while ((code = mg_option_next(argc, argv, sweep_options, NULL, "memgrams", error, sizeof error)) != -1) {
        if (code == MG_OPTION_FAULT)
            return mg_fail("sweep", 2, error);
        if (apply_option(code, optarg, plan, error, sizeof error) != 0)
            return mg_fail("sweep", 2, error);
    }
    if (optind < argc) {
        snprintf(error, sizeof error, "unexpected argument '%s'", mg_show(argv[optind]).text);
        return mg_fail("sweep", 2, error);
    }
    if (check_plan(plan, error, sizeof error) != 0)
        return mg_fail("sweep", 2, error);
    if (!plan->plan_only && check_corpora(plan, error, sizeof error) != 0)
        return mg_fail("sweep", 2, error);
    return 0;
}
