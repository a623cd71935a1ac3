/* bench_sandbox [--jobs N] [--rounds R] [--data DIR]
 *
 * Executions per second and milliseconds per execution for the 164
 * canonical HumanEval programs (prompt + canonical_solution + test +
 * check(entry_point)), in one run on the same machine:
 *   baseline  fork + exec python3 -I -S with a timeout, no isolation: the
 *             naive harness with the cheapest interpreter start-up (no site
 *             module), the reference all ratios are computed against
 *   naive     the same with a plain `python3` (site module and whatever .pth
 *             files the host installs run at every start, as in the
 *             reference harnesses)
 *   fresh     our sandbox, a fresh interpreter per execution
 *   fast      our sandbox, fast path (pre-initialised interpreter forked into
 *             fresh namespaces per execution)
 * with N parallel workers each (default: the number of cores).  Every
 * program must pass in every mode, or the numbers are not reported. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "executor.h"
#include "fileio.h"
#include "jsonutil.h"
#include "timeutil.h"

#define TIMEOUT_S 10.0
#define NMODES 4

typedef struct programs {
    char **src;
    int n, cap;
} programs;

static int add_program(const cJSON *obj, eb_jloc loc, void *ctx, eb_err *err) {
    programs *p = ctx;
    const char *prompt = eb_json_str(obj, "prompt", loc, err);
    const char *sol = prompt ? eb_json_str(obj, "canonical_solution", loc, err) : NULL;
    const char *test = sol ? eb_json_str(obj, "test", loc, err) : NULL;
    const char *entry = test ? eb_json_str(obj, "entry_point", loc, err) : NULL;
    if (!entry) return -1;
    eb_buf b = {0};
    eb_buf_printf(&b, "%s%s\n\n%s\n\ncheck(%s)\n", prompt, sol, test, entry);
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 256;
        p->src = eb_realloc(p->src, (size_t)p->cap * sizeof *p->src);
    }
    p->src[p->n++] = eb_buf_take(&b);
    return 0;
}

/* The naive harness: fork + exec, output captured, killed at the timeout. */
static int baseline_one(const char *python, int no_site, const char *src) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) < 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(out[1], 2);
        if (no_site) execl(python, python, "-I", "-S", "-c", src, (char *)NULL);
        else execl(python, python, "-c", src, (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    double deadline = eb_now_ms() + TIMEOUT_S * 1000;
    char buf[4096];
    for (;;) {
        struct pollfd pf = {out[0], POLLIN, 0};
        int left = (int)(deadline - eb_now_ms());
        if (left <= 0) {
            kill(pid, SIGKILL);
            break;
        }
        if (poll(&pf, 1, left) > 0 && read(out[0], buf, sizeof buf) <= 0) break;
    }
    close(out[0]);
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

typedef struct mode {
    const char *name;
    eb_executor *ex;       /* NULL: baseline */
    const char *python;
    int no_site;
    programs *progs;
    atomic_int next, passed, failed;
    double latency_sum_ms;
    pthread_mutex_t lock;
} mode;

static void *worker(void *arg) {
    mode *m = arg;
    for (;;) {
        int i = atomic_fetch_add(&m->next, 1);
        if (i >= m->progs->n) return NULL;
        double t0 = eb_now_ms();
        int ok;
        if (!m->ex) {
            ok = baseline_one(m->python, m->no_site, m->progs->src[i]) == 0;
        } else {
            eb_exec_job job = {.program = m->progs->src[i], .wall_time_limit_s = TIMEOUT_S};
            eb_exec_result r;
            eb_err err = {{0}};
            ok = eb_executor_run(m->ex, &job, &r, &err) == 0 && r.status == EB_EXEC_OK;
            if (!ok) fprintf(stderr, "%s: program %d: %s %s %s\n", m->name, i, eb_exec_status_name(r.status), r.detail, err.msg);
            eb_exec_result_clear(&r);
        }
        double dt = eb_now_ms() - t0;
        pthread_mutex_lock(&m->lock);
        m->latency_sum_ms += dt;
        pthread_mutex_unlock(&m->lock);
        atomic_fetch_add(ok ? &m->passed : &m->failed, 1);
    }
}

/* Returns wall seconds for all programs with `jobs` workers. */
static double run_mode(mode *m, int jobs) {
    atomic_store(&m->next, 0);
    atomic_store(&m->passed, 0);
    atomic_store(&m->failed, 0);
    m->latency_sum_ms = 0;
    pthread_t *t = eb_calloc((size_t)jobs, sizeof *t);
    double t0 = eb_now_ms();
    for (int i = 0; i < jobs; i++) pthread_create(&t[i], NULL, worker, m);
    for (int i = 0; i < jobs; i++) pthread_join(t[i], NULL);
    double s = (eb_now_ms() - t0) / 1000.0;
    free(t);
    return s;
}

int main(int argc, char **argv) {
    int jobs = (int)sysconf(_SC_NPROCESSORS_ONLN), rounds = 3;
    const char *data = getenv("EVALBENCH_DATA") ? getenv("EVALBENCH_DATA") : EVALBENCH_TEST_DATA;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--jobs") == 0 && i + 1 < argc) jobs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) data = argv[++i];
        else {
            fprintf(stderr, "usage: bench_sandbox [--jobs N] [--rounds R] [--data DIR]\n");
            return 2;
        }
    }
    if (jobs < 1 || rounds < 1) {
        fprintf(stderr, "bench_sandbox: --jobs and --rounds must be positive\n");
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/humaneval/HumanEval.jsonl.gz", data);
    char *text = NULL;
    size_t len = 0;
    eb_err err = {{0}};
    programs progs = {0};
    if (eb_read_file(path, &text, &len, &err) < 0 || eb_jsonl_each(path, text, len, add_program, &progs, &err) < 0) {
        fprintf(stderr, "bench_sandbox: %s\n", err.msg);
        free(text);
        return 3;
    }
    free(text);

    eb_executor_options fresh_opts = {.jobs = jobs};
    eb_executor_options fast_opts = {.jobs = jobs, .fast_path = 1};
    eb_executor *fresh = eb_executor_create(&fresh_opts, &err);
    if (!fresh) {
        fprintf(stderr, "bench_sandbox: %s\n", err.msg);
        return 1;
    }
    double t0 = eb_now_ms();
    eb_executor *fast = eb_executor_create(&fast_opts, &err);
    double fast_start_ms = eb_now_ms() - t0;
    if (fast && !eb_executor_fast_path_active(fast)) {
        fprintf(stderr, "bench_sandbox: the fast path did not start\n");
        eb_executor_destroy(fast);
        eb_executor_destroy(fresh);
        return 1;
    }
    if (!fast) {
        fprintf(stderr, "bench_sandbox: %s\n", err.msg);
        return 1;
    }
    mode modes[NMODES] = {
        {.name = "baseline: fork+exec python3 -I -S", .python = "/usr/bin/python3", .no_site = 1, .progs = &progs},
        {.name = "naive: fork+exec python3 (with site)", .python = "/usr/bin/python3", .progs = &progs},
        {.name = "sandbox, fresh interpreter", .ex = fresh, .progs = &progs},
        {.name = "sandbox, fast path", .ex = fast, .progs = &progs},
    };
    double best[NMODES] = {0}, lat[NMODES] = {0};
    int bad = 0;
    for (int m = 0; m < NMODES; m++) pthread_mutex_init(&modes[m].lock, NULL);
    /* rounds interleave the modes so background load affects all alike;
     * the best round of each mode is reported */
    for (int r = 0; r < rounds; r++) {
        for (int m = 0; m < NMODES; m++) {
            double s = run_mode(&modes[m], jobs);
            if (atomic_load(&modes[m].passed) != progs.n) {
                fprintf(stderr, "bench_sandbox: %s: %d of %d programs passed\n", modes[m].name,
                        atomic_load(&modes[m].passed), progs.n);
                bad = 1;
            }
            if (best[m] == 0 || s < best[m]) {
                best[m] = s;
                lat[m] = modes[m].latency_sum_ms / progs.n;
            }
        }
    }
    printf("HumanEval canonical programs: %d, workers: %d, rounds: %d (best round shown)\n", progs.n, jobs, rounds);
    printf("%-44s %10s %12s %14s %10s\n", "mode", "exec/s", "ms/exec", "latency ms", "vs base");
    for (int m = 0; m < NMODES; m++) {
        double rate = progs.n / best[m];
        printf("%-44s %10.1f %12.2f %14.2f %9.2fx\n", modes[m].name, rate, best[m] * 1000.0 / progs.n, lat[m],
               rate / (progs.n / best[0]));
    }
    printf("vs base = throughput relative to the first row\n");
    printf("fast path start-up (once per executor): %.0f ms\n", fast_start_ms);
    printf("ms/exec = wall time / programs with %d workers; latency = mean time of one execution\n", jobs);
    for (int m = 0; m < NMODES; m++) pthread_mutex_destroy(&modes[m].lock);
    eb_executor_destroy(fresh);
    eb_executor_destroy(fast);
    for (int i = 0; i < progs.n; i++) free(progs.src[i]);
    free(progs.src);
    return bad ? 1 : 0;
}
