/* evalbench report / compare / runs on a real SQLite file built from
 * results/schema.sql with synthetic runs whose correct patterns are known:
 * the numbers in the JSON output are checked against values computed here
 * from the patterns and against values computed independently in Python. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_fixture.h"
#include "stats.h"
#include "test_util.h"

int cmd_report(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_runs(int argc, char **argv);

typedef struct item_def {
    const char *id, *subject, *category, *gold;
} item_def;

/* Patterns: one character per repetition: '1' correct, '0' wrong,
 * 'n' no answer extracted (wrong), '-' not scored yet. */
static const item_def mmlu_items[] = {
    {"abstract_algebra/0", "abstract_algebra", "STEM", "A"}, {"abstract_algebra/1", "abstract_algebra", "STEM", "B"},
    {"abstract_algebra/2", "abstract_algebra", "STEM", "C"}, {"philosophy/0", "philosophy", "humanities", "D"},
    {"philosophy/1", "philosophy", "humanities", "A"},       {"econometrics/0", "econometrics", "social sciences", "B"},
    {"econometrics/1", "econometrics", "social sciences", "C"}, {"anatomy/0", "anatomy", "other", "D"},
};
static const char *const mmlu_r1[] = {"111", "110", "000", "111", "100", "111", "011", "101"};
static const char *const mmlu_r2[] = {"111", "000", "011", "111", "n00", "111", "111", "nnn"};

static const item_def he_items[] = {
    {"HumanEval/0", NULL, NULL, NULL}, {"HumanEval/1", NULL, NULL, NULL},
    {"HumanEval/2", NULL, NULL, NULL}, {"HumanEval/3", NULL, NULL, NULL},
};
static const char *const he_r1[] = {"111", "110", "000", "100"}, *const he_p1[] = {"111", "100", "000", "000"};
static const char *const he_r2[] = {"111", "111", "010", "000"}, *const he_p2[] = {"111", "111", "000", "000"};

static const item_def math_items[] = {
    {"test/algebra/1.json", "Algebra", "Level 1", "42"},   {"test/geometry/2.json", "Geometry", "Level 1", "\\frac{1}{2}"},
    {"test/algebra/3.json", "Algebra", "Level 2", "7"},    {"test/geometry/4.json", "Geometry", "Level 2", "\\pi"},
    {"test/algebra/5.json", "Algebra", "Level 3", "x+1"}, {"test/geometry/6.json", "Geometry", "Level 3", "90"},
};
static const char *const math_r1[] = {"111", "111", "110", "000", "100", "000"};
static const char *const math_r2[] = {"111", "111", "111", "000", "000", "000"};
/* run 3: the full MATH set (other dataset file), interrupted */
static const item_def math_full_items[] = {
    {"test/algebra/1.json", "Algebra", "Level 1", "42"}, {"test/algebra/9.json", "Algebra", "Level 5", "3"},
    {"test/number_theory/1.json", "Number Theory", "Level 4", "12"}, {"test/precalculus/1.json", "Precalculus", "Level 5", "0"},
};
static const char *const math_r3[] = {"11-", "10-", "1--", "---"};

static const item_def lcb_items[] = {
    {"abc300_a", "atcoder", "easy", NULL}, {"two-sum", "leetcode", "medium", NULL},
    {"abc300_g", "atcoder", "hard", NULL}, {"valid-parens", "leetcode", "easy", NULL},
};
static const char *const lcb_r1[] = {"111", "101", "000", "011"};
static const char *const lcb_r2[] = {"111", "111", "011", "011"};

#define FP_MMLU "f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80"
#define FP_HE "e1e2e3e4e5e6e7e8e9e0e1e2e3e4e5e6e7e8e9e0e1e2e3e4e5e6e7e8e9e0e1e2"
#define FP_MATH500 "aaaa1111bbbb2222cccc3333dddd4444eeee5555ffff6666aaaa7777bbbb8888"
#define FP_MATHFULL "bbbb9999cccc8888dddd7777eeee6666ffff5555aaaa4444bbbb3333cccc2222"
#define FP_LCB "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"

/* What the test expects, accumulated while inserting. */
typedef struct expect {
    double tokens_in, tokens_out, cost;
    long rows;
} expect;
static expect exp_run[4];

