/* The fetch record file: see fetch_record.h. */
#include "fetch_record.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "fileio.h"

int eb_fetch_record_load(const char *data_dir, eb_fetch_record *r, eb_err *err) {
    memset(r, 0, sizeof *r);
    char *path = eb_path_join(data_dir, EB_FETCH_RECORD_NAME);
    if (!eb_file_exists(path)) {
        free(path);
        return 0;
    }
    char *data;
    size_t len;
    if (eb_read_file(path, &data, &len, err) != 0) {
        free(path);
        return -1;
    }
    int lineno = 0, rc = 0;
    char *p = data;
    while (*p) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = '\0';
        lineno++;
        if (*p && *p != '#') {
            char *f[4];
            int nf = 0;
            char *q = p;
            while (nf < 4) {
                f[nf++] = q;
                char *tab = strchr(q, '\t');
                if (!tab) break;
                *tab = '\0';
                q = tab + 1;
            }
            if (nf != 4 || strlen(f[1]) != 64) {
                rc = eb_err_set(err, "%s:%d: damaged line (expected path, sha256, source, time)", path, lineno);
                break;
            }
            eb_fetch_record_put(r, f[0], f[1], f[2]);
            free(r->entries[r->n - 1].when);
            r->entries[r->n - 1].when = eb_strdup(f[3]);
        }
        if (!nl) break;
        p = nl + 1;
    }
    free(data);
    free(path);
    if (rc != 0) eb_fetch_record_free(r);
    return rc;
}

void eb_fetch_record_put(eb_fetch_record *r, const char *path, const char *sha256, const char *source) {
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->entries[i].path, path) == 0) {
            free(r->entries[i].sha256);
            free(r->entries[i].source);
            free(r->entries[i].when);
            r->entries[i].sha256 = eb_strdup(sha256);
            r->entries[i].source = eb_strdup(source);
            r->entries[i].when = eb_strdup(when);
            return;
        }
    }
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 32;
        r->entries = eb_realloc(r->entries, r->cap * sizeof *r->entries);
    }
    eb_fetch_entry *e = &r->entries[r->n++];
    e->path = eb_strdup(path);
    e->sha256 = eb_strdup(sha256);
    e->source = eb_strdup(source);
    e->when = eb_strdup(when);
}

const eb_fetch_entry *eb_fetch_record_get(const eb_fetch_record *r, const char *path) {
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->entries[i].path, path) == 0) return &r->entries[i];
    return NULL;
}

int eb_fetch_record_save(const char *data_dir, const eb_fetch_record *r, eb_err *err) {
    eb_buf b = {0};
    eb_buf_puts(&b, "# written by `evalbench data fetch`: path, sha256 at download, source, time (UTC)\n");
    for (size_t i = 0; i < r->n; i++)
        eb_buf_printf(&b, "%s\t%s\t%s\t%s\n", r->entries[i].path, r->entries[i].sha256, r->entries[i].source,
                      r->entries[i].when);
    char *path = eb_path_join(data_dir, EB_FETCH_RECORD_NAME);
    int rc = eb_write_file_atomic(path, eb_buf_str(&b), b.len, err);
    free(path);
    eb_buf_free(&b);
    return rc;
}

void eb_fetch_record_free(eb_fetch_record *r) {
    for (size_t i = 0; i < r->n; i++) {
        free(r->entries[i].path);
        free(r->entries[i].sha256);
        free(r->entries[i].source);
        free(r->entries[i].when);
    }
    free(r->entries);
    memset(r, 0, sizeof *r);
}
