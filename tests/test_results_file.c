/*
 * test_results_file.c — the modules every results file goes through, in
 * this process: whole-file writes and all-or-nothing appends
 * (atomic_file.h), names as file names (cell.h), the one reader
 * (results_file.h), and the derived figures the one writer computes (results.h).
 */
#include "atomic_file.h"
#include "backend.h"
#include "cell.h"
#include "results.h"
#include "results_file.h"
#include "run_fields.h"
#include "support.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static char *fresh_folder(void)
{
    char *folder = strdup("/tmp/memgrams-unit-XXXXXX");
    cr_assert(folder && mkdtemp(folder));
    return folder;
}

static int remove_entry(const char *path, const struct stat *info, int kind, struct FTW *walk)
{
    (void)info, (void)kind, (void)walk;
    return remove(path);
}

static void remove_all(char *folder)
{
    nftw(folder, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(folder);
}

static char *text_of_file(const char *path)
{
    mgt_buffer text = {0};
    if (mgt_read_file(path, &text) != 0)
        return NULL;
    mgt_buffer_append_byte(&text, 0);
    return (char *)text.bytes;
}

Test(atomic_file, commit_replaces_the_target_and_leaves_no_temporary)
{
    char *folder = fresh_folder(), path[4200], error[512];
    snprintf(path, sizeof path, "%s/out.txt", folder);
    cr_assert_eq(mgt_write_file(path, "old\n"), 0);
    mg_atomic_file out;
    cr_assert_eq(mg_atomic_begin(&out, path, error, sizeof error), 0, "%s", error);
    fputs("new\n", out.file);
    char *before = text_of_file(path);
    cr_expect_str_eq(before, "old\n", "the target changed before the commit");
    free(before);
    cr_assert_eq(mg_atomic_commit(&out, error, sizeof error), 0, "%s", error);
    char *after = text_of_file(path);
    cr_expect_str_eq(after, "new\n");
    free(after);
    cr_expect(access(out.temporary, F_OK) != 0, "the temporary %s was left", out.temporary);
    struct stat info;
    cr_assert_eq(stat(path, &info), 0);
    cr_expect((info.st_mode & 0044) != 0, "the file is not readable by others as fopen would make it: %o",
              info.st_mode & 0777);
    remove_all(folder);
}

Test(atomic_file, abandon_and_a_failed_commit_leave_the_target_as_it_was)
{
    char *folder = fresh_folder(), path[4200], error[512];
    snprintf(path, sizeof path, "%s/out.txt", folder);
    cr_assert_eq(mgt_write_file(path, "kept\n"), 0);
    mg_atomic_file out;
    cr_assert_eq(mg_atomic_begin(&out, path, error, sizeof error), 0);
    fputs("lost\n", out.file);
    mg_atomic_abandon(&out);
    char *text = text_of_file(path);
    cr_expect_str_eq(text, "kept\n");
    free(text);
    cr_expect(access(out.temporary, F_OK) != 0);

    char missing[4300];
    snprintf(missing, sizeof missing, "%s/no/such/folder.txt", folder);
    cr_expect_eq(mg_atomic_begin(&out, missing, error, sizeof error), -1);
    cr_expect(strstr(error, "cannot write") && strstr(error, "folder.txt"), "%s", error);
    remove_all(folder);
}

Test(atomic_file, a_planted_symlink_at_the_target_is_replaced_not_followed)
{
    char *folder = fresh_folder(), path[4200], victim[4200], error[512];
    snprintf(victim, sizeof victim, "%s/victim", folder);
    snprintf(path, sizeof path, "%s/out.txt", folder);
    cr_assert_eq(mgt_write_file(victim, "precious\n"), 0);
    cr_assert_eq(symlink(victim, path), 0);
    mg_atomic_file out;
    cr_assert_eq(mg_atomic_begin(&out, path, error, sizeof error), 0);
    fputs("report\n", out.file);
    cr_assert_eq(mg_atomic_commit(&out, error, sizeof error), 0, "%s", error);
    char *text = text_of_file(victim);
    cr_expect_str_eq(text, "precious\n");
    free(text);
    struct stat info;
    cr_expect(lstat(path, &info) == 0 && S_ISREG(info.st_mode), "the target is still a symlink");
    remove_all(folder);
}

Test(atomic_file, an_append_that_does_not_fit_leaves_the_file_as_it_was)
{
    char *folder = fresh_folder(), path[4200];
    snprintf(path, sizeof path, "%s/results.jsonl", folder);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    cr_assert(fd >= 0);
    cr_assert_eq(mg_append_whole(fd, "{\"a\":1}\n", 8), 0);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit = {20, 20};
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &limit), 0);
    char line[64];
    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 1] = '\n';
    cr_expect_eq(mg_append_whole(fd, line, sizeof line), -1, "a 64-byte line went past a 20-byte limit");
    close(fd);
    struct stat info;
    cr_assert_eq(stat(path, &info), 0);
    cr_expect_eq(info.st_size, 8, "the file holds %lld bytes, not the 8 written before", (long long)info.st_size);
    remove_all(folder);
}

