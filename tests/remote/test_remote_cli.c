/* `evalbench run` with the remote engines against the loopback server:
 *   - every suite, 30% of attempts failing: the run completes, every item
 *     answered and stored once, the server billed each request once and saw
 *     no retry before its retry-after;
 *   - an unknown model stops the run with the engine exit code;
 *   - kill -9 in the middle of a run, then `evalbench resume`: the server
 *     never sees a request again whose answer was already stored. */
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake_server.h"
#include "sql_util.h"
#include "test_util.h"
#include "timeutil.h"

#define EVALBENCH EVALBENCH_BINARY_DIR "/harness/evalbench"

static eb_fake srv;
static char dir[] = "/tmp/eb_cli_XXXXXX";

static pid_t spawn(char *const argv[], const char *log) {
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* Runs to completion (at most limit_s); returns the exit status. */
static int run_cmd(char *const argv[], const char *log, double limit_s) {
    pid_t pid = spawn(argv, log);
    double deadline = eb_now_ms() + limit_s * 1000;
    int status = 0;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (eb_now_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fprintf(stderr, "command timed out; log in %s\n", log);
            return -1;
        }
        eb_sleep_ms(20);
    }
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (rc != 0) {
        char cat[256];
        snprintf(cat, sizeof cat, "tail -5 %s >&2", log);
        if (system(cat) != 0) fprintf(stderr, "(no log)\n");
    }
    return rc;
}

static long stat_now(const char *field) {
    cJSON *st = eb_fake_stats(&srv);
    long v = eb_fake_stat(st, field);
    cJSON_Delete(st);
    return v;
}

static void faulty_run(const char *engine, const char *model, const char *suites, int limit, int items) {
    char db[128], log[128], lim[16];
    snprintf(db, sizeof db, "%s/%s.db", dir, engine);
    snprintf(log, sizeof log, "%s/%s.log", dir, engine);
    snprintf(lim, sizeof lim, "%d", limit);
    CHECK_INT(eb_fake_post(&srv, "/__reset", "{}"), 0);
    CHECK_INT(eb_fake_post(&srv, "/__control",
                           "{\"fault_rate\": 0.3, \"max_faulty_attempts\": 2, \"retry_after\": 1, \"seed\": 3,"
                           " \"kinds\": [\"429\", \"529\", \"500\", \"503\", \"drop\", \"reset\", \"truncate\","
                           " \"malformed\", \"content_type\"]}"),
              0);
    char *argv[] = {EVALBENCH, "run", "--engine", (char *)engine, "--base-url", (char *)eb_fake_base_for(&srv, engine),
                    "--model", (char *)model, "--suite", (char *)suites, "--limit", lim, "--runs", "1",
                    "--db", db, "--data", (char *)eb_test_data_dir(), "--concurrency", "16", NULL};
    CHECK_INT(run_cmd(argv, log, 120), 0);
    CHECK_INT(eb_test_sql_long(db, "SELECT COUNT(*) FROM responses"), items);
    CHECK_INT(eb_test_sql_long(db, "SELECT COUNT(*) FROM scores"), items);
    CHECK_INT(eb_test_sql_long(db, "SELECT COUNT(*) FROM responses WHERE cost_usd > 0 AND tokens_in > 0 AND model_version IS "
                            "NOT NULL"),
              items);
    cJSON *st = eb_fake_stats(&srv);
    CHECK_INT(eb_fake_stat(st, "billed"), items);
    CHECK_INT(eb_fake_stat(st, "duplicate_billed"), 0);
    CHECK_INT(eb_fake_stat(st, "retry_after_violations"), 0);
    CHECK(eb_fake_stat(st, "requests") > items); /* faults did happen */
    cJSON_Delete(st);
}

static void fatal_run(void) {
    char db[128], log[128];
    snprintf(db, sizeof db, "%s/fatal.db", dir);
    snprintf(log, sizeof log, "%s/fatal.log", dir);
    CHECK_INT(eb_fake_post(&srv, "/__control", "{\"fault_rate\": 0}"), 0);
    char *argv[] = {EVALBENCH, "run", "--engine", "anthropic", "--base-url", srv.base, "--model", "claude-nope",
                    "--suite", "mmlu", "--limit", "20", "--runs", "1", "--db", db, "--data",
                    (char *)eb_test_data_dir(), NULL};
    CHECK_INT(run_cmd(argv, log, 60), 5);
    char grep[256];
    snprintf(grep, sizeof grep, "grep -q 'anthropic model claude-nope: HTTP 404 not_found_error' %s", log);
    CHECK_INT(system(grep), 0);
}

