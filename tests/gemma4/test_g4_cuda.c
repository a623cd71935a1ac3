/* The CUDA backend (ctest label "gpu"; run by scripts/gpu_check.sh on a GPU
 * machine) on every tiny fixture:
 *
 *  - against the transformers float32 reference recorded by
 *    scripts/make_fixtures.py, and against the CPU backend: relative L2
 *    error of all logits, top-1 agreement wherever the reference is not a
 *    near tie, greedy continuations identical up to the first near tie.  The
 *    GPU rounds activations to bf16 before each matrix product (as
 *    transformers' bf16 path does), so it is held to bf16-level bounds, not
 *    to the CPU's 1e-4;
 *  - determinism: a prompt's logits are bit-identical run whole, token by
 *    token, in chunks of 5, alone or inside a batch of 64 mixed-length
 *    sequences that join and leave, after forking a cached prefix, and in a
 *    third repetition; the device argmax picks the same tokens as the host.
 *
 * Without a GPU this test fails: it is never run by the CPU-only suite. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "g4_cuda.h"
#include "g4_fixture_util.h"
#include "g4_model.h"
#include "g4_quant.h"
#include "rng.h"
#include "test_util.h"

#define REL_L2_MAX 2e-2

static eb_g4_model *load_quant(const char *name, bool gpu, eb_g4_quant q) {
    eb_err err = {0};
    eb_g4_backend *be = gpu ? eb_g4_cuda_backend_create(0, &err) : eb_g4_cpu_backend_create(2);
    if (!be) fprintf(stderr, "%s: %s\n", name, err.msg);
    return g4_fixture_load_quant(name, be, q);
}

static eb_g4_model *load(const char *name, bool gpu) { return load_quant(name, gpu, EB_G4_Q_NONE); }

static void check_fixture(const char *name, const char *refname) {
    eb_g4_model *gpu = load(name, true), *cpu = load(name, false);
    CHECK_MSG(gpu && cpu, "fixture %s loads on both backends", name);
    char *refpath = g4_fixture_path(refname);
    eb_st_file ref;
    eb_err err = {0};
    int rc = eb_st_file_open(refpath, &ref, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    free(refpath);
    if (rc != 0 || !gpu || !cpu) {
        if (rc == 0) eb_st_file_close(&ref);
        eb_g4_model_free(gpu);
        eb_g4_model_free(cpu);
        return;
    }
    int V = gpu->cfg.vocab;
    for (int p = 0;; p++) {
        char key[32];
        snprintf(key, sizeof key, "p%d.ids", p);
        const eb_st_tensor *ti = g4_ref_tensor(&ref, key);
        if (!ti) break;
        snprintf(key, sizeof key, "p%d.logits", p);
        const eb_st_tensor *tl = g4_ref_tensor(&ref, key);
        int n = (int)ti->numel;
        int32_t *ids = g4_ids_of(ti);
        float *full = g4_run_logits(gpu, ids, n, n), *inc = g4_run_logits(gpu, ids, n, 1), *ch5 = g4_run_logits(gpu, ids, n, 5);
        float *c_full = g4_run_logits(cpu, ids, n, n);
        CHECK(full && inc && ch5 && c_full && tl);
        if (full && inc && ch5 && c_full && tl) {
            g4_cmp r = g4_compare(full, tl->data, n, V), c = g4_compare(full, c_full, n, V);
            printf("%-9s prompt %d (%3d tokens): vs transformers max|d| %.3g rel-L2 %.2e top-1 %d/%d; vs CPU rel-L2 "
                   "%.2e\n",
                   name, p, n, r.max_abs, r.rel_l2, r.decisive - r.top1_bad, r.decisive, c.rel_l2);
            CHECK_MSG(r.rel_l2 <= REL_L2_MAX, "%s prompt %d: rel-L2 %.3g vs transformers", name, p, r.rel_l2);
            CHECK_MSG(c.rel_l2 <= REL_L2_MAX, "%s prompt %d: rel-L2 %.3g vs CPU", name, p, c.rel_l2);
            CHECK_MSG(r.top1_bad == 0, "%s prompt %d: top-1 differs at %d decisive positions", name, p, r.top1_bad);
            /* the same rows through different chunkings: the same bits */
            size_t bytes = (size_t)n * V * sizeof(float);
            CHECK_MSG(memcmp(full, inc, bytes) == 0, "%s prompt %d: token-by-token differs from whole", name, p);
            CHECK_MSG(memcmp(full, ch5, bytes) == 0, "%s prompt %d: chunks of 5 differ from whole", name, p);
        }
        free(full);
        free(inc);
        free(ch5);
        free(c_full);
        free(ids);
    }
    /* Greedy continuations: the GPU's argmax path against the reference
     * tokens; a divergence is accepted only where the CPU (which follows the
     * reference) sees a near tie between the two tokens. */
    for (int gi = 0;; gi++) {
        char key[32];
        snprintf(key, sizeof key, "g%d.prompt", gi);
        const eb_st_tensor *tp = g4_ref_tensor(&ref, key);
        snprintf(key, sizeof key, "g%d.tokens", gi);
        const eb_st_tensor *tt = g4_ref_tensor(&ref, key);
        if (!tp || !tt) break;
        int32_t *prompt = g4_ids_of(tp), *want = g4_ids_of(tt);
        int np = (int)tp->numel, nt = (int)tt->numel;
        eb_g4_seq *s = eb_g4_seq_new(gpu), *cs = eb_g4_seq_new(cpu);
        float *clog = malloc((size_t)V * sizeof *clog);
        int32_t tok = -1;
        eb_g4_chunk c = {.seq = s, .ids = prompt, .n = np, .logits_from = np - 1, .argmax = &tok};
        eb_g4_chunk cc = {.seq = cs, .ids = prompt, .n = np, .logits_from = np - 1, .logits = clog};
        int same = 0;
        bool ok = eb_g4_forward(gpu, &c, 1, &err) == 0 && eb_g4_forward(cpu, &cc, 1, &err) == 0;
        while (ok && same < nt && tok == want[same]) {
            same++;
            if (same == nt) break;
            c = (eb_g4_chunk){.seq = s, .ids = &want[same - 1], .n = 1, .argmax = &tok};
            cc = (eb_g4_chunk){.seq = cs, .ids = &want[same - 1], .n = 1, .logits = clog};
            ok = eb_g4_forward(gpu, &c, 1, &err) == 0 && eb_g4_forward(cpu, &cc, 1, &err) == 0;
        }
        CHECK_MSG(ok, "%s greedy %d: %s", name, gi, err.msg);
        double gap = same < nt ? (double)clog[want[same]] - clog[tok] : 0;
        printf("%-9s greedy %d: %d/%d tokens identical%s\n", name, gi, same, nt,
               same < nt ? (gap < NEAR_TIE ? " (then a near tie)" : " (then a decisive difference)") : "");
        CHECK_MSG(same == nt || gap < NEAR_TIE, "%s greedy %d: differs at token %d by a margin of %.3g", name, gi, same,
                  gap);
        free(clog);
        eb_g4_seq_free(gpu, s);
        eb_g4_seq_free(cpu, cs);
        free(prompt);
        free(want);
    }
    eb_st_file_close(&ref);
    eb_g4_model_free(gpu);
    eb_g4_model_free(cpu);
}

