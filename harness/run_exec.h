/* Carrying out a run spec: engine, suites, database, runner, summary.
 * Shared by `evalbench run` and `evalbench resume`. */
#ifndef EB_RUN_EXEC_H
#define EB_RUN_EXEC_H

#include "run_spec.h"

/* resume_run_id > 0 resumes that run; otherwise the run with the same
 * configuration is resumed, or a new one started (fresh: always new).
 * Returns a process exit code. */
int eb_execute_run(eb_run_spec *spec, long resume_run_id, bool fresh);

/* The data directory: --data, else $EVALBENCH_DATA, else ./data. */
const char *eb_default_data_dir(const char *flag);

#endif
