/* CSV rendering in long ("tidy") form: one number per line, so a
 * spreadsheet or pandas pivot gets exactly the values of the JSON output.
 * Columns: run_id,model,engine,quantization,partial,column,suite,
 * fingerprint,scope,group,metric,value. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "report_out.h"

static void csv_field(eb_buf *b, const char *s) {
    if (!s) return;
    if (!strpbrk(s, ",\"\n\r")) {
        eb_buf_puts(b, s);
        return;
    }
    eb_buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"') eb_buf_putc(b, '"');
        eb_buf_putc(b, *s);
    }
    eb_buf_putc(b, '"');
}

typedef struct row_ctx {
    eb_buf *b;
    const eb_rrun *run;
    const char *column, *suite, *fingerprint;
} row_ctx;

static void row(const row_ctx *x, const char *scope, const char *group, const char *metric, double v) {
    eb_buf *b = x->b;
    eb_buf_printf(b, "%lld,", (long long)x->run->run_id);
    csv_field(b, x->run->model);
    eb_buf_putc(b, ',');
    csv_field(b, x->run->engine);
    eb_buf_putc(b, ',');
    csv_field(b, x->run->quantization);
    eb_buf_printf(b, ",%d,", x->run->partial ? 1 : 0);
    csv_field(b, x->column);
    eb_buf_putc(b, ',');
    csv_field(b, x->suite);
    eb_buf_putc(b, ',');
    csv_field(b, x->fingerprint);
    eb_buf_putc(b, ',');
    csv_field(b, scope);
    eb_buf_putc(b, ',');
    csv_field(b, group);
    eb_buf_putc(b, ',');
    csv_field(b, metric);
    eb_buf_putc(b, ',');
    if (isfinite(v)) eb_buf_printf(b, "%.17g", v);
    eb_buf_putc(b, '\n');
}

static void summary_rows(const row_ctx *x, const char *scope, const char *group, const eb_acc_summary *a) {
    row(x, scope, group, "mean", a->mean);
    row(x, scope, group, "std", a->std);
    for (int i = 0; i < a->n_reps; i++) {
        char m[48];
        snprintf(m, sizeof m, "accuracy_rep%d", a->rep_index[i]);
        row(x, scope, group, m, a->per_rep[i]);
    }
}

static void group_rows(const row_ctx *x, const char *scope, const eb_rgroup *g, size_t n) {
    for (size_t i = 0; i < n; i++) {
        row(x, scope, g[i].name, "n_items", (double)g[i].n_items);
        summary_rows(x, scope, g[i].name, &g[i].acc);
    }
}

char *eb_report_csv(const eb_report *r) {
    eb_buf b = {0};
    eb_buf_puts(&b, "run_id,model,engine,quantization,partial,column,suite,fingerprint,scope,group,metric,value\n");
    for (size_t i = 0; i < r->n_runs; i++) {
        const eb_rrun *run = &r->runs[i];
        row_ctx x = {&b, run, NULL, NULL, NULL};
        row(&x, "run", NULL, "rows", (double)run->rows);
        row(&x, "run", NULL, "tokens_in", run->rows_tokens_in ? run->tokens_in : NAN);
        row(&x, "run", NULL, "tokens_out", run->rows_tokens_out ? run->tokens_out : NAN);
        row(&x, "run", NULL, "cost_usd", run->rows_cost ? run->cost_usd : NAN);
        row(&x, "run", NULL, "price_in_usd_per_mtok", run->price_in_per_mtok);
        row(&x, "run", NULL, "price_out_usd_per_mtok", run->price_out_per_mtok);
        for (size_t c = 0; c < r->n_cols; c++) {
            const eb_rsuite *s;
            const eb_rcell *cell = eb_report_cell(run, c, &s);
            if (!cell) continue;
            const eb_rcolumn *col = &r->cols[c];
            row_ctx y = {&b, run, col->key, s->suite, s->fingerprint};
            row(&y, "overall", NULL, "n_items", (double)cell->n_items);
            row(&y, "overall", NULL, "expected_items", cell->expected_items >= 0 ? (double)cell->expected_items : NAN);
            row(&y, "overall", NULL, "complete", cell->complete ? 1 : 0);
            summary_rows(&y, "overall", NULL, &cell->acc);
            row(&y, "overall", NULL, "wilson95_lo", cell->wilson95.lo);
            row(&y, "overall", NULL, "wilson95_hi", cell->wilson95.hi);
            for (int k = 1; k <= cell->max_k; k++) {
                char m[32];
                snprintf(m, sizeof m, "pass@%d", k);
                row(&y, "overall", NULL, m, cell->pass_at_k[k - 1]);
            }
            if (!col->plus) {
                row(&y, "overall", NULL, "no_answer_rate", cell->rows ? (double)cell->no_answer / (double)cell->rows : NAN);
                row(&y, "cost", NULL, "tokens_in", s->rows_tokens_in ? s->tokens_in : NAN);
                row(&y, "cost", NULL, "tokens_out", s->rows_tokens_out ? s->tokens_out : NAN);
                row(&y, "cost", NULL, "cost_usd", s->rows_cost ? s->cost_usd : NAN);
            }
            if (cell->n_subjects) summary_rows(&y, "macro_over_subjects", NULL, &cell->macro);
            group_rows(&y, eb_suite_category_axis(s->suite), cell->categories, cell->n_categories);
            group_rows(&y, eb_suite_subject_axis(s->suite), cell->subjects, cell->n_subjects);
        }
    }
    return eb_buf_take(&b);
}
