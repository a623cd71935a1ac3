/* Markdown rendering: a models x suites table like the ones in papers and
 * model cards, then breakdowns, no-answer rates, tokens and cost. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "report_out.h"

/* Table cells must not break the row: '|' and newlines are escaped. */
static void put_cell_text(eb_buf *b, const char *s) {
    if (!s || !*s) {
        eb_buf_puts(b, "—");
        return;
    }
    for (; *s; s++) {
        if (*s == '|') eb_buf_puts(b, "\\|");
        else if (*s == '\n' || *s == '\r') eb_buf_putc(b, ' ');
        else eb_buf_putc(b, *s);
    }
}

static void run_head(eb_buf *b, const eb_rrun *run) {
    eb_buf_printf(b, "| %lld%s | ", (long long)run->run_id, run->partial ? " (partial)" : "");
    put_cell_text(b, run->model);
    eb_buf_puts(b, " | ");
    put_cell_text(b, run->engine);
    eb_buf_puts(b, " | ");
    put_cell_text(b, run->quantization);
    eb_buf_puts(b, " |");
}

static void header(eb_buf *b, const char *const *extra, size_t n) {
    eb_buf_puts(b, "| Run | Model | Engine | Quant. |");
    for (size_t i = 0; i < n; i++) {
        eb_buf_putc(b, ' ');
        put_cell_text(b, extra[i]);
        eb_buf_puts(b, " |");
    }
    eb_buf_puts(b, "\n|---:|---|---|---|");
    for (size_t i = 0; i < n; i++) eb_buf_puts(b, "---:|");
    eb_buf_putc(b, '\n');
}

/* "71.2 ± 0.3" in percent; no ± with a single repetition. */
static void put_acc(eb_buf *b, const eb_acc_summary *a) {
    if (a->n_reps == 0 || isnan(a->mean)) {
        eb_buf_puts(b, "—");
        return;
    }
    eb_buf_printf(b, "%.1f", 100.0 * a->mean);
    if (!isnan(a->std)) eb_buf_printf(b, " ± %.1f", 100.0 * a->std);
}

static void put_main_cell(eb_buf *b, const eb_rcell *c) {
    if (!c) {
        eb_buf_puts(b, " — |");
        return;
    }
    eb_buf_putc(b, ' ');
    if (!c->present) {
        eb_buf_printf(b, "— (n=0/%ld) † |", c->expected_items);
        return;
    }
    put_acc(b, &c->acc);
    if (c->complete) eb_buf_printf(b, " (n=%ld) |", c->n_items);
    else if (c->expected_items >= 0) eb_buf_printf(b, " (n=%ld/%ld) † |", c->n_items, c->expected_items);
    else eb_buf_printf(b, " (n=%ld) † |", c->n_items);
}

