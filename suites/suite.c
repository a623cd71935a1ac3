#include "suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fileio.h"
#include "sha256.h"

const char *const eb_suite_names[] = {"mmlu", "humaneval", "math", "livecodebench"};
const size_t eb_n_suite_names = 4;

bool eb_suite_is_known(const char *name) {
    for (size_t i = 0; i < eb_n_suite_names; i++)
        if (strcmp(eb_suite_names[i], name) == 0) return true;
    return false;
}

int eb_suite_add_file(eb_suite *s, const char *data_dir, const char *rel_path, eb_err *err) {
    char *full = eb_path_join(data_dir, rel_path);
    char hex[65];
    int rc = eb_sha256_file(full, hex, err);
    free(full);
    if (rc != 0) return -1;
    s->files = eb_realloc(s->files, (s->n_files + 1) * sizeof *s->files);
    eb_dataset_file *f = &s->files[s->n_files];
    f->path = eb_strdup(rel_path);
    memcpy(f->sha256, hex, sizeof hex);
    f->n_items = 0;
    return (int)s->n_files++;
}

eb_item *eb_suite_push_item(eb_suite *s, size_t *cap) {
    if (s->n_items == *cap) {
        *cap = *cap ? *cap * 2 : 256;
        s->items = eb_realloc(s->items, *cap * sizeof *s->items);
    }
    eb_item *it = &s->items[s->n_items++];
    memset(it, 0, sizeof *it);
    it->suite = s->name;
    return it;
}

/* Keeps the first `limit` items.  For MMLU the items are taken round-robin
 * across subjects so that a small limit still covers every category. */
static void apply_limit(eb_suite *s, long limit) {
    if (limit <= 0 || (size_t)limit >= s->n_items) return;
    bool *keep = eb_calloc(s->n_items, sizeof *keep);
    size_t kept = 0;
    if (strcmp(s->name, "mmlu") == 0) {
        /* position of each item within its subject */
        size_t *rank = eb_calloc(s->n_items, sizeof *rank);
        for (size_t i = 1; i < s->n_items; i++)
            rank[i] = strcmp(s->items[i].subject, s->items[i - 1].subject) == 0 ? rank[i - 1] + 1 : 0;
        for (size_t r = 0; kept < (size_t)limit; r++)
            for (size_t i = 0; i < s->n_items && kept < (size_t)limit; i++)
                if (rank[i] == r) keep[i] = true, kept++;
        free(rank);
    } else {
        for (size_t i = 0; i < (size_t)limit; i++) keep[i] = true;
    }
    size_t w = 0;
    for (size_t i = 0; i < s->n_items; i++) {
        if (keep[i])
            s->items[w++] = s->items[i];
        else
            eb_item_free(&s->items[i]);
    }
    s->n_items = w;
    free(keep);
}

static void compute_fingerprint(eb_suite *s, long limit) {
    eb_sha256_ctx c;
    eb_sha256_init(&c);
    eb_sha256_update(&c, s->name, strlen(s->name) + 1);
    for (size_t i = 0; i < s->n_files; i++) {
        eb_sha256_update(&c, s->files[i].path, strlen(s->files[i].path) + 1);
        eb_sha256_update(&c, s->files[i].sha256, 64);
    }
    /* The options change what is asked (5-shot loglik vs zero-shot) and which
     * items are included, so they are part of the fingerprint. */
    const char *opts = s->options_desc ? s->options_desc : "";
    eb_sha256_update(&c, opts, strlen(opts) + 1);
    char lim[32];
    snprintf(lim, sizeof lim, "limit=%ld", limit > 0 && (size_t)limit <= s->n_items ? limit : 0L);
    eb_sha256_update(&c, lim, strlen(lim));
    eb_sha256_final_hex(&c, s->fingerprint);
}

static int cmp_item_ptr(const void *a, const void *b) {
    const eb_item *x = *(const eb_item *const *)a, *y = *(const eb_item *const *)b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x < y ? -1 : x > y);
}

