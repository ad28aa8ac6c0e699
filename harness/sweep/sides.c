/* sides.c — see sides.h. */
#include "sides.h"
#include "atomic_file.h"
#include "message.h"
#include "results_append.h"
#include "run_fields.h"
#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static void show_progress(const mg_sweep_tally *tally, const mg_cell *job, const char *side, const char *status,
                          double seconds)
{
    char subject[256];
    mg_cell_subject(job, subject, sizeof subject);
    if (tally->tty)
        fprintf(stderr, "\r\033[K[%llu/%llu] %s %s %.4g n=%d %s%s%s%s", (unsigned long long)tally->step,
                (unsigned long long)tally->total, subject, job->corpus, job->fraction, job->order,
                job->allocator, side, status ? ": " : " ...", status ? status : "");
    else if (status)
        fprintf(stderr, "[%llu/%llu] %s %s %.4g n=%d %s%s: %s (%.1f s)\n", (unsigned long long)tally->step,
                (unsigned long long)tally->total, subject, job->corpus, job->fraction, job->order,
                job->allocator, side, status, seconds);
    fflush(stderr);
}

static double seconds_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

static const char *const failure_names[MG_SWEEP_FAILURE_KINDS] = {"oom", "timeout", "crashed", "killed", "error"};

const char *mg_sweep_failure_name(int kind)
{
    return failure_names[kind];
}

/* Counts a run that did not end ok under its status (the last kind: any status not named). */
static void count_failure(mg_sweep_tally *tally, const char *status)
{
    if (status && strcmp(status, "ok") == 0)
        return;
    int kind = 0;
    while (kind < MG_SWEEP_FAILURE_KINDS - 1 && !(status && strcmp(status, failure_names[kind]) == 0))
        kind++;
    tally->failed_as[kind]++;
}

/* Runs one cell on one side and appends its line, numbered with its pass
 * (check pairs the runs of one pass). */
static void run_one(const mg_sweep_plan *plan, mg_sweep_side *side, const mg_run_request *request, mg_sweep_tally *tally)
{
    static mg_command command; /* ~45 KiB: kept off the stack */
    char error[1024], corpora[MG_PATH_SIZE];
    show_progress(tally, &request->cell, side->label, NULL, 0);
    double started = seconds_now();
    snprintf(corpora, sizeof corpora, "%s/corpora", plan->out);
    json_t *run = mg_command_for(side->exe, request, corpora, &command, error, sizeof error) == 0
                      ? mg_supervise(&command, request)
                      : mg_supervise_failed(request, error);
    const char *status = mg_run_status(run);
    if (mg_results_append_line(side->results_fd, run) != 0) {
        tally->unstored++;
        fprintf(stderr, "%smemgrams sweep: cannot append to '%s': %s\n", tally->tty ? "\n" : "",
                mg_show(side->results_path).text,
                strerror(errno));
    }
    show_progress(tally, &request->cell, side->label, status ? status : "?", seconds_now() - started);
    tally->failures += !status || strcmp(status, "ok") != 0;
    count_failure(tally, status);
    json_decref(run);
}

void mg_sweep_run_cells(const mg_sweep_plan *plan, mg_sweep_side *sides, mg_sweep_tally *tally)
{
    int count = mg_plan_side_count(plan);
    for (uint64_t pass = 0; pass < plan->processes; pass++)
        for (uint64_t index = 0; index < mg_plan_cell_count(plan); index++) {
            mg_run_request request = mg_run_request_make(mg_plan_cell_at(plan, index), plan->seed, plan->repeat, pass + 1,
                                                         plan->timeout_seconds);
            char key[8300];
            mg_done_key(&request.cell, request.seed, request.repeat, key, sizeof key);
            for (int turn = 0; turn < count; turn++) {
                mg_sweep_side *side = &sides[mg_plan_side_of(turn, pass, index, count)];
                tally->step++;
                if (mg_done_count(&side->done, key) > pass)
                    show_progress(tally, &request.cell, side->label, "done before", 0);
                else
                    run_one(plan, side, &request, tally);
            }
        }
    if (tally->tty)
        fputc('\n', stderr);
}

int mg_sweep_side_open(const mg_sweep_plan *plan, mg_sweep_side *side, const char *file, const char *done_path)
{
    char error[MG_PATH_SIZE + 1024];
    snprintf(side->results_path, sizeof side->results_path, "%s/%s", plan->out, file);
    side->results_fd = open(side->results_path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (side->results_fd < 0) {
        snprintf(error, sizeof error, "cannot open '%s': %s", mg_show(side->results_path).text, strerror(errno));
        return mg_fail("sweep", 1, error);
    }
    mg_results_lock(side->results_fd);
    int set_aside = mg_results_set_aside_partial(side->results_fd, side->results_path, error, sizeof error);
    flock(side->results_fd, LOCK_UN);
    if (set_aside != 0)
        return mg_fail("sweep", 1, error);
    if (plan->resume && mg_done_load(done_path ? done_path : side->results_path, &side->done, error, sizeof error) != 0)
        return mg_fail("sweep", 2, error);
    return 0;
}

void mg_sweep_side_close(mg_sweep_side *side)
{
    if (side->results_fd >= 0)
        close(side->results_fd);
    mg_done_free(&side->done);
}
