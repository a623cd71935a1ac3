#include "code_run.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "error.h"

void eb_code_nonce(char out[33]) {
    unsigned char bytes[16];
    ssize_t got = getrandom(bytes, sizeof bytes, 0);
    if (got != (ssize_t)sizeof bytes) {
        /* getrandom cannot fail for 16 bytes once the pool is ready; keep a
         * fallback that is still unpredictable to the program. */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        unsigned long long x = (unsigned long long)ts.tv_nsec * 6364136223846793005ULL ^ (unsigned long long)getpid();
        for (size_t i = 0; i < sizeof bytes; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            bytes[i] = (unsigned char)(x >> 56);
        }
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof bytes; i++) {
        out[2 * i] = hex[bytes[i] >> 4];
        out[2 * i + 1] = hex[bytes[i] & 15];
    }
    out[32] = '\0';
}

char *eb_code_base64(const void *data, size_t n) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = data;
    char *out = eb_malloc((n + 2) / 3 * 4 + 1);
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
        out[o++] = tab[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    return out;
}

const char *eb_code_next_report(const char *data, size_t len, const char *nonce, size_t *pos, size_t *text_len) {
    size_t nl = strlen(nonce);
    if (!data) return NULL;
    while (*pos < len) {
        const char *start = data + *pos;
        const char *hit = memmem(start, len - *pos, nonce, nl);
        if (!hit) {
            *pos = len;
            return NULL;
        }
        size_t at = (size_t)(hit - data);
        *pos = at + nl;
        if ((at == 0 || data[at - 1] == '\n') && at + nl < len && data[at + nl] == ' ') {
            const char *text = data + at + nl + 1;
            const char *end = memchr(text, '\n', len - (at + nl + 1));
            size_t tl = end ? (size_t)(end - text) : len - (at + nl + 1);
            *pos = at + nl + 1 + tl;
            *text_len = tl;
            return text;
        }
    }
    return NULL;
}

const char *eb_code_status_verdict(eb_exec_status s) {
    switch (s) {
    case EB_EXEC_OK: return "runtime_error"; /* exited without reporting */
    case EB_EXEC_EXIT_NONZERO: return "runtime_error";
    case EB_EXEC_TIMEOUT: return "timeout";
    case EB_EXEC_MEMORY_LIMIT: return "memory_limit";
    case EB_EXEC_OUTPUT_LIMIT: return "output_limit";
    case EB_EXEC_VIOLATION: return "violation";
    case EB_EXEC_SIGNALED: return "runtime_error";
    case EB_EXEC_INTERNAL_ERROR: return "internal_error";
    }
    return "internal_error";
}

/* Last non-empty line of a text, for tracebacks. */
static void last_line(const char *s, size_t n, char *out, size_t size) {
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ')) n--;
    size_t b = n;
    while (b > 0 && s[b - 1] != '\n') b--;
    size_t len = n - b;
    if (len > 200) len = 200;
    snprintf(out, size, "%.*s", (int)len, s + b);
}

void eb_code_status_detail(const eb_exec_result *r, char *out, size_t size) {
    char tail[256] = "";
    if (r->stderr_data && r->stderr_len) last_line(r->stderr_data, r->stderr_len, tail, sizeof tail);
    switch (r->status) {
    case EB_EXEC_OK:
        snprintf(out, size, "program ended the process before the checker reported%s%s", tail[0] ? ": " : "",
                 tail);
        break;
    case EB_EXEC_EXIT_NONZERO:
        snprintf(out, size, "exit status %d%s%s", r->exit_code, tail[0] ? ": " : "", tail);
        break;
    case EB_EXEC_SIGNALED:
        snprintf(out, size, "killed by signal %d%s%s", r->term_signal, r->detail[0] ? ": " : "", r->detail);
        break;
    default:
        snprintf(out, size, "%s%s%s", eb_exec_status_name(r->status), r->detail[0] ? ": " : "", r->detail);
        break;
    }
}

const char *eb_code_verdict(const char *word, size_t n) {
    static const char *const known[] = {"passed",       "failed",    "runtime_error", "timeout",
                                        "memory_limit", "output_limit", "violation",  "internal_error",
                                        "skipped"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strlen(known[i]) == n && memcmp(known[i], word, n) == 0) return known[i];
    return "internal_error";
}

eb_test_outcome *eb_outcomes_add(eb_outcomes *o, const char *test_set, int index, const char *verdict,
                                 const char *detail) {
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 8;
        o->v = eb_realloc(o->v, o->cap * sizeof *o->v);
    }
    eb_test_outcome *t = &o->v[o->n++];
    memset(t, 0, sizeof *t);
    t->test_set = test_set;
    t->index = index;
    t->verdict = verdict;
    t->detail = detail && *detail ? eb_strdup(detail) : NULL;
    return t;
}
