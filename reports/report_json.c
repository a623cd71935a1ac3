/* JSON rendering: the same numbers as the markdown, unrounded.  Values that
 * do not exist (a spread over one repetition, an unknown cost) are null. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "report_out.h"

static cJSON *num(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

static cJSON *str(const char *s) { return s ? cJSON_CreateString(s) : cJSON_CreateNull(); }

static cJSON *summary_json(const eb_acc_summary *a) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "mean", num(a->mean));
    cJSON_AddItemToObject(o, "std", num(a->std));
    cJSON *per = cJSON_AddArrayToObject(o, "per_repetition");
    for (int i = 0; i < a->n_reps; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "run_index", a->rep_index[i]);
        cJSON_AddItemToObject(e, "accuracy", num(a->per_rep[i]));
        cJSON_AddItemToArray(per, e);
    }
    return o;
}

static cJSON *groups_json(const eb_rgroup *g, size_t n) {
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *o = summary_json(&g[i].acc);
        cJSON_AddStringToObject(o, "name", g[i].name);
        cJSON_AddNumberToObject(o, "n_items", (double)g[i].n_items);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static cJSON *cell_json(const eb_rcolumn *col, const eb_rcell *c, const eb_rsuite *s) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "column", col->key);
    cJSON_AddStringToObject(o, "suite", s->suite);
    cJSON_AddBoolToObject(o, "plus", col->plus);
    cJSON_AddItemToObject(o, "fingerprint", str(s->fingerprint));
    cJSON_AddItemToObject(o, "options", str(s->options));
    cJSON_AddNumberToObject(o, "n_items", (double)c->n_items);
    cJSON_AddItemToObject(o, "expected_items", c->expected_items >= 0 ? cJSON_CreateNumber((double)c->expected_items)
                                                                      : cJSON_CreateNull());
    cJSON_AddBoolToObject(o, "complete", c->complete);
    cJSON_AddNumberToObject(o, "rows", (double)c->rows);
    cJSON *reps = cJSON_AddArrayToObject(o, "repetitions");
    for (int j = 0; j < c->cap_reps; j++) {
        if (c->reps[j].n == 0) continue;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "run_index", j);
        cJSON_AddNumberToObject(e, "n", (double)c->reps[j].n);
        cJSON_AddNumberToObject(e, "correct", (double)c->reps[j].correct);
        cJSON_AddItemToObject(e, "accuracy", num((double)c->reps[j].correct / (double)c->reps[j].n));
        cJSON_AddItemToArray(reps, e);
    }
    cJSON_AddItemToObject(o, "mean", num(c->acc.mean));
    cJSON_AddItemToObject(o, "std", num(c->acc.std));
    cJSON *ci = cJSON_AddArrayToObject(o, "wilson95");
    cJSON_AddItemToArray(ci, num(c->wilson95.lo));
    cJSON_AddItemToArray(ci, num(c->wilson95.hi));
    if (!col->plus) {
        cJSON_AddNumberToObject(o, "no_answer", (double)c->no_answer);
        cJSON_AddItemToObject(o, "no_answer_rate", num(c->rows ? (double)c->no_answer / (double)c->rows : NAN));
    }
    cJSON *pk = cJSON_AddObjectToObject(o, "pass_at_k");
    for (int k = 1; k <= c->max_k; k++) {
        char key[16];
        snprintf(key, sizeof key, "%d", k);
        cJSON_AddItemToObject(pk, key, num(c->pass_at_k[k - 1]));
    }
    if (c->n_subjects) cJSON_AddItemToObject(o, "macro_over_subjects", summary_json(&c->macro));
    cJSON_AddStringToObject(o, "category_axis", eb_suite_category_axis(s->suite));
    cJSON_AddItemToObject(o, "by_category", groups_json(c->categories, c->n_categories));
    cJSON_AddStringToObject(o, "subject_axis", eb_suite_subject_axis(s->suite));
    cJSON_AddItemToObject(o, "by_subject", groups_json(c->subjects, c->n_subjects));
    if (!col->plus) {
        cJSON_AddItemToObject(o, "tokens_in", s->rows_tokens_in ? cJSON_CreateNumber(s->tokens_in) : cJSON_CreateNull());
        cJSON_AddItemToObject(o, "tokens_out",
                              s->rows_tokens_out ? cJSON_CreateNumber(s->tokens_out) : cJSON_CreateNull());
        cJSON_AddItemToObject(o, "cost_usd", s->rows_cost ? cJSON_CreateNumber(s->cost_usd) : cJSON_CreateNull());
        cJSON_AddNumberToObject(o, "rows_with_cost", (double)s->rows_cost);
        cJSON_AddNumberToObject(o, "rows_reused", (double)s->rows_reused);
    }
    return o;
}

char *eb_report_json(const eb_report *r) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", "evalbench-report/1");
    cJSON_AddStringToObject(root, "database", r->db_path);
    cJSON *cols = cJSON_AddArrayToObject(root, "columns");
    for (size_t c = 0; c < r->n_cols; c++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "key", r->cols[c].key);
        cJSON_AddStringToObject(o, "suite", r->cols[c].suite);
        cJSON_AddBoolToObject(o, "plus", r->cols[c].plus);
        cJSON_AddStringToObject(o, "label", r->cols[c].label);
        cJSON_AddItemToObject(o, "fingerprint", str(r->cols[c].fingerprint));
        cJSON_AddItemToObject(o, "options", str(r->cols[c].options));
        cJSON_AddBoolToObject(o, "split_by_fingerprint", r->cols[c].split);
        cJSON_AddItemToArray(cols, o);
    }
    cJSON *runs = cJSON_AddArrayToObject(root, "runs");
    for (size_t i = 0; i < r->n_runs; i++) {
        const eb_rrun *run = &r->runs[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "run_id", (double)run->run_id);
        cJSON_AddItemToObject(o, "model", str(run->model));
        cJSON_AddItemToObject(o, "engine", str(run->engine));
        cJSON_AddItemToObject(o, "engine_version", str(run->engine_version));
        cJSON_AddItemToObject(o, "quantization", str(run->quantization));
        cJSON_AddNumberToObject(o, "n_runs", run->n_runs);
        cJSON_AddNumberToObject(o, "temperature", run->temperature);
        cJSON_AddItemToObject(o, "status", str(run->status));
        cJSON_AddItemToObject(o, "host", str(run->host));
        cJSON_AddItemToObject(o, "started_at", str(run->started_at));
        cJSON_AddItemToObject(o, "finished_at", str(run->finished_at));
        cJSON_AddBoolToObject(o, "partial", run->partial);
        cJSON_AddNumberToObject(o, "rows", (double)run->rows);
        cJSON_AddItemToObject(o, "tokens_in", run->rows_tokens_in ? cJSON_CreateNumber(run->tokens_in) : cJSON_CreateNull());
        cJSON_AddItemToObject(o, "tokens_out",
                              run->rows_tokens_out ? cJSON_CreateNumber(run->tokens_out) : cJSON_CreateNull());
        cJSON_AddItemToObject(o, "cost_usd", run->rows_cost ? cJSON_CreateNumber(run->cost_usd) : cJSON_CreateNull());
        cJSON_AddNumberToObject(o, "rows_with_cost", (double)run->rows_cost);
        cJSON_AddNumberToObject(o, "rows_reused", (double)run->rows_reused);
        cJSON_AddItemToObject(o, "price_in_usd_per_mtok", num(run->price_in_per_mtok));
        cJSON_AddItemToObject(o, "price_out_usd_per_mtok", num(run->price_out_per_mtok));
        double tok = run->tokens_in + run->tokens_out;
        cJSON_AddItemToObject(o, "effective_usd_per_mtok",
                              num(run->rows_cost && run->rows_cost == run->rows && tok > 0 ? run->cost_usd / tok * 1e6
                                                                                           : NAN));
        cJSON *cells = cJSON_AddObjectToObject(o, "cells");
        for (size_t c = 0; c < r->n_cols; c++) {
            const eb_rsuite *s;
            const eb_rcell *cell = eb_report_cell(run, c, &s);
            if (cell) cJSON_AddItemToObject(cells, r->cols[c].key, cell_json(&r->cols[c], cell, s));
        }
        cJSON_AddItemToArray(runs, o);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) abort();
    size_t n = strlen(text);
    char *out = eb_malloc(n + 2);
    memcpy(out, text, n);
    out[n] = '\n';
    out[n + 1] = '\0';
    free(text);
    return out;
}
