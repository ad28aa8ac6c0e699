/* redis_settings.c — see redis_settings.h. */
#include "redis_settings.h"
#include "message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SETTING_VALUE_DIGITS 9

const char *const mg_redis_setting_names[MG_REDIS_SETTING_COUNT] = {"hash-max-listpack-entries",
                                                                    "hash-max-listpack-value"};

int mg_redis_subject_named(const char *spec)
{
    size_t length = strlen(MG_REDIS_SUBJECT);
    return strncmp(spec, MG_REDIS_SUBJECT, length) == 0 && (spec[length] == '\0' || spec[length] == ':');
}

static int setting_index(const char *name, size_t length)
{
    for (int index = 0; index < MG_REDIS_SETTING_COUNT; index++)
        if (strlen(mg_redis_setting_names[index]) == length && strncmp(mg_redis_setting_names[index], name, length) == 0)
            return index;
    return -1;
}

/* One item "name=digits" of length bytes into settings. */
static int parse_item(const char *item, size_t length, mg_redis_settings *settings, char *error, size_t error_size)
{
    const char *equals = memchr(item, '=', length);
    int index = equals ? setting_index(item, (size_t)(equals - item)) : -1;
    size_t digits = equals ? length - (size_t)(equals - item) - 1 : 0;
    int numeric = digits > 0 && digits <= SETTING_VALUE_DIGITS;
    for (size_t position = 0; numeric && position < digits; position++)
        numeric = equals[1 + position] >= '0' && equals[1 + position] <= '9';
    char shown[256];
    snprintf(shown, sizeof shown, "%.*s", (int)(length < 200 ? length : 200), item);
    if (index < 0) {
        snprintf(error, error_size, "unknown redis setting '%s' (valid: %s=N, %s=N)", mg_show(shown).text,
                 mg_redis_setting_names[0], mg_redis_setting_names[1]);
        return -1;
    }
    if (!numeric) {
        snprintf(error, error_size, "redis setting '%s' needs an integer of 1 to %d digits", mg_show(shown).text,
                 SETTING_VALUE_DIGITS);
        return -1;
    }
    if (settings->values[index] >= 0) {
        snprintf(error, error_size, "the redis setting %s is set twice", mg_redis_setting_names[index]);
        return -1;
    }
    settings->values[index] = strtoll(equals + 1, NULL, 10);
    return 0;
}

int mg_redis_settings_parse(const char *text, mg_redis_settings *settings, char *error, size_t error_size)
{
    for (int index = 0; index < MG_REDIS_SETTING_COUNT; index++)
        settings->values[index] = -1;
    if (!*text) {
        snprintf(error, error_size, "an empty list of redis settings");
        return -1;
    }
    for (const char *cursor = text;; cursor++) {
        size_t length = strcspn(cursor, ",");
        if (parse_item(cursor, length, settings, error, error_size) != 0)
            return -1;
        cursor += length;
        if (!*cursor)
            return 0;
    }
}

int mg_redis_settings_normal(const char *text, char *normal, size_t normal_size, char *error, size_t error_size)
{
    mg_redis_settings settings;
    if (mg_redis_settings_parse(text, &settings, error, error_size) != 0)
        return -1;
    size_t used = 0;
    normal[0] = '\0';
    for (int index = 0; index < MG_REDIS_SETTING_COUNT; index++)
        if (settings.values[index] >= 0 && used < normal_size)
            used += (size_t)snprintf(normal + used, normal_size - used, "%s%s=%lld", used ? "," : "",
                                     mg_redis_setting_names[index], settings.values[index]);
    return 0;
}

int mg_redis_spec_settings(const char *spec, char *normal, size_t normal_size, char *error, size_t error_size)
{
    const char *colon = strchr(spec, ':');
    if (!colon) {
        normal[0] = '\0';
        return 0;
    }
    if (mg_redis_settings_normal(colon + 1, normal, normal_size, error, error_size) == 0)
        return 0;
    char message[512];
    snprintf(message, sizeof message, "backend '%s': %s", mg_show(spec).text, error);
    snprintf(error, error_size, "%s", message);
    return -1;
}

void mg_redis_settings_short(const char *normal, char *text, size_t text_size)
{
    size_t used = 0;
    text[0] = '\0';
    for (const char *cursor = normal; *cursor && used < text_size;) {
        size_t length = strcspn(cursor, ",");
        const char *equals = memchr(cursor, '=', length), *start = cursor;
        for (const char *at = cursor; equals && at < equals; at++)
            if (*at == '-')
                start = at + 1;
        used += (size_t)snprintf(text + used, text_size - used, "%s%.*s", used ? "," : "",
                                 (int)(cursor + length - start), start);
        cursor += length + (cursor[length] == ',');
    }
}
