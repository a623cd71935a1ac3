#include "compare_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rdb.h"
#include "report_model.h"

/* ---- per-run item rows -------------------------------------------------- */

typedef struct run_item {
    int64_t pk;
    char *item_id, *gold;
    int n, c, np, cp;
    eb_buf ans, ans_plus;
} run_item;

typedef struct run_items {
    run_item *v;
    size_t n, cap;
} run_items;

static void run_items_free(run_items *r) {
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].item_id);
        free(r->v[i].gold);
        eb_buf_free(&r->v[i].ans);
        eb_buf_free(&r->v[i].ans_plus);
    }
    free(r->v);
}

/* Compact one-line form of an extracted answer for the flipped lists. */
static void put_answer(eb_buf *b, const char *s) {
    if (!s || !*s) {
        eb_buf_puts(b, "∅");
        return;
    }
    for (; *s; s++) eb_buf_putc(b, (*s == '\n' || *s == '\r' || *s == '\t') ? ' ' : *s);
}

static int load_items(sqlite3 *db, int64_t run_id, const char *suite, run_items *out, eb_err *err) {
    sqlite3_stmt *st;
    memset(out, 0, sizeof *out);
    if (eb_rdb_prepare(db,
                       "SELECT s.item_pk, i.item_id, i.gold, s.correct, s.correct_plus, s.extracted, s.verdict"
                       " FROM scores s JOIN items i ON i.item_pk = s.item_pk"
                       " WHERE s.run_id = ?1 AND i.suite = ?2 ORDER BY s.item_pk, s.run_index",
                       &st, err))
        return -1;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, suite, -1, SQLITE_STATIC);
    /* code suites show the verdict: the extracted program is too long */
    bool code = eb_suite_is_code(suite);
    int rc;
    while ((rc = eb_rdb_step(db, st, err)) == SQLITE_ROW) {
        int64_t pk = sqlite3_column_int64(st, 0);
        if (out->n == 0 || out->v[out->n - 1].pk != pk) {
            if (out->n == out->cap) out->v = eb_realloc(out->v, sizeof(run_item) * (out->cap = out->cap ? out->cap * 2 : 256));
            run_item *it = &out->v[out->n++];
            memset(it, 0, sizeof *it);
            it->pk = pk;
            it->item_id = eb_rdb_text(st, 1);
            it->gold = eb_rdb_text(st, 2);
        }
        run_item *it = &out->v[out->n - 1];
        const char *extracted = (const char *)sqlite3_column_text(st, 5);
        const char *verdict = (const char *)sqlite3_column_text(st, 6);
        bool correct = sqlite3_column_int64(st, 3) != 0;
        it->n++;
        it->c += correct;
        if (it->ans.len) eb_buf_puts(&it->ans, " | ");
        if (code) put_answer(&it->ans, verdict);
        else put_answer(&it->ans, extracted);
        if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
            bool plus = sqlite3_column_int64(st, 4) != 0;
            it->np++;
            it->cp += plus;
            if (it->ans_plus.len) eb_buf_puts(&it->ans_plus, " | ");
            eb_buf_puts(&it->ans_plus, plus ? "passed" : "failed");
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        run_items_free(out);
        return -1;
    }
    return 0;
}

/* ---- runs and their suites ---------------------------------------------- */

typedef struct suite_ref {
    char *suite, *fingerprint, *options;
} suite_ref;

static void refs_free(suite_ref *r, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(r[i].suite);
        free(r[i].fingerprint);
        free(r[i].options);
    }
    free(r);
}

static int load_run(sqlite3 *db, const char *db_path, int64_t id, eb_cmp_run *run, eb_err *err) {
    sqlite3_stmt *st;
    if (eb_rdb_prepare(db,
                       "SELECT model, engine, quantization, status, finished_at, n_runs, temperature"
                       " FROM runs WHERE run_id = ?",
                       &st, err))
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = eb_rdb_step(db, st, err);
    if (rc == SQLITE_ROW) {
        run->run_id = id;
        run->model = eb_rdb_text(st, 0);
        run->engine = eb_rdb_text(st, 1);
        run->quantization = eb_rdb_text(st, 2);
        run->status = eb_rdb_text(st, 3);
        run->finished_at = eb_rdb_text(st, 4);
        run->n_runs = sqlite3_column_int(st, 5);
        run->temperature = sqlite3_column_double(st, 6);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) {
        eb_err_set(err, "%s: no run %lld in the database", db_path, (long long)id);
        return EB_COMPARE_NO_RUN;
    }
    return rc == SQLITE_ROW ? 0 : -1;
}

