#include "queue.h"

#include <stdlib.h>
#include <string.h>

void eb_rq_push(eb_response_queue *q, eb_response *r) {
    if (q->head > 0 && q->head == q->len) q->head = q->len = 0;
    if (q->len == q->cap) {
        if (q->head > 0) {
            memmove(q->items, q->items + q->head, (q->len - q->head) * sizeof *q->items);
            q->len -= q->head;
            q->head = 0;
        }
        if (q->len == q->cap) q->items = eb_realloc(q->items, (q->cap = q->cap ? q->cap * 2 : 64) * sizeof *q->items);
    }
    q->items[q->len++] = *r;
    memset(r, 0, sizeof *r);
}

int eb_rq_pop_many(eb_response_queue *q, eb_response *out, int max) {
    int n = 0;
    while (n < max && q->head < q->len) out[n++] = q->items[q->head++];
    return n;
}

void eb_rq_free(eb_response_queue *q) {
    for (size_t i = q->head; i < q->len; i++) eb_response_clear(&q->items[i]);
    free(q->items);
    memset(q, 0, sizeof *q);
}
