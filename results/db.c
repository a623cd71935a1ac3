/* Opening, schema creation/migration and batched transactions. */
#include "db.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "timeutil.h"

extern const char eb_schema_sql[];

/* Commit at least this often while a run is writing. */
#define COMMIT_EVERY_ROWS 256
#define COMMIT_EVERY_MS 250.0

int eb_db_fail(eb_results_db *db, eb_err *err, const char *what) {
    return eb_err_set(err, "%s: %s: %s", db->path, what, sqlite3_errmsg(db->db));
}

int eb_db_exec(eb_results_db *db, const char *sql, eb_err *err) {
    char *msg = NULL;
    if (sqlite3_exec(db->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        eb_err_set(err, "%s: %s", db->path, msg ? msg : sqlite3_errmsg(db->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

char *eb_db_col_text(sqlite3_stmt *st, int col) {
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? eb_strdup((const char *)t) : NULL;
}

static int read_version(eb_results_db *db, int *version, eb_err *err) {
    sqlite3_stmt *st;
    *version = 0;
    /* Is this an evalbench database at all? */
    if (sqlite3_prepare_v2(db->db, "SELECT count(*) FROM sqlite_master", -1, &st, NULL) != SQLITE_OK)
        return eb_db_fail(db, err, "not a readable SQLite database");
    int rc = sqlite3_step(st);
    int n_objects = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (n_objects < 0) return eb_db_fail(db, err, "not a readable SQLite database");
    if (n_objects == 0) return 0; /* new file */
    if (sqlite3_prepare_v2(db->db, "SELECT value FROM meta WHERE key='schema_version'", -1, &st, NULL) != SQLITE_OK)
        return eb_err_set(err, "%s: not an evalbench results database (no meta table)", db->path);
    if (sqlite3_step(st) == SQLITE_ROW) *version = atoi((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (*version <= 0) return eb_err_set(err, "%s: not an evalbench results database (no schema_version)", db->path);
    return 0;
}

/* Migrations from version N to N+1, applied in order inside a transaction.
 * Version 1 is the first schema; later versions append here. */
static const char *const migrations[] = {
    NULL, /* 0 -> 1: the full schema (eb_schema_sql) */
    /* 1 -> 2: which run sent (and paid for) each response, so that costs of
     * responses reused from the cache are not counted again. */
    "ALTER TABLE responses ADD COLUMN run_id INTEGER REFERENCES runs(run_id);",
};

static int setup(eb_results_db *db, eb_err *err) {
    int version;
    if (read_version(db, &version, err) != 0) return -1;
    if (version > EB_SCHEMA_VERSION)
        return eb_err_set(err, "%s: schema version %d is newer than this evalbench supports (%d); upgrade evalbench",
                          db->path, version, EB_SCHEMA_VERSION);
    if (eb_db_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;", err) != 0)
        return -1;
    if (version == EB_SCHEMA_VERSION) return 0;
    if (eb_db_exec(db, "BEGIN IMMEDIATE", err) != 0) return -1;
    int rc = 0;
    if (version == 0) {
        rc = eb_db_exec(db, eb_schema_sql, err);
    } else {
        for (int v = version; v < EB_SCHEMA_VERSION && rc == 0; v++)
            if (migrations[v]) rc = eb_db_exec(db, migrations[v], err);
    }
    if (rc == 0) {
        char sql[128];
        snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', '%d')",
                 EB_SCHEMA_VERSION);
        rc = eb_db_exec(db, sql, err);
    }
    if (rc == 0) rc = eb_db_exec(db, "COMMIT", err);
    if (rc != 0) eb_db_exec(db, "ROLLBACK", NULL);
    return rc;
}

static int open_common(const char *path, int flags, eb_results_db **out, eb_err *err) {
    eb_results_db *db = eb_calloc(1, sizeof *db);
    db->path = eb_strdup(path);
    if (sqlite3_open_v2(path, &db->db, flags, NULL) != SQLITE_OK) {
        eb_err_set(err, "%s: cannot open database: %s", path, db->db ? sqlite3_errmsg(db->db) : "out of memory");
        eb_db_close(db);
        return -1;
    }
    sqlite3_busy_timeout(db->db, 10000);
    *out = db;
    return 0;
}

int eb_db_open(const char *path, eb_results_db **out, eb_err *err) {
    char *copy = eb_strdup(path);
    char *dir = dirname(copy);
    int rc = strcmp(dir, ".") == 0 ? 0 : eb_mkdirs(dir, err);
    free(copy);
    if (rc != 0) return -1;
    eb_results_db *db;
    if (open_common(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &db, err) != 0) return -1;
    if (setup(db, err) != 0) {
        eb_db_close(db);
        return -1;
    }
    *out = db;
    return 0;
}

int eb_db_open_readonly(const char *path, eb_results_db **out, eb_err *err) {
    if (!eb_file_exists(path)) return eb_err_set(err, "%s: no such results database", path);
    eb_results_db *db;
    if (open_common(path, SQLITE_OPEN_READONLY, &db, err) != 0) return -1;
    int version;
    if (read_version(db, &version, err) != 0 || version == 0) {
        if (version == 0) eb_err_set(err, "%s: not an evalbench results database (empty)", path);
        eb_db_close(db);
        return -1;
    }
    *out = db;
    return 0;
}

sqlite3_stmt *eb_db_stmt(eb_results_db *db, int slot, const char *sql, eb_err *err) {
    sqlite3_stmt *st = db->cached[slot];
    if (st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return st;
    }
    if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK) {
        eb_db_fail(db, err, "preparing statement");
        return NULL;
    }
    db->cached[slot] = st;
    return st;
}

void eb_db_close(eb_results_db *db) {
    if (!db) return;
    if (db->in_tx) eb_db_commit(db, NULL);
    for (int i = 0; i < EB_STMT_COUNT; i++) sqlite3_finalize(db->cached[i]);
    sqlite3_close(db->db);
    free(db->path);
    free(db);
}

int eb_db_write_begin(eb_results_db *db, eb_err *err) {
    if (db->in_tx) return 0;
    if (eb_db_exec(db, "BEGIN IMMEDIATE", err) != 0) return -1;
    db->in_tx = true;
    db->pending = 0;
    db->tx_started_ms = eb_now_ms();
    return 0;
}

int eb_db_maybe_commit(eb_results_db *db, eb_err *err) {
    if (!db->in_tx) return 0;
    db->pending++;
    if (db->pending >= COMMIT_EVERY_ROWS || eb_now_ms() - db->tx_started_ms >= COMMIT_EVERY_MS)
        return eb_db_commit(db, err);
    return 0;
}

int eb_db_commit(eb_results_db *db, eb_err *err) {
    if (!db->in_tx) return 0;
    db->in_tx = false;
    return eb_db_exec(db, "COMMIT", err);
}

int eb_db_state_get(eb_results_db *db, long run_id, const char *key, char **value, eb_err *err) {
    sqlite3_stmt *st;
    *value = NULL;
    if (sqlite3_prepare_v2(db->db, "SELECT value FROM engine_state WHERE run_id=? AND key=?", -1, &st, NULL) !=
        SQLITE_OK)
        return eb_db_fail(db, err, "reading engine state");
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *value = eb_db_col_text(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : eb_db_fail(db, err, "reading engine state");
}

int eb_db_state_set(eb_results_db *db, long run_id, const char *key, const char *value, eb_err *err) {
    sqlite3_stmt *st;
    if (eb_db_write_begin(db, err) != 0) return -1;
    if (sqlite3_prepare_v2(db->db, "INSERT OR REPLACE INTO engine_state(run_id, key, value) VALUES (?,?,?)", -1, &st,
                           NULL) != SQLITE_OK)
        return eb_db_fail(db, err, "writing engine state");
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return eb_db_fail(db, err, "writing engine state");
    /* Engine state (batch ids) must survive a crash right away. */
    return eb_db_commit(db, err);
}
