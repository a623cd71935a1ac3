/* Quantization on load (g4_quant.h), on the CPU reference backend:
 *
 *  - e4m3: every finite code survives a round trip, values between codes
 *    round to the nearest (ties to the even code), large values saturate,
 *    NaN stays NaN;
 *  - weight rows: codes in range, scales by the symmetric absmax rule, the
 *    padding zero, every element within half a step of its code;
 *  - products: the CPU backend's matmul on quantized weights against the
 *    same arithmetic recomputed here in double from the codes;
 *  - models: each tiny fixture in each mode against the transformers float32
 *    reference — quantization moves the logits (the mode is really applied),
 *    8-bit modes stay close and keep the reference's top-1 at decisive
 *    positions, 4-bit moves them more than 8-bit; what must stay unquantized
 *    (embedding, router, norms) has no codes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "g4_fixture_util.h"
#include "g4_model.h"
#include "g4_quant.h"
#include "rng.h"
#include "test_util.h"

static void test_e4m3(void) {
    int bad = 0;
    for (int b = 0; b < 256; b++) {
        if ((b & 0x7F) == 0x7F) {
            CHECK(isnan(eb_fp8_e4m3_to_f32((uint8_t)b)));
            continue;
        }
        float v = eb_fp8_e4m3_to_f32((uint8_t)b);
        if (eb_fp8_e4m3_from_f32(v) != b) bad++;
    }
    CHECK_INT(bad, 0);
    CHECK(eb_fp8_e4m3_to_f32(0x7E) == 448.0f);
    CHECK(eb_fp8_e4m3_to_f32(0x01) == ldexpf(1.0f, -9));
    CHECK(eb_fp8_e4m3_to_f32(0x08) == ldexpf(1.0f, -6));
    CHECK_INT(eb_fp8_e4m3_from_f32(1e6f), 0x7E);
    CHECK_INT(eb_fp8_e4m3_from_f32(-INFINITY), 0xFE);
    CHECK_INT(eb_fp8_e4m3_from_f32(449.0f), 0x7E);
    CHECK(isnan(eb_fp8_e4m3_to_f32(eb_fp8_e4m3_from_f32(NAN))));
    /* between each pair of neighbouring positive codes: nearest, and the
     * midpoint goes to the even code */
    int wrong = 0;
    for (int b = 0; b < 0x7E; b++) {
        float lo = eb_fp8_e4m3_to_f32((uint8_t)b), hi = eb_fp8_e4m3_to_f32((uint8_t)(b + 1));
        float mid = (lo + hi) / 2;
        float q1 = lo + (hi - lo) * 0.25f, q3 = lo + (hi - lo) * 0.75f;
        if (eb_fp8_e4m3_from_f32(q1) != b || eb_fp8_e4m3_from_f32(q3) != b + 1) wrong++;
        if (eb_fp8_e4m3_from_f32(mid) != (b % 2 ? b + 1 : b)) wrong++;
        if (eb_fp8_e4m3_from_f32(-q3) != (0x80 | (b + 1))) wrong++;
    }
    CHECK_INT(wrong, 0);
}

static const eb_g4_quant MODES[] = {EB_G4_Q_FP8, EB_G4_Q_INT8, EB_G4_Q_W8A16, EB_G4_Q_W4A16};
#define N_MODES 4

/* What code c of row `codes` stands for, before its scale. */
static double code_value(eb_g4_quant q, const uint8_t *codes, int c) {
    switch (q) {
    case EB_G4_Q_FP8: return eb_fp8_e4m3_to_f32(codes[c]);
    case EB_G4_Q_W4A16: return (double)((c % 2 ? codes[c / 2] >> 4 : codes[c / 2] & 0xF) - 8);
    default: return (double)(int8_t)codes[c];
    }
}

