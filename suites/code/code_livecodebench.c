/* LiveCodeBench execution scoring: standard-input and functional problems. */
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "code_compare.h"
#include "code_drivers.h"
#include "code_run.h"
#include "code_score.h"

#define LCB_MEMORY_BYTES (4LL << 30)
#define LCB_STDOUT_BYTES ((size_t)64 << 20)
#define LCB_REPORT_BYTES ((size_t)8 << 20)

typedef struct test_result {
    const char *verdict; /* official */
    bool tolerant;       /* float-tolerant verdict */
    bool ran;
    char detail[512];
    double cpu_ms, wall_ms;
    long peak_kb;
} test_result;

static bool is_hard_status(eb_exec_status s) { return s != EB_EXEC_OK && s != EB_EXEC_EXIT_NONZERO; }

/* One standard-input test in its own sandboxed process.  The driver's timer
 * gives the module set-up and the run EB_LCB_TIMEOUT_S each, as the
 * upstream grader's alarms do; the sandbox limit is only a backstop. */
static int run_stdin_test(const char *code_b64, const eb_test_case *tc, eb_executor *ex, test_result *t,
                          eb_err *err) {
    char nonce[33];
    eb_code_nonce(nonce);
    eb_buf prog = {0};
    eb_buf_puts(&prog, eb_code_driver_lcb_prelude);
    eb_buf_puts(&prog, "\n");
    eb_buf_puts(&prog, eb_code_driver_lcb_stdin);
    eb_buf_printf(&prog, "\n_eb_stdin_main(\"%s\", %.3f, \"%s\")\n", nonce, EB_LCB_TIMEOUT_S, code_b64);
    const char *input = tc->input ? tc->input : "";
    eb_exec_job job = {
        .program = prog.data,
        .stdin_data = input,
        .stdin_len = strlen(input),
        .cpu_time_limit_s = 2 * EB_LCB_TIMEOUT_S + 2,
        .wall_time_limit_s = 2 * EB_LCB_TIMEOUT_S + 2,
        .memory_limit_bytes = LCB_MEMORY_BYTES,
        .output_limit_bytes = LCB_STDOUT_BYTES,
    };
    eb_exec_result r;
    memset(&r, 0, sizeof r);
    int rc = eb_executor_run(ex, &job, &r, err);
    eb_buf_free(&prog);
    t->ran = true;
    if (rc != 0 || r.status == EB_EXEC_INTERNAL_ERROR) {
        if (rc == 0) eb_err_set(err, "sandbox internal error: %s", r.detail);
        t->verdict = "internal_error";
        snprintf(t->detail, sizeof t->detail, "%.400s", err ? err->msg : "sandbox failed");
        eb_exec_result_clear(&r);
        return -1;
    }
    t->cpu_ms = r.cpu_ms;
    t->wall_ms = r.wall_ms;
    t->peak_kb = (long)r.peak_memory_kb;

    /* The status line is the last report on stderr: "<word> <detail>". */
    size_t pos = 0, tl = 0, last_len = 0;
    const char *text, *last = NULL;
    while ((text = eb_code_next_report(r.stderr_data, r.stderr_len, nonce, &pos, &tl)) != NULL) {
        last = text;
        last_len = tl;
    }
    size_t wl = 0;
    while (last && wl < last_len && last[wl] != ' ') wl++;
    bool done = last ? (wl == 4 && memcmp(last, "done", 4) == 0) : r.status == EB_EXEC_OK;
    if (is_hard_status(r.status)) {
        t->verdict = eb_code_status_verdict(r.status);
        eb_code_status_detail(&r, t->detail, sizeof t->detail);
    } else if (done) {
        const char *expected = tc->output ? tc->output : "";
        bool strict = eb_lcb_output_matches(r.stdout_data, r.stdout_len, expected, strlen(expected), false,
                                            t->detail, sizeof t->detail);
        t->tolerant = strict || eb_lcb_output_matches(r.stdout_data, r.stdout_len, expected, strlen(expected),
                                                      true, NULL, 0);
        t->verdict = strict ? "passed" : "failed";
        if (strict) t->detail[0] = '\0';
    } else if (last) {
        t->verdict = eb_code_verdict(last, wl);
        size_t dl = last_len > wl + 1 ? last_len - wl - 1 : 0;
        snprintf(t->detail, sizeof t->detail, "%.*s", (int)(dl > 500 ? 500 : dl), last + wl + 1);
    } else {
        t->verdict = eb_code_status_verdict(r.status);
        eb_code_status_detail(&r, t->detail, sizeof t->detail);
    }
    eb_exec_result_clear(&r);
    return 0;
}

