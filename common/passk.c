#include "passk.h"

#include <math.h>

double eb_pass_at_k(long n, long c, long k) {
    if (k < 1 || k > n || c < 0 || c > n) return NAN;
    if (n - c < k) return 1.0; /* every draw of k contains a correct sample */
    double miss = 1.0;
    for (long i = n - c + 1; i <= n; i++) miss *= 1.0 - (double)k / (double)i;
    return 1.0 - miss;
}