static void insert_suite(fx_db *f, int64_t run, const char *suite, const char *sha, const item_def *items, size_t n,
                         const char *const *pat, const char *const *plus, bool priced, int64_t *pks) {
    for (size_t i = 0; i < n; i++) {
        if (!pks[i])
            pks[i] = fx_item(f, suite, items[i].id, sha, items[i].subject, items[i].category, items[i].gold);
        for (int j = 0; pat[i][j]; j++) {
            char ch = pat[i][j];
            if (ch == '-') continue;
            bool ok = ch == '1';
            const char *verdict, *extracted;
            bool code = strcmp(suite, "humaneval") == 0 || strcmp(suite, "livecodebench") == 0;
            if (code) {
                verdict = ok ? "passed" : "failed";
                extracted = "def f():\n    return 1\n";
            } else if (ch == 'n') {
                verdict = "no_answer";
                extracted = NULL;
            } else {
                verdict = ok ? "correct" : "wrong";
                extracted = ok ? items[i].gold : "Z";
            }
            int cp = plus ? plus[i][j] == '1' : -1;
            long tin = 100 + (long)i, tout = 10 + j;
            double cost = priced ? 0.001 : -1;
            fx_score(f, run, pks[i], j, ok, cp, verdict, extracted, tin, tout, cost);
            exp_run[run].tokens_in += (double)tin;
            exp_run[run].tokens_out += (double)tout;
            exp_run[run].cost += priced ? 0.001 : 0;
            exp_run[run].rows++;
        }
    }
}

static void build_db(const char *path) {
    fx_db f;
    fx_open(&f, path);
    int64_t r1 = fx_run(&f, "gemma-4-9b", "local", "bf16", 3, true, "mmlu,humaneval,math,livecodebench", NULL);
    int64_t r2 = fx_run(&f, "gemma-4-9b", "local", "int8", 3, true, "mmlu,humaneval,math,livecodebench",
                        "{\"price_in_usd_per_mtok\": 0.5, \"price_out_usd_per_mtok\": 1.5}");
    int64_t r3 = fx_run(&f, "gemma-4-9b", "local", "bf16", 3, false, "math", NULL);
    CHECK(r1 == 1 && r2 == 2 && r3 == 3);
    int64_t mm[8] = {0}, he[4] = {0}, ma[6] = {0}, mf[4] = {0}, lc[4] = {0};
    for (int64_t r = 1; r <= 2; r++) {
        fx_run_suite(&f, r, "mmlu", FP_MMLU, 8, "mode=generate");
        fx_run_suite(&f, r, "humaneval", FP_HE, 4, NULL);
        fx_run_suite(&f, r, "math", FP_MATH500, 6, "set=math500");
        fx_run_suite(&f, r, "livecodebench", FP_LCB, 4, "release=v6");
        bool priced = r == 2;
        insert_suite(&f, r, "mmlu", "sha-mmlu", mmlu_items, 8, r == 1 ? mmlu_r1 : mmlu_r2, NULL, priced, mm);
        insert_suite(&f, r, "humaneval", "sha-he", he_items, 4, r == 1 ? he_r1 : he_r2, r == 1 ? he_p1 : he_p2, priced,
                     he);
        insert_suite(&f, r, "math", "sha-math500", math_items, 6, r == 1 ? math_r1 : math_r2, NULL, priced, ma);
        insert_suite(&f, r, "livecodebench", "sha-lcb", lcb_items, 4, r == 1 ? lcb_r1 : lcb_r2, NULL, priced, lc);
    }
    fx_run_suite(&f, r3, "math", FP_MATHFULL, 4, "set=full");
    insert_suite(&f, r3, "math", "sha-mathfull", math_full_items, 4, math_r3, NULL, false, mf);
    fx_close(&f);
}

/* ---- helpers ---------------------------------------------------------------- */

static cJSON *load_json(const char *path) {
    char *text = fx_slurp(path);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    free(text);
    return j;
}

static double jnum(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const cJSON *run_of(const cJSON *report, int id) {
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(report, "runs")) if (jnum(r, "run_id") == id) return r;
    return NULL;
}

static const cJSON *cell_of(const cJSON *report, int id, const char *col) {
    const cJSON *r = run_of(report, id);
    return r ? cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(r, "cells"), col) : NULL;
}

static const cJSON *group_of(const cJSON *cell, const char *axis, const char *name) {
    const cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(cell, axis)) {
        const cJSON *n = cJSON_GetObjectItem(g, "name");
        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0) return g;
    }
    return NULL;
}

