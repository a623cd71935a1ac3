/* `evalbench data fetch|verify`: download the official dataset files into
 * our data layout, and check the files of a data directory against the
 * manifest (sha256 and row counts).  See docs/DATA.md. */
#ifndef EB_DATA_H
#define EB_DATA_H

#include <stdio.h>

#include "error.h"

#define EB_DATA_MAX_SUITES 16

typedef struct eb_data_opts {
    const char *data_dir;
    const char *suites[EB_DATA_MAX_SUITES]; /* canonical names; none = all */
    size_t n_suites;
    const char *mirror; /* base URL replacing every upstream location, or NULL */
    int force;          /* download even when the installed files check out */
    FILE *out;          /* progress lines and the verify table */
} eb_data_opts;

/* Downloads and unpacks, then verifies what was fetched.  0 on success;
 * -1 with err set (the first failure; the others are printed to out). */
int eb_data_fetch(const eb_data_opts *o, eb_err *err);

/* Checks every suite present (or the ones asked for) and prints a table.
 * 0 when everything matches; -1 with err naming the first bad file. */
int eb_data_verify(const eb_data_opts *o, eb_err *err);

/* True when no suite was asked for, or this one was. */
int eb_data_suite_selected(const eb_data_opts *o, const char *suite);

/* The `evalbench data` subcommand; argv[0] is "data". */
int cmd_data(int argc, char **argv);

#endif
