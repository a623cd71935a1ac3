/* tokenizer.json -> eb_tokenizer.  Every component the file names is either
 * understood completely or refused with an error naming the file and the
 * component: a tokenizer that silently ignores part of its pipeline would
 * produce plausible but wrong ids. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "tok_internal.h"

/* Ids beyond this are refused rather than sizing tables after them. */
#define TK_MAX_ID (1 << 22)

/* The pre-tokenization pattern of GPT-2's byte-level BPE. */
static const char BYTELEVEL_REGEX[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

typedef struct ld {
    eb_tokenizer *tok;
    const char *name;
    eb_err *err;
} ld;

#define FAIL(L, ...) eb_err_set((L)->err, __VA_ARGS__)

static const char *type_of(const cJSON *o) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "type");
    return cJSON_IsString(t) ? t->valuestring : NULL;
}

/* Optional boolean field: absent or null gives the default.  The getters
 * set *out on every path: eb_err_set's result is opaque to the compiler, so
 * at -O3 a caller's "return on error" would otherwise read as a possibly
 * uninitialized use (-Werror=maybe-uninitialized in Release builds). */
static int get_bool(ld *L, const cJSON *o, const char *comp, const char *field, bool dflt, bool *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, field);
    *out = dflt;
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsBool(v)) return FAIL(L, "%s: %s: field \"%s\" is not a boolean", L->name, comp, field);
    *out = cJSON_IsTrue(v);
    return 0;
}

static int get_int(ld *L, const cJSON *v, const char *comp, const char *field, long lo, long hi, long *out) {
    *out = lo;
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < (double)lo ||
        v->valuedouble > (double)hi)
        return FAIL(L, "%s: %s: field \"%s\" is not an integer in [%ld, %ld]", L->name, comp, field, lo, hi);
    *out = (long)v->valuedouble;
    return 0;
}

static const char *get_str(ld *L, const cJSON *o, const char *comp, const char *field) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, field);
    if (!cJSON_IsString(v)) {
        FAIL(L, "%s: %s: field \"%s\" is %s", L->name, comp, field, v ? "not a string" : "missing");
        return NULL;
    }
    return v->valuestring;
}

/* The reference compiles patterns with Oniguruma, whose Unicode \w is the
 * Word property (letters and other alphabetics, marks, decimal digits,
 * connector punctuation, joiners); PCRE2's \w leaves out marks.  \w is
 * spelled out so both agree (inside a class, its members are inserted). */
#define WORD_MEMBERS "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{200C}\\x{200D}"

static char *translate_regex(const char *src) {
    eb_buf b = {0};
    bool in_class = false;
    for (size_t i = 0; src[i]; i++) {
        char c = src[i];
        if (c == '\\' && src[i + 1]) {
            if (src[i + 1] == 'w') eb_buf_puts(&b, in_class ? WORD_MEMBERS : "[" WORD_MEMBERS "]");
            else eb_buf_append(&b, src + i, 2);
            i++;
            continue;
        }
        if (!in_class && c == '[') {
            in_class = true;
            eb_buf_putc(&b, c);
            /* a ']' right after '[' or '[^' is a literal */
            if (src[i + 1] == '^') eb_buf_putc(&b, src[++i]);
            if (src[i + 1] == ']') eb_buf_putc(&b, src[++i]);
            continue;
        }
        if (in_class && c == ']') in_class = false;
        eb_buf_putc(&b, c);
    }
    if (!b.data) eb_buf_puts(&b, "");
    return eb_buf_take(&b);
}

static int compile_regex(ld *L, const char *comp, const char *src, pcre2_code **out) {
    int ec;
    PCRE2_SIZE eoff;
    char *pat = translate_regex(src);
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &ec, &eoff, NULL);
    free(pat);
    if (!re) {
        char msg[256];
        pcre2_get_error_message(ec, (PCRE2_UCHAR *)msg, sizeof msg);
        return FAIL(L, "%s: %s: regex /%s/ does not compile at offset %zu: %s", L->name, comp, src, (size_t)eoff,
                    msg);
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* best effort: the interpreter is the fallback */
    *out = re;
    return 0;
}

/* {"String": "..."} or {"Regex": "..."} */
static int parse_pattern(ld *L, const cJSON *o, const char *comp, tk_pattern *pat) {
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "pattern");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(p, "String");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(p, "Regex");
    if (cJSON_IsString(s)) {
        pat->kind = TK_PAT_STRING;
        pat->lit = eb_strdup(s->valuestring);
        pat->litlen = strlen(s->valuestring);
        return 0;
    }
    if (cJSON_IsString(r)) {
        pat->kind = TK_PAT_REGEX;
        return compile_regex(L, comp, r->valuestring, &pat->re);
    }
    return FAIL(L, "%s: %s: field \"pattern\" must be {\"String\": ...} or {\"Regex\": ...}", L->name, comp);
}

