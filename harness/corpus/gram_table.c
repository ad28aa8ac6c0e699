/* gram_table.c — see gram_table.h. */
#include "gram_table.h"
#include "common/vocab.h"
#include "backend.h"
#include "corpus.h"
#include "message.h"
#include "tokenize.h"

#include <stdio.h>

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define EMPTY UINT32_MAX
#define INITIAL_CAPACITY ((uint64_t)1 << 12)

static size_t record_words(const mg_gram_table *table) { return (size_t)table->order + 1; }

static uint32_t *allocate_records(uint64_t capacity, size_t words)
{
    uint32_t *records = malloc(capacity * words * sizeof *records);
    if (records)
        for (uint64_t slot = 0; slot < capacity; slot++)
            records[slot * words] = EMPTY;
    return records;
}

int mg_gram_table_init(mg_gram_table *table, int order)
{
    table->order = order;
    table->capacity = INITIAL_CAPACITY;
    table->used = 0;
    table->records = allocate_records(table->capacity, record_words(table));
    return table->records ? 0 : -1;
}

void mg_gram_table_free(mg_gram_table *table)
{
    free(table->records);
    table->records = NULL;
    table->capacity = table->used = 0;
}

/* The record holding ids, or the free one where they belong. */
static uint32_t *find_slot(uint32_t *records, uint64_t capacity, size_t words, const uint32_t *ids)
{
    size_t key_bytes = (words - 1) * sizeof *ids;
    uint64_t slot = XXH3_64bits(ids, key_bytes) & (capacity - 1);
    for (;;) {
        uint32_t *record = records + slot * words;
        if (record[0] == EMPTY || memcmp(record, ids, key_bytes) == 0)
            return record;
        slot = (slot + 1) & (capacity - 1);
    }
}

static int grow(mg_gram_table *table)
{
    size_t words = record_words(table);
    uint64_t capacity = table->capacity * 2;
    uint32_t *records = allocate_records(capacity, words);
    if (!records)
        return -1;
    for (uint64_t slot = 0; slot < table->capacity; slot++) {
        const uint32_t *record = table->records + slot * words;
        if (record[0] != EMPTY)
            memcpy(find_slot(records, capacity, words, record), record, words * sizeof *record);
    }
    free(table->records);
    table->records = records;
    table->capacity = capacity;
    return 0;
}

int mg_gram_table_add(mg_gram_table *table, const uint32_t *ids)
{
    if ((table->used + 1) * 4 > table->capacity * 3 && grow(table) != 0)
        return -1;
    size_t words = record_words(table);
    uint32_t *record = find_slot(table->records, table->capacity, words, ids);
    if (record[0] == EMPTY) {
        memcpy(record, ids, (words - 1) * sizeof *ids);
        record[words - 1] = 0;
        table->used++;
    }
    if (record[words - 1] != UINT32_MAX) /* counts saturate */
        record[words - 1]++;
    return 0;
}

void mg_gram_table_compact(mg_gram_table *table)
{
    size_t words = record_words(table);
    uint64_t kept = 0;
    for (uint64_t slot = 0; slot < table->capacity; slot++) {
        const uint32_t *record = table->records + slot * words;
        if (record[0] != EMPTY)
            memmove(table->records + kept++ * words, record, words * sizeof *record);
    }
}

static int highest_order(unsigned order_mask)
{
    int order = MG_ORDER_MAX;
    while (order > 1 && !(order_mask & (1u << order)))
        order--;
    return order;
}

/* The reader's n-grams as ids into the tables; MG_OK, MG_ERR_NOMEM, or 1 on a read error. */
static int count_grams(mg_reader *reader, int window_order, unsigned order_mask, mg_gram_table tables[],
                       mg_interner *interner)
{
    uint32_t window[MG_ORDER_MAX];
    uint64_t sentences_seen = 0;
    const mg_token *gram;
    int status;
    while ((status = mg_reader_next(reader, &gram)) == 1) {
        if (mg_reader_stats_get(reader)->sentences != sentences_seen) {
            sentences_seen = mg_reader_stats_get(reader)->sentences;
            for (int position = 0; position < window_order; position++)
                window[position] = MG_VOCAB_START_ID;
        }
        memmove(window, window + 1, sizeof window[0] * (size_t)(window_order - 1));
        if (mg_interner_intern(interner, &gram[window_order - 1], &window[window_order - 1]) != MG_OK)
            return MG_ERR_NOMEM;
        for (int order = 1; order <= window_order; order++)
            if ((order_mask & (1u << order)) && mg_gram_table_add(&tables[order], window + window_order - order) != 0)
                return MG_ERR_NOMEM;
    }
    return status == MG_READ_NO_MEMORY ? MG_ERR_NOMEM : status < 0 ? 1 : MG_OK;
}

int mg_gram_count_corpus(const mg_corpus *corpus, unsigned order_mask, mg_gram_table tables[MG_GRAM_TABLES],
                         mg_interner **interner, mg_reader_stats *stats, char *error, size_t error_size)
{
    int window_order = highest_order(order_mask), status = MG_ERR_NOMEM;
    for (int order = 0; order <= MG_ORDER_MAX; order++)
        tables[order] = (mg_gram_table){.order = order};
    mg_reader *reader = mg_reader_open(corpus->path, corpus->byte_limit, window_order, error, error_size);
    if (!reader)
        return -1;
    *interner = mg_interner_create(MG_PART_OTHER); /* the harness's own: untagged */
    int made = *interner != NULL;
    for (int order = 1; order <= window_order; order++)
        if (order_mask & (1u << order))
            made = made && mg_gram_table_init(&tables[order], order) == 0;
    if (made)
        status = count_grams(reader, window_order, order_mask, tables, *interner);
    if (status == 1)
        snprintf(error, error_size, "%s", mg_reader_error(reader));
    else if (status != MG_OK)
        snprintf(error, error_size, MG_OUT_OF_MEMORY " counting the n-grams of '%s'", mg_show(corpus->path).text);
    *stats = *mg_reader_stats_get(reader);
    mg_reader_close(reader);
    if (status == MG_OK)
        return 0;
    for (int order = 1; order <= MG_ORDER_MAX; order++)
        mg_gram_table_free(&tables[order]);
    mg_interner_destroy(*interner);
    *interner = NULL;
    return -1;
}
