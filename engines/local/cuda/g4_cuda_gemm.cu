/* Matrix products on the tensor cores: y = x . W^T with bf16 operands and
 * f32 accumulation (mma.sync m16n8k16).
 *
 * Batch invariance is the design constraint.  Every output element is one
 * accumulator chain: for each 32-wide step of the input dimension, in
 * increasing order, two mma instructions whose operand slots hold the same
 * input positions whatever the tile.  The tile shape (how many rows and
 * columns a warp owns) changes with the number of rows, but no element's
 * chain does, so a row's result is bit-identical whether it was computed
 * alone or with 4,000 others.  The input dimension is cut into splits of a
 * fixed width (EB_GEMM_KSPLIT, a property of the matrix, never of the batch)
 * whose partial sums are added in split order: that gives a decode step
 * enough independent warps to stream the weights at full bandwidth.
 *
 * Operands come straight from global memory, 16 bytes per thread per step:
 * thread t of a quad loads the 8 consecutive inputs 8t..8t+7 of a 32-wide
 * step and uses 8t..8t+3 in the first mma and 8t+4..8t+7 in the second.  A
 * and B are permuted the same way, so each mma still sums matching pairs. */
#include "g4_cuda_internal.cuh"

/* Input-dimension split width; a multiple of 32. */
#define EB_GEMM_KSPLIT 2048
#define GEMM_WARPS 4

static __device__ __forceinline__ void mma_bf16(float c[4], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,
                                                uint32_t b0, uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

/* One warp computes MT x 16 rows by NT x 8 columns over inputs [kb, ke).
 * PREC 0: x and W in bf16.  PREC 1: x = hi + lo, two bf16 parts (about 16
 * significant bits), so acc += hi.W + lo.W.  PREC 2: W split the same way
 * too (f32 checkpoints), acc += hi.Whi + lo.Whi + hi.Wlo.  X holds the lo
 * part M * ldx elements after the hi part; Wlo is W's lo part. */
template <int MT, int NT, int PREC>
__global__ void __launch_bounds__(GEMM_WARPS * 32)
    k_gemm(const bf16 *__restrict__ X, int ldx, int M, const bf16 *__restrict__ W, const bf16 *__restrict__ Wlo,
           int ldw, int N, int K, float *__restrict__ Y, int ldy, size_t split_stride) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t = lane & 3;
    const int n0 = (blockIdx.x * GEMM_WARPS + warp) * (NT * 8);
    const int m0 = blockIdx.y * (MT * 16);
    const int kb = blockIdx.z * EB_GEMM_KSPLIT;
    const int ke = min(K, kb + EB_GEMM_KSPLIT);
    if (n0 >= N) return;
    const bf16 *xa[MT][2];
    bool va[MT][2];
#pragma unroll
    for (int mt = 0; mt < MT; mt++)
#pragma unroll
        for (int h = 0; h < 2; h++) {
            int r = m0 + mt * 16 + g + 8 * h;
            va[mt][h] = r < M;
            xa[mt][h] = X + (size_t)(r < M ? r : 0) * ldx + 8 * t;
        }
    const bf16 *wb[NT];
    bool vb[NT];
#pragma unroll
    for (int nt = 0; nt < NT; nt++) {
        int r = n0 + nt * 8 + g;
        vb[nt] = r < N;
        wb[nt] = W + (size_t)(r < N ? r : 0) * ldw + 8 * t;
    }
    float acc[MT][NT][4];
#pragma unroll
    for (int mt = 0; mt < MT; mt++)
#pragma unroll
        for (int nt = 0; nt < NT; nt++)
#pragma unroll
            for (int i = 0; i < 4; i++) acc[mt][nt][i] = 0.f;
    const uint4 zero = make_uint4(0, 0, 0, 0);
    const size_t lo_off = (size_t)M * ldx;
    const ptrdiff_t wlo_off = PREC == 2 ? Wlo - W : 0;
#pragma unroll 4
    for (int k = kb; k < ke; k += 32) {
        uint4 a[MT][2], b[NT], al[PREC ? MT : 1][2], bl[PREC == 2 ? NT : 1];
#pragma unroll
        for (int mt = 0; mt < MT; mt++)
#pragma unroll
            for (int h = 0; h < 2; h++) {
                a[mt][h] = va[mt][h] ? *(const uint4 *)(xa[mt][h] + k) : zero;
                if (PREC) al[PREC ? mt : 0][h] = va[mt][h] ? *(const uint4 *)(xa[mt][h] + lo_off + k) : zero;
            }
#pragma unroll
        for (int nt = 0; nt < NT; nt++) {
            b[nt] = vb[nt] ? __ldg((const uint4 *)(wb[nt] + k)) : zero;
            if (PREC == 2) bl[PREC == 2 ? nt : 0] = vb[nt] ? __ldg((const uint4 *)(wb[nt] + wlo_off + k)) : zero;
        }
#pragma unroll
        for (int mt = 0; mt < MT; mt++)
#pragma unroll
            for (int nt = 0; nt < NT; nt++) {
                mma_bf16(acc[mt][nt], a[mt][0].x, a[mt][1].x, a[mt][0].y, a[mt][1].y, b[nt].x, b[nt].y);
                mma_bf16(acc[mt][nt], a[mt][0].z, a[mt][1].z, a[mt][0].w, a[mt][1].w, b[nt].z, b[nt].w);
                if (PREC) {
                    const uint4 *l = al[PREC ? mt : 0];
                    mma_bf16(acc[mt][nt], l[0].x, l[1].x, l[0].y, l[1].y, b[nt].x, b[nt].y);
                    mma_bf16(acc[mt][nt], l[0].z, l[1].z, l[0].w, l[1].w, b[nt].z, b[nt].w);
                }
                if (PREC == 2) {
                    const uint4 c = bl[PREC == 2 ? nt : 0];
                    mma_bf16(acc[mt][nt], a[mt][0].x, a[mt][1].x, a[mt][0].y, a[mt][1].y, c.x, c.y);
                    mma_bf16(acc[mt][nt], a[mt][0].z, a[mt][1].z, a[mt][0].w, a[mt][1].w, c.z, c.w);
                }
            }
    }
    float *Yb = Y + blockIdx.z * split_stride;
#pragma unroll
    for (int mt = 0; mt < MT; mt++)
#pragma unroll
        for (int nt = 0; nt < NT; nt++) {
            int col = n0 + nt * 8 + 2 * t;
#pragma unroll
            for (int h = 0; h < 2; h++) {
                int r = m0 + mt * 16 + g + 8 * h;
                if (r >= M) continue;
                float *dst = Yb + (size_t)r * ldy + col;
                if (col < N) dst[0] = acc[mt][nt][2 * h];
                if (col + 1 < N) dst[1] = acc[mt][nt][2 * h + 1];
            }
        }
}

