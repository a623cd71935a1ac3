/* The fast path: a pre-initialised Python helper (zygote.py) in its own
 * sandbox keeps spare runners ready in fresh namespaces (see zygote.py for
 * the per-run isolation) and hands their sockets to this side.  A run takes
 * a spare, sends it the request and the run's descriptors directly, and is
 * supervised exactly like a fresh one; its pidfd and seccomp listener come
 * back over the run's own control socket. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"
#include "verdict.h"

extern const char eb_zygote_py[];

/* A spare runner: a socket to the waiting run, one to its keeper. */
typedef struct spare {
    int run_fd, keeper_fd;
} spare;

/* One helper makes spares serially (a fork per spare), so there is one
 * helper per two workers. */
typedef struct helper {
    pthread_mutex_t lock;
    int nslots;                   /* runs it may have at once (host uids 1..nslots) */
    eb_sandbox_proc proc;         /* proc.ctl_fd: spares arrive here, "make another" goes back */
    int alive;
    spare *spares;                /* received, not yet used */
    int nspares, capspares;
} helper;

struct eb_zygote {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    int nslots;
    unsigned char *busy;
    int nhelpers;
    helper *helpers;
};

typedef struct zreq {
    int32_t slot, tasks, setuid, pad;
    int64_t memory, fsize, files, tmp, cpu, plen;
} zreq;

static int spawn_helper(eb_executor *ex, helper *h, eb_err *err) {
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0) return eb_err_set(err, "sandbox: /dev/null: %s", strerror(errno));
    char spares[16], tmp[32];
    /* spares prepared ahead: namespace set-up and teardown wait on the
     * kernel (RCU grace periods) far longer than they use the CPU */
    snprintf(spares, sizeof spares, "%d", 2 * h->nslots + 1);
    snprintf(tmp, sizeof tmp, "%lld", (long long)EB_DEFAULT_TMP);
    const char *argv[] = {ex->python, "-I", "/sandbox/zygote.py", spares, tmp, NULL};
    eb_sandbox_file files[3] = {
        {"zygote.py", eb_zygote_py, strlen(eb_zygote_py)},
        {"filter.bpf", ex->policy.notify_prog, (size_t)ex->policy.notify_len * sizeof(struct sock_filter)},
        {"filter_kill.bpf", ex->policy.kill_prog, (size_t)ex->policy.kill_len * sizeof(struct sock_filter)},
    };
    eb_sandbox_spec spec = {.argv = argv, .env = eb_sandbox_env, .files = files, .nfiles = 3,
                            .extra_ro = ex->extra_ro, .policy = NULL,
                            .uid_count = geteuid() == 0 ? 1 + h->nslots : 1, .stdio = {devnull, 2, 2}};
    spec.limits.tmp_bytes = 1 << 20;
    int rc = eb_sandbox_spawn(&spec, &h->proc, err);
    close(devnull);
    if (rc < 0) return eb_err_prefix(err, "fast path: ");
    return 0;
}

/* Waits for "ready": start-up errors surface here, not in the first run. */
static int await_helper(helper *h, eb_err *err) {
    struct pollfd pf = {h->proc.ctl_fd, POLLIN, 0};
    char ready = 0;
    if (poll(&pf, 1, 20000) != 1 || recv(h->proc.ctl_fd, &ready, 1, 0) != 1 || ready != 'R') {
        eb_run_report r;
        memset(&r, 0, sizeof r);
        fcntl(h->proc.report_fd, F_SETFL, O_NONBLOCK);
        ssize_t n = read(h->proc.report_fd, &r, sizeof r); /* init's report, if it got that far */
        eb_sandbox_proc_close(&h->proc);
        if (n == (ssize_t)sizeof r && r.kind == EB_REPORT_SETUP_ERROR)
            return eb_err_set(err, "fast path: helper setup failed: %s: %s", r.msg, strerror(r.err));
        return eb_err_set(err, "fast path: the helper interpreter did not start (see its messages above)");
    }
    h->alive = 1;
    return 0;
}

static int start_helper(eb_executor *ex, helper *h, eb_err *err) {
    if (spawn_helper(ex, h, err) < 0) return -1;
    return await_helper(h, err);
}

static void drop_spares(helper *h) {
    for (int i = 0; i < h->nspares; i++) {
        close(h->spares[i].run_fd);
        close(h->spares[i].keeper_fd);
    }
    h->nspares = 0;
}

static void stop_helper(helper *h) {
    drop_spares(h);
    if (!h->alive) return;
    /* closing the request socket ends the helper; killing init ends the rest */
    eb_sandbox_proc_close(&h->proc);
    h->alive = 0;
}

