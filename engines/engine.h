/* The engine interface: how the runner talks to anything that answers
 * prompts (oracle, replay, remote APIs, the local Gemma 4 engine).
 *
 * It is asynchronous so that remote engines keep many requests in flight and
 * the local engine can batch: the runner submits requests while the engine
 * has capacity, then polls for completions.  Everything is called from one
 * thread (the runner's); an engine may run its own threads inside. */
#ifndef EB_ENGINE_H
#define EB_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct eb_item;

typedef struct eb_request {
    uint64_t id;                     /* runner-assigned; echoed in the response */
    const char *system;              /* optional system prompt (chat only), may be NULL */
    const char *prompt;              /* user message (chat) or raw text (completion) */
    bool chat;                       /* true: chat turn; false: raw text completion */
    bool add_bos;                    /* raw completion: whether the engine prepends BOS */
    const char *const *stop;         /* stop sequences (may be empty) */
    size_t n_stop;
    int max_tokens;
    double temperature;
    uint64_t seed;
    /* Log-likelihood request (MMLU loglik mode): instead of generating,
     * return log P(continuation | prompt) for each continuation. */
    const char *const *continuations;
    size_t n_continuations;
    /* What the request is about.  Only engines that answer from the data
     * (oracle, replay) look at these. */
    const struct eb_item *item;
    int run_index;
} eb_request;

typedef struct eb_response {
    uint64_t id;                /* the request's id */
    bool ok;
    char *text;                 /* completion, raw (reasoning included) */
    char *finish_reason;        /* "stop", "length", "content_filter", ... */
    long tokens_in;             /* -1 when unknown */
    long tokens_out;            /* -1 when unknown */
    long tokens_cached;         /* prompt tokens served from a provider cache; -1 unknown */
    double latency_ms;
    double cost_usd;            /* -1 when unknown */
    char *model_version;        /* what the server says it ran */
    char *provider_request_id;
    char *system_fingerprint;
    double *logprobs;           /* one per continuation, for log-likelihood requests */
    size_t n_logprobs;
    char *error;                /* when !ok: one line naming provider, model and error */
    bool fatal;                 /* when !ok: the run must stop (auth, bad request, quota) */
} eb_response;

/* Frees the strings and arrays of a response (not the struct itself). */
void eb_response_clear(eb_response *r);

typedef struct eb_engine eb_engine;

typedef struct eb_engine_ops {
    /* Queues a request; must not block for long.  The request's strings are
     * only valid during the call: copy what is needed.  Returns 0, or -1 with
     * err set when the request can never be served. */
    int (*submit)(eb_engine *e, const eb_request *req, eb_err *err);
    /* Waits up to timeout_ms for completions and moves up to max of them into
     * out (the caller owns them afterwards: eb_response_clear).  Returns the
     * number filled, or -1 with err set when the engine itself failed. */
    int (*poll)(eb_engine *e, eb_response *out, int max, int timeout_ms, eb_err *err);
    /* How many more requests the engine wants right now (adaptive limits
     * lower it); the runner also never exceeds --concurrency in flight. */
    int (*capacity)(eb_engine *e);
    void (*destroy)(eb_engine *e);
} eb_engine_ops;

struct eb_engine {
    const eb_engine_ops *ops;
    const char *name;        /* registry name, e.g. "oracle" */
    char *version;           /* engine build/version recorded with the run */
    char *model;             /* model id used for requests and reports */
    char *quantization;      /* "bf16", "fp8", ... or NULL */
    bool supports_loglik;    /* can answer log-likelihood requests */
    bool chat_default;       /* prompts default to chat style */
    bool has_price;          /* list prices known (remote engines with a pricing entry) */
    double price_in_per_mtok;  /* USD per million input tokens */
    double price_out_per_mtok; /* USD per million output tokens */
    bool answers_by_item;    /* answers depend on the item, not only the prompt (oracle,
                                replay): the response cache then keys on the item too */
    char *identity;          /* what produces the answers, part of the response-cache key
                                (NULL: the name and model say it all): the replay file's
                                sha256; the local weights' fingerprint and backend build;
                                a remote provider's base URL.  Two engines with one model
                                label but different identities never share answers. */
    void *impl;
};

/* Everything a user can pass on the command line that an engine may need. */
typedef struct eb_engine_config {
    const char *engine;        /* --engine */
    const char *model;         /* --model */
    const char *model_path;    /* --model-path (local engine) */
    const char *device;        /* --device cpu|cuda */
    const char *base_url;      /* --base-url (remote engines, test servers) */
    const char *replay_file;   /* --replay FILE (replay engine) */
    const char *pricing_file;  /* --pricing FILE */
    const char *quantization;  /* --quant */
    int concurrency;           /* --concurrency */
    bool batch;                /* --batch (provider batch APIs) */
    /* For engines that keep resumable state (batch ids).  The config outlives
     * the engine; db and run_id are filled in after creation, before the
     * first submit, so an engine may keep the cfg pointer and read them then. */
    struct eb_results_db *db;
    long run_id;
} eb_engine_config;

typedef int (*eb_engine_create_fn)(const eb_engine_config *cfg, eb_engine **out, eb_err *err);

typedef struct eb_engine_entry {
    const char *name;
    eb_engine_create_fn create;
    const char *description;
} eb_engine_entry;

/* The registry of engines compiled into this build (engines/registry.c). */
const eb_engine_entry *eb_engine_find(const char *name);
const eb_engine_entry *eb_engine_list(size_t *count);

static inline void eb_engine_destroy(eb_engine *e) {
    if (e) e->ops->destroy(e);
}

#endif
