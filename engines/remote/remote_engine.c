/* The remote engine: one libcurl multi handle per engine, driven from
 * poll() (see remote.h for why there is no background thread), with
 *   - a FIFO of queued requests, each with the time it may (re)start,
 *   - at most `limit` HTTP exchanges in flight, where limit is the configured
 *     concurrency lowered by 429/529 answers and raised again by successes
 *     (additive increase, multiplicative decrease),
 *   - retries only for retryable failures, waiting max(server hint, full
 *     jitter backoff),
 *   - exactly one eb_response per submitted request, whatever happens. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/time.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "fileio.h"
#include "pricing.h"
#include "remote.h"
#include "remote_core.h"
#include "remote_internal.h"
#include "retry.h"
#include "strutil.h"
#include "timeutil.h"

#define EB_REMOTE_VERSION "remote-1"
#define EB_REMOTE_DEFAULT_CONCURRENCY 8
#define EB_REMOTE_MAX_BODY (64L << 20)  /* a response larger than this is not an answer */


void eb_remote_default_tuning(eb_remote_tuning *t) {
    t->max_attempts = 8;
    t->backoff_base_ms = 1000;
    t->backoff_cap_ms = 60000;
    t->connect_timeout_ms = 10000;
    t->total_timeout_ms = 600000;
    t->stall_timeout_s = 120;
    t->decrease_window_ms = 1000;
    t->batch_poll_ms = 30000;
}

