/* allocator.c — see allocator.h. */
#include "allocator.h"
#include "allocator_options.h"
#include "config.h"
#include "message.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char mg_allocator_names[] = "jemalloc, glibc, mimalloc, tcmalloc";

#define ALLOCATOR_VARIABLE "MEMGRAMS_ALLOCATOR" /* "PID SPEC": this process re-executed itself under SPEC */

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
static int check_syntax(const char *text, const char *option, size_t length, char *error, size_t error_size)
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
             mg_show(text).text);
    return -1;
}

/* Each KEY=VALUE of options (checked for syntax) is one the allocator reads,
 * with a value of its kind, and no KEY comes twice. 0, or -1 with the fault. */
static int check_options(const char *allocator, const char *options, char *error, size_t error_size)
{
    char copy[sizeof ((mg_allocator_spec *)0)->options], seen[sizeof copy + 2] = ",";
    snprintf(copy, sizeof copy, "%s", options);
    for (char *save = NULL, *entry = strtok_r(copy, ",", &save); entry; entry = strtok_r(NULL, ",", &save)) {
        char *value = strchr(entry, '=');
        *value++ = '\0';
        if (mg_allocator_option_check(allocator, entry, value, error, error_size) != 0)
            return -1;
        char marked[sizeof copy + 2]; /* ",KEY," finds KEY among those seen */
        snprintf(marked, sizeof marked, ",%s,", entry);
        if (strstr(seen, marked)) {
            snprintf(error, error_size, "allocator option '%s' is given twice", entry);
            return -1;
        }
        snprintf(seen + strlen(seen), sizeof seen - strlen(seen), "%s,", entry);
    }
    return 0;
}

int mg_allocator_parse(const char *text, mg_allocator_spec *spec, char *error, size_t error_size)
{
    memset(spec, 0, sizeof *spec);
    if (strlen(text) >= sizeof spec->text) {
        snprintf(error, error_size, "allocator spec '%s' is too long", mg_show(text).text);
        return -1;
    }
    snprintf(spec->text, sizeof spec->text, "%s", text);
    size_t name_length = strcspn(text, ":");
    if (name_length >= sizeof spec->name)
        name_length = sizeof spec->name - 1;
    memcpy(spec->name, text, name_length);
    if (strcmp(spec->name, "glibc") != 0 && !find_preloaded(spec->name)) {
        snprintf(error, error_size, "unknown allocator '%s' (valid: %s)", mg_show(spec->name).text, mg_allocator_names);
        return -1;
    }
    if (text[name_length] != ':')
        return 0;
    if (strlen(text + name_length + 1) >= sizeof spec->options) {
        snprintf(error, error_size, "allocator '%s': options are too long", mg_show(spec->name).text);
        return -1;
    }
    for (const char *option = text + name_length + 1;; option++) {
        size_t length = strcspn(option, ",");
        if (check_syntax(text, option, length, error, error_size) != 0)
            return -1;
        option += length;
        if (!*option)
            break;
    }
    snprintf(spec->options, sizeof spec->options, "%s", text + name_length + 1);
    return check_options(spec->name, spec->options, error, error_size);
}

/* ---- the environment a spec demands ------------------------------------------------- */

/* Receives one variable the spec's options set; non-zero stops the walk. */
typedef int (*variable_visit)(const char *name, const char *value);

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

/* Visits the variables spec's options become: MALLOC_CONF (KEY:VALUE,...),
 * GLIBC_TUNABLES, or one PREFIX<KEY upper-cased>=VALUE each; none without
 * options. Returns the first non-zero visit, else 0. */
