/* allocator.c — see allocator.h. */
#include "allocator.h"
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char mg_allocator_names[] = "jemalloc, glibc";

#define ALLOCATOR_VARIABLE "MEMGRAMS_ALLOCATOR" /* the spec a re-executed run was started for */

int mg_allocator_parse(const char *text, mg_allocator_spec *spec, char *error, size_t error_size)
{
    memset(spec, 0, sizeof *spec);
    if (strlen(text) >= sizeof spec->text) {
        snprintf(error, error_size, "allocator spec is too long");
        return -1;
    }
    snprintf(spec->text, sizeof spec->text, "%s", text);
    size_t name_length = strcspn(text, ":");
    if (name_length >= sizeof spec->name)
        name_length = sizeof spec->name - 1;
    memcpy(spec->name, text, name_length);
    if (strcmp(spec->name, "jemalloc") != 0 && strcmp(spec->name, "glibc") != 0) {
        snprintf(error, error_size, "unknown allocator '%s' (valid: %s)", spec->name, mg_allocator_names);
        return -1;
    }
    if (text[name_length] == ':') {
        const char *options = text + name_length + 1;
        if (!*options || !strchr(options, '=')) {
            snprintf(error, error_size, "allocator '%s': options must be KEY=VALUE[,KEY=VALUE...]", text);
            return -1;
        }
        snprintf(spec->options, sizeof spec->options, "%s", options);
    }
    return 0;
}

int mg_allocator_in_place(const mg_allocator_spec *spec, const mg_probe *probe)
{
    if (strcmp(spec->name, mg_allocator_kind_name(probe->kind)) != 0)
        return 0;
    if (!spec->options[0])
        return 1;
    const char *applied = getenv(ALLOCATOR_VARIABLE);
    return applied && strcmp(applied, spec->text) == 0;
}

/* LD_PRELOAD without any jemalloc entry, into kept. */
static void preload_without_jemalloc(char *kept, size_t kept_size)
{
    kept[0] = '\0';
    const char *preload = getenv("LD_PRELOAD");
    if (!preload)
        return;
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", preload);
    for (char *save = NULL, *entry = strtok_r(copy, ": ", &save); entry; entry = strtok_r(NULL, ": ", &save)) {
        if (strstr(entry, "jemalloc"))
            continue;
        size_t used = strlen(kept);
        snprintf(kept + used, kept_size - used, "%s%s", used ? ":" : "", entry);
    }
}

/* KEY=VALUE,KEY=VALUE -> glibc.malloc.KEY=VALUE:glibc.malloc.KEY=VALUE */
static void glibc_tunables(const char *options, char *tunables, size_t tunables_size)
{
    char copy[256];
    snprintf(copy, sizeof copy, "%s", options);
    tunables[0] = '\0';
    for (char *save = NULL, *entry = strtok_r(copy, ",", &save); entry; entry = strtok_r(NULL, ",", &save)) {
        size_t used = strlen(tunables);
        snprintf(tunables + used, tunables_size - used, "%sglibc.malloc.%s", used ? ":" : "", entry);
    }
}

int mg_allocator_prepare_exec(const mg_allocator_spec *spec, char *error, size_t error_size)
{
    char preload[4096], value[4096];
    preload_without_jemalloc(preload, sizeof preload);
    if (strcmp(spec->name, "jemalloc") == 0) {
        char library[512];
        snprintf(library, sizeof library, "%s/libjemalloc.so.2", MG_JEMALLOC_LIBDIR);
        if (access(library, R_OK) != 0) {
            snprintf(error, error_size, "allocator jemalloc: %s not found (install libjemalloc2)", library);
            return -1;
        }
        snprintf(value, sizeof value, "%s%s%s", library, preload[0] ? ":" : "", preload);
        setenv("LD_PRELOAD", value, 1);
        if (spec->options[0]) {
            snprintf(value, sizeof value, "%s", spec->options);
            for (char *cursor = value; *cursor; cursor++)
                if (*cursor == '=')
                    *cursor = ':'; /* MALLOC_CONF spells KEY:VALUE */
            setenv("MALLOC_CONF", value, 1);
        }
    } else {
        if (preload[0])
            setenv("LD_PRELOAD", preload, 1);
        else
            unsetenv("LD_PRELOAD");
        if (spec->options[0]) {
            glibc_tunables(spec->options, value, sizeof value);
            setenv("GLIBC_TUNABLES", value, 1);
        }
    }
    setenv(ALLOCATOR_VARIABLE, spec->text, 1);
    return 0;
}

int mg_allocator_ensure(const mg_allocator_spec *spec, const mg_probe *probe, char *const *argv,
                        char *error, size_t error_size)
{
    if (mg_allocator_in_place(spec, probe))
        return 0;
    const char *tried = getenv(ALLOCATOR_VARIABLE);
    if (tried && strcmp(tried, spec->text) == 0) {
        snprintf(error, error_size, "allocator '%s' could not be put in place (malloc comes from %s)", spec->text,
                 probe->allocator_library);
        return MG_ALLOCATOR_FAILED;
    }
    if (mg_allocator_prepare_exec(spec, error, error_size) != 0)
        return MG_ALLOCATOR_BAD_SPEC;
    execv("/proc/self/exe", argv);
    snprintf(error, error_size, "cannot re-execute under %s", spec->text);
    return MG_ALLOCATOR_FAILED;
}
