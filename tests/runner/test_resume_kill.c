/* kill -9 in the middle of a run, twice, resuming once with `evalbench
 * resume` and once by re-running the same command: the final results equal
 * an uninterrupted run's, with no duplicate rows. */
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "cli_util.h"
#include "sql_util.h"
#include "test_util.h"
#include "timeutil.h"

static char data_dir[1024];

/* Every score, in a canonical order, as text. */
static char *dump_scores(const char *db_path) {
    sqlite3 *db;
    eb_buf b = {0};
    sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db,
                       "SELECT i.suite, i.item_id, s.run_index, s.extracted, s.normalized, s.correct, s.verdict, "
                       "p.raw_text FROM scores s JOIN items i USING(item_pk) JOIN responses p USING(response_id) "
                       "ORDER BY i.suite, i.item_id, s.run_index",
                       -1, &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int c = 0; c < 8; c++) {
            const unsigned char *t = sqlite3_column_text(st, c);
            eb_buf_puts(&b, t ? (const char *)t : "NULL");
            eb_buf_putc(&b, '\t');
        }
        eb_buf_putc(&b, '\n');
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return eb_buf_take(&b);
}

static pid_t start_run(const char *db_path, const char *resume_id) {
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        if (resume_id)
            execl(EVALBENCH_BIN, "evalbench", "resume", resume_id, "--db", db_path, (char *)NULL);
        else
            execl(EVALBENCH_BIN, "evalbench", "run", "--engine", "oracle", "--model", "oracle", "--suite", "mmlu,math",
                  "--runs", "3", "--concurrency", "64", "--data", data_dir, "--db", db_path, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Waits until at least `threshold` scores are committed, then kill -9.
 * Returns the number of scores at the moment of the kill. */
static long kill_after(pid_t pid, const char *db_path, long threshold) {
    double deadline = eb_now_ms() + 300000;
    long n = 0;
    while (eb_now_ms() < deadline) {
        n = eb_test_sql_long(db_path, "SELECT COUNT(*) FROM scores");
        if (n >= threshold) break;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) return -1; /* finished before we could kill it */
        eb_sleep_ms(5);
    }
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    return eb_test_sql_long(db_path, "SELECT COUNT(*) FROM scores");
}

static int wait_exit(pid_t pid) {
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int main(void) {
    snprintf(data_dir, sizeof data_dir, "%s", eb_test_data_dir());
    char dir[] = "/tmp/eb_kill_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char killed_db[256], clean_db[256];
    snprintf(killed_db, sizeof killed_db, "%s/killed.db", dir);
    snprintf(clean_db, sizeof clean_db, "%s/clean.db", dir);
    const long total = (14042 + 500) * 3;

    pid_t pid = start_run(killed_db, NULL);
    long at_kill = kill_after(pid, killed_db, 8000);
    CHECK_MSG(at_kill > 0 && at_kill < total, "first kill at %ld of %ld", at_kill, total);

    pid = start_run(killed_db, "1");
    at_kill = kill_after(pid, killed_db, at_kill + 8000);
    CHECK_MSG(at_kill > 0 && at_kill < total, "second kill at %ld of %ld", at_kill, total);

    /* Ctrl-C: the runner stops cleanly, says so with exit code 130 and marks
     * the run interrupted. */
    pid = start_run(killed_db, "1");
    double deadline = eb_now_ms() + 300000;
    while (eb_now_ms() < deadline && eb_test_sql_long(killed_db, "SELECT COUNT(*) FROM scores") < at_kill + 4000)
        eb_sleep_ms(5);
    kill(pid, SIGINT);
    CHECK_INT(wait_exit(pid), 130);
    CHECK_INT(eb_test_sql_long(killed_db, "SELECT status = 'interrupted' FROM runs WHERE run_id = 1"), 1);
    long after_int = eb_test_sql_long(killed_db, "SELECT COUNT(*) FROM scores");
    CHECK_MSG(after_int > at_kill && after_int < total, "after Ctrl-C: %ld of %ld", after_int, total);

    /* Re-running the same command resumes run 1 and completes it. */
    pid = start_run(killed_db, NULL);
    CHECK_INT(wait_exit(pid), 0);
    CHECK_INT(eb_test_sql_long(killed_db, "SELECT COUNT(*) FROM runs"), 1);
    CHECK_INT(eb_test_sql_long(killed_db, "SELECT COUNT(*) FROM scores"), total);
    CHECK_INT(eb_test_sql_long(killed_db, "SELECT COUNT(*) FROM responses"), total);
    CHECK_INT(eb_test_sql_long(killed_db, "SELECT COUNT(DISTINCT request_hash) FROM responses"), total);
    CHECK_INT(eb_test_sql_long(killed_db, "SELECT COUNT(*) FROM items"), 14042 + 500);
    CHECK_INT(eb_test_sql_long(killed_db, "SELECT COUNT(*) FROM scores s LEFT JOIN responses p USING(response_id) "
                                    "WHERE p.response_id IS NULL"),
              0);
    CHECK_INT(eb_test_sql_long(killed_db, "SELECT status = 'finished' FROM runs"), 1);

    pid = start_run(clean_db, NULL);
    CHECK_INT(wait_exit(pid), 0);
    char *a = dump_scores(killed_db), *b = dump_scores(clean_db);
    CHECK(strlen(a) > 1000000);
    CHECK_MSG(strcmp(a, b) == 0, "results of the interrupted run differ from the clean run");
    free(a);
    free(b);

    /* The reports agree too (run ids and timestamps aside: both are run 1). */
    char args[1024], *ra, *rb;
    snprintf(args, sizeof args, "report --db %s --format csv", killed_db);
    int rca = run_cli(args, &ra);
    snprintf(args, sizeof args, "report --db %s --format csv", clean_db);
    int rcb = run_cli(args, &rb);
    CHECK_INT(rca, 0);
    CHECK_INT(rcb, 0);
    CHECK_MSG(strcmp(ra, rb) == 0, "reports differ:\n%s\n---\n%s", ra, rb);
    free(ra);
    free(rb);

    snprintf(args, sizeof args, "rm -rf '%s'", dir);
    CHECK(system(args) == 0);
    return eb_test_finish();
}
