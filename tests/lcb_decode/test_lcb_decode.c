/* LiveCodeBench private_test_cases decoding against vectors made by
 * python3's own pickle/zlib/base64 at test time (protocols 0-5, ASCII and
 * non-ASCII text, escapes, empty and large lists), refusal of other pickled
 * types naming the opcode, stage-specific errors, and fuzzing with garbage,
 * truncations and mutations (ASan/UBSan watch for crashes). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lcb_decode.h"
#include "test_util.h"

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = '\0';
    if (len) *len = got;
    return buf;
}

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint32_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

static const char *cases[] = {"ascii", "unicode_raw", "unicode_escaped", "escapes", "empty", "big"};
static const char *bad[] = {"list_p4", "list_p0", "bytes_p3", "int_p2", "tuple_p5", "none_p1", "dict_p2"};

static void test_vectors(const char *dir) {
    char path[1024];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (int p = 0; p <= 5; p++) {
            snprintf(path, sizeof path, "%s/%s_p%d.b64", dir, cases[c], p);
            char *b64 = slurp(path, NULL);
            snprintf(path, sizeof path, "%s/%s_p%d.json", dir, cases[c], p);
            size_t want_len = 0;
            char *want = slurp(path, &want_len);
            CHECK_MSG(b64 && want, "missing vector %s protocol %d", cases[c], p);
            if (!b64 || !want) continue;
            char *got = NULL;
            eb_err err = {{0}};
            int rc = eb_lcb_decode_private(b64, &got, &err);
            CHECK_MSG(rc == 0, "%s protocol %d: %s", cases[c], p, err.msg);
            CHECK_MSG(got && strlen(got) == want_len && memcmp(got, want, want_len) == 0,
                      "%s protocol %d: decoded text differs", cases[c], p);
            free(got);
            free(b64);
            free(want);
        }
    }
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
        snprintf(path, sizeof path, "%s/%s.bad", dir, bad[b]);
        char *b64 = slurp(path, NULL);
        snprintf(path, sizeof path, "%s/%s.opcode", dir, bad[b]);
        char *opcode = slurp(path, NULL);
        CHECK(b64 && opcode);
        if (!b64 || !opcode) continue;
        char *got = NULL;
        eb_err err = {{0}};
        int rc = eb_lcb_decode_private(b64, &got, &err);
        CHECK_MSG(rc != 0, "%s was accepted", bad[b]);
        CHECK(got == NULL);
        char needle[64];
        snprintf(needle, sizeof needle, "(%s)", opcode);
        CHECK_MSG(strstr(err.msg, needle) && strstr(err.msg, "unsupported opcode"), "%s: %s", bad[b], err.msg);
        free(b64);
        free(opcode);
    }
}

static void test_stage_errors(void) {
    char *out = NULL;
    eb_err err = {{0}};
    CHECK(eb_lcb_decode_private("not base64!", &out, &err) != 0);
    CHECK_MSG(strstr(err.msg, "base64: invalid character at offset 10"), "%s", err.msg);
    CHECK(eb_lcb_decode_private("QUJD", &out, &err) != 0); /* "ABC": not zlib */
    CHECK_MSG(strstr(err.msg, "zlib:"), "%s", err.msg);
    CHECK(eb_lcb_decode_private("", &out, &err) != 0);
    CHECK_MSG(strstr(err.msg, "zlib:") && strstr(err.msg, "truncated"), "%s", err.msg);
    CHECK(eb_lcb_decode_private("QUJ", &out, &err) != 0 || out != NULL);
    free(out);
    out = NULL;
    CHECK(eb_lcb_decode_private("Q", &out, &err) != 0);
    CHECK_MSG(strstr(err.msg, "base64:"), "%s", err.msg);
    CHECK(eb_lcb_decode_private(NULL, &out, &err) != 0);

    /* pickle stage directly */
    const unsigned char ok[] = "\x80\x04\x95\x09\x00\x00\x00\x00\x00\x00\x00\x8c\x05[1,2]\x94.";
    char *s = NULL;
    size_t n = 0;
    CHECK_INT(eb_unpickle_str(ok, sizeof ok - 1, &s, &n, &err), 0);
    CHECK_STR(s, "[1,2]");
    CHECK_INT(n, 5);
    free(s);
    const unsigned char p0[] = "Vx\\u005cy\\u000a\xe9\\U0001f600\np0\n.";
    CHECK_INT(eb_unpickle_str(p0, sizeof p0 - 1, &s, &n, &err), 0);
    CHECK_STR(s, "x\\y\n\xc3\xa9\xf0\x9f\x98\x80");
    free(s);
    const unsigned char two[] = "\x8c\x01" "a\x8c\x01" "b.";
    CHECK(eb_unpickle_str(two, sizeof two - 1, &s, &n, &err) != 0);
    CHECK_MSG(strstr(err.msg, "more than one value"), "%s", err.msg);
    const unsigned char nostop[] = "\x8c\x01" "a\x94";
    CHECK(eb_unpickle_str(nostop, sizeof nostop - 1, &s, &n, &err) != 0);
    CHECK_MSG(strstr(err.msg, "without STOP"), "%s", err.msg);
    const unsigned char trailing[] = "\x8c\x01" "a.xyz";
    CHECK(eb_unpickle_str(trailing, sizeof trailing - 1, &s, &n, &err) != 0);
    CHECK_MSG(strstr(err.msg, "trailing"), "%s", err.msg);
    const unsigned char newproto[] = "\x80\x06\x8c\x01" "a.";
    CHECK(eb_unpickle_str(newproto, sizeof newproto - 1, &s, &n, &err) != 0);
    CHECK_MSG(strstr(err.msg, "protocol 6"), "%s", err.msg);
    const unsigned char biglen[] = "X\xff\xff\xff\xff" "abc.";
    CHECK(eb_unpickle_str(biglen, sizeof biglen - 1, &s, &n, &err) != 0);
    CHECK_MSG(strstr(err.msg, "truncated"), "%s", err.msg);
    const unsigned char badutf[] = "\x8c\x02\xc3\x28.";
    CHECK(eb_unpickle_str(badutf, sizeof badutf - 1, &s, &n, &err) != 0);
    CHECK_MSG(strstr(err.msg, "UTF-8"), "%s", err.msg);
    const unsigned char global[] = "\x80\x02" "cos\nsystem\n.";
    CHECK(eb_unpickle_str(global, sizeof global - 1, &s, &n, &err) != 0);
    CHECK_MSG(strstr(err.msg, "GLOBAL"), "%s", err.msg);
    const unsigned char empty[] = "\x80\x04\x8c\x00\x94.";
    CHECK_INT(eb_unpickle_str(empty, sizeof empty - 1, &s, &n, &err), 0);
    CHECK_STR(s, "");
    free(s);
}

