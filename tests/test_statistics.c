/*
 * test_statistics.c — what `memgrams check` judges with: the Mann–Whitney U test
 * against textbook values (scipy's documented example, hand-computed tied
 * samples), the Wilcoxon signed-rank test (Darwin's maize data, as in scipy's
 * documentation), medians, and the --tolerance SPEC parser. In-process, so it also
 * runs under ASan+UBSan.
 */
#include "tolerance.h"
#include "statistics.h"
#include "support.h"

#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

/* ---- the signed-rank test -------------------------------------------------------- */

Test(signed_rank, darwins_maize_data_exact)
{
    /* scipy.stats.wilcoxon's example (Darwin's cross- minus self-fertilised
     * heights): W+ = 96 of 120, two-sided p = 0.041259765625 = 2 * 676 / 2^15 */
    double differences[] = {6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75};
    mg_signed_rank_test test;
    cr_assert_eq(mg_signed_rank(differences, 15, &test), 0);
    cr_expect_eq(test.pairs, 15);
    cr_expect_eq(test.w_plus, 96);
    cr_expect(test.exact);
    cr_expect(fabs(test.p_greater - 676.0 / 32768) < 1e-15, "P(W+ >= 96) = %.17g", test.p_greater);
    cr_expect(test.p_less > 0.97, "the other side: %.17g", test.p_less);
}

Test(signed_rank, all_positive_has_the_floor_and_zeros_are_dropped)
{
    double differences[] = {0.3, 0, 0.1, 0.25, 0.2, 0, 0.15, 0.05, 0.35, 0.4};
    mg_signed_rank_test test;
    cr_assert_eq(mg_signed_rank(differences, 10, &test), 0);
    cr_expect_eq(test.pairs, 8, "zeros are not pairs: %zu", test.pairs);
    cr_expect(fabs(test.p_greater - mg_signed_rank_floor(8)) < 1e-15, "p = %.17g", test.p_greater);
    cr_expect(fabs(mg_signed_rank_floor(8) - 1.0 / 256) < 1e-15);
    cr_expect_eq(test.p_less, 1);
}

Test(signed_rank, tied_magnitudes_use_the_corrected_normal_approximation)
{
    /* ranks of |d|: the four 1s share 2.5, the two 2s share 5.5: W+ = 3 * 2.5 + 2 * 5.5 = 18.5 of 21;
     * variance 6 * 7 * 13 / 24 - ((4^3 - 4) + (2^3 - 2)) / 48 = 21.375 */
    double differences[] = {1, 1, 1, -1, 2, 2};
    mg_signed_rank_test test;
    cr_assert_eq(mg_signed_rank(differences, 6, &test), 0);
    cr_expect(!test.exact);
    cr_expect_eq(test.w_plus, 18.5);
    double expected = 0.5 * erfc((18.5 - 10.5 - 0.5) / sqrt(21.375) / sqrt(2.0));
    cr_expect(fabs(test.p_greater - expected) < 1e-12, "p = %.17g, expected %.17g", test.p_greater, expected);
    double mirrored[] = {-1, -1, -1, 1, -2, -2};
    mg_signed_rank_test other;
    mg_signed_rank(mirrored, 6, &other);
    cr_expect(fabs(other.p_less - test.p_greater) < 1e-15, "mirror images give mirror p values");
}

Test(signed_rank, nothing_differs_and_bad_samples)
{
    double same[] = {0, 0, 0};
    mg_signed_rank_test test;
    cr_assert_eq(mg_signed_rank(same, 3, &test), 0);
    cr_expect_eq(test.pairs, 0);
    cr_expect(test.p_greater == 1 && test.p_less == 1, "no difference is no evidence");
    double with_nan[] = {1, NAN};
    cr_expect_eq(mg_signed_rank(with_nan, 2, &test), -1);
    cr_expect_eq(mg_signed_rank(same, 0, &test), -1);
}

/* ---- the U test -------------------------------------------------------------- */

Test(u_test, scipy_documented_example_exact)
{
    /* scipy.stats.mannwhitneyu's example: U = 17, two-sided exact p = 1/9 */
    double males[] = {19, 22, 16, 29, 24}, females[] = {20, 11, 17, 12};
    mg_u_test test;
    cr_assert_eq(mg_mann_whitney(males, 5, females, 4, &test), 0);
    cr_expect_eq(test.u, 17);
    cr_expect(test.exact);
    cr_expect(fabs(test.p_two_sided - 1.0 / 9) < 1e-12, "p = %.17g", test.p_two_sided);
    cr_expect(fabs(test.p_greater - 7.0 / 126) < 1e-12, "P(U >= 17) = %.17g", test.p_greater);
}

Test(u_test, complete_separation_has_the_smallest_p)
{
    double low[] = {1, 2, 3}, high[] = {4, 5, 6};
    mg_u_test test;
    cr_assert_eq(mg_mann_whitney(low, 3, high, 3, &test), 0);
    cr_expect_eq(test.u, 0);
    cr_expect(fabs(test.p_less - 1.0 / 20) < 1e-12, "p_less = %g", test.p_less);
    cr_expect(fabs(test.p_greater - 1) < 1e-12, "p_greater = %g", test.p_greater);
    cr_expect(fabs(mg_u_test_floor(3, 3) - 1.0 / 20) < 1e-12);
    cr_expect(fabs(mg_u_test_floor(5, 5) - 1.0 / 252) < 1e-12);
}

