/* Long prompts: every LiveCodeBench statement and a block of MMLU test
 * questions from the real datasets, joined into one text of several hundred
 * KB.  The Gemma-shaped tokenizer's only split is on spaces, which its
 * normalizer has already replaced by "▁", so BPE runs over whole runs
 * between special tokens: this checks that the merge loop is
 * fast on huge words (a quadratic loop would take minutes), that splitting
 * at a special token gives the concatenation of the parts' encodings, and
 * that the text comes back exactly. */
#include "test_util.h"

#include <time.h>

#include "fileio.h"
#include "jsonutil.h"
#include "tok_fixture.h"
#include "tokenizer.h"

static int add_prompt(const cJSON *obj, eb_jloc loc, void *ctx, eb_err *err) {
    const char *p = eb_json_str(obj, "prompt", loc, err);
    if (!p) return -1;
    eb_buf_puts(ctx, p);
    return 0;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int32_t *enc(const eb_tokenizer *tok, const char *s, size_t len, size_t *n) {
    int32_t *ids = NULL;
    eb_err err = {{0}};
    CHECK_MSG(eb_tokenizer_encode(tok, s, len, 0, &ids, n, &err) == 0, "%s", err.msg);
    return ids;
}

int main(void) {
    char path[4096];
    eb_err err = {{0}};
    char *data;
    size_t len;
    eb_buf a = {0}, b = {0};
    snprintf(path, sizeof path, "%s/livecodebench/qwq_livecodebench_v5_2408_2502_prompts.jsonl", eb_test_data_dir());
    CHECK_MSG(eb_read_file(path, &data, &len, &err) == 0, "%s", err.msg);
    if (!data) return eb_test_finish();
    CHECK_MSG(eb_jsonl_each(path, data, len, add_prompt, &a, &err) == 0, "%s", err.msg);
    free(data);
    snprintf(path, sizeof path, "%s/mmlu/data/test/professional_law_test.csv", eb_test_data_dir());
    CHECK_MSG(eb_read_file(path, &data, &len, &err) == 0, "%s", err.msg);
    if (!data) return eb_test_finish();
    eb_buf_append(&b, data, len < 400000 ? len : 400000);
    free(data);
    /* cut b back to a character boundary */
    while (b.len && ((unsigned char)b.data[b.len - 1] & 0xC0) == 0x80) b.len--;
    if (b.len) b.len--;
    b.data[b.len] = 0;
    printf("parts: %zu + %zu bytes\n", a.len, b.len);
    CHECK(a.len > 300000 && b.len > 300000);

    for (int t = 0; t < 2; t++) { /* gemma_like (one giant BPE word) and gpt2_like */
        eb_tokenizer *tok = NULL;
        char *p = tok_fixture_path(tok_fixture_names[t == 0 ? 0 : 1]);
        CHECK_MSG(eb_tokenizer_load(p, &tok, &err) == 0, "%s", err.msg);
        free(p);
        if (!tok) break;
        const char *sep = t == 0 ? "<eos>" : "<|endoftext|>";
        int32_t sep_id = eb_tokenizer_token_id(tok, sep);
        CHECK(sep_id >= 0);
        eb_buf joined = {0};
        eb_buf_append(&joined, a.data, a.len);
        eb_buf_puts(&joined, sep);
        eb_buf_append(&joined, b.data, b.len);

        size_t na, nb, nj;
        double t0 = now();
        int32_t *ia = enc(tok, a.data, a.len, &na);
        int32_t *ib = enc(tok, b.data, b.len, &nb);
        int32_t *ij = enc(tok, joined.data, joined.len, &nj);
        double dt = now() - t0;
        printf("%s: %zu bytes -> %zu + %zu tokens in %.2f s (two passes)\n", tok_fixture_names[t == 0 ? 0 : 1],
               joined.len * 2, na, nb, dt);
        /* generous: ASan on a shared 2-core machine; a quadratic merge
         * loop over a 300 KB word would need minutes */
        CHECK(dt < 30.0);
        CHECK_INT(nj, na + 1 + nb);
        if (nj == na + 1 + nb) {
            CHECK(memcmp(ij, ia, na * sizeof *ia) == 0);
            CHECK_INT(ij[na], sep_id);
            CHECK(memcmp(ij + na + 1, ib, nb * sizeof *ib) == 0);
        }
        eb_buf back = {0};
        CHECK(eb_tokenizer_decode(tok, ij, nj, 0, &back, &err) == 0);
        CHECK(back.len == joined.len && memcmp(back.data, joined.data, joined.len) == 0);
        eb_buf_free(&back);
        free(ia);
        free(ib);
        free(ij);
        eb_buf_free(&joined);
        eb_tokenizer_free(tok);
    }
    eb_buf_free(&a);
    eb_buf_free(&b);
    return eb_test_finish();
}
