/* HumanEval and HumanEval+ execution scoring. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "code_drivers.h"
#include "code_groundtruth.h"
#include "code_run.h"
#include "code_score.h"

/* The sandbox limits sit above the in-process timers, which are the ones
 * that follow the reference harnesses; these margins cover interpreter
 * start-up and loading the expected outputs, never the solution's work. */
#define HE_SANDBOX_MARGIN_S 2.0
#define EP_SANDBOX_MARGIN_S 10.0
#define CODE_MEMORY_BYTES (4LL << 30) /* the HumanEval+ release's RLIMIT */
#define REPORT_OUTPUT_BYTES ((size_t)1 << 20)

typedef struct run_verdict {
    const char *verdict;
    char detail[512];
    double cpu_ms, wall_ms;
    long peak_kb;
    cJSON *report; /* parsed report object, or NULL */
} run_verdict;

/* Runs one driver job and reads its report line "<nonce> [tag ]<json>".
 * Returns -1 only when the sandbox could not run it at all. */
static int run_driver(eb_executor *ex, const eb_exec_job *job, const char *nonce, const char *tag, run_verdict *v,
                      eb_err *err) {
    eb_exec_result r;
    memset(&r, 0, sizeof r);
    memset(v, 0, sizeof *v);
    if (eb_executor_run(ex, job, &r, err) != 0) {
        v->verdict = "internal_error";
        snprintf(v->detail, sizeof v->detail, "%.400s", err ? err->msg : "sandbox failed");
        eb_exec_result_clear(&r);
        return -1;
    }
    v->cpu_ms = r.cpu_ms;
    v->wall_ms = r.wall_ms;
    v->peak_kb = (long)r.peak_memory_kb;
    size_t pos = 0, tl = 0, tagl = tag ? strlen(tag) : 0;
    const char *text, *last = NULL;
    size_t last_len = 0;
    while ((text = eb_code_next_report(r.stdout_data, r.stdout_len, nonce, &pos, &tl)) != NULL) {
        last = text;
        last_len = tl;
    }
    if (last && last_len >= tagl && memcmp(last, tag ? tag : "", tagl) == 0) {
        char *json = eb_strndup(last + tagl, last_len - tagl);
        v->report = cJSON_Parse(json);
        free(json);
    }
    const cJSON *word = v->report ? cJSON_GetObjectItemCaseSensitive(v->report, "verdict") : NULL;
    if (cJSON_IsString(word)) {
        v->verdict = eb_code_verdict(word->valuestring, strlen(word->valuestring));
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(v->report, "detail");
        if (cJSON_IsString(d)) snprintf(v->detail, sizeof v->detail, "%s", d->valuestring);
    } else {
        /* No report: the process was stopped (limits) or ended itself. */
        v->verdict = eb_code_status_verdict(r.status);
        eb_code_status_detail(&r, v->detail, sizeof v->detail);
    }
    int internal = r.status == EB_EXEC_INTERNAL_ERROR;
    if (internal) eb_err_set(err, "sandbox internal error: %s", r.detail);
    eb_exec_result_clear(&r);
    return internal ? -1 : 0;
}

static void fill_outcome(eb_outcomes *o, const char *set, int index, const run_verdict *v) {
    eb_test_outcome *t = eb_outcomes_add(o, set, index, v->verdict, v->detail);
    t->cpu_ms = v->cpu_ms;
    t->wall_ms = v->wall_ms;
    t->peak_kb = v->peak_kb;
}

static cJSON *verdict_json(const run_verdict *v) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "verdict", v->verdict);
    if (v->detail[0]) cJSON_AddStringToObject(j, "detail", v->detail);
    cJSON_AddNumberToObject(j, "wall_ms", v->wall_ms);
    return j;
}

/* human-eval: the program runs under one 3 s timer. */
static int run_base_check(const eb_item *item, const char *solution, eb_executor *ex, run_verdict *v, eb_err *err) {
    char nonce[33];
    eb_code_nonce(nonce);
    eb_buf in = {0};
    eb_buf_printf(&in, "{\"nonce\": \"%s\", \"timeout\": %.3f}\n", nonce, EB_HUMANEVAL_TIMEOUT_S);
    eb_buf_puts(&in, solution);
    eb_buf_puts(&in, "\n");
    eb_buf_puts(&in, item->test);
    eb_buf_printf(&in, "\ncheck(%s)\n", item->entry_point);
    eb_exec_job job = {
        .program = eb_code_driver_humaneval_check,
        .stdin_data = in.data,
        .stdin_len = in.len,
        .cpu_time_limit_s = EB_HUMANEVAL_TIMEOUT_S + HE_SANDBOX_MARGIN_S,
        .wall_time_limit_s = EB_HUMANEVAL_TIMEOUT_S + HE_SANDBOX_MARGIN_S,
        .memory_limit_bytes = CODE_MEMORY_BYTES,
        .output_limit_bytes = REPORT_OUTPUT_BYTES,
    };
    int rc = run_driver(ex, &job, nonce, NULL, v, err);
    eb_buf_free(&in);
    return rc;
}

/* HumanEval+: one input set (0 = base_input, 1 = plus_input) against the
 * canonical outputs, with per-input limits max(4 s, 4 x canonical time) and
 * a set budget of min(60 s, sum of limits) + 1 s, as the release does. */
