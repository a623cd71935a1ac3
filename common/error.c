#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int eb_err_set(eb_err *err, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int eb_err_prefix(eb_err *err, const char *fmt, ...) {
    if (err) {
        char prefix[EB_ERR_MAX];
        char old[EB_ERR_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof prefix, fmt, ap);
        va_end(ap);
        memcpy(old, err->msg, sizeof old);
        /* Truncation is acceptable: messages are for people. */
        size_t np = strnlen(prefix, sizeof prefix);
        size_t room = sizeof err->msg - 1;
        size_t k = np < room ? np : room;
        memcpy(err->msg, prefix, k);
        if (k + 2 <= room) {
            memcpy(err->msg + k, ": ", 2);
            k += 2;
        }
        size_t no = strnlen(old, sizeof old);
        if (no > room - k) no = room - k;
        memcpy(err->msg + k, old, no);
        err->msg[k + no] = '\0';
    }
    return -1;
}

static void out_of_memory(size_t n) {
    fprintf(stderr, "evalbench: out of memory allocating %zu bytes\n", n);
    abort();
}

void *eb_malloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) out_of_memory(n);
    return p;
}

void *eb_calloc(size_t count, size_t size) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) out_of_memory(count * size);
    return p;
}

void *eb_realloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) out_of_memory(n);
    return q;
}

char *eb_strdup(const char *s) {
    if (!s) return NULL;
    return eb_strndup(s, strlen(s));
}

char *eb_strndup(const char *s, size_t n) {
    if (!s) return NULL;
    char *d = eb_malloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}
