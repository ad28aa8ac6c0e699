/*
 * test_sweep.c — a sweep as a long job meets the world: a file-size limit,
 * a line cut short, a run killed from outside or by the OOM killer, the
 * sweep itself killed at random moments, --resume after each, and the plan
 * run by sh and by GNU parallel.
 */
#include "cell.h"
#include "process.h"
#include "results_file.h"
#include "support.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers ----------------------------------------------------------------------- */

/* Starts MEMGRAMS_BINARY with args, its stdout and stderr into files, with
 * extra NAME=VALUE environment entries, at most file_bytes per file written
 * (0: no limit) and SIGXFSZ ignored, so a write past the limit fails with
 * EFBIG. Returns the pid. */
static pid_t start_memgrams(const char *const *args, const char *const *environment, const char *out_path,
                            const char *err_path, rlim_t file_bytes)
{
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork failed");
    if (pid > 0)
        return pid;
    int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0666), err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (out < 0 || err < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0)
        _exit(127);
    struct rlimit limit = {file_bytes, file_bytes};
    if (file_bytes && setrlimit(RLIMIT_FSIZE, &limit) != 0)
        _exit(127);
    signal(SIGXFSZ, SIG_IGN);
    for (size_t index = 0; environment && environment[index]; index++)
        putenv((char *)environment[index]);
    char *argv[64] = {(char *)MEMGRAMS_BINARY};
    for (size_t index = 0; args[index] && index < 62; index++)
        argv[index + 1] = (char *)args[index];
    execv(MEMGRAMS_BINARY, argv);
    _exit(127);
}

