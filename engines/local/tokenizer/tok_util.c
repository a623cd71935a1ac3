/* Building blocks of the tokenizer: hash maps, UTF-8 handling, the piece
 * list the encoder passes between stages, and literal/regex patterns. */
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

/* ---- hashing ---- */
static uint64_t hash_bytes(const char *s, size_t len) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a, then a final mix */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h;
}

static size_t table_size(size_t expected) {
    size_t cap = 16;
    while (cap < expected * 2 + 16) cap <<= 1;
    return cap;
}

void tk_strmap_init(tk_strmap *m, size_t expected) {
    size_t cap = table_size(expected);
    m->e = eb_malloc(cap * sizeof *m->e);
    for (size_t i = 0; i < cap; i++) m->e[i].id = -1;
    m->mask = cap - 1;
    m->n = 0;
}

static void strmap_grow(tk_strmap *m) {
    tk_strmap bigger;
    tk_strmap_init(&bigger, (m->mask + 1));
    for (size_t i = 0; i <= m->mask; i++)
        if (m->e[i].id >= 0) tk_strmap_put(&bigger, m->e[i].s, m->e[i].len, m->e[i].id);
    free(m->e);
    *m = bigger;
}

void tk_strmap_put(tk_strmap *m, const char *s, size_t len, int32_t id) {
    if ((m->n + 1) * 2 > m->mask + 1) strmap_grow(m);
    size_t i = hash_bytes(s, len) & m->mask;
    while (m->e[i].id >= 0) {
        if (m->e[i].len == len && memcmp(m->e[i].s, s, len) == 0) {
            m->e[i].id = id;
            m->e[i].s = s;
            return;
        }
        i = (i + 1) & m->mask;
    }
    m->e[i].s = s;
    m->e[i].len = (uint32_t)len;
    m->e[i].id = id;
    m->n++;
}

int32_t tk_strmap_get(const tk_strmap *m, const char *s, size_t len) {
    if (!m->e) return -1;
    size_t i = hash_bytes(s, len) & m->mask;
    while (m->e[i].id >= 0) {
        if (m->e[i].len == len && memcmp(m->e[i].s, s, len) == 0) return m->e[i].id;
        i = (i + 1) & m->mask;
    }
    return -1;
}

void tk_strmap_free(tk_strmap *m) {
    free(m->e);
    m->e = NULL;
}

static uint64_t mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

void tk_pairmap_init(tk_pairmap *m, size_t expected) {
    size_t cap = table_size(expected);
    m->e = eb_malloc(cap * sizeof *m->e);
    for (size_t i = 0; i < cap; i++) m->e[i].rank = UINT32_MAX;
    m->mask = cap - 1;
}

/* Later entries overwrite earlier ones for the same pair, which is what the
 * reference implementation's map construction does with duplicate merges. */
void tk_pairmap_put(tk_pairmap *m, int32_t a, int32_t b, uint32_t rank, int32_t id) {
    uint64_t key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    size_t i = mix64(key) & m->mask;
    while (m->e[i].rank != UINT32_MAX && m->e[i].key != key) i = (i + 1) & m->mask;
    m->e[i].key = key;
    m->e[i].rank = rank;
    m->e[i].id = id;
}

const tk_pair *tk_pairmap_get(const tk_pairmap *m, int32_t a, int32_t b) {
    if (!m->e) return NULL;
    uint64_t key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    size_t i = mix64(key) & m->mask;
    while (m->e[i].rank != UINT32_MAX) {
        if (m->e[i].key == key) return &m->e[i];
        i = (i + 1) & m->mask;
    }
    return NULL;
}

void tk_pairmap_free(tk_pairmap *m) {
    free(m->e);
    m->e = NULL;
}

/* ---- UTF-8 ---- */

/* How far a (possibly truncated) sequence at s is valid: returns the full
 * length when complete, else sets *partial to the length of the longest
 * valid prefix (the "maximal subpart", at least 1). */
static size_t utf8_scan(const unsigned char *s, size_t avail, size_t *partial) {
    unsigned char c = s[0];
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;
    *partial = 1;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) need = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else
        return 0;
    for (size_t i = 1; i < need; i++) {
        if (i >= avail) return 0;
        unsigned char b = s[i];
        unsigned char l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
        if (b < l || b > h) return 0;
        *partial = i + 1;
    }
    return need;
}

size_t tk_utf8_len(const unsigned char *s, size_t avail) {
    size_t partial;
    return avail ? utf8_scan(s, avail, &partial) : 0;
}

bool tk_utf8_valid(const char *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        size_t k = tk_utf8_len((const unsigned char *)s + i, len - i);
        if (!k) return false;
        i += k;
    }
    return true;
}

void tk_utf8_lossy(eb_buf *out, const char *s, size_t len) {
    size_t i = 0, run = 0;
    while (i < len) {
        size_t partial;
        size_t k = utf8_scan((const unsigned char *)s + i, len - i, &partial);
        if (k) {
            i += k;
            continue;
        }
        eb_buf_append(out, s + run, i - run);
        eb_buf_append(out, "\xEF\xBF\xBD", 3);
        i += partial;
        run = i;
    }
    eb_buf_append(out, s + run, len - run);
}

size_t tk_utf8_incomplete_tail(const char *s, size_t len) {
    /* A character is at most 4 bytes: look at the last 3 for a lead byte. */
    for (size_t back = 1; back <= 3 && back <= len; back++) {
        const unsigned char *p = (const unsigned char *)s + len - back;
        if ((*p & 0xC0) == 0x80) continue; /* continuation byte: keep looking */
        size_t partial;
        size_t k = utf8_scan(p, back, &partial);
        if (k == 0 && partial == back && *p >= 0xC2 && *p <= 0xF4) return back;
        return 0;
    }
    return 0;
}