Test(cell, names_that_are_not_names_are_refused)
{
    const char *good[] = {"naive_hash", "python_dict", "trie.v2", "a-b", "X1"};
    const char *bad[] = {"", ".", "..", "-rf", "_x", "a/b", "a b", "x'y", "x\"y", "a\nb", "é",
                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t index = 0; index < sizeof good / sizeof good[0]; index++)
        cr_expect(mg_name_valid(good[index]), "'%s' refused", good[index]);
    for (size_t index = 0; index < sizeof bad / sizeof bad[0]; index++)
        cr_expect(!mg_name_valid(bad[index]), "'%s' accepted", bad[index]);
}

Test(cell, file_names_hold_no_path_and_keep_distinct_texts_apart)
{
    char first[256], second[256], plain[256];
    mg_file_name("timeline-", "../../etc/passwd", ".svg", first, sizeof first);
    mg_file_name("timeline-", "__.._etc_passwd", ".svg", second, sizeof second);
    mg_file_name("timeline-", "trie", ".svg", plain, sizeof plain);
    cr_expect(!strchr(first, '/'), "%s", first);
    cr_expect_str_neq(first, second);
    cr_expect_str_eq(plain, "timeline-trie.svg");
    mg_file_name("", ".hidden", "", first, sizeof first);
    cr_expect(first[0] != '.', "%s", first);

    mg_cell cell = {"trie", "synth:tokens=1000,seed=2", "jemalloc:dirty_decay_ms=0", 0.25, 3, NULL};
    mg_cell_file_name(&cell, 1, first, sizeof first);
    mg_cell_file_name(&cell, 2, second, sizeof second);
    cr_expect_str_neq(first, second, "two passes of a cell share a file");
    cr_expect(!strchr(first, '/') && !strchr(first, ':') && !strchr(first, ',') && first[0] != '.', "%s", first);
    cr_expect(strstr(first, ".jsonl") == first + strlen(first) - 6, "%s", first);
    mg_cell other = cell;
    other.fraction = 0.5;
    mg_cell_file_name(&other, 1, second, sizeof second);
    cr_expect_str_neq(first, second, "two fractions share a file");
}

/* A redis cell's settings are part of its key, label and file name; a cell
 * without settings keeps the key of a file written before settings existed. */
Test(results_file, a_cells_settings_are_in_its_key_label_and_file_name)
{
    mg_cell plain = {"redis", "gcide", "jemalloc", 0.25, 3, NULL};
    mg_cell entries = plain, reordered = plain, value = plain;
    entries.settings = "hash-max-listpack-entries=1024";
    reordered.settings = "hash-max-listpack-value=064,hash-max-listpack-entries=1024";
    value.settings = "hash-max-listpack-entries=1024,hash-max-listpack-value=64";
    char key[2][512], label[512], file[2][512], subject[256];
    mg_cell_key(&plain, key[0], sizeof key[0]);
    cr_expect_str_eq(key[0], "redis|gcide|0.25|3|jemalloc");
    mg_cell_key(&entries, key[1], sizeof key[1]);
    cr_expect_str_eq(key[1], "redis:hash-max-listpack-entries=1024|gcide|0.25|3|jemalloc");
    mg_cell_key(&reordered, key[0], sizeof key[0]);
    mg_cell_key(&value, key[1], sizeof key[1]);
    cr_expect_str_eq(key[0], key[1], "the same settings in another order are another cell");
    mg_cell_label(&entries, label, sizeof label);
    cr_expect_str_eq(label, "redis:hash-max-listpack-entries=1024 gcide f=0.25 n=3 jemalloc");
    mg_cell_subject_short(&value, subject, sizeof subject);
    cr_expect_str_eq(subject, "redis:entries=1024,value=64");
    mg_cell_file_name(&plain, 1, file[0], sizeof file[0]);
    mg_cell_file_name(&entries, 1, file[1], sizeof file[1]);
    cr_expect_str_neq(file[0], file[1], "two settings share a file");
    cr_expect(!strchr(file[1], ':') && !strchr(file[1], '=') && !strchr(file[1], ','), "%s", file[1]);
    cr_expect(strncmp(file[1], "redis_entries_1024-gcide", 24) == 0, "%s", file[1]);
}

