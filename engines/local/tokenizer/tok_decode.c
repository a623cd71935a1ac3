/* Ids -> text through the file's decoder chain, and the streaming decoder
 * built on it.  The chain works on a list of token strings, as the
 * reference does: some steps act per token (Replace, Strip, Metaspace),
 * some fuse the list into one string (Fuse, ByteLevel). */
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

static const char *piece_str(const tk_pieces *p, size_t i) { return p->arena.data + p->v[i].off; }

/* "<0xHH>" -> byte, as the reference parses it (hex digits of either case,
 * and a leading '+' that its integer parser accepts). */
static int byte_token(const char *s, size_t len) {
    if (len != 6 || memcmp(s, "<0x", 3) || s[5] != '>') return -1;
    int v = 0;
    for (int i = 3; i < 5; i++) {
        char c = s[i];
        int d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else if (c == '+' && i == 3) continue;
        else return -1;
        v = v * 16 + d;
    }
    return v;
}

static void step_bytefallback(const tk_pieces *in, tk_pieces *out, bool *pending) {
    eb_buf bytes = {0};
    size_t nbytes = 0;
    for (size_t i = 0; i <= in->n; i++) {
        int b = i < in->n ? byte_token(piece_str(in, i), in->v[i].len) : -1;
        if (b >= 0) {
            char c = (char)b;
            eb_buf_append(&bytes, &c, 1);
            nbytes++;
            continue;
        }
        if (nbytes) {
            if (tk_utf8_valid(bytes.data, bytes.len)) {
                tk_pieces_add(out, bytes.data, bytes.len, -1, false);
            } else {
                /* An invalid run becomes one U+FFFD per byte. */
                for (size_t k = 0; k < nbytes; k++) tk_pieces_add(out, "\xEF\xBF\xBD", 3, -1, false);
            }
            eb_buf_reset(&bytes);
            nbytes = 0;
        }
        if (i < in->n) tk_pieces_add(out, piece_str(in, i), in->v[i].len, -1, false);
    }
    /* A run still open at the end may be completed by the next token. */
    *pending = in->n > 0 && byte_token(piece_str(in, in->n - 1), in->v[in->n - 1].len) >= 0;
    eb_buf_free(&bytes);
}

static void step_bytelevel(const tk_pieces *in, tk_pieces *out, bool *pending) {
    eb_buf raw = {0}, txt = {0};
    for (size_t i = 0; i < in->n; i++) {
        const char *s = piece_str(in, i);
        size_t len = in->v[i].len, start = raw.len;
        bool ok = true;
        for (size_t j = 0; j < len;) {
            uint32_t cp;
            size_t k = tk_utf8_len((const unsigned char *)s + j, len - j);
            if (!k) {
                ok = false;
                break;
            }
            tk_utf8_decode(s + j, &cp);
            int b = tk_bytelevel_byte(cp);
            if (b < 0) {
                ok = false;
                break;
            }
            char c = (char)b;
            eb_buf_append(&raw, &c, 1);
            j += k;
        }
        if (!ok) { /* a token outside the alphabet is taken as its bytes */
            raw.len = start;
            eb_buf_append(&raw, s, len);
        }
    }
    *pending = tk_utf8_incomplete_tail(raw.data ? raw.data : "", raw.len) > 0;
    tk_utf8_lossy(&txt, raw.data ? raw.data : "", raw.len);
    tk_pieces_add(out, eb_buf_str(&txt), txt.len, -1, false);
    eb_buf_free(&raw);
    eb_buf_free(&txt);
}

static void step_strip(const tk_dec *d, const tk_pieces *in, tk_pieces *out, bool fused, bool first) {
    for (size_t i = 0; i < in->n; i++) {
        const char *s = piece_str(in, i);
        size_t lo = 0, hi = in->v[i].len;
        /* After a fusing step the list is the whole text so far, whose start
         * is only the text's start when this window is the first. */
        int start = fused && !first ? 0 : d->start;
        for (int k = 0; k < start && hi - lo >= d->clen && !memcmp(s + lo, d->content, d->clen); k++) lo += d->clen;
        for (int k = 0; k < d->stop && hi - lo >= d->clen && !memcmp(s + hi - d->clen, d->content, d->clen); k++)
            hi -= d->clen;
        tk_pieces_add(out, s + lo, hi - lo, -1, false);
    }
}

