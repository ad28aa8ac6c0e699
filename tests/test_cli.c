/*
 * test_cli.c — the command line as users meet it: bad input gets exit 2 and
 * one line naming the fault; sweeps survive a crashing child; the contract's
 * commands agree across backends.
 */
#include "backend.h"
#include "config.h"
#include "process.h"
#include "support.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char corpus_text[] = "the cat sat on the mat\nThe dog sat on the log\n\nthe cat ate\n";

/* Runs args and checks: exit 2, exactly one line on stderr, containing every needle. */
static void expect_usage_error(const char *const *args, const char *const *environment,
                               const char *needle, const char *second_needle)
{
    command_result result = memgrams(args, environment);
    cr_expect_eq(result.exit_code, 2, "%s %s: exit %d, expected 2 (stderr: %s)", args[0], args[1] ? args[1] : "",
                 result.exit_code, result.err);
    cr_expect_eq(count_lines(result.err), 1, "stderr is not one line: '%s'", result.err);
    cr_expect(strstr(result.err, needle), "stderr '%s' does not name '%s'", result.err, needle);
    if (second_needle)
        cr_expect(strstr(result.err, second_needle), "stderr '%s' does not name '%s'", result.err, second_needle);
    cr_expect_eq(result.out_length, 0, "stdout is not empty: %s", result.out);
    command_result_free(&result);
}

Test(cli, unknown_backend_names_the_valid_ones)
{
    char *corpus = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    const char *args[] = {"run", "--backend", "bogus", "--corpus", corpus, NULL};
    expect_usage_error(args, NULL, "bogus", "naive_hash, interned_hash");
    const char *dump_args[] = {"dump", "--backend", "bogus", "--corpus", corpus, NULL};
    expect_usage_error(dump_args, NULL, "bogus", "interned_hash");
    expect_usage_error(dump_args, NULL, "peers: ", "python_dict"); /* dump takes the peers too */
    const char *generate_args[] = {"generate", "--backend", "bogus", "--corpus", corpus, NULL};
    expect_usage_error(generate_args, NULL, "peers: ", "python_lists"); /* and generate */
    mgt_temp_remove(corpus);
}

/* The instrument backends live in the test programs only: the product refuses them. */
Test(cli, the_product_binary_offers_no_instrument_backend)
{
    char *corpus = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    const char *args[] = {"run", "--backend", "test_crash", "--corpus", corpus, NULL};
    command_result product = run_program(MEMGRAMS_PRODUCT_BINARY, args, NULL);
    cr_expect_eq(product.exit_code, 2, "the product ran test_crash: exit %d (%s)", product.exit_code, product.err);
    cr_expect(strstr(product.err, "test_crash") && strstr(product.err, "naive_hash"), "%s", product.err);
    command_result_free(&product);
    const char *null_args[] = {"run", "--backend", "test_null", "--corpus", corpus, NULL};
    command_result instrumented = memgrams(null_args, NULL);
    cr_expect_eq(instrumented.exit_code, 0, "the test program refused test_null: %s", instrumented.err);
    command_result_free(&instrumented);
    mgt_temp_remove(corpus);
}

Test(cli, unknown_option_and_command)
{
    char *corpus = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    const char *option_args[] = {"run", "--backend", "naive_hash", "--corpus", corpus, "--colour", NULL};
    expect_usage_error(option_args, NULL, "--colour", NULL);
    const char *foreign_args[] = {"dump", "--backend", "naive_hash", "--corpus", corpus, "--seed", "3", NULL};
    expect_usage_error(foreign_args, NULL, "--seed", NULL);
    const char *command_args[] = {"frobnicate", NULL};
    expect_usage_error(command_args, NULL, "frobnicate", "sweep");
    const char *bare_args[] = {NULL};
    expect_usage_error(bare_args, NULL, "command", NULL);
    mgt_temp_remove(corpus);
}

/* Every command reads its options alike (options.h): an unknown one and one
 * without its value are each one line naming the option. */
Test(cli, every_command_names_a_bad_option)
{
    static const char *const commands[][2] = {{"run", NULL},    {"dump", NULL},  {"generate", NULL}, {"sweep", NULL},
                                              {"check", NULL},  {"floor", NULL}, {"corpus", "stats"}};
    for (size_t index = 0; index < sizeof commands / sizeof commands[0]; index++) {
        const char *unknown[] = {commands[index][0], commands[index][1] ? commands[index][1] : "--zebra",
                                 commands[index][1] ? "--zebra" : NULL, NULL};
        expect_usage_error(unknown, NULL, "--zebra", "unknown option");
        const char *valueless[] = {commands[index][0], commands[index][1] ? commands[index][1] : "--fraction",
                                   commands[index][1] ? "--fraction" : NULL, NULL};
        if (strcmp(commands[index][0], "check") == 0)
            valueless[1] = "--baseline";
        expect_usage_error(valueless, NULL, valueless[commands[index][1] ? 2 : 1], "needs a value");
    }
}

Test(cli, missing_required_options)
{
    char *corpus = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    const char *no_backend[] = {"run", "--corpus", corpus, NULL};
    expect_usage_error(no_backend, NULL, "--backend", NULL);
    const char *no_corpus[] = {"run", "--backend", "naive_hash", NULL};
    expect_usage_error(no_corpus, NULL, "--corpus", NULL);
    const char *no_value[] = {"run", "--backend", "naive_hash", "--corpus", NULL};
    expect_usage_error(no_value, NULL, "--corpus", NULL);
    mgt_temp_remove(corpus);
}

Test(cli, missing_unreadable_and_directory_corpora)
{
    const char *missing[] = {"run", "--backend", "naive_hash", "--corpus", "/nonexistent/words.txt", NULL};
    expect_usage_error(missing, NULL, "/nonexistent/words.txt", NULL);
    char *folder = temp_folder();
    const char *directory[] = {"dump", "--backend", "naive_hash", "--corpus", folder, NULL};
    expect_usage_error(directory, NULL, "directory", NULL);
    /* root reads any file with mode 000; /proc/self/mem refuses read() at offset 0 */
    char *locked = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    chmod(locked, 0);
    const char *unreadable_path = geteuid() == 0 ? "/proc/self/mem" : locked;
    const char *unreadable[] = {"run", "--backend", "interned_hash", "--corpus", unreadable_path, NULL};
    expect_usage_error(unreadable, NULL, unreadable_path, NULL);
    remove_folder(folder);
    mgt_temp_remove(locked);
}

Test(cli, named_corpus_not_fetched_says_how_to_fetch)
{
    char *empty = temp_folder();
    char variable[512];
    snprintf(variable, sizeof variable, "MEMGRAMS_CORPORA=%s", empty);
    const char *environment[] = {variable, NULL};
    const char *args[] = {"run", "--backend", "naive_hash", "--corpus", "gcide", NULL};
    expect_usage_error(args, environment, "corpora/fetch gcide", NULL);
    const char *unknown[] = {"run", "--backend", "naive_hash", "--corpus", "shakespeare", NULL};
    expect_usage_error(unknown, environment, "shakespeare", "fortunes, gcide");
    remove_folder(empty);
}

Test(cli, order_outside_one_to_five)
{
    char *corpus = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    static const char *const orders[] = {"0", "6", "-1", "three", ""};
    for (size_t index = 0; index < sizeof orders / sizeof orders[0]; index++) {
        const char *args[] = {"run", "--backend", "naive_hash", "--corpus", corpus, "--order", orders[index], NULL};
        expect_usage_error(args, NULL, "order", "1..5");
    }
    mgt_temp_remove(corpus);
}

Test(cli, fraction_outside_zero_to_one)
{
    char *corpus = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    static const char *const fractions[] = {"0", "1.5", "-0.5", "half", "1/0", "3/2"};
    for (size_t index = 0; index < sizeof fractions / sizeof fractions[0]; index++) {
        const char *args[] = {"dump", "--backend", "naive_hash", "--corpus", corpus, "--fraction", fractions[index], NULL};
        expect_usage_error(args, NULL, "fraction", "(0, 1]");
    }
    mgt_temp_remove(corpus);
}

