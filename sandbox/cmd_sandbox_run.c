/* evalbench sandbox-run [--time S] [--mem MB] [--output BYTES] [--fast] [--no-fork] -- CMD [ARGS...]
 *
 * Runs one command in the same sandbox scored programs get, for debugging
 * the sandbox and programs that misbehave in it.  The command's stdout and
 * stderr are passed through (capped); stdin is forwarded when it is not a
 * terminal.  A summary line (verdict, exit code, CPU, wall, peak memory,
 * detail) goes to stderr.  A Python script given as `python3 FILE.py` is
 * copied into the sandbox (host files are otherwise invisible); --fast runs
 * such a script (or `python3 -c CODE`) through the pre-initialised
 * interpreter instead of a fresh one.
 *
 * Exit status: the command's own exit code; 124 timeout; 125 sandbox
 * failure; 126 sandbox violation; 128+N killed by signal N; 2 usage. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "executor.h"
#include "fileio.h"
#include "internal.h"
#include "sandbox.h"
#include "verdict.h"

static int usage(const char *msg) {
    fprintf(stderr,
            "evalbench sandbox-run: %s\n"
            "usage: evalbench sandbox-run [--time S] [--mem MB] [--output BYTES] [--fast] [--no-fork] [--info] "
            "-- CMD [ARGS...]\n",
            msg);
    return 2;
}

static int parse_double(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v <= 0) return -1;
    *out = v;
    return 0;
}

/* A command name as a path visible inside the sandbox. */
static char *find_command(const char *name) {
    if (strchr(name, '/')) return access(name, X_OK) == 0 ? eb_strdup(name) : NULL;
    static const char *const dirs[] = {"/usr/bin", "/usr/sbin", "/bin", "/sbin"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dirs[i], name);
        if (access(path, X_OK) == 0) return eb_strdup(path);
    }
    return NULL;
}

static int is_python(const char *cmd) {
    const char *base = strrchr(cmd, '/');
    base = base ? base + 1 : cmd;
    return strncmp(base, "python", 6) == 0;
}

static void read_stdin(eb_buf *in) {
    if (isatty(0)) return;
    char buf[65536];
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) eb_buf_append(in, buf, (size_t)n);
}

static int exit_status_of(const eb_exec_result *r) {
    switch (r->status) {
    case EB_EXEC_OK: return 0;
    case EB_EXEC_EXIT_NONZERO: return r->exit_code > 0 ? r->exit_code : 1;
    case EB_EXEC_TIMEOUT: return 124;
    case EB_EXEC_VIOLATION: return 126;
    case EB_EXEC_SIGNALED: return 128 + r->term_signal;
    case EB_EXEC_MEMORY_LIMIT:
    case EB_EXEC_OUTPUT_LIMIT: return r->exit_code > 0 ? r->exit_code : 1;
    case EB_EXEC_INTERNAL_ERROR: return 125;
    }
    return 125;
}

static void print_result(const eb_exec_result *r) {
    fwrite(r->stdout_data, 1, r->stdout_len, stdout);
    fflush(stdout);
    fwrite(r->stderr_data, 1, r->stderr_len, stderr);
    fprintf(stderr, "sandbox-run: %s exit=%d signal=%d cpu=%.1fms wall=%.1fms peak=%lldkB%s%s\n",
            eb_exec_status_name(r->status), r->exit_code, r->term_signal, r->cpu_ms, r->wall_ms,
            (long long)r->peak_memory_kb, r->detail[0] ? " detail=" : "", r->detail);
}

/* --fast: the Python program of `python3 FILE` / `python3 -c CODE`. */
static int fast_run(char **cmd, int n, const eb_exec_job *base, int allow_fork, eb_exec_result *r) {
    char *program = NULL;
    size_t len = 0;
    eb_err err = {{0}};
    if (n >= 3 && strcmp(cmd[1], "-c") == 0) {
        program = eb_strdup(cmd[2]);
    } else if (n >= 2 && cmd[1][0] != '-') {
        if (eb_read_file(cmd[1], &program, &len, &err) < 0) {
            fprintf(stderr, "evalbench sandbox-run: %s\n", err.msg);
            return 2;
        }
    } else {
        return usage("--fast needs `python3 FILE.py` or `python3 -c CODE`");
    }
    eb_executor_options opts = {.jobs = 1, .python = cmd[0], .fast_path = 1, .allow_fork = allow_fork};
    eb_executor *ex = eb_executor_create(&opts, &err);
    if (!ex) {
        free(program);
        fprintf(stderr, "evalbench sandbox-run: %s\n", err.msg);
        return 125;
    }
    eb_exec_job job = *base;
    job.program = program;
    int rc = eb_executor_run(ex, &job, r, &err);
    eb_executor_destroy(ex);
    free(program);
    if (rc < 0) {
        fprintf(stderr, "evalbench sandbox-run: %s\n", err.msg);
        return 125;
    }
    return -1;
}