/* ---- determinism ------------------------------------------------------------ */

#define BATCH 64
#define GEN 24

/* Greedy decoding of one prompt alone; logits [GEN, V] of every step. */
static float *decode_alone(eb_g4_model *m, const int32_t *prompt, int n, int32_t *toks) {
    int V = m->cfg.vocab;
    float *lg = malloc((size_t)GEN * V * sizeof *lg);
    eb_g4_seq *s = eb_g4_seq_new(m);
    eb_err err = {0};
    eb_g4_chunk c = {.seq = s, .ids = prompt, .n = n, .logits_from = n - 1, .logits = lg};
    bool ok = eb_g4_forward(m, &c, 1, &err) == 0;
    for (int t = 0; ok && t < GEN; t++) {
        toks[t] = g4_argmax(lg + (size_t)t * V, V);
        if (t + 1 == GEN) break;
        c = (eb_g4_chunk){.seq = s, .ids = &toks[t], .n = 1, .logits = lg + (size_t)(t + 1) * V};
        ok = eb_g4_forward(m, &c, 1, &err) == 0;
    }
    CHECK_MSG(ok, "decode alone: %s", err.msg);
    eb_g4_seq_free(m, s);
    return lg;
}

static void check_determinism(const char *name, eb_g4_quant q) {
    eb_g4_model *m = load_quant(name, true, q);
    CHECK_MSG(m != NULL, "%s loads on the GPU", name);
    if (!m) return;
    int V = m->cfg.vocab;
    eb_rng rng;
    eb_rng_seed(&rng, 42);
    int32_t *prompts[BATCH];
    int lens[BATCH], gen[BATCH];
    for (int i = 0; i < BATCH; i++) {
        lens[i] = 3 + (int)(eb_rng_uniform(&rng) * 38);
        gen[i] = i == 0 ? GEN : 1 + (int)(eb_rng_uniform(&rng) * 2 * GEN); /* others join and leave */
        prompts[i] = malloc((size_t)lens[i] * sizeof(int32_t));
        prompts[i][0] = 2;
        for (int t = 1; t < lens[i]; t++) prompts[i][t] = 107 + (int)(eb_rng_uniform(&rng) * (V - 107));
    }
    size_t bytes = (size_t)GEN * V * sizeof(float);
    int32_t toks[GEN], toks2[GEN];
    float *alone = decode_alone(m, prompts[0], lens[0], toks);
    float *again = decode_alone(m, prompts[0], lens[0], toks2);
    float *third = decode_alone(m, prompts[0], lens[0], toks2);
    CHECK_MSG(memcmp(alone, again, bytes) == 0 && memcmp(alone, third, bytes) == 0,
              "%s: three repetitions give the same logits", name);

    /* in a batch: all 64 prefilled in one forward, then decoded together;
     * sequences finish at different steps and half of them join late */
    float *batched = malloc(bytes);
    eb_g4_seq *seqs[BATCH];
    int32_t next[BATCH], done_n[BATCH];
    float *lg = malloc((size_t)BATCH * V * sizeof *lg);
    eb_g4_chunk ch[BATCH];
    eb_err err = {0};
    int k = 0;
    for (int i = 0; i < BATCH; i += 2) {
        seqs[i] = eb_g4_seq_new(m);
        ch[k++] = (eb_g4_chunk){.seq = seqs[i], .ids = prompts[i], .n = lens[i], .logits_from = lens[i] - 1,
                                .logits = lg + (size_t)i * V};
    }
    bool ok = eb_g4_forward(m, ch, k, &err) == 0;
    for (int i = 0; i < BATCH; i++) done_n[i] = i % 2 ? -1 : 0; /* -1: not started */
    for (int step = 0; ok; step++) {
        k = 0;
        for (int i = 0; i < BATCH; i++) {
            if (done_n[i] >= 0 && done_n[i] < gen[i]) {
                const float *row = lg + (size_t)i * V;
                if (i == 0) memcpy(batched + (size_t)done_n[i] * V, row, (size_t)V * sizeof(float));
                next[i] = g4_argmax(row, V);
                done_n[i]++;
                if (done_n[i] < gen[i])
                    ch[k++] = (eb_g4_chunk){.seq = seqs[i], .ids = &next[i], .n = 1, .logits = lg + (size_t)i * V};
            } else if (done_n[i] < 0 && step == i / 4) {
                /* a late joiner's prompt is prefilled beside the decoders */
                seqs[i] = eb_g4_seq_new(m);
                done_n[i] = 0;
                ch[k++] = (eb_g4_chunk){.seq = seqs[i], .ids = prompts[i], .n = lens[i], .logits_from = lens[i] - 1,
                                        .logits = lg + (size_t)i * V};
            }
        }
        if (!k) break;
        ok = eb_g4_forward(m, ch, k, &err) == 0;
    }
    CHECK_MSG(ok, "%s batch: %s", name, err.msg);
    CHECK_MSG(memcmp(alone, batched, bytes) == 0, "%s: a prompt decoded in a batch of %d differs from alone", name,
              BATCH);
    for (int i = 0; i < BATCH; i++)
        if (done_n[i] >= 0) eb_g4_seq_free(m, seqs[i]);

    /* after a prefix-cache hit: the first half of the prompt computed once,
     * its cache forked, the rest continued on the fork */
    {
        int half = lens[0] / 2;
        float *lgf = malloc(bytes);
        eb_g4_seq *base = eb_g4_seq_new(m);
        eb_g4_chunk c = {.seq = base, .ids = prompts[0], .n = half};
        ok = eb_g4_forward(m, &c, 1, &err) == 0;
        eb_g4_seq *s = eb_g4_seq_fork(m, base);
        c = (eb_g4_chunk){.seq = s, .ids = prompts[0] + half, .n = lens[0] - half, .logits_from = lens[0] - half - 1,
                          .logits = lgf};
        ok = ok && eb_g4_forward(m, &c, 1, &err) == 0;
        int32_t tok = -1;
        for (int t = 0; ok && t + 1 < GEN; t++) {
            int32_t id = g4_argmax(lgf + (size_t)t * V, V);
            /* this step through the device argmax, the next with logits */
            c = (eb_g4_chunk){.seq = s, .ids = &id, .n = 1, .logits = lgf + (size_t)(t + 1) * V};
            ok = eb_g4_forward(m, &c, 1, &err) == 0;
            if (t == 0) {
                eb_g4_seq *probe = eb_g4_seq_fork(m, s);
                int32_t id2 = g4_argmax(lgf + (size_t)(t + 1) * V, V);
                eb_g4_chunk pc = {.seq = probe, .ids = &id2, .n = 1, .argmax = &tok};
                ok = ok && eb_g4_forward(m, &pc, 1, &err) == 0;
                CHECK_MSG(tok == toks[2], "%s: device argmax %d, host argmax %d", name, tok, toks[2]);
                eb_g4_seq_free(m, probe);
            }
        }
        CHECK_MSG(ok, "%s prefix fork: %s", name, err.msg);
        CHECK_MSG(memcmp(alone, lgf, bytes) == 0, "%s: after a forked prefix the logits differ", name);
        eb_g4_seq_free(m, s);
        eb_g4_seq_free(m, base);
        free(lgf);
    }
    printf("%-9s determinism: alone = 3 repetitions = batch of %d = forked prefix (%d steps, %d-token prompt)\n", name,
           BATCH, GEN, lens[0]);
    free(lg);
    free(batched);
    free(alone);
    free(again);
    free(third);
    for (int i = 0; i < BATCH; i++) free(prompts[i]);
    eb_g4_model_free(m);
}

