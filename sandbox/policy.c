/* The syscall policy.  Design (see docs/SECURITY.md for the reasons):
 *  - an allowlist of what CPython and ordinary programs call, everything
 *    else fails with ENOSYS (glibc and CPython treat that as "not supported"
 *    and fall back, so new libc versions degrade instead of dying);
 *  - escape primitives (ptrace, mount, namespaces, bpf, keyrings, io_uring,
 *    ...) are never legitimate in a scored program: they end the run with a
 *    "violation" verdict that names the call;
 *  - only the native x86-64 ABI: i386 and x32 entry points kill the process;
 *  - sockets only for AF_UNIX (no network exists anyway; this also keeps
 *    netlink, vsock and packet sockets out of reach), and none of them can
 *    be given a name, so programs sharing a network namespace cannot meet. */
#include "policy.h"

#include <errno.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

static const char *const allowed[] = {
    /* files and descriptors (confinement comes from the mount namespace) */
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2", "pwritev2",
    "lseek", "close", "close_range", "openat", "open", "creat", "newfstatat", "fstat", "stat", "lstat", "statx",
    "access", "faccessat", "faccessat2", "getdents", "getdents64", "readlink", "readlinkat", "getcwd", "chdir",
    "fchdir", "fcntl", "flock", "dup", "dup2", "dup3", "pipe", "pipe2", "mkdir", "mkdirat", "unlink", "unlinkat",
    "rename", "renameat", "renameat2", "rmdir", "ftruncate", "truncate", "fsync", "fdatasync", "sync_file_range",
    "fallocate", "umask", "chmod", "fchmod", "fchmodat", "utime", "utimes", "utimensat", "futimesat", "statfs",
    "fstatfs", "symlink", "symlinkat", "link", "linkat", "sendfile", "copy_file_range", "fadvise64", "memfd_create",
    "getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr", "flistxattr",
    /* memory */
    "mmap", "munmap", "mprotect", "mremap", "madvise", "brk", "msync", "mincore", "mlock", "munlock",
    /* signals and threads */
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigtimedwait", "rt_sigsuspend",
    "rt_sigqueueinfo", "rt_tgsigqueueinfo", "sigaltstack", "kill", "tgkill", "tkill", "futex", "futex_waitv",
    "set_robust_list", "get_robust_list", "rseq", "set_tid_address", "arch_prctl", "membarrier", "pause",
    /* identity and information */
    "gettid", "getpid", "getppid", "getpgrp", "getpgid", "getsid", "setsid", "setpgid", "getuid", "geteuid",
    "getgid", "getegid", "getgroups", "getresuid", "getresgid", "getrlimit", "setrlimit", "getrusage", "times",
    "sysinfo", "uname", "getrandom", "getcpu", "sched_yield", "sched_getaffinity", "sched_getparam",
    "sched_getscheduler", "sched_get_priority_max", "sched_get_priority_min", "getpriority", "capget", "prctl",
    /* time */
    "clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday", "time", "setitimer",
    "getitimer", "alarm", "timer_create", "timer_settime", "timer_gettime", "timer_delete", "timer_getoverrun",
    "timerfd_create", "timerfd_settime", "timerfd_gettime",
    /* waiting */
    "select", "pselect6", "poll", "ppoll", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait",
    "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2", "wait4", "waitid", "exit", "exit_group", "execve",
    /* AF_UNIX sockets (creation, naming and setsockopt are filtered below) */
    "connect", "accept", "accept4", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg",
    "shutdown", "getsockopt", "getsockname", "getpeername",
};

/* Never part of a scored program; each is a known route out of a container
 * or into kernel attack surface. */
static const char *const escape[] = {
    "ptrace", "process_vm_readv", "process_vm_writev", "mount", "umount2", "pivot_root", "chroot", "unshare",
    "setns", "bpf", "keyctl", "add_key", "request_key", "perf_event_open", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "userfaultfd", "kexec_load", "kexec_file_load", "init_module", "finit_module",
    "delete_module", "reboot", "swapon", "swapoff", "syslog", "acct", "fsopen", "fsconfig", "fsmount", "fspick",
    "open_tree", "move_mount", "mount_setattr", "open_by_handle_at", "name_to_handle_at", "pidfd_getfd", "kcmp",
    "vmsplice", "iopl", "ioperm",
};

/* setsockopt options an unnamed AF_UNIX socket may set (compared on the
 * optname alone: AF_UNIX has no options at other levels).  Left out on
 * purpose: SO_PASSCRED and SO_PASSPIDFD, because a socket with either one is
 * given an abstract name ("autobind") on its first connect or sendmsg. */
