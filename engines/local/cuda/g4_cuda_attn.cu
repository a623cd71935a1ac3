/* Attention over the KV caches, and the KV writes, for all sequences of a
 * batch in one launch each.
 *
 * Determinism across batches, chunkings and cache hits rests on one
 * canonical per-row algorithm that both kernels below implement exactly:
 * the keys of a row (its window [lo, p]) are visited in tiles of 32 aligned
 * to absolute positions, in ascending order; in a tile, key j's score is the
 * dot product of q and k_j summed in increasing dimension order; the tile's
 * maximum updates the running maximum m; the probabilities exp(s - m) are
 * summed by a fixed butterfly; every output dimension accumulates
 * p_j * v_j for j ascending after rescaling by exp(m_old - m).  Nothing in
 * it depends on which other rows, sequences or chunks share the launch.
 *
 *  - k_attn_rows: one warp per (row, head), keys read from global memory;
 *    for decode steps and short chunks.
 *  - k_attn_tile: one block per (sequence chunk, head, 32 query rows), the
 *    key and value tiles staged once in shared memory for all 32 rows; for
 *    prompt chunks. */
#include <math.h>

#include "g4_cuda_internal.cuh"

#define KT 32      /* keys per tile (one per lane) */
#define QR 32      /* query rows per block of k_attn_tile */
#define TILE_WARPS 8
#define ROW_WARPS 4
#define KPAD 4     /* floats of padding per staged key row: no bank conflicts */

typedef struct attn_desc {
    const float *q, *k, *v;
    float *out;
    int n, pos0, cap, window;
    int row_begin;  /* k_attn_rows: first global row; k_attn_tile: first tile */
} attn_desc;

typedef struct kvw_desc {
    float *cache;
    const float *src;
    int cap, row_floats, n, pos0, row_begin;
} kvw_desc;

/* The descriptor whose range contains `i` (row_begin ascending). */
template <typename D>
static __device__ __forceinline__ int find_desc(const D *d, int n, int i) {
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) >> 1;
        if (d[mid].row_begin <= i) lo = mid;
        else hi = mid - 1;
    }
    return lo;
}

static __device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

