/* allocator.c — see allocator.h. */
#include "allocator.h"
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char mg_allocator_names[] = "jemalloc, glibc, mimalloc, tcmalloc";

#define ALLOCATOR_VARIABLE "MEMGRAMS_ALLOCATOR" /* the spec a re-executed run was started for */

/* The allocators put in place by LD_PRELOAD of their shared library. */
typedef struct preloaded_allocator {
    const char *name;
    const char *libdir, *library; /* the meson option's folder, the file LD_PRELOAD names */
    const char *package;          /* the Debian package that installs it */
    const char *variable_prefix;  /* options become PREFIX<KEY>=VALUE; NULL: MALLOC_CONF */
} preloaded_allocator;

static const preloaded_allocator preloaded_allocators[] = {
    {"jemalloc", MG_JEMALLOC_LIBDIR, "libjemalloc.so.2", "libjemalloc2", NULL},
    {"mimalloc", MG_MIMALLOC_LIBDIR, "libmimalloc.so.2", "libmimalloc2.0", "MIMALLOC_"},
    {"tcmalloc", MG_TCMALLOC_LIBDIR, "libtcmalloc_minimal.so.4", "libtcmalloc-minimal4", "TCMALLOC_"},
};
#define PRELOADED_COUNT (sizeof preloaded_allocators / sizeof preloaded_allocators[0])

static const preloaded_allocator *find_preloaded(const char *name)
{
    for (size_t index = 0; index < PRELOADED_COUNT; index++)
        if (strcmp(preloaded_allocators[index].name, name) == 0)
            return &preloaded_allocators[index];
    return NULL;
}

/* KEY is [a-z0-9_]+; VALUE is printable without ',' (between options) or ':'
 * (MALLOC_CONF's and GLIBC_TUNABLES' own separator), so no option can smuggle
 * in another. 0, or -1 with the fault in error. */
static int check_option(const char *shown, const char *option, size_t length, char *error, size_t error_size)
{
    const char *equals = memchr(option, '=', length);
    size_t key_length = equals ? (size_t)(equals - option) : 0;
    int good = equals && key_length > 0 && key_length + 1 < length;
    for (size_t index = 0; good && index < key_length; index++)
        good = islower((unsigned char)option[index]) || isdigit((unsigned char)option[index]) || option[index] == '_';
    for (size_t index = key_length + 1; good && index < length; index++)
        good = isprint((unsigned char)option[index]) && option[index] != ':';
    if (good)
        return 0;
    snprintf(error, error_size,
             "allocator '%s': options must be KEY=VALUE[,KEY=VALUE...], KEY of a-z 0-9 _, VALUE printable without , or :",
             shown);
    return -1;
}