size_t tk_utf8_decode(const char *s, uint32_t *cp) {
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    if (u[0] < 0xE0) {
        *cp = ((uint32_t)(u[0] & 0x1F) << 6) | (u[1] & 0x3F);
        return 2;
    }
    if (u[0] < 0xF0) {
        *cp = ((uint32_t)(u[0] & 0x0F) << 12) | ((uint32_t)(u[1] & 0x3F) << 6) | (u[2] & 0x3F);
        return 3;
    }
    *cp = ((uint32_t)(u[0] & 0x07) << 18) | ((uint32_t)(u[1] & 0x3F) << 12) | ((uint32_t)(u[2] & 0x3F) << 6) |
          (u[3] & 0x3F);
    return 4;
}

size_t tk_utf8_encode(uint32_t cp, char out[4]) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

bool tk_is_whitespace(uint32_t c) {
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
           c == 0x3000;
}

/* ---- pieces ---- */
void tk_pieces_add(tk_pieces *p, const char *s, size_t len, int32_t id, bool at_start) {
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->v = eb_realloc(p->v, p->cap * sizeof *p->v);
    }
    size_t off = p->arena.len;
    eb_buf_append(&p->arena, s, len);
    p->v[p->n++] = (tk_piece){.off = off, .len = len, .id = id, .at_start = at_start};
}

void tk_pieces_reset(tk_pieces *p) {
    eb_buf_reset(&p->arena);
    p->n = 0;
}

void tk_pieces_free(tk_pieces *p) {
    eb_buf_free(&p->arena);
    free(p->v);
    memset(p, 0, sizeof *p);
}

/* ---- patterns ---- */
static void push_match(size_t **starts, size_t **ends, size_t *n, size_t *cap, size_t s, size_t e) {
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 32;
        *starts = eb_realloc(*starts, *cap * sizeof **starts);
        *ends = eb_realloc(*ends, *cap * sizeof **ends);
    }
    (*starts)[*n] = s;
    (*ends)[*n] = e;
    (*n)++;
}

int tk_pattern_find(const tk_pattern *pat, const char *s, size_t len, size_t **starts, size_t **ends, size_t *n,
                    size_t *cap) {
    if (pat->kind == TK_PAT_STRING) {
        if (pat->litlen == 0) return 0;
        size_t i = 0;
        while (i + pat->litlen <= len) {
            const char *hit = memmem(s + i, len - i, pat->lit, pat->litlen);
            if (!hit) break;
            size_t at = (size_t)(hit - s);
            push_match(starts, ends, n, cap, at, at + pat->litlen);
            i = at + pat->litlen;
        }
        return 0;
    }
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(pat->re, NULL);
    if (!md) abort();
    size_t pos = 0;
    size_t last_end = (size_t)-1;
    int result = 0;
    while (pos <= len) {
        int rc = pcre2_match(pat->re, (PCRE2_SPTR)s, len, pos, PCRE2_NO_UTF_CHECK, md, NULL);
        /* The JIT's small fixed stack can run out where the interpreter,
         * which grows its own, does not. */
        if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
            rc = pcre2_match(pat->re, (PCRE2_SPTR)s, len, pos, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, md, NULL);
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc < 0) {
            result = rc;
            break;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        size_t b = ov[0], e = ov[1];
        if (b == e) {
            /* Empty match: never right after the previous match, and step one
             * character forward so the scan always advances. */
            if (b < len) {
                size_t k = tk_utf8_len((const unsigned char *)s + b, len - b);
                pos = b + (k ? k : 1);
            } else
                pos = len + 1;
            if (last_end == e) continue;
            push_match(starts, ends, n, cap, b, e);
            last_end = e;
            continue;
        }
        push_match(starts, ends, n, cap, b, e);
        last_end = e;
        pos = e;
    }
    pcre2_match_data_free(md);
    return result;
}

int tk_pattern_replace(const tk_pattern *pat, const char *s, size_t len, const char *rep, size_t replen, eb_buf *out) {
    size_t *st = NULL, *en = NULL, n = 0, cap = 0;
    int rc = tk_pattern_find(pat, s, len, &st, &en, &n, &cap);
    size_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        eb_buf_append(out, s + prev, st[i] - prev);
        eb_buf_append(out, rep, replen);
        prev = en[i];
    }
    eb_buf_append(out, s + prev, len - prev);
    free(st);
    free(en);
    return rc;
}

void tk_pattern_free(tk_pattern *pat) {
    free(pat->lit);
    if (pat->re) pcre2_code_free(pat->re);
    pat->lit = NULL;
    pat->re = NULL;
}

/* ---- GPT-2 byte-level alphabet ----
 * Printable bytes stand for themselves; the other 68 (0-32, 127-160, 173)
 * are mapped, in byte order, to U+0100 onwards. */
uint32_t tk_bytelevel_cp(unsigned char b) {
    if (b <= 32) return 256u + b;
    if (b >= 127 && b <= 160) return 289u + (b - 127u);
    if (b == 173) return 323;
    return b;
}

int tk_bytelevel_byte(uint32_t cp) {
    if ((cp >= 33 && cp <= 126) || (cp >= 161 && cp <= 172) || (cp >= 174 && cp <= 255)) return (int)cp;
    if (cp >= 256 && cp <= 288) return (int)(cp - 256);
    if (cp >= 289 && cp <= 322) return (int)(cp - 289 + 127);
    if (cp == 323) return 173;
    return -1;
}
