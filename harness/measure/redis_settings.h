/*
 * redis_settings.h — the settings the redis subject takes (redis_subject.h):
 * the server's own configuration names, in the one grammar of settings.h.
 * A redis setting has no fallback of the harness's (the server keeps its own
 * default), so a setting given is always in the normal form.
 */
#ifndef MG_REDIS_SETTINGS_H
#define MG_REDIS_SETTINGS_H

#include "settings.h"

#define MG_REDIS_SUBJECT "redis"
#define MG_REDIS_SETTING_COUNT 2

extern const mg_backend_setting mg_redis_settings[MG_REDIS_SETTING_COUNT];

/* Is spec "redis" or "redis:..." (valid or not)? */
int mg_redis_subject_named(const char *spec);

/* The redis subject's settings as a list for settings.h. */
mg_setting_list mg_redis_setting_list(void);

#endif
