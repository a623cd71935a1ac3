/* Anthropic Messages API: POST {base}/v1/messages with x-api-key and
 * anthropic-version; answers are content blocks with stop_reason and usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "remote_internal.h"

#define ANTHROPIC_VERSION "2023-06-01"
#define ANTHROPIC_DEFAULT_MAX_TOKENS 4096

static struct curl_slist *anthropic_headers(const char *key) {
    struct curl_slist *h = NULL;
    if (key) {
        char *line = eb_malloc(strlen(key) + 32);
        sprintf(line, "x-api-key: %s", key);
        h = curl_slist_append(h, line);
        free(line);
    }
    h = curl_slist_append(h, "anthropic-version: " ANTHROPIC_VERSION);
    return h;
}

static int anthropic_build(const char *base_url, const char *model, const eb_request *req, eb_buf *url,
                           eb_buf *body, eb_err *err) {
    if (req->n_continuations > 0)
        return eb_err_set(err, "anthropic model %s: log-likelihood requests are not offered by the Messages API "
                          "(use --mmlu-mode generate)", model);
    eb_wire_url(url, base_url, "/v1/messages");
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", model);
    cJSON_AddNumberToObject(root, "max_tokens", req->max_tokens > 0 ? req->max_tokens : ANTHROPIC_DEFAULT_MAX_TOKENS);
    if (req->system && *req->system) cJSON_AddStringToObject(root, "system", req->system);
    cJSON_AddNumberToObject(root, "temperature", req->temperature);
    /* The API refuses whitespace-only stop sequences ("\n\n"); those are
     * applied locally to the answer instead. */
    cJSON *stops = NULL;
    for (size_t i = 0; i < req->n_stop; i++) {
        if (!req->stop[i] || !eb_wire_has_visible(req->stop[i])) continue;
        if (!stops) stops = cJSON_AddArrayToObject(root, "stop_sequences");
        cJSON_AddItemToArray(stops, cJSON_CreateString(req->stop[i]));
    }
    cJSON *messages = cJSON_AddArrayToObject(root, "messages");
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "role", "user");
    cJSON_AddStringToObject(msg, "content", req->prompt ? req->prompt : "");
    cJSON_AddItemToArray(messages, msg);
    eb_wire_take_json(body, root);
    return 0;
}

static const char *normalize_stop_reason(const char *r) {
    if (!r) return "unknown";
    if (!strcmp(r, "end_turn") || !strcmp(r, "stop_sequence")) return "stop";
    if (!strcmp(r, "max_tokens") || !strcmp(r, "model_context_window_exceeded")) return "length";
    if (!strcmp(r, "refusal")) return "content_filter";
    return r;
}

static int anthropic_parse(const cJSON *root, const eb_remote_req_info *info, eb_response *out, eb_err *err) {
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(root, "content");
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
    if (!cJSON_IsString(type) || strcmp(type->valuestring, "message") != 0 || !cJSON_IsArray(content) ||
        !cJSON_IsObject(usage)) {
        eb_err_set(err, "response is not a message object with content and usage");
        return EB_PARSE_MALFORMED;
    }
    eb_buf text = {0};
    const cJSON *block;
    cJSON_ArrayForEach(block, content) {
        const cJSON *bt = cJSON_GetObjectItemCaseSensitive(block, "type");
        const cJSON *bx = cJSON_GetObjectItemCaseSensitive(block, "text");
        /* Only text blocks are the answer; thinking and tool blocks are not. */
        if (cJSON_IsString(bt) && !strcmp(bt->valuestring, "text") && cJSON_IsString(bx))
            eb_buf_puts(&text, bx->valuestring);
    }
    out->text = eb_buf_take(&text);
    if (!out->text) out->text = eb_strdup("");
    const cJSON *sr = cJSON_GetObjectItemCaseSensitive(root, "stop_reason");
    const char *finish = normalize_stop_reason(cJSON_IsString(sr) ? sr->valuestring : NULL);
    if (eb_wire_cut_at_stop(out->text, info->stop, info->n_stop)) finish = "stop";
    out->finish_reason = eb_strdup(finish);

    long in = eb_wire_long(usage, "input_tokens");
    long cache_read = eb_wire_long(usage, "cache_read_input_tokens");
    long cache_write = eb_wire_long(usage, "cache_creation_input_tokens");
    /* input_tokens excludes cached and cache-writing tokens; report the
     * whole prompt like the other providers do. */
    out->tokens_in = in < 0 ? -1 : in + (cache_read > 0 ? cache_read : 0) + (cache_write > 0 ? cache_write : 0);
    out->tokens_cached = cache_read > 0 ? cache_read : 0;
    out->tokens_out = eb_wire_long(usage, "output_tokens");
    out->model_version = eb_wire_strdup_opt(root, "model");
    out->provider_request_id = eb_wire_strdup_opt(root, "id");
    return EB_PARSE_OK;
}

static void anthropic_parse_error(long status, const cJSON *root, eb_wire_error *we) {
    (void)status;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (!cJSON_IsObject(e)) return;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "type");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
    if (cJSON_IsString(t)) snprintf(we->type, sizeof we->type, "%s", t->valuestring);
    if (cJSON_IsString(m)) snprintf(we->message, sizeof we->message, "%s", m->valuestring);
    /* A spend limit answers 429 but never clears by waiting. */
    const cJSON *details = cJSON_GetObjectItemCaseSensitive(e, "details");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(details, "error_code");
    if (cJSON_IsString(code) && !strcmp(code->valuestring, "enforced_spend_limit_reached")) {
        we->no_retry = true;
        snprintf(we->type, sizeof we->type, "%s", code->valuestring);
    }
}

const eb_provider eb_provider_anthropic = {
    .name = "anthropic",
    .key_env = "ANTHROPIC_API_KEY",
    .default_base_url = "https://api.anthropic.com",
    .supports_loglik = false,
    .headers = anthropic_headers,
    .build = anthropic_build,
    .parse = anthropic_parse,
    .parse_error = anthropic_parse_error,
};
