#include "report_model.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rdb.h"

/* Repetition indexes beyond this are treated as corrupt data rather than
 * allocated blindly. */
#define EB_MAX_RUN_INDEX 100000

static const struct {
    const char *suite, *display, *category_axis, *subject_axis;
    bool code;
} known_suites[] = {
    {"mmlu", "MMLU", "category group", "subject", false},
    {"humaneval", "HumanEval", "category", "subject", true},
    {"math", "MATH", "level", "subject", false},
    {"livecodebench", "LiveCodeBench", "difficulty", "platform", true},
};
#define N_KNOWN (sizeof known_suites / sizeof known_suites[0])

static int suite_rank(const char *suite) {
    for (size_t i = 0; i < N_KNOWN; i++)
        if (strcmp(known_suites[i].suite, suite) == 0) return (int)i;
    return (int)N_KNOWN;
}

const char *eb_suite_display(const char *suite, bool plus, char *buf, size_t size) {
    int k = suite_rank(suite);
    snprintf(buf, size, "%s%s", k < (int)N_KNOWN ? known_suites[k].display : suite, plus ? "+" : "");
    return buf;
}

const char *eb_suite_category_axis(const char *suite) {
    int k = suite_rank(suite);
    return k < (int)N_KNOWN ? known_suites[k].category_axis : "category";
}

const char *eb_suite_subject_axis(const char *suite) {
    int k = suite_rank(suite);
    return k < (int)N_KNOWN ? known_suites[k].subject_axis : "subject";
}

bool eb_suite_is_code(const char *suite) {
    int k = suite_rank(suite);
    return k < (int)N_KNOWN && known_suites[k].code;
}

/* ---- accumulation ---------------------------------------------------- */

static int reps_add(eb_rep_count **reps, int *cap, long run_index, long n, long correct, long no_answer,
                    eb_err *err) {
    if (run_index < 0 || run_index > EB_MAX_RUN_INDEX)
        return eb_err_set(err, "scores.run_index %ld out of range", run_index);
    if (run_index >= *cap) {
        int ncap = (int)run_index + 1;
        *reps = eb_realloc(*reps, sizeof(eb_rep_count) * (size_t)ncap);
        memset(*reps + *cap, 0, sizeof(eb_rep_count) * (size_t)(ncap - *cap));
        *cap = ncap;
    }
    (*reps)[run_index].n += n;
    (*reps)[run_index].correct += correct;
    (*reps)[run_index].no_answer += no_answer;
    return 0;
}

static eb_rgroup *group_get(eb_rgroup **groups, size_t *n, const char *name) {
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*groups)[i].name, name) == 0) return &(*groups)[i];
    *groups = eb_realloc(*groups, sizeof(eb_rgroup) * (*n + 1));
    eb_rgroup *g = &(*groups)[(*n)++];
    memset(g, 0, sizeof *g);
    g->name = eb_strdup(name);
    return g;
}

static void summarize(const eb_rep_count *reps, int cap, eb_acc_summary *s) {
    s->per_rep = eb_malloc(sizeof(double) * (size_t)(cap > 0 ? cap : 1));
    s->rep_index = eb_malloc(sizeof(int) * (size_t)(cap > 0 ? cap : 1));
    s->n_reps = 0;
    for (int j = 0; j < cap; j++) {
        if (reps[j].n <= 0) continue;
        s->rep_index[s->n_reps] = j;
        s->per_rep[s->n_reps++] = (double)reps[j].correct / (double)reps[j].n;
    }
    s->mean = eb_mean(s->per_rep, (size_t)s->n_reps);
    s->std = eb_sample_std(s->per_rep, (size_t)s->n_reps);
}

static void summary_free(eb_acc_summary *s) {
    free(s->per_rep);
    free(s->rep_index);
}

static int cmp_group(const void *a, const void *b) {
    return strcmp(((const eb_rgroup *)a)->name, ((const eb_rgroup *)b)->name);
}

