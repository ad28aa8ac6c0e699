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

# The default matrix: both hash backends over gcide fractions and fortunes,
# under jemalloc and glibc (issue 2). Results go to results/runs/<time>/.
BENCH_OUT ?= results/runs/bench-$(shell date +%Y%m%d-%H%M%S)
bench: all
	corpora/fetch gcide fortunes
	$(BUILD)/memgrams sweep --backends naive_hash,interned_hash --corpora gcide \
	    --fractions 1/16,1/8,1/4,1/2,1 --orders 3 --allocators jemalloc,glibc --out $(BENCH_OUT) > /dev/null
	$(BUILD)/memgrams sweep --backends naive_hash,interned_hash --corpora fortunes \
	    --orders 3 --allocators jemalloc,glibc --out $(BENCH_OUT)

clean:
	rm -rf $(BUILD) $(SANITIZED)
