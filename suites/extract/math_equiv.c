#include "math_equiv.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "math_expr.h"
#include "math_normalize.h"
#include "strutil.h"

enum { MAX_ITEMS = 64, MAX_NEST = 8, MAX_COMPARISONS = 20000 };

/* Comparisons left for the current eb_math_equiv call.  Unordered lists of
 * lists can ask for quadratically many comparisons per level; real answers
 * need a few thousand at most, and hostile ones stop here ("not equal"). */
static _Thread_local long comparisons_left;

typedef enum { K_SCALAR, K_ORDERED, K_UNORDERED, K_MATRIX, K_UNION } kind;

typedef struct shape {
    kind k;
    char open, close;  /* K_ORDERED: the brackets, for intervals */
    int rows;          /* K_MATRIX */
    size_t n;
    char *items[MAX_ITEMS];
    bool too_many;
} shape;

static void shape_free(shape *s) {
    for (size_t i = 0; i < s->n; i++) free(s->items[i]);
    s->n = 0;
}

static void push(shape *s, const char *p, size_t len) {
    if (s->n >= MAX_ITEMS) {
        s->too_many = true;
        return;
    }
    /* Items are normalized on their own, so that "x=1, x=-2" lists and
     * "\text{}" inside tuples read like whole answers do. */
    char *raw = eb_strndup(p, len);
    s->items[s->n++] = eb_math_normalize(raw);
    free(raw);
}

/* Bracket depth change at s[i]; escaped braces \{ \} count as brackets.
 * *width gets the number of characters consumed. */
static int bracket_delta(const char *s, size_t i, size_t *width) {
    *width = 1;
    if (s[i] == '\\' && (s[i + 1] == '{' || s[i + 1] == '}')) {
        *width = 2;
        return s[i + 1] == '{' ? 1 : -1;
    }
    if (s[i] == '\\' && s[i + 1]) {
        *width = 2; /* \( \) \[ \] are not brackets here */
        return 0;
    }
    switch (s[i]) {
    case '(': case '[': case '{': return 1;
    case ')': case ']': case '}': return -1;
    default: return 0;
    }
}

/* Splits s[0..n) at top-level occurrences of `sep`. */
static void split_top(const char *s, size_t n, const char *sep, shape *out) {
    size_t ls = strlen(sep), start = 0;
    int depth = 0;
    for (size_t i = 0; i < n;) {
        if (depth == 0 && n - i >= ls && strncmp(s + i, sep, ls) == 0) {
            push(out, s + start, i - start);
            i += ls;
            start = i;
            continue;
        }
        size_t w;
        depth += bracket_delta(s, i, &w);
        i += w;
    }
    push(out, s + start, n - start);
}

static bool has_top(const char *s, const char *sep) {
    size_t ls = strlen(sep);
    int depth = 0;
    for (size_t i = 0; s[i];) {
        if (depth == 0 && strncmp(s + i, sep, ls) == 0) return true;
        size_t w;
        depth += bracket_delta(s, i, &w);
        i += w;
    }
    return false;
}

/* Index just past the bracket group that opens at s[0], or 0. */
static size_t group_end(const char *s) {
    int depth = 0;
    for (size_t i = 0; s[i];) {
        size_t w;
        depth += bracket_delta(s, i, &w);
        i += w;
        if (depth <= 0) return depth == 0 ? i : 0;
    }
    return 0;
}

/* Expands a single top-level \pm (or \mp) into its two values. */
static bool expand_pm(const char *s, shape *out) {
    const char *ops[] = {"\\pm", "\\mp"};
    for (int k = 0; k < 2; k++) {
        shape parts = {0};
        split_top(s, strlen(s), ops[k], &parts);
        if (parts.n == 2) {
            size_t la = strlen(parts.items[0]), lb = strlen(parts.items[1]);
            char *p1 = eb_malloc(la + lb + 4), *p2 = eb_malloc(la + lb + 4);
            /* a+(b) and a-(b) */
            snprintf(p1, la + lb + 4, "%s+(%s)", parts.items[0], parts.items[1]);
            snprintf(p2, la + lb + 4, "%s-(%s)", parts.items[0], parts.items[1]);
            if (la == 0) { /* "\pm 3" */
                snprintf(p1, la + lb + 4, "%s", parts.items[1]);
                snprintf(p2, la + lb + 4, "-(%s)", parts.items[1]);
            }
            push(out, p1, strlen(p1));
            push(out, p2, strlen(p2));
            free(p1);
            free(p2);
            shape_free(&parts);
            return true;
        }
        shape_free(&parts);
    }
    return false;
}

