/*
 * test_measure.c — measurement accuracy, through `memgrams run` as users run it.
 *
 * The tests-only calibration backend requests exactly blocks x block_bytes
 * when training ends, so the layers it moves are known in advance; the null
 * backend requests nothing, so any change it shows is the harness's own.
 */
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

Test(null_backend, the_harness_allocates_nothing_between_baseline_and_destroy)
{
    static const char *const phases[] = {"train", "finalize", "prune", "purge", "destroy"};
    json_t *run = calibrated_run("test_null", "jemalloc", 0, 0);
    double baseline = phase_layer(run, "baseline", "allocated");
    cr_assert(baseline > 0, "no allocated figure under jemalloc");
    for (size_t index = 0; index < sizeof phases / sizeof phases[0]; index++) {
        double change = phase_layer(run, phases[index], "allocated") - baseline;
        cr_expect(fabs(change) <= 4 * KIB, "allocated moved %.0f bytes in phase %s", change, phases[index]);
        cr_expect_eq(phase_layer(run, phases[index], "requested"), 0.0, "requested moved in %s", phases[index]);
    }
    json_decref(run);
}

/* Every registered backend, on a real-looking corpus: requested returns to 0
 * after destroy and the jemalloc layers are filled. */
Test(backends, requested_is_zero_after_destroy_and_every_layer_is_filled)
{
    char *corpus = small_corpus();
    const char *list_args[] = {"list", NULL};
    command_result listing = memgrams(list_args, NULL);
    cr_assert_eq(listing.exit_code, 0);
    int backends = 0;
    for (char *line = strtok(listing.out, "\n"); line; line = strtok(NULL, "\n"), backends++) {
        char name[64];
        cr_assert_eq(sscanf(line, "%63s", name), 1);
        const char *args[] = {"run", "--backend", name, "--corpus", corpus, "--order", "2", NULL};
        command_result result = memgrams(args, NULL);
        cr_assert_eq(result.exit_code, 0, "%s: exit %d: %s", name, result.exit_code, result.err);
        json_t *run = run_json(&result);
        cr_assert(run, "%s printed no JSON", name);
        cr_expect_eq(phase_layer(run, "destroy", "requested"), 0.0, "%s leaks", name);
        cr_expect(phase_layer(run, "finalize", "requested") > 0, "%s requested nothing", name);
        static const char *const layers[] = {"allocated", "active", "resident", "rss", "rss_anon", "hwm"};
        for (size_t layer = 0; layer < sizeof layers / sizeof layers[0]; layer++)
            cr_expect(phase_layer(run, "finalize", layers[layer]) > 0, "%s: %s not filled under jemalloc", name,
                      layers[layer]);
        json_decref(run);
        command_result_free(&result);
    }
    cr_expect(backends >= 2, "list shows %d backends", backends);
    command_result_free(&listing);
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

/* SQLite's heap comes through mem.h with an 8-byte size prefix a block, and
 * the backend holds nothing else: SQLite's memory_used is requested less 8
 * bytes a live block at every phase that has a table. */
Test(library, sqlite_memory_used_is_requested_less_the_block_prefixes)
{
    char *corpus = mgt_zipf_file(5, 3000, 800);
    const char *args[] = {"run", "--backend", "sqlite_memory", "--corpus", corpus, NULL};
    command_result result = memgrams(args, NULL);
    cr_assert_eq(result.exit_code, 0, "run: %s", result.err);
    json_t *run = run_json(&result);
    cr_assert(run);
    double baseline = phase_layer(run, "baseline", "requested");
    static const char *const with_table[] = {"train", "finalize", "prune", "purge"};
    for (size_t index = 0; index < sizeof with_table / sizeof with_table[0]; index++) {
        json_t *sample = phase_sample(run, with_table[index]);
        double used = library_figure(sample, "sqlite.memory_used"), blocks = library_figure(sample, "sqlite.malloc_count");
        double requested = phase_layer(run, with_table[index], "requested") - baseline;
        cr_expect(used > 0 && blocks > 0, "%s: sqlite.memory_used %.0f, sqlite.malloc_count %.0f", with_table[index],
                  used, blocks);
        cr_expect_eq(used + 8 * blocks, requested, "%s: memory_used %.0f + 8 x %.0f blocks, requested %.0f",
                     with_table[index], used, blocks, requested);
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
