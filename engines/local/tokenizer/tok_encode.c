/* Text -> ids, stage by stage in the order of the reference pipeline:
 * added tokens on the raw text, normalizer, added tokens on the normalized
 * text, pre-tokenizers, BPE per piece, then BOS / post-processor. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

typedef struct ids_vec {
    int32_t *v;
    size_t n, cap;
} ids_vec;

static void ids_push(ids_vec *x, int32_t id) {
    if (x->n == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 64;
        x->v = eb_realloc(x->v, x->cap * sizeof *x->v);
    }
    x->v[x->n++] = id;
}

/* ---- word characters for single_word added tokens (regex \w) ---- */
static pcre2_code *word_re;
static pthread_once_t word_once = PTHREAD_ONCE_INIT;

static void word_init(void) {
    int ec;
    PCRE2_SIZE eo;
    word_re = pcre2_compile((PCRE2_SPTR) "\\w", PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP | PCRE2_ANCHORED, &ec,
                            &eo, NULL);
}

static bool is_word_char_at(const char *s, size_t len) {
    pthread_once(&word_once, word_init);
    if (!word_re || len == 0) return false;
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    int rc = pcre2_match(word_re, (PCRE2_SPTR)s, len, 0, PCRE2_NO_UTF_CHECK, md, NULL);
    pcre2_match_data_free(md);
    return rc > 0;
}

/* Start of the last character of s[0..len). */
static size_t last_char_start(const char *s, size_t len) {
    size_t i = len - 1;
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80) i--;
    return i;
}

/* ---- added tokens ---- */

/* Longest added token starting at s[pos], or -1. */
static int32_t trie_longest(const tk_trie *tr, const char *s, size_t len, size_t pos, size_t *mlen) {
    int32_t node = 0, best = -1;
    for (size_t i = pos; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        int32_t ch = tr->nodes[node].first_child;
        while (ch >= 0 && tr->nodes[ch].byte != c) ch = tr->nodes[ch].next_sibling;
        if (ch < 0) break;
        node = ch;
        if (tr->nodes[node].added >= 0) {
            best = tr->nodes[node].added;
            *mlen = i + 1 - pos;
        }
    }
    return best;
}

/* Splits s into added tokens and the text between them (leftmost-longest
 * matching, with single_word / lstrip / rstrip as the reference applies
 * them), appending to out. */
static void split_added(const eb_tokenizer *t, const tk_trie *tr, const char *s, size_t len, bool at_start,
                        bool special_as_text, tk_pieces *out) {
    size_t start_offset = 0, pos = 0;
    if (tr->n > 1) {
        while (pos < len) {
            if (!tr->first_byte[(unsigned char)s[pos]]) {
                pos++;
                continue;
            }
            size_t mlen = 0;
            int32_t k = trie_longest(tr, s, len, pos, &mlen);
            if (k < 0) {
                pos++;
                continue;
            }
            const tk_added *a = &t->added[k];
            size_t start = pos, stop = pos + mlen;
            pos = stop; /* the search resumes after the match whatever happens to it */
            if (special_as_text && a->special) continue;
            if (a->single_word) {
                size_t prev = start ? last_char_start(s, start) : 0;
                bool start_space = start == 0 || !is_word_char_at(s + prev, start - prev);
                bool stop_space = stop == len || !is_word_char_at(s + stop, len - stop);
                if (!start_space || !stop_space) continue;
            }
            if (a->lstrip) {
                size_t ns = start;
                while (ns > 0) {
                    size_t cs = last_char_start(s, ns);
                    uint32_t cp;
                    tk_utf8_decode(s + cs, &cp);
                    if (!tk_is_whitespace(cp)) break;
                    ns = cs;
                }
                start = ns > start_offset ? ns : start_offset;
            }
            if (a->rstrip) {
                while (stop < len) {
                    uint32_t cp;
                    size_t k2 = tk_utf8_decode(s + stop, &cp);
                    if (!tk_is_whitespace(cp)) break;
                    stop += k2;
                }
            }
            if (start_offset < start)
                tk_pieces_add(out, s + start_offset, start - start_offset, -1, at_start && start_offset == 0);
            tk_pieces_add(out, "", 0, a->id, false);
            start_offset = stop;
        }
    }
    if (start_offset < len) tk_pieces_add(out, s + start_offset, len - start_offset, -1, at_start && start_offset == 0);
}