/* ---- quantized weights ------------------------------------------------------ */

/* One projection of a loaded model, GPU against CPU on the same input rows:
 * int8 products are exact integer sums on both, so bit-identical. */
static double matmul_gap(eb_g4_model *gpu, eb_g4_model *cpu, int n, bool *identical) {
    const eb_g4_tensor *wg = &gpu->w.layers[0].q_proj, *wc = &cpu->w.layers[0].q_proj;
    int out = (int)wg->shape[0], in = (int)wg->shape[1];
    float *x = malloc(sizeof(float) * (size_t)n * in), *yc = malloc(sizeof(float) * (size_t)n * out),
          *yg = malloc(sizeof(float) * (size_t)n * out);
    eb_rng rng;
    eb_rng_seed(&rng, 5);
    for (int i = 0; i < n * in; i++) x[i] = (float)(eb_rng_uniform(&rng) * 6 - 3);
    cpu->be->ops->matmul(cpu->be, wc, 0, out, in, x, n, yc);
    float *dx = gpu->be->ops->alloc(gpu->be, (size_t)n * in), *dy = gpu->be->ops->alloc(gpu->be, (size_t)n * out);
    gpu->be->ops->upload(gpu->be, dx, x, (size_t)n * in);
    gpu->be->ops->matmul(gpu->be, wg, 0, out, in, dx, n, dy);
    gpu->be->ops->download(gpu->be, yg, dy, (size_t)n * out);
    gpu->be->ops->release(gpu->be, dx);
    gpu->be->ops->release(gpu->be, dy);
    double dd = 0, rr = 0;
    for (int i = 0; i < n * out; i++) {
        dd += ((double)yg[i] - yc[i]) * ((double)yg[i] - yc[i]);
        rr += (double)yc[i] * yc[i];
    }
    *identical = memcmp(yg, yc, sizeof(float) * (size_t)n * out) == 0;
    free(x);
    free(yc);
    free(yg);
    return sqrt(dd / (rr > 0 ? rr : 1));
}

