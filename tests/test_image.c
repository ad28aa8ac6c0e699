/*
 * test_image.c — frozen images (backends/common/image.h) and the frozen twins
 * that use them: a freeze/thaw/release round trip on a table of known blocks,
 * no file left behind (also when the process is killed), a write that fails
 * (a directory that cannot be opened, a file size limit) returning MG_ERR_IO
 * with the table still whole on the heap, and a twin's prune with and
 * without memory for the thaw.
 */
#include "support.h"

#include "backend.h"
#include "common/image.h"
#include "mem.h"
#include "run.h"
#include "tokenize.h"

#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------------------- */

static mg_mem_counters counters_now(void)
{
    mg_mem_counters counters;
    mg_mem_read(&counters);
    return counters;
}

/* A fresh empty folder, made the images' folder ($TMPDIR). */
static char *image_folder(void)
{
    static char folder[64];
    snprintf(folder, sizeof folder, "/var/tmp/memgrams-image-test-XXXXXX");
    cr_assert_not_null(mkdtemp(folder), "mkdtemp: %s", strerror(errno));
    cr_assert_eq(setenv("TMPDIR", folder, 1), 0);
    return folder;
}

static int folder_entries(const char *folder)
{
    DIR *directory = opendir(folder);
    cr_assert_not_null(directory, "opendir %s: %s", folder, strerror(errno));
    int entries = 0;
    for (struct dirent *entry; (entry = readdir(directory));)
        entries += strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0;
    closedir(directory);
    return entries;
}

static void folder_remove(const char *folder)
{
    cr_expect_eq(folder_entries(folder), 0, "files left in %s", folder);
    cr_expect_eq(rmdir(folder), 0, "rmdir %s: %s", folder, strerror(errno));
}

/* The line of /proc/PID/maps (pid 0: this process) of the mapping that
 * starts at address, into line; false when there is none. */
static bool maps_line(pid_t pid, const void *address, char *line, size_t line_size)
{
    char path[64], start[32];
    snprintf(path, sizeof path, pid ? "/proc/%d/maps" : "/proc/self/maps", (int)pid);
    snprintf(start, sizeof start, "%lx-", (unsigned long)(uintptr_t)address);
    FILE *maps = fopen(path, "r");
    cr_assert_not_null(maps, "%s: %s", path, strerror(errno));
    bool found = false;
    while (!found && fgets(line, (int)line_size, maps))
        found = strncmp(line, start, strlen(start)) == 0;
    fclose(maps);
    return found;
}

/* Mappings of this process whose file lies in folder. */
static int mappings_in(const char *folder)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    cr_assert_not_null(maps);
    char line[4096];
    int found = 0;
    while (fgets(line, sizeof line, maps))
        found += strstr(line, folder) != NULL;
    fclose(maps);
    return found;
}

/* A mapping that holds an image: read-only, private, and its file has no
 * name left ("(deleted)") or none at all. */
static void expect_image_mapping(pid_t pid, const void *base)
{
    char line[4096];
    cr_assert(maps_line(pid, base, line, sizeof line), "no mapping at %p", base);
    char permissions[8] = "";
    sscanf(line, "%*s %7s", permissions);
    cr_expect_str_eq(permissions, "r--p", "mapping: %s", line);
    char *path = strchr(line, '/');
    cr_expect(!path || strstr(path, " (deleted)"), "the image file still has a name: %s", line);
}

/* ---- a table of known blocks ------------------------------------------------------------ */

enum { TOY_WORDS = 1000, TOY_TEXT = 77 };
enum { TOY_WORDS_PART = 1, TOY_TEXT_PART }; /* the tags (mem.h) of its blocks: words (and empty), text */

typedef struct toy_table {
    uint64_t *words;   /* TOY_WORDS words */
    uint64_t *middle;  /* words + 3 */
    uint64_t *end;     /* just past the words */
    char *text;        /* TOY_TEXT bytes: not a multiple of the alignment */
    unsigned char *none; /* a NULL block, stays NULL */
    unsigned char *empty; /* a block of 0 bytes */
} toy_table;

static void toy_list(toy_table *toy, mg_image_list *list)
{
    mg_image_list_init(list);
    mg_image_list_block(list, TOY_TEXT_PART, &toy->text, TOY_TEXT);
    mg_image_list_block(list, TOY_WORDS_PART, &toy->none, 4096);
    mg_image_list_block(list, TOY_WORDS_PART, &toy->words, TOY_WORDS * sizeof(uint64_t));
    mg_image_list_inner(list, &toy->middle);
    mg_image_list_inner(list, &toy->end);
    mg_image_list_block(list, TOY_WORDS_PART, &toy->empty, 0);
}