/* ---- normalizer ---- */
int tk_normalize(const eb_tokenizer *t, const char *s, size_t len, eb_buf *out) {
    if (t->n_norms == 0) {
        eb_buf_append(out, s, len);
        return 0;
    }
    int rc = 0;
    eb_buf a = {0}, b = {0};
    eb_buf_append(&a, s, len);
    for (size_t i = 0; i < t->n_norms && rc == 0; i++) {
        const tk_norm *n = &t->norms[i];
        eb_buf_reset(&b);
        switch (n->kind) {
        case TK_N_REPLACE:
            rc = tk_pattern_replace(&n->pat, eb_buf_str(&a), a.len, n->content, n->clen, &b);
            break;
        case TK_N_PREPEND:
            if (a.len) eb_buf_append(&b, n->content, n->clen);
            eb_buf_append(&b, a.data, a.len);
            break;
        case TK_N_STRIP: {
            size_t lo = 0, hi = a.len;
            while (n->left && lo < hi) {
                uint32_t cp;
                size_t k = tk_utf8_decode(a.data + lo, &cp);
                if (!tk_is_whitespace(cp)) break;
                lo += k;
            }
            while (n->right && hi > lo) {
                size_t cs = last_char_start(a.data, hi);
                uint32_t cp;
                tk_utf8_decode(a.data + cs, &cp);
                if (!tk_is_whitespace(cp)) break;
                hi = cs;
            }
            eb_buf_append(&b, a.data + lo, hi - lo);
            break;
        }
        }
        eb_buf tmp = a;
        a = b;
        b = tmp;
    }
    eb_buf_append(out, eb_buf_str(&a), a.len);
    eb_buf_free(&a);
    eb_buf_free(&b);
    return rc;
}

/* ---- pre-tokenizers ---- */
typedef struct seg {
    size_t b, e;
    bool match;
} seg;

typedef struct scratch {
    size_t *st, *en, n, cap;
    seg *segs;
    size_t nsegs, capsegs;
    eb_buf tmp, tmp2;
} scratch;

static void seg_push(scratch *sc, size_t b, size_t e, bool m) {
    if (sc->nsegs == sc->capsegs) {
        sc->capsegs = sc->capsegs ? sc->capsegs * 2 : 64;
        sc->segs = eb_realloc(sc->segs, sc->capsegs * sizeof *sc->segs);
    }
    sc->segs[sc->nsegs++] = (seg){b, e, m};
}

/* Splits s by pattern with one of the split behaviours; non-empty parts
 * are appended to out. */
static int split_by(const tk_pattern *pat, int behavior, bool invert, const char *s, size_t len, bool at_start,
                    scratch *sc, tk_pieces *out) {
    sc->n = 0;
    sc->nsegs = 0;
    int rc = tk_pattern_find(pat, s, len, &sc->st, &sc->en, &sc->n, &sc->cap);
    if (rc) return rc;
    /* (offsets, is_match) covering the whole string */
    size_t prev = 0;
    size_t nraw = 0;
    seg *raw = NULL;
    size_t rawcap = 2 * sc->n + 2;
    raw = eb_malloc(rawcap * sizeof *raw);
    for (size_t i = 0; i < sc->n; i++) {
        if (prev != sc->st[i]) raw[nraw++] = (seg){prev, sc->st[i], invert};
        raw[nraw++] = (seg){sc->st[i], sc->en[i], !invert};
        prev = sc->en[i];
    }
    if (prev != len) raw[nraw++] = (seg){prev, len, invert};

    bool prev_match = false;
    switch (behavior) {
    case TK_REMOVED:
        for (size_t i = 0; i < nraw; i++)
            if (!raw[i].match) seg_push(sc, raw[i].b, raw[i].e, false);
        break;
    case TK_ISOLATED:
        for (size_t i = 0; i < nraw; i++) seg_push(sc, raw[i].b, raw[i].e, false);
        break;
    case TK_CONTIGUOUS:
        for (size_t i = 0; i < nraw; i++) {
            if (raw[i].match == prev_match && sc->nsegs) sc->segs[sc->nsegs - 1].e = raw[i].e;
            else seg_push(sc, raw[i].b, raw[i].e, false);
            prev_match = raw[i].match;
        }
        break;
    case TK_MERGED_PREV:
        for (size_t i = 0; i < nraw; i++) {
            if (raw[i].match && !prev_match && sc->nsegs) sc->segs[sc->nsegs - 1].e = raw[i].e;
            else seg_push(sc, raw[i].b, raw[i].e, false);
            prev_match = raw[i].match;
        }
        break;
    case TK_MERGED_NEXT: {
        /* Walk backwards, then reverse. */
        for (size_t j = nraw; j-- > 0;) {
            if (raw[j].match && !prev_match && sc->nsegs) sc->segs[sc->nsegs - 1].b = raw[j].b;
            else seg_push(sc, raw[j].b, raw[j].e, false);
            prev_match = raw[j].match;
        }
        for (size_t i = 0, j = sc->nsegs; i + 1 < j; i++, j--) {
            seg x = sc->segs[i];
            sc->segs[i] = sc->segs[j - 1];
            sc->segs[j - 1] = x;
        }
        break;
    }
    }
    free(raw);
    for (size_t i = 0; i < sc->nsegs; i++)
        if (sc->segs[i].e > sc->segs[i].b)
            tk_pieces_add(out, s + sc->segs[i].b, sc->segs[i].e - sc->segs[i].b, -1, at_start && sc->segs[i].b == 0);
    return 0;
}

