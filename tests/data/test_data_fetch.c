/* `evalbench data fetch` against a real HTTP server on loopback
 * (tests/data/range_server.py) serving copies of the real datasets:
 * byte-identical results, resume after a dropped connection and across
 * runs, stale partial files, sha256 mismatches keeping the old file, the
 * MMLU data.tar subset and the MATH.tar conversion, and skipping files that
 * are already installed. */
#include <cjson/cJSON.h>

#include "data.h"
#include "server_util.h"
#include "test_util.h"

static test_server srv;
static const char *shared;

static int fetch(const char *dir, const char *suites, const char *mode, int force, eb_err *err) {
    char mirror[256];
    snprintf(mirror, sizeof mirror, "http://127.0.0.1:%d/%s/", srv.port, mode);
    eb_data_opts o = {.data_dir = dir, .mirror = mirror, .force = force, .out = stdout};
    char *copy = strdup(suites), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t && o.n_suites < EB_DATA_MAX_SUITES; t = strtok_r(NULL, ",", &save))
        o.suites[o.n_suites++] = strcmp(t, "humaneval_plus") == 0 ? "humaneval_plus"
                                 : strcmp(t, "humaneval") == 0    ? "humaneval"
                                 : strcmp(t, "mmlu") == 0         ? "mmlu"
                                                                  : "math";
    int rc = eb_data_fetch(&o, err);
    free(copy);
    fflush(stdout);
    return rc;
}

