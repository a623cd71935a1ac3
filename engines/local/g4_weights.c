#include "g4_weights.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct spec_list {
    eb_g4_spec *v;
    size_t n, cap;
    const char *prefix;
} spec_list;

static eb_g4_spec *add(spec_list *l, eb_g4_tensor *slot, int ndim, int64_t d0, int64_t d1, int64_t d2, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static eb_g4_spec *add(spec_list *l, eb_g4_tensor *slot, int ndim, int64_t d0, int64_t d1, int64_t d2, const char *fmt, ...) {
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = eb_realloc(l->v, l->cap * sizeof *l->v);
    }
    eb_g4_spec *s = &l->v[l->n++];
    memset(s, 0, sizeof *s);
    int k = snprintf(s->name, sizeof s->name, "%s", l->prefix);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->name + k, sizeof s->name - (size_t)k, fmt, ap);
    va_end(ap);
    s->ndim = ndim;
    s->shape[0] = d0;
    s->shape[1] = d1;
    s->shape[2] = d2;
    s->slot = slot;
    return s;
}

#define SLOT(w, field) ((w) ? &(w)->field : NULL)

size_t eb_g4_specs(const eb_g4_config *c, const char *prefix, eb_g4_weights *w, eb_g4_spec **out) {
    spec_list l = {.prefix = prefix};
    int64_t H = c->hidden, V = c->vocab, L = c->n_layers, P = c->ple_dim;
    add(&l, SLOT(w, embed), 2, V, H, 0, "embed_tokens.weight");
    add(&l, SLOT(w, final_norm), 1, H, 0, 0, "norm.weight");
    if (P) {
        add(&l, SLOT(w, ple_embed), 2, c->ple_vocab, L * P, 0, "embed_tokens_per_layer.weight");
        add(&l, SLOT(w, ple_model_proj), 2, L * P, H, 0, "per_layer_model_projection.weight");
        add(&l, SLOT(w, ple_proj_norm), 1, P, 0, 0, "per_layer_projection_norm.weight");
    }
    for (int i = 0; i < c->n_layers; i++) {
        const eb_g4_layer_info *li = &c->layers[i];
        eb_g4_layer_weights *lw = w ? &w->layers[i] : NULL;
        int64_t hd = li->head_dim, nh = c->n_heads, nkv = li->n_kv, I = li->intermediate;
        add(&l, SLOT(lw, input_norm), 1, H, 0, 0, "layers.%d.input_layernorm.weight", i);
        add(&l, SLOT(lw, post_attn_norm), 1, H, 0, 0, "layers.%d.post_attention_layernorm.weight", i);
        add(&l, SLOT(lw, pre_ffn_norm), 1, H, 0, 0, "layers.%d.pre_feedforward_layernorm.weight", i);
        add(&l, SLOT(lw, post_ffn_norm), 1, H, 0, 0, "layers.%d.post_feedforward_layernorm.weight", i);
        add(&l, SLOT(lw, q_proj), 2, nh * hd, H, 0, "layers.%d.self_attn.q_proj.weight", i);
        add(&l, SLOT(lw, o_proj), 2, H, nh * hd, 0, "layers.%d.self_attn.o_proj.weight", i);
        add(&l, SLOT(lw, q_norm), 1, hd, 0, 0, "layers.%d.self_attn.q_norm.weight", i);
        /* KV-shared layers never read their own K/V projections, but released
         * checkpoints still carry them: optional, and shape-checked if present. */
        bool own = li->kv_source == i;
        eb_g4_spec *s;
        s = add(&l, own ? SLOT(lw, k_proj) : NULL, 2, nkv * hd, H, 0, "layers.%d.self_attn.k_proj.weight", i);
        s->optional = s->unused = !own;
        s = add(&l, own ? SLOT(lw, k_norm) : NULL, 1, hd, 0, 0, "layers.%d.self_attn.k_norm.weight", i);
        s->optional = s->unused = !own;
        if (li->has_v) {
            s = add(&l, own ? SLOT(lw, v_proj) : NULL, 2, nkv * hd, H, 0, "layers.%d.self_attn.v_proj.weight", i);
            s->optional = s->unused = !own;
        }
        add(&l, SLOT(lw, gate_proj), 2, I, H, 0, "layers.%d.mlp.gate_proj.weight", i);
        add(&l, SLOT(lw, up_proj), 2, I, H, 0, "layers.%d.mlp.up_proj.weight", i);
        add(&l, SLOT(lw, down_proj), 2, H, I, 0, "layers.%d.mlp.down_proj.weight", i);
        add(&l, SLOT(lw, layer_scalar), 1, 1, 0, 0, "layers.%d.layer_scalar", i);
        if (P) {
            add(&l, SLOT(lw, ple_gate), 2, P, H, 0, "layers.%d.per_layer_input_gate.weight", i);
            add(&l, SLOT(lw, ple_proj), 2, H, P, 0, "layers.%d.per_layer_projection.weight", i);
            add(&l, SLOT(lw, ple_post_norm), 1, H, 0, 0, "layers.%d.post_per_layer_input_norm.weight", i);
        }
        if (c->moe) {
            int64_t E = c->n_experts, MI = c->moe_intermediate;
            add(&l, SLOT(lw, router_proj), 2, E, H, 0, "layers.%d.router.proj.weight", i);
            add(&l, SLOT(lw, router_scale), 1, H, 0, 0, "layers.%d.router.scale", i);
            add(&l, SLOT(lw, per_expert_scale), 1, E, 0, 0, "layers.%d.router.per_expert_scale", i);
            add(&l, SLOT(lw, experts_gate_up), 3, E, 2 * MI, H, "layers.%d.experts.gate_up_proj", i);
            add(&l, SLOT(lw, experts_down), 3, E, H, MI, "layers.%d.experts.down_proj", i);
            add(&l, SLOT(lw, pre_ffn_norm_2), 1, H, 0, 0, "layers.%d.pre_feedforward_layernorm_2.weight", i);
            add(&l, SLOT(lw, post_ffn_norm_1), 1, H, 0, 0, "layers.%d.post_feedforward_layernorm_1.weight", i);
            add(&l, SLOT(lw, post_ffn_norm_2), 1, H, 0, 0, "layers.%d.post_feedforward_layernorm_2.weight", i);
        }
    }
    /* The output projection is tied to the embedding; a checkpoint may still
     * carry the copy, at the top level. */
    l.prefix = "";
    add(&l, SLOT(w, lm_head), 2, V, H, 0, "lm_head.weight")->optional = true;
    *out = l.v;
    return l.n;
}