Test(cli, unknown_allocator_names_the_valid_ones)
{
    char *corpus = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    const char *args[] = {"run", "--backend", "naive_hash", "--corpus", corpus, "--allocator", "hoard", NULL};
    expect_usage_error(args, NULL, "hoard", "jemalloc, glibc, mimalloc, tcmalloc");
    const char *sweep_args[] = {"sweep", "--allocators", "jemalloc,hoard", "--corpora", corpus, "--plan", NULL};
    expect_usage_error(sweep_args, NULL, "hoard", NULL);
    mgt_temp_remove(corpus);
}

/* KEY is [a-z0-9_]+, VALUE printable without ',' or ':' (no option may smuggle in another). */
Test(cli, bad_allocator_options_are_one_line)
{
    char *corpus = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    static const char *const specs[] = {"mimalloc:", "mimalloc:Eager_commit=0", "tcmalloc:release_rate",
                                        "tcmalloc:release_rate=", "mimalloc:decommit_delay=0,", "tcmalloc:=3",
                                        "mimalloc:page_reset=1\n", "glibc:arena_max=1:glibc.malloc.check=3",
                                        "jemalloc:narenas=1:2", "mimalloc:a-b=1"};
    for (size_t index = 0; index < sizeof specs / sizeof specs[0]; index++) {
        const char *args[] = {"run", "--backend", "naive_hash", "--corpus", corpus, "--allocator", specs[index], NULL};
        expect_usage_error(args, NULL, "allocator '", "KEY=VALUE");
        if (specs[index][strlen(specs[index]) - 1] == ',')
            continue; /* a list may end with a comma */
        const char *sweep_args[] = {"sweep", "--allocators", specs[index], "--corpora", corpus, "--plan", NULL};
        expect_usage_error(sweep_args, NULL, "KEY=VALUE", NULL);
    }
    mgt_temp_remove(corpus);
}

Test(cli, a_word_over_the_limit_is_an_input_error)
{
    char *path = mgt_temp_file_repeat('x', (65ULL << 20));
    const char *args[] = {"run", "--backend", "interned_hash", "--corpus", path, NULL};
    expect_usage_error(args, NULL, "longer than", "line 1");
    mgt_temp_remove(path);
}

Test(cli, run_prints_every_contract_field)
{
    char *corpus = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    const char *args[] = {"run", "--backend", "interned_hash", "--corpus", corpus, "--order", "2", NULL};
    command_result result = memgrams(args, NULL);
    cr_assert_eq(result.exit_code, 0, "%s", result.err);
    cr_expect_eq(count_lines(result.out), 1, "run printed more than one line");
    json_t *run = run_json(&result);
    cr_assert(run);
    static const char *const fields[] = {"schema", "status", "backend", "corpus", "corpus_bytes", "fraction",
        "order", "allocator", "allocator_version", "seed", "sentences", "tokens", "vocab", "grams_added",
        "ngrams", "contexts", "checksum", "phases", "speed", "derived", "env"};
    for (size_t index = 0; index < sizeof fields / sizeof fields[0]; index++)
        cr_expect(json_object_get(run, fields[index]), "field %s is missing", fields[index]);
    cr_expect_str_eq(json_string_value(json_object_get(run, "schema")), "memgrams.run/1");
    cr_expect_eq(json_integer_value(json_object_get(run, "sentences")), 4);
    cr_expect_eq(json_integer_value(json_object_get(run, "tokens")), 15);
    cr_expect_eq(json_integer_value(json_object_get(run, "vocab")), 8);
    cr_expect_eq(json_integer_value(json_object_get(run, "grams_added")), 19);
    static const char *const speeds[] = {"train_ns_per_gram", "finalize_seconds", "lookup_hit_ns",
        "lookup_miss_ns", "successors_ns", "successors_ns_per_successor", "generate_ns_per_token",
        "lookup_hit_batch_ns", "lookup_miss_batch_ns"};
    for (size_t index = 0; index < sizeof speeds / sizeof speeds[0]; index++)
        cr_expect(json_number_value(json_object_get(json_object_get(run, "speed"), speeds[index])) > 0,
                  "speed.%s missing or not positive", speeds[index]);
    json_t *samples = json_object_get(run, "speed_samples");
    cr_expect_eq(json_array_size(json_object_get(samples, "lookup_hit_batch_ns")), 1, "one round of batched hits");
    cr_expect_eq(json_array_size(json_object_get(samples, "lookup_miss_batch_ns")), 1, "one round of batched misses");
    double load_ns = json_number_value(json_object_get(json_object_get(run, "env"), "dependent_load_ns"));
    cr_expect(load_ns > 0 && load_ns < 100000, "env.dependent_load_ns %g", load_ns);
    static const char *const derived[] = {"bytes_per_ngram_requested", "bytes_per_ngram_allocated",
        "bytes_per_ngram_rss", "bytes_per_ngram_rss_anon", "bytes_per_ngram_rss_file", "bytes_per_ngram_rss_shmem",
        "peak_bytes_per_ngram_rss", "peak_final_ratio", "fragmentation", "allocator_frag_ratio", "allocator_rss_ratio",
        "rss_overhead_ratio", "estimated_bytes_per_ngram"};
    for (size_t index = 0; index < sizeof derived / sizeof derived[0]; index++)
        cr_expect(json_object_get(json_object_get(run, "derived"), derived[index]), "derived.%s missing", derived[index]);
    static const char *const phase_names[] = {"baseline", "train", "finalize", "prune", "purge", "destroy"};
    json_t *phases = json_object_get(run, "phases");
    cr_assert_eq(json_array_size(phases), 6);
    for (size_t index = 0; index < 6; index++)
        cr_expect_str_eq(json_string_value(json_object_get(json_array_get(phases, index), "name")), phase_names[index]);
    json_decref(run);
    command_result_free(&result);
    mgt_temp_remove(corpus);
}

/* dump and generate are byte-identical across every listed backend. */
Test(cli, dump_and_generate_agree_across_backends)
{
    char *corpus = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    const char *list_args[] = {"list", NULL};
    command_result listing = memgrams(list_args, NULL);
    char *others = strstr(listing.out, "\n\n"); /* the subjects measured outside memgrams follow the backends */
    if (others)
        others[1] = '\0';
    char *first_dump = NULL, *first_text = NULL;
    for (char *line = strtok(listing.out, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == ' ') /* a setting of the backend above */
            continue;
        char name[64];
        cr_assert_eq(sscanf(line, "%63s", name), 1);
        const char *dump_args[] = {"dump", "--backend", name, "--corpus", corpus, NULL};
        command_result dump = memgrams(dump_args, NULL);
        cr_assert_eq(dump.exit_code, 0, "%s", dump.err);
        const char *generate_args[] = {"generate", "--backend", name, "--corpus", corpus, "--seed", "7",
                                       "--sentences", "20", NULL};
        command_result text = memgrams(generate_args, NULL);
        cr_assert_eq(text.exit_code, 0, "%s", text.err);
        cr_expect_eq(count_lines(text.out), 20, "%s generated %d lines", name, count_lines(text.out));
        if (!first_dump) {
            cr_expect(strstr(dump.out, "<s> <s> the\t3\n"), "dump lacks '<s> <s> the\\t3': %s", dump.out);
            first_dump = strdup(dump.out);
            first_text = strdup(text.out);
        } else {
            cr_expect_str_eq(dump.out, first_dump, "%s dumps differently", name);
            cr_expect_str_eq(text.out, first_text, "%s generates differently", name);
        }
        command_result_free(&dump);
        command_result_free(&text);
    }
    free(first_dump);
    free(first_text);
    command_result_free(&listing);
    mgt_temp_remove(corpus);
}

/* ---- peers dump as the backends do ------------------------------------------------ */

