#include "code_groundtruth.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "code_drivers.h"
#include "code_run.h"
#include "code_score.h"
#include "sha256.h"

typedef struct entry {
    char key[65];
    int state; /* 0: being computed, 1: ready */
    eb_groundtruth gt;
    struct entry *next;
} entry;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cache_changed = PTHREAD_COND_INITIALIZER;
static entry *cache_head;

static void gt_free(eb_groundtruth *g) {
    for (int i = 0; i < 2; i++) {
        free(g->blob[i]);
        free(g->times[i]);
    }
    memset(g, 0, sizeof *g);
}

/* Limits for the canonical run: generous, it is trusted code, but the
 * largest tasks produce ~150 MB of output before compression. */
#define GT_TIME_LIMIT_S 300.0
#define GT_MEMORY_BYTES (4LL << 30)
#define GT_OUTPUT_BYTES ((size_t)512 << 20)

static int parse_times(const cJSON *arr, double **out, size_t *n, eb_err *err) {
    if (!cJSON_IsArray(arr)) return eb_err_set(err, "HumanEval+ ground truth: runtimes missing");
    *n = (size_t)cJSON_GetArraySize(arr);
    *out = eb_malloc((*n ? *n : 1) * sizeof **out);
    size_t i = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, arr) (*out)[i++] = cJSON_IsNumber(t) ? t->valuedouble : 0.0;
    return 0;
}

static int compute(const char *plus_json, eb_executor *ex, eb_groundtruth *g, eb_err *err) {
    char nonce[33];
    eb_code_nonce(nonce);
    cJSON *params = cJSON_CreateObject();
    cJSON_AddStringToObject(params, "nonce", nonce);
    cJSON_AddStringToObject(params, "mode", "groundtruth");
    char *ptext = cJSON_PrintUnformatted(params);
    cJSON_Delete(params);
    eb_buf in = {0};
    eb_buf_printf(&in, "EB %zu %zu 0\n", strlen(ptext), strlen(plus_json));
    eb_buf_puts(&in, ptext);
    eb_buf_puts(&in, plus_json);
    free(ptext);

    eb_exec_job job = {
        .program = eb_code_driver_evalplus,
        .stdin_data = in.data,
        .stdin_len = in.len,
        .cpu_time_limit_s = GT_TIME_LIMIT_S,
        .wall_time_limit_s = GT_TIME_LIMIT_S,
        .memory_limit_bytes = GT_MEMORY_BYTES,
        .output_limit_bytes = GT_OUTPUT_BYTES,
    };
    eb_exec_result r;
    memset(&r, 0, sizeof r);
    int rc = eb_executor_run(ex, &job, &r, err);
    eb_buf_free(&in);
    if (rc != 0) {
        eb_err_prefix(err, "HumanEval+ ground truth");
        eb_exec_result_clear(&r);
        return -1;
    }
    size_t pos = 0, tl = 0;
    const char *text = eb_code_next_report(r.stdout_data, r.stdout_len, nonce, &pos, &tl);
    const char *tag = "groundtruth ";
    if (!text || tl < strlen(tag) || memcmp(text, tag, strlen(tag)) != 0) {
        char why[300];
        if (text) snprintf(why, sizeof why, "%.*s", (int)(tl > 280 ? 280 : tl), text);
        else eb_code_status_detail(&r, why, sizeof why);
        eb_exec_result_clear(&r);
        return eb_err_set(err, "HumanEval+ ground truth: canonical solution failed: %s", why);
    }
    char *header = eb_strndup(text + strlen(tag), tl - strlen(tag));
    cJSON *h = cJSON_Parse(header);
    free(header);
    size_t body = pos + 1; /* the blobs follow the header line's newline */
    const cJSON *bl = cJSON_GetObjectItemCaseSensitive(h, "base_len");
    const cJSON *pl = cJSON_GetObjectItemCaseSensitive(h, "plus_len");
    int ok = h && cJSON_IsNumber(bl) && cJSON_IsNumber(pl) && bl->valuedouble >= 0 && pl->valuedouble >= 0 &&
             body + (size_t)bl->valuedouble + (size_t)pl->valuedouble <= r.stdout_len;
    if (!ok) {
        cJSON_Delete(h);
        eb_exec_result_clear(&r);
        return eb_err_set(err, "HumanEval+ ground truth: malformed answer from the driver");
    }
    size_t lens[2] = {(size_t)bl->valuedouble, (size_t)pl->valuedouble};
    size_t off = body;
    for (int i = 0; i < 2; i++) {
        g->blob[i] = eb_malloc(lens[i] ? lens[i] : 1);
        memcpy(g->blob[i], r.stdout_data + off, lens[i]);
        g->blob_len[i] = lens[i];
        off += lens[i];
    }
    g->compute_ms = r.wall_ms;
    rc = parse_times(cJSON_GetObjectItemCaseSensitive(h, "base_times"), &g->times[0], &g->n_inputs[0], err);
    if (rc == 0)
        rc = parse_times(cJSON_GetObjectItemCaseSensitive(h, "plus_times"), &g->times[1], &g->n_inputs[1], err);
    cJSON_Delete(h);
    eb_exec_result_clear(&r);
    if (rc != 0) gt_free(g);
    return rc;
}

const eb_groundtruth *eb_groundtruth_get(const char *plus_json, eb_executor *ex, int *computed, eb_err *err) {
    char key[65];
    eb_sha256_hex(plus_json, strlen(plus_json), key);
    if (computed) *computed = 0;
    pthread_mutex_lock(&cache_lock);
    for (;;) {
        entry *e = cache_head;
        while (e && strcmp(e->key, key) != 0) e = e->next;
        if (!e) break;
        if (e->state == 1) {
            pthread_mutex_unlock(&cache_lock);
            return &e->gt;
        }
        pthread_cond_wait(&cache_changed, &cache_lock); /* another worker is computing it */
    }
    entry *mine = eb_calloc(1, sizeof *mine);
    memcpy(mine->key, key, sizeof key);
    mine->next = cache_head;
    cache_head = mine;
    pthread_mutex_unlock(&cache_lock);

    eb_groundtruth g;
    memset(&g, 0, sizeof g);
    int rc = compute(plus_json, ex, &g, err);

    pthread_mutex_lock(&cache_lock);
    if (rc == 0) {
        mine->gt = g;
        mine->state = 1;
    } else {
        /* Drop the placeholder so that a later call tries again. */
        entry **pp = &cache_head;
        while (*pp != mine) pp = &(*pp)->next;
        *pp = mine->next;
        free(mine);
        mine = NULL;
    }
    pthread_cond_broadcast(&cache_changed);
    pthread_mutex_unlock(&cache_lock);
    if (computed) *computed = rc == 0;
    return mine ? &mine->gt : NULL;
}

void eb_codescore_cache_clear(void) {
    pthread_mutex_lock(&cache_lock);
    entry *e = cache_head;
    cache_head = NULL;
    pthread_mutex_unlock(&cache_lock);
    while (e) {
        entry *next = e->next;
        gt_free(&e->gt);
        free(e);
        e = next;
    }
}
