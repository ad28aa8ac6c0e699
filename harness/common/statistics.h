/*
 * statistics.h — the one statistics module: the median a run takes of its
 * rounds (run.c) and `check` of pooled runs, the Mann–Whitney U test
 * (Wilcoxon rank-sum, as Google Benchmark's compare.py uses it) for two
 * independent samples, and the Wilcoxon signed-rank test for paired ones
 * (baseline and candidate measured back to back). Nothing here allocates on
 * the heap, so run.c may take medians between the baseline and destroy
 * phases.
 */
#ifndef MG_STATISTICS_H
#define MG_STATISTICS_H

#include <stddef.h>

#define MG_STATS_SAMPLES_MAX 4096 /* per side: more than any run or pooled file needs */
#define MG_EXACT_U_MAX 20         /* exact distribution when both sides have at most this many */

/* Median of count values, which it sorts in place (so it needs no scratch);
 * NAN when count is 0 or any value is NaN. */
double mg_median_sort(double *values, size_t count);

typedef struct mg_u_test {
    double u;              /* U of the first sample: pairs (x, y) with x > y, ties counting 1/2 */
    double p_greater;      /* one-sided p: the first sample tends to be larger */
    double p_less;         /* one-sided p: the first sample tends to be smaller */
    double p_two_sided;
    int exact;             /* 1: exact distribution (small samples, no ties); 0: normal approximation */
} mg_u_test;

/* Mann–Whitney U test of x against y. Exact when both counts are at most
 * MG_EXACT_U_MAX and no value is tied; otherwise the normal approximation
 * with tie correction and continuity correction. Sorts both samples in place.
 * Returns -1 when a sample is empty, larger than MG_STATS_SAMPLES_MAX or
 * holds a NaN. */
int mg_mann_whitney(double *x, size_t x_count, double *y, size_t y_count, mg_u_test *test);

/* The smallest one-sided p any data can give with these sample sizes,
 * 1 / C(x_count + y_count, x_count): a test with a larger floor than alpha
 * can never find a difference, so it is not worth running. */
double mg_u_test_floor(size_t x_count, size_t y_count);

typedef struct mg_signed_rank_test {
    size_t pairs;          /* the non-zero differences ranked */
    double w_plus;         /* sum of the ranks of the positive differences (ties: average ranks) */
    double p_greater;      /* one-sided p: the differences tend to be positive */
    double p_less;         /* one-sided p: the differences tend to be negative */
    int exact;             /* 1: exact distribution (no tied magnitudes); 0: normal approximation */
} mg_signed_rank_test;

#define MG_EXACT_SIGNED_RANK_MAX 64 /* exact distribution up to this many non-zero differences */

/* Wilcoxon signed-rank test of paired differences (e.g. log(now / baseline)
 * of runs made back to back): zeros are dropped (Wilcoxon's convention);
 * exact when at most MG_EXACT_SIGNED_RANK_MAX remain and no magnitudes are
 * tied, otherwise the normal approximation with tie and continuity
 * correction. Moves the non-zero differences to the front, sorted by
 * magnitude; the rest of the array is left unspecified. Returns -1 when
 * there are none, more than MG_STATS_SAMPLES_MAX, or a NaN. */
int mg_signed_rank(double *differences, size_t count, mg_signed_rank_test *test);

/* The smallest one-sided p of count pairs: 2^-count. */
double mg_signed_rank_floor(size_t count);

#endif
