/*
 * gram_counts.c — the compact backends' bounded training table and its
 * sorted runs (layout and the finalize step in gram_counts.h).
 *
 * The queries before finalize (foreach, successors, prune) allocate
 * nothing: they walk each run and look its grams up in the table and the
 * other runs (a run is searched through its samples), so they cost about
 * runs x grams lookups. They serve tests and small tables; finalize reads
 * the runs through a merge instead.
 */
#include "gram_counts.h"

#include "backend.h"
#include "common/elias_fano.h"
#include "common/grow.h"
#include "mem.h"

#include <assert.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------- */

static inline uint64_t saturated(uint64_t count)
{
    return count < UINT32_MAX ? count : UINT32_MAX;
}

static inline unsigned bits_to_hold(uint64_t value) /* at least 1 */
{
    return value ? 64u - (unsigned)__builtin_clzll(value) : 1u;
}

static inline size_t record_words(const mg_gram_counts *counts)
{
    return (size_t)counts->order + 1;
}

/* The table's count of ids (0 once the table is freed). */
static inline uint64_t table_count(const mg_gram_counts *counts, const uint32_t *ids)
{
    return counts->table.slots ? mg_gram_hash_count(&counts->table, ids) : 0;
}

/* The sum of runs [from, to)'s counts of ids. */
static uint64_t runs_count(const mg_gram_counts *counts, size_t from, size_t to, const uint32_t *ids)
{
    uint64_t total = 0;
    for (size_t r = from; r < to; r++)
        total += mg_gram_run_count(&counts->runs[r], ids);
    return total;
}

/* Whether a run before `run` holds ids. */
static bool in_earlier_run(const mg_gram_counts *counts, size_t run, const uint32_t *ids)
{
    for (size_t r = 0; r < run; r++)
        if (mg_gram_run_count(&counts->runs[r], ids))
            return true;
    return false;
}

/* ---- create -------------------------------------------------------------- */

const mg_backend_setting mg_gram_counts_budget_setting = {
    .name = "training-budget-kib",
    .summary = "KiB of the training table, spilled into sorted runs when full",
    .min = 1,
    .max = 1 << 20,
    .fallback = MG_GRAM_COUNTS_BUDGET_KIB,
};

void mg_gram_counts_set_budget(mg_gram_counts *counts, size_t budget_bytes)
{
    mg_gram_hash_bound(&counts->table, budget_bytes);
}

int mg_gram_counts_init(mg_gram_counts *counts, const mg_gram_counts_parts *parts, int order, size_t budget_bytes)
{
    memset(counts, 0, sizeof *counts);
    counts->runs_part = (uint8_t)parts->runs;
    counts->scratch_part = (uint8_t)parts->scratch;
    counts->order = order;
    if (mg_gram_hash_init(&counts->table, parts->table, order) != MG_OK)
        return MG_ERR_NOMEM;
    mg_gram_hash_bound(&counts->table, budget_bytes);
    return MG_OK;
}

size_t mg_gram_counts_bytes(const mg_gram_counts *counts)
{
    size_t bytes = mg_gram_hash_bytes(&counts->table) + counts->run_capacity * sizeof *counts->runs;
    for (size_t r = 0; r < counts->run_count; r++)
        bytes += mg_gram_run_bytes(&counts->runs[r]);
    return bytes;
}

uint64_t mg_gram_counts_count(const mg_gram_counts *counts, const uint32_t *ids)
{
    return saturated(table_count(counts, ids) + runs_count(counts, 0, counts->run_count, ids));
}

/* ---- spill --------------------------------------------------------------- */

/* Room in the run array for one more run. */
static int runs_reserve(mg_gram_counts *counts)
{
    if (counts->run_count < counts->run_capacity)
        return MG_OK;
    size_t capacity = counts->run_capacity ? 2 * counts->run_capacity : 4;
    mg_gram_run *runs =
        mg_realloc_in(counts->runs_part, counts->runs, counts->run_capacity * sizeof *runs, capacity * sizeof *runs);
    if (!runs)
        return MG_ERR_NOMEM;
    counts->runs = runs;
    counts->run_capacity = capacity;
    return MG_OK;
}

/* An upper bound of a record's code (gram_runs.h) for any previous record:
 * the k code (at most order bits), a gap of at most 2^id_bits in a gamma or
 * delta code (2 id_bits + 3), the raw ids, the count's code. A spill sizes
 * its run by it before it sorts the table (after the sort the table is
 * gone, so a refused run could not be undone), then gives the rest back. */
static uint64_t record_bits_bound(int order, unsigned id_bits, uint64_t count)
{
    return (uint64_t)order + 2u * id_bits + 3u + (uint64_t)(order - 1) * id_bits + 2u * (bits_to_hold(count) - 1u) +
           3u;
}

