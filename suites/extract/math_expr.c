/* Grammar (recursive descent, depth- and size-limited):
 *   expr    := ['+'|'-'] term (('+'|'-') term)*
 *   term    := unary ((('*'|\cdot|\times|'/'|\div) unary) | power)*
 *                  -- juxtaposition is multiplication: 2x, 3\sqrt{2}, (a+5)(b+2)
 *   unary   := ('-'|'+') unary | power
 *   power   := primary ['^' script]                -- right-associative
 *   script  := '{' expr '}' | ['-'] primary         -- "x^10" reads as x^{10}
 *   primary := number | letter | greek | \pi | i | '(' expr ')' | '{' expr '}'
 *            | \frac arg arg | \sqrt['[' expr ']'] arg | func ['^' script] arg
 *            | '|' expr '|'
 * where arg is '{' expr '}' or a single primary.  Single letters are
 * variables, except i, the imaginary unit.  Three or more letters in a row
 * that do not form a command are a word, and the parse fails. */
#include "math_expr.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

enum { MAX_DEPTH = 64, MAX_NODES = 2048 };

typedef enum {
    N_NUM, N_VAR, N_PI, N_I, N_ADD, N_SUB, N_MUL, N_DIV, N_NEG, N_POW, N_SQRT, N_ROOT, N_FUNC, N_ABS
} node_kind;

typedef enum { F_SIN, F_COS, F_TAN, F_COT, F_SEC, F_CSC, F_ASIN, F_ACOS, F_ATAN, F_LOG, F_LN, F_EXP } func_kind;

typedef struct node {
    node_kind kind;
    int a, b;      /* child indices */
    eb_rat num;    /* N_NUM (valid when num_ok) */
    bool num_ok;   /* false: too many digits for 128 bits */
    double numd;   /* N_NUM as a double */
    unsigned var;  /* N_VAR: a hash of the name */
    func_kind func;
} node;

struct eb_expr {
    node *nodes;
    int n, cap, root;
};

typedef struct parser {
    const char *s;
    size_t i;
    int depth;
    bool failed;
    eb_expr *e;
} parser;

static int add_node(parser *p, node nd) {
    if (p->e->n >= MAX_NODES) {
        p->failed = true;
        return 0;
    }
    if (p->e->n == p->e->cap) {
        p->e->cap *= 2;
        p->e->nodes = eb_realloc(p->e->nodes, (size_t)p->e->cap * sizeof *p->e->nodes);
    }
    p->e->nodes[p->e->n] = nd;
    return p->e->n++;
}

static int binary(parser *p, node_kind k, int a, int b) {
    node nd = {0};
    nd.kind = k;
    nd.a = a;
    nd.b = b;
    return add_node(p, nd);
}

static int leaf(parser *p, node_kind k) {
    node nd = {0};
    nd.kind = k;
    return add_node(p, nd);
}

static const struct {
    const char *name;
    func_kind f;
} funcs[] = {
    {"arcsin", F_ASIN}, {"arccos", F_ACOS}, {"arctan", F_ATAN}, {"sin", F_SIN}, {"cos", F_COS},
    {"tan", F_TAN},     {"cot", F_COT},     {"sec", F_SEC},     {"csc", F_CSC}, {"log", F_LOG},
    {"ln", F_LN},       {"exp", F_EXP},
};

static const char *const greek[] = {
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "kappa",
    "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "phi", "varphi", "chi", "psi", "omega",
    "Gamma", "Delta", "Theta", "Lambda", "Sigma", "Phi", "Psi", "Omega",
};

static unsigned hash_name(const char *s, size_t n) {
    unsigned h = 2166136261u;
    for (size_t k = 0; k < n; k++) h = (h ^ (unsigned char)s[k]) * 16777619u;
    return h;
}

/* Length of the command name at p->s + p->i (after the backslash): the
 * longest known command that the letters start with, so that "\cotx"
 * (spaces already removed) reads as \cot x. */
