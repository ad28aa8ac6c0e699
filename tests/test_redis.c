/*
 * test_redis.c — the redis subject: a private redis-server holds the same
 * counts as a backend (binary-safe words too), its layers are recorded per
 * phase, and a run stopped by SIGINT, SIGTERM or SIGKILL leaves no server
 * and no socket folder behind. Skipped when redis-server is not installed.
 */
#include "process.h"
#include "support.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void skip_without_server(void)
{
    if (access("/usr/bin/redis-server", X_OK) != 0 && access("/usr/local/bin/redis-server", X_OK) != 0)
        cr_skip_test("redis-server is not installed (scripts/install-deps installs it): the redis subject is not tested");
}

static json_t *run_on(const char *backend, const char *corpus, const char *order)
{
    const char *args[] = {"run", "--backend", backend, "--corpus", corpus, "--order", order, NULL};
    command_result result = memgrams(args, NULL);
    cr_assert_eq(result.exit_code, 0, "%s: exit %d: %s", backend, result.exit_code, result.err);
    json_t *run = run_json(&result);
    cr_assert(run, "%s: stdout is no run object: %s", backend, result.out);
    command_result_free(&result);
    return run;
}

static long long field(json_t *run, const char *name)
{
    return json_integer_value(json_object_get(run, name));
}

/* ngrams, contexts, the checksum and the grams kept by prune equal interned_hash's. */
static void expect_same_counts(const char *corpus, const char *order)
{
    json_t *redis = run_on("redis", corpus, order), *backend = run_on("interned_hash", corpus, order);
    cr_expect_str_eq(json_string_value(json_object_get(redis, "status")), "ok");
    static const char *const names[] = {"ngrams", "contexts", "ngrams_after_prune", "grams_added"};
    for (size_t index = 0; index < sizeof names / sizeof names[0]; index++)
        cr_expect_eq(field(redis, names[index]), field(backend, names[index]), "order %s: %s %lld, interned_hash %lld",
                     order, names[index], field(redis, names[index]), field(backend, names[index]));
    cr_expect_str_eq(json_string_value(json_object_get(redis, "checksum")),
                     json_string_value(json_object_get(backend, "checksum")), "order %s: checksums differ", order);
    json_decref(redis);
    json_decref(backend);
}

Test(redis, counts_equal_a_backends_and_phases_carry_the_servers_layers)
{
    skip_without_server();
    const char text[] = "the cat sat on the mat\nthe dog sat on the log\n\nthe cat ate\nthe cat sat\n";
    char *corpus = mgt_temp_file(text, sizeof text - 1);
    expect_same_counts(corpus, "3");
    json_t *run = run_on("redis", corpus, "2");
    json_t *phases = json_object_get(run, "phases");
    cr_assert_eq(json_array_size(phases), 6);
    for (size_t index = 0; index < json_array_size(phases); index++) {
        json_t *phase = json_array_get(phases, index);
        const char *name = json_string_value(json_object_get(phase, "name"));
        cr_expect(json_integer_value(json_object_get(phase, "rss")) > 0, "%s: no VmRSS", name);
        cr_expect(json_integer_value(json_object_get(phase, "allocated")) > 0, "%s: no used_memory", name);
        cr_expect(json_is_null(json_object_get(phase, "requested")), "%s: requested is not null", name);
        json_t *library = json_object_get(phase, "library");
        cr_expect(json_integer_value(json_object_get(library, "redis.used_memory")) > 0, "%s: no redis figures", name);
        cr_expect(json_is_real(json_object_get(library, "redis.mem_fragmentation_ratio")), "%s: no ratio", name);
    }
    json_t *env = json_object_get(json_object_get(run, "env"), "redis");
    cr_expect(json_is_string(json_object_get(env, "version")));
    cr_expect_eq(json_integer_value(json_object_get(env, "hash-max-listpack-entries")), 512);
    json_decref(run);
    mgt_temp_remove(corpus);
}

