/* The Gemma 4 forward pass, written once against the backend operations
 * table.  The order of operations follows the reference implementation
 * exactly (see docs/local-engine.md); every step is per row, so a batch of
 * chunks from different sequences computes the same numbers as each chunk
 * alone. */
#include "g4_model.h"

#include <unistd.h>

#include "g4_quant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define OPS(m) ((m)->be->ops)

/* The reference multiplies embeddings by a scale stored in the weights'
 * dtype: sqrt(1536) becomes 39.25 in bf16. */
static float scale_in_dtype(double v, eb_dtype dt) {
    float f = (float)v;
    return dt == EB_DT_BF16 ? eb_bf16_to_f32(eb_f32_to_bf16(f)) : f;
}

int eb_g4_model_load(const char *dir, eb_g4_backend *be, eb_g4_model **out, eb_err *err) {
    return eb_g4_model_load_quant(dir, be, EB_G4_Q_NONE, out, err);
}

int eb_g4_model_load_quant(const char *dir, eb_g4_backend *be, int quant, eb_g4_model **out, eb_err *err) {
    *out = NULL;
    eb_g4_model *m = eb_calloc(1, sizeof *m);
    m->be = be;
    if (eb_g4_config_load(dir, &m->cfg, err) != 0) goto fail;
    if (eb_st_open_dir(dir, &m->st, err) != 0) goto fail;
    if (eb_g4_weights_bind(&m->cfg, &m->st, dir, &m->w, err) != 0) goto fail;
    eb_g4_weights_mark_quant(&m->cfg, &m->w, (eb_g4_quant)quant);
    if (be->ops->load_weights) {
        /* a device backend quantizes as it uploads */
        if (be->ops->load_weights(be, &m->cfg, &m->w, err) != 0) goto fail;
    } else if (quant != EB_G4_Q_NONE) {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        if (eb_g4_weights_quantize_host(&m->w, ncpu > 0 ? (int)ncpu : 1, err) != 0) goto fail;
    }
    const eb_g4_config *c = &m->cfg;
    m->inv_freq = eb_calloc((size_t)c->n_layers, sizeof *m->inv_freq);
    for (int i = 0; i < c->n_layers; i++) {
        const eb_g4_layer_info *li = &c->layers[i];
        int half = li->head_dim / 2;
        m->inv_freq[i] = eb_calloc((size_t)half, sizeof(float));
        for (int k = 0; k < half && k < li->rope_pairs; k++) {
            /* f32 steps as the reference: 1 / theta^((2k) / d), then / factor */
            float e = (float)(2 * k) / (float)li->head_dim;
            m->inv_freq[i][k] = (1.0f / powf((float)li->rope_theta, e)) / (float)li->rope_factor;
        }
    }
    m->embed_scale = scale_in_dtype(sqrt((double)c->hidden), m->w.embed.dtype);
    if (c->ple_dim) m->ple_embed_scale = scale_in_dtype(sqrt((double)c->ple_dim), m->w.ple_embed.dtype);
    m->max_positions = c->max_positions;
    *out = m;
    return 0;
fail:
    m->be = NULL; /* the caller still owns it on failure */
    eb_g4_model_free(m);
    return -1;
}

void eb_g4_model_free(eb_g4_model *m) {
    if (!m) return;
    if (m->inv_freq)
        for (int i = 0; i < m->cfg.n_layers; i++) free(m->inv_freq[i]);
    free(m->inv_freq);
    eb_g4_weights_free_quant(&m->w);
    eb_g4_weights_free(&m->w);
    eb_st_close(&m->st);
    eb_g4_config_free(&m->cfg);
    eb_g4_backend_destroy(m->be);
    free(m);
}

eb_g4_seq *eb_g4_seq_new(const eb_g4_model *m) {
    eb_g4_seq *s = eb_calloc(1, sizeof *s);
    s->kv = eb_calloc((size_t)m->cfg.n_layers, sizeof *s->kv);
    return s;
}

void eb_g4_seq_free(const eb_g4_model *m, eb_g4_seq *s) {
    if (!s) return;
    for (int i = 0; i < m->cfg.n_layers; i++) {
        if (s->kv[i].k) OPS(m)->release(m->be, s->kv[i].k);
        if (s->kv[i].v) OPS(m)->release(m->be, s->kv[i].v);
    }
    free(s->kv);
    free(s);
}

