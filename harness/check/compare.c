/* compare.c — see compare.h. */
#include "compare.h"
#include "check.h"
#include "report_files.h"
#include "run_fields.h"
#include "statistics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PHASES_JUDGED = 4 };

static const char *const judged_phases[PHASES_JUDGED] = {"train", "finalize", "prune", "purge"};

const char *const mg_verdict_names[MG_VERDICT_COUNT] = {"ok", "improved", "REGRESSED", "missing", "skipped",
                                                        "extra", "CHANGED"};

int mg_verdict_fails(mg_verdict verdict)
{
    return verdict == MG_VERDICT_REGRESSED || verdict == MG_VERDICT_MISSING || verdict == MG_VERDICT_LAYOUT;
}

static mg_check_row *add_row(mg_check_state *state, const char *cell, const char *figure, double baseline, double now)
{
    mg_check_row *grown = realloc(state->rows, (state->row_count + 1) * sizeof *grown);
    if (!grown) {
        fprintf(stderr, "memgrams check: out of memory\n");
        exit(MG_CHECK_EXIT_INPUT);
    }
    state->rows = grown;
    mg_check_row *row = &state->rows[state->row_count++];
    memset(row, 0, sizeof *row);
    row->cell = cell;
    snprintf(row->figure, sizeof row->figure, "%s", figure);
    row->baseline = baseline;
    row->now = now;
    row->change = NAN;
    return row;
}

static void set_verdict(mg_check_state *state, mg_check_row *row, mg_verdict verdict)
{
    row->verdict = verdict;
    if (mg_verdict_fails(verdict))
        state->failed = 1;
}

/* Why the allocator-dependent figures cannot be compared, or NULL. */
static const char *allocator_mismatch(json_t *base, json_t *now)
{
    const char *base_version = mg_run_allocator_version(base);
    const char *now_version = mg_run_allocator_version(now);
    if (base_version && now_version && strcmp(base_version, now_version) != 0)
        return "allocator version differs";
    return NULL;
}

/* Why the speeds cannot be compared under --speed auto, or NULL. */
static const char *machine_mismatch(json_t *base, json_t *now)
{
    mg_run_machine before = mg_run_machine_of(base), after = mg_run_machine_of(now);
    if (strcmp(before.cpu, after.cpu) != 0 || strcmp(before.compiler, after.compiler) != 0 ||
        strcmp(before.build, after.build) != 0)
        return "another CPU or build than the baseline's (--speed on judges anyway)";
    if (!json_equal(before.cpus, after.cpus))
        return "another CPU count than the baseline's (--speed on judges anyway)";
    return NULL;
}

static void judge_memory_row(mg_check_state *state, mg_check_row *row, const mg_tolerance *tolerance, const char *skip)
{
    if (skip || tolerance->off || isnan(row->now)) {
        snprintf(row->note, sizeof row->note, "%s", skip ? skip : tolerance->off ? "tolerance off" : "no figure now");
        set_verdict(state, row, MG_VERDICT_SKIPPED);
        return;
    }
    double allowed = fabs(row->baseline) * tolerance->percent / 100 + tolerance->bytes;
    double change = row->now - row->baseline;
    set_verdict(state, row, change > allowed ? MG_VERDICT_REGRESSED : change < -allowed ? MG_VERDICT_IMPROVED : MG_VERDICT_OK);
    char shown[32];
    snprintf(row->note, sizeof row->note, "allowed +-%s", mg_format_count(allowed, shown, sizeof shown));
}