double eb_remote_epoch_s(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* ---- responses ---------------------------------------------------------- */

eb_response *eb_remote_push_done(remote *r) {
    if (r->done_head == r->done_len) r->done_head = r->done_len = 0;
    if (r->done_len == r->done_cap) {
        if (r->done_head > 0) {
            memmove(r->done, r->done + r->done_head, (r->done_len - r->done_head) * sizeof *r->done);
            r->done_len -= r->done_head;
            r->done_head = 0;
        } else {
            r->done_cap = r->done_cap ? r->done_cap * 2 : 64;
            r->done = eb_realloc(r->done, r->done_cap * sizeof *r->done);
        }
    }
    eb_response *resp = &r->done[r->done_len++];
    memset(resp, 0, sizeof *resp);
    resp->tokens_in = resp->tokens_out = resp->tokens_cached = -1;
    resp->cost_usd = -1;
    return resp;
}

void eb_remote_rq_free(rq *q) {
    free(q->url);
    free(q->body);
    for (size_t i = 0; i < q->info.n_stop; i++) free(q->info.stop[i]);
    free(q->info.stop);
    free(q->info.continuation_chars);
    eb_buf_free(&q->resp);
    free(q->request_id);
    free(q->last_error);
    free(q);
}

/* The provider's and server's words with the key cut out, in case a server
 * echoes it ("Incorrect API key provided: sk-...").  Also one line. */
char *eb_remote_redact(const remote *r, const char *text) {
    char *s = r->key && *r->key ? eb_replace_all(text, r->key, "***") : eb_strdup(text);
    for (char *p = s; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    return s;
}

void eb_remote_deliver_error(remote *r, rq *q, bool fatal, const char *fmt, ...) {
    char msg[1400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    eb_buf line = {0};
    eb_buf_printf(&line, "%s model %s: %s", r->prov->name, r->eng.model, msg);
    eb_response *resp = eb_remote_push_done(r);
    resp->id = q->id;
    resp->ok = false;
    resp->fatal = fatal;
    resp->error = eb_remote_redact(r, eb_buf_str(&line));
    if (q->request_id) resp->provider_request_id = eb_strdup(q->request_id);
    eb_buf_free(&line);
    r->stats.failed++;
    if (fatal && !r->fatal) r->fatal = eb_strdup(resp->error);
    eb_remote_rq_free(q);
}

/* ---- adaptive concurrency ----------------------------------------------- */

static void on_rate_limited(remote *r, double now) {
    r->stats.rate_limited++;
    if (now - r->last_decrease < r->tun.decrease_window_ms) return;
    r->last_decrease = now;
    r->ok_since_change = 0;
    int lowered = (int)floor(r->limit * 0.75);
    r->limit = lowered < 1 ? 1 : lowered;
    if (r->limit < r->stats.min_limit) r->stats.min_limit = r->limit;
}

static void on_success(remote *r) {
    if (r->limit >= r->max_limit) return;
    /* +1 after a quarter of the current limit succeeded in a row: back to
     * full speed within a few hundred answers, not thousands. */
    if (++r->ok_since_change >= (r->limit + 3) / 4) {
        r->limit++;
        r->ok_since_change = 0;
    }
}

/* ---- pending queue ------------------------------------------------------ */

static void pending_append(remote *r, rq *q) {
    q->next = NULL;
    if (r->pending_tail) r->pending_tail->next = q;
    else r->pending_head = q;
    r->pending_tail = q;
    r->n_pending++;
}

static void cancel_pending(remote *r) {
    while (r->pending_head) {
        rq *q = r->pending_head;
        r->pending_head = q->next;
        r->n_pending--;
        eb_remote_deliver_error(r, q, true, "not sent: the run is stopping after an earlier fatal error (%s)", r->fatal);
    }
    r->pending_tail = NULL;
}

/* ---- HTTP --------------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t n, void *ud) {
    rq *q = ud;
    size_t len = size * n;
    if (q->resp.len + len > (size_t)EB_REMOTE_MAX_BODY) return 0; /* aborts the transfer */
    eb_buf_append(&q->resp, data, len);
    return len;
}

static void set_header_value(char **dst, const char *v, size_t n) {
    free(*dst);
    *dst = eb_strndup(v, n);
}

static size_t on_header(char *data, size_t size, size_t n, void *ud) {
    rq *q = ud;
    size_t len = size * n;
    const char *colon = memchr(data, ':', len);
    if (!colon) return len;
    size_t nlen = (size_t)(colon - data);
    const char *v = colon + 1;
    size_t vlen = len - nlen - 1;
    while (vlen && (*v == ' ' || *v == '\t')) v++, vlen--;
    while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' ')) vlen--;
    char name[64], value[128];
    if (nlen >= sizeof name || vlen >= sizeof value) return len;
    for (size_t i = 0; i < nlen; i++) name[i] = (char)(data[i] >= 'A' && data[i] <= 'Z' ? data[i] + 32 : data[i]);
    name[nlen] = '\0';
    memcpy(value, v, vlen);
    value[vlen] = '\0';
    if (!strcmp(name, "retry-after-ms")) {
        double ms;
        if (eb_parse_double(value, &ms) && ms >= 0) q->retry_after_ms = fmax(q->retry_after_ms, ms);
    } else if (!strcmp(name, "retry-after")) {
        q->retry_after_ms = fmax(q->retry_after_ms, eb_parse_retry_after_ms(value, eb_remote_epoch_s()));
    } else if (!strcmp(name, "x-ratelimit-reset-requests") || !strcmp(name, "x-ratelimit-reset-tokens")) {
        q->reset_ms = fmax(q->reset_ms, eb_parse_duration_ms(value));
    } else if (eb_starts_with(name, "anthropic-ratelimit-") && eb_ends_with(name, "-reset")) {
        q->reset_ms = fmax(q->reset_ms, eb_parse_rfc3339_delay_ms(value, eb_remote_epoch_s()));
    } else if (!strcmp(name, "request-id") || !strcmp(name, "x-request-id")) {
        set_header_value(&q->request_id, value, vlen);
    }
    return len;
}

static CURL *take_easy(remote *r) {
    if (r->n_pool) return r->pool[--r->n_pool];
    CURL *e = curl_easy_init();
    if (!e) {
        fputs("evalbench: curl_easy_init failed (out of memory)\n", stderr);
        abort();
    }
    return e;
}

static void give_easy(remote *r, CURL *e) {
    curl_easy_reset(e);
    if (r->n_pool == r->pool_cap) {
        r->pool_cap = r->pool_cap ? r->pool_cap * 2 : 16;
        r->pool = eb_realloc(r->pool, r->pool_cap * sizeof *r->pool);
    }
    r->pool[r->n_pool++] = e;
}

