/* The Gemma 4 text model's tensors: the list the config implies (names,
 * shapes, which are optional), validation of a checkpoint against it, and
 * the bound weights the forward pass reads. */
#ifndef EB_G4_WEIGHTS_H
#define EB_G4_WEIGHTS_H

#include <stdbool.h>
#include <stdint.h>

#include "g4_config.h"
#include "safetensors.h"

/* A weight as the backends see it: host data (mapped) in its stored dtype,
 * plus a slot where a device backend keeps its own copy. */
typedef struct eb_g4_tensor {
    const void *data;
    eb_dtype dtype;
    int ndim;
    int64_t shape[3];
    const char *name; /* borrowed from the checkpoint */
    void *dev;        /* backend-owned */
    /* quantization on load (g4_quant.h): the mode (an eb_g4_quant, 0 when
     * the tensor is used as stored) and, for host backends, the codes
     * [rows, qrow_bytes] and scales [rows, qrow_scales] */
    int quant;
    uint8_t *q;
    float *qscale;
} eb_g4_tensor;

static inline bool eb_g4_present(const eb_g4_tensor *t) { return t->data != NULL; }

typedef struct eb_g4_layer_weights {
    eb_g4_tensor input_norm, post_attn_norm, pre_ffn_norm, post_ffn_norm;
    eb_g4_tensor q_proj, k_proj, v_proj, o_proj, q_norm, k_norm;
    eb_g4_tensor gate_proj, up_proj, down_proj;
    eb_g4_tensor layer_scalar;
    /* per-layer embeddings (E2B/E4B) */
    eb_g4_tensor ple_gate, ple_proj, ple_post_norm;
    /* mixture of experts (26B-A4B) */
    eb_g4_tensor router_proj, router_scale, per_expert_scale, experts_gate_up, experts_down;
    eb_g4_tensor pre_ffn_norm_2, post_ffn_norm_1, post_ffn_norm_2;
} eb_g4_layer_weights;

typedef struct eb_g4_weights {
    eb_g4_tensor embed, final_norm, lm_head;
    eb_g4_tensor ple_embed, ple_model_proj, ple_proj_norm;
    eb_g4_layer_weights *layers;
    int n_layers;
    const char *prefix; /* "model.language_model." or "model." */
    int quant;          /* the eb_g4_quant the layer projections were marked with */
} eb_g4_weights;

/* One expected tensor. */
typedef struct eb_g4_spec {
    char name[128];      /* full name with prefix */
    int ndim;
    int64_t shape[3];
    bool optional;       /* may be absent (tied lm_head, unused K/V of shared layers) */
    bool unused;         /* present in checkpoints but never read (shared layers' K/V) */
    eb_g4_tensor *slot;  /* where it binds (NULL for unused ones) */
} eb_g4_spec;

/* Lists the tensors the config implies under `prefix`; when w is non-NULL
 * each spec's slot points into it (w->layers must be allocated).  Returns the
 * count; *out is freed by the caller. */
size_t eb_g4_specs(const eb_g4_config *c, const char *prefix, eb_g4_weights *w, eb_g4_spec **out);

/* Parameter count of the text model from the specs alone (nothing is
 * allocated): the tied lm_head counted once; the K/V projections that
 * KV-shared layers carry but never use counted only when with_unused (the
 * published sizes count them). */
int64_t eb_g4_param_count(const eb_g4_config *c, bool with_unused);

/* Checks every expected tensor's presence, shape and dtype (F32 or BF16) in
 * the set and binds it.  Errors name the file and tensor. */
int eb_g4_weights_bind(const eb_g4_config *c, const eb_st_set *st, const char *ckpt_dir, eb_g4_weights *w, eb_err *err);
void eb_g4_weights_free(eb_g4_weights *w);

/* One element of a weight as f32 (norm weights, scalars). */
float eb_g4_tensor_get(const eb_g4_tensor *t, int64_t i);

#endif