static const unsigned long sockopt_ok[] = {SO_REUSEADDR, SO_SNDBUF,   SO_RCVBUF,   SO_KEEPALIVE, SO_LINGER,
                                           SO_RCVLOWAT,  SO_SNDLOWAT, SO_PRIORITY, SO_RCVTIMEO_OLD,
                                           SO_SNDTIMEO_OLD, SO_RCVTIMEO_NEW, SO_SNDTIMEO_NEW};
#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif
static const unsigned long sockopt_naming[] = {SO_PASSCRED, SO_PASSPIDFD};

static const unsigned long ioctl_ok[] = {TCGETS, TIOCGWINSZ, FIOCLEX, FIONCLEX, FIONREAD, FIONBIO};

#define NS_FLAGS                                                                                  \
    (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | \
     CLONE_NEWNET | CLONE_NEWTIME)

static int add(scmp_filter_ctx c, uint32_t action, const char *name, unsigned n, const struct scmp_arg_cmp *args,
               eb_err *err) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) return 0; /* not on this kernel/libseccomp: nothing to allow or deny */
    if (action == SCMP_ACT_ERRNO(ENOSYS)) return 0; /* the default already (libseccomp refuses duplicates) */
    int rc = seccomp_rule_add_array(c, action, nr, n, args);
    if (rc < 0) return eb_err_set(err, "seccomp: cannot add rule for %s: %s", name, strerror(-rc));
    return 0;
}

static int export_prog(scmp_filter_ctx c, struct sock_filter **prog, unsigned short *len, eb_err *err) {
    int fd = memfd_create("eb-seccomp", MFD_CLOEXEC);
    if (fd < 0) return eb_err_set(err, "seccomp: memfd_create: %s", strerror(errno));
    int rc = seccomp_export_bpf(c, fd);
    if (rc < 0) {
        close(fd);
        return eb_err_set(err, "seccomp: export: %s", strerror(-rc));
    }
    off_t size = lseek(fd, 0, SEEK_END);
    if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0 ||
        size / (off_t)sizeof(struct sock_filter) > 65535) {
        close(fd);
        return eb_err_set(err, "seccomp: exported filter has odd size %lld", (long long)size);
    }
    *prog = eb_malloc((size_t)size);
    if (pread(fd, *prog, (size_t)size, 0) != size) {
        close(fd);
        free(*prog);
        *prog = NULL;
        return eb_err_set(err, "seccomp: cannot read exported filter");
    }
    close(fd);
    *len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
    return 0;
}