static size_t command_len(const char *s, const char *const *known, size_t nknown) {
    size_t letters = 0;
    while (isalpha((unsigned char)s[letters])) letters++;
    size_t best = 0;
    for (size_t k = 0; k < nknown; k++) {
        size_t l = strlen(known[k]);
        if (l <= letters && l > best && strncmp(s, known[k], l) == 0) best = l;
    }
    return best;
}

static const char *const all_commands[] = {
    "frac", "sqrt", "pi", "cdot", "times", "div", "arcsin", "arccos", "arctan", "sin", "cos", "tan", "cot",
    "sec", "csc", "log", "ln", "exp", "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta",
    "theta", "vartheta", "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "phi", "varphi", "chi", "psi",
    "omega", "Gamma", "Delta", "Theta", "Lambda", "Sigma", "Phi", "Psi", "Omega",
};

/* Peeks the command at the cursor (which is at a backslash); returns its
 * length (0 if unknown) and sets *name. */
static size_t peek_command(const parser *p, const char **name) {
    const char *s = p->s + p->i;
    if (*s != '\\') return 0;
    size_t n = command_len(s + 1, all_commands, sizeof all_commands / sizeof all_commands[0]);
    *name = s + 1;
    return n;
}

static bool is_cmd(const parser *p, const char *cmd) {
    const char *name;
    size_t n = peek_command(p, &name);
    return n == strlen(cmd) && strncmp(name, cmd, n) == 0;
}

static int parse_expr(parser *p);
static int parse_unary(parser *p);
static int parse_power(parser *p);

static bool starts_primary(const parser *p) {
    char c = p->s[p->i];
    if (isdigit((unsigned char)c) || isalpha((unsigned char)c) || c == '(' || c == '{') return true;
    if (c == '\\') {
        const char *name;
        size_t n = peek_command(p, &name);
        if (n == 0) return false;
        return !((n == 4 && strncmp(name, "cdot", 4) == 0) || (n == 5 && strncmp(name, "times", 5) == 0) ||
                 (n == 3 && strncmp(name, "div", 3) == 0));
    }
    return false;
}

static bool expect(parser *p, char c) {
    if (p->s[p->i] != c) {
        p->failed = true;
        return false;
    }
    p->i++;
    return true;
}

/* '{' expr '}' or one primary (for \frac12 style arguments). */
static int parse_arg(parser *p) {
    if (p->s[p->i] == '{') {
        p->i++;
        int e = parse_expr(p);
        expect(p, '}');
        return e;
    }
    return parse_power(p);
}

static int parse_number(parser *p) {
    size_t start = p->i;
    while (isdigit((unsigned char)p->s[p->i])) p->i++;
    if (p->s[p->i] == '.' && isdigit((unsigned char)p->s[p->i + 1])) {
        p->i++;
        while (isdigit((unsigned char)p->s[p->i])) p->i++;
    }
    node nd = {0};
    nd.kind = N_NUM;
    size_t n = p->i - start;
    nd.num_ok = eb_rat_parse_decimal(p->s + start, n, &nd.num);
    char tmp[64];
    if (n < sizeof tmp) {
        memcpy(tmp, p->s + start, n);
        tmp[n] = '\0';
        nd.numd = strtod(tmp, NULL);
    } else {
        nd.numd = HUGE_VAL; /* evaluation skips points where a value is infinite */
    }
    return add_node(p, nd);
}