static void test_rows(void) {
    eb_rng rng;
    eb_rng_seed(&rng, 7);
    enum { ROWS = 5, COLS = 300 }; /* not a multiple of 128: padding */
    float *w = malloc(sizeof(float) * ROWS * COLS);
    for (int i = 0; i < ROWS * COLS; i++) w[i] = (float)(eb_rng_uniform(&rng) * 2 - 1) * (1 + i % 7);
    for (int c = 0; c < COLS; c++) w[3 * COLS + c] = 0.0f; /* an all-zero row */
    eb_g4_tensor t = {.data = w, .dtype = EB_DT_F32, .ndim = 2, .shape = {ROWS, COLS}};
    for (int m = 0; m < N_MODES; m++) {
        eb_g4_quant q = MODES[m];
        int ld = eb_g4_quant_ld(COLS);
        CHECK_INT(ld, 384);
        size_t rb = eb_g4_quant_row_bytes(q, ld);
        int ns = eb_g4_quant_row_scales(q, ld);
        uint8_t *codes = malloc(rb);
        float *sc = malloc(sizeof(float) * (size_t)ns);
        int out_of_step = 0, bad_scale = 0, bad_pad = 0;
        for (int r = 0; r < ROWS; r++) {
            eb_g4_quantize_row(q, &t, r, codes, sc);
            const float *row = w + (size_t)r * COLS;
            for (int g = 0; g < ns; g++) {
                int c0 = q == EB_G4_Q_W4A16 ? g * EB_G4_Q_GROUP : 0;
                int c1 = q == EB_G4_Q_W4A16 ? c0 + EB_G4_Q_GROUP : COLS;
                if (c1 > COLS) c1 = COLS;
                float a = 0;
                for (int c = c0; c < c1; c++) a = fmaxf(a, fabsf(row[c]));
                double want = q == EB_G4_Q_FP8 ? a / 448.0 : q == EB_G4_Q_W4A16 ? a / 7.5 : a / 127.5;
                if (fabs(sc[g] - want) > 1e-6 * want) bad_scale++;
                for (int c = c0; c < c1; c++) {
                    double v = code_value(q, codes, c) * sc[g];
                    /* fp8 steps are relative (3 mantissa bits), integer ones absolute */
                    double tol = q == EB_G4_Q_FP8 ? fabs(row[c]) / 16 + sc[g] * ldexp(1, -9) : sc[g] * 0.5;
                    if (fabs(v - row[c]) > tol * (1 + 1e-4) + 1e-12) out_of_step++; /* 1e-4: the scale's own rounding */
                }
            }
            for (int c = COLS; c < ld; c++)
                if (code_value(q, codes, c) != 0) bad_pad++;
        }
        CHECK_MSG(out_of_step == 0, "%s: %d elements further than half a step from their code", eb_g4_quant_name(q),
                  out_of_step);
        CHECK_MSG(bad_scale == 0, "%s: %d scales off the absmax rule", eb_g4_quant_name(q), bad_scale);
        CHECK_INT(bad_pad, 0);
        /* the zero row: scale 0, every code 0 */
        eb_g4_quantize_row(q, &t, 3, codes, sc);
        CHECK(sc[0] == 0.0f);
        int nonzero = 0;
        for (int c = 0; c < ld; c++) nonzero += code_value(q, codes, c) != 0;
        CHECK_INT(nonzero, 0);
        free(codes);
        free(sc);
    }
    free(w);
}

