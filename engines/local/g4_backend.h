/* The layer operations the Gemma 4 forward pass is written in.  A backend
 * (the CPU reference here, a CUDA one later) implements this table; the model
 * code in g4_model.c only calls through it, so both backends run exactly the
 * same sequence of operations.
 *
 * Activation buffers are `float *` allocated by the backend (device memory
 * for a GPU backend): the model never dereferences them, it moves data with
 * upload/download.  Integer side inputs (token ids, positions, expert
 * choices) are host arrays.  Weights are eb_g4_tensor in their stored dtype
 * (BF16 or F32); the backend converts to f32 as it computes. */
#ifndef EB_G4_BACKEND_H
#define EB_G4_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "g4_config.h"
#include "g4_weights.h"

typedef struct eb_g4_backend eb_g4_backend;

/* One KV-cache write: rows src[n, row_floats] into slots (pos0 + r) % cap. */
typedef struct eb_g4_kv_write {
    float *cache;
    int cap, row_floats;
    const float *src;
    int n, pos0;
} eb_g4_kv_write;

/* One attention call: query rows of one sequence against its KV cache. */
typedef struct eb_g4_attn {
    const float *q;      /* [n, n_heads * head_dim] */
    float *out;          /* [n, n_heads * head_dim] */
    int n;               /* query rows, at positions pos0 .. pos0 + n - 1 */
    int pos0;
    int n_heads, n_kv, head_dim; /* query head h reads KV head h / (n_heads / n_kv) */
    const float *k, *v;  /* caches [cap, n_kv * head_dim]; position p lives at slot p % cap */
    int cap;
    int window;          /* 0: causal over all keys; W: keys j with p - W < j <= p */
} eb_g4_attn;

typedef struct eb_g4_backend_ops {
    const char *name;
    /* Memory (n counts floats).  alloc returns zeroed memory. */
    float *(*alloc)(eb_g4_backend *b, size_t n);
    void (*release)(eb_g4_backend *b, float *p);
    void (*upload)(eb_g4_backend *b, float *dst, const float *src_host, size_t n);
    void (*download)(eb_g4_backend *b, float *dst_host, const float *src, size_t n);
    void (*copy)(eb_g4_backend *b, float *dst, const float *src, size_t n);
    void (*zero)(eb_g4_backend *b, float *dst, size_t n);

    /* y[n, out] = x[n, in] . W^T where W is rows [row0, row0 + out) of the
     * weight viewed as a [rows, in] matrix (row0 selects one expert of a 3-D
     * expert tensor). */
    void (*matmul)(eb_g4_backend *b, const eb_g4_tensor *w, int64_t row0, int out, int in, const float *x, int n,
                   float *y);
    /* y[r] = table[ids[r]] * scale. */
    void (*embed)(eb_g4_backend *b, const eb_g4_tensor *table, const int32_t *ids, int n, float scale, float *y);
    /* Per row of `dim`: y = x * pow(mean(x^2) + eps, -0.5), times w when w is
     * non-NULL.  x and y may be the same buffer. */
    void (*rmsnorm)(eb_g4_backend *b, const float *x, float *y, int rows, int dim, const eb_g4_tensor *w, float eps);
    /* x[r, c] = x[r, c] * w[c] * s. */
    void (*scale_cols)(eb_g4_backend *b, float *x, int rows, int dim, const eb_g4_tensor *w, float s);
    /* Rotate-half RoPE in place; x is [n, heads * hd], row r at position
     * pos[r]; inv_freq (host, hd / 2 values, zeros for unrotated pairs). */
    void (*rope)(eb_g4_backend *b, float *x, int n, int heads, int hd, const int32_t *pos, const float *inv_freq);
    /* Every write of one layer's K or V rows, for all sequences of a batch
     * (one launch on a GPU); the writes touch distinct caches. */
    void (*kv_store)(eb_g4_backend *b, const eb_g4_kv_write *w, int n_writes);
    /* The attention of every sequence of a batch at one layer. */
    void (*attention)(eb_g4_backend *b, const eb_g4_attn *a, int n_seqs);
    /* out[r, :dim] = gelu_tanh(x[r, :dim]) * (up ? up[r, :dim] : 1); strides in floats. */
    void (*gelu_mul)(eb_g4_backend *b, float *out, int out_stride, const float *x, int x_stride, const float *up,
                     int up_stride, int rows, int dim);
    /* x[r, :dim] *= y[r, :dim], strided. */
    void (*mul)(eb_g4_backend *b, float *x, int x_stride, const float *y, int y_stride, int rows, int dim);
    /* x = x + y;  x = (x + y) * s;  x = x * s;  x = cap * tanh(x / cap). */
    void (*add)(eb_g4_backend *b, float *x, const float *y, size_t n);
    void (*add_scale)(eb_g4_backend *b, float *x, const float *y, float s, size_t n);
    void (*scale)(eb_g4_backend *b, float *x, float s, size_t n);
    void (*softcap)(eb_g4_backend *b, float *x, float cap, size_t n);
    /* Mixture-of-experts routing: softmax over the E router logits of each
     * row, the k largest, renormalised over those k, times per_expert_scale.
     * Results go to host arrays idx[n * k], weight[n * k]. */
    void (*route)(eb_g4_backend *b, const float *logits, int n, int E, int k, const eb_g4_tensor *per_expert_scale,
                  int32_t *idx, float *weight);
    /* dst[i] = src[rows[i]];  dst[rows[i]] += w[i] * src[i]  (rows: host). */
    void (*gather_rows)(eb_g4_backend *b, float *dst, const float *src, const int32_t *rows, int n, int dim);
    void (*scatter_add_rows)(eb_g4_backend *b, float *dst, const float *src, const int32_t *rows, const float *w, int n,
                             int dim);
    /* Optional (NULL on host backends): makes the device copies of every
     * weight before the first forward, or refuses with the numbers when they
     * do not fit. */
    int (*load_weights)(eb_g4_backend *b, const eb_g4_config *c, eb_g4_weights *w, eb_err *err);
    /* Optional: the first error the device reported since the last call
     * (operations are asynchronous and return nothing); 0 when none. */
    int (*check)(eb_g4_backend *b, eb_err *err);
    /* out_host[r] = the index of the largest of x[r, :cols] (the lowest
     * index among equals), so greedy decoding need not copy logits. */
    void (*argmax)(eb_g4_backend *b, const float *x, int rows, int cols, int32_t *out_host);
    void (*destroy)(eb_g4_backend *b);
} eb_g4_backend_ops;

struct eb_g4_backend {
    const eb_g4_backend_ops *ops;
    void *impl;
};

/* The CPU reference backend: f32 arithmetic, n_threads worker threads
 * (0: one per online CPU). */
eb_g4_backend *eb_g4_cpu_backend_create(int n_threads);

/* Mixture-of-experts routing on host logits [n, E] (the arithmetic of the
 * `route` operation, shared by the backends). */
void eb_g4_route_host(const float *logits, int n, int E, int k, const eb_g4_tensor *per_expert_scale, int32_t *idx,
                      float *weight);

static inline void eb_g4_backend_destroy(eb_g4_backend *b) {
    if (b) b->ops->destroy(b);
}

#endif
