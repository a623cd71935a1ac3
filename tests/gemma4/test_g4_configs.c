/* The four released Gemma 4 sizes (configs as in docs: E2B, E4B, 26B-A4B,
 * 31B) through the real loader, without allocating weights: the config
 * parser's per-layer facts, the tensor shapes it expects, the parameter
 * counts against the published sizes, and a full load of a checkpoint whose
 * data is a sparse file (the header is real, the bytes are never touched). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "g4_model.h"
#include "test_util.h"

typedef struct variant {
    const char *name;
    int hidden, layers, heads, kv, gkv, inter, shared, ple, window;
    bool k_eq_v, double_wide, moe;
    int period;             /* one full layer every `period` layers */
    double published_b;     /* text parameters, billions (shared-layer K/V included) */
    double tol_b;
} variant;

static const variant variants[] = {
    {"E2B", 1536, 35, 8, 1, 0, 6144, 20, 256, 512, false, true, false, 5, 4.65, 0.005},
    {"E4B", 2560, 42, 8, 2, 0, 10240, 18, 256, 512, false, false, false, 6, 7.52, 0.005},
    {"26B-A4B", 2816, 30, 16, 8, 2, 2112, 0, 0, 1024, true, false, true, 6, 25.2, 0.05},
    {"31B", 5376, 60, 32, 16, 4, 21504, 0, 0, 1024, true, false, false, 6, 30.7, 0.05},
};

/* config.json as released: multimodal, text fields under text_config. */
static char *config_json(const variant *v) {
    eb_buf b = {0};
    eb_buf_printf(&b, "{\"architectures\": [\"Gemma4ForConditionalGeneration\"], \"model_type\": \"gemma4\", "
                      "\"eos_token_id\": [1, 106], \"text_config\": {\"model_type\": \"gemma4_text\", "
                      "\"vocab_size\": 262144, \"hidden_size\": %d, \"num_hidden_layers\": %d, "
                      "\"num_attention_heads\": %d, \"num_key_value_heads\": %d, \"head_dim\": 256, "
                      "\"global_head_dim\": 512, \"num_global_key_value_heads\": ",
                  v->hidden, v->layers, v->heads, v->kv);
    if (v->gkv) eb_buf_printf(&b, "%d", v->gkv);
    else eb_buf_puts(&b, "null");
    eb_buf_printf(&b, ", \"intermediate_size\": %d, \"attention_k_eq_v\": %s, \"use_double_wide_mlp\": %s, "
                      "\"num_kv_shared_layers\": %d, \"hidden_size_per_layer_input\": %d, "
                      "\"vocab_size_per_layer_input\": 262144, \"sliding_window\": %d, "
                      "\"max_position_embeddings\": %d, \"final_logit_softcapping\": 30.0, \"rms_norm_eps\": 1e-06, "
                      "\"hidden_activation\": \"gelu_pytorch_tanh\", \"tie_word_embeddings\": true, ",
                  v->inter, v->k_eq_v ? "true" : "false", v->double_wide ? "true" : "false", v->shared, v->ple, v->window,
                  v->moe || v->gkv ? 262144 : 131072);
    if (v->moe)
        eb_buf_puts(&b, "\"enable_moe_block\": true, \"num_experts\": 128, \"top_k_experts\": 8, "
                        "\"moe_intermediate_size\": 704, ");
    eb_buf_puts(&b, "\"rope_parameters\": {\"sliding_attention\": {\"rope_type\": \"default\", \"rope_theta\": 10000.0}, "
                    "\"full_attention\": {\"rope_type\": \"proportional\", \"partial_rotary_factor\": 0.25, "
                    "\"rope_theta\": 1000000.0}}, \"layer_types\": [");
    for (int i = 0; i < v->layers; i++)
        eb_buf_printf(&b, "%s\"%s\"", i ? ", " : "", (i + 1) % v->period == 0 ? "full_attention" : "sliding_attention");
    eb_buf_puts(&b, "]}, \"vision_config\": {\"model_type\": \"gemma4_vision\"}}");
    return eb_buf_take(&b);
}

static const eb_g4_spec *find_spec(const eb_g4_spec *s, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(s[i].name, name) == 0) return &s[i];
    return NULL;
}

