/* The remote engine's state, shared by the interactive transport
 * (remote_engine.c) and the provider batch mode (batch.c). */
#ifndef EB_REMOTE_CORE_H
#define EB_REMOTE_CORE_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "engine.h"
#include "pricing.h"
#include "remote.h"
#include "remote_internal.h"

typedef struct rq {
    struct rq *next;           /* in the pending list */
    uint64_t id;
    char *url;
    char *body;
    size_t body_len;
    eb_remote_req_info info;
    int attempts;              /* exchanges started so far */
    double ready_at;           /* monotonic ms before which it must not start */
    double started_at;
    CURL *easy;
    size_t active_index;       /* position in remote.active while in flight */
    eb_buf resp;
    char errbuf[CURL_ERROR_SIZE];
    /* from the current attempt's headers */
    char *request_id;
    double retry_after_ms;     /* retry-after / retry-after-ms; -1 none */
    double reset_ms;           /* provider rate-limit reset; -1 none */
    char *last_error;          /* the latest retryable failure, for the final message */
    char custom_id[72];        /* --batch: sha256 of URL and body, the provider's custom_id */
    double submitted_at;
} rq;

struct eb_batch_state;

typedef struct remote {
    const eb_provider *prov;
    eb_engine eng;
    char *base_url;
    char *key;                 /* never printed: error texts are redacted */
    struct curl_slist *headers;
    eb_pricing *pricing;
    eb_remote_tuning tun;
    CURLM *multi;
    int epfd;                  /* epoll set of curl's sockets (socket_action interface) */
    double timer_at;           /* when curl wants CURL_SOCKET_TIMEOUT (monotonic ms) */
    bool https;

    rq *pending_head, *pending_tail;
    size_t n_pending, n_active;
    rq **active;               /* in flight (n_active of them) */
    size_t active_cap;

    eb_response *done;         /* finished responses not yet returned by poll */
    size_t done_head, done_len, done_cap;

    CURL **pool;               /* idle easy handles, reused for their buffers */
    size_t n_pool, pool_cap;

    int limit, max_limit;
    int ok_since_change;
    double last_decrease;
    uint64_t rng;

    char *fatal;               /* set once a fatal error was delivered */
    struct eb_batch_state *batch; /* --batch: provider batch APIs (batch.c) */
    eb_remote_stats stats;
} remote;

eb_response *eb_remote_push_done(remote *r);
void eb_remote_rq_free(rq *q);
/* One line naming provider and model; the key cut out. */
char *eb_remote_redact(const remote *r, const char *text);
/* Answers q with an error (and frees it); fatal also stops the engine. */
void eb_remote_deliver_error(remote *r, rq *q, bool fatal, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
double eb_remote_price_cost(const remote *r, const eb_response *resp);
double eb_remote_epoch_s(void);

/* batch.c */
int eb_batch_init(remote *r, const eb_engine_config *cfg, eb_err *err);
int eb_batch_submit(remote *r, rq *q, eb_err *err);
int eb_batch_poll(remote *r, int timeout_ms);
int eb_batch_capacity(remote *r);
void eb_batch_free(remote *r);

#endif
