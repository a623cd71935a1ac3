/* LiveCodeBench scoring with real python3 in the real sandbox, on problems
 * of our public-test copy: hand-written correct solutions (in
 * lcb_solutions/) pass, deliberately wrong ones fail with the right verdict,
 * and the tolerant verdict is kept apart from the official one. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "code_score.h"
#include "code_test_data.h"
#include "test_util.h"

typedef struct expectation {
    const char *file;    /* under tests/code/lcb_solutions/ */
    int correct;         /* official score */
    const char *verdict; /* overall verdict */
    int tolerant;        /* float-tolerant verdict */
} expectation;

static const expectation expectations[] = {
    /* standard input */
    {"abc365_b.py", 1, "passed", 1},
    {"abc365_b.wrong_answer.py", 0, "failed", 0},
    {"abc365_a.py", 1, "passed", 1},
    {"abc365_a.runtime_error.py", 0, "runtime_error", 0},
    {"abc366_a.py", 1, "passed", 1},
    {"abc366_a.timeout.py", 0, "timeout", 0},
    {"abc367_b.py", 1, "passed", 1},
    {"abc367_b.decimal_equal.py", 1, "passed", 1},
    {"abc375_b.py", 0, "failed", 1},
    /* functional */
    {"3517.py", 1, "passed", 1},
    {"3517.runtime_error.py", 0, "runtime_error", 0},
    {"3533.py", 1, "passed", 1},
    {"3533.wrong_answer.py", 0, "failed", 0},
    {"3535.py", 1, "passed", 1},
    {"3535.timeout.py", 0, "timeout", 0},
    {"3613.py", 1, "passed", 1},
};
#define N_EXPECT (sizeof expectations / sizeof expectations[0])

typedef struct problem {
    char *question_id;
    eb_item item;
} problem;

/* The method name of a LeetCode starter ("def name(self"), as the loader
 * derives metadata.func_name for this copy, which lacks the metadata. */
static char *func_name_from_starter(const char *starter) {
    const char *p = starter ? strstr(starter, "def ") : NULL;
    if (!p) return NULL;
    p += 4;
    const char *e = p;
    while (isalnum((unsigned char)*e) || *e == '_') e++;
    return e > p ? eb_strndup(p, (size_t)(e - p)) : NULL;
}

static size_t load_problems(problem **out) {
    char path[4096];
    snprintf(path, sizeof path, "%s/livecodebench/rllm_livecodebench_2408_2502_public_tests.json",
             eb_test_data_dir());
    char *data = NULL;
    size_t len = 0;
    eb_err err = {{0}};
    CHECK_MSG(eb_read_file(path, &data, &len, &err) == 0, "%s", err.msg);
    cJSON *arr = cJSON_Parse(data ? data : "");
    free(data);
    CHECK(cJSON_IsArray(arr));
    char **ids;
    snprintf(path, sizeof path, "%s/livecodebench/qwq_livecodebench_v5_2408_2502_prompts.jsonl", eb_test_data_dir());
    size_t nids = ct_read_lines(path, &ids);
    size_t n = (size_t)cJSON_GetArraySize(arr);
    CHECK_INT(n, 279);
    CHECK_INT(nids, 279);
    if (nids < n) n = nids;
    problem *v = eb_calloc(n ? n : 1, sizeof *v);
    size_t with_tests = 0, functional = 0;
    for (size_t i = 0; i < n; i++) {
        cJSON *meta = cJSON_Parse(ids[i]);
        v[i].question_id = ct_json_str(meta, "question_id");
        cJSON_Delete(meta);
        const cJSON *row = cJSON_GetArrayItem(arr, (int)i);
        eb_item *it = &v[i].item;
        it->suite = "livecodebench";
        it->id = eb_strdup(v[i].question_id ? v[i].question_id : "?");
        it->question = ct_json_str(row, "problem");
        it->starter_code = ct_json_str(row, "starter_code");
        /* `tests` is a list, or a string holding a list. */
        const cJSON *tests = cJSON_GetObjectItemCaseSensitive(row, "tests");
        cJSON *parsed = NULL;
        if (cJSON_IsString(tests)) tests = parsed = cJSON_Parse(tests->valuestring);
        size_t nt = cJSON_IsArray(tests) ? (size_t)cJSON_GetArraySize(tests) : 0;
        it->tests = eb_calloc(nt ? nt : 1, sizeof *it->tests);
        const cJSON *tc;
        cJSON_ArrayForEach(tc, tests) {
            eb_test_case *c = &it->tests[it->n_tests++];
            c->input = ct_json_str(tc, "input");
            c->output = ct_json_str(tc, "output");
            const cJSON *type = cJSON_GetObjectItemCaseSensitive(tc, "testtype");
            c->functional = cJSON_IsString(type) && strcmp(type->valuestring, "functional") == 0;
            c->is_private = false;
        }
        cJSON_Delete(parsed);
        if (it->n_tests > 0 && it->tests[0].functional) {
            it->func_name = func_name_from_starter(it->starter_code);
            functional++;
        }
        with_tests += it->n_tests > 0;
        free(ids[i]);
    }
    for (size_t i = n; i < nids; i++) free(ids[i]);
    free(ids);
    cJSON_Delete(arr);
    CHECK_INT(with_tests, 279);
    CHECK(functional > 50 && functional < 200);
    *out = v;
    return n;
}

