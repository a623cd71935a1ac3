/* Broken checkpoints never crash the loader: truncated files, headers that
 * lie about their length, offsets or shapes, missing shards, an index that
 * points at the wrong shard, broken config.json, and a few hundred random
 * corruptions of a real header.  Each must be a clear error naming the file
 * (and the tensor where there is one). */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fileio.h"
#include "g4_model.h"
#include "test_util.h"

static char tmpdir[] = "/tmp/eb_g4_fuzz_XXXXXX";

static char *src_path(const char *fixture, const char *file) {
    char *p = malloc(1024);
    snprintf(p, 1024, "%s/tests/fixtures/gemma4/%s/%s", EVALBENCH_SOURCE_DIR, fixture, file);
    return p;
}

static void put(const char *name, const void *data, size_t len) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "wb");
    if (len) fwrite(data, 1, len, f);
    fclose(f);
}

static void del(const char *name) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    unlink(p);
}

static char *slurp(const char *path, size_t *len) {
    char *d = NULL;
    eb_err err;
    if (eb_read_file(path, &d, len, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        exit(2);
    }
    return d;
}

/* Loads tmpdir; returns 0 on success, else -1 with the message in err. */
static int try_load(eb_err *err) {
    eb_g4_model *m = NULL;
    eb_g4_backend *be = eb_g4_cpu_backend_create(1);
    memset(err, 0, sizeof *err);
    if (eb_g4_model_load(tmpdir, be, &m, err) != 0) {
        eb_g4_backend_destroy(be);
        return -1;
    }
    /* a model that loads must also run */
    eb_g4_seq *s = eb_g4_seq_new(m);
    int32_t ids[3] = {2, 10, 11};
    float *lg = malloc((size_t)m->cfg.vocab * sizeof *lg);
    eb_g4_chunk c = {s, ids, 3, 2, lg, NULL};
    int rc = eb_g4_forward(m, &c, 1, err);
    free(lg);
    eb_g4_seq_free(m, s);
    eb_g4_model_free(m);
    return rc;
}

static void expect_error(const char *what, const char *must_mention, const char *must_mention2) {
    eb_err err;
    int rc = try_load(&err);
    CHECK_MSG(rc != 0, "%s: loading must fail", what);
    CHECK_MSG(rc != 0 && strstr(err.msg, must_mention), "%s: message \"%s\" names %s", what, err.msg, must_mention);
    if (must_mention2)
        CHECK_MSG(rc != 0 && strstr(err.msg, must_mention2), "%s: message \"%s\" names %s", what, err.msg, must_mention2);
    if (rc != 0) printf("%-34s -> %s\n", what, err.msg);
}

/* A safetensors file from a (possibly edited) header object and data. */
static char *build_st(cJSON *hdr, const char *data, size_t dlen, size_t *len) {
    char *js = cJSON_PrintUnformatted(hdr);
    size_t hl = strlen(js);
    size_t padded = (hl + 7) / 8 * 8;
    *len = 8 + padded + dlen;
    char *out = malloc(*len);
    for (int i = 0; i < 8; i++) out[i] = (char)((uint64_t)padded >> (8 * i));
    memcpy(out + 8, js, hl);
    memset(out + 8 + hl, ' ', padded - hl);
    memcpy(out + 8 + padded, data, dlen);
    free(js);
    return out;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

int main(void) {
    CHECK(mkdtemp(tmpdir) != NULL);
    size_t st_len, cfg_len;
    char *p = src_path("dense", "model.safetensors");
    char *st = slurp(p, &st_len);
    free(p);
    p = src_path("dense", "config.json");
    char *cfg = slurp(p, &cfg_len);
    free(p);
    put("config.json", cfg, cfg_len);

    /* the untouched copy loads */
    put("model.safetensors", st, st_len);
    eb_err err;
    CHECK_MSG(try_load(&err) == 0, "pristine copy loads: %s", err.msg);

    /* truncations */
    size_t cuts[] = {0, 3, 8, 9, 200, st_len / 2, st_len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        put("model.safetensors", st, cuts[i]);
        char what[64];
        snprintf(what, sizeof what, "truncated to %zu bytes", cuts[i]);
        expect_error(what, "model.safetensors", NULL);
    }

    /* header length that lies */
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | (unsigned char)st[i];
    char *bad = malloc(st_len);
    memcpy(bad, st, st_len);
    uint64_t lies[] = {st_len, UINT64_MAX, hlen - 5, hlen + 3, 0};
    for (size_t i = 0; i < sizeof lies / sizeof lies[0]; i++) {
        for (int b = 0; b < 8; b++) bad[b] = (char)(lies[i] >> (8 * b));
        put("model.safetensors", bad, st_len);
        expect_error("header length lies", "model.safetensors", NULL);
    }
    free(bad);

    /* edited headers: wrong shape, offsets past the end, count mismatch,
     * unknown dtype, unsupported dtype, missing tensor */
    cJSON *hdr = cJSON_ParseWithLength(st + 8, hlen);
    CHECK(hdr != NULL);
    const char *data = st + 8 + hlen;
    size_t dlen = st_len - 8 - hlen;
    const char *victim = "model.layers.2.self_attn.q_proj.weight";
    struct {
        const char *what, *field, *value, *mention;
    } edits[] = {
        {"wrong shape (same size)", "shape", "[64, 192]", "shape"},
        {"wrong shape (fewer elements)", "shape", "[127, 96]", victim},
        {"offsets past the end", "data_offsets", "[0, 99999999]", "truncated"},
        {"offsets reversed", "data_offsets", "[100, 50]", victim},
        {"unknown dtype", "dtype", "\"Q4\"", "dtype"},
        {"unsupported dtype", "dtype", "\"I8\"", victim},
        {"shape not a list", "shape", "\"big\"", victim},
        {"negative dimension", "shape", "[-128, 96]", victim},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        cJSON *h = cJSON_Duplicate(hdr, 1);
        cJSON *t = cJSON_GetObjectItemCaseSensitive(h, victim);
        CHECK(t != NULL);
        if (!t) break;
        cJSON_ReplaceItemInObjectCaseSensitive(t, edits[i].field, cJSON_Parse(edits[i].value));
        size_t len;
        char *out = build_st(h, data, dlen, &len);
        put("model.safetensors", out, len);
        expect_error(edits[i].what, victim, edits[i].mention);
        free(out);
        cJSON_Delete(h);
    }
    {
        cJSON *h = cJSON_Duplicate(hdr, 1);
        cJSON_DeleteItemFromObjectCaseSensitive(h, "model.layers.4.mlp.up_proj.weight");
        size_t len;
        char *out = build_st(h, data, dlen, &len);
        put("model.safetensors", out, len);
        expect_error("missing tensor", "model.layers.4.mlp.up_proj.weight", "missing");
        free(out);
        cJSON_Delete(h);
    }

    /* random corruption of header bytes: any outcome but a crash */
    int loaded = 0, failed = 0;
    char *mut = malloc(st_len);
    for (int round = 0; round < 300; round++) {
        memcpy(mut, st, st_len);
        int flips = 1 + (int)(next_rand() % 4);
        for (int f = 0; f < flips; f++) {
            size_t at = 8 + next_rand() % hlen;
            static const char pool[] = "0123456789[]{},:\"eE-. xBF";
            mut[at] = (next_rand() & 1) ? pool[next_rand() % (sizeof pool - 1)] : (char)next_rand();
        }
        put("model.safetensors", mut, st_len);
        if (try_load(&err) == 0) loaded++;
        else {
            failed++;
            CHECK_MSG(strstr(err.msg, tmpdir) != NULL, "corruption error names the file: %s", err.msg);
        }
    }
    free(mut);
    printf("random header corruption: %d loaded, %d rejected\n", loaded, failed);
    CHECK(failed > 0);
    put("model.safetensors", st, st_len);

    /* broken config.json */
    const char *configs[][2] = {
        {"not json", "{\"vocab_size\": 512,"},
        {"no hidden_size", "{\"vocab_size\": 512, \"num_hidden_layers\": 6, \"num_attention_heads\": 4, "
                           "\"num_key_value_heads\": 2, \"intermediate_size\": 160}"},
        {"hidden_size a string", "{\"vocab_size\": 512, \"hidden_size\": \"96\"}"},
        {"layer_types too short", NULL},
        {"other model", "{\"model_type\": \"llama\", \"vocab_size\": 512}"},
        {"heads not divisible", NULL},
    };
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++) {
        char *text = NULL;
        if (configs[i][1]) {
            text = strdup(configs[i][1]);
        } else {
            cJSON *c = cJSON_Parse(cfg);
            if (i == 3) cJSON_DeleteItemFromArray(cJSON_GetObjectItem(c, "layer_types"), 0);
            else cJSON_ReplaceItemInObject(c, "num_key_value_heads", cJSON_CreateNumber(3));
            text = cJSON_Print(c);
            cJSON_Delete(c);
        }
        put("config.json", text, strlen(text));
        expect_error(configs[i][0], "config.json", NULL);
        free(text);
    }
    /* a config whose sizes disagree with the weights: shapes are caught */
    {
        cJSON *c = cJSON_Parse(cfg);
        cJSON_ReplaceItemInObject(c, "intermediate_size", cJSON_CreateNumber(128));
        char *text = cJSON_Print(c);
        put("config.json", text, strlen(text));
        expect_error("config/weights mismatch", "mlp.gate_proj.weight", "[128, 96]");
        free(text);
        cJSON_Delete(c);
    }
    /* untied output projection without lm_head.weight */
    {
        cJSON *c = cJSON_Parse(cfg);
        cJSON_ReplaceItemInObject(c, "tie_word_embeddings", cJSON_CreateFalse());
        char *text = cJSON_Print(c);
        put("config.json", text, strlen(text));
        expect_error("untied without lm_head", "lm_head.weight", "tie_word_embeddings");
        free(text);
        cJSON_Delete(c);
    }
    del("config.json");
    expect_error("no config.json", "config.json", NULL);
    put("config.json", cfg, cfg_len);
    del("model.safetensors");
    expect_error("no weights", "model.safetensors", NULL);

    /* sharded: missing shard, index pointing at the wrong shard */
    size_t mcfg_len, idx_len;
    p = src_path("moe", "config.json");
    char *mcfg = slurp(p, &mcfg_len);
    free(p);
    p = src_path("moe", "model.safetensors.index.json");
    char *idx = slurp(p, &idx_len);
    free(p);
    put("config.json", mcfg, mcfg_len);
    put("model.safetensors.index.json", idx, idx_len);
    char name[64];
    for (int s = 1; s <= 4; s++) {
        snprintf(name, sizeof name, "model-%05d-of-00004.safetensors", s);
        size_t len;
        p = src_path("moe", name);
        char *d = slurp(p, &len);
        free(p);
        put(name, d, len);
        free(d);
    }
    CHECK_MSG(try_load(&err) == 0, "sharded copy loads: %s", err.msg);
    del("model-00003-of-00004.safetensors");
    expect_error("missing shard", "model-00003-of-00004.safetensors", "missing");
    {
        cJSON *ix = cJSON_Parse(idx);
        cJSON *wm = cJSON_GetObjectItem(ix, "weight_map");
        const char *t = "model.layers.0.router.scale";
        const char *cur = cJSON_GetObjectItem(wm, t)->valuestring;
        cJSON_ReplaceItemInObject(wm, t, cJSON_CreateString(strcmp(cur, "model-00001-of-00004.safetensors")
                                                                ? "model-00001-of-00004.safetensors"
                                                                : "model-00002-of-00004.safetensors"));
        cJSON_ReplaceItemInObject(wm, "model.norm.weight", cJSON_CreateString("../escape.safetensors"));
        char *text = cJSON_Print(ix);
        put("model.safetensors.index.json", text, strlen(text));
        expect_error("index names a path outside", "model.safetensors.index.json", "model.norm.weight");
        cJSON_ReplaceItemInObject(wm, "model.norm.weight", cJSON_CreateString("model-00004-of-00004.safetensors"));
        free(text);
        /* restore shard 3 and check the index lie about router.scale */
        snprintf(name, sizeof name, "model-%05d-of-00004.safetensors", 3);
        size_t len;
        p = src_path("moe", name);
        char *d = slurp(p, &len);
        free(p);
        put(name, d, len);
        free(d);
        text = cJSON_Print(ix);
        put("model.safetensors.index.json", text, strlen(text));
        const char *norm_file = NULL;
        (void)norm_file;
        eb_err e2;
        int rc = try_load(&e2);
        /* model.norm.weight may really live in shard 4; either way a lie
         * about router.scale must be reported */
        CHECK_MSG(rc != 0 && strstr(e2.msg, "model.layers.0.router.scale") != NULL, "index lie reported: %s", e2.msg);
        free(text);
        cJSON_Delete(ix);
    }
    put("model.safetensors.index.json", "{\"weight_map\": 5}", 17);
    expect_error("index without a map", "model.safetensors.index.json", NULL);

    /* clean up */
    del("model.safetensors.index.json");
    del("config.json");
    for (int s = 1; s <= 4; s++) {
        snprintf(name, sizeof name, "model-%05d-of-00004.safetensors", s);
        del(name);
    }
    rmdir(tmpdir);
    cJSON_Delete(hdr);
    free(st);
    free(cfg);
    free(mcfg);
    free(idx);
    return eb_test_finish();
}