Test(u_test, ties_use_the_corrected_normal_approximation)
{
    /* U = 3.5; tie-corrected variance, continuity correction (scipy's asymptotic method) */
    double x[] = {1, 2, 2, 3, 3, 3, 4}, y[] = {3, 4, 4, 5, 5, 6, 7, 8};
    mg_u_test test;
    cr_assert_eq(mg_mann_whitney(x, 7, y, 8, &test), 0);
    cr_expect_eq(test.u, 3.5);
    cr_expect(!test.exact);
    cr_expect(fabs(test.p_two_sided - 0.004832240868896155) < 1e-9, "p = %.17g", test.p_two_sided);
    double males[] = {19, 22, 16, 29, 24, 19}, females[] = {20, 11, 17, 12};
    cr_assert_eq(mg_mann_whitney(males, 6, females, 4, &test), 0);
    cr_expect(!test.exact, "a tie (19, 19) must switch to the approximation");
}

Test(u_test, exact_at_twenty_matches_the_counted_distribution)
{
    /* y = 0..19, x = i - 13.5: U = 21; P(U <= 21) = 25,419,573,709,944.65e-21 of C(40, 20)
     * orderings, counted by brute recursion in Python's integers */
    double x[20], y[20];
    for (int index = 0; index < 20; index++) {
        x[index] = index - 13.5;
        y[index] = index;
    }
    mg_u_test test;
    cr_assert_eq(mg_mann_whitney(x, 20, y, 20, &test), 0);
    cr_expect_eq(test.u, 21);
    cr_expect(test.exact);
    cr_expect(fabs(test.p_less / 2.5419573709944653e-08 - 1) < 1e-9, "p_less = %.17g", test.p_less);
    cr_expect(fabs(test.p_greater - 1) < 1e-6, "p_greater = %.17g", test.p_greater);
}

Test(u_test, medians_and_bad_samples)
{
    double odd[] = {3, 1, 2}, even[] = {4, 1, 3, 2}, bad[] = {1, NAN};
    cr_expect_eq(mg_median_sort(odd, 3), 2);
    cr_expect_eq(mg_median_sort(even, 4), 2.5);
    cr_expect(isnan(mg_median_sort(bad, 2)));
    cr_expect(isnan(mg_median_sort(odd, 0)));
    mg_u_test test;
    cr_expect_eq(mg_mann_whitney(bad, 2, odd, 3, &test), -1);
    cr_expect_eq(mg_mann_whitney(odd, 0, odd, 3, &test), -1);
}

/* ---- tolerances ----------------------------------------------------------------- */

Test(tolerance, defaults_are_the_documented_ones)
{
    mg_check_tolerances tolerances;
    mg_check_default_tolerances(&tolerances);
    cr_expect_eq(tolerances.memory[MG_CHECK_REQUESTED].percent, 0.5);
    cr_expect_eq(tolerances.memory[MG_CHECK_REQUESTED].bytes, 0);
    cr_expect_eq(tolerances.memory[MG_CHECK_ALLOCATED].percent, 1.0);
    for (int layer = MG_CHECK_ACTIVE; layer < MG_CHECK_LAYERS; layer++) {
        cr_expect_eq(tolerances.memory[layer].percent, 5.0);
        cr_expect_eq(tolerances.memory[layer].bytes, 256 * 1024);
        cr_expect_eq(tolerances.memory[layer].off, layer == MG_CHECK_RESIDENT, "only resident is off");
    }
    cr_expect_eq(tolerances.speed_percent, 10.0);
    cr_expect_eq(tolerances.alpha, 0.001);
}

Test(tolerance, spec_overrides_only_what_it_names)
{
    mg_check_tolerances tolerances;
    char error[256];
    mg_check_default_tolerances(&tolerances);
    cr_assert_eq(mg_check_parse_tolerances("requested=2%,rss=10%+1MiB+512B,speed=off,alpha=0.05,active=off",
                                           &tolerances, error, sizeof error), 0, "%s", error);
    cr_expect_eq(tolerances.memory[MG_CHECK_REQUESTED].percent, 2.0);
    cr_expect_eq(tolerances.memory[MG_CHECK_RSS].percent, 10.0);
    cr_expect_eq(tolerances.memory[MG_CHECK_RSS].bytes, 1024 * 1024 + 512);
    cr_expect(tolerances.memory[MG_CHECK_ACTIVE].off);
    cr_expect_eq(tolerances.memory[MG_CHECK_ALLOCATED].percent, 1.0, "allocated keeps its default");
    cr_expect(tolerances.speed_off);
    cr_expect_eq(tolerances.alpha, 0.05);
    cr_assert_eq(mg_check_parse_tolerances("memory=3%+4KiB,speed=25%", &tolerances, error, sizeof error), 0);
    for (int layer = 0; layer < MG_CHECK_LAYERS; layer++)
        cr_expect(tolerances.memory[layer].percent == 3.0 && tolerances.memory[layer].bytes == 4096);
    cr_expect(!tolerances.speed_off && tolerances.speed_percent == 25.0);
}

Test(tolerance, bad_specs_are_named)
{
    static const char *const bad[] = {"bogus=1%", "requested", "requested=abc", "requested=5", "alpha=2",
                                      "alpha=0", "speed=1MiB", "rss=5%+", "requested=-1%", ""};
    for (size_t index = 0; index < sizeof bad / sizeof bad[0]; index++) {
        mg_check_tolerances tolerances;
        char error[256] = "";
        mg_check_default_tolerances(&tolerances);
        cr_expect_eq(mg_check_parse_tolerances(bad[index], &tolerances, error, sizeof error), -1,
                     "'%s' was accepted", bad[index]);
        cr_expect(strlen(error) > 0 && !strchr(error, '\n'), "'%s': message '%s'", bad[index], error);
    }
}