void eb_g4_seq_reset(eb_g4_seq *s) { s->n_past = 0; }

eb_g4_seq *eb_g4_seq_fork(const eb_g4_model *m, const eb_g4_seq *src) {
    eb_g4_seq *s = eb_g4_seq_new(m);
    s->n_past = src->n_past;
    for (int i = 0; i < m->cfg.n_layers; i++) {
        const eb_g4_kv *kv = &src->kv[i];
        if (!kv->k) continue;
        size_t n = (size_t)kv->cap * m->cfg.layers[i].n_kv * m->cfg.layers[i].head_dim;
        s->kv[i].k = OPS(m)->alloc(m->be, n);
        s->kv[i].v = OPS(m)->alloc(m->be, n);
        OPS(m)->copy(m->be, s->kv[i].k, kv->k, n);
        OPS(m)->copy(m->be, s->kv[i].v, kv->v, n);
        s->kv[i].cap = kv->cap;
    }
    return s;
}

/* Makes room for n more positions: full layers keep everything, sliding
 * layers the last window - 1 positions plus the new ones. */
static void kv_reserve(eb_g4_model *m, eb_g4_seq *s, int layer, int n) {
    const eb_g4_layer_info *li = &m->cfg.layers[layer];
    eb_g4_kv *kv = &s->kv[layer];
    int pos0 = s->n_past, W = m->cfg.sliding_window;
    int keep = li->full ? pos0 : (pos0 < W - 1 ? pos0 : W - 1);
    int need = keep + n;
    if (kv->cap >= need) return;
    int cap = li->full ? (need > 2 * kv->cap ? need : 2 * kv->cap) : (need > W ? need : W);
    if (cap < 16) cap = 16;
    size_t row = (size_t)li->n_kv * li->head_dim;
    float *k = OPS(m)->alloc(m->be, (size_t)cap * row), *v = OPS(m)->alloc(m->be, (size_t)cap * row);
    if (kv->k) {
        /* the kept positions move in runs contiguous in both rings (at most
         * three), not row by row: one copy each on a device */
        int old_keep = keep < kv->cap ? keep : kv->cap;
        for (int p = pos0 - old_keep; p < pos0;) {
            int so = p % kv->cap, d = p % cap, len = pos0 - p;
            if (len > kv->cap - so) len = kv->cap - so;
            if (len > cap - d) len = cap - d;
            OPS(m)->copy(m->be, k + (size_t)d * row, kv->k + (size_t)so * row, (size_t)len * row);
            OPS(m)->copy(m->be, v + (size_t)d * row, kv->v + (size_t)so * row, (size_t)len * row);
            p += len;
        }
        OPS(m)->release(m->be, kv->k);
        OPS(m)->release(m->be, kv->v);
    }
    kv->k = k;
    kv->v = v;
    kv->cap = cap;
}

typedef struct bufs {
    float *x, *a, *q, *k, *v, *att, *g, *u;
    float *ple, *ple_tmp, *pg;
    float *rl, *ein, *acc, *gu, *eh, *ey, *d1;
} bufs;

