/* --batch: the providers' batch APIs (half price, answers within 24 h).
 *
 *   anthropic  POST /v1/messages/batches {"requests":[{custom_id, params}]},
 *              GET  /v1/messages/batches/{id} until processing_status "ended",
 *              GET  its results_url (JSONL, one {custom_id, result} per line)
 *   openai     POST /files (multipart, purpose=batch, JSONL of
 *              {custom_id, method, url, body}), POST /batches, GET
 *              /batches/{id} until completed/expired/failed/cancelled,
 *              GET /files/{output_file_id and error_file_id}/content
 *
 * Requests submitted between two polls become one batch.  A request's
 * custom_id is the sha256 of its URL and body, so the same request gets the
 * same id after a restart.  Every batch's id and custom_ids are stored in
 * the results database (engine_state, committed at once) before anything
 * else happens: a resumed run that submits a request already in a stored
 * batch waits for that batch instead of paying for the request again, and
 * results of an ended batch are simply downloaded again.
 *
 * The few HTTP calls of this mode are blocking calls on one easy handle,
 * made from poll(); the runner must allow many requests in flight
 * (--concurrency) since each poll turns what was submitted into one batch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "error.h"
#include "jsonutil.h"
#include "remote_core.h"
#include "retry.h"
#include "sha256.h"
#include "strutil.h"
#include "timeutil.h"

#define BATCH_MAX_REQUESTS 50000 /* OpenAI's limit; Anthropic allows 100,000 */
#define BATCH_PRICE_FACTOR 0.5
#define STATE_INDEX_KEY "remote.batches"

typedef struct bjob {
    char *id;
    char **cids;      /* sorted */
    size_t n;
    bool ended;
    double next_check;
} bjob;

typedef struct eb_batch_state {
    struct eb_results_db *db;
    long run_id;
    /* The runner fills db and run_id in after creating the engine (see
     * engine.h); the stored batch ids are then loaded on first use. */
    const eb_engine_config *cfg;
    bool state_loaded;
    CURL *easy;
    struct curl_slist *auth;   /* authentication headers only */
    struct curl_slist *json;   /* plus Content-Type: application/json */
    bjob *jobs;
    size_t n_jobs;
    rq **unsent;
    size_t n_unsent, cap_unsent;
    rq **waiting;              /* attached to a job, in no particular order */
    size_t n_waiting, cap_waiting;
    bool *taken;               /* while reading results: answered already */
    char **keys;               /* while reading results: copies of the waiting ids */
    double create_not_before;
    int create_failures;
} eb_batch_state;

static bool is_anthropic(const remote *r) { return r->prov == &eb_provider_anthropic; }

static void push_rq(rq ***v, size_t *n, size_t *cap, rq *q) {
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *v = eb_realloc(*v, *cap * sizeof **v);
    }
    (*v)[(*n)++] = q;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool job_has(const bjob *j, const char *cid) {
    return bsearch(&cid, j->cids, j->n, sizeof *j->cids, cmp_str) != NULL;
}

/* ---- HTTP (blocking, few calls) ------------------------------------------ */

static size_t collect(char *d, size_t s, size_t n, void *ud) {
    eb_buf_append(ud, d, s * n);
    return s * n;
}

/* Returns the HTTP status, or 0 with why set on a transport failure. */
static long http(remote *r, const char *url, struct curl_slist *h, const char *body, curl_mime *mime, eb_buf *out,
                 char *why, size_t why_len) {
    eb_batch_state *b = r->batch;
    CURL *e = b->easy;
    curl_easy_reset(e);
    eb_buf_reset(out);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L); /* results downloads may redirect */
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, r->tun.connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, r->tun.total_timeout_ms);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "evalbench/remote-1");
    if (mime) curl_easy_setopt(e, CURLOPT_MIMEPOST, mime);
    else if (body) curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    CURLcode rc = curl_easy_perform(e);
    if (rc != CURLE_OK) {
        snprintf(why, why_len, "transport error: %s", curl_easy_strerror(rc));
        return 0;
    }
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status >= 300) {
        cJSON *root = cJSON_ParseWithLength(eb_buf_str(out), out->len);
        eb_wire_error we;
        memset(&we, 0, sizeof we);
        if (root) r->prov->parse_error(status, root, &we);
        cJSON_Delete(root);
        if (!we.message[0]) snprintf(we.message, sizeof we.message, "%.200s", eb_buf_str(out));
        snprintf(why, why_len, "HTTP %ld%s%s: %s", status, we.type[0] ? " " : "", we.type, we.message);
    }
    return status;
}