static void classify(const char *s, shape *out) {
    size_t n = strlen(s);
    memset(out, 0, sizeof *out);
    out->k = K_SCALAR;
    static const char *const envs[] = {"pmatrix", "bmatrix", "matrix", "vmatrix"};
    for (size_t e = 0; e < 4; e++) {
        char open[32], close[32];
        snprintf(open, sizeof open, "\\begin{%s}", envs[e]);
        snprintf(close, sizeof close, "\\end{%s}", envs[e]);
        size_t lo = strlen(open), lc = strlen(close);
        if (n >= lo + lc && strncmp(s, open, lo) == 0 && strcmp(s + n - lc, close) == 0) {
            out->k = K_MATRIX;
            shape rows = {0};
            split_top(s + lo, n - lo - lc, "\\\\", &rows);
            for (size_t r = 0; r < rows.n; r++) {
                if (!*rows.items[r] && r + 1 == rows.n && r > 0) break; /* trailing \\ */
                split_top(rows.items[r], strlen(rows.items[r]), "&", out);
                out->rows++;
                /* a row marker keeps shapes like 2x1 and 1x2 apart */
                push(out, "|row|", 5);
            }
            out->too_many |= rows.too_many;
            shape_free(&rows);
            return;
        }
    }
    if (has_top(s, "\\cup")) {
        out->k = K_UNION;
        split_top(s, n, "\\cup", out);
        return;
    }
    bool set_braces = n >= 4 && strncmp(s, "\\{", 2) == 0 && strcmp(s + n - 2, "\\}") == 0;
    if ((s[0] == '(' || s[0] == '[' || set_braces) && group_end(s) == n) {
        size_t skip = set_braces ? 2 : 1;
        shape inner = {0};
        split_top(s + skip, n - 2 * skip, ",", &inner);
        if (inner.n > 1 || set_braces) {
            out->k = set_braces ? K_UNORDERED : K_ORDERED;
            out->open = s[0];
            out->close = s[n - 1];
            for (size_t i = 0; i < inner.n; i++)
                if (!(out->k == K_UNORDERED && expand_pm(inner.items[i], out)))
                    push(out, inner.items[i], strlen(inner.items[i]));
            out->too_many |= inner.too_many;
            shape_free(&inner);
            return;
        }
        shape_free(&inner);
    }
    if (has_top(s, ",")) {
        out->k = K_UNORDERED;
        shape inner = {0};
        split_top(s, n, ",", &inner);
        for (size_t i = 0; i < inner.n; i++)
            if (!expand_pm(inner.items[i], out)) push(out, inner.items[i], strlen(inner.items[i]));
        out->too_many |= inner.too_many;
        shape_free(&inner);
        return;
    }
    if (expand_pm(s, out)) {
        out->k = K_UNORDERED;
        return;
    }
}

static bool all_letters(const char *s) {
    if (!*s) return false;
    for (; *s; s++)
        if (!isalpha((unsigned char)*s)) return false;
    return true;
}

/* "(C)" -> "C" for a single letter. */
static bool paren_letter(const char *s, char *out) {
    if (s[0] == '(' && isalpha((unsigned char)s[1]) && s[2] == ')' && !s[3]) {
        *out = s[1];
        return true;
    }
    if (isalpha((unsigned char)s[0]) && !s[1]) {
        *out = s[0];
        return true;
    }
    return false;
}