static void check_quant(const char *name, const char *refname, eb_g4_quant q) {
    eb_g4_model *gpu = load_quant(name, true, q), *cpu = load_quant(name, false, q);
    CHECK_MSG(gpu && cpu, "fixture %s loads as %s on both backends", name, eb_g4_quant_name(q));
    char *refpath = g4_fixture_path(refname);
    eb_st_file ref;
    eb_err err = {0};
    int rc = eb_st_file_open(refpath, &ref, &err);
    free(refpath);
    if (rc != 0 || !gpu || !cpu) {
        if (rc == 0) eb_st_file_close(&ref);
        eb_g4_model_free(gpu);
        eb_g4_model_free(cpu);
        return;
    }
    bool same = false;
    double g1 = matmul_gap(gpu, cpu, 1, &same);
    bool same40 = false;
    double g40 = matmul_gap(gpu, cpu, 40, &same40);
    printf("%-9s %-6s q_proj GPU vs CPU: rel-L2 %.2e (1 row), %.2e (40 rows)%s\n", name, eb_g4_quant_name(q), g1, g40,
           same && same40 ? ", bit-identical" : "");
    if (q == EB_G4_Q_INT8) CHECK_MSG(same && same40, "%s int8: GPU product differs from the CPU's", name);
    else CHECK_MSG(g1 < 1e-2 && g40 < 1e-2, "%s %s: GPU product off the CPU's by %.3g / %.3g", name,
                   eb_g4_quant_name(q), g1, g40);
    int V = gpu->cfg.vocab;
    for (int p = 0;; p++) {
        char key[32];
        snprintf(key, sizeof key, "p%d.ids", p);
        const eb_st_tensor *ti = g4_ref_tensor(&ref, key);
        if (!ti) break;
        int n = (int)ti->numel;
        int32_t *ids = g4_ids_of(ti);
        float *full = g4_run_logits(gpu, ids, n, n), *inc = g4_run_logits(gpu, ids, n, 1),
              *c_full = g4_run_logits(cpu, ids, n, n);
        CHECK(full && inc && c_full);
        if (full && inc && c_full) {
            g4_cmp c = g4_compare(full, c_full, n, V);
            printf("%-9s %-6s prompt %d: GPU vs CPU rel-L2 %.2e, top-1 %d/%d\n", name, eb_g4_quant_name(q), p,
                   c.rel_l2, c.decisive - c.top1_bad, c.decisive);
            /* The products themselves are checked above (int8 bit-identical,
             * the others at bf16 level).  Through a whole model the GPU's
             * bf16 activations (and, in W8A8, an activation on a rounding
             * boundary taking the neighbouring code) move these tiny random
             * models further than in bf16: the MoE fixture's router then
             * picks another expert here and there.  Top-1 must still agree. */
            double bound = 0.1;
            CHECK_MSG(c.rel_l2 <= bound, "%s %s prompt %d: rel-L2 %.3g vs CPU", name, eb_g4_quant_name(q), p,
                      c.rel_l2);
            CHECK_MSG(c.top1_bad * 20 <= c.decisive, "%s %s prompt %d: top-1 differs at %d of %d", name,
                      eb_g4_quant_name(q), p, c.top1_bad, c.decisive);
            CHECK_MSG(memcmp(full, inc, (size_t)n * V * sizeof(float)) == 0,
                      "%s %s prompt %d: token-by-token differs from whole", name, eb_g4_quant_name(q), p);
        }
        free(full);
        free(inc);
        free(c_full);
        free(ids);
    }
    eb_st_file_close(&ref);
    eb_g4_model_free(gpu);
    eb_g4_model_free(cpu);
}

