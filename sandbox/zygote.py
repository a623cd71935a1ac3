# The fast-path helper.  It runs inside its own sandbox (user, pid, net,
# mount, ipc, uts, cgroup namespaces; read-only minimal root) and never runs
# foreign code itself.  It keeps spare runners ready: a spare is a child
# forked into a fresh PID namespace (as its PID 1) that has created fresh
# mount, ipc, uts and cgroup namespaces, mounted its own empty /tmp and
# waits.  Spares stay in this helper's network namespace: it is empty (no
# interface up, not even loopback), and the seccomp filter lets no program
# give a socket a name (no bind, no listen, no autobind), so the abstract
# AF_UNIX names, the only thing runs sharing it could both reach, stay
# empty.  A fresh network namespace per run cost 3-4 ms of machine CPU.
# The helper hands the spare's two sockets to the supervisor (over fd 3)
# and makes another spare whenever the supervisor reports one used, so the
# helper is not on the path of a run start.  The supervisor sends the
# request straight to the spare and the report pipe to the helper, which
# reports the spare's exit status when it reaps it.  The run then drops to
# an unprivileged uid, applies rlimits, loses every capability, installs the
# seccomp filter and only then executes the program in the copy-on-write
# image of this already initialised interpreter.  When the run ends, its PID
# namespace and everything in it die with it; each spare serves exactly one
# run.  Preparing namespaces ahead of time takes their set-up latency (RCU
# grace periods, mostly waiting) off the critical path.
import os
import sys
import socket
import struct
import ctypes
import select
import signal
import io
import builtins
import traceback
import linecache
import types
import resource
import threading
import atexit
import gc

# What scored programs commonly import, loaded once here instead of once per
# run.  Kept short on purpose: every page of this image is copied into the
# page tables of each run, and refcount updates copy the pages a run
# touches, so rarely used heavy modules (decimal, unittest, ...) would cost
# every run more than they save the few that import them.
import math, re, collections, heapq, bisect, itertools, functools, string, random, typing  # noqa: E401
import copy, operator, hashlib, array, time  # noqa: E401

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]

CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS = 0x00020000, 0x02000000, 0x04000000
CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET = 0x08000000, 0x20000000, 0x40000000
MS_NOSUID, MS_NODEV = 2, 4
PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 38, 24, 47, 4
SYS_seccomp, SYS_capset, SYS_close_range = 317, 126, 436
SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER = 1, 8
REPORT_MAGIC, REPORT_EXIT, REPORT_SETUP_ERROR = 0x45425250, 0, 1
REPORT = struct.Struct("<iiiiqqq200s")
# slot, tasks, setuid, pad, memory, file size, files, tmp bytes, cpu seconds, program length
REQUEST = struct.Struct("<iiiiqqqqqq")
ENV = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8",
       "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}

with open("/sandbox/filter.bpf", "rb") as f:
    FILTER = f.read()
with open("/sandbox/filter_kill.bpf", "rb") as f:
    FILTER_KILL = f.read()


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def check(rc, what):
    if rc < 0:
        e = ctypes.get_errno()
        raise OSError(e, what + ": " + os.strerror(e))
    return rc


def report(fd, kind, status=0, err=0, ru=None, msg=""):
    ut = int(ru.ru_utime * 1e6) if ru else 0
    st = int(ru.ru_stime * 1e6) if ru else 0
    rss = ru.ru_maxrss if ru else 0
    data = REPORT.pack(REPORT_MAGIC, kind, status, err, ut, st, rss, msg.encode()[:199])
    os.write(fd, data)


