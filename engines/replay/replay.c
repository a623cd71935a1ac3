/* The replay engine answers from a JSONL file of responses produced
 * elsewhere, so they can be scored and stored like any run.  Each line:
 *   {"suite": "math", "item_id": "test/algebra/1.json", "run": 0,
 *    "response": "...", "tokens_in": 120, "tokens_out": 80,
 *    "finish_reason": "stop", "cost_usd": 0.0012, "logprobs": [-0.1, ...]}
 * "run" is optional (absent: the line answers every repetition); token
 * counts, finish_reason, cost and logprobs are optional.  An item with no line
 * is reported as a failed request (the run stays resumable). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "engine.h"
#include "fileio.h"
#include "item.h"
#include "jsonutil.h"
#include "queue.h"
#include "sha256.h"

typedef struct entry {
    char *key; /* suite \x1f item_id \x1f run (or "*") */
    char *text;
    char *finish_reason;
    long tokens_in, tokens_out;
    double cost_usd;
    double *logprobs;
    size_t n_logprobs;
} entry;

typedef struct replay {
    entry *table; /* open addressing on key */
    size_t cap, count;
    eb_response_queue done;
    char *path;
} replay;

static size_t hash_str(const char *s) {
    size_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static entry *find_slot(replay *r, const char *key) {
    size_t i = hash_str(key) & (r->cap - 1);
    while (r->table[i].key && strcmp(r->table[i].key, key) != 0) i = (i + 1) & (r->cap - 1);
    return &r->table[i];
}

static void grow(replay *r) {
    size_t old_cap = r->cap;
    entry *old = r->table;
    r->cap = old_cap ? old_cap * 2 : 1024;
    r->table = eb_calloc(r->cap, sizeof *r->table);
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].key) *find_slot(r, old[i].key) = old[i];
    free(old);
}

static char *make_key(const char *suite, const char *item, const char *run) {
    eb_buf b = {0};
    eb_buf_printf(&b, "%s\x1f%s\x1f%s", suite, item, run);
    return eb_buf_take(&b);
}

static int on_line(const cJSON *o, eb_jloc loc, void *ctx, eb_err *err) {
    replay *r = ctx;
    const char *suite = eb_json_str(o, "suite", loc, err);
    const char *item = suite ? eb_json_str(o, "item_id", loc, err) : NULL;
    const char *text = item ? eb_json_str(o, "response", loc, err) : NULL;
    if (!text) return -1;
    char run[32] = "*";
    if (cJSON_GetObjectItemCaseSensitive(o, "run")) {
        double d;
        if (!eb_json_num(o, "run", &d, loc, err)) return -1;
        if (d < 0 || d != (double)(long)d) return eb_err_set(err, "%s:%ld: field \"run\" must be a non-negative integer", loc.file, loc.line);
        snprintf(run, sizeof run, "%ld", (long)d);
    }
    if ((r->count + 1) * 2 > r->cap) grow(r);
    char *key = make_key(suite, item, run);
    entry *e = find_slot(r, key);
    if (e->key) {
        free(key);
        return eb_err_set(err, "%s:%ld: duplicate response for %s %s run %s", loc.file, loc.line, suite, item, run);
    }
    e->key = key;
    e->text = eb_strdup(text);
    const char *fr = eb_json_str_opt(o, "finish_reason");
    e->finish_reason = eb_strdup(fr ? fr : "stop");
    double d;
    e->tokens_in = cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o, "tokens_in")) && eb_json_num(o, "tokens_in", &d, loc, err) ? (long)d : -1;
    e->tokens_out = cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o, "tokens_out")) && eb_json_num(o, "tokens_out", &d, loc, err) ? (long)d : -1;
    e->cost_usd = cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o, "cost_usd")) && eb_json_num(o, "cost_usd", &d, loc, err) ? d : -1;
    const cJSON *lp = cJSON_GetObjectItemCaseSensitive(o, "logprobs");
    if (cJSON_IsArray(lp)) {
        e->n_logprobs = (size_t)cJSON_GetArraySize(lp);
        e->logprobs = eb_malloc((e->n_logprobs ? e->n_logprobs : 1) * sizeof *e->logprobs);
        size_t k = 0;
        const cJSON *v;
        cJSON_ArrayForEach(v, lp) {
            if (!cJSON_IsNumber(v)) return eb_err_set(err, "%s:%ld: \"logprobs\" must hold numbers", loc.file, loc.line);
            e->logprobs[k++] = v->valuedouble;
        }
    }
    r->count++;
    return 0;
}

