/*
 * redis_settings.h — the settings the redis subject takes (redis_subject.h),
 * their one grammar and their normal form: where a spec is parsed for a run,
 * where a sweep plans its cells, and where a results file's backend_settings
 * is read back (a text from a file is hostile: the same grammar, no more).
 *
 * The grammar: name=N[,name=N] with names from mg_redis_setting_names, each
 * at most once, N 1 to 9 decimal digits. The normal form: the names in the
 * order of mg_redis_setting_names, each value without leading zeros.
 */
#ifndef MG_REDIS_SETTINGS_H
#define MG_REDIS_SETTINGS_H

#include <stddef.h>

#define MG_REDIS_SUBJECT "redis"
#define MG_REDIS_SETTING_COUNT 2
#define MG_REDIS_SETTINGS_SIZE 128 /* a normal settings text with its NUL */

extern const char *const mg_redis_setting_names[MG_REDIS_SETTING_COUNT];

typedef struct mg_redis_settings {
    long long values[MG_REDIS_SETTING_COUNT]; /* -1 where not set */
} mg_redis_settings;

/* Is spec "redis" or "redis:..." (valid or not)? */
int mg_redis_subject_named(const char *spec);

/* Parses a settings text (what follows "redis:"): 0, or -1 with one line in error. */
int mg_redis_settings_parse(const char *text, mg_redis_settings *settings, char *error, size_t error_size);

/* The normal form of text: 0, or -1 with one line in error. */
int mg_redis_settings_normal(const char *text, char *normal, size_t normal_size, char *error, size_t error_size);

/* The settings of a spec ("redis" or "redis:TEXT") in normal form, "" for
 * none: 0, or -1 with one line in error (an empty list, a bad setting). */
int mg_redis_spec_settings(const char *spec, char *normal, size_t normal_size, char *error, size_t error_size);

/* A normal settings text shortened for a chart's legend, one word:
 * "hash-max-listpack-entries=1024,hash-max-listpack-value=64" -> "entries=1024,value=64"
 * (each name's last part, which keeps the names apart). */
void mg_redis_settings_short(const char *normal, char *text, size_t text_size);

#endif
