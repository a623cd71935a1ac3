/* LiveCodeBench loader.
 *
 * Two layouts are accepted:
 *  - the official code_generation_lite release: livecodebench/official/
 *    test.jsonl, test2.jsonl ... test6.jsonl (release_vN = the first N files),
 *    with public tests as JSON and private tests as JSON or
 *    base64(zlib(pickle(json string)));
 *  - the public-test subset shipped beside the project (see the data
 *    directory's SOURCES.md): problem ids and dates from the QwQ prompt file,
 *    joined by row with the public tests of the rllm file. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "jsonutil.h"
#include "lcb_decode/lcb_decode.h"
#include "strutil.h"
#include "suite.h"

#define LCB_OFFICIAL_DIR "livecodebench/official"
#define LCB_SUBSET_PROMPTS "livecodebench/qwq_livecodebench_v5_2408_2502_prompts.jsonl"
#define LCB_SUBSET_TESTS "livecodebench/rllm_livecodebench_2408_2502_public_tests.json"

static const char *const official_files[] = {"test.jsonl",  "test2.jsonl", "test3.jsonl",
                                             "test4.jsonl", "test5.jsonl", "test6.jsonl"};

/* "class Solution:\n    def maxScore(self, ..." -> "maxScore" */
static char *func_name_from_starter(const char *starter) {
    if (!starter) return NULL;
    const char *p = strstr(starter, "def ");
    if (!p) return NULL;
    p += 4;
    const char *q = p;
    while (*q && (isalnum((unsigned char)*q) || *q == '_')) q++;
    return q > p ? eb_strndup(p, (size_t)(q - p)) : NULL;
}

static const char *platform_from_id(const char *qid) {
    if (eb_starts_with(qid, "abc") || eb_starts_with(qid, "arc") || eb_starts_with(qid, "agc")) return "atcoder";
    for (const char *p = qid; *p; p++)
        if (!isdigit((unsigned char)*p)) return "codeforces";
    return "leetcode";
}

static bool in_window(const char *date, const eb_suite_options *opt) {
    if (!date) return !opt->since && !opt->until;
    if (opt->since && strncmp(date, opt->since, strlen(opt->since)) < 0) return false;
    if (opt->until && strncmp(date, opt->until, strlen(opt->until)) > 0) return false;
    return true;
}

/* Appends the tests of a JSON array of {input, output, testtype}. */
static int add_tests(eb_item *it, const cJSON *arr, bool is_private, const char *where, eb_err *err) {
    if (!cJSON_IsArray(arr)) return eb_err_set(err, "%s: tests are not a JSON list", where);
    size_t n = (size_t)cJSON_GetArraySize(arr);
    it->tests = eb_realloc(it->tests, (it->n_tests + n) * sizeof *it->tests);
    const cJSON *t;
    cJSON_ArrayForEach(t, arr) {
        const cJSON *in = cJSON_GetObjectItemCaseSensitive(t, "input");
        const cJSON *out = cJSON_GetObjectItemCaseSensitive(t, "output");
        const char *type = eb_json_str_opt(t, "testtype");
        if (!cJSON_IsString(in) || !cJSON_IsString(out) || !type)
            return eb_err_set(err, "%s: test %zu lacks string input/output/testtype", where, it->n_tests);
        eb_test_case *tc = &it->tests[it->n_tests++];
        tc->input = eb_strdup(in->valuestring);
        tc->output = eb_strdup(out->valuestring);
        tc->functional = strcmp(type, "functional") == 0;
        tc->is_private = is_private;
    }
    return 0;
}

/* A field that holds tests either as a list or as a string with a JSON list. */
static int add_tests_field(eb_item *it, const cJSON *v, bool is_private, const char *where, eb_err *err) {
    if (cJSON_IsArray(v)) return add_tests(it, v, is_private, where, err);
    if (!cJSON_IsString(v)) return eb_err_set(err, "%s: tests field is neither a list nor a string", where);
    cJSON *arr = cJSON_Parse(v->valuestring);
    char *decoded = NULL;
    if (!arr && is_private) {
        /* The official release packs private tests. */
        if (eb_lcb_decode_private(v->valuestring, &decoded, err) != 0) return eb_err_prefix(err, "%s", where);
        arr = cJSON_Parse(decoded);
    }
    free(decoded);
    if (!arr) return eb_err_set(err, "%s: tests string is not a JSON list", where);
    int rc = add_tests(it, arr, is_private, where, err);
    cJSON_Delete(arr);
    return rc;
}

typedef struct official_ctx {
    eb_suite *s;
    const eb_suite_options *opt;
    size_t cap;
    int file_index;
} official_ctx;

