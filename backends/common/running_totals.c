/* running_totals.c — see running_totals.h. */
#include "common/running_totals.h"

#include "backend.h"
#include "random.h"

#include <math.h>
#include <string.h>

int mg_running_totals_build_in(int part, mg_running_totals *totals, uint64_t entries, uint64_t every,
                               mg_entry_count count, const void *table)
{
    memset(totals, 0, sizeof *totals);
    uint64_t sum = 0;
    for (uint64_t entry = 0; entry < entries; entry++)
        sum += count(table, entry);
    if (mg_ef_init(&totals->totals, part, entries / every + 1, sum) != MG_OK)
        return MG_ERR_NOMEM;
    totals->every = every;
    uint64_t running = 0;
    for (uint64_t entry = 0; entry <= entries; entry++) {
        if (entry % every == 0)
            mg_ef_push(&totals->totals, running);
        if (entry < entries)
            running += count(table, entry);
    }
    mg_ef_seal(&totals->totals);
    return MG_OK;
}

void mg_running_totals_free(mg_running_totals *totals)
{
    mg_ef_free(&totals->totals);
    memset(totals, 0, sizeof *totals);
}

/* Sum of the counts of entries [0, entry): a total, then fewer than every counts. */
static uint64_t counts_before(const mg_running_totals *totals, uint64_t entry, mg_entry_count count,
                              const void *table)
{
    uint64_t sample = entry / totals->every, sum = mg_ef_get(&totals->totals, sample);
    for (uint64_t at = sample * totals->every; at < entry; at++)
        sum += count(table, at);
    return sum;
}

/* The entry of [from, high) at which the counts, added to below, first
 * exceed target; false when none does. */
static bool scan_to(uint64_t from, uint64_t high, uint64_t below, uint64_t target, mg_entry_count count,
                    const void *table, uint64_t *chosen)
{
    for (uint64_t at = from; at < high; at++) {
        below += count(table, at);
        if (below > target) {
            *chosen = at;
            return true;
        }
    }
    return false;
}

uint64_t mg_running_totals_sum(const mg_running_totals *totals, uint64_t first, uint64_t high, mg_entry_count count,
                               const void *table)
{
    if (totals->stale || totals->every == 0 || high - first <= 2 * totals->every) {
        uint64_t sum = 0;
        for (uint64_t at = first; at < high; at++)
            sum += count(table, at);
        return sum;
    }
    return counts_before(totals, high, count, table) - counts_before(totals, first, count, table);
}

bool mg_running_totals_draw(const mg_running_totals *totals, uint64_t first, uint64_t high, uint64_t draw,
                            mg_entry_count count, const void *table, uint64_t *chosen)
{
    if (totals->stale || totals->every == 0 || high - first <= 2 * totals->every) {
        uint64_t sum = 0;
        for (uint64_t at = first; at < high; at++)
            sum += count(table, at);
        return sum > 0 && scan_to(first, high, 0, mg_scale_below(draw, sum), count, table, chosen);
    }
    uint64_t below = counts_before(totals, first, count, table);
    uint64_t sum = counts_before(totals, high, count, table) - below;
    if (sum == 0)
        return false;
    uint64_t target = below + mg_scale_below(draw, sum), value;
    uint64_t sample = mg_ef_next_geq(&totals->totals, target + 1, &value) - 1; /* the last total <= target */
    uint64_t from = sample * totals->every;
    if (from <= first)
        return scan_to(first, high, below, target, count, table, chosen);
    return scan_to(from, high, mg_ef_get(&totals->totals, sample), target, count, table, chosen);
}

double mg_running_totals_bits(double entries, double every, double sum)
{
    double samples = floor(entries / every) + 1, universe = sum + 1;
    double low_bits = universe > samples ? floor(log2(universe / samples)) : 0.0;
    return samples * (low_bits + 1.0 + universe / exp2(low_bits) / samples + 0.4);
}