/* All functional tests in one process (one Solution instance, as upstream),
 * with the per-call timer in the driver and upstream's whole-run limit of
 * (timeout + 1) x tests + 5 s in the sandbox. */
static int run_functional(const eb_item *item, const char *code, eb_executor *ex, test_result *res, eb_err *err) {
    char nonce[33];
    eb_code_nonce(nonce);
    cJSON *params = cJSON_CreateObject();
    cJSON_AddStringToObject(params, "nonce", nonce);
    cJSON_AddNumberToObject(params, "timeout", EB_LCB_TIMEOUT_S);
    cJSON_AddStringToObject(params, "func_name", item->func_name);
    cJSON_AddStringToObject(params, "code", code);
    cJSON *tests = cJSON_AddArrayToObject(params, "tests");
    for (size_t i = 0; i < item->n_tests; i++) {
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "input", item->tests[i].input ? item->tests[i].input : "");
        cJSON_AddStringToObject(t, "output", item->tests[i].output ? item->tests[i].output : "");
        cJSON_AddItemToArray(tests, t);
    }
    char *stdin_text = cJSON_PrintUnformatted(params);
    cJSON_Delete(params);
    eb_buf prog = {0};
    eb_buf_puts(&prog, eb_code_driver_lcb_prelude);
    eb_buf_puts(&prog, "\n");
    eb_buf_puts(&prog, eb_code_driver_lcb_functional);
    double limit = (EB_LCB_TIMEOUT_S + 1) * (double)item->n_tests + 5;
    eb_exec_job job = {
        .program = prog.data,
        .stdin_data = stdin_text,
        .stdin_len = strlen(stdin_text),
        .cpu_time_limit_s = limit,
        .wall_time_limit_s = limit,
        .memory_limit_bytes = LCB_MEMORY_BYTES,
        .output_limit_bytes = LCB_REPORT_BYTES,
    };
    eb_exec_result r;
    memset(&r, 0, sizeof r);
    int rc = eb_executor_run(ex, &job, &r, err);
    eb_buf_free(&prog);
    free(stdin_text);
    if (rc != 0 || r.status == EB_EXEC_INTERNAL_ERROR) {
        if (rc == 0) eb_err_set(err, "sandbox internal error: %s", r.detail);
        res[0].ran = true;
        res[0].verdict = "internal_error";
        snprintf(res[0].detail, sizeof res[0].detail, "%.400s", err ? err->msg : "sandbox failed");
        eb_exec_result_clear(&r);
        return -1;
    }
    size_t pos = 0, tl = 0;
    const char *text;
    bool ended = false;
    while ((text = eb_code_next_report(r.stdout_data, r.stdout_len, nonce, &pos, &tl)) != NULL) {
        char *json = eb_strndup(text, tl);
        cJSON *rep = cJSON_Parse(json);
        free(json);
        const cJSON *setup = cJSON_GetObjectItemCaseSensitive(rep, "setup");
        const cJSON *idx = cJSON_GetObjectItemCaseSensitive(rep, "i");
        const cJSON *detail = cJSON_GetObjectItemCaseSensitive(rep, "detail");
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rep, "end"))) ended = true;
        test_result *t = NULL;
        if (cJSON_IsString(setup)) {
            /* The module or the method failed before any test: the first
             * test carries that verdict, as upstream's single error code. */
            t = &res[0];
            t->verdict = eb_code_verdict(setup->valuestring, strlen(setup->valuestring));
            ended = true;
        } else if (cJSON_IsNumber(idx) && idx->valuedouble >= 0 && (size_t)idx->valuedouble < item->n_tests) {
            t = &res[(size_t)idx->valuedouble];
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(rep, "verdict");
            t->verdict = cJSON_IsString(v) ? eb_code_verdict(v->valuestring, strlen(v->valuestring)) : "internal_error";
            t->tolerant = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rep, "tolerant"));
            const cJSON *w = cJSON_GetObjectItemCaseSensitive(rep, "wall_ms");
            const cJSON *c = cJSON_GetObjectItemCaseSensitive(rep, "cpu_ms");
            t->wall_ms = cJSON_IsNumber(w) ? w->valuedouble : 0;
            t->cpu_ms = cJSON_IsNumber(c) ? c->valuedouble : 0;
        }
        if (t) {
            t->ran = true;
            t->peak_kb = (long)r.peak_memory_kb;
            if (cJSON_IsString(detail)) snprintf(t->detail, sizeof t->detail, "%s", detail->valuestring);
        }
        cJSON_Delete(rep);
    }
    if (!ended) {
        /* Stopped from outside (limits) or ended by the solution: the first
         * test without a report is the one that was running. */
        for (size_t i = 0; i < item->n_tests; i++) {
            if (res[i].ran) continue;
            res[i].ran = true;
            res[i].verdict = eb_code_status_verdict(r.status);
            res[i].peak_kb = (long)r.peak_memory_kb;
            eb_code_status_detail(&r, res[i].detail, sizeof res[i].detail);
            break;
        }
    }
    eb_exec_result_clear(&r);
    return 0;
}