/* A backend's settings (test_calibration's blocks, settings.h) key, label and name its cell as
 * redis's do; a setting at its fallback is left out, so that cell is the plain one. */
Test(results_file, a_backends_settings_are_in_its_key_label_and_file_name_without_their_fallbacks)
{
    mg_cell plain, seven, fallback, padded;
    mg_cell_set_backend(&plain, "test_calibration");
    mg_cell_set_backend(&seven, "test_calibration:blocks=7");
    mg_cell_set_backend(&fallback, "test_calibration:blocks=1024");
    mg_cell_set_backend(&padded, "test_calibration:blocks=0007");
    cr_expect_str_eq(seven.backend, "test_calibration");
    cr_expect_str_eq(seven.settings, "blocks=7");
    mg_cell *cells[] = {&plain, &seven, &fallback, &padded};
    for (size_t index = 0; index < 4; index++)
        *cells[index] = (mg_cell){cells[index]->backend, "gcide", "jemalloc", 1, 2, cells[index]->settings};
    char key[4][512], label[512], file[2][512], normal[64];
    for (size_t index = 0; index < 4; index++)
        mg_cell_key(cells[index], key[index], sizeof key[index]);
    cr_expect_str_eq(key[0], "test_calibration|gcide|1|2|jemalloc");
    cr_expect_str_eq(key[1], "test_calibration:blocks=7|gcide|1|2|jemalloc");
    cr_expect_str_eq(key[2], key[0], "a setting at its fallback made another cell");
    cr_expect_str_eq(key[3], key[1], "leading zeros made another cell");
    mg_cell_label(&padded, label, sizeof label);
    cr_expect_str_eq(label, "test_calibration:blocks=7 gcide f=1 n=2 jemalloc");
    mg_cell_settings(&fallback, normal, sizeof normal);
    cr_expect_str_eq(normal, "");
    mg_cell_file_name(&plain, 1, file[0], sizeof file[0]);
    mg_cell_file_name(&seven, 1, file[1], sizeof file[1]);
    cr_expect_str_neq(file[0], file[1], "two settings share a file");
    cr_expect(strncmp(file[1], "test_calibration_blocks_7-gcide", 31) == 0, "%s", file[1]);
    mg_cell_file_name(&fallback, 1, file[1], sizeof file[1]);
    cr_expect_str_eq(file[0], file[1], "a setting at its fallback has a file of its own");
}

