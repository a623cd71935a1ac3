/* The CPU reference backend: every operation in f32, weights converted from
 * BF16 on the fly, matrix products and attention spread over a thread pool.
 * Buffers are plain host memory. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "g4_backend.h"
#include "g4_quant.h"
#include "threadpool.h"

typedef struct cpu {
    eb_pool *pool;
    int n_threads;
    float **scratch;      /* per worker */
    size_t *scratch_len;
} cpu;

static cpu *C(eb_g4_backend *b) { return b->impl; }

static float *scratch(cpu *c, int worker, size_t n) {
    if (c->scratch_len[worker] < n) {
        free(c->scratch[worker]);
        c->scratch[worker] = eb_malloc(n * sizeof(float));
        c->scratch_len[worker] = n;
    }
    return c->scratch[worker];
}

/* ---- memory ----------------------------------------------------------- */

static float *cpu_alloc(eb_g4_backend *b, size_t n) {
    (void)b;
    return eb_calloc(n ? n : 1, sizeof(float));
}
static void cpu_release(eb_g4_backend *b, float *p) {
    (void)b;
    free(p);
}
static void cpu_copy(eb_g4_backend *b, float *dst, const float *src, size_t n) {
    (void)b;
    if (n) memmove(dst, src, n * sizeof(float));
}
static void cpu_zero(eb_g4_backend *b, float *dst, size_t n) {
    (void)b;
    if (n) memset(dst, 0, n * sizeof(float));
}

/* ---- matrix products ---------------------------------------------------- */

/* Dot products with eight independent accumulators that the compiler maps
 * to vector lanes (SSE by default; AVX2 or AVX-512 in the clones below).
 * It never reassociates float sums itself, so every clone, and the tiled
 * and single versions, add in exactly the same order: a row's result does
 * not depend on the batch it was computed in. */
#define LANES 8

static inline float reduce_lanes(float *acc) {
    for (int w = LANES / 2; w >= 1; w /= 2)
        for (int k = 0; k < w; k++) acc[k] += acc[k + w];
    return acc[0];
}

static inline float dot(const float *a, const float *b, int n) {
    float acc[LANES] = {0};
    int i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int k = 0; k < LANES; k++) acc[k] += a[i + k] * b[i + k];
    for (int k = 0; i + k < n; k++) acc[k] += a[i + k] * b[i + k];
    return reduce_lanes(acc);
}

/* Lane accumulators of two weight rows against four input rows over
 * elements [i0, i1) (a multiple of LANES apart): each load feeds several
 * multiply-adds, and lane k still takes elements i + k in increasing order,
 * exactly as dot() does, so a row gives the same bits whichever path and
 * blocking computed it.  acc is [2][4][LANES]. */
typedef float v8f __attribute__((vector_size(32)));

