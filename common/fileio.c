#include "fileio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"

static int read_raw(const char *path, char **data, size_t *len, eb_err *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return eb_err_set(err, "%s: %s", path, strerror(errno));
    eb_buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) eb_buf_append(&b, chunk, n);
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        eb_buf_free(&b);
        return eb_err_set(err, "%s: read error", path);
    }
    *len = b.len;
    *data = eb_buf_take(&b);
    return 0;
}

static int inflate_gzip(const char *path, const char *in, size_t in_len, char **data, size_t *len,
                        eb_err *err) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    /* 16 + MAX_WBITS: expect a gzip header; concatenated members are handled below. */
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return eb_err_set(err, "%s: zlib init failed", path);
    eb_buf b = {0};
    char chunk[65536];
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)in_len;
    int rc;
    for (;;) {
        zs.next_out = (Bytef *)chunk;
        zs.avail_out = sizeof chunk;
        rc = inflate(&zs, Z_NO_FLUSH);
        eb_buf_append(&b, chunk, sizeof chunk - zs.avail_out);
        if (rc == Z_STREAM_END) {
            if (zs.avail_in == 0) break;
            inflateReset(&zs); /* another gzip member follows */
            continue;
        }
        if (rc != Z_OK) break;
        if (zs.avail_in == 0 && zs.avail_out != 0) break;
    }
    inflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        eb_buf_free(&b);
        return eb_err_set(err, "%s: corrupt or truncated gzip data (zlib: %s)", path,
                          zs.msg ? zs.msg : "unexpected end of data");
    }
    *len = b.len;
    *data = eb_buf_take(&b);
    return 0;
}

int eb_read_file(const char *path, char **data, size_t *len, eb_err *err) {
    char *raw;
    size_t raw_len;
    if (read_raw(path, &raw, &raw_len, err) != 0) return -1;
    if (raw_len >= 2 && (unsigned char)raw[0] == 0x1f && (unsigned char)raw[1] == 0x8b) {
        int rc = inflate_gzip(path, raw, raw_len, data, len, err);
        free(raw);
        return rc;
    }
    *data = raw;
    *len = raw_len;
    return 0;
}

int eb_write_file_atomic(const char *path, const void *data, size_t len, eb_err *err) {
    size_t n = strlen(path) + 8;
    char *tmp = eb_malloc(n);
    snprintf(tmp, n, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        eb_err_set(err, "%s: %s", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    int ok = fwrite(data, 1, len, f) == len;
    ok = (fflush(f) == 0) && ok;
    ok = (fsync(fileno(f)) == 0) && ok;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        eb_err_set(err, "%s: write failed: %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

int eb_file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int eb_is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int eb_mkdirs(const char *path, eb_err *err) {
    char *p = eb_strdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            eb_err_set(err, "cannot create directory %s: %s", p, strerror(errno));
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = 0;
    if (mkdir(p, 0755) != 0 && errno != EEXIST) rc = eb_err_set(err, "cannot create directory %s: %s", p, strerror(errno));
    free(p);
    return rc;
}

char *eb_path_join(const char *a, const char *b) {
    size_t la = strlen(a);
    while (la > 1 && a[la - 1] == '/') la--;
    eb_buf out = {0};
    eb_buf_append(&out, a, la);
    eb_buf_putc(&out, '/');
    eb_buf_puts(&out, b);
    return eb_buf_take(&out);
}
