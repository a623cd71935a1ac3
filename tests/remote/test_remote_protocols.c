/* Each wire protocol against the loopback server: happy path, system
 * prompt, stop sequences, max_tokens, usage and cost accounting, provider
 * ids and versions, retries that honour retry-after, and error shapes that
 * must stop the run with a clear message. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_server.h"
#include "remote.h"
#include "test_util.h"
#include "timeutil.h"

typedef struct pcase {
    const char *engine, *key_env, *model, *model_version, *bad_model;
    const char *auth_words, *notfound_words, *quota_words, *request_id_prefix;
    double p_in, p_out, p_cached;
} pcase;

static const pcase cases[] = {
    {"anthropic", "ANTHROPIC_API_KEY", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "claude-nope",
     "authentication_error", "not_found_error", "enforced_spend_limit_reached", "req_", 3.0, 15.0, 0.3},
    {"openai", "OPENAI_API_KEY", "gpt-4.1", "gpt-4.1-2025-04-14", "gpt-nope", "invalid_api_key", "model_not_found",
     "insufficient_quota", "req_", 2.0, 8.0, 0.5},
    {"gemini", "GEMINI_API_KEY", "gemini-2.5-flash", "gemini-2.5-flash", "gemini-nope", "API key not valid",
     "NOT_FOUND", "PerDay", "", 0.3, 2.5, 0.03},
};

static char pricing_path[64];
static eb_fake srv;

static long ntok(const char *s) { return ((long)strlen(s) + 3) / 4; }

static eb_engine *make(const pcase *c, const char *model, eb_err *err) {
    eb_engine_config cfg = {0};
    cfg.engine = c->engine;
    cfg.model = model ? model : c->model;
    cfg.base_url = eb_fake_base_for(&srv, c->engine);
    cfg.pricing_file = pricing_path;
    cfg.concurrency = 8;
    eb_remote_tuning t;
    eb_remote_default_tuning(&t);
    t.backoff_base_ms = 20;
    t.backoff_cap_ms = 100;
    t.max_attempts = 4;
    t.total_timeout_ms = 10000;
    t.stall_timeout_s = 2;
    eb_engine *e = NULL;
    if (eb_remote_create(c->engine, &cfg, &t, &e, err)) return NULL;
    return e;
}

static eb_request req_of(uint64_t id, const char *system, const char *prompt) {
    eb_request r = {0};
    r.id = id;
    r.system = system;
    r.prompt = prompt;
    r.chat = true;
    r.max_tokens = 64;
    r.temperature = 0;
    return r;
}

/* One request, one response (caller clears it). */
static eb_response one(eb_engine *e, const eb_request *r) {
    eb_response out[1];
    memset(out, 0, sizeof out);
    eb_request copy = *r;
    copy.id = 0;
    eb_drive_result res;
    eb_drive(e, &copy, 1, out, true, 30, &res);
    CHECK_INT(res.answered, 1);
    CHECK_INT(res.duplicates, 0);
    return out[0];
}

static bool contains(const char *s, const char *needle) { return s && needle && strstr(s, needle); }

static void test_happy(const pcase *c) {
    eb_err err = {{0}};
    eb_engine *e = make(c, NULL, &err);
    CHECK_MSG(e != NULL, "%s: %s", c->engine, err.msg);
    if (!e) return;
    CHECK_STR(e->name, c->engine);
    const char *sys = "Be brief.", *prompt = "Q: which letter? REPLY:B";
    eb_request r = req_of(0, sys, prompt);
    r.seed = 1234;
    eb_response resp = one(e, &r);
    CHECK_MSG(resp.ok, "%s: %s", c->engine, resp.error ? resp.error : "");
    CHECK_STR(resp.text, "B");
    CHECK_STR(resp.finish_reason, "stop");
    CHECK_INT(resp.tokens_in, ntok(sys) + ntok(prompt));
    CHECK_INT(resp.tokens_out, 1);
    CHECK_INT(resp.tokens_cached, 0);
    CHECK_STR(resp.model_version, c->model_version);
    CHECK(resp.provider_request_id && strncmp(resp.provider_request_id, c->request_id_prefix,
                                               strlen(c->request_id_prefix)) == 0);
    CHECK(resp.latency_ms > 0 && resp.latency_ms < 10000);
    CHECK_NEAR(resp.cost_usd, ((double)resp.tokens_in * c->p_in + 1 * c->p_out) / 1e6, 1e-12);
    if (!strcmp(c->engine, "openai")) CHECK(resp.system_fingerprint && !strncmp(resp.system_fingerprint, "fp_", 3));
    eb_response_clear(&resp);
    eb_engine_destroy(e);
}