static inline v8f ld8(const float *p) {
    v8f v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void st8(float *p, v8f v) { memcpy(p, &v, sizeof v); }

static inline void acc_2x4(const float *w0, const float *w1, const float *const x[4], int i0, int i1, float *acc) {
    v8f a00 = ld8(acc), a01 = ld8(acc + 8), a02 = ld8(acc + 16), a03 = ld8(acc + 24);
    v8f a10 = ld8(acc + 32), a11 = ld8(acc + 40), a12 = ld8(acc + 48), a13 = ld8(acc + 56);
    for (int i = i0; i < i1; i += LANES) {
        v8f p = ld8(w0 + i), q = ld8(w1 + i), x0 = ld8(x[0] + i), x1 = ld8(x[1] + i), x2 = ld8(x[2] + i),
            x3 = ld8(x[3] + i);
        a00 += p * x0;
        a01 += p * x1;
        a02 += p * x2;
        a03 += p * x3;
        a10 += q * x0;
        a11 += q * x1;
        a12 += q * x2;
        a13 += q * x3;
    }
    st8(acc, a00);
    st8(acc + 8, a01);
    st8(acc + 16, a02);
    st8(acc + 24, a03);
    st8(acc + 32, a10);
    st8(acc + 40, a11);
    st8(acc + 48, a12);
    st8(acc + 56, a13);
}

static inline void acc_1x1(const float *w, const float *x, int i0, int i1, float *acc) {
    v8f a = ld8(acc);
    for (int i = i0; i < i1; i += LANES) a += ld8(w + i) * ld8(x + i);
    st8(acc, a);
}

/* dot() with the weight row still in bf16: the same products in the same
 * order (bf16 -> f32 is exact), without a converted copy.  Decoding reads
 * each weight once per token, so this halves what the core moves. */
typedef uint16_t v8u16 __attribute__((vector_size(16)));
typedef uint32_t v8u32 __attribute__((vector_size(32)));

static inline float dot_bf16(const uint16_t *w, const float *x, int n) {
    v8f a = {0};
    int i = 0;
    for (; i + LANES <= n; i += LANES) {
        v8u16 h;
        memcpy(&h, w + i, sizeof h);
        v8u32 u = __builtin_convertvector(h, v8u32) << 16;
        v8f f;
        memcpy(&f, &u, sizeof f);
        a += f * ld8(x + i);
    }
    float acc[LANES];
    memcpy(acc, &a, sizeof a);
    for (int k = 0; i + k < n; k++) {
        uint32_t u = (uint32_t)w[i + k] << 16;
        float f;
        memcpy(&f, &u, sizeof f);
        acc[k] += f * x[i + k];
    }
    return reduce_lanes(acc);
}

/* Builds of the hot loops for wider vector units, picked at load time. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define EB_HOT __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define EB_HOT
#endif

static void row_to_f32(const eb_g4_tensor *w, int64_t row, int in, float *dst) {
    if (w->dtype == EB_DT_BF16) {
        const uint16_t *src = (const uint16_t *)w->data + row * (int64_t)in;
        for (int i = 0; i < in; i++) {
            uint32_t u = (uint32_t)src[i] << 16;
            memcpy(&dst[i], &u, 4);
        }
    } else {
        memcpy(dst, (const float *)w->data + row * (int64_t)in, (size_t)in * sizeof(float));
    }
}

#define MM_ROWS_PER_TASK 16

typedef struct mm_job {
    cpu *c;
    const eb_g4_tensor *w;
    int64_t row0;
    int out, in, n;
    const float *x;
    float *y;
} mm_job;

EB_HOT static void mm_task(void *ctx, int task, int worker) {
    mm_job *j = ctx;
    int r0 = task * MM_ROWS_PER_TASK;
    int r1 = r0 + MM_ROWS_PER_TASK < j->out ? r0 + MM_ROWS_PER_TASK : j->out;
    int in = j->in;
    if (j->w->dtype == EB_DT_BF16 && j->n < 4) {
        for (int r = r0; r < r1; r++) {
            const uint16_t *w = (const uint16_t *)j->w->data + (j->row0 + r) * (int64_t)in;
            for (int t = 0; t < j->n; t++) j->y[(size_t)t * j->out + r] = dot_bf16(w, j->x + (size_t)t * in, in);
        }
        return;
    }
    float *buf = j->w->dtype == EB_DT_F32 ? NULL : scratch(j->c, worker, (size_t)MM_ROWS_PER_TASK * (size_t)in);
    const float *rows[MM_ROWS_PER_TASK];
    for (int r = r0; r < r1; r++) {
        if (buf) {
            row_to_f32(j->w, j->row0 + r, in, buf + (size_t)(r - r0) * in);
            rows[r - r0] = buf + (size_t)(r - r0) * in;
        } else {
            rows[r - r0] = (const float *)j->w->data + (j->row0 + r) * (int64_t)in;
        }
    }
    /* Four input rows at a time against the task's weight rows, in blocks
     * of the input dimension small enough that the input block stays in L1
     * while every weight row passes over it. */
    enum { KBLOCK = 256 };
    int full = in - in % LANES, nr = r1 - r0;
    float acc[MM_ROWS_PER_TASK][4][LANES];
    for (int t = 0; t < j->n; t += 4) {
        int nq = j->n - t < 4 ? j->n - t : 4;
        const float *x[4];
        for (int q = 0; q < 4; q++) x[q] = j->x + (size_t)(t + (q < nq ? q : 0)) * in;
        memset(acc, 0, sizeof acc);
        for (int kb = 0; kb < full; kb += KBLOCK) {
            int ke = kb + KBLOCK < full ? kb + KBLOCK : full;
            int r = 0;
            if (nq == 4)
                for (; r + 2 <= nr; r += 2) acc_2x4(rows[r], rows[r + 1], x, kb, ke, &acc[r][0][0]);
            for (; r < nr; r++)
                for (int q = 0; q < nq; q++) acc_1x1(rows[r], x[q], kb, ke, acc[r][q]);
        }
        for (int r = 0; r < nr; r++)
            for (int q = 0; q < nq; q++) {
                for (int k = 0; full + k < in; k++) acc[r][q][k] += rows[r][full + k] * x[q][full + k];
                j->y[(size_t)(t + q) * j->out + r0 + r] = reduce_lanes(acc[r][q]);
            }
    }
}