static int parse_prepend_scheme(ld *L, const cJSON *o, const char *comp, int *out) {
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(o, "prepend_scheme");
    if (cJSON_IsString(ps)) {
        if (!strcmp(ps->valuestring, "always")) *out = TK_PREPEND_ALWAYS;
        else if (!strcmp(ps->valuestring, "first")) *out = TK_PREPEND_FIRST;
        else if (!strcmp(ps->valuestring, "never")) *out = TK_PREPEND_NEVER;
        else return FAIL(L, "%s: %s: unknown prepend_scheme \"%s\"", L->name, comp, ps->valuestring);
        return 0;
    }
    bool add; /* older files: add_prefix_space */
    if (get_bool(L, o, comp, "add_prefix_space", true, &add)) return -1;
    *out = add ? TK_PREPEND_ALWAYS : TK_PREPEND_NEVER;
    return 0;
}

static int parse_replacement(ld *L, const cJSON *o, const char *comp, char rep[8], size_t *replen) {
    const char *r = get_str(L, o, comp, "replacement");
    if (!r) return -1;
    size_t n = strlen(r);
    if (n == 0 || n > 4 || tk_utf8_len((const unsigned char *)r, n) != n)
        return FAIL(L, "%s: %s: replacement must be one character", L->name, comp);
    memcpy(rep, r, n);
    rep[n] = 0;
    *replen = n;
    return 0;
}

/* ---- normalizer ---- */
static int parse_normalizer(ld *L, const cJSON *o) {
    eb_tokenizer *t = L->tok;
    if (!o || cJSON_IsNull(o)) return 0;
    const char *type = type_of(o);
    if (!type) return FAIL(L, "%s: normalizer: missing \"type\"", L->name);
    if (!strcmp(type, "Sequence")) {
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "normalizers");
        if (!cJSON_IsArray(arr)) return FAIL(L, "%s: normalizer Sequence: \"normalizers\" is not an array", L->name);
        const cJSON *it;
        cJSON_ArrayForEach(it, arr) if (parse_normalizer(L, it)) return -1;
        return 0;
    }
    tk_norm n = {0};
    char comp[64];
    snprintf(comp, sizeof comp, "normalizer %s", type);
    if (!strcmp(type, "Replace")) {
        n.kind = TK_N_REPLACE;
        const char *c = get_str(L, o, comp, "content");
        if (!c) return -1;
        if (parse_pattern(L, o, comp, &n.pat)) return -1;
        n.content = eb_strdup(c);
        n.clen = strlen(c);
    } else if (!strcmp(type, "Prepend")) {
        n.kind = TK_N_PREPEND;
        const char *c = get_str(L, o, comp, "prepend");
        if (!c) return -1;
        n.content = eb_strdup(c);
        n.clen = strlen(c);
    } else if (!strcmp(type, "Strip")) {
        n.kind = TK_N_STRIP;
        if (get_bool(L, o, comp, "strip_left", true, &n.left) || get_bool(L, o, comp, "strip_right", true, &n.right))
            return -1;
    } else {
        return FAIL(L, "%s: normalizer: unsupported type \"%s\" (supported: Replace, Prepend, Strip, Sequence)",
                    L->name, type);
    }
    t->norms = eb_realloc(t->norms, (t->n_norms + 1) * sizeof *t->norms);
    t->norms[t->n_norms++] = n;
    return 0;
}

/* ---- pre-tokenizer ---- */
static void add_pre(eb_tokenizer *t, tk_pre p) {
    t->pres = eb_realloc(t->pres, (t->n_pres + 1) * sizeof *t->pres);
    t->pres[t->n_pres++] = p;
}

static int regex_pre(ld *L, const char *comp, const char *re, int behavior, bool invert) {
    tk_pre p = {.kind = TK_P_SPLIT, .behavior = behavior, .invert = invert};
    p.pat.kind = TK_PAT_REGEX;
    if (compile_regex(L, comp, re, &p.pat.re)) return -1;
    add_pre(L->tok, p);
    return 0;
}