/* The one grammar, for any subject's list: what each hostile text is refused for. */
Test(results_file, a_settings_text_is_refused_with_one_line_naming_its_fault)
{
    mg_setting_list list = mg_backend_setting_list(mg_backend_find("test_calibration"));
    const char *refused[][2] = {
        {"", "an empty list of test_calibration settings"},
        {"budget=1", "unknown test_calibration setting 'budget=1' (valid: blocks=N)"},
        {"blocks=0", "'blocks=0' is outside 1..65536"},
        {"blocks=65537", "'blocks=65537' is outside 1..65536"},
        {"blocks=999999999999999999", "is outside 1..65536"},
        {"blocks=9999999999999999999", "needs an integer of 1 to 18 digits"},
        {"blocks=-1", "needs an integer"},
        {"blocks=+1", "needs an integer"},
        {"blocks= 1", "needs an integer"},
        {"blocks=1x", "needs an integer"},
        {"blocks=", "needs an integer"},
        {"blocks", "unknown test_calibration setting"},
        {"blocks=1,", "unknown test_calibration setting ''"},
        {"blocks=1,blocks=2", "the test_calibration setting blocks is set twice"},
        {"blocks=1;rm -rf /", "needs an integer"},
    };
    for (size_t index = 0; index < sizeof refused / sizeof refused[0]; index++) {
        char normal[MG_SETTINGS_SIZE], error[512] = "";
        cr_expect_eq(mg_settings_normal(&list, refused[index][0], normal, sizeof normal, error, sizeof error), -1,
                     "'%s' was taken", refused[index][0]);
        cr_expect(strstr(error, refused[index][1]) && !strchr(error, '\n'), "'%s': %s", refused[index][0], error);
    }
    char normal[MG_SETTINGS_SIZE], error[512], lines[512];
    cr_expect_eq(mg_settings_normal(&list, "blocks=065536", normal, sizeof normal, error, sizeof error), 0, "%s", error);
    cr_expect_str_eq(normal, "blocks=65536");
    mg_setting_list none = mg_backend_setting_list(mg_backend_find("naive_hash"));
    cr_expect_eq(mg_settings_normal(&none, "blocks=1", normal, sizeof normal, error, sizeof error), -1);
    cr_expect_str_eq(error, "naive_hash takes no settings");
    mg_settings_describe(&list, "  ", lines, sizeof lines);
    cr_expect(strncmp(lines, "  blocks=N  1..65536, default 1024: the blocks made", 50) == 0, "%s", lines);
    cr_expect_str_eq(mg_cell_settings_fault(&(mg_cell){"naive_hash", "c", "jemalloc", 1, 3, "blocks=1"}),
                     "backend_settings is given for a backend that takes no settings (memgrams list shows which do)");
}

static const char run_line[] = "{\"schema\":\"memgrams.run/1\",\"status\":\"ok\",\"backend\":\"trie\",\"corpus\":\"c\","
                               "\"fraction\":1,\"order\":3,\"allocator\":\"jemalloc\",\"ngrams\":5,\"phases\":["
                               "{\"name\":\"baseline\",\"rss\":100},{\"name\":\"finalize\",\"rss\":200}]}";

Test(results_file, a_folder_is_its_results_then_its_cells_in_name_order)
{
    char *folder = fresh_folder(), path[4200], text[1024], error[512];
    snprintf(path, sizeof path, "%s/results.jsonl", folder);
    snprintf(text, sizeof text, "%s\n\n", run_line);
    cr_assert_eq(mgt_write_file(path, text), 0);
    snprintf(path, sizeof path, "%s/cells", folder);
    cr_assert_eq(mkdir(path, 0777), 0);
    const char *names[] = {"b.jsonl", "a.jsonl", ".a.jsonl.XYZ123", "notes.txt"};
    const char *backends[] = {"second", "first", "hidden", "text"};
    for (size_t index = 0; index < 4; index++) {
        json_t *run = json_loads(run_line, 0, NULL);
        json_object_set_new(run, "backend", json_string(backends[index]));
        char *dumped = json_dumps(run, JSON_COMPACT);
        snprintf(path, sizeof path, "%s/cells/%s", folder, names[index]);
        snprintf(text, sizeof text, "%s\n", dumped);
        cr_assert_eq(mgt_write_file(path, text), 0);
        free(dumped);
        json_decref(run);
    }
    mg_results results = {0};
    cr_assert_eq(mg_results_read(folder, MG_RESULTS_RUNS, &results, error, sizeof error), 0, "%s", error);
    cr_assert_eq(results.count, 3);
    const char *expected[] = {"trie", "first", "second"};
    for (size_t index = 0; index < 3; index++)
        cr_expect_str_eq(json_string_value(json_object_get(results.objects[index], "backend")), expected[index]);
    mg_results_free(&results);
    remove_all(folder);
}