static void start_attempt(remote *r, rq *q) {
    CURL *e = take_easy(r);
    q->easy = e;
    q->attempts++;
    q->started_at = eb_now_ms();
    eb_buf_reset(&q->resp);
    free(q->request_id);
    q->request_id = NULL;
    q->retry_after_ms = q->reset_ms = -1;
    q->errbuf[0] = '\0';
    curl_easy_setopt(e, CURLOPT_URL, q->url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, q->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, q);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, q);
    curl_easy_setopt(e, CURLOPT_PRIVATE, q);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, q->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    if (r->https) curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L); /* prefer multiplexing over new connections */
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, r->tun.connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, r->tun.total_timeout_ms);
    /* Stall detector: less than 1 byte/s for stall_timeout_s seconds. */
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, r->tun.stall_timeout_s);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "evalbench/" EB_REMOTE_VERSION);
    curl_multi_add_handle(r->multi, e);
    if (r->n_active == r->active_cap) {
        r->active_cap = r->active_cap ? r->active_cap * 2 : 16;
        r->active = eb_realloc(r->active, r->active_cap * sizeof *r->active);
    }
    q->active_index = r->n_active;
    r->active[r->n_active++] = q;
    r->stats.attempts++;
    if (q->attempts > 1) r->stats.retries++;
}

static void schedule_retry(remote *r, rq *q, double hint_ms, const char *why) {
    free(q->last_error);
    q->last_error = eb_remote_redact(r, why);
    if (r->fatal) {
        eb_remote_deliver_error(r, q, true, "not retried: the run is stopping after an earlier fatal error (%s)", r->fatal);
        return;
    }
    if (q->attempts >= r->tun.max_attempts) {
        eb_remote_deliver_error(r, q, false, "gave up after %d attempts; last error: %s", q->attempts, q->last_error);
        return;
    }
    double delay = eb_retry_backoff_ms(q->attempts - 1, r->tun.backoff_base_ms, r->tun.backoff_cap_ms, &r->rng);
    if (hint_ms > delay) {
        delay = hint_ms;
        if (hint_ms > r->stats.max_hint_ms) r->stats.max_hint_ms = hint_ms;
    }
    q->ready_at = eb_now_ms() + delay;
    pending_append(r, q);
}

double eb_remote_price_cost(const remote *r, const eb_response *resp) {
    eb_price price;
    if (eb_pricing_lookup(r->pricing, r->eng.model, &price) ||
        (resp->model_version && eb_pricing_lookup(r->pricing, resp->model_version, &price)))
        return eb_price_cost(&price, resp->tokens_in, resp->tokens_cached, resp->tokens_out);
    return -1;
}

static void handle_success(remote *r, rq *q, double latency_ms) {
    char *ctype = NULL;
    curl_easy_getinfo(q->easy, CURLINFO_CONTENT_TYPE, &ctype);
    char why[1200];
    if (!ctype || !strcasestr(ctype, "json")) {
        snprintf(why, sizeof why, "answer with content type '%s' instead of JSON", ctype ? ctype : "(none)");
        schedule_retry(r, q, -1, why);
        return;
    }
    cJSON *root = cJSON_ParseWithLength(eb_buf_str(&q->resp), q->resp.len);
    if (!root) {
        snprintf(why, sizeof why, "malformed JSON in a %zu-byte answer", q->resp.len);
        schedule_retry(r, q, -1, why);
        return;
    }
    eb_response tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.tokens_in = tmp.tokens_out = tmp.tokens_cached = -1;
    eb_err perr = {{0}};
    int rc = r->prov->parse(root, &q->info, &tmp, &perr);
    cJSON_Delete(root);
    if (rc != EB_PARSE_OK) {
        eb_response_clear(&tmp);
        if (rc == EB_PARSE_UNSUPPORTED) {
            eb_remote_deliver_error(r, q, true, "%s", perr.msg);
        } else {
            snprintf(why, sizeof why, "unusable answer: %s", perr.msg);
            schedule_retry(r, q, -1, why);
        }
        return;
    }
    eb_response *resp = eb_remote_push_done(r);
    *resp = tmp;
    resp->id = q->id;
    resp->ok = true;
    resp->latency_ms = latency_ms;
    /* The header request id is what provider support asks for. */
    if (q->request_id) {
        free(resp->provider_request_id);
        resp->provider_request_id = q->request_id;
        q->request_id = NULL;
    }
    resp->cost_usd = eb_remote_price_cost(r, resp);
    r->stats.succeeded++;
    on_success(r);
    eb_remote_rq_free(q);
}