/* "2\frac{1}{2}" or "-2\frac{1}{2}" as a mixed number -> "(2+\frac{1}{2})". */
static char *mixed_number(const char *s) {
    const char *p = s;
    bool neg = *p == '-';
    if (neg) p++;
    size_t d = 0;
    while (isdigit((unsigned char)p[d])) d++;
    if (d == 0 || strncmp(p + d, "\\frac{", 6) != 0) return NULL;
    const char *q = p + d + 6;
    size_t a = 0;
    while (isdigit((unsigned char)q[a])) a++;
    if (a == 0 || strncmp(q + a, "}{", 2) != 0) return NULL;
    const char *r = q + a + 2;
    size_t b = 0;
    while (isdigit((unsigned char)r[b])) b++;
    if (b == 0 || r[b] != '}' || r[b + 1]) return NULL;
    size_t cap = strlen(s) + 8;
    char *out = eb_malloc(cap);
    snprintf(out, cap, "%s(%.*s+%.*s/%.*s)", neg ? "-" : "", (int)d, p, (int)a, q, (int)b, r);
    return out;
}

static bool equiv_norm(const char *x, const char *y, int nest);

static bool close_enough(double complex x, double complex y) {
    double diff = cabs(x - y);
    double scale = fmax(cabs(x), cabs(y));
    return diff <= 1e-9 * scale || diff <= 1e-12;
}

/* Equations: "5x-7y+11z+4=0" matches "-5x+7y-11z-4=0" and "5x+4=7y-11z":
 * left minus right must agree up to a non-zero constant factor at every
 * evaluation point.  Returns -1 when either side is not one equation. */
static int equation_equiv(const char *x, const char *y) {
    const char *ex = strchr(x, '='), *ey = strchr(y, '=');
    if (!ex || !ey || strchr(ex + 1, '=') || strchr(ey + 1, '=')) return -1;
    size_t cx = strlen(x) + 8, cy = strlen(y) + 8;
    char *fx = eb_malloc(cx), *fy = eb_malloc(cy);
    snprintf(fx, cx, "(%.*s)-(%s)", (int)(ex - x), x, ex + 1);
    snprintf(fy, cy, "(%.*s)-(%s)", (int)(ey - y), y, ey + 1);
    eb_expr *px = eb_expr_parse(fx), *py = eb_expr_parse(fy);
    free(fx);
    free(fy);
    int result = 0;
    if (px && py) {
        double complex ratio = 0;
        int valid = 0;
        bool agree = true;
        for (int point = 0; point < 4 && agree; point++) {
            double complex vx = eb_expr_eval(px, point), vy = eb_expr_eval(py, point);
            if (!isfinite(creal(vx)) || !isfinite(cimag(vx)) || !isfinite(creal(vy)) || !isfinite(cimag(vy)))
                continue;
            if (cabs(vy) < 1e-12 || cabs(vx) < 1e-12) {
                agree = cabs(vy) < 1e-12 && cabs(vx) < 1e-12;
                continue;
            }
            if (valid++ == 0) ratio = vx / vy;
            else agree = close_enough(vx / vy, ratio);
        }
        result = agree && valid >= 2;
    }
    eb_expr_free(px);
    eb_expr_free(py);
    return result;
}

static bool scalar_equiv(const char *x, const char *y) {
    if (strcmp(x, y) == 0) return true;
    int eq = equation_equiv(x, y);
    if (eq >= 0) return eq == 1;
    if (all_letters(x) && all_letters(y) && strlen(x) > 1) return strcasecmp(x, y) == 0;
    char lx, ly;
    if (paren_letter(x, &lx) && paren_letter(y, &ly) && (x[0] == '(' || y[0] == '(')) return lx == ly;

    char *mx = mixed_number(x), *my = mixed_number(y);
    eb_expr *ex = eb_expr_parse(mx ? mx : x);
    eb_expr *ey = eb_expr_parse(my ? my : y);
    free(mx);
    free(my);
    bool equal = false;
    if (ex && ey) {
        eb_rat rx, ry;
        eb_rat_status sx = eb_expr_rational(ex, &rx), sy = eb_expr_rational(ey, &ry);
        if (sx == EB_RAT_OK && sy == EB_RAT_OK) {
            equal = eb_rat_eq(rx, ry);
        } else if (sx == EB_RAT_OVERFLOW || sy == EB_RAT_OVERFLOW || sx == EB_RAT_UNDEFINED ||
                   sy == EB_RAT_UNDEFINED) {
            equal = false; /* the strings already differ */
        } else {
            int valid = 0, agree = 0;
            for (int point = 0; point < 4; point++) {
                double complex vx = eb_expr_eval(ex, point), vy = eb_expr_eval(ey, point);
                if (!isfinite(creal(vx)) || !isfinite(cimag(vx)) || !isfinite(creal(vy)) || !isfinite(cimag(vy)))
                    continue;
                valid++;
                if (close_enough(vx, vy)) agree++;
            }
            bool vars = eb_expr_has_vars(ex) || eb_expr_has_vars(ey);
            equal = valid > 0 && agree == valid && (!vars || valid >= 2);
        }
    }
    eb_expr_free(ex);
    eb_expr_free(ey);
    return equal;
}