static void test_stops_and_length(const pcase *c) {
    eb_err err = {{0}};
    eb_engine *e = make(c, NULL, &err);
    if (!e) return;
    /* "\n\n" is whitespace-only: Anthropic refuses it on the wire, so the
     * engine must apply it locally; "END" is cut by the server. */
    const char *stops[] = {"\n\n", "END"};
    eb_request r = req_of(0, NULL, "REPLY:first part\\n\\nsecond part");
    r.stop = stops;
    r.n_stop = 2;
    eb_response a = one(e, &r);
    CHECK_MSG(a.ok, "%s stop: %s", c->engine, a.error ? a.error : "");
    CHECK_STR(a.text, "first part");
    CHECK_STR(a.finish_reason, "stop");
    eb_response_clear(&a);

    r.prompt = "REPLY:alpha END beta";
    a = one(e, &r);
    CHECK(a.ok);
    CHECK_STR(a.text, "alpha ");
    CHECK_STR(a.finish_reason, "stop");
    eb_response_clear(&a);

    eb_request l = req_of(0, NULL, "REPLY:abcdefghijklmnopqrstuvwxyz0123456789");
    l.max_tokens = 2;
    a = one(e, &l);
    CHECK(a.ok);
    CHECK_STR(a.text, "abcdefgh");
    CHECK_STR(a.finish_reason, "length");
    CHECK_INT(a.tokens_out, 2);
    eb_response_clear(&a);
    eb_engine_destroy(e);
}

static void test_usage_accounting(const pcase *c) {
    eb_err err = {{0}};
    eb_engine *e = make(c, NULL, &err);
    if (!e) return;
    CHECK_INT(eb_fake_post(&srv, "/__reset", "{}"), 0);
    enum { N = 40 };
    eb_request reqs[N];
    char prompts[N][96];
    for (int i = 0; i < N; i++) {
        snprintf(prompts[i], sizeof prompts[i], "%sitem %d of the usage run %s", i % 3 == 0 ? "CACHED:2 " : "", i,
                 i % 2 ? "REPLY:a somewhat longer answer here" : "");
        reqs[i] = req_of((uint64_t)i, i % 4 ? "You are a careful grader." : NULL, prompts[i]);
    }
    eb_response out[N];
    memset(out, 0, sizeof out);
    eb_drive_result res;
    eb_drive(e, reqs, N, out, true, 60, &res);
    CHECK_INT(res.answered, N);
    long in = 0, o = 0, cached = 0, ok = 0;
    double cost = 0, expect_cost = 0;
    for (int i = 0; i < N; i++) {
        if (!out[i].ok) continue;
        ok++;
        in += out[i].tokens_in;
        o += out[i].tokens_out;
        cached += out[i].tokens_cached;
        cost += out[i].cost_usd;
        expect_cost += ((double)(out[i].tokens_in - out[i].tokens_cached) * c->p_in +
                        (double)out[i].tokens_cached * c->p_cached + (double)out[i].tokens_out * c->p_out) / 1e6;
        eb_response_clear(&out[i]);
    }
    CHECK_INT(ok, N);
    CHECK_INT(cached, 2 * 14); /* i % 3 == 0 for 14 of 40 */
    cJSON *st = eb_fake_stats(&srv);
    CHECK_INT(eb_fake_stat(st, "billed"), N);
    CHECK_INT(eb_fake_stat(st, "billed_input_tokens"), in);
    CHECK_INT(eb_fake_stat(st, "billed_output_tokens"), o);
    /* Connections are reused: far fewer than one per request. */
    CHECK_MSG(eb_fake_stat(st, "connections") <= 10, "connections=%ld", eb_fake_stat(st, "connections"));
    cJSON_Delete(st);
    CHECK_NEAR(cost, expect_cost, 1e-12);
    CHECK(cost > 0);
    eb_engine_destroy(e);
}

