/* Helpers shared by the Gemma 4 fixture tests (CPU and GPU): where the tiny
 * checkpoints and their transformers references live, reading the
 * reference tensors, and running a prompt through a loaded model. */
#ifndef EB_G4_FIXTURE_UTIL_H
#define EB_G4_FIXTURE_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "g4_model.h"

/* tests/fixtures/gemma4/NAME (caller frees). */
static inline char *g4_fixture_path(const char *name) {
    size_t n = strlen(EVALBENCH_SOURCE_DIR) + strlen(name) + 64;
    char *p = malloc(n);
    snprintf(p, n, "%s/tests/fixtures/gemma4/%s", EVALBENCH_SOURCE_DIR, name);
    return p;
}

static inline const eb_st_tensor *g4_ref_tensor(const eb_st_file *f, const char *name) {
    for (size_t i = 0; i < f->n_tensors; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    return NULL;
}

/* An int64 reference tensor as int32 token ids (caller frees). */
static inline int32_t *g4_ids_of(const eb_st_tensor *t) {
    int32_t *ids = malloc((size_t)t->numel * sizeof *ids);
    for (int64_t i = 0; i < t->numel; i++) {
        int64_t v;
        memcpy(&v, (const char *)t->data + i * 8, 8);
        ids[i] = (int32_t)v;
    }
    return ids;
}

/* Fixture NAME on backend `be` (taken over; destroyed on failure, and NULL
 * is accepted as an already failed backend), its layer projections
 * quantized on load as `quant` (an eb_g4_quant) says. */
static inline eb_g4_model *g4_fixture_load_quant(const char *name, eb_g4_backend *be, int quant) {
    if (!be) return NULL;
    char *dir = g4_fixture_path(name);
    eb_err err = {0};
    eb_g4_model *m = NULL;
    if (eb_g4_model_load_quant(dir, be, quant, &m, &err) != 0) {
        fprintf(stderr, "load %s: %s\n", dir, err.msg);
        eb_g4_backend_destroy(be);
        m = NULL;
    }
    free(dir);
    return m;
}

static inline eb_g4_model *g4_fixture_load(const char *name, eb_g4_backend *be) {
    return g4_fixture_load_quant(name, be, 0);
}

/* The largest value's index, the lowest among equals. */
static inline int g4_argmax(const float *v, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[best]) best = i;
    return best;
}

/* Logits whose top two are closer than this are a near tie: bf16-level
 * rounding may swap them. */
#define NEAR_TIE 0.05

/* Largest minus second largest. */
static inline double g4_margin(const float *v, int n) {
    int b = g4_argmax(v, n);
    double second = -INFINITY;
    for (int i = 0; i < n; i++)
        if (i != b && v[i] > second) second = v[i];
    return (double)v[b] - second;
}

/* Logits [n, V] against wanted ones: max |difference|, relative L2 error
 * of all of them, and top-1 disagreements at positions that are no near
 * tie in `want`. */
typedef struct g4_cmp {
    double max_abs, rel_l2;
    int top1_bad, decisive;
} g4_cmp;

static inline g4_cmp g4_compare(const float *got, const float *want, int n, int V) {
    g4_cmp c = {0};
    double dd = 0, rr = 0;
    for (int t = 0; t < n; t++) {
        const float *g = got + (size_t)t * V, *w = want + (size_t)t * V;
        for (int v = 0; v < V; v++) {
            double d = (double)g[v] - w[v];
            dd += d * d;
            rr += (double)w[v] * w[v];
            if (fabs(d) > c.max_abs || isnan(d)) c.max_abs = isnan(d) ? INFINITY : fabs(d);
        }
        if (g4_margin(w, V) > NEAR_TIE) {
            c.decisive++;
            if (g4_argmax(g, V) != g4_argmax(w, V)) c.top1_bad++;
        }
    }
    c.rel_l2 = rr > 0 ? sqrt(dd / rr) : INFINITY;
    return c;
}

/* All-position logits of one prompt [n, vocab], from one chunk or from
 * chunks of `step` (caller frees; NULL on error). */
static inline float *g4_run_logits(eb_g4_model *m, const int32_t *ids, int n, int step) {
    int V = m->cfg.vocab;
    float *out = malloc((size_t)n * V * sizeof *out);
    eb_g4_seq *s = eb_g4_seq_new(m);
    eb_err err = {0};
    for (int t = 0; t < n; t += step) {
        int k = t + step <= n ? step : n - t;
        eb_g4_chunk c = {.seq = s, .ids = ids + t, .n = k, .logits_from = 0, .logits = out + (size_t)t * V};
        if (eb_g4_forward(m, &c, 1, &err) != 0) {
            fprintf(stderr, "forward: %s\n", err.msg);
            free(out);
            out = NULL;
            break;
        }
    }
    eb_g4_seq_free(m, s);
    return out;
}

#endif