/* The run's code block cut to the bits it uses (a refusal keeps it whole). */
static void run_trim(mg_gram_run *run)
{
    size_t bytes = mg_bits_words(run->bit_length, 1) * sizeof *run->code;
    if (bytes >= run->code_bytes)
        return;
    uint64_t *code = mg_realloc_in(run->part, run->code, run->code_bytes, bytes);
    if (code) {
        run->code = code;
        run->code_bytes = bytes;
    }
}

/* Puts `count` sorted records into a run opened at `bound` bits, then
 * gives back the bits it did not use. */
static void run_fill(mg_gram_run *run, const uint32_t *records, uint64_t count, uint64_t bound)
{
    size_t words = (size_t)run->order + 1;
    for (uint64_t i = 0; i < count; i++)
        mg_gram_run_put(run, records + i * words, records[i * words + (size_t)run->order]);
    assert(run->bit_length <= bound);
    (void)bound;
    run_trim(run);
}

int mg_gram_counts_spill(mg_gram_counts *counts)
{
    mg_gram_hash *table = &counts->table;
    if (!table->slots || table->grams == 0)
        return MG_OK;
    if (runs_reserve(counts) != MG_OK)
        return MG_ERR_NOMEM;
    uint32_t largest = 0;
    for (uint32_t index = 0; index < table->capacity; index++) {
        const uint32_t *slot = mg_gram_hash_slot(table, index);
        for (int k = 0; slot[counts->order] && k < counts->order; k++)
            largest = slot[k] > largest ? slot[k] : largest;
    }
    unsigned id_bits = bits_to_hold(largest);
    uint64_t bound = 0;
    for (uint32_t index = 0; index < table->capacity; index++) {
        uint32_t count = mg_gram_hash_slot(table, index)[counts->order];
        if (count)
            bound += record_bits_bound(counts->order, id_bits, count);
    }
    mg_gram_run run;
    if (mg_gram_run_open(&run, counts->runs_part, counts->order, id_bits, table->grams, bound) != MG_OK)
        return MG_ERR_NOMEM;
    uint64_t grams = table->grams;
    run_fill(&run, mg_gram_hash_pack_sorted(table), grams, bound);
    mg_gram_hash_clear(table);
    counts->runs[counts->run_count++] = run;
    return MG_OK;
}

/* ---- add ----------------------------------------------------------------- */

int mg_gram_counts_make_room(mg_gram_counts *counts)
{
    if (mg_gram_hash_at_bound(&counts->table))
        return mg_gram_counts_spill(counts);
    return mg_gram_hash_make_room(&counts->table);
}

int mg_gram_counts_add(mg_gram_counts *counts, const uint32_t *ids)
{
    if (mg_gram_hash_at_bound(&counts->table) && mg_gram_hash_count(&counts->table, ids) == 0 &&
        mg_gram_counts_spill(counts) != MG_OK)
        return MG_ERR_NOMEM;
    return mg_gram_hash_add(&counts->table, ids);
}

int mg_gram_counts_add_many(mg_gram_counts *counts, const struct mg_interner *interner, struct mg_table *table,
                            mg_gram_add add, const struct mg_token *grams, size_t count, size_t *added)
{
    mg_gram_hash *hash = &counts->table;
    for (*added = 0; *added < count;) {
        size_t slice = count - *added;
        if (hash->capacity_max) { /* a slice adds at most one gram each: no spill within it */
            if (mg_gram_hash_at_bound(hash) && mg_gram_counts_spill(counts) != MG_OK)
                return MG_ERR_NOMEM;
            uint64_t room = mg_gram_hash_bound_grams(hash) - hash->grams;
            slice = slice < room ? slice : (size_t)room;
        }
        size_t done = 0;
        int status = mg_gram_hash_add_many(hash, interner, table, add, grams + *added * (size_t)counts->order, slice,
                                           &done);
        *added += done;
        if (status != MG_OK)
            return status;
    }
    return MG_OK;
}

/* ---- finalize: the runs in new ids ---------------------------------------- */

