/* Whole-file reading (plain or gzip, detected by magic bytes) and atomic
 * writing.  Datasets are small enough (tens of MB) to read whole. */
#ifndef EB_FILEIO_H
#define EB_FILEIO_H

#include <stddef.h>

#include "error.h"

/* Reads the whole file; gzip files are inflated transparently.  The result
 * is NUL-terminated (len excludes the NUL). */
int eb_read_file(const char *path, char **data, size_t *len, eb_err *err);

/* Writes to PATH.tmp then renames, so readers never see a half file. */
int eb_write_file_atomic(const char *path, const void *data, size_t len, eb_err *err);

int eb_file_exists(const char *path);
int eb_is_dir(const char *path);
/* mkdir -p */
int eb_mkdirs(const char *path, eb_err *err);
/* Joins two path parts with one '/'; the caller frees. */
char *eb_path_join(const char *a, const char *b);

#endif