Test(results_file, a_last_line_cut_short_is_named_and_a_whole_one_without_newline_is_read)
{
    char *folder = fresh_folder(), path[4200], text[1024], error[512];
    snprintf(path, sizeof path, "%s/results.jsonl", folder);
    snprintf(text, sizeof text, "%s\n%s", run_line, run_line);
    cr_assert_eq(mgt_write_file(path, text), 0);
    mg_results results = {0};
    cr_expect_eq(mg_results_read(path, MG_RESULTS_RUNS, &results, error, sizeof error), 0, "%s", error);
    cr_expect_eq(results.count, 2);
    mg_results_free(&results);

    snprintf(text, sizeof text, "%s\n%.40s", run_line, run_line);
    cr_assert_eq(mgt_write_file(path, text), 0);
    cr_expect_eq(mg_results_read(path, MG_RESULTS_RUNS, &results, error, sizeof error), -1);
    cr_expect(strstr(error, "line 2: cut short"), "%s", error);
    mg_results_free(&results);

    snprintf(path, sizeof path, "%s/absent.jsonl", folder);
    cr_expect_eq(mg_results_read(path, MG_RESULTS_RUNS, &results, error, sizeof error), 1);
    remove_all(folder);
}

Test(results_file, run_lines_are_checked_and_other_objects_are_not)
{
    char *folder = fresh_folder(), path[4200], error[512];
    snprintf(path, sizeof path, "%s/floor.jsonl", folder);
    cr_assert_eq(mgt_write_file(path, "{\"corpus\":\"c\",\"fraction\":1,\"order\":3}\n[1,2]\n"), 0);
    mg_results results = {0};
    cr_expect_eq(mg_results_read(path, MG_RESULTS_OBJECTS, &results, error, sizeof error), -1);
    cr_expect(strstr(error, "line 2: not a JSON object"), "%s", error);
    cr_expect_eq(results.count, 1);
    mg_results_free(&results);
    cr_expect_eq(mg_results_read(path, MG_RESULTS_RUNS, &results, error, sizeof error), -1);
    cr_expect(strstr(error, "line 1: schema"), "%s", error);
    mg_results_free(&results);
    json_t *run = json_loads(run_line, 0, NULL);
    cr_expect_null(mg_run_fault(run));
    json_object_set_new(run, "status", json_string("killed"));
    cr_expect_null(mg_run_fault(run), "killed is a status");
    json_object_set_new(run, "seed", json_integer(-1));
    cr_expect_not_null(mg_run_fault(run));
    json_decref(run);
    remove_all(folder);
}

Test(results_file, a_layout_version_may_be_absent_but_never_other_than_a_whole_number)
{
    json_t *run = json_loads(run_line, 0, NULL);
    cr_assert_not_null(run);
    cr_expect_null(mg_run_fault(run), "a run written before layout versions existed");
    json_object_set_new(run, "backend_layout_version", json_integer(3));
    cr_expect_null(mg_run_fault(run));
    json_t *refused[] = {json_integer(-1), json_real(1.5), json_string("1"), json_null(), json_true()};
    for (size_t index = 0; index < sizeof refused / sizeof refused[0]; index++) {
        json_object_set_new(run, "backend_layout_version", refused[index]);
        const char *fault = mg_run_fault(run);
        cr_expect(fault && strstr(fault, "backend_layout_version"), "case %zu: %s", index, fault ? fault : "accepted");
    }
    json_decref(run);
}

