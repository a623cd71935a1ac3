#include "code_compare.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* ---- Python whitespace over UTF-8 ------------------------------------- */

/* str.isspace() for one code point: ASCII \t\n\v\f\r and space, the
 * separators U+001C..U+001F, and the Unicode spaces. */
static bool py_isspace(uint32_t cp) {
    return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20) || cp == 0x85 || cp == 0xa0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
           cp == 0x205f || cp == 0x3000;
}

/* Decodes one UTF-8 sequence at s[0..n); a malformed byte counts as one
 * non-space character. */
static size_t utf8_next(const char *s, size_t n, uint32_t *cp) {
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    size_t len = (u[0] & 0xe0) == 0xc0 ? 2 : (u[0] & 0xf0) == 0xe0 ? 3 : (u[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (len == 0 || len > n) {
        *cp = 0xfffd;
        return 1;
    }
    uint32_t v = u[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((u[i] & 0xc0) != 0x80) {
            *cp = 0xfffd;
            return 1;
        }
        v = (v << 6) | (u[i] & 0x3f);
    }
    *cp = v;
    return len;
}

/* Length of the whitespace character at s, or 0 when it is not one. */
static size_t space_at(const char *s, size_t n) {
    uint32_t cp;
    size_t len = utf8_next(s, n, &cp);
    return py_isspace(cp) ? len : 0;
}

/* Length of the whitespace character that ends s[0..n), or 0. */
static size_t space_before(const char *s, size_t n) {
    size_t start = n;
    /* Step back over continuation bytes to the lead byte (at most 3). */
    do {
        start--;
    } while (start > 0 && n - start < 4 && (((unsigned char)s[start]) & 0xc0) == 0x80);
    size_t len = space_at(s + start, n - start);
    return len == n - start ? len : 0;
}

typedef struct span {
    const char *s;
    size_t n;
} span;

static span strip(span x) {
    size_t k;
    while (x.n > 0 && (k = space_at(x.s, x.n)) > 0) {
        x.s += k;
        x.n -= k;
    }
    while (x.n > 0 && (k = space_before(x.s, x.n)) > 0) x.n -= k;
    return x;
}

/* Splits on "\n" (only) after stripping the whole text, then strips each
 * line; returns the count and a malloc'd array. */
static size_t split_lines(const char *text, size_t len, span **out) {
    span all = strip((span){text, len});
    size_t cap = 8, n = 0;
    span *v = eb_malloc(cap * sizeof *v);
    const char *p = all.s, *end = all.s + all.n;
    for (;;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        if (n == cap) v = eb_realloc(v, (cap *= 2) * sizeof *v);
        v[n++] = strip((span){p, (size_t)(stop - p)});
        if (!nl) break;
        p = nl + 1;
    }
    *out = v;
    return n;
}

/* Next whitespace-separated token of a (stripped) line, as str.split(). */
static bool next_token(span *line, span *tok) {
    size_t k;
    while (line->n > 0 && (k = space_at(line->s, line->n)) > 0) {
        line->s += k;
        line->n -= k;
    }
    if (line->n == 0) return false;
    const char *start = line->s;
    while (line->n > 0 && space_at(line->s, line->n) == 0) {
        uint32_t cp;
        size_t step = utf8_next(line->s, line->n, &cp);
        line->s += step;
        line->n -= step;
    }
    tok->s = start;
    tok->n = (size_t)(line->s - start);
    return true;
}

/* ---- Decimal(str) ----------------------------------------------------- */

typedef enum { DEC_FINITE, DEC_INF, DEC_NAN } dec_kind;

typedef struct decimal {
    dec_kind kind;
    int negative;
    char *digits;        /* significant digits, no leading/trailing zeros; "" for zero */
    long long exponent;  /* value = digits * 10^exponent */
} decimal;

/* Python's Decimal constructor drops every underscore; it also caps the
 * exponent near 10^18, where we simply refuse anything larger. */
#define DEC_MAX_EXP 999999999999999999LL

static bool ieq(const char *s, size_t n, const char *word) {
    size_t w = strlen(word);
    if (n != w) return false;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)s[i]) != word[i]) return false;
    return true;
}

static bool parse_decimal(const char *tok, size_t n, decimal *d) {
    char *s = eb_malloc(n + 1);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (tok[i] != '_') s[m++] = tok[i];
    s[m] = '\0';
    memset(d, 0, sizeof *d);
    size_t i = 0;
    if (i < m && (s[i] == '+' || s[i] == '-')) d->negative = s[i++] == '-';
    const char *r = s + i;
    size_t rn = m - i;
    bool ok = false;
    if (ieq(r, rn, "inf") || ieq(r, rn, "infinity")) {
        d->kind = DEC_INF;
        ok = true;
    } else if ((rn >= 3 && ieq(r, 3, "nan")) || (rn >= 4 && ieq(r, 4, "snan"))) {
        size_t k = tolower((unsigned char)r[0]) == 's' ? 4 : 3;
        ok = true;
        for (; k < rn; k++)
            if (!isdigit((unsigned char)r[k])) ok = false;
        d->kind = DEC_NAN;
    } else {
        char *digits = eb_malloc(rn + 1);
        size_t nd = 0, nfrac = 0, j = 0;
        bool any = false;
        while (j < rn && isdigit((unsigned char)r[j])) digits[nd++] = r[j++], any = true;
        if (j < rn && r[j] == '.') {
            j++;
            while (j < rn && isdigit((unsigned char)r[j])) digits[nd++] = r[j++], nfrac++, any = true;
        }
        long long exp = 0;
        ok = any;
        if (ok && j < rn && (r[j] == 'e' || r[j] == 'E')) {
            j++;
            int eneg = 0;
            if (j < rn && (r[j] == '+' || r[j] == '-')) eneg = r[j++] == '-';
            if (j >= rn || !isdigit((unsigned char)r[j])) ok = false;
            while (ok && j < rn && isdigit((unsigned char)r[j])) {
                int digit = r[j++] - '0';
                if (exp > (DEC_MAX_EXP - digit) / 10) ok = false;
                else exp = exp * 10 + digit;
            }
            if (eneg) exp = -exp;
        }
        if (ok && j != rn) ok = false;
        if (ok) {
            size_t lead = 0;
            while (lead < nd && digits[lead] == '0') lead++;
            size_t end = nd;
            exp -= (long long)nfrac;
            while (end > lead && digits[end - 1] == '0') end--, exp++;
            d->kind = DEC_FINITE;
            d->digits = eb_strndup(digits + lead, end - lead);
            d->exponent = end > lead ? exp : 0;
        }
        free(digits);
    }
    free(s);
    return ok;
}