int mg_allocator_parse(const char *text, mg_allocator_spec *spec, char *error, size_t error_size)
{
    memset(spec, 0, sizeof *spec);
    if (strlen(text) >= sizeof spec->text) {
        snprintf(error, error_size, "allocator spec is too long");
        return -1;
    }
    char shown[sizeof spec->text]; /* text as a message shows it: one line */
    snprintf(shown, sizeof shown, "%s", text);
    for (char *cursor = shown; *cursor; cursor++)
        if (!isprint((unsigned char)*cursor))
            *cursor = '?';
    snprintf(spec->text, sizeof spec->text, "%s", text);
    size_t name_length = strcspn(text, ":");
    if (name_length >= sizeof spec->name)
        name_length = sizeof spec->name - 1;
    memcpy(spec->name, text, name_length);
    if (strcmp(spec->name, "glibc") != 0 && !find_preloaded(spec->name)) {
        snprintf(error, error_size, "unknown allocator '%.*s' (valid: %s)", (int)name_length, shown,
                 mg_allocator_names);
        return -1;
    }
    if (text[name_length] != ':')
        return 0;
    if (strlen(text + name_length + 1) >= sizeof spec->options) {
        snprintf(error, error_size, "allocator '%s': options are too long", spec->name);
        return -1;
    }
    for (const char *option = text + name_length + 1;; option++) {
        size_t length = strcspn(option, ",");
        if (check_option(shown, option, length, error, error_size) != 0)
            return -1;
        option += length;
        if (!*option)
            break;
    }
    snprintf(spec->options, sizeof spec->options, "%s", text + name_length + 1);
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

/* LD_PRELOAD without any allocator library of preloaded_allocators, into kept. */
static void preload_without_allocators(char *kept, size_t kept_size)
{
    kept[0] = '\0';
    const char *preload = getenv("LD_PRELOAD");
    if (!preload)
        return;
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", preload);
    for (char *save = NULL, *entry = strtok_r(copy, ": ", &save); entry; entry = strtok_r(NULL, ": ", &save)) {
        const char *file = strrchr(entry, '/') ? strrchr(entry, '/') + 1 : entry;
        int allocator = 0;
        for (size_t index = 0; index < PRELOADED_COUNT; index++)
            allocator |= strstr(file, preloaded_allocators[index].name) != NULL;
        if (allocator)
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

/* KEY=VALUE,... -> one PREFIX<KEY upper-cased>=VALUE variable each. */
static void set_prefixed_variables(const char *prefix, const char *options)
{
    char copy[256];
    snprintf(copy, sizeof copy, "%s", options);
    for (char *save = NULL, *entry = strtok_r(copy, ",", &save); entry; entry = strtok_r(NULL, ",", &save)) {
        char *equals = strchr(entry, '=');
        *equals = '\0';
        char name[300];
        snprintf(name, sizeof name, "%s%s", prefix, entry);
        for (char *cursor = name; *cursor; cursor++)
            *cursor = (char)toupper((unsigned char)*cursor);
        setenv(name, equals + 1, 1);
    }
}

void mg_allocator_library(const mg_allocator_spec *spec, char *path, size_t path_size)
{
    const preloaded_allocator *allocator = find_preloaded(spec->name);
    if (allocator)
        snprintf(path, path_size, "%s/%s", allocator->libdir, allocator->library);
    else
        snprintf(path, path_size, "%s", "");
}

/* LD_PRELOAD = the allocator's library, then what was preloaded besides
 * allocators; its options into MALLOC_CONF or its own variables. */
static int prepare_preloaded(const mg_allocator_spec *spec, const preloaded_allocator *allocator, const char *kept,
                             char *error, size_t error_size)
{
    char library[512], value[4096];
    mg_allocator_library(spec, library, sizeof library);
    if (access(library, R_OK) != 0) {
        snprintf(error, error_size, "allocator %s: %s not found (install %s)", allocator->name, library,
                 allocator->package);
        return -1;
    }
    snprintf(value, sizeof value, "%s%s%s", library, kept[0] ? ":" : "", kept);
    setenv("LD_PRELOAD", value, 1);
    if (!spec->options[0])
        return 0;
    if (allocator->variable_prefix) {
        set_prefixed_variables(allocator->variable_prefix, spec->options);
        return 0;
    }
    snprintf(value, sizeof value, "%s", spec->options);
    for (char *cursor = value; *cursor; cursor++)
        if (*cursor == '=')
            *cursor = ':'; /* MALLOC_CONF spells KEY:VALUE */
    setenv("MALLOC_CONF", value, 1);
    return 0;
}

int mg_allocator_prepare_exec(const mg_allocator_spec *spec, char *error, size_t error_size)
{
    char kept[4096], value[4096];
    preload_without_allocators(kept, sizeof kept);
    const preloaded_allocator *allocator = find_preloaded(spec->name);
    if (allocator) {
        if (prepare_preloaded(spec, allocator, kept, error, error_size) != 0)
            return -1;
    } else {
        if (kept[0])
            setenv("LD_PRELOAD", kept, 1);
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