/* The hostile corpora: NUL bytes, a token past 200 KB (twice, in two cases), CRLF and the
 * other whitespace, empty lines, no final newline, high bytes, capitals and marker-like
 * tokens, an empty file. */
static void hostile_corpus(size_t index, mgt_buffer *out)
{
    static const char nul_bytes[] = "a\0b c\0 d\n\0\0 x\nA b\0\n";
    static const char *const texts[] = {
        "The cat\r\nthe\tdog\r\n\r\n\x0bthe cat \x0c end\r\n",
        "\n\na b\n\n\nb a\n\n",
        "one two three\nfour five",
        "\xff\xfe ABC abc \xc3\xa9T\xc3\xa9 Zz\n\x80 abc ABC\n<s> </s> a\n",
        "",
    };
    if (index == 0) {
        mgt_buffer_append(out, nul_bytes, sizeof nul_bytes - 1);
    } else if (index == 1) {
        mgt_buffer_append_str(out, "short ");
        mgt_buffer_append_repeat(out, 'L', 210000);
        mgt_buffer_append_str(out, " tail\nx ");
        mgt_buffer_append_repeat(out, 'l', 210000);
        mgt_buffer_append_str(out, "\n");
    } else {
        mgt_buffer_append_str(out, texts[index - 2]);
    }
}

enum { HOSTILE_CORPORA = 7 };

/* `COMMAND --backend PEER` (for a Python peer, its script's --dump or --generate) prints byte for
 * byte what it prints for trie, on every hostile corpus at orders 1..5; generate's seed and
 * sentences come after the command in extra. */
static void expect_peer_prints_like_trie(const char *command, const char *peer, const char *const *extra)
{
    for (size_t corpus_index = 0; corpus_index < HOSTILE_CORPORA; corpus_index++) {
        mgt_buffer bytes = {0};
        hostile_corpus(corpus_index, &bytes);
        char *corpus = mgt_temp_file(bytes.bytes, bytes.len);
        for (int order = 1; order <= 5; order++) {
            char order_text[4];
            snprintf(order_text, sizeof order_text, "%d", order);
            const char *trie_args[16] = {command, "--backend", "trie", "--corpus", corpus, "--order", order_text};
            const char *peer_args[16] = {command, "--backend", peer, "--corpus", corpus, "--order", order_text};
            for (size_t index = 0; extra[index]; index++)
                trie_args[7 + index] = peer_args[7 + index] = extra[index];
            command_result want = memgrams(trie_args, NULL), got = memgrams(peer_args, NULL);
            cr_assert_eq(want.exit_code, 0, "trie: %s", want.err);
            cr_expect_eq(got.exit_code, 0, "%s %s, corpus %zu, order %d: %s", command, peer, corpus_index, order,
                         got.err);
            cr_expect(got.out_length == want.out_length && memcmp(got.out, want.out, want.out_length) == 0,
                      "%s %s on corpus %zu at order %d prints unlike trie (%zu bytes, trie %zu)", command, peer,
                      corpus_index, order, got.out_length, want.out_length);
            command_result_free(&want);
            command_result_free(&got);
        }
        mgt_temp_remove(corpus);
        mgt_buffer_free(&bytes);
    }
}

static const char *const no_options[] = {NULL};
static const char *const generate_options[] = {"--seed", "11", "--sentences", "40", NULL};

static void expect_peer_dumps_like_trie(const char *peer) { expect_peer_prints_like_trie("dump", peer, no_options); }

static void expect_peer_generates_like_trie(const char *peer)
{
    expect_peer_prints_like_trie("generate", peer, generate_options);
}

static int redis_server_installed(void)
{
    return access("/usr/bin/redis-server", X_OK) == 0 || access("/usr/local/bin/redis-server", X_OK) == 0;
}

Test(peer_dump, python_dict_dumps_like_trie, .timeout = 120) { expect_peer_dumps_like_trie("python_dict"); }
Test(peer_dump, python_interned_dumps_like_trie, .timeout = 120) { expect_peer_dumps_like_trie("python_interned"); }
Test(peer_dump, python_lists_dumps_like_trie, .timeout = 120) { expect_peer_dumps_like_trie("python_lists"); }

/* The redis subject's dump comes from the hashes of its private server: binary-safe keys and fields. */
Test(peer_dump, redis_dumps_like_trie, .timeout = 300)
{
    if (!redis_server_installed())
        cr_skip_test("redis-server is not installed (scripts/install-deps installs it)");
    expect_peer_dumps_like_trie("redis");
}

Test(peer_generate, python_dict_generates_like_trie, .timeout = 120) { expect_peer_generates_like_trie("python_dict"); }
Test(peer_generate, python_interned_generates_like_trie, .timeout = 120)
{
    expect_peer_generates_like_trie("python_interned");
}
Test(peer_generate, python_lists_generates_like_trie, .timeout = 120) { expect_peer_generates_like_trie("python_lists"); }

/* A peer's output that cannot be written is its error: exit 1 and one line saying so. */
Test(peer_generate, a_peer_says_when_its_lines_cannot_be_written, .timeout = 60)
{
    char *corpus = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    const char *generate_args[] = {"generate", "--backend", "python_interned", "--corpus", corpus, NULL};
    const char *dump_args[] = {"dump", "--backend", "python_lists", "--corpus", corpus, NULL};
    const char *const *commands[] = {generate_args, dump_args};
    run_setup full = {.stdout_path = "/dev/full"};
    for (size_t index = 0; index < 2; index++) {
        command_result result = memgrams_set_up(commands[index], NULL, &full);
        cr_expect_eq(result.exit_code, 1, "%s: exit %d (%s)", commands[index][0], result.exit_code, result.err);
        cr_expect(count_lines(result.err) == 1 && strstr(result.err, "cannot write") &&
                  strstr(result.err, "No space left on device"), "%s: %s", commands[index][0], result.err);
        command_result_free(&result);
    }
    mgt_temp_remove(corpus);
}

/* generate walks the server's hashes (HGETALL per context) and draws what trie draws. */
Test(peer_generate, redis_generates_like_trie, .timeout = 300)
{
    if (!redis_server_installed())
        cr_skip_test("redis-server is not installed (scripts/install-deps installs it)");
    expect_peer_generates_like_trie("redis");
}

/* Does text hold a line that begins with name and a space? */
static int has_line_of(const char *text, const char *name)
{
    size_t length = strlen(name);
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, name, length) == 0 && line[length] == ' ')
            return 1;
    return 0;
}

/* list names every backend, then, apart, every peer script (its description) and redis. */
Test(cli, list_names_every_backend_every_peer_and_redis)
{
    const char *list_args[] = {"list", NULL};
    command_result listing = memgrams(list_args, NULL);
    cr_assert_eq(listing.exit_code, 0, "%s", listing.err);
    char *others = strstr(listing.out, "\n\n");
    cr_assert(others, "no blank line before the subjects measured outside memgrams: %s", listing.out);
    *others = '\0';
    others += 2;
    size_t name_column = 0;
    for (const mg_backend *const *backend = mg_backends; *backend; backend++) {
        cr_expect(has_line_of(listing.out, (*backend)->name), "backend %s not listed", (*backend)->name);
        char *line = strstr(listing.out, (*backend)->name);
        size_t column = line ? (size_t)(strstr(line, (*backend)->summary) - line) : 0;
        cr_expect(!name_column || column == name_column, "%s: its summary starts at %zu, others at %zu",
                  (*backend)->name, column, name_column);
        name_column = column;
        for (size_t index = 0; line && index < (*backend)->setting_count; index++) {
            const mg_backend_setting *setting = &(*backend)->settings[index];
            char shown[256];
            snprintf(shown, sizeof shown, "\n    %s=N  %lld..%lld, default %lld: %s\n", setting->name, setting->min,
                     setting->max, setting->fallback, setting->summary);
            cr_expect(strstr(line, shown), "%s: setting %s not listed under it", (*backend)->name, setting->name);
        }
    }
    DIR *folder = opendir("scripts/peers");
    cr_assert(folder);
    int peers = 0;
    for (struct dirent *entry; (entry = readdir(folder));) {
        size_t length = strlen(entry->d_name);
        if (entry->d_name[0] == '_' || length < 4 || strcmp(entry->d_name + length - 3, ".py") != 0)
            continue;
        entry->d_name[length - 3] = '\0';
        cr_expect(has_line_of(others, entry->d_name), "peer %s not listed: %s", entry->d_name, others);
        cr_expect(!has_line_of(listing.out, entry->d_name), "peer %s listed as a backend", entry->d_name);
        peers++;
    }
    closedir(folder);
    cr_expect(peers >= 3);
    cr_expect(strstr(others, "python3       the Python dict of dicts"), "no description read: %s", others);
    cr_expect(has_line_of(others, "redis") && strstr(others, "hash-max-listpack-entries=N"), "%s", others);
    cr_expect(!strstr(others, "_peer_common"), "%s", others);
    command_result_free(&listing);
}

