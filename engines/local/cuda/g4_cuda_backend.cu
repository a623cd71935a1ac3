/* The CUDA backend's operations table: device memory (a stream-ordered pool
 * that keeps what it frees), weights copied once to the device, host side
 * inputs staged through pinned memory, errors kept until the model asks.
 * The kernels are in g4_cuda_gemm.cu, g4_cuda_attn.cu and g4_cuda_elem.cu. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "g4_cuda_internal.cuh"

extern "C" {
#include "g4_cuda.h"
#include "g4_quant.h"
#include "threadpool.h"
}

/* Pinned staging for side inputs; a forward needs a few hundred KB. */
#define STAGE_BYTES (8u << 20)
/* Kept free beside the weights for the runtime, cuBLAS-free kernels and
 * the first activations; a model that leaves less is refused. */
#define RESERVE_BYTES ((size_t)2 << 30)

static cu_backend *G(eb_g4_backend *b) { return (cu_backend *)b->impl; }

bool cu_fail(cu_backend *g, cudaError_t e, const char *what) {
    if (e == cudaSuccess) return false;
    if (!g->failed) {
        snprintf(g->err, sizeof g->err, "cuda: %s failed: %s", what, cudaGetErrorString(e));
        g->failed = true;
    }
    return true;
}

void cu_check_launch(cu_backend *g, const char *kernel) { cu_fail(g, cudaGetLastError(), kernel); }

void *cu_scratch_get(cu_backend *g, cu_scratch *s, size_t bytes) {
    if (g->failed) return NULL;
    if (s->bytes >= bytes) return s->p;
    if (s->p) cudaFreeAsync(s->p, g->stream);
    s->p = NULL;
    s->bytes = 0;
    size_t want = bytes + bytes / 4;
    if (!CU_OK(g, cudaMallocAsync(&s->p, want, g->stream))) return NULL;
    s->bytes = want;
    return s->p;
}

void cu_sync(cu_backend *g) {
    cu_fail(g, cudaStreamSynchronize(g->stream), "cudaStreamSynchronize");
    g->stage_used = 0;
}

void *cu_stage(cu_backend *g, const void *src, size_t bytes) {
    if (g->failed) return NULL;
    size_t n = (bytes + 255) & ~(size_t)255;
    if (n > g->stage_cap) {
        snprintf(g->err, sizeof g->err, "cuda: %zu bytes of side inputs in one operation (at most %zu)", bytes,
                 (size_t)g->stage_cap);
        g->failed = true;
        return NULL;
    }
    /* The ring is reused only once the stream has consumed it. */
    if (g->stage_used + n > g->stage_cap) cu_sync(g);
    char *h = g->stage_host + g->stage_used, *d = g->stage_dev + g->stage_used;
    memcpy(h, src, bytes);
    g->stage_used += n;
    if (!CU_OK(g, cudaMemcpyAsync(d, h, bytes, cudaMemcpyHostToDevice, g->stream))) return NULL;
    return d;
}

/* ---- memory ---------------------------------------------------------------- */

static float *cuda_alloc(eb_g4_backend *b, size_t n) {
    cu_backend *g = G(b);
    if (g->failed) return NULL;
    void *p = NULL;
    size_t bytes = (n ? n : 1) * sizeof(float);
    if (!CU_OK(g, cudaMallocAsync(&p, bytes, g->stream))) return NULL;
    if (!CU_OK(g, cudaMemsetAsync(p, 0, bytes, g->stream))) return NULL;
    return (float *)p;
}

static void cuda_release(eb_g4_backend *b, float *p) {
    if (p) cudaFreeAsync(p, G(b)->stream);
}

static void cuda_upload(eb_g4_backend *b, float *dst, const float *src, size_t n) {
    cu_backend *g = G(b);
    if (g->failed || !n) return;
    CU_OK(g, cudaMemcpyAsync(dst, src, n * sizeof(float), cudaMemcpyHostToDevice, g->stream));
    cu_sync(g);
}

static void cuda_download(eb_g4_backend *b, float *dst, const float *src, size_t n) {
    cu_backend *g = G(b);
    if (!n) return;
    if (!g->failed) CU_OK(g, cudaMemcpyAsync(dst, src, n * sizeof(float), cudaMemcpyDeviceToHost, g->stream));
    cu_sync(g);
    if (g->failed) memset(dst, 0, n * sizeof(float));
}

