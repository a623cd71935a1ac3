#include "score_pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void *worker(void *arg) {
    eb_score_pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (!p->todo_head && !p->stopping) pthread_cond_wait(&p->work_cv, &p->mu);
        if (p->stopping) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        eb_score_task *t = p->todo_head;
        p->todo_head = t->next;
        if (!p->todo_head) p->todo_tail = NULL;
        pthread_mutex_unlock(&p->mu);

        t->rc = eb_suite_score(t->suite, t->item, t->opt, t->text, t->logprobs, t->n_logprobs, p->executor, &t->score,
                               &t->err);

        pthread_mutex_lock(&p->mu);
        t->next = p->done_head;
        p->done_head = t;
        pthread_cond_signal(&p->done_cv);
        pthread_mutex_unlock(&p->mu);
    }
}

int eb_score_pool_start(eb_score_pool *p, int n_threads, eb_executor *ex, eb_err *err) {
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work_cv, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    p->executor = ex;
    p->threads = eb_calloc((size_t)n_threads, sizeof *p->threads);
    for (int i = 0; i < n_threads; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
            p->n_threads = i;
            eb_score_pool_stop(p);
            return eb_err_set(err, "cannot start scoring thread: %s", strerror(errno));
        }
    }
    p->n_threads = n_threads;
    return 0;
}

void eb_score_pool_submit(eb_score_pool *p, eb_score_task *t) {
    t->next = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->todo_tail) p->todo_tail->next = t;
    else p->todo_head = t;
    p->todo_tail = t;
    p->outstanding++;
    pthread_cond_signal(&p->work_cv);
    pthread_mutex_unlock(&p->mu);
}

eb_score_task *eb_score_pool_take(eb_score_pool *p, int timeout_ms) {
    pthread_mutex_lock(&p->mu);
    if (!p->done_head && timeout_ms > 0 && p->outstanding > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += timeout_ms / 1000;
        ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&p->done_cv, &p->mu, &ts);
    }
    eb_score_task *list = p->done_head;
    p->done_head = NULL;
    for (eb_score_task *t = list; t; t = t->next) p->outstanding--;
    pthread_mutex_unlock(&p->mu);
    return list;
}

size_t eb_score_pool_outstanding(eb_score_pool *p) {
    pthread_mutex_lock(&p->mu);
    size_t n = p->outstanding;
    pthread_mutex_unlock(&p->mu);
    return n;
}

void eb_score_task_free(eb_score_task *t) {
    free(t->text);
    free(t->logprobs);
    eb_score_clear(&t->score);
    free(t);
}

void eb_score_pool_stop(eb_score_pool *p) {
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_broadcast(&p->work_cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_threads; i++) pthread_join(p->threads[i], NULL);
    free(p->threads);
    for (eb_score_task *t = p->todo_head, *n; t; t = n) {
        n = t->next;
        eb_score_task_free(t);
    }
    for (eb_score_task *t = p->done_head, *n; t; t = n) {
        n = t->next;
        eb_score_task_free(t);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work_cv);
    pthread_cond_destroy(&p->done_cv);
    memset(p, 0, sizeof *p);
}
