/* data_path.c — see data_path.h. */
#include "data_path.h"
#include "config.h"

#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FOLDER_SIZE 4096

/* Is path (resolved) under the folder (resolved)? */
static int lies_under(const char *path, const char *folder)
{
    char real_path[PATH_MAX], real_folder[PATH_MAX];
    if (!realpath(path, real_path) || !realpath(folder, real_folder))
        return 0;
    size_t length = strlen(real_folder);
    return strncmp(real_path, real_folder, length) == 0 && real_path[length] == '/';
}

int mg_runs_from_build(void)
{
    static int answer = -1; /* the executable does not move while it runs */
    if (answer < 0)
        answer = lies_under("/proc/self/exe", MG_BUILD_ROOT);
    return answer;
}

static const char *set_variable(const char *name)
{
    const char *value = getenv(name);
    return value && *value ? value : NULL;
}

const char *mg_data_folder(mg_data_kind kind)
{
    static char folders[2][FOLDER_SIZE];
    char *folder = folders[kind];
    const char *name = kind == MG_DATA_PEERS ? "peers" : "scripts";
    const char *data = set_variable("MEMGRAMS_DATA");
    if (data)
        snprintf(folder, FOLDER_SIZE, "%s/%s", data, name);
    else if (mg_runs_from_build())
        snprintf(folder, FOLDER_SIZE, "%s/scripts%s", MG_SOURCE_ROOT, kind == MG_DATA_PEERS ? "/peers" : "");
    else
        snprintf(folder, FOLDER_SIZE, "%s/%s", MG_DATA_DIR, name);
    return folder;
}

/* $HOME, else the user's home from the password database (a daemon may run without HOME). */
static const char *home_folder(void)
{
    const char *home = set_variable("HOME");
    const struct passwd *user = home ? NULL : getpwuid(getuid());
    return home ? home : user && user->pw_dir ? user->pw_dir : "/";
}

const char *mg_corpora_folder(void)
{
    static char folder[FOLDER_SIZE];
    const char *corpora = set_variable("MEMGRAMS_CORPORA"), *cache = set_variable("XDG_CACHE_HOME");
    if (corpora)
        snprintf(folder, sizeof folder, "%s", corpora);
    else if (mg_runs_from_build())
        snprintf(folder, sizeof folder, "%s/corpora/cache", MG_SOURCE_ROOT);
    else if (cache)
        snprintf(folder, sizeof folder, "%s/memgrams/corpora", cache);
    else
        snprintf(folder, sizeof folder, "%s/.cache/memgrams/corpora", home_folder());
    return folder;
}

const char *mg_fetch_command(void)
{
    return mg_runs_from_build() ? "corpora/fetch" : "memgrams-fetch-corpus";
}
