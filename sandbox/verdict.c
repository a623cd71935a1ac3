#include "verdict.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "buf.h"

void eb_verdict_last_line(const char *text, size_t len, char *out, size_t size) {
    out[0] = 0;
    if (!text) return;
    size_t end = len;
    while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == '\r' || text[end - 1] == ' ')) end--;
    size_t start = end;
    while (start > 0 && text[start - 1] != '\n') start--;
    size_t n = end - start;
    if (n >= size) n = size - 1;
    memcpy(out, text + start, n);
    out[n] = 0;
}

static int mentions_memory_error(const char *line) {
    return strncmp(line, "MemoryError", 11) == 0 || strstr(line, "Cannot allocate memory") != NULL;
}

void eb_verdict_fill(eb_sandbox_outcome *o, const eb_sandbox_limits *lim, eb_exec_result *r) {
    memset(r, 0, sizeof *r);
    r->exit_code = -1;
    r->cpu_ms = o->cpu_ms;
    r->wall_ms = o->wall_ms;
    r->peak_memory_kb = o->peak_kb;
    r->stdout_len = o->out.len;
    r->stdout_data = eb_buf_take(&o->out);
    r->stderr_len = o->err.len;
    r->stderr_data = eb_buf_take(&o->err);
    char last[200];
    eb_verdict_last_line(r->stderr_data, r->stderr_len, last, sizeof last);
    int st = o->wait_status;
    if (o->have_exit && WIFEXITED(st)) r->exit_code = WEXITSTATUS(st);
    if (o->have_exit && WIFSIGNALED(st)) r->term_signal = WTERMSIG(st);

    if (o->setup_failed) {
        r->status = EB_EXEC_INTERNAL_ERROR;
        snprintf(r->detail, sizeof r->detail, "sandbox setup failed: %s: %s", o->setup_msg,
                 strerror(o->setup_errno));
    } else if (o->violation) {
        r->status = EB_EXEC_VIOLATION;
        char name[64];
        eb_policy_syscall_name(o->violation_nr, name, sizeof name);
        if (strcmp(name, "clone") == 0)
            snprintf(r->detail, sizeof r->detail, "forbidden system call: clone with namespace flags 0x%llx",
                     (unsigned long long)o->violation_arg0);
        else
            snprintf(r->detail, sizeof r->detail, "forbidden system call: %s", name);
    } else if (o->output_exceeded) {
        r->status = EB_EXEC_OUTPUT_LIMIT;
        snprintf(r->detail, sizeof r->detail, "output exceeded %zu bytes", lim->output_bytes);
    } else if (o->timed_out || o->cpu_exceeded || (o->have_exit && WIFSIGNALED(st) && WTERMSIG(st) == SIGXCPU)) {
        r->status = EB_EXEC_TIMEOUT;
        if (o->timed_out)
            snprintf(r->detail, sizeof r->detail, "wall-clock limit of %.3g s exceeded", lim->wall_s);
        else
            snprintf(r->detail, sizeof r->detail, "CPU time limit of %.3g s exceeded", lim->cpu_s);
    } else if (o->have_exit && WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS) {
        r->status = EB_EXEC_VIOLATION;
        snprintf(r->detail, sizeof r->detail,
                 "killed by the seccomp policy (non-native system call ABI such as i386 or x32, or a forbidden "
                 "call)");
    } else if (!o->have_exit) {
        r->status = EB_EXEC_INTERNAL_ERROR;
        snprintf(r->detail, sizeof r->detail, "the sandbox ended without reporting the program's exit%s",
                 o->lost ? " (it did not stop after being killed)" : "");
    } else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        r->status = EB_EXEC_OK;
    } else if (mentions_memory_error(last) ||
               (WIFSIGNALED(st) && lim->memory_bytes > 0 && o->peak_kb * 1024 >= lim->memory_bytes * 9 / 10)) {
        r->status = EB_EXEC_MEMORY_LIMIT;
        snprintf(r->detail, sizeof r->detail, "memory limit of %lld MiB exceeded%s%s",
                 (long long)(lim->memory_bytes >> 20), last[0] ? ": " : "", last);
    } else if (WIFSIGNALED(st)) {
        r->status = EB_EXEC_SIGNALED;
        snprintf(r->detail, sizeof r->detail, "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    } else {
        r->status = EB_EXEC_EXIT_NONZERO;
        snprintf(r->detail, sizeof r->detail, "%s", last[0] ? last : "exited with a non-zero status");
    }
    if (!r->stdout_data) r->stdout_data = eb_strdup("");
    if (!r->stderr_data) r->stderr_data = eb_strdup("");
}
