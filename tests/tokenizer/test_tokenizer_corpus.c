/* The fixture corpus through every fixture tokenizer: ids equal the
 * reference library's (with and without the post-processor), decoding
 * equals the library's decoding (keeping and skipping special tokens),
 * decode(encode(x)) gives x back for the lossless pipelines, and streaming
 * decode equals full decode.  Also the library's decodings of random id
 * sequences (invalid byte-fallback runs included). */
#include "test_util.h"

#include "fileio.h"
#include "jsonutil.h"
#include "tok_fixture.h"
#include "tokenizer.h"

static eb_tokenizer *toks[TOK_N_FIXTURES];
static long n_entries, n_ids_checked;
static int mismatches_reported[TOK_N_FIXTURES];

/* Pipelines that give the text back: byte fallback or byte-level
 * everywhere, no inserted prefix.  Gemma's normalizer turns a literal "▁"
 * into a space and an lstrip token swallows the space before it, so texts
 * with those are left out. */
static int lossless(int t, const char *text) {
    const char *n = tok_fixture_names[t];
    if (!strcmp(n, "gemma_like")) return strstr(text, "\xE2\x96\x81") == NULL;
    if (!strcmp(n, "gpt2_like")) return strstr(text, "<mask>") == NULL;
    return !strcmp(n, "llama3_like");
}

static void stream_decode(const eb_tokenizer *tok, const int32_t *ids, size_t n, unsigned flags, eb_buf *out) {
    eb_err err = {{0}};
    eb_tok_stream *s = eb_tok_stream_new(tok, flags);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) rc = eb_tok_stream_push(s, ids[i], out, &err);
    if (rc == 0) rc = eb_tok_stream_finish(s, out, &err);
    CHECK_MSG(rc == 0, "stream decode failed: %s", err.msg);
    eb_tok_stream_free(s);
}

static void check_ids(int t, const char *entry, const char *what, const int32_t *got, size_t ngot,
                      const int32_t *want, size_t nwant) {
    long d = tok_first_diff(got, ngot, want, nwant);
    CHECK_MSG(d < 0, "%s: %s: %s: ids differ at %ld (got %zu ids, want %zu): got %d, want %d", tok_fixture_names[t],
              entry, what, d, ngot, nwant, d >= 0 && (size_t)d < ngot ? got[d] : -1,
              d >= 0 && (size_t)d < nwant ? want[d] : -1);
    if (d >= 0) mismatches_reported[t]++;
    n_ids_checked += (long)nwant;
}

static const char *str_in(const cJSON *obj, const char *key, const char *dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : dflt;
}

static int on_entry(const cJSON *rec, eb_jloc loc, void *ctx, eb_err *err) {
    (void)ctx;
    (void)err;
    const char *name = str_in(rec, "name", "?");
    eb_buf raw = {0};
    const char *text = str_in(rec, "text", NULL);
    const char *expect_text;
    if (text) {
        eb_buf_puts(&raw, text);
        expect_text = text;
    } else {
        CHECK_MSG(tok_unhex(str_in(rec, "hex", ""), &raw) == 0, "%s:%ld: bad hex", loc.file, loc.line);
        expect_text = str_in(rec, "lossy", "");
    }
    n_entries++;
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(rec, "ids");
    const cJSON *ids_sp = cJSON_GetObjectItemCaseSensitive(rec, "ids_add_special");
    const cJSON *dec = cJSON_GetObjectItemCaseSensitive(rec, "dec");
    const cJSON *dec_skip = cJSON_GetObjectItemCaseSensitive(rec, "dec_skip");
    for (int t = 0; t < TOK_N_FIXTURES; t++) {
        const char *tn = tok_fixture_names[t];
        eb_err e = {{0}};
        size_t nwant, ngot;
        int32_t *want = tok_json_ids(cJSON_GetObjectItemCaseSensitive(ids, tn), &nwant);
        int32_t *got = NULL;
        int rc = eb_tokenizer_encode(toks[t], eb_buf_str(&raw), raw.len, 0, &got, &ngot, &e);
        CHECK_MSG(rc == 0, "%s: %s: encode failed: %s", tn, name, e.msg);
        check_ids(t, name, "encode", got, ngot, want, nwant);

        /* with the post-processor */
        const cJSON *sp = cJSON_GetObjectItemCaseSensitive(ids_sp, tn);
        size_t nwant2, ngot2;
        int32_t *want2 = sp ? tok_json_ids(sp, &nwant2) : NULL;
        int32_t *got2 = NULL;
        rc = eb_tokenizer_encode(toks[t], eb_buf_str(&raw), raw.len, EB_TOK_ADD_SPECIAL, &got2, &ngot2, &e);
        CHECK_MSG(rc == 0, "%s: %s: encode failed: %s", tn, name, e.msg);
        check_ids(t, name, "encode add_special", got2, ngot2, want2 ? want2 : want, want2 ? nwant2 : nwant);

        /* decoding, against the library's */
        const char *want_dec = str_in(dec, tn, expect_text);
        const char *want_dec_skip = str_in(dec_skip, tn, want_dec);
        eb_buf full = {0}, full_skip = {0}, st = {0}, st_skip = {0};
        CHECK(eb_tokenizer_decode(toks[t], got, ngot, 0, &full, &e) == 0);
        CHECK(eb_tokenizer_decode(toks[t], got, ngot, EB_TOK_SKIP_SPECIAL, &full_skip, &e) == 0);
        CHECK_MSG(strcmp(eb_buf_str(&full), want_dec) == 0, "%s: %s: decode\n  got:  \"%s\"\n  want: \"%s\"", tn,
                  name, eb_buf_str(&full), want_dec);
        CHECK_MSG(strcmp(eb_buf_str(&full_skip), want_dec_skip) == 0,
                  "%s: %s: decode skip_special\n  got:  \"%s\"\n  want: \"%s\"", tn, name, eb_buf_str(&full_skip),
                  want_dec_skip);
        if (lossless(t, expect_text))
            CHECK_MSG(strcmp(eb_buf_str(&full), expect_text) == 0, "%s: %s: decode(encode(x)) != x", tn, name);
        stream_decode(toks[t], got, ngot, 0, &st);
        stream_decode(toks[t], got, ngot, EB_TOK_SKIP_SPECIAL, &st_skip);
        CHECK_MSG(st.len == full.len && memcmp(eb_buf_str(&st), eb_buf_str(&full), full.len) == 0,
                  "%s: %s: streaming decode differs\n  stream: \"%s\"\n  full:   \"%s\"", tn, name, eb_buf_str(&st),
                  eb_buf_str(&full));
        CHECK_MSG(st_skip.len == full_skip.len &&
                      memcmp(eb_buf_str(&st_skip), eb_buf_str(&full_skip), full_skip.len) == 0,
                  "%s: %s: streaming decode (skip special) differs", tn, name);
        eb_buf_free(&full);
        eb_buf_free(&full_skip);
        eb_buf_free(&st);
        eb_buf_free(&st_skip);
        free(want);
        free(want2);
        free(got);
        free(got2);
    }
    eb_buf_free(&raw);
    return 0;
}