static void step_metaspace(const tk_dec *d, const tk_pieces *in, tk_pieces *out, bool first) {
    eb_buf b = {0};
    for (size_t i = 0; i < in->n; i++) {
        const char *s = piece_str(in, i);
        size_t len = in->v[i].len;
        bool drop = i == 0 && first && d->prepend != TK_PREPEND_NEVER;
        eb_buf_reset(&b);
        for (size_t j = 0; j < len;) {
            if (len - j >= d->replen && !memcmp(s + j, d->rep, d->replen)) {
                if (!drop) eb_buf_putc(&b, ' ');
                j += d->replen;
            } else {
                eb_buf_putc(&b, s[j]);
                j++;
            }
        }
        tk_pieces_add(out, eb_buf_str(&b), b.len, -1, false);
    }
    eb_buf_free(&b);
}

int tk_decode_ids(const eb_tokenizer *t, const int32_t *ids, size_t n, unsigned flags, bool first, eb_buf *out,
                  bool *incomplete, eb_err *err) {
    *incomplete = false;
    tk_pieces a = {0}, b = {0};
    for (size_t i = 0; i < n; i++) {
        int32_t id = ids[i];
        if (id < 0 || (size_t)id >= t->n_ids || !t->id_str[id]) {
            tk_pieces_free(&a);
            return eb_err_set(err, "%s: decode: id %d is not in the vocabulary (size %zu)", t->name, (int)id, t->n_ids);
        }
        if ((flags & EB_TOK_SKIP_SPECIAL) && t->id_special[id]) continue;
        tk_pieces_add(&a, t->id_str[id], t->id_len[id], -1, false);
    }
    if (t->n_decs == 0) { /* no decoder: tokens joined by spaces */
        for (size_t i = 0; i < a.n; i++) {
            if (i || !first) eb_buf_putc(out, ' ');
            eb_buf_append(out, piece_str(&a, i), a.v[i].len);
        }
        tk_pieces_free(&a);
        return 0;
    }
    bool fused = false, pending = false;
    for (size_t s = 0; s < t->n_decs; s++) {
        const tk_dec *d = &t->decs[s];
        tk_pieces_reset(&b);
        switch (d->kind) {
        case TK_D_REPLACE: {
            eb_buf tmp = {0};
            int rc = 0;
            for (size_t i = 0; i < a.n && rc == 0; i++) {
                eb_buf_reset(&tmp);
                rc = tk_pattern_replace(&d->pat, piece_str(&a, i), a.v[i].len, d->content, d->clen, &tmp);
                tk_pieces_add(&b, eb_buf_str(&tmp), tmp.len, -1, false);
            }
            eb_buf_free(&tmp);
            if (rc) {
                tk_pieces_free(&a);
                tk_pieces_free(&b);
                return eb_err_set(err, "%s: decode: regex matching failed (PCRE2 error %d)", t->name, rc);
            }
            break;
        }
        case TK_D_BYTEFALLBACK:
            step_bytefallback(&a, &b, &pending);
            break;
        case TK_D_FUSE: {
            eb_buf tmp = {0};
            for (size_t i = 0; i < a.n; i++) eb_buf_append(&tmp, piece_str(&a, i), a.v[i].len);
            tk_pieces_add(&b, eb_buf_str(&tmp), tmp.len, -1, false);
            eb_buf_free(&tmp);
            fused = true;
            break;
        }
        case TK_D_STRIP:
            step_strip(d, &a, &b, fused, first);
            break;
        case TK_D_BYTELEVEL: {
            bool p2;
            step_bytelevel(&a, &b, &p2);
            pending = pending || p2;
            fused = true;
            break;
        }
        case TK_D_METASPACE:
            step_metaspace(d, &a, &b, first);
            break;
        }
        tk_pieces tmp = a;
        a = b;
        b = tmp;
    }
    /* Whatever the chain produced, the result handed out is valid UTF-8. */
    eb_buf joined = {0};
    for (size_t i = 0; i < a.n; i++) eb_buf_append(&joined, piece_str(&a, i), a.v[i].len);
    if (tk_utf8_incomplete_tail(eb_buf_str(&joined), joined.len)) pending = true;
    tk_utf8_lossy(out, eb_buf_str(&joined), joined.len);
    eb_buf_free(&joined);
    *incomplete = pending;
    tk_pieces_free(&a);
    tk_pieces_free(&b);
    return 0;
}

