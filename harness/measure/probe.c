/* probe.c — see probe.h. */
#include "probe.h"
#include "mem.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <gperftools/malloc_extension_c.h>
#include <gperftools/tcmalloc.h>
#include <malloc.h>
#include <mimalloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MALLCTL_ARENAS_ALL 4096 /* jemalloc's "all arenas" index */

/* call (an mg_allocator_call) as the function its allocator's header declares. */
#define ALLOCATOR_CALL(call, function) ((__typeof__(&function))(call))

const char *mg_allocator_kind_name(mg_allocator_kind kind)
{
    switch (kind) {
    case MG_ALLOCATOR_JEMALLOC: return "jemalloc";
    case MG_ALLOCATOR_GLIBC: return "glibc";
    case MG_ALLOCATOR_MIMALLOC: return "mimalloc";
    case MG_ALLOCATOR_TCMALLOC: return "tcmalloc";
    default: return "other";
    }
}

/* The shared object that serves malloc() in this process. */
static void find_malloc_library(char *library, size_t library_size)
{
    Dl_info info;
    void *malloc_symbol = dlsym(RTLD_DEFAULT, "malloc");
    if (malloc_symbol && dladdr(malloc_symbol, &info) && info.dli_fname)
        snprintf(library, library_size, "%s", info.dli_fname);
    else
        snprintf(library, library_size, "unknown");
}

static void init_jemalloc(mg_probe *probe, void *symbol)
{
    memcpy(&probe->mallctl, &symbol, sizeof probe->mallctl);
    probe->kind = MG_ALLOCATOR_JEMALLOC;
    snprintf(probe->allocator, sizeof probe->allocator, "jemalloc");
    const char *version = NULL;
    size_t length = sizeof version;
    if (probe->mallctl("version", &version, &length, NULL, 0) == 0 && version)
        snprintf(probe->allocator_version, sizeof probe->allocator_version, "%s", version);
}

/* The function dlsym finds for name, or NULL (ISO C casts no object pointer to a function pointer). */
static mg_allocator_call lookup(const char *name)
{
    void *symbol = dlsym(RTLD_DEFAULT, name);
    mg_allocator_call call;
    memcpy(&call, &symbol, sizeof call);
    return call;
}

/* 1 when every call was found. */
static int init_mimalloc(mg_probe *probe)
{
    mg_mimalloc_calls *calls = &probe->mimalloc;
    *calls = (mg_mimalloc_calls){lookup("mi_version"), lookup("mi_heap_get_default"), lookup("mi_heap_visit_blocks"),
                                 lookup("mi_process_info"), lookup("mi_collect"), lookup("mi_option_get")};
    if (!calls->version || !calls->heap_get_default || !calls->heap_visit_blocks || !calls->process_info ||
        !calls->collect || !calls->option_get)
        return 0;
    probe->kind = MG_ALLOCATOR_MIMALLOC;
    snprintf(probe->allocator, sizeof probe->allocator, "mimalloc");
    int version = ALLOCATOR_CALL(calls->version, mi_version)(); /* 209 is 2.0.9 */
    snprintf(probe->allocator_version, sizeof probe->allocator_version, "%d.%d.%d", version / 100,
             version % 100 / 10, version % 10);
    return 1;
}

/* 1 when every call was found. */
static int init_tcmalloc(mg_probe *probe)
{
    mg_tcmalloc_calls *calls = &probe->tcmalloc;
    *calls = (mg_tcmalloc_calls){lookup("tc_version"), lookup("MallocExtension_GetNumericProperty"),
                                 lookup("MallocExtension_ReleaseFreeMemory")};
    if (!calls->version || !calls->get_numeric_property || !calls->release_free_memory)
        return 0;
    probe->kind = MG_ALLOCATOR_TCMALLOC;
    snprintf(probe->allocator, sizeof probe->allocator, "tcmalloc");
    int major = 0, minor = 0;
    const char *patch = NULL;
    ALLOCATOR_CALL(calls->version, tc_version)(&major, &minor, &patch);
    snprintf(probe->allocator_version, sizeof probe->allocator_version, "%d.%d%s", major, minor, patch ? patch : "");
    return 1;
}

void mg_probe_init(mg_probe *probe)
{
    memset(probe, 0, sizeof *probe);
    find_malloc_library(probe->allocator_library, sizeof probe->allocator_library);
    void *mallctl_symbol = dlsym(RTLD_DEFAULT, "mallctl");
    const char *library = probe->allocator_library;
    if (mallctl_symbol && strstr(library, "jemalloc")) {
        init_jemalloc(probe, mallctl_symbol);
    } else if (strstr(library, "mimalloc") && init_mimalloc(probe)) {
        /* done */
    } else if (strstr(library, "tcmalloc") && init_tcmalloc(probe)) {
        /* done */
    } else if (strstr(library, "libc.so")) {
        probe->kind = MG_ALLOCATOR_GLIBC;
        snprintf(probe->allocator, sizeof probe->allocator, "glibc");
        snprintf(probe->allocator_version, sizeof probe->allocator_version, "%s", gnu_get_libc_version());
    } else {
        probe->kind = MG_ALLOCATOR_OTHER;
        const char *base = strrchr(probe->allocator_library, '/');
        snprintf(probe->allocator, sizeof probe->allocator, "%.31s", base ? base + 1 : probe->allocator_library);
        snprintf(probe->allocator_version, sizeof probe->allocator_version, "unknown");
    }
    mg_probe_reset_peak(probe);
}