/* Independent reference: per-repetition accuracy from the patterns. */
static void ref_acc(const char *const *pat, size_t n, int reps, double *mean, double *std) {
    double acc[8];
    int k = 0;
    for (int j = 0; j < reps; j++) {
        long cnt = 0, ok = 0;
        for (size_t i = 0; i < n; i++)
            if (pat[i][j] != '-') {
                cnt++;
                ok += pat[i][j] == '1';
            }
        if (cnt) acc[k++] = (double)ok / (double)cnt;
    }
    double s = 0;
    for (int i = 0; i < k; i++) s += acc[i];
    *mean = s / k;
    double ss = 0;
    for (int i = 0; i < k; i++) ss += (acc[i] - *mean) * (acc[i] - *mean);
    *std = k > 1 ? sqrt(ss / (k - 1)) : NAN;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_report_json(const char *db, const char *out) {
    CHECK_INT(fx_cmd(cmd_report, "report", "--db", db, "--format", "json", "--out", out, NULL), 0);
    cJSON *j = load_json(out);
    CHECK(j != NULL);
    if (!j) return;
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "runs")), 3);

    /* MMLU run 1: micro mean and spread (Python: 0.6666..., 0.07216878364870322) */
    const cJSON *c = cell_of(j, 1, "mmlu");
    CHECK(c != NULL);
    CHECK_NEAR(jnum(c, "mean"), 0.6666666666666666, 1e-12);
    CHECK_NEAR(jnum(c, "std"), 0.07216878364870322, 1e-12);
    CHECK_INT(jnum(c, "n_items"), 8);
    CHECK_INT(jnum(c, "expected_items"), 8);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(c, "complete")));
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(c, "repetitions")), 3);
    const cJSON *macro = cJSON_GetObjectItem(c, "macro_over_subjects");
    CHECK_NEAR(jnum(macro, "mean"), 0.6805555555555556, 1e-12);
    CHECK_NEAR(jnum(macro, "std"), 0.1272937693043289, 1e-12);
    const cJSON *stem = group_of(c, "by_category", "STEM");
    CHECK(stem != NULL);
    CHECK_NEAR(jnum(stem, "mean"), 5.0 / 9.0, 1e-12);
    CHECK_INT(jnum(stem, "n_items"), 3);
    CHECK(group_of(c, "by_category", "humanities") && group_of(c, "by_category", "social sciences") &&
          group_of(c, "by_category", "other"));
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(c, "by_subject")), 4);
    CHECK_INT(jnum(c, "no_answer"), 0);
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(c, "cost_usd")));

    /* MMLU run 2 against the reference computed from the patterns */
    double m, s;
    ref_acc(mmlu_r2, 8, 3, &m, &s);
    c = cell_of(j, 2, "mmlu");
    CHECK_NEAR(jnum(c, "mean"), m, 1e-12);
    CHECK_NEAR(jnum(c, "std"), s, 1e-12);
    CHECK_INT(jnum(c, "no_answer"), 4);
    CHECK_NEAR(jnum(c, "no_answer_rate"), 4.0 / 24.0, 1e-12);
    CHECK_NEAR(jnum(c, "cost_usd"), 24 * 0.001, 1e-12);
    CHECK_NEAR(jnum(c, "tokens_in"), 3 * (100 + 101 + 102 + 103 + 104 + 105 + 106 + 107), 0);
    CHECK_NEAR(jnum(c, "tokens_out"), 8 * (10 + 11 + 12), 0);

    /* HumanEval pass@k and HumanEval+ (Python: 0.5, 0.6667, 0.75 and 1/3, 0.41667, 0.5) */
    c = cell_of(j, 1, "humaneval");
    const cJSON *pk = cJSON_GetObjectItem(c, "pass_at_k");
    CHECK_NEAR(jnum(pk, "1"), 0.5, 1e-12);
    CHECK_NEAR(jnum(pk, "2"), 0.6666666666666667, 1e-12);
    CHECK_NEAR(jnum(pk, "3"), 0.75, 1e-12);
    CHECK(cJSON_GetObjectItem(pk, "4") == NULL);
    CHECK_NEAR(jnum(c, "mean"), jnum(pk, "1"), 1e-12);
    c = cell_of(j, 1, "humaneval+");
    CHECK(c != NULL);
    pk = cJSON_GetObjectItem(c, "pass_at_k");
    CHECK_NEAR(jnum(pk, "1"), 0.33333333333333337, 1e-12);
    CHECK_NEAR(jnum(pk, "2"), 0.4166666666666667, 1e-12);
    CHECK_NEAR(jnum(pk, "3"), 0.5, 1e-12);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(c, "plus")));
    /* MMLU is not a code suite: no pass@k */
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(cell_of(j, 1, "mmlu"), "pass_at_k")), 0);

    /* MATH: two fingerprints, two columns, never averaged together */
    const cJSON *cols = cJSON_GetObjectItem(j, "columns"), *col;
    int math_cols = 0;
    char key500[64] = "", keyfull[64] = "";
    cJSON_ArrayForEach(col, cols) {
        if (strcmp(cJSON_GetObjectItem(col, "suite")->valuestring, "math") != 0) continue;
        math_cols++;
        CHECK(cJSON_IsTrue(cJSON_GetObjectItem(col, "split_by_fingerprint")));
        const char *fp = cJSON_GetObjectItem(col, "fingerprint")->valuestring;
        snprintf(strcmp(fp, FP_MATH500) == 0 ? key500 : keyfull, 64, "%s", cJSON_GetObjectItem(col, "key")->valuestring);
    }
    CHECK_INT(math_cols, 2);
    CHECK(key500[0] && keyfull[0]);
    c = cell_of(j, 1, key500);
    CHECK_NEAR(jnum(c, "mean"), 0.5, 1e-12);
    CHECK_NEAR(jnum(c, "std"), 1.0 / 6.0, 1e-12);
    const cJSON *l2 = group_of(c, "by_category", "Level 2");
    CHECK_NEAR(jnum(l2, "mean"), 1.0 / 3.0, 1e-12);
    CHECK_NEAR(jnum(l2, "std"), 0.28867513459481287, 1e-12);
    CHECK_STR(cJSON_GetObjectItem(c, "category_axis")->valuestring, "level");
    CHECK(group_of(c, "by_subject", "Algebra") != NULL);
    CHECK(cell_of(j, 3, key500) == NULL);
    CHECK(cell_of(j, 1, keyfull) == NULL);

    /* run 3: unfinished, 3 of 4 items scored, uneven repetitions */
    const cJSON *r3 = run_of(j, 3);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(r3, "partial")));
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(run_of(j, 1), "partial")));
    c = cell_of(j, 3, keyfull);
    CHECK_INT(jnum(c, "n_items"), 3);
    CHECK_INT(jnum(c, "expected_items"), 4);
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(c, "complete")));
    ref_acc(math_r3, 4, 3, &m, &s);
    CHECK_NEAR(jnum(c, "mean"), m, 1e-12);
    CHECK_NEAR(jnum(c, "mean"), 0.75, 1e-12);
    CHECK_NEAR(jnum(c, "std"), s, 1e-12);

    /* LiveCodeBench breakdown axes */
    c = cell_of(j, 2, "livecodebench");
    CHECK_STR(cJSON_GetObjectItem(c, "category_axis")->valuestring, "difficulty");
    CHECK_STR(cJSON_GetObjectItem(c, "subject_axis")->valuestring, "platform");
    const cJSON *easy = group_of(c, "by_category", "easy");
    /* easy: abc300_a 111 and valid-parens 011 -> 1/2, 1, 1 */
    CHECK_NEAR(jnum(easy, "mean"), (0.5 + 1.0 + 1.0) / 3.0, 1e-12);
    const cJSON *lc = group_of(c, "by_subject", "leetcode");
    CHECK_INT(jnum(lc, "n_items"), 2);

    /* run totals: tokens and cost as inserted */
    for (int r = 1; r <= 3; r++) {
        const cJSON *run = run_of(j, r);
        CHECK_NEAR(jnum(run, "tokens_in"), exp_run[r].tokens_in, 0);
        CHECK_NEAR(jnum(run, "tokens_out"), exp_run[r].tokens_out, 0);
        CHECK_INT(jnum(run, "rows"), exp_run[r].rows);
    }
    CHECK_NEAR(jnum(run_of(j, 2), "cost_usd"), exp_run[2].cost, 1e-12);
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(run_of(j, 1), "cost_usd")));
    CHECK_NEAR(jnum(run_of(j, 2), "price_in_usd_per_mtok"), 0.5, 0);
    CHECK_NEAR(jnum(run_of(j, 2), "price_out_usd_per_mtok"), 1.5, 0);
    CHECK_NEAR(jnum(run_of(j, 2), "effective_usd_per_mtok"),
               exp_run[2].cost / (exp_run[2].tokens_in + exp_run[2].tokens_out) * 1e6, 1e-9);
    cJSON_Delete(j);

    /* --run selects and orders */
    CHECK_INT(fx_cmd(cmd_report, "report", "--db", db, "--run", "2,1", "--format=json", "--out", out, NULL), 0);
    j = load_json(out);
    const cJSON *runs = cJSON_GetObjectItem(j, "runs");
    CHECK_INT(cJSON_GetArraySize(runs), 2);
    CHECK_INT(jnum(cJSON_GetArrayItem(runs, 0), "run_id"), 2);
    CHECK_INT(jnum(cJSON_GetArrayItem(runs, 1), "run_id"), 1);
    /* with run 3 left out MATH is one column again */
    CHECK(cell_of(j, 1, "math") != NULL);
    cJSON_Delete(j);
}

