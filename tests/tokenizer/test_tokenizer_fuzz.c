/* Hostile input: random byte strings through every fixture tokenizer
 * (never a crash, ids always in range, decoding always valid UTF-8 and
 * equal to streaming decoding, the Gemma-shaped pipeline gives the text
 * back), random and invalid ids, and truncated, garbled or unsupported
 * tokenizer.json files (always a clear error naming the file, or a
 * tokenizer that works). */
#include "test_util.h"

#include <stdint.h>
#include <time.h>

#include "fileio.h"
#include "tok_fixture.h"
#include "tokenizer.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

/* Strict UTF-8 (no overlongs, surrogates or code points above U+10FFFF),
 * written independently of the library's own checker. */
static int utf8_ok(const char *str, size_t n) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t k;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c < 0x80) k = 1;
        else if (c >= 0xC2 && c <= 0xDF) k = 2;
        else if (c >= 0xE0 && c <= 0xEF) k = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        else if (c >= 0xF0 && c <= 0xF4) k = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        else return 0;
        if (i + k > n) return 0;
        for (size_t j = 1; j < k; j++) {
            unsigned char b = s[i + j];
            if (j == 1 ? (b < lo || b > hi) : (b & 0xC0) != 0x80) return 0;
        }
        i += k;
    }
    return 1;
}

static void random_text(eb_buf *b, size_t n) {
    static const char *const frag[] = {"<bos>", "<eos>", "<|turn>", "<turn|>", "<mask>", " ", "  ", "\n", "\t",
                                       "é", "中", "😀", "\xE2\x96\x81", "<0x41>", "hello_world", "    ", "'s"};
    for (size_t i = 0; i < n; i++) {
        uint32_t r = rnd() % 10;
        if (r < 5) {
            char c = (char)(rnd() & 0xFF);
            eb_buf_append(b, &c, 1);
        } else if (r < 8) {
            char c = (char)(32 + rnd() % 95);
            eb_buf_append(b, &c, 1);
        } else {
            eb_buf_puts(b, frag[rnd() % (sizeof frag / sizeof *frag)]);
        }
    }
}

static void fuzz_encode(eb_tokenizer **toks) {
    int rounds = 1500;
    for (int r = 0; r < rounds; r++) {
        eb_buf text = {0};
        random_text(&text, rnd() % 200);
        for (int t = 0; t < TOK_N_FIXTURES; t++) {
            int32_t *ids = NULL;
            size_t n = 0;
            eb_err err = {{0}};
            unsigned flags = (unsigned)(rnd() % 8);
            int rc = eb_tokenizer_encode(toks[t], eb_buf_str(&text), text.len, flags, &ids, &n, &err);
            if (rc != 0) {
                /* only EB_TOK_ADD_BOS without a BOS token may fail */
                CHECK_MSG((flags & EB_TOK_ADD_BOS) && eb_tokenizer_bos_id(toks[t]) < 0 && strstr(err.msg, "BOS"),
                          "%s: encode failed: %s", tok_fixture_names[t], err.msg);
                continue;
            }
            int in_range = 1;
            for (size_t i = 0; i < n; i++)
                if (ids[i] < 0 || (size_t)ids[i] >= eb_tokenizer_vocab_size(toks[t]) ||
                    !eb_tokenizer_token_str(toks[t], ids[i]))
                    in_range = 0;
            CHECK_MSG(in_range, "%s: encode gave an id outside the vocabulary", tok_fixture_names[t]);
            eb_buf dec = {0}, st = {0};
            CHECK(eb_tokenizer_decode(toks[t], ids, n, 0, &dec, &err) == 0);
            CHECK(utf8_ok(eb_buf_str(&dec), dec.len));
            eb_tok_stream *s = eb_tok_stream_new(toks[t], 0);
            for (size_t i = 0; i < n; i++) eb_tok_stream_push(s, ids[i], &st, &err);
            eb_tok_stream_finish(s, &st, &err);
            eb_tok_stream_free(s);
            CHECK_MSG(st.len == dec.len && memcmp(eb_buf_str(&st), eb_buf_str(&dec), dec.len) == 0,
                      "%s: streaming decode differs from full decode", tok_fixture_names[t]);
            /* Gemma's pipeline keeps every valid byte (no ▁ in the input, no
             * special token to mangle: plain flags). */
            if (t == 0 && flags == 0 && utf8_ok(eb_buf_str(&text), text.len) &&
                !strstr(eb_buf_str(&text), "\xE2\x96\x81"))
                CHECK_MSG(strcmp(eb_buf_str(&dec), eb_buf_str(&text)) == 0, "gemma_like: round trip failed");
            eb_buf_free(&dec);
            eb_buf_free(&st);
            free(ids);
        }
        eb_buf_free(&text);
    }
}