/* The module the peers share is no peer: refused by name, left out of the list of peers. */
Test(peer_dump, a_name_beginning_with_an_underscore_is_no_peer)
{
    char *corpus = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    const char *dump_args[] = {"dump", "--backend", "_peer_common", "--corpus", corpus, NULL};
    expect_usage_error(dump_args, NULL, "_peer_common", "unknown backend");
    const char *sweep_args[] = {"sweep", "--backends", "bogus", "--corpora", corpus, "--plan", NULL};
    command_result result = memgrams(sweep_args, NULL);
    cr_expect(result.exit_code == 2 && strstr(result.err, "python_interned") && strstr(result.err, "python_lists") &&
              !strstr(result.err, "_peer_common"), "peers listed as: %s", result.err);
    command_result_free(&result);
    const char *synth_args[] = {"dump", "--backend", "python_dict", "--corpus", "synth:tokens=100", NULL};
    expect_usage_error(synth_args, NULL, "a peer reads corpus files", "synth:tokens=100");
    const char *synth_generate_args[] = {"generate", "--backend", "python_lists", "--corpus", "synth:tokens=100", NULL};
    expect_usage_error(synth_generate_args, NULL, "memgrams generate: a peer reads corpus files", "synth:tokens=100");
    mgt_temp_remove(corpus);
}

static int count_status(const char *results, const char *backend, const char *status)
{
    char needle[256];
    snprintf(needle, sizeof needle, "\"status\":\"%s\",\"backend\":\"%s\"", status, backend);
    int found = 0;
    for (const char *cursor = strstr(results, needle); cursor; cursor = strstr(cursor + 1, needle))
        found++;
    return found;
}

static char *read_file_text(const char *path)
{
    FILE *file = fopen(path, "r");
    cr_assert(file, "cannot open %s", path);
    static char text[1 << 20];
    size_t length = fread(text, 1, sizeof text - 1, file);
    text[length] = '\0';
    fclose(file);
    return text;
}

Test(sweep, a_crashing_child_is_recorded_and_the_others_finish)
{
    char *corpus = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    char *out = temp_folder(), results_path[512];
    snprintf(results_path, sizeof results_path, "%s/results.jsonl", out);
    const char *environment[] = {"MEMGRAMS_CRASH_AFTER=3", NULL};
    const char *args[] = {"sweep", "--backends", "naive_hash,test_crash,interned_hash", "--corpora", corpus,
                          "--orders", "1,3", "--out", out, NULL};
    command_result result = memgrams(args, environment);
    cr_expect_eq(result.exit_code, 1, "a sweep with a crashed cell exits %d", result.exit_code);
    cr_expect(strstr(result.out, "crashed"), "the summary does not show the crash: %s", result.out);
    cr_expect(strstr(result.err, "memgrams sweep: 2 of 6 runs did not end ok (2 crashed); results in "),
              "the status line does not say what ended how: %s", result.err);
    char *results = read_file_text(results_path);
    cr_expect_eq(count_lines(results), 6, "results hold %d lines", count_lines(results));
    cr_expect_eq(count_status(results, "test_crash", "crashed"), 2, "crash cells: %s", results);
    cr_expect_eq(count_status(results, "naive_hash", "ok"), 2);
    cr_expect_eq(count_status(results, "interned_hash", "ok"), 2);
    command_result_free(&result);

    /* --resume measures again only what did not end ok */
    result = memgrams(args, environment);
    command_result_free(&result);
    const char *resume_args[] = {"sweep", "--backends", "naive_hash,test_crash,interned_hash", "--corpora", corpus,
                                 "--orders", "1,3", "--out", out, "--resume", NULL};
    result = memgrams(resume_args, environment);
    results = read_file_text(results_path);
    cr_expect_eq(count_lines(results), 14, "after a rerun and a resume: %d lines", count_lines(results));
    cr_expect_eq(count_status(results, "test_crash", "crashed"), 6);
    command_result_free(&result);
    remove_folder(out);
    mgt_temp_remove(corpus);
}

/* ---- a backend's settings (settings.h), on test_calibration: blocks=N makes N "n-grams" ---- */

static const char *text_of(json_t *run, const char *name)
{
    return json_string_value(json_object_get(run, name));
}

Test(cli, a_backends_settings_reach_its_table_and_its_run_json, .timeout = 60)
{
    char *corpus = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    const char *args[] = {"run", "--backend", "test_calibration:blocks=0007", "--corpus", corpus, "--order", "2", NULL};
    command_result result = memgrams(args, NULL);
    cr_assert_eq(result.exit_code, 0, "%s", result.err);
    json_t *run = run_json(&result);
    cr_assert(run, "%s", result.out);
    cr_expect_str_eq(text_of(run, "backend"), "test_calibration");
    cr_expect_str_eq(text_of(run, "backend_settings"), "blocks=7");
    cr_expect_eq(json_integer_value(json_object_get(run, "ngrams")), 7, "the table was not configured");
    json_decref(run);
    command_result_free(&result);
    args[2] = "test_calibration:blocks=1024"; /* its fallback: the plain backend */
    result = memgrams(args, NULL);
    cr_assert_eq(result.exit_code, 0, "%s", result.err);
    run = run_json(&result);
    cr_assert(run, "%s", result.out);
    cr_expect_null(json_object_get(run, "backend_settings"), "a setting at its fallback is recorded");
    cr_expect_eq(json_integer_value(json_object_get(run, "ngrams")), 1024);
    json_decref(run);
    command_result_free(&result);
    const char *commands[] = {"dump", "generate"};
    for (size_t index = 0; index < 2; index++) {
        const char *other_args[] = {commands[index], "--backend", "test_calibration:blocks=3", "--corpus", corpus, NULL};
        result = memgrams(other_args, NULL);
        cr_expect_eq(result.exit_code, 0, "%s: %s", commands[index], result.err);
        command_result_free(&result);
    }
    mgt_temp_remove(corpus);
}

/* The line of the table on stderr that begins with the part's name, or NULL. */
static const char *parts_line(const char *table, const char *part)
{
    size_t length = strlen(part);
    for (const char *line = table; *line; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != '\0'))
        if (strncmp(line, part, length) == 0 && line[length] == ' ')
            return line;
    return NULL;
}

/* Does the line hold these texts as its columns, in order, apart by spaces? */
static int columns_are(const char *line, const char *const *columns, size_t count)
{
    char copy[512];
    snprintf(copy, sizeof copy, "%.*s", (int)strcspn(line, "\n"), line);
    char *word = strtok(copy, " ");
    for (size_t index = 0; index < count; index++, word = strtok(NULL, " "))
        if (!word || strcmp(word, columns[index]) != 0)
            return 0;
    return strtok(NULL, " ") == NULL;
}