/* backend_settings from a file is hostile: the redis grammar, for redis only. */
Test(results_file, backend_settings_are_read_in_the_subjects_grammar_or_refused)
{
    json_t *run = json_loads(run_line, 0, NULL);
    cr_assert_not_null(run);
    json_object_set_new(run, "backend", json_string("redis"));
    cr_expect_null(mg_run_fault(run), "a redis run without settings");
    json_object_set_new(run, "backend_settings", json_null());
    cr_expect_null(mg_run_fault(run), "null settings are none");
    json_object_set_new(run, "backend_settings", json_string("hash-max-listpack-value=64,hash-max-listpack-entries=0"));
    cr_expect_null(mg_run_fault(run));
    const char *refused[] = {"", "maxmemory=1", "hash-max-listpack-entries=", "hash-max-listpack-entries=-1",
                             "hash-max-listpack-entries=1,hash-max-listpack-entries=2", "hash-max-listpack-entries=1,",
                             "hash-max-listpack-entries=1234567890", "hash-max-listpack-entries=1 ; FLUSHALL"};
    for (size_t index = 0; index < sizeof refused / sizeof refused[0]; index++) {
        json_object_set_new(run, "backend_settings", json_string(refused[index]));
        const char *fault = mg_run_fault(run);
        cr_expect(fault && strstr(fault, "backend_settings"), "'%s': %s", refused[index], fault ? fault : "accepted");
    }
    json_object_set_new(run, "backend_settings", json_integer(5));
    cr_expect_not_null(mg_run_fault(run), "a number as settings");
    json_object_set_new(run, "backend_settings", json_string("hash-max-listpack-entries=1"));
    json_object_set_new(run, "backend", json_string("trie"));
    cr_expect_not_null(mg_run_fault(run), "settings for a backend that takes none");
    json_object_set_new(run, "backend", json_string("test_calibration"));
    cr_expect_not_null(mg_run_fault(run), "redis's settings for a backend");
    json_object_set_new(run, "backend_settings", json_string("blocks=7"));
    cr_expect_null(mg_run_fault(run), "a backend's own settings");
    json_object_set_new(run, "backend_settings", json_string("blocks=1024"));
    cr_expect_null(mg_run_fault(run), "a backend's setting at its fallback");
    const char *backend_refused[] = {"", "blocks=0", "blocks=65537", "blocks=1,blocks=1", "blocks=7,", "blocks=7;x"};
    for (size_t index = 0; index < sizeof backend_refused / sizeof backend_refused[0]; index++) {
        json_object_set_new(run, "backend_settings", json_string(backend_refused[index]));
        const char *fault = mg_run_fault(run);
        cr_expect(fault && strstr(fault, "backend_settings"), "'%s': %s", backend_refused[index],
                  fault ? fault : "accepted");
    }
    json_decref(run);
}

Test(results_file, measured_process_is_absent_or_a_known_process)
{
    json_t *run = json_loads(run_line, 0, NULL);
    cr_assert_not_null(run);
    const char *known[] = {"memgrams", "python3", "redis-server"};
    for (size_t index = 0; index < 3; index++) {
        json_object_set_new(run, "measured_process", json_string(known[index]));
        cr_expect_null(mg_run_fault(run), "%s refused", known[index]);
    }
    json_object_set_new(run, "measured_process", json_string("bash"));
    cr_expect_not_null(mg_run_fault(run));
    json_object_set_new(run, "measured_process", json_integer(1));
    cr_expect_not_null(mg_run_fault(run));
    json_decref(run);
}

Test(results_file, a_line_that_holds_a_nul_byte_is_refused_not_read_as_blank)
{
    char *folder = fresh_folder(), path[4200], error[512];
    snprintf(path, sizeof path, "%s/results.jsonl", folder);
    static const char text[] = " \0{}\n";
    FILE *file = fopen(path, "w");
    cr_assert(file && fwrite(text, 1, sizeof text - 1, file) == sizeof text - 1 && fclose(file) == 0);
    mg_results results = {0};
    cr_expect_eq(mg_results_read(path, MG_RESULTS_OBJECTS, &results, error, sizeof error), -1);
    cr_expect(strstr(error, "line 1: not JSON"), "%s", error);
    cr_expect_eq(results.count, 0);
    mg_results_free(&results);
    remove_all(folder);
}

/* ---- derived.peak_final_ratio ------------------------------------------------------ */

enum { MADE_UP_BASELINE = 10000000 };

/* A made-up run of 1000 n-grams: the baseline at 10 MB of RSS, the final RSS and the
 * train and finalize high-water marks given as growth over it (-1: unknown). */