static void handle_http_error(remote *r, rq *q, long status) {
    cJSON *root = cJSON_ParseWithLength(eb_buf_str(&q->resp), q->resp.len);
    eb_wire_error we;
    memset(&we, 0, sizeof we);
    we.retry_hint_ms = -1;
    if (root) r->prov->parse_error(status, root, &we);
    cJSON_Delete(root);
    if (!we.message[0]) {
        /* Not the provider's JSON (a proxy's page): quote its start. */
        size_t n = q->resp.len < 200 ? q->resp.len : 200;
        snprintf(we.message, sizeof we.message, "%.*s", (int)n, eb_buf_str(&q->resp));
    }
    char why[900];
    snprintf(why, sizeof why, "HTTP %ld%s%s: %s%s%s%s", status, we.type[0] ? " " : "", we.type, we.message,
             q->request_id ? " (request-id " : "", q->request_id ? q->request_id : "", q->request_id ? ")" : "");
    if (eb_retry_status_retryable(status) && !we.no_retry) {
        if (status == 429 || status == 529) on_rate_limited(r, eb_now_ms());
        double hint = fmax(q->retry_after_ms, we.retry_hint_ms);
        /* Without an explicit hint, a 429's rate-limit reset headers say when
         * the window refills (they can be far later than retry-after, which
         * takes precedence when both are present). */
        if (status == 429 && hint < 0) hint = q->reset_ms;
        schedule_retry(r, q, hint, why);
        return;
    }
    eb_remote_deliver_error(r, q, true, "%s", why);
}

static void finish_transfer(remote *r, CURL *e, CURLcode code) {
    rq *q = NULL;
    curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&q);
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    double latency = eb_now_ms() - q->started_at;
    curl_multi_remove_handle(r->multi, e);
    rq *last = r->active[--r->n_active];
    r->active[q->active_index] = last;
    last->active_index = q->active_index;
    if (code != CURLE_OK) {
        char why[600];
        snprintf(why, sizeof why, "transport error: %s%s%s", curl_easy_strerror(code), q->errbuf[0] ? ": " : "",
                 q->errbuf);
        q->easy = NULL;
        give_easy(r, e);
        if (eb_retry_curl_retryable(code)) schedule_retry(r, q, -1, why);
        else eb_remote_deliver_error(r, q, true, "%s", why);
        return;
    }
    if (status >= 200 && status < 300) handle_success(r, q, latency);
    else handle_http_error(r, q, status);
    /* q may be freed now; e is ours again either way. */
    give_easy(r, e);
}

/* Starts every pending request that is due, in order, while the limit
 * allows.  Returns the earliest future start time (or INFINITY). */
static double start_due(remote *r) {
    double now = eb_now_ms(), next = INFINITY;
    rq *prev = NULL, *q = r->pending_head;
    while (q && r->n_active < (size_t)r->limit) {
        rq *nx = q->next;
        if (q->ready_at <= now) {
            if (prev) prev->next = nx;
            else r->pending_head = nx;
            if (r->pending_tail == q) r->pending_tail = prev;
            r->n_pending--;
            start_attempt(r, q);
        } else {
            if (q->ready_at < next) next = q->ready_at;
            prev = q;
        }
        q = nx;
    }
    for (; q; q = q->next)
        if (q->ready_at < next) next = q->ready_at;
    return next;
}

/* curl tells which sockets to watch for what; they live in an epoll set so
 * that each wake-up costs in proportion to the sockets that are ready, not
 * to the number of transfers in flight (curl_multi_perform walks all). */