/* test_calibration:blocks=7 asks 7 blocks of 4096 bytes: the header at create, 6 of the chain at finalize. */
Test(cli, run_parts_prints_the_table_on_stderr_and_keeps_stdout_the_json_line, .timeout = 60)
{
    char *corpus = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    const char *args[] = {"run", "--backend", "test_calibration:blocks=7", "--corpus", corpus, "--parts", NULL};
    command_result result = memgrams(args, NULL);
    cr_assert_eq(result.exit_code, 0, "%s", result.err);
    cr_expect_eq(count_lines(result.out), 1, "stdout is not the one line of the run: %s", result.out);
    json_t *run = run_json(&result);
    cr_assert(run, "%s", result.out);
    cr_expect(strncmp(result.err, "part ", 5) == 0 && strstr(result.err, "bytes/n-gram") && strstr(result.err, "estimate/measured")
              && strstr(result.err, "peak in training"), "no header: %s", result.err);
    static const char *const chain[] = {"chain", "24,576", "3510.857", "-", "-", "0"};
    static const char *const header[] = {"header", "4,096", "585.143", "-", "-", "4,096"};
    static const char *const other[] = {"other", "0", "0.000", "-", "-", "0"};
    static const char *const sum[] = {"sum", "28,672", "4096.000", "-", "-"};
    const char *lines[] = {parts_line(result.err, "chain"), parts_line(result.err, "header"),
                           parts_line(result.err, "other"), parts_line(result.err, "sum")};
    cr_expect(lines[0] && columns_are(lines[0], chain, 6), "chain: %s", result.err);
    cr_expect(lines[1] && columns_are(lines[1], header, 6), "header: %s", result.err);
    cr_expect(lines[2] && columns_are(lines[2], other, 6), "other: %s", result.err);
    cr_expect(lines[3] && columns_are(lines[3], sum, 5), "sum: %s", result.err);
    cr_expect(lines[0] < lines[1] && lines[1] < lines[2], "not by bytes, other last: %s", result.err);
    cr_expect(strstr(result.err, "\nlargest in training: header, 4,096 bytes\n"), "%s", result.err);
    json_decref(run);
    command_result_free(&result);
    const char *redis_args[] = {"run", "--backend", "redis", "--corpus", corpus, "--parts", NULL};
    expect_usage_error(redis_args, NULL, "--parts", "redis");
    const char *output_args[] = {"run", "--backend", "trie", "--corpus", corpus, "--output", "-", "--parts", NULL};
    expect_usage_error(output_args, NULL, "--parts", "--output");
    mgt_temp_remove(corpus);
}

Test(cli, bad_backend_settings_are_one_line_and_exit_2, .timeout = 60)
{
    char *corpus = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    const char *refused[][2] = {
        {"test_calibration:budget=1", "unknown test_calibration setting 'budget=1' (valid: blocks=N)"},
        {"test_calibration:blocks=0", "is outside 1..65536"},
        {"test_calibration:blocks=65537", "is outside 1..65536"},
        {"test_calibration:blocks=1,blocks=2", "set twice"},
        {"test_calibration:", "an empty list of test_calibration settings"},
        {"test_calibration:blocks=1x", "needs an integer of 1 to 18 digits"},
        {"test_calibration:blocks=-5", "needs an integer"},
        {"test_calibration:blocks=123456789012345678901234567890", "needs an integer of 1 to 18 digits"},
        {"naive_hash:blocks=1", "naive_hash takes no settings"},
    };
    const char *commands[] = {"run", "dump", "generate"};
    for (size_t index = 0; index < sizeof refused / sizeof refused[0]; index++) {
        for (size_t command = 0; command < 3; command++) {
            const char *args[] = {commands[command], "--backend", refused[index][0], "--corpus", corpus, NULL};
            expect_usage_error(args, NULL, refused[index][1], "backend '");
        }
        const char *sweep_args[] = {"sweep", "--backends", refused[index][0], "--corpora", corpus, "--plan", NULL};
        expect_usage_error(sweep_args, NULL, refused[index][1], "backend '");
    }
    mgt_temp_remove(corpus);
}

/* Two settings of one backend are two cells (its fallback the plain one's), and --resume finds both done. */
Test(sweep, two_settings_of_a_backend_are_two_cells_and_resume_runs_neither_again, .timeout = 120)
{
    const char *plan_args[] = {"sweep", "--backends", "test_calibration,test_calibration:blocks=1024,test_calibration:blocks=07",
                               "--corpora", "fortunes", "--plan", NULL};
    command_result result = memgrams(plan_args, NULL);
    cr_assert_eq(result.exit_code, 0, "%s", result.err);
    cr_expect_eq(count_lines(result.out), 3, "%s", result.out);
    cr_expect(strstr(result.out, " --backend test_calibration:blocks=7 --corpus"), "not in normal form: %s", result.out);
    cr_expect(!strstr(result.out, "blocks=1024"), "a setting at its fallback is passed on: %s", result.out);
    command_result_free(&result);

    char *corpus = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    char *out = temp_folder(), results_path[512];
    snprintf(results_path, sizeof results_path, "%s/results.jsonl", out);
    const char *args[] = {"sweep", "--backends", "test_calibration:blocks=7,test_calibration:blocks=9", "--corpora",
                          corpus, "--orders", "2", "--out", out, NULL, NULL};
    result = memgrams(args, NULL);
    cr_expect_eq(result.exit_code, 0, "%s", result.err);
    cr_expect(strstr(result.out, "test_calibration:blocks=9 "), "the table shows no settings: %s", result.out);
    command_result_free(&result);
    char *results = read_file_text(results_path);
    cr_expect_eq(count_lines(results), 2, "%s", results);
    cr_expect_eq(count_status(results, "test_calibration", "ok"), 2, "%s", results);
    cr_expect(strstr(results, "\"backend_settings\":\"blocks=7\"") && strstr(results, "\"backend_settings\":\"blocks=9\""),
              "%s", results);
    cr_expect(strstr(results, "\"ngrams\":7,") && strstr(results, "\"ngrams\":9,"), "%s", results);
    args[9] = "--resume";
    result = memgrams(args, NULL);
    cr_expect_eq(result.exit_code, 0, "%s", result.err);
    cr_expect_eq(count_lines(read_file_text(results_path)), 2, "--resume measured a cell again");
    command_result_free(&result);
    remove_folder(out);
    mgt_temp_remove(corpus);
}

Test(sweep, plan_prints_one_command_per_cell)
{
    const char *args[] = {"sweep", "--backends", "naive_hash,interned_hash", "--corpora", "gcide,fortunes",
                          "--fractions", "1/4,1", "--orders", "2,3", "--allocators", "jemalloc,glibc", "--plan", NULL};
    command_result result = memgrams(args, NULL);
    cr_expect_eq(result.exit_code, 0, "%s", result.err);
    cr_expect_eq(count_lines(result.out), 32, "plan has %d lines", count_lines(result.out));
    cr_expect(strstr(result.out, " run --backend interned_hash --corpus fortunes --fraction 0.25 --order 3 --allocator glibc"),
              "plan lacks a cell: %s", result.out);
    command_result_free(&result);
}

/* How many lines of a JSONL file carry "pass": pass. */
static int count_pass(const char *path, int pass)
{
    FILE *file = fopen(path, "r");
    cr_assert(file, "cannot open %s", path);
    char line[1 << 16];
    int count = 0;
    while (fgets(line, sizeof line, file)) {
        json_t *run = json_loads(line, 0, NULL);
        count += json_integer_value(json_object_get(run, "pass")) == pass;
        json_decref(run);
    }
    fclose(file);
    return count;
}

