/* check.c — see check.h. */
#include "check.h"
#include "message.h"
#include "atomic_file.h"
#include "cell.h"
#include "options.h"
#include "results.h"
#include "results_file.h"
#include "run.h"
#include "statistics.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { EXIT_REGRESSED = 1, EXIT_UNWRITTEN = 1, EXIT_INPUT = 2 };

#define CELL_RUNS_MAX 64 /* lines of one cell pooled from one file */

static const char *const layer_names[MG_CHECK_LAYERS] = {
    "requested", "allocated", "active", "resident", "rss", "peak",
};

/* ---- tolerances --------------------------------------------------------------- */

void mg_check_default_tolerances(mg_check_tolerances *tolerances)
{
    memset(tolerances, 0, sizeof *tolerances);
    tolerances->memory[MG_CHECK_REQUESTED].percent = 0.5;
    tolerances->memory[MG_CHECK_ALLOCATED].percent = 1.0;
    for (int layer = MG_CHECK_ACTIVE; layer < MG_CHECK_LAYERS; layer++)
        tolerances->memory[layer] = (mg_tolerance){5.0, 256 * 1024, 0};
    /* jemalloc's resident counts dirty pages until their decay (opt.dirty_decay_ms,
     * a clock): identical runs differ by up to 3x, so it is not judged unless asked. */
    tolerances->memory[MG_CHECK_RESIDENT].off = 1;
    tolerances->speed_percent = 10.0;
    tolerances->alpha = 0.001; /* a check judges ~60 speed figures: at 0.01 unchanged code alarmed 1 check in 4 */
}

/* One term of an amount: "5%" or "256KiB"; 0 or -1. */
static int parse_term(const char *term, mg_tolerance *tolerance)
{
    static const struct { const char *suffix; double bytes; } units[] = {
        {"B", 1}, {"KiB", 1024}, {"MiB", 1024.0 * 1024}, {"GiB", 1024.0 * 1024 * 1024},
    };
    char *end;
    errno = 0;
    double value = strtod(term, &end);
    if (end == term || errno || !isfinite(value) || value < 0)
        return -1;
    if (strcmp(end, "%") == 0) {
        tolerance->percent += value;
        return 0;
    }
    for (size_t unit = 0; unit < sizeof units / sizeof units[0]; unit++)
        if (strcmp(end, units[unit].suffix) == 0) {
            tolerance->bytes += value * units[unit].bytes;
            return 0;
        }
    return -1;
}

/* "off", or terms joined by '+'. */
static int parse_amount(char *amount, mg_tolerance *tolerance)
{
    *tolerance = (mg_tolerance){0, 0, 0};
    if (strcmp(amount, "off") == 0) {
        tolerance->off = 1;
        return 0;
    }
    size_t length = strlen(amount);
    if (length == 0 || amount[0] == '+' || amount[length - 1] == '+' || strstr(amount, "++"))
        return -1;
    for (char *save = NULL, *term = strtok_r(amount, "+", &save); term; term = strtok_r(NULL, "+", &save))
        if (parse_term(term, tolerance) != 0)
            return -1;
    return 0;
}

static int apply_tolerance(const char *figure, char *amount, mg_check_tolerances *tolerances)
{
    mg_tolerance parsed;
    if (strcmp(figure, "alpha") == 0) {
        char *end;
        double alpha = strtod(amount, &end);
        if (end == amount || *end || !(alpha > 0 && alpha <= 0.5))
            return -1;
        tolerances->alpha = alpha;
        return 0;
    }
    if (parse_amount(amount, &parsed) != 0)
        return -1;
    if (strcmp(figure, "speed") == 0) {
        if (parsed.bytes > 0)
            return -1;
        tolerances->speed_off = parsed.off;
        tolerances->speed_percent = parsed.percent;
        return 0;
    }
    for (int layer = 0; layer < MG_CHECK_LAYERS; layer++)
        if (strcmp(figure, "memory") == 0 || strcmp(figure, layer_names[layer]) == 0)
            tolerances->memory[layer] = parsed;
    return 0;
}

static int known_figure(const char *figure)
{
    static const char *const others[] = {"memory", "speed", "alpha"};
    for (int layer = 0; layer < MG_CHECK_LAYERS; layer++)
        if (strcmp(figure, layer_names[layer]) == 0)
            return 1;
    for (size_t index = 0; index < 3; index++)
        if (strcmp(figure, others[index]) == 0)
            return 1;
    return 0;
}