static void bytelevel_map(const char *s, size_t len, eb_buf *out) {
    for (size_t i = 0; i < len; i++) {
        char u[4];
        size_t k = tk_utf8_encode(tk_bytelevel_cp((unsigned char)s[i]), u);
        eb_buf_append(out, u, k);
    }
}

static int pre_step(const tk_pre *p, const tk_piece *pc, const char *s, scratch *sc, tk_pieces *out) {
    int rc = 0;
    switch (p->kind) {
    case TK_P_SPLIT:
        return split_by(&p->pat, p->behavior, p->invert, s, pc->len, pc->at_start, sc, out);
    case TK_P_BYTELEVEL: {
        eb_buf_reset(&sc->tmp);
        if (p->add_prefix_space && !(pc->len && s[0] == ' ')) eb_buf_putc(&sc->tmp, ' ');
        eb_buf_append(&sc->tmp, s, pc->len);
        tk_pieces parts = {0};
        if (p->use_regex)
            rc = split_by(&p->pat, TK_ISOLATED, false, sc->tmp.data, sc->tmp.len, pc->at_start, sc, &parts);
        else
            tk_pieces_add(&parts, sc->tmp.data, sc->tmp.len, -1, pc->at_start);
        for (size_t i = 0; i < parts.n; i++) {
            eb_buf_reset(&sc->tmp2);
            bytelevel_map(parts.arena.data + parts.v[i].off, parts.v[i].len, &sc->tmp2);
            tk_pieces_add(out, sc->tmp2.data, sc->tmp2.len, -1, parts.v[i].at_start);
        }
        tk_pieces_free(&parts);
        return rc;
    }
    case TK_P_METASPACE: {
        eb_buf_reset(&sc->tmp);
        tk_pattern sp = {.kind = TK_PAT_STRING, .lit = " ", .litlen = 1};
        eb_buf body = {0};
        tk_pattern_replace(&sp, s, pc->len, p->rep, p->replen, &body); /* a literal: cannot fail */
        bool starts = body.len >= p->replen && !memcmp(body.data, p->rep, p->replen);
        if (!starts && (p->prepend == TK_PREPEND_ALWAYS || (p->prepend == TK_PREPEND_FIRST && pc->at_start)))
            eb_buf_append(&sc->tmp, p->rep, p->replen);
        eb_buf_append(&sc->tmp, body.data, body.len);
        eb_buf_free(&body);
        if (p->split) {
            tk_pattern rp = {.kind = TK_PAT_STRING, .lit = (char *)p->rep, .litlen = p->replen};
            return split_by(&rp, TK_MERGED_NEXT, false, sc->tmp.data, sc->tmp.len, pc->at_start, sc, out);
        } else if (sc->tmp.len) {
            tk_pieces_add(out, sc->tmp.data, sc->tmp.len, -1, pc->at_start);
        }
        return 0;
    }
    }
    return 0;
}

/* ---- BPE ---- */
typedef struct sym {
    int32_t id;
    int32_t prev, next;
    uint32_t len; /* 0: merged away */
} sym;

typedef struct hnode {
    uint32_t rank;
    uint32_t pos;
    int32_t id;
} hnode;

typedef struct bpe_work {
    sym *syms;
    size_t nsyms, capsyms;
    hnode *heap;
    size_t nheap, capheap;
    eb_buf key;
} bpe_work;

