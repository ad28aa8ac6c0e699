/*
 * running_totals.h — the cumulative counts a draw by count needs
 * (backend.h's sample_successor), over a backend's entries laid out so that
 * each context's successors are one run of entries in canonical token order.
 *
 *   entries (the backend's):  | 3 | 1 | 1 | 5 | 2 | 1 | 1 | 4 | 1 | ..   counts
 *   totals, every 4 entries:  | 0 |           | 10 |          | 15 | ..  EF coded
 *
 * total j is the sum of the counts of entries [0, j every), j = 0 .. entries /
 * every, Elias-Fano coded (elias_fano.h: about 2 + log2(every x mean count)
 * + 0.4 bits a total). A draw in the run [first, high) reads the totals at or
 * below first and high and fewer than `every` counts after each, so it knows
 * the run's total; then next_geq finds the last total at or below its target
 * and at most `every` counts more find the entry. every = 1 costs no count
 * read but the entry drawn; a larger one trades count reads for bits.
 *
 * A run of at most 2 every entries is summed and read directly. Totals made
 * stale by counts changed in place (a prune without memory to rebuild) are
 * not used: every draw then sums its run.
 */
#ifndef MG_RUNNING_TOTALS_H
#define MG_RUNNING_TOTALS_H

#include "common/elias_fano.h"
#include "mem.h"

#include <stdbool.h>
#include <stdint.h>

/* Count of entry `entry` of the backend's table. */
typedef uint64_t (*mg_entry_count)(const void *table, uint64_t entry);

typedef struct mg_running_totals {
    mg_ef totals;
    uint64_t every;
    bool stale; /* counts changed since the build: not used */
} mg_running_totals;

/* The totals of entries [0, entries) every `every` (>= 1), their block
 * counted against `part` (mem.h's tag; free needs no tag: the sequence
 * keeps it). MG_OK or MG_ERR_NOMEM (then *totals holds nothing). */
int mg_running_totals_build_in(int part, mg_running_totals *totals, uint64_t entries, uint64_t every,
                               mg_entry_count count, const void *table);
void mg_running_totals_free(mg_running_totals *totals);

/* The entry of [first, high) whose cumulative count interval (from first,
 * in entry order) holds r = (draw * sum) >> 64, sum the run's counts; false
 * when they sum to 0. */
bool mg_running_totals_draw(const mg_running_totals *totals, uint64_t first, uint64_t high, uint64_t draw,
                            mg_entry_count count, const void *table, uint64_t *chosen);

/* Sum of the counts of entries [first, high): two totals and fewer than
 * 2 every counts, or every count when the totals are stale or absent. */
uint64_t mg_running_totals_sum(const mg_running_totals *totals, uint64_t first, uint64_t high, mg_entry_count count,
                               const void *table);

/* Expected bits of the totals of `entries` entries whose counts sum to
 * `sum` (the EF formula above). */
double mg_running_totals_bits(double entries, double every, double sum);

#endif
