#include "g4_quant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "threadpool.h"

static const struct {
    const char *name;
    const char *summary;
} modes[] = {
    [EB_G4_Q_NONE] = {"bf16", "weights as stored in the checkpoint"},
    [EB_G4_Q_FP8] = {"fp8", "W8A8 fp8 e4m3: per-output-channel weight scales, dynamic per-token activation scales"},
    [EB_G4_Q_INT8] = {"int8", "W8A8 int8: per-output-channel weight scales, dynamic per-token activation scales"},
    [EB_G4_Q_W8A16] = {"w8a16", "int8 weights, per-output-channel scales; 16-bit activations"},
    [EB_G4_Q_W4A16] = {"w4a16", "int4 weights, symmetric, one scale per 128 inputs; 16-bit activations"},
};

int eb_g4_quant_parse(const char *s, eb_g4_quant *q, eb_err *err) {
    *q = EB_G4_Q_NONE;
    if (!s || !*s || !strcasecmp(s, "bf16") || !strcasecmp(s, "f32") || !strcasecmp(s, "none")) return 0;
    for (size_t i = 1; i < sizeof modes / sizeof modes[0]; i++)
        if (!strcasecmp(s, modes[i].name)) {
            *q = (eb_g4_quant)i;
            return 0;
        }
    return eb_err_set(err, "--quant \"%s\": the local engine quantizes to fp8, int8, w8a16 or w4a16 (or bf16: as stored)",
                      s);
}

const char *eb_g4_quant_name(eb_g4_quant q) { return modes[q].name; }
const char *eb_g4_quant_summary(eb_g4_quant q) { return modes[q].summary; }

int eb_g4_quant_ld(int cols) { return (cols + EB_G4_Q_GROUP - 1) / EB_G4_Q_GROUP * EB_G4_Q_GROUP; }

size_t eb_g4_quant_row_bytes(eb_g4_quant q, int ld) { return q == EB_G4_Q_W4A16 ? (size_t)ld / 2 : (size_t)ld; }

int eb_g4_quant_row_scales(eb_g4_quant q, int ld) { return q == EB_G4_Q_W4A16 ? ld / EB_G4_Q_GROUP : 1; }

/* ---- fp8 e4m3fn ------------------------------------------------------------ */

uint8_t eb_fp8_e4m3_from_f32(float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    uint8_t sign = (uint8_t)((u >> 24) & 0x80);
    if (isnan(v)) return sign | 0x7F;
    float a = fabsf(v);
    /* everything from the largest finite value up saturates (satfinite) */
    if (a >= 448.0f) return sign | 0x7E;
    int e = (int)((u >> 23) & 0xFF) - 127;
    if (e < -6) {
        /* subnormal range: multiples of 2^-9; 8 * 2^-9 is the smallest
         * normal, whose code is 8, so the codes run on */
        return sign | (uint8_t)(int)rintf(a * 512.0f);
    }
    uint32_t mant = u & 0x7FFFFF;
    /* keep 3 of the 23 mantissa bits, rounding half to even */
    uint32_t r = (mant + 0x7FFFF + ((mant >> 20) & 1)) >> 20;
    if (r == 8) {
        r = 0;
        e++;
    }
    if (e > 8 || (e == 8 && r > 6)) return sign | 0x7E;
    return sign | (uint8_t)(((e + 7) << 3) | (int)r);
}

float eb_fp8_e4m3_to_f32(uint8_t b) {
    int e = (b >> 3) & 0xF, m = b & 7;
    float v;
    if (e == 15 && m == 7) v = NAN;
    else if (e == 0) v = ldexpf((float)m, -9);
    else v = ldexpf(1.0f + (float)m / 8.0f, e - 7);
    return (b & 0x80) ? -v : v;
}

/* ---- weights ----------------------------------------------------------------- */

static inline float elem(const eb_g4_tensor *t, size_t i) { return eb_g4_tensor_get(t, (int64_t)i); }

