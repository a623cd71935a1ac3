/* Matrix products with weights quantized on load (g4_quant.h defines the
 * formats and what each product means).
 *
 * Same structure as g4_cuda_gemm.cu, so the same batch invariance: each
 * output element is one accumulator chain over fixed 64-wide steps of the
 * input dimension, in increasing order, cut into fixed splits (a property
 * of the matrix, never of the batch) summed in split order.  Thread t of a
 * quad owns the 16 inputs 16t..16t+15 of a step; activations and weights are
 * permuted the same way, so every mma still sums matching pairs.
 *
 *   w8a16 / w4a16: the codes are widened to bf16 in registers (exact: they
 *     are small integers) and multiplied with bf16 activations on the bf16
 *     tensor cores; the scale of a row multiplies its sum (w8a16), the scale
 *     of a group of 128 inputs multiplies that group's partial sum (w4a16).
 *   int8: activations quantized per row on the device, exactly as the CPU
 *     reference does (same IEEE divisions and rounding), int8 mma with
 *     int32 accumulation: the integer sums are exact, so these products are
 *     bit-identical to the reference's.
 *   fp8: the same with e4m3 codes and f32 accumulation on the tensor cores. */
#include <cuda_fp8.h>

#include "g4_cuda_internal.cuh"

extern "C" {
#include "g4_quant.h"
}

#define Q_KSPLIT 2048 /* a multiple of EB_G4_Q_GROUP */
#define Q_WARPS 4

enum { QM_FP8 = EB_G4_Q_FP8, QM_INT8 = EB_G4_Q_INT8, QM_W8 = EB_G4_Q_W8A16, QM_W4 = EB_G4_Q_W4A16 };

