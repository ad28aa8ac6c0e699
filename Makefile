# memgrams — a thin front over meson + ninja.
#   make          build build/memgrams
#   make test     every test: release build, then a werror ASan+UBSan build
#   make bench    fetch the corpora, sweep the default matrix, print the summary
#   make microbench  Google Benchmark timings per operation of every backend
# Missing Debian packages are installed first (scripts/install-deps).

BUILD      ?= build
SANITIZED  ?= build-sanitize
MESON_SETUP = meson setup --reconfigure

.PHONY: all deps test bench microbench clean

all: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

deps:
	@scripts/install-deps

$(BUILD)/build.ninja:
	meson setup $(BUILD) -Dbuildtype=release

$(SANITIZED)/build.ninja:
	meson setup $(SANITIZED) -Dbuildtype=debugoptimized -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false

test: all $(SANITIZED)/build.ninja
	ninja -C $(SANITIZED)
	tests/run $(BUILD) $(SANITIZED)

# The default matrix: every registered backend over gcide fractions under
# jemalloc, the whole of gcide under glibc too, and fortunes under both.
# Under 3 minutes on 2 cores with the corpora cached. Results go to
# results/runs/bench-<time>/; the last sweep prints the table of them all.
BENCH_OUT ?= results/runs/bench-$(shell date +%Y%m%d-%H%M%S)
bench: all
	corpora/fetch gcide fortunes
	$(BUILD)/memgrams sweep --corpora gcide --fractions 1/16,1/8,1/4,1/2,1 --orders 3 \
	    --allocators jemalloc --out $(BENCH_OUT) > /dev/null
	$(BUILD)/memgrams sweep --corpora gcide --orders 3 --allocators glibc --out $(BENCH_OUT) > /dev/null
	$(BUILD)/memgrams sweep --corpora fortunes --orders 3 --allocators jemalloc,glibc --out $(BENCH_OUT)

# Time per operation of every registered backend (memgrams-microbench, Google
# Benchmark) on a synthetic corpus into results/runs/microbench-<time>/
# microbench.json, Google Benchmark's JSON (its tools/compare.py reads it),
# then its table. About a minute. MICROBENCH_FLAGS adds flags, e.g.
# --benchmark_repetitions=5 or --corpus gcide --fraction 1/8.
MICROBENCH_OUT ?= results/runs/microbench-$(shell date +%Y%m%d-%H%M%S)
MICROBENCH_FLAGS ?=
microbench: all
	mkdir -p $(MICROBENCH_OUT)
	$(BUILD)/memgrams-microbench --benchmark_out=$(MICROBENCH_OUT)/microbench.json.tmp \
	    --benchmark_out_format=json $(MICROBENCH_FLAGS)
	mv $(MICROBENCH_OUT)/microbench.json.tmp $(MICROBENCH_OUT)/microbench.json
	$(BUILD)/memgrams report $(MICROBENCH_OUT)

clean:
	rm -rf $(BUILD) $(SANITIZED)
