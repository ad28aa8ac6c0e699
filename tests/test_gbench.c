/*
 * test_gbench.c — the Google Benchmark shim runs C benchmarks and reports
 * mem.h's counters in its JSON; memgrams-microbench measures every
 * registered backend and the machine's dependent loads; `memgrams report`
 * reads what it wrote.
 */
#include "backend.h"
#include "gbench_shim.h"
#include "load_chase.h"
#include "mem.h"
#include "process.h"
#include "support.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the shim, in this process ------------------------------------------ */

typedef struct alloc_sizes {
    size_t kept_bytes;  /* held for the whole call */
    size_t block_bytes; /* allocated and freed by each iteration */
} alloc_sizes;

static void bench_alloc_free(mg_gbench_state *state, void *arg)
{
    const alloc_sizes *sizes = arg;
    void *kept = mg_alloc(sizes->kept_bytes);
    while (mg_gbench_keep_running(state)) {
        void *block = mg_alloc(sizes->block_bytes);
        mg_gbench_do_not_optimize(block);
        mg_free(block, sizes->block_bytes);
    }
    mg_free(kept, sizes->kept_bytes);
    mg_gbench_set_items_processed(state, mg_gbench_iterations(state));
    mg_gbench_set_counter(state, "blocks", (double)mg_gbench_iterations(state), MG_GBENCH_COUNTER_AVERAGE_ITERATIONS);
}

/* Each call keeps one 64-byte block, chained through its first bytes. */
#define KEPT_BLOCK 64
static void bench_keep_one(mg_gbench_state *state, void *arg)
{
    void **chain = arg;
    void **block = mg_alloc(KEPT_BLOCK);
    cr_assert_not_null(block);
    *block = *chain;
    *chain = block;
    while (mg_gbench_keep_running(state)) {
        mg_gbench_pause_timing(state); /* untimed work: none here, the pair itself is exercised */
        mg_gbench_resume_timing(state);
        mg_gbench_do_not_optimize(chain);
    }
}

static void bench_fails(mg_gbench_state *state, void *arg)
{
    (void)arg;
    mg_gbench_skip_with_error(state, "told to fail");
    while (mg_gbench_keep_running(state))
        continue;
}

/* Runs what is registered with Google Benchmark's flags; its JSON document. */
static json_t *run_registered(mg_gbench_session *session, const char *json_path)
{
    cr_assert_gt(mg_gbench_run(session), 0);
    json_error_t error;
    json_t *document = json_load_file(json_path, 0, &error);
    cr_assert_not_null(document, "Google Benchmark JSON unreadable: %s", error.text);
    return document;
}

static mg_gbench_session *start_session(char *json_path, size_t path_size)
{
    char *placeholder = mgt_temp_file("", 0);
    snprintf(json_path, path_size, "%s", placeholder);
    static char out_flag[4200];
    snprintf(out_flag, sizeof out_flag, "--benchmark_out=%s", json_path);
    static char *argv[] = {"test_gbench", out_flag, "--benchmark_out_format=json", "--benchmark_min_time=0.001",
                           NULL};
    int argc = 4;
    mgt_temp_remove(placeholder);
    mg_gbench_session *session = mg_gbench_initialize(&argc, argv, 1);
    cr_assert_eq(argc, 1, "Google Benchmark left %d arguments", argc);
    return session;
}

static json_t *benchmark_named(json_t *document, const char *name)
{
    size_t index;
    json_t *benchmark;
    json_array_foreach(json_object_get(document, "benchmarks"), index, benchmark) {
        const char *found = json_string_value(json_object_get(benchmark, "name"));
        if (found && strcmp(found, name) == 0)
            return benchmark;
    }
    cr_assert_fail("no benchmark '%s' in the JSON", name);
    return NULL;
}

static double number(json_t *benchmark, const char *field)
{
    json_t *value = json_object_get(benchmark, field);
    cr_assert(json_is_number(value), "field '%s' is missing or not a number", field);
    return json_number_value(value);
}

