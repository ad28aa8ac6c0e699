/* cell.c — see cell.h. */
#include "cell.h"
#include "backend.h"
#include "message.h"
#include "redis_settings.h"
#include "settings.h"

#include <stdio.h>
#include <string.h>
#include <xxhash.h>

enum { NAME_MAX_LENGTH = 64, FILE_PART_MAX = 48 };

static int is_name_byte(unsigned char byte)
{
    return (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') || (byte >= '0' && byte <= '9') ||
           byte == '_' || byte == '-' || byte == '.';
}

int mg_name_valid(const char *name)
{
    size_t length = strlen(name);
    if (length == 0 || length > NAME_MAX_LENGTH || !is_name_byte((unsigned char)name[0]) || name[0] == '_' ||
        name[0] == '-' || name[0] == '.')
        return 0;
    for (size_t index = 0; index < length; index++)
        if (!is_name_byte((unsigned char)name[index]))
            return 0;
    return 1;
}

int mg_cell_of_run(json_t *run, mg_cell *cell)
{
    cell->backend = json_string_value(json_object_get(run, "backend"));
    cell->corpus = json_string_value(json_object_get(run, "corpus"));
    cell->allocator = json_string_value(json_object_get(run, "allocator"));
    cell->settings = json_string_value(json_object_get(run, "backend_settings"));
    json_t *fraction = json_object_get(run, "fraction"), *order = json_object_get(run, "order");
    if (!cell->backend || !cell->corpus || !cell->allocator || !json_is_number(fraction) || !json_is_integer(order))
        return -1;
    cell->fraction = json_number_value(fraction);
    cell->order = (int)json_integer_value(order);
    return 0;
}

int mg_subject_setting_list(const char *backend, mg_setting_list *list)
{
    if (strcmp(backend, MG_REDIS_SUBJECT) == 0) {
        *list = mg_redis_setting_list();
        return 0;
    }
    const mg_backend *found = mg_backend_find(backend);
    if (!found)
        return -1;
    *list = mg_backend_setting_list(found);
    return 0;
}

/* The subject a spec names before its ':' ("" when the name is too long for name). */
static const char *spec_name(const char *spec, char *name, size_t name_size)
{
    size_t length = strcspn(spec, ":");
    snprintf(name, name_size, "%.*s", length < name_size ? (int)length : 0, spec);
    return name;
}

int mg_spec_settings(const char *spec, char *normal, size_t normal_size, char *error, size_t error_size)
{
    const char *colon = strchr(spec, ':');
    char name[NAME_MAX_LENGTH + 1], message[512];
    mg_setting_list list = {spec_name(spec, name, sizeof name), NULL, 0};
    normal[0] = '\0';
    if (!colon)
        return 0;
    if (mg_subject_setting_list(name, &list) != 0)
        list.subject = name; /* a peer or an unknown name: it takes no settings */
    if (mg_settings_normal(&list, colon + 1, normal, normal_size, message, sizeof message) == 0)
        return 0;
    snprintf(error, error_size, "backend '%s': %s", mg_show(spec).text, message);
    return -1;
}

const char *mg_cell_settings_fault(const mg_cell *cell)
{
    char normal[MG_SETTINGS_SIZE], error[512];
    mg_setting_list list;
    if (!cell->settings)
        return NULL;
    if (mg_subject_setting_list(cell->backend, &list) != 0 || list.count == 0)
        return "backend_settings is given for a backend that takes no settings (memgrams list shows which do)";
    if (mg_settings_normal(&list, cell->settings, normal, sizeof normal, error, sizeof error) != 0)
        return "backend_settings is not a list of the backend's settings (name=N,name=N: memgrams list)";
    return NULL;
}

void mg_cell_set_backend(mg_cell *cell, const char *spec)
{
    const char *colon = strchr(spec, ':');
    char name[NAME_MAX_LENGTH + 1];
    const mg_backend *found = colon ? mg_backend_find(spec_name(spec, name, sizeof name)) : NULL;
    cell->backend = spec;
    cell->settings = NULL;
    if (colon && mg_redis_subject_named(spec))
        cell->backend = MG_REDIS_SUBJECT;
    else if (found)
        cell->backend = found->name;
    if (cell->backend != spec)
        cell->settings = colon + 1;
}

/* The settings in normal form, or as they are where they are not valid (a
 * cell whose settings mg_cell_settings_fault refused is never keyed). */
void mg_cell_settings(const mg_cell *cell, char *normal, size_t normal_size)
{
    char error[512];
    mg_setting_list list;
    if (mg_subject_setting_list(cell->backend, &list) != 0 ||
        mg_settings_normal(&list, cell->settings, normal, normal_size, error, sizeof error) != 0)
        snprintf(normal, normal_size, "%s", cell->settings);
}

void mg_cell_subject(const mg_cell *cell, char *text, size_t text_size)
{
    char normal[MG_SETTINGS_SIZE] = "";
    if (cell->settings)
        mg_cell_settings(cell, normal, sizeof normal);
    snprintf(text, text_size, "%s%s%s", cell->backend, normal[0] ? ":" : "", normal);
}

void mg_cell_subject_short(const mg_cell *cell, char *text, size_t text_size)
{
    char normal[MG_SETTINGS_SIZE] = "", shortened[MG_SETTINGS_SIZE];
    if (cell->settings)
        mg_cell_settings(cell, normal, sizeof normal);
    mg_settings_short(normal, shortened, sizeof shortened);
    snprintf(text, text_size, "%s%s%s", cell->backend, shortened[0] ? ":" : "", shortened);
}

void mg_cell_key(const mg_cell *cell, char *key, size_t key_size)
{
    char subject[1024];
    mg_cell_subject(cell, subject, sizeof subject);
    snprintf(key, key_size, "%s|%s|%.17g|%d|%s", subject, cell->corpus, cell->fraction, cell->order,
             cell->allocator);
}

void mg_cell_label(const mg_cell *cell, char *label, size_t label_size)
{
    char subject[1024];
    mg_cell_subject(cell, subject, sizeof subject);
    snprintf(label, label_size, "%s %s f=%.6g n=%d %s", subject, cell->corpus, cell->fraction, cell->order,
             cell->allocator);
}

/* text's first FILE_PART_MAX bytes with every byte outside the name rule as '_';
 * 1 when that changed or cut anything. */
static int file_part(const char *text, char part[FILE_PART_MAX + 1])
{
    size_t length = strlen(text), kept = length < FILE_PART_MAX ? length : FILE_PART_MAX;
    int changed = length > kept;
    for (size_t index = 0; index < kept; index++) {
        unsigned char byte = (unsigned char)text[index];
        int plain = is_name_byte(byte) && !(index == 0 && byte == '.'); /* no hidden files */
        part[index] = plain ? (char)byte : '_';
        changed |= !plain;
    }
    part[kept] = '\0';
    return changed;
}

void mg_file_name(const char *prefix, const char *text, const char *suffix, char *name, size_t name_size)
{
    char part[FILE_PART_MAX + 1];
    if (file_part(text, part))
        snprintf(name, name_size, "%s%s-%08llx%s", prefix, part,
                 (unsigned long long)(XXH64(text, strlen(text), 0) & 0xffffffffULL), suffix);
    else
        snprintf(name, name_size, "%s%s%s", prefix, part, suffix);
}

void mg_cell_file_name(const mg_cell *cell, uint64_t pass, char *name, size_t name_size)
{
    char key[8192], readable[8192], part[FILE_PART_MAX + 1], subject[1024];
    mg_cell_key(cell, key, sizeof key);
    mg_cell_subject_short(cell, subject, sizeof subject);
    snprintf(readable, sizeof readable, "%s-%s", subject, cell->corpus);
    file_part(readable, part);
    /* the readable part can be cut or blurred; the key's hash keeps every cell and pass apart */
    snprintf(name, name_size, "%s-n%d-p%llu-%016llx.jsonl", part, cell->order, (unsigned long long)pass,
             (unsigned long long)XXH64(key, strlen(key), pass));
}