static __device__ __forceinline__ float warp_max(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

/* The canonical dot product: increasing dimension, one fma chain. */
static __device__ __forceinline__ float dot_seq(const float *q, const float *k, int hd) {
    float s = 0.f;
    for (int d = 0; d < hd; d += 4) {
        float4 a = *(const float4 *)(q + d), b = *(const float4 *)(k + d);
        s = fmaf(a.x, b.x, s);
        s = fmaf(a.y, b.y, s);
        s = fmaf(a.z, b.z, s);
        s = fmaf(a.w, b.w, s);
    }
    return s;
}

/* One tile of the canonical update for one row, given this lane's score s
 * (-inf when the lane's key is outside the row's window) and a way to read
 * value row j.  acc[i] holds output dimension lane + 32 i. */
template <int NJ, typename VROW>
static __device__ __forceinline__ void tile_update(float s, float &m, float &l, float (&acc)[NJ], int hd, VROW vrow) {
    const int lane = threadIdx.x & 31;
    const float tmax = warp_max(s);
    if (tmax == -INFINITY) return; /* no key of this row in the tile */
    const float mn = fmaxf(m, tmax);
    const float corr = expf(m - mn);
    const float p = s == -INFINITY ? 0.f : expf(s - mn);
    l = fmaf(l, corr, warp_sum(p));
#pragma unroll
    for (int i = 0; i < NJ; i++) acc[i] *= corr;
    for (int j = 0; j < KT; j++) {
        const float pj = __shfl_sync(0xffffffffu, p, j);
        if (pj == 0.f) continue; /* adds exactly nothing; skips unwritten slots */
        const float *v = vrow(j);
#pragma unroll
        for (int i = 0; i < NJ; i++) {
            const int d = lane + 32 * i;
            if (d < hd) acc[i] = fmaf(pj, v[d], acc[i]);
        }
    }
    m = mn;
}

template <int NJ>
__global__ void __launch_bounds__(ROW_WARPS * 32)
    k_attn_rows(const attn_desc *__restrict__ descs, int n_descs, int total_rows, int n_heads, int n_kv, int hd) {
    extern __shared__ float smem[]; /* ROW_WARPS query vectors */
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int item = blockIdx.x * ROW_WARPS + warp;
    if (item >= total_rows * n_heads) return;
    const int row = item / n_heads, h = item % n_heads;
    const attn_desc D = descs[find_desc(descs, n_descs, row)];
    const int r = row - D.row_begin, p = D.pos0 + r;
    const int lo = D.window > 0 && p - D.window + 1 > 0 ? p - D.window + 1 : 0;
    const int kvh = h / (n_heads / n_kv);
    const size_t kv_row = (size_t)n_kv * hd;
    float *q = smem + warp * (NJ * 32);
    const float *qg = D.q + ((size_t)r * n_heads + h) * hd;
    for (int d = lane; d < hd; d += 32) q[d] = qg[d];
    __syncwarp();
    float m = -INFINITY, l = 0.f, acc[NJ];
#pragma unroll
    for (int i = 0; i < NJ; i++) acc[i] = 0.f;
    for (int t = lo / KT; t <= p / KT; t++) {
        const int j = t * KT + lane;
        const float *kb = D.k + (size_t)kvh * hd, *vb = D.v + (size_t)kvh * hd;
        const float s = j >= lo && j <= p ? dot_seq(q, kb + (size_t)(j % D.cap) * kv_row, hd) : -INFINITY;
        const int cap = D.cap, base = t * KT;
        tile_update<NJ>(s, m, l, acc, hd, [&](int jj) { return vb + (size_t)((base + jj) % cap) * kv_row; });
    }
    float *out = D.out + ((size_t)r * n_heads + h) * hd;
#pragma unroll
    for (int i = 0; i < NJ; i++) {
        const int d = lane + 32 * i;
        if (d < hd) out[d] = acc[i] / l;
    }
}

template <int NJ>
__global__ void __launch_bounds__(TILE_WARPS * 32)
    k_attn_tile(const attn_desc *__restrict__ descs, int n_descs, int n_heads, int n_kv, int hd) {
    extern __shared__ float smem[];
    const int ks = hd + KPAD;
    float *Ks = smem, *Vs = Ks + KT * ks, *Qs = Vs + KT * hd;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int tile = blockIdx.x / n_heads, h = blockIdx.x % n_heads;
    const attn_desc D = descs[find_desc(descs, n_descs, tile)];
    const int r0 = (tile - D.row_begin) * QR;
    const int nr = min(QR, D.n - r0);
    const int kvh = h / (n_heads / n_kv);
    const size_t kv_row = (size_t)n_kv * hd;
    for (int i = threadIdx.x; i < nr * hd; i += blockDim.x) {
        const int rr = i / hd, d = i - rr * hd;
        Qs[rr * hd + d] = D.q[((size_t)(r0 + rr) * n_heads + h) * hd + d];
    }
    const int p_first = D.pos0 + r0, p_last = D.pos0 + r0 + nr - 1;
    const int lo_first = D.window > 0 && p_first - D.window + 1 > 0 ? p_first - D.window + 1 : 0;
    /* rows warp, warp + 8, warp + 16, warp + 24 */
    float m[QR / TILE_WARPS], l[QR / TILE_WARPS], acc[QR / TILE_WARPS][NJ];
#pragma unroll
    for (int k = 0; k < QR / TILE_WARPS; k++) {
        m[k] = -INFINITY;
        l[k] = 0.f;
#pragma unroll
        for (int i = 0; i < NJ; i++) acc[k][i] = 0.f;
    }
    for (int t = lo_first / KT; t <= p_last / KT; t++) {
        __syncthreads(); /* the previous tile is consumed (and Qs written) */
        for (int i = threadIdx.x; i < KT * (hd / 4); i += blockDim.x) {
            const int j = i / (hd / 4), d = (i - j * (hd / 4)) * 4;
            const int key = t * KT + j;
            float4 kv = make_float4(0.f, 0.f, 0.f, 0.f), vv = kv;
            if (key <= p_last) {
                const size_t off = (size_t)(key % D.cap) * kv_row + (size_t)kvh * hd + d;
                kv = *(const float4 *)(D.k + off);
                vv = *(const float4 *)(D.v + off);
            }
            *(float4 *)(Ks + j * ks + d) = kv;
            *(float4 *)(Vs + j * hd + d) = vv;
        }
        __syncthreads();
#pragma unroll
        for (int k = 0; k < QR / TILE_WARPS; k++) {
            const int rr = warp + k * TILE_WARPS;
            if (rr >= nr) break;
            const int p = D.pos0 + r0 + rr;
            const int lo = D.window > 0 && p - D.window + 1 > 0 ? p - D.window + 1 : 0;
            const int j = t * KT + lane;
            const float s = j >= lo && j <= p ? dot_seq(Qs + rr * hd, Ks + lane * ks, hd) : -INFINITY;
            tile_update<NJ>(s, m[k], l[k], acc[k], hd, [&](int jj) { return (const float *)(Vs + jj * hd); });
        }
    }
#pragma unroll
    for (int k = 0; k < QR / TILE_WARPS; k++) {
        const int rr = warp + k * TILE_WARPS;
        if (rr >= nr) break;
        float *out = D.out + ((size_t)(r0 + rr) * n_heads + h) * hd;
#pragma unroll
        for (int i = 0; i < NJ; i++) {
            const int d = lane + 32 * i;
            if (d < hd) out[d] = acc[k][i] / l[k];
        }
    }
}

/* Chunks of at least this many rows go through the tiled kernel. */
#define TILE_MIN_ROWS 8

template <int NJ>
static void launch_attn(cu_backend *g, const attn_desc *rows_d, int n_rows_d, int total_rows, const attn_desc *tile_d,
                        int n_tile_d, int total_tiles, int nh, int nkv, int hd) {
    if (n_rows_d) {
        unsigned blocks = cu_blocks((size_t)total_rows * nh, ROW_WARPS);
        k_attn_rows<NJ><<<blocks, ROW_WARPS * 32, ROW_WARPS * NJ * 32 * sizeof(float), g->stream>>>(
            rows_d, n_rows_d, total_rows, nh, nkv, hd);
        cu_check_launch(g, "k_attn_rows");
    }
    if (n_tile_d) {
        size_t sm = ((size_t)KT * (hd + KPAD) + (size_t)KT * hd + (size_t)QR * hd) * sizeof(float);
        /* the limit is raised once per kernel, for the largest head this
         * instantiation serves (NJ * 32), not for the first one it saw */
        static bool raised[17];
        if (!raised[NJ]) {
            const int top = NJ * 32;
            size_t most = ((size_t)KT * (top + KPAD) + (size_t)KT * top + (size_t)QR * top) * sizeof(float);
            cu_fail(g, cudaFuncSetAttribute(k_attn_tile<NJ>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)most),
                    "cudaFuncSetAttribute(k_attn_tile)");
            raised[NJ] = true;
        }
        k_attn_tile<NJ><<<(unsigned)total_tiles * nh, TILE_WARPS * 32, sm, g->stream>>>(tile_d, n_tile_d, nh, nkv, hd);
        cu_check_launch(g, "k_attn_tile");
    }
}