/* Runs the decoder on input that may be anything; it must return cleanly. */
static int try_decode(const char *b64) {
    char *out = NULL;
    eb_err err = {{0}};
    int rc = eb_lcb_decode_private(b64, &out, &err);
    if (rc == 0) CHECK(out != NULL);
    else CHECK(out == NULL && err.msg[0] != '\0');
    free(out);
    return rc;
}

static void test_fuzz(const char *dir) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\n !";
    int accepted = 0, refused = 0;
    /* garbage text */
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = rnd() % 400;
        char *s = malloc(n + 1);
        for (size_t k = 0; k < n; k++) s[k] = alphabet[rnd() % (sizeof alphabet - 1)];
        s[n] = '\0';
        if (try_decode(s) == 0) accepted++;
        else refused++;
        free(s);
    }
    /* every truncation of the small vectors, sampled ones of the big */
    char path[1024];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (int p = 0; p <= 5; p++) {
            snprintf(path, sizeof path, "%s/%s_p%d.b64", dir, cases[c], p);
            size_t len;
            char *b64 = slurp(path, &len);
            if (!b64) continue;
            size_t step = len > 2000 ? len / 40 : 1;
            for (size_t cut = 0; cut < len; cut += step) {
                char saved = b64[cut];
                b64[cut] = '\0';
                if (try_decode(b64) == 0) accepted++;
                else refused++;
                b64[cut] = saved;
            }
            free(b64);
        }
    }
    /* mutated pickles and compressed streams, stage by stage */
    snprintf(path, sizeof path, "%s/unicode_raw_p0.b64", dir);
    const char *names[] = {"unicode_raw_p0", "unicode_raw_p2", "escapes_p4", "ascii_p5", "escapes_p0"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        snprintf(path, sizeof path, "%s/%s.b64", dir, names[k]);
        size_t len;
        char *b64 = slurp(path, &len);
        CHECK(b64 != NULL);
        if (!b64) continue;
        unsigned char *z = NULL, *pk = NULL;
        size_t zlen = 0, pklen = 0;
        eb_err err;
        CHECK_INT(eb_base64_decode(b64, len, &z, &zlen, &err), 0);
        CHECK_INT(eb_zlib_inflate(z, zlen, &pk, &pklen, &err), 0);
        unsigned char *m = malloc(pklen > zlen ? pklen : zlen);
        for (int iter = 0; iter < 2000; iter++) {
            memcpy(m, pk, pklen);
            int flips = 1 + (int)(rnd() % 4);
            for (int f = 0; f < flips; f++) m[rnd() % pklen] = (unsigned char)rnd();
            size_t n = rnd() % 4 == 0 ? rnd() % (pklen + 1) : pklen;
            char *s = NULL;
            size_t sl;
            if (eb_unpickle_str(m, n, &s, &sl, &err) == 0) {
                accepted++;
                CHECK(s != NULL && strlen(s) == sl);
                free(s);
            } else {
                refused++;
            }
            memcpy(m, z, zlen);
            m[rnd() % zlen] ^= (unsigned char)(1u << (rnd() % 8));
            unsigned char *o = NULL;
            size_t ol;
            if (eb_zlib_inflate(m, zlen, &o, &ol, &err) == 0) free(o);
        }
        free(m);
        free(z);
        free(pk);
        free(b64);
    }
    printf("fuzz: %d inputs decoded, %d refused\n", accepted, refused);
    CHECK(refused > 1000);
}

int main(void) {
    char dir[] = "/tmp/evalbench-lcb-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "python3 '%s/tests/lcb_decode/make_vectors.py' '%s'", EVALBENCH_SOURCE_DIR, dir);
    CHECK_INT(system(cmd), 0);
    test_vectors(dir);
    test_stage_errors();
    test_fuzz(dir);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_INT(system(cmd), 0);
    return eb_test_finish();
}
