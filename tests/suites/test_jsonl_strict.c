/* JSONL files are read by length, one JSON object per line: a NUL byte, two
 * objects on one line or trailing text after an object is an error naming
 * the file and line, never a silently shorter dataset or replay file.  Checked
 * on the parser itself and through the real MATH-500 loader on a copy of the
 * real file with one line damaged.  Item ids are unique within a suite: a
 * duplicated line is refused at load, naming both positions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "fileio.h"
#include "jsonutil.h"
#include "suite.h"
#include "test_util.h"

static int count(const cJSON *obj, eb_jloc loc, void *ctx, eb_err *err) {
    (void)obj;
    (void)loc;
    (void)err;
    (*(int *)ctx)++;
    return 0;
}

static void expect(const char *text, size_t len, int want_rc, int want_n, const char *msg_part) {
    eb_err err = {{0}};
    int n = 0;
    int rc = eb_jsonl_each("t.jsonl", text, len, count, &n, &err);
    CHECK_MSG(rc == want_rc && (want_rc != 0 || n == want_n), "rc %d n %d for %.*s", rc, n, (int)len, text);
    if (msg_part) CHECK_MSG(strstr(err.msg, msg_part) != NULL, "message \"%s\" has \"%s\"", err.msg, msg_part);
}

static void check_parser(void) {
    const char ok[] = "{\"a\":1}\n\n  {\"a\":2}  \r\n{\"a\":3}";
    expect(ok, sizeof ok - 1, 0, 3, NULL);
    const char nul[] = "{\"a\":1}\n{\"a\":2}\n\0{\"a\":3}\n{\"a\":4}\n";
    expect(nul, sizeof nul - 1, -1, 0, "t.jsonl:3: NUL byte");
    const char two[] = "{\"a\":1}\n{\"a\":2} {\"a\":3}\n";
    expect(two, sizeof two - 1, -1, 0, "t.jsonl:2: unexpected text after the JSON object");
    const char junk[] = "{\"a\":1}garbage\n";
    expect(junk, sizeof junk - 1, -1, 0, "t.jsonl:1: unexpected text");
    const char arr[] = "[1,2]\n";
    expect(arr, sizeof arr - 1, -1, 0, "t.jsonl:1: expected a JSON object");
}

/* Loads MATH-500 from a copy of the real file that `damage` rewrote (it
 * returns the new bytes, or NULL to skip) and expects the load to fail
 * with a message containing `needle`. */
typedef char *(*damage_fn)(const char *text, size_t len, size_t *out_len);

static void expect_refused(damage_fn damage, const char *what, const char *needle) {
    char dir[] = "/tmp/eb_jsonl_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char src[1024], sub[1100], dst[1200];
    snprintf(src, sizeof src, "%s/math/math500_test.jsonl", eb_test_data_dir());
    snprintf(sub, sizeof sub, "%s/math", dir);
    snprintf(dst, sizeof dst, "%s/math500_test.jsonl", sub);
    mkdir(sub, 0755);
    char *text = NULL;
    size_t len = 0, out_len = 0;
    eb_err err = {{0}};
    CHECK_MSG(eb_read_file(src, &text, &len, &err) == 0, "%s", err.msg);
    char *bad = text ? damage(text, len, &out_len) : NULL;
    CHECK_MSG(bad != NULL, "%s: the real file has the shape the damage needs", what);
    if (bad) {
        CHECK(eb_write_file_atomic(dst, bad, out_len, &err) == 0);
        eb_suite_options o = {0};
        o.data_dir = dir;
        o.style = EB_PROMPT_CHAT;
        eb_suite s;
        int rc = eb_suite_load("math", &o, &s, &err);
        CHECK_MSG(rc != 0, "%s is refused", what);
        CHECK_MSG(strstr(err.msg, needle) != NULL, "%s: the error says \"%s\": %s", what, needle, err.msg);
        if (rc == 0) eb_suite_free(&s);
    }
    free(bad);
    free(text);
    char cmd[1300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

/* a NUL byte inside line 4 */
static char *nul_in_line_4(const char *text, size_t len, size_t *out_len) {
    const char *p = text;
    for (int nl = 0; p && nl < 3; nl++) {
        const char *e = memchr(p, '\n', len - (size_t)(p - text));
        p = e ? e + 1 : NULL;
    }
    if (!p || p + 10 >= text + len) return NULL;
    char *out = malloc(len);
    memcpy(out, text, len);
    out[(p - text) + 10] = '\0';
    *out_len = len;
    return out;
}

/* the first line again at the end */
static char *first_line_twice(const char *text, size_t len, size_t *out_len) {
    const char *nl = memchr(text, '\n', len);
    if (!nl) return NULL;
    size_t first = (size_t)(nl - text) + 1, n = len;
    char *out = malloc(len + first + 1);
    memcpy(out, text, len);
    if (out[n - 1] != '\n') out[n++] = '\n';
    memcpy(out + n, text, first);
    *out_len = n + first;
    return out;
}

/* A copy of the LiveCodeBench subset whose first problem has no tests is
 * refused at load, naming the problem. */
static void check_lcb_without_tests(void) {
    char dir[] = "/tmp/eb_lcb_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cp -r '%s/livecodebench' '%s'/", eb_test_data_dir(), dir);
    CHECK(system(cmd) == 0);
    char path[1200];
    snprintf(path, sizeof path, "%s/livecodebench/rllm_livecodebench_2408_2502_public_tests.json", dir);
    char *text = NULL;
    size_t len = 0;
    eb_err err = {{0}};
    CHECK_MSG(eb_read_file(path, &text, &len, &err) == 0, "%s", err.msg);
    cJSON *all = text ? cJSON_ParseWithLength(text, len) : NULL;
    cJSON *first = cJSON_GetArrayItem(all, 0);
    CHECK(first && cJSON_GetObjectItem(first, "tests"));
    if (first && cJSON_GetObjectItem(first, "tests")) {
        cJSON_ReplaceItemInObject(first, "tests", cJSON_CreateArray());
        char *out = cJSON_PrintUnformatted(all);
        CHECK(eb_write_file_atomic(path, out, strlen(out), &err) == 0);
        cJSON_free(out);
        eb_suite_options o = {0};
        o.data_dir = dir;
        o.style = EB_PROMPT_CHAT;
        eb_suite s;
        int rc = eb_suite_load("livecodebench", &o, &s, &err);
        CHECK_MSG(rc != 0 && strstr(err.msg, "has no tests"), "a problem without tests is refused: %s", err.msg);
        if (rc == 0) eb_suite_free(&s);
    }
    cJSON_Delete(all);
    free(text);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

int main(void) {
    check_parser();
    expect_refused(nul_in_line_4, "a NUL byte in line 4", "math500_test.jsonl:4: NUL byte");
    expect_refused(first_line_twice, "a duplicated item id", "appears twice: items 1 and 501");
    check_lcb_without_tests();
    return eb_test_finish();
}
