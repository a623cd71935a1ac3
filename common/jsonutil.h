/* cJSON helpers that turn a missing or mistyped field into an error naming
 * the file, line and field, as dataset loaders must. */
#ifndef EB_JSONUTIL_H
#define EB_JSONUTIL_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "error.h"

/* Location used in messages: "<file>:<line>". */
typedef struct eb_jloc {
    const char *file;
    long line;
    const char *text; /* the raw line (not NUL-terminated) when iterating JSONL */
    size_t len;
} eb_jloc;

/* Required string field; returns a borrowed pointer or NULL with err set. */
const char *eb_json_str(const cJSON *obj, const char *field, eb_jloc loc, eb_err *err);
/* Optional string field: NULL when absent or null (never an error). */
const char *eb_json_str_opt(const cJSON *obj, const char *field);
/* Required number (integers accepted as numbers; numeric strings too). */
bool eb_json_num(const cJSON *obj, const char *field, double *out, eb_jloc loc, eb_err *err);

/* Iterates over the lines of a JSONL buffer of len bytes, parsing each
 * non-empty line, which must hold exactly one JSON object: a NUL byte, a
 * second value or anything but whitespace after the object is an error
 * naming file and line (nothing after it is silently dropped).  The callback
 * returns 0 to continue, -1 to stop with an error. */
typedef int (*eb_jsonl_cb)(const cJSON *obj, eb_jloc loc, void *ctx, eb_err *err);
int eb_jsonl_each(const char *file, const char *text, size_t len, eb_jsonl_cb cb, void *ctx, eb_err *err);

#endif