static int parse_pre_tokenizer(ld *L, const cJSON *o) {
    if (!o || cJSON_IsNull(o)) return 0;
    const char *type = type_of(o);
    if (!type) return FAIL(L, "%s: pre_tokenizer: missing \"type\"", L->name);
    char comp[64];
    snprintf(comp, sizeof comp, "pre_tokenizer %s", type);
    if (!strcmp(type, "Sequence")) {
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "pretokenizers");
        if (!cJSON_IsArray(arr)) return FAIL(L, "%s: %s: \"pretokenizers\" is not an array", L->name, comp);
        const cJSON *it;
        cJSON_ArrayForEach(it, arr) if (parse_pre_tokenizer(L, it)) return -1;
        return 0;
    }
    if (!strcmp(type, "Split")) {
        tk_pre p = {.kind = TK_P_SPLIT};
        const char *b = get_str(L, o, comp, "behavior");
        if (!b) return -1;
        if (!strcmp(b, "Removed")) p.behavior = TK_REMOVED;
        else if (!strcmp(b, "Isolated")) p.behavior = TK_ISOLATED;
        else if (!strcmp(b, "MergedWithPrevious")) p.behavior = TK_MERGED_PREV;
        else if (!strcmp(b, "MergedWithNext")) p.behavior = TK_MERGED_NEXT;
        else if (!strcmp(b, "Contiguous")) p.behavior = TK_CONTIGUOUS;
        else return FAIL(L, "%s: %s: unknown behavior \"%s\"", L->name, comp, b);
        if (get_bool(L, o, comp, "invert", false, &p.invert)) return -1;
        if (parse_pattern(L, o, comp, &p.pat)) return -1;
        add_pre(L->tok, p);
        return 0;
    }
    if (!strcmp(type, "ByteLevel")) {
        tk_pre p = {.kind = TK_P_BYTELEVEL};
        if (get_bool(L, o, comp, "add_prefix_space", true, &p.add_prefix_space) ||
            get_bool(L, o, comp, "use_regex", true, &p.use_regex))
            return -1;
        if (p.use_regex) {
            p.pat.kind = TK_PAT_REGEX;
            if (compile_regex(L, comp, BYTELEVEL_REGEX, &p.pat.re)) return -1;
        }
        add_pre(L->tok, p);
        return 0;
    }
    if (!strcmp(type, "Metaspace")) {
        tk_pre p = {.kind = TK_P_METASPACE};
        if (parse_replacement(L, o, comp, p.rep, &p.replen) || parse_prepend_scheme(L, o, comp, &p.prepend) ||
            get_bool(L, o, comp, "split", true, &p.split))
            return -1;
        add_pre(L->tok, p);
        return 0;
    }
    /* The remaining simple splitters are regex splits in disguise. */
    if (!strcmp(type, "Digits")) {
        bool individual;
        if (get_bool(L, o, comp, "individual_digits", false, &individual)) return -1;
        return regex_pre(L, comp, individual ? "\\p{N}" : "\\p{N}+", TK_ISOLATED, false);
    }
    if (!strcmp(type, "Whitespace")) return regex_pre(L, comp, "\\w+|[^\\w\\s]+", TK_REMOVED, true);
    if (!strcmp(type, "WhitespaceSplit")) return regex_pre(L, comp, "\\s+", TK_REMOVED, false);
    return FAIL(L,
                "%s: pre_tokenizer: unsupported type \"%s\" (supported: Split, ByteLevel, Metaspace, Digits, "
                "Whitespace, WhitespaceSplit, Sequence)",
                L->name, type);
}

/* ---- decoder ---- */
static int parse_decoder(ld *L, const cJSON *o) {
    eb_tokenizer *t = L->tok;
    if (!o || cJSON_IsNull(o)) return 0;
    const char *type = type_of(o);
    if (!type) return FAIL(L, "%s: decoder: missing \"type\"", L->name);
    char comp[64];
    snprintf(comp, sizeof comp, "decoder %s", type);
    if (!strcmp(type, "Sequence")) {
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "decoders");
        if (!cJSON_IsArray(arr)) return FAIL(L, "%s: %s: \"decoders\" is not an array", L->name, comp);
        const cJSON *it;
        cJSON_ArrayForEach(it, arr) if (parse_decoder(L, it)) return -1;
        return 0;
    }
    tk_dec d = {0};
    if (!strcmp(type, "Replace")) {
        d.kind = TK_D_REPLACE;
        const char *c = get_str(L, o, comp, "content");
        if (!c) return -1;
        if (parse_pattern(L, o, comp, &d.pat)) return -1;
        d.content = eb_strdup(c);
        d.clen = strlen(c);
    } else if (!strcmp(type, "ByteFallback")) {
        d.kind = TK_D_BYTEFALLBACK;
    } else if (!strcmp(type, "Fuse")) {
        d.kind = TK_D_FUSE;
    } else if (!strcmp(type, "Strip")) {
        d.kind = TK_D_STRIP;
        const char *c = get_str(L, o, comp, "content");
        if (!c) return -1;
        size_t n = strlen(c);
        if (n == 0 || tk_utf8_len((const unsigned char *)c, n) != n)
            return FAIL(L, "%s: %s: content must be one character", L->name, comp);
        long st, sp;
        if (get_int(L, cJSON_GetObjectItemCaseSensitive(o, "start"), comp, "start", 0, 1 << 20, &st) ||
            get_int(L, cJSON_GetObjectItemCaseSensitive(o, "stop"), comp, "stop", 0, 1 << 20, &sp))
            return -1;
        d.content = eb_strdup(c);
        d.clen = n;
        d.start = (int)st;
        d.stop = (int)sp;
    } else if (!strcmp(type, "ByteLevel")) {
        d.kind = TK_D_BYTELEVEL;
    } else if (!strcmp(type, "Metaspace")) {
        d.kind = TK_D_METASPACE;
        if (parse_replacement(L, o, comp, d.rep, &d.replen) || parse_prepend_scheme(L, o, comp, &d.prepend))
            return -1;
    } else {
        return FAIL(L,
                    "%s: decoder: unsupported type \"%s\" (supported: Replace, ByteFallback, Fuse, Strip, "
                    "ByteLevel, Metaspace, Sequence)",
                    L->name, type);
    }
    t->decs = eb_realloc(t->decs, (t->n_decs + 1) * sizeof *t->decs);
    t->decs[t->n_decs++] = d;
    return 0;
}

