/* Fast path: not yet enabled; runs use a fresh interpreter. */
#include "internal.h"

int eb_zygote_start(eb_executor *ex, eb_err *err) {
    (void)ex;
    (void)err;
    return 0;
}

void eb_zygote_stop(eb_executor *ex) { (void)ex; }

int eb_zygote_run(eb_executor *ex, const eb_exec_job *job, const eb_sandbox_limits *lim, eb_exec_result *out,
                  eb_err *err) {
    return eb_executor_run_fresh(ex, job, lim, out, err);
}