static void moe_block(eb_g4_model *m, int layer, bufs *b, int R, const float *resid, float *out) {
    const eb_g4_config *c = &m->cfg;
    const eb_g4_layer_weights *lw = &m->w.layers[layer];
    const eb_g4_backend_ops *o = OPS(m);
    int H = c->hidden, E = c->n_experts, K = c->top_k, MI = c->moe_intermediate;
    float eps = (float)c->rms_eps;
    /* router on the un-normed residual stream */
    o->rmsnorm(m->be, resid, b->ein, R, H, NULL, eps);
    o->scale_cols(m->be, b->ein, R, H, &lw->router_scale, (float)pow((double)H, -0.5));
    o->matmul(m->be, &lw->router_proj, 0, E, H, b->ein, R, b->rl);
    int32_t *idx = eb_malloc((size_t)R * K * sizeof *idx);
    float *wt = eb_malloc((size_t)R * K * sizeof *wt);
    o->route(m->be, b->rl, R, E, K, &lw->per_expert_scale, idx, wt);
    /* experts on their own pre-norm, summed in ascending expert order */
    o->rmsnorm(m->be, resid, b->ein, R, H, &lw->pre_ffn_norm_2, eps);
    o->zero(m->be, b->acc, (size_t)R * H);
    int32_t *rows = eb_malloc((size_t)R * sizeof *rows);
    float *rw = eb_malloc((size_t)R * sizeof *rw);
    for (int e = 0; e < E; e++) {
        int n = 0;
        for (int r = 0; r < R; r++)
            for (int j = 0; j < K; j++)
                if (idx[r * K + j] == e) {
                    rows[n] = r;
                    rw[n++] = wt[r * K + j];
                }
        if (!n) continue;
        o->gather_rows(m->be, b->ey, b->ein, rows, n, H);
        o->matmul(m->be, &lw->experts_gate_up, (int64_t)e * 2 * MI, 2 * MI, H, b->ey, n, b->gu);
        o->gelu_mul(m->be, b->eh, MI, b->gu, 2 * MI, b->gu + MI, 2 * MI, n, MI);
        o->matmul(m->be, &lw->experts_down, (int64_t)e * H, H, MI, b->eh, n, b->ey);
        o->scatter_add_rows(m->be, b->acc, b->ey, rows, rw, n, H);
    }
    free(idx);
    free(wt);
    free(rows);
    free(rw);
    o->rmsnorm(m->be, out, out, R, H, &lw->post_ffn_norm_1, eps);
    o->rmsnorm(m->be, b->acc, b->acc, R, H, &lw->post_ffn_norm_2, eps);
    o->add(m->be, out, b->acc, (size_t)R * H);
}

