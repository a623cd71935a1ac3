#include "local_model.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "g4_cuda.h"
#include "sha256.h"
#include "strutil.h"

static void add_stop(eb_local_model *lm, int32_t id) {
    if (id < 0) return;
    for (int i = 0; i < lm->n_stop_ids; i++)
        if (lm->stop_ids[i] == id) return;
    if (lm->n_stop_ids < EB_LOCAL_MAX_STOP_IDS) lm->stop_ids[lm->n_stop_ids++] = id;
}

/* generation_config.json is optional; when present it must be valid. */
static int read_generation_config(eb_local_model *lm, const char *dir, eb_err *err) {
    char *path = eb_path_join(dir, "generation_config.json");
    int rc = 0;
    if (eb_file_exists(path)) {
        char *text = NULL;
        size_t len = 0;
        rc = eb_read_file(path, &text, &len, err);
        cJSON *root = rc == 0 ? cJSON_ParseWithLength(text, len) : NULL;
        if (rc == 0 && !cJSON_IsObject(root)) rc = eb_err_set(err, "%s: not a JSON object", path);
        if (rc == 0) {
            const cJSON *eos = cJSON_GetObjectItemCaseSensitive(root, "eos_token_id");
            if (cJSON_IsNumber(eos)) add_stop(lm, eos->valueint);
            const cJSON *e;
            if (cJSON_IsArray(eos)) cJSON_ArrayForEach(e, eos) if (cJSON_IsNumber(e)) add_stop(lm, e->valueint);
            const cJSON *k = cJSON_GetObjectItemCaseSensitive(root, "top_k");
            const cJSON *p = cJSON_GetObjectItemCaseSensitive(root, "top_p");
            if (cJSON_IsNumber(k) && k->valuedouble >= 0) lm->sampling.top_k = (int)k->valuedouble;
            if (cJSON_IsNumber(p) && p->valuedouble > 0) lm->sampling.top_p = p->valuedouble;
        }
        cJSON_Delete(root);
        free(text);
    }
    free(path);
    return rc;
}

/* "cpu", "cuda", "cuda:N", or NULL / "" / "auto": the GPU when one is
 * visible, else the CPU. */
static int make_backend(const char *device, int threads, eb_g4_backend **be, bool *gpu, eb_err *err) {
    *be = NULL;
    *gpu = false;
    bool auto_pick = !device || !*device || strcmp(device, "auto") == 0;
    if (!auto_pick && strcmp(device, "cpu") == 0) {
        *be = eb_g4_cpu_backend_create(threads);
        return 0;
    }
    long index = 0;
    if (!auto_pick && strcmp(device, "cuda") != 0) {
        if (strncmp(device, "cuda:", 5) != 0 || !eb_parse_long(device + 5, &index) || index < 0 || index > 1024)
            return eb_err_set(err, "local engine: --device \"%s\": expected cpu, cuda or cuda:N", device);
    }
    if (auto_pick && eb_g4_cuda_device_count() == 0) {
        *be = eb_g4_cpu_backend_create(threads);
        return 0;
    }
    eb_err e2 = {0};
    *be = eb_g4_cuda_backend_create((int)index, &e2);
    if (!*be) return eb_err_set(err, "local engine: --device %s: %s", auto_pick ? "cuda" : device, e2.msg);
    *gpu = true;
    return 0;
}

int eb_local_model_open(const char *dir, const char *device, int quant, eb_local_model **out, eb_err *err) {
    *out = NULL;
    int threads = 0;
    const char *t = getenv("EVALBENCH_THREADS");
    long v;
    if (t && *t) {
        if (!eb_parse_long(t, &v) || v < 1 || v > 1024)
            return eb_err_set(err, "EVALBENCH_THREADS=\"%s\": expected a thread count", t);
        threads = (int)v;
    }
    eb_g4_backend *be = NULL;
    bool gpu = false;
    if (make_backend(device, threads, &be, &gpu, err) != 0) return EB_LOCAL_NO_DEVICE;
    eb_local_model *lm = eb_calloc(1, sizeof *lm);
    lm->dir = eb_strdup(dir);
    lm->gpu = gpu;
    lm->sampling.top_k = 0;
    lm->sampling.top_p = 1.0;
    lm->quant = quant;
    if (eb_g4_model_load_quant(dir, be, quant, &lm->m, err) != 0) {
        eb_g4_backend_destroy(be);
        goto fail;
    }
    char *tp = eb_path_join(dir, "tokenizer.json");
    int rc = eb_tokenizer_load(tp, &lm->tok, err);
    if (rc == 0 && eb_tokenizer_vocab_size(lm->tok) > (size_t)lm->m->cfg.vocab)
        rc = eb_err_set(err, "%s: %zu tokens but the model has a vocabulary of %d", tp, eb_tokenizer_vocab_size(lm->tok),
                        lm->m->cfg.vocab);
    free(tp);
    if (rc != 0) goto fail;
    for (int i = 0; i < lm->m->cfg.n_eos; i++) add_stop(lm, lm->m->cfg.eos_ids[i]);
    int32_t ids[3];
    size_t n = eb_gemma4_stop_ids(lm->tok, ids);
    for (size_t i = 0; i < n; i++) add_stop(lm, ids[i]);
    if (read_generation_config(lm, dir, err) != 0) goto fail;
    /* The 26B and 31B templates (the K = V models) add an empty thought block
     * to the generation prompt; E2B and E4B do not. */
    lm->family = lm->m->cfg.k_eq_v ? EB_GEMMA4_LARGE : EB_GEMMA4_SMALL;
    *out = lm;
    return 0;
fail:
    eb_local_model_free(lm);
    return -1;
}