/* ---- post-processor (only consulted with EB_TOK_ADD_SPECIAL) ---- */
static void post_wrap(eb_tokenizer *t, const int32_t *pre, size_t npre, const int32_t *suf, size_t nsuf) {
    int32_t *np = eb_malloc((npre + t->n_post_prefix + 1) * sizeof *np);
    if (npre) memcpy(np, pre, npre * sizeof *np);
    if (t->n_post_prefix) memcpy(np + npre, t->post_prefix, t->n_post_prefix * sizeof *np);
    free(t->post_prefix);
    t->post_prefix = np;
    t->n_post_prefix += npre;
    t->post_suffix = eb_realloc(t->post_suffix, (t->n_post_suffix + nsuf + 1) * sizeof *t->post_suffix);
    if (nsuf) memcpy(t->post_suffix + t->n_post_suffix, suf, nsuf * sizeof *suf);
    t->n_post_suffix += nsuf;
}

static int pair_token(ld *L, const cJSON *o, const char *comp, const char *field, int32_t *id) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, field);
    long v;
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 2)
        return FAIL(L, "%s: %s: field \"%s\" must be [token, id]", L->name, comp, field);
    if (get_int(L, cJSON_GetArrayItem(a, 1), comp, field, 0, TK_MAX_ID - 1, &v)) return -1;
    *id = (int32_t)v;
    return 0;
}

static int parse_post(ld *L, const cJSON *o) {
    if (!o || cJSON_IsNull(o)) return 0;
    const char *type = type_of(o);
    if (!type) return FAIL(L, "%s: post_processor: missing \"type\"", L->name);
    char comp[64];
    snprintf(comp, sizeof comp, "post_processor %s", type);
    if (!strcmp(type, "Sequence")) {
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "processors");
        if (!cJSON_IsArray(arr)) return FAIL(L, "%s: %s: \"processors\" is not an array", L->name, comp);
        const cJSON *it;
        cJSON_ArrayForEach(it, arr) if (parse_post(L, it)) return -1;
        return 0;
    }
    if (!strcmp(type, "ByteLevel")) return 0; /* only adjusts offsets */
    if (!strcmp(type, "BertProcessing") || !strcmp(type, "RobertaProcessing")) {
        int32_t cls, sep;
        if (pair_token(L, o, comp, "cls", &cls) || pair_token(L, o, comp, "sep", &sep)) return -1;
        post_wrap(L->tok, &cls, 1, &sep, 1);
        return 0;
    }
    if (!strcmp(type, "TemplateProcessing")) {
        const cJSON *single = cJSON_GetObjectItemCaseSensitive(o, "single");
        const cJSON *specials = cJSON_GetObjectItemCaseSensitive(o, "special_tokens");
        if (!cJSON_IsArray(single)) return FAIL(L, "%s: %s: \"single\" is not an array", L->name, comp);
        int32_t pre[64], suf[64];
        size_t npre = 0, nsuf = 0;
        bool seen_seq = false;
        const cJSON *it;
        cJSON_ArrayForEach(it, single) {
            const cJSON *sp = cJSON_GetObjectItemCaseSensitive(it, "SpecialToken");
            if (cJSON_GetObjectItemCaseSensitive(it, "Sequence")) {
                seen_seq = true;
                continue;
            }
            const char *name = sp ? get_str(L, sp, comp, "id") : NULL;
            if (!name) return FAIL(L, "%s: %s: \"single\" items must be SpecialToken or Sequence", L->name, comp);
            const cJSON *ent = cJSON_GetObjectItemCaseSensitive(specials, name);
            const cJSON *ids = cJSON_GetObjectItemCaseSensitive(ent, "ids");
            if (!cJSON_IsArray(ids))
                return FAIL(L, "%s: %s: special token \"%s\" has no \"ids\" in special_tokens", L->name, comp, name);
            const cJSON *idv;
            cJSON_ArrayForEach(idv, ids) {
                long v;
                if (get_int(L, idv, comp, "ids", 0, TK_MAX_ID - 1, &v)) return -1;
                if ((seen_seq ? nsuf : npre) >= 64)
                    return FAIL(L, "%s: %s: too many special tokens in the template", L->name, comp);
                if (seen_seq) suf[nsuf++] = (int32_t)v;
                else pre[npre++] = (int32_t)v;
            }
        }
        post_wrap(L->tok, pre, npre, suf, nsuf);
        return 0;
    }
    return FAIL(L,
                "%s: post_processor: unsupported type \"%s\" (supported: TemplateProcessing, BertProcessing, "
                "RobertaProcessing, ByteLevel, Sequence)",
                L->name, type);
}

