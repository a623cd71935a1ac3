/* The fast path keeps isolation per execution: one run cannot see or
 * affect another (files in /tmp, interpreter state, environment,
 * processes), also when runs are concurrent and when programs may fork. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "executor.h"
#include "host_check.h"
#include "test_util.h"

static eb_exec_result run(eb_executor *ex, const char *prog, double wall) {
    eb_exec_job job = {.program = prog, .wall_time_limit_s = wall};
    eb_exec_result r;
    eb_err err = {{0}};
    int rc = eb_executor_run(ex, &job, &r, &err);
    CHECK_MSG(rc == 0, "run failed: %s", err.msg);
    return r;
}

static const char *leave_traces =
    "import os, sys, math, builtins, collections, random, types\n"
    "open('/tmp/leak.txt', 'w').write('secret of run 1')\n"
    "builtins.leak = 1\n"
    "collections.leak = 1\n"
    "math.pi = 3\n"
    "sys.modules['leakmod'] = types.ModuleType('leakmod')\n"
    "sys.path.insert(0, '/tmp')\n"
    "os.environ['LEAK'] = '1'\n"
    "os.chdir('/')\n"
    "global_from_run1 = 42\n"
    "print('written', random.random())\n";

static const char *look_for_traces =
    "import os, sys, math, builtins, collections, random\n"
    "found = []\n"
    "if os.path.exists('/tmp/leak.txt'): found.append('file')\n"
    "if os.listdir('/tmp'): found.append('tmp not empty')\n"
    "if hasattr(builtins, 'leak'): found.append('builtins')\n"
    "if hasattr(collections, 'leak'): found.append('module attribute')\n"
    "if math.pi != 3.141592653589793: found.append('math.pi')\n"
    "if 'leakmod' in sys.modules: found.append('sys.modules')\n"
    "if '/tmp' in sys.path: found.append('sys.path')\n"
    "if 'LEAK' in os.environ: found.append('environment')\n"
    "if 'global_from_run1' in globals(): found.append('globals')\n"
    "print('found:', found, random.random())\n";

static void no_cross_talk(eb_executor *ex, const char *mode) {
    host_state before = host_snapshot();
    eb_exec_result a = run(ex, leave_traces, 5);
    CHECK_MSG(a.status == EB_EXEC_OK, "[%s] run 1: %s %s", mode, eb_exec_status_name(a.status), a.detail);
    eb_exec_result b = run(ex, look_for_traces, 5);
    CHECK_MSG(b.status == EB_EXEC_OK, "[%s] run 2: %s %s", mode, eb_exec_status_name(b.status), b.detail);
    CHECK_MSG(strncmp(b.stdout_data, "found: [] ", 10) == 0, "[%s] traces of run 1 in run 2: %s", mode,
              b.stdout_data);
    /* the random generator is reseeded per run */
    const char *ra = strchr(a.stdout_data, ' '), *rb = strrchr(b.stdout_data, ' ');
    CHECK_MSG(ra && rb && strcmp(ra + 1, rb + 1) != 0, "[%s] same random numbers: %s / %s", mode, a.stdout_data,
              b.stdout_data);
    char why[128];
    CHECK_MSG(host_unchanged(&before, why, sizeof why), "[%s] %s", mode, why);
    eb_exec_result_clear(&a);
    eb_exec_result_clear(&b);
}

/* With fork allowed: a daemon that tries to outlive its run dies with it,
 * and the next run cannot see any process of the previous one. */
static const char *daemon_prog =
    "import os, time\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    os.setsid()\n"
    "    if os.fork() == 0:\n"
    "        time.sleep(30)\n"
    "        open('/tmp/daemon-was-here', 'w').write('x')\n"
    "    os._exit(0)\n"
    "os.waitpid(pid, 0)\n"
    "print('parent done', os.getpid())\n";

static const char *count_processes =
    "import os\n"
    "seen = []\n"
    "for pid in range(1, 4096):\n"
    "    try:\n"
    "        os.kill(pid, 0)\n"
    "        seen.append(pid)\n"
    "    except ProcessLookupError:\n"
    "        pass\n"
    "    except PermissionError:\n"
    "        seen.append(pid)\n"
    "print('visible', [p for p in seen if p not in (1, os.getpid())])\n";