static char *read_solution(const char *file) {
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/code/lcb_solutions/%s", EVALBENCH_SOURCE_DIR, file);
    char *data = NULL;
    size_t len = 0;
    eb_err err = {{0}};
    CHECK_MSG(eb_read_file(path, &data, &len, &err) == 0, "%s", err.msg);
    return data;
}

typedef struct ctx {
    problem *problems;
    size_t n;
    eb_executor *ex;
    int ok[N_EXPECT];
} ctx;

static void check_one(size_t k, void *arg) {
    ctx *c = arg;
    const expectation *e = &expectations[k];
    char qid[64];
    snprintf(qid, sizeof qid, "%.*s", (int)strcspn(e->file, "."), e->file);
    problem *p = NULL;
    for (size_t i = 0; i < c->n; i++)
        if (c->problems[i].question_id && strcmp(c->problems[i].question_id, qid) == 0) p = &c->problems[i];
    if (!p) {
        fprintf(stderr, "%s: problem %s not in the data\n", e->file, qid);
        return;
    }
    char *code = read_solution(e->file);
    if (!code) return;
    eb_score s = {0};
    eb_err err = {{0}};
    int rc = eb_score_livecodebench(&p->item, code, c->ex, &s, &err);
    cJSON *d = cJSON_Parse(s.details_json ? s.details_json : "");
    const cJSON *tol = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "tolerant"), "correct");
    int tolerant = cJSON_IsTrue(tol);
    int sets_ok = s.n_tests == p->item.n_tests;
    for (size_t i = 0; sets_ok && i < s.n_tests; i++)
        sets_ok = strcmp(s.tests[i].test_set, "public") == 0 && s.tests[i].index == (int)i;
    int ok = rc == 0 && s.correct == e->correct && s.verdict && strcmp(s.verdict, e->verdict) == 0 &&
             tolerant == e->tolerant && s.correct_plus == -1 && sets_ok;
    /* A failure names the failing test; passing tests carry timings. */
    if (ok && !e->correct) ok = cJSON_GetObjectItem(d, "first_failure") != NULL;
    if (!ok)
        fprintf(stderr, "%s: rc %d (%s) correct %d verdict %s details %s\n", e->file, rc, err.msg, s.correct,
                s.verdict ? s.verdict : "-", s.details_json ? s.details_json : "-");
    c->ok[k] = ok;
    cJSON_Delete(d);
    ct_score_free(&s);
    free(code);
}

/* State does not leak between standard-input tests: each test is a fresh
 * process, so a file written by one is gone for the next. */
static void test_isolation(problem *p, eb_executor *ex) {
    const char *code =
        "import os\n"
        "seen = os.path.exists('/tmp/eb_marker')\n"
        "open('/tmp/eb_marker', 'w').write('x')\n"
        "n = int(input())\n"
        "a = list(map(int, input().split()))\n"
        "print('seen' if seen else sorted(range(n), key=lambda i: -a[i])[1] + 1)\n";
    eb_score s = {0};
    eb_err err = {{0}};
    CHECK(eb_score_livecodebench(&p->item, code, ex, &s, &err) == 0);
    CHECK_MSG(s.correct == 1, "isolation: %s", s.details_json ? s.details_json : "-");
    ct_score_free(&s);
}