static bool hless(const hnode *a, const hnode *b) {
    return a->rank != b->rank ? a->rank < b->rank : a->pos < b->pos;
}

static void heap_push(bpe_work *w, hnode x) {
    if (w->nheap == w->capheap) {
        w->capheap = w->capheap ? w->capheap * 2 : 64;
        w->heap = eb_realloc(w->heap, w->capheap * sizeof *w->heap);
    }
    size_t i = w->nheap++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!hless(&x, &w->heap[p])) break;
        w->heap[i] = w->heap[p];
        i = p;
    }
    w->heap[i] = x;
}

static hnode heap_pop(bpe_work *w) {
    hnode top = w->heap[0], last = w->heap[--w->nheap];
    size_t i = 0, n = w->nheap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && hless(&w->heap[c + 1], &w->heap[c])) c++;
        if (!hless(&w->heap[c], &last)) break;
        w->heap[i] = w->heap[c];
        i = c;
    }
    if (n) w->heap[i] = last;
    return top;
}

static void sym_add(bpe_work *w, int32_t id, uint32_t len) {
    if (w->nsyms == w->capsyms) {
        w->capsyms = w->capsyms ? w->capsyms * 2 : 64;
        w->syms = eb_realloc(w->syms, w->capsyms * sizeof *w->syms);
    }
    int32_t i = (int32_t)w->nsyms++;
    w->syms[i] = (sym){.id = id, .prev = i - 1, .next = -1, .len = len};
    if (i > 0) w->syms[i - 1].next = i;
}

static void try_pair(const eb_tokenizer *t, bpe_work *w, int32_t pos) {
    int32_t nx = w->syms[pos].next;
    if (nx < 0) return;
    const tk_pair *p = tk_pairmap_get(&t->merges, w->syms[pos].id, w->syms[nx].id);
    if (p) heap_push(w, (hnode){.rank = p->rank, .pos = (uint32_t)pos, .id = p->id});
}

static void bpe_piece(const eb_tokenizer *t, const char *s, size_t len, bpe_work *w, ids_vec *out) {
    if (len == 0) return;
    if (t->ignore_merges) {
        int32_t id = tk_strmap_get(&t->vocab, s, len);
        if (id >= 0) {
            ids_push(out, id);
            return;
        }
    }
    w->nsyms = 0;
    w->nheap = 0;
    int32_t unk = -1;
    uint32_t unk_len = 0;
    size_t i = 0;
    while (i < len) {
        size_t k = tk_utf8_len((const unsigned char *)s + i, len - i);
        if (!k) k = 1; /* cannot happen on sanitized input; stay safe */
        bool first = i == 0, last = i + k == len;
        const char *key = s + i;
        size_t keylen = k;
        if ((t->cont_prefix && !first) || (t->eow_suffix && last)) {
            eb_buf_reset(&w->key);
            if (t->cont_prefix && !first) eb_buf_append(&w->key, t->cont_prefix, t->cont_prefix_len);
            eb_buf_append(&w->key, s + i, k);
            if (t->eow_suffix && last) eb_buf_append(&w->key, t->eow_suffix, t->eow_suffix_len);
            key = w->key.data;
            keylen = w->key.len;
        }
        int32_t id = tk_strmap_get(&t->vocab, key, keylen);
        if (id >= 0) {
            if (unk >= 0) {
                sym_add(w, unk, unk_len);
                unk = -1;
            }
            sym_add(w, id, (uint32_t)k);
        } else {
            bool done = false;
            if (t->byte_fallback) {
                bool all = true;
                for (size_t j = 0; j < keylen; j++)
                    if (t->byte_ids[(unsigned char)key[j]] < 0) all = false;
                if (all) {
                    for (size_t j = 0; j < keylen; j++) sym_add(w, t->byte_ids[(unsigned char)key[j]], 1);
                    done = true;
                }
            }
            if (!done && t->unk_id >= 0) {
                if (unk >= 0 && t->fuse_unk) unk_len += (uint32_t)k;
                else {
                    if (unk >= 0) sym_add(w, unk, unk_len);
                    unk = t->unk_id;
                    unk_len = (uint32_t)k;
                }
            }
        }
        i += k;
    }
    if (unk >= 0) sym_add(w, unk, unk_len);

    for (int32_t p = 0; p + 1 < (int32_t)w->nsyms; p++) try_pair(t, w, p);
    while (w->nheap) {
        hnode top = heap_pop(w);
        sym *cur = &w->syms[top.pos];
        if (cur->len == 0 || cur->next < 0) continue;
        int32_t nx = cur->next;
        const tk_pair *p = tk_pairmap_get(&t->merges, cur->id, w->syms[nx].id);
        if (!p || p->id != top.id) continue; /* stale entry */
        cur->id = top.id;
        cur->len += w->syms[nx].len;
        cur->next = w->syms[nx].next;
        w->syms[nx].len = 0;
        if (cur->next >= 0) w->syms[cur->next].prev = (int32_t)top.pos;
        if (cur->prev >= 0) try_pair(t, w, cur->prev);
        try_pair(t, w, (int32_t)top.pos);
    }
    for (size_t j = 0; j < w->nsyms; j++)
        if (w->syms[j].len) ids_push(out, w->syms[j].id);
}

