/* A Gemma 4 checkpoint directory made ready for serving: the model on its
 * backend, the tokenizer, the stop tokens and sampling defaults from
 * generation_config.json, and prompt encoding (chat template or raw text).
 * Shared by the engine adapter and `evalbench generate`. */
#ifndef EB_LOCAL_MODEL_H
#define EB_LOCAL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chat_template.h"
#include "g4_model.h"
#include "g4_sample.h"
#include "tokenizer.h"

#define EB_LOCAL_MAX_STOP_IDS 16
/* Prompts are fed in pieces of at most this many tokens, which bounds the
 * activation memory of one forward call. */
#define EB_LOCAL_PREFILL_CHUNK 256

typedef struct eb_local_model {
    eb_g4_model *m;
    eb_tokenizer *tok;
    int32_t stop_ids[EB_LOCAL_MAX_STOP_IDS];
    int n_stop_ids;
    eb_gemma4_family family;
    eb_sampling sampling; /* top_k / top_p used whenever temperature > 0 */
    char *dir;
    bool gpu; /* the model runs on the CUDA backend */
    int quant; /* eb_g4_quant */
} eb_local_model;

/* device: "cpu", "cuda", "cuda:N", or NULL / "auto" (the GPU when one is
 * visible, else the CPU).  CPU threads come from $EVALBENCH_THREADS, else
 * one per CPU.  Returns 0, EB_LOCAL_NO_DEVICE when the device asked for
 * cannot be used (no GPU, bad name), or -1 for any other failure. */
#define EB_LOCAL_NO_DEVICE (-2)
/* quant: an eb_g4_quant (g4_quant.h), the layer projections quantized on load. */
int eb_local_model_open(const char *dir, const char *device, int quant, eb_local_model **out, eb_err *err);
void eb_local_model_free(eb_local_model *lm);

/* Chat: the Gemma 4 template (BOS, optional system turn, user turn,
 * generation prompt, thinking off).  Raw: the text as is, BOS first when
 * add_bos. */
int eb_local_encode_prompt(const eb_local_model *lm, const char *system, const char *prompt, bool chat, bool add_bos,
                           int32_t **ids, size_t *n, eb_err *err);
bool eb_local_is_stop(const eb_local_model *lm, int32_t id);

/* What answers, as a hex sha256: config.json, tokenizer.json and
 * generation_config.json as bytes, and for each safetensors file its name,
 * size and header (names, shapes, dtypes and offsets of every tensor), so a
 * different checkpoint at a path with the same name is another model,
 * without reading gigabytes of weights. */
void eb_local_model_fingerprint(const eb_local_model *lm, char hex[65]);

/* Feeds ids to s in pieces; `all` (n x vocab) receives every position's
 * logits, `last` (vocab) the last position's; either may be NULL. */
int eb_local_prefill(eb_local_model *lm, eb_g4_seq *s, const int32_t *ids, size_t n, float *all, float *last,
                     eb_err *err);

#endif