/* A 429 with a one-second retry hint, then a 5xx, then the answer. */
static void test_retry_after(const pcase *c) {
    eb_err err = {{0}};
    eb_engine *e = make(c, NULL, &err);
    if (!e) return;
    CHECK_INT(eb_fake_post(&srv, "/__reset", "{}"), 0);
    CHECK_INT(eb_fake_post(&srv, "/__control", "{\"retry_after\": 1}"), 0);
    eb_request r = req_of(0, NULL, "FAULTSEQ:429,529,ok REPLY:patience");
    double t0 = eb_now_ms();
    eb_response a = one(e, &r);
    double waited = eb_now_ms() - t0;
    CHECK_MSG(a.ok, "%s: %s", c->engine, a.error ? a.error : "");
    CHECK_STR(a.text, "patience");
    CHECK_MSG(waited >= 1000, "%s waited only %.0f ms after retry-after 1", c->engine, waited);
    eb_remote_stats s;
    eb_remote_get_stats(e, &s);
    CHECK_INT(s.retries, 2);
    /* 529 is Anthropic's; the others answer overload with 503. */
    CHECK_INT(s.rate_limited, !strcmp(c->engine, "anthropic") ? 2 : 1);
    CHECK(s.max_hint_ms >= 1000);
    cJSON *st = eb_fake_stats(&srv);
    CHECK_INT(eb_fake_stat(st, "retry_after_violations"), 0);
    CHECK_INT(eb_fake_stat(st, "billed"), 1);
    cJSON_Delete(st);
    eb_response_clear(&a);

    /* No retry-after: the rate-limit reset header (or Gemini's body hint)
     * still holds the retry back for the second it names. */
    CHECK_INT(eb_fake_post(&srv, "/__reset", "{}"), 0);
    r.prompt = "FAULTSEQ:429reset,ok REPLY:reset";
    t0 = eb_now_ms();
    a = one(e, &r);
    waited = eb_now_ms() - t0;
    CHECK(a.ok);
    CHECK_MSG(waited >= 950, "%s waited only %.0f ms for a 1 s reset", c->engine, waited);
    st = eb_fake_stats(&srv);
    CHECK_INT(eb_fake_stat(st, "retry_after_violations"), 0);
    cJSON_Delete(st);
    eb_response_clear(&a);

    /* A 5xx that never clears: an error answer after max_attempts, not fatal. */
    r.prompt = "FAULT:500 REPLY:never";
    a = one(e, &r);
    CHECK(!a.ok);
    CHECK(!a.fatal);
    CHECK_MSG(contains(a.error, "gave up after 4 attempts") && contains(a.error, c->engine) &&
                  contains(a.error, c->model) && contains(a.error, "HTTP 500"),
              "%s", a.error ? a.error : "(null)");
    eb_response_clear(&a);
    eb_engine_destroy(e);
}

static void expect_fatal(const pcase *c, eb_engine *e, const char *prompt, double temperature, const char *words,
                         const char *status) {
    eb_request r = req_of(0, NULL, prompt);
    r.temperature = temperature;
    eb_response a = one(e, &r);
    CHECK(!a.ok);
    CHECK(a.fatal);
    CHECK_MSG(contains(a.error, c->engine) && contains(a.error, e->model) && contains(a.error, words) &&
                  contains(a.error, status),
              "%s: expected '%s' and '%s' in: %s", c->engine, words, status, a.error ? a.error : "(null)");
    CHECK(!contains(a.error, "test-anthropic-key") && !contains(a.error, "test-openai-key") &&
          !contains(a.error, "test-gemini-key") && !contains(a.error, "wrong-key-123456"));
    CHECK(a.error && !strchr(a.error, '\n'));
    eb_response_clear(&a);
    /* The engine refuses more work after a fatal error. */
    CHECK_INT(e->ops->capacity(e), 0);
    eb_err err = {{0}};
    eb_request again = req_of(1, NULL, "REPLY:x");
    CHECK_INT(e->ops->submit(e, &again, &err), -1);
}

static void test_errors(const pcase *c) {
    eb_err err = {{0}};
    /* Wrong key: the server says so, the engine stops, the key is not echoed. */
    const char *good = getenv(c->key_env);
    char *saved = strdup(good);
    setenv(c->key_env, "wrong-key-123456", 1);
    eb_engine *e = make(c, NULL, &err);
    setenv(c->key_env, saved, 1);
    free(saved);
    if (e) {
        expect_fatal(c, e, "REPLY:x", 0, c->auth_words, !strcmp(c->engine, "gemini") ? "HTTP 400" : "HTTP 401");
        eb_engine_destroy(e);
    }
    if ((e = make(c, c->bad_model, &err))) {
        expect_fatal(c, e, "REPLY:x", 0, c->notfound_words, "HTTP 404");
        eb_engine_destroy(e);
    }
    if ((e = make(c, NULL, &err))) {
        expect_fatal(c, e, "REPLY:x", 2.5, "temperature", "HTTP 400");
        eb_engine_destroy(e);
    }
    if ((e = make(c, NULL, &err))) {
        expect_fatal(c, e, "FAULT:quota REPLY:x", 0, c->quota_words, "HTTP 429");
        eb_engine_destroy(e);
    }
    if ((e = make(c, NULL, &err))) {
        expect_fatal(c, e, "FAULT:403 REPLY:x", 0, "HTTP 403", "HTTP 403");
        eb_engine_destroy(e);
    }
    /* No key in the environment: creation fails naming the variable. */
    saved = strdup(getenv(c->key_env));
    unsetenv(c->key_env);
    eb_engine_config cfg = {0};
    cfg.model = c->model;
    e = NULL;
    int rc = eb_remote_create(c->engine, &cfg, NULL, &e, &err);
    CHECK_INT(rc, -1);
    CHECK(contains(err.msg, c->key_env));
    setenv(c->key_env, saved, 1);
    free(saved);
    /* No model. */
    cfg.model = NULL;
    CHECK_INT(eb_remote_create(c->engine, &cfg, NULL, &e, &err), -1);
    CHECK(contains(err.msg, "--model"));
}

