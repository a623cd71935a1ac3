#include "g4_config.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"

typedef struct pctx {
    const char *file;
    const char *section; /* "" or "text_config." for messages */
    eb_err *err;
} pctx;

/* An integer field: absent/null takes the default when `required` is false. */
static int get_int(const pctx *p, const cJSON *obj, const char *key, int def, bool required, int *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v)) {
        if (required) return eb_err_set(p->err, "%s: field %s%s is missing", p->file, p->section, key);
        *out = def;
        return 0;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < 0 || v->valuedouble > 1e9)
        return eb_err_set(p->err, "%s: field %s%s must be a non-negative integer", p->file, p->section, key);
    *out = (int)v->valuedouble;
    return 0;
}

static int get_num(const pctx *p, const cJSON *obj, const char *key, double def, double *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v)) {
        *out = def;
        return 0;
    }
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return eb_err_set(p->err, "%s: field %s%s must be a number", p->file, p->section, key);
    *out = v->valuedouble;
    return 0;
}

static int get_bool(const pctx *p, const cJSON *obj, const char *key, bool def, bool *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v)) {
        *out = def;
        return 0;
    }
    if (!cJSON_IsBool(v)) return eb_err_set(p->err, "%s: field %s%s must be true or false", p->file, p->section, key);
    *out = cJSON_IsTrue(v);
    return 0;
}

/* eos_token_id: an integer or a list of integers. */
static int get_eos(const pctx *p, const cJSON *obj, eb_g4_config *c) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "eos_token_id");
    if (!v || cJSON_IsNull(v)) return 0;
    c->n_eos = 0;
    if (cJSON_IsNumber(v)) {
        c->eos_ids[c->n_eos++] = v->valueint;
        return 0;
    }
    if (!cJSON_IsArray(v)) return eb_err_set(p->err, "%s: field %seos_token_id must be an integer or a list", p->file, p->section);
    const cJSON *e;
    cJSON_ArrayForEach(e, v) {
        if (!cJSON_IsNumber(e)) return eb_err_set(p->err, "%s: field %seos_token_id has a non-integer", p->file, p->section);
        if (c->n_eos < EB_G4_MAX_EOS) c->eos_ids[c->n_eos++] = e->valueint;
    }
    return 0;
}

static const char *layer_type_name(bool full) { return full ? "full_attention" : "sliding_attention"; }

/* RoPE for one layer type from rope_parameters[type] (HF defaults when absent). */
static int rope_for(const pctx *p, const cJSON *rope, bool full, int head_dim, eb_g4_layer_info *li) {
    const cJSON *r = rope ? cJSON_GetObjectItemCaseSensitive(rope, layer_type_name(full)) : NULL;
    const char *type = full ? "proportional" : "default";
    double theta = full ? 1e6 : 1e4, partial = full ? 0.25 : 1.0, factor = 1.0;
    if (r && !cJSON_IsNull(r)) {
        if (!cJSON_IsObject(r))
            return eb_err_set(p->err, "%s: field %srope_parameters.%s must be an object", p->file, p->section, layer_type_name(full));
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(r, "rope_type");
        type = cJSON_IsString(t) ? t->valuestring : "default";
        pctx q = *p;
        if (get_num(&q, r, "rope_theta", 1e4, &theta) != 0 || get_num(&q, r, "partial_rotary_factor", 1.0, &partial) != 0 ||
            get_num(&q, r, "factor", 1.0, &factor) != 0)
            return -1;
    }
    li->rope_theta = theta;
    li->rope_factor = factor;
    if (strcmp(type, "default") == 0) {
        li->rope_pairs = head_dim / 2;
        li->rope_factor = 1.0;
    } else if (strcmp(type, "proportional") == 0) {
        if (!(partial > 0 && partial <= 1) || !(factor > 0))
            return eb_err_set(p->err, "%s: field %srope_parameters.%s: bad partial_rotary_factor or factor", p->file,
                              p->section, layer_type_name(full));
        li->rope_pairs = (int)floor(partial * head_dim / 2.0);
    } else {
        return eb_err_set(p->err, "%s: field %srope_parameters.%s.rope_type \"%.40s\" is not supported (default, proportional)",
                          p->file, p->section, layer_type_name(full), type);
    }
    return 0;
}

/* per_layer_config: {"<index>" or "<layer type>": {"head_dim": .., "num_key_value_heads": ..}}. */
static const cJSON *layer_override(const cJSON *plc, int i, bool full) {
    if (!cJSON_IsObject(plc)) return NULL;
    char key[16];
    snprintf(key, sizeof key, "%d", i);
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(plc, key);
    if (!o) o = cJSON_GetObjectItemCaseSensitive(plc, layer_type_name(full));
    return cJSON_IsObject(o) ? o : NULL;
}