/* Two items with one id would share one score row: the run could never be
 * complete, and one of them would never be scored.  Refused, naming both. */
static int check_unique_ids(const eb_suite *s, eb_err *err) {
    const eb_item **v = eb_malloc((s->n_items ? s->n_items : 1) * sizeof *v);
    for (size_t i = 0; i < s->n_items; i++) v[i] = &s->items[i];
    qsort(v, s->n_items, sizeof *v, cmp_item_ptr);
    int rc = 0;
    for (size_t i = 1; i < s->n_items && rc == 0; i++)
        if (strcmp(v[i - 1]->id, v[i]->id) == 0)
            rc = eb_err_set(err, "suite %s: item id \"%s\" appears twice: items %zu and %zu (of %s and %s)", s->name,
                            v[i]->id, (size_t)(v[i - 1] - s->items) + 1, (size_t)(v[i] - s->items) + 1,
                            v[i - 1]->source_file ? v[i - 1]->source_file : "?",
                            v[i]->source_file ? v[i]->source_file : "?");
    free(v);
    return rc;
}

/* A problem without tests can never pass or fail: refused at load instead
 * of aborting every run that reaches it. */
static int check_tests_present(const eb_suite *s, eb_err *err) {
    if (strcmp(s->name, "livecodebench") != 0) return 0;
    for (size_t i = 0; i < s->n_items; i++)
        if (s->items[i].n_tests == 0)
            return eb_err_set(err, "suite livecodebench: problem %s (item %zu, from %s) has no tests", s->items[i].id,
                              i + 1, s->items[i].source_file ? s->items[i].source_file : "?");
    return 0;
}

int eb_suite_load(const char *name, const eb_suite_options *opt, eb_suite *out, eb_err *err) {
    memset(out, 0, sizeof *out);
    int rc;
    if (strcmp(name, "mmlu") == 0) {
        out->name = "mmlu";
        rc = eb_mmlu_load(opt, out, err);
    } else if (strcmp(name, "humaneval") == 0) {
        out->name = "humaneval";
        rc = eb_humaneval_load(opt, out, err);
    } else if (strcmp(name, "math") == 0) {
        out->name = "math";
        rc = eb_math_load(opt, out, err);
    } else if (strcmp(name, "livecodebench") == 0) {
        out->name = "livecodebench";
        rc = eb_lcb_load(opt, out, err);
    } else {
        return eb_err_set(err, "unknown suite \"%s\" (known: mmlu, humaneval, math, livecodebench)", name);
    }
    if (rc != 0) {
        eb_suite_free(out);
        return -1;
    }
    if (out->n_items == 0) {
        eb_suite_free(out);
        return eb_err_set(err, "suite %s: no items selected from %s", name, opt->data_dir);
    }
    if (check_unique_ids(out, err) != 0 || check_tests_present(out, err) != 0) {
        eb_suite_free(out);
        return -1;
    }
    apply_limit(out, opt->limit);
    compute_fingerprint(out, opt->limit);
    return 0;
}

void eb_suite_free(eb_suite *s) {
    for (size_t i = 0; i < s->n_items; i++) eb_item_free(&s->items[i]);
    free(s->items);
    for (size_t i = 0; i < s->n_files; i++) free(s->files[i].path);
    free(s->files);
    free(s->options_desc);
    memset(s, 0, sizeof *s);
}

bool eb_suite_needs_executor(const eb_suite *s) {
    return strcmp(s->name, "humaneval") == 0 || strcmp(s->name, "livecodebench") == 0;
}

void eb_prompt_free(eb_prompt *p) {
    free(p->system);
    free(p->prompt);
    for (size_t i = 0; i < p->n_stop; i++) free(p->stop[i]);
    free(p->stop);
    for (size_t i = 0; i < p->n_continuations; i++) free(p->continuations[i]);
    free(p->continuations);
    memset(p, 0, sizeof *p);
}
