/* Exact rational numbers on 128-bit integers, for comparing numeric MATH
 * answers without rounding.  Every operation reports overflow instead of
 * wrapping; callers then fall back to comparing text. */
#ifndef EB_EXTRACT_MATH_RATIONAL_H
#define EB_EXTRACT_MATH_RATIONAL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct eb_rat {
    __int128 num;
    __int128 den; /* > 0; num/den in lowest terms */
} eb_rat;

eb_rat eb_rat_int(long long v);
/* Parses digits with an optional '.' and fraction ("12", "0.035", "7.");
 * false on overflow or when s[0..n) is not such a number. */
bool eb_rat_parse_decimal(const char *s, size_t n, eb_rat *out);
bool eb_rat_add(eb_rat a, eb_rat b, eb_rat *out);
bool eb_rat_sub(eb_rat a, eb_rat b, eb_rat *out);
bool eb_rat_mul(eb_rat a, eb_rat b, eb_rat *out);
bool eb_rat_div(eb_rat a, eb_rat b, eb_rat *out); /* false also for b == 0 */
bool eb_rat_neg(eb_rat a, eb_rat *out);
/* a^e for an integer e; false on overflow, 0^negative, or |e| > 100000. */
bool eb_rat_pow(eb_rat a, long long e, eb_rat *out);
bool eb_rat_eq(eb_rat a, eb_rat b);
bool eb_rat_is_int(eb_rat a);
double eb_rat_to_double(eb_rat a);

#endif
