/* Manifest parsing: see manifest.h and the header of manifest.tsv. */
#include "manifest.h"

#include <stdlib.h>
#include <string.h>

#include "strutil.h"

/* Generated at build time from manifest.tsv (see CMakeLists.txt). */
extern const char eb_data_manifest_tsv[];
extern const size_t eb_data_manifest_tsv_len;

static const char *const suite_names[] = {"mmlu", "humaneval", "humaneval_plus", "math", "livecodebench",
                                          "mmlu_pro", NULL};

const char *const *eb_data_suite_names(void) { return suite_names; }

const char *eb_data_suite_canonical(const char *name) {
    for (size_t i = 0; suite_names[i]; i++)
        if (strcmp(name, suite_names[i]) == 0) return suite_names[i];
    if (strcmp(name, "humaneval+") == 0 || strcmp(name, "humanevalplus") == 0) return "humaneval_plus";
    if (strcmp(name, "lcb") == 0) return "livecodebench";
    if (strcmp(name, "mmlu-pro") == 0 || strcmp(name, "mmlupro") == 0) return "mmlu_pro";
    return NULL;
}

/* Splits one line on tabs in place; returns the field count. */
static size_t split_tabs(char *line, char **fields, size_t max) {
    size_t n = 0;
    char *p = line;
    while (n < max) {
        fields[n++] = p;
        char *tab = strchr(p, '\t');
        if (!tab) break;
        *tab = '\0';
        p = tab + 1;
    }
    return n;
}

static char *dash_empty(const char *s) { return eb_strdup(strcmp(s, "-") == 0 ? "" : s); }

static int valid_sha(const char *s) {
    if (strcmp(s, "-") == 0) return 1;
    if (strlen(s) != 64) return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return 0;
    return 1;
}

/* Relative, no "..", no empty parts: manifest paths are joined onto the
 * user's data directory. */
static int valid_rel_path(const char *p) {
    if (!*p || p[0] == '/') return 0;
    if (strstr(p, "//")) return 0;
    char **parts = NULL;
    size_t n = eb_split(p, '/', &parts);
    int ok = n > 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(parts[i], "..") == 0 || strcmp(parts[i], ".") == 0) ok = 0;
    eb_strv_free(parts, n);
    return ok;
}

