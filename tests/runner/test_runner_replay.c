/* The replay engine through the runner: known right/wrong/unanswerable
 * responses give known scores; a missing response fails that request only and
 * a later pass completes the run; identical requests come from the cache. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "fileio.h"
#include "runner_fixture.h"
#include "test_util.h"

static void json_escape(eb_buf *b, const char *s) {
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') eb_buf_printf(b, "\\%c", *s);
        else if (*s == '\n') eb_buf_puts(b, "\\n");
        else eb_buf_putc(b, *s);
    }
}

/* Writes replay lines for the first n MATH-500 items: i%4==0 wrong, i%4==1
 * no boxed answer, else correct; item `skip` gets no line at all. */
static void write_replay(const char *path, const eb_suite *s, size_t n, long skip) {
    eb_buf b = {0};
    for (size_t i = 0; i < n; i++) {
        if ((long)i == skip) continue;
        const eb_item *it = &s->items[i];
        eb_buf_printf(&b, "{\"suite\":\"math\",\"item_id\":\"");
        json_escape(&b, it->id);
        eb_buf_puts(&b, "\",\"response\":\"");
        if (i % 4 == 0) eb_buf_puts(&b, "The answer is \\\\boxed{-98765}.");
        else if (i % 4 == 1) eb_buf_puts(&b, "I am not sure.");
        else {
            eb_buf_puts(&b, "So the answer is $\\\\boxed{");
            json_escape(&b, it->answer);
            eb_buf_puts(&b, "}$");
        }
        eb_buf_printf(&b, "\",\"tokens_in\":%zu,\"tokens_out\":7,\"cost_usd\":0.5}\n", 100 + i);
    }
    eb_err err;
    CHECK(eb_write_file_atomic(path, b.data, b.len, &err) == 0);
    eb_buf_free(&b);
}

int cmd_report(int argc, char **argv);

/* Run 1 sent every request (cost 0.5 each); run 2 (the replay file had
 * changed) paid for all but two; run 3 was answered from run 2's responses:
 * the report charges it nothing and says how many it reused. */
static void check_report_costs(const char *db_path, size_t n) {
    char out[256];
    snprintf(out, sizeof out, "%s.report.json", db_path);
    char *argv[] = {"report", "--db", (char *)db_path, "--format", "json", "--out", out, NULL};
    CHECK_INT(cmd_report(7, argv), 0);
    char *text;
    size_t len;
    eb_err err;
    CHECK(eb_read_file(out, &text, &len, &err) == 0);
    cJSON *j = cJSON_Parse(text);
    free(text);
    unlink(out);
    const cJSON *runs = cJSON_GetObjectItem(j, "runs");
    int seen = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, runs) {
        double id = cJSON_GetNumberValue(cJSON_GetObjectItem(r, "run_id"));
        double cost = cJSON_GetNumberValue(cJSON_GetObjectItem(r, "cost_usd"));
        double reused = cJSON_GetNumberValue(cJSON_GetObjectItem(r, "rows_reused"));
        if (id == 1) {
            CHECK_NEAR(cost, 0.5 * 2 * (double)n, 1e-9);
            CHECK_NEAR(reused, 0, 0);
            seen++;
        } else if (id == 2) { /* the changed file: its two reused answers are free */
            CHECK_NEAR(cost, 0.5 * 2 * (double)(n - 1), 1e-9);
            CHECK_NEAR(reused, 2, 0);
            seen++;
        } else if (id == 3) {
            CHECK_NEAR(cost, 0, 1e-12);
            CHECK_NEAR(reused, 2 * (double)n, 0);
            seen++;
        }
    }
    CHECK_INT(seen, 3);
    cJSON_Delete(j);
}

