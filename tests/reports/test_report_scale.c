/* The report and compare commands on a database of realistic size: three
 * full MMLU runs (14,042 items x 3 repetitions each) and two MATH-500 runs,
 * 129,378 score rows.  Checks that the numbers still come out right, that
 * the commands finish quickly, and that the queries search the scores
 * table through its indexes instead of scanning it. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_fixture.h"
#include "test_util.h"
#include "timeutil.h"

int cmd_report(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_runs(int argc, char **argv);

#define N_MMLU 14042
#define N_MATH 500
#define REPS 3

static const char *const groups[] = {"STEM", "humanities", "social sciences", "other"};

/* Deterministic pseudo-random correctness with a per-run skill level. */
static int correct_of(int run, int item, int rep, int skill_pct) {
    unsigned h = (unsigned)item * 2654435761u ^ (unsigned)(run * 97 + rep * 13) * 40503u;
    h ^= h >> 15;
    h *= 2246822519u;
    h ^= h >> 13;
    /* most of the signal is per item (stable across repetitions), some per repetition */
    unsigned hi = (unsigned)item * 2654435761u;
    hi ^= hi >> 16;
    return (int)((hi % 100) < (unsigned)skill_pct) ^ (int)(h % 100 < 3);
}

static long expected_correct[4];

static void build(const char *path) {
    fx_db f;
    fx_open(&f, path);
    static const char *quant[] = {NULL, "bf16", "int8", "int4"};
    static const int skill[] = {0, 70, 69, 60};
    static int64_t mmlu_pk[N_MMLU], math_pk[N_MATH];
    for (int r = 1; r <= 3; r++) {
        fx_run(&f, "gemma-4-9b", "local", quant[r], REPS, true, r < 3 ? "mmlu,math" : "mmlu", NULL);
        fx_run_suite(&f, r, "mmlu", "fp-mmlu", N_MMLU, "mode=generate");
        if (r < 3) fx_run_suite(&f, r, "math", "fp-math500", N_MATH, "set=math500");
    }
    char id[64], subject[32];
    for (int i = 0; i < N_MMLU; i++) {
        snprintf(subject, sizeof subject, "subject_%02d", i % 57);
        snprintf(id, sizeof id, "%s/%d", subject, i / 57);
        mmlu_pk[i] = fx_item(&f, "mmlu", id, "sha-mmlu", subject, groups[(i % 57) % 4], "A");
    }
    for (int i = 0; i < N_MATH; i++) {
        snprintf(id, sizeof id, "test/algebra/%d.json", i);
        snprintf(subject, sizeof subject, "Level %d", 1 + i % 5);
        math_pk[i] = fx_item(&f, "math", id, "sha-math", "Algebra", subject, "1");
    }
    for (int r = 1; r <= 3; r++)
        for (int i = 0; i < N_MMLU; i++)
            for (int j = 0; j < REPS; j++) {
                int ok = correct_of(r, i, j, skill[r]);
                expected_correct[r] += ok;
                fx_score(&f, r, mmlu_pk[i], j, ok, -1, ok ? "correct" : "wrong", ok ? "A" : "B", 500, 20, -1);
            }
    for (int r = 1; r <= 2; r++)
        for (int i = 0; i < N_MATH; i++)
            for (int j = 0; j < REPS; j++) {
                int ok = correct_of(r + 10, i, j, 50);
                fx_score(&f, r, math_pk[i], j, ok, -1, ok ? "correct" : "wrong", ok ? "1" : "2", 300, 400, -1);
            }
    fx_close(&f);
}

/* No full scan of the scores table in the plan of QUERY. */
static void check_plan(const char *db_path, const char *query) {
    sqlite3 *db;
    CHECK(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    char sql[2048];
    snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN %s", query);
    sqlite3_stmt *st;
    CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK);
    sqlite3_bind_int(st, 1, 1);
    sqlite3_bind_text(st, 2, "mmlu", -1, SQLITE_STATIC);
    bool scan = false, search = false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *d = (const char *)sqlite3_column_text(st, 3);
        printf("  plan: %s\n", d);
        if (strncmp(d, "SCAN s", 6) == 0 && !strstr(d, "USING")) scan = true;
        if (strstr(d, "SEARCH s USING") || strstr(d, "SCAN s USING")) search = true;
    }
    CHECK_MSG(!scan && search, "query plan scans scores: %s", query);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