void cu_attention(cu_backend *g, const eb_g4_attn *a, int n_seqs) {
    if (g->failed || n_seqs <= 0) return;
    int hd = a[0].head_dim, nh = a[0].n_heads, nkv = a[0].n_kv;
    if (hd > 512 || hd % 4) {
        snprintf(g->err, sizeof g->err, "cuda: head dimension %d is not supported (a multiple of 4, at most 512)", hd);
        g->failed = true;
        return;
    }
    attn_desc *d = (attn_desc *)malloc((size_t)n_seqs * 2 * sizeof *d);
    attn_desc *rows_d = d, *tile_d = d + n_seqs;
    int n_rows_d = 0, n_tile_d = 0, total_rows = 0, total_tiles = 0;
    for (int i = 0; i < n_seqs; i++) {
        if (a[i].n_heads != nh || a[i].n_kv != nkv || a[i].head_dim != hd) {
            snprintf(g->err, sizeof g->err, "cuda: attention batch mixes head shapes");
            g->failed = true;
        }
        attn_desc e = {a[i].q, a[i].k, a[i].v, a[i].out, a[i].n, a[i].pos0, a[i].cap, a[i].window, 0};
        if (a[i].n >= TILE_MIN_ROWS) {
            e.row_begin = total_tiles;
            total_tiles += (a[i].n + QR - 1) / QR;
            tile_d[n_tile_d++] = e;
        } else {
            e.row_begin = total_rows;
            total_rows += a[i].n;
            rows_d[n_rows_d++] = e;
        }
    }
    const attn_desc *dr = n_rows_d && !g->failed ? (const attn_desc *)cu_stage(g, rows_d, (size_t)n_rows_d * sizeof *d) : NULL;
    const attn_desc *dt = n_tile_d && !g->failed ? (const attn_desc *)cu_stage(g, tile_d, (size_t)n_tile_d * sizeof *d) : NULL;
    free(d);
    if (g->failed) return;
    if (hd <= 32) launch_attn<1>(g, dr, n_rows_d, total_rows, dt, n_tile_d, total_tiles, nh, nkv, hd);
    else if (hd <= 64) launch_attn<2>(g, dr, n_rows_d, total_rows, dt, n_tile_d, total_tiles, nh, nkv, hd);
    else if (hd <= 128) launch_attn<4>(g, dr, n_rows_d, total_rows, dt, n_tile_d, total_tiles, nh, nkv, hd);
    else if (hd <= 256) launch_attn<8>(g, dr, n_rows_d, total_rows, dt, n_tile_d, total_tiles, nh, nkv, hd);
    else launch_attn<16>(g, dr, n_rows_d, total_rows, dt, n_tile_d, total_tiles, nh, nkv, hd);
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
