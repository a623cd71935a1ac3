/* Unpacking: see unpack.h. */
#include "unpack.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"
#include "fileio.h"
#include "strutil.h"
#include "tar_reader.h"

/* A single MATH problem file is a few kilobytes; anything bigger is not one. */
#define MATH_MEMBER_MAX (4u << 20)

static char *tmp_name(const char *path) {
    size_t n = strlen(path) + 5;
    char *t = eb_malloc(n);
    snprintf(t, n, "%s.tmp", path);
    return t;
}

static int mkdirs_for(const char *path, eb_err *err) {
    char *dir = eb_strdup(path);
    char *slash = strrchr(dir, '/');
    int rc = 0;
    if (slash && slash != dir) {
        *slash = '\0';
        rc = eb_mkdirs(dir, err);
    }
    free(dir);
    return rc;
}

int eb_unpack_gunzip(const char *src, const char *dest, eb_err *err) {
    gzFile g = gzopen(src, "rb");
    if (!g) return eb_err_set(err, "%s: cannot open: %s", src, strerror(errno));
    if (mkdirs_for(dest, err) != 0) {
        gzclose(g);
        return -1;
    }
    char *tmp = tmp_name(dest);
    FILE *out = fopen(tmp, "wb");
    int rc = 0;
    if (!out) {
        rc = eb_err_set(err, "%s: cannot create: %s", tmp, strerror(errno));
        goto done;
    }
    char buf[1 << 16];
    for (;;) {
        int got = gzread(g, buf, sizeof buf);
        if (got < 0) {
            int zerr;
            rc = eb_err_set(err, "%s: damaged gzip data: %s", src, gzerror(g, &zerr));
            break;
        }
        if (got == 0) {
            /* gzread reports a truncated stream as a plain end; ask. */
            int zerr;
            const char *msg = gzerror(g, &zerr);
            /* zlib prefixes the path; we already name it */
            if (strncmp(msg, src, strlen(src)) == 0 && msg[strlen(src)] == ':') msg += strlen(src) + 2;
            if (zerr != Z_OK) rc = eb_err_set(err, "%s: damaged gzip data: %s", src, msg);
            break;
        }
        if (fwrite(buf, 1, (size_t)got, out) != (size_t)got) {
            rc = eb_err_set(err, "%s: write failed (disk full?)", tmp);
            break;
        }
    }
    if (fclose(out) != 0 && rc == 0) rc = eb_err_set(err, "%s: write failed", tmp);
    if (rc == 0 && rename(tmp, dest) != 0) rc = eb_err_set(err, "cannot move %s to %s: %s", tmp, dest, strerror(errno));
    if (rc != 0) unlink(tmp);
done:
    free(tmp);
    gzclose(g);
    return rc;
}

