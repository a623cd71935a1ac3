/* evalbench runs: the list of stored runs with their progress. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli_args.h"
#include "exitcodes.h"
#include "rdb.h"

static const char runs_usage[] =
    "usage: evalbench runs [--db FILE] [--format md|json] [--out FILE]\n"
    "\n"
    "Lists the runs in the results database: id, model, engine, quantization,\n"
    "suites, repetitions, scored / expected responses (items x repetitions),\n"
    "status, start and finish time (UTC).  A run with fewer scored than expected\n"
    "responses can be continued with `evalbench resume ID`.\n"
    "\n"
    "  --db FILE        results database (default " EB_DEFAULT_DB "), opened read-only\n"
    "  --format F       md (default) or json\n"
    "  --out FILE       write there instead of standard output\n";

static void cell(eb_buf *b, const char *s) {
    eb_buf_puts(b, " ");
    if (!s || !*s) eb_buf_puts(b, "—");
    for (; s && *s; s++) {
        if (*s == '|') eb_buf_puts(b, "\\|");
        else eb_buf_putc(b, *s == '\n' ? ' ' : *s);
    }
    eb_buf_puts(b, " |");
}

static cJSON *jstr(const unsigned char *s) { return s ? cJSON_CreateString((const char *)s) : cJSON_CreateNull(); }

int cmd_runs(int argc, char **argv) {
    const char *db_path = EB_DEFAULT_DB, *format = "md", *out = NULL;
    eb_err err = {{0}};
    for (int i = 1; i < argc; i++) {
        int rc;
        if (eb_opt_is_help(argv[i])) {
            fputs(runs_usage, stdout);
            return EB_EXIT_OK;
        }
        if ((rc = eb_opt_value(argc, argv, &i, "--db", &db_path, &err)) ||
            (rc = eb_opt_value(argc, argv, &i, "--format", &format, &err)) ||
            (rc = eb_opt_value(argc, argv, &i, "--out", &out, &err))) {
            if (rc < 0) {
                fprintf(stderr, "evalbench runs: %s\n", err.msg);
                return EB_EXIT_USAGE;
            }
            continue;
        }
        fprintf(stderr, "evalbench runs: unknown argument '%s' (see evalbench runs --help)\n", argv[i]);
        return EB_EXIT_USAGE;
    }
    bool json = strcmp(format, "json") == 0;
    if (!json && strcmp(format, "md")) {
        fprintf(stderr, "evalbench runs: unknown format '%s' (md or json)\n", format);
        return EB_EXIT_USAGE;
    }
    sqlite3 *db = eb_rdb_open(db_path, &err);
    if (!db) {
        fprintf(stderr, "evalbench runs: %s\n", err.msg);
        return EB_EXIT_DB;
    }
    sqlite3_stmt *st;
    if (eb_rdb_prepare(db,
                       "SELECT r.run_id, r.model, r.engine, r.quantization, r.suites, r.n_runs, r.status,"
                       " r.started_at, r.finished_at,"
                       " (SELECT COUNT(*) FROM scores s WHERE s.run_id = r.run_id),"
                       " (SELECT SUM(n_items) FROM run_suites rs WHERE rs.run_id = r.run_id)"
                       " FROM runs r ORDER BY r.run_id",
                       &st, &err)) {
        fprintf(stderr, "evalbench runs: %s\n", err.msg);
        eb_rdb_close(db);
        return EB_EXIT_DB;
    }
    eb_buf b = {0};
    cJSON *arr = cJSON_CreateArray();
    if (!json)
        eb_buf_puts(&b, "| ID | Model | Engine | Quant. | Suites | Reps | Scored / expected | Status | Started | Finished |\n"
                        "|---:|---|---|---|---|---:|---:|---|---|---|\n");
    int rc;
    while ((rc = eb_rdb_step(db, st, &err)) == SQLITE_ROW) {
        long long id = sqlite3_column_int64(st, 0);
        int reps = sqlite3_column_int(st, 5);
        long long scored = sqlite3_column_int64(st, 9);
        bool known = sqlite3_column_type(st, 10) != SQLITE_NULL;
        long long expected = known ? sqlite3_column_int64(st, 10) * reps : -1;
        const unsigned char *finished = sqlite3_column_text(st, 8);
        if (json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "run_id", (double)id);
            cJSON_AddItemToObject(o, "model", jstr(sqlite3_column_text(st, 1)));
            cJSON_AddItemToObject(o, "engine", jstr(sqlite3_column_text(st, 2)));
            cJSON_AddItemToObject(o, "quantization", jstr(sqlite3_column_text(st, 3)));
            cJSON_AddItemToObject(o, "suites", jstr(sqlite3_column_text(st, 4)));
            cJSON_AddNumberToObject(o, "n_runs", reps);
            cJSON_AddNumberToObject(o, "scored", (double)scored);
            cJSON_AddItemToObject(o, "expected", known ? cJSON_CreateNumber((double)expected) : cJSON_CreateNull());
            cJSON_AddItemToObject(o, "status", jstr(sqlite3_column_text(st, 6)));
            cJSON_AddItemToObject(o, "started_at", jstr(sqlite3_column_text(st, 7)));
            cJSON_AddItemToObject(o, "finished_at", jstr(finished));
            cJSON_AddBoolToObject(o, "partial", !finished || (known && scored < expected));
            cJSON_AddItemToArray(arr, o);
            continue;
        }
        eb_buf_printf(&b, "| %lld |", id);
        cell(&b, (const char *)sqlite3_column_text(st, 1));
        cell(&b, (const char *)sqlite3_column_text(st, 2));
        cell(&b, (const char *)sqlite3_column_text(st, 3));
        cell(&b, (const char *)sqlite3_column_text(st, 4));
        eb_buf_printf(&b, " %d |", reps);
        if (known) eb_buf_printf(&b, " %lld / %lld |", scored, expected);
        else eb_buf_printf(&b, " %lld / ? |", scored);
        const char *status = (const char *)sqlite3_column_text(st, 6);
        eb_buf_printf(&b, " %s%s |", status ? status : "—", !finished ? " (partial)" : "");
        cell(&b, (const char *)sqlite3_column_text(st, 7));
        cell(&b, (const char *)finished);
        eb_buf_putc(&b, '\n');
    }
    sqlite3_finalize(st);
    eb_rdb_close(db);
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "evalbench runs: %s\n", err.msg);
        eb_buf_free(&b);
        cJSON_Delete(arr);
        return EB_EXIT_DB;
    }
    if (json) {
        char *t = cJSON_Print(arr);
        eb_buf_puts(&b, t);
        eb_buf_putc(&b, '\n');
        free(t);
    }
    cJSON_Delete(arr);
    rc = eb_emit(out, eb_buf_str(&b), &err);
    eb_buf_free(&b);
    if (rc) {
        fprintf(stderr, "evalbench runs: %s\n", err.msg);
        return EB_EXIT_FAILURE;
    }
    return EB_EXIT_OK;
}
