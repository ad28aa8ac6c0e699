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
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

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

/* The seconds the runs of one subject took so far. */
typedef struct subject_time {
    char subject[256];
    double seconds;
    uint64_t runs;
} subject_time;

/* What the time left is told from: each step's subject and each subject's
 * mean so far, since one backend can take ten times another's time on the
 * same cell. */
typedef struct sweep_clock {
    double started;
    subject_time *subjects;
    size_t subject_count;
    int *step_subjects; /* per step (0-based): its subject's index, or -1 for a run done before */
    double seconds;     /* all runs so far */
    uint64_t runs;
} sweep_clock;

/* "42 s", "3 min 05 s", "1 h 02 min": a duration as a person reads it. */
static void duration_text(double seconds, char *text, size_t text_size)
{
    long whole = seconds > 0 ? (long)(seconds + 0.5) : 0;
    if (whole < 60)
        snprintf(text, text_size, "%ld s", whole);
    else if (whole < 3600)
        snprintf(text, text_size, "%ld min %02ld s", whole / 60, whole % 60);
    else
        snprintf(text, text_size, "%ld h %02ld min", whole / 3600, whole / 60 % 60);
}

/* The seconds the steps from first (0-based) on should take, or a negative
 * number while no run has ended: each at its subject's mean, else at the
 * mean of all. */
static double seconds_left(const sweep_clock *clock, const mg_sweep_tally *tally, uint64_t first)
{
    if (clock->runs == 0)
        return -1;
    double left = 0, mean = clock->seconds / (double)clock->runs;
    for (uint64_t step = first; step < tally->total; step++) {
        int subject = clock->step_subjects[step];
        if (subject < 0)
            continue;
        const subject_time *time = &clock->subjects[subject];
        left += time->runs ? time->seconds / (double)time->runs : mean;
    }
    return left;
}

/* "; 12 s elapsed, about 34 s left" (the time left once it can be told),
 * the current step's run counted as left while it runs. */
static void times_text(const sweep_clock *clock, const mg_sweep_tally *tally, int running, char *text, size_t text_size)
{
    char elapsed[64], left[64];
    duration_text(seconds_now() - clock->started, elapsed, sizeof elapsed);
    double seconds = seconds_left(clock, tally, running ? tally->step - 1 : tally->step);
    duration_text(seconds, left, sizeof left);
    if (seconds < 0 || (!running && tally->step >= tally->total))
        snprintf(text, text_size, "; %s elapsed", elapsed);
    else if (seconds < 0.5)
        snprintf(text, text_size, "; %s elapsed, under a second left", elapsed);
    else
        snprintf(text, text_size, "; %s elapsed, about %s left", elapsed, left);
}

/* A step's progress on stderr: on a terminal one line, drawn again as each
 * run starts and ends; otherwise one line per run ended, "[3/40] CELL: ok in
 * 0.8 s; 12 s elapsed, about 34 s left" (scripts/bench reads these). */
static void show_progress(const sweep_clock *clock, const mg_sweep_tally *tally, const mg_cell *job, const char *side,
                          const char *status, double seconds)
{
    char label[2048], times[160], took[64] = "";
    mg_cell_label(job, label, sizeof label);
    times_text(clock, tally, !status, times, sizeof times);
    if (status && seconds > 0)
        snprintf(took, sizeof took, " in %.1f s", seconds);
    if (tally->tty || status)
        fprintf(stderr, "%s[%llu/%llu] %s%s: %s%s%s%s", tally->tty ? "\r\033[K" : "", (unsigned long long)tally->step,
                (unsigned long long)tally->total, label, side, status ? status : "running", took, times,
                tally->tty ? "" : "\n");
    fflush(stderr);
}

/* Adds a run's seconds to its subject's and to all. */
static void clock_add(sweep_clock *clock, const mg_sweep_tally *tally, double seconds)
{
    int subject = clock->step_subjects[tally->step - 1];
    clock->seconds += seconds;
    clock->runs++;
    if (subject >= 0) {
        clock->subjects[subject].seconds += seconds;
        clock->subjects[subject].runs++;
    }
}

