/* A small deterministic random generator (xoshiro256** seeded through
 * splitmix64): the same seed gives the same draws on every machine, which
 * bootstrap intervals and seeded sampling both need. */
#ifndef EB_RNG_H
#define EB_RNG_H

#include <stdint.h>

typedef struct eb_rng {
    uint64_t s[4];
} eb_rng;

void eb_rng_seed(eb_rng *r, uint64_t seed);
uint64_t eb_rng_next(eb_rng *r);
/* Uniform integer in [0, bound), bound > 0, without modulo bias. */
uint64_t eb_rng_below(eb_rng *r, uint64_t bound);
/* Uniform double in [0, 1). */
double eb_rng_uniform(eb_rng *r);

#endif