/* Quantized weights (g4_quant.h): each output element is the reference
 * product eb_g4_qdot, from the host codes; for the W8A8 modes the input
 * rows are quantized once per call. */
typedef struct qmm_job {
    const eb_g4_tensor *w;
    int64_t row0;
    int out, in, n, ld;
    size_t row_bytes;
    int row_scales;
    const float *x;
    const uint8_t *xq;
    const float *xs;
    float *y;
} qmm_job;

static void qmm_task(void *ctx, int task, int worker) {
    (void)worker;
    qmm_job *j = ctx;
    int r0 = task * MM_ROWS_PER_TASK;
    int r1 = r0 + MM_ROWS_PER_TASK < j->out ? r0 + MM_ROWS_PER_TASK : j->out;
    eb_g4_quant q = (eb_g4_quant)j->w->quant;
    for (int r = r0; r < r1; r++) {
        const uint8_t *codes = j->w->q + (size_t)(j->row0 + r) * j->row_bytes;
        const float *sc = j->w->qscale + (size_t)(j->row0 + r) * (size_t)j->row_scales;
        for (int t = 0; t < j->n; t++)
            j->y[(size_t)t * j->out + r] = eb_g4_qdot(q, codes, sc, j->ld, j->x + (size_t)t * j->in, j->in,
                                                      j->xq ? j->xq + (size_t)t * j->ld : NULL, j->xs ? j->xs[t] : 0.f);
    }
}

static void cpu_qmatmul(cpu *c, const eb_g4_tensor *w, int64_t row0, int out, int in, const float *x, int n, float *y) {
    eb_g4_quant q = (eb_g4_quant)w->quant;
    int ld = eb_g4_quant_ld(in);
    qmm_job j = {w, row0, out, in, n, ld, eb_g4_quant_row_bytes(q, ld), eb_g4_quant_row_scales(q, ld), x, NULL, NULL, y};
    uint8_t *xq = NULL;
    float *xs = NULL;
    if (eb_g4_quant_w8a8(q)) {
        xq = eb_malloc((size_t)n * (size_t)ld);
        xs = eb_malloc((size_t)n * sizeof(float));
        for (int t = 0; t < n; t++) xs[t] = eb_g4_quantize_act_row(q, x + (size_t)t * in, in, ld, xq + (size_t)t * ld);
        j.xq = xq;
        j.xs = xs;
    }
    eb_pool_run(c->pool, (out + MM_ROWS_PER_TASK - 1) / MM_ROWS_PER_TASK, qmm_task, &j);
    free(xq);
    free(xs);
}

