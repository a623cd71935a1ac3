/* Hostile programs and the verdicts they must get, on both the fresh
 * interpreter and the fast path.  After each: the host is unchanged (no
 * process, mount or cgroup left behind, no file outside the sandbox) and
 * this harness is still running to check it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "executor.h"
#include "host_check.h"
#include "test_util.h"

#define SECRET "eb-secret-7f3a9c1d"

typedef struct hostile {
    const char *name;
    const char *program;
    eb_exec_status want;
    const char *detail_has;    /* substring of the verdict detail, or NULL */
    const char *stdout_has;    /* substring of stdout, or NULL */
    const char *stdout_lacks;  /* must not appear in stdout or stderr, or NULL */
} hostile;

static const hostile cases[] = {
    {"fork bomb", "import os\nwhile True:\n    os.fork()\n", EB_EXEC_EXIT_NONZERO, "PermissionError", NULL, NULL},
    {"thread bomb",
     "import threading, time\nwhile True:\n    threading.Thread(target=time.sleep, args=(100,), daemon=True).start()\n",
     EB_EXEC_EXIT_NONZERO, "can't start new thread", NULL, NULL},
    {"memory bomb", "a = []\nwhile True:\n    a.append(bytearray(50 << 20))\n", EB_EXEC_MEMORY_LIMIT, "MemoryError",
     NULL, NULL},
    {"huge allocation", "x = bytearray(8 << 30)\n", EB_EXEC_MEMORY_LIMIT, NULL, NULL, NULL},
    {"infinite loop", "while True:\n    pass\n", EB_EXEC_TIMEOUT, NULL, NULL, NULL},
    {"sleep past the limit", "import time\ntime.sleep(1000)\n", EB_EXEC_TIMEOUT, "wall-clock", NULL, NULL},
    {"huge stdout", "while True:\n    print('x' * 10000)\n", EB_EXEC_OUTPUT_LIMIT, NULL, NULL, NULL},
    {"huge stderr", "import sys\nwhile True:\n    sys.stderr.write('e' * 10000)\n", EB_EXEC_OUTPUT_LIMIT, NULL, NULL,
     NULL},
    {"one line without newline", "import sys\nsys.stdout.write('y' * (64 << 20))\n", EB_EXEC_OUTPUT_LIMIT, NULL, NULL,
     NULL},
    {"write into /usr", "open('/usr/lib/evil', 'w').write('x')\n", EB_EXEC_EXIT_NONZERO, "Errno", NULL, NULL},
    {"write at /", "open('/evil', 'w').write('x')\n", EB_EXEC_EXIT_NONZERO, "Errno", NULL, NULL},
    {"fill /tmp", "f = open('/tmp/big', 'wb')\nwhile True:\n    f.write(b'0' * (1 << 20))\n", EB_EXEC_EXIT_NONZERO,
     "Errno", NULL, NULL},
    {"fill /tmp inodes", "i = 0\nwhile True:\n    open('/tmp/f%d' % i, 'w').close()\n    i += 1\n",
     EB_EXEC_EXIT_NONZERO, "No space left", NULL, NULL},
    {"read /etc/shadow", "print(open('/etc/shadow').read())\n", EB_EXEC_EXIT_NONZERO, "FileNotFoundError", NULL,
     "root:"},
    {"read /etc/passwd", "print(open('/etc/passwd').read())\n", EB_EXEC_EXIT_NONZERO, "FileNotFoundError", NULL,
     "root:"},
    {"read the repository", "print(open('" EVALBENCH_SOURCE_DIR "/CMakeLists.txt').read())\n", EB_EXEC_EXIT_NONZERO,
     "FileNotFoundError", NULL, "project("},
    {"read the home directory", "import os\nprint(os.listdir('/root'))\n", EB_EXEC_EXIT_NONZERO,
     "FileNotFoundError", NULL, NULL},
    {"environment secrets", "import os\nprint(dict(os.environ))\n", EB_EXEC_OK, NULL, "PATH", SECRET},
    {"scrape /proc", "import os\nprint(os.listdir('/proc'))\n", EB_EXEC_EXIT_NONZERO, "FileNotFoundError", NULL,
     NULL},
    {"scrape /sys", "import os\nprint(os.listdir('/sys/fs/cgroup'))\n", EB_EXEC_EXIT_NONZERO, "FileNotFoundError",
     NULL, NULL},
    {"connect 127.0.0.1", "import socket\nsocket.create_connection(('127.0.0.1', 22), timeout=1)\n",
     EB_EXEC_EXIT_NONZERO, "PermissionError", NULL, NULL},
    {"connect outside", "import socket\nsocket.create_connection(('1.1.1.1', 443), timeout=1)\n", EB_EXEC_EXIT_NONZERO,
     "PermissionError", NULL, NULL},
    {"netlink socket", "import socket\nsocket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)\n", EB_EXEC_EXIT_NONZERO,
     "PermissionError", NULL, NULL},
    {"socket family with high bits",
     "import ctypes\nr = ctypes.CDLL(None, use_errno=True).syscall(41, ctypes.c_long(2 + (1 << 32)), 1, 0)\n"
     "print('fd', r, ctypes.get_errno())\n",
     EB_EXEC_OK, NULL, "fd -1 13", NULL},
    {"unix socketpair still works",
     "import socket\na, b = socket.socketpair()\na.send(b'ok')\nprint(b.recv(2).decode())\n", EB_EXEC_OK, NULL, "ok",
     NULL},
    {"ptrace", "import ctypes\nctypes.CDLL(None).ptrace(0, 0, 0, 0)\n", EB_EXEC_VIOLATION, "ptrace", NULL, NULL},
    {"mount", "import ctypes\nctypes.CDLL(None).mount(b'none', b'/tmp', b'tmpfs', 0, None)\n", EB_EXEC_VIOLATION,
     "mount", NULL, NULL},
    {"unshare user namespace", "import ctypes\nctypes.CDLL(None).unshare(0x10000000)\n", EB_EXEC_VIOLATION,
     "unshare", NULL, NULL},
    {"clone with namespace flags", "import ctypes\nctypes.CDLL(None).syscall(56, 0x10000000 | 17, 0, 0, 0, 0)\n",
     EB_EXEC_VIOLATION, "clone with namespace flags", NULL, NULL},
    {"setns", "import ctypes\nctypes.CDLL(None).syscall(308, 0, 0)\n", EB_EXEC_VIOLATION, "setns", NULL, NULL},
    {"bpf", "import ctypes\nctypes.CDLL(None).syscall(321, 0, 0, 0)\n", EB_EXEC_VIOLATION, "bpf", NULL, NULL},
    {"io_uring_setup", "import ctypes\nctypes.CDLL(None).syscall(425, 8, 0)\n", EB_EXEC_VIOLATION, "io_uring_setup",
     NULL, NULL},
    {"keyctl", "import ctypes\nctypes.CDLL(None).syscall(250, 0, 0, 0)\n", EB_EXEC_VIOLATION, "keyctl", NULL, NULL},
    {"perf_event_open", "import ctypes\nctypes.CDLL(None).syscall(298, 0, 0, -1, -1, 0)\n", EB_EXEC_VIOLATION,
     "perf_event_open", NULL, NULL},
    {"userfaultfd", "import ctypes\nctypes.CDLL(None).syscall(323, 0)\n", EB_EXEC_VIOLATION, "userfaultfd", NULL,
     NULL},
    {"chroot", "import os\nos.chroot('/tmp')\n", EB_EXEC_VIOLATION, "chroot", NULL, NULL},
    {"x32 system call", "import ctypes\nctypes.CDLL(None).syscall(0x40000000 + 39)\nprint('survived')\n",
     EB_EXEC_VIOLATION, "non-native", NULL, "survived"},
    {"i386 system call (int 0x80)",
     "import ctypes, mmap\nm = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)\n"
     "m.write(b'\\xb8\\x14\\x00\\x00\\x00\\xcd\\x80\\xc3')  # mov eax, 20 (getpid); int 0x80; ret\n"
     "addr = ctypes.addressof(ctypes.c_char.from_buffer(m))\nprint('pid', ctypes.CFUNCTYPE(ctypes.c_int)(addr)())\n",
     EB_EXEC_VIOLATION, "non-native", NULL, "pid"},
    {"terminal injection with high bits",
     "import fcntl, termios\nfcntl.ioctl(0, termios.TIOCSTI | (1 << 32), b'x')\n", EB_EXEC_EXIT_NONZERO, "Error",
     NULL, NULL},
    {"shared memory", "import os\nos.listdir('/dev/shm')\n", EB_EXEC_EXIT_NONZERO, "FileNotFoundError", NULL, NULL},
    {"os.system", "import os\nprint('rc', os.system('id'))\n", EB_EXEC_OK, NULL, "rc ", "uid="},
    {"posix.system behind a guard", "import os, posix\nos.system = None\nprint('rc', posix.system('id'))\n", EB_EXEC_OK,
     NULL, "rc ", "uid="},
    {"subprocess", "import subprocess\nprint(subprocess.run(['id'], capture_output=True).stdout)\n",
     EB_EXEC_EXIT_NONZERO, "PermissionError", NULL, "uid="},
    {"kill the parent and init",
     "import os, signal\nfor pid in (os.getppid(), 1, -1):\n    try:\n        os.kill(pid, signal.SIGKILL)\n"
     "    except OSError:\n        pass\nprint('alive')\n",
     EB_EXEC_OK, NULL, "alive", NULL},
    {"setsid daemon", "import os\nos.setsid() if os.getpid() != os.getsid(0) else None\npid = os.fork()\n",
     EB_EXEC_EXIT_NONZERO, "PermissionError", NULL, NULL},
    {"raise rlimits",
     "import resource\nresource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))\n",
     EB_EXEC_EXIT_NONZERO, "ValueError", NULL, NULL},
    {"raise process limit with prlimit",
     "import resource\nresource.prlimit(0, resource.RLIMIT_NPROC, (100000, 100000))\n", EB_EXEC_EXIT_NONZERO,
     "Error", NULL, NULL},
    {"become root", "import os\nos.setuid(0)\nprint('root')\n", EB_EXEC_EXIT_NONZERO, "Error", NULL, "root"},
    {"ignore signals and spin",
     "import signal\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGXCPU, signal.SIGHUP, signal.SIGALRM):\n"
     "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    pass\n",
     EB_EXEC_TIMEOUT, NULL, NULL, NULL},
    {"terminal injection", "import fcntl, termios\nfcntl.ioctl(0, termios.TIOCSTI, b'x')\n", EB_EXEC_EXIT_NONZERO,
     "OSError", NULL, NULL},
    {"deep recursion", "import sys\nsys.setrecursionlimit(10 ** 8)\ndef f(n):\n    return f(n + 1)\nf(0)\n",
     EB_EXEC_TIMEOUT, NULL, NULL, NULL},
    {"own hostname", "import socket\nprint(socket.gethostname())\n", EB_EXEC_OK, NULL, "sandbox", NULL},
};

