#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static void reserve(eb_buf *b, size_t extra) {
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap *= 2;
    b->data = eb_realloc(b->data, cap);
    b->cap = cap;
}

void eb_buf_append(eb_buf *b, const void *data, size_t n) {
    reserve(b, n);
    if (n) memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void eb_buf_puts(eb_buf *b, const char *s) { eb_buf_append(b, s, strlen(s)); }

void eb_buf_putc(eb_buf *b, char c) { eb_buf_append(b, &c, 1); }

void eb_buf_printf(eb_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0) {
        reserve(b, (size_t)n);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

void eb_buf_reset(eb_buf *b) {
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

const char *eb_buf_str(const eb_buf *b) { return b->data ? b->data : ""; }

char *eb_buf_take(eb_buf *b) {
    char *s = b->data ? b->data : eb_strdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

void eb_buf_free(eb_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