/* ---- model ---- */
static int set_id_str(ld *L, int32_t id, char *s) {
    eb_tokenizer *t = L->tok;
    if (t->model_str[id]) {
        free(s);
        return FAIL(L, "%s: model: vocab: id %d is used twice (\"%s\")", L->name, (int)id, t->model_str[id]);
    }
    t->model_str[id] = s;
    return 0;
}

static int parse_merges(ld *L, const cJSON *merges) {
    eb_tokenizer *t = L->tok;
    size_t n = (size_t)cJSON_GetArraySize(merges);
    tk_pairmap_init(&t->merges, n);
    eb_buf joined = {0};
    uint32_t rank = 0;
    const cJSON *m;
    int rc = 0;
    cJSON_ArrayForEach(m, merges) {
        const char *a, *b;
        size_t alen, blen;
        if (cJSON_IsString(m)) {
            const char *sp = strchr(m->valuestring, ' ');
            if (!sp || strchr(sp + 1, ' ')) {
                rc = FAIL(L, "%s: model: merges[%u] \"%s\" is not two tokens separated by one space", L->name,
                          (unsigned)rank, m->valuestring);
                break;
            }
            a = m->valuestring;
            alen = (size_t)(sp - a);
            b = sp + 1;
            blen = strlen(b);
        } else if (cJSON_IsArray(m) && cJSON_GetArraySize(m) == 2 && cJSON_IsString(cJSON_GetArrayItem(m, 0)) &&
                   cJSON_IsString(cJSON_GetArrayItem(m, 1))) {
            a = cJSON_GetArrayItem(m, 0)->valuestring;
            b = cJSON_GetArrayItem(m, 1)->valuestring;
            alen = strlen(a);
            blen = strlen(b);
        } else {
            rc = FAIL(L, "%s: model: merges[%u] is neither \"a b\" nor [\"a\", \"b\"]", L->name, (unsigned)rank);
            break;
        }
        int32_t ia = tk_strmap_get(&t->vocab, a, alen), ib = tk_strmap_get(&t->vocab, b, blen);
        if (ia < 0 || ib < 0) {
            rc = FAIL(L, "%s: model: merges[%u]: token \"%.*s\" is not in the vocabulary", L->name, (unsigned)rank,
                      (int)(ia < 0 ? alen : blen), ia < 0 ? a : b);
            break;
        }
        /* The right part loses its continuing-subword prefix when merged. */
        size_t skip = 0;
        if (t->cont_prefix && blen >= t->cont_prefix_len && !memcmp(b, t->cont_prefix, t->cont_prefix_len))
            skip = t->cont_prefix_len;
        eb_buf_reset(&joined);
        eb_buf_append(&joined, a, alen);
        eb_buf_append(&joined, b + skip, blen - skip);
        int32_t id = tk_strmap_get(&t->vocab, joined.data, joined.len);
        if (id < 0) {
            rc = FAIL(L, "%s: model: merges[%u]: merged token \"%s\" is not in the vocabulary", L->name,
                      (unsigned)rank, joined.data);
            break;
        }
        tk_pairmap_put(&t->merges, ia, ib, rank, id);
        rank++;
    }
    eb_buf_free(&joined);
    return rc;
}

