/* sweep.c — see sweep.h. */
#include "sweep.h"
#include "allocator.h"
#include "atomic_file.h"
#include "backend.h"
#include "cell.h"
#include "corpus.h"
#include "message.h"
#include "options.h"
#include "results.h"
#include "results_file.h"
#include "summary_table.h"
#include "run.h"
#include "supervise.h"
#include "synth.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LIST_MAX 64
#define PROCESSES_MAX 64
#define RUNS_MAX 1000000 /* runs in one sweep; a longer list is a typo more often than a plan */

typedef struct sweep_plan {
    const char *backends[LIST_MAX], *corpora[LIST_MAX], *allocators[LIST_MAX];
    double fractions[LIST_MAX];
    int orders[LIST_MAX];
    int backend_count, corpus_count, fraction_count, order_count, allocator_count;
    char out[4096];
    int out_given;      /* --out was given: a plan's lines write their own files there */
    int resume, plan_only;
    uint64_t timeout_seconds, seed;
    uint64_t repeat;    /* passed on as run --repeat */
    uint64_t processes; /* separate runs of every cell, one pass of the matrix each */
    char against[4096]; /* another memgrams build run beside this one, or "" */
} sweep_plan;

static int sweep_fail(int status, const char *message)
{
    fprintf(stderr, "memgrams sweep: %s\n", message);
    return status;
}

static int sweep_error(const char *message)
{
    return sweep_fail(2, message);
}

/* ---- the plan from the options ----------------------------------------------- */

