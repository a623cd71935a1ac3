#include "runner.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "progress.h"
#include "request_hash.h"
#include "score_pool.h"
#include "sha256.h"
#include "timeutil.h"

static volatile sig_atomic_t stop_signals;

static void on_signal(int sig) {
    (void)sig;
    stop_signals++;
    if (stop_signals >= 3) _exit(130); /* the user insists; committed work is safe in the WAL */
}

void eb_runner_install_signal_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

bool eb_runner_stop_requested(void) { return stop_signals > 0; }

/* One (suite, item, repetition) to answer. */
typedef struct job {
    uint32_t suite;
    uint32_t item;
    int run_index;
} job;

/* A request in flight: what is needed to store its response. */
typedef struct inflight {
    bool used;
    size_t job;
    size_t *waiters;          /* other jobs with the identical request, answered by this one */
    size_t n_waiters;
    eb_prompt prompt;
    char hash[65];
    char *params_json;
    double sent_ms;
} inflight;

typedef struct runner {
    const eb_runner_config *cfg;
    eb_runner_stats *stats;
    job *jobs;
    size_t n_jobs;
    size_t next_job;
    long **item_pks;          /* per suite */
    inflight *slots;          /* indexed by request id */
    size_t n_slots;
    size_t in_flight;
    eb_score_pool pool;
    bool pool_started;
    eb_progress progress;
} runner;

static void note_error(runner *r, const char *msg) {
    if (!r->stats->first_error[0]) snprintf(r->stats->first_error, sizeof r->stats->first_error, "%s", msg);
}

static int store_score(runner *r, const job *j, long response_id, eb_score *score, eb_err *err) {
    const eb_runner_config *c = r->cfg;
    long pk = r->item_pks[j->suite][j->item];
    if (eb_db_insert_score(c->db, c->run_id, pk, j->run_index, response_id, score, err) != 0) return -1;
    r->stats->scored++;
    r->stats->correct += score->correct ? 1 : 0;
    r->progress.done++;
    r->progress.scored++;
    r->progress.correct += score->correct ? 1 : 0;
    return 0;
}

/* Scores inline, or hands the task to the worker threads for code suites. */
static int score_response(runner *r, size_t job_index, long response_id, const char *text, const double *lp,
                          size_t n_lp, eb_err *err) {
    const eb_runner_config *c = r->cfg;
    const job *j = &r->jobs[job_index];
    const eb_suite *s = &c->suites[j->suite];
    const eb_item *it = &s->items[j->item];
    if (eb_suite_needs_executor(s) && r->pool_started) {
        eb_score_task *t = eb_calloc(1, sizeof *t);
        t->suite = s;
        t->item = it;
        t->opt = c->suite_opt;
        t->suite_index = j->suite;
        t->item_index = job_index; /* the job, to find it again */
        t->run_index = j->run_index;
        t->response_id = response_id;
        t->text = eb_strdup(text ? text : "");
        if (n_lp) {
            t->logprobs = eb_malloc(n_lp * sizeof *lp);
            memcpy(t->logprobs, lp, n_lp * sizeof *lp);
            t->n_logprobs = n_lp;
        }
        eb_score_pool_submit(&r->pool, t);
        return 0;
    }
    eb_score score;
    if (eb_suite_score(s, it, c->suite_opt, text, lp, n_lp, c->executor, &score, err) != 0) {
        eb_score_clear(&score);
        return eb_err_prefix(err, "scoring %s %s", s->name, it->id);
    }
    int rc = store_score(r, j, response_id, &score, err);
    eb_score_clear(&score);
    return rc;
}

static int drain_pool(runner *r, int timeout_ms, eb_err *err) {
    if (!r->pool_started) return 0;
    eb_score_task *list = eb_score_pool_take(&r->pool, timeout_ms);
    int rc = 0;
    while (list) {
        eb_score_task *t = list;
        list = t->next;
        if (rc == 0) {
            if (t->rc != 0) {
                rc = eb_err_set(err, "scoring %s %s: %s", t->suite->name, t->item->id, t->err.msg);
            } else {
                rc = store_score(r, &r->jobs[t->item_index], t->response_id, &t->score, err);
            }
        }
        eb_score_task_free(t);
    }
    return rc;
}

