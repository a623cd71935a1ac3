/* RFC 4180 CSV reading (quoted fields, doubled quotes, embedded newlines),
 * as written by Python's csv module: the format of the MMLU files. */
#ifndef EB_CSV_H
#define EB_CSV_H

#include <stddef.h>

#include "error.h"

typedef struct eb_csv_row {
    char **fields;
    size_t n_fields;
    long line;        /* line number where the row starts (1-based) */
} eb_csv_row;

/* Parses the whole text into rows.  Returns 0, or -1 with err naming the
 * file and line (unterminated quote, garbage after a closing quote). */
int eb_csv_parse(const char *file, const char *text, size_t len, eb_csv_row **rows, size_t *n_rows, eb_err *err);
void eb_csv_free(eb_csv_row *rows, size_t n_rows);

#endif
