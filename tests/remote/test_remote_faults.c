/* The fault run: 500 requests per protocol while the server fails 30% of
 * attempts (429 with retry-after, 529/500/503, slow answers, stalls,
 * connections dropped mid-body or reset, truncated and malformed JSON, HTML
 * with status 200).  Every request must be answered exactly once, correctly,
 * billed exactly once by the server, with no retry earlier than the server's
 * retry-after; the adaptive limit must drop under 429s and recover after. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_server.h"
#include "remote.h"
#include "test_util.h"
#include "timeutil.h"

enum { N = 500, CLEAN = 200, CONCURRENCY = 32 };

static eb_fake srv;

static void fault_run(const char *engine, const char *model) {
    CHECK_INT(eb_fake_post(&srv, "/__reset", "{}"), 0);
    CHECK_INT(eb_fake_post(&srv, "/__control",
                           "{\"fault_rate\": 0.3, \"max_faulty_attempts\": 2, \"retry_after\": 1,"
                           " \"slow_s\": 0.2, \"stall_s\": 2.5, \"seed\": 7,"
                           " \"kinds\": [\"429\", \"429reset\", \"529\", \"500\", \"503\", \"slow\", \"stall\", \"drop\","
                           " \"reset\", \"truncate\", \"malformed\", \"content_type\"]}"),
              0);
    eb_engine_config cfg = {0};
    cfg.model = model;
    cfg.base_url = eb_fake_base_for(&srv, engine);
    cfg.concurrency = CONCURRENCY;
    eb_remote_tuning t;
    eb_remote_default_tuning(&t);
    t.backoff_base_ms = 30;
    t.backoff_cap_ms = 300;
    t.max_attempts = 6;
    t.total_timeout_ms = 15000;
    t.stall_timeout_s = 1;
    t.decrease_window_ms = 250;
    eb_engine *e = NULL;
    eb_err err = {{0}};
    CHECK_MSG(eb_remote_create(engine, &cfg, &t, &e, &err) == 0, "%s", err.msg);
    if (!e) return;

    static eb_request reqs[N + CLEAN];
    static char prompts[N + CLEAN][64];
    static eb_response out[N + CLEAN];
    memset(out, 0, sizeof out);
    for (int i = 0; i < N + CLEAN; i++) {
        snprintf(prompts[i], sizeof prompts[i], "%s item %d REPLY:answer-%d", engine, i, i);
        memset(&reqs[i], 0, sizeof reqs[i]);
        reqs[i].id = (uint64_t)i;
        reqs[i].prompt = prompts[i];
        reqs[i].chat = true;
        reqs[i].max_tokens = 32;
    }
    double t0 = eb_now_ms();
    eb_drive_result res;
    eb_drive(e, reqs, N, out, true, 120, &res);
    double secs = (eb_now_ms() - t0) / 1000;
    CHECK_INT(res.submitted, N);
    CHECK_INT(res.answered, N);
    CHECK_INT(res.duplicates, 0);
    CHECK_INT(res.unknown_ids, 0);
    CHECK(!res.timed_out);
    int ok = 0, right = 0;
    for (int i = 0; i < N; i++) {
        if (out[i].ok) ok++;
        else fprintf(stderr, "%s request %d failed: %s\n", engine, i, out[i].error ? out[i].error : "?");
        char want[32];
        snprintf(want, sizeof want, "answer-%d", i);
        if (out[i].ok && out[i].text && !strcmp(out[i].text, want)) right++;
        eb_response_clear(&out[i]);
    }
    CHECK_INT(ok, N);
    CHECK_INT(right, N);

    cJSON *st = eb_fake_stats(&srv);
    long faults = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(st, "faults")) faults += (long)f->valuedouble;
    long slow = eb_fake_stat(cJSON_GetObjectItemCaseSensitive(st, "faults"), "slow");
    CHECK_INT(eb_fake_stat(st, "billed"), N);
    CHECK_INT(eb_fake_stat(st, "duplicate_billed"), 0);
    CHECK_INT(eb_fake_stat(st, "retry_after_violations"), 0);
    CHECK(eb_fake_stat(st, "retry_after_sent") > 0);
    /* About 30% of first attempts (and of second ones) fail. */
    CHECK_MSG(faults >= N * 3 / 10, "only %ld faults injected", faults);
    eb_remote_stats s;
    eb_remote_get_stats(e, &s);
    /* Every failed attempt (slow ones succeed) led to one retry, except
     * resets on a reused connection before any byte came back, which
     * libcurl itself resends once on a fresh connection. */
    long failed_attempts = faults - (slow > 0 ? slow : 0);
    long resets = eb_fake_stat(cJSON_GetObjectItemCaseSensitive(st, "faults"), "reset");
    CHECK_MSG(s.retries <= failed_attempts && s.retries >= failed_attempts - (resets > 0 ? resets : 0),
              "retries %ld, failed attempts %ld, resets %ld", s.retries, failed_attempts, resets);
    CHECK_INT(s.attempts, N + s.retries);
    CHECK(s.rate_limited > 0);
    CHECK_MSG(s.min_limit < CONCURRENCY, "limit never lowered (min %d)", s.min_limit);
    CHECK(s.max_hint_ms >= 1000);
    const cJSON *slack = cJSON_GetObjectItemCaseSensitive(st, "min_retry_slack_s");
    CHECK(cJSON_IsNumber(slack) && slack->valuedouble >= 0);
    printf("%s: %d requests, %ld faults injected, %ld retries, %.1f s, limit min %d -> %d, min retry-after slack %.3f s\n",
           engine, N, faults, s.retries, secs, s.min_limit, s.limit, cJSON_IsNumber(slack) ? slack->valuedouble : -1);
    cJSON_Delete(st);

    /* Faults stop: the limit climbs back to the configured concurrency. */
    CHECK_INT(eb_fake_post(&srv, "/__control", "{\"fault_rate\": 0}"), 0);
    for (int i = 0; i < CLEAN; i++) reqs[N + i].id = (uint64_t)i; /* eb_drive wants ids 0..n-1 */
    eb_drive(e, reqs + N, CLEAN, out, true, 60, &res);
    CHECK_INT(res.answered, CLEAN);
    for (int i = 0; i < CLEAN; i++) {
        CHECK(out[i].ok);
        eb_response_clear(&out[i]);
    }
    eb_remote_get_stats(e, &s);
    CHECK_INT(s.limit, CONCURRENCY);
    CHECK_INT(e->ops->capacity(e), CONCURRENCY);
    eb_engine_destroy(e);
}

int main(void) {
    if (eb_fake_start(&srv) != 0) {
        CHECK(!"fake server started");
        return eb_test_finish();
    }
    fault_run("anthropic", "claude-sonnet-4-5");
    fault_run("openai", "gpt-4.1");
    fault_run("gemini", "gemini-2.5-flash");
    eb_fake_stop(&srv);
    return eb_test_finish();
}