/* Streams the current entry's data into a new file at path. */
static int extract_to(eb_tar *t, const char *path, unsigned mode, eb_err *err) {
    if (mkdirs_for(path, err) != 0) return -1;
    char *tmp = tmp_name(path);
    /* O_NOFOLLOW: never write through a link planted in the directory. */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, (mode & 0755) | 0600);
    if (fd < 0) {
        eb_err_set(err, "%s: cannot create: %s", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    int rc = 0;
    char buf[1 << 16];
    for (;;) {
        long got = eb_tar_read(t, buf, sizeof buf, err);
        if (got < 0) {
            rc = -1;
            break;
        }
        if (got == 0) break;
        if (write(fd, buf, (size_t)got) != got) {
            rc = eb_err_set(err, "%s: write failed (disk full?)", tmp);
            break;
        }
    }
    if (close(fd) != 0 && rc == 0) rc = eb_err_set(err, "%s: write failed", tmp);
    if (rc == 0 && rename(tmp, path) != 0) rc = eb_err_set(err, "cannot move %s to %s: %s", tmp, path, strerror(errno));
    if (rc != 0) unlink(tmp);
    free(tmp);
    return rc;
}

static int selected(const char *path, char *const *members, size_t n) {
    if (n == 0) return 1;
    for (size_t i = 0; i < n; i++)
        if (eb_starts_with(path, members[i])) return 1;
    return 0;
}

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* Checks an entry's name and, for links, its target; returns the clean
 * path or NULL with err set. */
static char *checked_path(eb_tar *t, const eb_tar_entry *e, const char *archive, eb_err *err) {
    (void)t;
    char *clean = eb_tar_clean_path(e->path, err);
    if (!clean) {
        eb_err_prefix(err, "%s: ", archive);
        return NULL;
    }
    if (e->type == EB_TAR_SYMLINK && !eb_tar_link_inside(clean, e->linkname)) {
        eb_err_set(err, "%s: symlink '%s' -> '%s' points outside the extraction directory", archive, clean,
                   e->linkname);
        free(clean);
        return NULL;
    }
    if (e->type == EB_TAR_HARDLINK) {
        eb_err ignored;
        char *target = eb_tar_clean_path(e->linkname, &ignored);
        if (!target) {
            eb_err_set(err, "%s: hard link '%s' -> '%s' points outside the extraction directory", archive, clean,
                       e->linkname);
            free(clean);
            return NULL;
        }
        free(target);
    }
    return clean;
}

int eb_unpack_tar_subset(const char *archive, const char *data_dir, const char *dest_rel, char *const *members,
                         size_t n_members, char ***written, size_t *n_written, eb_err *err) {
    *written = NULL;
    *n_written = 0;
    FILE *f = fopen(archive, "rb");
    if (!f) return eb_err_set(err, "%s: cannot open: %s", archive, strerror(errno));
    eb_tar *t = eb_tar_open_file(f, archive);
    size_t cap = 0;
    int rc = 0;
    for (;;) {
        const eb_tar_entry *e;
        int r = eb_tar_next(t, &e, err);
        if (r < 0) {
            rc = -1;
            break;
        }
        if (r == 0) break;
        char *clean = checked_path(t, e, archive, err);
        if (!clean) {
            rc = -1;
            break;
        }
        /* Links are never needed by a dataset; safe ones are just skipped.
         * "._name" files are macOS metadata that some archives carry. */
        if (e->type != EB_TAR_FILE || !selected(clean, members, n_members) ||
            eb_starts_with(base_name(clean), "._")) {
            free(clean);
            continue;
        }
        char *rel = eb_path_join(dest_rel, clean);
        char *full = eb_path_join(data_dir, rel);
        free(clean);
        rc = extract_to(t, full, e->mode, err);
        free(full);
        if (rc != 0) {
            free(rel);
            break;
        }
        if (*n_written == cap) {
            cap = cap ? cap * 2 : 64;
            *written = eb_realloc(*written, cap * sizeof **written);
        }
        (*written)[(*n_written)++] = rel;
    }
    eb_tar_close(t);
    fclose(f);
    if (rc == 0 && *n_written == 0)
        rc = eb_err_set(err, "%s: no archive member matched the expected layout", archive);
    if (rc != 0) {
        eb_strv_free(*written, *n_written);
        *written = NULL;
        *n_written = 0;
    }
    return rc;
}

typedef struct math_problem {
    char *subject;
    long number; /* numeric file name, or -1 */
    char *name;  /* file name */
    cJSON *obj;
} math_problem;

static int cmp_problem(const void *a, const void *b) {
    const math_problem *x = a, *y = b;
    int c = strcmp(x->subject, y->subject);
    if (c) return c;
    if (x->number != y->number) return x->number < y->number ? -1 : 1;
    return strcmp(x->name, y->name);
}

static long numeric_stem(const char *name) {
    long v = 0;
    const char *p = name;
    if (*p < '0' || *p > '9') return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > 100000000) return -1;
        v = v * 10 + (*p - '0');
    }
    return strcmp(p, ".json") == 0 ? v : -1;
}

