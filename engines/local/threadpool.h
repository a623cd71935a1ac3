/* A fixed set of worker threads that run the tasks 0..n-1 of one parallel
 * loop at a time; the calling thread works too.  Used by the CPU backend for
 * matrix products and attention. */
#ifndef EB_THREADPOOL_H
#define EB_THREADPOOL_H

typedef struct eb_pool eb_pool;

/* fn(ctx, task, worker) where worker is in [0, eb_pool_size()). */
typedef void (*eb_pool_fn)(void *ctx, int task, int worker);

/* n_threads total workers including the caller (>= 1). */
eb_pool *eb_pool_create(int n_threads);
int eb_pool_size(const eb_pool *p);
/* Runs all tasks and returns when they are done.  Not reentrant. */
void eb_pool_run(eb_pool *p, int n_tasks, eb_pool_fn fn, void *ctx);
void eb_pool_destroy(eb_pool *p);

#endif
