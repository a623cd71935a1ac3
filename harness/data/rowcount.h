/* Row counting with light structural checks, used by `data verify`:
 * MMLU CSV records (RFC 4180 quoting, 6 fields, answer letter A-D), JSON
 * lines (plain or gzip; each non-empty line must look like an object) and
 * a JSON array file. */
#ifndef EB_DATA_ROWCOUNT_H
#define EB_DATA_ROWCOUNT_H

#include "error.h"
#include "manifest.h"

/* Returns 0 with *rows set, or -1 with err naming file and line. */
int eb_count_rows(const char *path, eb_row_format fmt, long *rows, eb_err *err);

#endif