static int parse_text(const pctx *p, const cJSON *t, const cJSON *top, eb_g4_config *c) {
    if (get_int(p, t, "vocab_size", 0, true, &c->vocab) || get_int(p, t, "hidden_size", 0, true, &c->hidden) ||
        get_int(p, t, "num_hidden_layers", 0, true, &c->n_layers) ||
        get_int(p, t, "num_attention_heads", 0, true, &c->n_heads) ||
        get_int(p, t, "num_key_value_heads", 0, true, &c->n_kv_heads) ||
        get_int(p, t, "intermediate_size", 0, true, &c->intermediate) ||
        get_int(p, t, "head_dim", 256, false, &c->head_dim) ||
        get_int(p, t, "global_head_dim", 512, false, &c->global_head_dim) ||
        get_int(p, t, "num_global_key_value_heads", 0, false, &c->n_global_kv) ||
        get_int(p, t, "sliding_window", 512, false, &c->sliding_window) ||
        get_int(p, t, "num_kv_shared_layers", 0, false, &c->n_kv_shared) ||
        get_int(p, t, "hidden_size_per_layer_input", 256, false, &c->ple_dim) ||
        get_int(p, t, "vocab_size_per_layer_input", 262144, false, &c->ple_vocab) ||
        get_int(p, t, "max_position_embeddings", 131072, false, &c->max_positions) ||
        get_int(p, t, "bos_token_id", 2, false, &c->bos_id) || get_int(p, t, "pad_token_id", 0, false, &c->pad_id) ||
        get_num(p, t, "rms_norm_eps", 1e-6, &c->rms_eps) || get_num(p, t, "final_logit_softcapping", 0.0, &c->final_softcap) ||
        get_bool(p, t, "attention_k_eq_v", false, &c->k_eq_v) ||
        get_bool(p, t, "use_double_wide_mlp", false, &c->double_wide) ||
        get_bool(p, t, "enable_moe_block", false, &c->moe) ||
        get_bool(p, t, "tie_word_embeddings", true, &c->tied))
        return -1;
    c->eos_ids[0] = 1;
    c->n_eos = 1;
    if (get_eos(p, t, c) != 0) return -1;
    if (top && top != t) {
        pctx q = *p;
        q.section = "";
        if (get_eos(&q, top, c) != 0) return -1;
    }
    if (c->vocab < 1 || c->hidden < 1 || c->n_layers < 1 || c->n_heads < 1 || c->n_kv_heads < 1 || c->head_dim < 2 ||
        c->head_dim % 2 || c->global_head_dim < 2 || c->global_head_dim % 2 || c->intermediate < 1)
        return eb_err_set(p->err, "%s: %ssizes must be positive (and head dims even)", p->file, p->section);
    if (c->n_layers > 4096) return eb_err_set(p->err, "%s: field %snum_hidden_layers is too large", p->file, p->section);
    if (c->n_kv_shared >= c->n_layers)
        return eb_err_set(p->err, "%s: field %snum_kv_shared_layers must be below num_hidden_layers", p->file, p->section);
    if (c->ple_dim && c->ple_vocab < 1)
        return eb_err_set(p->err, "%s: field %svocab_size_per_layer_input must be positive", p->file, p->section);
    if (c->moe && (get_int(p, t, "num_experts", 0, true, &c->n_experts) || get_int(p, t, "top_k_experts", 0, true, &c->top_k) ||
                   get_int(p, t, "moe_intermediate_size", 0, true, &c->moe_intermediate)))
        return -1;
    if (c->moe && (c->n_experts < 1 || c->top_k < 1 || c->top_k > c->n_experts || c->moe_intermediate < 1))
        return eb_err_set(p->err, "%s: %snum_experts/top_k_experts/moe_intermediate_size are inconsistent", p->file, p->section);
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(t, "hidden_activation");
    if (cJSON_IsString(act) && strcmp(act->valuestring, "gelu_pytorch_tanh") != 0)
        return eb_err_set(p->err, "%s: field %shidden_activation \"%.40s\" is not supported (gelu_pytorch_tanh)", p->file,
                          p->section, act->valuestring);
    bool bias = false;
    if (get_bool(p, t, "attention_bias", false, &bias) != 0) return -1;
    if (bias) return eb_err_set(p->err, "%s: field %sattention_bias=true is not supported", p->file, p->section);
    const cJSON *bidi = cJSON_GetObjectItemCaseSensitive(t, "use_bidirectional_attention");
    if (cJSON_IsString(bidi) && strcmp(bidi->valuestring, "all") == 0)
        return eb_err_set(p->err, "%s: field %suse_bidirectional_attention=\"all\" is not supported", p->file, p->section);

    c->layers = eb_calloc((size_t)c->n_layers, sizeof *c->layers);
    const cJSON *types = cJSON_GetObjectItemCaseSensitive(t, "layer_types");
    if (types && !cJSON_IsNull(types)) {
        if (!cJSON_IsArray(types) || cJSON_GetArraySize(types) != c->n_layers)
            return eb_err_set(p->err, "%s: field %slayer_types must list num_hidden_layers (%d) entries", p->file, p->section,
                              c->n_layers);
        for (int i = 0; i < c->n_layers; i++) {
            const cJSON *e = cJSON_GetArrayItem(types, i);
            if (cJSON_IsString(e) && strcmp(e->valuestring, "full_attention") == 0) c->layers[i].full = true;
            else if (cJSON_IsString(e) && strcmp(e->valuestring, "sliding_attention") == 0) c->layers[i].full = false;
            else return eb_err_set(p->err, "%s: field %slayer_types[%d] must be sliding_attention or full_attention", p->file, p->section, i);
        }
    } else {
        for (int i = 0; i < c->n_layers; i++) c->layers[i].full = (i + 1) % 6 == 0;
    }
    c->layers[c->n_layers - 1].full = true; /* as the reference forces it */

    const cJSON *plc = cJSON_GetObjectItemCaseSensitive(t, "per_layer_config");
    const cJSON *rope = cJSON_GetObjectItemCaseSensitive(t, "rope_parameters");
    if (rope && !cJSON_IsNull(rope) && !cJSON_IsObject(rope))
        return eb_err_set(p->err, "%s: field %srope_parameters must be an object", p->file, p->section);
    int first_shared = c->n_layers - c->n_kv_shared;
    for (int i = 0; i < c->n_layers; i++) {
        eb_g4_layer_info *li = &c->layers[i];
        if (li->full) {
            li->head_dim = c->global_head_dim;
            li->n_kv = (c->k_eq_v && c->n_global_kv > 0) ? c->n_global_kv : c->n_kv_heads;
            li->has_v = !c->k_eq_v;
        } else {
            li->head_dim = c->head_dim;
            li->n_kv = c->n_kv_heads;
            li->has_v = true;
        }
        const cJSON *o = layer_override(plc, i, li->full);
        if (o) {
            pctx q = *p;
            q.section = "per_layer_config.";
            if (get_int(&q, o, "head_dim", li->head_dim, false, &li->head_dim) ||
                get_int(&q, o, "num_key_value_heads", li->n_kv, false, &li->n_kv))
                return -1;
        }
        if (li->head_dim < 2 || li->head_dim % 2 || li->n_kv < 1 || c->n_heads % li->n_kv)
            return eb_err_set(p->err, "%s: layer %d: head_dim %d / %d KV heads do not divide %d attention heads", p->file, i,
                              li->head_dim, li->n_kv, c->n_heads);
        if (rope_for(p, rope, li->full, li->head_dim, li) != 0) return -1;
        li->kv_source = i;
        li->intermediate = c->intermediate;
        if (i >= first_shared) {
            int src = -1;
            for (int j = first_shared - 1; j >= 0; j--)
                if (c->layers[j].full == li->full) {
                    src = j;
                    break;
                }
            if (src < 0)
                return eb_err_set(p->err, "%s: layer %d shares KV but no earlier %s layer produces it", p->file, i,
                                  layer_type_name(li->full));
            if (c->layers[src].head_dim != li->head_dim || c->layers[src].n_kv != li->n_kv)
                return eb_err_set(p->err, "%s: layer %d shares KV with layer %d of a different shape", p->file, i, src);
            li->kv_source = src;
            if (c->double_wide) li->intermediate = 2 * c->intermediate;
        }
    }
    return 0;
}