/* The number on the line that starts with PREFIX; NAN when absent. */
static double csv_value(const char *csv, const char *prefix) {
    const char *p = strstr(csv, prefix);
    if (!p) return NAN;
    p += strlen(prefix);
    char *end;
    double v = strtod(p, &end);
    return end > p && *end == '\n' ? v : NAN;
}

static cJSON *json_of(const char *db, const char *out) {
    if (fx_cmd(cmd_report, "report", "--db", db, "--format", "json", "--out", out, NULL) != 0) return NULL;
    return load_json(out);
}

static void test_report_md_csv(const char *db, const char *out) {
    CHECK_INT(fx_cmd(cmd_report, "report", "--db", db, "--out", out, NULL), 0);
    char *md = fx_slurp(out);
    CHECK(md != NULL);
    if (!md) return;
    CHECK(strstr(md, "| Run | Model | Engine | Quant. | MMLU | HumanEval | HumanEval+ | MATH (set=math500) [aaaa1111] | "
                     "MATH (set=full) [bbbb9999] | LiveCodeBench |") != NULL);
    CHECK(strstr(md, "| 1 | gemma-4-9b | local | bf16 | 66.7 ± 7.2 (n=8) | 50.0 ± 25.0 (n=4) | 33.3 ± 14.4 (n=4) | "
                     "50.0 ± 16.7 (n=6) | — | 58.3 ± 14.4 (n=4) |") != NULL);
    CHECK(strstr(md, "| 3 (partial) | gemma-4-9b | local | bf16 | — | — | — | — | 75.0 ± 35.4 (n=3/4) † | — |") != NULL);
    CHECK(strstr(md, "sample standard deviation") != NULL);
    CHECK(strstr(md, "fingerprint `" FP_MATHFULL "`") != NULL);
    CHECK(strstr(md, "HumanEval pass@3") != NULL);
    /* run 3 has no code suite: no empty row in the pass@k table */
    CHECK(strstr(md, "| 3 (partial) | gemma-4-9b | local | bf16 | — | — | — | — | — | — | — | — | — |") == NULL);
    CHECK(strstr(md, "### MMLU by category group") != NULL);
    CHECK(strstr(md, "| micro (headline) | macro over subjects | STEM | humanities | social sciences | other |") != NULL);
    CHECK(strstr(md, "| 66.7 ± 7.2 | 68.1 ± 12.7 | 55.6 ± 19.2 (n=3) |") != NULL);
    CHECK(strstr(md, "MATH (set=math500) [aaaa1111] by level") != NULL);
    CHECK(strstr(md, "LiveCodeBench by difficulty") != NULL);
    CHECK(strstr(md, "| easy | medium | hard |") != NULL);
    CHECK(strstr(md, "LiveCodeBench by platform") != NULL);
    CHECK(strstr(md, "16.7 (4/24)") != NULL);
    CHECK(strstr(md, "$0.50 / $1.50") != NULL);
    CHECK(strstr(md, "| $0.0660 |") != NULL);
    free(md);

    CHECK_INT(fx_cmd(cmd_report, "report", "--db", db, "--format", "csv", "--out", out, NULL), 0);
    char *csv = fx_slurp(out);
    CHECK(csv != NULL);
    if (!csv) return;
    CHECK(strncmp(csv, "run_id,model,engine,quantization,partial,column,suite,fingerprint,scope,group,metric,value\n",
                  90) == 0);
    /* the CSV carries the JSON numbers exactly (printed with 17 digits) */
    CHECK_NEAR(csv_value(csv, "\n1,gemma-4-9b,local,bf16,0,mmlu,mmlu," FP_MMLU ",overall,,mean,"), 2.0 / 3.0, 1e-15);
    CHECK_NEAR(csv_value(csv, "\n1,gemma-4-9b,local,bf16,0,mmlu,mmlu," FP_MMLU ",overall,,std,"), 0.07216878364870322,
               1e-15);
    CHECK_NEAR(csv_value(csv, "\n1,gemma-4-9b,local,bf16,0,humaneval+,humaneval," FP_HE ",overall,,pass@2,"),
               0.4166666666666667, 1e-15);
    CHECK_NEAR(csv_value(csv, "\n1,gemma-4-9b,local,bf16,0,mmlu,mmlu," FP_MMLU ",category group,STEM,mean,"), 5.0 / 9.0,
               1e-15);
    CHECK_NEAR(csv_value(csv, "\n1,gemma-4-9b,local,bf16,0,mmlu,mmlu," FP_MMLU ",macro_over_subjects,,mean,"),
               0.6805555555555556, 1e-15);
    CHECK_NEAR(csv_value(csv, "\n2,gemma-4-9b,local,int8,0,mmlu,mmlu," FP_MMLU ",overall,,no_answer_rate,"), 4.0 / 24.0,
               1e-15);
    CHECK_NEAR(csv_value(csv, "\n2,gemma-4-9b,local,int8,0,,,,run,,cost_usd,"), exp_run[2].cost, 1e-12);
    CHECK(strstr(csv, "\n3,gemma-4-9b,local,bf16,1,") != NULL);
    /* a value that does not exist is an empty field, never a made-up number */
    CHECK(strstr(csv, "\n1,gemma-4-9b,local,bf16,0,,,,run,,cost_usd,\n") != NULL);
    cJSON *j = json_of(db, out);
    const cJSON *c = cell_of(j, 2, "livecodebench");
    char prefix[256];
    snprintf(prefix, sizeof prefix, "\n2,gemma-4-9b,local,int8,0,livecodebench,livecodebench,%s,overall,,std,", FP_LCB);
    CHECK(csv_value(csv, prefix) == jnum(c, "std"));
    cJSON_Delete(j);
    free(csv);
}

