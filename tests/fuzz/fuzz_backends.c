/*
 * fuzz_backends.c — libFuzzer target: every registered backend (mg_backends)
 * trained on the fuzz input as a corpus, checked against the grams the
 * reader gives (counted here) and against each other.
 *
 * The first byte picks the order (1 + byte % 5), the prune threshold
 * (1 + byte / 5 % 4), whether prune comes before finalize (byte / 20 % 2)
 * and a memory budget for create and training (byte / 40: none for 0 to 2;
 * 4, 16 or 64 bytes per corpus byte for 3 to 5; 6, a few bytes in all);
 * the rest is the corpus. For each backend: create and train under the
 * budget (the first refused create or add is made again without it: a
 * refused add leaves the table as it was), then finalize and prune in one
 * order or the other, and
 *  - foreach visits exactly the counted grams with their counts, and the
 *    dump (harness/measure/dump.c) is byte-equal to the first backend's;
 *  - count() of every gram is its count, and of near misses (a word cut by
 *    a byte or grown by one, the gram reversed) what the counted grams say,
 *    also before finalize;
 *  - successors() of every context visits exactly its grams;
 *  - sizes() gives the distinct grams and contexts;
 *  - prune(threshold) drops the grams below it and keeps the others with
 *    their counts (a second prune drops none), and the same checks hold
 *    after it;
 *  - destroy gives back every byte requested through mem.h.
 * A word over the reader's limit ends training early, the same for all.
 */
#include "fuzz_support.h"
#include "token_order.h"

#include "backend.h"
#include "dump.h"
#include "mem.h"
#include "tokenize.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- grams as counted here --------------------------------------------------- */

/* A gram; words point into the owning list's bytes. */
typedef struct counted_gram {
    mg_token tokens[MG_ORDER_MAX];
    uint64_t count;
} counted_gram;

typedef struct gram_list {
    int order;
    counted_gram *grams;
    size_t count, capacity;
    unsigned char *bytes; /* the words' bytes, copied */
    size_t used, room;
} gram_list;

/* qsort cannot take the order: unused positions hold start markers, so whole arrays compare. */
static int gram_compare(const void *left, const void *right)
{
    const counted_gram *a = left, *b = right;
    return mgt_tokens_compare(a->tokens, b->tokens, MG_ORDER_MAX);
}

/* Word offsets while the bytes may move; pointers once the list is complete. */
static void list_add(gram_list *list, const mg_token *gram, uint64_t count)
{
    if (list->count == list->capacity) {
        list->capacity = list->capacity ? 2 * list->capacity : 256;
        list->grams = realloc(list->grams, list->capacity * sizeof *list->grams);
        FUZZ_CHECK(list->grams, "out of memory");
    }
    counted_gram *entry = &list->grams[list->count++];
    entry->count = count;
    for (int position = 0; position < MG_ORDER_MAX; position++) {
        mg_token token = position < list->order ? gram[position] : (mg_token){NULL, MG_MARK_START};
        if (token.bytes) {
            while (list->room - list->used < token.len) {
                list->room = list->room ? 2 * list->room : 4096;
                list->bytes = realloc(list->bytes, list->room);
                FUZZ_CHECK(list->bytes, "out of memory");
            }
            memcpy(list->bytes + list->used, token.bytes, token.len);
            token.bytes = (const unsigned char *)(uintptr_t)(list->used + 1); /* offset + 1: never NULL */
            list->used += token.len;
        }
        entry->tokens[position] = token;
    }
}

/* Offsets to pointers, sorted, equal grams merged (their counts added). */
static void list_finish(gram_list *list)
{
    for (size_t index = 0; index < list->count; index++)
        for (int position = 0; position < MG_ORDER_MAX; position++) {
            mg_token *token = &list->grams[index].tokens[position];
            if (token->bytes)
                token->bytes = list->bytes + ((uintptr_t)token->bytes - 1);
        }
    if (list->count)
        qsort(list->grams, list->count, sizeof *list->grams, gram_compare);
    size_t distinct = 0;
    for (size_t index = 0; index < list->count; index++) {
        if (distinct && gram_compare(&list->grams[distinct - 1], &list->grams[index]) == 0)
            list->grams[distinct - 1].count += list->grams[index].count;
        else
            list->grams[distinct++] = list->grams[index];
    }
    list->count = distinct;
}

static void list_free(gram_list *list)
{
    free(list->grams);
    free(list->bytes);
}

/* The count of gram (order tokens) in the list, 0 when absent. */
static uint64_t list_count(const gram_list *list, const mg_token *gram)
{
    counted_gram key;
    for (int position = 0; position < MG_ORDER_MAX; position++)
        key.tokens[position] = position < list->order ? gram[position] : (mg_token){NULL, MG_MARK_START};
    const counted_gram *found =
        list->count ? bsearch(&key, list->grams, list->count, sizeof key, gram_compare) : NULL;
    return found ? found->count : 0;
}

