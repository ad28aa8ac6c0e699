/* statistics.c — see statistics.h. */
#include "statistics.h"

#include <math.h>
#include <string.h>

static double sort_key(double value, int by_magnitude) { return by_magnitude ? fabs(value) : value; }

/* Insertion sort, by value or by magnitude: the counts are small, and glibc's
 * qsort may allocate. */
static void sort_by(double *values, size_t count, int by_magnitude)
{
    for (size_t index = 1; index < count; index++) {
        double value = values[index];
        size_t slot = index;
        for (; slot > 0 && sort_key(values[slot - 1], by_magnitude) > sort_key(value, by_magnitude); slot--)
            values[slot] = values[slot - 1];
        values[slot] = value;
    }
}

static void sort_values(double *values, size_t count) { sort_by(values, count, 0); }

static int valid_sample(const double *values, size_t count)
{
    if (count == 0 || count > MG_STATS_SAMPLES_MAX)
        return 0;
    for (size_t index = 0; index < count; index++)
        if (isnan(values[index]))
            return 0;
    return 1;
}

double mg_median_sort(double *values, size_t count)
{
    if (!valid_sample(values, count))
        return NAN;
    sort_values(values, count);
    return count % 2 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2;
}

double mg_u_test_floor(size_t x_count, size_t y_count)
{
    double combinations = 1; /* C(n, k) built up as a product of ratios */
    size_t k = x_count < y_count ? x_count : y_count, n = x_count + y_count;
    for (size_t step = 1; step <= k; step++)
        combinations = combinations * (double)(n - k + step) / (double)step;
    return 1 / combinations;
}

/* P(U <= u) for an m-sample against an n-sample with no ties, every ordering
 * equally likely. The largest value of all is an x with chance m/(m+n), and
 * then it beats all n values of y: P_{m,n}(v) = m/(m+n) P_{m-1,n}(v-n) +
 * n/(m+n) P_{m,n-1}(v). Rows of m are rolled, so the table stays small. */
static double exact_u_at_most(size_t m, size_t n, size_t u)
{
    enum { SIDE = MG_EXACT_U_MAX + 1, SPAN = MG_EXACT_U_MAX * MG_EXACT_U_MAX + 1 };
    double rows[2][SIDE][SPAN]; /* rows[i % 2][j][v] = P_{i,j}(U = v) */
    for (size_t i = 0; i <= m; i++) {
        double (*now)[SPAN] = rows[i % 2], (*before)[SPAN] = rows[(i + 1) % 2];
        for (size_t j = 0; j <= n; j++) {
            double *row = now[j];
            memset(row, 0, sizeof(double) * (i * j + 1));
            if (i == 0 || j == 0) {
                row[0] = 1;
                continue;
            }
            double from_x = (double)i / (double)(i + j), from_y = (double)j / (double)(i + j);
            for (size_t value = 0; value <= i * j; value++) {
                double p = 0;
                if (value >= j && value - j <= (i - 1) * j)
                    p += from_x * before[j][value - j];
                if (value <= i * (j - 1))
                    p += from_y * now[j - 1][value];
                row[value] = p;
            }
        }
    }
    double sum = 0;
    for (size_t value = 0; value <= u && value <= m * n; value++)
        sum += rows[m % 2][n][value];
    return sum > 1 ? 1 : sum;
}

/* Over the two sorted samples merged: sum over groups of tied values of
 * t^3 - t (the variance correction); 0 when nothing is tied. */
static double tie_term(const double *x, size_t x_count, const double *y, size_t y_count)
{
    double term = 0;
    size_t i = 0, j = 0;
    while (i < x_count || j < y_count) {
        double value = j == y_count || (i < x_count && x[i] <= y[j]) ? x[i] : y[j];
        double tied = 0;
        for (; i < x_count && x[i] == value; i++)
            tied++;
        for (; j < y_count && y[j] == value; j++)
            tied++;
        term += tied * tied * tied - tied;
    }
    return term;
}

static double upper_normal_tail(double z) { return 0.5 * erfc(z / sqrt(2.0)); }