static int build_one(uint32_t escape_action, int allow_fork, struct sock_filter **prog, unsigned short *len,
                     eb_err *err) {
    scmp_filter_ctx c = seccomp_init(SCMP_ACT_ERRNO(ENOSYS));
    if (!c) return eb_err_set(err, "seccomp: seccomp_init failed");
    int rc = -1;
    if (seccomp_attr_set(c, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0 ||
        seccomp_attr_set(c, SCMP_FLTATR_CTL_NNP, 0) < 0 || seccomp_attr_set(c, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0) {
        eb_err_set(err, "seccomp: cannot set filter attributes");
        goto out;
    }
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        if (add(c, SCMP_ACT_ALLOW, allowed[i], 0, NULL, err) < 0) goto out;
    for (size_t i = 0; i < sizeof escape / sizeof escape[0]; i++)
        if (add(c, escape_action, escape[i], 0, NULL, err) < 0) goto out;

    /* clone: threads always; processes only when allowed; any namespace flag
     * is an escape attempt.  The rules are disjoint because libseccomp
     * compares each argument once per rule. */
    struct scmp_arg_cmp thread = SCMP_A0_64(SCMP_CMP_MASKED_EQ, CLONE_THREAD | NS_FLAGS, CLONE_THREAD);
    struct scmp_arg_cmp process = SCMP_A0_64(SCMP_CMP_MASKED_EQ, CLONE_THREAD | NS_FLAGS, 0);
    if (add(c, SCMP_ACT_ALLOW, "clone", 1, &thread, err) < 0) goto out;
    if (add(c, allow_fork ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(EPERM), "clone", 1, &process, err) < 0) goto out;
    static const unsigned long ns_bits[] = {CLONE_NEWNS,  CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
                                            CLONE_NEWUSER, CLONE_NEWPID,   CLONE_NEWNET, CLONE_NEWTIME};
    for (size_t i = 0; i < sizeof ns_bits / sizeof ns_bits[0]; i++) {
        struct scmp_arg_cmp ns = SCMP_A0_64(SCMP_CMP_MASKED_EQ, ns_bits[i], ns_bits[i]);
        if (add(c, escape_action, "clone", 1, &ns, err) < 0) goto out;
    }
    /* clone3 passes its flags in memory the filter cannot read; glibc falls
     * back to clone on ENOSYS, which is filtered above. */
    if (add(c, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL, err) < 0) goto out;
    uint32_t fork_action = allow_fork ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(EPERM);
    if (add(c, fork_action, "fork", 0, NULL, err) < 0 || add(c, fork_action, "vfork", 0, NULL, err) < 0) goto out;

    /* Sockets: AF_UNIX only.  The comparison is on the full 64-bit register
     * so a domain with high bits set does not match the allow rule. */
    struct scmp_arg_cmp unix_eq = SCMP_A0_64(SCMP_CMP_EQ, AF_UNIX);
    struct scmp_arg_cmp unix_ne = SCMP_A0_64(SCMP_CMP_NE, AF_UNIX);
    const char *const sock_calls[] = {"socket", "socketpair"};
    for (int i = 0; i < 2; i++) {
        if (add(c, SCMP_ACT_ALLOW, sock_calls[i], 1, &unix_eq, err) < 0) goto out;
        if (add(c, SCMP_ACT_ERRNO(EACCES), sock_calls[i], 1, &unix_ne, err) < 0) goto out;
    }
    /* No socket may get a name.  The fast path runs programs in one shared,
     * empty network namespace per helper, whose abstract AF_UNIX names are
     * the only thing concurrent runs could both reach: bind and listen are
     * refused, and so are the options that make connect/sendmsg autobind
     * (docs/SECURITY.md, "Network").  Unnamed sockets (socketpair, the
     * client side of connect) keep working; with no name anywhere, connect
     * and sendto find nobody.  optname is an int to the kernel: compare the
     * low 32 bits. */
    if (add(c, SCMP_ACT_ERRNO(EACCES), "bind", 0, NULL, err) < 0) goto out;
    if (add(c, SCMP_ACT_ERRNO(EACCES), "listen", 0, NULL, err) < 0) goto out;
    for (size_t i = 0; i < sizeof sockopt_ok / sizeof sockopt_ok[0]; i++) {
        struct scmp_arg_cmp opt = SCMP_A2_64(SCMP_CMP_MASKED_EQ, 0xffffffffUL, sockopt_ok[i]);
        if (add(c, SCMP_ACT_ALLOW, "setsockopt", 1, &opt, err) < 0) goto out;
    }
    for (size_t i = 0; i < sizeof sockopt_naming / sizeof sockopt_naming[0]; i++) {
        struct scmp_arg_cmp opt = SCMP_A2_64(SCMP_CMP_MASKED_EQ, 0xffffffffUL, sockopt_naming[i]);
        if (add(c, SCMP_ACT_ERRNO(EACCES), "setsockopt", 1, &opt, err) < 0) goto out;
    }
    /* ioctl: terminal queries and descriptor flags only; the kernel reads
     * the command as 32 bits, so compare the low 32 bits (TIOCSTI+2^32
     * must not pass as something harmless). */
    for (size_t i = 0; i < sizeof ioctl_ok / sizeof ioctl_ok[0]; i++) {
        struct scmp_arg_cmp cmd = SCMP_A1_64(SCMP_CMP_MASKED_EQ, 0xffffffffUL, ioctl_ok[i]);
        if (add(c, SCMP_ACT_ALLOW, "ioctl", 1, &cmd, err) < 0) goto out;
    }
    /* prlimit64 on itself only (raising is refused by the kernel: no
     * CAP_SYS_RESOURCE and soft == hard for every limit we set). */
    struct scmp_arg_cmp self = SCMP_A0_64(SCMP_CMP_EQ, 0);
    struct scmp_arg_cmp other = SCMP_A0_64(SCMP_CMP_NE, 0);
    if (add(c, SCMP_ACT_ALLOW, "prlimit64", 1, &self, err) < 0) goto out;
    if (add(c, SCMP_ACT_ERRNO(EPERM), "prlimit64", 1, &other, err) < 0) goto out;

    rc = export_prog(c, prog, len, err);
out:
    seccomp_release(c);
    return rc;
}

int eb_policy_build(eb_policy *p, int allow_fork, eb_err *err) {
    memset(p, 0, sizeof *p);
    if (build_one(SCMP_ACT_NOTIFY, allow_fork, &p->notify_prog, &p->notify_len, err) < 0 ||
        build_one(SCMP_ACT_KILL_PROCESS, allow_fork, &p->kill_prog, &p->kill_len, err) < 0) {
        eb_policy_free(p);
        return -1;
    }
    return 0;
}

void eb_policy_free(eb_policy *p) {
    free(p->notify_prog);
    free(p->kill_prog);
    memset(p, 0, sizeof *p);
}

void eb_policy_syscall_name(int nr, char *out, size_t size) {
    char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
    if (name) {
        snprintf(out, size, "%s", name);
        free(name);
    } else {
        snprintf(out, size, "syscall %d", nr);
    }
}
