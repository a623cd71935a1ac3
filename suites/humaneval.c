/* HumanEval loader (HumanEval.jsonl.gz), joined with the HumanEval+ release
 * (HumanEvalPlus.jsonl.gz) when present so that one response is scored on the
 * base tests and on the plus tests. */
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "jsonutil.h"
#include "suite.h"

#define HE_FILE "humaneval/HumanEval.jsonl.gz"
#define HEPLUS_FILE "humaneval_plus/HumanEvalPlus.jsonl.gz"

typedef struct load_ctx {
    eb_suite *s;
    size_t cap;
    int file_index;
} load_ctx;

static int on_base(const cJSON *o, eb_jloc loc, void *vctx, eb_err *err) {
    load_ctx *c = vctx;
    const char *task = eb_json_str(o, "task_id", loc, err);
    const char *prompt = task ? eb_json_str(o, "prompt", loc, err) : NULL;
    const char *entry = prompt ? eb_json_str(o, "entry_point", loc, err) : NULL;
    const char *sol = entry ? eb_json_str(o, "canonical_solution", loc, err) : NULL;
    const char *test = sol ? eb_json_str(o, "test", loc, err) : NULL;
    if (!test) return -1;
    eb_item *it = eb_suite_push_item(c->s, &c->cap);
    it->id = eb_strdup(task);
    it->source_file = eb_strdup(HE_FILE);
    it->dataset_sha256 = eb_strdup(c->s->files[c->file_index].sha256);
    it->question = eb_strdup(prompt);
    it->entry_point = eb_strdup(entry);
    it->solution = eb_strdup(sol);
    it->test = eb_strdup(test);
    return 0;
}

static int on_plus(const cJSON *o, eb_jloc loc, void *vctx, eb_err *err) {
    load_ctx *c = vctx;
    const char *task = eb_json_str(o, "task_id", loc, err);
    if (!task) return -1;
    if (!cJSON_GetObjectItemCaseSensitive(o, "plus_input") || !cJSON_GetObjectItemCaseSensitive(o, "base_input"))
        return eb_err_set(err, "%s:%ld: HumanEval+ record %s lacks plus_input/base_input", loc.file, loc.line, task);
    for (size_t i = 0; i < c->s->n_items; i++) {
        eb_item *it = &c->s->items[i];
        if (strcmp(it->id, task) != 0) continue;
        /* The raw line, not a re-print: cJSON holds numbers as doubles, and
         * printing them again would turn 1.0 into 1 and round integers above
         * 2^53, changing the inputs the plus tests feed to solutions. */
        it->plus_json = eb_strndup(loc.text, loc.len);
        return 0;
    }
    return eb_err_set(err, "%s:%ld: HumanEval+ task %s is not in %s", loc.file, loc.line, task, HE_FILE);
}

static int load_jsonl(const char *data_dir, const char *rel, eb_jsonl_cb cb, load_ctx *c, eb_err *err) {
    char *path = eb_path_join(data_dir, rel);
    char *text;
    size_t len;
    int rc = eb_read_file(path, &text, &len, err);
    if (rc == 0) {
        rc = eb_jsonl_each(path, text, len, cb, c, err);
        free(text);
    }
    free(path);
    return rc;
}

int eb_humaneval_load(const eb_suite_options *opt, eb_suite *s, eb_err *err) {
    load_ctx c = {s, 0, 0};
    char *plus_path = eb_path_join(opt->data_dir, HEPLUS_FILE);
    bool have_plus = eb_file_exists(plus_path);
    free(plus_path);
    s->options_desc = eb_strdup(have_plus ? "tests=base+plus(v0.1.10)" : "tests=base");
    if ((c.file_index = eb_suite_add_file(s, opt->data_dir, HE_FILE, err)) < 0) {
        return eb_err_prefix(err, "HumanEval (run `evalbench data fetch --suite humaneval` or pass --data)");
    }
    if (load_jsonl(opt->data_dir, HE_FILE, on_base, &c, err) != 0) return -1;
    s->files[c.file_index].n_items = s->n_items;
    if (have_plus) {
        int fi = eb_suite_add_file(s, opt->data_dir, HEPLUS_FILE, err);
        if (fi < 0 || load_jsonl(opt->data_dir, HEPLUS_FILE, on_plus, &c, err) != 0) return -1;
        s->files[fi].n_items = s->n_items;
    }
    return 0;
}
