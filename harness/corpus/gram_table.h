/*
 * gram_table.h — the harness's own exact n-gram counter for `corpus stats`
 * and `floor` (not a backend: it is never measured, and it hands its records
 * out for sorting, which the backend interface does not do).
 *
 * Words are interned to ids (backends/common/vocab.h's interner: start marker
 * 0, end marker 1, words from 2); an n-gram is its n ids. Records live in one
 * open-addressing array, linear probing, grown x2 at 3/4 full:
 *     record: | id 1 | ... | id n | count |   (uint32 each; id 1 = EMPTY: free)
 * so a distinct n-gram costs 4 (n + 1) / load bytes: 21-43 B for a trigram.
 */
#ifndef MG_GRAM_TABLE_H
#define MG_GRAM_TABLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct mg_gram_table {
    int order;
    uint32_t *records;  /* capacity records of order + 1 words */
    uint64_t capacity;  /* a power of two */
    uint64_t used;      /* distinct n-grams */
} mg_gram_table;

/* An empty table; 0, or -1 when out of memory. */
int mg_gram_table_init(mg_gram_table *table, int order);
void mg_gram_table_free(mg_gram_table *table);

/* count(ids) += 1, saturating at UINT32_MAX (ids: order ids, each below
 * UINT32_MAX). 0, or -1 when out of memory. */
int mg_gram_table_add(mg_gram_table *table, const uint32_t *ids);

/* Moves the used records to the front of the array (the table is then only
 * an array of `used` records: sort it, read it, free it). */
void mg_gram_table_compact(mg_gram_table *table);

/* ---- counting a corpus -------------------------------------------------------- */

#define MG_GRAM_TABLES 6 /* tables[order] for orders 1..5; tables[0] unused */

struct mg_corpus;
struct mg_interner;
struct mg_reader_stats;

/* Reads the corpus once and counts its n-grams of every order whose bit
 * (1 << order) is in order_mask into tables[order] (each set up here; free
 * them with mg_gram_table_free), interning words into *interner (made here;
 * mg_interner_destroy). The orders come from one pass at the highest order:
 * an order-n gram is the last n tokens of the highest order's window.
 * 0, or -1 with a one-line message (nothing is left allocated then). */
int mg_gram_count_corpus(const struct mg_corpus *corpus, unsigned order_mask,
                         mg_gram_table tables[MG_GRAM_TABLES], struct mg_interner **interner,
                         struct mg_reader_stats *stats, char *error, size_t error_size);

#endif