static void crash_and_resume(void) {
    char db[128], log[128];
    snprintf(db, sizeof db, "%s/crash.db", dir);
    snprintf(log, sizeof log, "%s/crash.log", dir);
    CHECK_INT(eb_fake_post(&srv, "/__reset", "{}"), 0);
    /* Every first attempt is slow, so the run is still going when killed. */
    CHECK_INT(eb_fake_post(&srv, "/__control",
                           "{\"fault_rate\": 1.0, \"max_faulty_attempts\": 1, \"kinds\": [\"slow\"],"
                           " \"slow_s\": 0.03}"),
              0);
    enum { ITEMS = 300 };
    char *argv[] = {EVALBENCH, "run", "--engine", "openai", "--base-url", srv.openai_base, "--model", "gpt-4.1",
                    "--suite", "math", "--limit", "300", "--runs", "1", "--db", db, "--data",
                    (char *)eb_test_data_dir(), "--concurrency", "8", NULL};
    pid_t pid = spawn(argv, log);
    double deadline = eb_now_ms() + 60000;
    while (stat_now("billed") < 150 && eb_now_ms() < deadline) eb_sleep_ms(10);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    eb_sleep_ms(300); /* requests the dead process left in flight finish on the server */
    long billed_before = stat_now("billed");
    long stored_before = eb_test_sql_long(db, "SELECT COUNT(*) FROM responses");
    CHECK_MSG(stored_before > 0 && stored_before < ITEMS, "stored %ld before resume", stored_before);
    CHECK(billed_before >= stored_before);
    CHECK_INT(stat_now("duplicate_billed"), 0);

    char *resume[] = {EVALBENCH, "resume", "1", "--db", db, "--data", (char *)eb_test_data_dir(), NULL};
    CHECK_INT(run_cmd(resume, log, 120), 0);
    CHECK_INT(eb_test_sql_long(db, "SELECT COUNT(*) FROM responses"), ITEMS);
    CHECK_INT(eb_test_sql_long(db, "SELECT COUNT(*) FROM scores"), ITEMS);
    /* Only what was billed but never stored was asked again. */
    long lost = billed_before - stored_before;
    CHECK_INT(stat_now("duplicate_billed"), lost);
    CHECK_INT(stat_now("billed"), ITEMS + lost);
    printf("crash: %ld billed and %ld stored when killed; resume re-sent %ld, total billed %ld\n", billed_before,
           stored_before, lost, stat_now("billed"));
}

/* A slow engine: every answer is committed while the runner waits for the
 * next, so another process sees it and can write to the same file, and a
 * kill -9 loses nothing the server had sent. */
static void slow_engine_commits(void) {
    char db[128], log[128];
    snprintf(db, sizeof db, "%s/slow.db", dir);
    snprintf(log, sizeof log, "%s/slow.log", dir);
    CHECK_INT(eb_fake_post(&srv, "/__reset", "{}"), 0);
    CHECK_INT(eb_fake_post(&srv, "/__control",
                           "{\"fault_rate\": 1.0, \"max_faulty_attempts\": 100, \"kinds\": [\"slow\"],"
                           " \"slow_s\": 1.5}"),
              0);
    char *argv[] = {EVALBENCH, "run", "--engine", "openai", "--base-url", srv.openai_base, "--model", "gpt-4.1",
                    "--suite", "math", "--limit", "4", "--runs", "1", "--db", db, "--data",
                    (char *)eb_test_data_dir(), "--concurrency", "1", NULL};
    pid_t pid = spawn(argv, log);
    double deadline = eb_now_ms() + 30000;
    while (stat_now("billed") < 1 && eb_now_ms() < deadline) eb_sleep_ms(10);
    eb_sleep_ms(500); /* the first answer is in; the second is 1 s away */
    CHECK_MSG(eb_test_sql_long(db, "SELECT COUNT(*) FROM responses") == 1,
              "the first answer is committed while the runner waits for the second");
    sqlite3 *h = NULL;
    int wrc = sqlite3_open(db, &h);
    if (wrc == SQLITE_OK) {
        sqlite3_busy_timeout(h, 300);
        wrc = sqlite3_exec(h, "BEGIN IMMEDIATE; ROLLBACK;", NULL, NULL, NULL);
    }
    CHECK_MSG(wrc == SQLITE_OK, "another process can write meanwhile (%s)", h ? sqlite3_errmsg(h) : "open failed");
    sqlite3_close(h);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    CHECK_INT(eb_test_sql_long(db, "SELECT COUNT(*) FROM responses"), 1);
    CHECK_INT(eb_fake_post(&srv, "/__control", "{\"fault_rate\": 0}"), 0);
}

int main(void) {
    if (access(EVALBENCH, X_OK) != 0) {
        CHECK(!"evalbench binary built");
        return eb_test_finish();
    }
    CHECK(mkdtemp(dir) != NULL);
    if (eb_fake_start(&srv) != 0) {
        CHECK(!"fake server started");
        return eb_test_finish();
    }
    faulty_run("openai", "gpt-4.1", "mmlu,math,humaneval,livecodebench", 10, 40);
    faulty_run("anthropic", "claude-sonnet-4-5", "mmlu,math", 40, 80);
    faulty_run("gemini", "gemini-2.5-flash", "mmlu,math", 40, 80);
    fatal_run();
    crash_and_resume();
    slow_engine_commits();
    eb_fake_stop(&srv);
    char rm[128];
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    if (eb_test_failed == 0 && system(rm) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return eb_test_finish();
}
