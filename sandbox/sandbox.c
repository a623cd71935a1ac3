/* Starting a program in a fresh sandbox.
 *
 *   supervisor (this process)
 *     └ clone(NEWUSER|NEWPID|NEWNS|NEWNET|NEWIPC|NEWUTS|NEWCGROUP) = init, PID 1
 *         builds the root, pivots into it, then forks
 *         └ the program: setsid, rlimits, capabilities dropped,
 *           no_new_privs, seccomp, execve
 *
 * init never runs foreign code; it reaps, reports the program's wait status
 * and rusage on the report pipe and exits, and its exit makes the kernel kill
 * everything left in the PID namespace (daemons, orphans).  Killing init from
 * here (SIGKILL is always delivered from an ancestor namespace) ends the run.
 *
 * Everything between clone and execve runs in a copy of a possibly
 * multi-threaded, sanitized process: it calls raw syscalls and small
 * self-contained helpers only (no malloc, no stdio, no return into the
 * caller), and leaves by execve or _exit. */
#include "sandbox.h"
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- host uid pool -------------------------------------------------- */

#define UID_POOL 1024
static pthread_mutex_t uid_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char uid_used[UID_POOL];

int eb_uid_alloc(int count) {
    int slot = -1;
    pthread_mutex_lock(&uid_lock);
    for (int i = 0; i + count <= UID_POOL && slot < 0; i++) {
        int j = 0;
        while (j < count && !uid_used[i + j]) j++;
        if (j == count) slot = i;
        else i += j;
    }
    if (slot >= 0) memset(uid_used + slot, 1, (size_t)count);
    pthread_mutex_unlock(&uid_lock);
    return slot;
}

void eb_uid_free(int slot, int count) {
    if (slot < 0) return;
    pthread_mutex_lock(&uid_lock);
    memset(uid_used + slot, 0, (size_t)count);
    pthread_mutex_unlock(&uid_lock);
}

/* 0x20000000 + pid-derived block: far above any real account, and distinct
 * between live processes, so two harnesses never share a uid. */
uid_t eb_uid_host(int slot) {
    return (uid_t)(0x20000000u + ((unsigned)getpid() % 0x40000u) * UID_POOL + (unsigned)slot);
}

/* ---- async-signal-safe helpers for the child side ------------------- */

static size_t s_len(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

/* dst = a + b (truncated to size) */
static void s_cat(char *dst, size_t size, const char *a, const char *b) {
    size_t n = 0;
    for (; *a && n + 1 < size; a++) dst[n++] = *a;
    for (; b && *b && n + 1 < size; b++) dst[n++] = *b;
    dst[n] = 0;
}

static void report_write(int fd, const eb_run_report *r) {
    const char *p = (const char *)r;
    size_t left = sizeof *r;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        p += n;
        left -= (size_t)n;
    }
}

static __attribute__((noreturn)) void fail(int report_fd, const char *what, const char *arg, int e) {
    eb_run_report r;
    memset(&r, 0, sizeof r);
    r.magic = EB_REPORT_MAGIC;
    r.kind = EB_REPORT_SETUP_ERROR;
    r.err = e;
    s_cat(r.msg, sizeof r.msg, what, arg);
    report_write(report_fd, &r);
    _exit(127);
}

/* mkdir -p for a path under the new root (dst is absolute). */
static int mkdirs(const char *path, mode_t mode) {
    char buf[4096];
    size_t n = s_len(path);
    if (n >= sizeof buf) return -1;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == 0) {
            char c = buf[i];
            buf[i] = 0;
            if (mkdir(buf, mode) < 0 && errno != EEXIST) return -1;
            buf[i] = c;
        }
    }
    return 0;
}

/* Flags a read-only remount must keep: in a user namespace the kernel
 * refuses to clear nosuid/nodev/noexec/atime flags locked by the host. */
static unsigned long locked_flags(const char *path) {
    struct statvfs sv;
    unsigned long f = 0;
    if (statvfs(path, &sv) < 0) return 0;
    if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
    if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
    return f;
}

