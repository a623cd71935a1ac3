#include "request_hash.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "item.h"
#include "sha256.h"

char *eb_request_key(const eb_engine *e, const eb_request *req, char hash[65]) {
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "engine", e->name);
    cJSON_AddStringToObject(p, "model", e->model ? e->model : "");
    if (e->quantization) cJSON_AddStringToObject(p, "quantization", e->quantization);
    if (e->identity) cJSON_AddStringToObject(p, "identity", e->identity);
    cJSON_AddBoolToObject(p, "chat", req->chat);
    cJSON_AddBoolToObject(p, "add_bos", req->add_bos);
    cJSON *stop = cJSON_AddArrayToObject(p, "stop");
    for (size_t i = 0; i < req->n_stop; i++) cJSON_AddItemToArray(stop, cJSON_CreateString(req->stop[i]));
    cJSON_AddNumberToObject(p, "max_tokens", req->max_tokens);
    cJSON_AddNumberToObject(p, "temperature", req->temperature);
    cJSON_AddNumberToObject(p, "seed", (double)req->seed);
    if (req->n_continuations) {
        cJSON *c = cJSON_AddArrayToObject(p, "continuations");
        for (size_t i = 0; i < req->n_continuations; i++)
            cJSON_AddItemToArray(c, cJSON_CreateString(req->continuations[i]));
    }
    cJSON_AddNumberToObject(p, "run_index", req->run_index);
    if (e->answers_by_item && req->item) {
        cJSON_AddStringToObject(p, "suite", req->item->suite);
        cJSON_AddStringToObject(p, "item_id", req->item->id);
    }
    char *params = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);

    eb_sha256_ctx c;
    eb_sha256_init(&c);
    eb_sha256_update(&c, params, strlen(params) + 1);
    const char *sys = req->system ? req->system : "";
    eb_sha256_update(&c, "system:", 7);
    eb_sha256_update(&c, sys, strlen(sys) + 1);
    eb_sha256_update(&c, "prompt:", 7);
    eb_sha256_update(&c, req->prompt, strlen(req->prompt));
    eb_sha256_final_hex(&c, hash);
    char *out = eb_strdup(params);
    cJSON_free(params);
    return out;
}
