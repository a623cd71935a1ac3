/* Dataset files, suites and items of a run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

static int dataset_id(eb_results_db *db, const char *suite, const eb_dataset_file *f, long *id, eb_err *err) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->db, "INSERT OR IGNORE INTO datasets(suite, path, sha256, n_items) VALUES (?,?,?,?)", -1,
                           &st, NULL) != SQLITE_OK)
        return eb_db_fail(db, err, "recording dataset");
    sqlite3_bind_text(st, 1, suite, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, f->path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, f->sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)f->n_items);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return eb_db_fail(db, err, "recording dataset");
    if (sqlite3_prepare_v2(db->db, "SELECT dataset_id FROM datasets WHERE suite=? AND path=? AND sha256=?", -1, &st,
                           NULL) != SQLITE_OK)
        return eb_db_fail(db, err, "recording dataset");
    sqlite3_bind_text(st, 1, suite, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, f->path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, f->sha256, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *id = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : eb_db_fail(db, err, "recording dataset");
}

/* A run resumed after its data changed would mix two datasets in one
 * score: refuse instead. */
static int check_or_record_suite(eb_results_db *db, long run_id, const eb_suite *s, eb_err *err) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->db, "SELECT fingerprint FROM run_suites WHERE run_id=? AND suite=?", -1, &st, NULL) !=
        SQLITE_OK)
        return eb_db_fail(db, err, "reading run suites");
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, s->name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    char *old = rc == SQLITE_ROW ? eb_db_col_text(st, 0) : NULL;
    sqlite3_finalize(st);
    if (old) {
        int same = strcmp(old, s->fingerprint) == 0;
        free(old);
        if (!same)
            return eb_err_set(err,
                              "run %ld: the %s dataset (or its options) changed since the run started; "
                              "start a new run instead of resuming",
                              run_id, s->name);
        return 0;
    }
    if (sqlite3_prepare_v2(db->db,
                           "INSERT INTO run_suites(run_id, suite, fingerprint, n_items, options) VALUES (?,?,?,?,?)",
                           -1, &st, NULL) != SQLITE_OK)
        return eb_db_fail(db, err, "recording run suite");
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, s->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, s->fingerprint, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)s->n_items);
    sqlite3_bind_text(st, 5, s->options_desc, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : eb_db_fail(db, err, "recording run suite");
}

int eb_db_register_suite(eb_results_db *db, long run_id, const eb_suite *s, long **item_pks_out, eb_err *err) {
    if (eb_db_write_begin(db, err) != 0) return -1;
    if (check_or_record_suite(db, run_id, s, err) != 0) goto fail;
    for (size_t i = 0; i < s->n_files; i++) {
        long did = 0;
        if (dataset_id(db, s->name, &s->files[i], &did, err) != 0) goto fail;
        char sql[160];
        snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO run_datasets(run_id, dataset_id) VALUES (%ld, %ld)", run_id,
                 did);
        if (eb_db_exec(db, sql, err) != 0) goto fail;
    }
    sqlite3_stmt *ins, *sel;
    if (sqlite3_prepare_v2(db->db,
                           "INSERT OR IGNORE INTO items(suite, item_id, dataset_sha256, subject, category, gold) "
                           "VALUES (?,?,?,?,?,?)",
                           -1, &ins, NULL) != SQLITE_OK)
        return eb_db_fail(db, err, "recording items");
    if (sqlite3_prepare_v2(db->db, "SELECT item_pk FROM items WHERE suite=? AND item_id=? AND dataset_sha256=?", -1,
                           &sel, NULL) != SQLITE_OK) {
        sqlite3_finalize(ins);
        return eb_db_fail(db, err, "recording items");
    }
    long *pks = eb_malloc(s->n_items * sizeof *pks);
    int rc = 0;
    for (size_t i = 0; i < s->n_items && rc == 0; i++) {
        const eb_item *it = &s->items[i];
        sqlite3_reset(ins);
        sqlite3_bind_text(ins, 1, s->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, it->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, it->dataset_sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 4, it->subject, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 5, it->category, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 6, it->answer, -1, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            rc = eb_db_fail(db, err, "recording items");
            break;
        }
        if (sqlite3_changes(db->db) == 1) {
            pks[i] = (long)sqlite3_last_insert_rowid(db->db);
            continue;
        }
        sqlite3_reset(sel);
        sqlite3_bind_text(sel, 1, s->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(sel, 2, it->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(sel, 3, it->dataset_sha256, -1, SQLITE_STATIC);
        if (sqlite3_step(sel) == SQLITE_ROW) pks[i] = (long)sqlite3_column_int64(sel, 0);
        else rc = eb_db_fail(db, err, "recording items");
    }
    sqlite3_finalize(ins);
    sqlite3_finalize(sel);
    if (rc != 0) {
        free(pks);
        goto fail;
    }
    if (eb_db_commit(db, err) != 0) {
        free(pks);
        return -1;
    }
    *item_pks_out = pks;
    return 0;
fail:
    db->in_tx = false;
    eb_db_exec(db, "ROLLBACK", NULL);
    return -1;
}

/* item_pk -> index, open addressing (item_pks are unique). */
typedef struct pk_map {
    long *keys;
    size_t *vals;
    size_t cap;
} pk_map;

static size_t slot_of(const pk_map *m, long key) {
    size_t h = (size_t)key * 0x9E3779B97F4A7C15ull;
    size_t i = h & (m->cap - 1);
    while (m->keys[i] != 0 && m->keys[i] != key) i = (i + 1) & (m->cap - 1);
    return i;
}

int eb_db_scored_set(eb_results_db *db, long run_id, const long *item_pks, size_t n_items, int n_runs, bool *done,
                     eb_err *err) {
    pk_map m;
    m.cap = 16;
    while (m.cap < n_items * 2) m.cap *= 2;
    m.keys = eb_calloc(m.cap, sizeof *m.keys);
    m.vals = eb_calloc(m.cap, sizeof *m.vals);
    for (size_t i = 0; i < n_items; i++) {
        size_t s = slot_of(&m, item_pks[i]);
        m.keys[s] = item_pks[i];
        m.vals[s] = i;
    }
    memset(done, 0, n_items * (size_t)n_runs * sizeof *done);
    sqlite3_stmt *st;
    int rc = 0;
    if (sqlite3_prepare_v2(db->db, "SELECT item_pk, run_index FROM scores WHERE run_id=?", -1, &st, NULL) != SQLITE_OK) {
        rc = eb_db_fail(db, err, "reading scores");
    } else {
        sqlite3_bind_int64(st, 1, run_id);
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            long pk = (long)sqlite3_column_int64(st, 0);
            int r = sqlite3_column_int(st, 1);
            size_t s = slot_of(&m, pk);
            if (m.keys[s] == pk && r >= 0 && r < n_runs) done[m.vals[s] * (size_t)n_runs + (size_t)r] = true;
        }
        if (step != SQLITE_DONE) rc = eb_db_fail(db, err, "reading scores");
        sqlite3_finalize(st);
    }
    free(m.keys);
    free(m.vals);
    return rc;
}
