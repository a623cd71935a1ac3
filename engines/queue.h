/* A FIFO of finished responses, used by engines that answer synchronously
 * (oracle, replay): submit computes the answer and queues it, poll hands the
 * queue out. */
#ifndef EB_RESPONSE_QUEUE_H
#define EB_RESPONSE_QUEUE_H

#include "engine.h"

typedef struct eb_response_queue {
    eb_response *items;
    size_t head, len, cap;
} eb_response_queue;

void eb_rq_push(eb_response_queue *q, eb_response *r); /* moves r in */
int eb_rq_pop_many(eb_response_queue *q, eb_response *out, int max);
void eb_rq_free(eb_response_queue *q);

#endif