static void fuzz_ids(eb_tokenizer **toks) {
    for (int r = 0; r < 600; r++) {
        int t = (int)(rnd() % TOK_N_FIXTURES);
        size_t vs = eb_tokenizer_vocab_size(toks[t]);
        size_t n = rnd() % 40;
        int32_t ids[40];
        int bad = 0;
        for (size_t i = 0; i < n; i++) {
            uint32_t k = rnd() % 20;
            if (k == 0) {
                ids[i] = (int32_t)(vs + rnd() % 5); /* out of range */
                bad = 1;
            } else if (k == 1) {
                ids[i] = -1 - (int32_t)(rnd() % 3);
                bad = 1;
            } else if (k < 10) {
                ids[i] = (int32_t)(rnd() % 300); /* specials and byte tokens */
            } else {
                ids[i] = (int32_t)(rnd() % vs);
            }
        }
        eb_buf dec = {0}, st = {0};
        eb_err err = {{0}};
        unsigned fl = rnd() % 2 ? EB_TOK_SKIP_SPECIAL : 0;
        int rc = eb_tokenizer_decode(toks[t], ids, n, fl, &dec, &err);
        if (bad) {
            CHECK_MSG(rc != 0 && strstr(err.msg, "not in the vocabulary"), "invalid id accepted: %s", err.msg);
        } else {
            CHECK(rc == 0);
            CHECK(utf8_ok(eb_buf_str(&dec), dec.len));
            eb_tok_stream *s = eb_tok_stream_new(toks[t], fl);
            for (size_t i = 0; i < n; i++) CHECK(eb_tok_stream_push(s, ids[i], &st, &err) == 0);
            CHECK(eb_tok_stream_finish(s, &st, &err) == 0);
            eb_tok_stream_free(s);
            CHECK_MSG(strcmp(eb_buf_str(&st), eb_buf_str(&dec)) == 0, "%s: stream \"%s\" vs full \"%s\"",
                      tok_fixture_names[t], eb_buf_str(&st), eb_buf_str(&dec));
        }
        eb_buf_free(&dec);
        eb_buf_free(&st);
    }
}

/* Long byte-fallback runs (a model writing many characters the vocabulary
 * lacks): streaming must stay exact and linear. */
static void long_byte_runs(eb_tokenizer *tok) {
    int32_t e2 = eb_tokenizer_token_id(tok, "<0xE2>"), x82 = eb_tokenizer_token_id(tok, "<0x82>");
    int32_t xac = eb_tokenizer_token_id(tok, "<0xAC>"), eos = eb_tokenizer_token_id(tok, "<eos>");
    CHECK(e2 >= 0 && x82 >= 0 && xac >= 0 && eos >= 0);
    enum { N = 30000 };
    int32_t *ids = malloc(N * sizeof *ids);
    for (int variant = 0; variant < 2; variant++) {
        /* variant 0: "€" x 10000 as bytes (valid), with a skipped special
         * inside; variant 1: the same with one byte missing (invalid) */
        size_t n = 0;
        for (int i = 0; i < N / 3 - 1; i++) {
            ids[n++] = e2;
            ids[n++] = x82;
            if (!(variant == 1 && i == 5000)) ids[n++] = xac;
            if (i == 777) ids[n++] = eos;
        }
        eb_buf full = {0}, st = {0};
        eb_err err = {{0}};
        CHECK(eb_tokenizer_decode(tok, ids, n, EB_TOK_SKIP_SPECIAL, &full, &err) == 0);
        clock_t c0 = clock();
        eb_tok_stream *s = eb_tok_stream_new(tok, EB_TOK_SKIP_SPECIAL);
        for (size_t i = 0; i < n; i++) eb_tok_stream_push(s, ids[i], &st, &err);
        eb_tok_stream_finish(s, &st, &err);
        eb_tok_stream_free(s);
        double secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
        CHECK_MSG(secs < 5.0, "streaming %zu byte tokens took %.2f s", n, secs);
        CHECK(st.len == full.len && memcmp(eb_buf_str(&st), eb_buf_str(&full), full.len) == 0);
        /* valid: 3 bytes per character; invalid: one U+FFFD (3 bytes) per byte */
        CHECK_INT(full.len, variant == 0 ? 3 * (N / 3 - 1) : 3 * (n - 1));
        eb_buf_free(&full);
        eb_buf_free(&st);
    }
    free(ids);
}

