/* Option parsing shared by report, compare and runs: `--name VALUE` and
 * `--name=VALUE`, run id lists, and writing the result to stdout or a file. */
#ifndef EB_CLI_ARGS_H
#define EB_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* If argv[*i] is option NAME, stores its value in *val (advancing *i past a
 * separate value) and returns 1; returns 0 when it is another argument and
 * -1 (err set) when the value is missing. */
int eb_opt_value(int argc, char **argv, int *i, const char *name, const char **val, eb_err *err);

bool eb_opt_is_help(const char *arg);

/* Parses "3" or "3,5,7" into a new array of positive run ids. */
int eb_parse_run_ids(const char *s, int64_t **ids, size_t *n, eb_err *err);

/* Parses one positive run id. */
int eb_parse_run_id(const char *s, int64_t *id, eb_err *err);

/* Writes TEXT to PATH (atomically) or to stdout when PATH is NULL or "-". */
int eb_emit(const char *path, const char *text, eb_err *err);

#endif
