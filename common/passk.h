/* The unbiased pass@k estimator (Chen et al. 2021), shared by code scoring
 * and reports. */
#ifndef EB_PASSK_H
#define EB_PASSK_H

/* pass@k for one task with n samples of which c are correct:
 * 1 - C(n-c, k) / C(n, k), computed as 1 - prod_{i=n-c+1..n} (1 - k/i) so
 * that no binomial coefficient is ever formed.  1.0 when n - c < k; NAN for
 * arguments that make no sense (k < 1, k > n, c < 0, c > n). */
double eb_pass_at_k(long n, long c, long k);

#endif
