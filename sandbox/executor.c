/* eb_executor: Python programs in the sandbox, either with a fresh
 * interpreter per run (python3 -I /sandbox/main.py) or through the fast
 * path (zygote.c), which forks each run from a pre-initialised interpreter
 * inside its own fresh namespaces. */
#include "executor.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "sandbox.h"
#include "verdict.h"

const char *eb_exec_status_name(eb_exec_status s) {
    switch (s) {
    case EB_EXEC_OK: return "passed";
    case EB_EXEC_EXIT_NONZERO: return "runtime_error";
    case EB_EXEC_TIMEOUT: return "timeout";
    case EB_EXEC_MEMORY_LIMIT: return "memory_limit";
    case EB_EXEC_OUTPUT_LIMIT: return "output_limit";
    case EB_EXEC_VIOLATION: return "sandbox_violation";
    case EB_EXEC_SIGNALED: return "signaled";
    case EB_EXEC_INTERNAL_ERROR: return "internal_error";
    }
    return "unknown";
}

void eb_exec_result_clear(eb_exec_result *r) {
    if (!r) return;
    free(r->stdout_data);
    free(r->stderr_data);
    memset(r, 0, sizeof *r);
}

const char *const eb_sandbox_env[] = {"PATH=/usr/bin:/bin", "HOME=/tmp", "TMPDIR=/tmp", "LANG=C.UTF-8",
                                      "OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1", NULL};

/* An interpreter path that works inside the sandbox: absolute, resolved
 * (no shim scripts from version managers), plus the prefix to bind when it
 * does not live under /usr. */
static int resolve_python(const char *want, char **path, char **prefix, eb_err *err) {
    char found[PATH_MAX];
    found[0] = 0;
    if (want && strchr(want, '/')) {
        snprintf(found, sizeof found, "%s", want);
    } else {
        /* the system interpreter first: PATH often starts with version
         * manager shims, which are shell scripts */
        const char *name = want ? want : "python3";
        char sys_path[PATH_MAX];
        snprintf(sys_path, sizeof sys_path, "/usr/bin/%s", name);
        if (access(sys_path, X_OK) == 0) {
            snprintf(found, sizeof found, "%s", sys_path);
        } else {
            const char *env = getenv("PATH");
            char *dirs = eb_strdup(env ? env : "/usr/bin:/bin");
            for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                char cand[PATH_MAX];
                snprintf(cand, sizeof cand, "%s/%s", d, name);
                if (access(cand, X_OK) == 0) {
                    snprintf(found, sizeof found, "%s", cand);
                    break;
                }
            }
            free(dirs);
        }
    }
    char real[PATH_MAX];
    if (!found[0] || !realpath(found, real))
        return eb_err_set(err, "sandbox: python interpreter %s not found", want ? want : "python3");
    FILE *f = fopen(real, "rb");
    char magic[4] = {0};
    if (!f || fread(magic, 1, 4, f) != 4 || memcmp(magic, "\177ELF", 4) != 0) {
        if (f) fclose(f);
        return eb_err_set(err, "sandbox: %s is not an ELF interpreter binary (a wrapper script cannot run in "
                               "the sandbox; pass the real interpreter)", real);
    }
    fclose(f);
    *path = eb_strdup(real);
    *prefix = NULL;
    if (strncmp(real, "/usr/", 5) != 0) {
        /* <prefix>/bin/python3.x */
        char *p = eb_strdup(real);
        char *slash = strrchr(p, '/');
        if (slash) *slash = 0;
        slash = strrchr(p, '/');
        if (slash && slash != p) *slash = 0;
        if (strncmp(p, "/tmp", 4) == 0)
            return free(p), free(*path), eb_err_set(err, "sandbox: interpreter under /tmp is not supported");
        *prefix = p;
    }
    return 0;
}

