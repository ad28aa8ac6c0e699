/* check.c — see check.h. */
#include "check.h"
#include "cell_runs.h"
#include "compare.h"
#include "junit.h"
#include "message.h"
#include "options.h"
#include "report_files.h"
#include "statistics.h"
#include "tolerance.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct check_options {
    const char *baseline, *results, *junit;
    int verbose; /* every cell's figures, those not judged too */
    mg_check_state state;
} check_options;

static int check_usage(const char *message, const char *detail)
{
    fprintf(stderr, "memgrams check: ");
    fprintf(stderr, message, detail);
    fputc('\n', stderr);
    return MG_CHECK_EXIT_INPUT;
}

enum { OPT_BASELINE = 1, OPT_RESULTS, OPT_TOLERANCE, OPT_SPEED, OPT_JUNIT, OPT_VERBOSE };

static int parse_check_options(int argc, char **argv, check_options *options)
{
    static const struct option table[] = {
        {"baseline", required_argument, NULL, OPT_BASELINE}, {"results", required_argument, NULL, OPT_RESULTS},
        {"tolerance", required_argument, NULL, OPT_TOLERANCE}, {"speed", required_argument, NULL, OPT_SPEED},
        {"junit", required_argument, NULL, OPT_JUNIT}, {"verbose", no_argument, NULL, OPT_VERBOSE},
        {NULL, 0, NULL, 0},
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
        else if (code == OPT_VERBOSE)
            options->verbose = 1;
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

/* What a cell's rows come to. */
typedef struct cell_outcome {
    size_t first, end;         /* its rows, one after another in state->rows */
    mg_verdict verdict;        /* the gravest of its rows' */
    const mg_check_row *worst; /* the row with that verdict and the change most that way; NULL where none has one */
    size_t judged, skipped;    /* figures judged and not */
} cell_outcome;

/* How grave a verdict is, for a cell's: a failure over a change over no change over nothing judged. */
static int gravity(mg_verdict verdict)
{
    static const int ranks[MG_VERDICT_COUNT] = {
        [MG_VERDICT_SKIPPED] = 0, [MG_VERDICT_OK] = 1,        [MG_VERDICT_EXTRA] = 2,   [MG_VERDICT_IMPROVED] = 3,
        [MG_VERDICT_LAYOUT] = 4,  [MG_VERDICT_REGRESSED] = 5, [MG_VERDICT_MISSING] = 6,
    };
    return ranks[verdict];
}

/* The rows of the cell that starts at row first. */
static cell_outcome cell_outcome_at(const mg_check_state *state, size_t first)
{
    cell_outcome outcome = {.first = first, .end = first, .verdict = MG_VERDICT_SKIPPED};
    const char *cell = state->rows[first].cell;
    for (; outcome.end < state->row_count && strcmp(state->rows[outcome.end].cell, cell) == 0; outcome.end++) {
        const mg_check_row *row = &state->rows[outcome.end];
        outcome.skipped += row->verdict == MG_VERDICT_SKIPPED;
        outcome.judged += row->verdict == MG_VERDICT_OK || row->verdict == MG_VERDICT_IMPROVED ||
                          row->verdict == MG_VERDICT_REGRESSED;
        if (gravity(row->verdict) > gravity(outcome.verdict))
            outcome.verdict = row->verdict;
    }
    int lowest = outcome.verdict == MG_VERDICT_IMPROVED; /* an improvement's most is its fall */
    for (size_t index = first; index < outcome.end; index++) {
        const mg_check_row *row = &state->rows[index];
        double change = mg_check_row_change(row), worst = outcome.worst ? mg_check_row_change(outcome.worst) : NAN;
        if (row->verdict != outcome.verdict || isnan(change))
            continue;
        if (!outcome.worst || (lowest ? change < worst : change > worst))
            outcome.worst = row;
    }
    return outcome;
}

/* "ok         CELL: worst train.rss +0.4% (15 figures judged, 6 not)"; a cell without figures, its row's note. */
static void print_cell_line(const mg_check_state *state, const cell_outcome *outcome, FILE *out)
{
    const mg_check_row *first = &state->rows[outcome->first];
    fprintf(out, "%-9s  %s: ", mg_verdict_names[outcome->verdict], first->cell);
    if (outcome->worst) {
        char change[32];
        mg_check_change_text(outcome->worst, change, sizeof change);
        fprintf(out, "%s %s %s (%zu figures judged, %zu not)\n",
                outcome->verdict == MG_VERDICT_IMPROVED ? "best" : "worst", outcome->worst->figure, change,
                outcome->judged, outcome->skipped);
        return;
    }
    const mg_check_row *row = first;
    while (row->verdict != outcome->verdict)
        row++;
    if (outcome->verdict == MG_VERDICT_SKIPPED)
        fprintf(out, "no figure judged (%zu not: %s)\n", outcome->skipped, row->note);
    else if (strcmp(row->figure, "cell") == 0)
        fprintf(out, "%s\n", row->note);
    else
        fprintf(out, "%s: %s\n", row->figure, row->note);
}

/* The cell's figures: those judged (and those not, when verbose; their change in parentheses, as it was
 * not judged). */
static void print_cell_table(const mg_check_state *state, const cell_outcome *outcome, int verbose, FILE *out)
{
    fprintf(out, "  %-24s %14s %14s %9s  %-9s  %s\n", "figure", "baseline", "now", "change", "verdict", "note");
    for (size_t index = outcome->first; index < outcome->end; index++) {
        const mg_check_row *row = &state->rows[index];
        if (row->verdict == MG_VERDICT_SKIPPED && !verbose)
            continue;
        char baseline[32], now[32], change[32], shown[40];
        mg_check_value_text(row, row->baseline, baseline, sizeof baseline);
        mg_check_value_text(row, row->now, now, sizeof now);
        mg_check_change_text(row, change, sizeof change);
        snprintf(shown, sizeof shown, row->verdict == MG_VERDICT_SKIPPED && strcmp(change, "-") ? "(%s)" : "%s",
                 change);
        fprintf(out, "  %-24s %14s %14s %9s  %-9s  %s\n", row->figure, baseline, now, shown,
                mg_verdict_names[row->verdict], row->note);
    }
    if (!verbose && outcome->skipped)
        fprintf(out, "  (%zu figures not judged: --verbose lists them)\n", outcome->skipped);
}

/* One line per cell; the figures of a cell that changed (of every cell, when verbose). */
static void print_cells(const mg_check_state *state, int verbose, FILE *out)
{
    for (size_t first = 0; first < state->row_count;) {
        cell_outcome outcome = cell_outcome_at(state, first);
        print_cell_line(state, &outcome, out);
        int changed = outcome.verdict == MG_VERDICT_REGRESSED || outcome.verdict == MG_VERDICT_IMPROVED ||
                      outcome.verdict == MG_VERDICT_LAYOUT;
        if (verbose || (changed && outcome.judged + outcome.skipped > 1))
            print_cell_table(state, &outcome, verbose, out);
        first = outcome.end;
    }
}

/* A count as text with thousands separators, alive to the end of the statement it is in. */
typedef struct count_text {
    char text[32];
} count_text;

static count_text counted(size_t value)
{
    count_text shown;
    mg_format_count((double)value, shown.text, sizeof shown.text);
    return shown;
}

/* "check: 40 cells: 39 ok, 0 improved, 1 REGRESSED, 0 missing, 0 extra; 680 figures judged, 400 not
 * (400 of them speeds)": the cells by their verdict, then the figures. */
static void print_counts(const mg_check_state *state, FILE *out)
{
    size_t cells[MG_VERDICT_COUNT] = {0}, cell_count = 0, judged = 0, skipped = 0, skipped_speeds = 0;
    for (size_t first = 0; first < state->row_count; cell_count++) {
        cell_outcome outcome = cell_outcome_at(state, first);
        cells[outcome.verdict]++;
        judged += outcome.judged;
        first = outcome.end;
    }
    for (size_t index = 0; index < state->row_count; index++) {
        skipped += state->rows[index].verdict == MG_VERDICT_SKIPPED;
        skipped_speeds += state->rows[index].verdict == MG_VERDICT_SKIPPED && state->rows[index].is_speed;
    }
    fprintf(out, "check: %s cells: %s ok, %s improved, %s REGRESSED, %s missing, %s extra", counted(cell_count).text,
            counted(cells[MG_VERDICT_OK]).text, counted(cells[MG_VERDICT_IMPROVED]).text,
            counted(cells[MG_VERDICT_REGRESSED]).text, counted(cells[MG_VERDICT_MISSING]).text,
            counted(cells[MG_VERDICT_EXTRA]).text);
    if (cells[MG_VERDICT_LAYOUT])
        fprintf(out, ", %s layout CHANGED", counted(cells[MG_VERDICT_LAYOUT]).text);
    if (cells[MG_VERDICT_SKIPPED])
        fprintf(out, ", %s with nothing judged", counted(cells[MG_VERDICT_SKIPPED]).text);
    fprintf(out, "; %s figures judged, %s not (%s of them speeds)\n", counted(judged).text,
            counted(skipped).text, counted(skipped_speeds).text);
}

static void print_summary(const mg_check_state *state, FILE *out)
{
    print_counts(state, out);
    for (size_t index = 0; index < state->row_count; index++) {
        const mg_check_row *row = &state->rows[index];
        if (row->verdict == MG_VERDICT_LAYOUT)
            fprintf(out, "%s: %s: %s\n", mg_verdict_names[row->verdict], row->cell, row->note);
        if (row->verdict != MG_VERDICT_REGRESSED && row->verdict != MG_VERDICT_MISSING)
            continue;
        char change[32];
        mg_check_change_text(row, change, sizeof change);
        fprintf(out, "%s: %s %s %s (%s)\n", mg_verdict_names[row->verdict], row->cell, row->figure, change, row->note);
    }
}

int mg_check_main(int argc, char **argv)
{
    check_options options;
    int status = parse_check_options(argc, argv, &options);
    if (status)
        return status;
    char error[1024];
    mg_check_file baseline, results;
    if (mg_check_file_load(options.baseline, &baseline, error, sizeof error) != 0)
        return check_usage("%s", error);
    if (mg_check_file_load(options.results, &results, error, sizeof error) != 0) {
        mg_check_file_free(&baseline);
        return check_usage("%s", error);
    }
    mg_check_state *state = &options.state;
    state->base_samples = malloc(MG_STATS_SAMPLES_MAX * sizeof(double));
    state->now_samples = malloc(MG_STATS_SAMPLES_MAX * sizeof(double));
    if (!state->base_samples || !state->now_samples) {
        fprintf(stderr, "memgrams check: out of memory\n");
        exit(MG_CHECK_EXIT_INPUT);
    }
    mg_check_compare(state, &baseline, &results);
    print_cells(state, options.verbose, stdout);
    print_summary(state, stdout);
    status = state->failed ? MG_CHECK_EXIT_REGRESSED : 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        status = mg_output_failed("check", errno);
    }
    if (options.junit && mg_junit_write(options.junit, state, error, sizeof error) != 0) {
        status = mg_fail("check", MG_CHECK_EXIT_UNWRITTEN, error);
    }
    free(state->rows);
    free(state->base_samples);
    free(state->now_samples);
    mg_check_file_free(&baseline);
    mg_check_file_free(&results);
    return status;
}