/* Runs one cell on one side and appends its line, numbered with its pass
 * (check pairs the runs of one pass). */
static void run_one(const mg_sweep_plan *plan, mg_sweep_side *side, const mg_run_request *request, mg_sweep_tally *tally,
                    sweep_clock *clock)
{
    static mg_command command; /* ~45 KiB: kept off the stack */
    char error[1024], corpora[MG_PATH_SIZE];
    show_progress(clock, tally, &request->cell, side->label, NULL, 0);
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
    double seconds = seconds_now() - started;
    clock_add(clock, tally, seconds);
    show_progress(clock, tally, &request->cell, side->label, status ? status : "?", seconds);
    tally->failures += !status || strcmp(status, "ok") != 0;
    count_failure(tally, status);
    json_decref(run);
}

/* One step of the sweep: pass by pass, cell by cell, each cell on every side. */
typedef struct sweep_step {
    mg_run_request request;
    mg_sweep_side *side;
    int done_before; /* the side's results held this run before the sweep (--resume) */
} sweep_step;

static sweep_step step_at(const mg_sweep_plan *plan, mg_sweep_side *sides, uint64_t step)
{
    uint64_t count = (uint64_t)mg_plan_side_count(plan), cells = mg_plan_cell_count(plan);
    uint64_t turn = step % count, index = step / count % cells, pass = step / count / cells;
    sweep_step at = {.request = mg_run_request_make(mg_plan_cell_at(plan, index), plan->seed, plan->repeat, pass + 1,
                                                    plan->timeout_seconds),
                     .side = &sides[mg_plan_side_of((int)turn, pass, index, (int)count)]};
    char key[8300];
    mg_done_key(&at.request.cell, at.request.seed, at.request.repeat, key, sizeof key);
    at.done_before = mg_done_count(&at.side->done, key) > pass;
    return at;
}

/* Each step's subject, for the time left: 0, or -1 when out of memory (the
 * sweep then runs without telling the time left). */
static int clock_start(sweep_clock *clock, const mg_sweep_plan *plan, mg_sweep_side *sides, uint64_t total)
{
    *clock = (sweep_clock){.started = seconds_now()};
    clock->step_subjects = malloc((total ? total : 1) * sizeof *clock->step_subjects);
    clock->subjects = malloc((total ? total : 1) * sizeof *clock->subjects);
    if (!clock->step_subjects || !clock->subjects)
        return -1;
    for (uint64_t step = 0; step < total; step++) {
        sweep_step at = step_at(plan, sides, step);
        char subject[sizeof clock->subjects->subject];
        mg_cell_subject(&at.request.cell, subject, sizeof subject);
        size_t found = 0;
        while (found < clock->subject_count && strcmp(clock->subjects[found].subject, subject) != 0)
            found++;
        if (found == clock->subject_count) {
            clock->subjects[clock->subject_count++] = (subject_time){0};
            snprintf(clock->subjects[found].subject, sizeof clock->subjects[found].subject, "%s", subject);
        }
        clock->step_subjects[step] = at.done_before ? -1 : (int)found;
    }
    return 0;
}

void mg_sweep_run_cells(const mg_sweep_plan *plan, mg_sweep_side *sides, mg_sweep_tally *tally)
{
    sweep_clock clock;
    if (clock_start(&clock, plan, sides, tally->total) != 0) {
        free(clock.step_subjects);
        free(clock.subjects);
        fprintf(stderr, "memgrams sweep: out of memory\n");
        exit(1);
    }
    for (uint64_t step = 0; step < tally->total; step++) {
        sweep_step at = step_at(plan, sides, step);
        tally->step++;
        if (at.done_before)
            show_progress(&clock, tally, &at.request.cell, at.side->label, "done before", 0);
        else
            run_one(plan, at.side, &at.request, tally, &clock);
    }
    if (tally->tty)
        fputc('\n', stderr);
    free(clock.step_subjects);
    free(clock.subjects);
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
