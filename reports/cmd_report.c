/* evalbench report: the comparison table of stored runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "exitcodes.h"
#include "rdb.h"
#include "report_model.h"
#include "report_out.h"

static const char report_usage[] =
    "usage: evalbench report [--db FILE] [--run ID[,ID...]] [--format md|json|csv] [--out FILE]\n"
    "\n"
    "Prints the comparison table of stored runs: one row per run (model, engine,\n"
    "quantization), one column per suite and dataset fingerprint.  Each cell is the\n"
    "mean over repetitions of the per-repetition accuracy, the sample standard\n"
    "deviation across repetitions, and the number of items.  Then pass@k for the\n"
    "code suites, breakdowns (MMLU category groups and macro average, MATH level and\n"
    "subject, LiveCodeBench difficulty and platform), no-answer rates, tokens and cost.\n"
    "\n"
    "  --db FILE        results database (default " EB_DEFAULT_DB "), opened read-only\n"
    "  --run IDS        only these runs, in this order (default: all)\n"
    "  --format F       md (default), json or csv (long form: one number per line)\n"
    "  --out FILE       write there instead of standard output\n";

int cmd_report(int argc, char **argv) {
    const char *db_path = EB_DEFAULT_DB, *runs = NULL, *format = "md", *out = NULL;
    eb_err err = {{0}};
    for (int i = 1; i < argc; i++) {
        int rc;
        if (eb_opt_is_help(argv[i])) {
            fputs(report_usage, stdout);
            return EB_EXIT_OK;
        }
        if ((rc = eb_opt_value(argc, argv, &i, "--db", &db_path, &err)) ||
            (rc = eb_opt_value(argc, argv, &i, "--run", &runs, &err)) ||
            (rc = eb_opt_value(argc, argv, &i, "--format", &format, &err)) ||
            (rc = eb_opt_value(argc, argv, &i, "--out", &out, &err))) {
            if (rc < 0) {
                fprintf(stderr, "evalbench report: %s\n", err.msg);
                return EB_EXIT_USAGE;
            }
            continue;
        }
        fprintf(stderr, "evalbench report: unknown argument '%s' (see evalbench report --help)\n", argv[i]);
        return EB_EXIT_USAGE;
    }
    if (strcmp(format, "md") && strcmp(format, "json") && strcmp(format, "csv")) {
        fprintf(stderr, "evalbench report: unknown format '%s' (md, json or csv)\n", format);
        return EB_EXIT_USAGE;
    }
    int64_t *ids = NULL;
    size_t n_ids = 0;
    if (runs && eb_parse_run_ids(runs, &ids, &n_ids, &err)) {
        fprintf(stderr, "evalbench report: %s\n", err.msg);
        return EB_EXIT_USAGE;
    }
    sqlite3 *db = eb_rdb_open(db_path, &err);
    if (!db) {
        fprintf(stderr, "evalbench report: %s\n", err.msg);
        free(ids);
        return EB_EXIT_DB;
    }
    eb_report rep;
    int rc = eb_report_load(db, db_path, ids, n_ids, &rep, &err);
    eb_rdb_close(db);
    free(ids);
    if (rc) {
        fprintf(stderr, "evalbench report: %s\n", err.msg);
        return rc == EB_REPORT_NO_RUN ? EB_EXIT_USAGE : EB_EXIT_DB;
    }
    char *text = strcmp(format, "json") == 0  ? eb_report_json(&rep)
                 : strcmp(format, "csv") == 0 ? eb_report_csv(&rep)
                                              : eb_report_markdown(&rep);
    eb_report_free(&rep);
    rc = eb_emit(out, text, &err);
    free(text);
    if (rc) {
        fprintf(stderr, "evalbench report: %s\n", err.msg);
        return EB_EXIT_FAILURE;
    }
    return EB_EXIT_OK;
}