int main(void) {
    int n = eb_g4_cuda_device_count();
    CHECK_MSG(n > 0, "a CUDA GPU is visible (this test runs only from scripts/gpu_check.sh)");
    if (n > 0) {
        check_fixture("dense", "reference/dense.safetensors");
        check_fixture("dense-mm", "reference/dense.safetensors");
        check_fixture("moe", "reference/moe.safetensors");
        check_fixture("ple", "reference/ple.safetensors");
        check_determinism("dense", EB_G4_Q_NONE);
        check_determinism("moe", EB_G4_Q_NONE);
        check_determinism("ple", EB_G4_Q_NONE);
        check_determinism("moe", EB_G4_Q_INT8);
        check_determinism("ple", EB_G4_Q_FP8);
        check_determinism("dense", EB_G4_Q_W4A16);
        const eb_g4_quant modes[] = {EB_G4_Q_FP8, EB_G4_Q_INT8, EB_G4_Q_W8A16, EB_G4_Q_W4A16};
        for (int i = 0; i < 4; i++) {
            check_quant("dense", "reference/dense.safetensors", modes[i]);
            check_quant("moe", "reference/moe.safetensors", modes[i]);
            check_quant("ple", "reference/ple.safetensors", modes[i]);
        }
    }
    return eb_test_finish();
}