static int parse_primary(parser *p) {
    if (p->failed) return 0;
    if (++p->depth > MAX_DEPTH) {
        p->failed = true;
        return 0;
    }
    int r = 0;
    char c = p->s[p->i];
    if (isdigit((unsigned char)c) || (c == '.' && isdigit((unsigned char)p->s[p->i + 1]))) {
        r = parse_number(p);
    } else if (isalpha((unsigned char)c)) {
        size_t run = 0;
        while (isalpha((unsigned char)p->s[p->i + run])) run++;
        if (run >= 3) {
            p->failed = true; /* a word, not a product of variables */
        } else if (c == 'i') {
            p->i++;
            r = leaf(p, N_I);
        } else {
            p->i++;
            r = leaf(p, N_VAR);
            p->e->nodes[r].var = (unsigned char)c;
        }
    } else if (c == '(' || c == '{') {
        p->i++;
        r = parse_expr(p);
        expect(p, c == '(' ? ')' : '}');
    } else if (c == '|') {
        p->i++;
        int inner = parse_expr(p);
        expect(p, '|');
        r = binary(p, N_ABS, inner, 0);
    } else if (c == '\\') {
        const char *name;
        size_t n = peek_command(p, &name);
        if (n == 0) {
            p->failed = true;
        } else if (n == 4 && strncmp(name, "frac", 4) == 0) {
            p->i += 5;
            int num = parse_arg(p);
            int den = parse_arg(p);
            r = binary(p, N_DIV, num, den);
        } else if (n == 4 && strncmp(name, "sqrt", 4) == 0) {
            p->i += 5;
            if (p->s[p->i] == '[') {
                p->i++;
                int index = parse_expr(p);
                expect(p, ']');
                int radicand = parse_arg(p);
                r = binary(p, N_ROOT, radicand, index);
            } else {
                r = binary(p, N_SQRT, parse_arg(p), 0);
            }
        } else if (n == 2 && strncmp(name, "pi", 2) == 0) {
            p->i += 3;
            r = leaf(p, N_PI);
        } else {
            bool found = false;
            for (size_t k = 0; k < sizeof funcs / sizeof funcs[0]; k++) {
                if (strlen(funcs[k].name) == n && strncmp(name, funcs[k].name, n) == 0) {
                    p->i += 1 + n;
                    int exponent = -1;
                    if (p->s[p->i] == '^') { /* \sin^2 x */
                        p->i++;
                        if (p->s[p->i] == '{') {
                            p->i++;
                            exponent = parse_expr(p);
                            expect(p, '}');
                        } else {
                            exponent = parse_primary(p);
                        }
                    }
                    int arg = parse_power(p);
                    r = binary(p, N_FUNC, arg, 0);
                    if (!p->failed) p->e->nodes[r].func = funcs[k].f;
                    if (exponent >= 0) r = binary(p, N_POW, r, exponent);
                    found = true;
                    break;
                }
            }
            if (!found) {
                for (size_t k = 0; k < sizeof greek / sizeof greek[0]; k++) {
                    if (strlen(greek[k]) == n && strncmp(name, greek[k], n) == 0) {
                        p->i += 1 + n;
                        r = leaf(p, N_VAR);
                        p->e->nodes[r].var = hash_name(name, n) | 0x100u;
                        found = true;
                        break;
                    }
                }
            }
            if (!found) p->failed = true; /* \cdot etc. where a value belongs */
        }
    } else {
        p->failed = true;
    }
    p->depth--;
    return r;
}

static int parse_power(parser *p) {
    if (p->failed) return 0;
    if (++p->depth > MAX_DEPTH) {
        p->failed = true;
        return 0;
    }
    int base = parse_primary(p);
    if (!p->failed && p->s[p->i] == '^') {
        p->i++;
        int exponent;
        if (p->s[p->i] == '{') {
            p->i++;
            exponent = parse_expr(p);
            expect(p, '}');
        } else if (p->s[p->i] == '-') {
            p->i++;
            exponent = binary(p, N_NEG, parse_power(p), 0);
        } else {
            exponent = parse_power(p);
        }
        base = binary(p, N_POW, base, exponent);
    }
    p->depth--;
    return base;
}

static int parse_unary(parser *p) {
    if (p->failed) return 0;
    if (++p->depth > MAX_DEPTH) {
        p->failed = true;
        return 0;
    }
    int r;
    char c = p->s[p->i];
    if (c == '-' || c == '+') {
        p->i++;
        int inner = parse_unary(p);
        r = c == '-' ? binary(p, N_NEG, inner, 0) : inner;
    } else {
        r = parse_power(p);
    }
    p->depth--;
    return r;
}