int main(void) {
    const size_t N = 20;
    char replay[] = "/tmp/eb_replay_XXXXXX";
    int fd = mkstemp(replay);
    CHECK(fd >= 0);
    close(fd);

    /* Load the suite once to know the items. */
    eb_suite_options o = {0};
    o.data_dir = eb_test_data_dir();
    o.style = EB_PROMPT_CHAT;
    o.limit = (long)N;
    eb_suite s;
    eb_err err = {{0}};
    CHECK(eb_suite_load("math", &o, &s, &err) == 0);
    write_replay(replay, &s, N, 7);

    fixture f;
    CHECK(fixture_open(&f, "replay", replay) == 0);
    CHECK(fixture_add_suite(&f, "math", NULL, NULL, (long)N) == 0);
    CHECK(fixture_new_run(&f, 2) == 0);
    eb_runner_stats st;
    CHECK_MSG(fixture_run(&f, 2, &st, &err) == 0, "%s", err.msg);
    CHECK_INT(st.failed, 2); /* item 7, both repetitions */
    CHECK(strstr(st.first_error, "no response for math") != NULL);
    long correct, total;
    fixture_counts(&f, "math", &correct, &total);
    CHECK_INT(total, 2 * (N - 1));
    /* correct: i%4 in {2,3} except the skipped 7 -> 9 items, x2 */
    CHECK_INT(correct, 18);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(f.db->db, "SELECT COUNT(*) FROM scores WHERE run_id=? AND verdict='no_answer'", -1, &q, NULL);
    sqlite3_bind_int64(q, 1, f.run_id);
    CHECK(sqlite3_step(q) == SQLITE_ROW);
    CHECK_INT(sqlite3_column_int(q, 0), 10);
    sqlite3_finalize(q);
    sqlite3_prepare_v2(f.db->db, "SELECT SUM(cost_usd), SUM(tokens_out) FROM responses", -1, &q, NULL);
    CHECK(sqlite3_step(q) == SQLITE_ROW);
    CHECK_NEAR(sqlite3_column_double(q, 0), 0.5 * 2 * (N - 1), 1e-9);
    CHECK_INT(sqlite3_column_int(q, 1), 7 * 2 * (N - 1));
    sqlite3_finalize(q);

    /* The missing line arrives: only the two missing requests are sent. */
    eb_engine_destroy(f.engine);
    write_replay(replay, &s, N, -1);
    f.ecfg.replay_file = replay;
    int eb_replay_create(const eb_engine_config *cfg, eb_engine **out, eb_err *err);
    CHECK(eb_replay_create(&f.ecfg, &f.engine, &err) == 0);
    CHECK(fixture_run(&f, 2, &st, &err) == 0);
    CHECK_INT(st.requested, 2);
    CHECK_INT(st.already_done, 2 * (N - 1));
    fixture_counts(&f, "math", &correct, &total);
    CHECK_INT(total, 2 * N);
    CHECK_INT(correct, 20); /* item 7 (7 % 4 == 3) is answered correctly now */

    /* A new run: the file changed, so it is another answerer, and only the
     * two responses already taken from this version of the file are
     * reused; the rest are asked again. */
    CHECK(fixture_new_run(&f, 3) == 0);
    CHECK(fixture_run(&f, 2, &st, &err) == 0);
    CHECK_INT(st.from_cache, 2);
    CHECK_INT(st.requested, 2 * (N - 1));

    /* Another run with the same file and requests: all from the cache. */
    CHECK(fixture_new_run(&f, 4) == 0);
    CHECK(fixture_run(&f, 2, &st, &err) == 0);
    CHECK_INT(st.from_cache, 2 * N);
    CHECK_INT(st.requested, 0);

    eb_db_close(f.db);
    f.db = NULL;
    check_report_costs(f.db_path, N);
    CHECK(eb_db_open(f.db_path, &f.db, &err) == 0);

    fixture_close(&f);
    eb_suite_free(&s);
    unlink(replay);

    /* A malformed replay file is refused with file and line. */
    char bad[] = "/tmp/eb_replay_bad_XXXXXX";
    fd = mkstemp(bad);
    const char *text = "{\"suite\":\"math\",\"item_id\":\"a\",\"response\":\"x\"}\n{\"suite\":\"math\"}\n";
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    eb_engine_config cfg = {0};
    cfg.replay_file = bad;
    eb_engine *e = NULL;
    CHECK(eb_replay_create(&cfg, &e, &err) != 0);
    CHECK_MSG(strstr(err.msg, ":2:") != NULL && strstr(err.msg, "item_id") != NULL, "%s", err.msg);
    unlink(bad);
    return eb_test_finish();
}