# Everything a run needs is built here once: work done in the helper is
# shared by every run, work done in a run is paid (and its pages copied) each
# time.
FILTER_BUF = ctypes.create_string_buffer(FILTER, len(FILTER))
FILTER_PROG = SockFprog(len(FILTER) // 8, ctypes.addressof(FILTER_BUF))
FILTER_KILL_BUF = ctypes.create_string_buffer(FILTER_KILL, len(FILTER_KILL))
FILTER_KILL_PROG = SockFprog(len(FILTER_KILL) // 8, ctypes.addressof(FILTER_KILL_BUF))
CAP_HEADER = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
CAP_NONE = (ctypes.c_uint32 * 6)()


def load_filter(prog, flags):
    return libc.syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, ctypes.byref(prog))


def drop_bounding_set():
    """Once, in the helper: nothing forked from it can regain a capability
    through execve.  Its own permitted set (needed to build namespaces) is
    unaffected."""
    for cap in range(64):
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    check(libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clear ambient capabilities")


def drop_privileges(slot, use_setuid):
    if use_setuid:
        uid = 1 + slot
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    check(libc.syscall(SYS_capset, CAP_HEADER, CAP_NONE), "capset")
    check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def set_limits(req):
    slot, tasks, setuid, _, memory, fsize, nfiles, tmp, cpu, plen = req
    lim = [(resource.RLIMIT_CORE, 0), (resource.RLIMIT_MEMLOCK, 0), (resource.RLIMIT_MSGQUEUE, 0),
           (resource.RLIMIT_FSIZE, fsize), (resource.RLIMIT_NOFILE, nfiles)]
    if memory > 0:
        lim.append((resource.RLIMIT_AS, memory))
    if tasks > 0:
        lim.append((resource.RLIMIT_NPROC, tasks))
    for res, v in lim:
        resource.setrlimit(res, (v, v))
    if cpu > 0:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu + 1, cpu + 2))


def fresh_stdio():
    sys.stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)), encoding="utf-8")
    sys.stderr = io.TextIOWrapper(io.BufferedWriter(io.FileIO(2, "w", closefd=False)), encoding="utf-8",
                                  errors="backslashreplace", line_buffering=True)
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr


def exit_code_of(e):
    code = e.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        print(code, file=sys.stderr)
    except Exception:
        pass
    return 1


def run_program(src):
    name = "/sandbox/main.py"
    linecache.cache[name] = (len(src), None, src.splitlines(True), name)
    main = types.ModuleType("__main__")
    main.__file__ = name
    main.__builtins__ = builtins
    sys.modules["__main__"] = main
    sys.argv = [name]
    random.seed()
    rc = 0
    try:
        exec(compile(src, name, "exec"), main.__dict__)
    except SystemExit as e:
        rc = exit_code_of(e)
    except BaseException as e:
        traceback.print_exception(type(e), e, e.__traceback__.tb_next)
        rc = 1
    try:
        threading._shutdown()
    except BaseException:
        pass
    try:
        atexit._run_exitfuncs()
    except BaseException:
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            rc = rc or 120
    return rc


def run_b(inbox, tmp_bytes):
    """PID 1 of a spare's namespaces: prepares, waits for its request,
    becomes the program."""
    rep = -1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        flags = CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP  # net: the helper's (see top)
        check(libc.unshare(flags), "unshare")
        opts = ("mode=1777,nr_inodes=4096,size=%d" % tmp_bytes).encode()
        check(libc.mount(b"eb-tmp", b"/tmp", b"tmpfs", MS_NOSUID | MS_NODEV, opts), "mount /tmp")
        os.chdir("/tmp")
        msg, fds, _, _ = socket.recv_fds(inbox, 4096, 8)
        inbox.close()
        if len(msg) != REQUEST.size or len(fds) != 6:
            os._exit(0)
        req = REQUEST.unpack(msg)
        memfd, stdin, stdout, stderr, rep, ctlfd = fds
        slot, tasks, setuid, _, memory, fsize, nfiles, tmp, cpu, plen = req
        ctl = socket.socket(fileno=ctlfd)
        src = os.pread(memfd, plen, 0).decode("utf-8", "surrogateescape")
        os.close(memfd)
        for i, fd in enumerate((stdin, stdout, stderr)):
            os.dup2(fd, i)
            os.close(fd)
        os.setsid()  # the environment is already ENV (warm_up), as in a fresh interpreter
        set_limits(req)
        drop_privileges(slot, setuid)
        pidfd = os.pidfd_open(os.getpid())
        listener = load_filter(FILTER_PROG, SECCOMP_FILTER_FLAG_NEW_LISTENER)
        if listener < 0:
            check(load_filter(FILTER_KILL_PROG, 0), "seccomp")
            socket.send_fds(ctl, [b"P"], [pidfd])
        else:
            socket.send_fds(ctl, [b"P"], [pidfd, listener])
            os.close(listener)
        os.close(pidfd)
        ctl.close()
        os.close(rep)
        libc.syscall(SYS_close_range, 3, 0xFFFFFFFF, 0)
    except BaseException as e:
        if rep >= 0:
            report(rep, REPORT_SETUP_ERROR, err=getattr(e, "errno", 0) or 0, msg="fast path: %r" % (e,))
        os._exit(127)
    fresh_stdio()
    os._exit(run_program(src))