static __device__ __forceinline__ void mma_bf16q(float c[4], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,
                                                 uint32_t b0, uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

static __device__ __forceinline__ void mma_s8(int c[4], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,
                                              uint32_t b0, uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+r"(c[0]), "+r"(c[1]), "+r"(c[2]), "+r"(c[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

static __device__ __forceinline__ void mma_e4m3(float c[4], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,
                                                uint32_t b0, uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

static __device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
    __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
    return *(uint32_t *)&h;
}

/* Four int8 codes -> two bf16x2 registers: each biased byte is placed in
 * the mantissa of 2^23 and the bias subtracted, exactly. */
static __device__ __forceinline__ void i8x4_to_bf16(uint32_t v, uint32_t &lo, uint32_t &hi) {
    const uint32_t u = v ^ 0x80808080u;
    const float k = 8388608.f + 128.f;
    float f0 = __uint_as_float(__byte_perm(u, 0x4B000000u, 0x7540)) - k;
    float f1 = __uint_as_float(__byte_perm(u, 0x4B000000u, 0x7541)) - k;
    float f2 = __uint_as_float(__byte_perm(u, 0x4B000000u, 0x7542)) - k;
    float f3 = __uint_as_float(__byte_perm(u, 0x4B000000u, 0x7543)) - k;
    lo = pack_bf16(f0, f1);
    hi = pack_bf16(f2, f3);
}

/* One byte of two int4 codes (stored as q + 8, low nibble first) -> a bf16x2
 * register: bf16 0x4300 | u is 128 + u, minus 136 gives q, exactly. */
static __device__ __forceinline__ uint32_t i4x2_to_bf16(uint32_t byte_in_low_bits) {
    uint32_t x = byte_in_low_bits;
    uint32_t r = (x & 0x0Fu) | ((x & 0xF0u) << 12) | 0x43004300u;
    __nv_bfloat162 h = *(__nv_bfloat162 *)&r;
    const uint32_t c = 0x43084308u; /* 136, 136 */
    h = __hsub2(h, *(const __nv_bfloat162 *)&c);
    return *(uint32_t *)&h;
}

/* Weight-only products: X bf16 [M, ld], codes [N, row_bytes]. */
template <int MT, int NT, int MODE>
__global__ void __launch_bounds__(Q_WARPS * 32)
    k_qgemm_a16(const bf16 *__restrict__ X, int ld, int M, const uint8_t *__restrict__ Wq, size_t row_bytes,
                const float *__restrict__ Ws, int row_scales, int N, float *__restrict__ Y, size_t split_stride) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t = lane & 3;
    const int n0 = (blockIdx.x * Q_WARPS + warp) * (NT * 8);
    const int m0 = blockIdx.y * (MT * 16);
    const int kb = blockIdx.z * Q_KSPLIT;
    const int ke = min(ld, kb + Q_KSPLIT);
    if (n0 >= N) return;
    const bf16 *xa[MT][2];
    bool va[MT][2];
#pragma unroll
    for (int mt = 0; mt < MT; mt++)
#pragma unroll
        for (int h = 0; h < 2; h++) {
            int r = m0 + mt * 16 + g + 8 * h;
            va[mt][h] = r < M;
            xa[mt][h] = X + (size_t)(r < M ? r : 0) * ld + 16 * t;
        }
    const uint8_t *wb[NT];
    bool vb[NT];
#pragma unroll
    for (int nt = 0; nt < NT; nt++) {
        int r = n0 + nt * 8 + g;
        vb[nt] = r < N;
        wb[nt] = Wq + (size_t)(r < N ? r : 0) * row_bytes + (MODE == QM_W4 ? 8 : 16) * t;
    }
    float acc[MT][NT][4], gacc[MT][NT][4];
#pragma unroll
    for (int mt = 0; mt < MT; mt++)
#pragma unroll
        for (int nt = 0; nt < NT; nt++)
#pragma unroll
            for (int i = 0; i < 4; i++) acc[mt][nt][i] = gacc[mt][nt][i] = 0.f;
    const uint4 zero = make_uint4(0, 0, 0, 0);
#pragma unroll 4
    for (int k = kb; k < ke; k += 64) {
        uint4 a[MT][2][2];
#pragma unroll
        for (int mt = 0; mt < MT; mt++)
#pragma unroll
            for (int h = 0; h < 2; h++) {
                a[mt][h][0] = va[mt][h] ? *(const uint4 *)(xa[mt][h] + k) : zero;
                a[mt][h][1] = va[mt][h] ? *(const uint4 *)(xa[mt][h] + k + 8) : zero;
            }
        uint32_t b[NT][8];
#pragma unroll
        for (int nt = 0; nt < NT; nt++) {
            if (MODE == QM_W4) {
                uint2 v = vb[nt] ? __ldg((const uint2 *)(wb[nt] + k / 2)) : make_uint2(0x88888888u, 0x88888888u);
#pragma unroll
                for (int i = 0; i < 4; i++) {
                    b[nt][i] = i4x2_to_bf16(v.x >> (8 * i));
                    b[nt][4 + i] = i4x2_to_bf16(v.y >> (8 * i));
                }
            } else {
                uint4 v = vb[nt] ? __ldg((const uint4 *)(wb[nt] + k)) : zero;
                i8x4_to_bf16(v.x, b[nt][0], b[nt][1]);
                i8x4_to_bf16(v.y, b[nt][2], b[nt][3]);
                i8x4_to_bf16(v.z, b[nt][4], b[nt][5]);
                i8x4_to_bf16(v.w, b[nt][6], b[nt][7]);
            }
        }
#pragma unroll
        for (int mt = 0; mt < MT; mt++)
#pragma unroll
            for (int nt = 0; nt < NT; nt++) {
                float *c = MODE == QM_W4 ? gacc[mt][nt] : acc[mt][nt];
                const uint4 *p = a[mt][0], *q = a[mt][1];
                mma_bf16q(c, p[0].x, q[0].x, p[0].y, q[0].y, b[nt][0], b[nt][1]);
                mma_bf16q(c, p[0].z, q[0].z, p[0].w, q[0].w, b[nt][2], b[nt][3]);
                mma_bf16q(c, p[1].x, q[1].x, p[1].y, q[1].y, b[nt][4], b[nt][5]);
                mma_bf16q(c, p[1].z, q[1].z, p[1].w, q[1].w, b[nt][6], b[nt][7]);
            }
        if (MODE == QM_W4 && (k + 64) % EB_G4_Q_GROUP == 0) {
            const int grp = k / EB_G4_Q_GROUP;
#pragma unroll
            for (int nt = 0; nt < NT; nt++) {
                const int col = n0 + nt * 8 + 2 * t;
                const float s0 = col < N ? __ldg(Ws + (size_t)col * row_scales + grp) : 0.f;
                const float s1 = col + 1 < N ? __ldg(Ws + (size_t)(col + 1) * row_scales + grp) : 0.f;
#pragma unroll
                for (int mt = 0; mt < MT; mt++) {
                    acc[mt][nt][0] += gacc[mt][nt][0] * s0;
                    acc[mt][nt][1] += gacc[mt][nt][1] * s1;
                    acc[mt][nt][2] += gacc[mt][nt][2] * s0;
                    acc[mt][nt][3] += gacc[mt][nt][3] * s1;
#pragma unroll
                    for (int i = 0; i < 4; i++) gacc[mt][nt][i] = 0.f;
                }
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
                float *dst = Yb + (size_t)r * N + col;
                if (col < N) dst[0] = acc[mt][nt][2 * h];
                if (col + 1 < N) dst[1] = acc[mt][nt][2 * h + 1];
            }
        }
}

/* W8A8 products: X codes [M, ld] (int8 or e4m3), W codes [N, ld]; writes
 * int32 (int8) or f32 (fp8) partial sums. */
template <int MT, int NT, int MODE>
__global__ void __launch_bounds__(Q_WARPS * 32)
    k_qgemm_a8(const uint8_t *__restrict__ X, int ld, int M, const uint8_t *__restrict__ Wq, int N,
               void *__restrict__ Y, size_t split_stride) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t = lane & 3;
    const int n0 = (blockIdx.x * Q_WARPS + warp) * (NT * 8);
    const int m0 = blockIdx.y * (MT * 16);
    const int kb = blockIdx.z * Q_KSPLIT;
    const int ke = min(ld, kb + Q_KSPLIT);
    if (n0 >= N) return;
    const uint8_t *xa[MT][2];
    bool va[MT][2];
#pragma unroll
    for (int mt = 0; mt < MT; mt++)
#pragma unroll
        for (int h = 0; h < 2; h++) {
            int r = m0 + mt * 16 + g + 8 * h;
            va[mt][h] = r < M;
            xa[mt][h] = X + (size_t)(r < M ? r : 0) * ld + 16 * t;
        }
    const uint8_t *wb[NT];
    bool vb[NT];
#pragma unroll
    for (int nt = 0; nt < NT; nt++) {
        int r = n0 + nt * 8 + g;
        vb[nt] = r < N;
        wb[nt] = Wq + (size_t)(r < N ? r : 0) * ld + 16 * t;
    }
    int iacc[MT][NT][4];
    float facc[MT][NT][4];
#pragma unroll
    for (int mt = 0; mt < MT; mt++)
#pragma unroll
        for (int nt = 0; nt < NT; nt++)
#pragma unroll
            for (int i = 0; i < 4; i++) {
                iacc[mt][nt][i] = 0;
                facc[mt][nt][i] = 0.f;
            }
    const uint4 zero = make_uint4(0, 0, 0, 0);
#pragma unroll 4
    for (int k = kb; k < ke; k += 64) {
        uint4 a[MT][2], b[NT];
#pragma unroll
        for (int mt = 0; mt < MT; mt++)
#pragma unroll
            for (int h = 0; h < 2; h++) a[mt][h] = va[mt][h] ? *(const uint4 *)(xa[mt][h] + k) : zero;
#pragma unroll
        for (int nt = 0; nt < NT; nt++) b[nt] = vb[nt] ? __ldg((const uint4 *)(wb[nt] + k)) : zero;
#pragma unroll
        for (int mt = 0; mt < MT; mt++)
#pragma unroll
            for (int nt = 0; nt < NT; nt++) {
                const uint4 p = a[mt][0], q = a[mt][1], w = b[nt];
                if (MODE == QM_INT8) {
                    mma_s8(iacc[mt][nt], p.x, q.x, p.y, q.y, w.x, w.y);
                    mma_s8(iacc[mt][nt], p.z, q.z, p.w, q.w, w.z, w.w);
                } else {
                    mma_e4m3(facc[mt][nt], p.x, q.x, p.y, q.y, w.x, w.y);
                    mma_e4m3(facc[mt][nt], p.z, q.z, p.w, q.w, w.z, w.w);
                }
            }
    }
#pragma unroll
    for (int mt = 0; mt < MT; mt++)
#pragma unroll
        for (int nt = 0; nt < NT; nt++) {
            int col = n0 + nt * 8 + 2 * t;
#pragma unroll
            for (int h = 0; h < 2; h++) {
                int r = m0 + mt * 16 + g + 8 * h;
                if (r >= M) continue;
                size_t o = blockIdx.z * split_stride + (size_t)r * N + col;
#pragma unroll
                for (int e = 0; e < 2; e++) {
                    if (col + e >= N) continue;
                    if (MODE == QM_INT8) ((int *)Y)[o + e] = iacc[mt][nt][2 * h + e];
                    else ((float *)Y)[o + e] = facc[mt][nt][2 * h + e];
                }
            }
        }
}

/* y[r, c] = (sum of the splits' partial sums, in split order) times the
 * scales: the activation row's (W8A8) and the weight row's (per channel). */
__global__ void k_qsum(const void *__restrict__ part, int splits, size_t stride, int mode, const float *__restrict__ xs,
                       const float *__restrict__ ws, int N, float *__restrict__ y, size_t n) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    size_t r = i / (size_t)N, c = i - r * (size_t)N;
    float v;
    if (mode == QM_INT8) {
        int s = 0;
        for (int k = 0; k < splits; k++) s += ((const int *)part)[(size_t)k * stride + i];
        v = (float)s * xs[r] * ws[c];
    } else {
        float s = ((const float *)part)[i];
        for (int k = 1; k < splits; k++) s += ((const float *)part)[(size_t)k * stride + i];
        if (mode == QM_FP8) v = s * xs[r] * ws[c];
        else if (mode == QM_W8) v = s * ws[c];
        else v = s;
    }
    y[i] = v;
}

