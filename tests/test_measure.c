/*
 * test_measure.c — measurement accuracy, through `memgrams run` as users run it.
 *
 * The tests-only calibration backend requests exactly blocks x block_bytes
 * when training ends, so the layers it moves are known in advance; the null
 * backend requests nothing, so any change it shows is the harness's own.
 */
#include "config.h"
#include "process.h"
#include "support.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KIB 1024.0
#define MIB (1024.0 * 1024.0)

static char *small_corpus(void)
{
    static const char text[] = "the cat sat on the mat\nthe dog sat on the log\n\nA cat and a dog\n";
    return mgt_temp_file(text, sizeof text - 1);
}

/* `memgrams run` of a tests-only backend under allocator, with calibration blocks. */
static json_t *calibrated_run(const char *backend, const char *allocator, long blocks, long block_bytes)
{
    char *corpus = small_corpus();
    char blocks_text[64], bytes_text[64];
    snprintf(blocks_text, sizeof blocks_text, "MEMGRAMS_CALIBRATION_BLOCKS=%ld", blocks);
    snprintf(bytes_text, sizeof bytes_text, "MEMGRAMS_CALIBRATION_BLOCK_BYTES=%ld", block_bytes);
    const char *args[] = {"run", "--backend", backend, "--corpus", corpus, "--allocator", allocator, NULL};
    const char *environment[] = {blocks_text, bytes_text, NULL};
    command_result result = memgrams(args, environment);
    cr_assert_eq(result.exit_code, 0, "run %s under %s exited %d: %s", backend, allocator, result.exit_code, result.err);
    json_t *run = run_json(&result);
    cr_assert(run, "run printed no JSON object: %s", result.out);
    command_result_free(&result);
    mgt_temp_remove(corpus);
    return run;
}

static double finalize_delta(json_t *run, const char *layer)
{
    return phase_layer(run, "finalize", layer) - phase_layer(run, "baseline", layer);
}

/* jemalloc's size class for a small request (classes of jemalloc 5: 8, 16, then
 * four per doubling); large requests are page multiples in the same pattern. */
static double jemalloc_size_class(double bytes)
{
    if (bytes <= 8)
        return 8;
    if (bytes <= 16)
        return 16;
    double group = pow(2, floor(log2(bytes - 1)));   /* the power of two below */
    double step = group / 4 < 16 ? 16 : group / 4;
    return ceil(bytes / step) * step;
}

Test(calibration, requested_is_exact_for_every_block_size)
{
    static const long block_sizes[] = {48, 100, 4096, 65536, 1 << 20};
    for (size_t index = 0; index < sizeof block_sizes / sizeof block_sizes[0]; index++) {
        long block = block_sizes[index], blocks = (64L << 20) / block;
        json_t *run = calibrated_run("test_calibration", "jemalloc", blocks, block);
        double requested = finalize_delta(run, "requested");
        cr_expect_eq(requested, (double)blocks * (double)block, "block %ld: requested %.0f, expected %ld", block,
                     requested, blocks * block);
        json_decref(run);
    }
}

/* The bytes of a phase's part, or -1 where the phase or the part is missing. */
static double phase_part(json_t *run, const char *phase_name, const char *breakdown, const char *part)
{
    json_t *phases = json_object_get(run, "phases"), *phase;
    size_t index;
    json_array_foreach(phases, index, phase)
        if (strcmp(json_string_value(json_object_get(phase, "name")), phase_name) == 0) {
            json_t *value = json_object_get(json_object_get(phase, breakdown), part);
            return json_is_integer(value) ? (double)json_integer_value(value) : -1;
        }
    return -1;
}

/* The header block is part "header", the chain's blocks part "chain": every phase's parts sum to its
 * requested bytes, and each part holds exactly its blocks (the training peak too). */
