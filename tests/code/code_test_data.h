/* Helpers shared by the code-scoring tests: building eb_item's straight
 * from the dataset files (as the suite loaders do), freeing them and the
 * scores, and running many scorings on a few threads. */
#ifndef EB_CODE_TEST_DATA_H
#define EB_CODE_TEST_DATA_H

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fileio.h"
#include "item.h"
#include "score.h"

static inline char *ct_json_str(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? eb_strdup(v->valuestring) : NULL;
}

static inline void ct_item_free(eb_item *it) {
    eb_item_free(it);
    memset(it, 0, sizeof *it);
}

static inline void ct_score_free(eb_score *s) { eb_score_clear(s); }

/* Reads a (possibly gzipped) JSONL file; returns the lines as new strings. */
static inline size_t ct_read_lines(const char *path, char ***out) {
    char *data = NULL;
    size_t len = 0;
    eb_err err = {{0}};
    *out = NULL;
    if (eb_read_file(path, &data, &len, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 0;
    }
    size_t n = 0, cap = 256;
    char **v = eb_malloc(cap * sizeof *v);
    char *p = data;
    while (*p) {
        char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        if (l > 0) {
            if (n == cap) v = eb_realloc(v, (cap *= 2) * sizeof *v);
            v[n++] = eb_strndup(p, l);
        }
        p += l + (nl ? 1 : 0);
    }
    free(data);
    *out = v;
    return n;
}

/* A tiny work queue: calls fn(i, ctx) for i in [0, n) on `threads` threads. */
typedef struct ct_pool {
    pthread_mutex_t lock;
    size_t next, n;
    void (*fn)(size_t, void *);
    void *ctx;
} ct_pool;

static inline void *ct_pool_worker(void *arg) {
    ct_pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        size_t i = p->next < p->n ? p->next++ : p->n;
        pthread_mutex_unlock(&p->lock);
        if (i >= p->n) return NULL;
        p->fn(i, p->ctx);
    }
}

static inline void ct_parallel(size_t n, int threads, void (*fn)(size_t, void *), void *ctx) {
    ct_pool p = {.lock = PTHREAD_MUTEX_INITIALIZER, .next = 0, .n = n, .fn = fn, .ctx = ctx};
    pthread_t t[16];
    if (threads > 16) threads = 16;
    for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, ct_pool_worker, &p);
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
}

#endif