static int parse_term(parser *p) {
    int left = parse_unary(p);
    while (!p->failed) {
        char c = p->s[p->i];
        if (c == '*' || c == '/') {
            p->i++;
            left = binary(p, c == '*' ? N_MUL : N_DIV, left, parse_unary(p));
        } else if (is_cmd(p, "cdot") || is_cmd(p, "times")) {
            p->i += is_cmd(p, "cdot") ? 5 : 6;
            left = binary(p, N_MUL, left, parse_unary(p));
        } else if (is_cmd(p, "div")) {
            p->i += 4;
            left = binary(p, N_DIV, left, parse_unary(p));
        } else if (starts_primary(p)) {
            left = binary(p, N_MUL, left, parse_power(p));
        } else {
            break;
        }
    }
    return left;
}

static int parse_expr(parser *p) {
    if (p->failed) return 0;
    if (++p->depth > MAX_DEPTH) {
        p->failed = true;
        return 0;
    }
    int left = parse_term(p);
    while (!p->failed && (p->s[p->i] == '+' || p->s[p->i] == '-')) {
        char op = p->s[p->i++];
        left = binary(p, op == '+' ? N_ADD : N_SUB, left, parse_term(p));
    }
    p->depth--;
    return left;
}

eb_expr *eb_expr_parse(const char *s) {
    if (!s || !*s) return NULL;
    eb_expr *e = eb_calloc(1, sizeof *e);
    e->cap = 32; /* grows on demand up to MAX_NODES */
    e->nodes = eb_malloc((size_t)e->cap * sizeof *e->nodes);
    parser p = {.s = s, .e = e};
    e->root = parse_expr(&p);
    if (p.failed || s[p.i] != '\0') {
        eb_expr_free(e);
        return NULL;
    }
    return e;
}

void eb_expr_free(eb_expr *e) {
    if (!e) return;
    free(e->nodes);
    free(e);
}

/* Exact evaluation.  Recursion depth follows the parse depth (bounded). */
static eb_rat_status rat_node(const eb_expr *e, int k, eb_rat *out, int depth) {
    const node *nd = &e->nodes[k];
    if (depth > 4 * MAX_DEPTH) return EB_RAT_OVERFLOW;
    eb_rat a, b;
    eb_rat_status s;
    switch (nd->kind) {
    case N_NUM:
        if (!nd->num_ok) return EB_RAT_OVERFLOW;
        *out = nd->num;
        return EB_RAT_OK;
    case N_NEG:
        if ((s = rat_node(e, nd->a, &a, depth + 1)) != EB_RAT_OK) return s;
        return eb_rat_neg(a, out) ? EB_RAT_OK : EB_RAT_OVERFLOW;
    case N_ADD:
    case N_SUB:
    case N_MUL:
    case N_DIV: {
        eb_rat_status sa = rat_node(e, nd->a, &a, depth + 1);
        eb_rat_status sb = rat_node(e, nd->b, &b, depth + 1);
        if (sa == EB_RAT_NOT_RATIONAL || sb == EB_RAT_NOT_RATIONAL) return EB_RAT_NOT_RATIONAL;
        if (sa != EB_RAT_OK) return sa;
        if (sb != EB_RAT_OK) return sb;
        bool ok;
        if (nd->kind == N_ADD) ok = eb_rat_add(a, b, out);
        else if (nd->kind == N_SUB) ok = eb_rat_sub(a, b, out);
        else if (nd->kind == N_MUL) ok = eb_rat_mul(a, b, out);
        else {
            if (b.num == 0) return EB_RAT_UNDEFINED;
            ok = eb_rat_div(a, b, out);
        }
        return ok ? EB_RAT_OK : EB_RAT_OVERFLOW;
    }
    case N_POW: {
        eb_rat_status sa = rat_node(e, nd->a, &a, depth + 1);
        eb_rat_status sb = rat_node(e, nd->b, &b, depth + 1);
        if (sa == EB_RAT_NOT_RATIONAL || sb == EB_RAT_NOT_RATIONAL) return EB_RAT_NOT_RATIONAL;
        if (sa != EB_RAT_OK) return sa;
        if (sb != EB_RAT_OK) return sb;
        if (!eb_rat_is_int(b)) return EB_RAT_NOT_RATIONAL; /* 4^{1/2}: leave it to floating point */
        if (b.num > 100000 || b.num < -100000) return EB_RAT_OVERFLOW;
        if (a.num == 0 && b.num < 0) return EB_RAT_UNDEFINED;
        return eb_rat_pow(a, (long long)b.num, out) ? EB_RAT_OK : EB_RAT_OVERFLOW;
    }
    default:
        return EB_RAT_NOT_RATIONAL;
    }
}

