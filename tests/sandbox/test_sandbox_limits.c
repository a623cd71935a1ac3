/* Limits, verdicts and measurements of the executor, for both the fresh
 * interpreter and the fast path, with real python3 in the real sandbox. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "executor.h"
#include "host_check.h"
#include "test_util.h"

static eb_exec_result run(eb_executor *ex, const char *prog, const char *in, double wall, double cpu,
                          int64_t mem, size_t out_cap) {
    eb_exec_job job = {.program = prog, .stdin_data = in, .stdin_len = in ? strlen(in) : 0,
                       .wall_time_limit_s = wall, .cpu_time_limit_s = cpu, .memory_limit_bytes = mem,
                       .output_limit_bytes = out_cap};
    eb_exec_result r;
    eb_err err = {{0}};
    host_state before = host_snapshot();
    int rc = eb_executor_run(ex, &job, &r, &err);
    CHECK_MSG(rc == 0, "run failed: %s", err.msg);
    char why[128];
    CHECK_MSG(host_unchanged(&before, why, sizeof why), "after %.40s: %s", prog, why);
    return r;
}

static void check_status(const eb_exec_result *r, eb_exec_status want, const char *what) {
    CHECK_MSG(r->status == want, "%s: got %s (%s), want %s; stderr: %.300s", what, eb_exec_status_name(r->status),
              r->detail, eb_exec_status_name(want), r->stderr_data ? r->stderr_data : "");
}

static void suite(eb_executor *ex, const char *mode) {
    fprintf(stderr, "-- %s\n", mode);
    eb_exec_result r;

    r = run(ex, "import sys\nprint(sys.stdin.read().strip()[::-1])\nprint('to err', file=sys.stderr)\n",
            "abc\n", 5, 0, 0, 0);
    check_status(&r, EB_EXEC_OK, "echo");
    CHECK_STR(r.stdout_data, "cba\n");
    CHECK_STR(r.stderr_data, "to err\n");
    CHECK_INT(r.exit_code, 0);
    CHECK(r.wall_ms > 0 && r.wall_ms < 5000);
    CHECK(r.peak_memory_kb > 1000);
    eb_exec_result_clear(&r);

    r = run(ex, "import sys\nsys.exit(3)\n", NULL, 5, 0, 0, 0);
    check_status(&r, EB_EXEC_EXIT_NONZERO, "exit 3");
    CHECK_INT(r.exit_code, 3);
    eb_exec_result_clear(&r);

    r = run(ex, "def check(x):\n    assert x == 2, 'wrong answer'\ncheck(1)\n", NULL, 5, 0, 0, 0);
    check_status(&r, EB_EXEC_EXIT_NONZERO, "assert");
    CHECK_INT(r.exit_code, 1);
    CHECK_STR(r.detail, "AssertionError: wrong answer");
    CHECK(strstr(r.stderr_data, "line 2, in check") != NULL);
    eb_exec_result_clear(&r);

    r = run(ex, "x = [1, 2]\nprint(x[5])\n", NULL, 5, 0, 0, 0);
    check_status(&r, EB_EXEC_EXIT_NONZERO, "index error");
    CHECK_STR(r.detail, "IndexError: list index out of range");
    eb_exec_result_clear(&r);

    /* CPU limit below the wall limit: the CPU limit decides */
    /* (a generous wall limit: on a loaded CI machine 0.5 s of CPU can take
     * several seconds of wall time, and the CPU limit must still decide) */
    r = run(ex, "while True:\n    pass\n", NULL, 30, 0.5, 0, 0);
    check_status(&r, EB_EXEC_TIMEOUT, "cpu loop");
    CHECK_MSG(r.cpu_ms >= 450 && r.cpu_ms < 2000, "cpu_ms %.1f", r.cpu_ms);
    CHECK_MSG(r.wall_ms < 20000, "wall_ms %.1f", r.wall_ms);
    CHECK(strstr(r.detail, "CPU") != NULL);
    eb_exec_result_clear(&r);

    /* sleeping uses no CPU: the wall-clock limit decides */
    r = run(ex, "import time\ntime.sleep(60)\n", NULL, 0.5, 0, 0, 0);
    check_status(&r, EB_EXEC_TIMEOUT, "sleep");
    CHECK_MSG(r.wall_ms >= 480 && r.wall_ms < 5000, "wall_ms %.1f", r.wall_ms);
    CHECK(r.cpu_ms < 400);
    CHECK(strstr(r.detail, "wall-clock") != NULL);
    eb_exec_result_clear(&r);

    r = run(ex, "chunks = []\nwhile True:\n    chunks.append(bytearray(16 << 20))\n", NULL, 5, 0, 256 << 20, 0);
    check_status(&r, EB_EXEC_MEMORY_LIMIT, "memory");
    CHECK(strstr(r.detail, "MemoryError") != NULL);
    CHECK_MSG(r.peak_memory_kb > 100 * 1024 && r.peak_memory_kb < 300 * 1024, "peak %lld kB",
              (long long)r.peak_memory_kb);
    eb_exec_result_clear(&r);

    r = run(ex, "import sys\nwhile True:\n    sys.stdout.write('x' * 4096)\n", NULL, 5, 0, 0, 65536);
    check_status(&r, EB_EXEC_OUTPUT_LIMIT, "output");
    CHECK_INT(r.stdout_len, 65536);
    CHECK_INT(strlen(r.stdout_data), 65536);
    eb_exec_result_clear(&r);

    /* a real crash (not a signal the program sends itself) */
    r = run(ex, "import ctypes\nctypes.string_at(0)\n", NULL, 5, 0, 0, 0);
    check_status(&r, EB_EXEC_SIGNALED, "segfault");
    CHECK_INT(r.term_signal, 11);
    eb_exec_result_clear(&r);

    r = run(ex, "import ctypes\nctypes.CDLL(None).syscall(101, 0, 0, 0, 0)\nprint('survived')\n", NULL, 5, 0, 0, 0);
    check_status(&r, EB_EXEC_VIOLATION, "ptrace");
    CHECK_STR(r.detail, "forbidden system call: ptrace");
    CHECK(strstr(r.stdout_data, "survived") == NULL);
    eb_exec_result_clear(&r);

    /* large stdin and stdout pass through intact */
    size_t big = 3 << 20;
    char *in = malloc(big + 1);
    for (size_t i = 0; i < big; i++) in[i] = (char)('a' + i % 26);
    in[big] = 0;
    r = run(ex, "import sys\ndata = sys.stdin.read()\nsys.stdout.write(data)\n", in, 10, 0, 0, 0);
    check_status(&r, EB_EXEC_OK, "big stdin");
    CHECK_INT(r.stdout_len, big);
    CHECK(r.stdout_data && memcmp(r.stdout_data, in, big) == 0);
    eb_exec_result_clear(&r);
    free(in);

    /* the program does not inherit the harness's descriptors */
    r = run(ex, "import os\nopen_fds = [fd for fd in range(3, 64) if os.path.exists(f'/dev/fd/{fd}') or "
                "not os.set_inheritable.__doc__ is None and _try(fd)] if False else []\n"
                "import fcntl\nleft = []\nfor fd in range(3, 64):\n    try:\n        fcntl.fcntl(fd, fcntl.F_GETFD)\n"
                "        left.append(fd)\n    except OSError:\n        pass\nprint(left)\n",
            NULL, 5, 0, 0, 0);
    check_status(&r, EB_EXEC_OK, "fds");
    CHECK_STR(r.stdout_data, "[]\n");
    eb_exec_result_clear(&r);
}