static void toy_make(toy_table *toy)
{
    memset(toy, 0, sizeof *toy);
    toy->words = mg_alloc_in(TOY_WORDS_PART, TOY_WORDS * sizeof(uint64_t));
    toy->text = mg_alloc_in(TOY_TEXT_PART, TOY_TEXT);
    toy->empty = mg_alloc_in(TOY_WORDS_PART, 0);
    cr_assert(toy->words && toy->text && toy->empty);
    for (uint64_t k = 0; k < TOY_WORDS; k++)
        toy->words[k] = k * 0x9e3779b97f4a7c15u;
    for (int k = 0; k < TOY_TEXT; k++)
        toy->text[k] = (char)('a' + k % 26);
    toy->middle = toy->words + 3;
    toy->end = toy->words + TOY_WORDS;
}

static void toy_expect_whole(const toy_table *toy)
{
    for (uint64_t k = 0; k < TOY_WORDS; k++)
        cr_assert_eq(toy->words[k], k * 0x9e3779b97f4a7c15u, "word %llu differs", (unsigned long long)k);
    for (int k = 0; k < TOY_TEXT; k++)
        cr_assert_eq(toy->text[k], (char)('a' + k % 26), "text byte %d differs", k);
    cr_expect(toy->middle == toy->words + 3 && toy->end == toy->words + TOY_WORDS, "inner pointers moved apart");
    cr_expect_null(toy->none);
    cr_expect_not_null(toy->empty);
}

static bool toy_inside(const toy_table *toy, const mg_image *image)
{
    const unsigned char *low = image->base, *high = image->base + image->bytes;
    const unsigned char *words = (const unsigned char *)toy->words, *text = (const unsigned char *)toy->text;
    return words >= low && words + TOY_WORDS * sizeof(uint64_t) <= high && text >= low && text + TOY_TEXT <= high &&
           (uintptr_t)words % MG_IMAGE_ALIGN == 0 && (uintptr_t)text % MG_IMAGE_ALIGN == 0;
}

Test(image, freeze_thaw_release_round_trip)
{
    char *folder = image_folder();
    mg_mem_counters before = counters_now();
    toy_table toy;
    toy_make(&toy);
    mg_mem_counters held = counters_now();
    mg_image image = {0};
    mg_image_list list;

    toy_list(&toy, &list);
    cr_assert_eq(mg_image_freeze(&image, &list), MG_OK, "freeze: %s", strerror(errno));
    cr_expect(mg_image_held(&image));
    cr_expect(toy_inside(&toy, &image), "the blocks are not in the mapping");
    toy_expect_whole(&toy);
    cr_expect_eq(counters_now().bytes_requested, before.bytes_requested, "the heap copies were not freed");
    cr_expect_eq(counters_now().blocks_live, before.blocks_live);
    for (int part = MG_PART_OTHER; part <= TOY_TEXT_PART; part++)
        cr_expect_eq(counters_now().part_bytes[part], before.part_bytes[part], "part %d: freed with another tag", part);
    expect_image_mapping(0, image.base);
    cr_expect_eq(folder_entries(folder), 0, "the image has a name in %s", folder);

    const unsigned char *mapped = image.base;
    toy_list(&toy, &list);
    cr_assert_eq(mg_image_thaw(&image, &list), MG_OK);
    cr_expect(!mg_image_held(&image));
    char line[4096];
    cr_expect(!maps_line(0, mapped, line, sizeof line), "still mapped after thaw: %s", line);
    toy_expect_whole(&toy);
    cr_expect_eq(counters_now().bytes_requested, held.bytes_requested, "thaw did not copy back to the heap");
    cr_expect_eq(counters_now().blocks_live, held.blocks_live);
    cr_expect_eq(counters_now().part_bytes[TOY_TEXT_PART], before.part_bytes[TOY_TEXT_PART] + TOY_TEXT);
    for (int part = MG_PART_OTHER; part <= TOY_TEXT_PART; part++)
        cr_expect_eq(counters_now().part_bytes[part], held.part_bytes[part], "part %d: copied back with another tag", part);

    toy_list(&toy, &list);
    cr_assert_eq(mg_image_freeze(&image, &list), MG_OK);
    toy_expect_whole(&toy);
    mapped = image.base;
    toy_list(&toy, &list);
    mg_image_release(&image, &list);
    cr_expect(!maps_line(0, mapped, line, sizeof line), "still mapped after release: %s", line);
    cr_expect(!toy.words && !toy.middle && !toy.end && !toy.text && !toy.none && !toy.empty,
              "release left a pointer set");
    cr_expect_eq(counters_now().bytes_requested, before.bytes_requested);
    folder_remove(folder);
}