static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp) {
    (void)easy;
    remote *r = userp;
    if (what == CURL_POLL_REMOVE) {
        if (socketp) epoll_ctl(r->epfd, EPOLL_CTL_DEL, s, NULL);
        curl_multi_assign(r->multi, s, NULL);
        return 0;
    }
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.data.fd = s;
    ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
    int op = socketp ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(r->epfd, op, s, &ev) != 0) {
        /* A reused descriptor number, or one closed behind our back. */
        if (errno == EEXIST) epoll_ctl(r->epfd, EPOLL_CTL_MOD, s, &ev);
        else if (errno == ENOENT) epoll_ctl(r->epfd, EPOLL_CTL_ADD, s, &ev);
    }
    if (!socketp) curl_multi_assign(r->multi, s, r); /* any non-NULL marks "in the set" */
    return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp) {
    (void)multi;
    remote *r = userp;
    r->timer_at = timeout_ms < 0 ? INFINITY : eb_now_ms() + (double)timeout_ms;
    return 0;
}

/* Waits up to wait_ms for socket activity or curl's timer, lets curl act,
 * and hands finished transfers to finish_transfer. */
static void service(remote *r, double wait_ms) {
    double now = eb_now_ms();
    if (r->timer_at <= now) wait_ms = 0;
    else if (r->timer_at - now < wait_ms) wait_ms = r->timer_at - now;
    struct epoll_event evs[128];
    int n = epoll_wait(r->epfd, evs, 128, (int)ceil(wait_ms));
    int running;
    for (int i = 0; i < n; i++) {
        int mask = 0;
        if (evs[i].events & EPOLLIN) mask |= CURL_CSELECT_IN;
        if (evs[i].events & EPOLLOUT) mask |= CURL_CSELECT_OUT;
        if (evs[i].events & (EPOLLERR | EPOLLHUP)) mask |= CURL_CSELECT_ERR;
        curl_multi_socket_action(r->multi, evs[i].data.fd, mask, &running);
    }
    if (r->timer_at <= eb_now_ms()) {
        r->timer_at = INFINITY;
        curl_multi_socket_action(r->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(r->multi, &left)) != NULL)
        if (m->msg == CURLMSG_DONE) finish_transfer(r, m->easy_handle, m->data.result);
    if (r->fatal) cancel_pending(r);
}

/* ---- engine operations --------------------------------------------------- */

static int remote_submit(eb_engine *e, const eb_request *req, eb_err *err) {
    remote *r = e->impl;
    if (r->fatal) return eb_err_set(err, "%s", r->fatal);
    if (req->n_continuations > 0 && !r->prov->supports_loglik)
        return eb_err_set(err, "%s model %s: log-likelihood requests are not supported by this API", r->prov->name,
                          e->model);
    eb_buf url = {0}, body = {0};
    if (r->prov->build(r->base_url, e->model, req, &url, &body, err)) {
        eb_buf_free(&url);
        eb_buf_free(&body);
        return -1;
    }
    rq *q = eb_calloc(1, sizeof *q);
    q->id = req->id;
    q->body_len = body.len;
    q->url = eb_buf_take(&url);
    q->body = eb_buf_take(&body);
    if (req->n_stop) {
        q->info.stop = eb_calloc(req->n_stop, sizeof *q->info.stop);
        for (size_t i = 0; i < req->n_stop; i++) q->info.stop[i] = eb_strdup(req->stop[i] ? req->stop[i] : "");
        q->info.n_stop = req->n_stop;
    }
    if (req->n_continuations) {
        q->info.loglik = true;
        q->info.context_chars = eb_wire_utf8_chars(req->prompt ? req->prompt : "");
        q->info.n_continuations = req->n_continuations;
        q->info.continuation_chars = eb_calloc(req->n_continuations, sizeof *q->info.continuation_chars);
        for (size_t i = 0; i < req->n_continuations; i++)
            q->info.continuation_chars[i] = eb_wire_utf8_chars(req->continuations[i]);
    }
    q->ready_at = 0;
    q->submitted_at = eb_now_ms();
    if (r->batch) return eb_batch_submit(r, q, err);
    pending_append(r, q);
    return 0;
}

static int take_done(remote *r, eb_response *out, int max) {
    int n = 0;
    while (n < max && r->done_head < r->done_len) out[n++] = r->done[r->done_head++];
    return n;
}

