/* Error reporting shared by every module: a fixed buffer that the failing
 * function fills with one human-readable line naming what went wrong (file,
 * line, field).  Callers print it and exit non-zero; nothing is thrown away. */
#ifndef EB_ERROR_H
#define EB_ERROR_H

#include <stddef.h>

#define EB_ERR_MAX 1024

typedef struct eb_err {
    char msg[EB_ERR_MAX];
} eb_err;

/* Sets the message (printf-style) and returns -1 so callers can write
 * `return eb_err_set(err, "...")`.  A NULL err is allowed. */
int eb_err_set(eb_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes an existing message with more context ("while loading X: ..."). */
int eb_err_prefix(eb_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Allocation that never returns NULL: running out of memory aborts with a
 * message, which is the only sane reaction in a batch evaluation tool. */
void *eb_malloc(size_t n);
void *eb_calloc(size_t count, size_t size);
void *eb_realloc(void *p, size_t n);
char *eb_strdup(const char *s);
char *eb_strndup(const char *s, size_t n);

#endif