Test(calibration, parts_hold_exactly_their_blocks_and_sum_to_requested)
{
    long blocks = 300, block = 4000;
    json_t *run = calibrated_run("test_calibration", "jemalloc", blocks, block);
    json_t *phases = json_object_get(run, "phases"), *phase;
    size_t index;
    json_array_foreach(phases, index, phase) {
        json_t *parts = json_object_get(phase, "parts"), *bytes;
        const char *name;
        double sum = 0;
        json_object_foreach(parts, name, bytes)
            sum += (double)json_integer_value(bytes);
        cr_expect_eq(sum, (double)json_integer_value(json_object_get(phase, "requested")), "%s: parts sum to %.0f",
                     json_string_value(json_object_get(phase, "name")), sum);
        cr_expect_eq(json_object_size(parts), 3, "parts other, header, chain");
    }
    cr_expect_eq(phase_part(run, "train", "parts", "header"), block);
    cr_expect_eq(phase_part(run, "train", "parts", "chain"), 0);
    cr_expect_eq(phase_part(run, "finalize", "parts", "chain"), (double)(blocks - 1) * block);
    cr_expect_eq(phase_part(run, "finalize", "parts_peak", "chain"), (double)(blocks - 1) * block);
    cr_expect_eq(phase_part(run, "finalize", "parts", "other"), 0);
    cr_expect_eq(phase_part(run, "destroy", "parts", "header"), 0);
    cr_expect_eq(phase_part(run, "destroy", "parts_peak", "chain"), (double)(blocks - 1) * block);
    json_t *derived = json_object_get(run, "derived");
    double ngrams = (double)blocks;
    cr_expect_float_eq(json_number_value(json_object_get(json_object_get(derived, "bytes_per_ngram_by_part"), "chain")),
                       (double)(blocks - 1) * block / ngrams, 1e-9);
    cr_expect_str_eq(json_string_value(json_object_get(derived, "training_peak_part")), "header");
    cr_expect_eq(json_integer_value(json_object_get(derived, "training_peak_part_bytes")), block);
    json_decref(run);
}

Test(calibration, jemalloc_allocated_is_the_sum_of_size_classes)
{
    static const long block_sizes[] = {48, 100, 4096, 1 << 20};
    for (size_t index = 0; index < sizeof block_sizes / sizeof block_sizes[0]; index++) {
        long block = block_sizes[index], blocks = (16L << 20) / block;
        json_t *run = calibrated_run("test_calibration", "jemalloc", blocks, block);
        double expected = (double)blocks * jemalloc_size_class((double)block);
        double allocated = finalize_delta(run, "allocated");
        /* thread caches hold a few objects counted as allocated: 0.1% + 64 KiB */
        cr_expect(fabs(allocated - expected) <= expected * 0.001 + 64 * KIB,
                  "block %ld: allocated grew %.0f, the size classes add to %.0f", block, allocated, expected);
        json_decref(run);
    }
}

Test(calibration, rss_grows_by_k_within_two_percent)
{
    double k = 64 * MIB;
    json_t *run = calibrated_run("test_calibration", "jemalloc", 64, 1 << 20);
    double rss = finalize_delta(run, "rss");
    cr_expect(fabs(rss - k) <= 0.02 * k, "RSS grew %.0f bytes for K = %.0f (%.2f%%)", rss, k, 100 * (rss - k) / k);
    double per_block = json_number_value(json_object_get(json_object_get(run, "derived"), "bytes_per_ngram_requested"));
    cr_expect_eq(per_block, (double)(1 << 20), "bytes per n-gram (per block) is %.1f", per_block);
    json_decref(run);
}

Test(calibration, glibc_allocated_covers_requested_and_the_jemalloc_layers_are_null)
{
    json_t *run = calibrated_run("test_calibration", "glibc", 64, 1 << 20);
    double k = 64 * MIB, allocated = finalize_delta(run, "allocated");
    cr_expect(allocated >= k && allocated <= k * 1.01, "glibc allocated grew %.0f for K = %.0f", allocated, k);
    cr_expect_str_eq(json_string_value(json_object_get(run, "allocator")), "glibc");
    size_t index;
    json_t *phase;
    json_array_foreach(json_object_get(run, "phases"), index, phase) {
        cr_expect(json_is_null(json_object_get(phase, "active")), "active is not null under glibc");
        cr_expect(json_is_null(json_object_get(phase, "resident")), "resident is not null under glibc");
        cr_expect(json_is_integer(json_object_get(phase, "allocated")), "allocated is missing under glibc");
    }
    json_decref(run);
}

/* The allocators docs/allocators.md describes, and whether each has the page layers. */
static const struct {
    const char *name;
    int has_pages; /* active and resident filled; null otherwise */
} allocators[] = {{"jemalloc", 1}, {"glibc", 0}, {"mimalloc", 1}, {"tcmalloc", 1}};
#define ALLOCATOR_COUNT (sizeof allocators / sizeof allocators[0])

