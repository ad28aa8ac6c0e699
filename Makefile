# memgrams — a thin front over meson + ninja.
#   make          build build/memgrams
#   make test     every test (meson test): release build, then a werror ASan+UBSan build
#   make fuzz     each libFuzzer target replays its seed corpus, then fuzzes for FUZZ_SECONDS
#                 (default 60) in build-fuzz/ (CI runs it after make test)
#   make bench    fetch the corpora, sweep the default matrix, print the summary
#   make microbench  Google Benchmark timings per operation of every backend
#   make regress  a small sweep checked against results/baseline.jsonl (memgrams check)
#   make regress-speed  this tree's speed against SPEED_BASE (default HEAD~1), measured back to back
#   make baseline rewrite results/baseline.jsonl from the same sweep
# Missing Debian packages are installed first (scripts/install-deps).

BUILD      ?= build
SANITIZED  ?= build-sanitize
FUZZ       ?= build-fuzz
MESON_SETUP = meson setup --reconfigure

.PHONY: all deps test fuzz bench microbench regress regress-speed baseline clean

all: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

deps:
	@scripts/install-deps

$(BUILD)/build.ninja:
	meson setup $(BUILD) -Dbuildtype=release

$(SANITIZED)/build.ninja:
	meson setup $(SANITIZED) -Dbuildtype=debugoptimized -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false

# The libFuzzer targets of tests/fuzz: clang, ASan+UBSan, coverage on every
# object (meson -Dfuzz=true); only the targets are built (scripts/fuzz).
$(FUZZ)/build.ninja:
	CC=clang CXX=clang++ meson setup $(FUZZ) -Dfuzz=true -Dtests=disabled -Dbuildtype=debugoptimized \
	    -Db_sanitize=address,undefined -Db_lundef=false

# Every suite is a meson test (tests/meson.build; meson test -C BUILD --list):
# the release build's, then the sanitized build's (run even when the first
# failed), logs in BUILD/meson-logs/. scripts/test-summary then adds up the cases
# of both (a crash or a timeout counts as failed) and ends with
# "N passed, N failed"; it fails the target if any failed. Two suites at a
# time on the 2 cores: those that share run one case at a time, the others
# run alone with two. The clang fuzz build is left to make fuzz: a third
# build would take make test past its 10-minute budget on 2 cores.
# fortunes is fetched first: the measurement suite checks a real corpus too.
# TEST_FLAGS adds meson test flags, e.g. --suite unit or --timeout-multiplier 2.
TEST_PROCESSES ?= 2
TEST_FLAGS ?=
MESON_TEST = meson test --num-processes $(TEST_PROCESSES) --print-errorlogs $(TEST_FLAGS)
test: all $(SANITIZED)/build.ninja
	corpora/fetch fortunes
	ninja -C $(SANITIZED)
	rm -f $(BUILD)/meson-logs/testlog.json $(SANITIZED)/meson-logs/testlog.json
	-$(MESON_TEST) -C $(BUILD)
	-$(MESON_TEST) -C $(SANITIZED)
	scripts/test-summary $(BUILD) $(SANITIZED)

# Each target fuzzes for FUZZ_SECONDS from its seed corpus (tests/fuzz/corpus/,
# copied into $(FUZZ)/fuzz/TARGET/corpus); exit 1 if one finds a crash, a leak,
# a timeout or a failed invariant, its input left in $(FUZZ)/fuzz/TARGET/
# (docs/fuzzing.md). FUZZ_TARGETS narrows the run, e.g. FUZZ_TARGETS=fuzz_backends.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
fuzz: deps $(FUZZ)/build.ninja
	scripts/fuzz --replay $(FUZZ) $(FUZZ_TARGETS)
	scripts/fuzz $(FUZZ) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The default matrix (scripts/bench): every registered backend over gcide
# fractions 1/32, 1/8 and 1/2 under jemalloc and fortunes; every backend on gcide
# 1/8 under glibc, mimalloc and tcmalloc (the backend x allocator heat map); the
# python_dict peer; trie on synth at 2 and 4x gcide's tokens; the archival floor
# (cached beside the corpus); then `memgrams report`. Two lanes, one per core:
# about 2.5 minutes on 2 cores with the corpora cached.
# Results go to results/runs/bench-<time>/ (summary.csv, summary.md, charts/).
BENCH_OUT ?= results/runs/bench-$(shell date +%Y%m%d-%H%M%S)
bench: all
	corpora/fetch gcide fortunes
	scripts/bench $(BUILD) $(BENCH_OUT)

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

# The regression matrix: every registered backend on two fractions of a
# synthetic corpus (400k tokens) and of fortunes under jemalloc with freed pages returned at once
# (dirty_decay_ms=0: prune.rss does not then depend on the run's pace), the timed queries in 10 rounds.
# About 30 s. Memory is judged tightly. Speed is not judged against the
# committed baseline (REGRESS_SPEED=off): made at another time, under another
# load, it drifts by tens of percent on a shared machine (docs/regression-checks.md);
# make regress-speed judges it against a base revision measured here and now.
REGRESS_OUT   ?= results/runs/regress
REGRESS_SWEEP  = $(BUILD)/memgrams sweep --corpora synth:tokens=400000,fortunes --fractions 1/16,1/4 --orders 3 \
                 --allocators jemalloc:dirty_decay_ms=0 --repeat 10
REGRESS_SPEED ?= off
regress: all
	corpora/fetch fortunes
	rm -rf $(REGRESS_OUT)
	$(REGRESS_SWEEP) --out $(REGRESS_OUT) > /dev/null
	$(BUILD)/memgrams check --baseline results/baseline.jsonl --results $(REGRESS_OUT)/results.jsonl \
	    --speed $(REGRESS_SPEED) --junit $(REGRESS_OUT)/junit.xml

# Speed: every backend on 1/4 of synth:tokens=400000 and of fortunes, this
# tree and SPEED_BASE (a git revision, built once into build-base/, or a
# memgrams binary) run back to back in 16 passes, judged by check's paired
# signed-rank test (scripts/speed-ab). About 4-5 minutes.
SPEED_BASE ?= HEAD~1
regress-speed: all
	scripts/speed-ab $(SPEED_BASE) $(REGRESS_OUT)-speed

baseline: all
	corpora/fetch fortunes
	rm -rf $(REGRESS_OUT)-baseline
	$(REGRESS_SWEEP) --out $(REGRESS_OUT)-baseline > /dev/null
	cp $(REGRESS_OUT)-baseline/results.jsonl results/baseline.jsonl.tmp
	mv results/baseline.jsonl.tmp results/baseline.jsonl

clean:
	rm -rf $(BUILD) $(SANITIZED) $(FUZZ)
