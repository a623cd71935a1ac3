/* Runs of the fast path share their helper's (empty) network namespace, so
 * the abstract AF_UNIX names are the one thing concurrent runs could both
 * reach.  No program may give a socket a name: bind and listen are refused,
 * and so are SO_PASSCRED/SO_PASSPIDFD, which would make connect/sendmsg
 * autobind the socket to one of 2^20 guessable abstract names.  Here a
 * program tries every way to get a name, and two concurrent runs try to
 * meet, one of them sweeping the whole autobind name space. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "executor.h"
#include "test_util.h"

/* Every way to name a socket, each one expected to fail with EACCES; then
 * checks that unnamed sockets still work and that nothing got a name. */
static const char *try_naming =
    "import socket, ctypes, errno\n"
    "from socket import AF_UNIX, SOCK_DGRAM, SOCK_STREAM, SOCK_SEQPACKET, SOL_SOCKET\n"
    "bad = []\n"
    "def refused(what, f):\n"
    "    try:\n"
    "        f()\n"
    "        bad.append(what + ' allowed')\n"
    "    except OSError as e:\n"
    "        if e.errno != errno.EACCES: bad.append('%s: %s' % (what, e))\n"
    "for typ in (SOCK_DGRAM, SOCK_STREAM, SOCK_SEQPACKET):\n"
    "    s = socket.socket(AF_UNIX, typ)\n"
    "    refused('bind abstract', lambda: s.bind('\\0eb-meet'))\n"
    "    refused('bind autobind', lambda: s.bind(''))\n"
    "    refused('bind path', lambda: s.bind('/tmp/eb-meet'))\n"
    "    if typ != SOCK_DGRAM: refused('listen', lambda: s.listen(1))\n"
    "    refused('SO_PASSCRED', lambda: s.setsockopt(SOL_SOCKET, socket.SO_PASSCRED, 1))\n"
    "    refused('SO_PASSPIDFD', lambda: s.setsockopt(SOL_SOCKET, 76, 1))\n"
    "    s.close()\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    "libc.syscall.restype = ctypes.c_long\n"
    "libc.syscall.argtypes = [ctypes.c_long] * 6\n"
    "one = ctypes.c_int(1)\n"
    "s = socket.socket(AF_UNIX, SOCK_DGRAM)\n"
    "for hi in (1 << 32, 0xffffffff << 32):\n"
    "    rc = libc.syscall(54, s.fileno(), SOL_SOCKET, hi | socket.SO_PASSCRED, ctypes.addressof(one), 4)\n"
    "    if rc != -1 or ctypes.get_errno() != errno.EACCES: bad.append('SO_PASSCRED with high bits')\n"
    "    rc = libc.syscall(50, s.fileno(), hi | 1, 0, 0, 0, 0)\n"
    "    if rc != -1 or ctypes.get_errno() != errno.EACCES: bad.append('listen with high bits')\n"
    "# without a name anywhere, connect and sendto reach nobody and name nothing\n"
    "for typ in (SOCK_DGRAM, SOCK_STREAM, SOCK_SEQPACKET):\n"
    "    for how in ('connect', 'sendto'):\n"
    "        t = socket.socket(AF_UNIX, typ)\n"
    "        try:\n"
    "            t.connect('\\0eb-meet') if how == 'connect' else t.sendto(b'x', '\\0eb-meet')\n"
    "            bad.append('%s reached someone' % how)\n"
    "        except OSError:\n"
    "            pass\n"
    "        if t.getsockname() not in ('', b''): bad.append('%s named the socket %r' % (how, t.getsockname()))\n"
    "        t.close()\n"
    "# sending credentials explicitly does not name the sender either\n"
    "import os, struct\n"
    "t = socket.socket(AF_UNIX, SOCK_DGRAM)\n"
    "cred = struct.pack('iII', os.getpid(), os.getuid(), os.getgid())\n"
    "try:\n"
    "    t.sendmsg([b'x'], [(SOL_SOCKET, socket.SCM_CREDENTIALS, cred)], 0, '\\0eb-meet')\n"
    "    bad.append('sendmsg reached someone')\n"
    "except OSError:\n"
    "    pass\n"
    "if t.getsockname() not in ('', b''): bad.append('sendmsg with credentials named the socket')\n"
    "t.close()\n"
    "# unnamed sockets and ordinary options keep working\n"
    "s.setsockopt(SOL_SOCKET, socket.SO_SNDBUF, 65536)\n"
    "a, b = socket.socketpair()\n"
    "a.sendall(b'ok')\n"
    "if b.recv(2) != b'ok': bad.append('socketpair broken')\n"
    "print('bad', bad)\n";

/* The would-be receiver: tries to get any name, then listens on whatever
 * it has for a while. */