int mg_check_parse_tolerances(const char *spec, mg_check_tolerances *tolerances, char *error, size_t error_size)
{
    char copy[1024];
    if (snprintf(copy, sizeof copy, "%s", spec) >= (int)sizeof copy || !*spec) {
        snprintf(error, error_size, "tolerance '%.64s' is empty or too long", spec);
        return -1;
    }
    for (char *save = NULL, *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *equals = strchr(item, '=');
        if (!equals) {
            snprintf(error, error_size, "tolerance '%s' is not FIGURE=AMOUNT", item);
            return -1;
        }
        *equals = '\0';
        if (!known_figure(item)) {
            snprintf(error, error_size, "tolerance for unknown figure '%s' (valid: requested, allocated, "
                     "active, resident, rss, peak, memory, speed, alpha)", item);
            return -1;
        }
        char amount[256];
        snprintf(amount, sizeof amount, "%s", equals + 1);
        if (apply_tolerance(item, amount, tolerances) != 0) {
            snprintf(error, error_size, "tolerance %s='%s' is not valid (e.g. 5%%+256KiB, 10%%, off; alpha 0.01)",
                     item, equals + 1);
            return -1;
        }
    }
    return 0;
}

/* ---- reading results files ------------------------------------------------------- */

typedef struct check_cell {
    char key[1024];   /* backend|corpus|fraction|order|allocator */
    char label[1024]; /* the same, for people */
    json_t *runs[CELL_RUNS_MAX];
    size_t run_count;
    int matched;
} check_cell;

typedef struct check_file {
    const char *path;
    json_t *lines;    /* every run, owned here */
    check_cell *cells;
    size_t cell_count;
} check_file;

static int input_error(char *error, size_t error_size, const char *path, const char *what)
{
    snprintf(error, error_size, "'%s': %s", mg_show(path).text, what);
    return -1;
}

static void cell_identity(json_t *run, char *key, size_t key_size, char *label, size_t label_size)
{
    mg_cell cell;
    mg_cell_of_run(run, &cell); /* mg_run_fault has checked the fields */
    mg_cell_key(&cell, key, key_size);
    mg_cell_label(&cell, label, label_size);
}

static check_cell *find_cell(check_file *file, const char *key)
{
    for (size_t index = 0; index < file->cell_count; index++)
        if (strcmp(file->cells[index].key, key) == 0)
            return &file->cells[index];
    return NULL;
}

static int add_to_cell(check_file *file, json_t *run)
{
    char key[1024], label[1024];
    cell_identity(run, key, sizeof key, label, sizeof label);
    check_cell *cell = find_cell(file, key);
    if (!cell) {
        check_cell *grown = realloc(file->cells, (file->cell_count + 1) * sizeof *grown);
        if (!grown)
            return -1;
        file->cells = grown;
        cell = &file->cells[file->cell_count++];
        memset(cell, 0, sizeof *cell);
        snprintf(cell->key, sizeof cell->key, "%s", key);
        snprintf(cell->label, sizeof cell->label, "%s", label);
    }
    if (cell->run_count == CELL_RUNS_MAX)
        return -1;
    cell->runs[cell->run_count++] = run;
    return 0;
}

static void free_file(check_file *file)
{
    json_decref(file->lines);
    free(file->cells);
    memset(file, 0, sizeof *file);
}

/* The runs of a results file or folder (results_file.h), pooled by cell. */
static int load_file(const char *path, check_file *file, char *error, size_t error_size)
{
    memset(file, 0, sizeof *file);
    file->path = path;
    file->lines = json_array();
    mg_results lines = {0};
    int status = mg_results_read(path, MG_RESULTS_RUNS, &lines, error, error_size);
    if (status == 1)
        snprintf(error, error_size, "cannot read '%s': %s", mg_show(path).text, strerror(ENOENT));
    for (size_t index = 0; status == 0 && index < lines.count; index++) {
        json_t *run = lines.objects[index];
        if (json_array_append(file->lines, run) != 0 || add_to_cell(file, run) != 0)
            status = input_error(error, error_size, path, "too many runs of one cell (64 at most)");
    }
    mg_results_free(&lines);
    if (status == 0 && file->cell_count == 0)
        status = input_error(error, error_size, path, "holds no runs");
    if (status != 0)
        free_file(file);
    return status ? -1 : 0;
}

/* ---- figures of a cell --------------------------------------------------------- */

enum { PHASES_JUDGED = 4 };
static const char *const judged_phases[PHASES_JUDGED] = {"train", "finalize", "prune", "purge"};
static const char *const phase_layers[] = {"requested", "allocated", "active", "resident", "rss"};