static void one(eb_executor *ex, const hostile *h, const char *mode) {
    eb_exec_job job = {.program = h->program, .wall_time_limit_s = 1.5, .cpu_time_limit_s = 1.0,
                       .memory_limit_bytes = 256 << 20, .output_limit_bytes = 1 << 20};
    eb_exec_result r;
    eb_err err = {{0}};
    host_state before = host_snapshot();
    unlink("/tmp/evil");
    int rc = eb_executor_run(ex, &job, &r, &err);
    CHECK_MSG(rc == 0, "%s [%s]: %s", h->name, mode, err.msg);
    if (rc != 0) return;
    int ok = r.status == h->want || (h->want == EB_EXEC_TIMEOUT && r.status == EB_EXEC_MEMORY_LIMIT &&
                                     strcmp(h->name, "deep recursion") == 0);
    CHECK_MSG(ok, "%s [%s]: got %s (%s), want %s; stderr tail: %.300s", h->name, mode,
              eb_exec_status_name(r.status), r.detail, eb_exec_status_name(h->want),
              r.stderr_len > 300 ? r.stderr_data + r.stderr_len - 300 : r.stderr_data);
    if (h->detail_has)
        CHECK_MSG(strstr(r.detail, h->detail_has) != NULL, "%s [%s]: detail \"%s\" lacks \"%s\"", h->name, mode,
                  r.detail, h->detail_has);
    if (h->stdout_has)
        CHECK_MSG(strstr(r.stdout_data, h->stdout_has) != NULL, "%s [%s]: stdout \"%.200s\" lacks \"%s\"", h->name,
                  mode, r.stdout_data, h->stdout_has);
    if (h->stdout_lacks)
        CHECK_MSG(!strstr(r.stdout_data, h->stdout_lacks) && !strstr(r.stderr_data, h->stdout_lacks),
                  "%s [%s]: output shows \"%s\"", h->name, mode, h->stdout_lacks);
    if (h->want == EB_EXEC_TIMEOUT) CHECK_MSG(r.wall_ms < 8000, "%s [%s]: wall %.0f ms", h->name, mode, r.wall_ms);
    char why[128];
    CHECK_MSG(host_unchanged(&before, why, sizeof why), "%s [%s]: %s", h->name, mode, why);
    CHECK_MSG(access("/tmp/evil", F_OK) != 0 && access("/evil", F_OK) != 0 && access("/usr/lib/evil", F_OK) != 0,
              "%s [%s]: a file appeared on the host", h->name, mode);
    fprintf(stderr, "  %-34s %-18s %7.1f ms wall %7.1f ms cpu  %s\n", h->name, eb_exec_status_name(r.status),
            r.wall_ms, r.cpu_ms, r.detail);
    eb_exec_result_clear(&r);
}

int main(void) {
    setenv("EB_SANDBOX_TEST_SECRET", SECRET, 1);
    size_t n = sizeof cases / sizeof cases[0];
    CHECK(n >= 30);
    const char *modes[2] = {"fresh", "fast"};
    for (int m = 0; m < 2; m++) {
        eb_executor_options opts = {.jobs = 2, .fast_path = m};
        eb_err err = {{0}};
        eb_executor *ex = eb_executor_create(&opts, &err);
        CHECK_MSG(ex != NULL, "%s", err.msg);
        if (!ex) continue;
        CHECK_INT(eb_executor_fast_path_active(ex), m);
        fprintf(stderr, "-- %s\n", modes[m]);
        for (size_t i = 0; i < n; i++) one(ex, &cases[i], modes[m]);
        eb_executor_destroy(ex);
    }
    return eb_test_finish();
}