#define ROOT "/tmp"  /* where init assembles the new root (its own mount namespace) */
#define MAX_EXTRA 4

/* <linux/mount.h> clashes with <sys/mount.h> on glibc 2.36 */
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

/* tree: a detached copy of src made by the supervisor (open_tree), or -1 to
 * bind by path.  The copy is needed for directories the namespace's uid
 * cannot traverse (an interpreter under /root). */
static void bind_ro_tree(int rfd, const char *src, int is_dir, int tree) {
    char dst[4096];
    s_cat(dst, sizeof dst, ROOT, src);
    if (is_dir) {
        if (mkdirs(dst, 0755) < 0) fail(rfd, "mkdir ", dst, errno);
    } else {
        int fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0444);
        if (fd < 0) fail(rfd, "create ", dst, errno);
        close(fd);
    }
    if (tree >= 0) {
        if (syscall(SYS_move_mount, tree, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
            fail(rfd, "attach ", src, errno);
        close(tree);
    } else if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0) {
        fail(rfd, "bind ", src, errno);
    }
    unsigned long f = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | locked_flags(dst);
    if (is_dir) f |= MS_NODEV;
    if (mount(NULL, dst, NULL, f, NULL) < 0) fail(rfd, "read-only remount ", src, errno);
}

static void bind_ro(int rfd, const char *src, int is_dir) { bind_ro_tree(rfd, src, is_dir, -1); }

/* /bin, /lib, ...: a symlink on merged-/usr systems (recreated as such),
 * a directory elsewhere (bound). */
static void top_level(int rfd, const char *name) {
    char src[64], dst[128], target[256];
    s_cat(src, sizeof src, "/", name);
    struct stat st;
    if (lstat(src, &st) < 0) return;
    if (S_ISLNK(st.st_mode)) {
        ssize_t n = readlink(src, target, sizeof target - 1);
        if (n <= 0) return;
        target[n] = 0;
        s_cat(dst, sizeof dst, ROOT, src);
        if (symlink(target, dst) < 0) fail(rfd, "symlink ", dst, errno);
    } else if (S_ISDIR(st.st_mode)) {
        bind_ro(rfd, src, 1);
    }
}

static void write_file(int rfd, const eb_sandbox_file *f) {
    char path[512];
    s_cat(path, sizeof path, ROOT "/sandbox/", f->name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    if (fd < 0) fail(rfd, "create ", path, errno);
    const char *p = f->data;
    size_t left = f->len;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail(rfd, "write ", path, errno);
        p += n;
        left -= (size_t)n;
    }
    close(fd);
}

