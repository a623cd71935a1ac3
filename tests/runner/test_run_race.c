/* Several `evalbench run` processes started at once with one configuration
 * on one SQLite file make one run, not several (finding and creating the
 * run is one write transaction), and the run ends "finished" with every
 * item scored once: a process that lost the race never writes a lesser
 * status over a finished run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cli_util.h"
#include "sql_util.h"
#include "test_util.h"

#define PROCS 4
#define TRIALS 10
#define ITEMS 50

int main(void) {
    char dir[] = "/tmp/eb_run_race_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    for (int trial = 0; trial < TRIALS; trial++) {
        char db[600], cmd[4096];
        snprintf(db, sizeof db, "%s/race%d.db", dir, trial);
        snprintf(cmd, sizeof cmd,
                 "%s run --engine oracle --model o --suite math --limit %d --runs 1 --db %s --data %s >/dev/null 2>&1",
                 EVALBENCH_BIN, ITEMS, db, eb_test_data_dir());
        pid_t pids[PROCS];
        for (int i = 0; i < PROCS; i++) {
            pids[i] = fork();
            if (pids[i] == 0) _exit(system(cmd) == 0 ? 0 : 1);
        }
        for (int i = 0; i < PROCS; i++) waitpid(pids[i], NULL, 0);
        CHECK_MSG(eb_test_sql_long(db, "SELECT COUNT(*) FROM runs") == 1, "trial %d: %ld runs for one configuration", trial,
                  eb_test_sql_long(db, "SELECT COUNT(*) FROM runs"));
        CHECK_MSG(eb_test_sql_long(db, "SELECT COUNT(*) FROM runs WHERE status = 'finished'") == 1, "trial %d: the run is finished",
                  trial);
        CHECK_MSG(eb_test_sql_long(db, "SELECT COUNT(*) FROM scores") == ITEMS, "trial %d: every item scored once", trial);
    }
    char rm[700];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    CHECK(system(rm) == 0);
    return eb_test_finish();
}