eb_executor *eb_executor_create(const eb_executor_options *opts, eb_err *err) {
    eb_executor_options none = {0};
    if (!opts) opts = &none;
    eb_executor *ex = eb_calloc(1, sizeof *ex);
    ex->jobs = opts->jobs > 0 ? opts->jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (ex->jobs < 1) ex->jobs = 1;
    if (resolve_python(opts->python, &ex->python, &ex->prefix, err) < 0) {
        free(ex);
        return NULL;
    }
    ex->extra_ro[0] = ex->prefix;
    ex->extra_ro[1] = NULL;
    if (eb_policy_build(&ex->policy, opts->allow_fork, err) < 0) {
        eb_executor_destroy(ex);
        return NULL;
    }
    char probe[512];
    if (eb_sandbox_probe(probe, sizeof probe) < 0) {
        eb_err_set(err, "sandbox: %s", probe);
        eb_executor_destroy(ex);
        return NULL;
    }
    if (opts->fast_path) {
        eb_err why = {{0}};
        if (eb_zygote_start(ex, &why) < 0) {
            /* same isolation, only slower: say so and carry on */
            fprintf(stderr, "evalbench: sandbox fast path unavailable (%s); using a fresh interpreter per execution\n",
                    why.msg);
        }
    }
    return ex;
}

int eb_executor_probe(char *out, size_t size) { return eb_sandbox_probe(out, size); }

int eb_executor_fast_path_active(const eb_executor *ex) { return ex && ex->zygote != NULL; }

void eb_executor_destroy(eb_executor *ex) {
    if (!ex) return;
    eb_zygote_stop(ex);
    eb_policy_free(&ex->policy);
    free(ex->python);
    free(ex->prefix);
    free(ex);
}

void eb_executor_limits(const eb_exec_job *job, eb_sandbox_limits *l) {
    memset(l, 0, sizeof *l);
    l->wall_s = job->wall_time_limit_s > 0 ? job->wall_time_limit_s : 0;
    l->cpu_s = job->cpu_time_limit_s > 0 ? job->cpu_time_limit_s : 0;
    if (l->wall_s <= 0 && l->cpu_s <= 0) l->wall_s = l->cpu_s = EB_DEFAULT_TIME_S;
    else if (l->wall_s <= 0) l->wall_s = l->cpu_s * 2 + 1;
    else if (l->cpu_s <= 0) l->cpu_s = l->wall_s;
    l->memory_bytes = job->memory_limit_bytes > 0 ? job->memory_limit_bytes : EB_DEFAULT_MEMORY;
    l->output_bytes = job->output_limit_bytes > 0 ? job->output_limit_bytes : EB_DEFAULT_OUTPUT;
    l->max_tasks = EB_DEFAULT_TASKS;
    l->file_bytes = EB_DEFAULT_FILE;
    l->max_files = EB_DEFAULT_FILES;
    l->tmp_bytes = EB_DEFAULT_TMP;
}

int eb_executor_run_fresh(eb_executor *ex, const eb_exec_job *job, const eb_sandbox_limits *lim,
                          eb_exec_result *out, eb_err *err) {
    const char *argv[] = {ex->python, "-I", "/sandbox/main.py", NULL};
    eb_sandbox_file file = {"main.py", job->program, strlen(job->program)};
    eb_sandbox_spec spec = {.argv = argv, .env = eb_sandbox_env, .files = &file, .nfiles = 1,
                            .extra_ro = ex->extra_ro, .limits = *lim, .policy = &ex->policy, .uid_count = 1,
                            .stdio = {-1, -1, -1}};
    eb_sandbox_proc proc;
    if (eb_sandbox_spawn(&spec, &proc, err) < 0) return -1;
    eb_sandbox_watch w = {proc.stdin_fd, proc.stdout_fd, proc.stderr_fd, proc.report_fd, proc.ctl_fd, proc.pidfd};
    proc.stdin_fd = proc.stdout_fd = proc.stderr_fd = proc.report_fd = proc.ctl_fd = -1; /* now the watch's */
    eb_sandbox_outcome o;
    memset(&o, 0, sizeof o);
    eb_sandbox_supervise(&w, job->stdin_data, job->stdin_data ? job->stdin_len : 0, lim, &o);
    eb_sandbox_proc_close(&proc);
    eb_verdict_fill(&o, lim, out);
    eb_sandbox_outcome_free(&o);
    return 0;
}

int eb_executor_run(eb_executor *ex, const eb_exec_job *job, eb_exec_result *out, eb_err *err) {
    memset(out, 0, sizeof *out);
    if (!ex || !job || !job->program) return eb_err_set(err, "sandbox: no program to run");
    eb_sandbox_limits lim;
    eb_executor_limits(job, &lim);
    if (ex->zygote) return eb_zygote_run(ex, job, &lim, out, err);
    return eb_executor_run_fresh(ex, job, &lim, out, err);
}