Test(gbench_shim, c_benchmark_reports_mem_counters)
{
    char json_path[4096];
    mg_gbench_session *session = start_session(json_path, sizeof json_path);
    alloc_sizes sizes = {1000, 100};
    mg_gbench_register("alloc_free", bench_alloc_free, &sizes);
    mg_gbench_add_context("memgrams_test", "shim");
    json_t *document = run_registered(session, json_path);
    json_t *benchmark = benchmark_named(document, "alloc_free");

    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(document, "context"), "memgrams_test")), "shim");
    cr_expect_gt(number(benchmark, "iterations"), 0);
    cr_expect_gt(number(benchmark, "items_per_second"), 0);
    cr_expect_eq(number(benchmark, "blocks"), 1, "blocks per iteration");
    /* The memory pass ran k iterations: one kept block, k passing blocks. */
    double total = number(benchmark, "total_allocated_bytes");
    double passes = (total - (double)sizes.kept_bytes) / (double)sizes.block_bytes;
    cr_expect(passes >= 1 && passes == (double)(long)passes, "total_allocated_bytes %g", total);
    cr_expect_eq(number(benchmark, "max_bytes_used"), sizes.kept_bytes + sizes.block_bytes);
    cr_expect_eq(number(benchmark, "net_heap_growth"), 0);
    cr_expect_eq(number(benchmark, "allocs_per_iter") * passes, passes + 1);
    json_decref(document);
    mg_gbench_shutdown(session);
}

Test(gbench_shim, heap_growth_and_errors_are_reported)
{
    char json_path[4096];
    mg_gbench_session *session = start_session(json_path, sizeof json_path);
    void *chain = NULL;
    mg_gbench_register("keep_one", bench_keep_one, &chain);
    mg_gbench_register("fails", bench_fails, NULL);
    cr_expect_eq(mg_gbench_register("", bench_fails, NULL), -1);
    json_t *document = run_registered(session, json_path);

    json_t *keep = benchmark_named(document, "keep_one");
    cr_expect_eq(number(keep, "net_heap_growth"), KEPT_BLOCK);
    cr_expect_eq(number(keep, "max_bytes_used"), KEPT_BLOCK);
    json_t *fails = benchmark_named(document, "fails");
    cr_expect(json_is_true(json_object_get(fails, "error_occurred")));
    cr_expect_str_eq(json_string_value(json_object_get(fails, "error_message")), "told to fail");
    json_decref(document);
    mg_gbench_shutdown(session);
    while (chain) {
        void *next = *(void **)chain;
        mg_free(chain, KEPT_BLOCK);
        chain = next;
    }
    mg_mem_counters counters;
    mg_mem_read(&counters);
    cr_expect_eq(counters.bytes_requested, 0);
}

/* ---- memgrams-microbench, as users start it ------------------------------- */

static char *tiny_corpus(void)
{
    return mgt_zipf_file(7, 200, 300);
}

/* memgrams-microbench on the tiny corpus with extra flags (NULL-terminated). */
static command_result microbench(const char *corpus, const char *const *extra)
{
    /* current: a sanitized build's malloc is ASan's, which LD_PRELOAD cannot replace */
    const char *args[32] = {"--corpus", corpus, "--allocator", "current", "--benchmark_min_time=0.001"};
    size_t used = 5;
    for (size_t index = 0; extra[index] && used < 31; index++)
        args[used++] = extra[index];
    args[used] = NULL;
    return run_program(MICROBENCH_BINARY, args, NULL);
}

static json_t *microbench_json(const command_result *result)
{
    cr_assert_eq(result->exit_code, 0, "exit %d, stderr: %s", result->exit_code, result->err);
    json_t *document = json_loads(result->out, 0, NULL);
    cr_assert_not_null(document, "stdout is no JSON: %.400s", result->out);
    return document;
}

Test(microbench, every_registered_backend_with_memory_counters)
{
    char *corpus = tiny_corpus();
    const char *extra[] = {"--benchmark_filter=/count_hit$", "--benchmark_format=json", NULL};
    command_result result = microbench(corpus, extra);
    json_t *document = microbench_json(&result);
    size_t backends = 0;
    for (const mg_backend *const *backend = mg_backends; *backend; backend++, backends++) {
        char name[128];
        snprintf(name, sizeof name, "%s/count_hit", (*backend)->name);
        json_t *benchmark = benchmark_named(document, name);
        cr_expect(!json_is_true(json_object_get(benchmark, "error_occurred")), "%s failed", name);
        cr_expect_gt(number(benchmark, "items_per_second"), 0, "%s", name);
        /* A wrapped library may take memory for a lookup (SQLite: a statement's
         * cursors) if it gives it back; the backends written here take none. */
        if ((*backend)->library_figures == NULL)
            cr_expect_eq(number(benchmark, "allocs_per_iter"), 0, "%s allocates in count()", name);
        cr_expect_eq(number(benchmark, "net_heap_growth"), 0, "%s", name);
    }
    cr_expect_eq(json_array_size(json_object_get(document, "benchmarks")), backends);
    json_decref(document);
    command_result_free(&result);
    mgt_temp_remove(corpus);
}

