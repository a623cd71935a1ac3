/* A non-retryable error stops the run cleanly: the request that met it
 * comes back fatal with the provider's words, requests not yet sent come
 * back fatal as "not sent" (never billed), everything already answered is
 * delivered once, and the engine takes no more work. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_server.h"
#include "remote.h"
#include "test_util.h"

enum { N = 80, BAD = 30 };

static void run(eb_fake *srv, const char *engine, const char *model, const char *fault, const char *words) {
    CHECK_INT(eb_fake_post(srv, "/__reset", "{}"), 0);
    /* Slow answers keep requests in flight when the fatal one arrives. */
    CHECK_INT(eb_fake_post(srv, "/__control", "{\"fault_rate\": 0}"), 0);
    eb_engine_config cfg = {0};
    cfg.model = model;
    cfg.base_url = eb_fake_base_for(srv, engine);
    cfg.concurrency = 6;
    eb_engine *e = NULL;
    eb_err err = {{0}};
    CHECK_MSG(eb_remote_create(engine, &cfg, NULL, &e, &err) == 0, "%s", err.msg);
    if (!e) return;
    static eb_request reqs[N];
    static char prompts[N][80];
    static eb_response out[N];
    memset(out, 0, sizeof out);
    for (int i = 0; i < N; i++) {
        if (i == BAD) snprintf(prompts[i], sizeof prompts[i], "FAULT:%s item %d", fault, i);
        else snprintf(prompts[i], sizeof prompts[i], "%sitem %d REPLY:ok-%d", i > BAD ? "FAULT:slow " : "", i, i);
        memset(&reqs[i], 0, sizeof reqs[i]);
        reqs[i].id = (uint64_t)i;
        reqs[i].prompt = prompts[i];
        reqs[i].chat = true;
        reqs[i].max_tokens = 16;
    }
    eb_drive_result res;
    eb_drive(e, reqs, N, out, true, 60, &res);
    CHECK(!res.timed_out);
    CHECK(res.saw_fatal);
    CHECK_INT(res.answered, res.submitted);
    CHECK_INT(res.duplicates, 0);
    CHECK(res.submitted < N); /* the run stopped early */
    int ok = 0, server_fatal = 0, not_sent = 0, other = 0;
    for (size_t i = 0; i < res.submitted; i++) {
        if (out[i].ok) {
            char want[32];
            snprintf(want, sizeof want, "ok-%zu", i);
            CHECK_STR(out[i].text, want);
            ok++;
        } else if (out[i].fatal && strstr(out[i].error, "not sent")) {
            not_sent++;
        } else if (out[i].fatal && i == BAD) {
            server_fatal++;
            CHECK_MSG(strstr(out[i].error, engine) && strstr(out[i].error, model) && strstr(out[i].error, words),
                      "%s", out[i].error);
        } else {
            other++;
            fprintf(stderr, "unexpected response %zu: %s\n", i, out[i].error ? out[i].error : "?");
        }
        eb_response_clear(&out[i]);
    }
    CHECK_INT(server_fatal, 1);
    CHECK_INT(other, 0);
    CHECK(ok >= BAD); /* everything before the bad request was answered */
    cJSON *st = eb_fake_stats(srv);
    CHECK_INT(eb_fake_stat(st, "billed"), ok);       /* nothing answered twice or lost */
    CHECK_INT(eb_fake_stat(st, "duplicate_billed"), 0);
    cJSON_Delete(st);
    printf("%s %s: %zu submitted, %d answered, 1 fatal, %d not sent\n", engine, fault, res.submitted, ok, not_sent);
    CHECK_INT(e->ops->capacity(e), 0);
    eb_request more = reqs[0];
    CHECK_INT(e->ops->submit(e, &more, &err), -1);
    CHECK(strstr(err.msg, words) != NULL);
    eb_engine_destroy(e);
}

/* Destroying an engine with requests queued, in flight and finished but not
 * yet collected frees everything (the sanitizer build checks for leaks). */
static void destroy_midway(eb_fake *srv) {
    eb_engine_config cfg = {0};
    cfg.model = "gpt-4.1";
    cfg.base_url = eb_fake_base_for(srv, "openai");
    cfg.concurrency = 4;
    eb_engine *e = NULL;
    eb_err err = {{0}};
    CHECK_INT(eb_remote_create("openai", &cfg, NULL, &e, &err), 0);
    if (!e) return;
    const char *stops[] = {"\n\n"};
    for (int i = 0; i < 4; i++) {
        eb_request r = {0};
        r.id = (uint64_t)i;
        r.prompt = i < 2 ? "REPLY:fast" : "FAULT:slow REPLY:slow";
        r.chat = true;
        r.stop = stops;
        r.n_stop = 1;
        CHECK_INT(e->ops->submit(e, &r, &err), 0);
    }
    CHECK_INT(e->ops->capacity(e), 0);
    eb_response out[1];
    int k = e->ops->poll(e, out, 1, 5000, &err); /* one fast answer, the rest in flight */
    CHECK_INT(k, 1);
    if (k == 1) eb_response_clear(&out[0]);
    eb_engine_destroy(e);
}

int main(void) {
    eb_fake srv;
    if (eb_fake_start(&srv) != 0) {
        CHECK(!"fake server started");
        return eb_test_finish();
    }
    run(&srv, "openai", "gpt-4.1", "401", "invalid_api_key");
    run(&srv, "anthropic", "claude-sonnet-4-5", "quota", "enforced_spend_limit_reached");
    run(&srv, "gemini", "gemini-2.5-flash", "403", "PERMISSION_DENIED");
    destroy_midway(&srv);
    eb_fake_stop(&srv);
    return eb_test_finish();
}