/* Run r decoded into scratch, given new ids, sorted, coded again. */
static int run_remap(mg_gram_counts *counts, size_t r, const uint32_t *remap, uint32_t *scratch)
{
    mg_gram_run *old = &counts->runs[r];
    size_t words = record_words(counts);
    mg_gram_run_decode(old, scratch);
    uint32_t largest = 0;
    for (uint64_t i = 0; i < old->records; i++)
        for (int k = 0; k < counts->order; k++) {
            uint32_t *id = &scratch[i * words + (size_t)k];
            *id = remap[*id];
            largest = *id > largest ? *id : largest;
        }
    mg_records_sort(scratch, old->records, words, counts->order);
    unsigned id_bits = bits_to_hold(largest);
    uint64_t bound = 0;
    for (uint64_t i = 0; i < old->records; i++)
        bound += record_bits_bound(counts->order, id_bits, scratch[i * words + (size_t)counts->order]);
    mg_gram_run fresh;
    if (mg_gram_run_open(&fresh, counts->runs_part, counts->order, id_bits, old->records, bound) != MG_OK)
        return MG_ERR_NOMEM;
    run_fill(&fresh, scratch, old->records, bound);
    mg_gram_run_free(old);
    *old = fresh;
    return MG_OK;
}

int mg_gram_counts_seal(mg_gram_counts *counts)
{
    if (mg_gram_counts_spill(counts) != MG_OK)
        return MG_ERR_NOMEM;
    mg_gram_hash_free(&counts->table);
    return MG_OK;
}

int mg_gram_counts_remap(mg_gram_counts *counts, const uint32_t *remap)
{
    uint64_t largest = 0;
    for (size_t r = 0; r < counts->run_count; r++)
        largest = counts->runs[r].records > largest ? counts->runs[r].records : largest;
    size_t scratch_bytes = (size_t)largest * record_words(counts) * sizeof(uint32_t);
    uint32_t *scratch = mg_calloc_returned_in(counts->scratch_part, scratch_bytes);
    if (!scratch && scratch_bytes)
        return MG_ERR_NOMEM;
    int status = MG_OK;
    for (size_t r = 0; status == MG_OK && r < counts->run_count; r++)
        status = run_remap(counts, r, remap, scratch);
    mg_free_in(counts->scratch_part, scratch, scratch_bytes);
    return status;
}

/* The bits and records of the merged runs as one run (a first pass). */
static int merged_size(const mg_gram_counts *counts, unsigned id_bits, uint64_t *records, uint64_t *bits)
{
    mg_gram_merge merge;
    if (mg_gram_merge_start(&merge, counts->scratch_part, counts->runs, counts->run_count) != MG_OK)
        return MG_ERR_NOMEM;
    uint32_t previous[MG_ORDER_MAX];
    *records = *bits = 0;
    while (mg_gram_merge_next(&merge)) {
        *bits += mg_gram_run_record_bits(*records ? previous : NULL, merge.ids, merge.count, counts->order, id_bits);
        memcpy(previous, merge.ids, (size_t)counts->order * sizeof *previous);
        ++*records;
    }
    mg_gram_merge_free(&merge);
    return MG_OK;
}

int mg_gram_counts_compact(mg_gram_counts *counts)
{
    if (counts->run_count < 2)
        return MG_OK;
    unsigned id_bits = 1;
    for (size_t r = 0; r < counts->run_count; r++)
        id_bits = counts->runs[r].id_bits > id_bits ? counts->runs[r].id_bits : id_bits;
    uint64_t records, bits;
    mg_gram_run merged;
    mg_gram_merge merge;
    if (merged_size(counts, id_bits, &records, &bits) != MG_OK ||
        mg_gram_run_open(&merged, counts->runs_part, counts->order, id_bits, records, bits) != MG_OK)
        return MG_ERR_NOMEM;
    if (mg_gram_merge_start(&merge, counts->scratch_part, counts->runs, counts->run_count) != MG_OK) {
        mg_gram_run_free(&merged);
        return MG_ERR_NOMEM;
    }
    while (mg_gram_merge_next(&merge))
        mg_gram_run_put(&merged, merge.ids, merge.count);
    mg_gram_merge_free(&merge);
    for (size_t r = 0; r < counts->run_count; r++)
        mg_gram_run_free(&counts->runs[r]);
    counts->runs[0] = merged;
    counts->run_count = 1;
    return MG_OK;
}

int mg_gram_counts_merge(const mg_gram_counts *counts, mg_gram_merge *merge)
{
    return mg_gram_merge_start(merge, counts->scratch_part, counts->runs, counts->run_count);
}

/* ---- walks --------------------------------------------------------------- */

/* Visits run r's grams that no earlier run holds, with their total count
 * (`prefix_len` > 0: only those starting with prefix, and none the table holds). */
