/*
 * cell.h — a cell of the matrix: (backend and its settings, corpus,
 * fraction, order, allocator). Its key (which runs are runs of one cell), its label (how a
 * person reads it), its file name, and the rule for the names that may
 * stand in it: the one place where names become parts of file names.
 */
#ifndef MG_CELL_H
#define MG_CELL_H

#include "settings.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mg_cell {
    const char *backend, *corpus, *allocator;
    double fraction;
    int order;
    const char *settings; /* the subject's settings (settings.h), NULL where none */
} mg_cell;

/* A backend or peer name may become part of a file name (charts/timeline-NAME.svg). */
#define MG_NAME_RULE "1 to 64 letters, digits, '_', '-' or '.', starting with a letter or digit"
int mg_name_valid(const char *name);

/* The cell a run object names (strings borrowed from run; settings from
 * backend_settings, NULL where it is absent or null): 0, or -1 when a field
 * is missing or of the wrong type. */
int mg_cell_of_run(json_t *run, mg_cell *cell);

/* The settings a subject declares (settings.h): redis's, or a registered or
 * tests-only backend's (count 0 for none); 0, or -1 for any other name (a
 * peer takes no settings). */
int mg_subject_setting_list(const char *backend, mg_setting_list *list);

/* The settings of a --backend spec ("NAME" or "NAME:SETTINGS") in normal
 * form, "" for none: 0, or -1 with one line in error naming the spec (an
 * empty list, a bad setting, settings for a subject that takes none). It
 * does not check that NAME is a subject. */
int mg_spec_settings(const char *spec, char *normal, size_t normal_size, char *error, size_t error_size);

/* Why the cell's settings are not ones its backend takes (the backend's
 * grammar, settings.h), or NULL when they are. */
const char *mg_cell_settings_fault(const mg_cell *cell);

/* The backend and settings of a --backend spec: "NAME:SETTINGS", NAME redis
 * or a backend this binary holds, is NAME with SETTINGS (borrowed from spec),
 * anything else a backend without settings. */
void mg_cell_set_backend(mg_cell *cell, const char *spec);

/* The cell's settings in normal form (as given when they are not in the
 * grammar; "" when each is at its fallback); call it only for a cell with settings. */
void mg_cell_settings(const mg_cell *cell, char *normal, size_t normal_size);

/* The subject as one text: the backend, and ":SETTINGS" in normal form
 * where it has settings other than the fallbacks ("redis:hash-max-listpack-entries=1024");
 * what `memgrams run --backend` takes and a table's row shows. */
void mg_cell_subject(const mg_cell *cell, char *text, size_t text_size);

/* The subject shortened for a chart's legend, one word without spaces
 * ("redis:entries=1024"): distinct subjects stay distinct. */
void mg_cell_subject_short(const mg_cell *cell, char *text, size_t text_size);

/* "subject|corpus|fraction|order|allocator": equal iff the cells are (a
 * cell without settings keeps the key it had before settings existed). */
void mg_cell_key(const mg_cell *cell, char *key, size_t key_size);

/* "subject corpus f=0.25 n=3 allocator", for people. */
void mg_cell_label(const mg_cell *cell, char *label, size_t label_size);

/* prefix + text + suffix as one file name: bytes other than letters,
 * digits, '_', '-' and '.' become '_', a long text is cut, and where
 * either happened a hash of the whole text keeps distinct texts apart. */
void mg_file_name(const char *prefix, const char *text, const char *suffix, char *name, size_t name_size);

/* The file a job runner's run of the cell writes its line to: pass (1..)
 * tells the runs of one cell apart. */
void mg_cell_file_name(const mg_cell *cell, uint64_t pass, char *name, size_t name_size);

#endif