Test(null_backend, the_harness_allocates_nothing_between_baseline_and_destroy)
{
    static const char *const phases[] = {"train", "finalize", "prune", "purge", "destroy"};
    for (size_t allocator = 0; allocator < ALLOCATOR_COUNT; allocator++) {
        const char *name = allocators[allocator].name;
        json_t *run = calibrated_run("test_null", name, 0, 0);
        double baseline = phase_layer(run, "baseline", "allocated");
        cr_assert(baseline > 0, "no allocated figure under %s", name);
        for (size_t index = 0; index < sizeof phases / sizeof phases[0]; index++) {
            double change = phase_layer(run, phases[index], "allocated") - baseline;
            cr_expect(fabs(change) <= 4 * KIB, "%s: allocated moved %.0f bytes in phase %s", name, change,
                      phases[index]);
            cr_expect_eq(phase_layer(run, phases[index], "requested"), 0.0, "%s: requested moved in %s", name,
                         phases[index]);
        }
        json_decref(run);
    }
}

/* 100-byte blocks take 112 bytes under all four allocators (a 112-byte size
 * class; glibc's 8-byte header rounded to 16), so allocated grows by blocks x
 * 112 within 0.1% + 64 KiB (jemalloc's thread caches hold a few objects);
 * the pages they fill grow active by as much, within 1% + 64 KiB. */
Test(allocators, calibrated_allocated_and_the_layers_each_allocator_has)
{
    long blocks = (16L << 20) / 100;
    double expected = (double)blocks * 112;
    for (size_t allocator = 0; allocator < ALLOCATOR_COUNT; allocator++) {
        const char *name = allocators[allocator].name;
        json_t *run = calibrated_run("test_calibration", name, blocks, 100);
        cr_expect_str_eq(json_string_value(json_object_get(run, "status")), "ok", "%s: status", name);
        cr_expect_str_eq(json_string_value(json_object_get(run, "allocator")), name);
        const char *version = json_string_value(json_object_get(run, "allocator_version"));
        int major = -1, minor = -1;
        cr_expect(version && sscanf(version, "%d.%d", &major, &minor) == 2, "%s: version '%s'", name, version);
        double allocated = finalize_delta(run, "allocated");
        cr_expect(fabs(allocated - expected) <= expected * 0.001 + 64 * KIB,
                  "%s: allocated grew %.0f, 112-byte blocks add to %.0f", name, allocated, expected);
        size_t index;
        json_t *phase;
        json_array_foreach(json_object_get(run, "phases"), index, phase) {
            cr_expect(json_is_integer(json_object_get(phase, "allocated")), "%s: allocated is missing", name);
            cr_expect_eq(json_is_integer(json_object_get(phase, "active")), allocators[allocator].has_pages,
                         "%s: active is %s", name, allocators[allocator].has_pages ? "missing" : "not null");
            cr_expect_eq(json_is_integer(json_object_get(phase, "resident")), allocators[allocator].has_pages,
                         "%s: resident is %s", name, allocators[allocator].has_pages ? "missing" : "not null");
        }
        if (allocators[allocator].has_pages) {
            double active = finalize_delta(run, "active"); /* full pages of one size class */
            cr_expect(fabs(active - allocated) <= allocated * 0.01 + 64 * KIB, "%s: active grew %.0f, allocated %.0f",
                      name, active, allocated);
            double layers[] = {phase_layer(run, "finalize", "allocated"), phase_layer(run, "finalize", "active"),
                               phase_layer(run, "finalize", "resident")};
            cr_expect(layers[0] <= layers[1] && layers[1] <= layers[2],
                      "%s: allocated %.0f, active %.0f, resident %.0f are not in order", name, layers[0], layers[1],
                      layers[2]);
        }
        json_decref(run);
    }
}

/* env.allocator_config: the option as set, and as the library reports it. */
static void expect_option_read(const char *spec, const char *variable, const char *value, const char *setting,
                               json_int_t reported)
{
    json_t *run = calibrated_run("test_null", spec, 0, 0);
    json_t *config = json_object_get(json_object_get(run, "env"), "allocator_config");
    cr_expect_str_eq(json_string_value(json_object_get(config, variable)), value, "%s: %s", spec, variable);
    json_t *setting_value = json_object_get(config, setting);
    cr_expect(json_is_integer(setting_value) && json_integer_value(setting_value) == reported,
              "%s: %s is not %lld", spec, setting, (long long)reported);
    json_decref(run);
}

