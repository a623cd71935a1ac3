/* The response cache never hands one answerer's responses to another that
 * shares its model label: real `evalbench run` processes on one SQLite file.
 *
 *  - replay: file A (every answer right), then file B under the same --model
 *    label (every answer wrong) must score 0% from its own answers, not 100%
 *    from A's; a byte-identical copy of A elsewhere is the same answerer and
 *    is answered from the cache;
 *  - local: two different checkpoints in directories of the same name
 *    (x/dense, y/dense) never share answers; a copy of x's files is the same
 *    model and does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli_util.h"
#include "fileio.h"
#include "suite.h"
#include "test_util.h"

/* `evalbench run ARGS` on the real data; must exit 0. */
static char *run(const char *args) {
    char full[4096], *out = NULL;
    snprintf(full, sizeof full, "run %s --data %s", args, eb_test_data_dir());
    int st = run_cli(full, &out);
    CHECK_MSG(st == 0, "evalbench run %s exits 0:\n%s", args, out);
    return out;
}

/* "(K from the response cache" in the run summary. */
static long from_cache(const char *out) {
    const char *p = strstr(out, " from the response cache");
    if (!p) return -1;
    while (p > out && p[-1] != '(') p--;
    return strtol(p, NULL, 10);
}

static void write_replay(const char *path, const eb_suite *s, size_t n, bool right) {
    eb_buf b = {0};
    for (size_t i = 0; i < n; i++) {
        eb_buf_printf(&b, "{\"suite\":\"math\",\"item_id\":\"%s\",\"response\":\"The answer is \\\\boxed{", s->items[i].id);
        if (right)
            for (const char *c = s->items[i].answer; *c; c++) {
                if (*c == '"' || *c == '\\') eb_buf_putc(&b, '\\');
                eb_buf_putc(&b, *c);
            }
        else eb_buf_puts(&b, "-98765");
        eb_buf_puts(&b, "}.\"}\n");
    }
    eb_err err;
    CHECK(eb_write_file_atomic(path, b.data, b.len, &err) == 0);
    eb_buf_free(&b);
}

static void check_replay(const char *dir) {
    const size_t N = 6;
    eb_suite_options o = {0};
    o.data_dir = eb_test_data_dir();
    o.style = EB_PROMPT_CHAT;
    o.limit = (long)N;
    eb_suite s;
    eb_err err = {{0}};
    CHECK(eb_suite_load("math", &o, &s, &err) == 0);
    char a[512], b[512], a2[512], args[2048];
    snprintf(a, sizeof a, "%s/right.jsonl", dir);
    snprintf(b, sizeof b, "%s/wrong.jsonl", dir);
    snprintf(a2, sizeof a2, "%s/right-copy.jsonl", dir);
    write_replay(a, &s, N, true);
    write_replay(b, &s, N, false);
    write_replay(a2, &s, N, true);
    eb_suite_free(&s);

    snprintf(args, sizeof args, "--engine replay --replay %s --model m --suite math --limit %zu --runs 1 --db %s/r.db", a,
             N, dir);
    char *out = run(args);
    CHECK_MSG(from_cache(out) == 0 && strstr(out, "100.00%"), "file A: its own answers, all right:\n%s", out);
    free(out);
    snprintf(args, sizeof args, "--engine replay --replay %s --model m --suite math --limit %zu --runs 1 --db %s/r.db", b,
             N, dir);
    out = run(args);
    CHECK_MSG(from_cache(out) == 0, "file B under the same label takes nothing from A's cache:\n%s", out);
    CHECK_MSG(strstr(out, "| 0.00%") != NULL, "file B scores its own wrong answers:\n%s", out);
    free(out);
    snprintf(args, sizeof args, "--engine replay --replay %s --model m --suite math --limit %zu --runs 1 --db %s/r.db",
             a2, N, dir);
    out = run(args);
    CHECK_MSG(from_cache(out) == (long)N, "a byte-identical copy of A is answered from the cache:\n%s", out);
    free(out);
}

static void copy_fixture(const char *name, const char *dst) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp %s/tests/fixtures/gemma4/%s/* '%s'/", dst, EVALBENCH_SOURCE_DIR, name,
             dst);
    CHECK(system(cmd) == 0);
}

static void check_local(const char *dir) {
    char x[512], y[512], z[512], args[2048];
    snprintf(x, sizeof x, "%s/x/dense", dir);
    snprintf(y, sizeof y, "%s/y/dense", dir);
    snprintf(z, sizeof z, "%s/z/dense", dir);
    copy_fixture("dense", x);
    copy_fixture("ple", y); /* another model, same directory name */
    copy_fixture("dense", z);
    const char *common = "--engine local --device cpu --suite mmlu --limit 3 --runs 1 --max-tokens 4";
    snprintf(args, sizeof args, "%s --model-path %s --db %s/l.db", common, x, dir);
    char *out = run(args);
    CHECK_MSG(from_cache(out) == 0, "x/dense asks the model:\n%s", out);
    free(out);
    snprintf(args, sizeof args, "%s --model-path %s --db %s/l.db", common, y, dir);
    out = run(args);
    CHECK_MSG(from_cache(out) == 0, "y/dense (another checkpoint, same name) asks its own model:\n%s", out);
    free(out);
    snprintf(args, sizeof args, "%s --model-path %s --db %s/l.db", common, z, dir);
    out = run(args);
    CHECK_MSG(from_cache(out) == 3, "z/dense (a copy of x) is answered from x's responses:\n%s", out);
    free(out);
}

int main(void) {
    setenv("EVALBENCH_THREADS", "2", 1);
    char dir[] = "/tmp/eb_cache_identity_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    check_replay(dir);
    check_local(dir);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return eb_test_finish();
}
