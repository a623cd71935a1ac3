/* evalbench compare RUN_A RUN_B: the paired comparison of two runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "compare_model.h"
#include "exitcodes.h"
#include "rdb.h"
#include "strutil.h"

/* Fixed so that the same two runs always give the same interval. */
#define EB_BOOTSTRAP_SEED 1234
#define EB_BOOTSTRAP_RESAMPLES 10000

static const char compare_usage[] =
    "usage: evalbench compare RUN_A RUN_B [--db FILE] [--suite S] [--format md|json] [--out FILE]\n"
    "                         [--resamples N] [--seed N]\n"
    "\n"
    "Paired comparison of two runs on the items both scored, suite by suite (same\n"
    "suite and same dataset fingerprint only: runs on different data are refused).\n"
    "Per item the score is the mean correctness over its repetitions.  Prints each\n"
    "run's accuracy, the difference B - A with a paired bootstrap 95% interval, the\n"
    "exact McNemar test on item-level majority correctness, and the items that\n"
    "flipped in each direction with the extracted answers.  Typical use: A = bf16,\n"
    "B = int8 of the same model.\n"
    "\n"
    "  --db FILE        results database (default " EB_DEFAULT_DB "), opened read-only\n"
    "  --suite S        only this suite (mmlu, humaneval, humaneval+, math, livecodebench)\n"
    "  --format F       md (default) or json\n"
    "  --out FILE       write there instead of standard output\n"
    "  --resamples N    bootstrap resamples (default 10000)\n"
    "  --seed N         bootstrap seed (default 1234)\n"
    "\n"
    "Exit status: 0 compared, 1 refused (no common suite, different data), 2 usage,\n"
    "4 database problem.\n";

int cmd_compare(int argc, char **argv) {
    const char *db_path = EB_DEFAULT_DB, *format = "md", *out = NULL, *resamples_s = NULL, *seed_s = NULL;
    const char *pos[2] = {NULL, NULL};
    int npos = 0;
    eb_compare_options opt = {NULL, EB_BOOTSTRAP_RESAMPLES, EB_BOOTSTRAP_SEED};
    eb_err err = {{0}};
    for (int i = 1; i < argc; i++) {
        int rc;
        if (eb_opt_is_help(argv[i])) {
            fputs(compare_usage, stdout);
            return EB_EXIT_OK;
        }
        if ((rc = eb_opt_value(argc, argv, &i, "--db", &db_path, &err)) ||
            (rc = eb_opt_value(argc, argv, &i, "--suite", &opt.suite, &err)) ||
            (rc = eb_opt_value(argc, argv, &i, "--format", &format, &err)) ||
            (rc = eb_opt_value(argc, argv, &i, "--out", &out, &err)) ||
            (rc = eb_opt_value(argc, argv, &i, "--resamples", &resamples_s, &err)) ||
            (rc = eb_opt_value(argc, argv, &i, "--seed", &seed_s, &err))) {
            if (rc < 0) {
                fprintf(stderr, "evalbench compare: %s\n", err.msg);
                return EB_EXIT_USAGE;
            }
            continue;
        }
        if (argv[i][0] == '-' || npos == 2) {
            fprintf(stderr, "evalbench compare: unexpected argument '%s' (see evalbench compare --help)\n", argv[i]);
            return EB_EXIT_USAGE;
        }
        pos[npos++] = argv[i];
    }
    if (npos != 2) {
        fprintf(stderr, "evalbench compare: needs two run ids, RUN_A and RUN_B (see evalbench runs)\n");
        return EB_EXIT_USAGE;
    }
    int64_t a, b;
    if (eb_parse_run_id(pos[0], &a, &err) || eb_parse_run_id(pos[1], &b, &err)) {
        fprintf(stderr, "evalbench compare: %s\n", err.msg);
        return EB_EXIT_USAGE;
    }
    if (strcmp(format, "md") && strcmp(format, "json")) {
        fprintf(stderr, "evalbench compare: unknown format '%s' (md or json)\n", format);
        return EB_EXIT_USAGE;
    }
    long v;
    if (resamples_s) {
        if (!eb_parse_long(resamples_s, &v) || v < 1 || v > 10000000) {
            fprintf(stderr, "evalbench compare: invalid --resamples '%s' (1 to 10000000)\n", resamples_s);
            return EB_EXIT_USAGE;
        }
        opt.resamples = (int)v;
    }
    if (seed_s) {
        if (!eb_parse_long(seed_s, &v)) {
            fprintf(stderr, "evalbench compare: invalid --seed '%s' (a non-negative integer)\n", seed_s);
            return EB_EXIT_USAGE;
        }
        opt.seed = (uint64_t)v;
    }
    sqlite3 *db = eb_rdb_open(db_path, &err);
    if (!db) {
        fprintf(stderr, "evalbench compare: %s\n", err.msg);
        return EB_EXIT_DB;
    }
    eb_compare cmp;
    int rc = eb_compare_load(db, db_path, a, b, &opt, &cmp, &err);
    eb_rdb_close(db);
    if (rc) {
        fprintf(stderr, "evalbench compare: %s\n", err.msg);
        return rc == EB_COMPARE_NO_RUN ? EB_EXIT_USAGE : rc == EB_COMPARE_REFUSED ? EB_EXIT_FAILURE : EB_EXIT_DB;
    }
    for (size_t i = 0; i < cmp.n_skipped; i++)
        fprintf(stderr, "evalbench compare: not comparing %s: %s\n", cmp.skipped[i].suite, cmp.skipped[i].reason);
    char *text = strcmp(format, "json") == 0 ? eb_compare_json(&cmp) : eb_compare_markdown(&cmp);
    eb_compare_free(&cmp);
    rc = eb_emit(out, text, &err);
    free(text);
    if (rc) {
        fprintf(stderr, "evalbench compare: %s\n", err.msg);
        return EB_EXIT_FAILURE;
    }
    return EB_EXIT_OK;
}