static void accuracy_table(eb_buf *b, const eb_report *r) {
    const char **labels = eb_malloc(sizeof(char *) * (r->n_cols + 1));
    for (size_t i = 0; i < r->n_cols; i++) labels[i] = r->cols[i].label;
    eb_buf_puts(b, "## Accuracy (%)\n\n");
    header(b, labels, r->n_cols);
    free(labels);
    int max_reps = 0;
    for (size_t i = 0; i < r->n_runs; i++) {
        run_head(b, &r->runs[i]);
        for (size_t c = 0; c < r->n_cols; c++) {
            const eb_rcell *cell = eb_report_cell(&r->runs[i], c, NULL);
            if (cell && cell->acc.n_reps > max_reps) max_reps = cell->acc.n_reps;
            put_main_cell(b, cell);
        }
        eb_buf_putc(b, '\n');
    }
    eb_buf_puts(b, "\nEach cell is the mean over repetitions of the per-repetition accuracy, in percent, "
                   "± the sample standard deviation across repetitions (divisor n−1; no ± when there is "
                   "one repetition); n is the number of items scored. This spread measures run-to-run "
                   "variation only, not the sampling error of the benchmark (see `evalbench compare`). "
                   "MMLU is the micro average over questions.\n");
    bool any_plus = false, any_split = false, any_partial = false;
    for (size_t c = 0; c < r->n_cols; c++) {
        any_plus |= r->cols[c].plus;
        any_split |= r->cols[c].split;
    }
    for (size_t i = 0; i < r->n_runs; i++) any_partial |= r->runs[i].partial;
    if (any_plus)
        eb_buf_puts(b, "\nHumanEval+ uses the same responses as HumanEval, scored with the extended (plus) tests.\n");
    if (any_partial)
        eb_buf_puts(b, "\n† partial: the run is unfinished or not every item was scored in every repetition "
                       "(n = scored/expected); such a cell is not comparable with a complete one.\n");
    if (any_split) {
        eb_buf_puts(b, "\nSome suites were run on different dataset files; their columns are kept apart "
                       "and never averaged together:\n\n");
        for (size_t c = 0; c < r->n_cols; c++) {
            if (!r->cols[c].split) continue;
            eb_buf_printf(b, "- %s: fingerprint `%s`%s%s\n", r->cols[c].label,
                          r->cols[c].fingerprint ? r->cols[c].fingerprint : "unknown (no run_suites row)",
                          r->cols[c].options ? ", options " : "", r->cols[c].options ? r->cols[c].options : "");
        }
    }
    eb_buf_putc(b, '\n');
}

static void pass_at_k_table(eb_buf *b, const eb_report *r) {
    int max_k_overall = 0;
    for (size_t c = 0; c < r->n_cols; c++) {
        if (!r->cols[c].code) continue;
        for (size_t i = 0; i < r->n_runs; i++) {
            const eb_rcell *cell = eb_report_cell(&r->runs[i], c, NULL);
            if (cell && cell->max_k > max_k_overall) max_k_overall = cell->max_k;
        }
    }
    if (max_k_overall == 0) return;
    eb_buf_puts(b, "## pass@k (code suites, %)\n\n");
    eb_buf arena = {0};
    size_t n_labels = 0;
    char **labels = NULL;
    int *col_of = NULL, *k_of = NULL;
    for (size_t c = 0; c < r->n_cols; c++) {
        if (!r->cols[c].code) continue;
        int mk = 0;
        for (size_t i = 0; i < r->n_runs; i++) {
            const eb_rcell *cell = eb_report_cell(&r->runs[i], c, NULL);
            if (cell && cell->max_k > mk) mk = cell->max_k;
        }
        for (int k = 1; k <= mk; k++) {
            labels = eb_realloc(labels, sizeof(char *) * (n_labels + 1));
            col_of = eb_realloc(col_of, sizeof(int) * (n_labels + 1));
            k_of = eb_realloc(k_of, sizeof(int) * (n_labels + 1));
            eb_buf_printf(&arena, "%s pass@%d", r->cols[c].label, k);
            labels[n_labels] = eb_buf_take(&arena);
            col_of[n_labels] = (int)c;
            k_of[n_labels++] = k;
        }
    }
    header(b, (const char *const *)labels, n_labels);
    for (size_t i = 0; i < r->n_runs; i++) {
        bool any = false;
        for (size_t l = 0; l < n_labels && !any; l++) any = eb_report_cell(&r->runs[i], (size_t)col_of[l], NULL) != NULL;
        if (!any) continue; /* a run without code suites */
        run_head(b, &r->runs[i]);
        for (size_t l = 0; l < n_labels; l++) {
            const eb_rcell *cell = eb_report_cell(&r->runs[i], (size_t)col_of[l], NULL);
            if (cell && cell->max_k >= k_of[l]) eb_buf_printf(b, " %.1f |", 100.0 * cell->pass_at_k[k_of[l] - 1]);
            else eb_buf_puts(b, " — |");
        }
        eb_buf_putc(b, '\n');
    }
    eb_buf_puts(b, "\nUnbiased estimator 1 − C(n−c, k)/C(n, k) per problem (n repetitions, c correct), "
                   "averaged over problems; pass@k is given only when every problem has at least k "
                   "repetitions. pass@1 equals the mean accuracy above when every repetition is complete.\n\n");
    for (size_t l = 0; l < n_labels; l++) free(labels[l]);
    free(labels);
    free(col_of);
    free(k_of);
    eb_buf_free(&arena);
}