eb_rat_status eb_expr_rational(const eb_expr *e, eb_rat *out) {
    return rat_node(e, e->root, out, 0);
}

/* A value in [0.6, 2.1) with a sign that alternates between points, so
 * that |x| and x, or sqrt(x^2) and x, differ somewhere. */
static double var_value(unsigned var, int point) {
    uint64_t h = (uint64_t)var * 0x9E3779B97F4A7C15ull + (uint64_t)(point + 1) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
    h *= 0x94D049BB133111EBull;
    h ^= h >> 29;
    double u = (double)(h >> 11) / 9007199254740992.0;
    double v = 0.6 + 1.5 * u;
    return (point % 2) ? -v : v;
}

static double complex cpow_int(double complex b, long n) {
    bool inv = n < 0;
    unsigned long m = inv ? (unsigned long)(-(n + 1)) + 1 : (unsigned long)n;
    double complex r = 1;
    while (m) {
        if (m & 1) r *= b;
        b *= b;
        m >>= 1;
    }
    return inv ? 1 / r : r;
}

static double complex eval_node(const eb_expr *e, int k, int point, int depth) {
    const node *nd = &e->nodes[k];
    if (depth > 4 * MAX_DEPTH) return NAN;
    double complex a = 0, b = 0;
    switch (nd->kind) {
    case N_NUM: return nd->num_ok ? eb_rat_to_double(nd->num) : nd->numd;
    case N_VAR: return var_value(nd->var, point);
    case N_PI: return M_PI;
    case N_I: return I;
    default: break;
    }
    a = eval_node(e, nd->a, point, depth + 1);
    if (nd->kind == N_ADD || nd->kind == N_SUB || nd->kind == N_MUL || nd->kind == N_DIV || nd->kind == N_POW ||
        nd->kind == N_ROOT)
        b = eval_node(e, nd->b, point, depth + 1);
    switch (nd->kind) {
    case N_ADD: return a + b;
    case N_SUB: return a - b;
    case N_MUL: return a * b;
    case N_DIV: return b == 0 ? NAN : a / b;
    case N_NEG: return -a;
    case N_POW:
        if (cimag(b) == 0 && creal(b) == floor(creal(b)) && fabs(creal(b)) <= 64) return cpow_int(a, (long)creal(b));
        if (cimag(a) == 0 && creal(a) > 0 && cimag(b) == 0) return pow(creal(a), creal(b));
        return cpow(a, b);
    case N_SQRT:
        if (cimag(a) == 0 && creal(a) >= 0) return sqrt(creal(a));
        return csqrt(a);
    case N_ROOT:
        if (cimag(a) == 0 && cimag(b) == 0 && creal(b) != 0) {
            double x = creal(a), n = creal(b);
            if (x >= 0) return pow(x, 1 / n);
            if (n == floor(n) && fmod(n, 2) != 0) return -pow(-x, 1 / n); /* odd root of a negative */
        }
        return b == 0 ? NAN : cpow(a, 1 / b);
    case N_ABS: return cabs(a);
    case N_FUNC:
        switch (nd->func) {
        case F_SIN: return csin(a);
        case F_COS: return ccos(a);
        case F_TAN: return ctan(a);
        case F_COT: return 1 / ctan(a);
        case F_SEC: return 1 / ccos(a);
        case F_CSC: return 1 / csin(a);
        case F_ASIN: return casin(a);
        case F_ACOS: return cacos(a);
        case F_ATAN: return catan(a);
        case F_LOG:
        case F_LN: return clog(a);
        case F_EXP: return cexp(a);
        }
        return NAN;
    default: return NAN;
    }
}

double complex eb_expr_eval(const eb_expr *e, int point) {
    return eval_node(e, e->root, point, 0);
}

bool eb_expr_has_vars(const eb_expr *e) {
    for (int k = 0; k < e->n; k++)
        if (e->nodes[k].kind == N_VAR) return true;
    return false;
}
