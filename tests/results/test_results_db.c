/* The results database layer: creation and version checks, refusal of
 * foreign or newer files (left untouched), the response cache round trip,
 * and the guard against resuming a run whose data changed. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "db.h"
#include "sha256.h"
#include "test_util.h"

static void file_hash(const char *path, char out[65]) {
    eb_err err;
    if (eb_sha256_file(path, out, &err) != 0) out[0] = '\0';
}

static void test_versions(const char *dir) {
    char path[256];
    eb_err err = {{0}};
    eb_results_db *db;
    snprintf(path, sizeof path, "%s/nested/dir/new.db", dir);
    CHECK_MSG(eb_db_open(path, &db, &err) == 0, "%s", err.msg); /* creates the directories */
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db->db, "SELECT value FROM meta WHERE key='schema_version'", -1, &st, NULL);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    CHECK_INT(sqlite3_column_int(st, 0), EB_SCHEMA_VERSION);
    sqlite3_finalize(st);
    CHECK(eb_db_exec(db, "UPDATE meta SET value='99' WHERE key='schema_version'", &err) == 0);
    eb_db_close(db);
    CHECK(eb_db_open(path, &db, &err) != 0);
    CHECK_MSG(strstr(err.msg, "newer") != NULL, "%s", err.msg);

    /* A SQLite file of another program: refused, byte for byte untouched. */
    snprintf(path, sizeof path, "%s/foreign.db", dir);
    sqlite3 *raw;
    CHECK(sqlite3_open(path, &raw) == SQLITE_OK);
    CHECK(sqlite3_exec(raw, "CREATE TABLE notes(x); INSERT INTO notes VALUES ('keep me');", NULL, NULL, NULL) ==
          SQLITE_OK);
    sqlite3_close(raw);
    char before[65], after[65];
    file_hash(path, before);
    CHECK(eb_db_open(path, &db, &err) != 0);
    CHECK_MSG(strstr(err.msg, "not an evalbench results database") != NULL, "%s", err.msg);
    file_hash(path, after);
    CHECK_STR(before, after);
    CHECK(eb_db_open_readonly("/nonexistent/x.db", &db, &err) != 0);
    CHECK(strstr(err.msg, "/nonexistent/x.db") != NULL);
}

