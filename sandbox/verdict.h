/* Turning what the supervisor saw into a verdict a user can read. */
#ifndef EB_SANDBOX_VERDICT_H
#define EB_SANDBOX_VERDICT_H

#include "executor.h"
#include "sandbox.h"

/* Fills status, exit_code, term_signal, detail and the measurements; moves
 * the captured output into r (o's buffers are left empty). */
void eb_verdict_fill(eb_sandbox_outcome *o, const eb_sandbox_limits *lim, eb_exec_result *r);

/* Last non-empty line of a traceback-like text, into out. */
void eb_verdict_last_line(const char *text, size_t len, char *out, size_t size);

#endif
