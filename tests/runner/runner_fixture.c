#include "runner_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

int eb_oracle_create(const eb_engine_config *cfg, eb_engine **out, eb_err *err);
int eb_replay_create(const eb_engine_config *cfg, eb_engine **out, eb_err *err);

int fixture_open(fixture *f, const char *engine, const char *replay_file) {
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/eb_runner_XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->db_path, sizeof f->db_path, "%s/results.db", f->dir);
    eb_err err = {{0}};
    if (eb_db_open(f->db_path, &f->db, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    f->ecfg.engine = engine;
    f->ecfg.replay_file = replay_file;
    int rc = strcmp(engine, "oracle") == 0 ? eb_oracle_create(&f->ecfg, &f->engine, &err)
                                           : eb_replay_create(&f->ecfg, &f->engine, &err);
    if (rc != 0) fprintf(stderr, "%s\n", err.msg);
    f->sopt.data_dir = eb_test_data_dir();
    f->sopt.style = EB_PROMPT_CHAT;
    return rc;
}

int fixture_add_suite(fixture *f, const char *name, const char *mmlu_mode, const char *math_set, long limit) {
    eb_err err = {{0}};
    f->sopt.mmlu_mode = mmlu_mode;
    f->sopt.math_set = math_set;
    f->sopt.limit = limit;
    if (eb_suite_load(name, &f->sopt, &f->suites[f->n_suites], &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    f->n_suites++;
    return 0;
}

int fixture_new_run(fixture *f, int n_runs) {
    eb_err err = {{0}};
    eb_run_row r = {0};
    char hash[32];
    snprintf(hash, sizeof hash, "test-%d", n_runs);
    r.config_hash = hash;
    r.model = "test-model";
    r.engine = (char *)f->engine->name;
    r.suites = "test";
    r.n_runs = n_runs;
    r.params_json = "{}";
    if (eb_db_create_run(f->db, &r, &f->run_id, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    return 0;
}

int fixture_run(fixture *f, int n_runs, eb_runner_stats *st, eb_err *err) {
    eb_runner_config c = {0};
    c.db = f->db;
    c.run_id = f->run_id;
    c.engine = f->engine;
    c.suites = f->suites;
    c.n_suites = f->n_suites;
    c.suite_opt = &f->sopt;
    c.n_runs = n_runs;
    c.concurrency = 64;
    c.jobs = 2;
    return eb_runner_execute(&c, st, err);
}

void fixture_counts(fixture *f, const char *suite, long *correct, long *total) {
    sqlite3_stmt *st;
    *correct = *total = -1;
    if (sqlite3_prepare_v2(f->db->db,
                           "SELECT COALESCE(SUM(s.correct),0), COUNT(*) FROM scores s JOIN items i USING(item_pk) "
                           "WHERE s.run_id=? AND i.suite=?",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_int64(st, 1, f->run_id);
    sqlite3_bind_text(st, 2, suite, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        *correct = (long)sqlite3_column_int64(st, 0);
        *total = (long)sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
}

void fixture_close(fixture *f) {
    for (size_t i = 0; i < f->n_suites; i++) eb_suite_free(&f->suites[i]);
    eb_engine_destroy(f->engine);
    eb_db_close(f->db);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", f->dir);
}