static int on_official(const cJSON *o, eb_jloc loc, void *vctx, eb_err *err) {
    official_ctx *c = vctx;
    const char *qid = eb_json_str(o, "question_id", loc, err);
    const char *content = qid ? eb_json_str(o, "question_content", loc, err) : NULL;
    const char *platform = content ? eb_json_str(o, "platform", loc, err) : NULL;
    const char *date = platform ? eb_json_str(o, "contest_date", loc, err) : NULL;
    if (!date) return -1;
    if (!in_window(date, c->opt)) return 0;
    char where[512];
    snprintf(where, sizeof where, "%s:%ld (%s)", loc.file, loc.line, qid);
    eb_item *it = eb_suite_push_item(c->s, &c->cap);
    it->id = eb_strdup(qid);
    it->source_file = eb_strdup(c->s->files[c->file_index].path);
    it->dataset_sha256 = eb_strdup(c->s->files[c->file_index].sha256);
    it->subject = eb_strdup(platform);
    const char *diff = eb_json_str_opt(o, "difficulty");
    it->category = eb_strdup(diff ? diff : "unknown");
    it->question = eb_strdup(content);
    const char *starter = eb_json_str_opt(o, "starter_code");
    it->starter_code = eb_strdup(starter ? starter : "");
    it->contest_date = eb_strdup(date);
    const char *meta = eb_json_str_opt(o, "metadata");
    if (meta) {
        cJSON *m = cJSON_Parse(meta);
        const char *fn = m ? eb_json_str_opt(m, "func_name") : NULL;
        if (fn) it->func_name = eb_strdup(fn);
        cJSON_Delete(m);
    }
    const cJSON *pub = cJSON_GetObjectItemCaseSensitive(o, "public_test_cases");
    const cJSON *priv = cJSON_GetObjectItemCaseSensitive(o, "private_test_cases");
    if (!pub) return eb_err_set(err, "%s: missing field \"public_test_cases\"", where);
    if (add_tests_field(it, pub, false, where, err) != 0) return -1;
    if (priv && !cJSON_IsNull(priv) && add_tests_field(it, priv, true, where, err) != 0) return -1;
    c->s->files[c->file_index].n_items++;
    return 0;
}

static int release_count(const char *release, eb_err *err) {
    if (!release || strcmp(release, "release_latest") == 0 || strcmp(release, "latest") == 0) return 6;
    const char *v = eb_starts_with(release, "release_") ? release + 8 : release;
    if (v[0] == 'v' && v[1] >= '1' && v[1] <= '6' && v[2] == '\0') return v[1] - '0';
    return eb_err_set(err, "--lcb-release: \"%s\" is not one of v1..v6, release_v1..release_v6, release_latest",
                      release);
}

static int load_official(const eb_suite_options *opt, eb_suite *s, eb_err *err) {
    int n = release_count(opt->lcb_release, err);
    if (n < 0) return -1;
    official_ctx c = {s, opt, 0, 0};
    for (int i = 0; i < n; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, LCB_OFFICIAL_DIR "/%s", official_files[i]);
        char *path = eb_path_join(opt->data_dir, rel);
        if (!eb_file_exists(path)) {
            free(path);
            if (opt->lcb_release && strcmp(opt->lcb_release, "release_latest") != 0)
                return eb_err_set(err, "LiveCodeBench %s needs %s/%s, which is missing", opt->lcb_release,
                                  opt->data_dir, rel);
            break; /* latest: as many files as are present */
        }
        char *text;
        size_t len;
        if ((c.file_index = eb_suite_add_file(s, opt->data_dir, rel, err)) < 0 ||
            eb_read_file(path, &text, &len, err) != 0) {
            free(path);
            return -1;
        }
        int rc = eb_jsonl_each(path, text, len, on_official, &c, err);
        free(text);
        free(path);
        if (rc != 0) return -1;
    }
    return 0;
}