/* The grams the reader gives, counted (up to a word over the limit, where training stops too). */
static void count_corpus(const char *path, int order, gram_list *list)
{
    char error[256];
    mg_reader *reader = mg_reader_open(path, UINT64_MAX, order, error, sizeof error);
    FUZZ_CHECK(reader, "mg_reader_open: %s", error);
    const mg_token *gram;
    while (mg_reader_next(reader, &gram) == 1)
        list_add(list, gram, 1);
    mg_reader_close(reader);
    list_finish(list);
}

/* The grams of list with count >= min_count, kept in a new list. */
static void list_filtered(const gram_list *list, uint64_t min_count, gram_list *kept)
{
    *kept = (gram_list){.order = list->order};
    for (size_t index = 0; index < list->count; index++)
        if (list->grams[index].count >= min_count)
            list_add(kept, list->grams[index].tokens, list->grams[index].count);
    list_finish(kept);
}

/* ---- checks of one table ------------------------------------------------------ */

typedef struct table_case {
    mg_table *table;
    const char *stage;
} table_case;

static int collect_gram(void *arg, const mg_token *gram, uint64_t count)
{
    list_add(arg, gram, count);
    return 0;
}

static void expect_foreach(const table_case *tc, const gram_list *want)
{
    gram_list got = {.order = tc->table->order};
    FUZZ_CHECK(tc->table->ops->foreach(tc->table, collect_gram, &got) == 0, "%s, %s: foreach failed",
               tc->table->ops->name, tc->stage);
    size_t visited = got.count;
    list_finish(&got);
    FUZZ_CHECK(visited == got.count, "%s, %s: foreach visited a gram twice", tc->table->ops->name, tc->stage);
    FUZZ_CHECK(got.count == want->count, "%s, %s: foreach visited %zu grams, expected %zu", tc->table->ops->name,
               tc->stage, got.count, want->count);
    for (size_t index = 0; index < got.count; index++) {
        FUZZ_CHECK(gram_compare(&got.grams[index], &want->grams[index]) == 0,
                   "%s, %s: foreach's gram %zu is not the counted one", tc->table->ops->name, tc->stage, index);
        FUZZ_CHECK(got.grams[index].count == want->grams[index].count,
                   "%s, %s: foreach's gram %zu has count %" PRIu64 ", expected %" PRIu64, tc->table->ops->name,
                   tc->stage, index, got.grams[index].count, want->grams[index].count);
    }
    list_free(&got);
}

static void expect_count(const table_case *tc, const gram_list *want, const mg_token *gram, const char *kind)
{
    uint64_t got = tc->table->ops->count(tc->table, gram), expected = list_count(want, gram);
    FUZZ_CHECK(got == expected, "%s, %s: count() of %s is %" PRIu64 ", expected %" PRIu64, tc->table->ops->name,
               tc->stage, kind, got, expected);
}

/* count() of every gram, and of near misses around NEAR_MISS_GRAMS of them. */
#define NEAR_MISS_GRAMS 256
static void expect_counts(const table_case *tc, const gram_list *want)
{
    unsigned char *grown = malloc(MG_TOKEN_MAX + 1);
    FUZZ_CHECK(grown, "out of memory");
    size_t stride = want->count > NEAR_MISS_GRAMS ? want->count / NEAR_MISS_GRAMS : 1;
    for (size_t index = 0; index < want->count; index++) {
        const mg_token *gram = want->grams[index].tokens;
        expect_count(tc, want, gram, "a gram");
        if (index % stride)
            continue;
        mg_token query[MG_ORDER_MAX];
        for (int position = 0; position < tc->table->order; position++) {
            const mg_token *token = &gram[position];
            if (!token->bytes)
                continue;
            memcpy(query, gram, sizeof query);
            if (token->len > 1) {
                query[position].len = token->len - 1;
                expect_count(tc, want, query, "a gram with a word cut by a byte");
            }
            memcpy(grown, token->bytes, token->len);
            grown[token->len] = token->bytes[token->len - 1];
            query[position] = (mg_token){grown, token->len + 1};
            expect_count(tc, want, query, "a gram with a word grown by a byte");
        }
        for (int position = 0; position < tc->table->order; position++)
            query[position] = gram[tc->table->order - 1 - position];
        expect_count(tc, want, query, "a gram reversed");
    }
    free(grown);
}

typedef struct successor_walk {
    const gram_list *want;
    mg_token gram[MG_ORDER_MAX]; /* the context, then the visited token */
    size_t visits;
    bool wrong;
} successor_walk;

