/* Elementwise and per-row kernels.  Each computes an element from its own row
 * only, with the same f32 formula as the CPU reference; the row reductions
 * (RMSNorm, argmax) use a fixed tree per row. */
#include <math.h>

#include "g4_cuda_internal.cuh"

#define ROW_THREADS 128

static __device__ __forceinline__ float bf16_at(const bf16 *p, size_t i) { return __bfloat162float(p[i]); }

/* lo: the remainder part of an f32 table (NULL for bf16 checkpoints). */
__global__ void k_embed(const bf16 *__restrict__ table, const bf16 *__restrict__ lo, int ld, int dim,
                        const int32_t *__restrict__ ids, float scale, float *__restrict__ y) {
    const int r = blockIdx.x;
    const size_t row = (size_t)ids[r] * ld;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) {
        float v = bf16_at(table + row, i);
        if (lo) v += bf16_at(lo + row, i);
        y[(size_t)r * dim + i] = v * scale;
    }
}

void cu_embed(cu_backend *g, const cu_weight *t, const int32_t *ids_dev, int n, float scale, float *y) {
    if (g->failed || n <= 0) return;
    k_embed<<<(unsigned)n, 256, 0, g->stream>>>((const bf16 *)t->p, (const bf16 *)t->lo, t->ld, t->cols, ids_dev, scale,
                                                 y);
    cu_check_launch(g, "k_embed");
}

/* Sum over a block of ROW_THREADS, the same tree every time. */
static __device__ __forceinline__ float block_sum(float v, float *sm) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) sm[warp] = v;
    __syncthreads();
    float s = 0.f;
    for (int w = 0; w < ROW_THREADS / 32; w++) s += sm[w];
    __syncthreads();
    return s;
}

__global__ void __launch_bounds__(ROW_THREADS)
    k_rmsnorm(const float *__restrict__ x, float *__restrict__ y, int dim, const float *__restrict__ w, float eps) {
    __shared__ float sm[ROW_THREADS / 32];
    const float *xr = x + (size_t)blockIdx.x * dim;
    float *yr = y + (size_t)blockIdx.x * dim;
    float ss = 0.f;
    for (int i = threadIdx.x; i < dim; i += ROW_THREADS) ss += xr[i] * xr[i];
    ss = block_sum(ss, sm);
    const float inv = powf(ss / (float)dim + eps, -0.5f);
    for (int i = threadIdx.x; i < dim; i += ROW_THREADS) yr[i] = w ? (xr[i] * inv) * w[i] : xr[i] * inv;
}

void cu_rmsnorm(cu_backend *g, const float *x, float *y, int rows, int dim, const float *w, float eps) {
    if (g->failed || rows <= 0) return;
    k_rmsnorm<<<(unsigned)rows, ROW_THREADS, 0, g->stream>>>(x, y, dim, w, eps);
    cu_check_launch(g, "k_rmsnorm");
}

__global__ void k_scale_cols(float *__restrict__ x, size_t total, int dim, const float *__restrict__ w, float s) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < total) x[i] = (x[i] * w[i % dim]) * s;
}

void cu_scale_cols(cu_backend *g, float *x, int rows, int dim, const float *w, float s) {
    size_t total = (size_t)rows * dim;
    if (g->failed || !total) return;
    k_scale_cols<<<cu_blocks(total, 256), 256, 0, g->stream>>>(x, total, dim, w, s);
    cu_check_launch(g, "k_scale_cols");
}

/* Rotate-half RoPE; one thread per rotated pair (row, head, k < hd / 2). */
__global__ void k_rope(float *__restrict__ x, size_t total, int heads, int hd, const int32_t *__restrict__ pos,
                       const float *__restrict__ inv_freq) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= total) return;
    const int half = hd / 2;
    const int k = (int)(i % half);
    const size_t rh = i / half;
    const size_t r = rh / heads;
    const float a = (float)pos[r] * inv_freq[k];
    const float c = cosf(a), s = sinf(a);
    float *v = x + rh * hd;
    const float x1 = v[k], x2 = v[k + half];
    v[k] = x1 * c + (-x2) * s;
    v[k + half] = x2 * c + x1 * s;
}

void cu_rope(cu_backend *g, float *x, int n, int heads, int hd, const int32_t *pos_dev, const float *inv_freq_dev) {
    size_t total = (size_t)n * heads * (hd / 2);
    if (g->failed || !total) return;
    k_rope<<<cu_blocks(total, 256), 256, 0, g->stream>>>(x, total, heads, hd, pos_dev, inv_freq_dev);
    cu_check_launch(g, "k_rope");
}

static __device__ __forceinline__ float gelu_tanh(float x) {
    const float beta = (float)(M_SQRT2 * M_2_SQRTPI * 0.5), kappa = 0.044715f;
    const float inner = beta * (x + kappa * (x * x * x));
    return 0.5f * x * (1.0f + tanhf(inner));
}

__global__ void k_gelu_mul(float *out, int out_stride, const float *x, int x_stride, const float *up, int up_stride,
                           size_t total, int dim) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= total) return;
    const size_t r = i / dim;
    const int c = (int)(i - r * dim);
    const float gv = gelu_tanh(x[r * x_stride + c]);
    out[r * out_stride + c] = up ? gv * up[r * up_stride + c] : gv;
}

