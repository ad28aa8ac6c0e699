/*
 * gbench_shim.h — Google Benchmark from C.
 *
 * A C function is registered under a name with a pointer it receives on
 * every call; it runs its timed loop with mg_gbench_keep_running() exactly as
 * a C++ benchmark runs `for (auto _ : state)`. Everything Google Benchmark
 * does with the result (repetitions, aggregates, --benchmark_format=json,
 * --benchmark_out, tools/compare.py) is unchanged.
 *
 *     static void bench_sum(mg_gbench_state *state, void *arg)
 *     {
 *         while (mg_gbench_keep_running(state))
 *             work(arg);
 *         mg_gbench_set_items_processed(state, mg_gbench_iterations(state));
 *     }
 *     mg_gbench_session *session = mg_gbench_initialize(&argc, argv, 1);
 *     mg_gbench_register("sum/small", bench_sum, &data);
 *     mg_gbench_run(session);
 *     mg_gbench_shutdown(session);
 *
 * The memory counters (use_mem_counters) are mem.h's: between the start and
 * the stop of Google Benchmark's memory pass, allocations made through
 * mg_alloc/mg_calloc/growing mg_realloc (num_allocs), the highest bytes
 * requested above the level at the start (max_bytes_used), bytes ever asked
 * for (total_allocated_bytes) and requested bytes still live at the stop
 * minus those at the start (net_heap_growth). Its JSON names them
 * allocs_per_iter, max_bytes_used, total_allocated_bytes, net_heap_growth.
 */
#ifndef MG_GBENCH_SHIM_H
#define MG_GBENCH_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mg_gbench_session mg_gbench_session; /* owns the memory manager */
typedef struct mg_gbench_state mg_gbench_state;     /* benchmark::State */

typedef void (*mg_gbench_function)(mg_gbench_state *state, void *arg);

/* Flags of a user counter: benchmark::Counter's, by the same meaning. */
enum {
    MG_GBENCH_COUNTER_DEFAULT = 0,
    MG_GBENCH_COUNTER_RATE = 1 << 0,                /* divided by the run's seconds */
    MG_GBENCH_COUNTER_ITERATION_INVARIANT = 1 << 1, /* multiplied by the iterations */
    MG_GBENCH_COUNTER_AVERAGE_ITERATIONS = 1 << 2,  /* divided by the iterations */
    MG_GBENCH_COUNTER_INVERT = 1 << 3,              /* 1 / value, last */
};

/* Takes Google Benchmark's --benchmark_* flags out of argv (argc updated).
 * use_mem_counters: register the mem.h memory manager. Never NULL (aborts
 * only if the process is out of memory, as Google Benchmark itself does). */
mg_gbench_session *mg_gbench_initialize(int *argc, char **argv, int use_mem_counters);
/* Adds key: value to the JSON's "context" (and the console header). */
void mg_gbench_add_context(const char *key, const char *value);
/* Registers function under name (copied); 0, or -1 if the name is empty. */
int mg_gbench_register(const char *name, mg_gbench_function function, void *arg);
/* Runs the benchmarks --benchmark_filter selects; returns how many ran. */
size_t mg_gbench_run(mg_gbench_session *session);
void mg_gbench_shutdown(mg_gbench_session *session);

/* ---- inside a benchmark ------------------------------------------------- */

/* True while another timed iteration is wanted. Call it until it says no. */
int mg_gbench_keep_running(mg_gbench_state *state);
/* Leaves what runs between them out of the time (each pair costs ~1 us);
 * only inside the loop, after mg_gbench_keep_running said yes. */
void mg_gbench_pause_timing(mg_gbench_state *state);
void mg_gbench_resume_timing(mg_gbench_state *state);
/* Iterations run so far (all of them, after the loop). */
int64_t mg_gbench_iterations(const mg_gbench_state *state);
/* Reported as items_per_second and bytes_per_second. */
void mg_gbench_set_items_processed(mg_gbench_state *state, int64_t items);
void mg_gbench_set_bytes_processed(mg_gbench_state *state, int64_t bytes);
/* A user counter (name copied); flags from the MG_GBENCH_COUNTER_ enum. */
void mg_gbench_set_counter(mg_gbench_state *state, const char *name, double value, unsigned flags);
/* Ends this benchmark as failed with message (JSON error_occurred); call it
 * before the loop, or break out of the loop right after. */
void mg_gbench_skip_with_error(mg_gbench_state *state, const char *message);
/* Keeps value computed: the optimiser may not drop what produced it. */
void mg_gbench_do_not_optimize(const void *value);

#ifdef __cplusplus
}
#endif

#endif
