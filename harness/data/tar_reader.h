/* A streaming reader for POSIX ustar and GNU tar archives (the formats of
 * the MMLU data.tar and MATH.tar releases).  It understands the ustar name
 * prefix, GNU long names/links ('L'/'K'), pax 'path'/'linkpath'/'size'
 * records and base-256 sizes; every header checksum is verified.  It only
 * reads: what to do with each entry (and whether its path is safe) is the
 * caller's decision, helped by eb_tar_clean_path. */
#ifndef EB_TAR_READER_H
#define EB_TAR_READER_H

#include <stdint.h>
#include <stdio.h>

#include "error.h"

/* Reads up to n bytes; returns the count (0 at end of input), or -1 on an
 * I/O error. */
typedef long (*eb_tar_read_fn)(void *ctx, void *buf, size_t n);

typedef enum eb_tar_type {
    EB_TAR_FILE,
    EB_TAR_DIR,
    EB_TAR_SYMLINK,
    EB_TAR_HARDLINK,
    EB_TAR_OTHER /* devices, fifos, ...: never extracted */
} eb_tar_type;

typedef struct eb_tar_entry {
    char *path;      /* as stored in the archive (not yet checked) */
    char *linkname;  /* link target for links, else "" */
    eb_tar_type type;
    uint64_t size;   /* data bytes that follow the header */
    unsigned mode;
} eb_tar_entry;

typedef struct eb_tar eb_tar;

eb_tar *eb_tar_open(eb_tar_read_fn read, void *ctx, const char *label);
/* A reader over a FILE* (not closed by eb_tar_close). */
eb_tar *eb_tar_open_file(FILE *f, const char *label);
void eb_tar_close(eb_tar *t);

/* Advances to the next entry, skipping unread data of the current one.
 * Returns 1 with *e filled (valid until the next call), 0 at the end of the
 * archive, -1 on a damaged or truncated archive (err names the offset). */
int eb_tar_next(eb_tar *t, const eb_tar_entry **e, eb_err *err);

/* Reads data of the current entry; returns bytes read (0 when the entry is
 * exhausted) or -1 when the archive ends early. */
long eb_tar_read(eb_tar *t, void *buf, size_t n, eb_err *err);

/* Normalises an archive path for extraction: drops leading "./" and
 * repeated or trailing '/', and rejects absolute paths, ".." components and
 * empty names.  Returns a new string or NULL with err set. */
char *eb_tar_clean_path(const char *path, eb_err *err);

/* True when a link at `path` (already clean) pointing at `target` stays
 * inside the extraction directory. */
int eb_tar_link_inside(const char *path, const char *target);

#endif
