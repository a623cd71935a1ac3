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

/* A copy of MATH-500 with a NUL byte inside line 4. */
static void check_loader(void) {
    char dir[] = "/tmp/eb_jsonl_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char src[1024], sub[1100], dst[1200];
    snprintf(src, sizeof src, "%s/math/math500_test.jsonl", eb_test_data_dir());
    snprintf(sub, sizeof sub, "%s/math", dir);
    snprintf(dst, sizeof dst, "%s/math500_test.jsonl", sub);
    mkdir(sub, 0755);
    char *text = NULL;
    size_t len = 0;
    eb_err err = {{0}};
    CHECK_MSG(eb_read_file(src, &text, &len, &err) == 0, "%s", err.msg);
    char *p = text;
    for (int nl = 0; p && nl < 3; nl++) p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL;
    CHECK(p && p + 10 < text + len);
    if (p && p + 10 < text + len) {
        p[10] = '\0';
        CHECK(eb_write_file_atomic(dst, text, len, &err) == 0);
        eb_suite_options o = {0};
        o.data_dir = dir;
        o.style = EB_PROMPT_CHAT;
        eb_suite s;
        int rc = eb_suite_load("math", &o, &s, &err);
        CHECK_MSG(rc != 0, "a NUL byte in line 4 is refused, not the end of the dataset");
        CHECK_MSG(strstr(err.msg, "math500_test.jsonl:4") != NULL, "the error names file and line: %s", err.msg);
        if (rc == 0) eb_suite_free(&s);
    }
    free(text);
    char cmd[1300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

/* A copy of MATH-500 whose first line appears again at the end: the
 * duplicate id is refused with both positions. */
static void check_duplicate_ids(void) {
    char dir[] = "/tmp/eb_dupid_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char src[1024], sub[1100], dst[1200];
    snprintf(src, sizeof src, "%s/math/math500_test.jsonl", eb_test_data_dir());
    snprintf(sub, sizeof sub, "%s/math", dir);
    snprintf(dst, sizeof dst, "%s/math500_test.jsonl", sub);
    mkdir(sub, 0755);
    char *text = NULL;
    size_t len = 0;
    eb_err err = {{0}};
    CHECK_MSG(eb_read_file(src, &text, &len, &err) == 0, "%s", err.msg);
    const char *nl = text ? memchr(text, '\n', len) : NULL;
    CHECK(nl != NULL);
    if (nl) {
        size_t first = (size_t)(nl - text) + 1;
        char *both = malloc(len + first + 1);
        memcpy(both, text, len);
        size_t n = len;
        if (both[n - 1] != '\n') both[n++] = '\n';
        memcpy(both + n, text, first);
        CHECK(eb_write_file_atomic(dst, both, n + first, &err) == 0);
        free(both);
        eb_suite_options o = {0};
        o.data_dir = dir;
        o.style = EB_PROMPT_CHAT;
        eb_suite s;
        int rc = eb_suite_load("math", &o, &s, &err);
        CHECK_MSG(rc != 0, "a duplicated item id is refused");
        CHECK_MSG(strstr(err.msg, "appears twice: items 1 and 501") != NULL, "both positions named: %s", err.msg);
        if (rc == 0) eb_suite_free(&s);
    }
    free(text);
    char cmd[1300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

int main(void) {
    check_parser();
    check_loader();
    check_duplicate_ids();
    return eb_test_finish();
}
