/* --batch against the loopback server's Message Batches (Anthropic) and
 * Files + Batch (OpenAI) endpoints: answers arrive at half price; the batch
 * id is stored in the results database; after a crash a new engine on the
 * same run waits for the stored batch instead of paying again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "fake_server.h"
#include "remote.h"
#include "test_util.h"

static eb_fake srv;
static char pricing_path[64];

static eb_engine *make(const char *engine, const char *model, eb_results_db *db, long run_id) {
    eb_engine_config cfg = {0};
    cfg.model = model;
    cfg.base_url = eb_fake_base_for(&srv, engine);
    cfg.pricing_file = pricing_path;
    cfg.concurrency = 1000;
    cfg.batch = true;
    cfg.db = db;
    cfg.run_id = run_id;
    eb_remote_tuning t;
    eb_remote_default_tuning(&t);
    t.batch_poll_ms = 100;
    t.backoff_base_ms = 20;
    eb_engine *e = NULL;
    eb_err err = {{0}};
    CHECK_MSG(eb_remote_create(engine, &cfg, &t, &e, &err) == 0, "%s", err.msg);
    return e;
}

static void prepare(eb_request *reqs, char (*prompts)[64], int n, const char *tag) {
    for (int i = 0; i < n; i++) {
        snprintf(prompts[i], 64, "%s batch item %d REPLY:b-%d", tag, i, i);
        memset(&reqs[i], 0, sizeof reqs[i]);
        reqs[i].id = (uint64_t)i;
        reqs[i].prompt = prompts[i];
        reqs[i].chat = true;
        reqs[i].max_tokens = 16;
    }
}

static int count_ok(eb_response *out, int n, double price_in, double price_out) {
    int ok = 0;
    for (int i = 0; i < n; i++) {
        char want[32];
        snprintf(want, sizeof want, "b-%d", i);
        if (out[i].ok && out[i].text && !strcmp(out[i].text, want)) {
            ok++;
            /* Half the list price. */
            double full = ((double)out[i].tokens_in * price_in + (double)out[i].tokens_out * price_out) / 1e6;
            CHECK_NEAR(out[i].cost_usd, full / 2, 1e-12);
            CHECK(out[i].tokens_in > 0 && out[i].tokens_out > 0);
        } else if (!out[i].ok) {
            fprintf(stderr, "request %d: %s\n", i, out[i].error ? out[i].error : "?");
        }
        eb_response_clear(&out[i]);
    }
    return ok;
}