int eb_g4_forward(eb_g4_model *m, eb_g4_chunk *ch, int n_chunks, eb_err *err) {
    const eb_g4_config *c = &m->cfg;
    const eb_g4_backend_ops *o = OPS(m);
    int R = 0;
    for (int i = 0; i < n_chunks; i++) {
        if (ch[i].n <= 0) return eb_err_set(err, "gemma4: empty chunk");
        if (ch[i].seq->n_past + ch[i].n > m->max_positions)
            return eb_err_set(err, "gemma4: %d tokens exceed the model's %d positions", ch[i].seq->n_past + ch[i].n,
                              m->max_positions);
        if ((ch[i].logits || ch[i].argmax) && (ch[i].logits_from < 0 || ch[i].logits_from >= ch[i].n))
            return eb_err_set(err, "gemma4: logits_from %d outside the chunk of %d", ch[i].logits_from, ch[i].n);
        for (int t = 0; t < ch[i].n; t++)
            if (ch[i].ids[t] < 0 || ch[i].ids[t] >= c->vocab || (c->ple_dim && ch[i].ids[t] >= c->ple_vocab))
                return eb_err_set(err, "gemma4: token id %d outside the vocabulary (%d)", ch[i].ids[t], c->vocab);
        for (int j = 0; j < i; j++)
            if (ch[j].seq == ch[i].seq) return eb_err_set(err, "gemma4: two chunks of one sequence in a batch");
        R += ch[i].n;
    }
    int H = c->hidden, L = c->n_layers, P = c->ple_dim, nh = c->n_heads;
    float eps = (float)c->rms_eps;
    size_t qmax = 0, kvmax = 0, imax = 0;
    for (int i = 0; i < L; i++) {
        const eb_g4_layer_info *li = &c->layers[i];
        size_t q = (size_t)nh * li->head_dim, kv = (size_t)li->n_kv * li->head_dim;
        qmax = q > qmax ? q : qmax;
        kvmax = kv > kvmax ? kv : kvmax;
        imax = (size_t)li->intermediate > imax ? (size_t)li->intermediate : imax;
        if (li->kv_source == i)
            for (int k = 0; k < n_chunks; k++) kv_reserve(m, ch[k].seq, i, ch[k].n);
    }
    int32_t *ids = eb_malloc((size_t)R * sizeof *ids), *pos = eb_malloc((size_t)R * sizeof *pos);
    int *off = eb_malloc((size_t)n_chunks * sizeof *off);
    eb_g4_kv_write *writes = eb_malloc((size_t)n_chunks * 2 * sizeof *writes);
    eb_g4_attn *attn = eb_malloc((size_t)n_chunks * sizeof *attn);
    for (int i = 0, r = 0; i < n_chunks; i++) {
        off[i] = r;
        for (int t = 0; t < ch[i].n; t++, r++) {
            ids[r] = ch[i].ids[t];
            pos[r] = ch[i].seq->n_past + t;
        }
    }
    size_t RH = (size_t)R * H;
    bufs b = {0};
    b.x = o->alloc(m->be, RH);
    b.a = o->alloc(m->be, RH);
    b.q = o->alloc(m->be, (size_t)R * qmax);
    b.k = o->alloc(m->be, (size_t)R * kvmax);
    b.v = o->alloc(m->be, (size_t)R * kvmax);
    b.att = o->alloc(m->be, (size_t)R * qmax);
    b.g = o->alloc(m->be, (size_t)R * imax);
    b.u = o->alloc(m->be, (size_t)R * imax);
    if (P) {
        b.ple = o->alloc(m->be, (size_t)R * L * P);
        b.ple_tmp = o->alloc(m->be, (size_t)R * L * P);
        b.pg = o->alloc(m->be, (size_t)R * P);
    }
    if (c->moe) {
        b.rl = o->alloc(m->be, (size_t)R * c->n_experts);
        b.ein = o->alloc(m->be, RH);
        b.acc = o->alloc(m->be, RH);
        b.gu = o->alloc(m->be, (size_t)R * 2 * c->moe_intermediate);
        b.eh = o->alloc(m->be, (size_t)R * c->moe_intermediate);
        b.ey = o->alloc(m->be, RH);
    }

    /* embeddings, and the per-layer inputs built from them */
    o->embed(m->be, &m->w.embed, ids, R, m->embed_scale, b.x);
    if (P) {
        o->embed(m->be, &m->w.ple_embed, ids, R, m->ple_embed_scale, b.ple_tmp);
        o->matmul(m->be, &m->w.ple_model_proj, 0, L * P, H, b.x, R, b.ple);
        o->scale(m->be, b.ple, (float)pow((double)H, -0.5), (size_t)R * L * P);
        o->rmsnorm(m->be, b.ple, b.ple, R * L, P, &m->w.ple_proj_norm, eps);
        o->add_scale(m->be, b.ple, b.ple_tmp, (float)pow(2.0, -0.5), (size_t)R * L * P);
    }

    for (int i = 0; i < L; i++) {
        const eb_g4_layer_info *li = &c->layers[i];
        const eb_g4_layer_weights *lw = &m->w.layers[i];
        int hd = li->head_dim, nkv = li->n_kv, qd = nh * hd, kvd = nkv * hd, I = li->intermediate;
        /* attention */
        o->rmsnorm(m->be, b.x, b.a, R, H, &lw->input_norm, eps);
        o->matmul(m->be, &lw->q_proj, 0, qd, H, b.a, R, b.q);
        o->rmsnorm(m->be, b.q, b.q, R * nh, hd, &lw->q_norm, eps);
        o->rope(m->be, b.q, R, nh, hd, pos, m->inv_freq[i]);
        if (li->kv_source == i) {
            o->matmul(m->be, &lw->k_proj, 0, kvd, H, b.a, R, b.k);
            if (li->has_v) o->matmul(m->be, &lw->v_proj, 0, kvd, H, b.a, R, b.v);
            else o->copy(m->be, b.v, b.k, (size_t)R * kvd); /* V from the un-normed K projection */
            o->rmsnorm(m->be, b.k, b.k, R * nkv, hd, &lw->k_norm, eps);
            o->rope(m->be, b.k, R, nkv, hd, pos, m->inv_freq[i]);
            o->rmsnorm(m->be, b.v, b.v, R * nkv, hd, NULL, eps);
            for (int k = 0; k < n_chunks; k++) {
                eb_g4_kv *kv = &ch[k].seq->kv[i];
                writes[2 * k] = (eb_g4_kv_write){kv->k, kv->cap, kvd, b.k + (size_t)off[k] * kvd, ch[k].n, ch[k].seq->n_past};
                writes[2 * k + 1] = (eb_g4_kv_write){kv->v, kv->cap, kvd, b.v + (size_t)off[k] * kvd, ch[k].n, ch[k].seq->n_past};
            }
            o->kv_store(m->be, writes, 2 * n_chunks);
        }
        for (int k = 0; k < n_chunks; k++) {
            const eb_g4_kv *kv = &ch[k].seq->kv[li->kv_source];
            attn[k] = (eb_g4_attn){
                .q = b.q + (size_t)off[k] * qd, .out = b.att + (size_t)off[k] * qd, .n = ch[k].n,
                .pos0 = ch[k].seq->n_past, .n_heads = nh, .n_kv = nkv, .head_dim = hd, .k = kv->k, .v = kv->v,
                .cap = kv->cap, .window = li->full ? 0 : c->sliding_window,
            };
        }
        o->attention(m->be, attn, n_chunks);
        o->matmul(m->be, &lw->o_proj, 0, H, qd, b.att, R, b.a);
        o->rmsnorm(m->be, b.a, b.a, R, H, &lw->post_attn_norm, eps);
        o->add(m->be, b.x, b.a, RH);

        /* feed-forward: dense MLP, plus the experts beside it on MoE models */
        o->rmsnorm(m->be, b.x, b.a, R, H, &lw->pre_ffn_norm, eps);
        o->matmul(m->be, &lw->gate_proj, 0, I, H, b.a, R, b.g);
        o->matmul(m->be, &lw->up_proj, 0, I, H, b.a, R, b.u);
        o->gelu_mul(m->be, b.g, I, b.g, I, b.u, I, R, I);
        o->matmul(m->be, &lw->down_proj, 0, H, I, b.g, R, b.a);
        if (c->moe) moe_block(m, i, &b, R, b.x, b.a);
        o->rmsnorm(m->be, b.a, b.a, R, H, &lw->post_ffn_norm, eps);
        o->add(m->be, b.x, b.a, RH);

        /* per-layer input */
        if (P) {
            o->matmul(m->be, &lw->ple_gate, 0, P, H, b.x, R, b.pg);
            o->gelu_mul(m->be, b.pg, P, b.pg, P, NULL, 0, R, P);
            o->mul(m->be, b.pg, P, b.ple + (size_t)i * P, L * P, R, P);
            o->matmul(m->be, &lw->ple_proj, 0, H, P, b.pg, R, b.a);
            o->rmsnorm(m->be, b.a, b.a, R, H, &lw->ple_post_norm, eps);
            o->add(m->be, b.x, b.a, RH);
        }
        o->scale(m->be, b.x, eb_g4_tensor_get(&lw->layer_scalar, 0), RH);
    }

    /* logits (or their argmax) for the rows asked for */
    int nl = 0;
    for (int k = 0; k < n_chunks; k++)
        if (ch[k].logits || ch[k].argmax) nl += ch[k].n - ch[k].logits_from;
    if (nl) {
        int32_t *rows = eb_malloc((size_t)nl * sizeof *rows);
        for (int k = 0, j = 0; k < n_chunks; k++)
            if (ch[k].logits || ch[k].argmax)
                for (int t = ch[k].logits_from; t < ch[k].n; t++) rows[j++] = off[k] + t;
        float *h = o->alloc(m->be, (size_t)nl * H), *lg = o->alloc(m->be, (size_t)nl * c->vocab);
        o->gather_rows(m->be, h, b.x, rows, nl, H);
        o->rmsnorm(m->be, h, h, nl, H, &m->w.final_norm, eps);
        o->matmul(m->be, &m->w.lm_head, 0, c->vocab, H, h, nl, lg);
        if (c->final_softcap > 0) o->softcap(m->be, lg, (float)c->final_softcap, (size_t)nl * c->vocab);
        for (int k = 0, j = 0; k < n_chunks; k++) {
            if (!ch[k].logits && !ch[k].argmax) continue;
            int n = ch[k].n - ch[k].logits_from;
            const float *src = lg + (size_t)j * c->vocab;
            if (ch[k].logits) {
                o->download(m->be, ch[k].logits, src, (size_t)n * c->vocab);
            } else {
                o->argmax(m->be, src, n, c->vocab, ch[k].argmax);
            }
            j += n;
        }
        o->release(m->be, h);
        o->release(m->be, lg);
        free(rows);
    }
    for (int k = 0; k < n_chunks; k++) ch[k].seq->n_past += ch[k].n;

    float *all[] = {b.x, b.a, b.q, b.k, b.v, b.att, b.g, b.u, b.ple, b.ple_tmp, b.pg, b.rl, b.ein, b.acc, b.gu, b.eh, b.ey, b.d1};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i]) o->release(m->be, all[i]);
    free(ids);
    free(pos);
    free(off);
    free(writes);
    free(attn);
    return o->check ? o->check(m->be, err) : 0;
}