static char *path2(const char *a, const char *b) {
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

static int same_rel(const char *dir, const char *rel) {
    char *a = path2(dir, rel), *b = path2(shared, rel);
    int s = same_file(a, b);
    if (!s) fprintf(stderr, "differs: %s\n", rel);
    free(a);
    free(b);
    return s;
}

static void test_full_fetch(const char *work) {
    char *dir = path2(work, "full");
    eb_err err = {{0}};
    int rc = fetch(dir, "mmlu,humaneval,humaneval_plus,math", "plain", 0, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    CHECK(same_rel(dir, "humaneval/HumanEval.jsonl.gz"));
    CHECK(same_rel(dir, "humaneval_plus/HumanEvalPlus.jsonl.gz"));
    CHECK(same_rel(dir, "humaneval_plus/HumanEvalPlus-Mini.jsonl.gz"));
    CHECK(same_rel(dir, "humaneval_plus/HumanEvalPlus-NoExtreme.jsonl.gz"));
    CHECK(same_rel(dir, "humaneval_plus/HumanEvalPlus-OriginFmt.jsonl.gz"));
    CHECK(same_rel(dir, "math/math500_test.jsonl"));

    /* Every MMLU CSV of the archive, byte for byte; nothing else. */
    const char *splits[] = {"dev", "val", "test"};
    int csvs = 0, identical = 0;
    for (int s = 0; s < 3; s++) {
        char rel[128];
        snprintf(rel, sizeof rel, "mmlu/data/%s", splits[s]);
        char *src = path2(shared, rel);
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "ls '%s'", src);
        FILE *p = popen(cmd, "r");
        char name[256];
        while (p && fgets(name, sizeof name, p)) {
            name[strcspn(name, "\n")] = '\0';
            char file[512];
            snprintf(file, sizeof file, "%s/%s", rel, name);
            csvs++;
            identical += same_rel(dir, file);
        }
        if (p) pclose(p);
        free(src);
    }
    CHECK_INT(csvs, 171);
    CHECK_INT(identical, 171);
    char *aux = path2(dir, "mmlu/data/auxiliary_train");
    char *readme = path2(dir, "mmlu/data/README.txt");
    char *dot = path2(dir, "mmlu/data/test/._abstract_algebra_test.csv");
    char *tar = path2(dir, "mmlu/data.tar");
    struct stat st;
    CHECK(stat(aux, &st) != 0);    /* not in the subset */
    CHECK(stat(readme, &st) != 0);
    CHECK(stat(dot, &st) != 0);    /* macOS metadata skipped */
    CHECK(stat(tar, &st) != 0);    /* archive removed after unpacking */
    free(aux);
    free(readme);
    free(dot);
    free(tar);

    /* MATH.tar (one JSON file per problem) became the 5,000-line file with
     * the same problems; unique_id names the member each came from. */
    char *conv = path2(dir, "math/math_test_5000.jsonl");
    char *orig = path2(shared, "math/math_test_5000.jsonl");
    char *a = slurp(conv, NULL), *b = slurp(orig, NULL);
    CHECK(a && b);
    int lines = 0, matched = 0;
    if (a && b) {
        /* index the original rows by idx */
        char **by_idx = calloc(5000, sizeof *by_idx);
        char *save = NULL;
        for (char *l = strtok_r(b, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
            cJSON *j = cJSON_Parse(l);
            cJSON *idx = cJSON_GetObjectItem(j, "idx");
            if (cJSON_IsNumber(idx) && idx->valueint >= 0 && idx->valueint < 5000) by_idx[idx->valueint] = l;
            cJSON_Delete(j);
        }
        save = NULL;
        for (char *l = strtok_r(a, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
            lines++;
            cJSON *j = cJSON_Parse(l);
            cJSON *uid = cJSON_GetObjectItem(j, "unique_id");
            const char *slash = cJSON_IsString(uid) ? strrchr(uid->valuestring, '/') : NULL;
            int n = slash ? atoi(slash + 1) : -1;
            if (n >= 0 && n < 5000 && by_idx[n]) {
                cJSON *o = cJSON_Parse(by_idx[n]);
                int same = 1;
                const char *keys[] = {"problem", "level", "type", "solution"};
                for (int k = 0; k < 4; k++) {
                    cJSON *x = cJSON_GetObjectItem(j, keys[k]), *y = cJSON_GetObjectItem(o, keys[k]);
                    same &= cJSON_IsString(x) && cJSON_IsString(y) && strcmp(x->valuestring, y->valuestring) == 0;
                }
                matched += same;
                cJSON_Delete(o);
            }
            cJSON_Delete(j);
        }
        free(by_idx);
    }
    CHECK_INT(lines, 5000);
    CHECK_INT(matched, 5000);
    free(a);
    free(b);
    free(conv);
    free(orig);

    /* A second fetch finds everything installed and sends no request. */
    int before = test_server_count(&srv, "GET", NULL);
    rc = fetch(dir, "mmlu,humaneval,humaneval_plus,math", "plain", 0, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    CHECK_INT(test_server_count(&srv, "GET", NULL), before);

    /* verify through the command line entry point */
    char *argv[] = {"data", "verify", "--data", dir, NULL};
    CHECK_INT(cmd_data(4, argv), 0);
    free(dir);
}

/* The server drops the first connection after 300,000 bytes; fetch must
 * continue with a Range request and end with the exact file. */
static void test_resume_after_drop(const char *work) {
    char *dir = path2(work, "resume");
    eb_err err = {{0}};
    int rc = fetch(dir, "humaneval_plus", "cut300000", 0, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    CHECK(same_rel(dir, "humaneval_plus/HumanEvalPlus.jsonl.gz"));
    CHECK(same_rel(dir, "humaneval_plus/HumanEvalPlus-OriginFmt.jsonl.gz"));
    CHECK_INT(test_server_count(&srv, "/cut300000/humaneval_plus/HumanEvalPlus.jsonl.gz - 200", NULL), 1);
    CHECK_INT(test_server_count(&srv, "/cut300000/humaneval_plus/HumanEvalPlus.jsonl.gz bytes=300000- 206", NULL), 1);
    char *part = path2(dir, "humaneval_plus/HumanEvalPlus.jsonl.gz.part");
    struct stat st;
    CHECK(stat(part, &st) != 0);
    free(part);
    free(dir);
}

/* A .part left by an earlier interrupted run is continued, not restarted;
 * a .part holding garbage is detected by the hash and fetched again. */
static void test_resume_across_runs(const char *work) {
    char *dir = path2(work, "partial");
    char *hdir = path2(dir, "humaneval");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", hdir);
    CHECK_INT(run_cmd(cmd), 0);
    char *orig = path2(shared, "humaneval/HumanEval.jsonl.gz");
    size_t len = 0;
    char *data = slurp(orig, &len);
    CHECK(data && len > 20000);
    char *part = path2(dir, "humaneval/HumanEval.jsonl.gz.part");
    CHECK_INT(write_bytes(part, data, 12345), 0);
    eb_err err = {{0}};
    int rc = fetch(dir, "humaneval", "plain", 0, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    CHECK(same_rel(dir, "humaneval/HumanEval.jsonl.gz"));
    CHECK_INT(test_server_count(&srv, "/plain/humaneval/HumanEval.jsonl.gz bytes=12345- 206", NULL), 1);

    /* garbage prefix: resumed, hash fails, downloaded again from zero */
    char junk[5000];
    memset(junk, 'z', sizeof junk);
    CHECK_INT(write_bytes(part, junk, sizeof junk), 0);
    int full_before = test_server_count(&srv, "/plain/humaneval/HumanEval.jsonl.gz - 200", NULL);
    rc = fetch(dir, "humaneval", "plain", 1, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    CHECK(same_rel(dir, "humaneval/HumanEval.jsonl.gz"));
    CHECK_INT(test_server_count(&srv, "/plain/humaneval/HumanEval.jsonl.gz bytes=5000- 206", NULL), 1);
    CHECK_INT(test_server_count(&srv, "/plain/humaneval/HumanEval.jsonl.gz - 200", NULL), full_before + 1);

    /* a server that ignores Range: the partial file is discarded */
    CHECK_INT(write_bytes(part, data, 1000), 0);
    rc = fetch(dir, "humaneval", "norange", 1, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    CHECK(same_rel(dir, "humaneval/HumanEval.jsonl.gz"));
    free(data);
    free(orig);
    free(part);
    free(hdir);
    free(dir);
}

/* A download whose sha256 differs from the pinned hash is rejected with
 * both hashes named, and the good file already installed stays. */
static void test_sha_mismatch(const char *work) {
    char *dir = path2(work, "mismatch");
    eb_err err = {{0}};
    int rc = fetch(dir, "humaneval", "plain", 0, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    rc = fetch(dir, "humaneval", "corrupt", 1, &err);
    CHECK(rc != 0);
    CHECK_MSG(strstr(err.msg, "sha256 mismatch") != NULL, "%s", err.msg);
    CHECK_MSG(strstr(err.msg, "humaneval/HumanEval.jsonl.gz") != NULL, "%s", err.msg);
    CHECK_MSG(strstr(err.msg, "expected b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef") != NULL,
              "%s", err.msg);
    CHECK(same_rel(dir, "humaneval/HumanEval.jsonl.gz"));
    char *part = path2(dir, "humaneval/HumanEval.jsonl.gz.part");
    struct stat st;
    CHECK(stat(part, &st) != 0);
    free(part);

    /* a file that does not exist upstream: HTTP 404 named */
    rc = fetch(dir, "humaneval", "nosuchmode", 1, &err);
    CHECK(rc != 0);
    CHECK_MSG(strstr(err.msg, "HTTP 404") != NULL, "%s", err.msg);
    CHECK(same_rel(dir, "humaneval/HumanEval.jsonl.gz"));
    free(dir);
}

static void test_cli(void) {
    char *bad_suite[] = {"data", "fetch", "--suite", "nosuch", NULL};
    CHECK_INT(cmd_data(4, bad_suite), 2);
    char *bad_flag[] = {"data", "verify", "--bogus", NULL};
    CHECK_INT(cmd_data(3, bad_flag), 2);
    char *bad_action[] = {"data", "download", NULL};
    CHECK_INT(cmd_data(2, bad_action), 2);
    char *help[] = {"data", "fetch", "--help", NULL};
    CHECK_INT(cmd_data(3, help), 0);
    char *no_value[] = {"data", "verify", "--data", NULL};
    CHECK_INT(cmd_data(3, no_value), 2);
    char *bad_mirror[] = {"data", "fetch", "--mirror", "ftp://x", NULL};
    CHECK_INT(cmd_data(4, bad_mirror), 2);
}

int main(void) {
    shared = eb_test_data_dir();
    char *work = make_tmpdir("fetch");
    CHECK(work != NULL);
    if (!work) return eb_test_finish();
    CHECK_INT(test_server_start(&srv, shared, work), 0);
    if (srv.port > 0) {
        test_resume_after_drop(work);
        test_resume_across_runs(work);
        test_sha_mismatch(work);
        test_full_fetch(work);
    }
    test_cli();
    test_server_stop(&srv);
    remove_tree(work);
    free(work);
    return eb_test_finish();
}
