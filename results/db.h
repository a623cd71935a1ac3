/* The results database (SQLite, WAL mode): runs, items, responses (the
 * response cache) and scores.  Writes are batched in transactions that the
 * runner commits every few hundred rows or fraction of a second, so a crash
 * loses at most the uncommitted tail, which a resume redoes. */
#ifndef EB_DB_H
#define EB_DB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "score.h"
#include "suite.h"

#define EB_SCHEMA_VERSION 2

typedef struct eb_results_db {
    sqlite3 *db;
    char *path;
    bool in_tx;
    int pending;          /* writes since the last commit */
    double tx_started_ms;
    sqlite3_stmt *cached[8]; /* hot statements, prepared once (see eb_db_stmt) */
} eb_results_db;

enum { EB_STMT_LOOKUP_RESPONSE, EB_STMT_INSERT_RESPONSE, EB_STMT_INSERT_SCORE, EB_STMT_INSERT_TEST, EB_STMT_COUNT };

/* Opens (creating directories and the schema when new), checks the schema
 * version and migrates older files.  A file that is not an evalbench database
 * is refused, untouched. */
int eb_db_open(const char *path, eb_results_db **out, eb_err *err);
/* Opens an existing database read-only (reports). */
int eb_db_open_readonly(const char *path, eb_results_db **out, eb_err *err);
void eb_db_close(eb_results_db *db);

/* Batched transactions: eb_db_write_begin before each write (opens a
 * transaction if none), eb_db_maybe_commit after (commits when enough rows or
 * time accumulated), eb_db_commit to flush. */
int eb_db_write_begin(eb_results_db *db, eb_err *err);
int eb_db_maybe_commit(eb_results_db *db, eb_err *err);
int eb_db_commit(eb_results_db *db, eb_err *err);

/* ---- runs ---- */
typedef struct eb_run_row {
    long run_id;
    char *config_hash;
    char *model;
    char *engine;
    char *engine_version;
    char *quantization;
    char *suites;
    int n_runs;
    double temperature;
    char *params_json;
    char *status;
    char *started_at;
    char *finished_at;
} eb_run_row;
void eb_run_row_clear(eb_run_row *r);

/* Finds the newest run with this configuration hash; returns 1 found, 0 not. */
int eb_db_find_run(eb_results_db *db, const char *config_hash, eb_run_row *out, eb_err *err);
int eb_db_get_run(eb_results_db *db, long run_id, eb_run_row *out, eb_err *err);
int eb_db_create_run(eb_results_db *db, const eb_run_row *r, long *run_id, eb_err *err);
int eb_db_set_run_status(eb_results_db *db, long run_id, const char *status, bool finished, eb_err *err);
int eb_db_set_engine_version(eb_results_db *db, long run_id, const char *version, eb_err *err);

/* ---- suites and items ---- */
/* Records the suite's dataset files and items for the run and returns the
 * item primary keys (item_pks[i] for suite->items[i]). */
int eb_db_register_suite(eb_results_db *db, long run_id, const eb_suite *s, long **item_pks, eb_err *err);
/* Marks done[i*n_runs + r] for every (item, repetition) already scored. */
int eb_db_scored_set(eb_results_db *db, long run_id, const long *item_pks, size_t n_items, int n_runs, bool *done,
                     eb_err *err);

/* ---- responses (the cache) ---- */
typedef struct eb_cached_response {
    long response_id;
    char *text;
    double *logprobs;
    size_t n_logprobs;
} eb_cached_response;
void eb_cached_response_clear(eb_cached_response *c);
/* Returns 1 when a response with this request hash exists, 0 when not. */
int eb_db_lookup_response(eb_results_db *db, const char *request_hash, eb_cached_response *out, eb_err *err);

typedef struct eb_response_row {
    const char *request_hash;
    const char *engine;
    const char *model;
    const char *system_prompt;
    const char *prompt;
    const char *params_json;
    const char *raw_text;
    const double *logprobs;
    size_t n_logprobs;
    const char *finish_reason;
    long tokens_in, tokens_out, tokens_cached; /* -1: unknown */
    double latency_ms;
    double cost_usd;                           /* < 0: unknown */
    const char *model_version;
    const char *provider_request_id;
    const char *system_fingerprint;
    long run_id;                               /* the run that sent the request */
} eb_response_row;
int eb_db_insert_response(eb_results_db *db, const eb_response_row *r, long *response_id, eb_err *err);

/* ---- scores ---- */
int eb_db_insert_score(eb_results_db *db, long run_id, long item_pk, int run_index, long response_id,
                       const eb_score *s, eb_err *err);

/* ---- engine state (resumable provider batches) ---- */
int eb_db_state_get(eb_results_db *db, long run_id, const char *key, char **value, eb_err *err);
int eb_db_state_set(eb_results_db *db, long run_id, const char *key, const char *value, eb_err *err);

/* Helpers shared by the db_*.c files. */
int eb_db_fail(eb_results_db *db, eb_err *err, const char *what);
int eb_db_exec(eb_results_db *db, const char *sql, eb_err *err);
char *eb_db_col_text(sqlite3_stmt *st, int col);
/* A cached prepared statement, reset and with bindings cleared. */
sqlite3_stmt *eb_db_stmt(eb_results_db *db, int slot, const char *sql, eb_err *err);

#endif