static void processes(eb_executor *ex, const char *mode) {
    host_state before = host_snapshot();
    eb_exec_result a = run(ex, daemon_prog, 5);
    CHECK_MSG(a.status == EB_EXEC_OK, "[%s] daemon run: %s %s %s", mode, eb_exec_status_name(a.status), a.detail,
              a.stderr_data);
    CHECK_MSG(a.wall_ms < 10000, "[%s] the daemon kept the run alive: %.0f ms", mode, a.wall_ms); /* it sleeps 30 s */
    char why[128];
    CHECK_MSG(host_unchanged(&before, why, sizeof why), "[%s] after daemon: %s", mode, why);
    eb_exec_result b = run(ex, count_processes, 5);
    CHECK_MSG(b.status == EB_EXEC_OK, "[%s] count run: %s %s", mode, eb_exec_status_name(b.status), b.detail);
    CHECK_MSG(strcmp(b.stdout_data, "visible []\n") == 0, "[%s] %s", mode, b.stdout_data);
    eb_exec_result_clear(&a);
    eb_exec_result_clear(&b);

    /* fork bomb with fork allowed: bounded by the process limit */
    eb_exec_job job = {.program = "import os\nwhile True:\n    os.fork()\n", .wall_time_limit_s = 2};
    eb_exec_result r;
    eb_err err = {{0}};
    CHECK(eb_executor_run(ex, &job, &r, &err) == 0);
    CHECK_MSG(r.status == EB_EXEC_EXIT_NONZERO || r.status == EB_EXEC_TIMEOUT, "[%s] fork bomb: %s %s", mode,
              eb_exec_status_name(r.status), r.detail);
    CHECK_MSG(host_unchanged(&before, why, sizeof why), "[%s] after fork bomb: %s", mode, why);
    eb_exec_result_clear(&r);
}

typedef struct worker {
    eb_executor *ex;
    int id, bad;
} worker;

static void *concurrent(void *arg) {
    worker *w = arg;
    for (int i = 0; i < 8; i++) {
        char prog[512];
        snprintf(prog, sizeof prog,
                 "import os, time\nassert os.listdir('/tmp') == [], os.listdir('/tmp')\n"
                 "open('/tmp/shared-name', 'w').write('%d-%d')\ntime.sleep(0.05)\n"
                 "print(open('/tmp/shared-name').read())\n",
                 w->id, i);
        eb_exec_job job = {.program = prog, .wall_time_limit_s = 5};
        eb_exec_result r;
        eb_err err = {{0}};
        char want[32];
        snprintf(want, sizeof want, "%d-%d\n", w->id, i);
        if (eb_executor_run(w->ex, &job, &r, &err) != 0 || r.status != EB_EXEC_OK ||
            strcmp(r.stdout_data, want) != 0) {
            fprintf(stderr, "worker %d run %d: %s %s %s\n", w->id, i, eb_exec_status_name(r.status), r.detail,
                    r.stdout_data ? r.stdout_data : "");
            w->bad++;
        }
        eb_exec_result_clear(&r);
    }
    return NULL;
}

int main(void) {
    eb_err err = {{0}};
    for (int fork_ok = 0; fork_ok < 2; fork_ok++) {
        eb_executor_options opts = {.jobs = 3, .fast_path = 1, .allow_fork = fork_ok};
        eb_executor *ex = eb_executor_create(&opts, &err);
        CHECK_MSG(ex != NULL, "%s", err.msg);
        if (!ex) continue;
        CHECK(eb_executor_fast_path_active(ex));
        const char *mode = fork_ok ? "fast, fork allowed" : "fast";
        no_cross_talk(ex, mode);
        if (fork_ok) processes(ex, mode);
        worker w[3] = {{ex, 0, 0}, {ex, 1, 0}, {ex, 2, 0}};
        pthread_t t[3];
        for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, concurrent, &w[i]);
        for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
        for (int i = 0; i < 3; i++) CHECK_MSG(w[i].bad == 0, "[%s] worker %d saw another run's /tmp", mode, i);
        eb_executor_destroy(ex);
    }
    /* the same properties hold for fresh interpreters */
    eb_executor_options fresh = {.jobs = 2, .allow_fork = 1};
    eb_executor *ex = eb_executor_create(&fresh, &err);
    CHECK_MSG(ex != NULL, "%s", err.msg);
    if (ex) {
        no_cross_talk(ex, "fresh, fork allowed");
        processes(ex, "fresh, fork allowed");
        eb_executor_destroy(ex);
    }
    return eb_test_finish();
}
