/* The supervisor loop shared by fresh runs and fast-path runs: one poll over
 * the program's pipes, the report pipe, the control socket (which brings the
 * program's pidfd and seccomp listener) and the listener itself. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox.h"
#include "timeutil.h"

enum { P_IN, P_OUT, P_ERR, P_REP, P_CTL, P_LSN, P_N };

typedef struct sup {
    const eb_sandbox_watch *w;
    const eb_sandbox_limits *lim;
    eb_sandbox_outcome *o;
    int fd[P_N];
    int prog_pidfd;
    pid_t prog_pid;
    int killed;
    double kill_at;
    char rep_buf[sizeof(eb_run_report)];
    size_t rep_have;
} sup;

static void kill_run(sup *s) {
    if (s->killed) return;
    int target = s->w->ns_pidfd >= 0 ? s->w->ns_pidfd : s->prog_pidfd;
    if (target >= 0) syscall(SYS_pidfd_send_signal, target, SIGKILL, NULL, 0);
    s->killed = 1;
    s->kill_at = eb_now_ms();
}

/* Pid of a pidfd in our namespace, from its fdinfo. */
static pid_t pidfd_pid(int pidfd) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", pidfd);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    char *p = strstr(buf, "\nPid:");
    return p ? (pid_t)atoi(p + 5) : -1;
}

/* CPU ms (all threads) and peak RSS of a live process; -1 when gone. */
static double sample_cpu(pid_t pid, int64_t *hwm_kb) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    unsigned long long ut = 0, st = 0;
    /* fields after the command: state(3) ... utime(14) stime(15) */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) return -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char sb[4096];
        ssize_t m = read(fd, sb, sizeof sb - 1);
        close(fd);
        if (m > 0) {
            sb[m] = 0;
            char *h = strstr(sb, "VmHWM:");
            if (h) {
                int64_t v = atoll(h + 6);
                if (v > *hwm_kb) *hwm_kb = v;
            }
        }
    }
    return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

static void take_report(sup *s, const eb_run_report *r) {
    if (r->magic != EB_REPORT_MAGIC) return;
    if (r->kind == EB_REPORT_SETUP_ERROR) {
        if (!s->o->setup_failed) {
            s->o->setup_failed = 1;
            s->o->setup_errno = r->err;
            memcpy(s->o->setup_msg, r->msg, sizeof r->msg);
            s->o->setup_msg[sizeof s->o->setup_msg - 1] = 0;
        }
    } else if (!s->o->have_exit) {
        s->o->have_exit = 1;
        s->o->wait_status = r->status;
        double cpu = (double)(r->utime_us + r->stime_us) / 1000.0;
        if (cpu > s->o->cpu_ms) s->o->cpu_ms = cpu;
        if (r->maxrss_kb > s->o->peak_kb) s->o->peak_kb = r->maxrss_kb;
    }
}

static void read_stream(sup *s, int idx, eb_buf *b) {
    char buf[65536];
    for (;;) {
        ssize_t n = read(s->fd[idx], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n <= 0) {
            close(s->fd[idx]);
            s->fd[idx] = -1;
            return;
        }
        size_t cap = s->lim->output_bytes;
        size_t keep = (size_t)n;
        if (cap > 0 && b->len + keep > cap) {
            keep = cap > b->len ? cap - b->len : 0;
            s->o->output_exceeded = 1;
            kill_run(s);
        }
        if (keep > 0) eb_buf_append(b, buf, keep);
        if (s->o->output_exceeded) continue; /* drain so the writer is not stuck before the kill lands */
    }
}

static void read_reports(sup *s) {
    for (;;) {
        ssize_t n = read(s->fd[P_REP], s->rep_buf + s->rep_have, sizeof s->rep_buf - s->rep_have);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n <= 0) {
            close(s->fd[P_REP]);
            s->fd[P_REP] = -1;
            return;
        }
        s->rep_have += (size_t)n;
        if (s->rep_have == sizeof s->rep_buf) {
            eb_run_report r;
            memcpy(&r, s->rep_buf, sizeof r);
            take_report(s, &r);
            s->rep_have = 0;
        }
    }
}

