/* One HTTP(S) download with libcurl into DEST.part, resumable: an existing
 * .part is continued with a Range request, a dropped connection is retried
 * from where it stopped, and the file is only moved to DEST once its sha256
 * matches (when one is pinned).  A mismatch leaves DEST untouched. */
#ifndef EB_DATA_DOWNLOAD_H
#define EB_DATA_DOWNLOAD_H

#include <stdio.h>

#include "error.h"

typedef struct eb_download_opts {
    const char *url;
    const char *dest;            /* final path; DEST.part holds the partial file */
    const char *expected_sha256; /* NULL or "" when unpinned */
    const char *label;           /* name for progress and error lines */
    FILE *progress;              /* progress lines go here; NULL for none */
    int attempts;                /* tries after dropped connections (default 4) */
} eb_download_opts;

/* Returns 0 with the hash of DEST in sha256_out, or -1 with err set (the
 * message names the file, and for a mismatch the expected and actual hash). */
int eb_download(const eb_download_opts *o, char sha256_out[65], eb_err *err);

#endif