Test(allocators, options_reach_the_library)
{
    expect_option_read("mimalloc:decommit_delay=0", "MIMALLOC_DECOMMIT_DELAY", "0", "mi_option_decommit_delay", 0);
    expect_option_read("tcmalloc:max_total_thread_cache_bytes=8388608", "TCMALLOC_MAX_TOTAL_THREAD_CACHE_BYTES",
                       "8388608", "tcmalloc.max_total_thread_cache_bytes", 8388608);
}

Test(allocators, another_preloaded_allocator_is_dropped)
{
    char *corpus = small_corpus();
    const char *preload[] = {"LD_PRELOAD=" MG_TCMALLOC_LIBDIR "/libtcmalloc_minimal.so.4", NULL};
    const char *args[] = {"run", "--backend", "test_null", "--corpus", corpus, "--allocator", "mimalloc", NULL};
    command_result result = memgrams(args, preload);
    cr_assert_eq(result.exit_code, 0, "exit %d: %s", result.exit_code, result.err);
    json_t *run = run_json(&result);
    cr_assert(run, "no JSON: %s", result.out);
    json_t *config = json_object_get(json_object_get(run, "env"), "allocator_config");
    const char *library = json_string_value(json_object_get(config, "library"));
    const char *preloaded = json_string_value(json_object_get(config, "LD_PRELOAD"));
    cr_expect(library && strstr(library, "libmimalloc"), "malloc comes from %s", library);
    cr_expect(preloaded && !strstr(preloaded, "tcmalloc"), "LD_PRELOAD is still '%s'", preloaded);
    json_decref(run);
    command_result_free(&result);
    mgt_temp_remove(corpus);
}

/* Real backends on a quarter of fortunes (corpora/fetch fortunes) under each allocator. */
Test(allocators, real_backends_run_under_every_allocator, .timeout = 120)
{
    static const char *const backends[] = {"interned_hash", "trie"};
    for (size_t allocator = 0; allocator < ALLOCATOR_COUNT; allocator++) {
        for (size_t backend = 0; backend < 2; backend++) {
            const char *args[] = {"run", "--backend", backends[backend], "--corpus", "fortunes", "--fraction", "0.25",
                                  "--allocator", allocators[allocator].name, NULL};
            command_result result = memgrams(args, NULL);
            if (result.exit_code == 2 && strstr(result.err, "corpora/fetch fortunes"))
                cr_skip_test("fortunes is not fetched: corpora/fetch fortunes");
            cr_assert_eq(result.exit_code, 0, "%s under %s: exit %d: %s", backends[backend],
                         allocators[allocator].name, result.exit_code, result.err);
            json_t *run = run_json(&result);
            cr_assert(run, "%s under %s printed no JSON", backends[backend], allocators[allocator].name);
            cr_expect_str_eq(json_string_value(json_object_get(run, "status")), "ok");
            cr_expect(phase_layer(run, "finalize", "allocated") > phase_layer(run, "baseline", "allocated"),
                      "%s under %s: allocated did not grow", backends[backend], allocators[allocator].name);
            json_decref(run);
            command_result_free(&result);
        }
    }
}

/* Every registered backend under every allocator, on a Zipf-like text: status ok,
 * the allocator and its version recorded, requested back to 0 after destroy, and
 * every layer filled, or null exactly where docs/allocators.md says the allocator
 * has no such figure. */
