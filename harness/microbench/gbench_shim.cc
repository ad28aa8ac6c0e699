// gbench_shim.cc — the C API of gbench_shim.h over Google Benchmark (C++17).
// The only C++ in memgrams: a thin forwarding layer, no logic of its own
// beyond turning mem.h's counters into a MemoryManager::Result.
#include "gbench_shim.h"

extern "C" {
#include "mem.h"
}

#include <benchmark/benchmark.h>

#include <string>

namespace {

// mem.h's counters as Google Benchmark's memory figures (see gbench_shim.h).
class MemCountersManager final : public benchmark::MemoryManager {
 public:
  void Start() override {
    mg_mem_reset_peak();
    mg_mem_read(&at_start_);
  }

  void Stop(Result &result) override {
    mg_mem_counters at_stop;
    mg_mem_read(&at_stop);
    result.num_allocs = Difference(at_stop.allocations_total, at_start_.allocations_total);
    result.max_bytes_used = Difference(at_stop.bytes_requested_peak, at_start_.bytes_requested);
    result.total_allocated_bytes = Difference(at_stop.bytes_requested_total, at_start_.bytes_requested_total);
    result.net_heap_growth = Difference(at_stop.bytes_requested, at_start_.bytes_requested);
  }

  // The deprecated pointer form, still pure virtual in Google Benchmark 1.7.
  void Stop(Result *result) override { Stop(*result); }

 private:
  static int64_t Difference(uint64_t later, uint64_t earlier) {
    return static_cast<int64_t>(later) - static_cast<int64_t>(earlier);
  }

  mg_mem_counters at_start_{};
};

benchmark::State &AsState(mg_gbench_state *state) { return *reinterpret_cast<benchmark::State *>(state); }

const benchmark::State &AsState(const mg_gbench_state *state) {
  return *reinterpret_cast<const benchmark::State *>(state);
}

benchmark::Counter::Flags CounterFlags(unsigned flags) {
  int result = benchmark::Counter::kDefaults;
  if (flags & MG_GBENCH_COUNTER_RATE) result |= benchmark::Counter::kIsRate;
  if (flags & MG_GBENCH_COUNTER_ITERATION_INVARIANT) result |= benchmark::Counter::kIsIterationInvariant;
  if (flags & MG_GBENCH_COUNTER_AVERAGE_ITERATIONS) result |= benchmark::Counter::kAvgIterations;
  if (flags & MG_GBENCH_COUNTER_INVERT) result |= benchmark::Counter::kInvert;
  return static_cast<benchmark::Counter::Flags>(result);
}

}  // namespace

struct mg_gbench_session {
  MemCountersManager memory_manager;
  bool use_mem_counters = false;
};

extern "C" {

mg_gbench_session *mg_gbench_initialize(int *argc, char **argv, int use_mem_counters) {
  benchmark::Initialize(argc, argv);
  auto *session = new mg_gbench_session;
  session->use_mem_counters = use_mem_counters != 0;
  if (session->use_mem_counters) benchmark::RegisterMemoryManager(&session->memory_manager);
  return session;
}

void mg_gbench_add_context(const char *key, const char *value) { benchmark::AddCustomContext(key, value); }

int mg_gbench_register(const char *name, mg_gbench_function function, void *arg) {
  if (name == nullptr || *name == '\0') return -1;
  benchmark::RegisterBenchmark(name, [function, arg](benchmark::State &state) {
    function(reinterpret_cast<mg_gbench_state *>(&state), arg);
  });
  return 0;
}

size_t mg_gbench_run(mg_gbench_session *session) {
  (void)session;  // it holds the memory manager the run reports through
  return benchmark::RunSpecifiedBenchmarks();
}

void mg_gbench_shutdown(mg_gbench_session *session) {
  if (session->use_mem_counters) benchmark::RegisterMemoryManager(nullptr);
  benchmark::Shutdown();
  delete session;
}

int mg_gbench_keep_running(mg_gbench_state *state) { return AsState(state).KeepRunning() ? 1 : 0; }

void mg_gbench_pause_timing(mg_gbench_state *state) { AsState(state).PauseTiming(); }

void mg_gbench_resume_timing(mg_gbench_state *state) { AsState(state).ResumeTiming(); }

int64_t mg_gbench_iterations(const mg_gbench_state *state) { return AsState(state).iterations(); }

void mg_gbench_set_items_processed(mg_gbench_state *state, int64_t items) {
  AsState(state).SetItemsProcessed(items);
}

void mg_gbench_set_bytes_processed(mg_gbench_state *state, int64_t bytes) {
  AsState(state).SetBytesProcessed(bytes);
}

void mg_gbench_set_counter(mg_gbench_state *state, const char *name, double value, unsigned flags) {
  AsState(state).counters[name] = benchmark::Counter(value, CounterFlags(flags));
}

void mg_gbench_skip_with_error(mg_gbench_state *state, const char *message) {
  AsState(state).SkipWithError(message);
}

void mg_gbench_do_not_optimize(const void *value) { benchmark::DoNotOptimize(value); }

}  // extern "C"