/* Each item of a must pair with a distinct, equivalent item of b. */
static bool match_unordered(const shape *a, const shape *b, int nest) {
    bool used[MAX_ITEMS] = {false};
    for (size_t i = 0; i < a->n; i++) {
        bool found = false;
        for (size_t j = 0; j < b->n && !found; j++) {
            if (!used[j] && equiv_norm(a->items[i], b->items[j], nest + 1)) {
                used[j] = true;
                found = true;
            }
        }
        if (!found) return false;
    }
    return true;
}

/* A column vector written as a tuple: \begin{pmatrix}1\\2\end{pmatrix}
 * and (1,2) are the same vector. */
static bool column_vs_tuple(const shape *m, const shape *t, int nest) {
    if (t->open != '(' || t->close != ')' || m->rows < 2 || (size_t)m->rows != t->n || m->n != 2 * t->n) return false;
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(m->items[2 * i + 1], "|row|") != 0) return false;
        if (!equiv_norm(m->items[2 * i], t->items[i], nest + 1)) return false;
    }
    return true;
}

static bool equiv_norm(const char *x, const char *y, int nest) {
    if (strcmp(x, y) == 0) return true;
    if (nest > MAX_NEST || --comparisons_left < 0) return false;
    shape a, b;
    classify(x, &a);
    classify(y, &b);
    bool result = false;
    if (a.too_many || b.too_many) {
        result = false;
    } else if (a.k == K_SCALAR && b.k == K_SCALAR) {
        result = scalar_equiv(x, y);
    } else if ((a.k == K_MATRIX && b.k == K_ORDERED) || (a.k == K_ORDERED && b.k == K_MATRIX)) {
        result = column_vs_tuple(a.k == K_MATRIX ? &a : &b, a.k == K_MATRIX ? &b : &a, nest);
    } else if (a.k == b.k && a.n == b.n) {
        if (a.k == K_UNORDERED || a.k == K_UNION) {
            result = match_unordered(&a, &b, nest);
        } else if (a.k == K_ORDERED && (a.open != b.open || a.close != b.close)) {
            result = false;
        } else {
            result = a.rows == b.rows;
            for (size_t i = 0; i < a.n && result; i++) result = equiv_norm(a.items[i], b.items[i], nest + 1);
        }
    }
    shape_free(&a);
    shape_free(&b);
    return result;
}

bool eb_math_equiv(const char *a, const char *b) {
    if (!a || !b) return false;
    if (strlen(a) > EB_MATH_MAX_ANSWER || strlen(b) > EB_MATH_MAX_ANSWER) {
        char *ta = eb_trim_dup(a), *tb = eb_trim_dup(b);
        bool r = strcmp(ta, tb) == 0;
        free(ta);
        free(tb);
        return r;
    }
    char *na = eb_math_normalize(a), *nb = eb_math_normalize(b);
    comparisons_left = MAX_COMPARISONS;
    bool r = equiv_norm(na, nb, 0);
    /* A percentage on one side only: "50\%" also matches 0.5. */
    bool pa = strchr(a, '%') != NULL, pb = strchr(b, '%') != NULL;
    if (!r && pa != pb) {
        const char *pct = pa ? na : nb, *other = pa ? nb : na;
        size_t cap = strlen(pct) + 16;
        char *scaled = eb_malloc(cap);
        snprintf(scaled, cap, "\\frac{%s}{100}", pct);
        shape sh;
        classify(pct, &sh);
        if (sh.k == K_SCALAR) r = scalar_equiv(scaled, other);
        shape_free(&sh);
        free(scaled);
    }
    free(na);
    free(nb);
    return r;
}
