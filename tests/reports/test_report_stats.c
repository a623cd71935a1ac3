/* Statistics against values computed independently (exact rational
 * arithmetic in Python: fractions + math.comb), and properties of the
 * bootstrap that any correct implementation has. */
#include <math.h>
#include <stdint.h>

#include "stats.h"
#include "test_util.h"

static void test_mean_std(void) {
    double x[] = {0.75, 0.625, 0.625};
    CHECK_NEAR(eb_mean(x, 3), 0.6666666666666666, 1e-15);
    CHECK_NEAR(eb_sample_std(x, 3), 0.07216878364870322, 1e-15);
    CHECK(isnan(eb_mean(x, 0)));
    CHECK(isnan(eb_sample_std(x, 1)));
    double y[] = {2, 4, 4, 4, 5, 5, 7, 9};
    CHECK_NEAR(eb_mean(y, 8), 5.0, 1e-15);
    CHECK_NEAR(eb_sample_std(y, 8), sqrt(32.0 / 7.0), 1e-14);
}

static void test_pass_at_k(void) {
    CHECK_NEAR(eb_pass_at_k(10, 3, 1), 0.3, 1e-15);
    CHECK_NEAR(eb_pass_at_k(10, 3, 5), 0.9166666666666666, 1e-14);
    CHECK_NEAR(eb_pass_at_k(200, 13, 10), 0.49755111473060615, 1e-13);
    CHECK_NEAR(eb_pass_at_k(200, 13, 100), 0.9999194971988055, 1e-13);
    CHECK_NEAR(eb_pass_at_k(3, 1, 2), 0.6666666666666666, 1e-15);
    CHECK_NEAR(eb_pass_at_k(1000, 1, 500), 0.5, 1e-13);
    CHECK_NEAR(eb_pass_at_k(5, 0, 1), 0.0, 0);
    CHECK_NEAR(eb_pass_at_k(5, 5, 3), 1.0, 0);
    /* n - c < k: every draw of k contains a correct sample */
    CHECK_NEAR(eb_pass_at_k(3, 2, 2), 1.0, 0);
    /* pass@1 is the fraction correct */
    CHECK_NEAR(eb_pass_at_k(7, 4, 1), 4.0 / 7.0, 1e-15);
    CHECK(isnan(eb_pass_at_k(3, 1, 4)));
    CHECK(isnan(eb_pass_at_k(3, 1, 0)));
}

static void test_mcnemar(void) {
    CHECK_NEAR(eb_mcnemar_exact_p(10, 2), 0.03857421875, 1e-15);
    CHECK_NEAR(eb_mcnemar_exact_p(2, 10), 0.03857421875, 1e-15);
    CHECK_NEAR(eb_mcnemar_exact_p(2, 0), 0.5, 1e-15);
    CHECK_NEAR(eb_mcnemar_exact_p(3, 7), 0.34375, 1e-15);
    CHECK_NEAR(eb_mcnemar_exact_p(5, 5), 1.0, 0);
    CHECK_NEAR(eb_mcnemar_exact_p(0, 1), 1.0, 0);
    CHECK_NEAR(eb_mcnemar_exact_p(0, 0), 1.0, 0);
    CHECK_NEAR(eb_mcnemar_exact_p(100, 60), 0.001953728034064342, 1e-15);
    /* large n: relative accuracy, no overflow */
    double p = eb_mcnemar_exact_p(1000, 900);
    CHECK_NEAR(p / 0.02310884510890107, 1.0, 1e-9);
    p = eb_mcnemar_exact_p(20000, 19000);
    CHECK_NEAR(p / 4.21684144737344e-07, 1.0, 1e-8);
    CHECK_NEAR(eb_mcnemar_exact_p(30, 0), 1.862645149230957e-09, 1e-22);
    p = eb_mcnemar_exact_p(5000, 0);
    CHECK(p >= 0 && p < 1e-300);
}