static json_t *phase_of(json_t *run, const char *name)
{
    json_t *phases = json_object_get(run, "phases"), *phase;
    size_t index;
    json_array_foreach(phases, index, phase)
        if (json_is_string(json_object_get(phase, "name")) &&
            strcmp(json_string_value(json_object_get(phase, "name")), name) == 0)
            return phase;
    return NULL;
}

/* phase.layer - baseline.layer; NAN when either is unknown. */
static double layer_change(json_t *run, const char *phase, const char *layer, const char *base_layer)
{
    json_t *now = json_object_get(phase_of(run, phase), layer);
    json_t *base = json_object_get(phase_of(run, "baseline"), base_layer);
    if (!json_is_number(now) || !json_is_number(base))
        return NAN;
    return json_number_value(now) - json_number_value(base);
}

/* The training peak over baseline RSS, as the derived peak_bytes_per_ngram_rss has it. */
static double peak_change(json_t *run)
{
    double train = layer_change(run, "train", "hwm", "rss");
    double finalize = layer_change(run, "finalize", "hwm", "rss");
    return isnan(finalize) || train >= finalize ? train : finalize;
}

/* The median over the cell's pooled runs of one memory figure (phase NULL: the peak). */
static double cell_memory(const check_cell *cell, const char *phase, const char *layer)
{
    double values[CELL_RUNS_MAX];
    size_t count = 0;
    for (size_t index = 0; index < cell->run_count; index++) {
        double value = phase ? layer_change(cell->runs[index], phase, layer, layer) : peak_change(cell->runs[index]);
        if (!isnan(value))
            values[count++] = value;
    }
    return count ? mg_median_sort(values, count) : NAN;
}

/* A run's figure: the median of its rounds, as `speed` holds it. */
static size_t run_speed(json_t *run, const char *name, double *samples, size_t count, size_t capacity)
{
    json_t *value = json_object_get(json_object_get(run, "speed"), name);
    if (json_is_number(value) && count < capacity)
        samples[count++] = json_number_value(value);
    return count;
}

/* The samples of a speed figure. With whole runs (by_run), one per run: the
 * runs are the independent trials, since the rounds of one run share its
 * process, its memory layout and its moment of the machine. Otherwise every
 * round of every run (speed_samples), or a run's one value where it kept none. */
static size_t cell_speed_samples(const check_cell *cell, const char *name, int by_run, double *samples,
                                 size_t capacity)
{
    size_t count = 0;
    for (size_t index = 0; index < cell->run_count; index++) {
        json_t *run = cell->runs[index];
        json_t *kept = json_object_get(json_object_get(run, "speed_samples"), name), *value;
        size_t position;
        if (by_run || !json_is_array(kept)) {
            count = run_speed(run, name, samples, count, capacity);
            continue;
        }
        json_array_foreach(kept, position, value)
            if (json_is_number(value) && count < capacity)
                samples[count++] = json_number_value(value);
    }
    return count;
}

/* ---- rows: every compared figure ---------------------------------------------------- */

typedef enum { VERDICT_OK, VERDICT_IMPROVED, VERDICT_REGRESSED, VERDICT_MISSING, VERDICT_SKIPPED,
               VERDICT_EXTRA } verdict;
static const char *const verdict_names[] = {"ok", "improved", "REGRESSED", "missing", "skipped", "extra"};

typedef struct check_row {
    const char *cell;  /* label, owned by the cell */
    char figure[64];
    double baseline, now; /* NAN where there is none */
    double change;        /* paired speed rows: the median ratio - 1; else NAN (now / baseline - 1) */
    int is_speed;
    verdict verdict;
    char note[192];
} check_row;

typedef struct check_state {
    mg_check_tolerances tolerances;
    const char *speed_when; /* auto, on, off */
    check_row *rows;
    size_t row_count;
    int failed;
    double *base_samples, *now_samples; /* MG_STATS_SAMPLES_MAX each: scratch for one figure */
} check_state;

static check_row *add_row(check_state *state, const char *cell, const char *figure, double baseline, double now)
{
    check_row *grown = realloc(state->rows, (state->row_count + 1) * sizeof *grown);
    if (!grown) {
        fprintf(stderr, "memgrams check: out of memory\n");
        exit(EXIT_INPUT);
    }
    state->rows = grown;
    check_row *row = &state->rows[state->row_count++];
    memset(row, 0, sizeof *row);
    row->cell = cell;
    snprintf(row->figure, sizeof row->figure, "%s", figure);
    row->baseline = baseline;
    row->now = now;
    row->change = NAN;
    return row;
}

