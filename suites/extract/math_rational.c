#include "math_rational.h"

#include <ctype.h>

typedef unsigned __int128 u128;

static __int128 gcd128(__int128 a, __int128 b) {
    u128 x = a < 0 ? (u128)0 - (u128)a : (u128)a;
    u128 y = b < 0 ? (u128)0 - (u128)b : (u128)b;
    while (y) {
        u128 t = x % y;
        x = y;
        y = t;
    }
    return (__int128)x; /* callers never pass two values whose gcd is 2^127 */
}

/* Builds num/den in lowest terms with a positive denominator. */
static bool make(__int128 num, __int128 den, eb_rat *out) {
    if (den == 0) return false;
    const __int128 min128 = (__int128)((u128)1 << 127);
    if (num == min128 || den == min128) return false;
    if (den < 0) {
        num = -num;
        den = -den;
    }
    __int128 g = gcd128(num, den);
    if (g > 1) {
        num /= g;
        den /= g;
    }
    out->num = num;
    out->den = den;
    return true;
}

eb_rat eb_rat_int(long long v) {
    eb_rat r = {v, 1};
    return r;
}

bool eb_rat_parse_decimal(const char *s, size_t n, eb_rat *out) {
    __int128 num = 0, den = 1;
    bool digits = false, point = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.' && !point) {
            point = true;
            continue;
        }
        if (!isdigit((unsigned char)c)) return false;
        digits = true;
        if (__builtin_mul_overflow(num, (__int128)10, &num)) return false;
        if (__builtin_add_overflow(num, (__int128)(c - '0'), &num)) return false;
        if (point && __builtin_mul_overflow(den, (__int128)10, &den)) return false;
    }
    return digits && make(num, den, out);
}

bool eb_rat_add(eb_rat a, eb_rat b, eb_rat *out) {
    __int128 g = gcd128(a.den, b.den);
    __int128 bd = b.den / g, ad = a.den / g, x, y, num, den;
    if (__builtin_mul_overflow(a.num, bd, &x)) return false;
    if (__builtin_mul_overflow(b.num, ad, &y)) return false;
    if (__builtin_add_overflow(x, y, &num)) return false;
    if (__builtin_mul_overflow(a.den, bd, &den)) return false;
    return make(num, den, out);
}

bool eb_rat_neg(eb_rat a, eb_rat *out) {
    return make(-a.num, a.den, out);
}

bool eb_rat_sub(eb_rat a, eb_rat b, eb_rat *out) {
    eb_rat nb;
    return eb_rat_neg(b, &nb) && eb_rat_add(a, nb, out);
}

bool eb_rat_mul(eb_rat a, eb_rat b, eb_rat *out) {
    /* cross-reduce first so that exact results rarely overflow */
    __int128 g1 = gcd128(a.num, b.den), g2 = gcd128(b.num, a.den);
    if (g1 == 0) g1 = 1;
    if (g2 == 0) g2 = 1;
    __int128 num, den;
    if (__builtin_mul_overflow(a.num / g1, b.num / g2, &num)) return false;
    if (__builtin_mul_overflow(a.den / g2, b.den / g1, &den)) return false;
    return make(num, den, out);
}

bool eb_rat_div(eb_rat a, eb_rat b, eb_rat *out) {
    if (b.num == 0) return false;
    eb_rat inv;
    if (!make(b.den, b.num, &inv)) return false;
    return eb_rat_mul(a, inv, out);
}

bool eb_rat_pow(eb_rat a, long long e, eb_rat *out) {
    if (e > 100000 || e < -100000) return false;
    if (e < 0) {
        if (a.num == 0) return false;
        eb_rat inv;
        if (!make(a.den, a.num, &inv)) return false;
        a = inv;
        e = -e;
    }
    eb_rat result = eb_rat_int(1), base = a;
    /* Large exponents of anything but 0 and +-1 overflow within a few
     * squarings, which ends the loop early. */
    while (e > 0) {
        if (e & 1) {
            if (!eb_rat_mul(result, base, &result)) return false;
        }
        e >>= 1;
        if (e > 0 && !eb_rat_mul(base, base, &base)) return false;
    }
    *out = result;
    return true;
}

bool eb_rat_eq(eb_rat a, eb_rat b) {
    return a.num == b.num && a.den == b.den;
}

bool eb_rat_is_int(eb_rat a) {
    return a.den == 1;
}

double eb_rat_to_double(eb_rat a) {
    return (double)a.num / (double)a.den;
}