/* The suites of a run: its run_suites rows, plus any suite that has scores
 * but no run_suites row (fingerprint unknown). */
static int load_suite_refs(sqlite3 *db, int64_t id, suite_ref **out, size_t *n, eb_err *err) {
    sqlite3_stmt *st;
    *out = NULL;
    *n = 0;
    if (eb_rdb_prepare(db,
                       "SELECT suite, fingerprint, options FROM run_suites WHERE run_id = ?1"
                       " UNION ALL SELECT DISTINCT i.suite, NULL, NULL FROM scores s"
                       " JOIN items i ON i.item_pk = s.item_pk WHERE s.run_id = ?1"
                       " AND i.suite NOT IN (SELECT suite FROM run_suites WHERE run_id = ?1)",
                       &st, err))
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc;
    while ((rc = eb_rdb_step(db, st, err)) == SQLITE_ROW) {
        *out = eb_realloc(*out, sizeof(suite_ref) * (*n + 1));
        suite_ref *r = &(*out)[(*n)++];
        r->suite = eb_rdb_text(st, 0);
        r->fingerprint = eb_rdb_text(st, 1);
        r->options = eb_rdb_text(st, 2);
        if (!r->suite) r->suite = eb_strdup("");
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static const suite_ref *find_ref(const suite_ref *r, size_t n, const char *suite) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(r[i].suite, suite) == 0) return &r[i];
    return NULL;
}

/* ---- statistics ----------------------------------------------------------- */

static void finish_suite(eb_cmp_suite *s, const eb_compare_options *opt) {
    size_t n = s->n_items;
    double *a = eb_malloc(sizeof(double) * (n ? n : 1)), *b = eb_malloc(sizeof(double) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) {
        eb_cmp_item *it = &s->items[i];
        it->score_a = (double)it->c_a / (double)it->n_a;
        it->score_b = (double)it->c_b / (double)it->n_b;
        /* "majority": strictly more than half; a tie (1 of 2) counts as not correct */
        it->major_a = 2 * it->c_a > it->n_a;
        it->major_b = 2 * it->c_b > it->n_b;
        a[i] = it->score_a;
        b[i] = it->score_b;
        if (it->major_a && it->major_b) s->both_right++;
        else if (!it->major_a && !it->major_b) s->both_wrong++;
        else if (it->major_a) s->a_only_right++;
        else s->b_only_right++;
    }
    s->acc_a = eb_mean(a, n);
    s->acc_b = eb_mean(b, n);
    s->diff = s->acc_b - s->acc_a;
    s->wilson_a = eb_wilson_ci(s->acc_a, (double)n, 1.959963984540054);
    s->wilson_b = eb_wilson_ci(s->acc_b, (double)n, 1.959963984540054);
    s->diff_ci = eb_paired_bootstrap_ci(a, b, n, opt->resamples, opt->seed, 0.95);
    s->mcnemar_p = eb_mcnemar_exact_p(s->a_only_right, s->b_only_right);
    free(a);
    free(b);
}

/* Pairs the items of both runs (both lists are in item_pk order). */
static void pair_items(eb_cmp_suite *s, const run_items *ra, const run_items *rb, bool plus) {
    size_t i = 0, j = 0, cap = 0;
    while (i < ra->n || j < rb->n) {
        const run_item *x = i < ra->n ? &ra->v[i] : NULL, *y = j < rb->n ? &rb->v[j] : NULL;
        bool xa = x && (plus ? x->np : x->n) > 0, yb = y && (plus ? y->np : y->n) > 0;
        if (x && (!y || x->pk < y->pk)) {
            s->only_a += xa;
            i++;
            continue;
        }
        if (y && (!x || y->pk < x->pk)) {
            s->only_b += yb;
            j++;
            continue;
        }
        i++;
        j++;
        if (!xa || !yb) {
            s->only_a += xa;
            s->only_b += yb;
            continue;
        }
        if (s->n_items == cap) s->items = eb_realloc(s->items, sizeof(eb_cmp_item) * (cap = cap ? cap * 2 : 256));
        eb_cmp_item *it = &s->items[s->n_items++];
        memset(it, 0, sizeof *it);
        it->item_id = eb_strdup(x->item_id ? x->item_id : "");
        it->gold = x->gold ? eb_strdup(x->gold) : NULL;
        it->n_a = plus ? x->np : x->n;
        it->c_a = plus ? x->cp : x->c;
        it->n_b = plus ? y->np : y->n;
        it->c_b = plus ? y->cp : y->c;
        it->answers_a = eb_strdup(eb_buf_str(plus ? &x->ans_plus : &x->ans));
        it->answers_b = eb_strdup(eb_buf_str(plus ? &y->ans_plus : &y->ans));
    }
}

