/* Streaming tar reader: see tar_reader.h.  Written from the POSIX ustar
 * layout (IEEE 1003.1-2001) and the GNU extensions the format documents. */
#include "tar_reader.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK 512
/* Long-name and pax records are tiny in practice; a cap keeps a damaged
 * archive from making us allocate gigabytes. */
#define META_MAX (1u << 20)

struct eb_tar {
    eb_tar_read_fn read;
    void *ctx;
    char *label;
    uint64_t offset;     /* bytes consumed so far */
    uint64_t remaining;  /* data bytes of the current entry not yet read */
    uint64_t padding;    /* zero bytes after the data up to the block end */
    int ended;
    eb_tar_entry entry;
    char *long_name;     /* from a GNU 'L' or pax 'path' record, for the next entry */
    char *long_link;
    int have_pax_size;
    uint64_t pax_size;
};

static long file_read(void *ctx, void *buf, size_t n) {
    FILE *f = ctx;
    size_t got = fread(buf, 1, n, f);
    if (got == 0 && ferror(f)) return -1;
    return (long)got;
}

eb_tar *eb_tar_open(eb_tar_read_fn read, void *ctx, const char *label) {
    eb_tar *t = eb_calloc(1, sizeof *t);
    t->read = read;
    t->ctx = ctx;
    t->label = eb_strdup(label ? label : "archive");
    return t;
}

eb_tar *eb_tar_open_file(FILE *f, const char *label) { return eb_tar_open(file_read, f, label); }

static void clear_entry(eb_tar *t) {
    free(t->entry.path);
    free(t->entry.linkname);
    memset(&t->entry, 0, sizeof t->entry);
}

void eb_tar_close(eb_tar *t) {
    if (!t) return;
    clear_entry(t);
    free(t->long_name);
    free(t->long_link);
    free(t->label);
    free(t);
}

/* Reads exactly n bytes unless the input ends; returns the count or -1. */
static long read_full(eb_tar *t, void *buf, size_t n) {
    size_t done = 0;
    while (done < n) {
        long got = t->read(t->ctx, (char *)buf + done, n - done);
        if (got < 0) return -1;
        if (got == 0) break;
        done += (size_t)got;
    }
    t->offset += done;
    return (long)done;
}

static int skip(eb_tar *t, uint64_t n, eb_err *err) {
    char buf[8192];
    while (n > 0) {
        size_t want = n < sizeof buf ? (size_t)n : sizeof buf;
        long got = read_full(t, buf, want);
        if (got != (long)want)
            return eb_err_set(err, "%s: truncated archive at byte %llu", t->label,
                              (unsigned long long)t->offset);
        n -= want;
    }
    return 0;
}

/* Parses a numeric header field: octal text (space/NUL padded) or, when the
 * top bit of the first byte is set, GNU base-256 big-endian binary. */
static int parse_number(const unsigned char *f, size_t len, uint64_t *out) {
    uint64_t v = 0;
    if (f[0] & 0x80) {
        if (f[0] != 0x80) return -1; /* negative or too large for us */
        for (size_t i = 1; i < len; i++) {
            if (v >> 56) return -1;
            v = (v << 8) | f[i];
        }
        *out = v;
        return 0;
    }
    size_t i = 0;
    while (i < len && f[i] == ' ') i++;
    size_t digits = 0;
    for (; i < len && f[i] >= '0' && f[i] <= '7'; i++, digits++) {
        if (v >> 60) return -1;
        v = v * 8 + (uint64_t)(f[i] - '0');
    }
    for (; i < len; i++)
        if (f[i] != ' ' && f[i] != '\0') return -1;
    (void)digits;
    *out = v;
    return 0;
}

static int checksum_ok(const unsigned char *h) {
    uint64_t stored;
    if (parse_number(h + 148, 8, &stored) != 0) return 0;
    unsigned long usum = 0;
    long ssum = 0;
    for (int i = 0; i < BLOCK; i++) {
        unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];
        usum += c;
        ssum += (signed char)c;
    }
    return stored == usum || (long)stored == ssum;
}

static char *field_dup(const unsigned char *f, size_t len) {
    size_t n = 0;
    while (n < len && f[n]) n++;
    return eb_strndup((const char *)f, n);
}