static int parse_model(ld *L, const cJSON *model, int32_t max_added_id) {
    eb_tokenizer *t = L->tok;
    if (!cJSON_IsObject(model)) return FAIL(L, "%s: model: missing or not an object", L->name);
    const char *type = type_of(model);
    if (type && strcmp(type, "BPE"))
        return FAIL(L, "%s: model: unsupported type \"%s\" (only BPE is supported)", L->name, type);
    const char *comp = "model BPE";
    const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(model, "vocab");
    const cJSON *merges = cJSON_GetObjectItemCaseSensitive(model, "merges");
    if (!cJSON_IsObject(vocab)) return FAIL(L, "%s: %s: \"vocab\" is missing or not an object", L->name, comp);
    if (!cJSON_IsArray(merges)) return FAIL(L, "%s: %s: \"merges\" is missing or not an array", L->name, comp);
    const cJSON *dropout = cJSON_GetObjectItemCaseSensitive(model, "dropout");
    if (dropout && !cJSON_IsNull(dropout) && !(cJSON_IsNumber(dropout) && dropout->valuedouble == 0.0))
        return FAIL(L, "%s: %s: dropout is not supported (it makes encoding random)", L->name, comp);
    if (get_bool(L, model, comp, "byte_fallback", false, &t->byte_fallback) ||
        get_bool(L, model, comp, "fuse_unk", false, &t->fuse_unk) ||
        get_bool(L, model, comp, "ignore_merges", false, &t->ignore_merges))
        return -1;
    const cJSON *cp = cJSON_GetObjectItemCaseSensitive(model, "continuing_subword_prefix");
    const cJSON *es = cJSON_GetObjectItemCaseSensitive(model, "end_of_word_suffix");
    if (cJSON_IsString(cp) && *cp->valuestring) {
        t->cont_prefix = eb_strdup(cp->valuestring);
        t->cont_prefix_len = strlen(cp->valuestring);
    }
    if (cJSON_IsString(es) && *es->valuestring) {
        t->eow_suffix = eb_strdup(es->valuestring);
        t->eow_suffix_len = strlen(es->valuestring);
    }

    /* First pass: the id range. */
    int32_t max_id = max_added_id;
    size_t count = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, vocab) {
        long id;
        char field[96];
        snprintf(field, sizeof field, "vocab[\"%.60s\"]", v->string);
        if (get_int(L, v, comp, field, 0, TK_MAX_ID - 1, &id)) return -1;
        if (id > max_id) max_id = (int32_t)id;
        count++;
    }
    t->n_ids = (size_t)max_id + 1;
    t->model_str = eb_calloc(t->n_ids, sizeof *t->model_str);
    t->id_str = eb_calloc(t->n_ids, sizeof *t->id_str);
    t->id_len = eb_calloc(t->n_ids, sizeof *t->id_len);
    t->id_special = eb_calloc(t->n_ids, sizeof *t->id_special);
    tk_strmap_init(&t->vocab, count);
    cJSON_ArrayForEach(v, vocab) {
        int32_t id = (int32_t)v->valuedouble;
        if (set_id_str(L, id, eb_strdup(v->string))) return -1;
        tk_strmap_put(&t->vocab, t->model_str[id], strlen(v->string), id);
    }
    for (int b = 0; b < 256; b++) {
        char name[8];
        snprintf(name, sizeof name, "<0x%02X>", b);
        t->byte_ids[b] = tk_strmap_get(&t->vocab, name, 6);
    }
    t->all_bytes = true;
    for (int b = 0; b < 256; b++)
        if (t->byte_ids[b] < 0) t->all_bytes = false;
    t->unk_id = -1;
    const cJSON *unk = cJSON_GetObjectItemCaseSensitive(model, "unk_token");
    if (cJSON_IsString(unk)) {
        t->unk_id = tk_strmap_get(&t->vocab, unk->valuestring, strlen(unk->valuestring));
        if (t->unk_id < 0)
            return FAIL(L, "%s: %s: unk_token \"%s\" is not in the vocabulary", L->name, comp, unk->valuestring);
    }
    return parse_merges(L, merges);
}

/* ---- added tokens ---- */
static void trie_insert(tk_trie *tr, const char *s, size_t len, int32_t added) {
    if (tr->n == 0) {
        tr->cap = 64;
        tr->nodes = eb_malloc(tr->cap * sizeof *tr->nodes);
        tr->nodes[0] = (tk_trie_node){.first_child = -1, .next_sibling = -1, .added = -1};
        tr->n = 1;
    }
    if (len == 0) return;
    tr->first_byte[(unsigned char)s[0]] = true;
    int32_t node = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        int32_t ch = tr->nodes[node].first_child;
        while (ch >= 0 && tr->nodes[ch].byte != c) ch = tr->nodes[ch].next_sibling;
        if (ch < 0) {
            if (tr->n == tr->cap) {
                tr->cap *= 2;
                tr->nodes = eb_realloc(tr->nodes, tr->cap * sizeof *tr->nodes);
            }
            ch = (int32_t)tr->n++;
            tr->nodes[ch] = (tk_trie_node){
                .first_child = -1, .next_sibling = tr->nodes[node].first_child, .added = -1, .byte = c};
            tr->nodes[node].first_child = ch;
        }
        node = ch;
    }
    /* Two entries with the same text: the later one wins, like a map. */
    tr->nodes[node].added = added;
}

