/* Shared by the CUDA backend's translation units: the backend state, the
 * device form of a weight, and the kernel launchers (each enqueues on the
 * backend's one stream and returns at once). */
#ifndef EB_G4_CUDA_INTERNAL_CUH
#define EB_G4_CUDA_INTERNAL_CUH

#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

extern "C" {
#include "g4_backend.h"
}

typedef __nv_bfloat16 bf16;

/* Matrix rows are padded with zeros to a multiple of this many elements, so
 * every row starts 64-byte aligned and the product's inner loop needs no
 * tail. */
#define EB_CUDA_K_ALIGN 32

/* A weight on the device.  Vectors (norm weights, scales) are f32; matrices
 * and embedding tables are bf16 [rows, ld] with ld = cols rounded up to
 * EB_CUDA_K_ALIGN. */
typedef struct cu_weight {
    void *p;
    /* f32 checkpoints: the bf16 remainder w - bf16(w), used in a 3-product
     * scheme that keeps about 16 significant bits of the weights */
    void *lo;
    int64_t rows;
    int cols, ld;
    bool matrix;
    /* the product splits its input activations into two bf16 parts: the
     * MoE router, whose top-k choices flip on bf16 rounding of its input */
    bool precise;
    /* quantized on load (g4_quant.h): quant is the eb_g4_quant, p holds the
     * codes [rows, row bytes] with ld = cols rounded up to EB_G4_Q_GROUP,
     * scale the scales [rows, row scales] */
    int quant;
    float *scale;
} cu_weight;

/* A device buffer grown on demand and reused (the stream orders its uses). */
typedef struct cu_scratch {
    void *p;
    size_t bytes;
} cu_scratch;

typedef struct cu_backend {
    int device;
    cudaStream_t stream;
    cudaMemPool_t pool;
    /* The first error since the last check; later operations do nothing. */
    bool failed;
    char err[EB_ERR_MAX];
    /* Host -> device staging for small side inputs (ids, rows, descriptors):
     * a pinned ring and its device twin, bump-allocated and reset whenever
     * the stream is known to be idle. */
    char *stage_host, *stage_dev;
    size_t stage_cap, stage_used;
    cu_scratch x16, partials, out_i32;
    int32_t *argmax_host;
    size_t argmax_host_n;
    /* device copies of the weights, for freeing */
    cu_weight **weights;
    size_t n_weights, cap_weights;
    size_t weight_bytes;
    char describe[400];
    /* $EVALBENCH_CUDA_PROFILE: device time per kind of operation, printed
     * when the backend is destroyed (each operation is then synchronous) */
    bool profile;
    cudaEvent_t prof_ev[2];
    const char *prof_name[32];
    double prof_ms[32];
    long prof_calls[32];
} cu_backend;

/* Records the first failure (message names the call); returns !ok. */
bool cu_fail(cu_backend *g, cudaError_t e, const char *what);
#define CU_OK(g, call) (!cu_fail((g), (call), #call))
/* Checks the launch just made. */
void cu_check_launch(cu_backend *g, const char *kernel);
/* Grows s to at least `bytes` (contents are lost). */
void *cu_scratch_get(cu_backend *g, cu_scratch *s, size_t bytes);
/* Copies bytes of host memory to the device in stream order; the returned
 * device pointer stays valid until the next stage reset. */
void *cu_stage(cu_backend *g, const void *src, size_t bytes);
/* Waits for the stream to drain and resets the staging ring. */
void cu_sync(cu_backend *g);

/* y[n, out] (f32, row stride out) = x[n, in] (f32) . W[row0 .. row0+out)^T */
void cu_matmul(cu_backend *g, const cu_weight *w, int64_t row0, int out, int in, const float *x, int n, float *y);

/* the same for a quantized weight (g4_cuda_qgemm.cu) */
void cu_qmatmul(cu_backend *g, const cu_weight *w, int64_t row0, int out, int in, const float *x, int n, float *y);
/* random codes and scales for the benchmark's weights */
void cu_randomize_quant(cu_backend *g, cu_weight *w, uint64_t seed, float amplitude);

/* attention and KV writes, as the operations table describes them */
void cu_kv_store(cu_backend *g, const eb_g4_kv_write *w, int n_writes);
void cu_attention(cu_backend *g, const eb_g4_attn *a, int n_seqs);

/* elementwise and per-row operations */
void cu_embed(cu_backend *g, const cu_weight *t, const int32_t *ids_dev, int n, float scale, float *y);
void cu_rmsnorm(cu_backend *g, const float *x, float *y, int rows, int dim, const float *w, float eps);
void cu_scale_cols(cu_backend *g, float *x, int rows, int dim, const float *w, float s);
void cu_rope(cu_backend *g, float *x, int n, int heads, int hd, const int32_t *pos_dev, const float *inv_freq_dev);
void cu_gelu_mul(cu_backend *g, float *out, int out_stride, const float *x, int x_stride, const float *up,
                 int up_stride, int rows, int dim);
void cu_mul(cu_backend *g, float *x, int x_stride, const float *y, int y_stride, int rows, int dim);
/* mode 0: x += y; 1: x = (x + y) * s; 2: x *= s; 3: x = s * tanh(x / s) */
void cu_pointwise(cu_backend *g, int mode, float *x, const float *y, float s, size_t n);
void cu_gather_rows(cu_backend *g, float *dst, const float *src, const int32_t *rows_dev, int n, int dim);
void cu_scatter_add_rows(cu_backend *g, float *dst, const float *src, const int32_t *rows_dev, const float *w_dev,
                         int n, int dim);
void cu_argmax_rows(cu_backend *g, const float *x, int rows, int cols, int32_t *out_dev);

static inline unsigned cu_blocks(size_t n, unsigned threads) { return (unsigned)((n + threads - 1) / threads); }

#endif