/* Group names of one axis over all runs, in display order. */
static size_t union_groups(const eb_report *r, size_t col, bool subjects, char ***out) {
    char **names = NULL;
    size_t n = 0;
    for (size_t i = 0; i < r->n_runs; i++) {
        const eb_rcell *cell = eb_report_cell(&r->runs[i], col, NULL);
        if (!cell) continue;
        const eb_rgroup *g = subjects ? cell->subjects : cell->categories;
        size_t ng = subjects ? cell->n_subjects : cell->n_categories;
        for (size_t k = 0; k < ng; k++) {
            bool seen = false;
            for (size_t j = 0; j < n && !seen; j++) seen = strcmp(names[j], g[k].name) == 0;
            if (seen) continue;
            names = eb_realloc(names, sizeof(char *) * (n + 1));
            names[n++] = g[k].name;
        }
    }
    /* insertion sort: a few dozen names at most */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && eb_group_order(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    *out = names;
    return n;
}

static const eb_rgroup *find_group(const eb_rcell *cell, bool subjects, const char *name) {
    const eb_rgroup *g = subjects ? cell->subjects : cell->categories;
    size_t ng = subjects ? cell->n_subjects : cell->n_categories;
    for (size_t k = 0; k < ng; k++)
        if (strcmp(g[k].name, name) == 0) return &g[k];
    return NULL;
}

static void group_table(eb_buf *b, const eb_report *r, size_t col, bool subjects, bool with_macro) {
    char **names;
    size_t n = union_groups(r, col, subjects, &names);
    if (n == 0) {
        free(names);
        return;
    }
    const eb_rcolumn *c = &r->cols[col];
    const char *axis = subjects ? eb_suite_subject_axis(c->suite) : eb_suite_category_axis(c->suite);
    eb_buf_printf(b, "### %s by %s (%%)\n\n", c->label, axis);
    size_t extra = with_macro ? 2 : 0;
    const char **labels = eb_malloc(sizeof(char *) * (n + extra));
    if (with_macro) {
        labels[0] = "micro (headline)";
        labels[1] = "macro over subjects";
    }
    for (size_t i = 0; i < n; i++) labels[extra + i] = names[i];
    header(b, labels, n + extra);
    free(labels);
    for (size_t i = 0; i < r->n_runs; i++) {
        const eb_rcell *cell = eb_report_cell(&r->runs[i], col, NULL);
        if (!cell || !cell->present) continue;
        run_head(b, &r->runs[i]);
        if (with_macro) {
            eb_buf_putc(b, ' ');
            put_acc(b, &cell->acc);
            eb_buf_puts(b, " | ");
            put_acc(b, &cell->macro);
            eb_buf_puts(b, " |");
        }
        for (size_t k = 0; k < n; k++) {
            const eb_rgroup *g = find_group(cell, subjects, names[k]);
            eb_buf_putc(b, ' ');
            if (g) {
                put_acc(b, &g->acc);
                eb_buf_printf(b, " (n=%ld)", g->n_items);
            } else {
                eb_buf_puts(b, "—");
            }
            eb_buf_puts(b, " |");
        }
        eb_buf_putc(b, '\n');
    }
    eb_buf_putc(b, '\n');
    free(names);
}

static void breakdowns(eb_buf *b, const eb_report *r) {
    bool any = false;
    for (size_t c = 0; c < r->n_cols; c++) {
        const eb_rcolumn *col = &r->cols[c];
        if (col->plus) continue;
        bool mmlu = strcmp(col->suite, "mmlu") == 0;
        bool has_groups = false;
        for (size_t i = 0; i < r->n_runs; i++) {
            const eb_rcell *cell = eb_report_cell(&r->runs[i], c, NULL);
            if (cell && (cell->n_categories || cell->n_subjects)) has_groups = true;
        }
        if (!has_groups) continue;
        if (!any) eb_buf_puts(b, "## Breakdowns\n\n");
        any = true;
        group_table(b, r, c, false, mmlu);
        /* the 57 MMLU subjects are in the JSON and CSV output; as columns
         * they would make the table unreadable */
        if (!mmlu) group_table(b, r, c, true, false);
    }
    if (any)
        eb_buf_puts(b, "Each cell is the mean over repetitions ± the sample standard deviation across "
                       "repetitions, n items in the group. The MMLU macro average is the mean of the "
                       "per-subject accuracies (every subject weighs the same); the headline is the micro "
                       "average (every question weighs the same).\n\n");
}

static void no_answer_table(eb_buf *b, const eb_report *r) {
    size_t n = 0;
    const char **labels = eb_malloc(sizeof(char *) * (r->n_cols + 1));
    size_t *cols = eb_malloc(sizeof(size_t) * (r->n_cols + 1));
    for (size_t c = 0; c < r->n_cols; c++)
        if (!r->cols[c].plus) {
            labels[n] = r->cols[c].label;
            cols[n++] = c;
        }
    eb_buf_puts(b, "## No answer extracted (%)\n\n");
    header(b, labels, n);
    for (size_t i = 0; i < r->n_runs; i++) {
        run_head(b, &r->runs[i]);
        for (size_t k = 0; k < n; k++) {
            const eb_rcell *cell = eb_report_cell(&r->runs[i], cols[k], NULL);
            if (!cell || cell->rows == 0) eb_buf_puts(b, " — |");
            else
                eb_buf_printf(b, " %.1f (%ld/%ld) |", 100.0 * (double)cell->no_answer / (double)cell->rows,
                              cell->no_answer, cell->rows);
        }
        eb_buf_putc(b, '\n');
    }
    eb_buf_puts(b, "\nShare of scored responses (all repetitions) with verdict `no_answer`: nothing could be "
                   "extracted, which counts as wrong.\n\n");
    free(labels);
    free(cols);
}

static void put_tokens(eb_buf *b, double t, long rows) {
    if (rows == 0) eb_buf_puts(b, "—");
    else if (t >= 1e6) eb_buf_printf(b, "%.2fM", t / 1e6);
    else if (t >= 1e4) eb_buf_printf(b, "%.1fk", t / 1e3);
    else eb_buf_printf(b, "%.0f", t);
}

static void put_cost(eb_buf *b, double cost, long rows_cost, long rows, long rows_reused) {
    if (rows_cost == 0) {
        eb_buf_puts(b, "—");
        return;
    }
    /* cents hide the cost of small runs: four decimals below a dollar */
    eb_buf_printf(b, cost < 1 ? "$%.4f" : "$%.2f", cost);
    if (rows_cost < rows) eb_buf_printf(b, " (%ld of %ld priced)", rows_cost, rows);
    if (rows_reused > 0) eb_buf_printf(b, " (%ld reused, paid by an earlier run)", rows_reused);
}

static void cost_tables(eb_buf *b, const eb_report *r) {
    static const char *const run_labels[] = {"Tokens in", "Tokens out", "Cost", "Cost per 1k responses",
                                             "Price in / out ($ per 1M tokens)", "Effective $ per 1M tokens"};
    eb_buf_puts(b, "## Tokens and cost\n\n");
    header(b, run_labels, 6);
    for (size_t i = 0; i < r->n_runs; i++) {
        const eb_rrun *run = &r->runs[i];
        run_head(b, run);
        eb_buf_putc(b, ' ');
        put_tokens(b, run->tokens_in, run->rows_tokens_in);
        eb_buf_puts(b, " | ");
        put_tokens(b, run->tokens_out, run->rows_tokens_out);
        eb_buf_puts(b, " | ");
        put_cost(b, run->cost_usd, run->rows_cost, run->rows, run->rows_reused);
        eb_buf_puts(b, " | ");
        if (run->rows_cost > 0) eb_buf_printf(b, "$%.3f", 1000.0 * run->cost_usd / (double)run->rows_cost);
        else eb_buf_puts(b, "—");
        eb_buf_puts(b, " | ");
        if (!isnan(run->price_in_per_mtok) || !isnan(run->price_out_per_mtok))
            eb_buf_printf(b, "$%.2f / $%.2f", run->price_in_per_mtok, run->price_out_per_mtok);
        else eb_buf_puts(b, "—");
        eb_buf_puts(b, " | ");
        double tok = run->tokens_in + run->tokens_out;
        if (run->rows_cost > 0 && tok > 0 && run->rows_cost == run->rows)
            eb_buf_printf(b, "$%.2f", run->cost_usd / tok * 1e6);
        else eb_buf_puts(b, "—");
        eb_buf_puts(b, " |\n");
    }
    eb_buf_putc(b, '\n');

    const char **labels = eb_malloc(sizeof(char *) * (r->n_cols + 1));
    size_t *cols = eb_malloc(sizeof(size_t) * (r->n_cols + 1));
    size_t n = 0;
    for (size_t c = 0; c < r->n_cols; c++)
        if (!r->cols[c].plus) {
            labels[n] = r->cols[c].label;
            cols[n++] = c;
        }
    eb_buf_puts(b, "### Per suite: cost (tokens in / out)\n\n");
    header(b, labels, n);
    for (size_t i = 0; i < r->n_runs; i++) {
        run_head(b, &r->runs[i]);
        for (size_t k = 0; k < n; k++) {
            const eb_rsuite *s;
            const eb_rcell *cell = eb_report_cell(&r->runs[i], cols[k], &s);
            eb_buf_putc(b, ' ');
            if (!cell || cell->rows == 0) {
                eb_buf_puts(b, "— |");
                continue;
            }
            put_cost(b, s->cost_usd, s->rows_cost, cell->rows, s->rows_reused);
            eb_buf_puts(b, " (");
            put_tokens(b, s->tokens_in, s->rows_tokens_in);
            eb_buf_puts(b, " / ");
            put_tokens(b, s->tokens_out, s->rows_tokens_out);
            eb_buf_puts(b, ") |");
        }
        eb_buf_putc(b, '\n');
    }
    eb_buf_puts(b, "\nTotals over every scored response of the run, all repetitions included. Cost is what "
                   "the engine reported per response (`responses.cost_usd`); — means not reported (local "
                   "engines). A response reused from the response cache of an earlier run is charged to the run "
                   "that sent it, not again (its tokens still count). The effective price divides the cost by all tokens, input and output together.\n");
    free(labels);
    free(cols);
}

char *eb_report_markdown(const eb_report *r) {
    eb_buf b = {0};
    eb_buf_puts(&b, "# evalbench report\n\n");
    eb_buf_printf(&b, "Database `%s`: %zu run%s.\n\n", r->db_path, r->n_runs, r->n_runs == 1 ? "" : "s");
    if (r->n_runs == 0) {
        eb_buf_puts(&b, "No runs stored yet: start one with `evalbench run`.\n");
        return eb_buf_take(&b);
    }
    accuracy_table(&b, r);
    pass_at_k_table(&b, r);
    breakdowns(&b, r);
    no_answer_table(&b, r);
    cost_tables(&b, r);
    return eb_buf_take(&b);
}