/* Either a clear error naming the file, or a tokenizer that encodes. */
static void load_must_not_crash(const char *json, size_t len, const char *label) {
    eb_tokenizer *tok = NULL;
    eb_err err = {{0}};
    int rc = eb_tokenizer_load_mem(json, len, "garbled.json", &tok, &err);
    if (rc != 0) {
        CHECK_MSG(tok == NULL && strncmp(err.msg, "garbled.json: ", 14) == 0 && strlen(err.msg) > 20,
                  "%s: unclear error \"%s\"", label, err.msg);
        return;
    }
    CHECK(tok != NULL);
    int32_t *ids = NULL;
    size_t n = 0;
    const char *probe = "Hello <bos> wörld 😀 \xff\n    x";
    CHECK(eb_tokenizer_encode(tok, probe, strlen(probe), 0, &ids, &n, &err) == 0);
    eb_buf d = {0};
    eb_tokenizer_decode(tok, ids, n, 0, &d, &err);
    eb_buf_free(&d);
    free(ids);
    eb_tokenizer_free(tok);
}

static void garbled_files(void) {
    char *p = tok_fixture_path("gemma_like");
    char *json;
    size_t len;
    eb_err err = {{0}};
    CHECK(eb_read_file(p, &json, &len, &err) == 0);
    free(p);
    /* truncations */
    int truncated_errors = 0;
    for (int i = 0; i < 120; i++) {
        size_t cut = (size_t)((double)len * i / 120.0);
        eb_tokenizer *tok = NULL;
        if (eb_tokenizer_load_mem(json, cut, "garbled.json", &tok, &err) != 0 && strstr(err.msg, "garbled.json"))
            truncated_errors++;
        eb_tokenizer_free(tok);
    }
    CHECK_INT(truncated_errors, 120);
    /* random byte edits */
    char *copy = malloc(len + 1);
    for (int i = 0; i < 250; i++) {
        memcpy(copy, json, len + 1);
        int edits = 1 + (int)(rnd() % 4);
        for (int e = 0; e < edits; e++) copy[rnd() % len] = (char)(rnd() & 0xFF);
        load_must_not_crash(copy, len, "random edit");
    }
    free(copy);
    free(json);
}

