/*
 * cell.h — a cell of the matrix: (backend, corpus, fraction, order,
 * allocator). Its key (which runs are runs of one cell), its label (how a
 * person reads it), its file name, and the rule for the names that may
 * stand in it: the one place where names become parts of file names.
 */
#ifndef MG_CELL_H
#define MG_CELL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mg_cell {
    const char *backend, *corpus, *allocator;
    double fraction;
    int order;
} mg_cell;

/* A backend or peer name may become part of a file name (charts/timeline-NAME.svg). */
#define MG_NAME_RULE "1 to 64 letters, digits, '_', '-' or '.', starting with a letter or digit"
int mg_name_valid(const char *name);

/* The cell a run object names (strings borrowed from run): 0, or -1 when
 * a field is missing or of the wrong type. */
int mg_cell_of_run(json_t *run, mg_cell *cell);

/* "backend|corpus|fraction|order|allocator": equal iff the cells are. */
void mg_cell_key(const mg_cell *cell, char *key, size_t key_size);

/* "backend corpus f=0.25 n=3 allocator", for people. */
void mg_cell_label(const mg_cell *cell, char *label, size_t label_size);

/* prefix + text + suffix as one file name: bytes other than letters,
 * digits, '_', '-' and '.' become '_', a long text is cut, and where
 * either happened a hash of the whole text keeps distinct texts apart. */
void mg_file_name(const char *prefix, const char *text, const char *suffix, char *name, size_t name_size);

/* The file a job runner's run of the cell writes its line to: pass (1..)
 * tells the runs of one cell apart. */
void mg_cell_file_name(const mg_cell *cell, uint64_t pass, char *name, size_t name_size);

#endif
