/* Everything that defines a run, as given on the command line.  It is stored
 * as the run's params_json so that `evalbench resume RUN` can rebuild the
 * exact run, and its evaluation-relevant part is hashed into the run's
 * configuration hash so that re-running the same command resumes it. */
#ifndef EB_RUN_SPEC_H
#define EB_RUN_SPEC_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

typedef struct eb_run_spec {
    char *model;
    char *engine;
    char *model_path;
    char *device;
    char *base_url;
    char *replay_file;
    char *pricing_file;
    char *quantization;
    char *suites;          /* comma-separated */
    char *data_dir;
    char *db_path;
    char *mmlu_mode;
    char *math_set;
    char *lcb_release;
    char *since;
    char *until;
    char *style;           /* auto | chat | completion */
    long n_runs;
    double temperature;
    long seed;
    long max_tokens;
    long limit;
    long concurrency;
    long jobs;
    bool batch;
    bool no_cache;
} eb_run_spec;

void eb_run_spec_defaults(eb_run_spec *s);
void eb_run_spec_free(eb_run_spec *s);
/* Checks values (suite names, ranges); err names the offending option. */
int eb_run_spec_validate(const eb_run_spec *s, eb_err *err);
char *eb_run_spec_to_json(const eb_run_spec *s);
int eb_run_spec_from_json(const char *json, eb_run_spec *s, eb_err *err);

#endif