static void cpu_matmul(eb_g4_backend *b, const eb_g4_tensor *w, int64_t row0, int out, int in, const float *x, int n,
                       float *y) {
    if (w->quant && w->q) {
        cpu_qmatmul(C(b), w, row0, out, in, x, n, y);
        return;
    }
    mm_job j = {C(b), w, row0, out, in, n, x, y};
    eb_pool_run(C(b)->pool, (out + MM_ROWS_PER_TASK - 1) / MM_ROWS_PER_TASK, mm_task, &j);
}

/* ---- elementwise and per-row operations --------------------------------- */

static void cpu_embed(eb_g4_backend *b, const eb_g4_tensor *t, const int32_t *ids, int n, float scale, float *y) {
    (void)b;
    int dim = (int)t->shape[1];
    for (int r = 0; r < n; r++) {
        float *dst = y + (size_t)r * dim;
        row_to_f32(t, ids[r], dim, dst);
        for (int i = 0; i < dim; i++) dst[i] *= scale;
    }
}

static void cpu_rmsnorm(eb_g4_backend *b, const float *x, float *y, int rows, int dim, const eb_g4_tensor *w, float eps) {
    (void)b;
    float *wf = NULL;
    if (w) {
        wf = eb_malloc((size_t)dim * sizeof(float));
        row_to_f32(w, 0, dim, wf);
    }
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * dim;
        float *yr = y + (size_t)r * dim;
        float ss = dot(xr, xr, dim);
        float inv = powf(ss / (float)dim + eps, -0.5f);
        if (wf)
            for (int i = 0; i < dim; i++) yr[i] = (xr[i] * inv) * wf[i];
        else
            for (int i = 0; i < dim; i++) yr[i] = xr[i] * inv;
    }
    free(wf);
}

static void cpu_scale_cols(eb_g4_backend *b, float *x, int rows, int dim, const eb_g4_tensor *w, float s) {
    (void)b;
    float *wf = eb_malloc((size_t)dim * sizeof(float));
    row_to_f32(w, 0, dim, wf);
    for (int r = 0; r < rows; r++)
        for (int i = 0; i < dim; i++) x[(size_t)r * dim + i] = (x[(size_t)r * dim + i] * wf[i]) * s;
    free(wf);
}

static void cpu_rope(eb_g4_backend *b, float *x, int n, int heads, int hd, const int32_t *pos, const float *inv_freq) {
    (void)b;
    int half = hd / 2;
    float *cs = eb_malloc((size_t)hd * sizeof(float));
    for (int r = 0; r < n; r++) {
        float p = (float)pos[r];
        for (int k = 0; k < half; k++) {
            float a = p * inv_freq[k];
            cs[k] = cosf(a);
            cs[half + k] = sinf(a);
        }
        for (int h = 0; h < heads; h++) {
            float *v = x + ((size_t)r * heads + h) * hd;
            for (int k = 0; k < half; k++) {
                float x1 = v[k], x2 = v[k + half], c = cs[k], s = cs[half + k];
                v[k] = x1 * c + (-x2) * s;
                v[k + half] = x2 * c + x1 * s;
            }
        }
    }
    free(cs);
}

static void cpu_kv_store(eb_g4_backend *b, const eb_g4_kv_write *w, int n_writes) {
    (void)b;
    for (int i = 0; i < n_writes; i++)
        for (int r = 0; r < w[i].n; r++)
            memcpy(w[i].cache + (size_t)((w[i].pos0 + r) % w[i].cap) * w[i].row_floats,
                   w[i].src + (size_t)r * w[i].row_floats, (size_t)w[i].row_floats * sizeof(float));
}

typedef struct attn_job {
    cpu *c;
    const eb_g4_attn *a;
} attn_job;