static void url_of(const remote *r, eb_buf *u, const char *path) { eb_wire_url(u, r->base_url, path); }

/* ---- engine state --------------------------------------------------------- */

static void add_job(eb_batch_state *b, const char *id, char **cids, size_t n) {
    b->jobs = eb_realloc(b->jobs, (b->n_jobs + 1) * sizeof *b->jobs);
    qsort(cids, n, sizeof *cids, cmp_str);
    b->jobs[b->n_jobs++] = (bjob){.id = eb_strdup(id), .cids = cids, .n = n, .ended = false, .next_check = 0};
}

static int load_state(remote *r, eb_err *err) {
    eb_batch_state *b = r->batch;
    if (!b->db) return 0;
    char *index = NULL;
    int found = eb_db_state_get(b->db, b->run_id, STATE_INDEX_KEY, &index, err);
    if (found < 0) return -1;
    if (!found) return 0;
    cJSON *ids = cJSON_Parse(index);
    free(index);
    const cJSON *id;
    cJSON_ArrayForEach(id, ids) {
        if (!cJSON_IsString(id)) continue;
        char key[256], *value = NULL;
        snprintf(key, sizeof key, "remote.batch.%s", id->valuestring);
        if (eb_db_state_get(b->db, b->run_id, key, &value, err) != 1) {
            free(value);
            continue;
        }
        cJSON *v = cJSON_Parse(value);
        free(value);
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(v, "custom_ids");
        size_t n = (size_t)cJSON_GetArraySize(list), k = 0;
        char **cids = eb_calloc(n ? n : 1, sizeof *cids);
        const cJSON *c;
        cJSON_ArrayForEach(c, list) if (cJSON_IsString(c)) cids[k++] = eb_strdup(c->valuestring);
        add_job(b, id->valuestring, cids, k);
        cJSON_Delete(v);
    }
    cJSON_Delete(ids);
    return 0;
}

static int save_job(remote *r, const bjob *j, eb_err *err) {
    eb_batch_state *b = r->batch;
    if (!b->db) return 0;
    cJSON *v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "provider", r->prov->name);
    cJSON *list = cJSON_AddArrayToObject(v, "custom_ids");
    for (size_t i = 0; i < j->n; i++) cJSON_AddItemToArray(list, cJSON_CreateString(j->cids[i]));
    char *value = cJSON_PrintUnformatted(v);
    cJSON_Delete(v);
    char key[256];
    snprintf(key, sizeof key, "remote.batch.%s", j->id);
    int rc = eb_db_state_set(b->db, b->run_id, key, value, err);
    cJSON_free(value);
    if (rc) return -1;
    cJSON *ids = cJSON_CreateArray();
    for (size_t i = 0; i < b->n_jobs; i++) cJSON_AddItemToArray(ids, cJSON_CreateString(b->jobs[i].id));
    char *index = cJSON_PrintUnformatted(ids);
    cJSON_Delete(ids);
    rc = eb_db_state_set(b->db, b->run_id, STATE_INDEX_KEY, index, err);
    cJSON_free(index);
    return rc;
}

/* ---- creating a batch ----------------------------------------------------- */

/* The request's path below the base URL, as OpenAI's batch lines want it. */
static const char *rq_path(const remote *r, const rq *q) {
    size_t n = strlen(r->base_url);
    while (n > 0 && r->base_url[n - 1] == '/') n--;
    return q->url + n;
}