static void set_verdict(check_state *state, check_row *row, verdict verdict)
{
    row->verdict = verdict;
    if (verdict == VERDICT_REGRESSED || verdict == VERDICT_MISSING)
        state->failed = 1;
}

static const char *env_text(json_t *run, const char *path_first, const char *path_second)
{
    json_t *value = json_object_get(json_object_get(run, "env"), path_first);
    if (path_second)
        value = json_object_get(value, path_second);
    return json_is_string(value) ? json_string_value(value) : "";
}

/* Why the allocator-dependent figures cannot be compared, or NULL. */
static const char *allocator_mismatch(json_t *base, json_t *now)
{
    const char *base_version = json_string_value(json_object_get(base, "allocator_version"));
    const char *now_version = json_string_value(json_object_get(now, "allocator_version"));
    if (base_version && now_version && strcmp(base_version, now_version) != 0)
        return "allocator version differs";
    return NULL;
}

/* Why the speeds cannot be compared under --speed auto, or NULL. */
static const char *machine_mismatch(json_t *base, json_t *now)
{
    static const char *const fields[] = {"cpu", "compiler", "build"};
    for (size_t index = 0; index < 3; index++)
        if (strcmp(env_text(base, fields[index], NULL), env_text(now, fields[index], NULL)) != 0)
            return "another CPU or build than the baseline's (--speed on judges anyway)";
    json_t *base_cpus = json_object_get(json_object_get(base, "env"), "cpus");
    json_t *now_cpus = json_object_get(json_object_get(now, "env"), "cpus");
    if (!json_equal(base_cpus, now_cpus))
        return "another CPU count than the baseline's (--speed on judges anyway)";
    return NULL;
}

static void judge_memory_row(check_state *state, check_row *row, const mg_tolerance *tolerance, const char *skip)
{
    if (skip || tolerance->off || isnan(row->now)) {
        snprintf(row->note, sizeof row->note, "%s", skip ? skip : tolerance->off ? "tolerance off" : "no figure now");
        set_verdict(state, row, VERDICT_SKIPPED);
        return;
    }
    double allowed = fabs(row->baseline) * tolerance->percent / 100 + tolerance->bytes;
    double change = row->now - row->baseline;
    set_verdict(state, row, change > allowed ? VERDICT_REGRESSED : change < -allowed ? VERDICT_IMPROVED : VERDICT_OK);
    snprintf(row->note, sizeof row->note, "allowed +-%.0f", allowed);
}

static void compare_memory(check_state *state, const check_cell *base, const check_cell *now)
{
    const char *allocator_skip = allocator_mismatch(base->runs[0], now->runs[0]);
    int thp_differs = strcmp(env_text(base->runs[0], "transparent_hugepage", "enabled"),
                             env_text(now->runs[0], "transparent_hugepage", "enabled")) != 0;
    for (int phase = 0; phase < PHASES_JUDGED; phase++)
        for (int layer = MG_CHECK_REQUESTED; layer <= MG_CHECK_RSS; layer++) {
            double baseline = cell_memory(base, judged_phases[phase], phase_layers[layer]);
            if (isnan(baseline))
                continue; /* a layer this allocator does not report */
            char figure[64];
            snprintf(figure, sizeof figure, "%s.%s", judged_phases[phase], phase_layers[layer]);
            check_row *row = add_row(state, now->label, figure, baseline,
                                     cell_memory(now, judged_phases[phase], phase_layers[layer]));
            const char *skip = layer == MG_CHECK_REQUESTED ? NULL : allocator_skip;
            if (!skip && layer == MG_CHECK_RSS && thp_differs)
                skip = "transparent huge page mode differs";
            judge_memory_row(state, row, &state->tolerances.memory[layer], skip);
        }
    double peak = cell_memory(base, NULL, NULL);
    if (!isnan(peak)) {
        check_row *row = add_row(state, now->label, "train.peak_rss", peak, cell_memory(now, NULL, NULL));
        judge_memory_row(state, row, &state->tolerances.memory[MG_CHECK_PEAK],
                         allocator_skip ? allocator_skip : thp_differs ? "transparent huge page mode differs" : NULL);
    }
}