static int remote_poll(eb_engine *e, eb_response *out, int max, int timeout_ms, eb_err *err) {
    (void)err;
    remote *r = e->impl;
    if (max <= 0) return 0;
    if (r->batch) {
        if (r->done_head == r->done_len) eb_batch_poll(r, timeout_ms);
        return take_done(r, out, max);
    }
    double deadline = eb_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    bool serviced = false;
    for (;;) {
        double next_start = start_due(r);
        if (r->done_head < r->done_len) break;
        if (r->n_active == 0 && r->n_pending == 0) break;
        double now = eb_now_ms();
        if (serviced && now >= deadline) break;
        double wait = fmax(0, deadline - now);
        if (r->n_active < (size_t)r->limit && next_start - now < wait) wait = fmax(0, next_start - now);
        service(r, wait);
        serviced = true;
    }
    return take_done(r, out, max);
}

static int remote_capacity(eb_engine *e) {
    remote *r = e->impl;
    if (r->fatal) return 0;
    if (r->batch) return eb_batch_capacity(r);
    long cap = (long)r->limit - (long)(r->n_active + r->n_pending);
    return cap > 0 ? (int)cap : 0;
}

static void remote_destroy(eb_engine *e) {
    remote *r = e->impl;
    /* In-flight requests are abandoned (the runner stops polling only when
     * it is done or giving up); their responses are simply never stored. */
    for (size_t i = 0; i < r->n_active; i++) {
        rq *q = r->active[i];
        curl_multi_remove_handle(r->multi, q->easy);
        curl_easy_cleanup(q->easy);
        eb_remote_rq_free(q);
    }
    free(r->active);
    while (r->pending_head) {
        rq *q = r->pending_head;
        r->pending_head = q->next;
        eb_remote_rq_free(q);
    }
    eb_batch_free(r);
    for (size_t i = r->done_head; i < r->done_len; i++) eb_response_clear(&r->done[i]);
    free(r->done);
    for (size_t i = 0; i < r->n_pool; i++) curl_easy_cleanup(r->pool[i]);
    free(r->pool);
    if (r->multi) curl_multi_cleanup(r->multi);
    if (r->epfd >= 0) close(r->epfd);
    curl_slist_free_all(r->headers);
    eb_pricing_free(r->pricing);
    free(r->base_url);
    if (r->key) {
        memset(r->key, 0, strlen(r->key));
        free(r->key);
    }
    free(r->fatal);
    free(r->eng.version);
    free(r->eng.identity);
    free(r->eng.model);
    free(r);
}

static const eb_engine_ops remote_ops = {
    .submit = remote_submit,
    .poll = remote_poll,
    .capacity = remote_capacity,
    .destroy = remote_destroy,
};

void eb_remote_get_stats(const eb_engine *e, eb_remote_stats *out) {
    const remote *r = e->impl;
    *out = r->stats;
    out->limit = r->limit;
    out->max_limit = r->max_limit;
}

/* ---- creation ------------------------------------------------------------ */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static const eb_provider *find_provider(const char *name) {
    if (!strcmp(name, "anthropic")) return &eb_provider_anthropic;
    if (!strcmp(name, "openai")) return &eb_provider_openai;
    if (!strcmp(name, "gemini")) return &eb_provider_gemini;
    return NULL;
}