static int check_successor(void *arg, const mg_token *next, uint64_t count)
{
    successor_walk *walk = arg;
    walk->gram[walk->want->order - 1] = *next;
    walk->visits++;
    walk->wrong = walk->wrong || count == 0 || list_count(walk->want, walk->gram) != count;
    return 0;
}

/* successors() of each context visits its grams, each once with its count. */
static void expect_successors(const table_case *tc, const gram_list *want)
{
    int context_length = tc->table->order - 1;
    for (size_t first = 0, last; first < want->count; first = last) {
        const mg_token *context = want->grams[first].tokens;
        for (last = first + 1;
             last < want->count && mgt_tokens_compare(want->grams[last].tokens, context, context_length) == 0; last++)
            ;
        successor_walk walk = {.want = want};
        memcpy(walk.gram, context, sizeof walk.gram);
        FUZZ_CHECK(tc->table->ops->successors(tc->table, context, check_successor, &walk) == 0,
                   "%s, %s: successors failed", tc->table->ops->name, tc->stage);
        FUZZ_CHECK(!walk.wrong && walk.visits == last - first,
                   "%s, %s: successors of context %zu visited %zu tokens%s, expected %zu", tc->table->ops->name,
                   tc->stage, first, walk.visits, walk.wrong ? " (with a wrong count)" : "", last - first);
    }
}

static void expect_sizes(const table_case *tc, const gram_list *want)
{
    uint64_t contexts = 0;
    for (size_t index = 0; index < want->count; index++)
        contexts += index == 0 ||
                    mgt_tokens_compare(want->grams[index - 1].tokens, want->grams[index].tokens, tc->table->order - 1) != 0;
    uint64_t got_ngrams = UINT64_MAX, got_contexts = UINT64_MAX;
    tc->table->ops->sizes(tc->table, &got_ngrams, &got_contexts);
    FUZZ_CHECK(got_ngrams == want->count && got_contexts == contexts,
               "%s, %s: sizes() gives %" PRIu64 " grams and %" PRIu64 " contexts, expected %zu and %" PRIu64,
               tc->table->ops->name, tc->stage, got_ngrams, got_contexts, want->count, contexts);
}

/* The dump as text (malloc'd, *length bytes). */
static char *dump_text(const table_case *tc, size_t *length)
{
    char *text = NULL;
    FILE *out = open_memstream(&text, length);
    FUZZ_CHECK(out, "open_memstream failed");
    FUZZ_CHECK(mg_dump_table(tc->table, out) == 0, "%s, %s: mg_dump_table failed",
               tc->table->ops->name, tc->stage);
    FUZZ_CHECK(fclose(out) == 0, "writing the dump failed");
    return text;
}

static void expect_dump(const table_case *tc, char **first_dump, size_t *first_length, const char *first_name)
{
    size_t length;
    char *text = dump_text(tc, &length);
    if (!*first_dump) {
        *first_dump = text;
        *first_length = length;
        return;
    }
    FUZZ_CHECK(length == *first_length && memcmp(text, *first_dump, length) == 0,
               "%s, %s: the dump (%zu bytes) differs from %s's (%zu bytes)", tc->table->ops->name, tc->stage, length,
               first_name, *first_length);
    free(text);
}

static void expect_table(const table_case *tc, const gram_list *want)
{
    expect_foreach(tc, want);
    expect_counts(tc, want);
    expect_successors(tc, want);
    expect_sizes(tc, want);
}

/* ---- the target ---------------------------------------------------------------- */

/* What the first byte of an input picks. */
typedef struct plan {
    int order;
    uint64_t threshold; /* prune(threshold) */
    bool prune_first;   /* prune before finalize rather than after */
    uint64_t budget;    /* bytes create and training may request before one is refused; 0: no limit */
} plan;

static plan plan_of(uint8_t byte, size_t corpus_size)
{
    plan chosen = {1 + byte % MG_ORDER_MAX, 1 + (uint64_t)(byte / MG_ORDER_MAX % 4), byte / 20 % 2 == 1, 0};
    unsigned budget_choice = byte / 40;
    if (budget_choice >= 3 && budget_choice <= 5)
        chosen.budget = 1 + ((uint64_t)corpus_size << (2 * (budget_choice - 2)));
    else if (budget_choice == 6)
        chosen.budget = 1 + (uint64_t)(byte - 240) * 16;
    return chosen;
}

/* Requests beyond budget bytes more than are live now are refused (0: none). */
static void limit_to(uint64_t budget)
{
    mg_mem_counters now;
    mg_mem_read(&now);
    mg_mem_set_limit(budget ? now.bytes_requested + budget : 0);
}

/* A table trained on the corpus at path under plan's budget: the first
 * refused create or add lifts the budget and is made again. */
