/* OpenAI Chat Completions (POST {base}/chat/completions, bearer key), and
 * the legacy completions endpoint for raw-text prompts and log-likelihood
 * requests.  The same wire format serves OpenAI-compatible servers (vLLM,
 * SGLang, llama.cpp, Ollama, OpenRouter, ...) given --base-url.
 *
 * Log-likelihood requests use {base}/completions with echo=true and
 * logprobs, which returns the prompt's own token log-probabilities (vLLM and
 * SGLang offer this; OpenAI's hosted models do not).  One HTTP request
 * carries all continuations as a list of prompts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "remote_internal.h"

#define OPENAI_MAX_STOP 4  /* the API's limit; the rest are applied locally */

static struct curl_slist *openai_headers(const char *key) {
    struct curl_slist *h = NULL;
    if (key) {
        char *line = eb_malloc(strlen(key) + 32);
        sprintf(line, "Authorization: Bearer %s", key);
        h = curl_slist_append(h, line);
        free(line);
    }
    return h;
}

static void add_stops(cJSON *root, const eb_request *req) {
    if (req->n_stop == 0) return;
    cJSON *stops = cJSON_AddArrayToObject(root, "stop");
    for (size_t i = 0; i < req->n_stop && i < OPENAI_MAX_STOP; i++)
        cJSON_AddItemToArray(stops, cJSON_CreateString(req->stop[i]));
}

static void add_seed(cJSON *root, const eb_request *req) {
    /* seed is a signed 64-bit integer on the wire; keep it exact in a double. */
    if (req->seed) cJSON_AddNumberToObject(root, "seed", (double)(req->seed & ((1ull << 53) - 1)));
}

static int openai_build(const char *base_url, const char *model, const eb_request *req, eb_buf *url,
                        eb_buf *body, eb_err *err) {
    (void)err;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", model);
    const char *prompt = req->prompt ? req->prompt : "";
    if (req->n_continuations > 0) {
        eb_wire_url(url, base_url, "/completions");
        cJSON *prompts = cJSON_AddArrayToObject(root, "prompt");
        for (size_t i = 0; i < req->n_continuations; i++) {
            eb_buf p = {0};
            eb_buf_puts(&p, prompt);
            eb_buf_puts(&p, req->continuations[i]);
            cJSON_AddItemToArray(prompts, cJSON_CreateString(eb_buf_str(&p)));
            eb_buf_free(&p);
        }
        /* One generated token is the most portable way to ask for prompt
         * logprobs; it is excluded from the sums by its offset. */
        cJSON_AddNumberToObject(root, "max_tokens", 1);
        cJSON_AddNumberToObject(root, "temperature", 0);
        cJSON_AddBoolToObject(root, "echo", true);
        cJSON_AddNumberToObject(root, "logprobs", 1);
    } else if (!req->chat) {
        eb_wire_url(url, base_url, "/completions");
        cJSON_AddStringToObject(root, "prompt", prompt);
        if (req->max_tokens > 0) cJSON_AddNumberToObject(root, "max_tokens", req->max_tokens);
        cJSON_AddNumberToObject(root, "temperature", req->temperature);
        add_stops(root, req);
        add_seed(root, req);
    } else {
        eb_wire_url(url, base_url, "/chat/completions");
        cJSON *messages = cJSON_AddArrayToObject(root, "messages");
        if (req->system && *req->system) {
            cJSON *m = cJSON_CreateObject();
            cJSON_AddStringToObject(m, "role", "system");
            cJSON_AddStringToObject(m, "content", req->system);
            cJSON_AddItemToArray(messages, m);
        }
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "role", "user");
        cJSON_AddStringToObject(m, "content", prompt);
        cJSON_AddItemToArray(messages, m);
        cJSON_AddNumberToObject(root, "temperature", req->temperature);
        /* OpenAI's own reasoning models only take max_completion_tokens;
         * compatible servers universally take max_tokens. */
        if (req->max_tokens > 0)
            cJSON_AddNumberToObject(root, strstr(base_url, "api.openai.com") ? "max_completion_tokens" : "max_tokens",
                                    req->max_tokens);
        add_stops(root, req);
        add_seed(root, req);
    }
    eb_wire_take_json(body, root);
    return 0;
}

static const char *normalize_finish(const char *r) {
    if (!r) return "unknown";
    if (!strcmp(r, "stop") || !strcmp(r, "eos")) return "stop";
    if (!strcmp(r, "length")) return "length";
    return r;
}

static void parse_usage(const cJSON *root, eb_response *out) {
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    out->tokens_in = eb_wire_long(usage, "prompt_tokens");
    out->tokens_out = eb_wire_long(usage, "completion_tokens");
    long cached = eb_wire_long(cJSON_GetObjectItemCaseSensitive(usage, "prompt_tokens_details"), "cached_tokens");
    out->tokens_cached = cached > 0 ? cached : 0;
    out->model_version = eb_wire_strdup_opt(root, "model");
    out->provider_request_id = eb_wire_strdup_opt(root, "id");
    out->system_fingerprint = eb_wire_strdup_opt(root, "system_fingerprint");
}

/* Sum of the log-probabilities of the tokens that overlap the continuation
 * [from, to) (character offsets); false when the server gave none. */
