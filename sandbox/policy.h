/* The seccomp policy every sandboxed program runs under, compiled once per
 * executor with libseccomp into a raw BPF program.  The child process only
 * loads the prepared bytes with seccomp(2): libseccomp allocates, and a child
 * forked from a multi-threaded (possibly sanitized) process must not. */
#ifndef EB_SANDBOX_POLICY_H
#define EB_SANDBOX_POLICY_H

#include <linux/filter.h>
#include <stddef.h>

#include "error.h"

typedef struct eb_policy {
    /* Escape primitives reported to the supervisor through a seccomp
     * user-notification listener (the call never runs; the supervisor kills
     * the sandbox and names the call). */
    struct sock_filter *notify_prog;
    unsigned short notify_len;
    /* Same policy with SECCOMP_RET_KILL_PROCESS instead, for hosts where a
     * listener cannot be installed (an outer filter already owns one). */
    struct sock_filter *kill_prog;
    unsigned short kill_len;
} eb_policy;

/* allow_fork: let the program create processes (still bounded by
 * RLIMIT_NPROC and the PID namespace); otherwise fork/vfork/clone without
 * CLONE_THREAD fail with EPERM. */
int eb_policy_build(eb_policy *p, int allow_fork, eb_err *err);
void eb_policy_free(eb_policy *p);

/* Name of an x86-64 syscall number ("ptrace"), written into out. */
void eb_policy_syscall_name(int nr, char *out, size_t size);

#endif