int eb_g4_config_parse(const char *text, const char *file, eb_g4_config *out, eb_err *err) {
    memset(out, 0, sizeof *out);
    cJSON *root = cJSON_Parse(text);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return eb_err_set(err, "%s: not a JSON object", file);
    }
    const cJSON *tc = cJSON_GetObjectItemCaseSensitive(root, "text_config");
    pctx p = {file, "", err};
    const cJSON *t = root;
    if (tc && !cJSON_IsNull(tc)) {
        if (!cJSON_IsObject(tc)) {
            cJSON_Delete(root);
            return eb_err_set(err, "%s: field text_config must be an object", file);
        }
        t = tc;
        p.section = "text_config.";
        out->multimodal = true;
    }
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(t, "model_type");
    int rc = 0;
    if (cJSON_IsString(mt) && strcmp(mt->valuestring, "gemma4_text") != 0 && strcmp(mt->valuestring, "gemma4") != 0)
        rc = eb_err_set(err, "%s: field %smodel_type is \"%.40s\", not a Gemma 4 text model", file, p.section, mt->valuestring);
    if (rc == 0) rc = parse_text(&p, t, root, out);
    cJSON_Delete(root);
    if (rc != 0) eb_g4_config_free(out);
    return rc;
}

int eb_g4_config_load(const char *dir, eb_g4_config *out, eb_err *err) {
    char *path = eb_path_join(dir, "config.json");
    char *text = NULL;
    size_t len = 0;
    int rc = eb_read_file(path, &text, &len, err);
    if (rc == 0) rc = eb_g4_config_parse(text, path, out, err);
    free(text);
    free(path);
    return rc;
}

void eb_g4_config_free(eb_g4_config *c) {
    if (!c) return;
    free(c->layers);
    c->layers = NULL;
}