static void expect_shape(const eb_g4_spec *s, size_t n, const char *name, int ndim, int64_t a, int64_t b, int64_t c) {
    const eb_g4_spec *t = find_spec(s, n, name);
    CHECK_MSG(t != NULL, "spec %s exists", name);
    if (!t) return;
    CHECK_MSG(t->ndim == ndim && t->shape[0] == a && (ndim < 2 || t->shape[1] == b) && (ndim < 3 || t->shape[2] == c),
              "%s has shape [%lld, %lld, %lld] (want [%lld, %lld, %lld])", name, (long long)t->shape[0],
              (long long)t->shape[1], (long long)t->shape[2], (long long)a, (long long)b, (long long)c);
}

/* Writes DIR/config.json and a BF16 model.safetensors whose data region is
 * a hole, then loads it with the real loader. */
static void sparse_load(const variant *v, const eb_g4_config *c, const char *json) {
    char dir[] = "/tmp/eb_g4_cfg_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/config.json", dir);
    FILE *f = fopen(path, "w");
    fputs(json, f);
    fclose(f);
    eb_g4_spec *specs;
    size_t n = eb_g4_specs(c, "model.language_model.", NULL, &specs);
    eb_buf h = {0};
    eb_buf_putc(&h, '{');
    uint64_t off = 0;
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        if (specs[i].optional && !specs[i].unused) continue; /* leave lm_head tied */
        uint64_t numel = 1;
        for (int d = 0; d < specs[i].ndim; d++) numel *= (uint64_t)specs[i].shape[d];
        eb_buf_printf(&h, "%s\"%s\":{\"dtype\":\"BF16\",\"shape\":[", first ? "" : ",", specs[i].name);
        for (int d = 0; d < specs[i].ndim; d++) eb_buf_printf(&h, "%s%lld", d ? "," : "", (long long)specs[i].shape[d]);
        eb_buf_printf(&h, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)off, (unsigned long long)(off + 2 * numel));
        off += 2 * numel;
        first = 0;
    }
    eb_buf_putc(&h, '}');
    while (h.len % 8) eb_buf_putc(&h, ' ');
    free(specs);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)h.len >> (8 * i));
    CHECK(write(fd, len8, 8) == 8 && write(fd, h.data, h.len) == (ssize_t)h.len);
    CHECK(ftruncate(fd, (off_t)(8 + h.len + off)) == 0);
    close(fd);
    eb_buf_free(&h);
    eb_err err = {0};
    eb_g4_model *m = NULL;
    eb_g4_backend *be = eb_g4_cpu_backend_create(1);
    int rc = eb_g4_model_load(dir, be, &m, &err);
    CHECK_MSG(rc == 0, "%s sparse checkpoint loads: %s", v->name, err.msg);
    if (rc == 0) {
        CHECK_STR(m->w.prefix, "model.language_model.");
        CHECK(m->w.lm_head.data == m->w.embed.data); /* tied */
        CHECK_NEAR(m->embed_scale, v->hidden == 1536 ? 39.25 : v->hidden == 2560 ? 50.5 : v->hidden == 2816 ? 53.0 : 73.5, 0);
        printf("%s: %.2f GB of BF16 text weights validated\n", v->name, (double)off / 1e9);
        eb_g4_model_free(m);
    } else {
        eb_g4_backend_destroy(be);
    }
    unlink(path);
    snprintf(path, sizeof path, "%s/config.json", dir);
    unlink(path);
    rmdir(dir);
}

