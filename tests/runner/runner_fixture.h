/* Shared set-up for runner tests: a temporary database, an engine and
 * suites, run through eb_runner_execute in-process. */
#ifndef EB_RUNNER_FIXTURE_H
#define EB_RUNNER_FIXTURE_H

#include "db.h"
#include "engine.h"
#include "runner.h"
#include "suite.h"

typedef struct fixture {
    char dir[64];
    char db_path[128];
    eb_results_db *db;
    eb_engine *engine;
    eb_engine_config ecfg;
    eb_suite suites[4];
    size_t n_suites;
    eb_suite_options sopt;
    long run_id;
} fixture;

/* engine: "oracle" or "replay" (replay_file then needed). */
int fixture_open(fixture *f, const char *engine, const char *replay_file);
int fixture_add_suite(fixture *f, const char *name, const char *mmlu_mode, const char *math_set, long limit);
int fixture_new_run(fixture *f, int n_runs);
int fixture_run(fixture *f, int n_runs, eb_runner_stats *st, eb_err *err);
/* SUM(correct), COUNT(*) of the run's scores for a suite. */
void fixture_counts(fixture *f, const char *suite, long *correct, long *total);
void fixture_close(fixture *f);

#endif