EB_HOT static void attn_task(void *ctx, int task, int worker) {
    attn_job *j = ctx;
    const eb_g4_attn *a = j->a;
    int r = task / a->n_heads, h = task % a->n_heads;
    int hd = a->head_dim, group = a->n_heads / a->n_kv, kvh = h / group;
    int p = a->pos0 + r;
    int lo = a->window > 0 && p - a->window + 1 > 0 ? p - a->window + 1 : 0;
    int nk = p - lo + 1;
    float *s = scratch(j->c, worker, (size_t)nk + (size_t)hd);
    float *acc = s + nk;
    const float *q = a->q + ((size_t)r * a->n_heads + h) * hd;
    size_t row = (size_t)a->n_kv * hd;
    float mx = -INFINITY;
    for (int i = 0; i < nk; i++) {
        const float *k = a->k + (size_t)((lo + i) % a->cap) * row + (size_t)kvh * hd;
        s[i] = dot(q, k, hd);
        if (s[i] > mx) mx = s[i];
    }
    float sum = 0;
    for (int i = 0; i < nk; i++) {
        s[i] = expf(s[i] - mx);
        sum += s[i];
    }
    float inv = 1.0f / sum;
    memset(acc, 0, (size_t)hd * sizeof(float));
    for (int i = 0; i < nk; i++) {
        const float *v = a->v + (size_t)((lo + i) % a->cap) * row + (size_t)kvh * hd;
        float pi = s[i] * inv;
        for (int d = 0; d < hd; d++) acc[d] += pi * v[d];
    }
    memcpy(a->out + ((size_t)r * a->n_heads + h) * hd, acc, (size_t)hd * sizeof(float));
}

static void cpu_attention(eb_g4_backend *b, const eb_g4_attn *a, int n_seqs) {
    for (int i = 0; i < n_seqs; i++) {
        attn_job j = {C(b), &a[i]};
        eb_pool_run(C(b)->pool, a[i].n * a[i].n_heads, attn_task, &j);
    }
}

static inline float gelu_tanh(float x) {
    const float beta = (float)(M_SQRT2 * M_2_SQRTPI * 0.5), kappa = 0.044715f;
    float inner = beta * (x + kappa * (x * x * x));
    return 0.5f * x * (1.0f + tanhf(inner));
}

typedef struct gelu_job {
    float *out;
    int out_stride;
    const float *x;
    int x_stride;
    const float *up;
    int up_stride, rows, dim;
} gelu_job;

#define GELU_ROWS_PER_TASK 4

static void gelu_task(void *ctx, int task, int worker) {
    (void)worker;
    gelu_job *j = ctx;
    int r1 = (task + 1) * GELU_ROWS_PER_TASK < j->rows ? (task + 1) * GELU_ROWS_PER_TASK : j->rows;
    for (int r = task * GELU_ROWS_PER_TASK; r < r1; r++)
        for (int i = 0; i < j->dim; i++) {
            float g = gelu_tanh(j->x[(size_t)r * j->x_stride + i]);
            j->out[(size_t)r * j->out_stride + i] = j->up ? g * j->up[(size_t)r * j->up_stride + i] : g;
        }
}

/* tanh dominates the elementwise work of a prefill: spread it too. */
static void cpu_gelu_mul(eb_g4_backend *b, float *out, int out_stride, const float *x, int x_stride, const float *up,
                         int up_stride, int rows, int dim) {
    gelu_job j = {out, out_stride, x, x_stride, up, up_stride, rows, dim};
    eb_pool_run(C(b)->pool, (rows + GELU_ROWS_PER_TASK - 1) / GELU_ROWS_PER_TASK, gelu_task, &j);
}

static void cpu_mul(eb_g4_backend *b, float *x, int x_stride, const float *y, int y_stride, int rows, int dim) {
    (void)b;
    for (int r = 0; r < rows; r++)
        for (int i = 0; i < dim; i++) x[(size_t)r * x_stride + i] *= y[(size_t)r * y_stride + i];
}

static void cpu_add(eb_g4_backend *b, float *x, const float *y, size_t n) {
    (void)b;
    for (size_t i = 0; i < n; i++) x[i] += y[i];
}
static void cpu_add_scale(eb_g4_backend *b, float *x, const float *y, float s, size_t n) {
    (void)b;
    for (size_t i = 0; i < n; i++) x[i] = (x[i] + y[i]) * s;
}
static void cpu_scale(eb_g4_backend *b, float *x, float s, size_t n) {
    (void)b;
    for (size_t i = 0; i < n; i++) x[i] *= s;
}
static void cpu_softcap(eb_g4_backend *b, float *x, float cap, size_t n) {
    (void)b;
    for (size_t i = 0; i < n; i++) x[i] = tanhf(x[i] / cap) * cap;
}