static void build_root(int rfd, const eb_sandbox_spec *s, const int *trees) {
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) fail(rfd, "make / private", "", errno);
    if (mount("eb-root", ROOT, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,nr_inodes=4096,mode=755") < 0)
        fail(rfd, "mount root tmpfs", "", errno);
    bind_ro(rfd, "/usr/bin", 1);
    bind_ro(rfd, "/usr/lib", 1);
    struct stat st;
    if (stat("/usr/lib64", &st) == 0) bind_ro(rfd, "/usr/lib64", 1);
    static const char *const tops[] = {"bin", "lib", "lib64", "sbin"};
    for (int i = 0; i < 4; i++) top_level(rfd, tops[i]);
    if (mkdirs(ROOT "/etc", 0755) < 0) fail(rfd, "mkdir /etc", "", errno);
    if (stat("/etc/ld.so.cache", &st) == 0) bind_ro(rfd, "/etc/ld.so.cache", 0);
    if (mkdirs(ROOT "/dev", 0755) < 0) fail(rfd, "mkdir /dev", "", errno);
    static const char *const devs[] = {"/dev/null", "/dev/zero", "/dev/urandom", "/dev/random"};
    for (int i = 0; i < 4; i++) bind_ro(rfd, devs[i], 0);
    for (int i = 0; s->extra_ro && s->extra_ro[i] && i < MAX_EXTRA; i++) bind_ro_tree(rfd, s->extra_ro[i], 1, trees[i]);
    if (mkdirs(ROOT "/sandbox", 0755) < 0) fail(rfd, "mkdir /sandbox", "", errno);
    for (int i = 0; i < s->nfiles; i++) write_file(rfd, &s->files[i]);

    /* The only writable place: a small tmpfs, no devices, no setuid. */
    if (mkdirs(ROOT "/tmp", 0755) < 0) fail(rfd, "mkdir /tmp", "", errno);
    char opts[96] = "mode=1777,nr_inodes=4096,size=";
    {
        char num[24];
        int64_t v = s->limits.tmp_bytes > 0 ? s->limits.tmp_bytes : 16 << 20;
        int k = 0;
        char rev[24];
        do {
            rev[k++] = (char)('0' + v % 10);
            v /= 10;
        } while (v > 0);
        for (int j = 0; j < k; j++) num[j] = rev[k - 1 - j];
        num[k] = 0;
        s_cat(opts, sizeof opts, opts, num);
    }
    if (mount("eb-tmp", ROOT "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0) fail(rfd, "mount /tmp", "", errno);

    if (chdir(ROOT) < 0) fail(rfd, "chdir root", "", errno);
    if (syscall(SYS_pivot_root, ".", ".") < 0) fail(rfd, "pivot_root", "", errno);
    if (umount2(".", MNT_DETACH) < 0) fail(rfd, "detach old root", "", errno);
    if (chdir("/") < 0) fail(rfd, "chdir /", "", errno);
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
        fail(rfd, "read-only root", "", errno);
    if (sethostname("sandbox", 7) < 0) fail(rfd, "sethostname", "", errno);
}

static void set_limit(int rfd, int res, uint64_t v) {
    struct rlimit rl = {v, v};
    if (setrlimit(res, &rl) < 0) fail(rfd, "setrlimit", "", errno);
}

static void apply_limits(int rfd, const eb_sandbox_limits *l) {
    if (l->memory_bytes > 0) set_limit(rfd, RLIMIT_AS, (uint64_t)l->memory_bytes);
    if (l->cpu_s > 0) {
        /* whole seconds, rounded up plus one: a backstop, the supervisor
         * enforces the precise limit */
        struct rlimit rl = {(rlim_t)l->cpu_s + 1, (rlim_t)l->cpu_s + 2};
        if (setrlimit(RLIMIT_CPU, &rl) < 0) fail(rfd, "setrlimit cpu", "", errno);
    }
    if (l->max_tasks > 0) set_limit(rfd, RLIMIT_NPROC, (uint64_t)l->max_tasks + 1); /* + init */
    set_limit(rfd, RLIMIT_FSIZE, (uint64_t)(l->file_bytes > 0 ? l->file_bytes : 16 << 20));
    set_limit(rfd, RLIMIT_NOFILE, (uint64_t)(l->max_files > 0 ? l->max_files : 64));
    set_limit(rfd, RLIMIT_CORE, 0);
    set_limit(rfd, RLIMIT_MEMLOCK, 0);
    set_limit(rfd, RLIMIT_MSGQUEUE, 0);
}

static void drop_capabilities(int rfd) {
    for (int cap = 0; cap <= 63; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) fail(rfd, "drop bounding set", "", errno);
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) fail(rfd, "clear ambient caps", "", errno);
    /* uid 0 inside the namespace must not regain anything through execve */
    unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                         SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
                         SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
    if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0) fail(rfd, "securebits", "", errno);
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capset, &hdr, data) < 0) fail(rfd, "capset", "", errno);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(rfd, "no_new_privs", "", errno);
}

