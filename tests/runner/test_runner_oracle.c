/* The oracle must score 100% on MMLU (generate and loglik) and MATH (MATH-500
 * and the full 5,000): every miss would be an extraction or scoring bug. */
#include <stdio.h>

#include "runner_fixture.h"
#include "test_util.h"

static void print_misses(fixture *f, const char *suite) {
    sqlite3_stmt *st;
    sqlite3_prepare_v2(f->db->db,
                       "SELECT i.item_id, i.gold, s.extracted, s.verdict FROM scores s JOIN items i USING(item_pk) "
                       "WHERE s.run_id=? AND i.suite=? AND s.correct=0 LIMIT 10",
                       -1, &st, NULL);
    sqlite3_bind_int64(st, 1, f->run_id);
    sqlite3_bind_text(st, 2, suite, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW)
        fprintf(stderr, "  miss %s: gold=%s extracted=%s verdict=%s\n", sqlite3_column_text(st, 0),
                sqlite3_column_text(st, 1), sqlite3_column_text(st, 2), sqlite3_column_text(st, 3));
    sqlite3_finalize(st);
}

static void run_case(const char *suite, const char *mmlu_mode, const char *math_set, long expect_items, int n_runs) {
    fixture f;
    CHECK(fixture_open(&f, "oracle", NULL) == 0);
    CHECK(fixture_add_suite(&f, suite, mmlu_mode, math_set, 0) == 0);
    CHECK(fixture_new_run(&f, n_runs) == 0);
    eb_runner_stats st;
    eb_err err = {{0}};
    CHECK_MSG(fixture_run(&f, n_runs, &st, &err) == 0, "%s", err.msg);
    CHECK_INT(st.total, expect_items * n_runs);
    CHECK_INT(st.scored, expect_items * n_runs);
    CHECK_INT(st.failed, 0);
    long correct, total;
    fixture_counts(&f, suite, &correct, &total);
    CHECK_INT(total, expect_items * n_runs);
    CHECK_MSG(correct == total, "%s %s: %ld of %ld correct", suite, mmlu_mode ? mmlu_mode : (math_set ? math_set : ""),
              correct, total);
    if (correct != total) print_misses(&f, suite);

    /* A second pass over the same run has nothing left to do. */
    CHECK(fixture_run(&f, n_runs, &st, &err) == 0);
    CHECK_INT(st.already_done, expect_items * n_runs);
    CHECK_INT(st.requested, 0);
    fixture_close(&f);
}

int main(void) {
    run_case("mmlu", "generate", NULL, 14042, 2);
    run_case("mmlu", "loglik", NULL, 14042, 1);
    run_case("math", NULL, "math500", 500, 3);
    run_case("math", NULL, "full", 5000, 1);
    return eb_test_finish();
}