static void finish_groups(eb_rgroup *g, size_t n) {
    if (n == 0) return;
    qsort(g, n, sizeof *g, cmp_group);
    for (size_t i = 0; i < n; i++) {
        summarize(g[i].reps, g[i].cap_reps, &g[i].acc);
        for (int j = 0; j < g[i].cap_reps; j++)
            if (g[i].reps[j].n > g[i].n_items) g[i].n_items = g[i].reps[j].n;
    }
}

/* Macro average: per repetition, the mean over subjects of the subject's
 * accuracy; then mean and spread of that over repetitions. */
static void finish_macro(eb_rcell *c) {
    int cap = c->cap_reps;
    double *sum = eb_calloc((size_t)(cap > 0 ? cap : 1), sizeof(double));
    long *cnt = eb_calloc((size_t)(cap > 0 ? cap : 1), sizeof(long));
    for (size_t i = 0; i < c->n_subjects; i++)
        for (int j = 0; j < c->subjects[i].cap_reps && j < cap; j++)
            if (c->subjects[i].reps[j].n > 0) {
                sum[j] += (double)c->subjects[i].reps[j].correct / (double)c->subjects[i].reps[j].n;
                cnt[j]++;
            }
    c->macro.per_rep = eb_malloc(sizeof(double) * (size_t)(cap > 0 ? cap : 1));
    c->macro.rep_index = eb_malloc(sizeof(int) * (size_t)(cap > 0 ? cap : 1));
    c->macro.n_reps = 0;
    for (int j = 0; j < cap; j++) {
        if (cnt[j] == 0) continue;
        c->macro.rep_index[c->macro.n_reps] = j;
        c->macro.per_rep[c->macro.n_reps++] = sum[j] / (double)cnt[j];
    }
    c->macro.mean = eb_mean(c->macro.per_rep, (size_t)c->macro.n_reps);
    c->macro.std = eb_sample_std(c->macro.per_rep, (size_t)c->macro.n_reps);
    free(sum);
    free(cnt);
}

static void item_count_add(eb_rcell *c, long n, long k) {
    if (c->n_item_counts == c->cap_item_counts) {
        c->cap_item_counts = c->cap_item_counts ? c->cap_item_counts * 2 : 64;
        c->item_n = eb_realloc(c->item_n, sizeof(long) * c->cap_item_counts);
        c->item_c = eb_realloc(c->item_c, sizeof(long) * c->cap_item_counts);
    }
    c->item_n[c->n_item_counts] = n;
    c->item_c[c->n_item_counts++] = k;
}

/* pass@k averaged over items, for k up to the smallest number of samples
 * any item has (the estimator needs n >= k for every task) and at most the
 * run's repetitions. */
static void finish_pass_at_k(eb_rcell *c, int n_runs) {
    if (c->n_item_counts == 0) return;
    long min_n = c->item_n[0];
    for (size_t i = 1; i < c->n_item_counts; i++)
        if (c->item_n[i] < min_n) min_n = c->item_n[i];
    if (min_n > n_runs && n_runs > 0) min_n = n_runs;
    if (min_n < 1) return;
    c->max_k = (int)min_n;
    c->pass_at_k = eb_malloc(sizeof(double) * (size_t)c->max_k);
    for (int k = 1; k <= c->max_k; k++) {
        double s = 0;
        for (size_t i = 0; i < c->n_item_counts; i++) s += eb_pass_at_k(c->item_n[i], c->item_c[i], k);
        c->pass_at_k[k - 1] = s / (double)c->n_item_counts;
    }
}

