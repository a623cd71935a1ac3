/* The "local" engine through the registry's asynchronous interface, and
 * `evalbench generate`, on the tiny dense fixture: greedy generation equals
 * the model's own greedy decode, batched requests equal single ones, seeded
 * sampling repeats, log-likelihoods equal a direct computation, stop
 * sequences and max_tokens end generation, bad configurations are refused,
 * and the generate command's ids and .npy logits match the reference. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "local_model.h"
#include "test_util.h"

int cmd_generate(int argc, char **argv);

static char dir[1024];

static eb_engine *make_engine(void) {
    eb_engine_config cfg = {.engine = "local", .model_path = dir, .device = "cpu"};
    const eb_engine_entry *ent = eb_engine_find("local");
    CHECK(ent != NULL);
    eb_engine *e = NULL;
    eb_err err = {0};
    if (ent && ent->create(&cfg, &e, &err) != 0) fprintf(stderr, "create: %s\n", err.msg);
    return e;
}

/* Submits reqs, polls until all answered; responses in request order. */
static void run_all(eb_engine *e, const eb_request *reqs, int n, eb_response *out) {
    eb_err err = {0};
    for (int i = 0; i < n; i++) {
        eb_request r = reqs[i];
        r.id = (uint64_t)i;
        CHECK(e->ops->submit(e, &r, &err) == 0);
    }
    int got = 0;
    for (int spins = 0; got < n && spins < 20000; spins++) {
        eb_response r[4];
        int k = e->ops->poll(e, r, 4, 50, &err);
        CHECK(k >= 0);
        for (int i = 0; i < k; i++) {
            int idx = (int)r[i].id;
            CHECK(idx >= 0 && idx < n);
            out[idx] = r[i];
            got++;
        }
    }
    CHECK_INT(got, n);
}

/* Greedy continuation straight from the model, for comparison. */
static char *direct_greedy(eb_local_model *lm, const char *prompt, bool chat, int max_tokens, int *n_out) {
    int32_t *ids;
    size_t n;
    eb_err err = {0};
    CHECK(eb_local_encode_prompt(lm, NULL, prompt, chat, true, &ids, &n, &err) == 0);
    int V = lm->m->cfg.vocab;
    float *lg = malloc((size_t)V * sizeof *lg);
    eb_g4_seq *s = eb_g4_seq_new(lm->m);
    CHECK(eb_local_prefill(lm, s, ids, n, NULL, lg, &err) == 0);
    int32_t out[256];
    int k = 0;
    while (k < max_tokens) {
        int32_t t = eb_argmax(lg, V);
        if (eb_local_is_stop(lm, t)) break;
        out[k++] = t;
        eb_g4_chunk c = {s, &t, 1, 0, lg, NULL};
        CHECK(eb_g4_forward(lm->m, &c, 1, &err) == 0);
    }
    eb_buf text = {0};
    CHECK(eb_tokenizer_decode(lm->tok, out, (size_t)k, 0, &text, &err) == 0);
    *n_out = k;
    eb_g4_seq_free(lm->m, s);
    free(lg);
    free(ids);
    return eb_buf_take(&text);
}

static double direct_loglik(eb_local_model *lm, const char *prompt, const char *cont) {
    int32_t *p, *c;
    size_t np, nc;
    eb_err err = {0};
    CHECK(eb_local_encode_prompt(lm, NULL, prompt, false, true, &p, &np, &err) == 0);
    CHECK(eb_tokenizer_encode(lm->tok, cont, strlen(cont), 0, &c, &nc, &err) == 0);
    int32_t *all = malloc((np + nc) * sizeof *all);
    memcpy(all, p, np * sizeof *p);
    memcpy(all + np, c, nc * sizeof *c);
    int V = lm->m->cfg.vocab;
    float *lg = malloc((np + nc) * (size_t)V * sizeof *lg);
    eb_g4_seq *s = eb_g4_seq_new(lm->m);
    CHECK(eb_local_prefill(lm, s, all, np + nc, lg, NULL, &err) == 0);
    double lp = 0;
    for (size_t t = 0; t < nc; t++) lp += eb_logprob(lg + (np - 1 + t) * (size_t)V, V, c[t]);
    eb_g4_seq_free(lm->m, s);
    free(lg);
    free(all);
    free(p);
    free(c);
    return lp;
}