static const cJSON *suite_of(const cJSON *cmp, const char *name) {
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItem(cmp, "suites")) if (strcmp(cJSON_GetObjectItem(s, "suite")->valuestring,
                                                                         name) == 0) return s;
    return NULL;
}

static void test_compare(const char *db, const char *out) {
    CHECK_INT(fx_cmd(cmd_compare, "compare", "1", "2", "--db", db, "--format", "json", "--out", out, NULL), 0);
    cJSON *j = load_json(out);
    CHECK(j != NULL);
    if (!j) return;
    const cJSON *s = suite_of(j, "mmlu");
    CHECK(s != NULL);
    /* item scores: A sums to 16/3 over 8 items, B to 14/3 */
    CHECK_NEAR(jnum(s, "accuracy_a"), 16.0 / 24.0, 1e-12);
    CHECK_NEAR(jnum(s, "accuracy_b"), 14.0 / 24.0, 1e-12);
    CHECK_NEAR(jnum(s, "difference"), -2.0 / 24.0, 1e-12);
    CHECK_INT(jnum(s, "n_items"), 8);
    CHECK_INT(jnum(s, "a_correct_b_wrong"), 2);
    CHECK_INT(jnum(s, "a_wrong_b_correct"), 1);
    CHECK_INT(jnum(s, "both_correct"), 4);
    CHECK_INT(jnum(s, "both_wrong"), 1);
    CHECK_NEAR(jnum(s, "mcnemar_p"), 1.0, 1e-12);
    const cJSON *down = cJSON_GetObjectItem(s, "flipped_to_wrong"), *up = cJSON_GetObjectItem(s, "flipped_to_correct");
    CHECK_INT(cJSON_GetArraySize(down), 2);
    CHECK_INT(cJSON_GetArraySize(up), 1);
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(down, 0), "item_id")->valuestring, "abstract_algebra/1");
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(down, 0), "answers_a")->valuestring, "B | B | Z");
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(down, 0), "answers_b")->valuestring, "Z | Z | Z");
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(down, 1), "item_id")->valuestring, "anatomy/0");
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(down, 1), "answers_b")->valuestring, "∅ | ∅ | ∅");
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(up, 0), "item_id")->valuestring, "abstract_algebra/2");
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(up, 0), "gold")->valuestring, "C");
    /* bootstrap interval contains the difference; Wilson intervals bracket the accuracies */
    const cJSON *ci = cJSON_GetObjectItem(s, "difference_ci95");
    double lo = cJSON_GetArrayItem(ci, 0)->valuedouble, hi = cJSON_GetArrayItem(ci, 1)->valuedouble;
    CHECK(lo <= -2.0 / 24.0 && -2.0 / 24.0 <= hi && lo < hi);
    const cJSON *wa = cJSON_GetObjectItem(s, "wilson95_a");
    CHECK(cJSON_GetArrayItem(wa, 0)->valuedouble < 16.0 / 24 && 16.0 / 24 < cJSON_GetArrayItem(wa, 1)->valuedouble);

    /* HumanEval+: compared on the plus tests */
    s = suite_of(j, "humaneval+");
    CHECK(s != NULL);
    CHECK_NEAR(jnum(s, "accuracy_a"), (3 + 1) / 12.0, 1e-12);
    CHECK_NEAR(jnum(s, "accuracy_b"), (3 + 3) / 12.0, 1e-12);
    CHECK_INT(jnum(s, "a_wrong_b_correct"), 1);
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(s, "flipped_to_correct"), 0), "answers_b")
                  ->valuestring,
              "passed | passed | passed");
    /* code suites list verdicts, not the program */
    s = suite_of(j, "livecodebench");
    CHECK(s != NULL);
    CHECK_INT(jnum(s, "a_wrong_b_correct"), 1);
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(s, "flipped_to_correct"), 0), "answers_a")
                  ->valuestring,
              "failed | failed | failed");
    CHECK(suite_of(j, "math") != NULL);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "not_compared")), 0);
    double first_lo = lo;
    cJSON_Delete(j);

    /* deterministic: same interval on a second run; --suite selects one suite */
    CHECK_INT(fx_cmd(cmd_compare, "compare", "1", "2", "--db", db, "--suite", "mmlu", "--format", "json", "--out", out,
                     NULL),
              0);
    j = load_json(out);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "suites")), 1);
    s = suite_of(j, "mmlu");
    CHECK(s && cJSON_GetArrayItem(cJSON_GetObjectItem(s, "difference_ci95"), 0)->valuedouble == first_lo);
    cJSON_Delete(j);

    /* markdown reads as a regression report */
    CHECK_INT(fx_cmd(cmd_compare, "compare", "1", "2", "--db", db, "--out", out, NULL), 0);
    char *md = fx_slurp(out);
    CHECK(md && strstr(md, "| Quantization | bf16 | int8 |"));
    CHECK(md && strstr(md, "| Accuracy (%) | 66.67 | 58.33 | -8.33 pp |"));
    CHECK(md && strstr(md, "Exact McNemar test on the 3 discordant items (2 lost, 1 gained): p = 1 (two-sided)"));
    CHECK(md && strstr(md, "#### Correct in A, wrong in B (2)"));
    CHECK(md && strstr(md, "| abstract_algebra/1 | B | B \\| B \\| Z | Z \\| Z \\| Z |"));
    CHECK(md && strstr(md, "## HumanEval+"));
    CHECK(md && strstr(md, "| MMLU | 8 | 66.67 | 58.33 | -8.33 | "));
    CHECK(md && strstr(md, " | 2 | 1 | 1 |\n"));
    free(md);

    /* different dataset fingerprints: refused, with both fingerprints named */
    CHECK_INT(fx_cmd(cmd_compare, "compare", "1", "3", "--db", db, "--out", out, NULL), 1);
    CHECK_INT(fx_cmd(cmd_compare, "compare", "1", "3", "--db", db, "--suite", "math", "--out", out, NULL), 1);
    CHECK_INT(fx_cmd(cmd_compare, "compare", "1", "2", "--db", db, "--suite", "gpqa", "--out", out, NULL), 1);
    /* unknown run, bad usage */
    CHECK_INT(fx_cmd(cmd_compare, "compare", "1", "99", "--db", db, "--out", out, NULL), 2);
    CHECK_INT(fx_cmd(cmd_compare, "compare", "1", "--db", db, NULL), 2);
    CHECK_INT(fx_cmd(cmd_compare, "compare", "1", "x", "--db", db, NULL), 2);
    CHECK_INT(fx_cmd(cmd_compare, "compare", "1", "2", "--db", db, "--format", "xml", NULL), 2);
}

