/* redis_settings.c — see redis_settings.h. */
#include "redis_settings.h"

#include <string.h>

/* 0..999999999: up to 9 digits, as redis-server reads them; fallback -1: the server keeps its own default. */
const mg_backend_setting mg_redis_settings[MG_REDIS_SETTING_COUNT] = {
    {"hash-max-listpack-entries", "a hash of at most N fields is a listpack", 0, 999999999, -1},
    {"hash-max-listpack-value", "a hash whose values are at most N bytes is a listpack", 0, 999999999, -1},
};

int mg_redis_subject_named(const char *spec)
{
    size_t length = strlen(MG_REDIS_SUBJECT);
    return strncmp(spec, MG_REDIS_SUBJECT, length) == 0 && (spec[length] == '\0' || spec[length] == ':');
}

mg_setting_list mg_redis_setting_list(void)
{
    mg_setting_list list = {MG_REDIS_SUBJECT, mg_redis_settings, MG_REDIS_SETTING_COUNT};
    return list;
}