static char *create_anthropic(remote *r, rq **qs, size_t n, char *why, size_t why_len) {
    cJSON *root = cJSON_CreateObject();
    cJSON *reqs = cJSON_AddArrayToObject(root, "requests");
    for (size_t i = 0; i < n; i++) {
        cJSON *one = cJSON_CreateObject();
        cJSON_AddStringToObject(one, "custom_id", qs[i]->custom_id);
        cJSON_AddItemToObject(one, "params", cJSON_Parse(qs[i]->body));
        cJSON_AddItemToArray(reqs, one);
    }
    char *body = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    eb_buf u = {0}, out = {0};
    url_of(r, &u, "/v1/messages/batches");
    long st = http(r, eb_buf_str(&u), r->batch->json, body, NULL, &out, why, why_len);
    cJSON_free(body);
    eb_buf_free(&u);
    char *id = NULL;
    if (st >= 200 && st < 300) {
        cJSON *j = cJSON_Parse(eb_buf_str(&out));
        id = eb_wire_strdup_opt(j, "id");
        if (!id) snprintf(why, why_len, "batch creation answered without an id");
        cJSON_Delete(j);
    }
    eb_buf_free(&out);
    return id;
}

static char *create_openai(remote *r, rq **qs, size_t n, char *why, size_t why_len) {
    eb_buf jsonl = {0};
    for (size_t i = 0; i < n; i++) {
        cJSON *line = cJSON_CreateObject();
        cJSON_AddStringToObject(line, "custom_id", qs[i]->custom_id);
        cJSON_AddStringToObject(line, "method", "POST");
        eb_buf path = {0};
        eb_buf_printf(&path, "/v1%s", rq_path(r, qs[i]));
        cJSON_AddStringToObject(line, "url", eb_buf_str(&path));
        eb_buf_free(&path);
        cJSON_AddItemToObject(line, "body", cJSON_Parse(qs[i]->body));
        char *s = cJSON_PrintUnformatted(line);
        cJSON_Delete(line);
        eb_buf_puts(&jsonl, s);
        eb_buf_putc(&jsonl, '\n');
        cJSON_free(s);
    }
    curl_mime *mime = curl_mime_init(r->batch->easy);
    curl_mimepart *part = curl_mime_addpart(mime);
    curl_mime_name(part, "purpose");
    curl_mime_data(part, "batch", CURL_ZERO_TERMINATED);
    part = curl_mime_addpart(mime);
    curl_mime_name(part, "file");
    curl_mime_filename(part, "evalbench-batch.jsonl");
    curl_mime_type(part, "application/jsonl");
    curl_mime_data(part, eb_buf_str(&jsonl), jsonl.len);
    eb_buf u = {0}, out = {0};
    url_of(r, &u, "/files");
    long st = http(r, eb_buf_str(&u), r->batch->auth, NULL, mime, &out, why, why_len);
    curl_mime_free(mime);
    eb_buf_free(&jsonl);
    char *file_id = NULL, *id = NULL;
    if (st >= 200 && st < 300) {
        cJSON *j = cJSON_Parse(eb_buf_str(&out));
        file_id = eb_wire_strdup_opt(j, "id");
        cJSON_Delete(j);
        if (!file_id) snprintf(why, why_len, "file upload answered without an id");
    }
    if (file_id) {
        cJSON *req = cJSON_CreateObject();
        cJSON_AddStringToObject(req, "input_file_id", file_id);
        eb_buf path = {0};
        eb_buf_printf(&path, "/v1%s", rq_path(r, qs[0]));
        cJSON_AddStringToObject(req, "endpoint", eb_buf_str(&path));
        eb_buf_free(&path);
        cJSON_AddStringToObject(req, "completion_window", "24h");
        char *body = cJSON_PrintUnformatted(req);
        cJSON_Delete(req);
        eb_buf_reset(&u);
        url_of(r, &u, "/batches");
        st = http(r, eb_buf_str(&u), r->batch->json, body, NULL, &out, why, why_len);
        cJSON_free(body);
        if (st >= 200 && st < 300) {
            cJSON *j = cJSON_Parse(eb_buf_str(&out));
            id = eb_wire_strdup_opt(j, "id");
            cJSON_Delete(j);
            if (!id) snprintf(why, why_len, "batch creation answered without an id");
        }
    }
    free(file_id);
    eb_buf_free(&u);
    eb_buf_free(&out);
    return id;
}

