/* Shared between executor.c and zygote.c. */
#ifndef EB_SANDBOX_INTERNAL_H
#define EB_SANDBOX_INTERNAL_H

#include "executor.h"
#include "policy.h"
#include "sandbox.h"

#define EB_DEFAULT_TIME_S 10.0
#define EB_DEFAULT_MEMORY ((int64_t)1 << 30)
#define EB_DEFAULT_OUTPUT ((size_t)8 << 20)
#define EB_DEFAULT_TASKS 32
#define EB_DEFAULT_FILE ((int64_t)16 << 20)
#define EB_DEFAULT_FILES 64
#define EB_DEFAULT_TMP ((int64_t)16 << 20)

typedef struct eb_zygote eb_zygote;

struct eb_executor {
    int jobs;
    char *python;
    char *prefix;                 /* interpreter prefix outside /usr, bound read-only */
    const char *extra_ro[2];
    eb_policy policy;
    eb_zygote *zygote;            /* fast path, NULL when off */
};

extern const char *const eb_sandbox_env[];

void eb_executor_limits(const eb_exec_job *job, eb_sandbox_limits *l);
int eb_executor_run_fresh(eb_executor *ex, const eb_exec_job *job, const eb_sandbox_limits *lim,
                          eb_exec_result *out, eb_err *err);

/* Sends data with n descriptors (SCM_RIGHTS) on a Unix socket, retrying on
 * EINTR; async-signal-safe, so children may call it between fork and exec.
 * 0 when everything was sent. */
#define EB_SEND_FDS_MAX 8
int eb_send_fds(int sock, const void *data, size_t len, const int *fds, int n);

int eb_zygote_start(eb_executor *ex, eb_err *err);
void eb_zygote_stop(eb_executor *ex);
int eb_zygote_run(eb_executor *ex, const eb_exec_job *job, const eb_sandbox_limits *lim, eb_exec_result *out,
                  eb_err *err);

#endif
