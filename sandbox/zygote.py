# The fast-path helper.  It runs inside its own sandbox (user, pid, net,
# mount, ipc, uts, cgroup namespaces; read-only minimal root) and never runs
# foreign code itself.  It keeps a few spare runners ready: a spare is a
# child ("keeper") that has created fresh pid, mount, net, ipc, uts and
# cgroup namespaces and forked the future run there as PID 1, which has
# mounted its own empty /tmp and waits.  A request goes to a spare: the run
# then drops to an unprivileged uid, applies rlimits, loses every capability,
# installs the seccomp filter and only then executes the program in the
# copy-on-write image of this already initialised interpreter.  When the run
# ends, its PID namespace and everything in it die with it; each spare serves
# exactly one run.  Preparing the namespaces ahead of time takes their
# set-up latency off the critical path.
import os
import sys
import socket
import struct
import ctypes
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

# What programs commonly import, loaded once here instead of once per run.
import math, re, collections, heapq, bisect, itertools, functools, string, random, typing  # noqa: E401
import json, hashlib, fractions, decimal, statistics, datetime, copy, operator, array, time  # noqa: E401
import dataclasses, enum, abc, numbers, textwrap, unittest, contextlib, weakref, queue  # noqa: E401

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


def load_filter(bpf, flags):
    buf = ctypes.create_string_buffer(bpf, len(bpf))
    prog = SockFprog(len(bpf) // 8, ctypes.addressof(buf))
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
    hdr = (ctypes.c_uint32 * 2)(0x20080522, 0)
    data = (ctypes.c_uint32 * 6)()
    check(libc.syscall(SYS_capset, hdr, data), "capset")
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


def run_b(keeper, tmp_bytes):
    """PID 1 of a spare's namespaces: prepares, waits for its request,
    becomes the program."""
    rep = -1
    try:
        opts = ("mode=1777,nr_inodes=4096,size=%d" % tmp_bytes).encode()
        check(libc.mount(b"eb-tmp", b"/tmp", b"tmpfs", MS_NOSUID | MS_NODEV, opts), "mount /tmp")
        os.chdir("/tmp")
        msg, fds, _, _ = socket.recv_fds(keeper, 4096, 8)
        keeper.close()
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
        os.setsid()
        os.environ.clear()
        os.environ.update(ENV)
        set_limits(req)
        drop_privileges(slot, setuid)
        pidfd = os.pidfd_open(os.getpid())
        listener = load_filter(FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER)
        if listener < 0:
            check(load_filter(FILTER_KILL, 0), "seccomp")
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


def run_keeper(conn, server, spares, tmp_bytes):
    """Outside the run's namespaces: creates them with the run inside,
    forwards the request to it, waits, reports."""
    rep = -1
    try:
        server.close()
        for other in spares:
            other.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP
        check(libc.unshare(flags), "unshare")
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            conn.close()
            mine.close()
            run_b(theirs, tmp_bytes)
        theirs.close()
        msg, fds, _, _ = socket.recv_fds(conn, 4096, 8)
        conn.close()
        if len(fds) == 6:
            rep = fds[4]
            socket.send_fds(mine, [msg], fds)
        for fd in fds:
            if fd != rep:
                os.close(fd)
        mine.close()
        _, status, ru = os.wait4(pid, 0)
        if rep >= 0:
            report(rep, REPORT_EXIT, status=status, ru=ru)
    except BaseException as e:
        try:
            if rep >= 0:
                report(rep, REPORT_SETUP_ERROR, err=getattr(e, "errno", 0) or 0, msg="fast path: %r" % (e,))
        except BaseException:
            pass
    os._exit(0)


def serve():
    server = socket.socket(fileno=3)
    nspares = max(1, int(sys.argv[1]) if len(sys.argv) > 1 else 2)
    tmp_bytes = int(sys.argv[2]) if len(sys.argv) > 2 else 16 << 20
    drop_bounding_set()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # keepers are reaped by the kernel
    gc.collect()
    gc.freeze()  # keep the shared image out of the collector: fewer copied pages per run
    spares = []

    def add_spare():
        ours, keeper_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        if os.fork() == 0:
            ours.close()
            run_keeper(keeper_end, server, spares, tmp_bytes)
        keeper_end.close()
        spares.append(ours)

    for _ in range(nspares):
        add_spare()
    server.send(b"R")  # ready
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(server, 4096, 8)
        except InterruptedError:
            continue
        if not msg:
            os._exit(0)
        if len(msg) == REQUEST.size and len(fds) == 6:
            spare = spares.pop(0)
            try:
                socket.send_fds(spare, [msg], fds)
            except OSError:
                pass  # the spare died; the run sees its report pipe close and is retried
            spare.close()
        for fd in fds:
            os.close(fd)
        add_spare()


serve()
