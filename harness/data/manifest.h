/* The data manifest (harness/data/manifest.tsv, compiled into the binary):
 * which official file each suite is downloaded from, its pinned sha256 when
 * known, how it is unpacked, and the files of our data layout with their
 * hashes and row counts for `evalbench data verify`. */
#ifndef EB_DATA_MANIFEST_H
#define EB_DATA_MANIFEST_H

#include <stddef.h>

#include "error.h"

typedef enum eb_unpack_action {
    EB_UNPACK_NONE,         /* the download is the file */
    EB_UNPACK_GUNZIP,       /* dest is the inflated file */
    EB_UNPACK_UNTAR_SUBSET, /* extract members under the listed prefixes into dir dest */
    EB_UNPACK_UNTAR_MATH    /* MATH/test/<subject>/<n>.json -> one JSON-lines file dest */
} eb_unpack_action;

typedef struct eb_manifest_download {
    char *suite;
    char *url;
    char *sha256;      /* "" when upstream publishes no hash we could pin */
    eb_unpack_action action;
    char *mirror_path; /* where a --mirror serves it: BASE/mirror_path */
    char *dest;        /* relative to the data directory */
    char **members;    /* member prefixes for untar actions */
    size_t n_members;
    int line;
} eb_manifest_download;

typedef enum eb_row_format { EB_ROWS_CSV6, EB_ROWS_JSONL, EB_ROWS_JSON_ARRAY } eb_row_format;

typedef struct eb_manifest_file {
    char *suite;
    char *set;    /* checked when any file of the set exists; then all must */
    char *path;   /* relative to the data directory */
    char *sha256; /* "" when unknown (hash recorded at fetch instead) */
    long rows;
    eb_row_format format;
    int line;
} eb_manifest_file;

typedef struct eb_manifest {
    eb_manifest_download *downloads;
    size_t n_downloads;
    eb_manifest_file *files;
    size_t n_files;
} eb_manifest;

/* Parses manifest text; `name` is used in error messages (name:line). */
int eb_manifest_parse(const char *text, size_t len, const char *name, eb_manifest *m, eb_err *err);
/* The manifest compiled into the binary. */
int eb_manifest_load_builtin(eb_manifest *m, eb_err *err);
void eb_manifest_free(eb_manifest *m);

/* The suites the manifest knows, in order, NULL-terminated. */
const char *const *eb_data_suite_names(void);
/* Maps user spellings (humaneval+, humanevalplus, lcb) to manifest names;
 * NULL when unknown. */
const char *eb_data_suite_canonical(const char *name);

#endif