static void create_batch(remote *r) {
    eb_batch_state *b = r->batch;
    if (b->n_unsent == 0 || eb_now_ms() < b->create_not_before) return;
    size_t n = b->n_unsent < BATCH_MAX_REQUESTS ? b->n_unsent : BATCH_MAX_REQUESTS;
    char why[1024] = "";
    char *id = is_anthropic(r) ? create_anthropic(r, b->unsent, n, why, sizeof why)
                               : create_openai(r, b->unsent, n, why, sizeof why);
    if (!id) {
        long status = 0;
        sscanf(why, "HTTP %ld", &status);
        bool retry = status == 0 || eb_retry_status_retryable(status);
        if (retry && ++b->create_failures < r->tun.max_attempts) {
            b->create_not_before =
                eb_now_ms() + eb_retry_backoff_ms(b->create_failures - 1, r->tun.backoff_base_ms, r->tun.backoff_cap_ms,
                                                  &r->rng);
            return;
        }
        for (size_t i = 0; i < b->n_unsent; i++)
            eb_remote_deliver_error(r, b->unsent[i], true, "creating a batch: %s", why);
        b->n_unsent = 0;
        return;
    }
    b->create_failures = 0;
    char **cids = eb_malloc(n * sizeof *cids);
    for (size_t i = 0; i < n; i++) cids[i] = eb_strdup(b->unsent[i]->custom_id);
    add_job(b, id, cids, n);
    eb_err err = {{0}};
    if (save_job(r, &b->jobs[b->n_jobs - 1], &err))
        fprintf(stderr, "evalbench: %s batch %s could not be recorded for resuming: %s\n", r->prov->name, id,
                err.msg);
    free(id);
    for (size_t i = 0; i < n; i++) push_rq(&b->waiting, &b->n_waiting, &b->cap_waiting, b->unsent[i]);
    memmove(b->unsent, b->unsent + n, (b->n_unsent - n) * sizeof *b->unsent);
    b->n_unsent -= n;
}

/* ---- results -------------------------------------------------------------- */

static int cmp_rq(const void *a, const void *b) {
    return strcmp((*(rq *const *)a)->custom_id, (*(rq *const *)b)->custom_id);
}

/* Returns the waiting request with this custom_id and marks it taken (the
 * waiting array stays sorted and intact until the whole file is read; the
 * caller sorts it first and compacts it after). */
static rq *take_waiting(eb_batch_state *b, const char *cid) {
    /* Searched through copies of the ids: answered requests are freed
     * while the file is still being read. */
    char **hit = bsearch(&cid, b->keys, b->n_waiting, sizeof *b->keys, cmp_str);
    if (!hit) return NULL;
    size_t i = (size_t)(hit - b->keys);
    if (b->taken[i]) return NULL;
    b->taken[i] = true;
    return b->waiting[i];
}

static void deliver_ok(remote *r, rq *q, const cJSON *body, const char *request_id) {
    eb_response tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.tokens_in = tmp.tokens_out = tmp.tokens_cached = -1;
    eb_err perr = {{0}};
    int rc = r->prov->parse(body, &q->info, &tmp, &perr);
    if (rc != EB_PARSE_OK) {
        eb_response_clear(&tmp);
        eb_remote_deliver_error(r, q, false, "unusable batch answer: %s", perr.msg);
        return;
    }
    eb_response *resp = eb_remote_push_done(r);
    *resp = tmp;
    resp->id = q->id;
    resp->ok = true;
    resp->latency_ms = eb_now_ms() - q->submitted_at;
    if (request_id) {
        free(resp->provider_request_id);
        resp->provider_request_id = eb_strdup(request_id);
    }
    double cost = eb_remote_price_cost(r, resp);
    resp->cost_usd = cost >= 0 ? cost * BATCH_PRICE_FACTOR : -1;
    r->stats.succeeded++;
    eb_remote_rq_free(q);
}

