#include "rdb.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char *const required_tables[] = {"runs", "run_suites", "items", "scores", "responses"};

sqlite3 *eb_rdb_open(const char *path, eb_err *err) {
    sqlite3 *db = NULL;
    /* Without this check sqlite would report only "unable to open database
     * file"; naming the missing path is more useful. */
    struct stat sb;
    if (stat(path, &sb) != 0) {
        eb_err_set(err, "%s: cannot open results database: %s", path, strerror(errno));
        return NULL;
    }
    if (S_ISDIR(sb.st_mode)) {
        eb_err_set(err, "%s: is a directory, not a results database", path);
        return NULL;
    }
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    if (rc != SQLITE_OK) {
        eb_err_set(err, "%s: cannot open results database: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return NULL;
    }
    /* A run in progress holds write locks briefly; wait rather than fail. */
    sqlite3_busy_timeout(db, 10000);
    for (size_t i = 0; i < sizeof required_tables / sizeof required_tables[0]; i++) {
        sqlite3_stmt *st = NULL;
        rc = sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", -1, &st, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_text(st, 1, required_tables[i], -1, SQLITE_STATIC);
            rc = sqlite3_step(st);
        }
        if (rc != SQLITE_ROW) {
            if (rc == SQLITE_DONE)
                eb_err_set(err, "%s: not an evalbench results database (no table '%s')", path, required_tables[i]);
            else
                eb_err_set(err, "%s: cannot read results database: %s", path, sqlite3_errmsg(db));
            sqlite3_finalize(st);
            sqlite3_close(db);
            return NULL;
        }
        sqlite3_finalize(st);
    }
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        eb_err_set(err, "%s: cannot start a read transaction: %s", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

void eb_rdb_close(sqlite3 *db) {
    if (!db) return;
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);
}

int eb_rdb_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, eb_err *err) {
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
        eb_err_set(err, "%s: cannot prepare query: %s", sqlite3_db_filename(db, "main"), sqlite3_errmsg(db));
        *st = NULL;
        return -1;
    }
    return 0;
}

int eb_rdb_step(sqlite3 *db, sqlite3_stmt *st, eb_err *err) {
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) return rc;
    eb_err_set(err, "%s: query failed: %s", sqlite3_db_filename(db, "main"), sqlite3_errmsg(db));
    return -1;
}

char *eb_rdb_text(sqlite3_stmt *st, int col) {
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? eb_strdup((const char *)t) : NULL;
}

int eb_rdb_run_exists(sqlite3 *db, int64_t run_id, eb_err *err) {
    sqlite3_stmt *st;
    if (eb_rdb_prepare(db, "SELECT 1 FROM runs WHERE run_id = ?", &st, err)) return -1;
    sqlite3_bind_int64(st, 1, run_id);
    int rc = eb_rdb_step(db, st, err);
    sqlite3_finalize(st);
    return rc < 0 ? -1 : rc == SQLITE_ROW;
}