static uint64_t jemalloc_stat(const mg_probe *probe, const char *name)
{
    size_t value = 0, length = sizeof value;
    if (probe->mallctl(name, &value, &length, NULL, 0) != 0)
        return MG_UNKNOWN;
    return value;
}

/* Sums over the pages of a mimalloc heap (mi_heap_visit_blocks without blocks). */
typedef struct mimalloc_pages {
    uint64_t used_bytes;     /* blocks in use x their full size */
    uint64_t capacity_bytes; /* blocks carved out of the pages so far, in use or free */
} mimalloc_pages;

static bool add_mimalloc_page(const mi_heap_t *heap, const mi_heap_area_t *area, void *block, size_t block_size,
                              void *arg)
{
    (void)heap, (void)block, (void)block_size;
    mimalloc_pages *pages = arg;
    pages->used_bytes += (uint64_t)area->used * area->full_block_size;
    pages->capacity_bytes += area->committed;
    return true;
}

/* The run is single-threaded: the thread's default heap holds every block. */
static void sample_mimalloc(const mg_probe *probe, mg_memory_sample *out)
{
    const mg_mimalloc_calls *calls = &probe->mimalloc;
    mimalloc_pages pages = {0, 0};
    mi_heap_t *heap = ALLOCATOR_CALL(calls->heap_get_default, mi_heap_get_default)();
    if (ALLOCATOR_CALL(calls->heap_visit_blocks, mi_heap_visit_blocks)(heap, false, add_mimalloc_page, &pages)) {
        out->allocated = pages.used_bytes;
        out->active = pages.capacity_bytes;
    }
    size_t committed = 0;
    ALLOCATOR_CALL(calls->process_info, mi_process_info)(NULL, NULL, NULL, NULL, NULL, &committed, NULL, NULL);
    out->resident = committed;
}

static uint64_t tcmalloc_property(const mg_probe *probe, const char *name)
{
    size_t value = 0;
    if (!ALLOCATOR_CALL(probe->tcmalloc.get_numeric_property, MallocExtension_GetNumericProperty)(name, &value))
        return MG_UNKNOWN;
    return value;
}

static void sample_tcmalloc(const mg_probe *probe, mg_memory_sample *out)
{
    out->allocated = tcmalloc_property(probe, "generic.current_allocated_bytes");
    uint64_t heap = tcmalloc_property(probe, "generic.heap_size");
    uint64_t free_bytes = tcmalloc_property(probe, "tcmalloc.pageheap_free_bytes");
    uint64_t unmapped = tcmalloc_property(probe, "tcmalloc.pageheap_unmapped_bytes");
    if (heap != MG_UNKNOWN && free_bytes != MG_UNKNOWN && unmapped != MG_UNKNOWN)
        out->active = heap - free_bytes - unmapped; /* spans in use, the caches' free lists included */
    out->resident = tcmalloc_property(probe, "generic.total_physical_bytes");
}

/* stats.allocated less the blocks the thread caches hold: freed blocks that
 * jemalloc still counts as allocated, and as many as the timed queries
 * happened to leave there (they run to a time budget), so a backend whose
 * queries allocate would show a different allocated in every run. Read,
 * never flushed: flushing would free slabs early and move RSS. */
static uint64_t jemalloc_allocated(const mg_probe *probe)
{
    char name[64];
    snprintf(name, sizeof name, "stats.arenas.%d.tcache_bytes", MALLCTL_ARENAS_ALL);
    uint64_t allocated = jemalloc_stat(probe, "stats.allocated"), cached = jemalloc_stat(probe, name);
    if (allocated == MG_UNKNOWN || cached == MG_UNKNOWN || cached > allocated)
        return allocated;
    return allocated - cached;
}

static void sample_allocator(const mg_probe *probe, mg_memory_sample *out)
{
    out->allocated = out->active = out->resident = MG_UNKNOWN;
    if (probe->kind == MG_ALLOCATOR_JEMALLOC) {
        uint64_t epoch = 1;
        size_t length = sizeof epoch;
        probe->mallctl("epoch", &epoch, &length, &epoch, length);
        out->allocated = jemalloc_allocated(probe);
        out->active = jemalloc_stat(probe, "stats.active");
        out->resident = jemalloc_stat(probe, "stats.resident");
    } else if (probe->kind == MG_ALLOCATOR_GLIBC) {
        struct mallinfo2 info = mallinfo2();
        out->allocated = (uint64_t)info.uordblks + (uint64_t)info.hblkhd;
    } else if (probe->kind == MG_ALLOCATOR_MIMALLOC) {
        sample_mimalloc(probe, out);
    } else if (probe->kind == MG_ALLOCATOR_TCMALLOC) {
        sample_tcmalloc(probe, out);
    }
}