static void test_runs(const char *db, const char *out) {
    CHECK_INT(fx_cmd(cmd_runs, "runs", "--db", db, "--out", out, NULL), 0);
    char *md = fx_slurp(out);
    CHECK(md && strstr(md, "| 1 | gemma-4-9b | local | bf16 | mmlu,humaneval,math,livecodebench | 3 | 66 / 66 | finished |"));
    CHECK(md && strstr(md, "| 3 | gemma-4-9b | local | bf16 | math | 3 | 5 / 12 | running (partial) |"));
    free(md);
    CHECK_INT(fx_cmd(cmd_runs, "runs", "--db", db, "--format", "json", "--out", out, NULL), 0);
    cJSON *j = load_json(out);
    CHECK_INT(cJSON_GetArraySize(j), 3);
    CHECK_INT(jnum(cJSON_GetArrayItem(j, 2), "scored"), 5);
    CHECK_INT(jnum(cJSON_GetArrayItem(j, 2), "expected"), 12);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 2), "partial")));
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "partial")));
    cJSON_Delete(j);
}

static void test_errors(const char *dir_base) {
    char missing[600], garbage[600], other[600], out[600];
    snprintf(missing, sizeof missing, "%s_missing.db", dir_base);
    snprintf(garbage, sizeof garbage, "%s_garbage.db", dir_base);
    snprintf(other, sizeof other, "%s_other.db", dir_base);
    snprintf(out, sizeof out, "%s_err.out", dir_base);
    unlink(missing);
    CHECK_INT(fx_cmd(cmd_report, "report", "--db", missing, NULL), 4);
    CHECK_INT(fx_cmd(cmd_runs, "runs", "--db", missing, NULL), 4);
    CHECK_INT(fx_cmd(cmd_compare, "compare", "1", "2", "--db", missing, NULL), 4);
    CHECK(access(missing, F_OK) != 0); /* read-only open never creates it */
    FILE *f = fopen(garbage, "wb");
    fputs("this is not a database, just some text that is long enough to fill a header page...", f);
    fclose(f);
    CHECK_INT(fx_cmd(cmd_report, "report", "--db", garbage, NULL), 4);
    CHECK_INT(fx_cmd(cmd_runs, "runs", "--db", garbage, NULL), 4);
    /* a valid SQLite file that is not ours */
    sqlite3 *db;
    unlink(other);
    sqlite3_open(other, &db);
    sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL);
    sqlite3_close(db);
    CHECK_INT(fx_cmd(cmd_report, "report", "--db", other, NULL), 4);
    unlink(garbage);
    unlink(other);
    /* a row the reports cannot interpret is an error naming the field, not a crash */
    char bad[600];
    snprintf(bad, sizeof bad, "%s_bad.db", dir_base);
    fx_db b;
    fx_open(&b, bad);
    int64_t run = fx_run(&b, "m", "replay", NULL, 3, true, "mmlu", NULL);
    fx_run_suite(&b, run, "mmlu", "fp", 1, NULL);
    int64_t item = fx_item(&b, "mmlu", "anatomy/0", "sha", "anatomy", "other", "A");
    fx_score(&b, run, item, 0, 1, -1, "correct", "A", 1, 1, -1);
    fx_score(&b, run, item, -5, 1, -1, "correct", "A", 1, 1, -1);
    fx_close(&b);
    CHECK_INT(fx_cmd(cmd_report, "report", "--db", bad, "--out", out, NULL), 4);
    fx_remove(bad);
    /* a directory is named as such */
    CHECK_INT(fx_cmd(cmd_report, "report", "--db", EVALBENCH_BINARY_DIR, NULL), 4);
    /* a fresh database without runs: an empty table, not an error */
    char empty[600];
    snprintf(empty, sizeof empty, "%s_empty.db", dir_base);
    fx_db e;
    fx_open(&e, empty);
    fx_close(&e);
    CHECK_INT(fx_cmd(cmd_report, "report", "--db", empty, "--out", out, NULL), 0);
    char *text = fx_slurp(out);
    CHECK(text && strstr(text, "No runs stored yet"));
    free(text);
    CHECK_INT(fx_cmd(cmd_report, "report", "--db", empty, "--format", "json", "--out", out, NULL), 0);
    text = fx_slurp(out);
    CHECK(text && strstr(text, "\"runs\":\t[]"));
    free(text);
    CHECK_INT(fx_cmd(cmd_report, "report", "--db", empty, "--format", "csv", "--out", out, NULL), 0);
    CHECK_INT(fx_cmd(cmd_runs, "runs", "--db", empty, "--out", out, NULL), 0);
    CHECK_INT(fx_cmd(cmd_compare, "compare", "1", "2", "--db", empty, "--out", out, NULL), 2);
    fx_remove(empty);
    unlink(out);
    /* usage errors */
    CHECK_INT(fx_cmd(cmd_report, "report", "--bogus", NULL), 2);
    CHECK_INT(fx_cmd(cmd_report, "report", "--format", "xml", NULL), 2);
    CHECK_INT(fx_cmd(cmd_report, "report", "--run", "1,abc", NULL), 2);
    CHECK_INT(fx_cmd(cmd_report, "report", "--db", NULL), 2);
    CHECK_INT(fx_cmd(cmd_runs, "runs", "extra", NULL), 2);
    /* --help on each */
    CHECK_INT(fx_cmd(cmd_report, "report", "--out", out, "--help", NULL), 0);
    CHECK_INT(fx_cmd(cmd_compare, "compare", "--help", NULL), 0);
    CHECK_INT(fx_cmd(cmd_runs, "runs", "--help", NULL), 0);
}

