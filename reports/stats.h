/* Statistics used by the reports: means and spreads over repetitions,
 * the unbiased pass@k estimator, the exact McNemar test, a paired bootstrap
 * confidence interval and the Wilson interval for one proportion.
 * docs/REPORTS.md says where each one comes from. */
#ifndef EB_STATS_H
#define EB_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "passk.h"
#include "rng.h"

typedef struct eb_interval {
    double lo, hi;
} eb_interval;

/* Arithmetic mean; NAN when n == 0. */
double eb_mean(const double *x, size_t n);

/* Sample standard deviation (divisor n - 1); NAN when n < 2. */
double eb_sample_std(const double *x, size_t n);

/* pass@k: common/passk.h */

/* Two-sided exact McNemar test: b and c are the discordant pair counts.
 * p = min(1, 2 * P[X <= min(b, c)]) with X ~ Binomial(b + c, 1/2), summed in
 * log space so that any n works.  1.0 when b + c == 0. */
double eb_mcnemar_exact_p(long b, long c);

/* Wilson score interval for a proportion p observed over n trials, at the
 * normal quantile z (1.959963984540054 for 95%).  [NAN, NAN] when n <= 0. */
eb_interval eb_wilson_ci(double p, double n, double z);

/* The bootstrap draws from common/rng.h so the interval is the same on every machine for a seed. */

/* Percentile of sorted data (linear interpolation between closest ranks, the
 * default of numpy.percentile); q in [0, 1]. */
double eb_quantile_sorted(const double *sorted, size_t n, double q);

/* Paired bootstrap percentile interval for mean(b[i] - a[i]): the items are
 * resampled with replacement `resamples` times, keeping pairs together.
 * level is e.g. 0.95.  Returns [NAN, NAN] when n == 0 or resamples < 1. */
eb_interval eb_paired_bootstrap_ci(const double *a, const double *b, size_t n, int resamples, uint64_t seed,
                                   double level);

#endif