int eb_manifest_parse(const char *text, size_t len, const char *name, eb_manifest *m, eb_err *err) {
    memset(m, 0, sizeof *m);
    char *copy = eb_strndup(text, len);
    char *save = NULL;
    int lineno = 0, rc = 0;
    size_t cap_d = 0, cap_f = 0;
    char *p = copy;
    while (p && *p != '\0') {
        char *nl = strchr(p, '\n');
        if (nl) *nl = '\0';
        char *line = p;
        p = nl ? nl + 1 : NULL;
        lineno++;
        size_t l = strlen(line);
        if (l > 0 && line[l - 1] == '\r') line[--l] = '\0';
        if (l == 0 || line[0] == '#') continue;
        char *f[10];
        size_t nf = split_tabs(line, f, 10);
        if (strcmp(f[0], "download") == 0) {
            if (nf != 8) {
                rc = eb_err_set(err, "%s:%d: a download row needs 8 tab-separated fields, found %zu", name, lineno, nf);
                break;
            }
            eb_unpack_action act;
            if (strcmp(f[4], "none") == 0) act = EB_UNPACK_NONE;
            else if (strcmp(f[4], "gunzip") == 0) act = EB_UNPACK_GUNZIP;
            else if (strcmp(f[4], "untar-subset") == 0) act = EB_UNPACK_UNTAR_SUBSET;
            else if (strcmp(f[4], "untar-math") == 0) act = EB_UNPACK_UNTAR_MATH;
            else {
                rc = eb_err_set(err, "%s:%d: unknown unpack action '%s'", name, lineno, f[4]);
                break;
            }
            if (!eb_data_suite_canonical(f[1]) || !valid_sha(f[3]) || !valid_rel_path(f[5]) ||
                !valid_rel_path(f[6]) || !(eb_starts_with(f[2], "http://") || eb_starts_with(f[2], "https://"))) {
                rc = eb_err_set(err, "%s:%d: bad download row (suite, url, sha256 or path field)", name, lineno);
                break;
            }
            if (m->n_downloads == cap_d) {
                cap_d = cap_d ? cap_d * 2 : 16;
                m->downloads = eb_realloc(m->downloads, cap_d * sizeof *m->downloads);
            }
            eb_manifest_download *d = &m->downloads[m->n_downloads++];
            memset(d, 0, sizeof *d);
            d->suite = eb_strdup(eb_data_suite_canonical(f[1]));
            d->url = eb_strdup(f[2]);
            d->sha256 = dash_empty(f[3]);
            d->action = act;
            d->mirror_path = eb_strdup(f[5]);
            d->dest = eb_strdup(f[6]);
            d->line = lineno;
            if (strcmp(f[7], "-") != 0) d->n_members = eb_split(f[7], ',', &d->members);
        } else if (strcmp(f[0], "file") == 0) {
            if (nf != 7) {
                rc = eb_err_set(err, "%s:%d: a file row needs 7 tab-separated fields, found %zu", name, lineno, nf);
                break;
            }
            long rows;
            eb_row_format fmt;
            if (strcmp(f[6], "csv6") == 0) fmt = EB_ROWS_CSV6;
            else if (strcmp(f[6], "jsonl") == 0) fmt = EB_ROWS_JSONL;
            else if (strcmp(f[6], "json-array") == 0) fmt = EB_ROWS_JSON_ARRAY;
            else {
                rc = eb_err_set(err, "%s:%d: unknown row format '%s'", name, lineno, f[6]);
                break;
            }
            if (!eb_data_suite_canonical(f[1]) || !valid_sha(f[4]) || !valid_rel_path(f[3]) ||
                !eb_parse_long(f[5], &rows)) {
                rc = eb_err_set(err, "%s:%d: bad file row (suite, path, sha256 or rows field)", name, lineno);
                break;
            }
            if (m->n_files == cap_f) {
                cap_f = cap_f ? cap_f * 2 : 64;
                m->files = eb_realloc(m->files, cap_f * sizeof *m->files);
            }
            eb_manifest_file *fl = &m->files[m->n_files++];
            fl->suite = eb_strdup(eb_data_suite_canonical(f[1]));
            fl->set = eb_strdup(f[2]);
            fl->path = eb_strdup(f[3]);
            fl->sha256 = dash_empty(f[4]);
            fl->rows = rows;
            fl->format = fmt;
            fl->line = lineno;
        } else {
            rc = eb_err_set(err, "%s:%d: unknown row kind '%s' (expected download or file)", name, lineno, f[0]);
            break;
        }
    }
    (void)save;
    free(copy);
    if (rc != 0) eb_manifest_free(m);
    return rc;
}

int eb_manifest_load_builtin(eb_manifest *m, eb_err *err) {
    return eb_manifest_parse(eb_data_manifest_tsv, eb_data_manifest_tsv_len, "manifest.tsv", m, err);
}

void eb_manifest_free(eb_manifest *m) {
    for (size_t i = 0; i < m->n_downloads; i++) {
        eb_manifest_download *d = &m->downloads[i];
        free(d->suite);
        free(d->url);
        free(d->sha256);
        free(d->mirror_path);
        free(d->dest);
        eb_strv_free(d->members, d->n_members);
    }
    for (size_t i = 0; i < m->n_files; i++) {
        eb_manifest_file *f = &m->files[i];
        free(f->suite);
        free(f->set);
        free(f->path);
        free(f->sha256);
    }
    free(m->downloads);
    free(m->files);
    memset(m, 0, sizeof *m);
}