static int parse_added(ld *L, const cJSON *arr, int32_t *max_id) {
    eb_tokenizer *t = L->tok;
    *max_id = -1;
    if (!arr || cJSON_IsNull(arr)) return 0;
    if (!cJSON_IsArray(arr)) return FAIL(L, "%s: added_tokens: not an array", L->name);
    size_t n = (size_t)cJSON_GetArraySize(arr);
    t->added = eb_calloc(n ? n : 1, sizeof *t->added);
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        char comp[48];
        snprintf(comp, sizeof comp, "added_tokens[%zu]", t->n_added);
        long id;
        if (get_int(L, cJSON_GetObjectItemCaseSensitive(it, "id"), comp, "id", 0, TK_MAX_ID - 1, &id)) return -1;
        const char *content = get_str(L, it, comp, "content");
        if (!content) return -1;
        if (!*content) return FAIL(L, "%s: %s: empty content", L->name, comp);
        tk_added *a = &t->added[t->n_added];
        if (get_bool(L, it, comp, "special", false, &a->special) ||
            get_bool(L, it, comp, "single_word", false, &a->single_word) ||
            get_bool(L, it, comp, "lstrip", false, &a->lstrip) || get_bool(L, it, comp, "rstrip", false, &a->rstrip) ||
            get_bool(L, it, comp, "normalized", !a->special, &a->normalized))
            return -1;
        a->content = eb_strdup(content);
        a->len = strlen(content);
        a->id = (int32_t)id;
        t->n_added++;
        if (a->id > *max_id) *max_id = a->id;
    }
    return 0;
}

/* After the normalizer is known: register added tokens in the id tables and
 * build the two tries (raw text, normalized text). */
static int index_added(ld *L) {
    eb_tokenizer *t = L->tok;
    eb_buf nb = {0};
    trie_insert(&t->trie_raw, "", 0, -1);
    trie_insert(&t->trie_norm, "", 0, -1);
    for (size_t i = 0; i < t->n_added; i++) {
        tk_added *a = &t->added[i];
        t->id_special[a->id] = a->special;
        if (a->normalized) {
            eb_buf_reset(&nb);
            if (tk_normalize(t, a->content, a->len, &nb)) {
                eb_buf_free(&nb);
                return FAIL(L, "%s: added_tokens[%zu]: normalizing \"%s\" failed", L->name, i, a->content);
            }
            a->match = eb_strndup(eb_buf_str(&nb), nb.len);
            a->mlen = nb.len;
            trie_insert(&t->trie_norm, a->match, a->mlen, (int32_t)i);
        } else {
            a->match = eb_strndup(a->content, a->len);
            a->mlen = a->len;
            trie_insert(&t->trie_raw, a->match, a->mlen, (int32_t)i);
        }
        /* A normalized token decodes as its normalized text (what the
         * reference hands to the decoder chain). */
        t->id_str[a->id] = a->match;
        t->id_len[a->id] = (uint32_t)a->mlen;
    }
    eb_buf_free(&nb);
    return 0;
}