/* Reads the current member whole (bounded) and parses it. */
static cJSON *read_member_json(eb_tar *t, const eb_tar_entry *e, const char *label, eb_err *err) {
    if (e->size > MATH_MEMBER_MAX) {
        eb_err_set(err, "%s: member '%s' is %llu bytes, too large for one problem", label, e->path,
                   (unsigned long long)e->size);
        return NULL;
    }
    char *data = eb_malloc((size_t)e->size + 1);
    size_t have = 0;
    while (have < e->size) {
        long got = eb_tar_read(t, data + have, (size_t)e->size - have, err);
        if (got <= 0) {
            free(data);
            if (got == 0) eb_err_set(err, "%s: member '%s' ends early", label, e->path);
            return NULL;
        }
        have += (size_t)got;
    }
    data[have] = '\0';
    cJSON *j = cJSON_ParseWithLength(data, have);
    free(data);
    if (!j || !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        eb_err_set(err, "%s: member '%s' is not a JSON object", label, e->path);
        return NULL;
    }
    return j;
}

int eb_unpack_math_tar(const char *archive, const char *dest, const char *prefix, long *rows, eb_err *err) {
    FILE *f = fopen(archive, "rb");
    if (!f) return eb_err_set(err, "%s: cannot open: %s", archive, strerror(errno));
    eb_tar *t = eb_tar_open_file(f, archive);
    math_problem *v = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    static const char *const keys[] = {"problem", "level", "type", "solution"};
    for (;;) {
        const eb_tar_entry *e;
        int r = eb_tar_next(t, &e, err);
        if (r < 0) {
            rc = -1;
            break;
        }
        if (r == 0) break;
        char *clean = checked_path(t, e, archive, err);
        if (!clean) {
            rc = -1;
            break;
        }
        const char *rest = eb_starts_with(clean, prefix) ? clean + strlen(prefix) : NULL;
        const char *slash = rest ? strchr(rest, '/') : NULL;
        if (e->type != EB_TAR_FILE || !slash || strchr(slash + 1, '/') || !eb_ends_with(slash + 1, ".json") ||
            eb_starts_with(slash + 1, "._")) {
            free(clean);
            continue;
        }
        cJSON *j = read_member_json(t, e, archive, err);
        if (!j) {
            free(clean);
            rc = -1;
            break;
        }
        for (size_t k = 0; k < 4; k++) {
            if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, keys[k]))) {
                rc = eb_err_set(err, "%s: member '%s' has no string field '%s'", archive, clean, keys[k]);
                break;
            }
        }
        if (rc != 0) {
            cJSON_Delete(j);
            free(clean);
            break;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            v = eb_realloc(v, cap * sizeof *v);
        }
        v[n].subject = eb_strndup(rest, (size_t)(slash - rest));
        v[n].name = eb_strdup(slash + 1);
        v[n].number = numeric_stem(slash + 1);
        v[n].obj = j;
        n++;
        free(clean);
    }
    eb_tar_close(t);
    fclose(f);
    if (rc == 0 && n == 0) rc = eb_err_set(err, "%s: no member under '%s' (not the MATH release?)", archive, prefix);
    eb_buf out = {0};
    if (rc == 0) {
        qsort(v, n, sizeof *v, cmp_problem);
        for (size_t i = 0; i < n; i++) {
            cJSON *o = cJSON_CreateObject();
            for (size_t k = 0; k < 4; k++)
                cJSON_AddStringToObject(o, keys[k], cJSON_GetObjectItemCaseSensitive(v[i].obj, keys[k])->valuestring);
            cJSON_AddNumberToObject(o, "idx", (double)i);
            eb_buf uid = {0};
            eb_buf_printf(&uid, "test/%s/%s", v[i].subject, v[i].name);
            cJSON_AddStringToObject(o, "unique_id", eb_buf_str(&uid));
            eb_buf_free(&uid);
            char *line = cJSON_PrintUnformatted(o);
            eb_buf_puts(&out, line);
            eb_buf_putc(&out, '\n');
            cJSON_free(line);
            cJSON_Delete(o);
        }
        if (mkdirs_for(dest, err) != 0 || eb_write_file_atomic(dest, eb_buf_str(&out), out.len, err) != 0) rc = -1;
        else *rows = (long)n;
    }
    eb_buf_free(&out);
    for (size_t i = 0; i < n; i++) {
        free(v[i].subject);
        free(v[i].name);
        cJSON_Delete(v[i].obj);
    }
    free(v);
    return rc;
}