static void test_gemini_specifics(void) {
    const pcase *c = &cases[2];
    eb_err err = {{0}};
    eb_engine *e = make(c, NULL, &err);
    if (!e) return;
    eb_request r = req_of(0, NULL, "SAFETYBLOCK please");
    eb_response a = one(e, &r);
    CHECK(a.ok);
    CHECK_STR(a.text, "");
    CHECK_STR(a.finish_reason, "content_filter");
    eb_response_clear(&a);
    r.prompt = "THINK REPLY:42";
    a = one(e, &r);
    CHECK(a.ok);
    CHECK_STR(a.text, "42"); /* the thought part is not the answer */
    CHECK_INT(a.tokens_out, 1 + 7);
    eb_response_clear(&a);
    /* Log-likelihood is not offered by generateContent. */
    const char *conts[] = {" A"};
    r.continuations = conts;
    r.n_continuations = 1;
    CHECK_INT(e->ops->submit(e, &r, &err), -1);
    CHECK(contains(err.msg, "log-likelihood"));
    eb_engine_destroy(e);
}

static void test_openai_compat(void) {
    const pcase *c = &cases[1];
    eb_err err = {{0}};
    eb_engine *e = make(c, "gemma-4-31b-it", &err);
    CHECK(e != NULL);
    if (!e) return;
    CHECK(e->supports_loglik);
    /* Log-likelihood through /v1/completions with echo+logprobs: the fake
     * server's tokens are whitespace-led words at -0.25 per character. */
    const char *conts[] = {" 4", " four", " twenty two"};
    eb_request r = req_of(0, NULL, "Question: 2+2?\nAnswer:");
    r.continuations = conts;
    r.n_continuations = 3;
    eb_response a = one(e, &r);
    CHECK_MSG(a.ok, "%s", a.error ? a.error : "");
    CHECK_INT(a.n_logprobs, 3);
    if (a.n_logprobs == 3) {
        CHECK_NEAR(a.logprobs[0], -0.5, 1e-9);
        CHECK_NEAR(a.logprobs[1], -1.25, 1e-9);
        CHECK_NEAR(a.logprobs[2], -2.75, 1e-9);
    }
    eb_response_clear(&a);
    /* Raw-text completion for base models. */
    eb_request raw = req_of(0, NULL, "REPLY:raw text");
    raw.chat = false;
    a = one(e, &raw);
    CHECK(a.ok);
    CHECK_STR(a.text, "raw text");
    eb_response_clear(&a);
    eb_engine_destroy(e);

    /* A chat-only model cannot give prompt logprobs: a clear fatal error. */
    e = make(c, NULL, &err);
    if (!e) return;
    a = one(e, &r);
    CHECK(!a.ok && a.fatal);
    CHECK(contains(a.error, "v1/completions"));
    eb_response_clear(&a);
    eb_engine_destroy(e);
}

int main(void) {
    int fd;
    strcpy(pricing_path, "/tmp/eb_pricing_XXXXXX");
    fd = mkstemp(pricing_path);
    const char *table = "# test prices\nclaude-sonnet-4-5\t3\t15\t0.3\ngpt-4.1\t2\t8\t0.5\n"
                        "gemini-2.5-flash\t0.3\t2.5\t0.03\n";
    CHECK(fd >= 0 && write(fd, table, strlen(table)) == (ssize_t)strlen(table));
    close(fd);
    if (eb_fake_start(&srv) != 0) {
        CHECK(!"fake server started");
        unlink(pricing_path);
        return eb_test_finish();
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        test_happy(&cases[i]);
        test_stops_and_length(&cases[i]);
        test_usage_accounting(&cases[i]);
        test_retry_after(&cases[i]);
        test_errors(&cases[i]);
    }
    test_gemini_specifics();
    test_openai_compat();
    eb_fake_stop(&srv);
    unlink(pricing_path);
    return eb_test_finish();
}