/* Unsupported or broken components: the error names the component. */
static void bad_components(void) {
    static const struct {
        const char *json;
        const char *expect;
    } cases[] = {
        {"[]", "top level"},
        {"{}", "model"},
        {"{\"model\":{\"type\":\"Unigram\",\"vocab\":[]}}", "Unigram"},
        {"{\"model\":{\"type\":\"WordPiece\",\"vocab\":{}}}", "WordPiece"},
        {"{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[]},\"normalizer\":{\"type\":\"NFC\"}}",
         "normalizer: unsupported type \"NFC\""},
        {"{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[]},\"normalizer\":{\"type\":\"Sequence\","
         "\"normalizers\":[{\"type\":\"Lowercase\"}]}}",
         "Lowercase"},
        {"{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[]},\"pre_tokenizer\":{\"type\":"
         "\"BertPreTokenizer\"}}",
         "pre_tokenizer: unsupported type \"BertPreTokenizer\""},
        {"{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[]},\"decoder\":{\"type\":\"WordPiece\"}}",
         "decoder: unsupported type \"WordPiece\""},
        {"{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[]},\"post_processor\":{\"type\":\"Foo\"}}",
         "post_processor: unsupported type \"Foo\""},
        {"{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[]},\"pre_tokenizer\":{\"type\":\"Split\","
         "\"pattern\":{\"Regex\":\"(unclosed\"},\"behavior\":\"Isolated\",\"invert\":false}}",
         "does not compile"},
        {"{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[]},\"pre_tokenizer\":{\"type\":\"Split\","
         "\"pattern\":{\"Regex\":\"a\"},\"behavior\":\"Sideways\",\"invert\":false}}",
         "behavior"},
        {"{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1},\"merges\":[\"a b\"]}}", "merged token \"ab\""},
        {"{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[\"a c\"]}}", "\"c\" is not in the vocabulary"},
        {"{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[\"abc\"]}}", "merges[0]"},
        {"{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":-1},\"merges\":[]}}", "vocab[\"a\"]"},
        {"{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":1e12},\"merges\":[]}}", "vocab[\"a\"]"},
        {"{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":0},\"merges\":[]}}", "used twice"},
        {"{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[],\"dropout\":0.1}}", "dropout"},
        {"{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[],\"unk_token\":\"<unk>\"}}", "unk_token"},
        {"{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[]},\"added_tokens\":[{\"id\":\"x\"}]}",
         "added_tokens[0]"},
        {"{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[]},\"truncation\":{\"max_length\":5}}",
         "truncation"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        eb_tokenizer *tok = NULL;
        eb_err err = {{0}};
        int rc = eb_tokenizer_load_mem(cases[i].json, strlen(cases[i].json), "bad.json", &tok, &err);
        CHECK_MSG(rc != 0 && tok == NULL, "case %zu loaded", i);
        CHECK_MSG(strncmp(err.msg, "bad.json: ", 10) == 0 && strstr(err.msg, cases[i].expect),
                  "case %zu: error \"%s\" should mention \"%s\"", i, err.msg, cases[i].expect);
    }
    /* A pattern that backtracks catastrophically: the encoder reports the
     * matching limit instead of splitting wrongly. */
    const char *slow = "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"c\":1},\"merges\":[]},"
                       "\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":{\"Regex\":\"(a|aa)+$\"},"
                       "\"behavior\":\"Isolated\",\"invert\":false}}";
    eb_tokenizer *st = NULL;
    eb_err e2 = {{0}};
    CHECK_MSG(eb_tokenizer_load_mem(slow, strlen(slow), "slow.json", &st, &e2) == 0, "%s", e2.msg);
    if (st) {
        char text[64];
        memset(text, 'a', 48);
        strcpy(text + 48, "c");
        int32_t *ids = NULL;
        size_t n = 0;
        CHECK(eb_tokenizer_encode(st, text, strlen(text), 0, &ids, &n, &e2) != 0);
        CHECK_MSG(strstr(e2.msg, "slow.json: encode: regex matching failed") != NULL, "%s", e2.msg);
        CHECK(ids == NULL && n == 0);
        CHECK(eb_tokenizer_encode(st, "aac", 3, 0, &ids, &n, &e2) == 0 && n == 3);
        free(ids);
        eb_tokenizer_free(st);
    }

    /* a missing file names the path */
    eb_tokenizer *tok = NULL;
    eb_err err = {{0}};
    CHECK(eb_tokenizer_load("/nonexistent/tokenizer.json", &tok, &err) != 0);
    CHECK(strstr(err.msg, "/nonexistent/tokenizer.json") != NULL);
}

int main(void) {
    eb_tokenizer *toks[TOK_N_FIXTURES];
    for (int t = 0; t < TOK_N_FIXTURES; t++) {
        eb_err err = {{0}};
        char *p = tok_fixture_path(tok_fixture_names[t]);
        int rc = eb_tokenizer_load(p, &toks[t], &err);
        free(p);
        CHECK_MSG(rc == 0, "%s", err.msg);
        if (rc) return eb_test_finish();
    }
    fuzz_encode(toks);
    fuzz_ids(toks);
    long_byte_runs(toks[0]);
    garbled_files();
    bad_components();
    for (int t = 0; t < TOK_N_FIXTURES; t++) eb_tokenizer_free(toks[t]);
    return eb_test_finish();
}