static void compare_memory(mg_check_state *state, const mg_check_cell *base, const mg_check_cell *now)
{
    const char *allocator_skip = allocator_mismatch(base->runs[0], now->runs[0]);
    int thp_differs = strcmp(mg_run_machine_of(base->runs[0]).thp_enabled,
                             mg_run_machine_of(now->runs[0]).thp_enabled) != 0;
    for (int phase = 0; phase < PHASES_JUDGED; phase++)
        for (int layer = MG_CHECK_REQUESTED; layer <= MG_CHECK_RSS; layer++) {
            double baseline = mg_cell_memory(base, judged_phases[phase], mg_check_layer_names[layer]);
            if (isnan(baseline))
                continue; /* a layer this allocator does not report */
            char figure[64];
            snprintf(figure, sizeof figure, "%s.%s", judged_phases[phase], mg_check_layer_names[layer]);
            mg_check_row *row = add_row(state, now->label, figure, baseline,
                                     mg_cell_memory(now, judged_phases[phase], mg_check_layer_names[layer]));
            const char *skip = layer == MG_CHECK_REQUESTED ? NULL : allocator_skip;
            if (!skip && layer == MG_CHECK_RSS && thp_differs)
                skip = "transparent huge page mode differs";
            judge_memory_row(state, row, &state->tolerances.memory[layer], skip);
        }
    double peak = mg_cell_memory(base, NULL, NULL);
    if (!isnan(peak)) {
        mg_check_row *row = add_row(state, now->label, "train.peak_rss", peak, mg_cell_memory(now, NULL, NULL));
        judge_memory_row(state, row, &state->tolerances.memory[MG_CHECK_PEAK],
                         allocator_skip ? allocator_skip : thp_differs ? "transparent huge page mode differs" : NULL);
    }
}

/* A probability with two significant digits in fixed notation: 0.00024, never 2.4e-04. */
static const char *probability_text(double value, char *text, size_t text_size)
{
    int decimals = value > 0 && value < 1 ? 1 - (int)floor(log10(value)) : 2;
    snprintf(text, text_size, "%.*f", decimals, value);
    return text;
}

/* "p(slower)=0.00024 p(faster)=1.0" */
static const char *p_values_text(double slower, double faster, char *text, size_t text_size)
{
    char slower_text[32], faster_text[32];
    snprintf(text, text_size, "p(slower)=%s p(faster)=%s", probability_text(slower, slower_text, sizeof slower_text),
             probability_text(faster, faster_text, sizeof faster_text));
    return text;
}

/* The U test on two sample sets; fills the row's verdict and note. */
static void judge_speed_row(mg_check_state *state, mg_check_row *row, double *base, size_t base_count, double *now,
                            size_t now_count, const char *unit)
{
    const mg_check_tolerances *tolerances = &state->tolerances;
    char alpha[32], p_values[80];
    if (mg_u_test_floor(now_count, base_count) > tolerances->alpha) {
        snprintf(row->note, sizeof row->note, "%zu vs %zu %s: too few for alpha %s", base_count, now_count, unit,
                 probability_text(tolerances->alpha, alpha, sizeof alpha));
        set_verdict(state, row, MG_VERDICT_SKIPPED);
        return;
    }
    mg_u_test test;
    if (mg_mann_whitney(now, now_count, base, base_count, &test) != 0) {
        snprintf(row->note, sizeof row->note, "samples hold null");
        set_verdict(state, row, MG_VERDICT_SKIPPED);
        return;
    }
    double change = row->now / row->baseline - 1, threshold = tolerances->speed_percent / 100;
    int slower = test.p_greater < tolerances->alpha && change > threshold;
    int faster = test.p_less < tolerances->alpha && change < -threshold;
    set_verdict(state, row, slower ? MG_VERDICT_REGRESSED : faster ? MG_VERDICT_IMPROVED : MG_VERDICT_OK);
    snprintf(row->note, sizeof row->note, "%zu vs %zu %s, %s%s", base_count, now_count, unit,
             p_values_text(test.p_greater, test.p_less, p_values, sizeof p_values), test.exact ? " exact" : "");
}

/* The signed-rank test on the pairs' log ratios; slower when significant and
 * the median ratio grew past the tolerance. */
static void judge_paired_row(mg_check_state *state, mg_check_row *row, double *differences, size_t count)
{
    const mg_check_tolerances *tolerances = &state->tolerances;
    char alpha[32], p_values[80];
    if (mg_signed_rank_floor(count) > tolerances->alpha) {
        snprintf(row->note, sizeof row->note, "%zu pairs: too few for alpha %s", count,
                 probability_text(tolerances->alpha, alpha, sizeof alpha));
        set_verdict(state, row, MG_VERDICT_SKIPPED);
        return;
    }
    /* the median first: the test drops zero differences in place */
    double ratio = exp(mg_median_sort(differences, count)), threshold = tolerances->speed_percent / 100;
    mg_signed_rank_test test;
    mg_signed_rank(differences, count, &test);
    row->change = ratio - 1;
    int slower = test.p_greater < tolerances->alpha && ratio - 1 > threshold;
    int faster = test.p_less < tolerances->alpha && ratio - 1 < -threshold;
    set_verdict(state, row, slower ? MG_VERDICT_REGRESSED : faster ? MG_VERDICT_IMPROVED : MG_VERDICT_OK);
    snprintf(row->note, sizeof row->note, "%zu pairs, %s signed-rank%s", count,
             p_values_text(test.p_greater, test.p_less, p_values, sizeof p_values), test.exact ? " exact" : "");
}