static inline int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* scale of absmax a; 0 for an all-zero row or group */
static float scale_of(eb_g4_quant q, float a) {
    if (a == 0.0f) return 0.0f;
    switch (q) {
    case EB_G4_Q_FP8: return a / 448.0f;
    case EB_G4_Q_W4A16: return a / 7.5f;
    default: return a / 127.5f;
    }
}

static uint8_t code_of(eb_g4_quant q, float v, float s) {
    if (s == 0.0f) return q == EB_G4_Q_W4A16 ? 8 : 0;
    float r = v / s;
    if (q == EB_G4_Q_FP8) return eb_fp8_e4m3_from_f32(r);
    if (q == EB_G4_Q_W4A16) return (uint8_t)(clampi((int)rintf(r), -8, 7) + 8);
    return (uint8_t)(int8_t)clampi((int)rintf(r), -128, 127);
}

void eb_g4_quantize_row(eb_g4_quant q, const eb_g4_tensor *t, int64_t row, uint8_t *codes, float *scales) {
    int cols = (int)t->shape[t->ndim - 1], ld = eb_g4_quant_ld(cols);
    size_t base = (size_t)row * (size_t)cols;
    memset(codes, 0, eb_g4_quant_row_bytes(q, ld));
    if (q == EB_G4_Q_W4A16) {
        for (int g = 0; g < ld / EB_G4_Q_GROUP; g++) {
            int c0 = g * EB_G4_Q_GROUP, c1 = c0 + EB_G4_Q_GROUP < cols ? c0 + EB_G4_Q_GROUP : cols;
            float a = 0.0f;
            for (int c = c0; c < c1; c++) a = fmaxf(a, fabsf(elem(t, base + (size_t)c)));
            float s = scale_of(q, a);
            scales[g] = s;
            for (int c = c0; c < c0 + EB_G4_Q_GROUP; c++) {
                uint8_t k = c < c1 ? code_of(q, elem(t, base + (size_t)c), s) : 8;
                codes[c / 2] |= (uint8_t)(c % 2 ? k << 4 : k);
            }
        }
        return;
    }
    float a = 0.0f;
    for (int c = 0; c < cols; c++) a = fmaxf(a, fabsf(elem(t, base + (size_t)c)));
    float s = scale_of(q, a);
    scales[0] = s;
    for (int c = 0; c < cols; c++) codes[c] = code_of(q, elem(t, base + (size_t)c), s);
}

float eb_g4_quantize_act_row(eb_g4_quant q, const float *x, int n, int ld, uint8_t *codes) {
    float a = 0.0f;
    for (int c = 0; c < n; c++) a = fmaxf(a, fabsf(x[c]));
    float s = scale_of(q, a);
    for (int c = 0; c < n; c++) codes[c] = code_of(q, x[c], s);
    memset(codes + n, 0, (size_t)(ld - n));
    return s;
}

float eb_g4_qdot(eb_g4_quant q, const uint8_t *w, const float *ws, int ld, const float *x, int n, const uint8_t *xq,
                 float xs) {
    switch (q) {
    case EB_G4_Q_INT8: {
        int32_t acc = 0;
        for (int c = 0; c < ld; c++) acc += (int32_t)(int8_t)w[c] * (int32_t)(int8_t)xq[c];
        return (float)acc * xs * ws[0];
    }
    case EB_G4_Q_FP8: {
        float acc = 0.0f;
        for (int c = 0; c < ld; c++) acc += eb_fp8_e4m3_to_f32(w[c]) * eb_fp8_e4m3_to_f32(xq[c]);
        return acc * xs * ws[0];
    }
    case EB_G4_Q_W8A16: {
        float acc = 0.0f;
        for (int c = 0; c < n; c++) acc += (float)(int8_t)w[c] * x[c];
        return acc * ws[0];
    }
    case EB_G4_Q_W4A16: {
        float acc = 0.0f;
        for (int g = 0; g * EB_G4_Q_GROUP < n; g++) {
            float ga = 0.0f;
            int c1 = (g + 1) * EB_G4_Q_GROUP < n ? (g + 1) * EB_G4_Q_GROUP : n;
            for (int c = g * EB_G4_Q_GROUP; c < c1; c++) {
                int k = (c % 2 ? w[c / 2] >> 4 : w[c / 2] & 0xF) - 8;
                ga += (float)k * x[c];
            }
            acc += ga * ws[g];
        }
        return acc;
    }
    default: return 0.0f;
    }
}