void eb_local_model_free(eb_local_model *lm) {
    if (!lm) return;
    eb_g4_model_free(lm->m);
    eb_tokenizer_free(lm->tok);
    free(lm->dir);
    free(lm);
}

int eb_local_encode_prompt(const eb_local_model *lm, const char *system, const char *prompt, bool chat, bool add_bos,
                           int32_t **ids, size_t *n, eb_err *err) {
    if (!prompt) return eb_err_set(err, "local engine: request without a prompt");
    if (!chat) return eb_tokenizer_encode(lm->tok, prompt, strlen(prompt), add_bos ? EB_TOK_ADD_BOS : 0, ids, n, err);
    eb_chat_msg msgs[2];
    size_t k = 0;
    if (system && *system) msgs[k++] = (eb_chat_msg){"system", system};
    msgs[k++] = (eb_chat_msg){"user", prompt};
    eb_gemma4_chat_opts opts = {.family = lm->family, .add_generation_prompt = true};
    eb_buf text = {0};
    int rc = eb_gemma4_render_chat(msgs, k, &opts, &text, err);
    if (rc == 0) rc = eb_tokenizer_encode(lm->tok, eb_buf_str(&text), text.len, 0, ids, n, err);
    eb_buf_free(&text);
    return rc;
}

static void hash_file(eb_sha256_ctx *c, const char *dir, const char *name) {
    char *path = eb_path_join(dir, name);
    char *text = NULL;
    size_t len = 0;
    eb_err err = {0};
    eb_sha256_update(c, name, strlen(name) + 1);
    if (eb_file_exists(path) && eb_read_file(path, &text, &len, &err) == 0) eb_sha256_update(c, text, len);
    free(text);
    free(path);
}

void eb_local_model_fingerprint(const eb_local_model *lm, char hex[65]) {
    eb_sha256_ctx c;
    eb_sha256_init(&c);
    hash_file(&c, lm->dir, "config.json");
    hash_file(&c, lm->dir, "tokenizer.json");
    hash_file(&c, lm->dir, "generation_config.json");
    const eb_st_set *st = &lm->m->st;
    for (size_t i = 0; i < st->n_files; i++) {
        const eb_st_file *f = &st->files[i];
        const char *slash = strrchr(f->path, '/');
        const char *base = slash ? slash + 1 : f->path;
        char size[32];
        snprintf(size, sizeof size, "%zu", f->size);
        eb_sha256_update(&c, base, strlen(base) + 1);
        eb_sha256_update(&c, size, strlen(size) + 1);
        uint64_t hl = 0;
        if (f->size >= 8) memcpy(&hl, f->map, 8);
        /* validated at open: the header lies inside the file */
        size_t n = f->size >= 8 && hl <= f->size - 8 ? (size_t)hl + 8 : (f->size < 8 ? f->size : 8);
        eb_sha256_update(&c, f->map, n);
    }
    eb_sha256_final_hex(&c, hex);
}

bool eb_local_is_stop(const eb_local_model *lm, int32_t id) {
    for (int i = 0; i < lm->n_stop_ids; i++)
        if (lm->stop_ids[i] == id) return true;
    return false;
}

int eb_local_prefill(eb_local_model *lm, eb_g4_seq *s, const int32_t *ids, size_t n, float *all, float *last,
                     eb_err *err) {
    int V = lm->m->cfg.vocab;
    if (n == 0) return eb_err_set(err, "local engine: empty prompt");
    for (size_t t = 0; t < n; t += EB_LOCAL_PREFILL_CHUNK) {
        int k = (int)(n - t < EB_LOCAL_PREFILL_CHUNK ? n - t : EB_LOCAL_PREFILL_CHUNK);
        bool final = t + (size_t)k == n;
        eb_g4_chunk c = {.seq = s, .ids = ids + t, .n = k};
        if (all) {
            c.logits = all + t * (size_t)V;
        } else if (last && final) {
            c.logits = last;
            c.logits_from = k - 1;
        }
        if (eb_g4_forward(lm->m, &c, 1, err) != 0) return -1;
    }
    if (all && last) memcpy(last, all + (n - 1) * (size_t)V, (size_t)V * sizeof(float));
    return 0;
}