static void cuda_copy(eb_g4_backend *b, float *dst, const float *src, size_t n) {
    cu_backend *g = G(b);
    if (g->failed || !n) return;
    CU_OK(g, cudaMemcpyAsync(dst, src, n * sizeof(float), cudaMemcpyDeviceToDevice, g->stream));
}

static void cuda_zero(eb_g4_backend *b, float *dst, size_t n) {
    cu_backend *g = G(b);
    if (g->failed || !n) return;
    CU_OK(g, cudaMemsetAsync(dst, 0, n * sizeof(float), g->stream));
}

/* ---- weights --------------------------------------------------------------- */

static const cu_weight *W(const eb_g4_tensor *t) { return (const cu_weight *)t->dev; }
static const float *VEC(const eb_g4_tensor *t) { return t ? (const float *)W(t)->p : NULL; }

static float host_f32(const eb_g4_tensor *t, size_t i) {
    if (t->dtype == EB_DT_BF16) {
        uint32_t u = (uint32_t)((const uint16_t *)t->data)[i] << 16;
        float f;
        memcpy(&f, &u, 4);
        return f;
    }
    return ((const float *)t->data)[i];
}

static uint16_t to_bf16_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); /* NaN stays NaN */
    u += 0x7fffu + ((u >> 16) & 1u);                                          /* round to nearest even */
    return (uint16_t)(u >> 16);
}

static void progress(size_t done, size_t total, bool final) {
    static int last = -1;
    int pct = total ? (int)(100.0 * (double)done / (double)total) : 100;
    if (!final && pct / 10 == last / 10) return;
    last = pct;
    if (isatty(2)) fprintf(stderr, "\rcuda: copying weights to the GPU %3d%% (%.1f of %.1f GiB)%s", pct,
                           (double)done / (1 << 30), (double)total / (1 << 30), final ? "\n" : "");
    else if (final) fprintf(stderr, "cuda: copied %.2f GiB of weights to the GPU\n", (double)total / (1 << 30));
}

/* The device size of a tensor: vectors as f32, matrices as padded bf16,
 * quantized matrices as codes then scales. */
static size_t device_bytes(const eb_g4_tensor *t) {
    if (t->ndim <= 1) return (size_t)t->shape[0] * sizeof(float);
    int64_t rows = 1;
    for (int d = 0; d < t->ndim - 1; d++) rows *= t->shape[d];
    int cols = (int)t->shape[t->ndim - 1];
    if (t->quant) {
        eb_g4_quant q = (eb_g4_quant)t->quant;
        int qld = eb_g4_quant_ld(cols);
        return (size_t)rows * (eb_g4_quant_row_bytes(q, qld) + (size_t)eb_g4_quant_row_scales(q, qld) * sizeof(float));
    }
    int ld = (cols + EB_CUDA_K_ALIGN - 1) / EB_CUDA_K_ALIGN * EB_CUDA_K_ALIGN;
    /* f32 matrices keep a second bf16 part (the rounding remainder) */
    return (size_t)rows * (size_t)ld * sizeof(uint16_t) * (t->dtype == EB_DT_F32 ? 2 : 1);
}

/* Fills pinned rows [r0, r0 + nr) of a matrix: converted (f32 -> bf16 hi or
 * lo part) and padded.  Spread over threads: reading a mapped checkpoint is
 * page-fault bound on one core. */
typedef struct fill_job {
    const eb_g4_tensor *t;
    const cu_weight *w;
    char *h;
    int64_t r0, nr;
    size_t row_bytes;
    int part;
    float *scales; /* quantized: the scales of every row (host) */
} fill_job;

#define FILL_ROWS_PER_TASK 64

