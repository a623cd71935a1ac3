/* The CPU forward pass against the transformers reference recorded by
 * scripts/make_fixtures.py (float32 on both sides), for each tiny fixture:
 * dense with K = V full layers, MoE, and per-layer embeddings with KV
 * sharing, plus the dense weights in the multimodal layout.
 *
 * Tolerance: |ours - reference| <= 2e-4 + 1e-4 * |reference| for every logit
 * at every position.  Both sides compute in float32; the differences come from
 * summation order (vectorised dot products, pairwise sums in torch) and are
 * around 1e-6 on these models, so the bound leaves room for other compilers
 * while still catching any wrong operation (those move logits by > 1e-2). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "g4_model.h"
#include "g4_fixture_util.h"
#include "test_util.h"

#define ABS_TOL 2e-4
#define REL_TOL 1e-4

static eb_g4_model *load(const char *name) { return g4_fixture_load(name, eb_g4_cpu_backend_create(2)); }

static void check_model(const char *name, const char *refname) {
    eb_g4_model *m = load(name);
    CHECK_MSG(m != NULL, "fixture %s loads", name);
    if (!m) return;
    char *refpath = g4_fixture_path(refname);
    eb_st_file ref;
    eb_err err = {0};
    int rc = eb_st_file_open(refpath, &ref, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    free(refpath);
    if (rc != 0) {
        eb_g4_model_free(m);
        return;
    }
    int V = m->cfg.vocab;
    for (int p = 0;; p++) {
        char key[32];
        snprintf(key, sizeof key, "p%d.ids", p);
        const eb_st_tensor *ti = g4_ref_tensor(&ref, key);
        if (!ti) {
            CHECK_MSG(p >= 3, "%s: three reference prompts", name);
            break;
        }
        snprintf(key, sizeof key, "p%d.logits", p);
        const eb_st_tensor *tl = g4_ref_tensor(&ref, key);
        int n = (int)ti->numel;
        CHECK(tl && tl->numel == (int64_t)n * V);
        CHECK_MSG(n > m->cfg.sliding_window, "prompt longer than the sliding window");
        int32_t *ids = g4_ids_of(ti);
        float *full = g4_run_logits(m, ids, n, n);
        float *inc = g4_run_logits(m, ids, n, 1);
        float *chunked = g4_run_logits(m, ids, n, 5);
        CHECK(full && inc && chunked);
        if (full && inc && chunked && tl) {
            const float *want = tl->data;
            double worst = 0;
            int top1_bad = 0, tol_bad = 0;
            double inc_diff = 0;
            for (int t = 0; t < n; t++) {
                for (int v = 0; v < V; v++) {
                    double d = fabs((double)full[(size_t)t * V + v] - want[(size_t)t * V + v]);
                    if (d > worst) worst = d;
                    if (d > ABS_TOL + REL_TOL * fabs(want[(size_t)t * V + v])) tol_bad++;
                    double e = fabs((double)full[(size_t)t * V + v] - inc[(size_t)t * V + v]);
                    double f = fabs((double)full[(size_t)t * V + v] - chunked[(size_t)t * V + v]);
                    if (e > inc_diff) inc_diff = e;
                    if (f > inc_diff) inc_diff = f;
                }
                if (g4_argmax(full + (size_t)t * V, V) != g4_argmax(want + (size_t)t * V, V)) top1_bad++;
            }
            printf("%s prompt %d (%d tokens): max |diff| vs reference %.3g, incremental vs full %.3g\n", name, p, n,
                   worst, inc_diff);
            CHECK_MSG(tol_bad == 0, "%s prompt %d: %d logits outside tolerance (max diff %g)", name, p, tol_bad, worst);
            CHECK_MSG(top1_bad == 0, "%s prompt %d: top-1 differs at %d positions", name, p, top1_bad);
            /* Each row is computed by the same operations whatever the chunk
             * size, so the KV-cache paths agree with the full forward exactly. */
            CHECK_MSG(inc_diff == 0.0, "%s prompt %d: incremental/chunked differ from full forward by %g", name, p, inc_diff);
        }
        free(ids);
        free(full);
        free(inc);
        free(chunked);
    }
    /* Sliding-window layers keep only their window (plus the chunk being
     * added; 16 slots at least), full layers every position. */
    {
        const eb_st_tensor *ti = g4_ref_tensor(&ref, "p2.ids");
        int32_t *ids = g4_ids_of(ti);
        int n = (int)ti->numel;
        eb_g4_seq *s = eb_g4_seq_new(m);
        for (int t = 0; t < n; t++) {
            eb_g4_chunk c = {.seq = s, .ids = ids + t, .n = 1};
            CHECK(eb_g4_forward(m, &c, 1, &err) == 0);
        }
        int bound = m->cfg.sliding_window > 16 ? m->cfg.sliding_window : 16;
        for (int i = 0; i < m->cfg.n_layers; i++) {
            const eb_g4_layer_info *li = &m->cfg.layers[i];
            if (li->kv_source != i) {
                CHECK_MSG(s->kv[i].k == NULL, "%s: KV-shared layer %d has no cache of its own", name, i);
            } else if (li->full) {
                CHECK_MSG(s->kv[i].cap >= n, "%s: full layer %d keeps all %d positions", name, i, n);
            } else {
                CHECK_MSG(s->kv[i].cap <= bound, "%s: sliding layer %d keeps %d slots (window %d)", name, i,
                          s->kv[i].cap, m->cfg.sliding_window);
            }
        }
        eb_g4_seq_free(m, s);
        free(ids);
    }
    /* greedy continuations through the KV cache */
    for (int g = 0;; g++) {
        char key[32];
        snprintf(key, sizeof key, "g%d.prompt", g);
        const eb_st_tensor *tp = g4_ref_tensor(&ref, key);
        if (!tp) {
            CHECK(g >= 2);
            break;
        }
        snprintf(key, sizeof key, "g%d.tokens", g);
        const eb_st_tensor *tt = g4_ref_tensor(&ref, key);
        CHECK(tt != NULL);
        if (!tt) break;
        int32_t *prompt = g4_ids_of(tp), *want = g4_ids_of(tt);
        int n = (int)tp->numel, steps = (int)tt->numel;
        eb_g4_seq *s = eb_g4_seq_new(m);
        float *lg = malloc((size_t)V * sizeof *lg);
        eb_g4_chunk c = {.seq = s, .ids = prompt, .n = n, .logits_from = n - 1, .logits = lg};
        int ok = eb_g4_forward(m, &c, 1, &err) == 0, same = 1;
        for (int i = 0; ok && i < steps; i++) {
            int32_t next = g4_argmax(lg, V);
            if (next != want[i]) same = 0;
            eb_g4_chunk d = {.seq = s, .ids = &next, .n = 1, .logits_from = 0, .logits = lg};
            ok = eb_g4_forward(m, &d, 1, &err) == 0;
        }
        CHECK_MSG(ok, "%s", err.msg);
        CHECK_MSG(same, "%s: greedy continuation %d differs from the reference", name, g);
        eb_g4_seq_free(m, s);
        free(lg);
        free(prompt);
        free(want);
    }
    /* Batching: two prompts' decode steps in one batch give the same logits
     * as each alone. */
    {
        const eb_st_tensor *a = g4_ref_tensor(&ref, "p0.ids"), *b2 = g4_ref_tensor(&ref, "p1.ids");
        int32_t *ia = g4_ids_of(a), *ib = g4_ids_of(b2);
        int na = (int)a->numel, nb = (int)b2->numel;
        float *la = malloc((size_t)na * V * sizeof(float)), *lb = malloc((size_t)nb * V * sizeof(float));
        eb_g4_seq *sa = eb_g4_seq_new(m), *sb = eb_g4_seq_new(m);
        eb_g4_chunk pre[2] = {{sa, ia, 10, 0, la, NULL}, {sb, ib, 4, 0, lb, NULL}};
        int ok = eb_g4_forward(m, pre, 2, &err) == 0;
        int ta = 10, tb = 4;
        while (ok && (ta < na || tb < nb)) {
            eb_g4_chunk step[2];
            int k = 0;
            if (ta < na) step[k++] = (eb_g4_chunk){sa, ia + ta, 1, 0, la + (size_t)ta * V, NULL};
            if (tb < nb) step[k++] = (eb_g4_chunk){sb, ib + tb, 1, 0, lb + (size_t)tb * V, NULL};
            ok = eb_g4_forward(m, step, k, &err) == 0;
            ta += ta < na;
            tb += tb < nb;
        }
        CHECK_MSG(ok, "%s", err.msg);
        float *fa = g4_run_logits(m, ia, na, na), *fb = g4_run_logits(m, ib, nb, nb);
        CHECK_MSG(fa && fb && memcmp(fa, la, (size_t)na * V * sizeof(float)) == 0 &&
                      memcmp(fb, lb, (size_t)nb * V * sizeof(float)) == 0,
                  "%s: batched decoding differs from single-sequence forward", name);
        eb_g4_seq_free(m, sa);
        eb_g4_seq_free(m, sb);
        free(ia);
        free(ib);
        free(la);
        free(lb);
        free(fa);
        free(fb);
    }
    eb_st_file_close(&ref);
    eb_g4_model_free(m);
}

