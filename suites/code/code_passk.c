/* The unbiased pass@k estimator shared by every code benchmark. */
#include <math.h>

#include "code_score.h"

double eb_pass_at_k(int n, int c, int k) {
    if (k < 1 || n < 1 || k > n || c < 0 || c > n) return NAN;
    if (n - c < k) return 1.0; /* every draw of k contains a correct sample */
    /* C(n-c, k) / C(n, k) = prod_{i=n-c+1}^{n} (1 - k / i) */
    double miss = 1.0;
    for (int i = n - c + 1; i <= n; i++) miss *= 1.0 - (double)k / (double)i;
    return 1.0 - miss;
}