/* The same products for many rows (prompts): a 128 x 128 block tile whose
 * operands pass through shared memory (cp.async, four stages), so each byte
 * of a weight row is read from memory once per 128 input rows instead of
 * once per 64.  Every thread takes from shared memory exactly the 16 bytes
 * it would have loaded from global memory in k_gemm, and the eight warps
 * (2 x 4, each 64 x 32 like k_gemm<4, 4, 0>) issue the same mma chain: the
 * results are bit-identical to k_gemm's.  Rows of 64 bytes (one 32-wide
 * step) are stored with their four 16-byte chunks swizzled by the row's
 * low bits, so a quad of lanes reading one row hits distinct banks. */
#define TC_BM 128
#define TC_BN 128
#define TC_STAGES 4
#define TC_THREADS 256

static __device__ __forceinline__ void cp_async16(void *smem, const void *gmem, bool valid) {
    unsigned s = (unsigned)__cvta_generic_to_shared(smem);
    int n = valid ? 16 : 0; /* 0: the 16 bytes are zero-filled */
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(gmem), "r"(n));
}
static __device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
static __device__ __forceinline__ void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

__global__ void __launch_bounds__(TC_THREADS)
    k_gemm_tc(const bf16 *__restrict__ X, int ldx, int M, const bf16 *__restrict__ W, int ldw, int N, int K,
              float *__restrict__ Y, int ldy, size_t split_stride) {
    extern __shared__ uint4 sm[]; /* [stage][256 rows: A then B][4 chunks] */
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, g = lane >> 2, t = lane & 3;
    const int wm = warp >> 2, wn = warp & 3;
    const int m_blk = blockIdx.y * TC_BM, n_blk = blockIdx.x * TC_BN;
    const int kb = blockIdx.z * EB_GEMM_KSPLIT;
    const int nk = (min(K, kb + EB_GEMM_KSPLIT) - kb) / 32;
    auto load_stage = [&](int stage, int ks) {
        const int k = kb + ks * 32;
#pragma unroll
        for (int i = 0; i < 4; i++) {
            const int idx = tid + i * TC_THREADS, row = idx >> 2, c = idx & 3;
            const bf16 *src;
            bool valid;
            if (row < TC_BM) {
                int r = m_blk + row;
                valid = r < M;
                src = X + (size_t)(valid ? r : 0) * ldx + k + c * 8;
            } else {
                int r = n_blk + row - TC_BM;
                valid = r < N;
                src = W + (size_t)(valid ? r : 0) * ldw + k + c * 8;
            }
            cp_async16(sm + ((size_t)stage * (TC_BM + TC_BN) + row) * 4 + (c ^ (row & 3)), src, valid);
        }
    };
#pragma unroll
    for (int st = 0; st < TC_STAGES - 1; st++) {
        if (st < nk) load_stage(st, st);
        cp_async_commit();
    }
    float acc[4][4][4];
#pragma unroll
    for (int mt = 0; mt < 4; mt++)
#pragma unroll
        for (int nt = 0; nt < 4; nt++)
#pragma unroll
            for (int i = 0; i < 4; i++) acc[mt][nt][i] = 0.f;
    for (int ks = 0; ks < nk; ks++) {
        cp_async_wait<TC_STAGES - 2>();
        __syncthreads(); /* stage ks landed for everyone; stage ks - 1 is free */
        const int nxt = ks + TC_STAGES - 1;
        if (nxt < nk) load_stage(nxt % TC_STAGES, nxt);
        cp_async_commit();
        const uint4 *base = sm + (size_t)(ks % TC_STAGES) * (TC_BM + TC_BN) * 4;
        uint4 a[4][2], b[4];
#pragma unroll
        for (int mt = 0; mt < 4; mt++)
#pragma unroll
            for (int h = 0; h < 2; h++) {
                const int row = wm * 64 + mt * 16 + g + 8 * h;
                a[mt][h] = base[row * 4 + (t ^ (row & 3))];
            }
#pragma unroll
        for (int nt = 0; nt < 4; nt++) {
            const int row = TC_BM + wn * 32 + nt * 8 + g;
            b[nt] = base[row * 4 + (t ^ (row & 3))];
        }
#pragma unroll
        for (int mt = 0; mt < 4; mt++)
#pragma unroll
            for (int nt = 0; nt < 4; nt++) {
                mma_bf16(acc[mt][nt], a[mt][0].x, a[mt][1].x, a[mt][0].y, a[mt][1].y, b[nt].x, b[nt].y);
                mma_bf16(acc[mt][nt], a[mt][0].z, a[mt][1].z, a[mt][0].w, a[mt][1].w, b[nt].z, b[nt].w);
            }
    }
    cp_async_wait<0>();
    float *Yb = Y + blockIdx.z * split_stride;
#pragma unroll
    for (int mt = 0; mt < 4; mt++)
#pragma unroll
        for (int nt = 0; nt < 4; nt++) {
            const int col = n_blk + wn * 32 + nt * 8 + 2 * t;
#pragma unroll
            for (int h = 0; h < 2; h++) {
                const int r = m_blk + wm * 64 + mt * 16 + g + 8 * h;
                if (r >= M) continue;
                float *dst = Yb + (size_t)r * ldy + col;
                if (col < N) dst[0] = acc[mt][nt][2 * h];
                if (col + 1 < N) dst[1] = acc[mt][nt][2 * h + 1];
            }
        }
}