static eb_cmp_suite *add_suite(eb_compare *c, const char *suite, bool plus, const suite_ref *ref) {
    c->suites = eb_realloc(c->suites, sizeof(eb_cmp_suite) * (c->n_suites + 1));
    eb_cmp_suite *s = &c->suites[c->n_suites++];
    memset(s, 0, sizeof *s);
    s->suite = eb_strdup(suite);
    s->plus = plus;
    s->fingerprint = ref->fingerprint ? eb_strdup(ref->fingerprint) : NULL;
    s->options = ref->options ? eb_strdup(ref->options) : NULL;
    return s;
}

/* Compares one suite present in both runs with equal fingerprints. */
static int compare_suite(sqlite3 *db, eb_compare *c, const suite_ref *ref, int want_plus,
                         const eb_compare_options *opt, eb_err *err) {
    run_items ra, rb;
    if (load_items(db, c->a.run_id, ref->suite, &ra, err)) return -1;
    if (load_items(db, c->b.run_id, ref->suite, &rb, err)) {
        run_items_free(&ra);
        return -1;
    }
    if (want_plus != 1) {
        eb_cmp_suite *s = add_suite(c, ref->suite, false, ref);
        pair_items(s, &ra, &rb, false);
        finish_suite(s, opt);
    }
    if (want_plus != 0) {
        bool any_a = false, any_b = false;
        for (size_t i = 0; i < ra.n && !any_a; i++) any_a = ra.v[i].np > 0;
        for (size_t i = 0; i < rb.n && !any_b; i++) any_b = rb.v[i].np > 0;
        if (any_a && any_b) {
            eb_cmp_suite *s = add_suite(c, ref->suite, true, ref);
            pair_items(s, &ra, &rb, true);
            finish_suite(s, opt);
        }
    }
    run_items_free(&ra);
    run_items_free(&rb);
    return 0;
}

static void add_skip(eb_compare *c, const char *suite, const char *reason) {
    c->skipped = eb_realloc(c->skipped, sizeof(eb_cmp_skip) * (c->n_skipped + 1));
    c->skipped[c->n_skipped].suite = eb_strdup(suite);
    c->skipped[c->n_skipped++].reason = eb_strdup(reason);
}

static bool fingerprints_match(const suite_ref *x, const suite_ref *y, const eb_compare *c, char *why,
                               size_t size) {
    if (!x->fingerprint || !y->fingerprint) {
        snprintf(why, size, "run %lld has no dataset fingerprint recorded for %s, so its data cannot be checked",
                 (long long)(!x->fingerprint ? c->a.run_id : c->b.run_id), x->suite);
        return false;
    }
    if (strcmp(x->fingerprint, y->fingerprint) != 0) {
        snprintf(why, size,
                 "%s was run on different data: run %lld has dataset fingerprint %.12s%s%s%s, run %lld has %.12s%s%s%s",
                 x->suite, (long long)c->a.run_id, x->fingerprint, x->options ? " (" : "",
                 x->options ? x->options : "", x->options ? ")" : "", (long long)c->b.run_id, y->fingerprint,
                 y->options ? " (" : "", y->options ? y->options : "", y->options ? ")" : "");
        return false;
    }
    return true;
}

static int cmp_ref_order(const void *p, const void *q) {
    const suite_ref *x = p, *y = q;
    static const char *const order[] = {"mmlu", "humaneval", "math", "livecodebench"};
    int rx = 4, ry = 4;
    for (int i = 0; i < 4; i++) {
        if (strcmp(x->suite, order[i]) == 0) rx = i;
        if (strcmp(y->suite, order[i]) == 0) ry = i;
    }
    return rx != ry ? rx - ry : strcmp(x->suite, y->suite);
}