static void fill_task(void *ctx, int task, int worker) {
    (void)worker;
    const fill_job *j = (const fill_job *)ctx;
    const cu_weight *w = j->w;
    int64_t a = (int64_t)task * FILL_ROWS_PER_TASK, b = a + FILL_ROWS_PER_TASK < j->nr ? a + FILL_ROWS_PER_TASK : j->nr;
    for (int64_t r = a; r < b; r++) {
        if (w->quant) {
            eb_g4_quant q = (eb_g4_quant)w->quant;
            eb_g4_quantize_row(q, j->t, j->r0 + r, (uint8_t *)j->h + (size_t)r * j->row_bytes,
                               j->scales + (size_t)(j->r0 + r) * (size_t)eb_g4_quant_row_scales(q, w->ld));
            continue;
        }
        uint16_t *dst = (uint16_t *)(j->h + (size_t)r * j->row_bytes);
        size_t base = (size_t)(j->r0 + r) * (size_t)w->cols;
        if (j->t->dtype == EB_DT_BF16) {
            memcpy(dst, (const uint16_t *)j->t->data + base, (size_t)w->cols * 2);
        } else {
            for (int c = 0; c < w->cols; c++) {
                float v = ((const float *)j->t->data)[base + c];
                uint16_t hi = to_bf16_bits(v);
                if (j->part == 1) {
                    uint32_t u = (uint32_t)hi << 16;
                    float hf;
                    memcpy(&hf, &u, 4);
                    hi = to_bf16_bits(v - hf);
                }
                dst[c] = hi;
            }
        }
        memset(dst + w->cols, 0, (size_t)(w->ld - w->cols) * 2);
    }
}

/* Converts (and pads) a tensor through two pinned buffers, so the host fills
 * one while the other is on its way. */
static int upload_tensor(cu_backend *g, eb_pool *pool, eb_g4_tensor *t, char *pin[2], cudaEvent_t ev[2],
                         size_t pin_bytes, size_t *done, size_t total, eb_err *err) {
    cu_weight *w = (cu_weight *)calloc(1, sizeof *w);
    w->matrix = t->ndim >= 2;
    w->rows = 1;
    for (int d = 0; d < t->ndim - 1; d++) w->rows *= t->shape[d];
    w->cols = (int)t->shape[t->ndim - 1];
    w->ld = w->matrix ? (w->cols + EB_CUDA_K_ALIGN - 1) / EB_CUDA_K_ALIGN * EB_CUDA_K_ALIGN : w->cols;
    w->quant = w->matrix ? t->quant : 0;
    if (w->quant) w->ld = eb_g4_quant_ld(w->cols);
    bool split = w->matrix && t->dtype == EB_DT_F32 && !w->quant;
    w->precise = t->name && strstr(t->name, ".router.proj.") != NULL;
    size_t bytes = device_bytes(t);
    if (!CU_OK(g, cudaMalloc(&w->p, bytes))) {
        free(w);
        return eb_err_set(err, "%s (tensor %s, %zu bytes)", g->err, t->name ? t->name : "?", bytes);
    }
    if (split) w->lo = (char *)w->p + bytes / 2;
    size_t row_bytes = w->matrix ? (size_t)w->ld * 2 : bytes;
    float *scales = NULL;
    size_t scale_count = 0;
    if (w->quant) {
        row_bytes = eb_g4_quant_row_bytes((eb_g4_quant)w->quant, w->ld);
        scale_count = (size_t)w->rows * (size_t)eb_g4_quant_row_scales((eb_g4_quant)w->quant, w->ld);
        w->scale = (float *)((char *)w->p + (size_t)w->rows * row_bytes);
        scales = (float *)malloc(scale_count * sizeof(float));
    }
    size_t rows_per = w->matrix ? pin_bytes / row_bytes : 1;
    if (rows_per == 0) {
        cudaFree(w->p);
        free(scales);
        free(w);
        return eb_err_set(err, "cuda: a row of %s does not fit the staging buffer", t->name ? t->name : "?");
    }
    int buf = 0;
    for (int part = 0; part < (split ? 2 : 1); part++)
    for (int64_t r0 = 0; r0 < (w->matrix ? w->rows : 1); r0 += (int64_t)rows_per, buf ^= 1) {
        int64_t nr = w->matrix ? (w->rows - r0 < (int64_t)rows_per ? w->rows - r0 : (int64_t)rows_per) : 1;
        cudaEventSynchronize(ev[buf]);
        char *h = pin[buf];
        if (!w->matrix) {
            for (int i = 0; i < w->cols; i++) ((float *)h)[i] = host_f32(t, (size_t)i);
        } else {
            fill_job j = {t, w, h, r0, nr, row_bytes, part, scales};
            eb_pool_run(pool, (int)((nr + FILL_ROWS_PER_TASK - 1) / FILL_ROWS_PER_TASK), fill_task, &j);
        }
        size_t n = w->matrix ? (size_t)nr * row_bytes : bytes;
        char *d = (char *)(part ? w->lo : w->p) + (w->matrix ? (size_t)r0 * row_bytes : 0);
        if (!CU_OK(g, cudaMemcpyAsync(d, h, n, cudaMemcpyHostToDevice, g->stream)) ||
            !CU_OK(g, cudaEventRecord(ev[buf], g->stream))) {
            cudaFree(w->p);
            free(scales);
            free(w);
            return eb_err_set(err, "%s", g->err);
        }
        *done += n;
        progress(*done, total, false);
    }
    if (scales) {
        /* pageable source: the copy completes before cudaMemcpy returns */
        bool ok = CU_OK(g, cudaMemcpy(w->scale, scales, scale_count * sizeof(float), cudaMemcpyHostToDevice));
        free(scales);
        if (!ok) {
            cudaFree(w->p);
            free(w);
            return eb_err_set(err, "%s", g->err);
        }
        *done += scale_count * sizeof(float);
    }
    if (g->n_weights == g->cap_weights) {
        g->cap_weights = g->cap_weights ? 2 * g->cap_weights : 256;
        g->weights = (cu_weight **)realloc(g->weights, g->cap_weights * sizeof *g->weights);
    }
    g->weights[g->n_weights++] = w;
    t->dev = w;
    return 0;
}