/* y = sum over splits of the partial products, in split order. */
__global__ void k_sum_splits(const float *__restrict__ part, int splits, size_t stride, float *__restrict__ y, size_t n) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float s = part[i];
    for (int k = 1; k < splits; k++) s += part[(size_t)k * stride + i];
    y[i] = s;
}

/* x [M, K] f32 -> [M, Kp] bf16, zero past K (round to nearest even); with
 * `lo`, also the rounding remainder x - hi as a second bf16 array. */
__global__ void k_to_bf16(const float *__restrict__ x, int K, int Kp, size_t total, bf16 *__restrict__ y, bool lo) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= total) return;
    size_t r = i / (size_t)Kp;
    int k = (int)(i - r * (size_t)Kp);
    float v = k < K ? x[r * (size_t)K + k] : 0.f;
    bf16 h = __float2bfloat16_rn(v);
    y[i] = h;
    if (lo) y[total + i] = __float2bfloat16_rn(v - __bfloat162float(h));
}

template <int MT, int NT, int PREC>
static void launch(cu_backend *g, const bf16 *X, int ldx, int M, const bf16 *W, const bf16 *Wlo, int ldw, int N, int K,
                   float *Y, int splits, size_t split_stride) {
    dim3 grid(cu_blocks((size_t)N, GEMM_WARPS * NT * 8), cu_blocks((size_t)M, MT * 16), (unsigned)splits);
    k_gemm<MT, NT, PREC><<<grid, GEMM_WARPS * 32, 0, g->stream>>>(X, ldx, M, W, Wlo, ldw, N, K, Y, N, split_stride);
}