void cu_gelu_mul(cu_backend *g, float *out, int out_stride, const float *x, int x_stride, const float *up,
                 int up_stride, int rows, int dim) {
    size_t total = (size_t)rows * dim;
    if (g->failed || !total) return;
    k_gelu_mul<<<cu_blocks(total, 256), 256, 0, g->stream>>>(out, out_stride, x, x_stride, up, up_stride, total, dim);
    cu_check_launch(g, "k_gelu_mul");
}

__global__ void k_mul(float *x, int x_stride, const float *y, int y_stride, size_t total, int dim) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= total) return;
    const size_t r = i / dim;
    const int c = (int)(i - r * dim);
    x[r * x_stride + c] *= y[r * y_stride + c];
}

void cu_mul(cu_backend *g, float *x, int x_stride, const float *y, int y_stride, int rows, int dim) {
    size_t total = (size_t)rows * dim;
    if (g->failed || !total) return;
    k_mul<<<cu_blocks(total, 256), 256, 0, g->stream>>>(x, x_stride, y, y_stride, total, dim);
    cu_check_launch(g, "k_mul");
}

__global__ void k_pointwise(int mode, float *__restrict__ x, const float *__restrict__ y, float s, size_t n) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    switch (mode) {
    case 0: x[i] += y[i]; break;
    case 1: x[i] = (x[i] + y[i]) * s; break;
    case 2: x[i] *= s; break;
    default: x[i] = tanhf(x[i] / s) * s; break;
    }
}

void cu_pointwise(cu_backend *g, int mode, float *x, const float *y, float s, size_t n) {
    if (g->failed || !n) return;
    k_pointwise<<<cu_blocks(n, 256), 256, 0, g->stream>>>(mode, x, y, s, n);
    cu_check_launch(g, "k_pointwise");
}

__global__ void k_gather_rows(float *__restrict__ dst, const float *__restrict__ src, const int32_t *__restrict__ rows,
                              int dim) {
    const float *s = src + (size_t)rows[blockIdx.x] * dim;
    float *d = dst + (size_t)blockIdx.x * dim;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) d[i] = s[i];
}

void cu_gather_rows(cu_backend *g, float *dst, const float *src, const int32_t *rows_dev, int n, int dim) {
    if (g->failed || n <= 0) return;
    k_gather_rows<<<(unsigned)n, 256, 0, g->stream>>>(dst, src, rows_dev, dim);
    cu_check_launch(g, "k_gather_rows");
}

/* The rows of one call are distinct (a token meets an expert once), so the
 * adds never race. */
__global__ void k_scatter_add_rows(float *__restrict__ dst, const float *__restrict__ src,
                                   const int32_t *__restrict__ rows, const float *__restrict__ w, int dim) {
    float *d = dst + (size_t)rows[blockIdx.x] * dim;
    const float *s = src + (size_t)blockIdx.x * dim;
    const float wi = w[blockIdx.x];
    for (int i = threadIdx.x; i < dim; i += blockDim.x) d[i] += s[i] * wi;
}

void cu_scatter_add_rows(cu_backend *g, float *dst, const float *src, const int32_t *rows_dev, const float *w_dev,
                         int n, int dim) {
    if (g->failed || n <= 0) return;
    k_scatter_add_rows<<<(unsigned)n, 256, 0, g->stream>>>(dst, src, rows_dev, w_dev, dim);
    cu_check_launch(g, "k_scatter_add_rows");
}

/* Largest value of a row, lowest index among equals: each thread scans a
 * strided slice, then a tree keeps the better of each pair. */
#define ARGMAX_THREADS 1024

__global__ void __launch_bounds__(ARGMAX_THREADS) k_argmax(const float *__restrict__ x, int cols, int32_t *out) {
    __shared__ float sv[ARGMAX_THREADS];
    __shared__ int si[ARGMAX_THREADS];
    const float *row = x + (size_t)blockIdx.x * cols;
    float bv = -INFINITY;
    int bi = -1;
    for (int i = threadIdx.x; i < cols; i += ARGMAX_THREADS) {
        float v = row[i];
        if (bi < 0 || v > bv) {
            bv = v;
            bi = i;
        }
    }
    sv[threadIdx.x] = bv;
    si[threadIdx.x] = bi;
    __syncthreads();
    for (int s = ARGMAX_THREADS / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) {
            float ov = sv[threadIdx.x + s];
            int oi = si[threadIdx.x + s];
            int mi = si[threadIdx.x];
            if (oi >= 0 && (mi < 0 || ov > sv[threadIdx.x] || (ov == sv[threadIdx.x] && oi < mi))) {
                sv[threadIdx.x] = ov;
                si[threadIdx.x] = oi;
            }
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) out[blockIdx.x] = si[0] < 0 ? 0 : si[0];
}

void cu_argmax_rows(cu_backend *g, const float *x, int rows, int cols, int32_t *out_dev) {
    if (g->failed || rows <= 0) return;
    k_argmax<<<(unsigned)rows, ARGMAX_THREADS, 0, g->stream>>>(x, cols, out_dev);
    cu_check_launch(g, "k_argmax");
}
