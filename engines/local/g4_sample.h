/* Choosing the next token from logits: greedy (temperature <= 0) or seeded
 * sampling with temperature, top-k and top-p, in that order (as Hugging Face
 * applies its logits warpers).  Also the log-probability of a given token. */
#ifndef EB_G4_SAMPLE_H
#define EB_G4_SAMPLE_H

#include <stdint.h>

#include "rng.h"


typedef struct eb_sampling {
    double temperature; /* <= 0: greedy */
    int top_k;          /* 0: off */
    double top_p;       /* >= 1: off */
} eb_sampling;

/* Greedy: the largest logit (lowest id on ties). */
int32_t eb_argmax(const float *logits, int n);
int32_t eb_sample(const float *logits, int n, const eb_sampling *s, eb_rng *rng);
/* log softmax(logits)[id], computed in double. */
double eb_logprob(const float *logits, int n, int32_t id);

#endif