/* Public and private tests are numbered within their own sets, and a
 * failure in a private test fails the problem. */
static void test_private_set(problem *p, eb_executor *ex) {
    eb_item it = p->item; /* shallow copy with its own test array */
    it.tests = eb_calloc(it.n_tests, sizeof *it.tests);
    memcpy(it.tests, p->item.tests, it.n_tests * sizeof *it.tests);
    for (size_t i = it.n_tests / 2; i < it.n_tests; i++) it.tests[i].is_private = true;
    char *code = read_solution("abc365_a.py");
    eb_score s = {0};
    eb_err err = {{0}};
    CHECK(code && eb_score_livecodebench(&it, code, ex, &s, &err) == 0);
    CHECK_INT(s.correct, 1);
    CHECK_INT(s.n_tests, 4);
    if (s.n_tests == 4) {
        CHECK_STR(s.tests[1].test_set, "public");
        CHECK_INT(s.tests[1].index, 1);
        CHECK_STR(s.tests[2].test_set, "private");
        CHECK_INT(s.tests[2].index, 0);
        CHECK_STR(s.tests[3].test_set, "private");
        CHECK_INT(s.tests[3].index, 1);
    }
    ct_score_free(&s);
    /* Wrong only on the last (private) test, the year 1600. */
    const char *wrong = "y = int(input())\nprint(365 if y == 1600 else (366 if y % 4 == 0 and y % 100 != 0 else 365))\n";
    CHECK(eb_score_livecodebench(&it, wrong, ex, &s, &err) == 0);
    CHECK_INT(s.correct, 0);
    CHECK_STR(s.verdict, "failed");
    if (s.n_tests == 4) {
        CHECK_STR(s.tests[2].verdict, "passed");
        CHECK_STR(s.tests[3].verdict, "failed");
        CHECK(s.tests[3].detail && strstr(s.tests[3].detail, "got '365' expected '366'"));
    }
    CHECK(s.details_json && strstr(s.details_json, "\"set\":\"private\""));
    ct_score_free(&s);
    /* A syntax error is a runtime error of the first test; the rest are skipped. */
    CHECK(eb_score_livecodebench(&it, "def broken(:\n", ex, &s, &err) == 0);
    CHECK_STR(s.verdict, "runtime_error");
    if (s.n_tests == 4) {
        CHECK(s.tests[0].detail && strstr(s.tests[0].detail, "SyntaxError"));
        CHECK_STR(s.tests[3].verdict, "skipped");
    }
    ct_score_free(&s);
    free(code);
    free(it.tests);
}

int main(void) {
    problem *problems = NULL;
    size_t n = load_problems(&problems);
    eb_err err = {{0}};
    eb_executor_options opts = {.jobs = 3, .python = NULL, .fast_path = 1};
    eb_executor *ex = eb_executor_create(&opts, &err);
    CHECK_MSG(ex != NULL, "executor: %s", err.msg);
    if (ex && n > 0) {
        ctx c = {.problems = problems, .n = n, .ex = ex};
        ct_parallel(N_EXPECT, 3, check_one, &c);
        for (size_t k = 0; k < N_EXPECT; k++) CHECK_MSG(c.ok[k], "%s", expectations[k].file);
        for (size_t i = 0; i < n; i++)
            if (problems[i].question_id && strcmp(problems[i].question_id, "abc365_b") == 0)
                test_isolation(&problems[i], ex);
            else if (problems[i].question_id && strcmp(problems[i].question_id, "abc365_a") == 0)
                test_private_set(&problems[i], ex);

        /* A functional test set on a problem without func_name is refused. */
        eb_item bad = problems[0].item;
        bad.func_name = NULL;
        for (size_t i = 0; i < n; i++)
            if (problems[i].item.func_name) {
                bad = problems[i].item;
                bad.func_name = NULL;
                break;
            }
        eb_score s = {0};
        CHECK(eb_score_livecodebench(&bad, "pass", ex, &s, &err) == -1);
        CHECK(strstr(err.msg, "func_name") != NULL);
        ct_score_free(&s);
    }
    if (ex) eb_executor_destroy(ex);
    for (size_t i = 0; i < n; i++) {
        free(problems[i].question_id);
        ct_item_free(&problems[i].item);
    }
    free(problems);
    return eb_test_finish();
}