static void finish_cell(eb_rcell *c, int n_runs, bool code) {
    if (!c->present) return;
    c->n_items = (long)c->n_item_counts;
    summarize(c->reps, c->cap_reps, &c->acc);
    c->wilson95 = eb_wilson_ci(c->acc.mean, (double)c->n_items, 1.959963984540054);
    finish_groups(c->subjects, c->n_subjects);
    finish_groups(c->categories, c->n_categories);
    finish_macro(c);
    if (code) finish_pass_at_k(c, n_runs);
    /* complete: every expected item, each scored n_runs times */
    c->complete = c->expected_items >= 0 && c->n_items == c->expected_items;
    for (size_t i = 0; c->complete && i < c->n_item_counts; i++)
        if (c->item_n[i] < n_runs) c->complete = false;
}

static void cell_free(eb_rcell *c) {
    free(c->reps);
    summary_free(&c->acc);
    summary_free(&c->macro);
    for (size_t i = 0; i < c->n_subjects; i++) {
        free(c->subjects[i].name);
        free(c->subjects[i].reps);
        summary_free(&c->subjects[i].acc);
    }
    for (size_t i = 0; i < c->n_categories; i++) {
        free(c->categories[i].name);
        free(c->categories[i].reps);
        summary_free(&c->categories[i].acc);
    }
    free(c->subjects);
    free(c->categories);
    free(c->item_n);
    free(c->item_c);
    free(c->pass_at_k);
}

/* ---- loading ---------------------------------------------------------- */

static eb_rrun *find_run(eb_report *r, int64_t id) {
    for (size_t i = 0; i < r->n_runs; i++)
        if (r->runs[i].run_id == id) return &r->runs[i];
    return NULL;
}

static eb_rsuite *suite_get(eb_rrun *run, const char *suite, bool create) {
    for (size_t i = 0; i < run->n_suites; i++)
        if (strcmp(run->suites[i].suite, suite) == 0) return &run->suites[i];
    if (!create) return NULL;
    run->suites = eb_realloc(run->suites, sizeof(eb_rsuite) * (run->n_suites + 1));
    eb_rsuite *s = &run->suites[run->n_suites++];
    memset(s, 0, sizeof *s);
    s->suite = eb_strdup(suite);
    s->expected_items = -1;
    s->base.expected_items = s->plus.expected_items = -1;
    s->col_base = s->col_plus = -1;
    return s;
}