void cu_matmul(cu_backend *g, const cu_weight *w, int64_t row0, int out, int in, const float *x, int n, float *y) {
    if (g->failed || n <= 0 || out <= 0) return;
    if (!w->matrix || in != w->cols || row0 + out > w->rows) {
        snprintf(g->err, sizeof g->err, "cuda: matmul of a [%lld, %d] weight as [%d, %d] from row %lld",
                 (long long)w->rows, w->cols, out, in, (long long)row0);
        g->failed = true;
        return;
    }
    if (w->quant) {
        cu_qmatmul(g, w, row0, out, in, x, n, y);
        return;
    }
    int Kp = w->ld;
    int prec = w->lo ? 2 : w->precise ? 1 : 0;
    size_t total = (size_t)n * Kp;
    bf16 *x16 = (bf16 *)cu_scratch_get(g, &g->x16, (prec ? 2 : 1) * total * sizeof(bf16));
    if (!x16) return;
    k_to_bf16<<<cu_blocks(total, 256), 256, 0, g->stream>>>(x, in, Kp, total, x16, prec > 0);
    const bf16 *W = (const bf16 *)w->p + (size_t)row0 * Kp;
    const bf16 *Wlo = w->lo ? (const bf16 *)w->lo + (size_t)row0 * Kp : NULL;
    int splits = (Kp + EB_GEMM_KSPLIT - 1) / EB_GEMM_KSPLIT;
    float *dst = y;
    size_t stride = (size_t)n * out;
    if (splits > 1) {
        dst = (float *)cu_scratch_get(g, &g->partials, (size_t)splits * stride * sizeof(float));
        if (!dst) return;
    }
    /* the tile grows with the rows; no element's arithmetic changes with it */
    if (prec == 2) {
        if (n <= 16) launch<1, 2, 2>(g, x16, Kp, n, W, Wlo, Kp, out, Kp, dst, splits, stride);
        else launch<2, 2, 2>(g, x16, Kp, n, W, Wlo, Kp, out, Kp, dst, splits, stride);
    } else if (prec == 1) {
        if (n <= 16) launch<1, 2, 1>(g, x16, Kp, n, W, NULL, Kp, out, Kp, dst, splits, stride);
        else launch<2, 2, 1>(g, x16, Kp, n, W, NULL, Kp, out, Kp, dst, splits, stride);
    } else if (n <= 16) {
        launch<1, 2, 0>(g, x16, Kp, n, W, NULL, Kp, out, Kp, dst, splits, stride);
    } else if (n <= 64) {
        launch<2, 2, 0>(g, x16, Kp, n, W, NULL, Kp, out, Kp, dst, splits, stride);
    } else {
        const size_t sm = (size_t)TC_STAGES * (TC_BM + TC_BN) * 64;
        static bool raised;
        if (!raised) {
            cu_fail(g, cudaFuncSetAttribute(k_gemm_tc, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)sm),
                    "cudaFuncSetAttribute(k_gemm_tc)");
            raised = true;
        }
        dim3 grid(cu_blocks((size_t)out, TC_BN), cu_blocks((size_t)n, TC_BM), (unsigned)splits);
        k_gemm_tc<<<grid, TC_THREADS, sm, g->stream>>>(x16, Kp, n, W, Kp, out, Kp, dst, out, stride);
    }
    cu_check_launch(g, "k_gemm");
    if (splits > 1) {
        k_sum_splits<<<cu_blocks(stride, 256), 256, 0, g->stream>>>(dst, splits, stride, y, stride);
        cu_check_launch(g, "k_sum_splits");
    }
}
