/*
 * test_gram_counts.c — unit tests of backends/common/gram_counts.h against
 * a reference (a sorted array of distinct grams with their counts), at
 * orders 1..5 and budgets of 1 KiB, 4 KiB (dozens of spills) and 1 MiB
 * (none): counts of present and absent grams after every add, the spills
 * exactly when the table is full, foreach and successors (each gram once
 * with its total; a nonzero visitor stops the walk), prune without
 * allocating and training after it, make_room then add, seal + remap + the
 * merge in new ids, bytes against mem.h, and refused spills and remaps.
 */
#include "support.h"

#include "backend.h"
#include "common/gram_counts.h"
#include "mem.h"

/* The tags (mem.h) the tests' counts are counted against. */
enum { TABLE_PART = 1, RUNS_PART, SCRATCH_PART };
static const mg_gram_counts_parts PARTS = {TABLE_PART, RUNS_PART, SCRATCH_PART};

#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

/* ---- the reference --------------------------------------------------------- */

enum {
    ID_COUNT = 1 << 16, /* test ids are below it (the remap's size) */
    GRAMS = 1200,       /* distinct grams a test may add */
    ADDS = 6000,        /* adds of a test */
    FULL_CHECK_EVERY = 2000,
};

typedef struct reference {
    int order;
    uint32_t ids[GRAMS * MG_ORDER_MAX]; /* GRAMS distinct grams, sorted */
    uint64_t counts[GRAMS];             /* each one's count so far */
    uint32_t letters[4096];             /* the ids grams are made of */
    size_t letter_count;
    mgt_rng rng;
    bool split_seen; /* a gram was once counted in the table and in 2 runs or more */
} reference;

static uint64_t requested(void)
{
    mg_mem_counters counters;
    mg_mem_read(&counters);
    return counters.bytes_requested;
}

static uint64_t allocations(void)
{
    mg_mem_counters counters;
    mg_mem_read(&counters);
    return counters.allocations_total;
}

static int ids_compare(const uint32_t *a, const uint32_t *b, int length)
{
    for (int k = 0; k < length; k++)
        if (a[k] != b[k])
            return a[k] < b[k] ? -1 : 1;
    return 0;
}

static int order_of_sort; /* qsort's comparator has no argument */

static int gram_compare(const void *a, const void *b) { return ids_compare(a, b, order_of_sort); }

static const uint32_t *gram_of(const reference *ref, size_t index)
{
    return ref->ids + index * (size_t)ref->order;
}

