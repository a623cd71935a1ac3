/* The loaders on the real datasets: counts, fields, categories, hashes; and
 * clear errors for missing or damaged files. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "suite.h"
#include "test_util.h"

#define HEADER "The following are multiple choice questions (with answers) about  abstract algebra.\n\n"

static eb_suite_options opts(const char *data) {
    eb_suite_options o = {0};
    o.data_dir = data;
    o.style = EB_PROMPT_CHAT;
    return o;
}

static void test_mmlu(const char *data) {
    eb_suite_options o = opts(data);
    eb_suite s;
    eb_err err = {{0}};
    CHECK_MSG(eb_suite_load("mmlu", &o, &s, &err) == 0, "%s", err.msg);
    CHECK_INT(s.n_items, 14042);
    CHECK_INT(s.n_files, 57);
    size_t stem = 0, hum = 0, soc = 0, other = 0, law = 0;
    for (size_t i = 0; i < s.n_items; i++) {
        const eb_item *it = &s.items[i];
        if (!strcmp(it->category, "STEM")) stem++;
        else if (!strcmp(it->category, "humanities")) hum++;
        else if (!strcmp(it->category, "social sciences")) soc++;
        else if (!strcmp(it->category, "other")) other++;
        if (!strcmp(it->subject, "professional_law")) law++;
        if (strlen(it->answer) != 1 || it->answer[0] < 'A' || it->answer[0] > 'D') CHECK(!"answer letter");
        if (!it->dataset_sha256 || strlen(it->dataset_sha256) != 64) CHECK(!"dataset hash");
        /* the extractor's letter set follows the option count */
        if (it->n_choices != 4 || !it->choices[3]) CHECK(!"four options");
    }
    CHECK_INT(stem + hum + soc + other, 14042);
    CHECK_INT(law, 1534);
    /* Group sizes of the Hendrycks categories (as lm-eval mmlu_stem, _humanities, _social_sciences, _other). */
    CHECK_INT(stem, 3018);
    CHECK_INT(hum, 4705);
    CHECK_INT(soc, 3077);
    CHECK_INT(other, 3242);
    CHECK_STR(s.items[0].id, "abstract_algebra/0");
    CHECK(s.items[0].context == NULL);
    eb_suite_free(&s);

    /* loglik: 5-shot context with the original header (two spaces). */
    o.mmlu_mode = "loglik";
    o.limit = 57;
    CHECK_MSG(eb_suite_load("mmlu", &o, &s, &err) == 0, "%s", err.msg);
    CHECK_INT(s.n_items, 57); /* one per subject with a limit of 57 */
    CHECK_INT(s.n_files, 114); /* test + dev files */
    CHECK(s.items[0].context && strncmp(s.items[0].context, HEADER, strlen(HEADER)) == 0);
    int shots = 0;
    for (const char *p = s.items[0].context; (p = strstr(p, "\nAnswer: ")); p++) shots++;
    CHECK_INT(shots, 5);
    eb_suite_free(&s);
}

static void test_humaneval(const char *data) {
    eb_suite_options o = opts(data);
    eb_suite s;
    eb_err err = {{0}};
    CHECK_MSG(eb_suite_load("humaneval", &o, &s, &err) == 0, "%s", err.msg);
    CHECK_INT(s.n_items, 164);
    CHECK_INT(s.n_files, 2);
    CHECK_STR(s.files[0].sha256, "b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef");
    size_t with_plus = 0;
    for (size_t i = 0; i < s.n_items; i++) with_plus += s.items[i].plus_json != NULL;
    CHECK_INT(with_plus, 164);
    CHECK_STR(s.items[0].id, "HumanEval/0");
    CHECK_STR(s.items[0].entry_point, "has_close_elements");
    CHECK(strstr(s.items[0].test, "def check(candidate)") != NULL);
    eb_suite_free(&s);
}

static void test_math(const char *data) {
    eb_suite_options o = opts(data);
    eb_suite s;
    eb_err err = {{0}};
    CHECK_MSG(eb_suite_load("math", &o, &s, &err) == 0, "%s", err.msg);
    CHECK_INT(s.n_items, 500);
    CHECK_STR(s.files[0].sha256, "35dc41080a3680858b27fa7e0533d2d547825316fc5dafe5d316f4ccc5a06132");
    size_t level5 = 0;
    for (size_t i = 0; i < s.n_items; i++) level5 += strcmp(s.items[i].category, "Level 5") == 0;
    CHECK_INT(level5, 134);
    CHECK_STR(s.items[0].id, "test/precalculus/807.json");
    CHECK_STR(s.items[0].answer, "\\left( 3, \\frac{\\pi}{2} \\right)");
    eb_suite_free(&s);

    o.math_set = "full";
    CHECK_MSG(eb_suite_load("math", &o, &s, &err) == 0, "%s", err.msg);
    CHECK_INT(s.n_items, 5000);
    size_t algebra = 0;
    for (size_t i = 0; i < s.n_items; i++) algebra += strcmp(s.items[i].subject, "Algebra") == 0;
    CHECK_INT(algebra, 1187);
    eb_suite_free(&s);

    o.math_set = "nonsense";
    CHECK(eb_suite_load("math", &o, &s, &err) != 0);
    CHECK(strstr(err.msg, "nonsense") != NULL);
}