static int replay_submit(eb_engine *e, const eb_request *req, eb_err *err) {
    replay *r = e->impl;
    if (!req->item) return eb_err_set(err, "replay engine: request has no item");
    char run[32];
    snprintf(run, sizeof run, "%d", req->run_index);
    char *key = make_key(req->item->suite, req->item->id, run);
    entry *hit = find_slot(r, key);
    free(key);
    if (!hit->key) {
        key = make_key(req->item->suite, req->item->id, "*");
        hit = find_slot(r, key);
        free(key);
    }
    eb_response resp = {0};
    resp.id = req->id;
    if (!hit->key) {
        resp.ok = false;
        eb_buf b = {0};
        eb_buf_printf(&b, "replay: %s has no response for %s %s run %d", r->path, req->item->suite, req->item->id,
                      req->run_index);
        resp.error = eb_buf_take(&b);
    } else {
        resp.ok = true;
        resp.text = eb_strdup(hit->text);
        resp.finish_reason = eb_strdup(hit->finish_reason);
        resp.tokens_in = hit->tokens_in;
        resp.tokens_out = hit->tokens_out;
        resp.tokens_cached = -1;
        resp.cost_usd = hit->cost_usd;
        if (hit->n_logprobs) {
            resp.logprobs = eb_malloc(hit->n_logprobs * sizeof *resp.logprobs);
            memcpy(resp.logprobs, hit->logprobs, hit->n_logprobs * sizeof *resp.logprobs);
            resp.n_logprobs = hit->n_logprobs;
        }
    }
    eb_rq_push(&r->done, &resp);
    return 0;
}

static int replay_poll(eb_engine *e, eb_response *out, int max, int timeout_ms, eb_err *err) {
    (void)timeout_ms;
    (void)err;
    return eb_rq_pop_many(&((replay *)e->impl)->done, out, max);
}

static int replay_capacity(eb_engine *e) {
    (void)e;
    return 1 << 20;
}

static void replay_free(replay *r) {
    for (size_t i = 0; i < r->cap; i++) {
        entry *e = &r->table[i];
        if (!e->key) continue;
        free(e->key);
        free(e->text);
        free(e->finish_reason);
        free(e->logprobs);
    }
    free(r->table);
    eb_rq_free(&r->done);
    free(r->path);
    free(r);
}

static void replay_destroy(eb_engine *e) {
    replay_free(e->impl);
    free(e->identity);
    free(e->version);
    free(e->model);
    free(e->quantization);
    free(e);
}

static const eb_engine_ops replay_ops = {replay_submit, replay_poll, replay_capacity, replay_destroy};

int eb_replay_create(const eb_engine_config *cfg, eb_engine **out, eb_err *err) {
    if (!cfg->replay_file) return eb_err_set(err, "--engine replay needs --replay FILE.jsonl");
    replay *r = eb_calloc(1, sizeof *r);
    r->path = eb_strdup(cfg->replay_file);
    grow(r);
    char *text;
    size_t len;
    if (eb_read_file(cfg->replay_file, &text, &len, err) != 0) {
        replay_free(r);
        return -1;
    }
    int rc = eb_jsonl_each(cfg->replay_file, text, len, on_line, r, err);
    char sha[65];
    eb_sha256_hex(text, len, sha);
    free(text);
    if (rc != 0) {
        replay_free(r);
        return -1;
    }
    eb_engine *e = eb_calloc(1, sizeof *e);
    e->ops = &replay_ops;
    e->name = "replay";
    e->version = eb_strdup("replay-1");
    e->model = eb_strdup(cfg->model ? cfg->model : "replay");
    e->quantization = cfg->quantization ? eb_strdup(cfg->quantization) : NULL;
    e->supports_loglik = true;
    e->chat_default = true;
    e->answers_by_item = true;
    /* another file under the same --model label gives other answers */
    e->identity = eb_strdup(sha);
    e->impl = r;
    *out = e;
    return 0;
}