/* The gram's index in the reference, or GRAMS when it is not one of them. */
static size_t index_of(const reference *ref, const uint32_t *ids)
{
    size_t low = 0, high = GRAMS;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int compare = ids_compare(gram_of(ref, middle), ids, ref->order);
        if (compare == 0)
            return middle;
        if (compare < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return GRAMS;
}

static void random_tuple(reference *ref, uint32_t *ids)
{
    for (int k = 0; k < ref->order; k++)
        ids[k] = ref->letters[mgt_rng_below(&ref->rng, ref->letter_count)];
}

/* GRAMS distinct grams over an alphabet small enough that contexts share
 * successors, of ids spread over [0, ID_COUNT). */
static void reference_make(reference *ref, int order, uint64_t seed)
{
    static const size_t letters_of_order[] = {0, 4096, 256, 32, 12, 8};
    memset(ref, 0, sizeof *ref);
    ref->order = order;
    ref->rng = mgt_rng_make(seed);
    ref->letter_count = letters_of_order[order];
    for (size_t l = 0; l < ref->letter_count; l++) {
        uint32_t id;
        bool fresh;
        do {
            id = (uint32_t)mgt_rng_below(&ref->rng, ID_COUNT);
            fresh = true;
            for (size_t m = 0; m < l && fresh; m++)
                fresh = ref->letters[m] != id;
        } while (!fresh);
        ref->letters[l] = id;
    }
    for (size_t made = 0; made < GRAMS;) {
        uint32_t *ids = ref->ids + made * (size_t)order;
        random_tuple(ref, ids);
        bool fresh = true;
        for (size_t m = 0; m < made && fresh; m++)
            fresh = ids_compare(gram_of(ref, m), ids, order) != 0;
        made += fresh;
    }
    order_of_sort = order;
    qsort(ref->ids, GRAMS, (size_t)order * sizeof(uint32_t), gram_compare);
}

/* A gram to add: a tenth of them are hot (added often, so they land in
 * several runs and in the table). */
static size_t draw_gram(reference *ref)
{
    return mgt_rng_below(&ref->rng, 2) ? mgt_rng_below(&ref->rng, GRAMS / 10) : mgt_rng_below(&ref->rng, GRAMS);
}

/* A tuple of the alphabet that is none of the reference's grams. */
static void absent_tuple(reference *ref, uint32_t *ids)
{
    do
        random_tuple(ref, ids);
    while (index_of(ref, ids) < GRAMS);
}

/* ---- checks ---------------------------------------------------------------- */

static void check_counts(const mg_gram_counts *counts, reference *ref)
{
    for (size_t g = 0; g < GRAMS; g++)
        cr_assert_eq(mg_gram_counts_count(counts, gram_of(ref, g)), ref->counts[g], "gram %zu", g);
    uint32_t ids[MG_ORDER_MAX];
    for (int i = 0; i < 50; i++) {
        absent_tuple(ref, ids);
        cr_assert_eq(mg_gram_counts_count(counts, ids), 0);
    }
}

typedef struct walk {
    const reference *ref;
    const uint32_t *context; /* NULL: every gram */
    uint8_t seen[GRAMS];
    size_t visits;
    size_t stop_at; /* the visit that returns STOP (0: none) */
} walk;

enum { STOP = 7 };

static int visit_checked(void *arg, const uint32_t *ids, uint64_t count)
{
    walk *w = arg;
    size_t g = index_of(w->ref, ids);
    cr_assert_lt(g, GRAMS, "a gram never added");
    cr_assert_not(w->seen[g], "gram %zu visited twice", g);
    w->seen[g] = 1;
    cr_assert_eq(count, w->ref->counts[g], "gram %zu", g);
    if (w->context)
        cr_assert_eq(ids_compare(ids, w->context, w->ref->order - 1), 0, "gram %zu outside its context", g);
    return ++w->visits == w->stop_at ? STOP : 0;
}

static bool in_walk(const walk *w, size_t g)
{
    return w->ref->counts[g] && (!w->context || ids_compare(gram_of(w->ref, g), w->context, w->ref->order - 1) == 0);
}

/* Every gram the walk should visit was visited (each once: visit_checked). */
static void check_walk_complete(const walk *w)
{
    for (size_t g = 0; g < GRAMS; g++)
        cr_assert_eq(w->seen[g], in_walk(w, g), "gram %zu", g);
}

static size_t grams_in_walk(const walk *w)
{
    size_t grams = 0;
    for (size_t g = 0; g < GRAMS; g++)
        grams += in_walk(w, g);
    return grams;
}

static void check_foreach(const mg_gram_counts *counts, const reference *ref)
{
    walk *w = calloc(1, sizeof *w);
    cr_assert_not_null(w);
    w->ref = ref;
    cr_assert_eq(mg_gram_counts_foreach(counts, visit_checked, w), 0);
    check_walk_complete(w);
    size_t grams = w->visits;
    for (size_t stop_at = 1; stop_at <= grams; stop_at += grams / 2 + 1) {
        memset(w->seen, 0, sizeof w->seen);
        w->visits = 0;
        w->stop_at = stop_at;
        cr_assert_eq(mg_gram_counts_foreach(counts, visit_checked, w), STOP);
        cr_assert_eq(w->visits, stop_at);
    }
    free(w);
}

static void check_successors_of(const mg_gram_counts *counts, const reference *ref, const uint32_t *context)
{
    walk *w = calloc(1, sizeof *w);
    cr_assert_not_null(w);
    w->ref = ref;
    w->context = context;
    cr_assert_eq(mg_gram_counts_successors(counts, context, visit_checked, w), 0);
    check_walk_complete(w);
    size_t grams = grams_in_walk(w);
    if (grams) {
        memset(w->seen, 0, sizeof w->seen);
        w->visits = 0;
        w->stop_at = (grams + 1) / 2;
        cr_assert_eq(mg_gram_counts_successors(counts, context, visit_checked, w), STOP);
        cr_assert_eq(w->visits, w->stop_at);
    }
    free(w);
}

/* The contexts of random grams (added or not) and contexts of no gram
 * (at order 1 one context, the empty one, so two walks of it). */
static void check_successors(const mg_gram_counts *counts, reference *ref)
{
    uint32_t context[MG_ORDER_MAX];
    int walks = ref->order == 1 ? 1 : 20;
    for (int i = 0; i < walks; i++)
        check_successors_of(counts, ref, gram_of(ref, draw_gram(ref)));
    for (int i = 0; i < (walks + 3) / 4; i++) {
        random_tuple(ref, context);
        context[0] = ID_COUNT + (uint32_t)i; /* no letter: no gram (order 1: the empty context) */
        check_successors_of(counts, ref, context);
    }
}

static void check_bytes(const mg_gram_counts *counts, uint64_t start)
{
    cr_assert_eq(mg_gram_counts_bytes(counts), requested() - start);
}

static void check_all(const mg_gram_counts *counts, reference *ref, uint64_t start)
{
    check_counts(counts, ref);
    check_foreach(counts, ref);
    check_successors(counts, ref);
    check_bytes(counts, start);
}

/* ---- training --------------------------------------------------------------- */

/* One add of gram g, checked: a spill exactly when the table is at its
 * bound and g is new to it; g's count, a random gram's and an absent one's. */
static void add_checked(mg_gram_counts *counts, reference *ref, size_t g)
{
    const uint32_t *ids = gram_of(ref, g);
    bool spills = mg_gram_hash_at_bound(&counts->table) && mg_gram_hash_count(&counts->table, ids) == 0;
    size_t runs = counts->run_count;
    cr_assert_eq(mg_gram_counts_add(counts, ids), MG_OK);
    ref->counts[g]++;
    cr_assert_eq(counts->run_count, runs + spills, "a spill %s", spills ? "missing" : "unexpected");
    cr_assert_eq(mg_gram_counts_count(counts, ids), ref->counts[g]);
    size_t other = mgt_rng_below(&ref->rng, GRAMS);
    cr_assert_eq(mg_gram_counts_count(counts, gram_of(ref, other)), ref->counts[other]);
    uint32_t absent[MG_ORDER_MAX];
    absent_tuple(ref, absent);
    cr_assert_eq(mg_gram_counts_count(counts, absent), 0);
}

/* Whether the gram is counted in the table and in two runs or more. */
static bool split_gram(const mg_gram_counts *counts, const uint32_t *ids)
{
    size_t runs = 0;
    for (size_t r = 0; r < counts->run_count; r++)
        runs += mg_gram_run_count(&counts->runs[r], ids) > 0;
    return runs >= 2 && mg_gram_hash_count(&counts->table, ids);
}

static void train(mg_gram_counts *counts, reference *ref, size_t adds, uint64_t start)
{
    for (size_t a = 1; a <= adds; a++) {
        size_t g = draw_gram(ref);
        add_checked(counts, ref, g);
        ref->split_seen |= split_gram(counts, gram_of(ref, g));
        if (a % FULL_CHECK_EVERY == 0)
            check_all(counts, ref, start);
    }
}

enum { BUDGET_LARGE = 1 << 20 };

/* A test's reference and counts, whose bytes are counted from start. */
typedef struct fixture {
    reference *ref;
    mg_gram_counts counts;
    uint64_t start;
} fixture;

static void fixture_open(fixture *f, int order, size_t budget, uint64_t seed)
{
    f->ref = malloc(sizeof *f->ref);
    cr_assert_not_null(f->ref);
    reference_make(f->ref, order, seed + (uint64_t)order * 7 + budget);
    f->start = requested();
    cr_assert_eq(mg_gram_counts_init(&f->counts, &PARTS, order, budget), MG_OK);
}

/* Frees the counts: every byte they took comes back. */
static void fixture_close(fixture *f)
{
    mg_gram_counts_free(&f->counts);
    cr_assert_eq(requested(), f->start);
    free(f->ref);
}

/* budget_later: the counts start unbounded and get their budget from
 * mg_gram_counts_set_budget before the first add. */
static void check_training_at(int order, size_t budget, bool budget_later)
{
    fixture f;
    fixture_open(&f, order, budget_later ? BUDGET_LARGE : budget, 1000);
    reference *ref = f.ref;
    mg_gram_counts *counts = &f.counts;
    uint64_t start = f.start;
    if (budget_later)
        mg_gram_counts_set_budget(counts, budget);
    check_all(counts, ref, start);
    train(counts, ref, ADDS, start);
    check_all(counts, ref, start);
    if (budget == BUDGET_LARGE) {
        cr_assert_eq(counts->run_count, 0, "a table within its budget never spills");
    } else {
        cr_assert_geq(counts->run_count, 5, "only %zu spills", counts->run_count);
        cr_assert(ref->split_seen, "no gram was in the table and in runs at once");
    }
    fixture_close(&f);
}

static void check_training(int order, size_t budget) { check_training_at(order, budget, false); }

Test(gram_counts, training_1k_order_1) { check_training(1, 1024); }
Test(gram_counts, training_1k_order_2) { check_training(2, 1024); }
Test(gram_counts, training_1k_order_3) { check_training(3, 1024); }
Test(gram_counts, training_1k_order_4) { check_training(4, 1024); }
Test(gram_counts, training_1k_order_5) { check_training(5, 1024); }
Test(gram_counts, training_4k_order_1) { check_training(1, 4096); }
Test(gram_counts, training_4k_order_3) { check_training(3, 4096); }
Test(gram_counts, training_4k_order_5) { check_training(5, 4096); }
Test(gram_counts, training_unspilled_order_1) { check_training(1, BUDGET_LARGE); }
Test(gram_counts, training_unspilled_order_3) { check_training(3, BUDGET_LARGE); }
Test(gram_counts, training_unspilled_order_5) { check_training(5, BUDGET_LARGE); }
Test(gram_counts, training_budget_set_later_order_2) { check_training_at(2, 1024, true); }

/* ---- prune ----------------------------------------------------------------- */

static void check_prune_at(mg_gram_counts *counts, reference *ref, uint64_t min_count, uint64_t start)
{
    uint64_t below = 0;
    for (size_t g = 0; g < GRAMS; g++)
        below += ref->counts[g] && ref->counts[g] < min_count;
    cr_assert_gt(below, 0, "the test prunes something");
    uint64_t bytes = requested(), made = allocations();
    cr_assert_eq(mg_gram_counts_prune(counts, min_count), below);
    cr_assert_eq(requested(), bytes, "no allocation");
    cr_assert_eq(allocations(), made, "no allocation");
    for (size_t g = 0; g < GRAMS; g++)
        ref->counts[g] = ref->counts[g] < min_count ? 0 : ref->counts[g];
    check_all(counts, ref, start);
    cr_assert_eq(mg_gram_counts_prune(counts, min_count), 0, "nothing left to drop");
    train(counts, ref, ADDS / 4, start);
    check_all(counts, ref, start);
}

static void check_prune(int order, size_t budget)
{
    fixture f;
    fixture_open(&f, order, budget, 2000);
    reference *ref = f.ref;
    mg_gram_counts *counts = &f.counts;
    uint64_t start = f.start;
    train(counts, ref, ADDS / 2, start);
    check_prune_at(counts, ref, 2, start);
    check_prune_at(counts, ref, 3, start);
    fixture_close(&f);
}

Test(gram_counts, prune_1k_order_1) { check_prune(1, 1024); }
Test(gram_counts, prune_1k_order_2) { check_prune(2, 1024); }
Test(gram_counts, prune_1k_order_3) { check_prune(3, 1024); }
Test(gram_counts, prune_4k_order_4) { check_prune(4, 4096); }
Test(gram_counts, prune_4k_order_5) { check_prune(5, 4096); }
Test(gram_counts, prune_unspilled_order_3) { check_prune(3, BUDGET_LARGE); }

/* ---- make_room ---------------------------------------------------------------- */

static void check_make_room(int order, size_t budget)
{
    fixture f;
    fixture_open(&f, order, budget, 3000);
    reference *ref = f.ref;
    mg_gram_counts *counts = &f.counts;
    uint64_t start = f.start;
    for (size_t a = 0; a < ADDS; a++) {
        size_t g = draw_gram(ref);
        cr_assert_eq(mg_gram_counts_make_room(counts), MG_OK);
        size_t runs = counts->run_count;
        uint32_t capacity = counts->table.capacity;
        uint64_t made = allocations();
        cr_assert_eq(mg_gram_counts_add(counts, gram_of(ref, g)), MG_OK);
        ref->counts[g]++;
        cr_assert_eq(counts->run_count, runs, "add spilled after make_room");
        cr_assert_eq(counts->table.capacity, capacity, "add grew the table after make_room");
        cr_assert_eq(allocations(), made, "add allocated after make_room");
    }
    if (budget != BUDGET_LARGE)
        cr_assert_geq(counts->run_count, 10, "make_room spills");
    check_all(counts, ref, start);
    fixture_close(&f);
}

Test(gram_counts, make_room_1k_order_2) { check_make_room(2, 1024); }
Test(gram_counts, make_room_4k_order_3) { check_make_room(3, 4096); }
Test(gram_counts, make_room_unspilled_order_4) { check_make_room(4, BUDGET_LARGE); }

/* ---- seal, remap, merge ----------------------------------------------------------- */

static uint32_t *random_permutation(uint64_t seed)
{
    uint32_t *remap = malloc(ID_COUNT * sizeof *remap);
    cr_assert_not_null(remap);
    for (uint32_t id = 0; id < ID_COUNT; id++)
        remap[id] = id;
    mgt_rng rng = mgt_rng_make(seed);
    for (uint32_t id = ID_COUNT - 1; id > 0; id--) {
        uint32_t other = (uint32_t)mgt_rng_below(&rng, (uint64_t)id + 1);
        uint32_t held = remap[id];
        remap[id] = remap[other];
        remap[other] = held;
    }
    return remap;
}

/* The reference's grams with a count, in new ids, sorted: records of
 * order + 1 words (ids, then the count). Returns how many. */
static size_t remapped_records(const reference *ref, const uint32_t *remap, uint32_t *records)
{
    size_t words = (size_t)ref->order + 1, count = 0;
    for (size_t g = 0; g < GRAMS; g++) {
        if (!ref->counts[g])
            continue;
        uint32_t *record = records + count++ * words;
        for (int k = 0; k < ref->order; k++)
            record[k] = remap[gram_of(ref, g)[k]];
        record[ref->order] = (uint32_t)ref->counts[g];
    }
    order_of_sort = ref->order;
    qsort(records, count, words * sizeof *records, gram_compare);
    return count;
}

static void check_merge(const mg_gram_counts *counts, const reference *ref, const uint32_t *remap)
{
    size_t words = (size_t)ref->order + 1;
    uint32_t *expected = malloc(GRAMS * words * sizeof *expected);
    cr_assert_not_null(expected);
    size_t count = remapped_records(ref, remap, expected);
    mg_gram_merge merge;
    cr_assert_eq(mg_gram_counts_merge(counts, &merge), MG_OK);
    size_t read = 0;
    while (mg_gram_merge_next(&merge)) {
        cr_assert_lt(read, count, "more grams than were added");
        const uint32_t *record = expected + read * words;
        cr_assert_eq(ids_compare(merge.ids, record, ref->order), 0, "gram %zu out of order or unknown", read);
        cr_assert_eq(merge.count, record[ref->order], "gram %zu", read);
        read++;
    }
    cr_assert_eq(read, count);
    mg_gram_merge_free(&merge);
    free(expected);
}

static void check_finalize(int order, size_t budget)
{
    fixture f;
    fixture_open(&f, order, budget, 4000);
    reference *ref = f.ref;
    mg_gram_counts *counts = &f.counts;
    uint64_t start = f.start;
    train(counts, ref, ADDS, start);
    size_t runs = counts->run_count;
    cr_assert_eq(mg_gram_counts_seal(counts), MG_OK);
    cr_assert_null(counts->table.slots, "the seal frees the table");
    cr_assert_eq(counts->run_count, runs + 1, "the table spilled as a last run");
    check_all(counts, ref, start);
    uint32_t *remap = random_permutation(5000 + (uint64_t)order);
    cr_assert_eq(mg_gram_counts_remap(counts, remap), MG_OK);
    check_bytes(counts, start);
    check_merge(counts, ref, remap);
    /* compacted: one run, the same grams and counts, no larger */
    size_t before = mg_gram_counts_bytes(counts);
    cr_assert_eq(mg_gram_counts_compact(counts), MG_OK);
    cr_assert_eq(counts->run_count, 1);
    cr_assert_leq(mg_gram_counts_bytes(counts), before);
    check_bytes(counts, start);
    check_merge(counts, ref, remap);
    fixture_close(&f);
    free(remap);
}

/* A compaction refused at every limit below what it needs leaves the runs as they were. */
Test(gram_counts, compact_refused_keeps_the_runs)
{
    fixture f;
    fixture_open(&f, 3, 1024, 4100);
    train(&f.counts, f.ref, ADDS, f.start);
    cr_assert_eq(mg_gram_counts_seal(&f.counts), MG_OK);
    size_t runs = f.counts.run_count;
    cr_assert_gt(runs, 1);
    uint64_t step = 0;
    for (;; step = step ? 2 * step : 64) {
        mg_mem_set_limit(requested() + step + 1);
        int status = mg_gram_counts_compact(&f.counts);
        mg_mem_set_limit(0);
        if (status == MG_OK)
            break;
        cr_assert_eq(f.counts.run_count, runs, "a refused compaction changed the runs");
        check_counts(&f.counts, f.ref);
    }
    cr_assert_gt(step, 0, "no limit refused the compaction");
    cr_assert_eq(f.counts.run_count, 1);
    check_all(&f.counts, f.ref, f.start);
    fixture_close(&f);
}

Test(gram_counts, finalize_1k_order_1) { check_finalize(1, 1024); }
Test(gram_counts, finalize_1k_order_2) { check_finalize(2, 1024); }
Test(gram_counts, finalize_1k_order_3) { check_finalize(3, 1024); }
Test(gram_counts, finalize_4k_order_4) { check_finalize(4, 4096); }
Test(gram_counts, finalize_4k_order_5) { check_finalize(5, 4096); }
Test(gram_counts, finalize_unspilled_order_3) { check_finalize(3, BUDGET_LARGE); }

/* ---- refused allocations --------------------------------------------------------- */

/* At each of the first spills, the spill is refused at several limits
 * (the run array's growth, then the run's blocks): add fails, nothing
 * changes; then the limit is lifted and the same add goes in. */
static void check_refused_spills(int order, size_t budget)
{
    fixture f;
    fixture_open(&f, order, budget, 6000);
    reference *ref = f.ref;
    mg_gram_counts *counts = &f.counts;
    uint64_t start = f.start;
    size_t refusals = 0;
    while (counts->run_count < 8) {
        size_t g = draw_gram(ref);
        const uint32_t *ids = gram_of(ref, g);
        if (mg_gram_hash_at_bound(&counts->table) && mg_gram_hash_count(&counts->table, ids) == 0) {
            static const uint64_t extras[] = {0, 16, 64, 256};
            for (size_t e = 0; e < sizeof extras / sizeof *extras; e++) {
                size_t runs = counts->run_count;
                uint64_t bytes = requested();
                mg_mem_set_limit(bytes + extras[e]);
                int status = mg_gram_counts_add(counts, ids);
                mg_mem_set_limit(0);
                cr_assert_eq(status, MG_ERR_NOMEM, "a spill under a limit of %llu more bytes",
                             (unsigned long long)extras[e]);
                refusals++;
                cr_assert_eq(counts->run_count, runs);
                check_counts(counts, ref);
                check_foreach(counts, ref);
                check_bytes(counts, start);
            }
        }
        add_checked(counts, ref, g);
    }
    cr_assert_eq(refusals, 8 * 4);
    check_all(counts, ref, start);
    fixture_close(&f);
}

Test(gram_counts, refused_spill_order_1) { check_refused_spills(1, 1024); }
Test(gram_counts, refused_spill_order_3) { check_refused_spills(3, 1024); }
Test(gram_counts, refused_spill_order_5) { check_refused_spills(5, 4096); }

/* Counts trained and sealed, always the same for one reference seed. */
static void sealed_counts(mg_gram_counts *counts, reference *ref, int order, size_t budget)
{
    reference_make(ref, order, 7000 + (uint64_t)order);
    cr_assert_eq(mg_gram_counts_init(counts, &PARTS, order, budget), MG_OK);
    for (size_t a = 0; a < ADDS / 2; a++) {
        size_t g = draw_gram(ref);
        cr_assert_eq(mg_gram_counts_add(counts, gram_of(ref, g)), MG_OK);
        ref->counts[g]++;
    }
    cr_assert_eq(mg_gram_counts_seal(counts), MG_OK);
}

/* Remaps under limits rising from none to enough, 16 bytes a step: each
 * refused remap's counts give back every byte when freed; some refusals
 * come after the scratch block was taken (a run's new blocks refused). */
static void check_refused_remap(int order, size_t budget)
{
    reference *ref = malloc(sizeof *ref);
    cr_assert_not_null(ref);
    uint32_t *remap = random_permutation(8000 + (uint64_t)order);
    uint64_t start = requested();
    size_t refusals = 0, refusals_past_scratch = 0;
    for (uint64_t extra = 0;; extra += 16) {
        mg_gram_counts counts;
        sealed_counts(&counts, ref, order, budget);
        uint64_t largest = 0;
        for (size_t r = 0; r < counts.run_count; r++)
            largest = counts.runs[r].records > largest ? counts.runs[r].records : largest;
        uint64_t scratch_bytes = largest * ((uint64_t)order + 1) * sizeof(uint32_t);
        mg_mem_set_limit(requested() + extra);
        int status = mg_gram_counts_remap(&counts, remap);
        mg_mem_set_limit(0);
        if (status == MG_OK) {
            check_merge(&counts, ref, remap);
            mg_gram_counts_free(&counts);
            cr_assert_eq(requested(), start);
            break;
        }
        cr_assert_eq(status, MG_ERR_NOMEM);
        refusals++;
        refusals_past_scratch += extra >= scratch_bytes;
        mg_gram_counts_free(&counts);
        cr_assert_eq(requested(), start, "a refused remap's counts hold bytes after free");
    }
    cr_assert_gt(refusals, 0);
    cr_assert_gt(refusals_past_scratch, 0);
    free(remap);
    free(ref);
}

Test(gram_counts, refused_remap_order_2) { check_refused_remap(2, 1024); }
Test(gram_counts, refused_remap_order_4) { check_refused_remap(4, 4096); }