static void run(const char *engine, const char *model, eb_results_db *db, long run_id, double pin, double pout) {
    enum { N = 30, FIRST = 20 };
    static eb_request reqs[N];
    static char prompts[N][64];
    static eb_response out[N];
    CHECK_INT(eb_fake_post(&srv, "/__reset", "{}"), 0);
    CHECK_INT(eb_fake_post(&srv, "/__control", "{\"batch_delay_s\": 0.5, \"fault_rate\": 0}"), 0);
    prepare(reqs, prompts, N, engine);

    /* First life: 20 requests go out as one batch, then the process "dies"
     * before the batch ends. */
    eb_engine *e = make(engine, model, db, run_id);
    if (!e) return;
    eb_err err = {{0}};
    for (int i = 0; i < FIRST; i++) CHECK_INT(e->ops->submit(e, &reqs[i], &err), 0);
    eb_response none[4];
    CHECK_INT(e->ops->poll(e, none, 4, 0, &err), 0);
    eb_engine_destroy(e);
    cJSON *st = eb_fake_stats(&srv);
    CHECK_INT(eb_fake_stat(st, "batches_created"), 1);
    CHECK_INT(eb_fake_stat(st, "billed"), FIRST);
    cJSON_Delete(st);
    char *index = NULL;
    CHECK_INT(eb_db_state_get(db, run_id, "remote.batches", &index, &err), 1);
    CHECK(index && strstr(index, strcmp(engine, "anthropic") ? "batch_" : "msgbatch_"));
    free(index);

    /* Second life: all 30 are asked for; the 20 wait for the stored batch,
     * only the 10 new ones make a new batch. */
    e = make(engine, model, db, run_id);
    if (!e) return;
    memset(out, 0, sizeof out);
    eb_drive_result res;
    eb_drive(e, reqs, N, out, true, 30, &res);
    CHECK_INT(res.answered, N);
    CHECK_INT(res.duplicates, 0);
    CHECK_INT(count_ok(out, N, pin, pout), N);
    st = eb_fake_stats(&srv);
    CHECK_INT(eb_fake_stat(st, "batches_created"), 2);
    CHECK_INT(eb_fake_stat(st, "billed"), N);
    CHECK_INT(eb_fake_stat(st, "duplicate_billed"), 0);
    CHECK(eb_fake_stat(st, "batch_status_checks") >= 2);
    cJSON_Delete(st);

    /* Log-likelihood and raw prompts have no batch path. */
    const char *conts[] = {" A"};
    eb_request ll = reqs[0];
    ll.continuations = conts;
    ll.n_continuations = 1;
    CHECK_INT(e->ops->submit(e, &ll, &err), -1);
    eb_engine_destroy(e);

    /* A request the provider refuses comes back as a fatal error. */
    e = make(engine, model, db, run_id);
    if (!e) return;
    eb_request bad = reqs[0];
    bad.temperature = 2.5;
    eb_response one[1];
    memset(one, 0, sizeof one);
    eb_drive(e, &bad, 1, one, true, 30, &res);
    CHECK_INT(res.answered, 1);
    CHECK(!one[0].ok && one[0].fatal);
    CHECK_MSG(one[0].error && strstr(one[0].error, "temperature") && strstr(one[0].error, engine),
              "%s", one[0].error ? one[0].error : "(null)");
    eb_response_clear(&one[0]);
    eb_engine_destroy(e);
}

int main(void) {
    char dir[] = "/tmp/eb_batch_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    snprintf(pricing_path, sizeof pricing_path, "%s/pricing.tsv", dir);
    FILE *f = fopen(pricing_path, "w");
    fputs("claude-sonnet-4-5\t3\t15\t0.3\ngpt-4.1\t2\t8\t0.5\n", f);
    fclose(f);
    char dbpath[96];
    snprintf(dbpath, sizeof dbpath, "%s/results.db", dir);
    eb_results_db *db = NULL;
    eb_err err = {{0}};
    CHECK_MSG(eb_db_open(dbpath, &db, &err) == 0, "%s", err.msg);
    if (!db || eb_fake_start(&srv) != 0) {
        CHECK(!"database and fake server");
        return eb_test_finish();
    }
    long runs[2];
    const char *names[2] = {"anthropic", "openai"};
    for (int i = 0; i < 2; i++) {
        eb_run_row row = {0};
        row.config_hash = "test";
        row.model = "m";
        row.engine = (char *)names[i];
        row.suites = "mmlu";
        row.n_runs = 1;
        row.params_json = "{}";
        CHECK_INT(eb_db_create_run(db, &row, &runs[i], &err), 0);
    }
    run("anthropic", "claude-sonnet-4-5", db, runs[0], 3, 15);
    run("openai", "gpt-4.1", db, runs[1], 2, 8);

    /* Gemini has no batch path here: refused up front. */
    eb_engine_config cfg = {0};
    cfg.model = "gemini-2.5-flash";
    cfg.base_url = srv.base;
    cfg.batch = true;
    eb_engine *e = NULL;
    CHECK_INT(eb_remote_create("gemini", &cfg, NULL, &e, &err), -1);
    CHECK(strstr(err.msg, "--batch") != NULL);

    eb_fake_stop(&srv);
    eb_db_close(db);
    unlink(pricing_path);
    unlink(dbpath);
    char side[128];
    snprintf(side, sizeof side, "%s-wal", dbpath);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", dbpath);
    unlink(side);
    rmdir(dir);
    return eb_test_finish();
}