int eb_remote_create(const char *provider, const eb_engine_config *cfg, const eb_remote_tuning *tuning,
                     eb_engine **out, eb_err *err) {
    const eb_provider *prov = find_provider(provider);
    if (!prov) return eb_err_set(err, "unknown remote provider '%s'", provider);
    if (!cfg->model || !*cfg->model)
        return eb_err_set(err, "engine %s: --model is required (e.g. the provider's model id)", provider);
    if (cfg->batch && prov == &eb_provider_gemini)
        return eb_err_set(err, "engine gemini: --batch is offered for the anthropic and openai engines only");
    const char *key = getenv(prov->key_env);
    bool custom_base = cfg->base_url && *cfg->base_url;
    /* Self-hosted OpenAI-compatible servers often need no key. */
    if ((!key || !*key) && !(custom_base && prov == &eb_provider_openai))
        return eb_err_set(err, "engine %s: %s is not set in the environment", provider, prov->key_env);
    const char *base = custom_base ? cfg->base_url : prov->default_base_url;
    if (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0)
        return eb_err_set(err, "engine %s: --base-url '%s' must start with http:// or https://", provider, base);

    eb_pricing *pricing = NULL;
    if (cfg->pricing_file ? eb_pricing_load(cfg->pricing_file, &pricing, err) : eb_pricing_load_default(&pricing, err))
        return -1;

    pthread_once(&curl_once, curl_init_once);
    remote *r = eb_calloc(1, sizeof *r);
    r->epfd = -1;
    r->prov = prov;
    if (tuning) r->tun = *tuning;
    else eb_remote_default_tuning(&r->tun);
    r->base_url = eb_strdup(base);
    r->https = strncmp(base, "https://", 8) == 0;
    r->key = key && *key ? eb_strdup(key) : NULL;
    r->headers = prov->headers(r->key);
    r->headers = curl_slist_append(r->headers, "Content-Type: application/json");
    r->headers = curl_slist_append(r->headers, "Expect:"); /* no 100-continue round trip */
    r->pricing = pricing;
    r->max_limit = cfg->concurrency > 0 ? cfg->concurrency : EB_REMOTE_DEFAULT_CONCURRENCY;
    r->limit = r->max_limit;
    r->stats.min_limit = r->limit;
    r->last_decrease = -1e18;
    r->rng = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull ^ (uint64_t)(eb_remote_epoch_s() * 1e6);
    r->multi = curl_multi_init();
    if (!r->multi) {
        remote_destroy(&r->eng);
        return eb_err_set(err, "engine %s: curl_multi_init failed", provider);
    }
    r->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (r->epfd < 0) {
        remote_destroy(&r->eng);
        return eb_err_set(err, "engine %s: epoll_create1: %s", provider, strerror(errno));
    }
    r->timer_at = INFINITY;
    curl_multi_setopt(r->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(r->multi, CURLMOPT_SOCKETDATA, r);
    curl_multi_setopt(r->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(r->multi, CURLMOPT_TIMERDATA, r);
    curl_multi_setopt(r->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    curl_multi_setopt(r->multi, CURLMOPT_MAXCONNECTS, (long)r->max_limit + 8);
    r->eng.ops = &remote_ops;
    r->eng.name = prov->name;
    r->eng.version = eb_strdup(EB_REMOTE_VERSION);
    r->eng.model = eb_strdup(cfg->model);
    /* the same model name on another server (a local vLLM, a proxy) is
     * another answerer */
    {
        size_t n = strlen(prov->name) + strlen(base) + 2;
        r->eng.identity = eb_malloc(n);
        snprintf(r->eng.identity, n, "%s %s", prov->name, base);
    }
    r->eng.quantization = NULL;
    r->eng.supports_loglik = prov->supports_loglik;
    r->eng.chat_default = true;
    eb_price list_price;
    if (pricing && eb_pricing_lookup(pricing, cfg->model, &list_price)) {
        /* Recorded with the run so reports can print the price table. */
        r->eng.has_price = true;
        r->eng.price_in_per_mtok = list_price.input;
        r->eng.price_out_per_mtok = list_price.output;
    }
    r->eng.impl = r;
    if (cfg->batch && eb_batch_init(r, cfg, err)) {
        remote_destroy(&r->eng);
        return -1;
    }
    *out = &r->eng;
    return 0;
}

int eb_anthropic_create(const eb_engine_config *cfg, eb_engine **out, eb_err *err) {
    return eb_remote_create("anthropic", cfg, NULL, out, err);
}
int eb_openai_create(const eb_engine_config *cfg, eb_engine **out, eb_err *err) {
    return eb_remote_create("openai", cfg, NULL, out, err);
}
int eb_gemini_create(const eb_engine_config *cfg, eb_engine **out, eb_err *err) {
    return eb_remote_create("gemini", cfg, NULL, out, err);
}