/* One block per row: the row's absmax, its scale, its codes (as
 * eb_g4_quantize_act_row computes them). */
__global__ void k_quant_act(const float *__restrict__ x, int n, int ld, int mode, uint8_t *__restrict__ codes,
                            float *__restrict__ scales) {
    __shared__ float red[32];
    const float *xr = x + (size_t)blockIdx.x * n;
    float a = 0.f;
    for (int c = threadIdx.x; c < n; c += blockDim.x) a = fmaxf(a, fabsf(xr[c]));
    for (int o = 16; o; o >>= 1) a = fmaxf(a, __shfl_xor_sync(0xffffffffu, a, o));
    if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = a;
    __syncthreads();
    if (threadIdx.x < 32) {
        a = threadIdx.x < (blockDim.x + 31) / 32 ? red[threadIdx.x] : 0.f;
        for (int o = 16; o; o >>= 1) a = fmaxf(a, __shfl_xor_sync(0xffffffffu, a, o));
        if (threadIdx.x == 0) red[0] = a;
    }
    __syncthreads();
    a = red[0];
    const float s = a == 0.f ? 0.f : mode == QM_FP8 ? a / 448.0f : a / 127.5f;
    uint8_t *cr = codes + (size_t)blockIdx.x * ld;
    for (int c = threadIdx.x; c < ld; c += blockDim.x) {
        uint8_t q = 0;
        if (c < n && s != 0.f) {
            float r = xr[c] / s;
            if (mode == QM_FP8) {
                q = (uint8_t)__nv_cvt_float_to_fp8(r, __NV_SATFINITE, __NV_E4M3);
            } else {
                int v = __float2int_rn(r);
                q = (uint8_t)(int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
            }
        }
        cr[c] = q;
    }
    if (threadIdx.x == 0) scales[blockIdx.x] = s;
}

/* x [M, K] f32 -> [M, ld] bf16, zero past K (as k_to_bf16 in the bf16 path) */
__global__ void k_to_bf16_q(const float *__restrict__ x, int K, int ld, size_t total, bf16 *__restrict__ y) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= total) return;
    size_t r = i / (size_t)ld;
    int k = (int)(i - r * (size_t)ld);
    y[i] = __float2bfloat16_rn(k < K ? x[r * (size_t)K + k] : 0.f);
}