/* The backend's product against double arithmetic on the same codes. */
static void test_matmul(void) {
    eb_rng rng;
    eb_rng_seed(&rng, 11);
    enum { OUT = 37, IN = 200, N = 6 };
    float *w = malloc(sizeof(float) * OUT * IN), *x = malloc(sizeof(float) * N * IN), *y = malloc(sizeof(float) * N * OUT);
    for (int i = 0; i < OUT * IN; i++) w[i] = (float)(eb_rng_uniform(&rng) * 2 - 1);
    for (int i = 0; i < N * IN; i++) x[i] = (float)(eb_rng_uniform(&rng) * 4 - 2);
    eb_g4_backend *be = eb_g4_cpu_backend_create(2);
    for (int m = 0; m < N_MODES; m++) {
        eb_g4_quant q = MODES[m];
        eb_g4_tensor t = {.data = w, .dtype = EB_DT_F32, .ndim = 2, .shape = {OUT, IN}, .quant = q};
        int ld = eb_g4_quant_ld(IN);
        size_t rb = eb_g4_quant_row_bytes(q, ld);
        int ns = eb_g4_quant_row_scales(q, ld);
        t.q = malloc(rb * OUT);
        t.qscale = malloc(sizeof(float) * (size_t)ns * OUT);
        for (int r = 0; r < OUT; r++) eb_g4_quantize_row(q, &t, r, t.q + (size_t)r * rb, t.qscale + (size_t)r * ns);
        be->ops->matmul(be, &t, 0, OUT, IN, x, N, y);
        double worst = 0, de = 0, ee = 0;
        uint8_t xq[512];
        for (int n = 0; n < N; n++) {
            float xs = eb_g4_quant_w8a8(q) ? eb_g4_quantize_act_row(q, x + n * IN, IN, ld, xq) : 0;
            for (int r = 0; r < OUT; r++) {
                const uint8_t *codes = t.q + (size_t)r * rb;
                double want = 0, exact = 0;
                for (int c = 0; c < IN; c++) {
                    double s = t.qscale[(size_t)r * ns + (q == EB_G4_Q_W4A16 ? c / EB_G4_Q_GROUP : 0)];
                    double xv = eb_g4_quant_w8a8(q) ? code_value(q, xq, c) * xs : x[n * IN + c];
                    want += code_value(q, codes, c) * s * xv;
                    exact += (double)w[r * IN + c] * x[n * IN + c];
                }
                double got = y[n * OUT + r];
                double e = fabs(got - want) / (fabs(want) + 1.0);
                if (e > worst) worst = e;
                de += (got - exact) * (got - exact);
                ee += exact * exact;
            }
        }
        double rel = sqrt(de / ee);
        printf("matmul %-6s: vs its own codes %.2e (max), vs the unquantized product rel-L2 %.2e\n",
               eb_g4_quant_name(q), worst, rel);
        CHECK_MSG(worst < 1e-5, "%s: matmul off its codes' product by %.3g", eb_g4_quant_name(q), worst);
        /* and it is a quantization: close to the exact product, but not it
         * (uniform weights: int8's 255 levels beat e4m3's 3 mantissa bits) */
        double bound = q == EB_G4_Q_W4A16 ? 0.1 : q == EB_G4_Q_FP8 ? 0.05 : 0.01;
        CHECK_MSG(rel > 1e-5 && rel < bound, "%s: vs exact rel-L2 %.3g (bound %.2g)", eb_g4_quant_name(q), rel, bound);
        free(t.q);
        free(t.qscale);
    }
    eb_g4_backend_destroy(be);
    free(w);
    free(x);
    free(y);
}

/* Mean over positions of KL(reference || got) of the softmaxed logits. */
static double mean_kld(const float *got, const float *ref, int n, int V) {
    double total = 0;
    for (int t = 0; t < n; t++) {
        const float *g = got + (size_t)t * V, *r = ref + (size_t)t * V;
        double mg = -INFINITY, mr = -INFINITY, sg = 0, sr = 0;
        for (int v = 0; v < V; v++) {
            mg = fmax(mg, g[v]);
            mr = fmax(mr, r[v]);
        }
        for (int v = 0; v < V; v++) {
            sg += exp(g[v] - mg);
            sr += exp(r[v] - mr);
        }
        double kl = 0;
        for (int v = 0; v < V; v++) {
            double lp = r[v] - mr - log(sr), lq = g[v] - mg - log(sg);
            kl += exp(lp) * (lp - lq);
        }
        total += kl;
    }
    return total / n;
}