static void fill_request(runner *r, size_t job_index, uint64_t id, const eb_prompt *p, eb_request *req) {
    const eb_runner_config *c = r->cfg;
    const job *j = &r->jobs[job_index];
    memset(req, 0, sizeof *req);
    req->id = id;
    req->system = p->system;
    req->prompt = p->prompt;
    req->chat = p->chat;
    req->add_bos = p->add_bos;
    req->stop = (const char *const *)p->stop;
    req->n_stop = p->n_stop;
    req->max_tokens = p->max_tokens;
    req->temperature = c->temperature;
    req->seed = c->seed + (uint64_t)j->run_index;
    req->continuations = (const char *const *)p->continuations;
    req->n_continuations = p->n_continuations;
    req->item = &c->suites[j->suite].items[j->item];
    req->run_index = j->run_index;
}

static size_t free_slot(runner *r) {
    for (size_t i = 0; i < r->n_slots; i++)
        if (!r->slots[i].used) return i;
    size_t old = r->n_slots;
    r->n_slots = old ? old * 2 : 64;
    r->slots = eb_realloc(r->slots, r->n_slots * sizeof *r->slots);
    memset(r->slots + old, 0, (r->n_slots - old) * sizeof *r->slots);
    return old;
}

static void release_slot(inflight *s) {
    eb_prompt_free(&s->prompt);
    free(s->waiters);
    free(s->params_json);
    memset(s, 0, sizeof *s);
}

/* Takes the next job: answers it from the cache, or sends it.  Returns 1
 * when something was done, 0 when there is nothing left, -1 on error. */
static int advance(runner *r, eb_err *err) {
    const eb_runner_config *c = r->cfg;
    if (r->next_job >= r->n_jobs) return 0;
    size_t ji = r->next_job++;
    const job *j = &r->jobs[ji];
    const eb_suite *s = &c->suites[j->suite];
    size_t si = free_slot(r);
    inflight *slot = &r->slots[si];
    if (eb_suite_build_prompt(s, &s->items[j->item], c->suite_opt, &slot->prompt, err) != 0) return -1;
    eb_request req;
    fill_request(r, ji, si, &slot->prompt, &req);
    slot->params_json = eb_request_key(c->engine, &req, slot->hash);
    if (c->no_cache) {
        /* A per-run key: never reuse another run's answer. */
        char salted[200];
        snprintf(salted, sizeof salted, "%s/run%ld", slot->hash, c->run_id);
        eb_sha256_hex(salted, strlen(salted), slot->hash);
    }
    /* The same request already in flight (duplicate questions, or repeated
     * prompts): wait for its answer instead of sending it twice. */
    for (size_t k = 0; k < r->n_slots; k++) {
        inflight *o = &r->slots[k];
        if (k == si || !o->used || strcmp(o->hash, slot->hash) != 0) continue;
        o->waiters = eb_realloc(o->waiters, (o->n_waiters + 1) * sizeof *o->waiters);
        o->waiters[o->n_waiters++] = ji;
        release_slot(slot);
        r->stats->from_cache++;
        return 1;
    }
    eb_cached_response cached;
    int hit = eb_db_lookup_response(c->db, slot->hash, &cached, err);
    if (hit < 0) return -1;
    if (hit) {
        r->stats->from_cache++;
        int rc = score_response(r, ji, cached.response_id, cached.text, cached.logprobs, cached.n_logprobs, err);
        eb_cached_response_clear(&cached);
        release_slot(slot);
        return rc == 0 ? 1 : -1;
    }
    slot->used = true;
    slot->job = ji;
    slot->sent_ms = eb_now_ms();
    if (c->engine->ops->submit(c->engine, &req, err) != 0) {
        release_slot(slot);
        return eb_err_prefix(err, "%s engine", c->engine->name);
    }
    r->in_flight++;
    r->stats->requested++;
    return 1;
}

