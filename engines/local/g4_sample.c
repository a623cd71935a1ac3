#include "g4_sample.h"

#include <math.h>
#include <stdlib.h>

#include "error.h"


int32_t eb_argmax(const float *logits, int n) {
    int32_t best = 0;
    for (int i = 1; i < n; i++)
        if (logits[i] > logits[best]) best = i;
    return best;
}

typedef struct cand {
    float logit;
    int32_t id;
} cand;

/* Larger logit first; lower id first among equals, so the order is total. */
static int cand_cmp(const void *a, const void *b) {
    const cand *x = a, *y = b;
    if (x->logit != y->logit) return x->logit > y->logit ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

int32_t eb_sample(const float *logits, int n, const eb_sampling *s, eb_rng *rng) {
    if (s->temperature <= 0) return eb_argmax(logits, n);
    int keep = s->top_k > 0 && s->top_k < n ? s->top_k : n;
    cand *c = eb_malloc((size_t)n * sizeof *c);
    if (keep < n) {
        /* the top_k best through a min-heap (worst kept candidate on top),
         * instead of sorting the whole vocabulary every step */
        int h = 0;
        for (int i = 0; i < n; i++) {
            cand x = {logits[i] / (float)s->temperature, i};
            if (h < keep) {
                int k = h++;
                while (k > 0 && cand_cmp(&x, &c[(k - 1) / 2]) > 0) {
                    c[k] = c[(k - 1) / 2];
                    k = (k - 1) / 2;
                }
                c[k] = x;
            } else if (cand_cmp(&x, &c[0]) < 0) {
                int k = 0;
                for (;;) {
                    int l = 2 * k + 1, r = l + 1, m = k;
                    const cand *worst = &x;
                    if (l < h && cand_cmp(&c[l], worst) > 0) m = l, worst = &c[l];
                    if (r < h && cand_cmp(&c[r], worst) > 0) m = r;
                    if (m == k) break;
                    c[k] = c[m];
                    k = m;
                }
                c[k] = x;
            }
        }
    } else {
        for (int i = 0; i < n; i++) c[i] = (cand){logits[i] / (float)s->temperature, i};
    }
    qsort(c, (size_t)keep, sizeof *c, cand_cmp);
    double mx = c[0].logit, sum = 0;
    double *p = eb_malloc((size_t)keep * sizeof *p);
    for (int i = 0; i < keep; i++) sum += p[i] = exp((double)c[i].logit - mx);
    if (s->top_p > 0 && s->top_p < 1) {
        /* smallest prefix whose mass reaches top_p (at least one token) */
        double cum = 0;
        int k = 0;
        while (k < keep) {
            cum += p[k] / sum;
            k++;
            if (cum >= s->top_p) break;
        }
        keep = k;
        sum = 0;
        for (int i = 0; i < keep; i++) sum += p[i];
    }
    double u = eb_rng_uniform(rng) * sum, acc = 0;
    int32_t id = c[keep - 1].id;
    for (int i = 0; i < keep; i++) {
        acc += p[i];
        if (u < acc) {
            id = c[i].id;
            break;
        }
    }
    free(p);
    free(c);
    return id;
}

double eb_logprob(const float *logits, int n, int32_t id) {
    double mx = logits[0];
    for (int i = 1; i < n; i++) mx = logits[i] > mx ? logits[i] : mx;
    double sum = 0;
    for (int i = 0; i < n; i++) sum += exp((double)logits[i] - mx);
    return (double)logits[id] - mx - log(sum);
}
