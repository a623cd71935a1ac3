/* `evalbench data verify`: for each suite present, every manifest file of
 * every file set found must exist, hash to the manifest's sha256 (or to the
 * hash recorded when `data fetch` installed it from an unpinned upstream
 * file) and have the expected number of rows. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "data.h"
#include "fetch_record.h"
#include "fileio.h"
#include "manifest.h"
#include "rowcount.h"
#include "sha256.h"

int eb_data_suite_selected(const eb_data_opts *o, const char *suite) {
    if (o->n_suites == 0) return 1;
    for (size_t i = 0; i < o->n_suites; i++)
        if (strcmp(o->suites[i], suite) == 0) return 1;
    return 0;
}

/* One line of the table: a file, or all CSV files of one MMLU split. */
typedef struct row {
    const char *suite;
    char *what;
    int files, files_ok;
    long rows, expected_rows;
    int hash_ok, hash_bad, hash_fetched, hash_unpinned, missing;
} row;

static row *row_for(row **rows, size_t *n, size_t *cap, const char *suite, const char *what) {
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*rows)[i].what, what) == 0) return &(*rows)[i];
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 32;
        *rows = eb_realloc(*rows, *cap * sizeof **rows);
    }
    row *r = &(*rows)[(*n)++];
    memset(r, 0, sizeof *r);
    r->suite = suite;
    r->what = eb_strdup(what);
    return r;
}

static int set_present(const eb_manifest *m, const char *data_dir, const char *set) {
    for (size_t i = 0; i < m->n_files; i++) {
        if (strcmp(m->files[i].set, set) != 0) continue;
        char *p = eb_path_join(data_dir, m->files[i].path);
        int ex = eb_file_exists(p);
        free(p);
        if (ex) return 1;
    }
    return 0;
}