/* The U test on two sample sets; fills the row's verdict and note. */
static void judge_speed_row(check_state *state, check_row *row, double *base, size_t base_count, double *now,
                            size_t now_count, const char *unit)
{
    const mg_check_tolerances *tolerances = &state->tolerances;
    if (mg_u_test_floor(now_count, base_count) > tolerances->alpha) {
        snprintf(row->note, sizeof row->note, "%zu vs %zu %s: too few for alpha %g", base_count, now_count, unit,
                 tolerances->alpha);
        set_verdict(state, row, VERDICT_SKIPPED);
        return;
    }
    mg_u_test test;
    if (mg_mann_whitney(now, now_count, base, base_count, &test) != 0) {
        snprintf(row->note, sizeof row->note, "samples hold null");
        set_verdict(state, row, VERDICT_SKIPPED);
        return;
    }
    double change = row->now / row->baseline - 1, threshold = tolerances->speed_percent / 100;
    int slower = test.p_greater < tolerances->alpha && change > threshold;
    int faster = test.p_less < tolerances->alpha && change < -threshold;
    set_verdict(state, row, slower ? VERDICT_REGRESSED : faster ? VERDICT_IMPROVED : VERDICT_OK);
    snprintf(row->note, sizeof row->note, "%zu vs %zu %s, p(slower)=%.2g p(faster)=%.2g%s", base_count, now_count,
             unit, test.p_greater, test.p_less, test.exact ? " exact" : "");
}

/* ---- speed: paired runs -------------------------------------------------------- */

/* A run's pass number (sweep writes one into every line), or -1. */
static json_int_t run_pass(json_t *run)
{
    json_t *pass = json_object_get(run, "pass");
    return json_is_integer(pass) ? json_integer_value(pass) : -1;
}

/* Paired when every run on both sides has a pass number and at least two
 * passes are on both: runs of one pass were made back to back (sweep
 * --against), so they saw the same moment of the machine. */
static int cells_paired(const check_cell *base, const check_cell *now)
{
    size_t common = 0;
    for (size_t index = 0; index < base->run_count; index++)
        if (run_pass(base->runs[index]) < 0)
            return 0;
    for (size_t index = 0; index < now->run_count; index++) {
        json_int_t pass = run_pass(now->runs[index]);
        if (pass < 0)
            return 0;
        for (size_t other = 0; other < base->run_count; other++)
            if (run_pass(base->runs[other]) == pass) {
                common++;
                break;
            }
    }
    return common >= 2;
}

/* log(now / baseline) of a figure, one per pass on both sides. */
static size_t pair_differences(const check_cell *base, const check_cell *now, const char *name, double *differences,
                               size_t capacity)
{
    size_t count = 0;
    for (size_t index = 0; index < now->run_count && count < capacity; index++) {
        json_int_t pass = run_pass(now->runs[index]);
        for (size_t other = 0; other < base->run_count; other++) {
            if (run_pass(base->runs[other]) != pass)
                continue;
            double before = 0, after = 0;
            run_speed(base->runs[other], name, &before, 0, 1);
            run_speed(now->runs[index], name, &after, 0, 1);
            if (before > 0 && after > 0)
                differences[count++] = log(after / before);
            break;
        }
    }
    return count;
}

/* The signed-rank test on the pairs' log ratios; slower when significant and
 * the median ratio grew past the tolerance. */
static void judge_paired_row(check_state *state, check_row *row, double *differences, size_t count)
{
    const mg_check_tolerances *tolerances = &state->tolerances;
    if (mg_signed_rank_floor(count) > tolerances->alpha) {
        snprintf(row->note, sizeof row->note, "%zu pairs: too few for alpha %g", count, tolerances->alpha);
        set_verdict(state, row, VERDICT_SKIPPED);
        return;
    }
    /* the median first: the test drops zero differences in place */
    double ratio = exp(mg_median_sort(differences, count)), threshold = tolerances->speed_percent / 100;
    mg_signed_rank_test test;
    mg_signed_rank(differences, count, &test);
    row->change = ratio - 1;
    int slower = test.p_greater < tolerances->alpha && ratio - 1 > threshold;
    int faster = test.p_less < tolerances->alpha && ratio - 1 < -threshold;
    set_verdict(state, row, slower ? VERDICT_REGRESSED : faster ? VERDICT_IMPROVED : VERDICT_OK);
    snprintf(row->note, sizeof row->note, "%zu pairs, p(slower)=%.2g p(faster)=%.2g signed-rank%s", count,
             test.p_greater, test.p_less, test.exact ? " exact" : "");
}

/* Whole runs are the samples when both sides have at least this many. */
#define SPEED_RUNS_MIN 2
/* A finalize this short is one timer read from the next (naive_hash's takes
 * 0.2 us): paired runs of one binary under two paths differed by 19% there. */
