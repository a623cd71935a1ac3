/* Responses (the request-hash keyed cache), scores and per-test results. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "timeutil.h"

void eb_cached_response_clear(eb_cached_response *c) {
    free(c->text);
    free(c->logprobs);
    memset(c, 0, sizeof *c);
}

/* "[-0.1,-2.5]" -> array; tolerant of whitespace. */
static size_t parse_logprobs(const char *s, double **out) {
    *out = NULL;
    if (!s || *s != '[') return 0;
    size_t n = 0, cap = 0;
    double *v = NULL;
    const char *p = s + 1;
    while (*p && *p != ']') {
        char *end;
        double d = strtod(p, &end);
        if (end == p) break;
        if (n == cap) v = eb_realloc(v, (cap = cap ? cap * 2 : 4) * sizeof *v);
        v[n++] = d;
        p = end;
        while (*p == ',' || *p == ' ') p++;
    }
    *out = v;
    return n;
}

int eb_db_lookup_response(eb_results_db *db, const char *hash, eb_cached_response *out, eb_err *err) {
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = eb_db_stmt(db, EB_STMT_LOOKUP_RESPONSE,
                                  "SELECT response_id, raw_text, logprobs_json FROM responses WHERE request_hash=?", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->response_id = (long)sqlite3_column_int64(st, 0);
        out->text = eb_db_col_text(st, 1);
        char *lp = eb_db_col_text(st, 2);
        out->n_logprobs = parse_logprobs(lp, &out->logprobs);
        free(lp);
    }
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return 1;
    if (rc == SQLITE_DONE) return 0;
    return eb_db_fail(db, err, "reading responses");
}

static void bind_opt_text(sqlite3_stmt *st, int i, const char *s) {
    if (s) sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, i);
}

static void bind_opt_long(sqlite3_stmt *st, int i, long v) {
    if (v >= 0) sqlite3_bind_int64(st, i, v);
    else sqlite3_bind_null(st, i);
}

int eb_db_insert_response(eb_results_db *db, const eb_response_row *r, long *response_id, eb_err *err) {
    if (eb_db_write_begin(db, err) != 0) return -1;
    sqlite3_stmt *st = eb_db_stmt(
        db, EB_STMT_INSERT_RESPONSE,
        "INSERT INTO responses(request_hash, engine, model, system_prompt, prompt, params_json, raw_text, "
        "logprobs_json, finish_reason, tokens_in, tokens_out, tokens_cached, latency_ms, cost_usd, model_version, "
        "provider_request_id, system_fingerprint, created_at, run_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        err);
    if (!st) return -1;
    char now[32];
    eb_utc_iso8601(now, sizeof now);
    eb_buf lp = {0};
    if (r->n_logprobs > 0) {
        eb_buf_putc(&lp, '[');
        for (size_t i = 0; i < r->n_logprobs; i++)
            eb_buf_printf(&lp, "%s%.17g", i ? "," : "", isfinite(r->logprobs[i]) ? r->logprobs[i] : -1e300);
        eb_buf_putc(&lp, ']');
    }
    sqlite3_bind_text(st, 1, r->request_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->engine, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->model, -1, SQLITE_STATIC);
    bind_opt_text(st, 4, r->system_prompt);
    sqlite3_bind_text(st, 5, r->prompt, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, r->params_json, -1, SQLITE_STATIC);
    bind_opt_text(st, 7, r->raw_text);
    bind_opt_text(st, 8, r->n_logprobs ? eb_buf_str(&lp) : NULL);
    bind_opt_text(st, 9, r->finish_reason);
    bind_opt_long(st, 10, r->tokens_in);
    bind_opt_long(st, 11, r->tokens_out);
    bind_opt_long(st, 12, r->tokens_cached);
    sqlite3_bind_double(st, 13, r->latency_ms);
    if (r->cost_usd >= 0) sqlite3_bind_double(st, 14, r->cost_usd);
    else sqlite3_bind_null(st, 14);
    bind_opt_text(st, 15, r->model_version);
    bind_opt_text(st, 16, r->provider_request_id);
    bind_opt_text(st, 17, r->system_fingerprint);
    sqlite3_bind_text(st, 18, now, -1, SQLITE_STATIC);
    if (r->run_id > 0) sqlite3_bind_int64(st, 19, r->run_id);
    else sqlite3_bind_null(st, 19);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    eb_buf_free(&lp);
    if (rc != SQLITE_DONE) return eb_db_fail(db, err, "storing response");
    *response_id = (long)sqlite3_last_insert_rowid(db->db);
    return eb_db_maybe_commit(db, err);
}

int eb_db_insert_score(eb_results_db *db, long run_id, long item_pk, int run_index, long response_id,
                       const eb_score *s, eb_err *err) {
    if (eb_db_write_begin(db, err) != 0) return -1;
    sqlite3_stmt *st = eb_db_stmt(
        db, EB_STMT_INSERT_SCORE,
        "INSERT OR REPLACE INTO scores(run_id, item_pk, run_index, response_id, extracted, normalized, correct, "
        "correct_plus, verdict, details_json, scored_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        err);
    if (!st) return -1;
    char now[32];
    eb_utc_iso8601(now, sizeof now);
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, item_pk);
    sqlite3_bind_int(st, 3, run_index);
    sqlite3_bind_int64(st, 4, response_id);
    bind_opt_text(st, 5, s->extracted);
    bind_opt_text(st, 6, s->normalized);
    sqlite3_bind_int(st, 7, s->correct ? 1 : 0);
    if (s->correct_plus >= 0) sqlite3_bind_int(st, 8, s->correct_plus);
    else sqlite3_bind_null(st, 8);
    sqlite3_bind_text(st, 9, s->verdict ? s->verdict : (s->correct ? "correct" : "wrong"), -1, SQLITE_STATIC);
    bind_opt_text(st, 10, s->details_json);
    sqlite3_bind_text(st, 11, now, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return eb_db_fail(db, err, "storing score");
    if (s->n_tests > 0) {
        sqlite3_stmt *t = eb_db_stmt(db, EB_STMT_INSERT_TEST,
                                     "INSERT OR REPLACE INTO test_results(run_id, item_pk, run_index, test_set, "
                                     "test_index, verdict, cpu_ms, wall_ms, peak_kb, detail) VALUES (?,?,?,?,?,?,?,?,?,?)",
                                     err);
        if (!t) return -1;
        for (size_t i = 0; i < s->n_tests; i++) {
            const eb_test_outcome *o = &s->tests[i];
            sqlite3_reset(t);
            sqlite3_clear_bindings(t);
            sqlite3_bind_int64(t, 1, run_id);
            sqlite3_bind_int64(t, 2, item_pk);
            sqlite3_bind_int(t, 3, run_index);
            sqlite3_bind_text(t, 4, o->test_set ? o->test_set : "base", -1, SQLITE_STATIC);
            sqlite3_bind_int(t, 5, o->index);
            sqlite3_bind_text(t, 6, o->verdict ? o->verdict : "unknown", -1, SQLITE_STATIC);
            sqlite3_bind_double(t, 7, o->cpu_ms);
            sqlite3_bind_double(t, 8, o->wall_ms);
            sqlite3_bind_int64(t, 9, o->peak_kb);
            bind_opt_text(t, 10, o->detail);
            if (sqlite3_step(t) != SQLITE_DONE) {
                sqlite3_reset(t);
                return eb_db_fail(db, err, "storing test results");
            }
        }
        sqlite3_reset(t);
    }
    return eb_db_maybe_commit(db, err);
}