static mg_run_result *made_up_run(int64_t final_rss, int64_t train_hwm, int64_t finalize_hwm)
{
    mg_run_result *result = calloc(1, sizeof *result); /* its timeline is large */
    cr_assert(result);
    result->status = "ok";
    result->ngrams = 1000;
    result->dependent_load_ns = NAN;
    result->estimated_bytes_per_ngram = NAN;
    result->phases_done = 1 << MG_PHASE_BASELINE | 1 << MG_PHASE_TRAIN | 1 << MG_PHASE_FINALIZE;
    for (int phase = MG_PHASE_BASELINE; phase <= MG_PHASE_FINALIZE; phase++) {
        mg_memory_sample *memory = &result->phases[phase].memory;
        memory->requested = memory->allocated = memory->active = memory->resident = MG_UNKNOWN;
        memory->rss_anon = memory->rss_file = memory->rss_shmem = MG_UNKNOWN;
        memory->rss = memory->hwm = MADE_UP_BASELINE;
    }
    mg_memory_sample *train = &result->phases[MG_PHASE_TRAIN].memory, *done = &result->phases[MG_PHASE_FINALIZE].memory;
    done->rss = final_rss < 0 ? MG_UNKNOWN : (uint64_t)(MADE_UP_BASELINE + final_rss);
    train->hwm = train_hwm < 0 ? MG_UNKNOWN : (uint64_t)(MADE_UP_BASELINE + train_hwm);
    done->hwm = finalize_hwm < 0 ? MG_UNKNOWN : (uint64_t)(MADE_UP_BASELINE + finalize_hwm);
    return result;
}

/* The run object results.c writes for it. */
static json_t *made_up_run_json(mg_run_result *result)
{
    mg_run_options options = {.backend = mg_backend_find("trie"), .corpus_spec = "synth:tokens=1000", .fraction = 1,
                              .order = 3, .seed = 1};
    mg_probe probe = {.kind = MG_ALLOCATOR_GLIBC};
    cr_assert(options.backend);
    json_t *run = mg_result_json(&options, "glibc", &probe, result);
    free(result);
    cr_assert(run);
    return run;
}

/* The ratio as written (NAN for null: what the reader gives back), the field itself required. */
static double written_ratio(json_t *run)
{
    json_t *field = json_object_get(json_object_get(run, "derived"), "peak_final_ratio");
    cr_assert(field, "derived.peak_final_ratio is missing");
    cr_expect(json_is_null(field) || json_is_real(field), "derived.peak_final_ratio is neither a number nor null");
    return mg_run_derived(run, "peak_final_ratio");
}

Test(results, peak_final_ratio_is_the_training_peak_over_the_final_rss)
{
    json_t *run = made_up_run_json(made_up_run(1200000, 3000000, 1500000));
    cr_expect_float_eq(mg_run_derived(run, "peak_bytes_per_ngram_rss"), 3000.0, 1e-9);
    cr_expect_float_eq(mg_run_derived(run, "bytes_per_ngram_rss"), 1200.0, 1e-9);
    cr_expect_float_eq(written_ratio(run), 2.5, 1e-12, "the train peak 3000 B over the final 1200 B");
    json_decref(run);

    run = made_up_run_json(made_up_run(1200000, 1500000, 4800000));
    cr_expect_float_eq(written_ratio(run), 4.0, 1e-12, "finalize's peak, the higher, over the final");
    json_decref(run);
}

Test(results, peak_final_ratio_is_null_where_either_figure_is_unknown_or_the_final_is_not_positive)
{
    struct {
        int64_t final_rss, train_hwm, finalize_hwm;
        const char *why;
    } cases[] = {
        {-1, 3000000, 1500000, "the final RSS unknown"},
        {1200000, -1, -1, "no high-water mark"},
        {0, 3000000, 1500000, "the final RSS at the baseline"},
    };
    for (size_t index = 0; index < sizeof cases / sizeof cases[0]; index++) {
        json_t *run = made_up_run_json(made_up_run(cases[index].final_rss, cases[index].train_hwm,
                                                   cases[index].finalize_hwm));
        cr_expect(isnan(written_ratio(run)), "%s: not null", cases[index].why);
        json_decref(run);
    }
    mg_run_result *below = made_up_run(0, 3000000, 1500000);
    below->phases[MG_PHASE_FINALIZE].memory.rss = MADE_UP_BASELINE - 4096;
    json_t *run = made_up_run_json(below);
    cr_expect(isnan(written_ratio(run)), "the final RSS below the baseline: not null");
    json_decref(run);

    mg_run_result *empty = made_up_run(1200000, 3000000, 1500000);
    empty->ngrams = 0;
    run = made_up_run_json(empty);
    cr_expect(isnan(written_ratio(run)), "no n-grams: not null");
    json_decref(run);

    mg_run_result *unfinished = made_up_run(1200000, 3000000, 1500000);
    unfinished->phases_done &= ~(1 << MG_PHASE_FINALIZE);
    run = made_up_run_json(unfinished);
    cr_expect(isnan(written_ratio(run)), "a run that did not finalize: not null");
    json_decref(run);
}

