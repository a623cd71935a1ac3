#include "report_fixture.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"
#include "sha256.h"

size_t fx_text_bytes = 0;

static void die(fx_db *f, const char *what) {
    fprintf(stderr, "fixture: %s: %s\n", what, f->db ? sqlite3_errmsg(f->db) : "?");
    exit(2);
}

void fx_exec(fx_db *f, const char *sql) {
    char *msg = NULL;
    if (sqlite3_exec(f->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "fixture: %s\n  in: %.200s\n", msg ? msg : "?", sql);
        exit(2);
    }
}

void fx_remove(const char *path) {
    char side[1100];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

void fx_open(fx_db *f, const char *path) {
    memset(f, 0, sizeof *f);
    fx_remove(path);
    if (sqlite3_open(path, &f->db) != SQLITE_OK) die(f, path);
    char *schema;
    size_t len;
    eb_err err;
    if (eb_read_file(EVALBENCH_SOURCE_DIR "/results/schema.sql", &schema, &len, &err)) {
        fprintf(stderr, "fixture: %s\n", err.msg);
        exit(2);
    }
    fx_exec(f, "PRAGMA journal_mode=WAL");
    fx_exec(f, schema);
    free(schema);
    fx_exec(f, "BEGIN");
    if (sqlite3_prepare_v2(f->db,
                           "INSERT INTO responses (request_hash, engine, model, prompt, params_json, raw_text,"
                           " tokens_in, tokens_out, cost_usd, created_at)"
                           " VALUES (?1, 'replay', 'm', ?5 || ?1, '{}', ?5 || ?1, ?2, ?3, ?4, '2026-11-23T05:00:00Z')",
                           -1, &f->ins_response, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(f->db,
                           "INSERT INTO scores (run_id, item_pk, run_index, response_id, extracted, normalized,"
                           " correct, correct_plus, verdict, scored_at)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '2026-11-23T05:00:01Z')",
                           -1, &f->ins_score, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(f->db,
                           "INSERT INTO items (suite, item_id, dataset_sha256, subject, category, gold)"
                           " VALUES (?, ?, ?, ?, ?, ?)",
                           -1, &f->ins_item, NULL) != SQLITE_OK)
        die(f, "prepare");
}

void fx_close(fx_db *f) {
    fx_exec(f, "COMMIT");
    sqlite3_finalize(f->ins_response);
    sqlite3_finalize(f->ins_score);
    sqlite3_finalize(f->ins_item);
    if (sqlite3_close(f->db) != SQLITE_OK) die(f, "close");
    f->db = NULL;
}

int64_t fx_run(fx_db *f, const char *model, const char *engine, const char *quant, int n_runs, bool finished,
               const char *suites, const char *params_json) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(f->db,
                           "INSERT INTO runs (config_hash, model, engine, quantization, suites, n_runs, temperature,"
                           " params_json, host, started_at, finished_at, status)"
                           " VALUES ('cfg', ?, ?, ?, ?, ?, 0, ?, 'testhost', '2026-11-23T04:00:00Z', ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        die(f, "prepare run");
    sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, engine, -1, SQLITE_STATIC);
    if (quant) sqlite3_bind_text(st, 3, quant, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, suites, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, n_runs);
    sqlite3_bind_text(st, 6, params_json ? params_json : "{}", -1, SQLITE_STATIC);
    if (finished) sqlite3_bind_text(st, 7, "2026-11-23T04:30:00Z", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, finished ? "finished" : "running", -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) die(f, "insert run");
    sqlite3_finalize(st);
    return sqlite3_last_insert_rowid(f->db);
}

void fx_run_suite(fx_db *f, int64_t run, const char *suite, const char *fingerprint, long n_items,
                  const char *options) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(f->db, "INSERT INTO run_suites (run_id, suite, fingerprint, n_items, options) VALUES (?,?,?,?,?)",
                           -1, &st, NULL) != SQLITE_OK)
        die(f, "prepare run_suite");
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_text(st, 2, suite, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, fingerprint, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, n_items);
    if (options) sqlite3_bind_text(st, 5, options, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) die(f, "insert run_suite");
    sqlite3_finalize(st);
}

int64_t fx_item(fx_db *f, const char *suite, const char *item_id, const char *sha, const char *subject,
                const char *category, const char *gold) {
    sqlite3_stmt *st = f->ins_item;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    sqlite3_bind_text(st, 1, suite, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, item_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, sha, -1, SQLITE_STATIC);
    if (subject) sqlite3_bind_text(st, 4, subject, -1, SQLITE_STATIC);
    if (category) sqlite3_bind_text(st, 5, category, -1, SQLITE_STATIC);
    if (gold) sqlite3_bind_text(st, 6, gold, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) die(f, "insert item");
    return sqlite3_last_insert_rowid(f->db);
}

void fx_score(fx_db *f, int64_t run, int64_t item_pk, int rep, int correct, int correct_plus, const char *verdict,
              const char *extracted, long tokens_in, long tokens_out, double cost) {
    char hash[96];
    snprintf(hash, sizeof hash, "req-%lld-%lld-%d", (long long)run, (long long)item_pk, rep);
    sqlite3_stmt *st = f->ins_response;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
    if (tokens_in >= 0) sqlite3_bind_int64(st, 2, tokens_in);
    if (tokens_out >= 0) sqlite3_bind_int64(st, 3, tokens_out);
    if (cost >= 0) sqlite3_bind_double(st, 4, cost);
    if (fx_text_bytes == 0) {
        sqlite3_bind_text(st, 5, "", 0, SQLITE_STATIC);
    } else {
        static char *filler; /* allocated once for the process */
        if (!filler) {
            filler = eb_malloc(fx_text_bytes + 1);
            memset(filler, 'x', fx_text_bytes);
            filler[fx_text_bytes] = '\0';
        }
        sqlite3_bind_text(st, 5, filler, (int)fx_text_bytes, SQLITE_STATIC);
    }
    if (sqlite3_step(st) != SQLITE_DONE) die(f, "insert response");
    int64_t resp = sqlite3_last_insert_rowid(f->db);
    st = f->ins_score;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_int64(st, 2, item_pk);
    sqlite3_bind_int(st, 3, rep);
    sqlite3_bind_int64(st, 4, resp);
    if (extracted) sqlite3_bind_text(st, 5, extracted, -1, SQLITE_STATIC);
    if (extracted) sqlite3_bind_text(st, 6, extracted, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, correct);
    if (correct_plus >= 0) sqlite3_bind_int(st, 8, correct_plus);
    sqlite3_bind_text(st, 9, verdict, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) die(f, "insert score");
}

int fx_cmd(int (*fn)(int, char **), ...) {
    char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, fn);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && argc < 31) argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    return fn(argc, argv);
}

char *fx_slurp(const char *path) {
    char *data;
    size_t len;
    eb_err err;
    if (eb_read_file(path, &data, &len, &err)) return NULL;
    return data;
}

void fx_sha256(const char *path, char hex[65]) {
    eb_err err;
    if (eb_sha256_file(path, hex, &err)) hex[0] = '\0';
}

void fx_path(char *out, size_t size, const char *name) {
    snprintf(out, size, "%s/tests_reports_%s_%d", EVALBENCH_BINARY_DIR, name, (int)getpid());
}
