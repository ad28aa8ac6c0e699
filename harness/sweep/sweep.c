/* sweep.c — see sweep.h. */
#include "sweep.h"
#include "atomic_file.h"
#include "message.h"
#include "plan.h"
#include "plan_lines.h"
#include "sides.h"
#include "summary_table.h"
#include "supervise.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* "N runs, all ok" or "F of N runs did not end ok (1 oom, 1 timeout)". */
static void tally_text(const mg_sweep_tally *tally, char *text, size_t text_size)
{
    unsigned long long total = (unsigned long long)tally->total, failures = (unsigned long long)tally->failures;
    if (!failures) {
        snprintf(text, text_size, "%llu run%s, all ok", total, total == 1 ? "" : "s");
        return;
    }
    size_t used = (size_t)snprintf(text, text_size, "%llu of %llu runs did not end ok (", failures, total);
    const char *separator = "";
    for (int kind = 0; kind < MG_SWEEP_FAILURE_KINDS && used < text_size; kind++) {
        if (!tally->failed_as[kind])
            continue;
        used += (size_t)snprintf(text + used, text_size - used, "%s%llu %s", separator,
                                 (unsigned long long)tally->failed_as[kind], mg_sweep_failure_name(kind));
        separator = ", ";
    }
    if (used < text_size)
        snprintf(text + used, text_size - used, ")");
}

/* The table on stdout, then what became of the runs on stderr, in words. */
static void print_summary(const mg_sweep_plan *plan, const mg_sweep_side *sides, const mg_sweep_tally *tally)
{
    char error[MG_PATH_SIZE + 512], stored[128] = "", runs[256];
    if (mg_summary_print(sides[0].results_path, stdout, error, sizeof error) != 0)
        mg_fail("sweep", 1, error);
    fflush(stdout);
    if (tally->unstored)
        snprintf(stored, sizeof stored, "; %llu results could not be stored", (unsigned long long)tally->unstored);
    tally_text(tally, runs, sizeof runs);
    int two = mg_plan_side_count(plan) == 2;
    fprintf(stderr, "memgrams sweep: %s%s; results in %s%s%s\n", runs, stored, mg_show(sides[0].results_path).text,
            two ? ", against: " : "", two ? mg_show(sides[1].results_path).text : "");
    if (tally->unstored)
        fprintf(stderr, "memgrams sweep: %llu results could not be stored (see above); --resume --out %s measures "
                "them again\n", (unsigned long long)tally->unstored, plan->out);
}

int mg_sweep_main(int argc, char **argv)
{
    signal(SIGXFSZ, SIG_IGN); /* past a file-size limit a write fails with EFBIG, and the sweep says so */
    mg_sweep_plan plan;
    int status = mg_sweep_plan_parse(argc, argv, &plan);
    if (status)
        return status;
    char exe[4096], error[4400];
    if (mg_self_path(exe, sizeof exe) != 0)
        return mg_fail("sweep", 1, "cannot find the memgrams binary (/proc/self/exe)");
    if (plan.plan_only)
        return mg_sweep_print_plan(exe, &plan);
    if (mg_make_folders(plan.out) != 0) {
        snprintf(error, sizeof error, "cannot make the folder '%s': %s", mg_show(plan.out).text, strerror(errno));
        return mg_fail("sweep", 1, error);
    }
    mg_sweep_side sides[2] = {{.exe = exe, .label = "", .results_fd = -1},
                           {.exe = plan.against, .label = " (against)", .results_fd = -1}};
    status = mg_sweep_side_open(&plan, &sides[0], "results.jsonl", plan.out);
    if (status == 0 && mg_plan_side_count(&plan) == 2)
        status = mg_sweep_side_open(&plan, &sides[1], "against.jsonl", NULL);
    mg_sweep_tally tally = {.total = mg_plan_run_count(&plan), .tty = isatty(STDERR_FILENO)};
    if (status == 0)
        mg_sweep_run_cells(&plan, sides, &tally);
    for (int index = 0; index < mg_plan_side_count(&plan); index++)
        mg_sweep_side_close(&sides[index]);
    if (status)
        return status;
    print_summary(&plan, sides, &tally);
    return tally.failures || tally.unstored ? 1 : 0;
}
