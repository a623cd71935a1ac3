#include "run_spec.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "strutil.h"
#include "suite.h"

/* The string fields, in one table so JSON conversion cannot forget one. */
#define STRING_FIELDS(X)                                                                                     \
    X(model) X(engine) X(model_path) X(device) X(base_url) X(replay_file) X(pricing_file) X(quantization) \
    X(suites) X(data_dir) X(db_path) X(mmlu_mode) X(math_set) X(lcb_release) X(since) X(until) X(style)
#define LONG_FIELDS(X) X(n_runs) X(seed) X(max_tokens) X(limit) X(concurrency) X(jobs)
#define BOOL_FIELDS(X) X(batch) X(no_cache)

void eb_run_spec_defaults(eb_run_spec *s) {
    memset(s, 0, sizeof *s);
    s->n_runs = 3;
    s->temperature = 0.0;
    s->seed = 1234;
    s->concurrency = 16;
    s->jobs = 0; /* 0: number of cores */
    s->db_path = eb_strdup("results/evalbench.db");
    s->style = eb_strdup("auto");
}

void eb_run_spec_free(eb_run_spec *s) {
#define FREE_FIELD(f) free(s->f);
    STRING_FIELDS(FREE_FIELD)
#undef FREE_FIELD
    memset(s, 0, sizeof *s);
}

int eb_run_spec_validate(const eb_run_spec *s, eb_err *err) {
    if (!s->engine) return eb_err_set(err, "--engine is required (see evalbench run --help)");
    if (!s->suites || !*s->suites) return eb_err_set(err, "--suite is required (mmlu,humaneval,math,livecodebench)");
    size_t sl = strlen(s->suites);
    if (strstr(s->suites, ",,") || s->suites[0] == ',' || s->suites[sl - 1] == ',')
        return eb_err_set(err, "--suite \"%s\": an empty suite name between commas", s->suites);
    char **names;
    size_t n = eb_split(s->suites, ',', &names);
    int rc = n == 0 ? eb_err_set(err, "--suite: no suite named") : 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!eb_suite_is_known(names[i]))
            rc = eb_err_set(err, "--suite: unknown suite \"%s\" (known: mmlu, humaneval, math, livecodebench)", names[i]);
        for (size_t k = 0; k < i && rc == 0; k++)
            if (strcmp(names[k], names[i]) == 0) rc = eb_err_set(err, "--suite: \"%s\" is listed twice", names[i]);
    }
    eb_strv_free(names, n);
    if (rc) return rc;
    if (s->n_runs < 1 || s->n_runs > 1000) return eb_err_set(err, "--runs must be between 1 and 1000, got %ld", s->n_runs);
    /* written so that NaN fails too */
    if (!(s->temperature >= 0 && s->temperature <= 5))
        return eb_err_set(err, "--temperature must be in [0, 5], got %g", s->temperature);
    /* options an engine cannot start without are usage errors, not refusals */
    if (strcmp(s->engine, "replay") == 0 && (!s->replay_file || !*s->replay_file))
        return eb_err_set(err, "--engine replay needs --replay FILE.jsonl");
    if (strcmp(s->engine, "local") == 0 && (!s->model_path || !*s->model_path))
        return eb_err_set(err, "--engine local needs --model-path DIR (a Gemma 4 checkpoint directory)");
    if (s->limit < 0) return eb_err_set(err, "--limit must be >= 0, got %ld", s->limit);
    if (s->concurrency < 1 || s->concurrency > 4096) return eb_err_set(err, "--concurrency must be between 1 and 4096, got %ld", s->concurrency);
    if (s->jobs < 0 || s->jobs > 1024) return eb_err_set(err, "--jobs must be between 0 and 1024, got %ld", s->jobs);
    if (s->max_tokens < 0) return eb_err_set(err, "--max-tokens must be >= 0, got %ld", s->max_tokens);
    if (s->style && strcmp(s->style, "auto") && strcmp(s->style, "chat") && strcmp(s->style, "completion"))
        return eb_err_set(err, "--prompt-style must be auto, chat or completion, got \"%s\"", s->style);
    if (s->mmlu_mode && strcmp(s->mmlu_mode, "generate") && strcmp(s->mmlu_mode, "loglik"))
        return eb_err_set(err, "--mmlu-mode must be generate or loglik, got \"%s\"", s->mmlu_mode);
    if (s->math_set && strcmp(s->math_set, "math500") && strcmp(s->math_set, "full"))
        return eb_err_set(err, "--math-set must be math500 or full, got \"%s\"", s->math_set);
    return 0;
}

char *eb_run_spec_to_json(const eb_run_spec *s) {
    cJSON *o = cJSON_CreateObject();
#define PUT_STRING(f) \
    if (s->f) cJSON_AddStringToObject(o, #f, s->f);
    STRING_FIELDS(PUT_STRING)
#undef PUT_STRING
#define PUT_LONG(f) cJSON_AddNumberToObject(o, #f, (double)s->f);
    LONG_FIELDS(PUT_LONG)
#undef PUT_LONG
#define PUT_BOOL(f) cJSON_AddBoolToObject(o, #f, s->f);
    BOOL_FIELDS(PUT_BOOL)
#undef PUT_BOOL
    cJSON_AddNumberToObject(o, "temperature", s->temperature);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    char *out = eb_strdup(text);
    cJSON_free(text);
    return out;
}

int eb_run_spec_from_json(const char *json, eb_run_spec *s, eb_err *err) {
    cJSON *o = cJSON_Parse(json);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return eb_err_set(err, "stored run parameters are not a JSON object");
    }
    memset(s, 0, sizeof *s);
    const cJSON *v;
#define GET_STRING(f)                                   \
    v = cJSON_GetObjectItemCaseSensitive(o, #f);        \
    if (cJSON_IsString(v)) s->f = eb_strdup(v->valuestring);
    STRING_FIELDS(GET_STRING)
#undef GET_STRING
#define GET_LONG(f)                              \
    v = cJSON_GetObjectItemCaseSensitive(o, #f); \
    if (cJSON_IsNumber(v)) s->f = (long)v->valuedouble;
    LONG_FIELDS(GET_LONG)
#undef GET_LONG
#define GET_BOOL(f)                              \
    v = cJSON_GetObjectItemCaseSensitive(o, #f); \
    s->f = cJSON_IsTrue(v);
    BOOL_FIELDS(GET_BOOL)
#undef GET_BOOL
    v = cJSON_GetObjectItemCaseSensitive(o, "temperature");
    if (cJSON_IsNumber(v)) s->temperature = v->valuedouble;
    cJSON_Delete(o);
    return eb_run_spec_validate(s, err);
}