static int cuda_load_weights(eb_g4_backend *b, const eb_g4_config *c, eb_g4_weights *wt, eb_err *err) {
    cu_backend *g = G(b);
    eb_g4_spec *specs = NULL;
    size_t n = eb_g4_specs(c, wt->prefix, wt, &specs);
    /* Tied tensors (lm_head = embedding) share one device copy. */
    eb_g4_tensor **todo = (eb_g4_tensor **)calloc(n + 1, sizeof *todo);
    size_t k = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        eb_g4_tensor *t = specs[i].slot;
        if (!t || !eb_g4_present(t)) continue;
        bool dup = false;
        for (size_t j = 0; j < k && !dup; j++) dup = todo[j]->data == t->data;
        if (!dup) {
            todo[k++] = t;
            total += device_bytes(t);
        }
    }
    /* the tied lm_head is not among the specs: it is the embedding's copy */
    size_t free_b = 0, total_b = 0;
    int rc = 0;
    if (!CU_OK(g, cudaMemGetInfo(&free_b, &total_b))) rc = eb_err_set(err, "%s", g->err);
    else if (total + RESERVE_BYTES > free_b)
        rc = eb_err_set(err,
                        "cuda: the model does not fit: its weights need %.2f GiB on the GPU (%s) plus %.1f GiB "
                        "for the KV cache and activations, but %s has %.2f GiB free of %.2f GiB",
                        (double)total / (1 << 30), wt->quant ? eb_g4_quant_name((eb_g4_quant)wt->quant) : "bf16",
                        (double)RESERVE_BYTES / (1 << 30), g->describe,
                        (double)free_b / (1 << 30), (double)total_b / (1 << 30));
    size_t pin_bytes = 64u << 20;
    char *pin[2] = {NULL, NULL};
    cudaEvent_t ev[2] = {NULL, NULL};
    if (rc == 0 && (!CU_OK(g, cudaMallocHost((void **)&pin[0], pin_bytes)) ||
                    !CU_OK(g, cudaMallocHost((void **)&pin[1], pin_bytes)) || !CU_OK(g, cudaEventCreate(&ev[0])) ||
                    !CU_OK(g, cudaEventCreate(&ev[1]))))
        rc = eb_err_set(err, "%s", g->err);
    size_t done = 0;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    eb_pool *pool = eb_pool_create(ncpu > 16 ? 16 : ncpu > 0 ? (int)ncpu : 1);
    for (size_t i = 0; rc == 0 && i < k; i++)
        rc = upload_tensor(g, pool, todo[i], pin, ev, pin_bytes, &done, total, err);
    eb_pool_destroy(pool);
    if (rc == 0) {
        cu_sync(g);
        if (g->failed) rc = eb_err_set(err, "%s", g->err);
    }
    /* every bound tensor (the tied lm_head included) points at its copy */
    if (rc == 0) {
        for (size_t i = 0; i < n; i++) {
            eb_g4_tensor *t = specs[i].slot;
            if (t && eb_g4_present(t) && !t->dev)
                for (size_t j = 0; j < k; j++)
                    if (todo[j]->data == t->data) t->dev = todo[j]->dev;
        }
        if (!wt->lm_head.dev)
            for (size_t j = 0; j < k; j++)
                if (todo[j]->data == wt->lm_head.data) wt->lm_head.dev = todo[j]->dev;
        if (!wt->lm_head.dev) rc = eb_err_set(err, "cuda: the output projection has no device copy");
    }
    if (rc == 0) {
        progress(total, total, true);
        g->weight_bytes = total;
        cudaMemGetInfo(&free_b, &total_b);
        fprintf(stderr, "cuda: %s: weights %.2f GiB, %.2f GiB free for the KV cache and activations\n", g->describe,
                (double)total / (1 << 30), (double)free_b / (1 << 30));
    }
    for (int i = 0; i < 2; i++) {
        if (ev[i]) cudaEventDestroy(ev[i]);
        if (pin[i]) cudaFreeHost(pin[i]);
    }
    free(todo);
    free(specs);
    return rc;
}