/* Whole runs are the samples when both sides have at least this many. */
#define SPEED_RUNS_MIN 2
/* A finalize this short is one timer read from the next (naive_hash's takes
 * 0.2 us): paired runs of one binary under two paths differed by 19% there. */
#define FINALIZE_SECONDS_MIN 1e-3

static void compare_speed(mg_check_state *state, const mg_check_cell *base, const mg_check_cell *now)
{
    static const char *const names[] = {"lookup_hit_ns", "lookup_miss_ns", "successors_ns",
                                        "generate_ns_per_token", "train_ns_per_gram", "finalize_seconds"};
    double *base_samples = state->base_samples, *now_samples = state->now_samples;
    const char *skip = strcmp(state->speed_when, "off") == 0 ? "--speed off"
                     : state->tolerances.speed_off          ? "tolerance off"
                     : strcmp(state->speed_when, "auto") == 0 ? machine_mismatch(base->runs[0], now->runs[0])
                                                              : NULL;
    int paired = mg_cells_paired(base, now);
    int by_run = paired || (base->run_count >= SPEED_RUNS_MIN && now->run_count >= SPEED_RUNS_MIN);
    for (size_t index = 0; index < sizeof names / sizeof names[0]; index++) {
        size_t base_count = mg_cell_speed_samples(base, names[index], by_run, base_samples, MG_STATS_SAMPLES_MAX);
        if (base_count == 0)
            continue;
        size_t now_count = mg_cell_speed_samples(now, names[index], by_run, now_samples, MG_STATS_SAMPLES_MAX);
        double base_median = mg_median_sort(base_samples, base_count);
        double now_median = now_count ? mg_median_sort(now_samples, now_count) : NAN;
        mg_check_row *row = add_row(state, now->label, names[index], base_median, now_median);
        row->is_speed = 1;
        if (skip || now_count == 0) {
            snprintf(row->note, sizeof row->note, "%s", skip ? skip : "no samples now");
            set_verdict(state, row, MG_VERDICT_SKIPPED);
        } else if (strcmp(names[index], "finalize_seconds") == 0 && base_median < FINALIZE_SECONDS_MIN) {
            snprintf(row->note, sizeof row->note, "under %g s: the clock and page faults, not work",
                     FINALIZE_SECONDS_MIN);
            set_verdict(state, row, MG_VERDICT_SKIPPED);
        } else if (paired) {
            size_t pairs = mg_pair_differences(base, now, names[index], base_samples, MG_STATS_SAMPLES_MAX);
            judge_paired_row(state, row, base_samples, pairs);
        } else {
            judge_speed_row(state, row, base_samples, base_count, now_samples, now_count, by_run ? "runs" : "rounds");
        }
    }
}

/* The layout versions of a baseline run and a results run of the cell
 * that both declare one, where they differ: 1 with from and to set; 0 where
 * they agree or either side declares none (a peer, an older file). */
static int layout_changed(const mg_check_cell *base, const mg_check_cell *now, int64_t *from, int64_t *to)
{
    for (size_t before = 0; before < base->run_count; before++)
        for (size_t after = 0; after < now->run_count; after++)
            if (mg_run_layout_version(base->runs[before], from) && mg_run_layout_version(now->runs[after], to) &&
                *from != *to)
                return 1;
    return 0;
}

static int memory_judged(const mg_check_tolerances *tolerances)
{
    for (int layer = 0; layer < MG_CHECK_LAYERS; layer++)
        if (!tolerances->memory[layer].off)
            return 1;
    return 0;
}