static const char *receiver =
    "import socket, time, select\n"
    "from socket import AF_UNIX, SOCK_DGRAM, SOL_SOCKET\n"
    "socks, named = [], []\n"
    "for _ in range(16):\n"
    "    s = socket.socket(AF_UNIX, SOCK_DGRAM)\n"
    "    for attempt in (lambda: s.bind('\\0eb-meet'), lambda: s.bind(''),\n"
    "                    lambda: s.setsockopt(SOL_SOCKET, socket.SO_PASSCRED, 1),\n"
    "                    lambda: s.setsockopt(SOL_SOCKET, 76, 1),\n"
    "                    lambda: s.sendto(b'x', '\\0eb-nobody'), lambda: s.connect('\\0eb-nobody')):\n"
    "        try:\n"
    "            attempt()\n"
    "        except OSError:\n"
    "            pass\n"
    "    if s.getsockname() not in ('', b''): named.append(s.getsockname())\n"
    "    s.setblocking(False)\n"
    "    socks.append(s)\n"
    "heard = 0\n"
    "end = time.monotonic() + 5\n"
    "while time.monotonic() < end:\n"
    "    r, _, _ = select.select(socks, [], [], 0.1)\n"
    "    for s in r:\n"
    "        try:\n"
    "            s.recv(64)\n"
    "            heard += 1\n"
    "        except OSError:\n"
    "            pass\n"
    "print('named', len(named), 'heard', heard)\n";

/* The would-be caller: the fixed name, then every autobind name
 * ("\0" + 5 hex digits). */
static const char *caller =
    "import socket, time\n"
    "from socket import AF_UNIX, SOCK_DGRAM, SOCK_STREAM\n"
    "time.sleep(0.5)\n"
    "reached = 0\n"
    "c = socket.socket(AF_UNIX, SOCK_STREAM)\n"
    "try:\n"
    "    c.connect('\\0eb-meet')\n"
    "    reached += 1\n"
    "except OSError:\n"
    "    pass\n"
    "d = socket.socket(AF_UNIX, SOCK_DGRAM)\n"
    "send = d.sendto\n"
    "for n in range(1 << 20):\n"
    "    try:\n"
    "        send(b'x', b'\\0%05x' % n)\n"
    "        reached += 1\n"
    "    except OSError:\n"
    "        pass\n"
    "print('reached', reached)\n";

typedef struct side {
    eb_executor *ex;
    const char *prog;
    eb_exec_result r;
    int rc;
} side;

static void *run_side(void *arg) {
    side *s = arg;
    eb_exec_job job = {.program = s->prog, .wall_time_limit_s = 20};
    eb_err err = {{0}};
    s->rc = eb_executor_run(s->ex, &job, &s->r, &err);
    if (s->rc != 0) fprintf(stderr, "run failed: %s\n", err.msg);
    return NULL;
}

static void naming_refused(eb_executor *ex, const char *mode) {
    eb_exec_job job = {.program = try_naming, .wall_time_limit_s = 10};
    eb_exec_result r;
    eb_err err = {{0}};
    CHECK_MSG(eb_executor_run(ex, &job, &r, &err) == 0, "[%s] %s", mode, err.msg);
    CHECK_MSG(r.status == EB_EXEC_OK, "[%s] %s %s %s", mode, eb_exec_status_name(r.status), r.detail,
              r.stderr_data ? r.stderr_data : "");
    CHECK_MSG(r.stdout_data && strcmp(r.stdout_data, "bad []\n") == 0, "[%s] %s", mode,
              r.stdout_data ? r.stdout_data : "(no output)");
    eb_exec_result_clear(&r);
}

static void no_rendezvous(eb_executor *ex, const char *mode) {
    side rx = {.ex = ex, .prog = receiver}, tx = {.ex = ex, .prog = caller};
    pthread_t a, b;
    pthread_create(&a, NULL, run_side, &rx);
    pthread_create(&b, NULL, run_side, &tx);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    CHECK(rx.rc == 0 && tx.rc == 0);
    if (rx.rc == 0 && tx.rc == 0) {
        CHECK_MSG(rx.r.status == EB_EXEC_OK && strcmp(rx.r.stdout_data, "named 0 heard 0\n") == 0,
                  "[%s] receiver: %s %s %s", mode, eb_exec_status_name(rx.r.status), rx.r.detail, rx.r.stdout_data);
        CHECK_MSG(tx.r.status == EB_EXEC_OK && strcmp(tx.r.stdout_data, "reached 0\n") == 0,
                  "[%s] caller: %s %s %s", mode, eb_exec_status_name(tx.r.status), tx.r.detail, tx.r.stdout_data);
        /* the runs overlapped: otherwise this proved nothing */
        CHECK_MSG(rx.r.wall_ms > 4000, "[%s] receiver ended early (%.0f ms)", mode, rx.r.wall_ms);
    }
    eb_exec_result_clear(&rx.r);
    eb_exec_result_clear(&tx.r);
}

int main(void) {
    eb_err err = {{0}};
    for (int fork_ok = 0; fork_ok < 2; fork_ok++) {
        /* jobs = 2: one helper, so both runs share its network namespace */
        eb_executor_options opts = {.jobs = 2, .fast_path = 1, .allow_fork = fork_ok};
        eb_executor *ex = eb_executor_create(&opts, &err);
        CHECK_MSG(ex != NULL, "%s", err.msg);
        if (!ex) continue;
        CHECK(eb_executor_fast_path_active(ex));
        const char *mode = fork_ok ? "fast, fork allowed" : "fast";
        naming_refused(ex, mode);
        if (!fork_ok) no_rendezvous(ex, mode);
        eb_executor_destroy(ex);
    }
    eb_executor_options fresh = {.jobs = 1};
    eb_executor *ex = eb_executor_create(&fresh, &err);
    CHECK_MSG(ex != NULL, "%s", err.msg);
    if (ex) {
        naming_refused(ex, "fresh");
        eb_executor_destroy(ex);
    }
    return eb_test_finish();
}
