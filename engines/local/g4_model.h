/* A loaded Gemma 4 text model and its forward pass over batches of token
 * chunks, each chunk continuing one sequence (its own KV cache).  Prefill is
 * one long chunk; batched decoding is many one-token chunks; both run through
 * the same code and the same backend operations. */
#ifndef EB_G4_MODEL_H
#define EB_G4_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "g4_backend.h"
#include "g4_config.h"
#include "g4_weights.h"
#include "safetensors.h"

typedef struct eb_g4_model {
    eb_g4_config cfg;
    eb_st_set st;
    eb_g4_weights w;
    eb_g4_backend *be;
    float **inv_freq;      /* per layer, head_dim / 2 values (host) */
    float embed_scale;     /* sqrt(H) rounded to the embedding's dtype, as the reference does */
    float ple_embed_scale; /* sqrt(P), same rounding */
    int max_positions;
} eb_g4_model;

typedef struct eb_g4_kv {
    float *k, *v;  /* backend buffers [cap, n_kv * head_dim] */
    int cap;
} eb_g4_kv;

/* One sequence's state: tokens consumed so far and the caches of the layers
 * that compute their own K/V (KV-shared layers read their source's). */
typedef struct eb_g4_seq {
    int n_past;
    eb_g4_kv *kv;  /* per layer; unused entries stay empty */
} eb_g4_seq;

/* Loads DIR (config.json + safetensors), validates every tensor, and uses
 * backend `be` (the model takes ownership). */
int eb_g4_model_load(const char *dir, eb_g4_backend *be, eb_g4_model **out, eb_err *err);
/* The same with the layer projections quantized on load (quant: an
 * eb_g4_quant, see g4_quant.h). */
int eb_g4_model_load_quant(const char *dir, eb_g4_backend *be, int quant, eb_g4_model **out, eb_err *err);
void eb_g4_model_free(eb_g4_model *m);

eb_g4_seq *eb_g4_seq_new(const eb_g4_model *m);
void eb_g4_seq_free(const eb_g4_model *m, eb_g4_seq *s);
/* Forgets the tokens (keeps the memory). */
void eb_g4_seq_reset(eb_g4_seq *s);
/* A new sequence with a copy of src's tokens and caches (scoring several
 * continuations of one prompt without recomputing the prompt). */
eb_g4_seq *eb_g4_seq_fork(const eb_g4_model *m, const eb_g4_seq *src);

/* One chunk: n tokens appended to seq.  When logits is non-NULL it receives
 * the logits [n - logits_from, vocab] of rows logits_from .. n - 1; when
 * argmax is non-NULL (and logits NULL) it receives only the index of each of
 * those rows' largest logit, computed where the logits are (greedy decoding
 * without copying a vocabulary of floats per token off a GPU). */
typedef struct eb_g4_chunk {
    eb_g4_seq *seq;
    const int32_t *ids;
    int n;
    int logits_from;
    float *logits;
    int32_t *argmax;
} eb_g4_chunk;

/* Runs the chunks as one batch (distinct sequences).  Errors: bad token id,
 * context longer than max_position_embeddings. */
int eb_g4_forward(eb_g4_model *m, eb_g4_chunk *chunks, int n_chunks, eb_err *err);

#endif