static int load_subset(const eb_suite_options *opt, eb_suite *s, eb_err *err) {
    if (opt->lcb_release && strcmp(opt->lcb_release, "v5") != 0 && strcmp(opt->lcb_release, "release_v5") != 0)
        return eb_err_set(err,
                          "--lcb-release %s: only the release_v5 public-test subset is in %s/livecodebench "
                          "(fetch the official release with `evalbench data fetch --suite livecodebench`)",
                          opt->lcb_release, opt->data_dir);
    int fp = eb_suite_add_file(s, opt->data_dir, LCB_SUBSET_PROMPTS, err);
    int ft = fp < 0 ? -1 : eb_suite_add_file(s, opt->data_dir, LCB_SUBSET_TESTS, err);
    if (ft < 0) return eb_err_prefix(err, "LiveCodeBench (run `evalbench data fetch --suite livecodebench` or pass --data)");
    char *ppath = eb_path_join(opt->data_dir, LCB_SUBSET_PROMPTS);
    char *tpath = eb_path_join(opt->data_dir, LCB_SUBSET_TESTS);
    char *ptext = NULL, *ttext = NULL;
    size_t len;
    cJSON *tests = NULL;
    int rc = -1;
    if (eb_read_file(ppath, &ptext, &len, err) != 0 || eb_read_file(tpath, &ttext, &len, err) != 0) goto out;
    tests = cJSON_Parse(ttext);
    if (!cJSON_IsArray(tests)) {
        eb_err_set(err, "%s: expected a JSON list of problems", tpath);
        goto out;
    }
    size_t n_tests = (size_t)cJSON_GetArraySize(tests);
    size_t cap = 0, row = 0;
    rc = 0;
    long line = 0;
    for (char *p = ptext; *p && rc == 0;) {
        char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        line++;
        if (n == 0) {
            p = nl ? nl + 1 : p + n;
            continue;
        }
        cJSON *o = cJSON_ParseWithLength(p, n);
        eb_jloc loc = {ppath, line, p, n};
        const char *qid = o ? eb_json_str(o, "question_id", loc, err) : NULL;
        const char *date = qid ? eb_json_str(o, "contest_date", loc, err) : NULL;
        const char *prompt = date ? eb_json_str(o, "prompt", loc, err) : NULL;
        if (!o) rc = eb_err_set(err, "%s:%ld: invalid JSON", ppath, line);
        else if (!prompt) rc = -1;
        else if (row >= n_tests) rc = eb_err_set(err, "%s:%ld: more problems than %s has (%zu)", ppath, line, tpath, n_tests);
        if (rc == 0) {
            const cJSON *t = cJSON_GetArrayItem(tests, (int)row);
            char where[512];
            snprintf(where, sizeof where, "%s: problem %zu", tpath, row);
            const char *problem = eb_json_str_opt(t, "problem");
            if (!problem) rc = eb_err_set(err, "%s: missing field \"problem\"", where);
            /* The two files are joined by row; make sure they agree. */
            else if (!strstr(prompt, problem))
                rc = eb_err_set(err, "%s: problem text does not match %s:%ld (%s); the files are out of step", where,
                                ppath, line, qid);
            else if (in_window(date, opt)) {
                eb_item *it = eb_suite_push_item(s, &cap);
                it->id = eb_strdup(qid);
                it->source_file = eb_strdup(LCB_SUBSET_TESTS);
                it->dataset_sha256 = eb_strdup(s->files[ft].sha256);
                it->subject = eb_strdup(platform_from_id(qid));
                it->category = eb_strdup("unknown"); /* the subset carries no difficulty */
                it->question = eb_strdup(problem);
                const char *starter = eb_json_str_opt(t, "starter_code");
                it->starter_code = eb_strdup(starter ? starter : "");
                it->func_name = func_name_from_starter(starter);
                it->contest_date = eb_strdup(date);
                rc = add_tests_field(it, cJSON_GetObjectItemCaseSensitive(t, "tests"), false, where, err);
                s->files[fp].n_items++;
                s->files[ft].n_items++;
            }
        }
        cJSON_Delete(o);
        row++;
        p = nl ? nl + 1 : p + n;
    }
    if (rc == 0 && row != n_tests)
        rc = eb_err_set(err, "%s has %zu problems but %s has %zu; the files are out of step", ppath, row, tpath, n_tests);
out:
    cJSON_Delete(tests);
    free(ptext);
    free(ttext);
    free(ppath);
    free(tpath);
    return rc;
}

int eb_lcb_load(const eb_suite_options *opt, eb_suite *s, eb_err *err) {
    char *official = eb_path_join(opt->data_dir, LCB_OFFICIAL_DIR "/test.jsonl");
    bool have_official = eb_file_exists(official);
    free(official);
    char desc[256];
    snprintf(desc, sizeof desc, "release=%s,since=%s,until=%s,tests=%s",
             opt->lcb_release ? opt->lcb_release : (have_official ? "release_latest" : "v5-subset"),
             opt->since ? opt->since : "-", opt->until ? opt->until : "-", have_official ? "public+private" : "public");
    s->options_desc = eb_strdup(desc);
    return have_official ? load_official(opt, s, err) : load_subset(opt, s, err);
}