/* A "Name:   1234 kB" figure of /proc/self/status, in bytes. */
static uint64_t status_field(const char *status, const char *name)
{
    const char *line = strstr(status, name);
    if (!line)
        return MG_UNKNOWN;
    return strtoull(line + strlen(name), NULL, 10) * 1024;
}

static void sample_proc(mg_memory_sample *out)
{
    char status[8192];
    out->rss = out->rss_anon = out->hwm = out->rss_file = out->rss_shmem = MG_UNKNOWN;
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t length = read(fd, status, sizeof status - 1);
    close(fd);
    if (length <= 0)
        return;
    status[length] = '\0';
    out->rss = status_field(status, "\nVmRSS:");
    out->rss_anon = status_field(status, "\nRssAnon:");
    out->rss_file = status_field(status, "\nRssFile:");
    out->rss_shmem = status_field(status, "\nRssShmem:");
    out->hwm = status_field(status, "\nVmHWM:");
}

void mg_probe_sample(const mg_probe *probe, mg_memory_sample *out)
{
    mg_mem_counters counters;
    mg_mem_read(&counters);
    out->requested = counters.bytes_requested;
    sample_allocator(probe, out);
    sample_proc(out);
}

void mg_probe_reset_peak(mg_probe *probe)
{
    mg_mem_reset_peak();
    int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    probe->peak_resettable = fd >= 0 && write(fd, "5", 1) == 1;
    if (fd >= 0)
        close(fd);
}

void mg_probe_purge(const mg_probe *probe)
{
    if (probe->kind == MG_ALLOCATOR_JEMALLOC) {
        char name[64];
        snprintf(name, sizeof name, "arena.%d.purge", MALLCTL_ARENAS_ALL);
        probe->mallctl(name, NULL, NULL, NULL, 0);
    } else if (probe->kind == MG_ALLOCATOR_GLIBC) {
        malloc_trim(0);
    } else if (probe->kind == MG_ALLOCATOR_MIMALLOC) {
        ALLOCATOR_CALL(probe->mimalloc.collect, mi_collect)(true);
    } else if (probe->kind == MG_ALLOCATOR_TCMALLOC) {
        ALLOCATOR_CALL(probe->tcmalloc.release_free_memory, MallocExtension_ReleaseFreeMemory)();
    }
}

/* mimalloc's options that decide how much it commits and when it gives pages back. */
static const struct {
    const char *name;
    mi_option_t option;
} mimalloc_settings[] = {
    {"mi_option_eager_commit", mi_option_eager_commit},
    {"mi_option_eager_commit_delay", mi_option_eager_commit_delay},
    {"mi_option_large_os_pages", mi_option_large_os_pages},
    {"mi_option_reserve_huge_os_pages", mi_option_reserve_huge_os_pages},
    {"mi_option_reserve_os_memory", mi_option_reserve_os_memory},
    {"mi_option_page_reset", mi_option_page_reset},
    {"mi_option_allow_decommit", mi_option_allow_decommit},
    {"mi_option_decommit_delay", mi_option_decommit_delay},
    {"mi_option_segment_decommit_delay", mi_option_segment_decommit_delay},
    {"mi_option_decommit_extend_delay", mi_option_decommit_extend_delay},
    {"mi_option_abandoned_page_decommit", mi_option_abandoned_page_decommit},
};

/* tcmalloc's numeric properties that bound its caches and its page heap. */
static const char *const tcmalloc_settings[] = {
    "tcmalloc.max_total_thread_cache_bytes",
    "tcmalloc.aggressive_memory_decommit",
    "tcmalloc.heap_limit_mb",
};

void mg_probe_settings(const mg_probe *probe, mg_setting_visit *visit, void *arg)
{
    if (probe->kind == MG_ALLOCATOR_MIMALLOC) {
        /* option numbers are this header's: another library version may number them otherwise */
        if (ALLOCATOR_CALL(probe->mimalloc.version, mi_version)() != MI_MALLOC_VERSION)
            return;
        for (size_t index = 0; index < sizeof mimalloc_settings / sizeof mimalloc_settings[0]; index++)
            visit(arg, mimalloc_settings[index].name,
                  ALLOCATOR_CALL(probe->mimalloc.option_get, mi_option_get)(mimalloc_settings[index].option));
    } else if (probe->kind == MG_ALLOCATOR_TCMALLOC) {
        for (size_t index = 0; index < sizeof tcmalloc_settings / sizeof tcmalloc_settings[0]; index++) {
            uint64_t value = tcmalloc_property(probe, tcmalloc_settings[index]);
            if (value != MG_UNKNOWN)
                visit(arg, tcmalloc_settings[index], (int64_t)value);
        }
    }
}