static double json_price(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* The WHERE fragment restricting to the selected runs: the ids are bound as
 * one JSON array so any number of them needs one parameter. */
static char *ids_json(const int64_t *ids, size_t n) {
    eb_buf b = {0};
    eb_buf_putc(&b, '[');
    for (size_t i = 0; i < n; i++) eb_buf_printf(&b, "%s%lld", i ? "," : "", (long long)ids[i]);
    eb_buf_putc(&b, ']');
    return eb_buf_take(&b);
}

static int prepare_filtered(sqlite3 *db, const char *sql_head, const char *col, const char *sql_tail,
                            const char *idlist, sqlite3_stmt **st, eb_err *err) {
    eb_buf b = {0};
    eb_buf_puts(&b, sql_head);
    if (idlist) eb_buf_printf(&b, " WHERE %s IN (SELECT value FROM json_each(?1))", col);
    eb_buf_puts(&b, sql_tail);
    int rc = eb_rdb_prepare(db, eb_buf_str(&b), st, err);
    eb_buf_free(&b);
    if (rc) return -1;
    if (idlist) sqlite3_bind_text(*st, 1, idlist, -1, SQLITE_TRANSIENT);
    return 0;
}

static int load_runs(sqlite3 *db, const char *idlist, eb_report *r, eb_err *err) {
    sqlite3_stmt *st;
    if (prepare_filtered(db,
                         "SELECT run_id, model, engine, engine_version, quantization, suites, n_runs, temperature,"
                         " params_json, host, started_at, finished_at, status FROM runs",
                         "run_id", " ORDER BY run_id", idlist, &st, err))
        return -1;
    size_t cap = 0;
    int rc;
    while ((rc = eb_rdb_step(db, st, err)) == SQLITE_ROW) {
        if (r->n_runs == cap) r->runs = eb_realloc(r->runs, sizeof(eb_rrun) * (cap = cap ? cap * 2 : 8));
        eb_rrun *run = &r->runs[r->n_runs++];
        memset(run, 0, sizeof *run);
        run->run_id = sqlite3_column_int64(st, 0);
        run->model = eb_rdb_text(st, 1);
        run->engine = eb_rdb_text(st, 2);
        run->engine_version = eb_rdb_text(st, 3);
        run->quantization = eb_rdb_text(st, 4);
        run->suites_text = eb_rdb_text(st, 5);
        run->n_runs = sqlite3_column_int(st, 6);
        run->temperature = sqlite3_column_double(st, 7);
        run->params_json = eb_rdb_text(st, 8);
        run->host = eb_rdb_text(st, 9);
        run->started_at = eb_rdb_text(st, 10);
        run->finished_at = eb_rdb_text(st, 11);
        run->status = eb_rdb_text(st, 12);
        run->partial = run->finished_at == NULL;
        run->price_in_per_mtok = run->price_out_per_mtok = NAN;
        cJSON *p = run->params_json ? cJSON_Parse(run->params_json) : NULL;
        if (p) {
            run->price_in_per_mtok = json_price(p, "price_in_usd_per_mtok");
            run->price_out_per_mtok = json_price(p, "price_out_usd_per_mtok");
            cJSON_Delete(p);
        }
    }
    sqlite3_finalize(st);
    return rc < 0 ? -1 : 0;
}

static int load_run_suites(sqlite3 *db, const char *idlist, eb_report *r, eb_err *err) {
    sqlite3_stmt *st;
    if (prepare_filtered(db, "SELECT run_id, suite, fingerprint, n_items, options FROM run_suites", "run_id",
                         " ORDER BY run_id, suite", idlist, &st, err))
        return -1;
    int rc;
    while ((rc = eb_rdb_step(db, st, err)) == SQLITE_ROW) {
        eb_rrun *run = find_run(r, sqlite3_column_int64(st, 0));
        const char *suite = (const char *)sqlite3_column_text(st, 1);
        if (!run || !suite) continue;
        eb_rsuite *s = suite_get(run, suite, true);
        free(s->fingerprint);
        free(s->options);
        s->fingerprint = eb_rdb_text(st, 2);
        s->expected_items = sqlite3_column_int64(st, 3);
        s->options = eb_rdb_text(st, 4);
        s->base.expected_items = s->plus.expected_items = s->expected_items;
    }
    sqlite3_finalize(st);
    return rc < 0 ? -1 : 0;
}

static int add_to_groups(eb_rcell *c, const char *subject, const char *category, long idx, long n, long k,
                         long na, eb_err *err) {
    if (subject) {
        eb_rgroup *g = group_get(&c->subjects, &c->n_subjects, subject);
        if (reps_add(&g->reps, &g->cap_reps, idx, n, k, na, err)) return -1;
    }
    if (category) {
        eb_rgroup *g = group_get(&c->categories, &c->n_categories, category);
        if (reps_add(&g->reps, &g->cap_reps, idx, n, k, na, err)) return -1;
    }
    return 0;
}

/* One pass over the score rows, grouped by run, suite, subject, category
 * and repetition: everything but the per-item counts comes from it. */
static int load_aggregates(sqlite3 *db, const char *idlist, eb_report *r, eb_err *err) {
    sqlite3_stmt *st;
    if (prepare_filtered(db,
                         "SELECT s.run_id, i.suite, i.subject, i.category, s.run_index,"
                         " COUNT(*), SUM(s.correct <> 0), COUNT(s.correct_plus), SUM(s.correct_plus <> 0),"
                         " SUM(s.verdict = 'no_answer'),"
                         " SUM(p.tokens_in), COUNT(p.tokens_in), SUM(p.tokens_out), COUNT(p.tokens_out),"
                         /* A response another run sent (the response cache) was paid
                          * there: its cost is not charged again here. */
                         " SUM(CASE WHEN p.run_id IS NULL OR p.run_id = s.run_id THEN p.cost_usd END),"
                         " COUNT(p.cost_usd), SUM(p.run_id IS NOT NULL AND p.run_id <> s.run_id)"
                         " FROM scores s JOIN items i ON i.item_pk = s.item_pk"
                         " LEFT JOIN responses p ON p.response_id = s.response_id",
                         "s.run_id", " GROUP BY s.run_id, i.suite, i.subject, i.category, s.run_index", idlist, &st,
                         err))
        return -1;
    int rc;
    while ((rc = eb_rdb_step(db, st, err)) == SQLITE_ROW) {
        eb_rrun *run = find_run(r, sqlite3_column_int64(st, 0));
        const char *suite = (const char *)sqlite3_column_text(st, 1);
        if (!run || !suite) continue;
        eb_rsuite *s = suite_get(run, suite, true);
        const char *subject = (const char *)sqlite3_column_text(st, 2);
        const char *category = (const char *)sqlite3_column_text(st, 3);
        long idx = (long)sqlite3_column_int64(st, 4);
        long n = (long)sqlite3_column_int64(st, 5), k = (long)sqlite3_column_int64(st, 6);
        long np = (long)sqlite3_column_int64(st, 7), kp = (long)sqlite3_column_int64(st, 8);
        long na = (long)sqlite3_column_int64(st, 9);
        s->base.present = true;
        s->base.rows += n;
        s->base.no_answer += na;
        if (reps_add(&s->base.reps, &s->base.cap_reps, idx, n, k, na, err) ||
            add_to_groups(&s->base, subject, category, idx, n, k, na, err)) {
            eb_err_prefix(err, "%s: run %lld, suite %s", r->db_path, (long long)run->run_id, suite);
            break;
        }
        if (np > 0) {
            s->plus.present = true;
            s->plus.rows += np;
            if (reps_add(&s->plus.reps, &s->plus.cap_reps, idx, np, kp, 0, err) ||
                add_to_groups(&s->plus, subject, category, idx, np, kp, 0, err)) {
                eb_err_prefix(err, "%s: run %lld, suite %s", r->db_path, (long long)run->run_id, suite);
                break;
            }
        }
        s->tokens_in += sqlite3_column_double(st, 10);
        s->rows_tokens_in += (long)sqlite3_column_int64(st, 11);
        s->tokens_out += sqlite3_column_double(st, 12);
        s->rows_tokens_out += (long)sqlite3_column_int64(st, 13);
        s->cost_usd += sqlite3_column_double(st, 14);
        s->rows_cost += (long)sqlite3_column_int64(st, 15);
        s->rows_reused += (long)sqlite3_column_int64(st, 16);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Per item: how many repetitions were scored and how many were correct. */
static int load_item_counts(sqlite3 *db, const char *idlist, eb_report *r, eb_err *err) {
    sqlite3_stmt *st;
    if (prepare_filtered(db,
                         "SELECT s.run_id, i.suite, COUNT(*), SUM(s.correct <> 0), COUNT(s.correct_plus),"
                         " SUM(s.correct_plus <> 0)"
                         " FROM scores s JOIN items i ON i.item_pk = s.item_pk",
                         "s.run_id", " GROUP BY s.run_id, s.item_pk", idlist, &st, err))
        return -1;
    int rc;
    eb_rrun *run = NULL;
    eb_rsuite *s = NULL;
    while ((rc = eb_rdb_step(db, st, err)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        const char *suite = (const char *)sqlite3_column_text(st, 1);
        if (!suite) continue;
        if (!run || run->run_id != id) {
            run = find_run(r, id);
            s = NULL;
        }
        if (!run) continue;
        if (!s || strcmp(s->suite, suite) != 0) s = suite_get(run, suite, true);
        item_count_add(&s->base, (long)sqlite3_column_int64(st, 2), (long)sqlite3_column_int64(st, 3));
        long np = (long)sqlite3_column_int64(st, 4);
        if (np > 0) item_count_add(&s->plus, np, (long)sqlite3_column_int64(st, 5));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- columns ----------------------------------------------------------- */

static bool str_eq_null(const char *a, const char *b) {
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

static int col_find_or_add(eb_report *r, const eb_rsuite *s, bool plus) {
    for (size_t i = 0; i < r->n_cols; i++)
        if (r->cols[i].plus == plus && strcmp(r->cols[i].suite, s->suite) == 0 &&
            str_eq_null(r->cols[i].fingerprint, s->fingerprint))
            return (int)i;
    r->cols = eb_realloc(r->cols, sizeof(eb_rcolumn) * (r->n_cols + 1));
    eb_rcolumn *c = &r->cols[r->n_cols];
    memset(c, 0, sizeof *c);
    c->suite = eb_strdup(s->suite);
    c->plus = plus;
    c->fingerprint = s->fingerprint ? eb_strdup(s->fingerprint) : NULL;
    c->options = s->options ? eb_strdup(s->options) : NULL;
    c->code = eb_suite_is_code(s->suite);
    return (int)r->n_cols++;
}

static int cmp_col(const void *a, const void *b) {
    const eb_rcolumn *x = a, *y = b;
    int rx = suite_rank(x->suite), ry = suite_rank(y->suite);
    if (rx != ry) return rx - ry;
    int c = strcmp(x->suite, y->suite);
    if (c) return c;
    if (x->plus != y->plus) return x->plus ? 1 : -1;
    if (!x->fingerprint || !y->fingerprint) return (x->fingerprint == NULL) - (y->fingerprint == NULL);
    return strcmp(x->fingerprint, y->fingerprint);
}

static void build_columns(eb_report *r) {
    for (size_t i = 0; i < r->n_runs; i++)
        for (size_t j = 0; j < r->runs[i].n_suites; j++) {
            eb_rsuite *s = &r->runs[i].suites[j];
            col_find_or_add(r, s, false);
            if (s->plus.present) col_find_or_add(r, s, true);
        }
    if (r->n_cols) qsort(r->cols, r->n_cols, sizeof *r->cols, cmp_col);
    for (size_t i = 0; i < r->n_cols; i++) {
        eb_rcolumn *c = &r->cols[i];
        for (size_t j = 0; j < r->n_cols; j++)
            if (j != i && r->cols[j].plus == c->plus && strcmp(r->cols[j].suite, c->suite) == 0) c->split = true;
        char disp[128];
        eb_suite_display(c->suite, c->plus, disp, sizeof disp);
        eb_buf b = {0};
        eb_buf_puts(&b, disp);
        if (c->split) {
            if (c->options && *c->options) eb_buf_printf(&b, " (%s)", c->options);
            eb_buf_printf(&b, " [%.8s]", c->fingerprint ? c->fingerprint : "unknown");
        }
        c->label = eb_buf_take(&b);
        eb_buf_printf(&b, "%s%s", c->suite, c->plus ? "+" : "");
        if (c->split) eb_buf_printf(&b, "@%.12s", c->fingerprint ? c->fingerprint : "unknown");
        c->key = eb_buf_take(&b);
    }
    for (size_t i = 0; i < r->n_runs; i++)
        for (size_t j = 0; j < r->runs[i].n_suites; j++) {
            eb_rsuite *s = &r->runs[i].suites[j];
            for (size_t k = 0; k < r->n_cols; k++) {
                eb_rcolumn *c = &r->cols[k];
                if (strcmp(c->suite, s->suite) != 0 || !str_eq_null(c->fingerprint, s->fingerprint)) continue;
                if (c->plus && s->plus.present) s->col_plus = (int)k;
                if (!c->plus) s->col_base = (int)k;
            }
        }
}

const eb_rcell *eb_report_cell(const eb_rrun *r, size_t col, const eb_rsuite **suite_out) {
    for (size_t j = 0; j < r->n_suites; j++) {
        const eb_rsuite *s = &r->suites[j];
        if (s->col_base == (int)col || s->col_plus == (int)col) {
            if (suite_out) *suite_out = s;
            return s->col_plus == (int)col ? &s->plus : &s->base;
        }
    }
    if (suite_out) *suite_out = NULL;
    return NULL;
}

int eb_report_load(sqlite3 *db, const char *db_path, const int64_t *ids, size_t n_ids, eb_report *out,
                   eb_err *err) {
    memset(out, 0, sizeof *out);
    out->db_path = eb_strdup(db_path);
    char *idlist = n_ids ? ids_json(ids, n_ids) : NULL;
    int rc = load_runs(db, idlist, out, err);
    if (rc == 0 && n_ids) {
        /* keep the order the user asked for; name the first missing id */
        eb_rrun *sorted = eb_malloc(sizeof(eb_rrun) * n_ids);
        size_t n = 0;
        for (size_t i = 0; i < n_ids && rc == 0; i++) {
            eb_rrun *run = find_run(out, ids[i]);
            if (!run) {
                eb_err_set(err, "%s: no run %lld in the database", db_path, (long long)ids[i]);
                rc = EB_REPORT_NO_RUN;
                break;
            }
            bool dup = false;
            for (size_t j = 0; j < n; j++) dup |= sorted[j].run_id == ids[i];
            if (!dup) sorted[n++] = *run;
        }
        if (rc == 0) {
            free(out->runs);
            out->runs = sorted;
            out->n_runs = n;
        } else {
            free(sorted);
        }
    }
    if (rc == 0) rc = load_run_suites(db, idlist, out, err);
    if (rc == 0) rc = load_aggregates(db, idlist, out, err);
    if (rc == 0) rc = load_item_counts(db, idlist, out, err);
    free(idlist);
    if (rc) {
        eb_report_free(out);
        return rc == EB_REPORT_NO_RUN ? rc : -1;
    }
    for (size_t i = 0; i < out->n_runs; i++) {
        eb_rrun *run = &out->runs[i];
        for (size_t j = 0; j < run->n_suites; j++) {
            eb_rsuite *s = &run->suites[j];
            bool code = eb_suite_is_code(s->suite);
            finish_cell(&s->base, run->n_runs, code);
            finish_cell(&s->plus, run->n_runs, code);
            if (s->base.present ? !s->base.complete : true) run->partial = true;
            run->rows += s->base.rows;
            run->tokens_in += s->tokens_in;
            run->tokens_out += s->tokens_out;
            run->cost_usd += s->cost_usd;
            run->rows_tokens_in += s->rows_tokens_in;
            run->rows_tokens_out += s->rows_tokens_out;
            run->rows_cost += s->rows_cost;
            run->rows_reused += s->rows_reused;
        }
    }
    build_columns(out);
    return 0;
}

void eb_report_free(eb_report *r) {
    for (size_t i = 0; i < r->n_runs; i++) {
        eb_rrun *run = &r->runs[i];
        free(run->model);
        free(run->engine);
        free(run->engine_version);
        free(run->quantization);
        free(run->suites_text);
        free(run->status);
        free(run->started_at);
        free(run->finished_at);
        free(run->host);
        free(run->params_json);
        for (size_t j = 0; j < run->n_suites; j++) {
            free(run->suites[j].suite);
            free(run->suites[j].fingerprint);
            free(run->suites[j].options);
            cell_free(&run->suites[j].base);
            cell_free(&run->suites[j].plus);
        }
        free(run->suites);
    }
    free(r->runs);
    for (size_t i = 0; i < r->n_cols; i++) {
        free(r->cols[i].key);
        free(r->cols[i].suite);
        free(r->cols[i].fingerprint);
        free(r->cols[i].options);
        free(r->cols[i].label);
    }
    free(r->cols);
    free(r->db_path);
    memset(r, 0, sizeof *r);
}
