/* Google Gemini generateContent: POST {base}/v1beta/models/{model}:generateContent
 * with x-goog-api-key; contents/parts in, candidates and usageMetadata out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "remote_internal.h"
#include "retry.h"

#define GEMINI_MAX_STOP 5

static struct curl_slist *gemini_headers(const char *key) {
    struct curl_slist *h = NULL;
    if (key) {
        char *line = eb_malloc(strlen(key) + 32);
        sprintf(line, "x-goog-api-key: %s", key);
        h = curl_slist_append(h, line);
        free(line);
    }
    return h;
}

static cJSON *text_parts(const char *text) {
    cJSON *parts = cJSON_CreateArray();
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "text", text);
    cJSON_AddItemToArray(parts, p);
    return parts;
}

static int gemini_build(const char *base_url, const char *model, const eb_request *req, eb_buf *url,
                        eb_buf *body, eb_err *err) {
    if (req->n_continuations > 0)
        return eb_err_set(err, "gemini model %s: log-likelihood requests are not offered by generateContent "
                          "(use --mmlu-mode generate)", model);
    if (strncmp(model, "models/", 7) == 0) model += strlen("models/");
    eb_wire_url(url, base_url, "/v1beta/models/");
    eb_buf_puts(url, model);
    eb_buf_puts(url, ":generateContent");

    cJSON *root = cJSON_CreateObject();
    if (req->system && *req->system) {
        cJSON *si = cJSON_AddObjectToObject(root, "systemInstruction");
        cJSON_AddItemToObject(si, "parts", text_parts(req->system));
    }
    cJSON *contents = cJSON_AddArrayToObject(root, "contents");
    cJSON *turn = cJSON_CreateObject();
    cJSON_AddStringToObject(turn, "role", "user");
    cJSON_AddItemToObject(turn, "parts", text_parts(req->prompt ? req->prompt : ""));
    cJSON_AddItemToArray(contents, turn);
    cJSON *gc = cJSON_AddObjectToObject(root, "generationConfig");
    cJSON_AddNumberToObject(gc, "temperature", req->temperature);
    if (req->max_tokens > 0) cJSON_AddNumberToObject(gc, "maxOutputTokens", req->max_tokens);
    if (req->n_stop > 0) {
        cJSON *stops = cJSON_AddArrayToObject(gc, "stopSequences");
        for (size_t i = 0; i < req->n_stop && i < GEMINI_MAX_STOP; i++)
            cJSON_AddItemToArray(stops, cJSON_CreateString(req->stop[i]));
    }
    if (req->seed) cJSON_AddNumberToObject(gc, "seed", (double)(req->seed & 0x7fffffff)); /* int32 field */
    eb_wire_take_json(body, root);
    return 0;
}

static const char *normalize_finish(const char *r) {
    if (!r) return "unknown";
    if (!strcmp(r, "STOP")) return "stop";
    if (!strcmp(r, "MAX_TOKENS")) return "length";
    if (!strcmp(r, "SAFETY") || !strcmp(r, "RECITATION") || !strcmp(r, "BLOCKLIST") ||
        !strcmp(r, "PROHIBITED_CONTENT") || !strcmp(r, "SPII") || !strcmp(r, "IMAGE_SAFETY"))
        return "content_filter";
    return NULL; /* lower-cased as it came */
}

static int gemini_parse(const cJSON *root, const eb_remote_req_info *info, eb_response *out, eb_err *err) {
    const cJSON *cands = cJSON_GetObjectItemCaseSensitive(root, "candidates");
    const cJSON *c0 = cJSON_GetArrayItem(cands, 0);
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usageMetadata");
    if (!cJSON_IsObject(usage)) {
        eb_err_set(err, "response has no usageMetadata");
        return EB_PARSE_MALFORMED;
    }
    if (!cJSON_IsObject(c0)) {
        /* A blocked prompt answers without candidates: a real (empty) answer. */
        const cJSON *fb = cJSON_GetObjectItemCaseSensitive(root, "promptFeedback");
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(fb, "blockReason"))) {
            eb_err_set(err, "response has neither candidates nor promptFeedback.blockReason");
            return EB_PARSE_MALFORMED;
        }
        out->text = eb_strdup("");
        out->finish_reason = eb_strdup("content_filter");
    } else {
        eb_buf text = {0};
        const cJSON *parts = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c0, "content"), "parts");
        const cJSON *part;
        cJSON_ArrayForEach(part, parts) {
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(part, "text");
            /* Thought summaries are not the answer. */
            if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(part, "thought"))) continue;
            if (cJSON_IsString(t)) eb_buf_puts(&text, t->valuestring);
        }
        out->text = eb_buf_take(&text);
        if (!out->text) out->text = eb_strdup("");
        const cJSON *fr = cJSON_GetObjectItemCaseSensitive(c0, "finishReason");
        const char *raw = cJSON_IsString(fr) ? fr->valuestring : NULL;
        const char *finish = normalize_finish(raw);
        if (eb_wire_cut_at_stop(out->text, info->stop, info->n_stop)) finish = "stop";
        out->finish_reason = finish ? eb_strdup(finish) : eb_wire_lower(raw);
    }
    long prompt = eb_wire_long(usage, "promptTokenCount");
    long cands_tok = eb_wire_long(usage, "candidatesTokenCount");
    long thoughts = eb_wire_long(usage, "thoughtsTokenCount");
    long cached = eb_wire_long(usage, "cachedContentTokenCount");
    out->tokens_in = prompt;
    /* Thinking tokens are billed as output. */
    out->tokens_out = cands_tok < 0 && thoughts < 0 ? -1 : (cands_tok > 0 ? cands_tok : 0) + (thoughts > 0 ? thoughts : 0);
    out->tokens_cached = cached > 0 ? cached : 0;
    out->model_version = eb_wire_strdup_opt(root, "modelVersion");
    out->provider_request_id = eb_wire_strdup_opt(root, "responseId");
    return EB_PARSE_OK;
}

static void gemini_parse_error(long status, const cJSON *root, eb_wire_error *we) {
    (void)status;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (!cJSON_IsObject(e)) return;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(e, "status");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
    if (cJSON_IsString(st)) snprintf(we->type, sizeof we->type, "%s", st->valuestring);
    if (cJSON_IsString(m)) snprintf(we->message, sizeof we->message, "%s", m->valuestring);
    const cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(e, "details")) {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(d, "@type");
        if (!cJSON_IsString(type)) continue;
        if (strstr(type->valuestring, "google.rpc.RetryInfo")) {
            const cJSON *delay = cJSON_GetObjectItemCaseSensitive(d, "retryDelay");
            if (cJSON_IsString(delay)) we->retry_hint_ms = eb_parse_duration_ms(delay->valuestring);
        } else if (strstr(type->valuestring, "google.rpc.QuotaFailure")) {
            /* A daily quota does not come back within any sensible wait. */
            const cJSON *v;
            cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(d, "violations")) {
                const cJSON *q = cJSON_GetObjectItemCaseSensitive(v, "quotaId");
                if (cJSON_IsString(q) && strstr(q->valuestring, "PerDay")) {
                    we->no_retry = true;
                    snprintf(we->type, sizeof we->type, "RESOURCE_EXHAUSTED/%s", q->valuestring);
                }
            }
        }
    }
}

const eb_provider eb_provider_gemini = {
    .name = "gemini",
    .key_env = "GEMINI_API_KEY",
    .default_base_url = "https://generativelanguage.googleapis.com",
    .supports_loglik = false,
    .headers = gemini_headers,
    .build = gemini_build,
    .parse = gemini_parse,
    .parse_error = gemini_parse_error,
};