Test(backends, every_backend_runs_under_every_allocator_with_its_layers, .timeout = 300)
{
    char *corpus = mgt_zipf_file(11, 1500, 2000);
    const char *list_args[] = {"list", NULL};
    command_result listing = memgrams(list_args, NULL);
    cr_assert_eq(listing.exit_code, 0);
    char *others = strstr(listing.out, "\n\n"); /* the subjects measured outside memgrams follow the backends */
    if (others)
        others[1] = '\0';
    int backends = 0;
    for (char *line = strtok(listing.out, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == ' ') /* a setting of the backend above */
            continue;
        backends++;
        char name[64];
        cr_assert_eq(sscanf(line, "%63s", name), 1);
        for (size_t allocator = 0; allocator < ALLOCATOR_COUNT; allocator++) {
            const char *spec = allocators[allocator].name;
            const char *args[] = {"run", "--backend", name, "--corpus", corpus, "--order", "2", "--allocator", spec,
                                  NULL};
            command_result result = memgrams(args, NULL);
            cr_assert_eq(result.exit_code, 0, "%s under %s: exit %d: %s", name, spec, result.exit_code, result.err);
            json_t *run = run_json(&result);
            cr_assert(run, "%s under %s printed no JSON", name, spec);
            cr_expect_str_eq(json_string_value(json_object_get(run, "status")), "ok", "%s under %s", name, spec);
            cr_expect_str_eq(json_string_value(json_object_get(run, "allocator")), spec, "%s", name);
            const char *version = json_string_value(json_object_get(run, "allocator_version"));
            cr_expect(version && *version && strcmp(version, "unknown") != 0, "%s under %s: version '%s'", name, spec,
                      version ? version : "(null)");
            cr_expect_eq(phase_layer(run, "destroy", "requested"), 0.0, "%s under %s leaks", name, spec);
            cr_expect(phase_layer(run, "finalize", "requested") > 0, "%s under %s requested nothing", name, spec);
            static const char *const layers[] = {"allocated", "rss", "rss_anon", "rss_file", "hwm"};
            for (size_t layer = 0; layer < sizeof layers / sizeof layers[0]; layer++)
                cr_expect(phase_layer(run, "finalize", layers[layer]) > 0, "%s under %s: %s not filled", name, spec,
                          layers[layer]);
            cr_expect(phase_layer(run, "finalize", "rss_shmem") >= 0, "%s under %s: rss_shmem not filled", name, spec);
            static const char *const page_layers[] = {"active", "resident"};
            for (size_t layer = 0; layer < 2; layer++) {
                json_t *finalize = json_array_get(json_object_get(run, "phases"), 2);
                cr_assert_str_eq(json_string_value(json_object_get(finalize, "name")), "finalize");
                cr_expect_eq(json_is_integer(json_object_get(finalize, page_layers[layer])),
                             allocators[allocator].has_pages, "%s under %s: %s is %s", name, spec, page_layers[layer],
                             allocators[allocator].has_pages ? "missing" : "not null");
            }
            json_decref(run);
            command_result_free(&result);
        }
    }
    cr_expect(backends >= 10, "list shows %d backends", backends);
    command_result_free(&listing);
    mgt_temp_remove(corpus);
}

/* ---- frozen images --------------------------------------------------------------- */

static json_t *run_of(const char *backend, const char *corpus, const char *const *environment, int want_exit)
{
    const char *args[] = {"run", "--backend", backend, "--corpus", corpus, NULL};
    command_result result = memgrams(args, environment);
    cr_assert_eq(result.exit_code, want_exit, "run %s exited %d: %s", backend, result.exit_code, result.err);
    json_t *run = run_json(&result);
    cr_assert(run, "run %s printed no JSON object: %s", backend, result.out);
    command_result_free(&result);
    return run;
}

/* trie_mmap beside trie on the same corpus: after finalize the twin
 * requests only its table struct and the dictionary's, its image (the
 * arrays trie holds on the heap) shows in rss_file, and its table is trie's. */
Test(frozen_image, trie_mmap_holds_its_table_in_file_pages)
{
    char *corpus = mgt_zipf_file(11, 40000, 20000);
    json_t *heap = run_of("trie", corpus, NULL, 0), *mapped = run_of("trie_mmap", corpus, NULL, 0);
    cr_expect_str_eq(json_string_value(json_object_get(mapped, "checksum")),
                     json_string_value(json_object_get(heap, "checksum")), "trie_mmap holds another table");
    double image = finalize_delta(heap, "requested"); /* the arrays, and the structs that stay */
    double requested = finalize_delta(mapped, "requested");
    cr_expect(requested > 0 && requested <= 2 * KIB, "trie_mmap requests %.0f bytes after finalize", requested);
    cr_assert(image > 512 * KIB, "the image is too small to measure (%.0f bytes)", image);
    double file = finalize_delta(mapped, "rss_file") - finalize_delta(heap, "rss_file");
    cr_expect(fabs(file - image) <= 0.05 * image + 256 * KIB,
              "rss_file grew %.0f bytes more than under trie, for an image of about %.0f", file, image);
    double per_ngram = json_number_value(json_object_get(json_object_get(mapped, "derived"), "bytes_per_ngram_rss_file"));
    double ngrams = json_number_value(json_object_get(mapped, "ngrams"));
    cr_expect(per_ngram * ngrams >= 0.95 * image, "derived.bytes_per_ngram_rss_file %.2f for %.0f bytes of image",
              per_ngram, image);
    json_decref(heap);
    json_decref(mapped);
    mgt_temp_remove(corpus);
}