/* Splits a comma list in place into items; -1 when it has too many or empty items. */
static int split_list(char *text, const char **items, int *count)
{
    *count = 0;
    for (char *save = NULL, *item = strtok_r(text, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        if (*count == LIST_MAX)
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

/* Every name is a registered backend or a peer (peers.h). */
static int check_backends(sweep_plan *plan, char *error, size_t error_size)
{
    for (int index = 0; index < plan->backend_count; index++)
        if (mg_runnable_check(plan->backends[index], error, error_size) != 0)
            return -1;
    return 0;
}

static int check_corpora(sweep_plan *plan, char *error, size_t error_size)
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

static int parse_numbers(char *text, sweep_plan *plan, int is_order, char *error, size_t error_size)
{
    const char *items[LIST_MAX];
    int count = 0;
    if (split_list(text, items, &count) != 0) {
        snprintf(error, error_size, "%s list is empty or longer than %d", is_order ? "orders" : "fractions", LIST_MAX);
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

static int check_allocators(sweep_plan *plan, char *error, size_t error_size)
{
    for (int index = 0; index < plan->allocator_count; index++) {
        mg_allocator_spec spec;
        if (mg_allocator_parse(plan->allocators[index], &spec, error, error_size) != 0)
            return -1;
    }
    return 0;
}

static void default_plan(sweep_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    for (const mg_backend *const *backend = mg_backends; *backend && plan->backend_count < LIST_MAX; backend++)
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

static int apply_option(int code, char *value, sweep_plan *plan, char *error, size_t error_size)
{
    switch (code) {
    case OPT_BACKENDS:
        if (split_list(value, plan->backends, &plan->backend_count) == 0)
            return check_backends(plan, error, error_size);
        snprintf(error, error_size, "backends list is empty or longer than %d", LIST_MAX);
        return -1;
    case OPT_CORPORA:
        if (split_list(value, plan->corpora, &plan->corpus_count) == 0) {
            rejoin_options(plan->corpora, &plan->corpus_count, mg_synth_is_spec);
            return 0; /* checked after parsing: --plan needs no fetched corpus */
        }
        snprintf(error, error_size, "corpora list is empty or longer than %d", LIST_MAX);
        return -1;
    case OPT_ALLOCATORS:
        if (split_list(value, plan->allocators, &plan->allocator_count) == 0) {
            rejoin_options(plan->allocators, &plan->allocator_count, allocator_has_options);
            return check_allocators(plan, error, error_size);
        }
        snprintf(error, error_size, "allocators list is empty or longer than %d", LIST_MAX);
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

/* ---- cells ---------------------------------------------------------------------- */

static uint64_t cell_count(const sweep_plan *plan)
{
    return (uint64_t)plan->backend_count * (uint64_t)plan->corpus_count * (uint64_t)plan->fraction_count *
           (uint64_t)plan->order_count * (uint64_t)plan->allocator_count;
}

static int side_count(const sweep_plan *plan)
{
    return plan->against[0] ? 2 : 1;
}

/* Every run of the sweep: at most 64^6 x 2, so the product never overflows. */
static uint64_t run_count(const sweep_plan *plan)
{
    return cell_count(plan) * plan->processes * (uint64_t)side_count(plan);
}

static int check_size(const sweep_plan *plan, char *error, size_t error_size)
{
    if (run_count(plan) <= RUNS_MAX)
        return 0;
    snprintf(error, error_size,
             "the matrix is %d backends x %d corpora x %d fractions x %d orders x %d allocators x %llu processes%s "
             "= %llu runs, more than %d",
             plan->backend_count, plan->corpus_count, plan->fraction_count, plan->order_count, plan->allocator_count,
             (unsigned long long)plan->processes, side_count(plan) == 2 ? " x 2 builds" : "",
             (unsigned long long)run_count(plan), RUNS_MAX);
    return -1;
}

/* Cell number index, backends varying slowest... allocators fastest. */
static mg_cell cell_at(const sweep_plan *plan, uint64_t index)
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
    result.backend = plan->backends[index];
    return result;
}

/* What the options ask, checked as a whole: 0, or -1 with error set. */
static int check_plan(const sweep_plan *plan, char *error, size_t error_size)
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
        if (!mg_backend_find(plan->backends[index])) {
            snprintf(error, error_size, "--against compares two memgrams builds; '%s' is a peer script",
                     mg_show(plan->backends[index]).text);
            return -1;
        }
    if (check_texts("corpus", plan->corpora, plan->corpus_count, error, error_size) != 0 ||
        check_texts("allocator", plan->allocators, plan->allocator_count, error, error_size) != 0)
        return -1;
    return check_size(plan, error, error_size);
}

static int parse_plan(int argc, char **argv, sweep_plan *plan)
{
    default_plan(plan);
    char error[1024];
    int code;
    mg_option_start();
    while ((code = mg_option_next(argc, argv, sweep_options, NULL, "memgrams", error, sizeof error)) != -1) {
        if (code == MG_OPTION_FAULT)
            return sweep_error(error);
        if (apply_option(code, optarg, plan, error, sizeof error) != 0)
            return sweep_error(error);
    }
    if (optind < argc) {
        snprintf(error, sizeof error, "unexpected argument '%s'", mg_show(argv[optind]).text);
        return sweep_error(error);
    }
    if (check_plan(plan, error, sizeof error) != 0)
        return sweep_error(error);
    if (!plan->plan_only && check_corpora(plan, error, sizeof error) != 0)
        return sweep_error(error);
    return 0;
}


/* ---- resume: runs already measured --------------------------------------------- */

/* The key of a run toward a cell: its cell, seed and repeat (runs of another
 * seed or repeat are other measurements). */
static void done_key(const mg_cell *cell, uint64_t seed, uint64_t repeat, char *key, size_t key_size)
{
    char cell_key[8192];
    mg_cell_key(cell, cell_key, sizeof cell_key);
    snprintf(key, key_size, "%s|%llu|%llu", cell_key, (unsigned long long)seed, (unsigned long long)repeat);
}

typedef struct done_set {
    char **keys; /* sorted; one per finished run: a cell measured k times is here k times */
    size_t count;
} done_set;

static int by_text(const void *left, const void *right)
{
    return strcmp(*(char *const *)left, *(char *const *)right);
}

/* A run line's seed or repeat; a line without one was written by a memgrams
 * that recorded neither, whose default for both is 1. */
static uint64_t counter_or_one(json_t *run, const char *name)
{
    json_t *value = json_object_get(run, name);
    return value ? (uint64_t)json_integer_value(value) : 1;
}

static int add_done(done_set *done, json_t *run)
{
    const char *status = json_string_value(json_object_get(run, "status"));
    mg_cell cell;
    char key[8300];
    if (strcmp(status, "ok") != 0 && strcmp(status, "oom") != 0) /* the final answers; the rest is measured again */
        return 0;
    mg_cell_of_run(run, &cell);
    done_key(&cell, counter_or_one(run, "seed"), counter_or_one(run, "repeat"), key, sizeof key);
    char **grown = realloc(done->keys, (done->count + 1) * sizeof *grown);
    if (!grown || !(grown[done->count] = strdup(key))) {
        done->keys = grown ? grown : done->keys;
        return -1;
    }
    done->keys = grown;
    done->count++;
    return 0;
}

/* The finished runs of path (a results file, or a sweep's folder: its
 * results.jsonl and cells/). 0, or -1 with error set: a bad line is an input
 * error, never resumed onto. */
static int load_done(const char *path, done_set *done, char *error, size_t error_size)
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
    qsort(done->keys, done->count, sizeof *done->keys, by_text);
    return 0;
}

/* The first key not below key. */
static size_t first_at_least(const done_set *done, const char *key)
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

/* How many finished runs with this key the results held. */
static uint64_t done_count(const done_set *done, const char *key)
{
    size_t index = first_at_least(done, key), first = index;
    while (index < done->count && strcmp(done->keys[index], key) == 0)
        index++;
    return index - first;
}

static void free_done(done_set *done)
{
    for (size_t index = 0; index < done->count; index++)
        free(done->keys[index]);
    free(done->keys);
}

/* Where the last line of the file at fd starts: its length when it ends in
 * '\n' (or is empty); -1 on a read error. */
static off_t last_line_start(int fd)
{
    struct stat info;
    char buffer[65536];
    if (fstat(fd, &info) != 0)
        return -1;
    for (off_t end = info.st_size; end > 0;) {
        off_t start = end > (off_t)sizeof buffer ? end - (off_t)sizeof buffer : 0;
        if (pread(fd, buffer, (size_t)(end - start), start) != end - start)
            return -1;
        const char *newline = memrchr(buffer, '\n', (size_t)(end - start));
        if (newline)
            return start + (newline - buffer) + 1;
        end = start;
    }
    return 0;
}

/* Appends the bytes of fd from start to end, and a '\n', to path: 0, or -1 with errno set. */
static int copy_tail(int fd, off_t start, off_t end, const char *path)
{
    int out = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666), status = out < 0 ? -1 : 0;
    char buffer[65536];
    for (off_t at = start; status == 0 && at < end;) {
        size_t want = end - at > (off_t)sizeof buffer ? sizeof buffer : (size_t)(end - at);
        ssize_t got = pread(fd, buffer, want, at);
        status = got > 0 ? mg_append_whole(out, buffer, (size_t)got) : (errno = got == 0 ? EIO : errno, -1);
        at += got > 0 ? got : 0;
    }
    if (status == 0)
        status = mg_append_whole(out, "\n", 1) == 0 && fsync(out) == 0 ? 0 : -1;
    int code = errno;
    if (out >= 0)
        close(out);
    errno = code;
    return status;
}

/* Is the last line, from start to end, whole JSON that lacks only its '\n'
 * (as the reader takes it)? */
static int whole_without_newline(int fd, off_t start, off_t end)
{
    enum { LINE_MOST = 64 << 20 };
    if (end - start > LINE_MOST)
        return 0;
    char *line = malloc((size_t)(end - start));
    json_t *object = line && pread(fd, line, (size_t)(end - start), start) == end - start
                         ? json_loadb(line, (size_t)(end - start), 0, NULL)
                         : NULL;
    int whole = json_is_object(object);
    json_decref(object);
    free(line);
    return whole;
}

/* A results file that does not end in '\n' ends in a line whose write did
 * not finish: its bytes are appended to PATH.partial (nothing is dropped)
 * and cut off, so the next line does not join them. A last line that is
 * whole JSON only lacks its newline, which is added. 0, or -1 with error set. */
static int set_aside_partial(int fd, const char *path, char *error, size_t error_size)
{
    struct stat info;
    off_t start = last_line_start(fd);
    if (start < 0 || fstat(fd, &info) != 0) {
        snprintf(error, error_size, "cannot read '%s': %s", mg_show(path).text, strerror(errno));
        return -1;
    }
    if (start == info.st_size)
        return 0;
    if (whole_without_newline(fd, start, info.st_size)) {
        if (mg_append_whole(fd, "\n", 1) == 0)
            return 0;
        snprintf(error, error_size, "cannot end the last line of '%s': %s", mg_show(path).text, strerror(errno));
        return -1;
    }
    char partial[MG_PATH_SIZE + 16];
    snprintf(partial, sizeof partial, "%s.partial", path);
    if (copy_tail(fd, start, info.st_size, partial) != 0 || ftruncate(fd, start) != 0) {
        snprintf(error, error_size, "cannot set the unfinished last line of '%s' aside in '%s': %s", mg_show(path).text,
                 mg_show(partial).text,
                 strerror(errno));
        return -1;
    }
    fprintf(stderr, "memgrams sweep: '%s' ended in %lld bytes of an unfinished line: moved to '%s'\n",
            mg_show(path).text, (long long)(info.st_size - start), mg_show(partial).text);
    return 0;
}

/* ---- the plan --------------------------------------------------------------------- */

static int self_path(char *path, size_t path_size)
{
    ssize_t length = readlink("/proc/self/exe", path, path_size - 1);
    if (length <= 0)
        return -1;
    path[length] = '\0';
    return 0;
}

/* Which side runs the turn-th run of a cell in a pass: the first side
 * alternates from cell to cell and pass to pass. */
static int side_of(int turn, uint64_t pass, uint64_t index, int sides)
{
    return (int)(((uint64_t)turn + pass + index) % (uint64_t)sides);
}

/* A run's command line in the plan: with --out, `memgrams run ... --output
 * FILE` judging itself into DIR/cells/ (DIR/against/cells/ for the other
 * build) or onto stdout; without, the command as the sweep starts it. */
static int plan_command(const sweep_plan *plan, const char *exe, int against, const mg_run_request *request,
                        mg_command *command, char *error, size_t error_size)
{
    static char output[MG_PATH_SIZE + 512];
    char corpora[MG_PATH_SIZE], name[512];
    if (!plan->out_given) {
        snprintf(corpora, sizeof corpora, "%s/corpora", plan->out);
        return mg_command_for(exe, request, corpora, command, error, error_size);
    }
    mg_cell_file_name(&request->cell, request->pass, name, sizeof name);
    if (strcmp(plan->out, "-") == 0)
        snprintf(output, sizeof output, "-");
    else
        snprintf(output, sizeof output, "%s/%scells/%s", plan->out, against ? "against/" : "", name);
    mg_command_judged(exe, request, output, command);
    return 0;
}

/* A plan is read line by line (GNU parallel, sed -n Np): no word may break one. */
static int check_words(const mg_command *command, char *error, size_t error_size)
{
    for (int word = 0; command->argv[word]; word++)
        if (strpbrk(command->argv[word], "\n\r")) {
            snprintf(error, error_size, "cannot print a plan line with '%s': it holds a line break",
                     mg_show(command->argv[word]).text);
            return -1;
        }
    return 0;
}

/* word for POSIX sh: bare when it holds only bytes no shell reads as syntax
 * ('=' only after the first word, where it cannot make an assignment),
 * otherwise in single quotes with each ' as '\''. */
static void print_word(const char *word, int first)
{
    const char *safe = first ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+:,./-"
                             : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+:,./-=";
    if (*word && word[strspn(word, safe)] == '\0') {
        fputs(word, stdout);
        return;
    }
    putchar('\'');
    for (; *word; word++)
        if (*word == '\'')
            fputs("'\\''", stdout);
        else
            putchar(*word);
    putchar('\'');
}

/* Every run's line (printing when print is set), in the order the sweep
 * would start them: 0, or -1 with error set at the first that cannot be made. */
static int plan_lines(const char *exe, const sweep_plan *plan, int print, char *error, size_t error_size)
{
    const char *exes[2] = {exe, plan->against};
    int sides = side_count(plan);
    static mg_command command; /* ~45 KiB: kept off the stack */
    for (uint64_t pass = 0; pass < plan->processes; pass++)
        for (uint64_t index = 0; index < cell_count(plan); index++) {
            mg_run_request request = mg_run_request_make(cell_at(plan, index), plan->seed, plan->repeat, pass + 1,
                                                         plan->timeout_seconds);
            for (int turn = 0; turn < sides; turn++) {
                int side = side_of(turn, pass, index, sides);
                if (plan_command(plan, exes[side], side == 1, &request, &command, error, error_size) != 0 ||
                    check_words(&command, error, error_size) != 0)
                    return -1;
                for (int word = 0; print && command.argv[word]; word++) {
                    if (word)
                        putchar(' ');
                    print_word(command.argv[word], word == 0);
                }
                if (print)
                    putchar('\n');
            }
        }
    return 0;
}

/* The plan, whole or not at all: every line is made once before any is printed. */
static int print_plan(const char *exe, const sweep_plan *plan)
{
    char error[1024];
    if (plan_lines(exe, plan, 0, error, sizeof error) != 0)
        return sweep_error(error);
    plan_lines(exe, plan, 1, error, sizeof error);
    if (fflush(stdout) != 0 || ferror(stdout))
        return mg_output_failed("sweep", errno ? errno : EIO);
    return 0;
}

/* ---- the sweep --------------------------------------------------------------------- */

/* Counts of the sweep so far, every one of them 64-bit. */
typedef struct sweep_tally {
    uint64_t step, total; /* runs seen, and in all */
    uint64_t failures;    /* runs that did not end ok */
    uint64_t unstored;    /* lines that could not be appended */
    int tty;
} sweep_tally;

static void show_progress(const sweep_tally *tally, const mg_cell *job, const char *side, const char *status,
                          double seconds)
{
    if (tally->tty)
        fprintf(stderr, "\r\033[K[%llu/%llu] %s %s %.4g n=%d %s%s%s%s", (unsigned long long)tally->step,
                (unsigned long long)tally->total, job->backend, job->corpus, job->fraction, job->order,
                job->allocator, side, status ? ": " : " ...", status ? status : "");
    else if (status)
        fprintf(stderr, "[%llu/%llu] %s %s %.4g n=%d %s%s: %s (%.1f s)\n", (unsigned long long)tally->step,
                (unsigned long long)tally->total, job->backend, job->corpus, job->fraction, job->order,
                job->allocator, side, status, seconds);
    fflush(stderr);
}

static double seconds_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* One build's runs: this memgrams, or the one given by --against. */
typedef struct sweep_side {
    const char *exe;
    const char *label; /* shown after the cell: "" or " (against)" */
    char results_path[4200];
    int results_fd;
    done_set done;     /* runs the results held before this sweep (--resume) */
} sweep_side;

/* Waits for the results file's lock: sweeps that share one (make bench's
 * two lanes) append under it, so a short write is cut back without cutting
 * another sweep's line, and an unfinished line is never one being written. */
static void lock_results(int fd)
{
    while (flock(fd, LOCK_EX) != 0 && errno == EINTR)
        ;
}

/* Appends the run's line whole, under the lock: 0, or -1 with errno set. */
static int append_line(int fd, json_t *run)
{
    lock_results(fd);
    int status = mg_json_write_line(run, fd), code = errno;
    flock(fd, LOCK_UN);
    errno = code;
    return status;
}

/* Runs one cell on one side and appends its line, numbered with its pass
 * (check pairs the runs of one pass). */
static void run_one(const sweep_plan *plan, sweep_side *side, const mg_run_request *request, sweep_tally *tally)
{
    static mg_command command; /* ~45 KiB: kept off the stack */
    char error[1024], corpora[MG_PATH_SIZE];
    show_progress(tally, &request->cell, side->label, NULL, 0);
    double started = seconds_now();
    snprintf(corpora, sizeof corpora, "%s/corpora", plan->out);
    json_t *run = mg_command_for(side->exe, request, corpora, &command, error, sizeof error) == 0
                      ? mg_supervise(&command, request)
                      : mg_supervise_failed(request, error);
    const char *status = json_string_value(json_object_get(run, "status"));
    if (append_line(side->results_fd, run) != 0) {
        tally->unstored++;
        fprintf(stderr, "%smemgrams sweep: cannot append to '%s': %s\n", tally->tty ? "\n" : "",
                mg_show(side->results_path).text,
                strerror(errno));
    }
    show_progress(tally, &request->cell, side->label, status ? status : "?", seconds_now() - started);
    tally->failures += !status || strcmp(status, "ok") != 0;
    json_decref(run);
}

/* Runs every run not done yet, pass by pass (each pass one run of every cell,
 * so the runs of a cell are spread over the sweep's time, not bunched); with
 * two sides, each cell runs on both back to back, the first side alternating,
 * so both sides see the same moments of the machine. */
static void run_cells(const sweep_plan *plan, sweep_side *sides, sweep_tally *tally)
{
    int count = side_count(plan);
    for (uint64_t pass = 0; pass < plan->processes; pass++)
        for (uint64_t index = 0; index < cell_count(plan); index++) {
            mg_run_request request = mg_run_request_make(cell_at(plan, index), plan->seed, plan->repeat, pass + 1,
                                                         plan->timeout_seconds);
            char key[8300];
            done_key(&request.cell, request.seed, request.repeat, key, sizeof key);
            for (int turn = 0; turn < count; turn++) {
                sweep_side *side = &sides[side_of(turn, pass, index, count)];
                tally->step++;
                if (done_count(&side->done, key) > pass)
                    show_progress(tally, &request.cell, side->label, "done before", 0);
                else
                    run_one(plan, side, &request, tally);
            }
        }
    if (tally->tty)
        fputc('\n', stderr);
}

/* Opens a side's results file for appending, never after an unfinished
 * line; with --resume, reads the runs done (from done_path). 0 or the exit status. */
static int open_side(const sweep_plan *plan, sweep_side *side, const char *file, const char *done_path)
{
    char error[MG_PATH_SIZE + 1024];
    snprintf(side->results_path, sizeof side->results_path, "%s/%s", plan->out, file);
    side->results_fd = open(side->results_path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (side->results_fd < 0) {
        snprintf(error, sizeof error, "cannot open '%s': %s", mg_show(side->results_path).text, strerror(errno));
        return sweep_fail(1, error);
    }
    lock_results(side->results_fd);
    int set_aside = set_aside_partial(side->results_fd, side->results_path, error, sizeof error);
    flock(side->results_fd, LOCK_UN);
    if (set_aside != 0)
        return sweep_fail(1, error);
    if (plan->resume && load_done(done_path ? done_path : side->results_path, &side->done, error, sizeof error) != 0)
        return sweep_error(error);
    return 0;
}

static void close_side(sweep_side *side)
{
    if (side->results_fd >= 0)
        close(side->results_fd);
    free_done(&side->done);
}

static void print_summary(const sweep_plan *plan, const sweep_side *sides, const sweep_tally *tally)
{
    char error[MG_PATH_SIZE + 512], stored[128] = "";
    if (mg_summary_print(sides[0].results_path, stdout, error, sizeof error) != 0)
        fprintf(stderr, "memgrams sweep: %s\n", error);
    if (tally->unstored)
        snprintf(stored, sizeof stored, "; %llu results could not be stored", (unsigned long long)tally->unstored);
    int two = side_count(plan) == 2;
    printf("results: %s%s%s (%llu of %llu runs not ok%s)\n", sides[0].results_path, two ? ", against: " : "",
           two ? sides[1].results_path : "", (unsigned long long)tally->failures, (unsigned long long)tally->total,
           stored);
    if (tally->unstored)
        fprintf(stderr, "memgrams sweep: %llu results could not be stored (see above); --resume --out %s measures "
                "them again\n", (unsigned long long)tally->unstored, plan->out);
}

int mg_sweep_main(int argc, char **argv)
{
    signal(SIGXFSZ, SIG_IGN); /* past a file-size limit a write fails with EFBIG, and the sweep says so */
    sweep_plan plan;
    int status = parse_plan(argc, argv, &plan);
    if (status)
        return status;
    char exe[4096], error[4400];
    if (self_path(exe, sizeof exe) != 0)
        return sweep_fail(1, "cannot find the memgrams binary (/proc/self/exe)");
    if (plan.plan_only)
        return print_plan(exe, &plan);
    if (mg_make_folders(plan.out) != 0) {
        snprintf(error, sizeof error, "cannot make the folder '%s': %s", mg_show(plan.out).text, strerror(errno));
        return sweep_fail(1, error);
    }
    sweep_side sides[2] = {{.exe = exe, .label = "", .results_fd = -1},
                           {.exe = plan.against, .label = " (against)", .results_fd = -1}};
    status = open_side(&plan, &sides[0], "results.jsonl", plan.out);
    if (status == 0 && side_count(&plan) == 2)
        status = open_side(&plan, &sides[1], "against.jsonl", NULL);
    sweep_tally tally = {.total = run_count(&plan), .tty = isatty(STDERR_FILENO)};
    if (status == 0)
        run_cells(&plan, sides, &tally);
    for (int index = 0; index < side_count(&plan); index++)
        close_side(&sides[index]);
    if (status)
        return status;
    print_summary(&plan, sides, &tally);
    return tally.failures || tally.unstored ? 1 : 0;
}