Test(microbench, every_operation_of_a_backend)
{
    char *corpus = tiny_corpus();
    const char *extra[] = {"--benchmark_filter=^naive_hash/", "--benchmark_format=json", NULL};
    command_result result = microbench(corpus, extra);
    json_t *document = microbench_json(&result);
    static const char *const operations[] = {"add_empty", "add_warm", "count_hit", "count_miss", "successors",
                                             "generate"};
    for (size_t op = 0; op < sizeof operations / sizeof operations[0]; op++) {
        char name[128];
        snprintf(name, sizeof name, "naive_hash/%s", operations[op]);
        json_t *benchmark = benchmark_named(document, name);
        cr_expect(!json_is_true(json_object_get(benchmark, "error_occurred")), "%s failed: %s", name,
                  json_string_value(json_object_get(benchmark, "error_message")));
        cr_expect_gt(number(benchmark, "items_per_second"), 0, "%s", name);
    }
    /* New grams allocate; the table returns to empty after each call. */
    json_t *add_empty = benchmark_named(document, "naive_hash/add_empty");
    cr_expect_gt(number(add_empty, "allocs_per_iter"), 0);
    cr_expect_gt(number(add_empty, "max_bytes_used"), 0);
    cr_expect_eq(number(add_empty, "net_heap_growth"), 0);
    cr_expect_gt(number(benchmark_named(document, "naive_hash/generate"), "words_per_sentence"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(document, "context"), "memgrams_corpus")),
                     corpus);
    json_decref(document);
    command_result_free(&result);
    mgt_temp_remove(corpus);
}

Test(microbench, bad_input_is_one_line_and_exit_2)
{
    char *corpus = tiny_corpus();
    const char *bad_option[] = {"--colour", NULL};
    const char *bad_order[] = {"--order", "9", NULL};
    const char *bad_allocator[] = {"--allocator", "bogus", NULL};
    const char *const *cases[] = {bad_option, bad_order, bad_allocator};
    const char *needles[] = {"--colour", "9", "bogus"};
    for (size_t index = 0; index < 3; index++) {
        command_result result = microbench(corpus, cases[index]);
        cr_expect_eq(result.exit_code, 2, "exit %d (stderr: %s)", result.exit_code, result.err);
        cr_expect_eq(count_lines(result.err), 1, "stderr is not one line: '%s'", result.err);
        cr_expect(strstr(result.err, needles[index]), "stderr '%s' does not name '%s'", result.err, needles[index]);
        command_result_free(&result);
    }
    mgt_temp_remove(corpus);
}

Test(microbench, report_prints_its_table)
{
    char *corpus = tiny_corpus();
    char *folder = temp_folder();
    char out_flag[4200];
    snprintf(out_flag, sizeof out_flag, "--benchmark_out=%s/microbench.json", folder);
    const char *extra[] = {"--benchmark_filter=/count_(hit|miss)$", out_flag, "--benchmark_out_format=json", NULL};
    command_result run = microbench(corpus, extra);
    cr_assert_eq(run.exit_code, 0, "exit %d, stderr: %s", run.exit_code, run.err);
    command_result_free(&run);

    const char *args[] = {"report", folder, NULL};
    command_result report = memgrams(args, NULL);
    cr_assert_eq(report.exit_code, 0, "report exit %d, stderr: %s", report.exit_code, report.err);
    cr_expect(strstr(report.out, "count_hit") && strstr(report.out, "count_miss"), "%s", report.out);
    for (const mg_backend *const *backend = mg_backends; *backend; backend++) {
        const char *row = strstr(report.out, (*backend)->name);
        cr_expect(row, "no row for %s in\n%s", (*backend)->name, report.out);
        /* its figures are numbers, not '-' or 'error' */
        cr_expect(row && strtod(row + strlen((*backend)->name), NULL) > 0, "%s row: %.80s", (*backend)->name, row);
    }
    command_result_free(&report);

    char path[4200];
    snprintf(path, sizeof path, "%s/microbench.json", folder);
    cr_assert_eq(mgt_write_file(path, "{\"benchmarks\": 3}"), 0);
    command_result broken = memgrams(args, NULL);
    cr_expect_eq(broken.exit_code, 2);
    cr_expect(strstr(broken.err, "microbench.json"), "%s", broken.err);
    command_result_free(&broken);
    remove_folder(folder);
    mgt_temp_remove(corpus);
}