/* The backend lays its table out otherwise than when the baseline was
 * measured, so the baseline's memory figures describe another layout and
 * are not compared. That fails the check, so the baseline is rewritten in
 * the change that changed the layout and a reviewer sees the new figures;
 * only where no memory figure is judged at all (--tolerance memory=off)
 * there is nothing a stale baseline could mislead, and the row is skipped. */
static void judge_layout(mg_check_state *state, const mg_check_cell *now, int64_t from, int64_t to)
{
    mg_check_row *row = add_row(state, now->label, "layout", (double)from, (double)to);
    row->is_version = 1;
    int judged = memory_judged(&state->tolerances);
    snprintf(row->note, sizeof row->note, "layout changed (from %lld to %lld): %s", (long long)from, (long long)to,
             judged ? "memory not compared; the baseline needs rewriting (make baseline)" : "memory is not judged");
    set_verdict(state, row, judged ? MG_VERDICT_LAYOUT : MG_VERDICT_SKIPPED);
}

static void compare_cell(mg_check_state *state, const mg_check_cell *base, const mg_check_cell *now)
{
    const char *base_status = mg_run_status(base->runs[0]);
    if (strcmp(base_status, "ok") != 0) {
        mg_check_row *row = add_row(state, base->label, "status", NAN, NAN);
        snprintf(row->note, sizeof row->note, "the baseline run is not ok (%s)", base_status);
        set_verdict(state, row, MG_VERDICT_SKIPPED);
        return;
    }
    for (size_t index = 0; index < now->run_count; index++) {
        json_t *run = now->runs[index];
        const char *status = mg_run_status(run), *message = mg_run_message(run);
        if (strcmp(status, "ok") != 0) {
            mg_check_row *row = add_row(state, now->label, "status", NAN, NAN);
            snprintf(row->note, sizeof row->note, "%s: %s", status, message ? message : "no message");
            set_verdict(state, row, MG_VERDICT_REGRESSED);
            return;
        }
    }
    int64_t from, to;
    if (layout_changed(base, now, &from, &to))
        judge_layout(state, now, from, to);
    else
        compare_memory(state, base, now);
    compare_speed(state, base, now);
}

void mg_check_compare(mg_check_state *state, mg_check_file *baseline, mg_check_file *results)
{
    for (size_t index = 0; index < baseline->cell_count; index++) {
        mg_check_cell *base = &baseline->cells[index];
        mg_check_cell *now = mg_check_cell_find(results, base->key);
        if (!now) {
            mg_check_row *row = add_row(state, base->label, "cell", NAN, NAN);
            snprintf(row->note, sizeof row->note, "in the baseline, not in the results");
            set_verdict(state, row, MG_VERDICT_MISSING);
            continue;
        }
        now->matched = 1;
        compare_cell(state, base, now);
    }
    for (size_t index = 0; index < results->cell_count; index++)
        if (!results->cells[index].matched) {
            mg_check_row *row = add_row(state, results->cells[index].label, "cell", NAN, NAN);
            snprintf(row->note, sizeof row->note, "not in the baseline (make baseline adds it)");
            set_verdict(state, row, MG_VERDICT_EXTRA);
        }
}

/* ---- a row as text ---------------------------------------------------------------- */

/* A figure as its unit is read: bytes and nanoseconds whole with thousands separators, seconds
 * with four decimals, never an exponent. */
void mg_check_value_text(const mg_check_row *row, double value, char *text, size_t text_size)
{
    size_t length = strlen(row->figure);
    if (isnan(value))
        snprintf(text, text_size, "-");
    else if (length > 8 && strcmp(row->figure + length - 8, "_seconds") == 0)
        snprintf(text, text_size, "%.4f", value);
    else
        mg_format_count(value, text, text_size);
}

double mg_check_row_change(const mg_check_row *row)
{
    if (row->is_version)
        return NAN;
    if (!isnan(row->change))
        return row->change;
    if (isnan(row->baseline) || isnan(row->now))
        return NAN;
    if (row->baseline == 0)
        return row->now == 0 ? 0 : NAN;
    return row->now / row->baseline - 1;
}

void mg_check_change_text(const mg_check_row *row, char *text, size_t text_size)
{
    double change = mg_check_row_change(row);
    if (isnan(change))
        snprintf(text, text_size, "-");
    else
        snprintf(text, text_size, "%+.1f%%", change * 100);
}