static int handle_response(runner *r, eb_response *resp, eb_err *err) {
    const eb_runner_config *c = r->cfg;
    if (resp->id >= r->n_slots || !r->slots[resp->id].used)
        return eb_err_set(err, "%s engine returned an unknown request id %llu", c->engine->name,
                          (unsigned long long)resp->id);
    inflight *slot = &r->slots[resp->id];
    size_t ji = slot->job;
    r->in_flight--;
    if (!resp->ok) {
        r->stats->failed += 1 + (long)slot->n_waiters;
        r->progress.failed += 1 + (long)slot->n_waiters;
        note_error(r, resp->error ? resp->error : "request failed");
        if (resp->fatal) r->stats->engine_fatal = true;
        release_slot(slot);
        return 0;
    }
    eb_response_row row = {
        .request_hash = slot->hash,
        .engine = c->engine->name,
        .model = c->engine->model ? c->engine->model : "",
        .system_prompt = slot->prompt.system,
        .prompt = slot->prompt.prompt,
        .params_json = slot->params_json,
        .raw_text = resp->text ? resp->text : "",
        .logprobs = resp->logprobs,
        .n_logprobs = resp->n_logprobs,
        .finish_reason = resp->finish_reason,
        .tokens_in = resp->tokens_in,
        .tokens_out = resp->tokens_out,
        .tokens_cached = resp->tokens_cached,
        .latency_ms = resp->latency_ms > 0 ? resp->latency_ms : eb_now_ms() - slot->sent_ms,
        .cost_usd = resp->cost_usd,
        .model_version = resp->model_version,
        .provider_request_id = resp->provider_request_id,
        .system_fingerprint = resp->system_fingerprint,
        .run_id = c->run_id,
    };
    long response_id;
    int rc = eb_db_insert_response(c->db, &row, &response_id, err);
    if (rc == 0) rc = score_response(r, ji, response_id, resp->text, resp->logprobs, resp->n_logprobs, err);
    for (size_t w = 0; w < slot->n_waiters && rc == 0; w++)
        rc = score_response(r, slot->waiters[w], response_id, resp->text, resp->logprobs, resp->n_logprobs, err);
    release_slot(slot);
    return rc;
}

static int build_jobs(runner *r, eb_err *err) {
    const eb_runner_config *c = r->cfg;
    size_t total = 0;
    for (size_t s = 0; s < c->n_suites; s++) total += c->suites[s].n_items * (size_t)c->n_runs;
    r->jobs = eb_malloc((total ? total : 1) * sizeof *r->jobs);
    r->item_pks = eb_calloc(c->n_suites, sizeof *r->item_pks);
    r->stats->total = (long)total;
    /* Repetition-major within each suite: an interrupted run has whole
     * repetitions first. */
    for (size_t s = 0; s < c->n_suites; s++) {
        const eb_suite *su = &c->suites[s];
        if (eb_db_register_suite(c->db, c->run_id, su, &r->item_pks[s], err) != 0) return -1;
        bool *done = eb_malloc((su->n_items ? su->n_items : 1) * (size_t)c->n_runs * sizeof *done);
        if (eb_db_scored_set(c->db, c->run_id, r->item_pks[s], su->n_items, c->n_runs, done, err) != 0) {
            free(done);
            return -1;
        }
        for (int k = 0; k < c->n_runs; k++)
            for (size_t i = 0; i < su->n_items; i++) {
                if (done[i * (size_t)c->n_runs + (size_t)k]) {
                    r->stats->already_done++;
                    continue;
                }
                r->jobs[r->n_jobs++] = (job){(uint32_t)s, (uint32_t)i, k};
            }
        free(done);
    }
    return 0;
}