static int build(ld *L, const cJSON *root) {
    eb_tokenizer *t = L->tok;
    if (!cJSON_IsObject(root)) return FAIL(L, "%s: the top level is not a JSON object", L->name);
    const cJSON *trunc = cJSON_GetObjectItemCaseSensitive(root, "truncation");
    const cJSON *pad = cJSON_GetObjectItemCaseSensitive(root, "padding");
    if (trunc && !cJSON_IsNull(trunc))
        return FAIL(L, "%s: truncation: not supported (the engine checks lengths itself)", L->name);
    if (pad && !cJSON_IsNull(pad)) return FAIL(L, "%s: padding: not supported", L->name);
    int32_t max_added;
    if (parse_added(L, cJSON_GetObjectItemCaseSensitive(root, "added_tokens"), &max_added)) return -1;
    if (parse_model(L, cJSON_GetObjectItemCaseSensitive(root, "model"), max_added)) return -1;
    if (parse_normalizer(L, cJSON_GetObjectItemCaseSensitive(root, "normalizer"))) return -1;
    if (parse_pre_tokenizer(L, cJSON_GetObjectItemCaseSensitive(root, "pre_tokenizer"))) return -1;
    if (parse_post(L, cJSON_GetObjectItemCaseSensitive(root, "post_processor"))) return -1;
    if (parse_decoder(L, cJSON_GetObjectItemCaseSensitive(root, "decoder"))) return -1;
    for (size_t i = 0; i < t->n_ids; i++)
        if (t->model_str[i]) {
            t->id_str[i] = t->model_str[i];
            t->id_len[i] = (uint32_t)strlen(t->model_str[i]);
        }
    if (index_added(L)) return -1;
    size_t total = 0;
    for (size_t i = 0; i < t->n_ids; i++) total += t->id_str[i] != NULL;
    tk_strmap_init(&t->all_ids, total);
    for (size_t i = 0; i < t->n_ids; i++)
        if (t->model_str[i]) tk_strmap_put(&t->all_ids, t->model_str[i], strlen(t->model_str[i]), (int32_t)i);
    for (size_t i = 0; i < t->n_added; i++)
        tk_strmap_put(&t->all_ids, t->added[i].content, t->added[i].len, t->added[i].id);
    for (size_t i = 0; i < t->n_post_prefix; i++)
        if (!t->id_str[t->post_prefix[i]])
            return FAIL(L, "%s: post_processor: id %d is not in the vocabulary", L->name, (int)t->post_prefix[i]);
    for (size_t i = 0; i < t->n_post_suffix; i++)
        if (!t->id_str[t->post_suffix[i]])
            return FAIL(L, "%s: post_processor: id %d is not in the vocabulary", L->name, (int)t->post_suffix[i]);
    t->bos_id = tk_strmap_get(&t->all_ids, "<bos>", 5);
    if (t->bos_id < 0) t->bos_id = tk_strmap_get(&t->all_ids, "<s>", 3);
    return 0;
}

int eb_tokenizer_load_mem(const char *json, size_t len, const char *name, eb_tokenizer **out, eb_err *err) {
    *out = NULL;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, false);
    if (!root) {
        size_t at = end && end >= json ? (size_t)(end - json) : 0;
        return eb_err_set(err, "%s: not valid JSON (parse error near byte %zu of %zu)", name, at, len);
    }
    eb_tokenizer *t = eb_calloc(1, sizeof *t);
    t->name = eb_strdup(name);
    ld L = {.tok = t, .name = name, .err = err};
    int rc = build(&L, root);
    cJSON_Delete(root);
    if (rc) {
        eb_tokenizer_free(t);
        return -1;
    }
    *out = t;
    return 0;
}

int eb_tokenizer_load(const char *path, eb_tokenizer **out, eb_err *err) {
    char *data;
    size_t len;
    *out = NULL;
    if (eb_read_file(path, &data, &len, err)) return -1;
    int rc = eb_tokenizer_load_mem(data, len, path, out, err);
    free(data);
    return rc;
}

void eb_tokenizer_free(eb_tokenizer *t) {
    if (!t) return;
    for (size_t i = 0; t->model_str && i < t->n_ids; i++) free(t->model_str[i]);
    free(t->model_str);
    free(t->id_str);
    free(t->id_len);
    free(t->id_special);
    tk_strmap_free(&t->vocab);
    tk_strmap_free(&t->all_ids);
    tk_pairmap_free(&t->merges);
    free(t->cont_prefix);
    free(t->eow_suffix);
    for (size_t i = 0; i < t->n_added; i++) {
        free(t->added[i].content);
        free(t->added[i].match);
    }
    free(t->added);
    free(t->trie_raw.nodes);
    free(t->trie_norm.nodes);
    for (size_t i = 0; i < t->n_norms; i++) {
        tk_pattern_free(&t->norms[i].pat);
        free(t->norms[i].content);
    }
    free(t->norms);
    for (size_t i = 0; i < t->n_pres; i++) tk_pattern_free(&t->pres[i].pat);
    free(t->pres);
    for (size_t i = 0; i < t->n_decs; i++) {
        tk_pattern_free(&t->decs[i].pat);
        free(t->decs[i].content);
    }
    free(t->decs);
    free(t->post_prefix);
    free(t->post_suffix);
    free(t->name);
    free(t);
}

int32_t eb_tokenizer_token_id(const eb_tokenizer *t, const char *token) {
    return tk_strmap_get(&t->all_ids, token, strlen(token));
}

const char *eb_tokenizer_token_str(const eb_tokenizer *t, int32_t id) {
    return id >= 0 && (size_t)id < t->n_ids ? t->id_str[id] : NULL;
}

size_t eb_tokenizer_vocab_size(const eb_tokenizer *t) { return t->n_ids; }

int eb_tokenizer_is_special(const eb_tokenizer *t, int32_t id) {
    return id >= 0 && (size_t)id < t->n_ids && t->id_special[id];
}

int32_t eb_tokenizer_bos_id(const eb_tokenizer *t) { return t->bos_id; }