int mg_mann_whitney(double *x, size_t x_count, double *y, size_t y_count, mg_u_test *test)
{
    if (!valid_sample(x, x_count) || !valid_sample(y, y_count))
        return -1;
    sort_values(x, x_count);
    sort_values(y, y_count);
    double u = 0;
    for (size_t i = 0; i < x_count; i++)
        for (size_t j = 0; j < y_count; j++)
            u += x[i] > y[j] ? 1.0 : x[i] == y[j] ? 0.5 : 0.0;
    test->u = u;
    double pairs = (double)x_count * (double)y_count, ties = tie_term(x, x_count, y, y_count);
    test->exact = x_count <= MG_EXACT_U_MAX && y_count <= MG_EXACT_U_MAX && ties == 0;
    if (test->exact) {
        /* without ties U is whole; P(U >= u) = P(U <= pairs - u) by symmetry */
        test->p_less = exact_u_at_most(x_count, y_count, (size_t)u);
        test->p_greater = exact_u_at_most(x_count, y_count, (size_t)(pairs - u));
    } else {
        double n = (double)(x_count + y_count);
        double variance = pairs / 12.0 * ((n + 1) - ties / (n * (n - 1)));
        double deviation = variance > 0 ? sqrt(variance) : 0, mean = pairs / 2;
        if (deviation == 0) {
            test->p_less = test->p_greater = 1; /* every value tied: no evidence either way */
        } else {
            test->p_greater = upper_normal_tail((u - mean - 0.5) / deviation);
            test->p_less = upper_normal_tail((mean - u - 0.5) / deviation);
        }
        test->p_greater = test->p_greater > 1 ? 1 : test->p_greater;
        test->p_less = test->p_less > 1 ? 1 : test->p_less;
    }
    double smaller = test->p_less < test->p_greater ? test->p_less : test->p_greater;
    test->p_two_sided = smaller * 2 > 1 ? 1 : smaller * 2;
    return 0;
}

/* ---- Wilcoxon signed-rank ------------------------------------------------------ */

double mg_signed_rank_floor(size_t count) { return ldexp(1.0, -(int)(count < 1024 ? count : 1024)); }

/* P(W+ >= w) without ties: each rank r is in W+ with chance 1/2, so the
 * number of subsets of 1..n summing to s is built rank by rank. */
static double exact_w_at_least(size_t n, size_t w)
{
    enum { SPAN = MG_EXACT_SIGNED_RANK_MAX * (MG_EXACT_SIGNED_RANK_MAX + 1) / 2 + 1 };
    double subsets[SPAN] = {1}; /* subsets[s]: subsets of the ranks so far summing to s */
    size_t top = 0;
    for (size_t rank = 1; rank <= n; rank++) {
        top += rank;
        for (size_t sum = top; sum >= rank; sum--)
            subsets[sum] += subsets[sum - rank];
    }
    double tail = 0;
    for (size_t sum = w; sum <= top; sum++)
        tail += subsets[sum];
    return tail / ldexp(1.0, (int)n);
}

int mg_signed_rank(double *differences, size_t count, mg_signed_rank_test *test)
{
    if (!valid_sample(differences, count))
        return -1;
    size_t kept = 0; /* zeros out */
    for (size_t index = 0; index < count; index++)
        if (differences[index] != 0)
            differences[kept++] = differences[index];
    memset(test, 0, sizeof *test);
    test->p_greater = test->p_less = 1;
    if (kept == 0)
        return 0; /* nothing differs: no evidence either way */
    sort_by(differences, kept, 1);
    double ties = 0; /* sum of t^3 - t over groups of tied magnitudes */
    for (size_t start = 0, end; start < kept; start = end) {
        for (end = start + 1; end < kept && fabs(differences[end]) == fabs(differences[start]); end++)
            ;
        double rank = (double)(start + end + 1) / 2, tied = (double)(end - start); /* the group's mean rank */
        for (size_t index = start; index < end; index++)
            test->w_plus += differences[index] > 0 ? rank : 0;
        ties += tied * tied * tied - tied;
    }
    double n = (double)kept, total = n * (n + 1) / 2;
    test->pairs = kept;
    test->exact = kept <= MG_EXACT_SIGNED_RANK_MAX && ties == 0;
    if (test->exact) { /* W+ is whole without ties; W- = total - W+ */
        test->p_greater = exact_w_at_least(kept, (size_t)test->w_plus);
        test->p_less = exact_w_at_least(kept, (size_t)(total - test->w_plus));
        return 0;
    }
    double deviation = sqrt(n * (n + 1) * (2 * n + 1) / 24 - ties / 48), mean = total / 2;
    if (deviation > 0) {
        test->p_greater = fmin(1, upper_normal_tail((test->w_plus - mean - 0.5) / deviation));
        test->p_less = fmin(1, upper_normal_tail((mean - test->w_plus - 0.5) / deviation));
    }
    return 0;
}