int main(void) {
    for (size_t vi = 0; vi < sizeof variants / sizeof variants[0]; vi++) {
        const variant *v = &variants[vi];
        char *json = config_json(v);
        eb_g4_config c;
        eb_err err = {0};
        int rc = eb_g4_config_parse(json, v->name, &c, &err);
        CHECK_MSG(rc == 0, "%s config parses: %s", v->name, err.msg);
        if (rc != 0) {
            free(json);
            continue;
        }
        CHECK(c.multimodal);
        CHECK_INT(c.n_eos, 2);
        int full = 0, first_shared = c.n_layers - c.n_kv_shared;
        for (int i = 0; i < c.n_layers; i++) {
            const eb_g4_layer_info *li = &c.layers[i];
            full += li->full;
            CHECK_INT(li->head_dim, li->full ? 512 : 256);
            CHECK_INT(li->n_kv, li->full && v->gkv ? v->gkv : v->kv);
            CHECK(li->has_v == !(li->full && v->k_eq_v));
            CHECK_INT(li->rope_pairs, li->full ? 64 : 128);
            CHECK_NEAR(li->rope_theta, li->full ? 1e6 : 1e4, 0);
            CHECK_INT(li->intermediate, v->double_wide && i >= first_shared ? 2 * v->inter : v->inter);
        }
        CHECK_INT(full, v->layers / v->period);
        if (!strcmp(v->name, "E2B")) {
            /* sliding layers 15-34 read layer 13, full layers read 14 */
            CHECK_INT(c.layers[15].kv_source, 13);
            CHECK_INT(c.layers[34].kv_source, 14);
            CHECK_INT(c.layers[19].kv_source, 14);
            CHECK_INT(c.layers[14].kv_source, 14);
        }
        if (!strcmp(v->name, "E4B")) {
            CHECK_INT(c.layers[24].kv_source, 22);
            CHECK_INT(c.layers[41].kv_source, 23);
        }
        eb_g4_spec *specs;
        size_t n = eb_g4_specs(&c, "model.language_model.", NULL, &specs);
        const char *p = "model.language_model.";
        char nm[160];
#define NAME(fmt, ...) (snprintf(nm, sizeof nm, "%s" fmt, p, __VA_ARGS__), nm)
        expect_shape(specs, n, NAME("%s", "embed_tokens.weight"), 2, 262144, v->hidden, 0);
        int fl = v->period - 1; /* first full layer */
        expect_shape(specs, n, NAME("layers.%d.self_attn.q_proj.weight", 0), 2, v->heads * 256, v->hidden, 0);
        expect_shape(specs, n, NAME("layers.%d.self_attn.q_proj.weight", fl), 2, v->heads * 512, v->hidden, 0);
        expect_shape(specs, n, NAME("layers.%d.self_attn.o_proj.weight", fl), 2, v->hidden, v->heads * 512, 0);
        expect_shape(specs, n, NAME("layers.%d.self_attn.k_proj.weight", fl), 2, (v->gkv ? v->gkv : v->kv) * 512, v->hidden, 0);
        CHECK((find_spec(specs, n, NAME("layers.%d.self_attn.v_proj.weight", fl)) == NULL) == v->k_eq_v);
        if (v->ple) {
            expect_shape(specs, n, NAME("%s", "embed_tokens_per_layer.weight"), 2, 262144, v->layers * 256, 0);
            expect_shape(specs, n, NAME("layers.%d.per_layer_input_gate.weight", 3), 2, 256, v->hidden, 0);
        }
        if (v->moe) {
            expect_shape(specs, n, NAME("layers.%d.experts.gate_up_proj", 7), 3, 128, 1408, v->hidden);
            expect_shape(specs, n, NAME("layers.%d.experts.down_proj", 7), 3, 128, v->hidden, 704);
            expect_shape(specs, n, NAME("layers.%d.router.per_expert_scale", 7), 1, 128, 0, 0);
        }
        if (v->double_wide) expect_shape(specs, n, NAME("layers.%d.mlp.down_proj.weight", 34), 2, v->hidden, 2 * v->inter, 0);
        free(specs);
        int64_t used = eb_g4_param_count(&c, false), stored = eb_g4_param_count(&c, true);
        printf("%s: %.4f B parameters stored, %.4f B used (published %.2f B)\n", v->name, stored / 1e9, used / 1e9,
               v->published_b);
        CHECK_MSG(fabs(stored / 1e9 - v->published_b) < v->tol_b, "%s: %.4f B vs published %.2f B", v->name, stored / 1e9,
                  v->published_b);
        CHECK((used == stored) == (v->shared == 0));
        sparse_load(v, &c, json);
        eb_g4_config_free(&c);
        free(json);
    }
    return eb_test_finish();
}