static void test_engine(void) {
    eb_engine *e = make_engine();
    CHECK(e != NULL);
    if (!e) return;
    CHECK_STR(e->name, "local");
    CHECK_STR(e->model, "dense");
    CHECK_STR(e->quantization, "bf16");
    CHECK(e->supports_loglik);
    eb_local_model *lm = NULL;
    eb_err err = {0};
    CHECK(eb_local_model_open(dir, NULL, 0, &lm, &err) == 0);

    const char *prompts[] = {"What is the answer to question one?", "def add(a, b):\n    return",
                             "The quick brown fox", "Hello, how are you?", "import math\n"};
    enum { N = 5 };
    /* one at a time, then all at once (batched decoding) */
    eb_response single[N], batched[N];
    eb_request reqs[N];
    for (int i = 0; i < N; i++)
        reqs[i] = (eb_request){.id = (uint64_t)i, .prompt = prompts[i], .chat = i % 2 == 0, .add_bos = true,
                               .max_tokens = 12};
    for (int i = 0; i < N; i++) run_all(e, &reqs[i], 1, &single[i]);
    eb_response tmp[N];
    run_all(e, reqs, N, tmp);
    for (int i = 0; i < N; i++) batched[i] = tmp[i];
    for (int i = 0; i < N; i++) {
        int n_direct;
        char *want = direct_greedy(lm, prompts[i], i % 2 == 0, 12, &n_direct);
        CHECK_MSG(single[i].ok, "%s", single[i].error ? single[i].error : "");
        CHECK_STR(single[i].text, want);
        CHECK_INT(single[i].tokens_out, n_direct);
        CHECK_STR(batched[i].text, single[i].text);
        CHECK_STR(single[i].finish_reason, n_direct == 12 ? "length" : "stop");
        CHECK(single[i].tokens_in > 0);
        free(want);
        eb_response_clear(&single[i]);
        eb_response_clear(&batched[i]);
    }

    /* seeded sampling repeats; another seed gives another text */
    eb_request s1 = {.id = 0, .prompt = "Write a poem", .chat = true, .max_tokens = 16, .temperature = 1.5, .seed = 7};
    eb_response a, b, c;
    run_all(e, &s1, 1, &a);
    run_all(e, &s1, 1, &b);
    s1.seed = 8;
    run_all(e, &s1, 1, &c);
    CHECK(a.ok && b.ok && c.ok);
    CHECK_STR(a.text, b.text);
    CHECK(a.text && c.text && strcmp(a.text, c.text) != 0);
    eb_response_clear(&a);
    eb_response_clear(&b);
    eb_response_clear(&c);

    /* stop sequences: the text ends before the first occurrence */
    eb_request g = {.id = 0, .prompt = prompts[2], .chat = false, .add_bos = true, .max_tokens = 12};
    eb_response full;
    run_all(e, &g, 1, &full);
    CHECK(full.ok && full.text && strlen(full.text) > 2);
    if (full.ok && full.text && strlen(full.text) > 2) {
        char stop[3] = {full.text[1], full.text[2], 0};
        const char *stops[] = {"never appears", stop};
        g.stop = stops;
        g.n_stop = 2;
        eb_response r;
        run_all(e, &g, 1, &r);
        const char *at = strstr(full.text, stop);
        CHECK(r.ok && r.text && at && strlen(r.text) == (size_t)(at - full.text));
        CHECK_STR(r.finish_reason, "stop");
        eb_response_clear(&r);
    }
    eb_response_clear(&full);

    /* log-likelihood of continuations */
    const char *conts[] = {" A", " B", " because the answer is C"};
    eb_request ll = {.id = 0, .prompt = "Question: which is right?\nAnswer:", .add_bos = true, .continuations = conts,
                     .n_continuations = 3};
    eb_response lr;
    run_all(e, &ll, 1, &lr);
    CHECK_MSG(lr.ok, "%s", lr.error ? lr.error : "");
    CHECK_INT(lr.n_logprobs, 3);
    for (int i = 0; i < 3 && lr.ok; i++) {
        double want = direct_loglik(lm, ll.prompt, conts[i]);
        CHECK_NEAR(lr.logprobs[i], want, 1e-6);
        CHECK(lr.logprobs[i] < 0);
    }
    eb_response_clear(&lr);

    /* a request the model cannot serve is answered with an error, not a crash */
    /* '~' is not in the fixture's vocabulary: one byte-fallback token per
     * character, beyond the 8192 positions */
    char *huge = malloc(10001);
    memset(huge, '~', 10000);
    huge[10000] = 0;
    eb_request big = {.id = 0, .prompt = huge, .max_tokens = 4};
    eb_response br;
    run_all(e, &big, 1, &br);
    CHECK(!br.ok && br.error && strstr(br.error, "context"));
    eb_response_clear(&br);
    free(huge);

    CHECK(e->ops->capacity(e) > 0);
    eb_local_model_free(lm);
    eb_engine_destroy(e);

    /* refused configurations */
    const eb_engine_entry *ent = eb_engine_find("local");
    eb_engine_config bad = {.engine = "local", .model_path = dir, .device = "cuda"};
    eb_engine *x = NULL;
    CHECK(ent->create(&bad, &x, &err) != 0 && strstr(err.msg, "cuda"));
    bad.device = NULL;
    bad.model_path = NULL;
    CHECK(ent->create(&bad, &x, &err) != 0 && strstr(err.msg, "--model-path"));
    bad.model_path = "/nonexistent/model";
    CHECK(ent->create(&bad, &x, &err) != 0 && strstr(err.msg, "/nonexistent/model"));
}