/* ---- which tensors, and host copies ----------------------------------------- */

static int layer_targets(eb_g4_layer_weights *lw, eb_g4_tensor *out[11]) {
    eb_g4_tensor *all[] = {&lw->q_proj,   &lw->k_proj,   &lw->v_proj,          &lw->o_proj,
                           &lw->gate_proj, &lw->up_proj, &lw->down_proj,       &lw->ple_gate,
                           &lw->ple_proj, &lw->experts_gate_up, &lw->experts_down};
    int k = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (eb_g4_present(all[i]) && all[i]->ndim >= 2) out[k++] = all[i];
    return k;
}

void eb_g4_weights_mark_quant(const eb_g4_config *c, eb_g4_weights *w, eb_g4_quant q) {
    (void)c;
    w->quant = q;
    for (int i = 0; i < w->n_layers; i++) {
        eb_g4_tensor *t[11];
        int k = layer_targets(&w->layers[i], t);
        for (int j = 0; j < k; j++) t[j]->quant = q;
    }
}

static int64_t rows_of(const eb_g4_tensor *t) {
    int64_t r = 1;
    for (int d = 0; d < t->ndim - 1; d++) r *= t->shape[d];
    return r;
}

typedef struct qjob {
    eb_g4_tensor *t;
    int64_t rows;
    size_t row_bytes;
    int row_scales;
} qjob;

#define Q_ROWS_PER_TASK 64

static void quantize_task(void *ctx, int task, int worker) {
    (void)worker;
    qjob *j = ctx;
    int64_t a = (int64_t)task * Q_ROWS_PER_TASK, b = a + Q_ROWS_PER_TASK < j->rows ? a + Q_ROWS_PER_TASK : j->rows;
    for (int64_t r = a; r < b; r++)
        eb_g4_quantize_row((eb_g4_quant)j->t->quant, j->t, r, j->t->q + (size_t)r * j->row_bytes,
                           j->t->qscale + (size_t)r * (size_t)j->row_scales);
}

int eb_g4_weights_quantize_host(eb_g4_weights *w, int n_threads, eb_err *err) {
    (void)err;
    if (w->quant == EB_G4_Q_NONE) return 0;
    eb_pool *pool = eb_pool_create(n_threads > 0 ? n_threads : 1);
    for (int i = 0; i < w->n_layers; i++) {
        eb_g4_tensor *t[11];
        int k = layer_targets(&w->layers[i], t);
        for (int j = 0; j < k; j++) {
            if (t[j]->q || !t[j]->quant) continue;
            int ld = eb_g4_quant_ld((int)t[j]->shape[t[j]->ndim - 1]);
            qjob job = {t[j], rows_of(t[j]), eb_g4_quant_row_bytes((eb_g4_quant)t[j]->quant, ld),
                        eb_g4_quant_row_scales((eb_g4_quant)t[j]->quant, ld)};
            t[j]->q = eb_malloc((size_t)job.rows * job.row_bytes);
            t[j]->qscale = eb_malloc((size_t)job.rows * (size_t)job.row_scales * sizeof(float));
            eb_pool_run(pool, (int)((job.rows + Q_ROWS_PER_TASK - 1) / Q_ROWS_PER_TASK), quantize_task, &job);
        }
    }
    eb_pool_destroy(pool);
    return 0;
}

void eb_g4_weights_free_quant(eb_g4_weights *w) {
    if (!w->layers) return;
    for (int i = 0; i < w->n_layers; i++) {
        eb_g4_tensor *t[11];
        int k = layer_targets(&w->layers[i], t);
        for (int j = 0; j < k; j++) {
            free(t[j]->q);
            free(t[j]->qscale);
            t[j]->q = NULL;
            t[j]->qscale = NULL;
        }
    }
}