/* Every phase's allocated is split as MEMORY STATS splits it: part names by the rule, summing to
 * allocated exactly; training grows the keyspace and the dataset; no peak per part, no estimate. */
Test(redis, phases_carry_the_servers_parts_summing_to_allocated)
{
    skip_without_server();
    const char text[] = "the cat sat on the mat\nthe dog sat on the log\n\nthe cat ate\nthe cat sat\n";
    char *corpus = mgt_temp_file(text, sizeof text - 1);
    json_t *run = run_on("redis", corpus, "3"), *phases = json_object_get(run, "phases"), *phase, *value;
    json_t *baseline = NULL, *finalize = NULL;
    size_t index;
    const char *name;
    cr_assert_eq(json_array_size(phases), 6);
    json_array_foreach(phases, index, phase) {
        const char *phase_name = json_string_value(json_object_get(phase, "name"));
        json_t *parts = json_object_get(phase, "parts");
        cr_assert(json_object_size(parts) == 5, "%s: %zu parts, expected 5", phase_name, json_object_size(parts));
        cr_expect(!json_object_get(phase, "parts_peak"), "%s: a parts_peak the server cannot know", phase_name);
        const char *bad_name;
        long long sum = parts_sum(parts, &bad_name);
        cr_expect(!bad_name, "%s: part name '%s'", phase_name, bad_name);
        cr_expect_eq(sum, json_integer_value(json_object_get(phase, "allocated")), "%s: parts sum to %lld, allocated %lld",
                     phase_name, sum, (long long)json_integer_value(json_object_get(phase, "allocated")));
        baseline = index == 0 ? parts : baseline;
        finalize = strcmp(phase_name, "finalize") == 0 ? parts : finalize;
    }
    cr_assert(baseline && finalize);
    cr_expect_eq(json_integer_value(json_object_get(baseline, "redis.keyspace")), 0, "an empty server's keyspace holds bytes");
    static const char *const grown[] = {"redis.keyspace", "redis.dataset"};
    for (size_t part = 0; part < sizeof grown / sizeof grown[0]; part++)
        cr_expect(json_integer_value(json_object_get(finalize, grown[part])) > json_integer_value(json_object_get(baseline, grown[part])),
                  "%s did not grow in training", grown[part]);
    cr_expect(json_integer_value(json_object_get(finalize, "redis.startup")) == json_integer_value(json_object_get(baseline, "redis.startup")));
    json_t *derived = json_object_get(run, "derived");
    cr_expect(json_is_null(json_object_get(derived, "training_peak_part")));
    json_object_foreach(json_object_get(derived, "estimated_bytes_per_ngram_by_part"), name, value)
        cr_expect(json_is_null(value), "an estimate for part %s", name);
    json_decref(run);
    mgt_temp_remove(corpus);
}

Test(redis, nul_bytes_and_a_200_kb_word_round_trip)
{
    skip_without_server();
    size_t long_word = 200 * 1024;
    char *text = malloc(long_word + 256);
    cr_assert(text);
    size_t length = (size_t)sprintf(text, "a\x01" "b c%c%cd e\n", '\0', '\0');
    memset(text + length, 'w', long_word);
    length += long_word;
    length += (size_t)sprintf(text + length, " a\x01" "b z\nc e a\x01" "b\n");
    char *corpus = mgt_temp_file(text, length);
    free(text);
    static const char *const orders[] = {"1", "2", "3", "4"};
    for (size_t index = 0; index < sizeof orders / sizeof orders[0]; index++)
        expect_same_counts(corpus, orders[index]);
    mgt_temp_remove(corpus);
}

