/* settings.c — see settings.h. */
#include "settings.h"
#include "message.h"

#include <stdio.h>
#include <string.h>

mg_setting_list mg_backend_setting_list(const mg_backend *backend)
{
    mg_setting_list list = {backend->name, backend->settings, backend->settings ? backend->setting_count : 0};
    return list;
}

static int setting_index(const mg_setting_list *list, const char *name, size_t length)
{
    for (size_t index = 0; index < list->count && index < MG_SETTINGS_MAX; index++)
        if (strlen(list->settings[index].name) == length && strncmp(list->settings[index].name, name, length) == 0)
            return (int)index;
    return -1;
}

/* "a=N, b=N": the names the list takes, for a message. */
static void valid_names(const mg_setting_list *list, char *text, size_t text_size)
{
    size_t used = 0;
    text[0] = '\0';
    for (size_t index = 0; index < list->count && index < MG_SETTINGS_MAX && used < text_size; index++)
        used += (size_t)snprintf(text + used, text_size - used, "%s%s=N", index ? ", " : "", list->settings[index].name);
}

/* The value of `digits` decimal digits at text, or -1 when they are not 1 to MG_SETTING_DIGITS_MAX digits. */
static long long digits_value(const char *text, size_t digits)
{
    if (digits == 0 || digits > MG_SETTING_DIGITS_MAX)
        return -1;
    long long value = 0;
    for (size_t position = 0; position < digits; position++) {
        if (text[position] < '0' || text[position] > '9')
            return -1;
        value = value * 10 + (text[position] - '0');
    }
    return value;
}

/* One item "name=digits" of length bytes into values. */
static int parse_item(const mg_setting_list *list, const char *item, size_t length, mg_setting_values *values,
                      char *error, size_t error_size)
{
    const char *equals = memchr(item, '=', length);
    int index = equals ? setting_index(list, item, (size_t)(equals - item)) : -1;
    long long value = equals ? digits_value(equals + 1, length - (size_t)(equals - item) - 1) : -1;
    char shown[256], names[256];
    snprintf(shown, sizeof shown, "%.*s", (int)(length < 200 ? length : 200), item);
    if (index < 0) {
        valid_names(list, names, sizeof names);
        snprintf(error, error_size, "unknown %s setting '%s' (valid: %s)", list->subject, mg_show(shown).text, names);
        return -1;
    }
    const mg_backend_setting *setting = &list->settings[index];
    if (value < 0) {
        snprintf(error, error_size, "%s setting '%s' needs an integer of 1 to %d digits", list->subject,
                 mg_show(shown).text, MG_SETTING_DIGITS_MAX);
        return -1;
    }
    if (value < setting->min || value > setting->max) {
        snprintf(error, error_size, "%s setting '%s' is outside %lld..%lld", list->subject, mg_show(shown).text,
                 setting->min, setting->max);
        return -1;
    }
    if (values->given[index]) {
        snprintf(error, error_size, "the %s setting %s is set twice", list->subject, setting->name);
        return -1;
    }
    values->values[index] = value;
    values->given[index] = 1;
    return 0;
}

int mg_settings_parse(const mg_setting_list *list, const char *text, mg_setting_values *values, char *error,
                      size_t error_size)
{
    for (size_t index = 0; index < MG_SETTINGS_MAX; index++) {
        values->values[index] = index < list->count ? list->settings[index].fallback : 0;
        values->given[index] = 0;
    }
    if (list->count == 0) {
        snprintf(error, error_size, "%s takes no settings", list->subject);
        return -1;
    }
    if (!*text) {
        snprintf(error, error_size, "an empty list of %s settings", list->subject);
        return -1;
    }
    for (const char *cursor = text;; cursor++) {
        size_t length = strcspn(cursor, ",");
        if (parse_item(list, cursor, length, values, error, error_size) != 0)
            return -1;
        cursor += length;
        if (!*cursor)
            return 0;
    }
}

int mg_settings_normal(const mg_setting_list *list, const char *text, char *normal, size_t normal_size, char *error,
                       size_t error_size)
{
    mg_setting_values values;
    if (mg_settings_parse(list, text, &values, error, error_size) != 0)
        return -1;
    size_t used = 0;
    normal[0] = '\0';
    for (size_t index = 0; index < list->count && index < MG_SETTINGS_MAX; index++)
        if (values.given[index] && values.values[index] != list->settings[index].fallback && used < normal_size)
            used += (size_t)snprintf(normal + used, normal_size - used, "%s%s=%lld", used ? "," : "",
                                     list->settings[index].name, values.values[index]);
    return 0;
}

void mg_settings_short(const char *normal, char *text, size_t text_size)
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

int mg_settings_configure(mg_table *table, const char *normal)
{
    mg_setting_list list = mg_backend_setting_list(table->ops);
    mg_setting_values values;
    char error[512];
    if (!normal || !*normal || !table->ops->configure || mg_settings_parse(&list, normal, &values, error, sizeof error) != 0)
        return MG_OK;
    for (size_t index = 0; index < list.count && index < MG_SETTINGS_MAX; index++)
        if (values.given[index] && table->ops->configure(table, index, values.values[index]) != MG_OK)
            return MG_ERR_NOMEM;
    return MG_OK;
}

void mg_settings_describe(const mg_setting_list *list, const char *indent, char *text, size_t text_size)
{
    size_t used = 0;
    text[0] = '\0';
    for (size_t index = 0; index < list->count && index < MG_SETTINGS_MAX && used < text_size; index++) {
        const mg_backend_setting *setting = &list->settings[index];
        used += (size_t)snprintf(text + used, text_size - used, "%s%s=N  %lld..%lld, default %lld: %s\n", indent,
                                 setting->name, setting->min, setting->max, setting->fallback, setting->summary);
    }
}
