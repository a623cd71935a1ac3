/* Reading a results database from tests, as another process would: one
 * number from a query on a read-only connection. */
#ifndef EB_SQL_UTIL_H
#define EB_SQL_UTIL_H

#include <sqlite3.h>

/* The first column of the first row of `sql` on db_path, or -1 when the
 * file cannot be opened or the query returns nothing. */
static inline long eb_test_sql_long(const char *db_path, const char *sql) {
    sqlite3 *db;
    long v = -1;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return -1;
    }
    sqlite3_busy_timeout(db, 2000);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

#endif