/* The multimodal layout (text under model.language_model., vision tower
 * beside it) loads to the same model as the text-only layout. */
static void check_layouts(void) {
    eb_g4_model *a = load("dense"), *b = load("dense-mm");
    CHECK(a && b);
    if (a && b) {
        CHECK(!a->cfg.multimodal && b->cfg.multimodal);
        CHECK_STR(a->w.prefix, "model.");
        CHECK_STR(b->w.prefix, "model.language_model.");
        int32_t ids[17];
        for (int i = 0; i < 17; i++) ids[i] = i == 0 ? 2 : 7 + (i * 37) % 400;
        float *la = g4_run_logits(a, ids, 17, 17), *lb = g4_run_logits(b, ids, 17, 17);
        CHECK_MSG(la && lb && memcmp(la, lb, (size_t)17 * a->cfg.vocab * sizeof(float)) == 0,
                  "text-only and multimodal layouts give the same logits");
        free(la);
        free(lb);
    }
    eb_g4_model_free(a);
    eb_g4_model_free(b);
}

int main(void) {
    check_model("dense", "reference/dense.safetensors");
    check_model("dense-mm", "reference/dense.safetensors");
    check_model("moe", "reference/moe.safetensors");
    check_model("ple", "reference/ple.safetensors");
    check_layouts();
    return eb_test_finish();
}