#define FINALIZE_SECONDS_MIN 1e-3

static void compare_speed(check_state *state, const check_cell *base, const check_cell *now)
{
    static const char *const names[] = {"lookup_hit_ns", "lookup_miss_ns", "successors_ns",
                                        "generate_ns_per_token", "train_ns_per_gram", "finalize_seconds"};
    double *base_samples = state->base_samples, *now_samples = state->now_samples;
    const char *skip = strcmp(state->speed_when, "off") == 0 ? "--speed off"
                     : state->tolerances.speed_off          ? "tolerance off"
                     : strcmp(state->speed_when, "auto") == 0 ? machine_mismatch(base->runs[0], now->runs[0])
                                                              : NULL;
    int paired = cells_paired(base, now);
    int by_run = paired || (base->run_count >= SPEED_RUNS_MIN && now->run_count >= SPEED_RUNS_MIN);
    for (size_t index = 0; index < sizeof names / sizeof names[0]; index++) {
        size_t base_count = cell_speed_samples(base, names[index], by_run, base_samples, MG_STATS_SAMPLES_MAX);
        if (base_count == 0)
            continue;
        size_t now_count = cell_speed_samples(now, names[index], by_run, now_samples, MG_STATS_SAMPLES_MAX);
        double base_median = mg_median_sort(base_samples, base_count);
        double now_median = now_count ? mg_median_sort(now_samples, now_count) : NAN;
        check_row *row = add_row(state, now->label, names[index], base_median, now_median);
        row->is_speed = 1;
        if (skip || now_count == 0) {
            snprintf(row->note, sizeof row->note, "%s", skip ? skip : "no samples now");
            set_verdict(state, row, VERDICT_SKIPPED);
        } else if (strcmp(names[index], "finalize_seconds") == 0 && base_median < FINALIZE_SECONDS_MIN) {
            snprintf(row->note, sizeof row->note, "under %g s: the clock and page faults, not work",
                     FINALIZE_SECONDS_MIN);
            set_verdict(state, row, VERDICT_SKIPPED);
        } else if (paired) {
            size_t pairs = pair_differences(base, now, names[index], base_samples, MG_STATS_SAMPLES_MAX);
            judge_paired_row(state, row, base_samples, pairs);
        } else {
            judge_speed_row(state, row, base_samples, base_count, now_samples, now_count, by_run ? "runs" : "rounds");
        }
    }
}

static void compare_cell(check_state *state, const check_cell *base, const check_cell *now)
{
    const char *base_status = json_string_value(json_object_get(base->runs[0], "status"));
    if (strcmp(base_status, "ok") != 0) {
        check_row *row = add_row(state, base->label, "status", NAN, NAN);
        snprintf(row->note, sizeof row->note, "the baseline run is not ok (%s)", base_status);
        set_verdict(state, row, VERDICT_SKIPPED);
        return;
    }
    for (size_t index = 0; index < now->run_count; index++) {
        json_t *run = now->runs[index];
        const char *status = json_string_value(json_object_get(run, "status"));
        if (strcmp(status, "ok") != 0) {
            check_row *row = add_row(state, now->label, "status", NAN, NAN);
            json_t *message = json_object_get(run, "message");
            snprintf(row->note, sizeof row->note, "%s: %s", status,
                     json_is_string(message) ? json_string_value(message) : "no message");
            set_verdict(state, row, VERDICT_REGRESSED);
            return;
        }
    }
    compare_memory(state, base, now);
    compare_speed(state, base, now);
}

static void compare_files(check_state *state, check_file *baseline, check_file *results)
{
    for (size_t index = 0; index < baseline->cell_count; index++) {
        check_cell *base = &baseline->cells[index];
        check_cell *now = find_cell(results, base->key);
        if (!now) {
            check_row *row = add_row(state, base->label, "cell", NAN, NAN);
            snprintf(row->note, sizeof row->note, "in the baseline, not in the results");
            set_verdict(state, row, VERDICT_MISSING);
            continue;
        }
        now->matched = 1;
        compare_cell(state, base, now);
    }
    for (size_t index = 0; index < results->cell_count; index++)
        if (!results->cells[index].matched) {
            check_row *row = add_row(state, results->cells[index].label, "cell", NAN, NAN);
            snprintf(row->note, sizeof row->note, "not in the baseline (make baseline adds it)");
            set_verdict(state, row, VERDICT_EXTRA);
        }
}

/* ---- output: the table and JUnit XML --------------------------------------------- */