static void problem(eb_buf *problems, int *n_problems, eb_err *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void problem(eb_buf *problems, int *n_problems, eb_err *err, const char *fmt, ...) {
    char line[EB_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (*n_problems == 0) eb_err_set(err, "%s", line);
    (*n_problems)++;
    eb_buf_printf(problems, "error: %s\n", line);
}

int eb_data_verify(const eb_data_opts *o, eb_err *err) {
    FILE *out = o->out ? o->out : stdout;
    eb_manifest m;
    if (eb_manifest_load_builtin(&m, err) != 0) return -1;
    eb_fetch_record rec;
    if (eb_fetch_record_load(o->data_dir, &rec, err) != 0) {
        eb_manifest_free(&m);
        return -1;
    }
    row *rows = NULL;
    size_t n_rows = 0, cap_rows = 0;
    eb_buf problems = {0};
    int n_problems = 0, any_present = 0;
    const char *const *suites = eb_data_suite_names();
    for (size_t s = 0; suites[s]; s++) {
        const char *suite = suites[s];
        if (!eb_data_suite_selected(o, suite)) continue;
        int suite_present = 0;
        for (size_t i = 0; i < m.n_files; i++) {
            const eb_manifest_file *f = &m.files[i];
            if (strcmp(f->suite, suite) != 0 || !set_present(&m, o->data_dir, f->set)) continue;
            suite_present = any_present = 1;
            char *what;
            if (f->format == EB_ROWS_CSV6) {
                const char *slash = strrchr(f->path, '/');
                what = eb_strndup(f->path, slash ? (size_t)(slash - f->path) : strlen(f->path));
            } else {
                what = eb_strdup(f->path);
            }
            row *r = row_for(&rows, &n_rows, &cap_rows, suite, what);
            free(what);
            r->files++;
            r->expected_rows += f->rows;
            char *full = eb_path_join(o->data_dir, f->path);
            if (!eb_file_exists(full)) {
                r->missing++;
                problem(&problems, &n_problems, err, "%s: missing (other files of the %s set are present)", full,
                        f->set);
                free(full);
                continue;
            }
            char hex[65];
            eb_err ferr;
            int file_ok = 1;
            if (eb_sha256_file(full, hex, &ferr) != 0) {
                problem(&problems, &n_problems, err, "%s", ferr.msg);
                free(full);
                continue;
            }
            const eb_fetch_entry *fe = eb_fetch_record_get(&rec, f->path);
            if (f->sha256[0] && strcmp(hex, f->sha256) == 0) {
                r->hash_ok++;
            } else if (fe && strcmp(fe->sha256, hex) == 0) {
                r->hash_fetched++;
            } else if (!f->sha256[0] && !fe) {
                r->hash_unpinned++;
            } else {
                r->hash_bad++;
                file_ok = 0;
                char detail[200];
                snprintf(detail, sizeof detail, "expected %s, got %s", fe ? fe->sha256 : f->sha256, hex);
                problem(&problems, &n_problems, err, "%s: sha256 mismatch: %s%s", full, detail,
                        fe ? " (hash recorded at fetch)" : "");
            }
            long count = 0;
            if (eb_count_rows(full, f->format, &count, &ferr) != 0) {
                file_ok = 0;
                problem(&problems, &n_problems, err, "%s", ferr.msg);
            } else {
                r->rows += count;
                if (count != f->rows) {
                    file_ok = 0;
                    char detail[100];
                    snprintf(detail, sizeof detail, "%ld rows, expected %ld", count, f->rows);
                    problem(&problems, &n_problems, err, "%s: %s", full, detail);
                }
            }
            if (file_ok) r->files_ok++;
            free(full);
        }
        if (!suite_present && o->n_suites > 0)
            problem(&problems, &n_problems, err, "%s: no files of suite %s found", o->data_dir, suite);
    }
    if (!any_present && n_problems == 0)
        problem(&problems, &n_problems, err, "%s: no dataset files found (run `evalbench data fetch --data %s`)",
                o->data_dir, o->data_dir);

    if (n_rows > 0) {
        fprintf(out, "%-15s %-62s %7s %9s %9s  %-22s %s\n", "suite", "file", "files", "rows", "expected", "sha256",
                "status");
        for (size_t i = 0; i < n_rows; i++) {
            row *r = &rows[i];
            char hash[64];
            if (r->hash_bad) snprintf(hash, sizeof hash, "%d MISMATCH", r->hash_bad);
            else if (r->hash_fetched) snprintf(hash, sizeof hash, "ok (%d at fetch)", r->hash_fetched);
            else if (r->hash_unpinned) snprintf(hash, sizeof hash, "unpinned");
            else if (r->missing == r->files) snprintf(hash, sizeof hash, "-");
            else snprintf(hash, sizeof hash, "ok");
            int ok = r->files_ok == r->files;
            fprintf(out, "%-15s %-62s %3d/%-3d %9ld %9ld  %-22s %s\n", r->suite, r->what, r->files_ok, r->files,
                    r->rows, r->expected_rows, hash, ok ? "ok" : (r->missing ? "MISSING" : "FAIL"));
        }
    }
    if (eb_data_suite_selected(o, "livecodebench") && set_present(&m, o->data_dir, "lcb-subset") &&
        !set_present(&m, o->data_dir, "lcb-official"))
        fprintf(out, "note: livecodebench has only the public-test subset here; the official release with hidden "
                     "tests is fetched by `evalbench data fetch --suite livecodebench`\n");
    if (n_problems) fputs(eb_buf_str(&problems), out);
    fprintf(out, "%s\n", n_problems ? "verify: FAILED" : "verify: all files match the manifest");
    if (n_problems > 1 && err) {
        char first[EB_ERR_MAX];
        snprintf(first, sizeof first, "%s", err->msg);
        eb_err_set(err, "%.900s (and %d more problems)", first, n_problems - 1);
    }
    for (size_t i = 0; i < n_rows; i++) free(rows[i].what);
    free(rows);
    eb_buf_free(&problems);
    eb_fetch_record_free(&rec);
    eb_manifest_free(&m);
    return n_problems ? -1 : 0;
}