static void cpu_route(eb_g4_backend *b, const float *logits, int n, int E, int k, const eb_g4_tensor *pes, int32_t *idx,
                      float *weight) {
    (void)b;
    eb_g4_route_host(logits, n, E, k, pes, idx, weight);
}

static void cpu_gather_rows(eb_g4_backend *b, float *dst, const float *src, const int32_t *rows, int n, int dim) {
    (void)b;
    for (int i = 0; i < n; i++) memcpy(dst + (size_t)i * dim, src + (size_t)rows[i] * dim, (size_t)dim * sizeof(float));
}

static void cpu_scatter_add_rows(eb_g4_backend *b, float *dst, const float *src, const int32_t *rows, const float *w,
                                 int n, int dim) {
    (void)b;
    for (int i = 0; i < n; i++) {
        float *d = dst + (size_t)rows[i] * dim;
        const float *s = src + (size_t)i * dim;
        for (int c = 0; c < dim; c++) d[c] += s[c] * w[i];
    }
}

static void cpu_upload(eb_g4_backend *b, float *dst, const float *src, size_t n) { cpu_copy(b, dst, src, n); }
static void cpu_download(eb_g4_backend *b, float *dst, const float *src, size_t n) { cpu_copy(b, dst, src, n); }

static void cpu_argmax(eb_g4_backend *b, const float *x, int rows, int cols, int32_t *out) {
    (void)b;
    for (int r = 0; r < rows; r++) {
        const float *v = x + (size_t)r * cols;
        int best = 0;
        for (int i = 1; i < cols; i++)
            if (v[i] > v[best]) best = i;
        out[r] = best;
    }
}

static void cpu_destroy(eb_g4_backend *b) {
    cpu *c = C(b);
    eb_pool_destroy(c->pool);
    for (int i = 0; i < c->n_threads; i++) free(c->scratch[i]);
    free(c->scratch);
    free(c->scratch_len);
    free(c);
    free(b);
}

static const eb_g4_backend_ops cpu_ops = {
    .name = "cpu",
    .alloc = cpu_alloc,
    .release = cpu_release,
    .upload = cpu_upload,
    .download = cpu_download,
    .copy = cpu_copy,
    .zero = cpu_zero,
    .matmul = cpu_matmul,
    .embed = cpu_embed,
    .rmsnorm = cpu_rmsnorm,
    .scale_cols = cpu_scale_cols,
    .rope = cpu_rope,
    .kv_store = cpu_kv_store,
    .attention = cpu_attention,
    .gelu_mul = cpu_gelu_mul,
    .mul = cpu_mul,
    .add = cpu_add,
    .add_scale = cpu_add_scale,
    .scale = cpu_scale,
    .softcap = cpu_softcap,
    .route = cpu_route,
    .gather_rows = cpu_gather_rows,
    .scatter_add_rows = cpu_scatter_add_rows,
    .argmax = cpu_argmax,
    .destroy = cpu_destroy,
};

eb_g4_backend *eb_g4_cpu_backend_create(int n_threads) {
    if (n_threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        n_threads = n > 0 ? (int)n : 1;
    }
    if (n_threads > 256) n_threads = 256;
    cpu *c = eb_calloc(1, sizeof *c);
    c->pool = eb_pool_create(n_threads);
    c->n_threads = eb_pool_size(c->pool);
    c->scratch = eb_calloc((size_t)c->n_threads, sizeof *c->scratch);
    c->scratch_len = eb_calloc((size_t)c->n_threads, sizeof *c->scratch_len);
    eb_g4_backend *b = eb_calloc(1, sizeof *b);
    b->ops = &cpu_ops;
    b->impl = c;
    return b;
}