int eb_tokenizer_encode(const eb_tokenizer *t, const char *text, size_t len, unsigned flags, int32_t **ids_out,
                        size_t *n_out, eb_err *err) {
    *ids_out = NULL;
    *n_out = 0;
    if ((flags & EB_TOK_ADD_BOS) && t->bos_id < 0)
        return eb_err_set(err, "%s: EB_TOK_ADD_BOS: the vocabulary has no <bos> or <s> token", t->name);
    eb_buf clean = {0};
    if (!tk_utf8_valid(text, len)) {
        tk_utf8_lossy(&clean, text, len);
        text = clean.data;
        len = clean.len;
    }
    bool as_text = (flags & EB_TOK_SPECIAL_AS_TEXT) != 0;
    tk_pieces a = {0}, b = {0};
    scratch sc = {0};
    eb_buf nb = {0};

    int rc = 0;
    split_added(t, &t->trie_raw, text, len, true, as_text, &a);
    for (size_t i = 0; i < a.n && rc == 0; i++) {
        tk_piece pc = a.v[i];
        if (pc.id >= 0) {
            tk_pieces_add(&b, "", 0, pc.id, false);
            continue;
        }
        eb_buf_reset(&nb);
        rc = tk_normalize(t, a.arena.data + pc.off, pc.len, &nb);
        if (nb.len) split_added(t, &t->trie_norm, nb.data, nb.len, pc.at_start, as_text, &b);
    }
    for (size_t s = 0; s < t->n_pres && rc == 0; s++) {
        tk_pieces tmp = a;
        a = b;
        b = tmp;
        tk_pieces_reset(&b);
        for (size_t i = 0; i < a.n && rc == 0; i++) {
            tk_piece pc = a.v[i];
            if (pc.id >= 0) tk_pieces_add(&b, "", 0, pc.id, false);
            else rc = pre_step(&t->pres[s], &pc, a.arena.data + pc.off, &sc, &b);
        }
    }
    if (rc) {
        char msg[128];
        pcre2_get_error_message(rc, (PCRE2_UCHAR *)msg, sizeof msg);
        rc = eb_err_set(err, "%s: encode: regex matching failed on a %zu-byte text: %s", t->name, len, msg);
    }

    ids_vec out = {0};
    bpe_work w = {0};
    if (flags & EB_TOK_ADD_BOS) ids_push(&out, t->bos_id);
    if (flags & EB_TOK_ADD_SPECIAL)
        for (size_t i = 0; i < t->n_post_prefix; i++) ids_push(&out, t->post_prefix[i]);
    for (size_t i = 0; i < b.n && rc == 0; i++) {
        if (b.v[i].id >= 0) ids_push(&out, b.v[i].id);
        else bpe_piece(t, b.arena.data + b.v[i].off, b.v[i].len, &w, &out);
    }
    if (flags & EB_TOK_ADD_SPECIAL)
        for (size_t i = 0; i < t->n_post_suffix; i++) ids_push(&out, t->post_suffix[i]);

    free(w.syms);
    free(w.heap);
    eb_buf_free(&w.key);
    tk_pieces_free(&a);
    tk_pieces_free(&b);
    free(sc.st);
    free(sc.en);
    free(sc.segs);
    eb_buf_free(&sc.tmp);
    eb_buf_free(&sc.tmp2);
    eb_buf_free(&nb);
    eb_buf_free(&clean);
    if (rc) {
        free(out.v);
        return -1;
    }
    *ids_out = out.v;
    *n_out = out.n;
    return 0;
}