static void free_zygote(eb_zygote *z) {
    for (int i = 0; i < z->nhelpers; i++) {
        stop_helper(&z->helpers[i]);
        pthread_mutex_destroy(&z->helpers[i].lock);
    }
    pthread_mutex_destroy(&z->lock);
    pthread_cond_destroy(&z->freed);
    for (int i = 0; i < z->nhelpers; i++) free(z->helpers[i].spares);
    free(z->helpers);
    free(z->busy);
    free(z);
}

int eb_zygote_start(eb_executor *ex, eb_err *err) {
    eb_zygote *z = eb_calloc(1, sizeof *z);
    pthread_mutex_init(&z->lock, NULL);
    pthread_cond_init(&z->freed, NULL);
    z->nslots = ex->jobs;
    z->busy = eb_calloc((size_t)z->nslots, 1);
    z->nhelpers = (ex->jobs + 1) / 2;
    z->helpers = eb_calloc((size_t)z->nhelpers, sizeof *z->helpers);
    for (int i = 0; i < z->nhelpers; i++) {
        pthread_mutex_init(&z->helpers[i].lock, NULL);
        z->helpers[i].nslots = (z->nslots + z->nhelpers - 1) / z->nhelpers;
    }
    /* start them all, then wait: their start-up overlaps */
    int rc = 0;
    for (int i = 0; i < z->nhelpers && rc == 0; i++) rc = spawn_helper(ex, &z->helpers[i], err);
    for (int i = 0; i < z->nhelpers && rc == 0; i++) rc = await_helper(&z->helpers[i], err);
    if (rc < 0) {
        for (int i = 0; i < z->nhelpers; i++) {
            if (!z->helpers[i].alive && z->helpers[i].proc.pid > 0) z->helpers[i].alive = 1; /* spawned, not awaited */
        }
        free_zygote(z);
        return -1;
    }
    ex->zygote = z;
    return 0;
}

void eb_zygote_stop(eb_executor *ex) {
    if (!ex->zygote) return;
    free_zygote(ex->zygote);
    ex->zygote = NULL;
}

static int take_slot(eb_zygote *z) {
    pthread_mutex_lock(&z->lock);
    for (;;) {
        for (int i = 0; i < z->nslots; i++)
            if (!z->busy[i]) {
                z->busy[i] = 1;
                pthread_mutex_unlock(&z->lock);
                return i;
            }
        pthread_cond_wait(&z->freed, &z->lock);
    }
}

static void give_slot(eb_zygote *z, int slot) {
    pthread_mutex_lock(&z->lock);
    z->busy[slot] = 0;
    pthread_cond_signal(&z->freed);
    pthread_mutex_unlock(&z->lock);
}

static void close_all(int *fds, int n) {
    for (int i = 0; i < n; i++)
        if (fds[i] >= 0) close(fds[i]);
}