static void format_value(const check_row *row, double value, char *text, size_t text_size)
{
    if (isnan(value))
        snprintf(text, text_size, "-");
    else if (row->is_speed)
        snprintf(text, text_size, "%.4g", value);
    else
        snprintf(text, text_size, "%.0f", value);
}

/* Change in percent of the baseline; "-" where it has no meaning. */
static void format_change(const check_row *row, char *text, size_t text_size)
{
    if (!isnan(row->change))
        snprintf(text, text_size, "%+.2f%%", row->change * 100);
    else if (isnan(row->baseline) || isnan(row->now) || row->baseline == 0)
        snprintf(text, text_size, row->baseline == 0 && row->now == 0 ? "+0.00%%" : "-");
    else
        snprintf(text, text_size, "%+.2f%%", (row->now / row->baseline - 1) * 100);
}

static void print_table(const check_state *state, FILE *out)
{
    const char *cell = NULL;
    for (size_t index = 0; index < state->row_count; index++) {
        const check_row *row = &state->rows[index];
        char baseline[32], now[32], change[32];
        if (!cell || strcmp(cell, row->cell) != 0) {
            cell = row->cell;
            fprintf(out, "%s\n  %-24s %14s %14s %9s  %-9s  %s\n", cell, "figure", "baseline", "now", "change",
                    "verdict", "note");
        }
        format_value(row, row->baseline, baseline, sizeof baseline);
        format_value(row, row->now, now, sizeof now);
        format_change(row, change, sizeof change);
        fprintf(out, "  %-24s %14s %14s %9s  %-9s  %s\n", row->figure, baseline, now, change,
                verdict_names[row->verdict], row->note);
    }
}

static void print_summary(const check_state *state, FILE *out)
{
    size_t counts[6] = {0};
    for (size_t index = 0; index < state->row_count; index++)
        counts[state->rows[index].verdict]++;
    fprintf(out, "check: %zu ok, %zu improved, %zu REGRESSED, %zu skipped; %zu cells missing, %zu extra\n",
            counts[VERDICT_OK], counts[VERDICT_IMPROVED], counts[VERDICT_REGRESSED], counts[VERDICT_SKIPPED],
            counts[VERDICT_MISSING], counts[VERDICT_EXTRA]);
    for (size_t index = 0; index < state->row_count; index++) {
        const check_row *row = &state->rows[index];
        if (row->verdict != VERDICT_REGRESSED && row->verdict != VERDICT_MISSING)
            continue;
        char change[32];
        format_change(row, change, sizeof change);
        fprintf(out, "%s: %s %s %s (%s)\n", verdict_names[row->verdict], row->cell, row->figure, change, row->note);
    }
}

static void xml_escaped(FILE *out, const char *text)
{
    for (; *text; text++) {
        switch (*text) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        default:
            if ((unsigned char)*text >= 0x20 || *text == '\t')
                fputc(*text, out);
        }
    }
}

static void junit_row(FILE *out, const check_row *row)
{
    char baseline[32], now[32], change[32];
    format_value(row, row->baseline, baseline, sizeof baseline);
    format_value(row, row->now, now, sizeof now);
    format_change(row, change, sizeof change);
    fputs("    <testcase classname=\"", out);
    xml_escaped(out, row->cell);
    fputs("\" name=\"", out);
    xml_escaped(out, row->figure);
    fputs("\">", out);
    if (row->verdict == VERDICT_REGRESSED || row->verdict == VERDICT_MISSING) {
        fprintf(out, "<failure type=\"%s\" message=\"", verdict_names[row->verdict]);
        xml_escaped(out, row->figure);
        fprintf(out, " %s: baseline %s, now %s, change %s; ", verdict_names[row->verdict], baseline, now, change);
        xml_escaped(out, row->note);
        fputs("\"/>", out);
    } else if (row->verdict == VERDICT_SKIPPED) {
        fputs("<skipped message=\"", out);
        xml_escaped(out, row->note);
        fputs("\"/>", out);
    } else {
        fprintf(out, "<system-out>%s: baseline %s, now %s, change %s</system-out>", verdict_names[row->verdict],
                baseline, now, change);
    }
    fputs("</testcase>\n", out);
}