/* ---- the machine's dependent loads ----------------------------------------- */

Test(load_chase, one_cycle_through_every_line)
{
    mg_load_chase chase;
    cr_assert_eq(mg_load_chase_make(&chase, 1000 * MG_LOAD_CHASE_LINE + 17, 3), 0);
    cr_assert_eq(chase.bytes, 1000 * MG_LOAD_CHASE_LINE, "whole lines only");
    unsigned char *first = (unsigned char *)chase.start, *end = first + chase.bytes;
    void **at = chase.start;
    size_t steps = 0;
    do {
        at = mg_load_chase_walk(at, 1);
        steps++;
        unsigned char *line = (unsigned char *)at;
        cr_assert(line >= first && line < end && (size_t)(line - first) % MG_LOAD_CHASE_LINE == 0,
                  "step %zu left the buffer's lines", steps);
    } while (at != chase.start && steps <= 1000);
    cr_expect_eq(steps, 1000, "back at the start after %zu steps, not after every line once", steps);
    cr_expect_eq(mg_load_chase_walk(chase.start, 3000), chase.start, "3 laps end where they began");
    mg_load_chase_free(&chase);
    cr_expect_null(chase.start);
}

Test(microbench, machine_dependent_loads_apart_from_the_backends)
{
    char *corpus = tiny_corpus();
    char *folder = temp_folder();
    char out_flag[4200];
    snprintf(out_flag, sizeof out_flag, "--benchmark_out=%s/microbench.json", folder);
    const char *extra[] = {"--benchmark_filter=^(naive_hash/count_hit|machine/dependent_load_1MiB)$", out_flag,
                           "--benchmark_out_format=json", NULL};
    command_result run = microbench(corpus, extra);
    cr_assert_eq(run.exit_code, 0, "exit %d, stderr: %s", run.exit_code, run.err);
    command_result_free(&run);

    char path[4200];
    snprintf(path, sizeof path, "%s/microbench.json", folder);
    json_t *document = json_load_file(path, 0, NULL);
    cr_assert_not_null(document);
    json_t *chase = benchmark_named(document, "machine/dependent_load_1MiB");
    cr_expect(!json_is_true(json_object_get(chase, "error_occurred")));
    cr_expect_gt(number(chase, "items_per_second"), 0);
    cr_expect_eq(number(chase, "buffer_mib"), 1);
    cr_expect_eq(number(chase, "allocs_per_iter"), 0, "the chase's buffer is mapped, not a backend's");
    json_decref(document);

    const char *args[] = {"report", folder, NULL};
    command_result report = memgrams(args, NULL);
    cr_assert_eq(report.exit_code, 0, "report exit %d, stderr: %s", report.exit_code, report.err);
    const char *machine = strstr(report.out, "ns per dependent load");
    cr_assert(machine && strstr(machine, "1MiB") && strstr(machine, "\nmachine "), "%s", report.out);
    const char *header = strstr(report.out, "backend ");
    cr_assert_not_null(header, "%s", report.out);
    char header_line[512];
    snprintf(header_line, sizeof header_line, "%.*s", (int)strcspn(header, "\n"), header);
    cr_expect(strstr(header_line, "count_hit"), "%s", header_line);
    cr_expect(!strstr(header_line, "dependent_load"), "the machine's sizes are not backend columns: %s", header_line);
    const char *machine_row = strstr(report.out, "\nmachine ");
    cr_expect(machine_row > machine, "no backend row named machine:\n%s", report.out);
    command_result_free(&report);
    remove_folder(folder);
    mgt_temp_remove(corpus);
}