int main(void) {
    char db[600], out[600], base[512];
    fx_path(base, sizeof base, "commands");
    snprintf(db, sizeof db, "%s.db", base);
    snprintf(out, sizeof out, "%s.out", base);
    build_db(db);
    char before[65], after[65];
    fx_sha256(db, before);
    CHECK(before[0] != '\0');

    test_report_json(db, out);
    test_report_md_csv(db, out);
    test_compare(db, out);
    test_runs(db, out);
    CHECK_INT(fx_cmd(cmd_report, "report", "--db", db, "--run", "7", "--out", out, NULL), 2);

    /* never modified: same bytes after every command */
    fx_sha256(db, after);
    CHECK_STR(after, before);

    /* a report taken while a writer holds the database open in WAL mode */
    sqlite3 *w;
    CHECK(sqlite3_open(db, &w) == SQLITE_OK);
    CHECK(sqlite3_exec(w, "BEGIN IMMEDIATE; UPDATE runs SET status='running' WHERE run_id=3;", NULL, NULL, NULL) ==
          SQLITE_OK);
    CHECK_INT(fx_cmd(cmd_report, "report", "--db", db, "--format", "json", "--out", out, NULL), 0);
    sqlite3_exec(w, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(w);

    test_errors(base);
    if (!getenv("EB_KEEP_TEST_FILES")) {
        unlink(out);
        fx_remove(db);
    }
    return eb_test_finish();
}
