/* The code-executor interface: how suites run model-written programs.
 *
 * eb_executor_run is blocking and thread-safe; callers get parallelism by
 * calling it from several threads (the runner keeps --jobs workers).  The
 * real implementation is the seccomp sandbox in this directory. */
#ifndef EB_EXECUTOR_H
#define EB_EXECUTOR_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef enum eb_exec_status {
    EB_EXEC_OK = 0,           /* exited with status 0 */
    EB_EXEC_EXIT_NONZERO,     /* exited non-zero (exception, assertion, sys.exit(n)) */
    EB_EXEC_TIMEOUT,          /* CPU or wall-clock limit */
    EB_EXEC_MEMORY_LIMIT,
    EB_EXEC_OUTPUT_LIMIT,
    EB_EXEC_VIOLATION,        /* killed by the seccomp policy */
    EB_EXEC_SIGNALED,         /* killed by another signal */
    EB_EXEC_INTERNAL_ERROR    /* the sandbox itself failed */
} eb_exec_status;

const char *eb_exec_status_name(eb_exec_status s);

typedef struct eb_exec_job {
    const char *program;          /* Python source */
    const char *stdin_data;       /* may be NULL */
    size_t stdin_len;
    double cpu_time_limit_s;      /* 0: default */
    double wall_time_limit_s;     /* 0: default */
    int64_t memory_limit_bytes;   /* 0: default */
    size_t output_limit_bytes;    /* 0: default */
} eb_exec_job;

typedef struct eb_exec_result {
    eb_exec_status status;
    int exit_code;
    int term_signal;
    char *stdout_data;            /* captured, capped; NUL-terminated */
    size_t stdout_len;
    char *stderr_data;
    size_t stderr_len;
    double cpu_ms;
    double wall_ms;
    int64_t peak_memory_kb;
    char detail[256];             /* violating syscall, last traceback line, ... */
} eb_exec_result;

void eb_exec_result_clear(eb_exec_result *r);

typedef struct eb_executor eb_executor;

typedef struct eb_executor_options {
    int jobs;                     /* parallel executions the caller intends (sizing pools) */
    const char *python;           /* interpreter path; NULL: found on PATH */
    int fast_path;                /* use the pre-initialised interpreter where possible */
    int allow_fork;               /* let programs create processes (default: fork/exec of children
                                     fails with EPERM; threads are always allowed) */
} eb_executor_options;

/* What isolation this host provides, or what is missing (one line). */
int eb_executor_probe(char *out, size_t size);

/* 1 when runs use the pre-initialised interpreter; 0 when fast_path was not
 * asked for or its helper could not start (runs then use a fresh
 * interpreter, with a warning on stderr at creation). */
int eb_executor_fast_path_active(const eb_executor *ex);

eb_executor *eb_executor_create(const eb_executor_options *opts, eb_err *err);
int eb_executor_run(eb_executor *ex, const eb_exec_job *job, eb_exec_result *out, eb_err *err);
void eb_executor_destroy(eb_executor *ex);

#endif
