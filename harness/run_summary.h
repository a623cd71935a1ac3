/* The short table printed at the end of `evalbench run`: accuracy per suite
 * and repetition of one run, read back from the database. */
#ifndef EB_RUN_SUMMARY_H
#define EB_RUN_SUMMARY_H

#include <stdio.h>

#include "db.h"

int eb_print_run_summary(FILE *out, eb_results_db *db, long run_id, eb_err *err);

#endif
