/* The three renderings of a loaded report.  Each returns a new string. */
#ifndef EB_REPORT_OUT_H
#define EB_REPORT_OUT_H

#include "report_model.h"

char *eb_report_markdown(const eb_report *r);
char *eb_report_json(const eb_report *r);
char *eb_report_csv(const eb_report *r);

/* Display order of breakdown groups: MMLU category groups and LiveCodeBench
 * difficulties in their usual order, everything else alphabetical. */
int eb_group_order(const char *a, const char *b);

#endif