static void test_wilson(void) {
    double z = 1.959963984540054;
    eb_interval w = eb_wilson_ci(0.7, 100, z);
    CHECK_NEAR(w.lo, 0.6041514536665332, 1e-14);
    CHECK_NEAR(w.hi, 0.7810511470506724, 1e-14);
    w = eb_wilson_ci(0.0, 10, z);
    CHECK_NEAR(w.lo, 0.0, 1e-15);
    CHECK_NEAR(w.hi, 0.2775327998628892, 1e-14);
    w = eb_wilson_ci(1.0, 10, z);
    CHECK_NEAR(w.lo, 0.7224672001371107, 1e-14);
    CHECK_NEAR(w.hi, 1.0, 1e-15);
    w = eb_wilson_ci(0.5, 0, z);
    CHECK(isnan(w.lo) && isnan(w.hi));
}

static void test_quantile(void) {
    double s[] = {1, 2, 3, 4};
    /* numpy.percentile([1,2,3,4], [25, 50, 97.5]) = 1.75, 2.5, 3.925 */
    CHECK_NEAR(eb_quantile_sorted(s, 4, 0.25), 1.75, 1e-15);
    CHECK_NEAR(eb_quantile_sorted(s, 4, 0.5), 2.5, 1e-15);
    CHECK_NEAR(eb_quantile_sorted(s, 4, 0.975), 3.925, 1e-14);
    CHECK_NEAR(eb_quantile_sorted(s, 4, 0), 1, 0);
    CHECK_NEAR(eb_quantile_sorted(s, 4, 1), 4, 0);
}

static void test_rng(void) {
    eb_rng a, b;
    eb_rng_seed(&a, 42);
    eb_rng_seed(&b, 42);
    int same = 1;
    for (int i = 0; i < 100; i++) same &= eb_rng_next(&a) == eb_rng_next(&b);
    CHECK(same);
    /* uniform over 10 values: chi-square with 9 degrees of freedom stays far
     * below 40 (p < 1e-5) for a sound generator */
    long counts[10] = {0};
    eb_rng_seed(&a, 7);
    for (int i = 0; i < 100000; i++) counts[eb_rng_below(&a, 10)]++;
    double chi = 0;
    for (int i = 0; i < 10; i++) chi += (counts[i] - 10000.0) * (counts[i] - 10000.0) / 10000.0;
    CHECK_MSG(chi < 40, "chi-square %.2f", chi);
}

static void test_bootstrap(void) {
    enum { N = 2000 };
    static double a[N], b[N];
    /* paired scores: run b loses 100 of the 2000 items (mean difference -0.05) */
    for (int i = 0; i < N; i++) {
        a[i] = (i % 10) < 7 ? 1.0 : 0.0;
        b[i] = a[i];
        if (i % 20 == 0) b[i] = 1.0 - a[i];
    }
    double d[N];
    for (int i = 0; i < N; i++) d[i] = b[i] - a[i];
    double md = eb_mean(d, N), sd = eb_sample_std(d, N);
    eb_interval ci = eb_paired_bootstrap_ci(a, b, N, 4000, 1234, 0.95);
    CHECK(ci.lo <= md && md <= ci.hi);
    /* the percentile interval of a mean is close to +-1.96 standard errors */
    double half = 1.959963984540054 * sd / sqrt((double)N);
    CHECK_NEAR((ci.hi - ci.lo) / (2 * half), 1.0, 0.1);
    /* deterministic for a seed, different for another */
    eb_interval again = eb_paired_bootstrap_ci(a, b, N, 4000, 1234, 0.95);
    CHECK(again.lo == ci.lo && again.hi == ci.hi);
    eb_interval other = eb_paired_bootstrap_ci(a, b, N, 4000, 99, 0.95);
    CHECK(other.lo != ci.lo || other.hi != ci.hi);
    /* identical runs: the interval collapses to zero */
    eb_interval zero = eb_paired_bootstrap_ci(a, a, N, 100, 1, 0.95);
    CHECK_NEAR(zero.lo, 0, 0);
    CHECK_NEAR(zero.hi, 0, 0);
    eb_interval none = eb_paired_bootstrap_ci(a, b, 0, 100, 1, 0.95);
    CHECK(isnan(none.lo));
}

int main(void) {
    test_mean_std();
    test_pass_at_k();
    test_mcnemar();
    test_wilson();
    test_quantile();
    test_rng();
    test_bootstrap();
    return eb_test_finish();
}
