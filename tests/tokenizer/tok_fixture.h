/* Shared by the tokenizer tests: the fixture tokenizers' names and paths,
 * and small helpers for id arrays and hex strings. */
#ifndef EB_TOK_FIXTURE_H
#define EB_TOK_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"

#define TOK_FIXTURE_DIR EVALBENCH_SOURCE_DIR "/tests/fixtures/tokenizers"

static const char *const tok_fixture_names[] = {"gemma_like", "gpt2_like", "llama2_like", "llama3_like",
                                                "metaspace_like", "variety_like"};
#define TOK_N_FIXTURES 6

static inline char *tok_fixture_path(const char *name) {
    size_t n = strlen(TOK_FIXTURE_DIR) + strlen(name) + 8;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s.json", TOK_FIXTURE_DIR, name);
    return p;
}

/* Hex string -> bytes in *out; returns 0 on success. */
static inline int tok_unhex(const char *hex, eb_buf *out) {
    size_t n = strlen(hex);
    if (n % 2) return -1;
    for (size_t i = 0; i < n; i += 2) {
        unsigned v;
        if (sscanf(hex + i, "%2x", &v) != 1) return -1;
        char c = (char)v;
        eb_buf_append(out, &c, 1);
    }
    return 0;
}

/* JSON array of ints -> malloc'd array. */
static inline int32_t *tok_json_ids(const cJSON *arr, size_t *n) {
    *n = (size_t)cJSON_GetArraySize(arr);
    int32_t *v = malloc((*n + 1) * sizeof *v);
    size_t i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) v[i++] = (int32_t)it->valuedouble;
    return v;
}

/* Index of the first difference, or -1 when equal. */
static inline long tok_first_diff(const int32_t *a, size_t na, const int32_t *b, size_t nb) {
    size_t n = na < nb ? na : nb;
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i]) return (long)i;
    return na == nb ? -1 : (long)n;
}

#endif