static bool continuation_logprob(const cJSON *logprobs, long from, long to, double *sum) {
    const cJSON *lps = cJSON_GetObjectItemCaseSensitive(logprobs, "token_logprobs");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(logprobs, "text_offset");
    if (!cJSON_IsArray(lps) || !cJSON_IsArray(offs)) return false;
    int n = cJSON_GetArraySize(lps);
    if (n != cJSON_GetArraySize(offs)) return false;
    double s = 0;
    int used = 0;
    for (int i = 0; i < n; i++) {
        const cJSON *off = cJSON_GetArrayItem(offs, i);
        const cJSON *next = i + 1 < n ? cJSON_GetArrayItem(offs, i + 1) : NULL;
        if (!cJSON_IsNumber(off)) return false;
        long start = (long)off->valuedouble;
        long end = cJSON_IsNumber(next) ? (long)next->valuedouble : start + 1;
        if (start >= to || end <= from) continue;
        const cJSON *lp = cJSON_GetArrayItem(lps, i);
        if (!cJSON_IsNumber(lp)) return false; /* only the very first token has none */
        s += lp->valuedouble;
        used++;
    }
    *sum = s;
    return used > 0;
}

static int parse_loglik(const cJSON *root, const eb_remote_req_info *info, eb_response *out, eb_err *err) {
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
    if (!cJSON_IsArray(choices) || (size_t)cJSON_GetArraySize(choices) != info->n_continuations) {
        eb_err_set(err, "completions response has %d choices for %zu continuations",
                   cJSON_IsArray(choices) ? cJSON_GetArraySize(choices) : -1, info->n_continuations);
        return EB_PARSE_MALFORMED;
    }
    out->logprobs = eb_calloc(info->n_continuations, sizeof *out->logprobs);
    out->n_logprobs = info->n_continuations;
    int pos = 0;
    const cJSON *choice;
    cJSON_ArrayForEach(choice, choices) {
        long idx = eb_wire_long(choice, "index");
        if (idx < 0) idx = pos;
        pos++;
        if ((size_t)idx >= info->n_continuations) {
            eb_err_set(err, "completions response has choice index %ld", idx);
            return EB_PARSE_MALFORMED;
        }
        const cJSON *lp = cJSON_GetObjectItemCaseSensitive(choice, "logprobs");
        long from = info->context_chars, to = from + info->continuation_chars[idx];
        if (!continuation_logprob(lp, from, to, &out->logprobs[idx])) {
            eb_err_set(err, "the server returned no prompt log-probabilities (log-likelihood mode needs "
                       "/v1/completions with echo and logprobs, as vLLM and SGLang offer)");
            return EB_PARSE_UNSUPPORTED;
        }
    }
    out->text = eb_strdup("");
    out->finish_reason = eb_strdup("stop");
    parse_usage(root, out);
    /* The one generated token per continuation is not part of the answer. */
    out->tokens_out = 0;
    return EB_PARSE_OK;
}

static int openai_parse(const cJSON *root, const eb_remote_req_info *info, eb_response *out, eb_err *err) {
    if (info->loglik) return parse_loglik(root, info, out, err);
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
    const cJSON *c0 = cJSON_GetArrayItem(choices, 0);
    if (!cJSON_IsObject(c0)) {
        eb_err_set(err, "response has no choices");
        return EB_PARSE_MALFORMED;
    }
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(c0, "message");
    const cJSON *text = message ? cJSON_GetObjectItemCaseSensitive(message, "content")
                                : cJSON_GetObjectItemCaseSensitive(c0, "text");
    const cJSON *fr = cJSON_GetObjectItemCaseSensitive(c0, "finish_reason");
    const char *finish = normalize_finish(cJSON_IsString(fr) ? fr->valuestring : NULL);
    if (cJSON_IsString(text)) {
        out->text = eb_strdup(text->valuestring);
    } else if (cJSON_IsNull(text) || (message && !text)) {
        /* content null: a refusal or a tool call, never a transport error. */
        out->text = eb_strdup("");
        if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(message, "refusal"))) finish = "content_filter";
    } else {
        eb_err_set(err, "response choice has no text");
        return EB_PARSE_MALFORMED;
    }
    if (eb_wire_cut_at_stop(out->text, info->stop, info->n_stop)) finish = "stop";
    out->finish_reason = eb_strdup(finish);
    parse_usage(root, out);
    return EB_PARSE_OK;
}

static void openai_parse_error(long status, const cJSON *root, eb_wire_error *we) {
    (void)status;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (cJSON_IsString(e)) { /* some compatible servers: {"error": "text"} */
        snprintf(we->message, sizeof we->message, "%s", e->valuestring);
        return;
    }
    if (!cJSON_IsObject(e)) e = root; /* vLLM: {"object":"error","message":...,"type":...} */
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "type");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "code");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
    if (cJSON_IsString(c) && cJSON_IsString(t))
        snprintf(we->type, sizeof we->type, "%s/%s", t->valuestring, c->valuestring);
    else if (cJSON_IsString(t))
        snprintf(we->type, sizeof we->type, "%s", t->valuestring);
    else if (cJSON_IsString(c))
        snprintf(we->type, sizeof we->type, "%s", c->valuestring);
    if (cJSON_IsString(m)) snprintf(we->message, sizeof we->message, "%s", m->valuestring);
    /* Exhausted credit answers 429 too; retrying cannot help. */
    if ((cJSON_IsString(t) && !strcmp(t->valuestring, "insufficient_quota")) ||
        (cJSON_IsString(c) && !strcmp(c->valuestring, "insufficient_quota")))
        we->no_retry = true;
}

const eb_provider eb_provider_openai = {
    .name = "openai",
    .key_env = "OPENAI_API_KEY",
    .default_base_url = "https://api.openai.com/v1",
    .supports_loglik = true,
    .headers = openai_headers,
    .build = openai_build,
    .parse = openai_parse,
    .parse_error = openai_parse_error,
};
