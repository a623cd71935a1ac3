/* Attention over the KV caches, and the KV writes, for all sequences of a
 * batch in one launch each.
 *
 * One block of ATT_WARPS warps owns one (query row, head).  Warp w takes the
 * keys w, w + ATT_WARPS, ... of that row's window and keeps a running
 * softmax (max, sum, weighted values) in f32; the warps' states are merged
 * in warp order at the end.  Which warp sees which key depends only on the
 * row's own key count, so a row's output is the same in any batch. */
#include <math.h>

#include "g4_cuda_internal.cuh"

#define ATT_WARPS 4

typedef struct attn_desc {
    const float *q, *k, *v;
    float *out;
    int n, pos0, cap, window, row_begin;
} attn_desc;

typedef struct kvw_desc {
    float *cache;
    const float *src;
    int cap, row_floats, n, pos0, row_begin;
} kvw_desc;

/* The descriptor whose rows contain `row` (row_begin ascending). */
template <typename D>
static __device__ __forceinline__ int find_desc(const D *d, int n, int row) {
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) >> 1;
        if (d[mid].row_begin <= row) lo = mid;
        else hi = mid - 1;
    }
    return lo;
}

static __device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

/* NJ values of the head dimension per lane: element d = lane + 32 j. */
template <int NJ>
__global__ void __launch_bounds__(ATT_WARPS * 32)
    k_attention(const attn_desc *__restrict__ descs, int n_descs, int n_heads, int n_kv, int hd) {
    __shared__ float sm_m[ATT_WARPS], sm_l[ATT_WARPS];
    __shared__ float sm_acc[ATT_WARPS][NJ * 32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int row = blockIdx.x / n_heads, h = blockIdx.x % n_heads;
    const attn_desc D = descs[find_desc(descs, n_descs, row)];
    const int r = row - D.row_begin;
    const int p = D.pos0 + r;
    const int lo = D.window > 0 && p - D.window + 1 > 0 ? p - D.window + 1 : 0;
    const int nk = p - lo + 1;
    const int kvh = h / (n_heads / n_kv);
    const size_t kv_row = (size_t)n_kv * hd;
    const float *q = D.q + ((size_t)r * n_heads + h) * hd;
    float qr[NJ], acc[NJ];
#pragma unroll
    for (int j = 0; j < NJ; j++) {
        int d = lane + 32 * j;
        qr[j] = d < hd ? q[d] : 0.f;
        acc[j] = 0.f;
    }
    float m = -INFINITY, l = 0.f;
    for (int i = warp; i < nk; i += ATT_WARPS) {
        const size_t slot = (size_t)((lo + i) % D.cap);
        const float *kp = D.k + slot * kv_row + (size_t)kvh * hd;
        const float *vp = D.v + slot * kv_row + (size_t)kvh * hd;
        float s = 0.f;
#pragma unroll
        for (int j = 0; j < NJ; j++) {
            int d = lane + 32 * j;
            if (d < hd) s += qr[j] * kp[d];
        }
        s = warp_sum(s);
        float mn = fmaxf(m, s);
        float corr = expf(m - mn), pe = expf(s - mn);
        l = l * corr + pe;
#pragma unroll
        for (int j = 0; j < NJ; j++) {
            int d = lane + 32 * j;
            float v = d < hd ? vp[d] : 0.f;
            acc[j] = acc[j] * corr + pe * v;
        }
        m = mn;
    }
    if (lane == 0) {
        sm_m[warp] = m;
        sm_l[warp] = l;
    }
#pragma unroll
    for (int j = 0; j < NJ; j++) sm_acc[warp][lane + 32 * j] = acc[j];
    __syncthreads();
    float M = sm_m[0];
    for (int w = 1; w < ATT_WARPS; w++) M = fmaxf(M, sm_m[w]);
    float L = 0.f, f[ATT_WARPS];
    for (int w = 0; w < ATT_WARPS; w++) {
        f[w] = sm_l[w] > 0.f ? expf(sm_m[w] - M) : 0.f;
        L += sm_l[w] * f[w];
    }
    float *out = D.out + ((size_t)r * n_heads + h) * hd;
    for (int d = threadIdx.x; d < hd; d += ATT_WARPS * 32) {
        float s = 0.f;
        for (int w = 0; w < ATT_WARPS; w++) s += sm_acc[w][d] * f[w];
        out[d] = s / L;
    }
}

void cu_attention(cu_backend *g, const eb_g4_attn *a, int n_seqs) {
    if (g->failed || n_seqs <= 0) return;
    attn_desc *d = (attn_desc *)malloc((size_t)n_seqs * sizeof *d);
    int rows = 0;
    for (int i = 0; i < n_seqs; i++) {
        d[i] = (attn_desc){a[i].q, a[i].k, a[i].v, a[i].out, a[i].n, a[i].pos0, a[i].cap, a[i].window, rows};
        rows += a[i].n;
        if (a[i].n_heads != a[0].n_heads || a[i].n_kv != a[0].n_kv || a[i].head_dim != a[0].head_dim) {
            snprintf(g->err, sizeof g->err, "cuda: attention batch mixes head shapes");
            g->failed = true;
        }
    }
    const attn_desc *dd = g->failed ? NULL : (const attn_desc *)cu_stage(g, d, (size_t)n_seqs * sizeof *d);
    free(d);
    if (!dd) return;
    int hd = a[0].head_dim, nh = a[0].n_heads, nkv = a[0].n_kv;
    unsigned blocks = (unsigned)rows * (unsigned)nh;
    if (hd <= 32) k_attention<1><<<blocks, ATT_WARPS * 32, 0, g->stream>>>(dd, n_seqs, nh, nkv, hd);
    else if (hd <= 64) k_attention<2><<<blocks, ATT_WARPS * 32, 0, g->stream>>>(dd, n_seqs, nh, nkv, hd);
    else if (hd <= 128) k_attention<4><<<blocks, ATT_WARPS * 32, 0, g->stream>>>(dd, n_seqs, nh, nkv, hd);
    else if (hd <= 256) k_attention<8><<<blocks, ATT_WARPS * 32, 0, g->stream>>>(dd, n_seqs, nh, nkv, hd);
    else if (hd <= 512) k_attention<16><<<blocks, ATT_WARPS * 32, 0, g->stream>>>(dd, n_seqs, nh, nkv, hd);
    else {
        snprintf(g->err, sizeof g->err, "cuda: head dimension %d is over the supported 512", hd);
        g->failed = true;
        return;
    }
    cu_check_launch(g, "k_attention");
}

/* One block per written row. */
__global__ void k_kv_store(const kvw_desc *__restrict__ descs, int n_descs) {
    const kvw_desc D = descs[find_desc(descs, n_descs, blockIdx.x)];
    const int r = blockIdx.x - D.row_begin;
    float *dst = D.cache + (size_t)((D.pos0 + r) % D.cap) * D.row_floats;
    const float *src = D.src + (size_t)r * D.row_floats;
    for (int i = threadIdx.x; i < D.row_floats; i += blockDim.x) dst[i] = src[i];
}

void cu_kv_store(cu_backend *g, const eb_g4_kv_write *w, int n_writes) {
    if (g->failed || n_writes <= 0) return;
    kvw_desc *d = (kvw_desc *)malloc((size_t)n_writes * sizeof *d);
    int rows = 0;
    for (int i = 0; i < n_writes; i++) {
        d[i] = (kvw_desc){w[i].cache, w[i].src, w[i].cap, w[i].row_floats, w[i].n, w[i].pos0, rows};
        rows += w[i].n;
    }
    const kvw_desc *dd = (const kvw_desc *)cu_stage(g, d, (size_t)n_writes * sizeof *d);
    free(d);
    if (!dd || rows == 0) return;
    k_kv_store<<<(unsigned)rows, 256, 0, g->stream>>>(dd, n_writes);
    cu_check_launch(g, "k_kv_store");
}