static void read_ctl(sup *s) {
    char byte;
    struct iovec iov = {&byte, 1};
    union {
        char buf[CMSG_SPACE(4 * sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    ssize_t n = recvmsg(s->fd[P_CTL], &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
        close(s->fd[P_CTL]);
        s->fd[P_CTL] = -1;
        return;
    }
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        int fds[4];
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        if (k > 4) k = 4;
        memcpy(fds, CMSG_DATA(c), k * sizeof(int));
        for (size_t i = 0; i < k; i++) {
            if (i == 0 && s->prog_pidfd < 0) {
                s->prog_pidfd = fds[i];
                s->prog_pid = pidfd_pid(fds[i]);
            } else if (i == 1 && s->fd[P_LSN] < 0) {
                s->fd[P_LSN] = fds[i];
            } else {
                close(fds[i]);
            }
        }
    }
    if (byte == 'K') kill_run(s); /* the helper asks for the end of a run it cannot finish */
}

static void read_listener(sup *s) {
    struct seccomp_notif n;
    memset(&n, 0, sizeof n);
    if (ioctl(s->fd[P_LSN], SECCOMP_IOCTL_NOTIF_RECV, &n) < 0) {
        if (errno == EINTR || errno == ENOENT) return;
        close(s->fd[P_LSN]);
        s->fd[P_LSN] = -1;
        return;
    }
    /* never answered: the call does not happen, the whole run is killed */
    if (!s->o->violation) {
        s->o->violation = 1;
        s->o->violation_nr = n.data.nr;
        s->o->violation_arg0 = n.data.args[0];
    }
    kill_run(s);
}

static void write_stdin(sup *s, const char *in, size_t len, size_t *off) {
    while (*off < len) {
        ssize_t n = write(s->fd[P_IN], in + *off, len - *off > 65536 ? 65536 : len - *off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n <= 0) break; /* EPIPE: the program stopped reading */
        *off += (size_t)n;
    }
    close(s->fd[P_IN]);
    s->fd[P_IN] = -1;
}

void eb_sandbox_supervise(const eb_sandbox_watch *w, const char *in, size_t in_len, const eb_sandbox_limits *lim,
                          eb_sandbox_outcome *o) {
    sup s;
    memset(&s, 0, sizeof s);
    s.w = w;
    s.lim = lim;
    s.o = o;
    s.prog_pidfd = -1;
    s.prog_pid = -1;
    int src[P_N] = {w->stdin_fd, w->stdout_fd, w->stderr_fd, w->report_fd, w->ctl_fd, -1};
    for (int i = 0; i < P_N; i++) {
        s.fd[i] = src[i];
        if (s.fd[i] >= 0) fcntl(s.fd[i], F_SETFL, fcntl(s.fd[i], F_GETFL) | O_NONBLOCK);
    }
    size_t in_off = 0;
    if (s.fd[P_IN] >= 0 && in_len == 0) {
        close(s.fd[P_IN]);
        s.fd[P_IN] = -1;
    }
    double t0 = eb_now_ms();
    double deadline = lim->wall_s > 0 ? t0 + lim->wall_s * 1000.0 : 0;
    double last_sample = eb_now_ms();
    for (;;) {
        if (s.fd[P_REP] < 0 && s.fd[P_OUT] < 0 && s.fd[P_ERR] < 0) break;
        double now = eb_now_ms();
        if (s.killed && now - s.kill_at > 5000) {
            o->lost = 1; /* nothing closed after a kill: give up on this run */
            break;
        }
        if (s.fd[P_REP] < 0 && !s.killed) {
            /* the run is over; what still holds the pipes is killed with it */
            kill_run(&s);
        }
        if (!s.killed && deadline > 0 && now >= deadline) {
            o->timed_out = 1;
            kill_run(&s);
        }
        /* every 20 ms at most: a run that ends sooner is measured by its
         * rusage; sampling on every pipe event would cost more than it tells */
        if (!s.killed && s.prog_pid > 0 && now - last_sample >= 20) {
            double cpu = sample_cpu(s.prog_pid, &o->peak_kb);
            last_sample = now;
            if (cpu > o->cpu_ms) o->cpu_ms = cpu;
            if (lim->cpu_s > 0 && cpu >= lim->cpu_s * 1000.0) {
                o->cpu_exceeded = 1;
                kill_run(&s);
            }
        }
        struct pollfd pf[P_N];
        int map[P_N], np = 0;
        for (int i = 0; i < P_N; i++) {
            if (s.fd[i] < 0) continue;
            pf[np].fd = s.fd[i];
            pf[np].events = i == P_IN ? POLLOUT : POLLIN;
            pf[np].revents = 0;
            map[np++] = i;
        }
        int timeout = 100;
        if (lim->cpu_s > 0) timeout = 20;
        if (!s.killed && deadline > 0) {
            double left = deadline - now;
            if (left < timeout) timeout = left < 0 ? 0 : (int)left + 1;
        }
        int r = poll(pf, (nfds_t)np, timeout);
        if (r < 0 && errno != EINTR) break;
        for (int k = 0; r > 0 && k < np; k++) {
            if (!pf[k].revents) continue;
            switch (map[k]) {
            case P_IN:
                write_stdin(&s, in, in_len, &in_off);
                break;
            case P_OUT:
                read_stream(&s, P_OUT, &o->out);
                break;
            case P_ERR:
                read_stream(&s, P_ERR, &o->err);
                break;
            case P_REP:
                read_reports(&s);
                break;
            case P_CTL:
                read_ctl(&s);
                break;
            case P_LSN:
                if (pf[k].revents & POLLIN) read_listener(&s);
                else {
                    close(s.fd[P_LSN]);
                    s.fd[P_LSN] = -1;
                }
                break;
            }
        }
    }
    o->wall_ms = eb_now_ms() - t0;
    for (int i = 0; i < P_N; i++)
        if (s.fd[i] >= 0) close(s.fd[i]);
    if (s.prog_pidfd >= 0) close(s.prog_pidfd);
}

void eb_sandbox_outcome_free(eb_sandbox_outcome *o) {
    eb_buf_free(&o->out);
    eb_buf_free(&o->err);
}