/* As an ordinary user (uid 65534) the sandbox uses a user namespace that
 * maps the caller's own uid; the same verdicts must come out.  Runs in a
 * forked child (before this process starts any thread) that leaves with
 * _exit and reports failures through its exit status. */
static void unprivileged(void) {
    if (geteuid() != 0) return; /* already unprivileged: main() covers it */
    pid_t pid = fork();
    if (pid == 0) {
        int bad = 0;
        if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
            _exit(100);
        prctl(PR_SET_DUMPABLE, 1, 0, 0, 0); /* as for any ordinary process: own /proc files */
        eb_err err = {{0}};
        for (int fast = 0; fast < 2; fast++) {
            eb_executor_options o = {.jobs = 1, .fast_path = fast};
            eb_executor *ex = eb_executor_create(&o, &err);
            if (!ex) {
                fprintf(stderr, "unprivileged executor: %s\n", err.msg);
                _exit(101);
            }
            if (eb_executor_fast_path_active(ex) != fast) {
                fprintf(stderr, "unprivileged executor: fast path %s\n", fast ? "did not start" : "started unasked");
                bad++;
            }
            eb_exec_job ok = {.program = "import os\nprint(os.getuid(), open('/tmp/x', 'w').write('ab'))\n",
                              .wall_time_limit_s = 5};
            eb_exec_job bad_call = {.program = "import ctypes\nctypes.CDLL(None).unshare(0x10000000)\n",
                                    .wall_time_limit_s = 5};
            eb_exec_job loop = {.program = "while True: pass\n", .wall_time_limit_s = 0.5};
            eb_exec_result r;
            if (eb_executor_run(ex, &ok, &r, &err) < 0 || r.status != EB_EXEC_OK || strcmp(r.stdout_data, "0 2\n")) {
                fprintf(stderr, "unprivileged (fast=%d) hello: %s %s [%s]\n", fast, eb_exec_status_name(r.status),
                        r.detail, r.stdout_data ? r.stdout_data : "");
                bad++;
            }
            eb_exec_result_clear(&r);
            if (eb_executor_run(ex, &bad_call, &r, &err) < 0 || r.status != EB_EXEC_VIOLATION ||
                !strstr(r.detail, "unshare")) {
                fprintf(stderr, "unprivileged (fast=%d) unshare: %s %s\n", fast, eb_exec_status_name(r.status),
                        r.detail);
                bad++;
            }
            eb_exec_result_clear(&r);
            if (eb_executor_run(ex, &loop, &r, &err) < 0 || r.status != EB_EXEC_TIMEOUT) {
                fprintf(stderr, "unprivileged (fast=%d) loop: %s %s\n", fast, eb_exec_status_name(r.status), r.detail);
                bad++;
            }
            eb_exec_result_clear(&r);
            eb_executor_destroy(ex);
        }
        _exit(bad);
    }
    int st = -1;
    waitpid(pid, &st, 0);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "unprivileged child: status 0x%x", st);
}