static int fresh_run(char **cmd, int n, const eb_exec_job *job, int allow_fork, eb_exec_result *r) {
    eb_err err = {{0}};
    char *path = find_command(cmd[0]);
    if (!path) {
        fprintf(stderr, "evalbench sandbox-run: %s: command not found\n", cmd[0]);
        return 127;
    }
    char real[PATH_MAX];
    char *extra = NULL;
    if (realpath(path, real) && strncmp(real, "/usr/", 5) != 0) {
        /* a program outside /usr: make its directory visible, read-only */
        extra = eb_strdup(real);
        *strrchr(extra, '/') = 0;
    }
    const char *extra_ro[2] = {extra, NULL};
    const char **argv = eb_calloc((size_t)n + 1, sizeof *argv);
    argv[0] = path;
    char *file_data = NULL;
    size_t file_len = 0;
    eb_sandbox_file file = {0};
    int nfiles = 0;
    char sandbox_path[PATH_MAX];
    for (int i = 1; i < n; i++) argv[i] = cmd[i];
    if (is_python(cmd[0]) && n >= 2 && cmd[1][0] != '-' && eb_file_exists(cmd[1])) {
        if (eb_read_file(cmd[1], &file_data, &file_len, &err) < 0) {
            fprintf(stderr, "evalbench sandbox-run: %s\n", err.msg);
            free(path), free(extra), free(argv);
            return 2;
        }
        file = (eb_sandbox_file){"main.py", file_data, file_len};
        nfiles = 1;
        snprintf(sandbox_path, sizeof sandbox_path, "/sandbox/main.py");
        argv[1] = sandbox_path;
    }
    eb_policy policy;
    int rc = 125;
    if (eb_policy_build(&policy, allow_fork, &err) == 0) {
        eb_sandbox_limits lim;
        eb_executor_limits(job, &lim);
        eb_sandbox_spec spec = {.argv = argv, .env = eb_sandbox_env, .files = nfiles ? &file : NULL,
                                .nfiles = nfiles, .extra_ro = extra_ro, .limits = lim, .policy = &policy,
                                .allow_fork = allow_fork, .uid_count = 1, .stdio = {-1, -1, -1}};
        eb_sandbox_proc proc;
        if (eb_sandbox_spawn(&spec, &proc, &err) == 0) {
            eb_sandbox_watch w = {proc.stdin_fd, proc.stdout_fd, proc.stderr_fd, proc.report_fd, proc.ctl_fd,
                                  proc.pidfd};
            proc.stdin_fd = proc.stdout_fd = proc.stderr_fd = proc.report_fd = proc.ctl_fd = -1;
            eb_sandbox_outcome o;
            memset(&o, 0, sizeof o);
            eb_sandbox_supervise(&w, job->stdin_data, job->stdin_len, &lim, &o);
            eb_sandbox_proc_close(&proc);
            eb_verdict_fill(&o, &lim, r);
            eb_sandbox_outcome_free(&o);
            rc = -1;
        } else {
            fprintf(stderr, "evalbench sandbox-run: %s\n", err.msg);
        }
        eb_policy_free(&policy);
    } else {
        fprintf(stderr, "evalbench sandbox-run: %s\n", err.msg);
    }
    free(file_data);
    free(argv);
    free(path);
    free(extra);
    return rc;
}

int cmd_sandbox_run(int argc, char **argv) {
    double wall = 10, mem_mb = 1024, out_bytes = 8 << 20;
    int fast = 0, allow_fork = 1, i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            printf("usage: evalbench sandbox-run [--time S] [--mem MB] [--output BYTES] [--fast] [--no-fork] [--info] "
                   "-- CMD [ARGS...]\n\nRuns CMD in the sandbox that scores generated code and prints its verdict, "
                   "CPU and wall time and peak memory.\n");
            return 0;
        } else if (strcmp(a, "--time") == 0 && i + 1 < argc) {
            if (parse_double(argv[++i], &wall) < 0) return usage("--time needs a positive number of seconds");
        } else if (strcmp(a, "--mem") == 0 && i + 1 < argc) {
            if (parse_double(argv[++i], &mem_mb) < 0) return usage("--mem needs a positive number of MiB");
        } else if (strcmp(a, "--output") == 0 && i + 1 < argc) {
            if (parse_double(argv[++i], &out_bytes) < 0) return usage("--output needs a positive byte count");
        } else if (strcmp(a, "--fast") == 0) {
            fast = 1;
        } else if (strcmp(a, "--no-fork") == 0) {
            allow_fork = 0;
        } else if (strcmp(a, "--info") == 0) {
            char probe[512];
            int ok = eb_executor_probe(probe, sizeof probe);
            printf("%s\n", probe);
            return ok == 0 ? 0 : 125;
        } else {
            char msg[256];
            snprintf(msg, sizeof msg, "unknown option '%s'", a);
            return usage(msg);
        }
    }
    if (i >= argc) return usage("no command given after --");
    char **cmd = argv + i;
    int n = argc - i;
    eb_buf in = {0};
    read_stdin(&in);
    eb_exec_job job = {.stdin_data = in.data, .stdin_len = in.len, .wall_time_limit_s = wall,
                       .cpu_time_limit_s = wall, .memory_limit_bytes = (int64_t)(mem_mb * 1024 * 1024),
                       .output_limit_bytes = (size_t)out_bytes};
    eb_exec_result r;
    memset(&r, 0, sizeof r);
    int rc;
    if (fast) {
        if (!is_python(cmd[0])) {
            eb_buf_free(&in);
            return usage("--fast runs Python programs only (python3 FILE.py or python3 -c CODE)");
        }
        rc = fast_run(cmd, n, &job, allow_fork, &r);
    } else {
        rc = fresh_run(cmd, n, &job, allow_fork, &r);
    }
    eb_buf_free(&in);
    if (rc >= 0) return rc;
    print_result(&r);
    rc = exit_status_of(&r);
    eb_exec_result_clear(&r);
    return rc;
}