static int on_decode_cases(const cJSON *rec, eb_jloc loc, void *ctx, eb_err *err) {
    (void)ctx;
    (void)err;
    (void)loc;
    const char *tn = str_in(rec, "tokenizer", "?");
    int t = -1;
    for (int i = 0; i < TOK_N_FIXTURES; i++)
        if (!strcmp(tok_fixture_names[i], tn)) t = i;
    CHECK_MSG(t >= 0, "decode_cases: unknown tokenizer %s", tn);
    if (t < 0) return 0;
    const cJSON *c;
    int k = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(rec, "cases")) {
        size_t n;
        int32_t *ids = tok_json_ids(cJSON_GetObjectItemCaseSensitive(c, "ids"), &n);
        for (int skip = 0; skip < 2; skip++) {
            unsigned fl = skip ? EB_TOK_SKIP_SPECIAL : 0;
            const char *want = str_in(c, skip ? "dec_skip" : "dec", "");
            eb_buf got = {0}, st = {0};
            eb_err e = {{0}};
            CHECK(eb_tokenizer_decode(toks[t], ids, n, fl, &got, &e) == 0);
            CHECK_MSG(strcmp(eb_buf_str(&got), want) == 0,
                      "%s: decode case %d (skip=%d)\n  got:  \"%s\"\n  want: \"%s\"", tn, k, skip,
                      eb_buf_str(&got), want);
            stream_decode(toks[t], ids, n, fl, &st);
            CHECK_MSG(strcmp(eb_buf_str(&st), eb_buf_str(&got)) == 0,
                      "%s: decode case %d (skip=%d): stream \"%s\" vs full \"%s\"", tn, k, skip, eb_buf_str(&st),
                      eb_buf_str(&got));
            eb_buf_free(&got);
            eb_buf_free(&st);
        }
        free(ids);
        k++;
    }
    return 0;
}

static void run_jsonl(const char *file, eb_jsonl_cb cb) {
    char *data;
    size_t len;
    eb_err err = {{0}};
    int rc = eb_read_file(file, &data, &len, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc) return;
    CHECK_MSG(eb_jsonl_each(file, data, len, cb, NULL, &err) == 0, "%s", err.msg);
    free(data);
}

int main(void) {
    for (int t = 0; t < TOK_N_FIXTURES; t++) {
        eb_err err = {{0}};
        char *p = tok_fixture_path(tok_fixture_names[t]);
        CHECK_MSG(eb_tokenizer_load(p, &toks[t], &err) == 0, "%s", err.msg);
        free(p);
        if (!toks[t]) return eb_test_finish();
    }
    run_jsonl(TOK_FIXTURE_DIR "/corpus.jsonl.gz", on_entry);
    run_jsonl(TOK_FIXTURE_DIR "/decode_cases.jsonl.gz", on_decode_cases);
    printf("corpus: %ld entries, %ld expected ids compared over %d tokenizers\n", n_entries, n_ids_checked,
           TOK_N_FIXTURES);
    CHECK(n_entries >= 400);
    for (int t = 0; t < TOK_N_FIXTURES; t++) {
        if (mismatches_reported[t]) printf("%s: %d id mismatches\n", tok_fixture_names[t], mismatches_reported[t]);
        eb_tokenizer_free(toks[t]);
    }
    return eb_test_finish();
}