static bool decimal_eq(const decimal *a, const decimal *b) {
    if (a->kind == DEC_NAN || b->kind == DEC_NAN) return false; /* NaN equals nothing */
    if (a->kind != b->kind) return false;
    if (a->kind == DEC_INF) return a->negative == b->negative;
    bool az = a->digits[0] == '\0', bz = b->digits[0] == '\0';
    if (az || bz) return az && bz; /* -0 == 0 == 0E+5 */
    return a->negative == b->negative && a->exponent == b->exponent && strcmp(a->digits, b->digits) == 0;
}

bool eb_lcb_decimal_equal(const char *a, size_t an, const char *b, size_t bn, bool *numeric) {
    decimal da, db;
    bool oka = parse_decimal(a, an, &da);
    bool okb = parse_decimal(b, bn, &db);
    bool eq = oka && okb && decimal_eq(&da, &db);
    if (numeric) *numeric = oka && okb;
    free(da.digits);
    free(db.digits);
    return eq;
}

/* ---- line comparison -------------------------------------------------- */

static bool span_eq(span a, span b) { return a.n == b.n && memcmp(a.s, b.s, a.n) == 0; }

/* The value of a numeric token as a double (via the same grammar). */
static bool token_double(span t, double *v) {
    decimal d;
    if (!parse_decimal(t.s, t.n, &d)) return false;
    bool ok = true;
    if (d.kind == DEC_NAN) {
        ok = false;
    } else if (d.kind == DEC_INF) {
        *v = d.negative ? -INFINITY : INFINITY;
    } else {
        char buf[64];
        char *text = NULL;
        size_t need = strlen(d.digits) + 32;
        char *p = need <= sizeof buf ? buf : (text = eb_malloc(need));
        snprintf(p, need, "%s%se%lld", d.negative ? "-" : "", d.digits[0] ? d.digits : "0", d.exponent);
        *v = strtod(p, NULL);
        free(text);
    }
    free(d.digits);
    return ok;
}

static bool tokens_close(span a, span b) {
    if (span_eq(a, b)) return true;
    bool numeric;
    if (eb_lcb_decimal_equal(a.s, a.n, b.s, b.n, &numeric)) return true;
    double x, y;
    if (!token_double(a, &x) || !token_double(b, &y)) return false;
    if (isinf(x) || isinf(y)) return x == y;
    double diff = fabs(x - y);
    return diff <= 1e-6 || diff <= 1e-6 * fmax(fabs(x), fabs(y));
}

/* Official per-line rule: identical, or all tokens decimal and equal. */
static bool line_matches_strict(span got, span exp) {
    if (span_eq(got, exp)) return true;
    span g = got, e = exp, tg, te;
    for (;;) {
        bool hg = next_token(&g, &tg), he = next_token(&e, &te);
        if (!hg && !he) return true;
        if (!hg || !he) return false; /* different token counts: unequal lists */
        bool numeric;
        if (!eb_lcb_decimal_equal(tg.s, tg.n, te.s, te.n, &numeric)) return false;
    }
}

static bool line_matches_tolerant(span got, span exp) {
    if (span_eq(got, exp)) return true;
    span g = got, e = exp, tg, te;
    for (;;) {
        bool hg = next_token(&g, &tg), he = next_token(&e, &te);
        if (!hg && !he) return true;
        if (!hg || !he) return false;
        if (!tokens_close(tg, te)) return false;
    }
}

static void describe(char *why, size_t size, size_t line, span got, span exp) {
    if (!why || size == 0) return;
    int gl = got.n > 80 ? 80 : (int)got.n, el = exp.n > 80 ? 80 : (int)exp.n;
    snprintf(why, size, "line %zu: got '%.*s%s' expected '%.*s%s'", line + 1, gl, got.s, got.n > 80 ? "..." : "",
             el, exp.s, exp.n > 80 ? "..." : "");
}

bool eb_lcb_output_matches(const char *got, size_t got_len, const char *expected, size_t expected_len,
                           bool tolerant, char *why, size_t why_size) {
    span *gl, *el;
    size_t ng = split_lines(got ? got : "", got ? got_len : 0, &gl);
    size_t ne = split_lines(expected ? expected : "", expected ? expected_len : 0, &el);
    bool ok = true;
    if (ng != ne) {
        ok = false;
        if (why && why_size) snprintf(why, why_size, "output has %zu lines, expected %zu", ng, ne);
    } else {
        for (size_t i = 0; i < ng && ok; i++) {
            ok = tolerant ? line_matches_tolerant(gl[i], el[i]) : line_matches_strict(gl[i], el[i]);
            if (!ok) describe(why, why_size, i, gl[i], el[i]);
        }
    }
    free(gl);
    free(el);
    return ok;
}