/* ---- operations ------------------------------------------------------------ */

static void prof_begin(cu_backend *g) {
    if (g->profile) cudaEventRecord(g->prof_ev[0], g->stream);
}

static void prof_end(cu_backend *g, const char *name) {
    if (!g->profile) return;
    cudaEventRecord(g->prof_ev[1], g->stream);
    cudaEventSynchronize(g->prof_ev[1]);
    float ms = 0;
    cudaEventElapsedTime(&ms, g->prof_ev[0], g->prof_ev[1]);
    int i = 0;
    while (i < 32 && g->prof_name[i] && strcmp(g->prof_name[i], name) != 0) i++;
    if (i == 32) return;
    g->prof_name[i] = name;
    g->prof_ms[i] += ms;
    g->prof_calls[i]++;
}

#define PROF(g, name, call) \
    do {                    \
        prof_begin(g);      \
        call;               \
        prof_end(g, name);  \
    } while (0)

static void prof_print(cu_backend *g) {
    double total = 0;
    for (int i = 0; i < 32 && g->prof_name[i]; i++) total += g->prof_ms[i];
    fprintf(stderr, "cuda profile (device time per operation, %.1f ms in all):\n", total);
    for (int i = 0; i < 32 && g->prof_name[i]; i++)
        fprintf(stderr, "  %-16s %10.2f ms %5.1f%% %9ld calls %8.1f us/call\n", g->prof_name[i], g->prof_ms[i],
                100.0 * g->prof_ms[i] / (total > 0 ? total : 1), g->prof_calls[i],
                1000.0 * g->prof_ms[i] / (double)g->prof_calls[i]);
}

static void cuda_matmul(eb_g4_backend *b, const eb_g4_tensor *w, int64_t row0, int out, int in, const float *x, int n,
                        float *y) {
    PROF(G(b), n <= 16 ? "matmul n<=16" : n <= 64 ? "matmul n<=64" : "matmul n>64", cu_matmul(G(b), W(w), row0, out, in, x, n, y));
}

static void cuda_embed(eb_g4_backend *b, const eb_g4_tensor *t, const int32_t *ids, int n, float scale, float *y) {
    cu_backend *g = G(b);
    const int32_t *d = (const int32_t *)cu_stage(g, ids, (size_t)n * sizeof *ids);
    if (d) PROF(g, "embed", cu_embed(g, W(t), d, n, scale, y));
}

static void cuda_rmsnorm(eb_g4_backend *b, const float *x, float *y, int rows, int dim, const eb_g4_tensor *w,
                         float eps) {
    PROF(G(b), "rmsnorm", cu_rmsnorm(G(b), x, y, rows, dim, VEC(w), eps));
}

