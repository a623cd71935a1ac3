/* Renderings of a paired comparison: markdown for reading, JSON for
 * regression-tracking scripts. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "compare_model.h"
#include "report_model.h"

static void md_text(eb_buf *b, const char *s, size_t max) {
    if (!s || !*s) {
        eb_buf_puts(b, "—");
        return;
    }
    size_t n = 0;
    for (; *s; s++, n++) {
        if (max && n >= max) {
            eb_buf_puts(b, "…");
            return;
        }
        if (*s == '|') eb_buf_puts(b, "\\|");
        else if (*s == '\n' || *s == '\r') eb_buf_putc(b, ' ');
        else eb_buf_putc(b, *s);
    }
}

static const char *or_dash(const char *s) { return s && *s ? s : "—"; }

static void run_rows(eb_buf *b, const eb_compare *c) {
    eb_buf_printf(b, "| | A: run %lld | B: run %lld |\n|---|---|---|\n", (long long)c->a.run_id,
                  (long long)c->b.run_id);
    eb_buf_puts(b, "| Model | ");
    md_text(b, c->a.model, 0);
    eb_buf_puts(b, " | ");
    md_text(b, c->b.model, 0);
    eb_buf_puts(b, " |\n| Engine | ");
    md_text(b, c->a.engine, 0);
    eb_buf_puts(b, " | ");
    md_text(b, c->b.engine, 0);
    eb_buf_puts(b, " |\n| Quantization | ");
    md_text(b, c->a.quantization, 0);
    eb_buf_puts(b, " | ");
    md_text(b, c->b.quantization, 0);
    eb_buf_printf(b, " |\n| Repetitions | %d | %d |\n", c->a.n_runs, c->b.n_runs);
    eb_buf_printf(b, "| Temperature | %g | %g |\n", c->a.temperature, c->b.temperature);
    eb_buf_printf(b, "| Status | %s%s | %s%s |\n\n", or_dash(c->a.status), c->a.finished_at ? "" : " (unfinished)",
                  or_dash(c->b.status), c->b.finished_at ? "" : " (unfinished)");
}

static void flipped_table(eb_buf *b, const eb_cmp_suite *s, bool a_right, long count) {
    eb_buf_printf(b, "#### %s (%ld)\n\n", a_right ? "Correct in A, wrong in B" : "Wrong in A, correct in B", count);
    if (count == 0) {
        eb_buf_puts(b, "None.\n\n");
        return;
    }
    bool code = eb_suite_is_code(s->suite);
    eb_buf_printf(b, "| Item | Gold | A %s | B %s |\n|---|---|---|---|\n", code ? "verdicts" : "answers",
                  code ? "verdicts" : "answers");
    for (size_t i = 0; i < s->n_items; i++) {
        const eb_cmp_item *it = &s->items[i];
        if (it->major_a == it->major_b || it->major_a != a_right) continue;
        eb_buf_puts(b, "| ");
        md_text(b, it->item_id, 0);
        eb_buf_puts(b, " | ");
        md_text(b, code ? NULL : it->gold, 60);
        eb_buf_puts(b, " | ");
        md_text(b, it->answers_a, 120);
        eb_buf_puts(b, " | ");
        md_text(b, it->answers_b, 120);
        eb_buf_puts(b, " |\n");
    }
    eb_buf_putc(b, '\n');
}

static void suite_md(eb_buf *b, const eb_cmp_suite *s) {
    char disp[128];
    eb_suite_display(s->suite, s->plus, disp, sizeof disp);
    eb_buf_printf(b, "## %s\n\n", disp);
    eb_buf_printf(b, "%zu items scored by both runs (dataset fingerprint `%.16s`%s%s).", s->n_items,
                  s->fingerprint ? s->fingerprint : "?", s->options ? ", " : "", s->options ? s->options : "");
    if (s->only_a || s->only_b)
        eb_buf_printf(b, " Left out: %ld scored only by A, %ld only by B.", s->only_a, s->only_b);
    eb_buf_puts(b, "\n\n");
    if (s->n_items == 0) {
        eb_buf_puts(b, "Nothing to compare.\n\n");
        return;
    }
    eb_buf_puts(b, "| | A | B | B − A |\n|---|---:|---:|---:|\n");
    eb_buf_printf(b, "| Accuracy (%%) | %.2f | %.2f | %+.2f pp |\n", 100 * s->acc_a, 100 * s->acc_b, 100 * s->diff);
    eb_buf_printf(b, "| 95%% interval | %.2f – %.2f (Wilson) | %.2f – %.2f (Wilson) | %+.2f to %+.2f pp (paired bootstrap) |\n\n",
                  100 * s->wilson_a.lo, 100 * s->wilson_a.hi, 100 * s->wilson_b.lo, 100 * s->wilson_b.hi,
                  100 * s->diff_ci.lo, 100 * s->diff_ci.hi);
    eb_buf_puts(b, "Item-level majority correctness (correct in more than half of the item's repetitions):\n\n");
    eb_buf_puts(b, "| | B correct | B wrong |\n|---|---:|---:|\n");
    eb_buf_printf(b, "| **A correct** | %ld | %ld |\n| **A wrong** | %ld | %ld |\n\n", s->both_right, s->a_only_right,
                  s->b_only_right, s->both_wrong);
    long disc = s->a_only_right + s->b_only_right;
    eb_buf_printf(b, "Exact McNemar test on the %ld discordant items (%ld lost, %ld gained): p = %.4g (two-sided); ",
                  disc, s->a_only_right, s->b_only_right, s->mcnemar_p);
    if (disc == 0) eb_buf_puts(b, "no item changed.\n\n");
    else if (s->mcnemar_p < 0.05)
        eb_buf_printf(b, "B is %s than A at the 5%% level.\n\n", s->b_only_right > s->a_only_right ? "better" : "worse");
    else eb_buf_puts(b, "no significant difference at the 5% level.\n\n");
    flipped_table(b, s, true, s->a_only_right);
    flipped_table(b, s, false, s->b_only_right);
}

/* One line per suite first: what a regression check reads. */
static void summary_md(eb_buf *b, const eb_compare *c) {
    eb_buf_puts(b, "## Summary\n\n| Suite | Items | A (%) | B (%) | B − A (pp) | 95% interval (pp) | Lost | Gained | "
                   "McNemar p |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < c->n_suites; i++) {
        const eb_cmp_suite *s = &c->suites[i];
        char disp[128];
        eb_suite_display(s->suite, s->plus, disp, sizeof disp);
        if (s->n_items == 0) {
            eb_buf_printf(b, "| %s | 0 | — | — | — | — | — | — | — |\n", disp);
            continue;
        }
        eb_buf_printf(b, "| %s | %zu | %.2f | %.2f | %+.2f | %+.2f to %+.2f | %ld | %ld | %.4g |\n", disp, s->n_items,
                      100 * s->acc_a, 100 * s->acc_b, 100 * s->diff, 100 * s->diff_ci.lo, 100 * s->diff_ci.hi,
                      s->a_only_right, s->b_only_right, s->mcnemar_p);
    }
    for (size_t i = 0; i < c->n_skipped; i++) {
        char disp[128];
        eb_buf_printf(b, "| %s | not compared (see below) | | | | | | | |\n",
                      eb_suite_display(c->skipped[i].suite, false, disp, sizeof disp));
    }
    eb_buf_puts(b, "\nLost: correct (by majority over repetitions) in A, wrong in B; gained: the reverse.\n\n");
}