static void deliver_failed(remote *r, rq *q, long status, const cJSON *error_body) {
    eb_wire_error we;
    memset(&we, 0, sizeof we);
    if (error_body) r->prov->parse_error(status, error_body, &we);
    bool fatal = status == 400 || status == 401 || status == 403 || status == 404 || status == 413 ||
                 status == 422 || !strcmp(we.type, "invalid_request_error") ||
                 !strcmp(we.type, "authentication_error") || !strcmp(we.type, "permission_error") ||
                 !strcmp(we.type, "not_found_error");
    eb_remote_deliver_error(r, q, fatal, "in batch: %s%s%s", we.type, we.type[0] ? ": " : "",
                            we.message[0] ? we.message : "request failed");
}

/* One JSONL line of results. */
static void result_line(remote *r, const cJSON *line) {
    eb_batch_state *b = r->batch;
    const char *cid = eb_json_str_opt(line, "custom_id");
    if (!cid) return;
    rq *q = take_waiting(b, cid);
    if (!q) return; /* answered in an earlier life of the run, or never asked again */
    if (is_anthropic(r)) {
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(line, "result");
        const char *type = eb_json_str_opt(res, "type");
        if (type && !strcmp(type, "succeeded")) {
            deliver_ok(r, q, cJSON_GetObjectItemCaseSensitive(res, "message"), NULL);
        } else if (type && !strcmp(type, "errored")) {
            deliver_failed(r, q, 0, cJSON_GetObjectItemCaseSensitive(res, "error"));
        } else {
            eb_remote_deliver_error(r, q, false, "batch request %s", type ? type : "without a result");
        }
        return;
    }
    const cJSON *resp = cJSON_GetObjectItemCaseSensitive(line, "response");
    long status = eb_wire_long(resp, "status_code");
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(resp, "body");
    if (status >= 200 && status < 300 && cJSON_IsObject(body)) {
        deliver_ok(r, q, body, eb_json_str_opt(resp, "request_id"));
    } else if (cJSON_IsObject(body)) {
        deliver_failed(r, q, status, body);
    } else {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(line, "error");
        eb_remote_deliver_error(r, q, false, "in batch: %s", eb_json_str_opt(e, "message") ? eb_json_str_opt(e, "message")
                                                                                           : "request failed");
    }
}

static int fetch_results(remote *r, const char *url, char *why, size_t why_len) {
    eb_buf out = {0};
    long st = http(r, url, r->batch->auth, NULL, NULL, &out, why, why_len);
    if (st < 200 || st >= 300) {
        eb_buf_free(&out);
        return -1;
    }
    eb_batch_state *b = r->batch;
    qsort(b->waiting, b->n_waiting, sizeof *b->waiting, cmp_rq);
    b->taken = eb_calloc(b->n_waiting ? b->n_waiting : 1, sizeof *b->taken);
    b->keys = eb_calloc(b->n_waiting ? b->n_waiting : 1, sizeof *b->keys);
    for (size_t i = 0; i < b->n_waiting; i++) b->keys[i] = eb_strdup(b->waiting[i]->custom_id);
    char *p = out.data;
    while (p && *p) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = '\0';
        cJSON *line = cJSON_Parse(p);
        if (line) result_line(r, line);
        cJSON_Delete(line);
        p = nl ? nl + 1 : NULL;
    }
    eb_buf_free(&out);
    size_t k = 0;
    for (size_t i = 0; i < b->n_waiting; i++) {
        free(b->keys[i]);
        if (!b->taken[i]) b->waiting[k++] = b->waiting[i];
    }
    free(b->keys);
    b->keys = NULL;
    b->n_waiting = k;
    free(b->taken);
    b->taken = NULL;
    return 0;
}

/* Requests of an ended batch that its results did not mention. */
static void fail_missing(remote *r, const bjob *j, const char *status) {
    eb_batch_state *b = r->batch;
    size_t k = 0;
    for (size_t i = 0; i < b->n_waiting; i++) {
        rq *q = b->waiting[i];
        if (job_has(j, q->custom_id))
            eb_remote_deliver_error(r, q, false, "batch %s ended (%s) without an answer for this request", j->id,
                                    status);
        else
            b->waiting[k++] = q;
    }
    b->n_waiting = k;
}