int main(void) {
    char base[512], db[600], out[600];
    fx_path(base, sizeof base, "scale");
    snprintf(db, sizeof db, "%s.db", base);
    snprintf(out, sizeof out, "%s.out", base);
    double t0 = eb_now_ms();
    build(db);
    double t_build = eb_now_ms() - t0;
    char before[65], after[65];
    fx_sha256(db, before);

    t0 = eb_now_ms();
    CHECK_INT(fx_cmd(cmd_report, "report", "--db", db, "--format", "json", "--out", out, NULL), 0);
    double t_report = eb_now_ms() - t0;
    char *text = fx_slurp(out);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    free(text);
    CHECK(j != NULL);
    const cJSON *run;
    int seen = 0;
    cJSON_ArrayForEach(run, cJSON_GetObjectItem(j, "runs")) {
        int id = cJSON_GetObjectItem(run, "run_id")->valueint;
        const cJSON *c = cJSON_GetObjectItem(cJSON_GetObjectItem(run, "cells"), "mmlu");
        CHECK_INT(cJSON_GetObjectItem(c, "n_items")->valuedouble, N_MMLU);
        CHECK(cJSON_IsTrue(cJSON_GetObjectItem(c, "complete")));
        /* the mean of per-repetition accuracies equals the pooled accuracy when every repetition is complete */
        CHECK_NEAR(cJSON_GetObjectItem(c, "mean")->valuedouble, (double)expected_correct[id] / (N_MMLU * REPS), 1e-12);
        CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(c, "by_subject")), 57);
        CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(c, "by_category")), 4);
        seen++;
    }
    CHECK_INT(seen, 3);
    cJSON_Delete(j);

    t0 = eb_now_ms();
    CHECK_INT(fx_cmd(cmd_report, "report", "--db", db, "--run", "3", "--out", out, NULL), 0);
    double t_report_one = eb_now_ms() - t0;

    t0 = eb_now_ms();
    CHECK_INT(fx_cmd(cmd_compare, "compare", "1", "2", "--db", db, "--format", "json", "--out", out, NULL), 0);
    double t_compare = eb_now_ms() - t0;
    text = fx_slurp(out);
    j = text ? cJSON_Parse(text) : NULL;
    free(text);
    const cJSON *s = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "suites"), 0);
    CHECK(s && cJSON_GetObjectItem(s, "n_items")->valuedouble == N_MMLU);
    double diff = cJSON_GetObjectItem(s, "difference")->valuedouble;
    CHECK_NEAR(diff, (double)(expected_correct[2] - expected_correct[1]) / (N_MMLU * REPS), 1e-12);
    const cJSON *ci = cJSON_GetObjectItem(s, "difference_ci95");
    CHECK(cJSON_GetArrayItem(ci, 0)->valuedouble <= diff && diff <= cJSON_GetArrayItem(ci, 1)->valuedouble);
    double p = cJSON_GetObjectItem(s, "mcnemar_p")->valuedouble;
    CHECK(p >= 0 && p <= 1);
    cJSON_Delete(j);

    t0 = eb_now_ms();
    CHECK_INT(fx_cmd(cmd_runs, "runs", "--db", db, "--out", out, NULL), 0);
    double t_runs = eb_now_ms() - t0;

    fx_sha256(db, after);
    CHECK_STR(after, before);

    /* the per-run queries find a run's rows through the scores primary key */
    check_plan(db, "SELECT s.item_pk, i.item_id, i.gold, s.correct, s.correct_plus, s.extracted, s.verdict"
                   " FROM scores s JOIN items i ON i.item_pk = s.item_pk"
                   " WHERE s.run_id = ?1 AND i.suite = ?2 ORDER BY s.item_pk, s.run_index");
    check_plan(db, "SELECT s.run_id, i.suite, COUNT(*) FROM scores s JOIN items i ON i.item_pk = s.item_pk"
                   " WHERE s.run_id IN (SELECT value FROM json_each('[1]')) GROUP BY s.run_id, s.item_pk");

    printf("129,378 score rows: build %.0f ms, report (all runs, json) %.0f ms, report (one run, md) %.0f ms, "
           "compare (10,000 bootstrap resamples) %.0f ms, runs %.0f ms\n",
           t_build, t_report, t_report_one, t_compare, t_runs);
    /* generous bounds (sanitizer builds on a shared 2-core machine): they
     * catch accidental quadratic work, not small regressions */
    CHECK_MSG(t_report < 30000, "report took %.0f ms", t_report);
    CHECK_MSG(t_compare < 30000, "compare took %.0f ms", t_compare);
    fx_remove(db);
    unlink(out);
    return eb_test_finish();
}