int eb_compare_load(sqlite3 *db, const char *db_path, int64_t run_a, int64_t run_b, const eb_compare_options *opt,
                    eb_compare *out, eb_err *err) {
    memset(out, 0, sizeof *out);
    out->db_path = eb_strdup(db_path);
    out->resamples = opt->resamples;
    out->seed = opt->seed;
    suite_ref *ra = NULL, *rb = NULL;
    size_t na = 0, nb = 0;
    int rc = load_run(db, db_path, run_a, &out->a, err);
    if (rc == 0) rc = load_run(db, db_path, run_b, &out->b, err);
    if (rc == 0) rc = load_suite_refs(db, run_a, &ra, &na, err);
    if (rc == 0) rc = load_suite_refs(db, run_b, &rb, &nb, err);
    if (rc == 0 && na) qsort(ra, na, sizeof *ra, cmp_ref_order);
    char why[512];
    if (rc == 0 && opt->suite) {
        /* one suite asked for: anything that prevents the comparison is a refusal */
        size_t len = strlen(opt->suite);
        bool plus = len > 1 && opt->suite[len - 1] == '+';
        char *name = eb_strndup(opt->suite, plus ? len - 1 : len);
        const suite_ref *x = find_ref(ra, na, name), *y = find_ref(rb, nb, name);
        if (!x || !y) {
            eb_err_set(err, "cannot compare %s: run %lld has no scores or dataset for it", opt->suite,
                       (long long)(!x ? run_a : run_b));
            rc = EB_COMPARE_REFUSED;
        } else if (!fingerprints_match(x, y, out, why, sizeof why)) {
            eb_err_set(err, "cannot compare %s: %s", opt->suite, why);
            rc = EB_COMPARE_REFUSED;
        } else {
            rc = compare_suite(db, out, x, plus ? 1 : 0, opt, err);
            if (rc == 0 && out->n_suites == 0) {
                eb_err_set(err, "cannot compare %s: one of the runs has no plus-test scores", opt->suite);
                rc = EB_COMPARE_REFUSED;
            }
        }
        free(name);
    } else if (rc == 0) {
        size_t common = 0;
        for (size_t i = 0; i < na && rc == 0; i++) {
            const suite_ref *y = find_ref(rb, nb, ra[i].suite);
            if (!y) continue;
            common++;
            if (!fingerprints_match(&ra[i], y, out, why, sizeof why)) add_skip(out, ra[i].suite, why);
            else rc = compare_suite(db, out, &ra[i], -1, opt, err);
        }
        if (rc == 0 && common == 0) {
            eb_err_set(err, "cannot compare runs %lld and %lld: they have no suite in common", (long long)run_a,
                       (long long)run_b);
            rc = EB_COMPARE_REFUSED;
        } else if (rc == 0 && out->n_suites == 0) {
            eb_err_set(err, "cannot compare runs %lld and %lld: %s", (long long)run_a, (long long)run_b,
                       out->skipped[0].reason);
            rc = EB_COMPARE_REFUSED;
        }
    }
    refs_free(ra, na);
    refs_free(rb, nb);
    if (rc) {
        eb_compare_free(out);
        return rc;
    }
    return 0;
}

static void run_free(eb_cmp_run *r) {
    free(r->model);
    free(r->engine);
    free(r->quantization);
    free(r->status);
    free(r->finished_at);
}

void eb_compare_free(eb_compare *c) {
    run_free(&c->a);
    run_free(&c->b);
    for (size_t i = 0; i < c->n_suites; i++) {
        eb_cmp_suite *s = &c->suites[i];
        for (size_t j = 0; j < s->n_items; j++) {
            free(s->items[j].item_id);
            free(s->items[j].gold);
            free(s->items[j].answers_a);
            free(s->items[j].answers_b);
        }
        free(s->items);
        free(s->suite);
        free(s->fingerprint);
        free(s->options);
    }
    free(c->suites);
    for (size_t i = 0; i < c->n_skipped; i++) {
        free(c->skipped[i].suite);
        free(c->skipped[i].reason);
    }
    free(c->skipped);
    free(c->db_path);
    memset(c, 0, sizeof *c);
}