Test(sweep, against_runs_every_cell_on_both_builds_pass_by_pass)
{
    char *corpus = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    char *out = temp_folder(), results_path[512], against_path[512];
    snprintf(results_path, sizeof results_path, "%s/results.jsonl", out);
    snprintf(against_path, sizeof against_path, "%s/against.jsonl", out);
    const char *args[] = {"sweep", "--backends", "interned_hash,trie", "--corpora", corpus, "--orders", "2",
                          "--processes", "2", "--against", MEMGRAMS_BINARY, "--out", out, NULL};
    command_result result = memgrams(args, NULL);
    cr_expect_eq(result.exit_code, 0, "%s%s", result.out, result.err);
    for (int pass = 1; pass <= 2; pass++) {
        cr_expect_eq(count_pass(results_path, pass), 2, "pass %d of results", pass);
        cr_expect_eq(count_pass(against_path, pass), 2, "pass %d of against", pass);
    }
    command_result_free(&result);
    const char *check_args[] = {"check", "--speed", "on", "--verbose", "--baseline", against_path, "--results",
                                results_path, NULL};
    result = memgrams(check_args, NULL);
    cr_expect_eq(result.exit_code, 0, "%s", result.out);
    cr_expect(strstr(result.out, "2 pairs: too few for alpha 0.001"), "the runs are paired: %s", result.out);
    command_result_free(&result);
    remove_folder(out);
    mgt_temp_remove(corpus);
}

Test(sweep, bad_processes_and_against_are_usage_errors)
{
    static const char *const counts[] = {"0", "65", "many"};
    for (size_t index = 0; index < sizeof counts / sizeof counts[0]; index++) {
        const char *args[] = {"sweep", "--processes", counts[index], "--plan", NULL};
        expect_usage_error(args, NULL, "processes", NULL);
    }
    const char *missing[] = {"sweep", "--against", "/nonexistent/memgrams", "--plan", NULL};
    expect_usage_error(missing, NULL, "/nonexistent/memgrams", NULL);
    const char *peer[] = {"sweep", "--backends", "trie,python_dict", "--against", MEMGRAMS_BINARY, "--plan", NULL};
    expect_usage_error(peer, NULL, "python_dict", "peer");
}

Test(sweep, synth_and_allocator_specs_keep_their_options_in_a_comma_list)
{
    const char *args[] = {"sweep", "--backends", "trie",
                          "--corpora", "synth:tokens=1000,seed=7,fortunes,synth:tokens=50",
                          "--allocators", "jemalloc,mimalloc:decommit_delay=0,eager_commit=0,tcmalloc", "--plan", NULL};
    command_result result = memgrams(args, NULL);
    cr_expect_eq(result.exit_code, 0, "%s", result.err);
    cr_expect_eq(count_lines(result.out), 9, "plan: %s", result.out);
    cr_expect(strstr(result.out, "--corpus synth:tokens=1000,seed=7 "), "plan: %s", result.out);
    cr_expect(strstr(result.out, "--corpus synth:tokens=50 "), "plan: %s", result.out);
    cr_expect(strstr(result.out, "--allocator mimalloc:decommit_delay=0,eager_commit=0 "), "plan: %s", result.out);
    cr_expect(strstr(result.out, "--allocator tcmalloc "), "plan: %s", result.out);
    command_result_free(&result);
}

Test(report, prints_the_summary_of_a_sweep_and_refuses_a_missing_folder)
{
    char *corpus = mgt_temp_file(corpus_text, sizeof corpus_text - 1);
    char *out = temp_folder();
    const char *sweep_args[] = {"sweep", "--backends", "interned_hash", "--corpora", corpus, "--out", out, NULL};
    command_result swept = memgrams(sweep_args, NULL);
    cr_assert_eq(swept.exit_code, 0, "%s", swept.err);
    const char *args[] = {"report", out, NULL};
    command_result result = memgrams(args, NULL);
    cr_expect_eq(result.exit_code, 0, "%s", result.err);
    cr_expect(strstr(result.out, "\ninterned_hash ") && strstr(result.out, " peak/RSS ") &&
                  strstr(result.out, "\nreq alloc RSS peak: bytes/n-gram over baseline"),
              "report: %s", result.out);
    command_result_free(&result);
    command_result_free(&swept);
    const char *missing[] = {"report", "/nonexistent/sweep", NULL};
    expect_usage_error(missing, NULL, "/nonexistent/sweep", NULL);
    remove_folder(out);
    mgt_temp_remove(corpus);
}

/* ---- help, man pages, completion, installation ------------------------------------ */

#define NAMES_MAX 128
#define NAME_SIZE 48

typedef struct name_list {
    int count;
    char names[NAMES_MAX][NAME_SIZE];
    int takes_value[NAMES_MAX];
} name_list;

static int name_index(const name_list *list, const char *name)
{
    for (int index = 0; index < list->count; index++)
        if (strcmp(list->names[index], name) == 0)
            return index;
    return -1;
}

static void add_name(name_list *list, const char *name, size_t length, int takes_value)
{
    char copy[NAME_SIZE];
    snprintf(copy, sizeof copy, "%.*s", (int)length, name);
    cr_assert_lt(list->count, NAMES_MAX, "more than %d names", NAMES_MAX);
    if (length == 0 || length >= NAME_SIZE || name_index(list, copy) >= 0)
        return;
    snprintf(list->names[list->count], NAME_SIZE, "%s", copy);
    list->takes_value[list->count++] = takes_value;
}

/* Every long option of the getopt tables in text: {"NAME", required_argument or no_argument. */
static void scan_option_tables(const char *text, name_list *options)
{
    for (const char *cursor = text; (cursor = strstr(cursor, "{\"")); cursor += 2) {
        const char *name = cursor + 2;
        size_t length = strspn(name, "abcdefghijklmnopqrstuvwxyz-");
        const char *after = name + length;
        if (strncmp(after, "\", ", 3) != 0)
            continue;
        if (strncmp(after + 3, "required_argument", 17) == 0)
            add_name(options, name, length, 1);
        else if (strncmp(after + 3, "no_argument", 11) == 0)
            add_name(options, name, length, 0);
    }
}

static name_list *scanned_options; /* nftw passes no argument of its own */

static int scan_source(const char *path, const struct stat *info, int kind, struct FTW *walk)
{
    (void)info, (void)walk;
    size_t length = strlen(path);
    if (kind != FTW_F || length < 2 || strcmp(path + length - 2, ".c") != 0)
        return 0;
    scan_option_tables(read_file_text(path), scanned_options);
    return 0;
}

/* The options of every command, from the option tables in the harness's sources. */
static void harness_options(name_list *options)
{
    memset(options, 0, sizeof *options);
    scanned_options = options;
    cr_assert_eq(nftw(MG_SOURCE_ROOT "/harness", scan_source, 16, FTW_PHYS), 0);
    cr_assert_gt(options->count, 20, "only %d options found in the sources", options->count);
}

/* The commands, as the "valid:" list of an unknown one names them. */
static void cli_commands(name_list *commands)
{
    memset(commands, 0, sizeof *commands);
    const char *args[] = {"frobnicate", NULL};
    command_result result = memgrams(args, NULL);
    const char *list = strstr(result.err, "(valid: ");
    cr_assert(list, "no valid list: %s", result.err);
    for (const char *name = list + 8; *name && *name != ')';) {
        size_t length = strcspn(name, ",)");
        add_name(commands, name, length, 0);
        name += length;
        name += strspn(name, ", ");
    }
    cr_assert_gt(commands->count, 8, "%s", result.err);
    command_result_free(&result);
}

/* Does the command (its words, then --NAME [VALUE]) take the option? A
 * sentinel after it stops every command while it reads its options; an
 * option it refuses is named in quotes ('--NAME'), a value it refuses is not. */
static int takes_option(const char *const *words, const char *name, int takes_value)
{
    char option[NAME_SIZE + 8];
    snprintf(option, sizeof option, "--%s", name);
    const char *args[8];
    int count = 0;
    for (; *words; words++)
        args[count++] = *words;
    args[count++] = option;
    if (takes_value)
        args[count++] = MEMGRAMS_BINARY; /* a path: executable for --against, absurd elsewhere */
    args[count++] = "--zz-sentinel";
    args[count] = NULL;
    command_result result = memgrams(args, NULL);
    char quoted[NAME_SIZE + 8];
    snprintf(quoted, sizeof quoted, "'%s'", option);
    int taken = !strstr(result.err, quoted);
    cr_expect_eq(result.exit_code, 2, "%s %s: exit %d (%s)", args[0], option, result.exit_code, result.err);
    command_result_free(&result);
    return taken;
}