static int visit_option_variables(const mg_allocator_spec *spec, variable_visit visit)
{
    if (!spec->options[0])
        return 0;
    const preloaded_allocator *allocator = find_preloaded(spec->name);
    char value[4096];
    if (!allocator) {
        glibc_tunables(spec->options, value, sizeof value);
        return visit("GLIBC_TUNABLES", value);
    }
    snprintf(value, sizeof value, "%s", spec->options);
    if (!allocator->variable_prefix) {
        for (char *cursor = value; *cursor; cursor++)
            if (*cursor == '=')
                *cursor = ':'; /* MALLOC_CONF spells KEY:VALUE */
        return visit("MALLOC_CONF", value);
    }
    for (char *save = NULL, *entry = strtok_r(value, ",", &save); entry; entry = strtok_r(NULL, ",", &save)) {
        char *equals = strchr(entry, '=');
        *equals = '\0';
        char name[300];
        snprintf(name, sizeof name, "%s%s", allocator->variable_prefix, entry);
        for (char *cursor = name; *cursor; cursor++)
            *cursor = (char)toupper((unsigned char)*cursor);
        int stop = visit(name, equals + 1);
        if (stop)
            return stop;
    }
    return 0;
}

static int set_variable(const char *name, const char *value)
{
    return setenv(name, value, 1);
}

static int variable_differs(const char *name, const char *value)
{
    const char *set = getenv(name);
    return !set || strcmp(set, value) != 0;
}

int mg_allocator_in_place(const mg_allocator_spec *spec, const mg_probe *probe)
{
    return strcmp(spec->name, mg_allocator_kind_name(probe->kind)) == 0 &&
           visit_option_variables(spec, variable_differs) == 0;
}

/* The marker of a re-execution of this process under spec: the pid (which
 * exec keeps) and the spec, so a marker inherited from another process
 * never passes for this one's. */
static void reexec_marker(const mg_allocator_spec *spec, char *marker, size_t marker_size)
{
    snprintf(marker, marker_size, "%ld %s", (long)getpid(), spec->text);
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

void mg_allocator_library(const mg_allocator_spec *spec, char *path, size_t path_size)
{
    const preloaded_allocator *allocator = find_preloaded(spec->name);
    if (allocator)
        snprintf(path, path_size, "%s/%s", allocator->libdir, allocator->library);
    else
        snprintf(path, path_size, "%s", "");
}

/* LD_PRELOAD = the allocator's library, then what was preloaded besides allocators. */
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
    return 0;
}

int mg_allocator_prepare_exec(const mg_allocator_spec *spec, char *error, size_t error_size)
{
    char kept[4096], marker[sizeof spec->text + 32];
    preload_without_allocators(kept, sizeof kept);
    const preloaded_allocator *allocator = find_preloaded(spec->name);
    if (allocator && prepare_preloaded(spec, allocator, kept, error, error_size) != 0)
        return -1;
    if (!allocator && kept[0])
        setenv("LD_PRELOAD", kept, 1);
    else if (!allocator)
        unsetenv("LD_PRELOAD");
    visit_option_variables(spec, set_variable);
    reexec_marker(spec, marker, sizeof marker);
    setenv(ALLOCATOR_VARIABLE, marker, 1);
    return 0;
}

int mg_allocator_ensure(const mg_allocator_spec *spec, const mg_probe *probe, char *const *argv,
                        char *error, size_t error_size)
{
    if (mg_allocator_in_place(spec, probe))
        return 0;
    char marker[sizeof spec->text + 32];
    reexec_marker(spec, marker, sizeof marker);
    const char *tried = getenv(ALLOCATOR_VARIABLE);
    if (tried && strcmp(tried, marker) == 0) {
        snprintf(error, error_size, "allocator '%s' could not be put in place (malloc comes from %s)",
                 mg_show(spec->text).text, probe->allocator_library);
        return MG_ALLOCATOR_FAILED;
    }
    if (mg_allocator_prepare_exec(spec, error, error_size) != 0)
        return MG_ALLOCATOR_BAD_SPEC;
    execv("/proc/self/exe", argv);
    snprintf(error, error_size, "cannot re-execute under %s", mg_show(spec->text).text);
    return MG_ALLOCATOR_FAILED;
}
