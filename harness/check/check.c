/* check.c — see check.h. */
#include "check.h"
#include "cell_runs.h"
#include "compare.h"
#include "junit.h"
#include "message.h"
#include "options.h"
#include "statistics.h"
#include "tolerance.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct check_options {
    const char *baseline, *results, *junit;
    mg_check_state state;
} check_options;

static int check_usage(const char *message, const char *detail)
{
    fprintf(stderr, "memgrams check: ");
    fprintf(stderr, message, detail);
    fputc('\n', stderr);
    return MG_CHECK_EXIT_INPUT;
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

static void print_table(const mg_check_state *state, FILE *out)
{
    const char *cell = NULL;
    for (size_t index = 0; index < state->row_count; index++) {
        const mg_check_row *row = &state->rows[index];
        char baseline[32], now[32], change[32];
        if (!cell || strcmp(cell, row->cell) != 0) {
            cell = row->cell;
            fprintf(out, "%s\n  %-24s %14s %14s %9s  %-9s  %s\n", cell, "figure", "baseline", "now", "change",
                    "verdict", "note");
        }
        mg_check_value_text(row, row->baseline, baseline, sizeof baseline);
        mg_check_value_text(row, row->now, now, sizeof now);
        mg_check_change_text(row, change, sizeof change);
        fprintf(out, "  %-24s %14s %14s %9s  %-9s  %s\n", row->figure, baseline, now, change,
                mg_verdict_names[row->verdict], row->note);
    }
}

static void print_summary(const mg_check_state *state, FILE *out)
{
    size_t counts[MG_VERDICT_COUNT] = {0};
    for (size_t index = 0; index < state->row_count; index++)
        counts[state->rows[index].verdict]++;
    fprintf(out, "check: %zu ok, %zu improved, %zu REGRESSED, %zu skipped; %zu cells missing, %zu extra\n",
            counts[MG_VERDICT_OK], counts[MG_VERDICT_IMPROVED], counts[MG_VERDICT_REGRESSED], counts[MG_VERDICT_SKIPPED],
            counts[MG_VERDICT_MISSING], counts[MG_VERDICT_EXTRA]);
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
    print_table(state, stdout);
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