template <int MT, int NT>
static void launch_q(cu_backend *g, int mode, const void *X, int ld, int M, const uint8_t *Wq, size_t row_bytes,
                     const float *Ws, int row_scales, int N, void *Y, int splits, size_t stride) {
    dim3 grid(cu_blocks((size_t)N, Q_WARPS * NT * 8), cu_blocks((size_t)M, MT * 16), (unsigned)splits);
    const unsigned th = Q_WARPS * 32;
    switch (mode) {
    case QM_W8:
        k_qgemm_a16<MT, NT, QM_W8><<<grid, th, 0, g->stream>>>((const bf16 *)X, ld, M, Wq, row_bytes, Ws, row_scales,
                                                               N, (float *)Y, stride);
        break;
    case QM_W4:
        k_qgemm_a16<MT, NT, QM_W4><<<grid, th, 0, g->stream>>>((const bf16 *)X, ld, M, Wq, row_bytes, Ws, row_scales,
                                                               N, (float *)Y, stride);
        break;
    case QM_INT8:
        k_qgemm_a8<MT, NT, QM_INT8><<<grid, th, 0, g->stream>>>((const uint8_t *)X, ld, M, Wq, N, Y, stride);
        break;
    default:
        k_qgemm_a8<MT, NT, QM_FP8><<<grid, th, 0, g->stream>>>((const uint8_t *)X, ld, M, Wq, N, Y, stride);
        break;
    }
}

