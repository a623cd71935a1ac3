/* evalbench resume RUN: continue an interrupted run with its stored settings. */
#include <stdio.h>
#include <stdlib.h>

#include "cli_opts.h"
#include "db.h"
#include "exitcodes.h"
#include "run_exec.h"
#include "strutil.h"

int cmd_resume(int argc, char **argv) {
    const char *db_path = "results/evalbench.db";
    const char *data = NULL;
    long concurrency = 0, jobs = 0;
    eb_opt opts[] = {
        {"db", EB_OPT_STRING, &db_path, "FILE", "results database (default results/evalbench.db)"},
        {"data", EB_OPT_STRING, &data, "DIR", "dataset directory, if it moved since the run started"},
        {"concurrency", EB_OPT_INT, &concurrency, "K", "override requests in flight"},
        {"jobs", EB_OPT_INT, &jobs, "J", "override parallel code executions"},
        {NULL, 0, NULL, NULL, NULL},
    };
    char *pos[1];
    int npos;
    int prc = eb_opts_parse("resume", "RUN [options]", opts, argc, argv, pos, 1, &npos);
    if (prc) return prc == 1 ? EB_EXIT_OK : EB_EXIT_USAGE;
    long run_id;
    if (npos != 1 || !eb_parse_long(pos[0], &run_id) || run_id <= 0) {
        fprintf(stderr, "evalbench resume: expected a run id (see evalbench runs)\n");
        return EB_EXIT_USAGE;
    }
    eb_err err = {{0}};
    eb_results_db *db;
    if (eb_db_open(db_path, &db, &err) != 0) {
        fprintf(stderr, "evalbench resume: %s\n", err.msg);
        return EB_EXIT_DB;
    }
    eb_run_row row;
    int found = eb_db_get_run(db, run_id, &row, &err);
    eb_db_close(db);
    if (found <= 0) {
        fprintf(stderr, "evalbench resume: %s\n", found < 0 ? err.msg : "no such run in the database");
        return found < 0 ? EB_EXIT_DB : EB_EXIT_USAGE;
    }
    eb_run_spec spec;
    int rc = eb_run_spec_from_json(row.params_json, &spec, &err);
    eb_run_row_clear(&row);
    if (rc != 0) {
        fprintf(stderr, "evalbench resume: run %ld: %s\n", run_id, err.msg);
        eb_run_spec_free(&spec);
        return EB_EXIT_DB;
    }
    free(spec.db_path);
    spec.db_path = eb_strdup(db_path);
    if (data) {
        free(spec.data_dir);
        spec.data_dir = eb_strdup(data);
    }
    if (concurrency > 0) spec.concurrency = concurrency;
    if (jobs > 0) spec.jobs = jobs;
    int code = eb_execute_run(&spec, run_id, false);
    eb_run_spec_free(&spec);
    return code;
}