/* A run written before the field existed reads as unknown, not as 0. */
Test(results, a_run_without_peak_final_ratio_reads_it_as_unknown)
{
    json_t *run = made_up_run_json(made_up_run(1200000, 3000000, 1500000));
    json_object_del(json_object_get(run, "derived"), "peak_final_ratio");
    cr_expect(isnan(mg_run_derived(run, "peak_final_ratio")));
    json_decref(run);
}

/* A run's parts read through run_fields.h: over baseline, in the run's order; and hostile part
 * names refused by the reader before any report shows them. */
Test(results_file, parts_are_read_over_baseline_and_hostile_part_names_refused)
{
    json_t *run = json_loads("{\"schema\":\"memgrams.run/1\",\"status\":\"ok\",\"backend\":\"trie\",\"corpus\":\"c\","
        "\"fraction\":1,\"order\":3,\"allocator\":\"jemalloc\",\"ngrams\":4,\"phases\":["
        "{\"name\":\"baseline\",\"rss\":100,\"parts\":{\"other\":8,\"counts\":0}},"
        "{\"name\":\"train\",\"rss\":150,\"parts\":{\"other\":8,\"counts\":40},\"parts_peak\":{\"other\":8,\"counts\":64}},"
        "{\"name\":\"finalize\",\"rss\":200,\"parts\":{\"other\":8,\"counts\":48},\"parts_peak\":{\"other\":8,\"counts\":48}}],"
        "\"derived\":{\"bytes_per_ngram_by_part\":{\"other\":0,\"counts\":12},"
        "\"estimated_bytes_per_ngram_by_part\":{\"other\":0,\"counts\":null},"
        "\"training_peak_part\":\"counts\",\"training_peak_part_bytes\":64}}", 0, NULL);
    cr_assert_not_null(run);
    cr_expect_null(mg_run_fault(run));
    mg_run_part parts[4];
    cr_assert_eq(mg_run_parts(run, parts, 4), 2);
    cr_expect_str_eq(parts[0].name, "other");
    cr_expect(parts[0].bytes == 0 && parts[0].estimate == 0, "other: %g bytes, estimate %g", parts[0].bytes, parts[0].estimate);
    cr_expect_str_eq(parts[1].name, "counts");
    cr_expect(parts[1].bytes == 48 && parts[1].per_ngram == 12 && isnan(parts[1].estimate) && parts[1].training_peak == 64,
              "counts: %g %g %g %g", parts[1].bytes, parts[1].per_ngram, parts[1].estimate, parts[1].training_peak);
    cr_expect_eq(mg_run_parts(run, parts, 1), 1, "room is kept");
    cr_expect_str_eq(mg_run_training_peak_part(run), "counts");
    cr_expect(mg_run_derived(run, "training_peak_part_bytes") == 64);
    static const char *const hostile[] = {"", "\"; system('x') #", "a b", ".dot", "new\nline", "<b>"};
    for (size_t index = 0; index < sizeof hostile / sizeof hostile[0]; index++) {
        json_t *copy = json_deep_copy(run), *phase = json_array_get(json_object_get(copy, "phases"), 2);
        json_object_set_new(json_object_get(phase, "parts"), hostile[index], json_integer(1));
        cr_expect_not_null(mg_run_fault(copy), "phase part name %zu accepted", index);
        json_decref(copy);
        copy = json_deep_copy(run);
        json_object_set_new(json_object_get(json_object_get(copy, "derived"), "bytes_per_ngram_by_part"), hostile[index],
                            json_real(1));
        cr_expect_not_null(mg_run_fault(copy), "derived part name %zu accepted", index);
        json_object_set_new(json_object_get(copy, "derived"), "training_peak_part", json_string(hostile[index]));
        cr_expect_not_null(mg_run_fault(copy), "training_peak_part %zu accepted", index);
        json_decref(copy);
    }
    json_t *without = json_loads(run_line, 0, NULL);
    cr_expect_eq(mg_run_parts(without, parts, 4), 0, "a run written before parts has none");
    cr_expect_null(mg_run_training_peak_part(without));
    json_decref(without);
    json_decref(run);
}