static int run_visit(const mg_gram_counts *counts, size_t r, const uint32_t *prefix, int prefix_len,
                     mg_gram_ids_visit visit, void *arg)
{
    mg_gram_run_cursor cursor;
    if (prefix)
        mg_gram_run_cursor_seek(&cursor, &counts->runs[r], prefix, prefix_len);
    else
        mg_gram_run_cursor_start(&cursor, &counts->runs[r]);
    while (mg_gram_run_cursor_next(&cursor)) {
        if (prefix && memcmp(cursor.ids, prefix, (size_t)prefix_len * sizeof *prefix) != 0)
            break;
        if (in_earlier_run(counts, r, cursor.ids) || (prefix && table_count(counts, cursor.ids)))
            continue;
        uint64_t total = cursor.count + runs_count(counts, r + 1, counts->run_count, cursor.ids) +
                         (prefix ? 0 : table_count(counts, cursor.ids));
        int stop = visit(arg, cursor.ids, saturated(total));
        if (stop)
            return stop;
    }
    return 0;
}

/* Visits the table's grams (starting with prefix, when given) that no run
 * holds when `absent_only`, else every one with its total. */
static int table_visit(const mg_gram_counts *counts, const uint32_t *prefix, int prefix_len, bool absent_only,
                       mg_gram_ids_visit visit, void *arg)
{
    const mg_gram_hash *table = &counts->table;
    for (uint32_t index = 0; table->slots && index < table->capacity; index++) {
        const uint32_t *slot = mg_gram_hash_slot(table, index);
        if (slot[counts->order] == 0)
            continue;
        if (prefix && memcmp(slot, prefix, (size_t)prefix_len * sizeof *prefix) != 0)
            continue;
        uint64_t in_runs = runs_count(counts, 0, counts->run_count, slot);
        if (absent_only && in_runs)
            continue;
        int stop = visit(arg, slot, saturated(slot[counts->order] + in_runs));
        if (stop)
            return stop;
    }
    return 0;
}

int mg_gram_counts_foreach(const mg_gram_counts *counts, mg_gram_ids_visit visit, void *arg)
{
    for (size_t r = 0; r < counts->run_count; r++) {
        int stop = run_visit(counts, r, NULL, 0, visit, arg);
        if (stop)
            return stop;
    }
    return table_visit(counts, NULL, 0, true, visit, arg);
}

int mg_gram_counts_successors(const mg_gram_counts *counts, const uint32_t *context, mg_gram_ids_visit visit,
                              void *arg)
{
    int depth = counts->order - 1;
    int stop = table_visit(counts, context, depth, false, visit, arg);
    for (size_t r = 0; !stop && r < counts->run_count; r++)
        stop = run_visit(counts, r, context, depth, visit, arg);
    return stop;
}

/* ---- prune --------------------------------------------------------------- */

typedef struct prune_pass {
    const mg_gram_counts *counts;
    uint64_t min_count;
    uint64_t dropped;
    size_t run; /* the run being filtered */
} prune_pass;

static int count_dropped(void *arg, const uint32_t *ids, uint64_t count)
{
    (void)ids;
    prune_pass *pass = arg;
    pass->dropped += count < pass->min_count;
    return 0;
}

static bool keep_in_table(void *arg, const uint32_t *ids, uint64_t count)
{
    const prune_pass *pass = arg;
    return count + runs_count(pass->counts, 0, pass->counts->run_count, ids) >= pass->min_count;
}

static bool keep_in_run(void *arg, const uint32_t *ids, uint64_t count)
{
    const prune_pass *pass = arg;
    const mg_gram_counts *counts = pass->counts;
    uint64_t total = count + table_count(counts, ids) + runs_count(counts, 0, pass->run, ids) +
                     runs_count(counts, pass->run + 1, counts->run_count, ids);
    return total >= pass->min_count;
}

/* The table first: a gram it drops has a total below min_count, which the
 * runs' filters then see without its table count, still below. */
uint64_t mg_gram_counts_prune(mg_gram_counts *counts, uint64_t min_count)
{
    prune_pass pass = {counts, min_count, 0, 0};
    mg_gram_counts_foreach(counts, count_dropped, &pass);
    if (pass.dropped == 0)
        return 0;
    if (counts->table.slots)
        mg_gram_hash_filter(&counts->table, keep_in_table, &pass);
    for (pass.run = 0; pass.run < counts->run_count; pass.run++)
        mg_gram_run_filter(&counts->runs[pass.run], keep_in_run, &pass);
    return pass.dropped;
}

/* ---- free ---------------------------------------------------------------- */

void mg_gram_counts_free(mg_gram_counts *counts)
{
    mg_gram_hash_free(&counts->table);
    for (size_t r = 0; r < counts->run_count; r++)
        mg_gram_run_free(&counts->runs[r]);
    mg_free_in(counts->runs_part, counts->runs, counts->run_capacity * sizeof *counts->runs);
    counts->runs = NULL;
    counts->run_count = counts->run_capacity = 0;
}
