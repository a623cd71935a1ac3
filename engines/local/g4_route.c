/* Mixture-of-experts routing on the host: every backend computes the router
 * logits on its device and routes here, so the expert choices (and their
 * tie-breaking) are the same whichever backend ran. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "g4_backend.h"

void eb_g4_route_host(const float *logits, int n, int E, int k, const eb_g4_tensor *pes, int32_t *idx,
                      float *weight) {
    float *p = eb_malloc((size_t)E * sizeof(float));
    for (int r = 0; r < n; r++) {
        const float *l = logits + (size_t)r * E;
        float mx = -INFINITY, sum = 0;
        for (int e = 0; e < E; e++) mx = l[e] > mx ? l[e] : mx;
        for (int e = 0; e < E; e++) sum += p[e] = expf(l[e] - mx);
        for (int e = 0; e < E; e++) p[e] /= sum;
        /* k largest, larger first; equal values keep the lower index first */
        int32_t *ix = idx + (size_t)r * k;
        float *w = weight + (size_t)r * k, top = 0;
        for (int j = 0; j < k; j++) {
            int best = -1;
            for (int e = 0; e < E; e++) {
                bool taken = false;
                for (int q = 0; q < j; q++) taken |= ix[q] == e;
                if (!taken && (best < 0 || p[e] > p[best])) best = e;
            }
            ix[j] = best;
            w[j] = p[best];
            top += p[best];
        }
        for (int j = 0; j < k; j++) w[j] = (w[j] / top) * eb_g4_tensor_get(pes, ix[j]);
    }
    free(p);
}
