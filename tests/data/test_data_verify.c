/* `evalbench data verify` on the real datasets (must pass) and on damaged
 * copies: one changed byte, a truncated CSV, a missing file, a changed file
 * that fetch had recorded, each failing with a message naming the file. */
#include "data.h"
#include "fetch_record.h"
#include "sha256.h"
#include "server_util.h"
#include "test_util.h"

static int verify(const char *dir, const char *suite, char **out_text, eb_err *err) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    eb_data_opts o = {.data_dir = dir, .out = out};
    if (suite) o.suites[o.n_suites++] = suite;
    int rc = eb_data_verify(&o, err);
    fclose(out);
    fputs(text, stdout);
    if (out_text) *out_text = text;
    else free(text);
    return rc;
}

static void flip_byte(const char *path, long offset) {
    size_t len = 0;
    char *d = slurp(path, &len);
    CHECK(d && (size_t)offset < len);
    if (!d || (size_t)offset >= len) return;
    d[offset] = d[offset] == 'a' ? 'b' : 'a';
    CHECK_INT(write_bytes(path, d, len), 0);
    free(d);
}

int main(void) {
    const char *shared = eb_test_data_dir();
    eb_err err = {{0}};
    char *text = NULL;

    /* The real data passes, with the published counts in the table. */
    int rc = verify(shared, NULL, &text, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    CHECK(text && strstr(text, "mmlu/data/test") && strstr(text, "14042"));
    CHECK(text && strstr(text, "mmlu/data/dev") && strstr(text, "285"));
    CHECK(text && strstr(text, "math/math_test_5000.jsonl") && strstr(text, "5000"));
    CHECK(text && strstr(text, "humaneval/HumanEval.jsonl.gz"));
    CHECK(text && strstr(text, "all files match"));
    free(text);

    char *work = make_tmpdir("verify");
    CHECK(work != NULL);
    if (!work) return eb_test_finish();
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cp -r '%s/mmlu' '%s/humaneval' '%s/math' '%s/' && chmod -R u+w '%s'", shared, shared,
             shared, work, work);
    CHECK_INT(run_cmd(cmd), 0);
    rc = verify(work, NULL, NULL, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);

    /* One changed byte inside a question: the row count still matches, the
     * hash does not. */
    char path[1024];
    snprintf(path, sizeof path, "%s/mmlu/data/test/anatomy_test.csv", work);
    flip_byte(path, 10);
    rc = verify(work, "mmlu", &text, &err);
    CHECK(rc != 0);
    CHECK_MSG(strstr(err.msg, "mmlu/data/test/anatomy_test.csv: sha256 mismatch") != NULL, "%s", err.msg);
    CHECK_MSG(strstr(err.msg, "expected ") != NULL && strstr(err.msg, ", got ") != NULL, "%s", err.msg);
    CHECK(text && strstr(text, "MISMATCH") && strstr(text, "verify: FAILED"));
    free(text);
    char *argv[] = {"data", "verify", "--data", work, "--suite", "mmlu", NULL};
    CHECK_INT(cmd_data(6, argv), 3);
    flip_byte(path, 10); /* back to the original */
    rc = verify(work, "mmlu", NULL, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);

    /* A truncated CSV: fewer rows, and the cut record is named. */
    snprintf(path, sizeof path, "%s/mmlu/data/dev/astronomy_dev.csv", work);
    size_t len = 0;
    char *d = slurp(path, &len);
    CHECK(d != NULL);
    if (d) {
        CHECK_INT(write_bytes(path, d, len / 2), 0);
        free(d);
    }
    rc = verify(work, "mmlu", &text, &err);
    CHECK(rc != 0);
    CHECK_MSG(strstr(err.msg, "astronomy_dev.csv") != NULL, "%s", err.msg);
    CHECK(text && strstr(text, "astronomy_dev.csv: sha256 mismatch"));
    CHECK(text && (strstr(text, "astronomy_dev.csv:") && (strstr(text, "rows, expected 5") ||
                                                           strstr(text, "expected 6") ||
                                                           strstr(text, "unterminated") ||
                                                           strstr(text, "expected a letter"))));
    free(text);

    /* A missing file among present ones. */
    snprintf(path, sizeof path, "%s/mmlu/data/val/virology_val.csv", work);
    CHECK_INT(unlink(path), 0);
    rc = verify(work, "mmlu", &text, &err);
    CHECK(rc != 0);
    CHECK(text && strstr(text, "virology_val.csv: missing"));
    free(text);

    /* JSON lines: a truncated MATH file names the broken line. */
    snprintf(path, sizeof path, "%s/math/math500_test.jsonl", work);
    d = slurp(path, &len);
    CHECK(d != NULL);
    if (d) {
        CHECK_INT(write_bytes(path, d, len - 100), 0);
        free(d);
    }
    rc = verify(work, "math", &text, &err);
    CHECK(rc != 0);
    CHECK(text && strstr(text, "math500_test.jsonl:500: line is not a JSON object"));
    free(text);

    /* A gzip file with a changed byte. */
    snprintf(path, sizeof path, "%s/humaneval/HumanEval.jsonl.gz", work);
    flip_byte(path, 20000);
    rc = verify(work, "humaneval", NULL, &err);
    CHECK(rc != 0);
    CHECK_MSG(strstr(err.msg, "HumanEval.jsonl.gz") != NULL, "%s", err.msg);
    /* ...and a truncated one: the row reader names the damage too */
    d = slurp(path, &len);
    CHECK(d != NULL);
    if (d) {
        CHECK_INT(write_bytes(path, d, len / 2), 0);
        free(d);
    }
    rc = verify(work, "humaneval", &text, &err);
    CHECK(rc != 0);
    CHECK(text && strstr(text, "HumanEval.jsonl.gz: damaged gzip data"));
    free(text);

    /* A file installed by fetch from an unpinned source is checked against
     * the hash recorded then: a different file passes when recorded... */
    char rel[] = "math/math500_test.jsonl";
    char hex[65];
    snprintf(cmd, sizeof cmd, "%s/math/math500_test.jsonl", shared);
    snprintf(path, sizeof path, "%s/math/math500_test.jsonl", work);
    d = slurp(cmd, &len);
    if (d) {
        /* a reformatted file: same rows, different bytes */
        char *p = strstr(d, "\"problem\"");
        CHECK(p != NULL);
        if (p) p[1] = 'P';
        CHECK_INT(write_bytes(path, d, len), 0);
        free(d);
    }
    CHECK_INT(eb_sha256_file(path, hex, &err), 0);
    eb_fetch_record rec = {0};
    eb_fetch_record_put(&rec, rel, hex, "http://example.invalid/test.jsonl");
    CHECK_INT(eb_fetch_record_save(work, &rec, &err), 0);
    eb_fetch_record_free(&rec);
    rc = verify(work, "math", &text, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    CHECK(text && strstr(text, "at fetch"));
    free(text);
    /* ...and fails once it changes after the fetch. */
    flip_byte(path, 50);
    rc = verify(work, "math", NULL, &err);
    CHECK(rc != 0);
    CHECK_MSG(strstr(err.msg, "recorded at fetch") != NULL, "%s", err.msg);

    /* An empty directory and an absent requested suite are errors. */
    char *empty = make_tmpdir("verify-empty");
    rc = verify(empty, NULL, NULL, &err);
    CHECK(rc != 0);
    CHECK_MSG(strstr(err.msg, "no dataset files found") != NULL, "%s", err.msg);
    rc = verify(empty, "livecodebench", NULL, &err);
    CHECK(rc != 0);
    CHECK_MSG(strstr(err.msg, "no files of suite livecodebench") != NULL, "%s", err.msg);
    remove_tree(empty);
    free(empty);

    remove_tree(work);
    free(work);
    return eb_test_finish();
}