char *eb_compare_markdown(const eb_compare *c) {
    eb_buf b = {0};
    eb_buf_printf(&b, "# evalbench compare: run %lld (A) vs run %lld (B)\n\n", (long long)c->a.run_id,
                  (long long)c->b.run_id);
    run_rows(&b, c);
    eb_buf_printf(&b,
                  "Differences are B − A in percentage points. Per item, the score is the mean correctness over "
                  "its repetitions; accuracy is the mean item score over the items both runs scored. The "
                  "interval of the difference is a paired bootstrap over items (%d resamples, seed %llu, "
                  "percentile method).\n\n",
                  c->resamples, (unsigned long long)c->seed);
    summary_md(&b, c);
    for (size_t i = 0; i < c->n_suites; i++) suite_md(&b, &c->suites[i]);
    if (c->n_skipped) {
        eb_buf_puts(&b, "## Not compared\n\n");
        for (size_t i = 0; i < c->n_skipped; i++) eb_buf_printf(&b, "- %s: %s.\n", c->skipped[i].suite, c->skipped[i].reason);
        eb_buf_putc(&b, '\n');
    }
    return eb_buf_take(&b);
}

static cJSON *num(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }
static cJSON *str(const char *s) { return s ? cJSON_CreateString(s) : cJSON_CreateNull(); }

