/* DATA/.evalbench-fetched.tsv: what `data fetch` installed, with the sha256
 * observed at download time.  For upstream files whose hash the manifest
 * cannot pin (archives, Hugging Face files that may be re-uploaded), verify
 * compares against this record instead, so a later change is still caught. */
#ifndef EB_DATA_FETCH_RECORD_H
#define EB_DATA_FETCH_RECORD_H

#include <stddef.h>

#include "error.h"

#define EB_FETCH_RECORD_NAME ".evalbench-fetched.tsv"

typedef struct eb_fetch_entry {
    char *path;   /* relative to the data directory */
    char *sha256;
    char *source; /* URL it came from */
    char *when;   /* ISO-8601 UTC */
} eb_fetch_entry;

typedef struct eb_fetch_record {
    eb_fetch_entry *entries;
    size_t n, cap;
} eb_fetch_record;

/* A missing file is an empty record; a damaged one is an error. */
int eb_fetch_record_load(const char *data_dir, eb_fetch_record *r, eb_err *err);
/* Adds or replaces the entry for path. */
void eb_fetch_record_put(eb_fetch_record *r, const char *path, const char *sha256, const char *source);
const eb_fetch_entry *eb_fetch_record_get(const eb_fetch_record *r, const char *path);
int eb_fetch_record_save(const char *data_dir, const eb_fetch_record *r, eb_err *err);
void eb_fetch_record_free(eb_fetch_record *r);

#endif
