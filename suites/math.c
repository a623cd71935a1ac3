/* MATH loader: MATH-500 (math500_test.jsonl: problem, solution, answer,
 * subject, level, unique_id) by default, or the full 5,000-problem test set
 * (math_test_5000.jsonl: problem, level, type, solution, idx), whose gold
 * answer is the last \boxed{} of the solution. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract/math_answer.h"
#include "fileio.h"
#include "jsonutil.h"
#include "suite.h"

#define MATH500_FILE "math/math500_test.jsonl"
#define MATH_FULL_FILE "math/math_test_5000.jsonl"

typedef struct load_ctx {
    eb_suite *s;
    size_t cap;
    bool full;
} load_ctx;

static int on_row(const cJSON *o, eb_jloc loc, void *vctx, eb_err *err) {
    load_ctx *c = vctx;
    const char *problem = eb_json_str(o, "problem", loc, err);
    const char *solution = problem ? eb_json_str(o, "solution", loc, err) : NULL;
    if (!solution) return -1;
    char id[256], level[32];
    const char *subject;
    char *answer;
    double lv;
    if (c->full) {
        double idx;
        if (!eb_json_num(o, "idx", &idx, loc, err)) return -1;
        subject = eb_json_str(o, "type", loc, err);
        const char *lvl = subject ? eb_json_str(o, "level", loc, err) : NULL;
        if (!lvl) return -1;
        snprintf(id, sizeof id, "test/%ld", (long)idx);
        snprintf(level, sizeof level, "%s", lvl);
        answer = eb_math_last_boxed(solution);
        if (!answer) return eb_err_set(err, "%s:%ld: solution has no \\boxed{} answer", loc.file, loc.line);
    } else {
        const char *uid = eb_json_str(o, "unique_id", loc, err);
        const char *ans = uid ? eb_json_str(o, "answer", loc, err) : NULL;
        subject = ans ? eb_json_str(o, "subject", loc, err) : NULL;
        if (!subject || !eb_json_num(o, "level", &lv, loc, err)) return -1;
        snprintf(id, sizeof id, "%s", uid);
        snprintf(level, sizeof level, "Level %d", (int)lv);
        answer = eb_strdup(ans);
    }
    eb_item *it = eb_suite_push_item(c->s, &c->cap);
    it->id = eb_strdup(id);
    it->source_file = eb_strdup(c->full ? MATH_FULL_FILE : MATH500_FILE);
    it->dataset_sha256 = eb_strdup(c->s->files[0].sha256);
    it->subject = eb_strdup(subject);
    it->category = eb_strdup(level);
    it->question = eb_strdup(problem);
    it->solution = eb_strdup(solution);
    it->answer = answer;
    return 0;
}

int eb_math_load(const eb_suite_options *opt, eb_suite *s, eb_err *err) {
    bool full = opt->math_set && strcmp(opt->math_set, "full") == 0;
    if (opt->math_set && !full && strcmp(opt->math_set, "math500") != 0)
        return eb_err_set(err, "--math-set: \"%s\" is not math500 or full", opt->math_set);
    const char *rel = full ? MATH_FULL_FILE : MATH500_FILE;
    s->options_desc = eb_strdup(full ? "set=full" : "set=math500");
    if (eb_suite_add_file(s, opt->data_dir, rel, err) < 0)
        return eb_err_prefix(err, "MATH (run `evalbench data fetch --suite math` or pass --data)");
    char *path = eb_path_join(opt->data_dir, rel);
    char *text;
    size_t len;
    load_ctx c = {s, 0, full};
    int rc = eb_read_file(path, &text, &len, err);
    if (rc == 0) {
        rc = eb_jsonl_each(path, text, len, on_row, &c, err);
        free(text);
    }
    free(path);
    s->files[0].n_items = s->n_items;
    return rc;
}