int64_t eb_g4_param_count(const eb_g4_config *c, bool with_unused) {
    eb_g4_spec *specs;
    size_t n = eb_g4_specs(c, "", NULL, &specs);
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (specs[i].optional && !(with_unused && specs[i].unused)) continue;
        int64_t k = 1;
        for (int d = 0; d < specs[i].ndim; d++) k *= specs[i].shape[d];
        total += k;
    }
    free(specs);
    return total;
}

static void shape_str(char *buf, size_t size, int ndim, const int64_t *shape) {
    size_t k = (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < ndim && k < size; d++) k += (size_t)snprintf(buf + k, size - k, "%s%lld", d ? ", " : "", (long long)shape[d]);
    if (k < size) snprintf(buf + k, size - k, "]");
}

int eb_g4_weights_bind(const eb_g4_config *c, const eb_st_set *st, const char *ckpt_dir, eb_g4_weights *w, eb_err *err) {
    memset(w, 0, sizeof *w);
    /* Multimodal checkpoints keep the text model under model.language_model.,
     * text-only ones under model.; the tensors decide. */
    if (eb_st_find(st, "model.language_model.embed_tokens.weight")) w->prefix = "model.language_model.";
    else if (eb_st_find(st, "model.embed_tokens.weight")) w->prefix = "model.";
    else
        return eb_err_set(err, "%s: tensor %sembed_tokens.weight is missing", ckpt_dir,
                          c->multimodal ? "model.language_model." : "model.");
    w->n_layers = c->n_layers;
    w->layers = eb_calloc((size_t)c->n_layers, sizeof *w->layers);
    eb_g4_spec *specs;
    size_t n = eb_g4_specs(c, w->prefix, w, &specs);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const eb_g4_spec *s = &specs[i];
        const eb_st_tensor *t = eb_st_find(st, s->name);
        char want[96], got[96];
        shape_str(want, sizeof want, s->ndim, s->shape);
        if (!t) {
            if (!s->optional) rc = eb_err_set(err, "%s: tensor %s is missing (expected shape %s)", ckpt_dir, s->name, want);
            continue;
        }
        shape_str(got, sizeof got, t->ndim, t->shape);
        if (t->ndim != s->ndim || memcmp(t->shape, s->shape, (size_t)s->ndim * sizeof *s->shape) != 0) {
            rc = eb_err_set(err, "%s: tensor %s has shape %s, the config implies %s", t->file, s->name, got, want);
            break;
        }
        if (t->dtype != EB_DT_F32 && t->dtype != EB_DT_BF16) {
            rc = eb_err_set(err, "%s: tensor %s has dtype %s (supported: F32, BF16)", t->file, s->name, t->dtype_str);
            break;
        }
        if (s->slot) {
            s->slot->data = t->data;
            s->slot->dtype = t->dtype;
            s->slot->ndim = t->ndim;
            memcpy(s->slot->shape, t->shape, sizeof s->slot->shape);
            s->slot->name = t->name;
        }
    }
    free(specs);
    if (rc != 0) {
        eb_g4_weights_free(w);
        return -1;
    }
    if (!eb_g4_present(&w->lm_head)) {
        if (!c->tied) {
            eb_g4_weights_free(w);
            return eb_err_set(err, "%s: tensor lm_head.weight is missing and tie_word_embeddings is false", ckpt_dir);
        }
        w->lm_head = w->embed;
    }
    return 0;
}

void eb_g4_weights_free(eb_g4_weights *w) {
    if (!w) return;
    free(w->layers);
    w->layers = NULL;
}

float eb_g4_tensor_get(const eb_g4_tensor *t, int64_t i) {
    if (t->dtype == EB_DT_BF16) return eb_bf16_to_f32(((const uint16_t *)t->data)[i]);
    return ((const float *)t->data)[i];
}