/* Waits for pid: its exit code, or -1 when a signal ended it. */
static int finish(pid_t pid)
{
    int status = 0;
    cr_assert(waitpid(pid, &status, 0) == pid, "waitpid failed");
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *file_text(const char *path)
{
    mgt_buffer buffer = {0};
    if (mgt_read_file(path, &buffer) != 0)
        return strdup("");
    mgt_buffer_append_byte(&buffer, 0);
    return (char *)buffer.bytes;
}

/* The run lines of path (a file or a sweep's folder) by the one reader; the test fails on any bad line. */
static mg_results read_runs(const char *path)
{
    mg_results results = {0};
    char error[1024];
    int status = mg_results_read(path, MG_RESULTS_RUNS, &results, error, sizeof error);
    cr_assert_geq(status, 0, "%s", error);
    return results;
}

static const char *run_text(const mg_results *results, size_t index, const char *field)
{
    return json_string_value(json_object_get(results->objects[index], field));
}

static size_t count_status(const mg_results *results, const char *status)
{
    size_t count = 0;
    for (size_t index = 0; index < results->count; index++)
        count += strcmp(run_text(results, index, "status"), status) == 0;
    return count;
}

static char *path_in(const char *folder, const char *name)
{
    char *path = malloc(strlen(folder) + strlen(name) + 2);
    cr_assert(path);
    sprintf(path, "%s/%s", folder, name);
    return path;
}

/* A child process of parent, or 0 while it has none. */
static pid_t child_of(pid_t parent)
{
    DIR *proc = opendir("/proc");
    struct dirent *entry;
    pid_t found = 0;
    while (proc && !found && (entry = readdir(proc))) {
        char path[300], text[1024];
        snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
        FILE *stat_file = entry->d_name[0] >= '1' && entry->d_name[0] <= '9' ? fopen(path, "r") : NULL;
        size_t length = stat_file ? fread(text, 1, sizeof text - 1, stat_file) : 0;
        if (stat_file)
            fclose(stat_file);
        text[length] = '\0';
        char *after_name = strrchr(text, ')'), state;
        int parent_pid = 0;
        if (after_name && sscanf(after_name + 1, " %c %d", &state, &parent_pid) == 2 && parent_pid == parent)
            found = (pid_t)atoi(entry->d_name);
    }
    if (proc)
        closedir(proc);
    return found;
}

static void write_text(const char *path, const char *text)
{
    cr_assert_eq(mgt_write_file(path, text), 0, "cannot write %s", path);
}

static void sleep_ms(long milliseconds)
{
    struct timespec pause = {milliseconds / 1000, (milliseconds % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

/* ---- a write that fails ------------------------------------------------------------- */

Test(sweep, results_that_cannot_be_stored_are_counted_and_fail_the_sweep)
{
    char *out = temp_folder(), *logs = temp_folder();
    char *results = path_in(out, "results.jsonl"), *stdout_path = path_in(logs, "out"), *stderr_path = path_in(logs, "err");
    const char *args[] = {"sweep", "--backends", "naive_hash,interned_hash", "--corpora", "synth:tokens=2000",
                          "--orders", "1,2,3", "--out", out, NULL};
    /* a line is about 14 KB: two fit under the limit, the third does not */
    int exit_code = finish(start_memgrams(args, NULL, stdout_path, stderr_path, 40000));
    char *said = file_text(stdout_path), *complained = file_text(stderr_path);
    cr_expect_eq(exit_code, 1, "a sweep that lost results exits %d: %s%s", exit_code, said, complained);
    unsigned long long unstored = 0;
    const char *status = strstr(complained, "memgrams sweep: 6 runs, all ok; ");
    cr_assert(status && sscanf(status, "memgrams sweep: 6 runs, all ok; %llu results could not be stored", &unstored) == 1,
              "the status line does not count what was not stored: %s", complained);
    mg_results runs = read_runs(results);
    cr_expect_geq(runs.count, 1, "nothing was stored before the limit");
    cr_expect_eq(runs.count + unstored, 6, "%zu lines stored + %llu not stored != 6 runs", runs.count, unstored);
    cr_expect_eq(count_status(&runs, "ok"), runs.count, "a stored line is not a whole ok run");
    cr_expect(strstr(complained, "File too large"), "stderr does not say why: %s", complained);
    mg_results_free(&runs);
    free(said), free(complained), free(results), free(stdout_path), free(stderr_path);
    remove_folder(out);
    remove_folder(logs);
}

/* ---- progress ------------------------------------------------------------------------------ */

/* Off a terminal, one line per run on stderr: the cell, its status, its seconds, done of all,
 * the time elapsed and, once a run has ended and until the last, the time left. */
Test(sweep, progress_off_a_terminal_is_one_line_per_run_with_the_time_left)
{
    char *out = temp_folder();
    const char *args[] = {"sweep", "--backends", "naive_hash,interned_hash", "--corpora", "synth:tokens=2000",
                          "--orders", "1", "--fractions", "1/2", "--allocators", "glibc", "--out", out, NULL};
    command_result result = memgrams(args, NULL);
    cr_assert_eq(result.exit_code, 0, "%s", result.err);
    /* two lines of progress, then the sweep's last line in words */
    cr_expect_eq(count_lines(result.err), 3, "one line per run: %s", result.err);
    cr_expect(strstr(result.err, "\nmemgrams sweep: 2 runs, all ok; results in "), "the last line: %s", result.err);
    const char *first = strstr(result.err, "[1/2] naive_hash synth:tokens=2000 f=0.5 n=1 glibc: ok in ");
    const char *second = strstr(result.err, "\n[2/2] interned_hash synth:tokens=2000 f=0.5 n=1 glibc: ok in ");
    cr_expect(first == result.err && second, "the lines name the cell, status and seconds: %s", result.err);
    const char *left = first ? strstr(first, " left\n") : NULL;
    cr_expect(first && second && strstr(first, " s elapsed, ") && left && left < second,
              "the first line tells the time left: %s", result.err);
    cr_expect(second && strstr(second, " s elapsed\n") && !strstr(second, "left"), "the last has none left: %s",
              result.err);
    cr_expect(!strchr(result.err, '\r') && !strstr(result.err, "running"), "no terminal redraws: %s", result.err);
    command_result_free(&result);
    remove_folder(out);
}

/* ---- --resume onto what is there -------------------------------------------------------- */

/* A sweep of one cell into out: its results.jsonl's text (one line). */
static char *sweep_one_cell(const char *out)
{
    const char *args[] = {"sweep", "--backends", "naive_hash", "--corpora", "synth:tokens=2000", "--orders", "1",
                          "--out", out, NULL};
    command_result result = memgrams(args, NULL);
    cr_assert_eq(result.exit_code, 0, "%s", result.err);
    command_result_free(&result);
    char *results = path_in(out, "results.jsonl"), *text = file_text(results);
    free(results);
    return text;
}

/* The same sweep with a second cell, resumed. */
static command_result resume_two_cells(const char *out)
{
    const char *args[] = {"sweep", "--backends", "naive_hash", "--corpora", "synth:tokens=2000", "--orders", "1,2",
                          "--out", out, "--resume", NULL};
    return memgrams(args, NULL);
}

Test(sweep, resume_sets_a_cut_short_last_line_aside)
{
    char *out = temp_folder(), *results = path_in(out, "results.jsonl"), *partial = path_in(out, "results.jsonl.partial");
    char *line = sweep_one_cell(out);
    FILE *file = fopen(results, "a");
    fwrite(line, 1, 100, file); /* a write that did not finish */
    fclose(file);
    command_result resumed = resume_two_cells(out);
    cr_expect_eq(resumed.exit_code, 0, "%s", resumed.err);
    cr_expect(strstr(resumed.err, "100 bytes of an unfinished line") && strstr(resumed.err, partial),
              "stderr does not say where the bytes went: %s", resumed.err);
    mg_results runs = read_runs(results);
    cr_expect_eq(runs.count, 2, "%zu runs after the resume", runs.count);
    mg_results_free(&runs);
    char *set_aside = file_text(partial);
    cr_expect_eq(strlen(set_aside), 101, "results.jsonl.partial holds %zu bytes", strlen(set_aside));
    cr_expect_eq(strncmp(set_aside, line, 100), 0, "results.jsonl.partial does not hold the cut bytes");
    free(set_aside), free(line), free(results), free(partial);
    command_result_free(&resumed);
    remove_folder(out);
}

Test(sweep, a_whole_last_line_without_its_newline_is_kept)
{
    char *out = temp_folder(), *results = path_in(out, "results.jsonl"), *line = sweep_one_cell(out);
    line[strlen(line) - 1] = '\0';
    write_text(results, line);
    command_result resumed = resume_two_cells(out);
    cr_expect_eq(resumed.exit_code, 0, "%s", resumed.err);
    mg_results runs = read_runs(results);
    cr_expect_eq(runs.count, 2, "%zu runs after the resume", runs.count);
    mg_results_free(&runs);
    char *partial = path_in(out, "results.jsonl.partial");
    cr_expect_neq(access(partial, F_OK), 0, "a whole line was set aside");
    free(partial), free(line), free(results);
    command_result_free(&resumed);
    remove_folder(out);
}

Test(sweep, resume_refuses_a_bad_line_in_the_middle)
{
    char *out = temp_folder(), *results = path_in(out, "results.jsonl"), *line = sweep_one_cell(out);
    FILE *file = fopen(results, "a");
    fprintf(file, "{\"schema\": \"garbage\n%s", line);
    fclose(file);
    command_result resumed = resume_two_cells(out);
    cr_expect_eq(resumed.exit_code, 2, "resuming onto garbage exits %d: %s", resumed.exit_code, resumed.err);
    cr_expect_eq(count_lines(resumed.err), 1, "stderr is not one line: %s", resumed.err);
    cr_expect(strstr(resumed.err, "results.jsonl' line 2"), "stderr does not name the line: %s", resumed.err);
    cr_expect_eq(count_lines(file_text(results)), 3, "the sweep wrote onto garbage");
    free(line), free(results);
    command_result_free(&resumed);
    remove_folder(out);
}

/* How many lines a sweep of one cell with these extra options leaves after --resume. */
static size_t lines_after_resume(const char *out, const char *seed, const char *repeat, int recorded)
{
    const char *args[] = {"sweep", "--backends", "naive_hash", "--corpora", "synth:tokens=2000", "--orders", "1",
                          "--out", out, "--resume", "--seed", seed, "--repeat", repeat, NULL};
    command_result result = memgrams(args, NULL);
    cr_expect_eq(result.exit_code, 0, "%s", result.err);
    command_result_free(&result);
    char *results = path_in(out, "results.jsonl");
    mg_results runs = read_runs(results);
    size_t count = runs.count;
    for (size_t index = 0; recorded && index < runs.count; index++) {
        json_t *run = runs.objects[index];
        cr_expect(json_is_integer(json_object_get(run, "seed")) && json_is_integer(json_object_get(run, "repeat")),
                  "line %zu lacks seed or repeat", index + 1);
    }
    mg_results_free(&runs);
    free(results);
    return count;
}

Test(sweep, resume_counts_only_the_runs_of_the_plans_seed_and_repeat)
{
    char *out = temp_folder();
    cr_expect_eq(lines_after_resume(out, "1", "1", 1), 1);
    cr_expect_eq(lines_after_resume(out, "2", "1", 1), 2, "another seed is another measurement");
    cr_expect_eq(lines_after_resume(out, "2", "1", 1), 2, "the seed-2 run was measured again");
    cr_expect_eq(lines_after_resume(out, "2", "2", 1), 3, "another repeat is another measurement");
    cr_expect_eq(lines_after_resume(out, "1", "1", 1), 3, "the seed-1 run was measured again");
    remove_folder(out);
}

Test(sweep, a_line_without_seed_or_repeat_counts_as_seed_1_repeat_1)
{
    char *out = temp_folder(), *results = path_in(out, "results.jsonl");
    cr_assert_eq(lines_after_resume(out, "1", "1", 1), 1);
    mg_results runs = read_runs(results);
    json_object_del(runs.objects[0], "seed");
    json_object_del(runs.objects[0], "repeat");
    cr_assert_eq(json_dump_file(runs.objects[0], results, JSON_COMPACT), 0);
    FILE *file = fopen(results, "a");
    fputc('\n', file);
    fclose(file);
    mg_results_free(&runs);
    cr_expect_eq(lines_after_resume(out, "1", "1", 0), 1, "an older line was measured again");
    cr_expect_eq(lines_after_resume(out, "3", "1", 0), 2);
    free(results);
    remove_folder(out);
}

Test(sweep, a_stub_carries_the_seed_and_repeat_it_was_asked_for)
{
    char *out = temp_folder(), *results = path_in(out, "results.jsonl");
    const char *args[] = {"sweep", "--backends", "test_crash", "--corpora", "synth:tokens=2000", "--seed", "5",
                          "--repeat", "3", "--out", out, NULL};
    command_result result = memgrams(args, NULL);
    cr_expect_eq(result.exit_code, 1, "%s", result.err);
    mg_results runs = read_runs(results);
    cr_assert_eq(runs.count, 1);
    cr_expect_str_eq(run_text(&runs, 0, "status"), "crashed");
    cr_expect_eq(json_integer_value(json_object_get(runs.objects[0], "seed")), 5);
    cr_expect_eq(json_integer_value(json_object_get(runs.objects[0], "repeat")), 3);
    mg_results_free(&runs);
    command_result_free(&result);
    free(results);
    remove_folder(out);
}

/* ---- kill -9 ------------------------------------------------------------------------- */

Test(sweep, a_run_killed_from_outside_is_killed_and_measured_again, .timeout = 120)
{
    char *out = temp_folder(), *logs = temp_folder(), *results = path_in(out, "results.jsonl");
    char *stdout_path = path_in(logs, "out"), *stderr_path = path_in(logs, "err"), *corpus = path_in(logs, "corpus.txt");
    /* the corpus is 10 MB while the run is killed (it trains for seconds), a line when it is measured again */
    const char *cat_args[] = {"corpus", "cat", "synth:tokens=4000000", NULL};
    command_result big = memgrams(cat_args, NULL);
    cr_assert_eq(big.exit_code, 0, "%s", big.err);
    write_text(corpus, big.out);
    command_result_free(&big);
    const char *args[] = {"sweep", "--backends", "naive_hash", "--corpora", corpus, "--orders", "1", "--out", out,
                          "--resume", NULL};
    pid_t sweep = start_memgrams(args, NULL, stdout_path, stderr_path, 0), run = 0;
    while (!(run = child_of(sweep)))
        sleep_ms(5);
    kill(run, SIGKILL);
    cr_expect_eq(finish(sweep), 1);
    mg_results runs = read_runs(results);
    cr_assert_eq(runs.count, 1);
    cr_expect_str_eq(run_text(&runs, 0, "status"), "killed", "an outside kill -9 is recorded as %s",
                     run_text(&runs, 0, "status"));
    cr_expect(strstr(run_text(&runs, 0, "message"), "no OOM kill"), "%s", run_text(&runs, 0, "message"));
    mg_results_free(&runs);
    write_text(corpus, "the cat sat on the mat\n");
    command_result resumed = memgrams(args, NULL);
    cr_expect_eq(resumed.exit_code, 0, "%s", resumed.err);
    runs = read_runs(results);
    cr_expect_eq(runs.count, 2, "--resume did not measure the killed run again");
    cr_expect_eq(count_status(&runs, "ok"), 1);
    mg_results_free(&runs);
    command_result_free(&resumed);
    free(results), free(stdout_path), free(stderr_path), free(corpus);
    remove_folder(out);
    remove_folder(logs);
}

Test(sweep, a_run_out_of_address_space_is_oom_and_final)
{
    char *out = temp_folder(), *results = path_in(out, "results.jsonl");
    /* a small run fits in 40 MiB of address space; training on 3 million tokens needs more than 128 */
    const char *args[] = {"--as=134217728", MEMGRAMS_BINARY, "sweep", "--backends", "naive_hash", "--corpora",
                          "synth:tokens=3000000", "--allocators", "glibc", "--out", out, "--resume", NULL};
    command_result result = run_program("/usr/bin/prlimit", args, NULL);
    cr_expect_eq(result.exit_code, 1, "%s", result.err);
    mg_results runs = read_runs(results);
    cr_assert_eq(runs.count, 1);
    cr_expect_str_eq(run_text(&runs, 0, "status"), "oom", "%s", run_text(&runs, 0, "message"));
    mg_results_free(&runs);
    command_result_free(&result);
    result = run_program("/usr/bin/prlimit", args, NULL);
    cr_expect_eq(result.exit_code, 0, "%s", result.err);
    cr_expect(strstr(result.err, "done before"), "%s", result.err);
    runs = read_runs(results);
    cr_expect_eq(runs.count, 1, "--resume measured an oom run again");
    mg_results_free(&runs);
    command_result_free(&result);
    free(results);
    remove_folder(out);
}

/* The lines of results (the test fails on a bad one) and how many of them repeat an earlier line's cell. */
static void count_cells(const char *results, size_t *lines, size_t *duplicates)
{
    mg_results runs = read_runs(results);
    *lines = runs.count;
    *duplicates = 0;
    for (size_t index = 0; index < runs.count; index++)
        for (size_t other = 0; other < index; other++) {
            mg_cell left, right;
            char left_key[1024], right_key[1024];
            mg_cell_of_run(runs.objects[index], &left);
            mg_cell_of_run(runs.objects[other], &right);
            mg_cell_key(&left, left_key, sizeof left_key);
            mg_cell_key(&right, right_key, sizeof right_key);
            *duplicates += strcmp(left_key, right_key) == 0;
        }
    mg_results_free(&runs);
}

Test(sweep, killed_at_random_moments_and_resumed_it_measures_every_cell_once, .timeout = 240)
{
    enum { ROUNDS = 20, CELLS = 18 };
    char *out = temp_folder(), *logs = temp_folder(), *results = path_in(out, "results.jsonl");
    char *stdout_path = path_in(logs, "out"), *stderr_path = path_in(logs, "err");
    const char *args[] = {"sweep", "--backends", "naive_hash,trie,interned_hash", "--corpora", "synth:tokens=2000",
                          "--fractions", "1/4,1/2,1", "--orders", "1,2", "--out", out, "--resume", NULL};
    mgt_rng rng = mgt_rng_make(20);
    char *before = strdup("");
    size_t lost = 0, lines = 0, duplicates = 0, interrupted = 0;
    for (int round = 0; round < ROUNDS; round++) {
        pid_t sweep = start_memgrams(args, NULL, stdout_path, stderr_path, 0);
        sleep_ms((long)mgt_rng_below(&rng, 500)); /* a run takes about a quarter of a second */
        kill(sweep, SIGKILL);
        interrupted += finish(sweep) == -1;
        char *after = file_text(results);
        lost += strncmp(after, before, strlen(before)) != 0;
        free(before);
        before = after;
        count_cells(results, &lines, &duplicates);
        cr_expect_eq(duplicates, 0, "round %d: a cell measured twice", round + 1);
    }
    command_result last = memgrams(args, NULL);
    cr_expect_eq(last.exit_code, 0, "%s", last.err);
    count_cells(results, &lines, &duplicates);
    cr_log_info("%d kill -9 rounds (%zu of them before the sweep ended): %zu lines lost, %zu duplicates, "
                "%zu lines at the end", ROUNDS, interrupted, lost, duplicates, lines);
    cr_expect_eq(lost, 0, "%zu rounds lost lines already written", lost);
    cr_expect_eq(duplicates, 0, "%zu cells measured twice", duplicates);
    cr_expect_eq(lines, CELLS, "%zu lines for %d cells", lines, CELLS);
    mg_results runs = read_runs(results);
    cr_expect_eq(count_status(&runs, "ok"), CELLS);
    mg_results_free(&runs);
    command_result_free(&last);
    free(before), free(results), free(stdout_path), free(stderr_path);
    remove_folder(out);
    remove_folder(logs);
}

/* ---- sizes ---------------------------------------------------------------------------- */

/* item sixty-four times, comma-separated. */
static char *list_of_64(const char *item)
{
    mgt_buffer list = {0};
    for (int index = 0; index < 64; index++)
        mgt_buffer_appendf(&list, "%s%s", index ? "," : "", item);
    mgt_buffer_append_byte(&list, 0);
    return (char *)list.bytes;
}

Test(sweep, a_matrix_over_a_million_runs_is_refused_naming_its_size, .timeout = 60)
{
    char *backends = list_of_64("naive_hash"), *corpora = list_of_64("fortunes"), *fractions = list_of_64("1");
    char *orders = list_of_64("2"), *allocators = list_of_64("glibc");
    const char *args[] = {"sweep", "--backends", backends, "--corpora", corpora, "--fractions", fractions,
                          "--orders", orders, "--allocators", allocators, "--processes", "64", "--plan", NULL};
    command_result result = memgrams(args, NULL);
    cr_expect_eq(result.exit_code, 2, "exit %d", result.exit_code);
    cr_expect_eq(count_lines(result.err), 1, "stderr: %s", result.err);
    cr_expect(strstr(result.err, "68719476736 runs"), "stderr does not name the product: %s", result.err);
    cr_expect_eq(result.out_length, 0, "a plan was printed");
    command_result_free(&result);
    free(backends), free(corpora), free(fractions), free(orders), free(allocators);
}

/* ---- the plan, run by sh and by GNU parallel ----------------------------------------- */

Test(sweep, plan_lines_pass_hostile_names_to_sh_as_they_are)
{
    char *folder = temp_folder(), *out = path_in(folder, "out"), *plan_path = path_in(folder, "plan");
    static const char text[] = "the cat sat on the mat\nthe dog sat on the log\n";
    char *names[] = {path_in(folder, "x;touch canary;.txt"), path_in(folder, "it's $(touch canary) `touch canary` *.txt")};
    mgt_buffer corpora = {0};
    for (size_t index = 0; index < 2; index++) {
        write_text(names[index], text);
        mgt_buffer_appendf(&corpora, "%s%s", index ? "," : "", names[index]);
    }
    mgt_buffer_append_byte(&corpora, 0);
    /* the plan's lines as the sweep starts them, then judging themselves into files (--out) */
    const char *args[] = {"sweep", "--backends", "naive_hash", "--corpora", (char *)corpora.bytes, "--orders", "1",
                          "--plan", NULL, NULL, NULL};
    for (int judged = 0; judged < 2; judged++) {
        args[8] = judged ? "--out" : NULL;
        args[9] = out;
        command_result plan = memgrams(args, NULL);
        cr_assert_eq(plan.exit_code, 0, "%s", plan.err);
        write_text(plan_path, plan.out);
        const char *sh_args[] = {"-c", "cd \"$1\" && sh \"$2\"", "sh", folder, plan_path, NULL};
        command_result ran = run_program("/bin/sh", sh_args, NULL);
        cr_expect_eq(ran.exit_code, 0, "the plan through sh: %s", ran.err);
        char *canary = path_in(folder, "canary");
        cr_expect_neq(access(canary, F_OK), 0, "a corpus name ran as a command");
        free(canary);
        char *lines_path = path_in(folder, "lines.jsonl");
        write_text(lines_path, ran.out);
        mg_results runs = read_runs(judged ? out : lines_path);
        cr_assert_eq(runs.count, 2, "%zu runs from the plan%s", runs.count, judged ? " with --out" : "");
        for (size_t index = 0; index < 2; index++) {
            cr_expect_str_eq(run_text(&runs, index, "status"), "ok");
            const char *corpus = run_text(&runs, index, "corpus");
            cr_expect(strcmp(corpus, names[0]) == 0 || strcmp(corpus, names[1]) == 0, "corpus '%s' came through changed",
                      corpus);
        }
        mg_results_free(&runs);
        free(lines_path);
        command_result_free(&plan);
        command_result_free(&ran);
    }
    mgt_buffer_free(&corpora);
    free(names[0]), free(names[1]), free(out), free(plan_path);
    remove_folder(folder);
}

Test(sweep, a_plan_refuses_a_word_with_a_line_break)
{
    const char *args[] = {"sweep", "--backends", "naive_hash", "--corpora", "first\ntouch canary", "--plan", NULL};
    command_result result = memgrams(args, NULL);
    cr_expect_eq(result.exit_code, 2, "%s", result.err);
    cr_expect_eq(count_lines(result.err), 1, "stderr: %s", result.err);
    cr_expect(strstr(result.err, "line break"), "%s", result.err);
    cr_expect_eq(result.out_length, 0, "a plan was printed: %s", result.out);
    command_result_free(&result);
    const char *to_stdout[] = {"sweep", "--backends", "naive_hash", "--corpora", "fortunes", "--plan", "--out", "-", NULL};
    result = memgrams(to_stdout, NULL);
    cr_expect_eq(result.exit_code, 0, "%s", result.err);
    cr_expect(strstr(result.out, " --output -\n"), "%s", result.out);
    command_result_free(&result);
}

/* Lines of text that start with prefix. */
/* The summary table's rows starting with prefix; the lines of the largest parts under the table
 * ("NAME (corpus, N n-grams): ...") are not rows. */
static int rows_of(const char *text, const char *prefix)
{
    int rows = 0;
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        rows += strncmp(line, prefix, strlen(prefix)) == 0 && line[strlen(prefix) + strspn(line + strlen(prefix), " ")] != '(';
    return rows;
}

Test(sweep, a_plan_runs_under_gnu_parallel_into_one_file_per_run)
{
    if (access("/usr/bin/parallel", X_OK) != 0)
        cr_skip_test("GNU parallel is not installed (scripts/install-deps installs the Debian package parallel)");
    char *folder = temp_folder(), *out = path_in(folder, "out"), *plan_path = path_in(folder, "plan");
    const char *args[] = {"sweep", "--backends", "naive_hash,trie", "--corpora", "synth:tokens=2000", "--orders", "1,2",
                          "--processes", "2", "--plan", "--out", out, NULL};
    command_result plan = memgrams(args, NULL);
    cr_assert_eq(plan.exit_code, 0, "%s", plan.err);
    cr_expect_eq(count_lines(plan.out), 8);
    write_text(plan_path, plan.out);
    const char *parallel_args[] = {"-c", "parallel -j 2 < \"$1\"", "sh", plan_path, NULL};
    command_result ran = run_program("/bin/sh", parallel_args, NULL);
    cr_expect_eq(ran.exit_code, 0, "%s%s", ran.out, ran.err);
    mg_results runs = read_runs(out);
    cr_expect_eq(runs.count, 8, "%zu runs in %s", runs.count, out);
    cr_expect_eq(count_status(&runs, "ok"), 8);
    size_t passes[3] = {0};
    for (size_t index = 0; index < runs.count; index++) {
        json_int_t pass = json_integer_value(json_object_get(runs.objects[index], "pass"));
        passes[pass >= 1 && pass <= 2 ? pass : 0]++;
    }
    cr_expect(passes[1] == 4 && passes[2] == 4, "passes: %zu and %zu", passes[1], passes[2]);
    mg_results_free(&runs);
    const char *report_args[] = {"report", out, NULL};
    command_result report = memgrams(report_args, NULL);
    cr_expect_eq(report.exit_code, 0, "%s", report.err);
    /* one row per cell: its two passes' runs as the median and range of their rounds */
    cr_expect_eq(rows_of(report.out, "naive_hash "), 2, "report: %s", report.out);
    cr_expect_eq(rows_of(report.out, "trie "), 2, "report: %s", report.out);
    command_result_free(&report);
    /* a sweep resumed on the folder finds every run done */
    const char *resume_args[] = {"sweep", "--backends", "naive_hash,trie", "--corpora", "synth:tokens=2000",
                                 "--orders", "1,2", "--processes", "2", "--resume", "--out", out, NULL};
    command_result resumed = memgrams(resume_args, NULL);
    cr_expect_eq(resumed.exit_code, 0, "%s", resumed.err);
    cr_expect(strstr(resumed.err, "memgrams sweep: 8 runs, all ok; results in "), "%s", resumed.err);
    char *results = path_in(out, "results.jsonl"), *appended = file_text(results);
    cr_expect_str_empty(appended, "the resumed sweep measured again: %s", appended);
    free(results), free(appended);
    command_result_free(&resumed);
    command_result_free(&plan);
    command_result_free(&ran);
    free(out), free(plan_path);
    remove_folder(folder);
}

Test(sweep, a_crashing_plan_line_leaves_a_crashed_line)
{
    char *folder = temp_folder(), *out = path_in(folder, "out");
    const char *args[] = {"sweep", "--backends", "test_crash", "--corpora", "synth:tokens=2000", "--plan", "--out", out,
                          NULL};
    command_result plan = memgrams(args, NULL);
    cr_assert_eq(plan.exit_code, 0, "%s", plan.err);
    const char *sh_args[] = {"-c", plan.out, NULL};
    command_result ran = run_program("/bin/sh", sh_args, NULL);
    cr_expect_eq(ran.exit_code, 1, "a crashed run's line exits %d: %s", ran.exit_code, ran.err);
    mg_results runs = read_runs(out);
    cr_assert_eq(runs.count, 1);
    cr_expect_str_eq(run_text(&runs, 0, "status"), "crashed");
    mg_results_free(&runs);
    command_result_free(&plan);
    command_result_free(&ran);
    free(out);
    remove_folder(folder);
}

Test(sweep, run_output_judges_a_run_past_its_timeout)
{
    char *folder = temp_folder(), *output = path_in(folder, "line.jsonl");
    const char *args[] = {"run", "--backend", "naive_hash", "--corpus", "synth:tokens=100000000", "--timeout", "1",
                          "--output", output, NULL}; /* trains for a minute */
    command_result result = memgrams(args, NULL);
    cr_expect_eq(result.exit_code, 1, "%s", result.err);
    mg_results runs = read_runs(output);
    cr_assert_eq(runs.count, 1);
    cr_expect_str_eq(run_text(&runs, 0, "status"), "timeout");
    mg_results_free(&runs);
    command_result_free(&result);
    const char *alone[] = {"run", "--backend", "naive_hash", "--corpus", "synth:tokens=20", "--timeout", "5", NULL};
    result = memgrams(alone, NULL);
    cr_expect_eq(result.exit_code, 2, "%s", result.err);
    cr_expect(strstr(result.err, "--output"), "%s", result.err);
    command_result_free(&result);
    free(output);
    remove_folder(folder);
}