/* Runs cmd_generate with stdout captured into a file; returns its output. */
static char *run_generate(char **argv, int argc, int *rc) {
    char path[] = "/tmp/eb_g4_gen_XXXXXX";
    int fd = mkstemp(path);
    fflush(stdout);
    int saved = dup(1);
    dup2(fd, 1);
    *rc = cmd_generate(argc, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    char *buf = calloc(1, 65536);
    ssize_t n = read(fd, buf, 65535);
    (void)n;
    close(fd);
    unlink(path);
    return buf;
}

static void test_generate(void) {
    /* the reference's greedy continuation g0 of the dense fixture */
    char refpath[1200];
    snprintf(refpath, sizeof refpath, "%s/tests/fixtures/gemma4/reference/dense.safetensors", EVALBENCH_SOURCE_DIR);
    eb_st_file ref;
    eb_err err = {0};
    CHECK(eb_st_file_open(refpath, &ref, &err) == 0);
    const eb_st_tensor *tp = NULL, *tt = NULL, *p0 = NULL, *l0 = NULL;
    for (size_t i = 0; i < ref.n_tensors; i++) {
        if (!strcmp(ref.tensors[i].name, "g0.prompt")) tp = &ref.tensors[i];
        if (!strcmp(ref.tensors[i].name, "g0.tokens")) tt = &ref.tensors[i];
        if (!strcmp(ref.tensors[i].name, "p0.ids")) p0 = &ref.tensors[i];
        if (!strcmp(ref.tensors[i].name, "p0.logits")) l0 = &ref.tensors[i];
    }
    CHECK(tp && tt && p0 && l0);
    if (!(tp && tt && p0 && l0)) return;
    char ids[4096] = "", want[4096] = "";
    for (int64_t i = 0; i < tp->numel; i++) {
        int64_t v;
        memcpy(&v, (const char *)tp->data + 8 * i, 8);
        snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%s%lld", i ? "," : "", (long long)v);
    }
    for (int64_t i = 0; i < tt->numel; i++) {
        int64_t v;
        memcpy(&v, (const char *)tt->data + 8 * i, 8);
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s%lld", i ? "," : "", (long long)v);
    }
    strcat(want, "\n");
    char mt[16];
    snprintf(mt, sizeof mt, "%lld", (long long)tt->numel);
    char *argv1[] = {"generate", "--model-path", dir, "--prompt-ids", ids, "--max-tokens", mt, "--print-ids"};
    int rc;
    char *out = run_generate(argv1, 8, &rc);
    CHECK_INT(rc, 0);
    CHECK_STR(out, want);
    free(out);

    /* --logits-out: a float32 [T, V] .npy equal to the reference within tolerance */
    char p0ids[4096] = "";
    for (int64_t i = 0; i < p0->numel; i++) {
        int64_t v;
        memcpy(&v, (const char *)p0->data + 8 * i, 8);
        snprintf(p0ids + strlen(p0ids), sizeof p0ids - strlen(p0ids), "%s%lld", i ? "," : "", (long long)v);
    }
    char npy[] = "/tmp/eb_g4_npy_XXXXXX";
    close(mkstemp(npy));
    char *argv2[] = {"generate", "--model-path", dir, "--prompt-ids", p0ids, "--max-tokens", "0", "--logits-out", npy};
    out = run_generate(argv2, 9, &rc);
    CHECK_INT(rc, 0);
    free(out);
    FILE *f = fopen(npy, "rb");
    unsigned char pre[10];
    CHECK(f && fread(pre, 1, 10, f) == 10 && pre[0] == 0x93 && pre[6] == 1);
    size_t hl = pre[8] | (size_t)pre[9] << 8;
    char hdr[512] = "";
    CHECK(hl < sizeof hdr && fread(hdr, 1, hl, f) == hl);
    char shape[64];
    snprintf(shape, sizeof shape, "'shape': (%lld, 512)", (long long)p0->numel);
    CHECK_MSG(strstr(hdr, "'descr': '<f4'") && strstr(hdr, shape), "npy header %s", hdr);
    CHECK((10 + hl) % 64 == 0);
    size_t n = (size_t)l0->numel;
    float *got = malloc(n * sizeof *got);
    CHECK(fread(got, sizeof(float), n, f) == n);
    fclose(f);
    unlink(npy);
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - ((const float *)l0->data)[i]);
        worst = d > worst ? d : worst;
    }
    CHECK_MSG(worst < 2e-4, "generate --logits-out vs reference: %g", worst);
    free(got);

    /* text mode, chat, and usage errors */
    char *argv3[] = {"generate", "--model-path", dir, "--prompt", "Hello", "--chat", "--max-tokens", "5"};
    out = run_generate(argv3, 8, &rc);
    CHECK_INT(rc, 0);
    CHECK(out[0] != 0);
    free(out);
    char *argv4[] = {"generate", "--model-path", dir};
    out = run_generate(argv4, 3, &rc);
    CHECK_INT(rc, 2);
    free(out);
    char *argv5[] = {"generate", "--model-path", dir, "--prompt-ids", "2,x,5"};
    out = run_generate(argv5, 5, &rc);
    CHECK_INT(rc, 2);
    free(out);
    char *argv6[] = {"generate", "--model-path", dir, "--prompt-ids", "2,99999"};
    out = run_generate(argv6, 5, &rc);
    CHECK_INT(rc, 1);
    free(out);
    eb_st_file_close(&ref);
}

int main(void) {
    setenv("EVALBENCH_THREADS", "2", 1);
    snprintf(dir, sizeof dir, "%s/tests/fixtures/gemma4/dense", EVALBENCH_SOURCE_DIR);
    test_engine();
    test_generate();
    return eb_test_finish();
}
