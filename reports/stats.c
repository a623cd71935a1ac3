#include "stats.h"

#include <math.h>
#include <stdlib.h>

#include "error.h"

double eb_mean(const double *x, size_t n) {
    if (n == 0) return NAN;
    double s = 0;
    for (size_t i = 0; i < n; i++) s += x[i];
    return s / (double)n;
}

double eb_sample_std(const double *x, size_t n) {
    if (n < 2) return NAN;
    double m = eb_mean(x, n), ss = 0;
    for (size_t i = 0; i < n; i++) ss += (x[i] - m) * (x[i] - m);
    return sqrt(ss / (double)(n - 1));
}

double eb_mcnemar_exact_p(long b, long c) {
    if (b < 0 || c < 0) return NAN;
    long n = b + c, k = b < c ? b : c;
    if (n == 0 || 2 * k >= n) return 1.0;
    /* log P[X = i] = log C(n, i) - n log 2; C(n, i+1) = C(n, i) (n - i) / (i + 1).
     * The terms grow with i up to k < n/2, so the last one is the largest:
     * sum relative to it (log-sum-exp) to avoid underflow for large n. */
    double *logt = eb_malloc(sizeof(double) * (size_t)(k + 1));
    double lc = 0;
    for (long i = 0; i <= k; i++) {
        logt[i] = lc;
        lc += log((double)(n - i)) - log((double)(i + 1));
    }
    double top = logt[k], sum = 0;
    for (long i = k; i >= 0; i--) sum += exp(logt[i] - top);
    free(logt);
    double logp = log(2.0) + top + log(sum) - (double)n * log(2.0);
    double p = exp(logp);
    return p > 1.0 ? 1.0 : p;
}

eb_interval eb_wilson_ci(double p, double n, double z) {
    eb_interval r = {NAN, NAN};
    if (!(n > 0) || isnan(p)) return r;
    double z2 = z * z, den = 1.0 + z2 / n;
    double centre = (p + z2 / (2.0 * n)) / den;
    double half = z * sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / den;
    r.lo = centre - half < 0 ? 0 : centre - half;
    r.hi = centre + half > 1 ? 1 : centre + half;
    return r;
}


double eb_quantile_sorted(const double *sorted, size_t n, double q) {
    if (n == 0) return NAN;
    if (q <= 0) return sorted[0];
    if (q >= 1) return sorted[n - 1];
    double pos = q * (double)(n - 1);
    size_t i = (size_t)floor(pos);
    double frac = pos - (double)i;
    if (i + 1 >= n) return sorted[n - 1];
    return sorted[i] + frac * (sorted[i + 1] - sorted[i]);
}

/* Index in [0, n) without a division per draw (multiply-shift with
 * Lemire's rejection of the few biased products): the bootstrap makes
 * items x resamples draws, 140 million for MMLU. */
static size_t draw_index(eb_rng *rng, uint64_t n) {
    unsigned __int128 m = (unsigned __int128)eb_rng_next(rng) * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = (0 - n) % n;
        while (low < threshold) {
            m = (unsigned __int128)eb_rng_next(rng) * n;
            low = (uint64_t)m;
        }
    }
    return (size_t)(m >> 64);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

eb_interval eb_paired_bootstrap_ci(const double *a, const double *b, size_t n, int resamples, uint64_t seed,
                                   double level) {
    eb_interval r = {NAN, NAN};
    if (n == 0 || resamples < 1) return r;
    double *d = eb_malloc(sizeof(double) * n);
    for (size_t i = 0; i < n; i++) d[i] = b[i] - a[i];
    double *means = eb_malloc(sizeof(double) * (size_t)resamples);
    eb_rng rng;
    eb_rng_seed(&rng, seed);
    for (int k = 0; k < resamples; k++) {
        double s = 0;
        for (size_t i = 0; i < n; i++) s += d[draw_index(&rng, n)];
        means[k] = s / (double)n;
    }
    qsort(means, (size_t)resamples, sizeof(double), cmp_double);
    double alpha = (1.0 - level) / 2.0;
    r.lo = eb_quantile_sorted(means, (size_t)resamples, alpha);
    r.hi = eb_quantile_sorted(means, (size_t)resamples, 1.0 - alpha);
    free(means);
    free(d);
    return r;
}