void cu_qmatmul(cu_backend *g, const cu_weight *w, int64_t row0, int out, int in, const float *x, int n, float *y) {
    const int mode = w->quant, ld = w->ld;
    const size_t row_bytes = eb_g4_quant_row_bytes((eb_g4_quant)mode, ld);
    const int row_scales = eb_g4_quant_row_scales((eb_g4_quant)mode, ld);
    const bool a8 = mode == QM_INT8 || mode == QM_FP8;
    /* activations: bf16 for the weight-only modes, codes + row scales for W8A8 */
    size_t xbytes = (size_t)n * ld * (a8 ? 1 : sizeof(bf16));
    size_t xs_off = (xbytes + 255) / 256 * 256;
    char *xbuf = (char *)cu_scratch_get(g, &g->x16, xs_off + (size_t)n * sizeof(float));
    if (!xbuf) return;
    float *xs = (float *)(xbuf + xs_off);
    if (a8) {
        k_quant_act<<<n, 256, 0, g->stream>>>(x, in, ld, mode, (uint8_t *)xbuf, xs);
    } else {
        size_t total = (size_t)n * ld;
        k_to_bf16_q<<<cu_blocks(total, 256), 256, 0, g->stream>>>(x, in, ld, total, (bf16 *)xbuf);
    }
    cu_check_launch(g, "k_quant_act");
    const uint8_t *Wq = (const uint8_t *)w->p + (size_t)row0 * row_bytes;
    const float *Ws = w->scale + (size_t)row0 * row_scales;
    const int splits = (ld + Q_KSPLIT - 1) / Q_KSPLIT;
    const size_t stride = (size_t)n * out;
    void *part = cu_scratch_get(g, &g->partials, (size_t)splits * stride * 4);
    if (!part) return;
    if (n <= 16) launch_q<1, 2>(g, mode, xbuf, ld, n, Wq, row_bytes, Ws, row_scales, out, part, splits, stride);
    else launch_q<2, 2>(g, mode, xbuf, ld, n, Wq, row_bytes, Ws, row_scales, out, part, splits, stride);
    cu_check_launch(g, "k_qgemm");
    k_qsum<<<cu_blocks(stride, 256), 256, 0, g->stream>>>(part, splits, stride, mode, xs, Ws, out, y, stride);
    cu_check_launch(g, "k_qsum");
}

/* Benchmark weights: random codes (fp8 codes keep their top exponent bit
 * clear: finite, |v| < 2) and one scale for all, so products stay in range. */
__global__ void k_fill_codes(uint8_t *p, size_t n, uint64_t seed, int mode) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    for (; i < n; i += (size_t)gridDim.x * blockDim.x) {
        uint64_t z = seed + 0x9e3779b97f4a7c15ull * (i + 1);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        uint8_t b = (uint8_t)(z >> 56);
        p[i] = mode == QM_FP8 ? (uint8_t)(b & 0xBF) : b;
    }
}

__global__ void k_fill_f32(float *p, size_t n, float v) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    for (; i < n; i += (size_t)gridDim.x * blockDim.x) p[i] = v;
}

void cu_randomize_quant(cu_backend *g, cu_weight *w, uint64_t seed, float amplitude) {
    const size_t row_bytes = eb_g4_quant_row_bytes((eb_g4_quant)w->quant, w->ld);
    const int row_scales = eb_g4_quant_row_scales((eb_g4_quant)w->quant, w->ld);
    k_fill_codes<<<4096, 256, 0, g->stream>>>((uint8_t *)w->p, (size_t)w->rows * row_bytes, seed, w->quant);
    const float qmax = w->quant == QM_FP8 ? 1.875f : w->quant == QM_W4 ? 7.5f : 127.5f;
    k_fill_f32<<<1024, 256, 0, g->stream>>>(w->scale, (size_t)w->rows * row_scales, amplitude / qmax);
    cu_check_launch(g, "k_fill_codes");
}
