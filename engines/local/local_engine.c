/* The "local" engine: Gemma 4 on this machine through eb_local_model.
 *
 * submit() only queues a copy of the request; one worker thread owns the
 * model.  Each turn it takes new requests (prompt prefill, or log-likelihood
 * scoring, which finishes at once) and then advances every generating
 * request by one token in a single batched forward, so the weights are read
 * once per step for the whole batch.  Finished responses wait in a queue
 * that poll() hands out. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "engine.h"
#include "g4_cuda.h"
#include "g4_quant.h"
#include "local_model.h"
#include "queue.h"
#include "strutil.h"
#include "timeutil.h"

/* Sequences decoded together in one batched step: on the CPU a few (the
 * step is compute-bound already); on a GPU as many as the KV cache memory
 * left beside the weights holds at EB_LOCAL_PLAN_CONTEXT tokens each, up to
 * MAX_ACTIVE_GPU.  $EVALBENCH_MAX_BATCH overrides both. */
#define MAX_ACTIVE_CPU 8
#define MAX_ACTIVE_GPU 128
#define EB_LOCAL_PLAN_CONTEXT 2048

typedef struct job {
    uint64_t id;
    char *system, *prompt;
    bool chat, add_bos;
    char **stop;
    size_t n_stop;
    int max_tokens;
    double temperature;
    uint64_t seed;
    char **conts;
    size_t n_conts;
    double t_start;
    /* generation state */
    eb_g4_seq *seq;
    size_t n_prompt;
    int n_out;
    int32_t next;
    eb_tok_stream *stream;
    eb_buf text;
    eb_rng rng;
    float *logits;
    struct job *link;
} job;

typedef struct local {
    eb_local_model *lm;
    pthread_t worker;
    pthread_mutex_t mu;
    pthread_cond_t wake, done_cv;
    bool quit;
    job *pending_head, *pending_tail;
    int n_pending, n_active;
    int max_active;
    eb_response_queue done;
} local;

static char **dup_strv(const char *const *v, size_t n) {
    if (!n) return NULL;
    char **out = eb_calloc(n, sizeof *out);
    for (size_t i = 0; i < n; i++) out[i] = eb_strdup(v[i] ? v[i] : "");
    return out;
}