static void test_cache_and_suites(const char *dir) {
    char path[256];
    eb_err err = {{0}};
    eb_results_db *db;
    snprintf(path, sizeof path, "%s/cache.db", dir);
    CHECK(eb_db_open(path, &db, &err) == 0);
    eb_run_row run = {0};
    run.config_hash = "h";
    run.model = "m";
    run.engine = "replay";
    run.suites = "math";
    run.n_runs = 2;
    run.params_json = "{}";
    long run_id;
    CHECK(eb_db_create_run(db, &run, &run_id, &err) == 0);

    /* A response with log-probabilities survives the round trip exactly. */
    const double lp[4] = {-0.125, -3.5, -1e-9, -42.0};
    eb_response_row r = {0};
    r.request_hash = "abc";
    r.engine = "replay";
    r.model = "m";
    r.prompt = "P";
    r.params_json = "{}";
    r.raw_text = "The answer is \\boxed{2}.";
    r.logprobs = lp;
    r.n_logprobs = 4;
    r.tokens_in = r.tokens_out = r.tokens_cached = -1;
    r.cost_usd = -1;
    long rid;
    CHECK(eb_db_insert_response(db, &r, &rid, &err) == 0);
    CHECK(eb_db_insert_response(db, &r, &rid, &err) != 0); /* the same request twice is refused */
    CHECK(eb_db_commit(db, &err) == 0);
    eb_cached_response c;
    CHECK_INT(eb_db_lookup_response(db, "abc", &c, &err), 1);
    CHECK_STR(c.text, "The answer is \\boxed{2}.");
    CHECK_INT(c.n_logprobs, 4);
    for (int i = 0; i < 4; i++) CHECK(c.logprobs[i] == lp[i]);
    eb_cached_response_clear(&c);
    CHECK_INT(eb_db_lookup_response(db, "zzz", &c, &err), 0);

    /* Suites: items registered once; resuming with other data is refused. */
    eb_suite s = {0};
    s.name = "math";
    eb_item items[2] = {{0}};
    items[0].suite = items[1].suite = "math";
    items[0].id = "a";
    items[1].id = "b";
    items[0].dataset_sha256 = items[1].dataset_sha256 = "d";
    s.items = items;
    s.n_items = 2;
    memcpy(s.fingerprint, "f1", 3);
    long *pks = NULL;
    CHECK(eb_db_register_suite(db, run_id, &s, &pks, &err) == 0);
    eb_score sc = {0};
    sc.correct = 1;
    sc.correct_plus = -1;
    sc.verdict = "correct";
    CHECK(eb_db_insert_score(db, run_id, pks[1], 1, rid, &sc, &err) == 0);
    CHECK(eb_db_commit(db, &err) == 0);
    bool done[4];
    CHECK(eb_db_scored_set(db, run_id, pks, 2, 2, done, &err) == 0);
    CHECK(!done[0] && !done[1] && !done[2] && done[3]);
    long *again = NULL;
    CHECK(eb_db_register_suite(db, run_id, &s, &again, &err) == 0);
    CHECK(again[0] == pks[0] && again[1] == pks[1]);
    free(again);
    free(pks);
    memcpy(s.fingerprint, "f2", 3);
    CHECK(eb_db_register_suite(db, run_id, &s, &pks, &err) != 0);
    CHECK_MSG(strstr(err.msg, "changed since the run started") != NULL, "%s", err.msg);

    /* Engine state is committed at once. */
    CHECK(eb_db_state_set(db, run_id, "batch", "b_1", &err) == 0);
    char *v = NULL;
    CHECK_INT(eb_db_state_get(db, run_id, "batch", &v, &err), 1);
    CHECK_STR(v, "b_1");
    free(v);
    eb_db_close(db);
}

/* A version-1 file (before responses.run_id) is migrated in place, its rows
 * kept. */
static void test_migration(const char *dir) {
    char path[256];
    eb_err err = {{0}};
    eb_results_db *db;
    snprintf(path, sizeof path, "%s/v1.db", dir);
    CHECK(eb_db_open(path, &db, &err) == 0);
    CHECK(eb_db_exec(db,
                     "ALTER TABLE responses DROP COLUMN run_id;"
                     "UPDATE meta SET value='1' WHERE key='schema_version';"
                     "INSERT INTO responses(request_hash, engine, model, prompt, params_json, raw_text, cost_usd, "
                     "created_at) VALUES ('h1', 'openai', 'm', 'p', '{}', 'kept', 0.25, 'now');",
                     &err) == 0);
    eb_db_close(db);
    CHECK_MSG(eb_db_open(path, &db, &err) == 0, "%s", err.msg);
    sqlite3_stmt *st;
    CHECK(sqlite3_prepare_v2(db->db, "SELECT raw_text, cost_usd, run_id FROM responses", -1, &st, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    CHECK_STR((const char *)sqlite3_column_text(st, 0), "kept");
    CHECK_NEAR(sqlite3_column_double(st, 1), 0.25, 1e-12);
    CHECK(sqlite3_column_type(st, 2) == SQLITE_NULL);
    sqlite3_finalize(st);
    sqlite3_prepare_v2(db->db, "SELECT value FROM meta WHERE key='schema_version'", -1, &st, NULL);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    CHECK_INT(sqlite3_column_int(st, 0), EB_SCHEMA_VERSION);
    sqlite3_finalize(st);
    eb_db_close(db);
}

int main(void) {
    char dir[] = "/tmp/eb_db_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    test_versions(dir);
    test_cache_and_suites(dir);
    test_migration(dir);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return eb_test_finish();
}