static void cuda_scale_cols(eb_g4_backend *b, float *x, int rows, int dim, const eb_g4_tensor *w, float s) {
    PROF(G(b), "elementwise", cu_scale_cols(G(b), x, rows, dim, VEC(w), s));
}

static void cuda_rope(eb_g4_backend *b, float *x, int n, int heads, int hd, const int32_t *pos, const float *inv_freq) {
    cu_backend *g = G(b);
    const int32_t *p = (const int32_t *)cu_stage(g, pos, (size_t)n * sizeof *pos);
    const float *f = (const float *)cu_stage(g, inv_freq, (size_t)(hd / 2) * sizeof *inv_freq);
    if (p && f) PROF(g, "rope", cu_rope(g, x, n, heads, hd, p, f));
}

static void cuda_kv_store(eb_g4_backend *b, const eb_g4_kv_write *w, int n) { PROF(G(b), "kv_store", cu_kv_store(G(b), w, n)); }
static void cuda_attention(eb_g4_backend *b, const eb_g4_attn *a, int n) {
    PROF(G(b), a[0].n > 1 ? "attention prefill" : "attention decode", cu_attention(G(b), a, n));
}

static void cuda_gelu_mul(eb_g4_backend *b, float *out, int out_stride, const float *x, int x_stride, const float *up,
                          int up_stride, int rows, int dim) {
    PROF(G(b), "gelu", cu_gelu_mul(G(b), out, out_stride, x, x_stride, up, up_stride, rows, dim));
}

static void cuda_mul(eb_g4_backend *b, float *x, int xs, const float *y, int ys, int rows, int dim) {
    PROF(G(b), "elementwise", cu_mul(G(b), x, xs, y, ys, rows, dim));
}
static void cuda_add(eb_g4_backend *b, float *x, const float *y, size_t n) {
    PROF(G(b), "elementwise", cu_pointwise(G(b), 0, x, y, 0.f, n));
}
static void cuda_add_scale(eb_g4_backend *b, float *x, const float *y, float s, size_t n) {
    PROF(G(b), "elementwise", cu_pointwise(G(b), 1, x, y, s, n));
}
static void cuda_scale(eb_g4_backend *b, float *x, float s, size_t n) {
    PROF(G(b), "elementwise", cu_pointwise(G(b), 2, x, NULL, s, n));
}
static void cuda_softcap(eb_g4_backend *b, float *x, float cap, size_t n) {
    PROF(G(b), "elementwise", cu_pointwise(G(b), 3, x, NULL, cap, n));
}

/* Routing is a few hundred floats per token: computed on the host, with the
 * same code as the CPU backend, so expert choices never differ. */
static void cuda_route(eb_g4_backend *b, const float *logits, int n, int E, int k, const eb_g4_tensor *pes,
                       int32_t *idx, float *weight) {
    float *h = (float *)eb_malloc((size_t)n * E * sizeof *h);
    cuda_download(b, h, logits, (size_t)n * E);
    eb_g4_route_host(h, n, E, k, pes, idx, weight);
    free(h);
}

static void cuda_gather_rows(eb_g4_backend *b, float *dst, const float *src, const int32_t *rows, int n, int dim) {
    cu_backend *g = G(b);
    const int32_t *r = (const int32_t *)cu_stage(g, rows, (size_t)n * sizeof *rows);
    if (r) PROF(g, "gather/scatter", cu_gather_rows(g, dst, src, r, n, dim));
}

static void cuda_scatter_add_rows(eb_g4_backend *b, float *dst, const float *src, const int32_t *rows, const float *w,
                                  int n, int dim) {
    cu_backend *g = G(b);
    const int32_t *r = (const int32_t *)cu_stage(g, rows, (size_t)n * sizeof *rows);
    const float *wd = (const float *)cu_stage(g, w, (size_t)n * sizeof *w);
    if (r && wd) PROF(g, "gather/scatter", cu_scatter_add_rows(g, dst, src, r, wd, n, dim));
}