static int run_plus_set(const eb_item *item, const char *solution, const eb_groundtruth *gt, int which,
                        eb_executor *ex, run_verdict *v, eb_err *err) {
    char nonce[33];
    eb_code_nonce(nonce);
    cJSON *params = cJSON_CreateObject();
    cJSON_AddStringToObject(params, "nonce", nonce);
    cJSON_AddStringToObject(params, "mode", "check");
    cJSON_AddStringToObject(params, "which", which ? "plus" : "base");
    cJSON_AddStringToObject(params, "code", solution);
    cJSON_AddStringToObject(params, "entry_point", item->entry_point);
    cJSON *limits = cJSON_AddArrayToObject(params, "time_limits");
    double sum = 0;
    for (size_t i = 0; i < gt->n_inputs[which]; i++) {
        double lim = fmax(EB_EVALPLUS_MIN_TIME_LIMIT_S, EB_EVALPLUS_GT_TIME_FACTOR * gt->times[which][i]);
        sum += lim;
        cJSON_AddItemToArray(limits, cJSON_CreateNumber(lim));
    }
    double budget = fmin(EB_EVALPLUS_TASK_TIMEOUT_S, sum) + 1.0;
    cJSON_AddNumberToObject(params, "task_budget", budget);
    char *ptext = cJSON_PrintUnformatted(params);
    cJSON_Delete(params);

    eb_buf in = {0};
    eb_buf_printf(&in, "EB %zu %zu %zu\n", strlen(ptext), strlen(item->plus_json), gt->blob_len[which]);
    eb_buf_puts(&in, ptext);
    eb_buf_puts(&in, item->plus_json);
    eb_buf_append(&in, gt->blob[which], gt->blob_len[which]);
    free(ptext);
    eb_exec_job job = {
        .program = eb_code_driver_evalplus,
        .stdin_data = in.data,
        .stdin_len = in.len,
        .cpu_time_limit_s = budget + EP_SANDBOX_MARGIN_S,
        .wall_time_limit_s = budget + EP_SANDBOX_MARGIN_S,
        .memory_limit_bytes = CODE_MEMORY_BYTES,
        .output_limit_bytes = REPORT_OUTPUT_BYTES,
    };
    int rc = run_driver(ex, &job, nonce, "result ", v, err);
    eb_buf_free(&in);
    return rc;
}

static cJSON *plus_json_summary(const run_verdict *v) {
    cJSON *j = verdict_json(v);
    if (v->report) {
        static const char *const keys[] = {"index", "done", "total"};
        for (size_t i = 0; i < 3; i++) {
            const cJSON *x = cJSON_GetObjectItemCaseSensitive(v->report, keys[i]);
            if (cJSON_IsNumber(x)) cJSON_AddNumberToObject(j, keys[i], x->valuedouble);
        }
    }
    return j;
}

int eb_score_humaneval(const eb_item *item, const char *solution_source, eb_executor *ex, eb_score *out,
                       eb_err *err) {
    if (!item || !out || !ex) return eb_err_set(err, "eb_score_humaneval: missing argument");
    const char *id = item->id ? item->id : "?";
    if (!item->test || !item->entry_point)
        return eb_err_set(err, "HumanEval item %s: missing field %s", id, item->test ? "entry_point" : "test");
    if (!solution_source) solution_source = "";
    if (!out->extracted) out->extracted = eb_strdup(solution_source);
    out->correct = 0;
    out->correct_plus = -1;

    eb_outcomes oc = {0};
    cJSON *details = cJSON_CreateObject();
    int rc = 0;

    run_verdict base;
    if (run_base_check(item, solution_source, ex, &base, err) != 0) rc = -1;
    fill_outcome(&oc, "base", 0, &base);
    cJSON_AddItemToObject(details, "base", verdict_json(&base));
    out->correct = strcmp(base.verdict, "passed") == 0 && rc == 0;
    const char *verdict = base.verdict;

    if (item->plus_json && rc == 0) {
        int computed = 0;
        const eb_groundtruth *gt = eb_groundtruth_get(item->plus_json, ex, &computed, err);
        cJSON *plus = cJSON_AddObjectToObject(details, "plus");
        if (!gt) {
            eb_err_prefix(err, "HumanEval+ %s", id);
            run_verdict fail = {.verdict = "internal_error"};
            snprintf(fail.detail, sizeof fail.detail, "%.400s", err ? err->msg : "ground truth unavailable");
            fill_outcome(&oc, "plus", 0, &fail);
            verdict = "internal_error";
            rc = -1;
        } else {
            cJSON_AddBoolToObject(plus, "groundtruth_computed_here", computed);
            if (computed) cJSON_AddNumberToObject(plus, "groundtruth_ms", gt->compute_ms);
            int all = 1;
            for (int which = 0; which < 2; which++) {
                run_verdict v;
                if (!all) {
                    /* The plus score needs both sets; skip the costly one. */
                    memset(&v, 0, sizeof v);
                    v.verdict = "skipped";
                    snprintf(v.detail, sizeof v.detail, "base_input already failed");
                } else if (run_plus_set(item, solution_source, gt, which, ex, &v, err) != 0) {
                    rc = -1;
                }
                fill_outcome(&oc, "plus", which, &v);
                cJSON_AddItemToObject(plus, which ? "plus_input" : "base_input", plus_json_summary(&v));
                if (strcmp(v.verdict, "passed") != 0) all = 0;
                cJSON_Delete(v.report);
            }
            out->correct_plus = all && rc == 0;
        }
    }
    cJSON_Delete(base.report);

    out->verdict = eb_strdup(rc != 0 ? "internal_error" : verdict);
    out->details_json = cJSON_PrintUnformatted(details);
    cJSON_Delete(details);
    out->tests = oc.v;
    out->n_tests = oc.n;
    return rc;
}