static void write_junit_to(FILE *out, const check_state *state)
{
    size_t failures = 0, skipped = 0;
    for (size_t index = 0; index < state->row_count; index++) {
        verdict verdict = state->rows[index].verdict;
        failures += verdict == VERDICT_REGRESSED || verdict == VERDICT_MISSING;
        skipped += verdict == VERDICT_SKIPPED;
    }
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(out, "<testsuites name=\"memgrams check\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\">\n",
            state->row_count, failures, skipped);
    fprintf(out, "  <testsuite name=\"memgrams check\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\">\n",
            state->row_count, failures, skipped);
    for (size_t index = 0; index < state->row_count; index++)
        junit_row(out, &state->rows[index]);
    fprintf(out, "  </testsuite>\n</testsuites>\n");
}

/* Written whole or not at all (atomic_file.h). */
static int write_junit(const char *path, const check_state *state, char *error, size_t error_size)
{
    mg_atomic_file out;
    if (mg_atomic_begin(&out, path, error, error_size) != 0)
        return -1;
    write_junit_to(out.file, state);
    return mg_atomic_commit(&out, error, error_size);
}

/* ---- the command ------------------------------------------------------------------ */

typedef struct check_options {
    const char *baseline, *results, *junit;
    check_state state;
} check_options;

static int check_usage(const char *message, const char *detail)
{
    fprintf(stderr, "memgrams check: ");
    fprintf(stderr, message, detail);
    fputc('\n', stderr);
    return EXIT_INPUT;
}

enum { OPT_BASELINE = 1, OPT_RESULTS, OPT_TOLERANCE, OPT_SPEED, OPT_JUNIT };

static int parse_check_options(int argc, char **argv, check_options *options)
{
    static const struct option table[] = {
        {"baseline", required_argument, NULL, OPT_BASELINE}, {"results", required_argument, NULL, OPT_RESULTS},
        {"tolerance", required_argument, NULL, OPT_TOLERANCE}, {"speed", required_argument, NULL, OPT_SPEED},
        {"junit", required_argument, NULL, OPT_JUNIT}, {NULL, 0, NULL, 0},
    };
    memset(options, 0, sizeof *options);
    mg_check_default_tolerances(&options->state.tolerances);
    options->state.speed_when = "auto";
    char error[512];
    int code;
    mg_option_start();
    while ((code = mg_option_next(argc, argv, table, NULL, "memgrams", error, sizeof error)) != -1) {
        if (code == MG_OPTION_FAULT)
            return check_usage("%s", error);
        if (code == OPT_BASELINE)
            options->baseline = optarg;
        else if (code == OPT_RESULTS)
            options->results = optarg;
        else if (code == OPT_JUNIT)
            options->junit = optarg;
        else if (code == OPT_SPEED && strcmp(optarg, "auto") && strcmp(optarg, "on") && strcmp(optarg, "off"))
            return check_usage("--speed '%s' is not auto, on or off", mg_show(optarg).text);
        else if (code == OPT_SPEED)
            options->state.speed_when = optarg;
        else if (mg_check_parse_tolerances(optarg, &options->state.tolerances, error, sizeof error) != 0)
            return check_usage("%s", error);
    }
    if (optind < argc)
        return check_usage("unexpected argument '%s'", mg_show(argv[optind]).text);
    if (!options->baseline || !options->results)
        return check_usage("%s", "--baseline and --results (each a results file or a sweep folder) are both required");
    return 0;
}

int mg_check_main(int argc, char **argv)
{
    check_options options;
    int status = parse_check_options(argc, argv, &options);
    if (status)
        return status;
    char error[1024];
    check_file baseline, results;
    if (load_file(options.baseline, &baseline, error, sizeof error) != 0)
        return check_usage("%s", error);
    if (load_file(options.results, &results, error, sizeof error) != 0) {
        free_file(&baseline);
        return check_usage("%s", error);
    }
    check_state *state = &options.state;
    state->base_samples = malloc(MG_STATS_SAMPLES_MAX * sizeof(double));
    state->now_samples = malloc(MG_STATS_SAMPLES_MAX * sizeof(double));
    if (!state->base_samples || !state->now_samples) {
        fprintf(stderr, "memgrams check: out of memory\n");
        exit(EXIT_INPUT);
    }
    compare_files(state, &baseline, &results);
    print_table(state, stdout);
    print_summary(state, stdout);
    status = state->failed ? EXIT_REGRESSED : 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "memgrams check: cannot write the output: %s\n", strerror(errno));
        status = EXIT_UNWRITTEN;
    }
    if (options.junit && write_junit(options.junit, state, error, sizeof error) != 0) {
        fprintf(stderr, "memgrams check: %s\n", error);
        status = EXIT_UNWRITTEN;
    }
    free(state->rows);
    free(state->base_samples);
    free(state->now_samples);
    free_file(&baseline);
    free_file(&results);
    return status;
}