/* The forms a command is run in: corpus has two subcommands. */
static int command_forms(const char *command, const char *forms[2][3])
{
    if (strcmp(command, "corpus") == 0) {
        forms[0][0] = forms[1][0] = command;
        forms[0][1] = "cat", forms[1][1] = "stats";
        forms[0][2] = forms[1][2] = NULL;
        return 2;
    }
    forms[0][0] = command, forms[0][1] = NULL;
    return 1;
}

/* A command that takes no options does not name the first of two it is given. */
static int reads_options(const char *const *words)
{
    const char *args[6] = {words[0], words[1] ? words[1] : "--zz-first", words[1] ? "--zz-first" : "--zz-second",
                           words[1] ? "--zz-second" : NULL, NULL};
    command_result result = memgrams(args, NULL);
    int reads = strstr(result.err, "'--zz-first'") != NULL;
    command_result_free(&result);
    return reads;
}

/* The options the command takes in any of its forms. */
static void taken_options(const char *command, const name_list *options, name_list *taken)
{
    memset(taken, 0, sizeof *taken);
    const char *forms[2][3];
    int form_count = command_forms(command, forms);
    for (int form = 0; form < form_count; form++) {
        if (!reads_options(forms[form]))
            continue;
        for (int index = 0; index < options->count; index++)
            if (takes_option(forms[form], options->names[index], options->takes_value[index]))
                add_name(taken, options->names[index], strlen(options->names[index]), options->takes_value[index]);
    }
}

/* getopt_long takes an unambiguous prefix of an option: sweep takes
 * --backend as --backends. Is name one of a listed option? */
static int abbreviates(const name_list *listed, const char *name)
{
    for (int index = 0; index < listed->count; index++)
        if (strncmp(listed->names[index], name, strlen(name)) == 0)
            return 1;
    return 0;
}

/* The option entries of a command's help: each "  --NAME" line and the text under it. */
static void expect_help_lists(const char *command, const char *help, const name_list *taken)
{
    name_list listed = {0};
    for (const char *line = strstr(help, "\n  --"); line; line = strstr(line + 1, "\n  --")) {
        const char *name = line + 5, *end = strstr(line + 1, "\n  -");
        size_t length = strcspn(name, " \n");
        add_name(&listed, name, length, 0);
        char entry[1024];
        snprintf(entry, sizeof entry, "%.*s", end ? (int)(end - line) : (int)strcspn(line + 1, "\n") + 1, line);
        int flag = name[length] == '\n';
        cr_expect(flag || strstr(entry, "default: ") || strstr(entry, "required"),
                  "%s: the help of --%.*s gives no default: %s", command, (int)length, name, entry);
    }
    for (int index = 0; index < taken->count; index++)
        cr_expect(name_index(&listed, taken->names[index]) >= 0 || abbreviates(&listed, taken->names[index]),
                  "%s --help does not list --%s:\n%s", command, taken->names[index], help);
    for (int index = 0; index < listed.count; index++)
        cr_expect(strcmp(listed.names[index], "help") == 0 || name_index(taken, listed.names[index]) >= 0,
                  "%s --help lists --%s, which it does not take", command, listed.names[index]);
}

Test(help, every_command_prints_its_usage_options_and_an_example)
{
    name_list commands, options, taken;
    cli_commands(&commands);
    harness_options(&options);
    for (int index = 0; index < commands.count; index++) {
        const char *command = commands.names[index];
        const char *asked[][3] = {{"help", command, NULL}, {command, "--help", NULL}, {command, "-h", NULL}};
        command_result results[3];
        for (int way = 0; way < 3; way++) {
            results[way] = memgrams(asked[way], NULL);
            cr_expect_eq(results[way].exit_code, 0, "%s %s: %s", asked[way][0], asked[way][1], results[way].err);
            cr_expect_eq(strlen(results[way].err), 0, "%s %s: %s", asked[way][0], asked[way][1], results[way].err);
            cr_expect_str_eq(results[way].out, results[0].out, "%s %s differs from help %s", asked[way][0],
                             asked[way][1], command);
        }
        char usage[64], example[64];
        snprintf(usage, sizeof usage, "usage: memgrams %s", command);
        snprintf(example, sizeof example, "example:\n  memgrams %s", command);
        cr_expect(strncmp(results[0].out, usage, strlen(usage)) == 0, "%s", results[0].out);
        cr_expect(strstr(results[0].out, example), "no example: %s", results[0].out);
        taken_options(command, &options, &taken);
        expect_help_lists(command, results[0].out, &taken);
        for (int way = 0; way < 3; way++)
            command_result_free(&results[way]);
    }
}

Test(help, the_overview_lists_every_command)
{
    name_list commands;
    cli_commands(&commands);
    const char *ways[][2] = {{"help", NULL}, {"--help", NULL}, {"-h", NULL}};
    for (int way = 0; way < 3; way++) {
        command_result result = memgrams(ways[way], NULL);
        cr_expect_eq(result.exit_code, 0, "%s", result.err);
        for (int index = 0; index < commands.count; index++) {
            char line[64];
            snprintf(line, sizeof line, "\n  %s ", commands.names[index]);
            cr_expect(strstr(result.out, line), "%s does not list %s", ways[way][0], commands.names[index]);
        }
        cr_expect(strstr(result.out, "MEMGRAMS_CORPORA") && strstr(result.out, "MEMGRAMS_DATA"), "%s", result.out);
        command_result_free(&result);
    }
    const char *unknown[] = {"help", "frobnicate", NULL};
    expect_usage_error(unknown, NULL, "frobnicate", "corpus, floor");
}

/* Every valid command is one main runs: none answers "unknown command". */
Test(help, every_listed_command_runs)
{
    name_list commands;
    cli_commands(&commands);
    for (int index = 0; index < commands.count; index++) {
        const char *args[] = {commands.names[index], "--zz-sentinel", NULL};
        command_result result = memgrams(args, NULL);
        cr_expect(!strstr(result.err, "unknown command") && !strstr(result.err, "no code"), "%s: %s",
                  commands.names[index], result.err);
        command_result_free(&result);
    }
}

/* A program found in PATH (through env), or exit 127 when it is not there. */
static command_result run_tool(const char *const *args)
{
    return run_program("/usr/bin/env", args, NULL);
}

/* The build's man pages: one per command, as memgrams prints them, rendered without a warning. */
Test(help, every_man_page_is_built_and_renders_without_warnings)
{
    name_list commands;
    cli_commands(&commands);
    for (int index = -1; index < commands.count; index++) {
        const char *command = index < 0 ? NULL : commands.names[index];
        char page[4096];
        snprintf(page, sizeof page, "%s/harness/cli/memgrams%s%s.1", MG_BUILD_ROOT, command ? "-" : "",
                 command ? command : "");
        const char *args[] = {"help", "--man", command, NULL};
        command_result printed = memgrams(args, NULL);
        cr_expect_eq(printed.exit_code, 0, "%s", printed.err);
        cr_expect_str_eq(read_file_text(page), printed.out, "%s is not what memgrams help --man prints", page);
        command_result_free(&printed);
        const char *groff[] = {"groff", "-man", "-ww", "-z", page, NULL};
        command_result rendered = run_tool(groff);
        if (rendered.exit_code == 127)
            cr_skip_test("groff is not installed (Debian: groff-base)");
        cr_expect_eq(rendered.exit_code, 0, "groff %s: %s", page, rendered.err);
        cr_expect_eq(strlen(rendered.err), 0, "groff warns about %s: %s", page, rendered.err);
        command_result_free(&rendered);
    }
}

