/* A growable byte buffer that is always NUL-terminated, used to build
 * prompts, SQL, JSON and reports without fixed-size arrays. */
#ifndef EB_BUF_H
#define EB_BUF_H

#include <stddef.h>

typedef struct eb_buf {
    char *data;   /* NUL-terminated; NULL until the first append */
    size_t len;
    size_t cap;
} eb_buf;

void eb_buf_append(eb_buf *b, const void *data, size_t n);
void eb_buf_puts(eb_buf *b, const char *s);
void eb_buf_putc(eb_buf *b, char c);
void eb_buf_printf(eb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void eb_buf_reset(eb_buf *b);               /* length 0, keeps memory */
const char *eb_buf_str(const eb_buf *b);    /* never NULL: "" when empty */
char *eb_buf_take(eb_buf *b);               /* hands the string to the caller; buffer becomes empty */
void eb_buf_free(eb_buf *b);

#endif