int eb_send_fds(int sock, const void *data, size_t len, const int *fds, int n) {
    if (n < 1 || n > EB_SEND_FDS_MAX) return -1;
    struct iovec iov = {(void *)data, len};
    union {
        char buf[CMSG_SPACE(EB_SEND_FDS_MAX * sizeof(int))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                       .msg_controllen = CMSG_SPACE((size_t)n * sizeof(int))};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
    memcpy(CMSG_DATA(c), fds, (size_t)n * sizeof(int));
    ssize_t sent;
    while ((sent = sendmsg(sock, &m, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
    }
    return sent == (ssize_t)len ? 0 : -1;
}

/* The program: everything after this point is on the far side of the
 * policy.  Never returns. */
static __attribute__((noreturn)) void program_main(const eb_sandbox_spec *s, int rfd, int ctl, const int stdio[3]) {
    if (setsid() < 0) fail(rfd, "setsid", "", errno);
    for (int i = 0; i < 3; i++)
        if (dup2(stdio[i], i) < 0) fail(rfd, "dup2", "", errno);
    if (s->policy == NULL) {
        /* trusted helper: request socket on fd 3 */
        if (dup2(ctl, 3) < 0) fail(rfd, "dup2 ctl", "", errno);
        if (syscall(SYS_close_range, 4, ~0U, CLOSE_RANGE_CLOEXEC) < 0) fail(rfd, "close_range", "", errno);
        set_limit(rfd, RLIMIT_CORE, 0);
        execve(s->argv[0], (char *const *)s->argv, (char *const *)s->env);
        fail(rfd, "execve ", s->argv[0], errno);
    }
    apply_limits(rfd, &s->limits);
    drop_capabilities(rfd);
    int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    if (pidfd < 0) fail(rfd, "pidfd_open", "", errno);
    struct sock_fprog prog = {s->policy->notify_len, s->policy->notify_prog};
    int listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    if (listener < 0) {
        /* an outer filter already has a listener: same policy, killing */
        struct sock_fprog kill = {s->policy->kill_len, s->policy->kill_prog};
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &kill) < 0) fail(rfd, "seccomp", "", errno);
    }
    int fds[2] = {pidfd, listener};
    eb_send_fds(ctl, "P", 1, fds, listener >= 0 ? 2 : 1);
    close(pidfd);
    if (listener >= 0) close(listener);
    syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
    execve(s->argv[0], (char *const *)s->argv, (char *const *)s->env);
    fail(rfd, "execve ", s->argv[0], errno);
}

/* Closes every descriptor except those listed (init inherits the whole
 * table of the supervisor, including other runs' pipes). */
static void close_all_except(const int *keep, int n) {
    int sorted[16];
    for (int i = 0; i < n; i++) sorted[i] = keep[i];
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
            int t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    unsigned lo = 0;
    for (int i = 0; i < n; i++) {
        if (sorted[i] < 0) continue;
        if ((unsigned)sorted[i] > lo) syscall(SYS_close_range, lo, (unsigned)sorted[i] - 1, 0);
        lo = (unsigned)sorted[i] + 1;
    }
    syscall(SYS_close_range, lo, ~0U, 0);
}

static __attribute__((noreturn)) void init_main(const eb_sandbox_spec *s, int sync_fd, int rfd, int ctl,
                                                const int stdio[3], int may_setgroups, const int *trees) {
    int keep[6 + MAX_EXTRA] = {sync_fd, rfd, ctl, stdio[0], stdio[1], stdio[2]};
    for (int i = 0; i < MAX_EXTRA; i++) keep[6 + i] = trees[i];
    close_all_except(keep, 6 + MAX_EXTRA);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    char go;
    if (read(sync_fd, &go, 1) != 1) _exit(0); /* supervisor gone or gave up */
    close(sync_fd);
    /* Raw syscalls: glibc's wrappers broadcast credential changes to every
     * thread the parent had (they do not exist here) and would wait forever. */
    if (may_setgroups && syscall(SYS_setgroups, 0, NULL) < 0) fail(rfd, "setgroups", "", errno);
    if (syscall(SYS_setresgid, 0, 0, 0) < 0 || syscall(SYS_setresuid, 0, 0, 0) < 0)
        fail(rfd, "become namespace root", "", errno);
    build_root(rfd, s, trees);

    pid_t child = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (child < 0) fail(rfd, "fork program", "", errno);
    if (child == 0) program_main(s, rfd, ctl, stdio);
    close(ctl);
    for (int i = 0; i < 3; i++) close(stdio[i]);
    for (;;) {
        int st;
        struct rusage ru;
        pid_t p = wait4(-1, &st, 0, &ru);
        if (p < 0 && errno == EINTR) continue;
        if (p < 0) _exit(1);
        if (p != child) continue; /* an orphan reparented to us */
        eb_run_report r;
        memset(&r, 0, sizeof r);
        r.magic = EB_REPORT_MAGIC;
        r.kind = EB_REPORT_EXIT;
        r.status = st;
        r.utime_us = (int64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec;
        r.stime_us = (int64_t)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
        r.maxrss_kb = ru.ru_maxrss;
        report_write(rfd, &r);
        _exit(0); /* the kernel now kills whatever is left in the namespace */
    }
}

/* ---- supervisor side ------------------------------------------------ */

static int write_proc(pid_t pid, const char *file, const char *text) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    int e = errno;
    close(fd);
    errno = e;
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

static void close_fd(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

int eb_sandbox_spawn(const eb_sandbox_spec *s, eb_sandbox_proc *p, eb_err *err) {
    memset(p, 0, sizeof *p);
    p->pid = -1;
    p->pidfd = p->stdin_fd = p->stdout_fd = p->stderr_fd = p->report_fd = p->ctl_fd = -1;
    p->uid_slot = -1;
    int root = geteuid() == 0;
    int count = s->uid_count > 0 ? s->uid_count : 1;
    if (root) {
        p->uid_slot = eb_uid_alloc(count);
        if (p->uid_slot < 0) return eb_err_set(err, "sandbox: no free host uid for %d more sandboxes", count);
    }
    int pipes[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
    int child_stdio[3];
    int sync[2] = {-1, -1}, rep[2] = {-1, -1}, ctl[2] = {-1, -1};
    int trees[MAX_EXTRA] = {-1, -1, -1, -1};
    int rc = -1;
    for (int i = 0; i < 3; i++) {
        if (s->stdio[i] >= 0) {
            child_stdio[i] = s->stdio[i];
            continue;
        }
        if (pipe2(pipes[i], O_CLOEXEC) < 0) {
            eb_err_set(err, "sandbox: pipe: %s", strerror(errno));
            goto out;
        }
        child_stdio[i] = i == 0 ? pipes[i][0] : pipes[i][1];
    }
    if (pipe2(sync, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0 ||
        socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0) {
        eb_err_set(err, "sandbox: pipe: %s", strerror(errno));
        goto out;
    }
    if (root) {
        /* detached copies, attached by init: its uid may not traverse them */
        for (int i = 0; s->extra_ro && s->extra_ro[i] && i < MAX_EXTRA; i++) {
            trees[i] = (int)syscall(SYS_open_tree, AT_FDCWD, s->extra_ro[i],
                                    OPEN_TREE_CLONE | O_CLOEXEC | AT_RECURSIVE);
            if (trees[i] < 0) {
                eb_err_set(err, "sandbox: cannot copy mount %s: %s", s->extra_ro[i], strerror(errno));
                goto out;
            }
        }
    }
    int flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS |
                CLONE_NEWCGROUP | CLONE_PIDFD;
    int pidfd = -1;
    pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, &pidfd, 0, 0);
    if (pid < 0) {
        eb_err_set(err, "sandbox: cannot create namespaces (clone: %s)%s", strerror(errno),
                   errno == EPERM || errno == ENOSPC ? "; user namespaces are disabled or exhausted here" : "");
        goto out;
    }
    if (pid == 0) init_main(s, sync[0], rep[1], ctl[1], child_stdio, root, trees);
    p->pid = pid;
    p->pidfd = pidfd;

    char map[64];
    uid_t hu = root ? eb_uid_host(p->uid_slot) : geteuid();
    gid_t hg = root ? (gid_t)hu : getegid();
    if (root) {
        snprintf(map, sizeof map, "0 %u %d\n", (unsigned)hu, count);
    } else {
        snprintf(map, sizeof map, "0 %u 1\n", (unsigned)hu);
    }
    if (write_proc(pid, "uid_map", map) < 0) {
        eb_err_set(err, "sandbox: writing uid_map: %s", strerror(errno));
        goto fail_child;
    }
    if (!root && write_proc(pid, "setgroups", "deny") < 0) {
        eb_err_set(err, "sandbox: writing setgroups: %s", strerror(errno));
        goto fail_child;
    }
    if (root) snprintf(map, sizeof map, "0 %u %d\n", (unsigned)hg, count);
    else snprintf(map, sizeof map, "0 %u 1\n", (unsigned)hg);
    if (write_proc(pid, "gid_map", map) < 0) {
        eb_err_set(err, "sandbox: writing gid_map: %s", strerror(errno));
        goto fail_child;
    }
    if (write(sync[1], "g", 1) != 1) {
        eb_err_set(err, "sandbox: cannot start init: %s", strerror(errno));
        goto fail_child;
    }
    p->stdin_fd = pipes[0][1];
    pipes[0][1] = -1;
    p->stdout_fd = pipes[1][0];
    pipes[1][0] = -1;
    p->stderr_fd = pipes[2][0];
    pipes[2][0] = -1;
    p->report_fd = rep[0];
    rep[0] = -1;
    p->ctl_fd = ctl[0];
    ctl[0] = -1;
    rc = 0;
    goto out;
fail_child:
    syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
    waitpid(pid, NULL, 0);
    close(pidfd);
    p->pid = -1;
    p->pidfd = -1;
out:
    for (int i = 0; i < 3; i++) {
        close_fd(&pipes[i][0]);
        close_fd(&pipes[i][1]);
    }
    close_fd(&sync[0]);
    close_fd(&sync[1]);
    close_fd(&rep[0]);
    close_fd(&rep[1]);
    close_fd(&ctl[0]);
    close_fd(&ctl[1]);
    for (int i = 0; i < MAX_EXTRA; i++) close_fd(&trees[i]);
    if (rc < 0) {
        eb_uid_free(p->uid_slot, count);
        p->uid_slot = -1;
    }
    p->uid_count = count;
    return rc;
}

void eb_sandbox_proc_close(eb_sandbox_proc *p) {
    if (p->pid > 0) {
        if (p->pidfd >= 0) syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0);
        while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR) {
        }
        p->pid = -1;
    }
    close_fd(&p->pidfd);
    close_fd(&p->stdin_fd);
    close_fd(&p->stdout_fd);
    close_fd(&p->stderr_fd);
    close_fd(&p->report_fd);
    close_fd(&p->ctl_fd);
    eb_uid_free(p->uid_slot, p->uid_count);
    p->uid_slot = -1;
}

/* Tries the real thing once: a throw-away init that only exits. */
int eb_sandbox_probe(char *out, size_t size) {
    int flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS |
                CLONE_NEWCGROUP;
    pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) _exit(0);
    if (pid < 0) {
        int e = errno;
        FILE *f = fopen("/proc/sys/user/max_user_namespaces", "r");
        long max = -1;
        if (f) {
            if (fscanf(f, "%ld", &max) != 1) max = -1;
            fclose(f);
        }
        snprintf(out, size,
                 "no isolation possible: creating user/pid/net/mount/ipc/uts/cgroup namespaces failed (%s)%s; "
                 "programs cannot be run safely here",
                 strerror(e), max == 0 ? " because user.max_user_namespaces is 0" : "");
        return -1;
    }
    waitpid(pid, NULL, 0);
    snprintf(out, size,
             "%s: user, pid, net (no interfaces up), mount, ipc, uts and cgroup namespaces; pivot_root into a "
             "read-only root; seccomp allowlist; rlimits (memory via RLIMIT_AS: no delegated cgroup v2 memory "
             "controller is used)",
             geteuid() == 0 ? "root, sandboxed programs run as dedicated unprivileged host uids"
                            : "unprivileged, sandboxed programs run as the calling user inside a user namespace");
    return 0;
}