static mg_table *train_within(const mg_backend *backend, const char *path, const plan *plan)
{
    limit_to(plan->budget);
    bool limited = plan->budget != 0;
    mg_table *table = mg_table_create(backend, plan->order);
    if (!table && limited) {
        limit_to(0);
        limited = false;
        table = mg_table_create(backend, plan->order);
    }
    FUZZ_CHECK(table, "%s: create(%d) returned NULL", backend->name, plan->order);
    char error[256];
    mg_reader *reader = mg_reader_open(path, UINT64_MAX, plan->order, error, sizeof error);
    FUZZ_CHECK(reader, "mg_reader_open: %s", error);
    const mg_token *gram;
    int more;
    while ((more = mg_reader_next(reader, &gram)) == 1) {
        int status = table->ops->add(table, gram);
        if (status == MG_ERR_NOMEM && limited) {
            limit_to(0);
            limited = false;
            status = table->ops->add(table, gram);
        }
        FUZZ_CHECK(status == MG_OK, "%s: add returned %d%s", backend->name, status,
                   plan->budget ? " (after a refused add, with no limit)" : "");
    }
    limit_to(0);
    FUZZ_CHECK(more == 0 || more == MG_READ_ERROR, "%s: the reader returned %d (%s)", backend->name, more,
               mg_reader_error(reader));
    mg_reader_close(reader);
    return table;
}

typedef struct first_dumps {
    const char *name;
    char *finalized, *pruned;
    size_t finalized_length, pruned_length;
} first_dumps;

/* prune drops the grams below the threshold; a second prune drops none. */
static void expect_prune(const table_case *tc, uint64_t threshold, const gram_list *all, const gram_list *kept)
{
    uint64_t dropped = tc->table->ops->prune(tc->table, threshold);
    FUZZ_CHECK(dropped == all->count - kept->count, "%s, %s: prune(%" PRIu64 ") dropped %" PRIu64 ", expected %zu",
               tc->table->ops->name, tc->stage, threshold, dropped, all->count - kept->count);
    dropped = tc->table->ops->prune(tc->table, threshold);
    FUZZ_CHECK(dropped == 0, "%s, %s: prune(%" PRIu64 ") again dropped %" PRIu64, tc->table->ops->name, tc->stage,
               threshold, dropped);
}

static void expect_finalize(table_case *tc, const char *stage)
{
    int status = tc->table->ops->finalize(tc->table);
    FUZZ_CHECK(status == MG_OK, "%s, %s: finalize returned %d", tc->table->ops->name, tc->stage, status);
    tc->stage = stage;
}

static void fuzz_backend(const mg_backend *backend, const char *path, const plan *plan, const gram_list *all,
                         const gram_list *kept, first_dumps *dumps)
{
    mg_mem_counters before, after;
    mg_mem_read(&before);
    table_case tc = {train_within(backend, path, plan), "trained"};
    if (plan->prune_first) {
        expect_counts(&tc, all); /* count() is valid before finalize, foreach and sizes are not said to be */
        expect_prune(&tc, plan->threshold, all, kept);
        tc.stage = "pruned before finalize";
        expect_counts(&tc, kept);
        expect_finalize(&tc, "finalized after prune");
    } else {
        expect_finalize(&tc, "finalized");
        expect_table(&tc, all);
        expect_dump(&tc, &dumps->finalized, &dumps->finalized_length, dumps->name);
        expect_prune(&tc, plan->threshold, all, kept);
        tc.stage = "pruned after finalize";
    }
    expect_table(&tc, kept);
    expect_dump(&tc, &dumps->pruned, &dumps->pruned_length, dumps->name);

    tc.table->ops->destroy(tc.table);
    mg_mem_read(&after);
    FUZZ_CHECK(after.bytes_requested == before.bytes_requested && after.blocks_live == before.blocks_live,
               "%s: destroy left %" PRId64 " bytes in %" PRId64 " blocks requested", backend->name,
               (int64_t)(after.bytes_requested - before.bytes_requested),
               (int64_t)(after.blocks_live - before.blocks_live));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    plan plan = plan_of(data[0], size - 1);
    fuzz_file file;
    fuzz_file_open(&file, data + 1, size - 1);
    gram_list all = {.order = plan.order}, kept;
    count_corpus(file.path, plan.order, &all);
    list_filtered(&all, plan.threshold, &kept);
    first_dumps dumps = {0};
    for (const mg_backend *const *backend = mg_backends; *backend; backend++) {
        if (!dumps.name)
            dumps.name = (*backend)->name;
        fuzz_backend(*backend, file.path, &plan, &all, &kept, &dumps);
    }
    free(dumps.finalized);
    free(dumps.pruned);
    list_free(&all);
    list_free(&kept);
    fuzz_file_close(&file);
    return 0;
}