Test(redis, bad_settings_are_one_line_and_exit_2)
{
    static const char *const specs[] = {"redis:hash-max-listpack-entries=x", "redis:maxmemory=1",
                                        "redis:hash-max-listpack-value=1,hash-max-listpack-value=2", "redis:"};
    for (size_t index = 0; index < sizeof specs / sizeof specs[0]; index++) {
        const char *args[] = {"run", "--backend", specs[index], "--corpus", "synth:tokens=100", NULL};
        command_result result = memgrams(args, NULL);
        cr_expect_eq(result.exit_code, 2, "%s: exit %d", specs[index], result.exit_code);
        cr_expect_eq(count_lines(result.err), 1, "%s: stderr '%s'", specs[index], result.err);
        command_result_free(&result);
    }
    const char *sweep[] = {"sweep", "--backends", "naive_hash,redis:hash-max-listpack-entries=8,maxmemory=1", "--corpora",
                           "synth:tokens=100", "--plan", NULL};
    command_result result = memgrams(sweep, NULL);
    cr_expect_eq(result.exit_code, 2, "a sweep took a bad redis setting: exit %d", result.exit_code);
    cr_expect_eq(count_lines(result.err), 1, "stderr: %s", result.err);
    cr_expect(strstr(result.err, "maxmemory"), "stderr: %s", result.err);
    command_result_free(&result);
}

/* ---- a sweep of redis cells with settings ------------------------------------------------ */

static const char *text_field(json_t *run, const char *name)
{
    return json_string_value(json_object_get(run, name));
}

/* Two settings plan two cells, and their order within a spec does not make a third. */
Test(redis, a_plan_with_two_redis_settings_has_two_cells)
{
    const char *args[] = {"sweep", "--backends", "redis,redis:hash-max-listpack-value=64,hash-max-listpack-entries=1024",
                          "--corpora", "fortunes", "--plan", NULL};
    command_result result = memgrams(args, NULL);
    cr_assert_eq(result.exit_code, 0, "%s", result.err);
    cr_expect_eq(count_lines(result.out), 2, "%s", result.out);
    cr_expect(strstr(result.out, " --backend redis --corpus"), "%s", result.out);
    cr_expect(strstr(result.out, " --backend redis:hash-max-listpack-entries=1024,hash-max-listpack-value=64 --corpus"),
              "the settings are not passed on in normal form: %s", result.out);
    command_result_free(&result);
}

Test(redis, a_sweep_records_runs_resumes_and_checks_cells_with_settings, .timeout = 120)
{
    skip_without_server();
    char *out = temp_folder(), results[4200];
    snprintf(results, sizeof results, "%s/results.jsonl", out);
    const char *args[] = {"sweep", "--backends", "redis,redis:hash-max-listpack-entries=0", "--corpora",
                          "synth:tokens=3000", "--out", out, NULL, NULL};
    command_result result = memgrams(args, NULL);
    cr_assert_eq(result.exit_code, 0, "%s", result.err);
    cr_expect(strstr(result.out, "redis:entries=0 (server)"), "the table shows no settings: %s", result.out);
    command_result_free(&result);
    json_error_t error;
    FILE *file = fopen(results, "r");
    cr_assert(file);
    json_t *runs[2] = {json_loadf(file, JSON_DISABLE_EOF_CHECK, &error), json_loadf(file, JSON_DISABLE_EOF_CHECK, &error)};
    fclose(file);
    for (int index = 0; index < 2; index++) {
        cr_assert(runs[index], "run %d: %s", index, error.text);
        cr_expect_str_eq(text_field(runs[index], "status"), "ok");
        cr_expect_str_eq(text_field(runs[index], "backend"), "redis");
        cr_expect_str_eq(text_field(runs[index], "measured_process"), "redis-server");
    }
    cr_expect_null(json_object_get(runs[0], "backend_settings"));
    cr_expect_str_eq(text_field(runs[1], "backend_settings"), "hash-max-listpack-entries=0");
    json_decref(runs[0]);
    json_decref(runs[1]);
    args[7] = "--resume";
    result = memgrams(args, NULL);
    cr_expect_eq(result.exit_code, 0, "%s", result.err);
    mgt_buffer text = {0};
    cr_assert_eq(mgt_read_file(results, &text), 0);
    mgt_buffer_append_byte(&text, '\0');
    cr_expect_eq(count_lines((const char *)text.bytes), 2, "--resume measured a cell again");
    mgt_buffer_free(&text);
    cr_expect(strstr(result.err, "[2/2] redis:hash-max-listpack-entries=0 synth:tokens=3000 f=1 n=3 jemalloc: done before"),
              "%s", result.err);
    command_result_free(&result);
    const char *check[] = {"check", "--baseline", out, "--results", out, NULL};
    result = memgrams(check, NULL);
    cr_expect_eq(result.exit_code, 0, "check: %s%s", result.out, result.err);
    cr_expect(strstr(result.out, "redis:hash-max-listpack-entries=0 synth:tokens=3000"), "%s", result.out);
    command_result_free(&result);
    remove_folder(out);
}

