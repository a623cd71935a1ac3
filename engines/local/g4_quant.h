/* Quantization on load: a bf16 (or f32) checkpoint's layer projections
 * rounded to 8 or 4 bits as the model loads, without calibration data
 * (round to nearest, symmetric, absmax scales).  This file is the
 * definition every backend follows: how a weight row and an activation row
 * become integers or fp8 and scales, and what a product of them means.
 *
 *   fp8    W8A8: e4m3 weights with one scale per output channel (row),
 *          activations rounded to e4m3 per token (row) at run time.
 *   int8   W8A8: int8 weights per output channel, int8 activations per
 *          token; the products are exact integer sums.
 *   w8a16  int8 weights per output channel; activations stay 16-bit.
 *   w4a16  int4 weights, one scale per 128 inputs of a row (group 128);
 *          activations stay 16-bit.
 *
 * Scales follow compressed-tensors' symmetric rule: s = absmax / (range / 2)
 * with range = qmax - qmin (127.5 for int8, 7.5 for int4) and s = absmax /
 * 448 for e4m3; q = clamp(round_half_even(v / s), qmin, qmax).  A row (or
 * group) of zeros has scale 0 and all-zero codes.
 *
 * What is quantized: every layer's attention and MLP projections (q, k, v,
 * o, gate, up, down), the per-layer-input gate and projection (E2B, E4B) and
 * the experts (26B-A4B).  Kept as stored: the embedding and the tied output
 * projection, the per-layer embedding table and its model projection, the
 * norms and scalars, and the MoE router (its top-k choices flip easily). */
#ifndef EB_G4_QUANT_H
#define EB_G4_QUANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "g4_config.h"
#include "g4_weights.h"

typedef enum eb_g4_quant {
    EB_G4_Q_NONE = 0, /* weights as stored (bf16 or f32) */
    EB_G4_Q_FP8,
    EB_G4_Q_INT8,
    EB_G4_Q_W8A16,
    EB_G4_Q_W4A16,
} eb_g4_quant;

/* Inputs per scale in w4a16. */
#define EB_G4_Q_GROUP 128

/* NULL, "", "bf16", "f32" or "none": EB_G4_Q_NONE; else one of the names
 * above.  Returns 0, or -1 with an error listing the choices. */
int eb_g4_quant_parse(const char *s, eb_g4_quant *q, eb_err *err);
const char *eb_g4_quant_name(eb_g4_quant q);
/* One line for run records and --help: the format, the scales, the tensors. */
const char *eb_g4_quant_summary(eb_g4_quant q);
/* Activations are quantized too (W8A8). */
static inline bool eb_g4_quant_w8a8(eb_g4_quant q) { return q == EB_G4_Q_FP8 || q == EB_G4_Q_INT8; }

/* A quantized row holds ld codes: cols rounded up to EB_G4_Q_GROUP, the
 * padding zero, so every backend's inner loop is whole groups. */
int eb_g4_quant_ld(int cols);
size_t eb_g4_quant_row_bytes(eb_g4_quant q, int ld); /* ld bytes; ld / 2 for int4 (low nibble first) */
int eb_g4_quant_row_scales(eb_g4_quant q, int ld);   /* 1, or ld / EB_G4_Q_GROUP for w4a16 */

/* Row `row` of t (t viewed as [rows, cols]) into codes (row_bytes) and
 * scales (row_scales).  int8 codes are two's complement bytes, int4 codes
 * are stored as q + 8, e4m3 codes are OCP fp8 e4m3fn bytes. */
void eb_g4_quantize_row(eb_g4_quant q, const eb_g4_tensor *t, int64_t row, uint8_t *codes, float *scales);

/* Activation row x[0..n) into ld codes (the padding zero); returns the scale.
 * Only for the W8A8 modes. */
float eb_g4_quantize_act_row(eb_g4_quant q, const float *x, int n, int ld, uint8_t *codes);

/* OCP e4m3fn: round to nearest even, saturating at +-448 (no infinities;
 * NaN stays NaN). */
uint8_t eb_fp8_e4m3_from_f32(float v);
float eb_fp8_e4m3_to_f32(uint8_t b);

/* Marks the tensors the mode quantizes (t->quant); backends that keep
 * their own copies (the GPU) quantize as they upload. */
void eb_g4_weights_mark_quant(const eb_g4_config *c, eb_g4_weights *w, eb_g4_quant q);
/* Host copies of the marked tensors (t->q, t->qscale), made with n_threads
 * threads, for backends that compute from host memory. */
int eb_g4_weights_quantize_host(eb_g4_weights *w, int n_threads, eb_err *err);
/* Frees the host copies. */
void eb_g4_weights_free_quant(eb_g4_weights *w);

/* What a quantized matrix product computes for one output element, from the
 * codes: the reference the backends' products are checked against.  x is
 * the f32 activation row (for the W8A8 modes, xq / xs its codes and scale). */
float eb_g4_qdot(eb_g4_quant q, const uint8_t *wcodes, const float *wscales, int ld, const float *x, int n,
                 const uint8_t *xq, float xs);

#endif