Test(image, a_thaw_refused_leaves_the_table_mapped_and_whole)
{
    char *folder = image_folder();
    toy_table toy;
    toy_make(&toy);
    mg_image image = {0};
    mg_image_list list;
    toy_list(&toy, &list);
    cr_assert_eq(mg_image_freeze(&image, &list), MG_OK);
    mg_mem_counters frozen = counters_now();
    mg_mem_set_limit(frozen.bytes_requested + TOY_TEXT + 1); /* the text fits, the words do not */
    toy_list(&toy, &list);
    int status = mg_image_thaw(&image, &list);
    mg_mem_set_limit(0);
    cr_expect_eq(status, MG_ERR_NOMEM);
    cr_expect(mg_image_held(&image) && toy_inside(&toy, &image));
    toy_expect_whole(&toy);
    cr_expect_eq(counters_now().bytes_requested, frozen.bytes_requested, "a refused thaw kept heap blocks");
    toy_list(&toy, &list);
    mg_image_release(&image, &list);
    folder_remove(folder);
}

Test(image, no_file_is_left_when_the_process_is_killed_after_freezing)
{
    char *folder = image_folder();
    int ready[2];
    cr_assert_eq(pipe(ready), 0);
    pid_t child = fork();
    cr_assert(child >= 0);
    if (child == 0) {
        toy_table toy;
        toy_make(&toy);
        mg_image image = {0};
        mg_image_list list;
        toy_list(&toy, &list);
        void *base = mg_image_freeze(&image, &list) == MG_OK ? image.base : NULL;
        if (write(ready[1], &base, sizeof base) != sizeof base)
            _exit(1);
        pause(); /* killed here, the image mapped */
        _exit(0);
    }
    void *base = NULL;
    cr_assert_eq(read(ready[0], &base, sizeof base), (ssize_t)sizeof base);
    cr_expect_not_null(base, "the child could not freeze");
    if (base)
        expect_image_mapping(child, base);
    cr_expect_eq(folder_entries(folder), 0, "the image has a name while mapped");
    kill(child, SIGKILL);
    int status;
    cr_assert_eq(waitpid(child, &status, 0), child);
    cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    folder_remove(folder);
    close(ready[0]);
    close(ready[1]);
}

/* ---- the frozen twins ------------------------------------------------------------------ */

enum { ORDER = 3 };

static char *corpus_path;

static void corpus_make(void) { corpus_path = mgt_zipf_file(5, 600, 300); }
static void corpus_remove(void)
{
    mgt_temp_remove(corpus_path);
    unsetenv("TMPDIR");
}

static mg_table *trained(const mg_backend *backend)
{
    char error[256];
    mg_reader *reader = mg_reader_open(corpus_path, UINT64_MAX, ORDER, error, sizeof error);
    cr_assert_not_null(reader, "%s", error);
    mg_table *table = mg_table_create(backend, ORDER);
    cr_assert_not_null(table);
    cr_assert_eq(mg_train(table, reader), MG_OK);
    mg_reader_close(reader);
    return table;
}

/* The base's checksums, finalized and after prune(2), and what prune drops. */
typedef struct expected {
    uint64_t finalized, pruned, dropped;
} expected;

static expected base_figures(const char *base_name)
{
    const mg_backend *base = mg_backend_find(base_name);
    cr_assert_not_null(base);
    mg_table *table = trained(base);
    cr_assert_eq(table->ops->finalize(table), MG_OK);
    expected figures;
    figures.finalized = mg_table_checksum(table);
    figures.dropped = table->ops->prune(table, 2);
    figures.pruned = mg_table_checksum(table);
    table->ops->destroy(table);
    cr_assert_gt(figures.dropped, 0, "the corpus has no gram seen once");
    return figures;
}

static const char *const twins[][2] = {{"trie_mmap", "trie"}, {"packed_arrays_mmap", "packed_arrays"}};

/* Finalize fails with MG_ERR_IO (errno want_errno) and the table stays
 * whole and usable on the heap, leaving no file in folder. */