static cJSON *run_json(const eb_cmp_run *r) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "run_id", (double)r->run_id);
    cJSON_AddItemToObject(o, "model", str(r->model));
    cJSON_AddItemToObject(o, "engine", str(r->engine));
    cJSON_AddItemToObject(o, "quantization", str(r->quantization));
    cJSON_AddNumberToObject(o, "n_runs", r->n_runs);
    cJSON_AddNumberToObject(o, "temperature", r->temperature);
    cJSON_AddItemToObject(o, "status", str(r->status));
    cJSON_AddBoolToObject(o, "finished", r->finished_at != NULL);
    return o;
}

static cJSON *pair(double lo, double hi) {
    cJSON *a = cJSON_CreateArray();
    cJSON_AddItemToArray(a, num(lo));
    cJSON_AddItemToArray(a, num(hi));
    return a;
}

static cJSON *flipped_json(const eb_cmp_suite *s, bool a_right) {
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < s->n_items; i++) {
        const eb_cmp_item *it = &s->items[i];
        if (it->major_a == it->major_b || it->major_a != a_right) continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "item_id", it->item_id);
        cJSON_AddItemToObject(o, "gold", str(it->gold));
        cJSON_AddNumberToObject(o, "score_a", it->score_a);
        cJSON_AddNumberToObject(o, "score_b", it->score_b);
        cJSON_AddStringToObject(o, "answers_a", it->answers_a);
        cJSON_AddStringToObject(o, "answers_b", it->answers_b);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

char *eb_compare_json(const eb_compare *c) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", "evalbench-compare/1");
    cJSON_AddStringToObject(root, "database", c->db_path);
    cJSON_AddItemToObject(root, "a", run_json(&c->a));
    cJSON_AddItemToObject(root, "b", run_json(&c->b));
    cJSON_AddNumberToObject(root, "bootstrap_resamples", c->resamples);
    cJSON_AddNumberToObject(root, "bootstrap_seed", (double)c->seed);
    cJSON *suites = cJSON_AddArrayToObject(root, "suites");
    for (size_t i = 0; i < c->n_suites; i++) {
        const eb_cmp_suite *s = &c->suites[i];
        cJSON *o = cJSON_CreateObject();
        char key[160];
        snprintf(key, sizeof key, "%s%s", s->suite, s->plus ? "+" : "");
        cJSON_AddStringToObject(o, "suite", key);
        cJSON_AddItemToObject(o, "fingerprint", str(s->fingerprint));
        cJSON_AddItemToObject(o, "options", str(s->options));
        cJSON_AddNumberToObject(o, "n_items", (double)s->n_items);
        cJSON_AddNumberToObject(o, "only_a", (double)s->only_a);
        cJSON_AddNumberToObject(o, "only_b", (double)s->only_b);
        cJSON_AddItemToObject(o, "accuracy_a", num(s->acc_a));
        cJSON_AddItemToObject(o, "accuracy_b", num(s->acc_b));
        cJSON_AddItemToObject(o, "difference", num(s->diff));
        cJSON_AddItemToObject(o, "wilson95_a", pair(s->wilson_a.lo, s->wilson_a.hi));
        cJSON_AddItemToObject(o, "wilson95_b", pair(s->wilson_b.lo, s->wilson_b.hi));
        cJSON_AddItemToObject(o, "difference_ci95", pair(s->diff_ci.lo, s->diff_ci.hi));
        cJSON_AddNumberToObject(o, "both_correct", (double)s->both_right);
        cJSON_AddNumberToObject(o, "both_wrong", (double)s->both_wrong);
        cJSON_AddNumberToObject(o, "a_correct_b_wrong", (double)s->a_only_right);
        cJSON_AddNumberToObject(o, "a_wrong_b_correct", (double)s->b_only_right);
        cJSON_AddItemToObject(o, "mcnemar_p", num(s->mcnemar_p));
        cJSON_AddItemToObject(o, "flipped_to_wrong", flipped_json(s, true));
        cJSON_AddItemToObject(o, "flipped_to_correct", flipped_json(s, false));
        cJSON_AddItemToArray(suites, o);
    }
    cJSON *skipped = cJSON_AddArrayToObject(root, "not_compared");
    for (size_t i = 0; i < c->n_skipped; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "suite", c->skipped[i].suite);
        cJSON_AddStringToObject(o, "reason", c->skipped[i].reason);
        cJSON_AddItemToArray(skipped, o);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) abort();
    size_t n = strlen(text);
    char *out = eb_malloc(n + 2);
    memcpy(out, text, n);
    memcpy(out + n, "\n", 2);
    free(text);
    return out;
}