/* COMPREPLY of the built completion script for the words typed so far. */
static char *complete(const char *words)
{
    char script[8192];
    snprintf(script, sizeof script,
             "source '%s/harness/cli/memgrams' || exit 3\n"
             "COMP_WORDS=(%s); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
             "_memgrams; printf '%%s\\n' \"${COMPREPLY[@]}\"\n",
             MG_BUILD_ROOT, words);
    const char *args[] = {"bash", "--norc", "-c", script, NULL};
    command_result result = run_tool(args);
    cr_assert_eq(result.exit_code, 0, "completing %s: %s", words, result.err);
    char *out = strdup(result.out);
    command_result_free(&result);
    return out;
}

Test(help, bash_completion_offers_commands_options_and_values)
{
    static const struct { const char *words, *expected; } cases[] = {
        {"memgrams ''", "\nfloor\n"},
        {"memgrams co", "corpus\n"},
        {"memgrams run --ba", "--backend\n"},
        {"memgrams sweep --p", "--processes\n"},
        {"'" MEMGRAMS_BINARY "' run --backend tr", "trie\n"},
        {"'" MEMGRAMS_BINARY "' sweep --backends trie,interned_h", "trie,interned_hash\n"},
        {"memgrams run --allocator mi", "mimalloc\n"},
        {"memgrams check --speed o", "on\noff\n"},
        {"memgrams corpus s", "stats\n"},
        {"memgrams help sw", "sweep\n"},
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        char *offered = complete(cases[index].words);
        cr_expect(strstr(offered, cases[index].expected), "%s: offered '%s', expected '%s'", cases[index].words,
                  offered, cases[index].expected);
        free(offered);
    }
}

static mgt_buffer *staged_files; /* nftw passes no argument of its own */

static int list_staged(const char *path, const struct stat *info, int kind, struct FTW *walk)
{
    (void)info, (void)walk;
    if (kind == FTW_F)
        mgt_buffer_appendf(staged_files, "%s\n", path);
    return 0;
}

/* The staged file whose path ends in suffix; NULL when none does. */
static char *staged(const char *files, const char *suffix)
{
    char line_end[512];
    snprintf(line_end, sizeof line_end, "%s\n", suffix);
    for (const char *line = files; *line; line += strcspn(line, "\n") + 1) {
        size_t length = strcspn(line, "\n");
        if (length + 1 >= strlen(line_end) && strncmp(line + length + 1 - strlen(line_end), line_end,
                                                       strlen(line_end)) == 0)
            return strndup(line, length);
    }
    return NULL;
}

static void expect_staged(const char *files, const char *suffix)
{
    char *path = staged(files, suffix);
    cr_expect(path, "meson install did not install %s:\n%s", suffix, files);
    free(path);
}

/* Every gnuplot script (scripts/NAME.gp) of the source tree is installed. */
static void expect_scripts_staged(const char *files)
{
    DIR *folder = opendir(MG_SOURCE_ROOT "/scripts");
    cr_assert(folder);
    for (struct dirent *entry; (entry = readdir(folder));) {
        size_t length = strlen(entry->d_name);
        char suffix[512];
        snprintf(suffix, sizeof suffix, "/share/memgrams/scripts/%s", entry->d_name);
        if (length > 3 && strcmp(entry->d_name + length - 3, ".gp") == 0)
            expect_staged(files, suffix);
    }
    closedir(folder);
}

/* The installed memgrams, run outside its build, finds its corpora in the XDG cache and its
 * scripts and peers in MEMGRAMS_DATA (the staged share/memgrams). */
static void expect_installed_binary_works(const char *binary, const char *data, const char *cache)
{
    char data_variable[4200], cache_variable[4200];
    snprintf(data_variable, sizeof data_variable, "MEMGRAMS_DATA=%s", data);
    snprintf(cache_variable, sizeof cache_variable, "XDG_CACHE_HOME=%s", cache);
    const char *environment[] = {data_variable, cache_variable, "MEMGRAMS_CORPORA=", NULL};
    const char *unfetched[] = {"corpus", "stats", "fortunes", NULL};
    command_result result = run_program(binary, unfetched, environment);
    cr_expect(result.exit_code == 2 && strstr(result.err, "run memgrams-fetch-corpus fortunes"), "%s", result.err);
    command_result_free(&result);
    char corpora[4200], fortunes[4300];
    snprintf(corpora, sizeof corpora, "%s/memgrams", cache);
    mkdir(corpora, 0700);
    snprintf(corpora, sizeof corpora, "%s/memgrams/corpora", cache);
    mkdir(corpora, 0700);
    snprintf(fortunes, sizeof fortunes, "%s/fortunes.txt", corpora);
    cr_assert_eq(mgt_write_file(fortunes, corpus_text), 0);
    char out[4200];
    snprintf(out, sizeof out, "%s/sweep", cache);
    const char *sweep[] = {"sweep", "--backends", "naive_hash", "--corpora", "fortunes", "--out", out, NULL};
    result = run_program(binary, sweep, environment);
    cr_expect_eq(result.exit_code, 0, "installed sweep: %s", result.err);
    command_result_free(&result);
    const char *report[] = {"report", out, NULL};
    result = run_program(binary, report, environment);
    cr_expect_eq(result.exit_code, 0, "installed report: %s", result.err);
    command_result_free(&result);
    char chart[4300];
    snprintf(chart, sizeof chart, "%s/charts/memory-vs-size.svg", out);
    cr_expect_eq(access(chart, R_OK), 0, "the installed report drew no %s", chart);
    const char *peer[] = {"sweep", "--backends", "python_dict", "--corpora", "fortunes", "--plan", NULL};
    result = run_program(binary, peer, environment);
    cr_expect(result.exit_code == 0 && strstr(result.out, data), "the peer is not found in %s: %s%s", data,
              result.out, result.err);
    command_result_free(&result);
    const char *peer_dump[] = {"dump", "--backend", "python_interned", "--corpus", "fortunes", NULL};
    result = run_program(binary, peer_dump, environment);
    cr_expect(result.exit_code == 0 && strstr(result.out, "<s> <s> the\t3\n"),
              "the installed peer does not dump (its shared module?): %s%s", result.out, result.err);
    command_result_free(&result);
}

Test(install, meson_install_puts_the_tool_and_its_files_in_place_and_no_test_program, .timeout = 300)
{
    char *stage = temp_folder();
    const char *args[] = {"meson", "install", "-C", MG_BUILD_ROOT, "--no-rebuild", "--quiet", "--destdir", stage, NULL};
    command_result installed = run_tool(args);
    if (installed.exit_code == 127)
        cr_skip_test("meson is not installed");
    cr_assert_eq(installed.exit_code, 0, "meson install: %s%s", installed.out, installed.err);
    command_result_free(&installed);
    mgt_buffer files = {0};
    staged_files = &files;
    cr_assert_eq(nftw(stage, list_staged, 16, FTW_PHYS), 0);
    mgt_buffer_append_byte(&files, '\0');
    const char *expected[] = {"/bin/memgrams", "/bin/memgrams-microbench", "/bin/memgrams-fetch-corpus",
                              "/share/memgrams/peers/python_dict.py", "/share/memgrams/peers/python_interned.py",
                              "/share/memgrams/peers/python_lists.py", "/share/memgrams/peers/_peer_common.py",
                              "/share/man/man1/memgrams.1",
                              "/share/man/man1/memgrams-run.1", "/share/man/man1/memgrams-sweep.1",
                              "/share/bash-completion/completions/memgrams"};
    for (size_t index = 0; index < sizeof expected / sizeof expected[0]; index++)
        expect_staged((char *)files.bytes, expected[index]);
    expect_scripts_staged((char *)files.bytes);
    cr_expect(!strstr((char *)files.bytes, "/test_") && !strstr((char *)files.bytes, "instrumented"),
              "a test program is installed:\n%s", (char *)files.bytes);
    char data[4200], *binary = staged((char *)files.bytes, "/bin/memgrams");
    snprintf(data, sizeof data, "%s%s", stage, MG_DATA_DIR);
    char *cache = temp_folder();
    if (binary)
        expect_installed_binary_works(binary, data, cache);
    free(binary);
    mgt_buffer_free(&files);
    remove_folder(cache);
    remove_folder(stage);
}
