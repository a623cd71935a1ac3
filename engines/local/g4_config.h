/* Gemma 4 text-model configuration, read from a Hugging Face config.json in
 * either layout: text-only (Gemma4ForCausalLM, fields at the top level) or
 * multimodal (Gemma4ForConditionalGeneration, fields under "text_config").
 * Per-layer facts (head dim, KV heads, MLP width, KV source, RoPE) are
 * resolved once here so the model code never re-derives them. */
#ifndef EB_G4_CONFIG_H
#define EB_G4_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

#define EB_G4_MAX_EOS 8

typedef struct eb_g4_layer_info {
    bool full;          /* full (global) attention; else sliding window */
    int head_dim;
    int n_kv;           /* KV heads */
    bool has_v;         /* false: V reuses the K projection (attention_k_eq_v on full layers) */
    int kv_source;      /* layer whose K/V this layer reads; == own index when it computes its own */
    int intermediate;   /* dense MLP width (doubled on E2B's KV-shared layers) */
    double rope_theta;
    int rope_pairs;     /* rotated frequency pairs (head_dim/2 unless partial) */
    double rope_factor; /* inv_freq divisor (1.0) */
} eb_g4_layer_info;

typedef struct eb_g4_config {
    bool multimodal;     /* config had text_config: tensors under model.language_model. */
    int vocab;
    int hidden;
    int n_layers;
    int n_heads;
    int head_dim;        /* sliding layers */
    int n_kv_heads;      /* sliding layers */
    int global_head_dim; /* full layers */
    int n_global_kv;     /* full layers */
    int intermediate;
    bool double_wide;
    bool k_eq_v;
    int sliding_window;
    double rms_eps;
    double final_softcap; /* 0: none */
    int n_kv_shared;
    int ple_dim;          /* hidden_size_per_layer_input, 0: no per-layer embeddings */
    int ple_vocab;
    bool moe;
    int n_experts, top_k, moe_intermediate;
    int max_positions;
    bool tied;           /* tie_word_embeddings: lm_head may be absent and reuse the embedding */
    int bos_id, pad_id;
    int eos_ids[EB_G4_MAX_EOS];
    int n_eos;
    eb_g4_layer_info *layers; /* n_layers entries */
} eb_g4_config;

/* Parses config.json text; `file` names it in errors. */
int eb_g4_config_parse(const char *text, const char *file, eb_g4_config *out, eb_err *err);
/* Reads DIR/config.json. */
int eb_g4_config_load(const char *dir, eb_g4_config *out, eb_err *err);
void eb_g4_config_free(eb_g4_config *c);

#endif
