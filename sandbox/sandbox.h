/* Low-level sandbox: start a program in fresh namespaces with a minimal
 * read-only root, and supervise it (pipes, limits, kill, accounting).
 * eb_executor (executor.c) builds Python runs on top of this; the fast path
 * (zygote.c) uses it to start its long-lived helper. */
#ifndef EB_SANDBOX_SANDBOX_H
#define EB_SANDBOX_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "error.h"
#include "policy.h"

typedef struct eb_sandbox_limits {
    double cpu_s;            /* CPU seconds of the program (all threads); 0: none */
    double wall_s;           /* 0: none */
    int64_t memory_bytes;    /* address-space limit; 0: none */
    size_t output_bytes;     /* per stream (stdout, stderr); 0: unlimited */
    int max_tasks;           /* threads + processes; 0: none */
    int64_t file_bytes;      /* largest file the program may write */
    int max_files;           /* open descriptors */
    int64_t tmp_bytes;       /* size of the /tmp tmpfs */
} eb_sandbox_limits;

/* A file placed read-only at /sandbox/<name> inside the root. */
typedef struct eb_sandbox_file {
    const char *name;
    const void *data;
    size_t len;
} eb_sandbox_file;

typedef struct eb_sandbox_spec {
    const char *const *argv;       /* argv[0]: absolute path, same inside as outside */
    const char *const *env;        /* NULL-terminated, complete environment */
    const eb_sandbox_file *files;
    int nfiles;
    const char *const *extra_ro;   /* NULL-terminated host directories bound read-only (may be NULL) */
    eb_sandbox_limits limits;
    /* NULL only for the trusted fast-path helper, which keeps the
     * capabilities of its own user namespace (it must create namespaces
     * and mounts for each run) and gets its request socket as fd 3. */
    const eb_policy *policy;
    int allow_fork;                /* the program may fork (policy built accordingly) */
    int uid_count;                 /* host uids to map (inside 0..n-1); 1 unless trusted */
    int stdio[3];                  /* -1: a pipe to the supervisor; else this fd is used */
} eb_sandbox_spec;

typedef struct eb_sandbox_proc {
    pid_t pid;                     /* PID 1 of the new namespaces, as seen from here */
    int pidfd;
    int stdin_fd, stdout_fd, stderr_fd;   /* supervisor ends, -1 where not piped */
    int report_fd;                 /* eb_run_report records; EOF when the run is over */
    int ctl_fd;                    /* seqpacket: program pidfd + seccomp listener; helper requests */
    int uid_slot;                  /* first host uid index taken from the pool (root only) */
    int uid_count;
} eb_sandbox_proc;

/* What the in-sandbox init (or the fast-path helper) sends back. */
#define EB_REPORT_MAGIC 0x45425250
enum { EB_REPORT_EXIT = 0, EB_REPORT_SETUP_ERROR = 1 };
typedef struct eb_run_report {
    int32_t magic;
    int32_t kind;
    int32_t status;                /* wait status (EXIT) */
    int32_t err;                   /* errno (SETUP_ERROR) */
    int64_t utime_us, stime_us, maxrss_kb;
    char msg[200];
} eb_run_report;

/* Describes what this host can do ("user+pid+net+... namespaces, seccomp
 * listener, ...") or, when isolation is impossible, what is missing. */
int eb_sandbox_probe(char *out, size_t size);

int eb_sandbox_spawn(const eb_sandbox_spec *spec, eb_sandbox_proc *proc, eb_err *err);
/* Kills what is still running, reaps init, closes descriptors, frees uids. */
void eb_sandbox_proc_close(eb_sandbox_proc *proc);

/* Host uids for sandboxed processes (root only): a block per process,
 * distinct between concurrent runs so RLIMIT_NPROC never couples them. */
int eb_uid_alloc(int count);            /* slot index or -1 when exhausted */
void eb_uid_free(int slot, int count);
uid_t eb_uid_host(int slot);

typedef struct eb_sandbox_watch {
    int stdin_fd, stdout_fd, stderr_fd, report_fd, ctl_fd;
    int ns_pidfd;                  /* kill target; -1: the program pidfd received on ctl_fd */
} eb_sandbox_watch;

typedef struct eb_sandbox_outcome {
    int have_exit;
    int wait_status;
    double cpu_ms, wall_ms;
    int64_t peak_kb;
    int setup_failed, setup_errno;
    char setup_msg[200];
    int timed_out, cpu_exceeded, output_exceeded, violation, lost;
    int violation_nr;
    uint64_t violation_arg0;
    eb_buf out, err;
} eb_sandbox_outcome;

/* Takes ownership of the watch's descriptors except ns_pidfd (closes them).
 * Feeds stdin, collects output under the caps, enforces wall and CPU time,
 * turns seccomp notifications into kills, until the run is over. */
void eb_sandbox_supervise(const eb_sandbox_watch *w, const char *in, size_t in_len, const eb_sandbox_limits *lim,
                          eb_sandbox_outcome *o);
void eb_sandbox_outcome_free(eb_sandbox_outcome *o);

#endif
