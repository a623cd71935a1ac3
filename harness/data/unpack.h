/* Unpacking downloaded files into the data directory: gunzip, extracting a
 * subset of a tar archive, and turning the MATH release's one-JSON-file-per-
 * problem tree into the JSON-lines file our MATH suite reads.  Every file is
 * written to NAME.tmp and renamed, so a failure never leaves half a file;
 * archive members with absolute paths, '..' or links pointing outside the
 * data directory are rejected. */
#ifndef EB_DATA_UNPACK_H
#define EB_DATA_UNPACK_H

#include <stddef.h>

#include "error.h"

int eb_unpack_gunzip(const char *src, const char *dest, eb_err *err);

/* Extracts the regular files whose archive path starts with one of
 * `members` (all files when n_members is 0) to DATA_DIR/DEST_REL/<path>.
 * *written receives the data-directory-relative paths written (free with
 * eb_strv_free). */
int eb_unpack_tar_subset(const char *archive, const char *data_dir, const char *dest_rel, char *const *members,
                         size_t n_members, char ***written, size_t *n_written, eb_err *err);

/* Reads PREFIX<subject>/<n>.json members (problem, level, type, solution)
 * and writes them, sorted by subject then problem number, as JSON lines
 * with keys problem, level, type, solution, idx, unique_id
 * ("test/<subject>/<n>.json").  *rows receives the count. */
int eb_unpack_math_tar(const char *archive, const char *dest, const char *prefix, long *rows, eb_err *err);

#endif