static void check_job(remote *r, bjob *j) {
    char why[1024] = "";
    eb_buf u = {0}, out = {0};
    if (is_anthropic(r)) {
        eb_buf_printf(&u, "/v1/messages/batches/%s", j->id);
    } else {
        eb_buf_printf(&u, "/batches/%s", j->id);
    }
    eb_buf full = {0};
    url_of(r, &full, eb_buf_str(&u));
    long st = http(r, eb_buf_str(&full), r->batch->auth, NULL, NULL, &out, why, sizeof why);
    eb_buf_free(&u);
    eb_buf_free(&full);
    j->next_check = eb_now_ms() + r->tun.batch_poll_ms;
    if (st == 404) { /* gone (deleted or expired long ago): its requests are sent again */
        j->ended = true;
        fail_missing(r, j, "not found");
    }
    if (st < 200 || st >= 300) {
        eb_buf_free(&out);
        return; /* transient: ask again at the next check */
    }
    cJSON *root = cJSON_Parse(eb_buf_str(&out));
    eb_buf_free(&out);
    if (is_anthropic(r)) {
        const char *ps = eb_json_str_opt(root, "processing_status");
        const char *results = eb_json_str_opt(root, "results_url");
        if (ps && !strcmp(ps, "ended") && results && fetch_results(r, results, why, sizeof why) == 0) {
            j->ended = true;
            fail_missing(r, j, "ended");
        }
    } else {
        const char *status = eb_json_str_opt(root, "status");
        bool over = status && (!strcmp(status, "completed") || !strcmp(status, "expired") ||
                               !strcmp(status, "cancelled") || !strcmp(status, "failed"));
        if (over) {
            bool ok = true;
            const char *files[] = {eb_json_str_opt(root, "output_file_id"), eb_json_str_opt(root, "error_file_id")};
            for (int f = 0; f < 2; f++) {
                if (!files[f]) continue;
                eb_buf path = {0}, url = {0};
                eb_buf_printf(&path, "/files/%s/content", files[f]);
                url_of(r, &url, eb_buf_str(&path));
                if (fetch_results(r, eb_buf_str(&url), why, sizeof why)) ok = false;
                eb_buf_free(&path);
                eb_buf_free(&url);
            }
            if (ok) {
                j->ended = true;
                if (!strcmp(status, "failed")) {
                    /* Validation failed: the request format is wrong, stop. */
                    const cJSON *errs = cJSON_GetObjectItemCaseSensitive(root, "errors");
                    const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(errs, "data"), 0);
                    const char *msg = eb_json_str_opt(first, "message");
                    eb_batch_state *b = r->batch;
                    size_t k = 0;
                    for (size_t i = 0; i < b->n_waiting; i++) {
                        rq *q = b->waiting[i];
                        if (job_has(j, q->custom_id))
                            eb_remote_deliver_error(r, q, true, "batch %s failed validation: %s", j->id,
                                                    msg ? msg : "no reason given");
                        else
                            b->waiting[k++] = q;
                    }
                    b->n_waiting = k;
                } else {
                    fail_missing(r, j, status);
                }
            }
        }
    }
    cJSON_Delete(root);
}

/* ---- engine hooks ------------------------------------------------------------ */

int eb_batch_init(remote *r, const eb_engine_config *cfg, eb_err *err) {
    eb_batch_state *b = eb_calloc(1, sizeof *b);
    r->batch = b;
    b->cfg = cfg;
    b->db = cfg->db;
    b->run_id = cfg->run_id;
    b->state_loaded = cfg->db != NULL;
    b->easy = curl_easy_init();
    b->auth = r->prov->headers(r->key);
    b->json = r->prov->headers(r->key);
    b->json = curl_slist_append(b->json, "Content-Type: application/json");
    b->json = curl_slist_append(b->json, "Expect:");
    b->auth = curl_slist_append(b->auth, "Expect:");
    if (!b->easy) return eb_err_set(err, "engine %s: curl_easy_init failed", r->prov->name);
    return b->state_loaded ? load_state(r, err) : 0;
}