int eb_runner_execute(const eb_runner_config *c, eb_runner_stats *stats, eb_err *err) {
    memset(stats, 0, sizeof *stats);
    runner r = {0};
    r.cfg = c;
    r.stats = stats;
    int rc = build_jobs(&r, err);
    bool need_pool = false;
    for (size_t s = 0; s < c->n_suites; s++) need_pool |= eb_suite_needs_executor(&c->suites[s]);
    if (rc == 0 && need_pool && r.n_jobs > 0) {
        if (!c->executor) {
            rc = eb_err_set(err, "the code suites need the sandbox, which could not be started");
        } else {
            rc = eb_score_pool_start(&r.pool, c->jobs > 0 ? c->jobs : 1, c->executor, err);
            r.pool_started = rc == 0;
        }
    }
    eb_progress_start(&r.progress, c->progress, c->progress_tty, stats->total, stats->already_done);
    int concurrency = c->concurrency > 0 ? c->concurrency : 1;
    enum { BATCH = 64 };
    eb_response batch[BATCH];
    int idle_polls = 0;
    while (rc == 0) {
        if (stop_signals >= 2) { /* a second Ctrl-C: stop waiting for requests in flight */
            stats->interrupted = true;
            break;
        }
        bool stopping = eb_runner_stop_requested() || stats->engine_fatal;
        if (stopping) stats->interrupted = eb_runner_stop_requested();
        /* Keep the pipeline full: cache hits cost nothing, requests are bounded
         * by --concurrency, the engine's own capacity and the scoring backlog. */
        size_t scoring_backlog_limit = (size_t)(r.pool_started ? r.pool.n_threads * 4 : 0) + (size_t)concurrency;
        while (!stopping && rc == 0 && r.next_job < r.n_jobs && (int)r.in_flight < concurrency &&
               c->engine->ops->capacity(c->engine) > 0 &&
               (!r.pool_started || eb_score_pool_outstanding(&r.pool) < scoring_backlog_limit)) {
            int a = advance(&r, err);
            if (a <= 0) {
                rc = a;
                break;
            }
        }
        if (rc != 0) break;
        bool pool_busy = r.pool_started && eb_score_pool_outstanding(&r.pool) > 0;
        if (r.in_flight == 0 && !pool_busy && (stopping || r.next_job >= r.n_jobs)) break;
        /* Poll while requests are in flight, and also when the engine had no
         * capacity for more (its limit recovers over time): waiting in poll
         * instead of spinning. */
        if (r.in_flight > 0 || (!stopping && r.next_job < r.n_jobs)) {
            /* About to wait with nothing new in hand: commit what arrived, so
             * a slow engine's answers are safe (and the file unlocked for
             * other writers) while the next one is on its way. */
            if (idle_polls > 0 && eb_db_commit(c->db, err) != 0) {
                rc = -1;
                break;
            }
            int n = c->engine->ops->poll(c->engine, batch, BATCH, pool_busy ? 5 : 50, err);
            idle_polls = n == 0 ? idle_polls + 1 : 0;
            if (n < 0) {
                rc = eb_err_prefix(err, "%s engine", c->engine->name);
                break;
            }
            for (int i = 0; i < n; i++) {
                if (rc == 0) rc = handle_response(&r, &batch[i], err);
                eb_response_clear(&batch[i]);
            }
        }
        if (rc == 0) rc = drain_pool(&r, r.in_flight > 0 ? 0 : 50, err);
        eb_progress_update(&r.progress, false);
    }
    /* Whatever happened, keep what was answered. */
    if (r.pool_started) {
        if (rc == 0) {
            while (eb_score_pool_outstanding(&r.pool) > 0 && rc == 0) rc = drain_pool(&r, 100, err);
        }
        eb_score_pool_stop(&r.pool);
    }
    eb_err commit_err;
    if (eb_db_commit(c->db, &commit_err) != 0 && rc == 0) {
        *err = commit_err;
        rc = -1;
    }
    eb_progress_finish(&r.progress);
    for (size_t i = 0; i < r.n_slots; i++) release_slot(&r.slots[i]);
    free(r.slots);
    for (size_t s = 0; s < c->n_suites; s++) free(r.item_pks[s]);
    free(r.item_pks);
    free(r.jobs);
    return rc;
}
