/* cell.c — see cell.h. */
#include "cell.h"
#include "redis_settings.h"

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

const char *mg_cell_settings_fault(const mg_cell *cell)
{
    char normal[MG_REDIS_SETTINGS_SIZE], error[512];
    if (!cell->settings)
        return NULL;
    if (strcmp(cell->backend, MG_REDIS_SUBJECT) != 0)
        return "backend_settings is given for a backend that takes no settings (only redis does)";
    if (mg_redis_settings_normal(cell->settings, normal, sizeof normal, error, sizeof error) != 0)
        return "backend_settings is not a list of redis settings (hash-max-listpack-entries=N,hash-max-listpack-value=N)";
    return NULL;
}

void mg_cell_set_backend(mg_cell *cell, const char *spec)
{
    const char *colon = strchr(spec, ':');
    int with_settings = mg_redis_subject_named(spec) && colon;
    cell->backend = with_settings ? MG_REDIS_SUBJECT : spec;
    cell->settings = with_settings ? colon + 1 : NULL;
}

/* The settings in normal form, or as they are where they are not valid (a
 * cell whose settings mg_cell_settings_fault refused is never keyed). */
void mg_cell_settings(const mg_cell *cell, char *normal, size_t normal_size)
{
    char error[512];
    if (mg_redis_settings_normal(cell->settings, normal, normal_size, error, sizeof error) != 0)
        snprintf(normal, normal_size, "%s", cell->settings);
}

void mg_cell_subject(const mg_cell *cell, char *text, size_t text_size)
{
    char normal[MG_REDIS_SETTINGS_SIZE];
    if (!cell->settings) {
        snprintf(text, text_size, "%s", cell->backend);
        return;
    }
    mg_cell_settings(cell, normal, sizeof normal);
    snprintf(text, text_size, "%s:%s", cell->backend, normal);
}

void mg_cell_subject_short(const mg_cell *cell, char *text, size_t text_size)
{
    char normal[MG_REDIS_SETTINGS_SIZE], shortened[MG_REDIS_SETTINGS_SIZE];
    if (!cell->settings) {
        snprintf(text, text_size, "%s", cell->backend);
        return;
    }
    mg_cell_settings(cell, normal, sizeof normal);
    mg_redis_settings_short(normal, shortened, sizeof shortened);
    snprintf(text, text_size, "%s:%s", cell->backend, shortened);
}

void mg_cell_key(const mg_cell *cell, char *key, size_t key_size)
{
    char subject[256];
    mg_cell_subject(cell, subject, sizeof subject);
    snprintf(key, key_size, "%s|%s|%.17g|%d|%s", subject, cell->corpus, cell->fraction, cell->order,
             cell->allocator);
}

void mg_cell_label(const mg_cell *cell, char *label, size_t label_size)
{
    char subject[256];
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
    char key[8192], readable[8192], part[FILE_PART_MAX + 1], subject[256];
    mg_cell_key(cell, key, sizeof key);
    mg_cell_subject_short(cell, subject, sizeof subject);
    snprintf(readable, sizeof readable, "%s-%s", subject, cell->corpus);
    file_part(readable, part);
    /* the readable part can be cut or blurred; the key's hash keeps every cell and pass apart */
    snprintf(name, name_size, "%s-n%d-p%llu-%016llx.jsonl", part, cell->order, (unsigned long long)pass,
             (unsigned long long)XXH64(key, strlen(key), pass));
}
