/* The runner: one request per item x repetition, kept in flight through the
 * asynchronous engine interface, every completion committed to SQLite as it
 * arrives, code scored on worker threads.  Interrupted runs resume from the
 * database: nothing lost, nothing done twice. */
#ifndef EB_RUNNER_H
#define EB_RUNNER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "db.h"
#include "engine.h"
#include "executor.h"
#include "suite.h"

typedef struct eb_runner_config {
    eb_results_db *db;
    long run_id;
    eb_engine *engine;
    eb_suite *suites;
    size_t n_suites;
    const eb_suite_options *suite_opt;
    int n_runs;
    double temperature;
    uint64_t seed;
    int concurrency;            /* requests in flight at most */
    int jobs;                   /* code-scoring worker threads */
    bool no_cache;              /* do not reuse stored responses of other runs */
    eb_executor *executor;      /* NULL when no suite executes code */
    FILE *progress;             /* NULL: quiet */
    bool progress_tty;          /* redraw one line instead of printing lines */
} eb_runner_config;

typedef struct eb_runner_stats {
    long total;                 /* item x repetition pairs in the run */
    long already_done;          /* scored before this invocation */
    long requested;             /* sent to the engine */
    long from_cache;            /* answered from stored responses */
    long scored;                /* scored in this invocation */
    long correct;               /* of those, correct */
    long failed;                /* requests that failed (left for a resume) */
    bool interrupted;           /* stopped by a signal */
    bool engine_fatal;          /* stopped by a non-retryable engine error */
    char first_error[512];
} eb_runner_stats;

int eb_runner_execute(const eb_runner_config *cfg, eb_runner_stats *stats, eb_err *err);

/* Installs SIGINT/SIGTERM handlers that ask the runner to stop cleanly. */
void eb_runner_install_signal_handlers(void);
bool eb_runner_stop_requested(void);

#endif