/* Receives one spare announcement; -1 when the helper is gone or silent. */
static int receive_spare(helper *h, int timeout_ms) {
    struct pollfd pf = {h->proc.ctl_fd, POLLIN, 0};
    if (poll(&pf, 1, timeout_ms) != 1) return -1;
    char byte = 0;
    struct iovec iov = {&byte, 1};
    union {
        char buf[CMSG_SPACE(2 * sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    if (recvmsg(h->proc.ctl_fd, &m, MSG_CMSG_CLOEXEC) <= 0) return -1;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    if (byte != 'S' || !c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(2 * sizeof(int))) {
        if (c && c->cmsg_type == SCM_RIGHTS) {
            int fds[2] = {-1, -1};
            memcpy(fds, CMSG_DATA(c), c->cmsg_len - CMSG_LEN(0) > sizeof fds ? sizeof fds : c->cmsg_len - CMSG_LEN(0));
            for (int k = 0; k < 2; k++)
                if (fds[k] >= 0) close(fds[k]);
        }
        return -1;
    }
    spare sp;
    memcpy(&sp, CMSG_DATA(c), sizeof sp);
    if (h->nspares == h->capspares) {
        h->capspares = h->capspares ? 2 * h->capspares : 16;
        h->spares = eb_realloc(h->spares, (size_t)h->capspares * sizeof *h->spares);
    }
    h->spares[h->nspares++] = sp;
    return 0;
}

/* Takes a ready spare (waiting for one if none is ready) and asks the helper
 * for a replacement. */
static int take_spare(helper *h, spare *out) {
    pthread_mutex_lock(&h->lock);
    int rc = -1;
    if (h->alive) {
        while (h->nspares > 0 ? receive_spare(h, 0) == 0 : receive_spare(h, 20000) == 0) {
            if (h->nspares > 0) break; /* took what was queued */
        }
        if (h->nspares > 0) {
            *out = h->spares[0];
            memmove(h->spares, h->spares + 1, (size_t)(h->nspares - 1) * sizeof *h->spares);
            h->nspares--;
            if (send(h->proc.ctl_fd, "N", 1, MSG_NOSIGNAL) == 1) rc = 0;
            else {
                close(out->run_fd);
                close(out->keeper_fd);
            }
        }
    }
    pthread_mutex_unlock(&h->lock);
    return rc;
}

static int run_once(eb_executor *ex, helper *h, int slot, const eb_exec_job *job, const eb_sandbox_limits *lim,
                    eb_exec_result *out, eb_err *err) {
    int in[2] = {-1, -1}, o[2] = {-1, -1}, e[2] = {-1, -1}, rep[2] = {-1, -1}, ctl[2] = {-1, -1};
    size_t plen = strlen(job->program);
    int memfd = memfd_create("program", MFD_CLOEXEC);
    if (memfd < 0 || pipe2(in, O_CLOEXEC) < 0 || pipe2(o, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0 ||
        pipe2(rep, O_CLOEXEC) < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0) {
        int fds[] = {memfd, in[0], in[1], o[0], o[1], e[0], e[1], rep[0], rep[1], ctl[0], ctl[1]};
        close_all(fds, 11);
        return eb_err_set(err, "fast path: %s", strerror(errno));
    }
    size_t off = 0;
    while (off < plen) {
        ssize_t n = write(memfd, job->program + off, plen - off);
        if (n <= 0) break;
        off += (size_t)n;
    }
    zreq q = {.slot = slot, .tasks = lim->max_tasks, .setuid = geteuid() == 0, .memory = lim->memory_bytes,
              .fsize = lim->file_bytes, .files = lim->max_files, .tmp = lim->tmp_bytes,
              .cpu = lim->cpu_s > 0 ? (int64_t)lim->cpu_s : 0, .plen = (int64_t)plen};
    int child_fds[6] = {memfd, in[0], o[1], e[1], rep[1], ctl[1]};
    spare sp;
    int sent = -1;
    if (off == plen && take_spare(h, &sp) == 0) {
        /* the keeper's report pipe first: it reads it when the run ends */
        sent = eb_send_fds(sp.keeper_fd, "A", 1, &rep[1], 1);
        if (sent == 0) sent = eb_send_fds(sp.run_fd, &q, sizeof q, child_fds, 6);
        close(sp.run_fd);
        close(sp.keeper_fd);
    }
    close_all(child_fds, 6);
    if (sent < 0) {
        int fds[] = {in[1], o[0], e[0], rep[0], ctl[0]};
        close_all(fds, 5);
        return 1; /* helper gone: caller restarts it */
    }
    eb_sandbox_watch w = {in[1], o[0], e[0], rep[0], ctl[0], -1};
    eb_sandbox_outcome oc;
    memset(&oc, 0, sizeof oc);
    eb_sandbox_supervise(&w, job->stdin_data, job->stdin_data ? job->stdin_len : 0, lim, &oc);
    int lost = oc.lost || (!oc.have_exit && !oc.setup_failed);
    eb_verdict_fill(&oc, lim, out);
    eb_sandbox_outcome_free(&oc);
    (void)ex;
    return lost ? 2 : 0;
}

int eb_zygote_run(eb_executor *ex, const eb_exec_job *job, const eb_sandbox_limits *lim, eb_exec_result *out,
                  eb_err *err) {
    eb_zygote *z = ex->zygote;
    int slot = take_slot(z);
    helper *h = &z->helpers[slot % z->nhelpers];
    int local = slot / z->nhelpers; /* run uid 1 + local inside the helper's namespace */
    int rc = run_once(ex, h, local, job, lim, out, err);
    if (rc > 0) {
        /* The helper died or lost a run: start a new one so later runs keep
         * the fast path, and give this run a fresh interpreter. */
        pthread_mutex_lock(&h->lock);
        stop_helper(h);
        eb_err ignored;
        start_helper(ex, h, &ignored);
        pthread_mutex_unlock(&h->lock);
        if (rc == 1 || out->status == EB_EXEC_INTERNAL_ERROR) {
            eb_exec_result_clear(out);
            rc = eb_executor_run_fresh(ex, job, lim, out, err);
        } else {
            rc = 0;
        }
    }
    give_slot(z, slot);
    return rc;
}
