#include "reasoning.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "strutil.h"

/* Removes one kind of thinking block, delimited by `open` and `close`.
 * A close tag seen before any open tag means the open tag was in the
 * prompt (chat templates that prefill "<think>"), so all text before the
 * last such lone close tag is reasoning. */
static char *strip_blocks(const char *s, const char *open, const char *close) {
    size_t lo = strlen(open), lc = strlen(close);
    const char *first_open = strstr(s, open);
    /* Find the last close tag that precedes the first open tag. */
    const char *start = s;
    for (const char *c = strstr(s, close); c && (!first_open || c < first_open); c = strstr(c + lc, close))
        start = c + lc;

    eb_buf out = {0};
    const char *p = start;
    for (;;) {
        const char *o = strstr(p, open);
        if (!o) {
            eb_buf_puts(&out, p);
            break;
        }
        eb_buf_append(&out, p, (size_t)(o - p));
        const char *c = strstr(o + lo, close);
        if (!c) break; /* unterminated: the rest is unfinished reasoning */
        p = c + lc;
    }
    return eb_buf_take(&out);
}

char *eb_remove_reasoning(const char *response) {
    if (!response) return NULL;
    char *a = strip_blocks(response, "<think>", "</think>");
    char *b = strip_blocks(a, "<|channel>", "<channel|>");
    free(a);
    return b;
}

char *eb_strip_reasoning(const char *response) {
    char *b = eb_remove_reasoning(response);
    if (!b) return NULL;
    char *t = eb_trim_dup(b);
    free(b);
    return t;
}