static void test_lcb(const char *data) {
    eb_suite_options o = opts(data);
    eb_suite s;
    eb_err err = {{0}};
    CHECK_MSG(eb_suite_load("livecodebench", &o, &s, &err) == 0, "%s", err.msg);
    CHECK_INT(s.n_items, 279);
    size_t atcoder = 0, leetcode = 0, functional = 0, tests = 0, with_func = 0;
    for (size_t i = 0; i < s.n_items; i++) {
        const eb_item *it = &s.items[i];
        atcoder += strcmp(it->subject, "atcoder") == 0;
        leetcode += strcmp(it->subject, "leetcode") == 0;
        tests += it->n_tests;
        with_func += it->func_name != NULL;
        for (size_t t = 0; t < it->n_tests; t++) functional += it->tests[t].functional;
    }
    CHECK_INT(atcoder, 175);
    CHECK_INT(leetcode, 104);
    CHECK_INT(tests, 736);
    CHECK(functional > 0);
    CHECK_INT(with_func, 104);
    CHECK_STR(s.items[0].id, "abc365_b");
    eb_suite_free(&s);

    /* Date window. */
    o.since = "2024-12-01";
    CHECK_MSG(eb_suite_load("livecodebench", &o, &s, &err) == 0, "%s", err.msg);
    CHECK(s.n_items > 0 && s.n_items < 279);
    for (size_t i = 0; i < s.n_items; i++) CHECK(strcmp(s.items[i].contest_date, "2024-12-01") >= 0);
    eb_suite_free(&s);
    o.since = NULL;
    o.lcb_release = "v6";
    CHECK(eb_suite_load("livecodebench", &o, &s, &err) != 0);
    CHECK(strstr(err.msg, "v6") != NULL);
}

/* A copy of the data with one damaged file: the error names file and line. */
static void test_errors(const char *data) {
    char tmpl[] = "/tmp/eb_suites_XXXXXX";
    char *dir = mkdtemp(tmpl);
    CHECK(dir != NULL);
    char path[512];
    snprintf(path, sizeof path, "%s/mmlu/data/test", dir);
    eb_err err = {{0}};
    CHECK(eb_mkdirs(path, &err) == 0);
    snprintf(path, sizeof path, "%s/mmlu/data/test/anatomy_test.csv", dir);
    const char *bad = "q1,a,b,c,d,A\nq2,a,b,c,d,E\n";
    CHECK(eb_write_file_atomic(path, bad, strlen(bad), &err) == 0);
    eb_suite_options o = opts(dir);
    eb_suite s;
    CHECK(eb_suite_load("mmlu", &o, &s, &err) != 0);
    CHECK_MSG(strstr(err.msg, "anatomy_test.csv:2") != NULL, "%s", err.msg);
    CHECK(strstr(err.msg, "answer column") != NULL);
    unlink(path);

    CHECK(eb_suite_load("humaneval", &o, &s, &err) != 0);
    CHECK_MSG(strstr(err.msg, "HumanEval.jsonl.gz") != NULL, "%s", err.msg);

    /* Truncated gzip. */
    char *gz;
    size_t len;
    char src[512];
    snprintf(src, sizeof src, "%s/humaneval/HumanEval.jsonl.gz", data);
    CHECK(eb_read_file(src, &gz, &len, &err) == 0); /* inflated text */
    free(gz);
    FILE *f = fopen(src, "rb");
    char raw[4096];
    size_t got = fread(raw, 1, sizeof raw, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/humaneval", dir);
    CHECK(eb_mkdirs(path, &err) == 0);
    snprintf(path, sizeof path, "%s/humaneval/HumanEval.jsonl.gz", dir);
    CHECK(eb_write_file_atomic(path, raw, got, &err) == 0);
    CHECK(eb_suite_load("humaneval", &o, &s, &err) != 0);
    CHECK_MSG(strstr(err.msg, "truncated") != NULL || strstr(err.msg, "invalid JSON") != NULL, "%s", err.msg);
    unlink(path);

    /* JSONL with a bad line: file and line named. */
    snprintf(path, sizeof path, "%s/math", dir);
    CHECK(eb_mkdirs(path, &err) == 0);
    snprintf(path, sizeof path, "%s/math/math500_test.jsonl", dir);
    const char *jl = "{\"problem\":\"1+1\",\"solution\":\"\\\\boxed{2}\",\"answer\":\"2\",\"subject\":\"Algebra\",\"level\":1,\"unique_id\":\"a\"}\n{\"problem\": 5}\n";
    CHECK(eb_write_file_atomic(path, jl, strlen(jl), &err) == 0);
    CHECK(eb_suite_load("math", &o, &s, &err) != 0);
    CHECK_MSG(strstr(err.msg, "math500_test.jsonl:2") != NULL, "%s", err.msg);
    unlink(path);
    CHECK(eb_suite_load("nosuch", &o, &s, &err) != 0);
    CHECK(strstr(err.msg, "unknown suite") != NULL);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

int main(void) {
    const char *data = eb_test_data_dir();
    CHECK_MSG(eb_is_dir(data), "dataset directory %s is missing", data);
    test_mmlu(data);
    test_humaneval(data);
    test_math(data);
    test_lcb(data);
    test_errors(data);
    return eb_test_finish();
}