static void expect_failed_freeze(const char *folder, int want_errno, void (*limit)(bool on))
{
    for (size_t k = 0; k < 2; k++) {
        const mg_backend *twin = mg_backend_find(twins[k][0]);
        expected figures = base_figures(twins[k][1]);
        mg_mem_counters before = counters_now();
        mg_table *table = trained(twin);
        if (limit)
            limit(true);
        errno = 0;
        int status = table->ops->finalize(table);
        int failure = errno;
        if (limit)
            limit(false);
        cr_expect_eq(status, MG_ERR_IO, "%s: finalize returned %d", twin->name, status);
        cr_expect_eq(failure, want_errno, "%s: errno %s", twin->name, strerror(failure));
        cr_expect_eq(mappings_in(folder), 0, "%s: mapped after a failed freeze", twin->name);
        cr_expect_eq(mg_table_checksum(table), figures.finalized, "%s: table differs", twin->name);
        cr_expect_eq(table->ops->prune(table, 2), figures.dropped, "%s: prune on the heap", twin->name);
        cr_expect_eq(mg_table_checksum(table), figures.pruned, "%s: pruned table differs", twin->name);
        table->ops->destroy(table);
        cr_expect_eq(counters_now().bytes_requested, before.bytes_requested, "%s leaks", twin->name);
        cr_expect_eq(folder_entries(folder), 0, "%s: a file is left", twin->name);
    }
}

Test(twins, a_folder_that_cannot_be_opened_fails_the_freeze, .init = corpus_make, .fini = corpus_remove)
{
    char *folder = image_folder();
    char missing[128];
    snprintf(missing, sizeof missing, "%s/missing", folder);
    setenv("TMPDIR", missing, 1);
    expect_failed_freeze(folder, ENOENT, NULL);
    folder_remove(folder);
}

/* A file size limit stands for a full file system: the write stops short. */
static void file_size_limit(bool on)
{
    static struct rlimit saved;
    if (on) {
        cr_assert_eq(getrlimit(RLIMIT_FSIZE, &saved), 0);
        struct rlimit small = {4096, saved.rlim_max};
        signal(SIGXFSZ, SIG_IGN); /* write returns EFBIG instead of the signal killing the process */
        cr_assert_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
    } else {
        cr_assert_eq(setrlimit(RLIMIT_FSIZE, &saved), 0);
        signal(SIGXFSZ, SIG_DFL);
    }
}

Test(twins, a_write_that_stops_short_fails_the_freeze, .init = corpus_make, .fini = corpus_remove)
{
    char *folder = image_folder();
    expect_failed_freeze(folder, EFBIG, file_size_limit);
    folder_remove(folder);
}

/* With memory for the thaw, prune thaws, prunes and freezes again; with
 * none, it prunes in place in the mapping. Either way the table is mapped
 * after it, requests nothing more, and holds what the base holds. */
Test(twins, prune_with_and_without_memory_for_the_thaw, .init = corpus_make, .fini = corpus_remove)
{
    char *folder = image_folder();
    for (size_t k = 0; k < 2; k++) {
        const mg_backend *twin = mg_backend_find(twins[k][0]);
        expected figures = base_figures(twins[k][1]);
        for (int budget = 0; budget < 2; budget++) {
            mg_mem_counters before = counters_now();
            mg_table *table = trained(twin);
            cr_assert_eq(table->ops->finalize(table), MG_OK, "%s: finalize: %s", twin->name, strerror(errno));
            cr_expect_eq(mappings_in(folder), 1, "%s: the image is not mapped", twin->name);
            mg_mem_counters frozen = counters_now();
            if (budget)
                mg_mem_set_limit(frozen.bytes_requested);
            uint64_t dropped = table->ops->prune(table, 2);
            mg_mem_set_limit(0);
            bool refused = counters_now().failures_total > frozen.failures_total;
            cr_expect_eq(refused, budget == 1, "%s, budget %d: the thaw was %srefused", twin->name, budget,
                         refused ? "" : "not ");
            cr_expect_eq(dropped, figures.dropped, "%s, budget %d: dropped", twin->name, budget);
            cr_expect_eq(mg_table_checksum(table), figures.pruned, "%s, budget %d: table differs",
                         twin->name, budget);
            cr_expect_eq(mappings_in(folder), 1, "%s, budget %d: not mapped after prune", twin->name, budget);
            cr_expect_eq(counters_now().bytes_requested, frozen.bytes_requested, "%s, budget %d: requested moved",
                         twin->name, budget);
            table->ops->destroy(table);
            cr_expect_eq(mappings_in(folder), 0, "%s: mapped after destroy", twin->name);
            cr_expect_eq(counters_now().bytes_requested, before.bytes_requested, "%s leaks", twin->name);
        }
    }
    folder_remove(folder);
}
