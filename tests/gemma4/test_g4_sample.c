/* Token choice: greedy, seeded temperature sampling with top-k and top-p
 * (candidate sets and frequencies), reproducibility, log-probabilities. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "g4_sample.h"
#include "test_util.h"

int main(void) {
    enum { V = 1000 };
    float *lg = malloc(V * sizeof *lg);
    eb_rng r;
    eb_rng_seed(&r, 42);
    for (int i = 0; i < V; i++) lg[i] = (float)(eb_rng_uniform(&r) * 8.0 - 4.0);
    int best = 0;
    for (int i = 1; i < V; i++)
        if (lg[i] > lg[best]) best = i;
    CHECK_INT(eb_argmax(lg, V), best);
    eb_sampling greedy = {0, 0, 1};
    CHECK_INT(eb_sample(lg, V, &greedy, &r), best);

    /* top-k: every draw is among the k largest, with softmax frequencies */
    int order[V];
    for (int i = 0; i < V; i++) order[i] = i;
    for (int i = 0; i < V; i++) /* selection sort of the first 5 */
        for (int j = i + 1; j < V && i < 5; j++)
            if (lg[order[j]] > lg[order[i]]) {
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
    eb_sampling tk = {1.0, 5, 1.0};
    int counts[V] = {0};
    enum { DRAWS = 20000 };
    eb_rng_seed(&r, 1);
    for (int d = 0; d < DRAWS; d++) counts[eb_sample(lg, V, &tk, &r)]++;
    int outside = DRAWS;
    double z = 0;
    for (int i = 0; i < 5; i++) {
        outside -= counts[order[i]];
        z += exp(lg[order[i]]);
    }
    CHECK_INT(outside, 0);
    for (int i = 0; i < 5; i++) {
        double want = exp(lg[order[i]]) / z, got = (double)counts[order[i]] / DRAWS;
        CHECK_NEAR(got, want, 0.02);
    }
    eb_sampling k1 = {2.0, 1, 1.0};
    CHECK_INT(eb_sample(lg, V, &k1, &r), best);

    /* top-p: probabilities 0.5, 0.3, 0.2 -> top_p 0.6 keeps the first two */
    float three[3] = {logf(0.5f), logf(0.3f), logf(0.2f)};
    eb_sampling tp = {1.0, 0, 0.6};
    int c3[3] = {0};
    for (int d = 0; d < 5000; d++) c3[eb_sample(three, 3, &tp, &r)]++;
    CHECK_INT(c3[2], 0);
    CHECK_NEAR(c3[0] / 5000.0, 0.5 / 0.8, 0.03);

    /* same seed, same draws */
    eb_rng a, b;
    eb_rng_seed(&a, 99);
    eb_rng_seed(&b, 99);
    eb_sampling hot = {1.3, 50, 0.95};
    int same = 1;
    for (int d = 0; d < 200; d++) same &= eb_sample(lg, V, &hot, &a) == eb_sample(lg, V, &hot, &b);
    CHECK(same);

    /* log-probabilities */
    double zz = 0;
    for (int i = 0; i < V; i++) zz += exp((double)lg[i]);
    CHECK_NEAR(eb_logprob(lg, V, 17), (double)lg[17] - log(zz), 1e-9);
    CHECK_NEAR(eb_logprob(three, 3, 1), log(0.3), 1e-6);
    free(lg);
    return eb_test_finish();
}