static void cuda_argmax(eb_g4_backend *b, const float *x, int rows, int cols, int32_t *out) {
    cu_backend *g = G(b);
    int32_t *d = (int32_t *)cu_scratch_get(g, &g->out_i32, (size_t)rows * sizeof(int32_t));
    if (d) {
        PROF(g, "argmax", cu_argmax_rows(g, x, rows, cols, d));
        if (!g->failed) CU_OK(g, cudaMemcpyAsync(out, d, (size_t)rows * sizeof *out, cudaMemcpyDeviceToHost, g->stream));
    }
    cu_sync(g);
    if (g->failed) memset(out, 0, (size_t)rows * sizeof *out);
}

static int cuda_check(eb_g4_backend *b, eb_err *err) {
    cu_backend *g = G(b);
    cu_sync(g);
    if (!g->failed) return 0;
    eb_err_set(err, "%s", g->err);
    /* A sticky device error (an illegal address) poisons the context; other
     * failures (out of memory) clear, and the next forward may succeed. */
    cudaError_t e = cudaGetLastError();
    if (e == cudaSuccess || e == cudaErrorMemoryAllocation) g->failed = false;
    return -1;
}

static void cuda_destroy(eb_g4_backend *b) {
    cu_backend *g = G(b);
    cudaStreamSynchronize(g->stream);
    if (g->profile) {
        prof_print(g);
        cudaEventDestroy(g->prof_ev[0]);
        cudaEventDestroy(g->prof_ev[1]);
    }
    cu_scratch *s[] = {&g->x16, &g->partials, &g->out_i32};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        if (s[i]->p) cudaFreeAsync(s[i]->p, g->stream);
    cudaStreamSynchronize(g->stream);
    for (size_t i = 0; i < g->n_weights; i++) {
        cudaFree(g->weights[i]->p);
        free(g->weights[i]);
    }
    free(g->weights);
    if (g->stage_host) cudaFreeHost(g->stage_host);
    if (g->stage_dev) cudaFree(g->stage_dev);
    cudaStreamDestroy(g->stream);
    free(g);
    free(b);
}

static const eb_g4_backend_ops cuda_ops = {
    /* .name = */ "cuda",
    /* .alloc = */ cuda_alloc,
    /* .release = */ cuda_release,
    /* .upload = */ cuda_upload,
    /* .download = */ cuda_download,
    /* .copy = */ cuda_copy,
    /* .zero = */ cuda_zero,
    /* .matmul = */ cuda_matmul,
    /* .embed = */ cuda_embed,
    /* .rmsnorm = */ cuda_rmsnorm,
    /* .scale_cols = */ cuda_scale_cols,
    /* .rope = */ cuda_rope,
    /* .kv_store = */ cuda_kv_store,
    /* .attention = */ cuda_attention,
    /* .gelu_mul = */ cuda_gelu_mul,
    /* .mul = */ cuda_mul,
    /* .add = */ cuda_add,
    /* .add_scale = */ cuda_add_scale,
    /* .scale = */ cuda_scale,
    /* .softcap = */ cuda_softcap,
    /* .route = */ cuda_route,
    /* .gather_rows = */ cuda_gather_rows,
    /* .scatter_add_rows = */ cuda_scatter_add_rows,
    /* .load_weights = */ cuda_load_weights,
    /* .check = */ cuda_check,
    /* .argmax = */ cuda_argmax,
    /* .destroy = */ cuda_destroy,
};

/* ---- creation -------------------------------------------------------------- */

extern "C" int eb_g4_cuda_compiled(void) { return 1; }

extern "C" int eb_g4_cuda_device_count(void) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        cudaGetLastError(); /* clear "no driver" so later calls start clean */
        return 0;
    }
    return n;
}