/* ---- a run stopped from outside -------------------------------------------------- */

static int process_gone(long pid)
{
    char path[64], text[512] = "";
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *file = fopen(path, "r");
    if (!file)
        return 1;
    size_t got = fread(text, 1, sizeof text - 1, file);
    fclose(file);
    text[got] = '\0';
    const char *state = strrchr(text, ')');
    return state && state[1] == ' ' && state[2] == 'Z';
}

static int folder_empty(const char *path)
{
    DIR *folder = opendir(path);
    int entries = 0;
    for (struct dirent *entry; folder && (entry = readdir(folder));)
        entries += strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0;
    if (folder)
        closedir(folder);
    return entries == 0;
}

/* The server's pid from the run's stderr line "redis-server pid N"; 0 if it never came. */
static long read_server_pid(int fd)
{
    char text[4096];
    size_t length = 0;
    while (length < sizeof text - 1) {
        ssize_t got = read(fd, text + length, sizeof text - 1 - length);
        if (got <= 0)
            break;
        length += (size_t)got;
        text[length] = '\0';
        const char *line = strstr(text, "redis-server pid ");
        if (line && strchr(line, '\n'))
            return strtol(line + 17, NULL, 10);
    }
    return 0;
}

static void stop_run_and_look(int signal_number)
{
    skip_without_server();
    char *tmpdir = temp_folder();
    char variable[4200];
    snprintf(variable, sizeof variable, "TMPDIR=%s", tmpdir);
    cr_assert_eq(setenv("TMPDIR", tmpdir, 1), 0);
    int err_pipe[2];
    cr_assert_eq(pipe(err_pipe), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
    posix_spawn_file_actions_addclose(&actions, err_pipe[0]);
    char *const args[] = {MEMGRAMS_BINARY, "run", "--backend", "redis", "--corpus", "synth:tokens=20000000", NULL};
    pid_t run = -1;
    cr_assert_eq(posix_spawn(&run, MEMGRAMS_BINARY, &actions, NULL, args, environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    unsetenv("TMPDIR");
    close(err_pipe[1]);
    long server = read_server_pid(err_pipe[0]);
    cr_assert(server > 0, "the run named no redis-server pid");
    cr_expect(!process_gone(server), "the server %ld is not running during the run", server);
    kill(run, signal_number);
    int status = 0;
    waitpid(run, &status, 0);
    close(err_pipe[0]);
    cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == signal_number, "the run did not end by signal %d",
              signal_number);
    for (int tries = 0; tries < 500 && !process_gone(server); tries++)
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    cr_expect(process_gone(server), "redis-server %ld outlived the run stopped by signal %d", server, signal_number);
    if (!process_gone(server))
        kill((pid_t)server, SIGKILL);
    cr_expect(folder_empty(tmpdir), "the run stopped by signal %d left a folder in its TMPDIR", signal_number);
    remove_folder(tmpdir);
}

Test(redis, sigint_leaves_no_server_and_no_socket_folder) { stop_run_and_look(SIGINT); }
Test(redis, sigterm_leaves_no_server_and_no_socket_folder) { stop_run_and_look(SIGTERM); }
Test(redis, sigkill_leaves_no_server_and_no_socket_folder) { stop_run_and_look(SIGKILL); }