static void test_fixture(const char *name, const char *refname) {
    char *refpath = g4_fixture_path(refname);
    eb_st_file ref;
    eb_err err = {0};
    int rc = eb_st_file_open(refpath, &ref, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    free(refpath);
    if (rc != 0) return;
    double rel[N_MODES] = {0}, kl[N_MODES] = {0};
    for (int m = 0; m < N_MODES; m++) {
        eb_g4_quant q = MODES[m];
        eb_g4_model *model = g4_fixture_load_quant(name, eb_g4_cpu_backend_create(2), q);
        CHECK_MSG(model != NULL, "%s loads as %s", name, eb_g4_quant_name(q));
        if (!model) continue;
        /* kept as stored */
        CHECK(model->w.embed.q == NULL && model->w.embed.quant == 0);
        CHECK(model->w.layers[0].q_proj.q != NULL && model->w.layers[0].q_proj.quant == (int)q);
        CHECK(model->w.layers[0].input_norm.q == NULL);
        if (model->cfg.moe) {
            CHECK(model->w.layers[0].router_proj.q == NULL);
            CHECK(model->w.layers[0].experts_down.q != NULL);
        }
        int V = model->cfg.vocab, bad = 0, decisive = 0;
        double dd = 0, rr = 0, kld = 0;
        int prompts = 0;
        for (int p = 0;; p++) {
            char key[32];
            snprintf(key, sizeof key, "p%d.ids", p);
            const eb_st_tensor *ti = g4_ref_tensor(&ref, key);
            if (!ti) break;
            snprintf(key, sizeof key, "p%d.logits", p);
            const eb_st_tensor *tl = g4_ref_tensor(&ref, key);
            int n = (int)ti->numel;
            int32_t *ids = g4_ids_of(ti);
            float *got = g4_run_logits(model, ids, n, n), *again = g4_run_logits(model, ids, n, 3);
            CHECK(got && again && tl);
            if (got && again && tl) {
                g4_cmp c = g4_compare(got, tl->data, n, V);
                dd += c.rel_l2 * c.rel_l2;
                rr += 1;
                bad += c.top1_bad;
                decisive += c.decisive;
                kld += mean_kld(got, tl->data, n, V);
                prompts++;
                CHECK_MSG(memcmp(got, again, (size_t)n * V * sizeof(float)) == 0,
                          "%s %s prompt %d: chunked run differs from whole", name, eb_g4_quant_name(q), p);
            }
            free(got);
            free(again);
            free(ids);
        }
        rel[m] = sqrt(dd / (rr > 0 ? rr : 1));
        printf("%-8s %-6s rel-L2 %.3e  mean KLD %.3e  top-1 %d/%d\n", name, eb_g4_quant_name(q), rel[m],
               kld / (prompts ? prompts : 1), decisive - bad, decisive);
        CHECK_MSG(rel[m] > 1e-4, "%s %s: logits equal the unquantized reference (rel-L2 %.3g): not applied", name,
                  eb_g4_quant_name(q), rel[m]);
        /* Tiny random-weight models are far more fragile than trained ones
         * (no outlier structure, every logit on the same scale): the bounds
         * are what a correct quantizer gives here with a margin; a wrong
         * code or scale gives KLD well above 1. */
        kld /= prompts ? prompts : 1;
        kl[m] = kld;
        double bound = q == EB_G4_Q_W4A16 ? 1.0 : q == EB_G4_Q_FP8 ? 0.3 : 0.1;
        CHECK_MSG(kld < bound, "%s %s: mean KLD %.3g above %.2g", name, eb_g4_quant_name(q), kld, bound);
        if (q == EB_G4_Q_INT8 || q == EB_G4_Q_W8A16)
            CHECK_MSG(bad * 20 <= decisive, "%s %s: top-1 differs at %d of %d decisive positions", name,
                      eb_g4_quant_name(q), bad, decisive);
        eb_g4_model_free(model);
    }
    CHECK_MSG(kl[3] > kl[2], "%s: 4-bit weights (KLD %.3g) move the logits more than 8-bit ones (%.3g)", name, kl[3],
              kl[2]);
    eb_st_file_close(&ref);
}

static void test_parse(void) {
    eb_g4_quant q;
    eb_err err = {0};
    CHECK(eb_g4_quant_parse(NULL, &q, &err) == 0 && q == EB_G4_Q_NONE);
    CHECK(eb_g4_quant_parse("bf16", &q, &err) == 0 && q == EB_G4_Q_NONE);
    CHECK(eb_g4_quant_parse("W4A16", &q, &err) == 0 && q == EB_G4_Q_W4A16);
    CHECK(eb_g4_quant_parse("fp8", &q, &err) == 0 && q == EB_G4_Q_FP8);
    CHECK(eb_g4_quant_parse("4bit", &q, &err) != 0);
    CHECK(strstr(err.msg, "\"4bit\"") && strstr(err.msg, "w4a16"));
}

int main(void) {
    test_e4m3();
    test_rows();
    test_matmul();
    test_parse();
    test_fixture("dense", "reference/dense.safetensors");
    test_fixture("moe", "reference/moe.safetensors");
    test_fixture("ple", "reference/ple.safetensors");
    return eb_test_finish();
}
