# memgrams — a thin front over meson + ninja.
#   make          build build/memgrams
#   make test     every test: release build, then a werror ASan+UBSan build
#   make bench    fetch the corpora, sweep the default matrix, print the summary
# Missing Debian packages are installed first (scripts/install-deps).

BUILD      ?= build
SANITIZED  ?= build-sanitize
MESON_SETUP = meson setup --reconfigure

.PHONY: all deps test bench clean

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

# The default matrix (scripts/bench): every registered backend over gcide
# fractions 1/16..1 under jemalloc, the whole of gcide under glibc, fortunes
# under both; the python_dict peer over gcide fractions 1/16..1/2 and fortunes in a
# second lane (one per core); the archival floor where `memgrams floor` exists;
# then `memgrams report`. Under 3 minutes on 2 cores with the corpora cached.
# Results go to results/runs/bench-<time>/ (summary.csv, summary.md, charts/).
BENCH_OUT ?= results/runs/bench-$(shell date +%Y%m%d-%H%M%S)
bench: all
	corpora/fetch gcide fortunes
	scripts/bench $(BUILD) $(BENCH_OUT)

clean:
	rm -rf $(BUILD) $(SANITIZED)
