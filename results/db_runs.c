/* The runs table. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "timeutil.h"

void eb_run_row_clear(eb_run_row *r) {
    free(r->config_hash);
    free(r->model);
    free(r->engine);
    free(r->engine_version);
    free(r->quantization);
    free(r->suites);
    free(r->params_json);
    free(r->status);
    free(r->started_at);
    free(r->finished_at);
    memset(r, 0, sizeof *r);
}

#define RUN_COLUMNS                                                                                       \
    "run_id, config_hash, model, engine, engine_version, quantization, suites, n_runs, temperature, " \
    "params_json, status, started_at, finished_at"

static void read_run(sqlite3_stmt *st, eb_run_row *r) {
    r->run_id = (long)sqlite3_column_int64(st, 0);
    r->config_hash = eb_db_col_text(st, 1);
    r->model = eb_db_col_text(st, 2);
    r->engine = eb_db_col_text(st, 3);
    r->engine_version = eb_db_col_text(st, 4);
    r->quantization = eb_db_col_text(st, 5);
    r->suites = eb_db_col_text(st, 6);
    r->n_runs = sqlite3_column_int(st, 7);
    r->temperature = sqlite3_column_double(st, 8);
    r->params_json = eb_db_col_text(st, 9);
    r->status = eb_db_col_text(st, 10);
    r->started_at = eb_db_col_text(st, 11);
    r->finished_at = eb_db_col_text(st, 12);
}

static int query_one(eb_results_db *db, const char *sql, const char *text_arg, long int_arg, eb_run_row *out,
                     eb_err *err) {
    sqlite3_stmt *st;
    memset(out, 0, sizeof *out);
    if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK) return eb_db_fail(db, err, "reading runs");
    if (text_arg) sqlite3_bind_text(st, 1, text_arg, -1, SQLITE_STATIC);
    else sqlite3_bind_int64(st, 1, int_arg);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) read_run(st, out);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) return 1;
    if (rc == SQLITE_DONE) return 0;
    return eb_db_fail(db, err, "reading runs");
}

int eb_db_find_run(eb_results_db *db, const char *config_hash, eb_run_row *out, eb_err *err) {
    return query_one(db, "SELECT " RUN_COLUMNS " FROM runs WHERE config_hash=? ORDER BY run_id DESC LIMIT 1",
                     config_hash, 0, out, err);
}

int eb_db_get_run(eb_results_db *db, long run_id, eb_run_row *out, eb_err *err) {
    return query_one(db, "SELECT " RUN_COLUMNS " FROM runs WHERE run_id=?", NULL, run_id, out, err);
}

int eb_db_create_run(eb_results_db *db, const eb_run_row *r, long *run_id, eb_err *err) {
    char now[32], host[256] = "";
    eb_utc_iso8601(now, sizeof now);
    gethostname(host, sizeof host - 1);
    if (eb_db_write_begin(db, err) != 0) return -1;
    sqlite3_stmt *st;
    const char *sql =
        "INSERT INTO runs(config_hash, model, engine, engine_version, quantization, suites, n_runs, temperature, "
        "params_json, host, started_at, status) VALUES (?,?,?,?,?,?,?,?,?,?,?,'running')";
    if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK) return eb_db_fail(db, err, "creating run");
    sqlite3_bind_text(st, 1, r->config_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->model, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->engine, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, r->engine_version, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, r->quantization, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, r->suites, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, r->n_runs);
    sqlite3_bind_double(st, 8, r->temperature);
    sqlite3_bind_text(st, 9, r->params_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, host, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 11, now, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return eb_db_fail(db, err, "creating run");
    *run_id = (long)sqlite3_last_insert_rowid(db->db);
    return eb_db_commit(db, err);
}

int eb_db_set_run_status(eb_results_db *db, long run_id, const char *status, bool finished, eb_err *err) {
    char now[32];
    eb_utc_iso8601(now, sizeof now);
    if (eb_db_write_begin(db, err) != 0) return -1;
    sqlite3_stmt *st;
    /* A finished run stays finished: a second process that lost a race on
     * it must not write "incomplete" over it. */
    if (sqlite3_prepare_v2(db->db,
                           "UPDATE runs SET status=?1, finished_at=?2 WHERE run_id=?3 "
                           "AND (status <> 'finished' OR ?1 = 'finished')",
                           -1, &st, NULL) != SQLITE_OK)
        return eb_db_fail(db, err, "updating run");
    sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
    if (finished) sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, 2);
    sqlite3_bind_int64(st, 3, run_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return eb_db_fail(db, err, "updating run");
    return eb_db_commit(db, err);
}

int eb_db_set_engine_version(eb_results_db *db, long run_id, const char *version, eb_err *err) {
    if (eb_db_write_begin(db, err) != 0) return -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->db, "UPDATE runs SET engine_version=? WHERE run_id=?", -1, &st, NULL) != SQLITE_OK)
        return eb_db_fail(db, err, "updating run");
    sqlite3_bind_text(st, 1, version, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, run_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return eb_db_fail(db, err, "updating run");
    return eb_db_commit(db, err);
}