int eb_tokenizer_decode(const eb_tokenizer *t, const int32_t *ids, size_t n, unsigned flags, eb_buf *out,
                        eb_err *err) {
    bool incomplete;
    return tk_decode_ids(t, ids, n, flags, true, out, &incomplete, err);
}

/* ---- streaming ----
 * Ids accumulate in a window until the window decodes to text that ends
 * cleanly (no open byte-fallback run, no partial character); then that
 * text is final, because every step of the chain gives the same text for
 * a list cut there as for the whole list (given `first`), and the window
 * restarts empty. */
struct eb_tok_stream {
    const eb_tokenizer *tok;
    unsigned flags;
    int32_t *win;
    size_t n, cap;
    bool first; /* nothing visible decoded yet */
    bool held;  /* the window ended unfinished at the last decode */
};

eb_tok_stream *eb_tok_stream_new(const eb_tokenizer *tok, unsigned decode_flags) {
    eb_tok_stream *s = eb_calloc(1, sizeof *s);
    s->tok = tok;
    s->flags = decode_flags;
    s->first = true;
    return s;
}

static bool visible(const eb_tok_stream *s) {
    for (size_t i = 0; i < s->n; i++)
        if (!((s->flags & EB_TOK_SKIP_SPECIAL) && s->tok->id_special[s->win[i]])) return true;
    return false;
}

int eb_tok_stream_push(eb_tok_stream *s, int32_t id, eb_buf *out, eb_err *err) {
    const eb_tokenizer *t = s->tok;
    if (id < 0 || (size_t)id >= t->n_ids || !t->id_str[id])
        return eb_err_set(err, "%s: decode: id %d is not in the vocabulary (size %zu)", t->name, (int)id, t->n_ids);
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->win = eb_realloc(s->win, s->cap * sizeof *s->win);
    }
    s->win[s->n++] = id;
    /* While a byte-fallback run is open, another byte token (or a special
     * token that decoding skips) cannot finish it: skip the re-decode, so a
     * long run of byte tokens costs linear time, not quadratic. */
    bool skipped = (s->flags & EB_TOK_SKIP_SPECIAL) && t->id_special[id];
    if (s->held && (skipped || byte_token(t->id_str[id], t->id_len[id]) >= 0)) return 0;
    eb_buf text = {0};
    bool incomplete;
    if (tk_decode_ids(t, s->win, s->n, s->flags, s->first, &text, &incomplete, err)) {
        eb_buf_free(&text);
        return -1;
    }
    s->held = incomplete;
    if (!incomplete) {
        eb_buf_append(out, eb_buf_str(&text), text.len);
        if (visible(s)) s->first = false;
        s->n = 0;
    }
    eb_buf_free(&text);
    return 0;
}

int eb_tok_stream_finish(eb_tok_stream *s, eb_buf *out, eb_err *err) {
    bool incomplete;
    if (s->n == 0) return 0;
    int rc = tk_decode_ids(s->tok, s->win, s->n, s->flags, s->first, out, &incomplete, err);
    if (visible(s)) s->first = false;
    s->n = 0;
    s->held = false;
    return rc;
}

void eb_tok_stream_free(eb_tok_stream *s) {
    if (!s) return;
    free(s->win);
    free(s);
}