extern "C" eb_g4_backend *eb_g4_cuda_backend_create(int device, eb_err *err) {
    int count = eb_g4_cuda_device_count();
    if (count == 0) {
        eb_err_set(err, "no CUDA GPU is visible (no driver, or no device): use --device cpu");
        return NULL;
    }
    if (device < 0 || device >= count) {
        eb_err_set(err, "CUDA device %d does not exist (%d visible)", device, count);
        return NULL;
    }
    cu_backend *g = (cu_backend *)calloc(1, sizeof *g);
    g->device = device;
    cudaDeviceProp prop;
    int drv = 0, rt = 0;
    cudaError_t e = cudaSetDevice(device);
    if (e == cudaSuccess) e = cudaGetDeviceProperties(&prop, device);
    if (e == cudaSuccess) e = cudaStreamCreateWithFlags(&g->stream, cudaStreamNonBlocking);
    if (e == cudaSuccess) e = cudaDeviceGetDefaultMemPool(&g->pool, device);
    if (e == cudaSuccess) {
        /* keep freed activation memory for the next step instead of
         * returning it to the driver at every synchronisation */
        uint64_t keep = UINT64_MAX;
        e = cudaMemPoolSetAttribute(g->pool, cudaMemPoolAttrReleaseThreshold, &keep);
    }
    g->stage_cap = STAGE_BYTES;
    if (e == cudaSuccess) e = cudaMallocHost((void **)&g->stage_host, g->stage_cap);
    if (e == cudaSuccess) e = cudaMalloc((void **)&g->stage_dev, g->stage_cap);
    if (e != cudaSuccess) {
        eb_err_set(err, "cuda: cannot set up device %d: %s", device, cudaGetErrorString(e));
        if (g->stage_host) cudaFreeHost(g->stage_host);
        if (g->stream) cudaStreamDestroy(g->stream);
        free(g);
        return NULL;
    }
    if (prop.major < 8) {
        eb_err_set(err, "cuda: %s (compute capability %d.%d) lacks the bf16 tensor cores the engine needs (8.0 or later)",
                   prop.name, prop.major, prop.minor);
        cudaFreeHost(g->stage_host);
        cudaFree(g->stage_dev);
        cudaStreamDestroy(g->stream);
        free(g);
        return NULL;
    }
    cudaDriverGetVersion(&drv);
    cudaRuntimeGetVersion(&rt);
    snprintf(g->describe, sizeof g->describe, "%s, sm_%d%d, driver API %d.%d, CUDA runtime %d.%d", prop.name,
             prop.major, prop.minor, drv / 1000, drv % 1000 / 10, rt / 1000, rt % 1000 / 10);
    const char *prof = getenv("EVALBENCH_CUDA_PROFILE");
    if (prof && *prof && strcmp(prof, "0") != 0 && cudaEventCreate(&g->prof_ev[0]) == cudaSuccess &&
        cudaEventCreate(&g->prof_ev[1]) == cudaSuccess)
        g->profile = true;
    eb_g4_backend *b = (eb_g4_backend *)calloc(1, sizeof *b);
    b->ops = &cuda_ops;
    b->impl = g;
    return b;
}

extern "C" size_t eb_g4_cuda_free_bytes(eb_g4_backend *b) {
    (void)b;
    size_t f = 0, t = 0;
    if (cudaMemGetInfo(&f, &t) != cudaSuccess) return 0;
    return f;
}

extern "C" const char *eb_g4_cuda_describe(eb_g4_backend *b) { return G(b)->describe; }

/* Uniform in [-a, a] from a hash of (seed, index): reproducible, and the
 * same values whatever the launch shape. */
__global__ void k_fill_random(uint16_t *w, size_t n, uint64_t seed, float a) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    for (; i < n; i += (size_t)gridDim.x * blockDim.x) {
        uint64_t z = seed + 0x9e3779b97f4a7c15ull * (i + 1);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        float u = (float)(z >> 40) * (1.0f / 16777216.0f) * 2.f - 1.f;
        __nv_bfloat16 h = __float2bfloat16_rn(u * a);
        w[i] = *(uint16_t *)&h;
    }
}

extern "C" int eb_g4_cuda_randomize_matrices(eb_g4_backend *b, uint64_t seed, float amplitude, eb_err *err) {
    cu_backend *g = G(b);
    for (size_t i = 0; i < g->n_weights; i++) {
        cu_weight *w = g->weights[i];
        if (!w->matrix) continue;
        if (w->quant) {
            cu_randomize_quant(g, w, seed + i * 0x100000001b3ull, amplitude);
            continue;
        }
        /* padding columns get values too; they multiply zero inputs */
        size_t n = (size_t)w->rows * (size_t)w->ld;
        k_fill_random<<<4096, 256, 0, g->stream>>>((uint16_t *)w->p, n, seed + i * 0x100000001b3ull, amplitude);
        cu_check_launch(g, "k_fill_random");
    }
    cu_sync(g);
    return g->failed ? eb_err_set(err, "%s", g->err) : 0;
}
