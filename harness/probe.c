/* probe.c — see probe.h. */
#include "probe.h"
#include "mem.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MALLCTL_ARENAS_ALL 4096 /* jemalloc's "all arenas" index */

const char *mg_allocator_kind_name(mg_allocator_kind kind)
{
    switch (kind) {
    case MG_ALLOCATOR_JEMALLOC: return "jemalloc";
    case MG_ALLOCATOR_GLIBC: return "glibc";
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

void mg_probe_init(mg_probe *probe)
{
    memset(probe, 0, sizeof *probe);
    find_malloc_library(probe->allocator_library, sizeof probe->allocator_library);
    void *mallctl_symbol = dlsym(RTLD_DEFAULT, "mallctl");
    if (mallctl_symbol && strstr(probe->allocator_library, "jemalloc")) {
        init_jemalloc(probe, mallctl_symbol);
    } else if (strstr(probe->allocator_library, "libc.so")) {
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

static void sample_allocator(const mg_probe *probe, mg_memory_sample *out)
{
    out->allocated = out->active = out->resident = MG_UNKNOWN;
    if (probe->kind == MG_ALLOCATOR_JEMALLOC) {
        uint64_t epoch = 1;
        size_t length = sizeof epoch;
        probe->mallctl("epoch", &epoch, &length, &epoch, length);
        out->allocated = jemalloc_stat(probe, "stats.allocated");
        out->active = jemalloc_stat(probe, "stats.active");
        out->resident = jemalloc_stat(probe, "stats.resident");
    } else if (probe->kind == MG_ALLOCATOR_GLIBC) {
        struct mallinfo2 info = mallinfo2();
        out->allocated = (uint64_t)info.uordblks + (uint64_t)info.hblkhd;
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
    }
}
