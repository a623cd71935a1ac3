/* Remote API engines: "anthropic" (Messages API), "openai" (Chat
 * Completions, and any OpenAI-compatible server via --base-url) and
 * "gemini" (generateContent).
 *
 * All of an engine's requests share one libcurl multi handle, driven from
 * inside poll() on the runner's thread (curl_multi_socket_action over an
 * epoll set): submit() only queues, poll() starts queued requests while the
 * concurrency limit allows, moves bytes, and returns finished responses.
 * No background thread, so no locking; nothing is sent or received while
 * the runner is not polling, which costs nothing because the runner polls
 * whenever it is not submitting.  With --batch (batch.c) poll() instead
 * creates provider batches and checks on them. */
#ifndef EB_REMOTE_H
#define EB_REMOTE_H

#include <stdint.h>

#include "engine.h"

/* Knobs with production defaults (eb_remote_default_tuning); tests shorten
 * them so that fault schedules run in seconds. */
typedef struct eb_remote_tuning {
    int max_attempts;          /* per request, first attempt included (8) */
    double backoff_base_ms;    /* full-jitter backoff base (1000) */
    double backoff_cap_ms;     /* and cap (60000) */
    long connect_timeout_ms;   /* TCP+TLS connect (10000) */
    long total_timeout_ms;     /* whole exchange (600000: reasoning models are slow) */
    long stall_timeout_s;      /* abort when no byte arrives for this long (120) */
    double decrease_window_ms; /* the adaptive limit shrinks at most once per window (1000) */
    double batch_poll_ms;      /* --batch: how often to ask whether a batch ended (30000) */
} eb_remote_tuning;

void eb_remote_default_tuning(eb_remote_tuning *t);

/* provider: "anthropic", "openai" or "gemini".  tuning may be NULL. */
int eb_remote_create(const char *provider, const eb_engine_config *cfg, const eb_remote_tuning *tuning,
                     eb_engine **out, eb_err *err);

int eb_anthropic_create(const eb_engine_config *cfg, eb_engine **out, eb_err *err);
int eb_openai_create(const eb_engine_config *cfg, eb_engine **out, eb_err *err);
int eb_gemini_create(const eb_engine_config *cfg, eb_engine **out, eb_err *err);

/* Counters for tests, benchmarks and the end-of-run summary. */
typedef struct eb_remote_stats {
    long attempts;        /* HTTP exchanges started */
    long retries;         /* attempts after the first */
    long succeeded;       /* responses delivered with ok=true */
    long failed;          /* responses delivered with ok=false */
    long rate_limited;    /* 429/529 answers seen */
    int limit;            /* current adaptive concurrency limit */
    int min_limit;        /* lowest it went */
    int max_limit;        /* the configured concurrency */
    double max_hint_ms;   /* longest server-requested wait honoured */
} eb_remote_stats;

/* e must be a remote engine. */
void eb_remote_get_stats(const eb_engine *e, eb_remote_stats *out);

#endif
