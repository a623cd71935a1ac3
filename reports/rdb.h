/* Read-only access to the results database for the report commands.  The
 * reports never write: the file is opened with SQLITE_OPEN_READONLY and
 * every query runs inside one read transaction, so a report taken while a
 * run is still writing sees one consistent snapshot. */
#ifndef EB_RDB_H
#define EB_RDB_H

#include <sqlite3.h>
#include <stdint.h>

#include "error.h"

#define EB_DEFAULT_DB "./results/evalbench.db"

/* Opens PATH read-only and checks that it is an evalbench results database
 * (the tables the reports read exist).  A missing file, a file that is not
 * SQLite and a database of another kind all give one line naming PATH. */
sqlite3 *eb_rdb_open(const char *path, eb_err *err);
void eb_rdb_close(sqlite3 *db);

int eb_rdb_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, eb_err *err);
/* sqlite3_step with the error turned into a message; returns SQLITE_ROW,
 * SQLITE_DONE or -1. */
int eb_rdb_step(sqlite3 *db, sqlite3_stmt *st, eb_err *err);

/* A copy of a text column, NULL for SQL NULL. */
char *eb_rdb_text(sqlite3_stmt *st, int col);

/* Whether the run exists. */
int eb_rdb_run_exists(sqlite3 *db, int64_t run_id, eb_err *err);

#endif
