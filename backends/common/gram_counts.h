/*
 * gram_counts.h — the training counts of the compact backends (packed_arrays,
 * trie): a hash table of id tuples bounded by a byte budget, spilled into
 * sorted, bit-coded runs (common/gram_runs.h) whenever it is full, so that
 * training never holds a hash of every distinct gram.
 *
 *   table (gram_hash.h, at most `budget` bytes of slots)   runs (gram_runs.h)
 *   +-----+-----+-----+-------+--                          | run 0 | run 1 | .. |
 *   | id0 | id1 | id2 | count |..   --- full: sorted, --->   each sorted by ids,
 *   +-----+-----+-----+-------+--       coded, cleared       ~4 B a record
 *
 * A gram's count is its table count plus its count in every run (a gram
 * counted again after a spill is in several). The peak of training is the
 * interner + the budget + the runs, not a hash of every gram: on gcide a
 * trigram is in 1.1-1.2 runs at a 4 MiB budget, at ~4 bytes each.
 *
 * At finalize the table is spilled too and freed (mg_gram_counts_seal),
 * before the backend builds its dictionary; then each run in turn is
 * decoded into one scratch block, given the dictionary's ids, sorted
 * again and re-coded (mg_gram_counts_remap): the runs are then in
 * dictionary order, and a backend builds its frozen layout from a merge of
 * them (mg_gram_merge), read in passes, without ever holding the grams as
 * records. Until then every query works on table + runs: count, the
 * successors of a context, every gram, prune.
 *
 * Every heap byte goes through mem.h; a call that fails returns
 * MG_ERR_NOMEM and leaves the counts as they were (remap: see there).
 */
#ifndef MG_GRAM_COUNTS_H
#define MG_GRAM_COUNTS_H

#include "gram_hash.h"
#include "gram_runs.h"

#include <stddef.h>
#include <stdint.h>

/* The default budget of the training table, in KiB: see docs/backends.md
 * for what it trades (a smaller table spills more often, and a gram
 * counted in more runs costs its bytes again). */
#define MG_GRAM_COUNTS_BUDGET_KIB 3072

/* The setting a backend training through these counts declares
 * (backend.h): training-budget-kib, the table's budget. */
extern const mg_backend_setting mg_gram_counts_budget_setting;

/* The tags (mem.h) the counts' blocks are counted against. */
typedef struct mg_gram_counts_parts {
    int table;   /* the training table's slots */
    int runs;    /* the runs' code and samples, and the array of runs */
    int scratch; /* the remap's decoded run, a merge's cursors and heap */
} mg_gram_counts_parts;

typedef struct mg_gram_counts {
    int order;
    /* The runs' and scratch tags (the table's is in it), bytes in order's
     * padding: a backend's table struct, embedding this, keeps its size. */
    uint8_t runs_part, scratch_part;
    mg_gram_hash table;  /* counts since the last spill */
    mg_gram_run *runs;   /* run_count sorted runs (mem.h array of run_capacity) */
    size_t run_count;
    size_t run_capacity;
} mg_gram_counts;

/* A grams visitor: nonzero stops the walk and is returned. */
typedef int (*mg_gram_ids_visit)(void *arg, const uint32_t *ids, uint64_t count);

/* Empty counts of `order` ids whose table may take budget_bytes of slots,
 * every block tagged by `parts`. MG_OK or MG_ERR_NOMEM (nothing held then). */
int mg_gram_counts_init(mg_gram_counts *counts, const mg_gram_counts_parts *parts, int order, size_t budget_bytes);

/* The table's budget set to budget_bytes, before the first add. */
void mg_gram_counts_set_budget(mg_gram_counts *counts, size_t budget_bytes);

/* Frees everything held; the counts are then empty with no table. */
void mg_gram_counts_free(mg_gram_counts *counts);

/* Bytes held through mem.h (table, runs, the run array). */
size_t mg_gram_counts_bytes(const mg_gram_counts *counts);

/* The gram's count: table + runs (0 when absent). */
uint64_t mg_gram_counts_count(const mg_gram_counts *counts, const uint32_t *ids);

/* Room for one new gram without a spill or a growth in add (a spill or a
 * growth now, if needed): lets a caller take its memory first. */
int mg_gram_counts_make_room(mg_gram_counts *counts);

/* Count of ids plus one; may spill the table first. */
int mg_gram_counts_add(mg_gram_counts *counts, const uint32_t *ids);

/* mg_gram_hash_add_many over the counts, in slices the table takes without
 * a spill (a spill comes between two slices). */
int mg_gram_counts_add_many(mg_gram_counts *counts, const struct mg_interner *interner, struct mg_table *table,
                            mg_gram_add add, const struct mg_token *grams, size_t count, size_t *added);

/* The table's grams as a new run, the table emptied (nothing to do when it
 * is empty). */
int mg_gram_counts_spill(mg_gram_counts *counts);

/* Finalize's first step: the table spilled as a last run and freed; the
 * counts then hold runs only (add is no longer called). */
int mg_gram_counts_seal(mg_gram_counts *counts);

/* Finalize's second step, after the seal: every gram's ids replaced by
 * remap[id], each run in turn decoded into a scratch block (the largest
 * run's records), sorted again and re-coded. On MG_ERR_NOMEM the counts
 * are only fit for mg_gram_counts_free. */
int mg_gram_counts_remap(mg_gram_counts *counts, const uint32_t *remap);

/* Visits every gram once with its count (runs' grams in id order, then the
 * table's found in no run, in slot order). */
int mg_gram_counts_foreach(const mg_gram_counts *counts, mg_gram_ids_visit visit, void *arg);

/* Visits every gram whose first order - 1 ids are `context`, once, with its count. */
int mg_gram_counts_successors(const mg_gram_counts *counts, const uint32_t *context, mg_gram_ids_visit visit,
                              void *arg);

/* Drops the grams counted below min_count, in place, without allocating;
 * returns how many distinct grams were dropped. */
uint64_t mg_gram_counts_prune(mg_gram_counts *counts, uint64_t min_count);

/* The runs merged into one (after the seal): each gram once, its counts
 * summed. A layout built in passes then reads one run instead of merging
 * many, and holds the grams' bytes once: the merged run is smaller than
 * the runs by the grams counted in several. MG_OK, or MG_ERR_NOMEM with
 * the runs as they were. */
int mg_gram_counts_compact(mg_gram_counts *counts);

/* A merge of the runs (mg_gram_merge_start on them, its arrays in the
 * scratch part): with the table empty,
 * as after mg_gram_counts_remap, every gram in id order. */
int mg_gram_counts_merge(const mg_gram_counts *counts, mg_gram_merge *merge);

#endif