static int ensure_state(remote *r, eb_err *err) {
    eb_batch_state *b = r->batch;
    if (b->state_loaded || !b->cfg->db) return 0;
    b->db = b->cfg->db;
    b->run_id = b->cfg->run_id;
    b->state_loaded = true;
    return load_state(r, err);
}

int eb_batch_submit(remote *r, rq *q, eb_err *err) {
    eb_batch_state *b = r->batch;
    if (ensure_state(r, err) != 0) {
        eb_remote_rq_free(q);
        return -1;
    }
    if (q->info.loglik || (!is_anthropic(r) && !eb_ends_with(q->url, "/chat/completions"))) {
        eb_remote_rq_free(q);
        return eb_err_set(err, "%s model %s: --batch sends chat requests only (no log-likelihood or raw-text "
                          "prompts)", r->prov->name, r->eng.model);
    }
    eb_sha256_ctx c;
    eb_sha256_init(&c);
    eb_sha256_update(&c, q->url, strlen(q->url));
    eb_sha256_update(&c, "\n", 1);
    eb_sha256_update(&c, q->body, q->body_len);
    char hex[65];
    eb_sha256_final_hex(&c, hex);
    memcpy(q->custom_id, hex, sizeof hex);
    for (size_t i = 0; i < b->n_jobs; i++) {
        if (job_has(&b->jobs[i], q->custom_id)) {
            /* Already paid for in an earlier life of this run: wait for it. */
            b->jobs[i].next_check = 0;
            if (b->jobs[i].ended) b->jobs[i].ended = false; /* download its results again */
            push_rq(&b->waiting, &b->n_waiting, &b->cap_waiting, q);
            return 0;
        }
    }
    push_rq(&b->unsent, &b->n_unsent, &b->cap_unsent, q);
    return 0;
}

int eb_batch_poll(remote *r, int timeout_ms) {
    eb_batch_state *b = r->batch;
    double deadline = eb_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        create_batch(r);
        for (size_t i = 0; i < b->n_jobs; i++) {
            bjob *j = &b->jobs[i];
            if (j->ended || eb_now_ms() < j->next_check) continue;
            /* Only batches somebody waits for are worth a request. */
            bool needed = false;
            for (size_t k = 0; k < b->n_waiting && !needed; k++) needed = job_has(j, b->waiting[k]->custom_id);
            if (needed) check_job(r, j);
        }
        if (r->done_head < r->done_len || (b->n_waiting == 0 && b->n_unsent == 0)) return 0;
        double now = eb_now_ms();
        if (now >= deadline) return 0;
        double next = deadline;
        for (size_t i = 0; i < b->n_jobs; i++)
            if (!b->jobs[i].ended && b->jobs[i].next_check < next) next = b->jobs[i].next_check;
        if (b->n_unsent && b->create_not_before < next) next = b->create_not_before;
        if (next > now) eb_sleep_ms(next - now);
    }
}

int eb_batch_capacity(remote *r) {
    eb_batch_state *b = r->batch;
    long left = BATCH_MAX_REQUESTS - (long)(b->n_unsent + b->n_waiting);
    return left > 0 ? (int)left : 0;
}

void eb_batch_free(remote *r) {
    eb_batch_state *b = r->batch;
    if (!b) return;
    for (size_t i = 0; i < b->n_unsent; i++) eb_remote_rq_free(b->unsent[i]);
    for (size_t i = 0; i < b->n_waiting; i++) eb_remote_rq_free(b->waiting[i]);
    free(b->unsent);
    free(b->waiting);
    for (size_t i = 0; i < b->n_jobs; i++) {
        for (size_t k = 0; k < b->jobs[i].n; k++) free(b->jobs[i].cids[k]);
        free(b->jobs[i].cids);
        free(b->jobs[i].id);
    }
    free(b->jobs);
    curl_slist_free_all(b->auth);
    curl_slist_free_all(b->json);
    if (b->easy) curl_easy_cleanup(b->easy);
    free(b);
    r->batch = NULL;
}