/* Reads the data of a metadata entry (long name, pax) into a new string. */
static char *read_meta(eb_tar *t, uint64_t size, eb_err *err) {
    if (size > META_MAX) {
        eb_err_set(err, "%s: metadata record of %llu bytes at byte %llu is implausibly large", t->label,
                   (unsigned long long)size, (unsigned long long)t->offset);
        return NULL;
    }
    char *buf = eb_malloc((size_t)size + 1);
    long got = read_full(t, buf, (size_t)size);
    if (got != (long)size) {
        free(buf);
        eb_err_set(err, "%s: truncated archive at byte %llu", t->label, (unsigned long long)t->offset);
        return NULL;
    }
    buf[size] = '\0';
    uint64_t pad = (BLOCK - size % BLOCK) % BLOCK;
    if (skip(t, pad, err) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* pax extended header: records "LEN key=value\n"; we keep path, linkpath
 * and size, the only keys that change how the archive is read. */
static int apply_pax(eb_tar *t, const char *data, size_t len, eb_err *err) {
    size_t pos = 0;
    while (pos < len) {
        size_t rec_len = 0, i = pos;
        while (i < len && data[i] >= '0' && data[i] <= '9' && rec_len < META_MAX)
            rec_len = rec_len * 10 + (size_t)(data[i++] - '0');
        if (i >= len || data[i] != ' ' || rec_len == 0 || rec_len > len - pos)
            return eb_err_set(err, "%s: malformed pax record near byte %llu", t->label,
                              (unsigned long long)t->offset);
        const char *kv = data + i + 1;
        const char *end = data + pos + rec_len; /* points one past '\n' */
        if (kv >= end || end[-1] != '\n')
            return eb_err_set(err, "%s: malformed pax record near byte %llu", t->label,
                              (unsigned long long)t->offset);
        const char *eq = memchr(kv, '=', (size_t)(end - kv));
        if (!eq) return eb_err_set(err, "%s: pax record without '='", t->label);
        size_t klen = (size_t)(eq - kv);
        const char *val = eq + 1;
        size_t vlen = (size_t)(end - 1 - val);
        if (klen == 4 && memcmp(kv, "path", 4) == 0) {
            free(t->long_name);
            t->long_name = eb_strndup(val, vlen);
        } else if (klen == 8 && memcmp(kv, "linkpath", 8) == 0) {
            free(t->long_link);
            t->long_link = eb_strndup(val, vlen);
        } else if (klen == 4 && memcmp(kv, "size", 4) == 0) {
            char *s = eb_strndup(val, vlen), *stop = NULL;
            unsigned long long v = strtoull(s, &stop, 10);
            int bad = stop == s || *stop != '\0';
            free(s);
            if (bad) return eb_err_set(err, "%s: bad pax size record", t->label);
            t->have_pax_size = 1;
            t->pax_size = v;
        }
        pos += rec_len;
    }
    return 0;
}

static int all_zero(const unsigned char *b) {
    for (int i = 0; i < BLOCK; i++)
        if (b[i]) return 0;
    return 1;
}

int eb_tar_next(eb_tar *t, const eb_tar_entry **e, eb_err *err) {
    if (t->ended) return 0;
    if (skip(t, t->remaining + t->padding, err) != 0) return -1;
    t->remaining = t->padding = 0;
    clear_entry(t);
    for (;;) {
        unsigned char h[BLOCK];
        uint64_t at = t->offset;
        long got = read_full(t, h, BLOCK);
        if (got < 0) return eb_err_set(err, "%s: read error at byte %llu", t->label, (unsigned long long)at);
        if (got == 0) { /* no end-of-archive blocks: accept a clean end */
            if (t->long_name || t->long_link)
                return eb_err_set(err, "%s: archive ends after a long-name record", t->label);
            t->ended = 1;
            return 0;
        }
        if (got != BLOCK)
            return eb_err_set(err, "%s: truncated header at byte %llu", t->label, (unsigned long long)at);
        if (all_zero(h)) {
            t->ended = 1;
            return 0;
        }
        if (!checksum_ok(h))
            return eb_err_set(err, "%s: bad header checksum at byte %llu (not a tar archive, or damaged)",
                              t->label, (unsigned long long)at);
        uint64_t size;
        if (parse_number(h + 124, 12, &size) != 0)
            return eb_err_set(err, "%s: bad size field in header at byte %llu", t->label,
                              (unsigned long long)at);
        char type = (char)h[156];
        if (type == 'L' || type == 'K' || type == 'x' || type == 'g') {
            char *meta = read_meta(t, size, err);
            if (!meta) return -1;
            int rc = 0;
            if (type == 'L') {
                free(t->long_name);
                t->long_name = meta;
                meta = NULL;
            } else if (type == 'K') {
                free(t->long_link);
                t->long_link = meta;
                meta = NULL;
            } else if (type == 'x') {
                rc = apply_pax(t, meta, (size_t)size, err);
            } /* 'g': global defaults carry nothing we use */
            free(meta);
            if (rc != 0) return -1;
            continue;
        }
        if (t->have_pax_size) {
            size = t->pax_size;
            t->have_pax_size = 0;
        }
        eb_tar_entry *en = &t->entry;
        if (t->long_name) {
            en->path = t->long_name;
            t->long_name = NULL;
        } else {
            char *name = field_dup(h, 100);
            int ustar = memcmp(h + 257, "ustar", 5) == 0;
            if (ustar && h[345]) {
                char *prefix = field_dup(h + 345, 155);
                size_t len = strlen(prefix) + 1 + strlen(name) + 1;
                en->path = eb_malloc(len);
                snprintf(en->path, len, "%s/%s", prefix, name);
                free(prefix);
                free(name);
            } else {
                en->path = name;
            }
        }
        if (t->long_link) {
            en->linkname = t->long_link;
            t->long_link = NULL;
        } else {
            en->linkname = field_dup(h + 157, 100);
        }
        uint64_t mode = 0;
        if (parse_number(h + 100, 8, &mode) != 0) mode = 0644;
        en->mode = (unsigned)(mode & 07777);
        size_t plen = strlen(en->path);
        switch (type) {
        case '0':
        case '\0':
        case '7':
            en->type = plen > 0 && en->path[plen - 1] == '/' ? EB_TAR_DIR : EB_TAR_FILE;
            break;
        case '5': en->type = EB_TAR_DIR; break;
        case '2': en->type = EB_TAR_SYMLINK; break;
        case '1': en->type = EB_TAR_HARDLINK; break;
        default: en->type = EB_TAR_OTHER; break;
        }
        /* Links, directories and devices carry no data even if size says so
         * (in ustar, size is ignored for them), except hard links in pax. */
        if (en->type == EB_TAR_SYMLINK || en->type == EB_TAR_DIR || type == '3' || type == '4' || type == '6')
            size = 0;
        en->size = size;
        t->remaining = size;
        t->padding = (BLOCK - size % BLOCK) % BLOCK;
        *e = en;
        return 1;
    }
}

long eb_tar_read(eb_tar *t, void *buf, size_t n, eb_err *err) {
    if (t->remaining == 0) return 0;
    if (n > t->remaining) n = (size_t)t->remaining;
    uint64_t at = t->offset;
    long got = read_full(t, buf, n);
    if (got != (long)n) {
        t->remaining = 0;
        t->padding = 0;
        t->ended = 1;
        return eb_err_set(err, "%s: truncated archive: entry '%s' data ends at byte %llu", t->label,
                          t->entry.path ? t->entry.path : "?", (unsigned long long)(at + (got > 0 ? got : 0)));
    }
    t->remaining -= n;
    return got;
}

char *eb_tar_clean_path(const char *path, eb_err *err) {
    if (!path || !*path) {
        eb_err_set(err, "archive member with an empty name");
        return NULL;
    }
    if (path[0] == '/') {
        eb_err_set(err, "archive member '%s' has an absolute path", path);
        return NULL;
    }
    size_t n = strlen(path);
    char *out = eb_malloc(n + 1);
    size_t o = 0;
    const char *p = path;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            free(out);
            eb_err_set(err, "archive member '%s' contains '..' (path traversal)", path);
            return NULL;
        }
        if (len > 0 && !(len == 1 && p[0] == '.')) {
            if (o > 0) out[o++] = '/';
            memcpy(out + o, p, len);
            o += len;
        }
        p += len;
        if (*p == '/') p++;
    }
    out[o] = '\0';
    if (o == 0) {
        free(out);
        eb_err_set(err, "archive member '%s' names no file", path);
        return NULL;
    }
    return out;
}

int eb_tar_link_inside(const char *path, const char *target) {
    if (!target || !*target || target[0] == '/') return 0;
    /* Depth of the directory holding the link, then walk the target. */
    int depth = 0;
    for (const char *p = path; *p; p++)
        if (*p == '/') depth++;
    const char *p = target;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            if (--depth < 0) return 0;
        } else if (len > 0 && !(len == 1 && p[0] == '.')) {
            depth++;
        }
        p += len;
        if (*p == '/') p++;
    }
    return 1;
}