int eb_score_livecodebench(const eb_item *item, const char *code, eb_executor *ex, eb_score *out, eb_err *err) {
    if (!item || !out || !ex) return eb_err_set(err, "eb_score_livecodebench: missing argument");
    const char *id = item->id ? item->id : "?";
    if (item->n_tests == 0 || !item->tests) return eb_err_set(err, "LiveCodeBench item %s: no tests", id);
    bool functional = item->func_name && *item->func_name;
    for (size_t i = 0; i < item->n_tests; i++)
        if (item->tests[i].functional != functional)
            return eb_err_set(err, "LiveCodeBench item %s: test %zu is %s but the problem %s", id, i,
                              item->tests[i].functional ? "functional" : "stdin",
                              functional ? "has a func_name" : "has no func_name");
    if (!code) code = "";
    if (!out->extracted) out->extracted = eb_strdup(code);
    out->correct = 0;
    out->correct_plus = -1;

    test_result *res = eb_calloc(item->n_tests, sizeof *res);
    int rc = 0;
    if (functional) {
        rc = run_functional(item, code, ex, res, err);
    } else {
        char *b64 = eb_code_base64(code, strlen(code));
        for (size_t i = 0; i < item->n_tests; i++) {
            if (run_stdin_test(b64, &item->tests[i], ex, &res[i], err) != 0) {
                rc = -1;
                break;
            }
            /* Upstream stops at the first failure; we go on only while the
             * tolerant verdict is still alive, to be able to report it. */
            if (strcmp(res[i].verdict, "passed") != 0 && !res[i].tolerant) break;
        }
        free(b64);
    }

    eb_outcomes oc = {0};
    int n_public = 0, n_private = 0, passed = 0, tolerant_passed = 0;
    const test_result *first_fail = NULL;
    const char *first_set = NULL;
    int first_index = 0;
    for (size_t i = 0; i < item->n_tests; i++) {
        test_result *t = &res[i];
        const char *set = item->tests[i].is_private ? "private" : "public";
        int index = item->tests[i].is_private ? n_private++ : n_public++;
        if (!t->ran) {
            t->verdict = "skipped";
            snprintf(t->detail, sizeof t->detail, "not run after an earlier failure");
        }
        eb_test_outcome *o = eb_outcomes_add(&oc, set, index, t->verdict, t->detail);
        o->cpu_ms = t->cpu_ms;
        o->wall_ms = t->wall_ms;
        o->peak_kb = t->peak_kb;
        bool ok = strcmp(t->verdict, "passed") == 0;
        passed += ok;
        tolerant_passed += ok || t->tolerant;
        if (!ok && !first_fail) {
            first_fail = t;
            first_set = set;
            first_index = index;
        }
    }
    out->correct = rc == 0 && passed == (int)item->n_tests;

    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "mode", functional ? "functional" : "stdin");
    cJSON_AddNumberToObject(d, "timeout_s", EB_LCB_TIMEOUT_S);
    cJSON_AddNumberToObject(d, "tests", (double)item->n_tests);
    cJSON_AddNumberToObject(d, "passed", passed);
    cJSON *tol = cJSON_AddObjectToObject(d, "tolerant");
    cJSON_AddBoolToObject(tol, "correct", rc == 0 && tolerant_passed == (int)item->n_tests);
    cJSON_AddNumberToObject(tol, "passed", tolerant_passed);
    if (first_fail) {
        cJSON *f = cJSON_AddObjectToObject(d, "first_failure");
        cJSON_AddStringToObject(f, "set", first_set);
        cJSON_AddNumberToObject(f, "index", first_index);
        cJSON_AddStringToObject(f, "verdict", first_fail->verdict);
        if (first_fail->detail[0]) cJSON_AddStringToObject(f, "detail", first_fail->detail);
    }
    out->details_json = cJSON_PrintUnformatted(d);
    cJSON_Delete(d);
    out->verdict = eb_strdup(rc != 0 ? "internal_error" : first_fail ? first_fail->verdict : "passed");
    out->tests = oc.v;
    out->n_tests = oc.n;
    free(res);
    return rc;
}