Test(frozen_image, a_freeze_that_cannot_write_is_an_error_not_oom)
{
    char *corpus = small_corpus();
    const char *environment[] = {"TMPDIR=/nonexistent/memgrams", NULL};
    json_t *run = run_of("packed_arrays_mmap", corpus, environment, 1);
    cr_expect_str_eq(json_string_value(json_object_get(run, "status")), "error");
    const char *message = json_string_value(json_object_get(run, "message"));
    cr_expect(message && strstr(message, "image file") && strstr(message, "No such file or directory"),
              "message: %s", message);
    cr_expect_eq(phase_layer(run, "destroy", "requested"), 0.0, "the table leaked after the failed freeze");
    json_decref(run);
    mgt_temp_remove(corpus);
}

static json_t *phase_sample(json_t *run, const char *name)
{
    size_t index;
    json_t *sample;
    json_array_foreach(json_object_get(run, "phases"), index, sample)
        if (strcmp(json_string_value(json_object_get(sample, "name")), name) == 0)
            return sample;
    return NULL;
}

static double library_figure(json_t *sample, const char *name)
{
    json_t *value = json_object_get(json_object_get(sample, "library"), name);
    return json_is_number(value) ? json_number_value(value) : -1;
}

/* SQLite's heap comes through mem.h with an 8-byte size prefix a block, as
 * the part sqlite.heap (the page cache is the backend's, its other part):
 * SQLite's memory_used is that part less 8 bytes a live block at every
 * phase that has a table. */
Test(library, sqlite_memory_used_is_the_heap_part_less_the_block_prefixes)
{
    char *corpus = mgt_zipf_file(5, 3000, 800);
    const char *args[] = {"run", "--backend", "sqlite_memory", "--corpus", corpus, NULL};
    command_result result = memgrams(args, NULL);
    cr_assert_eq(result.exit_code, 0, "run: %s", result.err);
    json_t *run = run_json(&result);
    cr_assert(run);
    static const char *const with_table[] = {"train", "finalize", "prune", "purge"};
    for (size_t index = 0; index < sizeof with_table / sizeof with_table[0]; index++) {
        json_t *sample = phase_sample(run, with_table[index]);
        double used = library_figure(sample, "sqlite.memory_used"), blocks = library_figure(sample, "sqlite.malloc_count");
        double heap = json_number_value(json_object_get(json_object_get(sample, "parts"), "sqlite.heap"));
        cr_expect(used > 0 && blocks > 0, "%s: sqlite.memory_used %.0f, sqlite.malloc_count %.0f", with_table[index],
                  used, blocks);
        cr_expect_eq(used + 8 * blocks, heap, "%s: memory_used %.0f + 8 x %.0f blocks, sqlite.heap %.0f",
                     with_table[index], used, blocks, heap);
        cr_expect(library_figure(sample, "sqlite.cache_used") > 0, "%s: no sqlite.cache_used", with_table[index]);
    }
    cr_expect_null(json_object_get(phase_sample(run, "baseline"), "library"), "figures before the table exists");
    cr_expect_null(json_object_get(phase_sample(run, "destroy"), "library"), "figures after the table is gone");
    json_decref(run);
    command_result_free(&result);

    const char *plain_args[] = {"run", "--backend", "interned_hash", "--corpus", corpus, NULL};
    result = memgrams(plain_args, NULL);
    cr_assert_eq(result.exit_code, 0, "run: %s", result.err);
    run = run_json(&result);
    size_t index;
    json_t *sample;
    json_array_foreach(json_object_get(run, "phases"), index, sample)
        cr_expect_null(json_object_get(sample, "library"), "interned_hash wraps no library");
    json_decref(run);
    command_result_free(&result);
    mgt_temp_remove(corpus);
}