WARM_UP_PROGRAM = """
from typing import List, Optional
import math, sys
class Point:
    def __init__(self, x: int, y: int = 0) -> None:
        self.x, self.y = x, y
def f(xs: List[int], k: Optional[int] = None) -> str:
    try:
        total = sum(x * x for x in xs if x % 2 == 0) + len({x: x for x in xs}) + max([abs(x) for x in xs])
    except ValueError as e:
        raise RuntimeError(str(e)) from e
    return f"{total:d} {math.sqrt(total):.3f} {[p.x for p in (Point(1), Point(2, 3))]}"
assert f([1, 2, 3]) == f([1, 2, 3]), "same"
print(sorted(map(lambda s: s.strip(), "b a".split())), file=sys.stderr)
"""


def warm_up(server):
    """Runs once in the helper what every run would otherwise initialise
    lazily on first use (the compiler, text I/O, descriptor passing)."""
    os.environ.clear()
    os.environ.update(ENV)
    r, w = os.pipe()
    saved = sys.stderr
    try:
        sys.stderr = io.TextIOWrapper(io.BufferedWriter(io.FileIO(w, "w", closefd=False)), encoding="utf-8",
                                      errors="backslashreplace", line_buffering=True)
        module = types.ModuleType("__warm_up__")
        module.__builtins__ = builtins
        exec(compile(WARM_UP_PROGRAM, "/sandbox/main.py", "exec"), module.__dict__)
        try:
            raise ValueError("x")
        except ValueError as e:
            traceback.format_exception(type(e), e, e.__traceback__)
        sys.stderr.flush()
        os.read(r, 4096)
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        socket.send_fds(a, [b"P"], [r])
        _, fds, _, _ = socket.recv_fds(b, 16, 2)
        for fd in fds:
            os.close(fd)
        x = socket.socket(fileno=os.dup(a.fileno()))
        x.close()
        a.close()
        b.close()
    finally:
        sys.stderr = saved
        os.close(r)
        os.close(w)
    linecache.clearcache()
    random.seed()


def serve():
    server = socket.socket(fileno=3)
    nspares = max(1, int(sys.argv[1]) if len(sys.argv) > 1 else 2)
    tmp_bytes = int(sys.argv[2]) if len(sys.argv) > 2 else 16 << 20
    drop_bounding_set()
    libc.setns.argtypes = [ctypes.c_int, ctypes.c_int]
    self_pidfd = os.pidfd_open(os.getpid())
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    waiting = {}  # spare pid -> socket on which the supervisor sends the run's report pipe
    warm_up(server)
    gc.collect()
    gc.freeze()  # keep the shared image out of the collector: fewer copied pages per run
    server.send(b"R")  # ready

    def add_spare():
        run_ours, run_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        report_ours, report_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # the next child is PID 1 of a new PID namespace; then back to ours
        check(libc.unshare(CLONE_NEWPID), "unshare pid")
        pid = -1
        try:
            pid = os.fork()
        finally:
            if pid != 0:
                check(libc.setns(self_pidfd, CLONE_NEWPID), "setns pid")
        if pid == 0:
            for f in (run_ours, report_ours, report_end, server):
                f.close()
            for fd in (wake_r, wake_w, self_pidfd) + tuple(w.detach() for w in waiting.values()):
                os.close(fd)
            run_b(run_end, tmp_bytes)
        run_end.close()
        waiting[pid] = report_end
        socket.send_fds(server, [b"S"], [run_ours.fileno(), report_ours.fileno()])
        run_ours.close()
        report_ours.close()

    def reap():
        while True:
            try:
                pid, status, ru = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn = waiting.pop(pid, None)
            if conn is None:
                continue
            conn.setblocking(False)
            try:
                _, fds, _, _ = socket.recv_fds(conn, 16, 2)
            except OSError:
                fds = []  # never used (executor gone)
            for fd in fds[:1]:
                try:
                    report(fd, REPORT_EXIT, status=status, ru=ru)
                except OSError:
                    pass
            for fd in fds:
                os.close(fd)
            conn.close()

    for _ in range(nspares):
        add_spare()
    poller = select.poll()
    poller.register(server, select.POLLIN)
    poller.register(wake_r, select.POLLIN)
    while True:
        try:
            events = poller.poll()
        except InterruptedError:
            continue
        for fd, _ in events:
            if fd == wake_r:
                try:
                    os.read(wake_r, 512)
                except BlockingIOError:
                    pass
                reap()
            else:
                msg = server.recv(64)
                if not msg:
                    os._exit(0)
                for _ in msg:  # one byte per spare used
                    add_spare()
        reap()


serve()
