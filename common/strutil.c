#include "strutil.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"

bool eb_starts_with(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool eb_ends_with(const char *s, const char *suffix) {
    size_t ls = strlen(s), lf = strlen(suffix);
    return ls >= lf && memcmp(s + ls - lf, suffix, lf) == 0;
}

char *eb_trim_dup(const char *s) {
    while (*s && isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) n--;
    return eb_strndup(s, n);
}

size_t eb_split(const char *s, char delim, char ***out) {
    size_t count = 0, cap = 4;
    char **v = eb_malloc(cap * sizeof *v);
    const char *start = s;
    for (const char *p = s;; p++) {
        if (*p == delim || *p == '\0') {
            if (p > start) {
                if (count == cap) v = eb_realloc(v, (cap *= 2) * sizeof *v);
                v[count++] = eb_strndup(start, (size_t)(p - start));
            }
            if (*p == '\0') break;
            start = p + 1;
        }
    }
    *out = v;
    return count;
}

void eb_strv_free(char **v, size_t n) {
    if (!v) return;
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

char *eb_replace_all(const char *s, const char *from, const char *to) {
    eb_buf b = {0};
    size_t lf = strlen(from);
    if (lf == 0) return eb_strdup(s);
    const char *p = s, *hit;
    while ((hit = strstr(p, from)) != NULL) {
        eb_buf_append(&b, p, (size_t)(hit - p));
        eb_buf_puts(&b, to);
        p = hit + lf;
    }
    eb_buf_puts(&b, p);
    return eb_buf_take(&b);
}

bool eb_parse_long(const char *s, long *out) {
    if (!s || !*s) return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}

bool eb_parse_double(const char *s, double *out) {
    if (!s || !*s) return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end) return false;
    *out = v;
    return true;
}
