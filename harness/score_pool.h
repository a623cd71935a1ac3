/* Worker threads that score responses whose scoring executes code
 * (HumanEval, LiveCodeBench).  The runner's thread hands tasks in and takes
 * finished ones out; only the runner's thread touches the database. */
#ifndef EB_SCORE_POOL_H
#define EB_SCORE_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "executor.h"
#include "score.h"
#include "suite.h"

typedef struct eb_score_task {
    /* input */
    const eb_suite *suite;
    const eb_item *item;
    const eb_suite_options *opt;
    size_t suite_index, item_index;
    int run_index;
    long response_id;
    char *text;
    double *logprobs;
    size_t n_logprobs;
    /* output */
    eb_score score;
    int rc;
    eb_err err;
    struct eb_score_task *next;
} eb_score_task;

typedef struct eb_score_pool {
    pthread_mutex_t mu;
    pthread_cond_t work_cv;
    pthread_cond_t done_cv;
    eb_score_task *todo_head, *todo_tail;
    eb_score_task *done_head;
    size_t outstanding;       /* submitted and not yet taken back */
    bool stopping;
    eb_executor *executor;
    pthread_t *threads;
    int n_threads;
} eb_score_pool;

int eb_score_pool_start(eb_score_pool *p, int n_threads, eb_executor *ex, eb_err *err);
void eb_score_pool_submit(eb_score_pool *p, eb_score_task *t);
/* Takes every finished task (a linked list, possibly NULL); waits up to
 * timeout_ms for one when none is ready. */
eb_score_task *eb_score_pool_take(eb_score_pool *p, int timeout_ms);
size_t eb_score_pool_outstanding(eb_score_pool *p);
/* Waits for running tasks, drops queued ones, joins the threads. */
void eb_score_pool_stop(eb_score_pool *p);
void eb_score_task_free(eb_score_task *t);

#endif
