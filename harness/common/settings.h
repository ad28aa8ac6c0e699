/*
 * settings.h — the settings a subject takes (`--backend NAME:name=N[,name=N]`):
 * their one grammar and their normal form, for every subject that declares
 * settings (a registered backend's mg_backend_setting list, backend.h; the
 * redis subject's, redis_settings.h). Used where a spec is parsed for a run,
 * where a sweep plans its cells, and where a results file's backend_settings
 * is read back (a text from a file is hostile: the same grammar, no more).
 *
 * The grammar: name=N[,name=N] with names the subject declares, each at most
 * once, N 1 to MG_SETTING_DIGITS_MAX decimal digits within the setting's
 * [min, max]. The normal form: the names in declaration order, each value
 * without leading zeros, a setting equal to its fallback left out (so "trie"
 * and "trie:NAME=<fallback>" are one cell, one key, one file): it may be "".
 * A fallback outside [min, max] (redis's: the server's own default) is never
 * equal to a value given, so such a setting is always kept.
 */
#ifndef MG_SETTINGS_H
#define MG_SETTINGS_H

#include "backend.h"

#include <stddef.h>

#define MG_SETTINGS_MAX 8         /* settings one subject may declare */
#define MG_SETTINGS_SIZE 512      /* a normal settings text with its NUL */
#define MG_SETTING_DIGITS_MAX 18  /* any 18 digits fit a long long */

/* What a subject declares: its name (for messages) and its settings. */
typedef struct mg_setting_list {
    const char *subject;
    const mg_backend_setting *settings;
    size_t count;
} mg_setting_list;

/* A settings text parsed: each setting's value, the fallback where not given. */
typedef struct mg_setting_values {
    long long values[MG_SETTINGS_MAX];
    unsigned char given[MG_SETTINGS_MAX];
} mg_setting_values;

/* The list of backend's settings (count 0 for none). */
mg_setting_list mg_backend_setting_list(const mg_backend *backend);

/* Parses a settings text (what follows "NAME:"): 0, or -1 with one line in error. */
int mg_settings_parse(const mg_setting_list *list, const char *text, mg_setting_values *values, char *error,
                      size_t error_size);

/* The normal form of text: 0, or -1 with one line in error. */
int mg_settings_normal(const mg_setting_list *list, const char *text, char *normal, size_t normal_size, char *error,
                       size_t error_size);

/* A normal settings text shortened for a chart's legend, one word:
 * "hash-max-listpack-entries=1024,hash-max-listpack-value=64" -> "entries=1024,value=64"
 * (each name's last part, which keeps the names apart). */
void mg_settings_short(const char *normal, char *text, size_t text_size);

/* Sets a table just created to the settings of a normal text (its backend's
 * grammar; "" or NULL: none) through its backend's configure: MG_OK, or
 * MG_ERR_NOMEM. A text its backend does not take configures nothing (the
 * callers checked it before). */
int mg_settings_configure(mg_table *table, const char *normal);

/* "  name=N  min..max, default F: summary" lines, one per setting, for `list`
 * and the help; "" for none. */
void mg_settings_describe(const mg_setting_list *list, const char *indent, char *text, size_t text_size);

#endif