/* An interpreter outside /usr, below a directory only root may enter (like
 * a version manager's under /root): its prefix is made visible read-only. */
static void private_interpreter(void) {
    char dir[] = "/var/tmp/eb_sandbox_py_XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK_MSG(0, "mkdtemp failed");
        return;
    }
    char bin[128], exe[160], cmd[1024];
    snprintf(bin, sizeof bin, "%s/prefix/bin", dir);
    snprintf(exe, sizeof exe, "%s/python3", bin);
    snprintf(cmd, sizeof cmd, "mkdir -p %s && chmod 0755 %s/prefix %s && cp \"$(readlink -f /usr/bin/python3)\" %s",
             bin, dir, bin, exe);
    CHECK(system(cmd) == 0);
    chmod(dir, 0700);
    for (int fast = 0; fast < 2; fast++) {
        eb_err err = {{0}};
        eb_executor_options o = {.jobs = 1, .python = exe, .fast_path = fast};
        eb_executor *ex = eb_executor_create(&o, &err);
        CHECK_MSG(ex != NULL, "private interpreter (fast=%d): %s", fast, err.msg);
        if (!ex) continue;
        CHECK_INT(eb_executor_fast_path_active(ex), fast);
        eb_exec_result r = run(ex, "import sys\nprint(sys.executable)\n", NULL, 5, 0, 0, 0);
        CHECK_MSG(r.status == EB_EXEC_OK && strstr(r.stdout_data, "/prefix/bin/python3"),
                  "private interpreter (fast=%d): %s %s [%s]", fast, eb_exec_status_name(r.status), r.detail,
                  r.stdout_data);
        eb_exec_result_clear(&r);
        eb_executor_destroy(ex);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

int main(void) {
    unprivileged();
    if (geteuid() == 0) private_interpreter();
    eb_err err = {{0}};
    char probe[512];
    CHECK_MSG(eb_executor_probe(probe, sizeof probe) == 0, "%s", probe);
    CHECK_STR(eb_exec_status_name(EB_EXEC_VIOLATION), "sandbox_violation");
    CHECK_STR(eb_exec_status_name(EB_EXEC_OK), "passed");

    eb_executor_options fresh = {.jobs = 2};
    eb_executor *ex = eb_executor_create(&fresh, &err);
    CHECK_MSG(ex != NULL, "%s", err.msg);
    if (ex) suite(ex, "fresh interpreter");
    eb_executor_destroy(ex);

    eb_executor_options fast = {.jobs = 2, .fast_path = 1};
    ex = eb_executor_create(&fast, &err);
    CHECK_MSG(ex != NULL, "%s", err.msg);
    CHECK(eb_executor_fast_path_active(ex));
    if (ex) suite(ex, "fast path");
    eb_executor_destroy(ex);

    eb_exec_result empty;
    memset(&empty, 0, sizeof empty);
    eb_exec_result_clear(&empty);
    eb_exec_result_clear(NULL);
    return eb_test_finish();
}