static void free_strv(char **v, size_t n) {
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

static void job_free(local *L, job *j) {
    if (!j) return;
    free(j->system);
    free(j->prompt);
    free_strv(j->stop, j->n_stop);
    free_strv(j->conts, j->n_conts);
    if (j->seq) eb_g4_seq_free(L->lm->m, j->seq);
    eb_tok_stream_free(j->stream);
    eb_buf_free(&j->text);
    free(j->logits);
    free(j);
}

static void finish(local *L, job *j, eb_response *r) {
    r->id = j->id;
    r->latency_ms = eb_now_ms() - j->t_start;
    r->cost_usd = 0;
    r->tokens_cached = 0;
    r->model_version = eb_strdup(L->lm->dir);
    pthread_mutex_lock(&L->mu);
    eb_rq_push(&L->done, r);
    pthread_cond_broadcast(&L->done_cv);
    pthread_mutex_unlock(&L->mu);
}

static void fail_job(local *L, job *j, const char *msg) {
    eb_response r = {0};
    r.ok = false;
    r.tokens_in = r.tokens_out = -1;
    eb_buf b = {0};
    eb_buf_printf(&b, "local engine (%s): %s", L->lm->dir, msg);
    r.error = eb_buf_take(&b);
    finish(L, j, &r);
}

/* Log-likelihood request: the prompt once, then each continuation on a
 * copy of the prompt's cache. */
static void score(local *L, job *j) {
    eb_local_model *lm = L->lm;
    int V = lm->m->cfg.vocab;
    eb_err err = {0};
    int32_t *ids = NULL;
    size_t n = 0;
    float *last = eb_malloc((size_t)V * sizeof *last);
    eb_g4_seq *base = eb_g4_seq_new(lm->m);
    eb_response r = {0};
    r.logprobs = eb_calloc(j->n_conts, sizeof *r.logprobs);
    r.n_logprobs = j->n_conts;
    int rc = eb_local_encode_prompt(lm, j->system, j->prompt, j->chat, j->add_bos, &ids, &n, &err);
    if (rc == 0) rc = eb_local_prefill(lm, base, ids, n, NULL, last, &err);
    long tokens = (long)n;
    for (size_t c = 0; rc == 0 && c < j->n_conts; c++) {
        int32_t *cid = NULL;
        size_t cn = 0;
        rc = eb_tokenizer_encode(lm->tok, j->conts[c], strlen(j->conts[c]), 0, &cid, &cn, &err);
        if (rc == 0 && cn == 0) rc = eb_err_set(&err, "continuation %zu encodes to no tokens", c);
        if (rc == 0 && cn == 1) {
            /* one token (MMLU's " A"): its log-probability is in the prompt's
             * last row; running it through the model would only produce
             * logits nobody reads */
            r.logprobs[c] = eb_logprob(last, V, cid[0]);
            tokens += 1;
        } else if (rc == 0) {
            float *all = eb_malloc(cn * (size_t)V * sizeof *all);
            eb_g4_seq *s = eb_g4_seq_fork(lm->m, base);
            rc = eb_local_prefill(lm, s, cid, cn, all, NULL, &err);
            double lp = 0;
            for (size_t t = 0; rc == 0 && t < cn; t++)
                lp += eb_logprob(t == 0 ? last : all + (t - 1) * (size_t)V, V, cid[t]);
            r.logprobs[c] = lp;
            tokens += (long)cn;
            eb_g4_seq_free(lm->m, s);
            free(all);
        }
        free(cid);
    }
    free(ids);
    free(last);
    eb_g4_seq_free(lm->m, base);
    if (rc != 0) {
        eb_response_clear(&r);
        fail_job(L, j, err.msg);
        return;
    }
    r.ok = true;
    r.text = eb_strdup("");
    r.finish_reason = eb_strdup("stop");
    r.tokens_in = tokens;
    r.tokens_out = 0;
    finish(L, j, &r);
}

/* Earliest occurrence of any stop sequence, or -1. */
static long find_stop(const job *j) {
    long best = -1;
    const char *text = eb_buf_str(&j->text);
    for (size_t i = 0; i < j->n_stop; i++) {
        if (!*j->stop[i]) continue;
        const char *p = strstr(text, j->stop[i]);
        if (p && (best < 0 || p - text < best)) best = p - text;
    }
    return best;
}

static void complete(local *L, job *j, const char *reason) {
    eb_err err = {0};
    if (eb_tok_stream_finish(j->stream, &j->text, &err) != 0) {
        fail_job(L, j, err.msg);
        return;
    }
    long cut = find_stop(j);
    if (cut >= 0) {
        j->text.len = (size_t)cut;
        j->text.data[cut] = '\0';
        reason = "stop";
    }
    eb_response r = {0};
    r.ok = true;
    r.text = eb_strdup(eb_buf_str(&j->text));
    r.finish_reason = eb_strdup(reason);
    r.tokens_in = (long)j->n_prompt;
    r.tokens_out = j->n_out;
    finish(L, j, &r);
}

/* The next token from j->logits (greedy or sampled). */
static int32_t pick_token(local *L, job *j) {
    eb_local_model *lm = L->lm;
    return eb_sample(j->logits, lm->m->cfg.vocab, &(eb_sampling){j->temperature, lm->sampling.top_k, lm->sampling.top_p},
                     &j->rng);
}

/* Consumes the chosen token; returns true when the job is finished (and
 * answered). */
static bool take_token(local *L, job *j, int32_t tok) {
    eb_local_model *lm = L->lm;
    if (eb_local_is_stop(lm, tok)) {
        complete(L, j, "stop");
        return true;
    }
    eb_err err = {0};
    j->n_out++;
    if (eb_tok_stream_push(j->stream, tok, &j->text, &err) != 0) {
        fail_job(L, j, err.msg);
        return true;
    }
    if (find_stop(j) >= 0) {
        complete(L, j, "stop");
        return true;
    }
    /* max_tokens <= 0: no limit but the context, as the other engines read it */
    if ((j->max_tokens > 0 && j->n_out >= j->max_tokens) || j->seq->n_past + 1 > lm->m->max_positions) {
        complete(L, j, "length");
        return true;
    }
    j->next = tok;
    return false;
}

/* Prefill a new generation job; returns true if it is still running. */
static bool start(local *L, job *j) {
    eb_local_model *lm = L->lm;
    eb_err err = {0};
    int32_t *ids = NULL;
    size_t n = 0;
    if (eb_local_encode_prompt(lm, j->system, j->prompt, j->chat, j->add_bos, &ids, &n, &err) != 0) {
        fail_job(L, j, err.msg);
        return false;
    }
    if ((long)n >= lm->m->max_positions) {
        free(ids);
        eb_buf b = {0};
        eb_buf_printf(&b, "prompt of %zu tokens does not fit the %d-token context", n, lm->m->max_positions);
        fail_job(L, j, eb_buf_str(&b));
        eb_buf_free(&b);
        return false;
    }
    j->n_prompt = n;
    j->seq = eb_g4_seq_new(lm->m);
    j->logits = eb_malloc((size_t)lm->m->cfg.vocab * sizeof *j->logits);
    j->stream = eb_tok_stream_new(lm->tok, 0);
    eb_rng_seed(&j->rng, j->seed);
    int rc = eb_local_prefill(lm, j->seq, ids, n, NULL, j->logits, &err);
    free(ids);
    if (rc != 0) {
        fail_job(L, j, err.msg);
        return false;
    }
    return !take_token(L, j, pick_token(L, j));
}

static void *worker_main(void *arg) {
    local *L = arg;
    job **active = eb_calloc((size_t)L->max_active, sizeof *active);
    int n_active = 0;
    eb_g4_chunk *chunks = eb_calloc((size_t)L->max_active, sizeof *chunks);
    int32_t *greedy = eb_calloc((size_t)L->max_active, sizeof *greedy);
    for (;;) {
        pthread_mutex_lock(&L->mu);
        while (!L->quit && !L->pending_head && n_active == 0) pthread_cond_wait(&L->wake, &L->mu);
        if (L->quit) {
            pthread_mutex_unlock(&L->mu);
            break;
        }
        job *fresh = NULL, **tail = &fresh;
        while (L->pending_head && n_active + (fresh != NULL) < L->max_active) {
            job *j = L->pending_head;
            L->pending_head = j->link;
            if (!L->pending_head) L->pending_tail = NULL;
            L->n_pending--;
            j->link = NULL;
            *tail = j;
            tail = &j->link;
            if (!j->n_conts) break; /* one prefill per turn keeps decoding steps flowing */
        }
        pthread_mutex_unlock(&L->mu);
        while (fresh) {
            job *j = fresh;
            fresh = j->link;
            if (j->n_conts) {
                score(L, j);
                job_free(L, j);
            } else if (start(L, j)) {
                active[n_active++] = j;
            } else {
                job_free(L, j);
            }
        }
        if (n_active) {
            /* greedy requests take only the argmax (computed on the device);
             * sampled ones the whole distribution */
            for (int i = 0; i < n_active; i++) {
                bool g = active[i]->temperature <= 0;
                chunks[i] = (eb_g4_chunk){.seq = active[i]->seq, .ids = &active[i]->next, .n = 1,
                                          .logits = g ? NULL : active[i]->logits, .argmax = g ? &greedy[i] : NULL};
            }
            eb_err err = {0};
            if (eb_g4_forward(L->lm->m, chunks, n_active, &err) != 0) {
                for (int i = 0; i < n_active; i++) {
                    fail_job(L, active[i], err.msg);
                    job_free(L, active[i]);
                }
                n_active = 0;
            }
            int k = 0;
            for (int i = 0; i < n_active; i++) {
                int32_t tok = active[i]->temperature <= 0 ? greedy[i] : pick_token(L, active[i]);
                if (take_token(L, active[i], tok)) job_free(L, active[i]);
                else active[k++] = active[i];
            }
            n_active = k;
        }
        pthread_mutex_lock(&L->mu);
        L->n_active = n_active;
        pthread_mutex_unlock(&L->mu);
    }
    for (int i = 0; i < n_active; i++) job_free(L, active[i]);
    free(active);
    free(chunks);
    free(greedy);
    return NULL;
}

static int local_submit(eb_engine *e, const eb_request *req, eb_err *err) {
    local *L = e->impl;
    if (!req->prompt) return eb_err_set(err, "local engine: request %llu has no prompt", (unsigned long long)req->id);
    job *j = eb_calloc(1, sizeof *j);
    j->id = req->id;
    j->system = req->system ? eb_strdup(req->system) : NULL;
    j->prompt = eb_strdup(req->prompt);
    j->chat = req->chat;
    j->add_bos = req->add_bos;
    j->stop = dup_strv(req->stop, req->n_stop);
    j->n_stop = req->n_stop;
    j->max_tokens = req->max_tokens;
    j->temperature = req->temperature;
    j->seed = req->seed;
    j->conts = dup_strv(req->continuations, req->n_continuations);
    j->n_conts = req->n_continuations;
    j->t_start = eb_now_ms();
    pthread_mutex_lock(&L->mu);
    if (L->pending_tail) L->pending_tail->link = j;
    else L->pending_head = j;
    L->pending_tail = j;
    L->n_pending++;
    pthread_cond_signal(&L->wake);
    pthread_mutex_unlock(&L->mu);
    return 0;
}

static int local_poll(eb_engine *e, eb_response *out, int max, int timeout_ms, eb_err *err) {
    (void)err;
    local *L = e->impl;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    long ns = until.tv_nsec + (long)(timeout_ms > 0 ? timeout_ms : 0) % 1000 * 1000000L;
    until.tv_sec += (timeout_ms > 0 ? timeout_ms : 0) / 1000 + ns / 1000000000L;
    until.tv_nsec = ns % 1000000000L;
    pthread_mutex_lock(&L->mu);
    while (L->done.head == L->done.len && timeout_ms > 0) /* empty */
        if (pthread_cond_timedwait(&L->done_cv, &L->mu, &until) != 0) break;
    int n = eb_rq_pop_many(&L->done, out, max);
    pthread_mutex_unlock(&L->mu);
    return n;
}

static int local_capacity(eb_engine *e) {
    local *L = e->impl;
    pthread_mutex_lock(&L->mu);
    int c = 2 * L->max_active - L->n_pending - L->n_active;
    pthread_mutex_unlock(&L->mu);
    return c > 0 ? c : 0;
}

static void local_destroy(eb_engine *e) {
    local *L = e->impl;
    pthread_mutex_lock(&L->mu);
    L->quit = true;
    pthread_cond_broadcast(&L->wake);
    pthread_mutex_unlock(&L->mu);
    pthread_join(L->worker, NULL);
    while (L->pending_head) {
        job *j = L->pending_head;
        L->pending_head = j->link;
        job_free(L, j);
    }
    eb_rq_free(&L->done);
    eb_local_model_free(L->lm);
    pthread_mutex_destroy(&L->mu);
    pthread_cond_destroy(&L->wake);
    pthread_cond_destroy(&L->done_cv);
    free(L);
    free(e->version);
    free(e->identity);
    free(e->model);
    free(e->quantization);
    free(e);
}

/* The checkpoint directory's last component: the model's name in reports. */
static char *dir_name(const char *path) {
    char *p = eb_strdup(path);
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/') p[--n] = '\0';
    const char *slash = strrchr(p, '/');
    char *name = eb_strdup(slash && slash[1] ? slash + 1 : p);
    free(p);
    return name;
}

/* KV-cache bytes one sequence holds at `ctx` tokens (f32 caches; sliding
 * layers keep their window only). */
static size_t kv_bytes(const eb_g4_config *c, int ctx) {
    size_t b = 0;
    for (int i = 0; i < c->n_layers; i++) {
        const eb_g4_layer_info *li = &c->layers[i];
        if (li->kv_source != i) continue;
        int keep = li->full || ctx < c->sliding_window ? ctx : c->sliding_window;
        b += 2 * (size_t)keep * (size_t)li->n_kv * (size_t)li->head_dim * sizeof(float);
    }
    return b;
}

static int plan_batch(const eb_local_model *lm, eb_err *err) {
    const char *e = getenv("EVALBENCH_MAX_BATCH");
    long v;
    if (e && *e) {
        if (!eb_parse_long(e, &v) || v < 1 || v > 4096)
            return eb_err_set(err, "EVALBENCH_MAX_BATCH=\"%s\": expected a number of sequences (1-4096)", e);
        return (int)v;
    }
    if (!lm->gpu) return MAX_ACTIVE_CPU;
    size_t per = kv_bytes(&lm->m->cfg, EB_LOCAL_PLAN_CONTEXT);
    /* 70% of what is free: the rest is for activations and the pool's slack */
    size_t avail = eb_g4_cuda_free_bytes(lm->m->be) / 10 * 7;
    long n = per ? (long)(avail / per) : MAX_ACTIVE_GPU;
    if (n > MAX_ACTIVE_GPU) n = MAX_ACTIVE_GPU;
    if (n < 1) n = 1;
    fprintf(stderr, "local engine: up to %ld sequences per step (%.2f GiB of KV cache each at %d tokens)\n", n,
            (double)per / (1 << 30), EB_LOCAL_PLAN_CONTEXT);
    return (int)n;
}

static const eb_engine_ops local_ops = {local_submit, local_poll, local_capacity, local_destroy};

int eb_local_create(const eb_engine_config *cfg, eb_engine **out, eb_err *err) {
    *out = NULL;
    if (!cfg->model_path || !*cfg->model_path)
        return eb_err_set(err, "local engine: --model-path DIR is required (a Gemma 4 checkpoint directory)");
    local *L = eb_calloc(1, sizeof *L);
    eb_g4_quant quant;
    if (eb_g4_quant_parse(cfg->quantization, &quant, err) != 0) {
        free(L);
        return -1;
    }
    if (eb_local_model_open(cfg->model_path, cfg->device, (int)quant, &L->lm, err) != 0) {
        free(L);
        return -1;
    }
    L->max_active = plan_batch(L->lm, err);
    if (L->max_active <= 0) {
        eb_local_model_free(L->lm);
        free(L);
        return -1;
    }
    pthread_mutex_init(&L->mu, NULL);
    pthread_cond_init(&L->wake, NULL);
    pthread_cond_init(&L->done_cv, NULL);
    if (pthread_create(&L->worker, NULL, worker_main, L) != 0) {
        eb_local_model_free(L->lm);
        free(L);
        return eb_err_set(err, "local engine: cannot start the worker thread");
    }
    eb_engine *e = eb_calloc(1, sizeof *e);
    e->ops = &local_ops;
    e->name = "local";
    if (L->lm->gpu) {
        eb_buf v = {0};
        eb_buf_printf(&v, "evalbench-local-cuda-1 (%s; %s weights%s%s, f32 KV cache, deterministic)",
                      eb_g4_cuda_describe(L->lm->m->be), quant ? eb_g4_quant_name(quant) : "bf16",
                      quant ? ": " : "", quant ? eb_g4_quant_summary(quant) : "");
        e->version = eb_buf_take(&v);
    } else {
        eb_buf v = {0};
        eb_buf_printf(&v, "evalbench-local-cpu-1%s%s%s", quant ? " (" : "", quant ? eb_g4_quant_summary(quant) : "",
                      quant ? ")" : "");
        e->version = eb_buf_take(&v);
    }
    e->model = cfg->model && *cfg->model ? eb_strdup(cfg->model) : dir_name(cfg->model_path);
    e->quantization =
        eb_strdup(quant ? eb_g4_quant_name(quant) : L->lm->m->w.embed.dtype == EB_DT_BF16 ? "bf16" : "f32");
    e->supports_loglik = true;
    e->chat_default = true;
    /* The checkpoint's fingerprint and the arithmetic that ran it: the CPU
     * (f32) and the GPU (bf16 tensor-core products) give different logits,
     * so their answers are never taken for each other's. */
    {
        char fp[65];
        eb_local_model_fingerprint(L->lm, fp);
        eb_buf id = {0};
        eb_buf_printf(&id, "%s weights:%s", L->lm->gpu ? "evalbench-local-cuda-1 bf16-mma" : "evalbench-local-cpu-1 f32",
                      fp);
        /* quantized weights answer differently from the same checkpoint */
        if (quant) eb_buf_printf(&id, " quant:%s", eb_g4_quant_name(quant));
        e->identity = eb_buf_take(&id);
    }
    e->impl = L;
    *out = e;
    return 0;
}
