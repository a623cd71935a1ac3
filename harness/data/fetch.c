/* `evalbench data fetch`: for each manifest download of the selected
 * suites, skip it when the installed files already check out, otherwise
 * download (resumable, sha256-checked), unpack into our layout, record the
 * observed hashes of unpinned files, and finally verify what was fetched. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "data.h"
#include "download.h"
#include "fetch_record.h"
#include "fileio.h"
#include "manifest.h"
#include "sha256.h"
#include "strutil.h"
#include "unpack.h"

/* The files of our layout a download produces: dest itself, or the manifest
 * files under dest selected by the member prefixes. */
static int produces(const eb_manifest_download *d, const char *path) {
    if (strcmp(path, d->dest) == 0) return 1;
    size_t dl = strlen(d->dest);
    if (strncmp(path, d->dest, dl) != 0 || path[dl] != '/') return 0;
    if (d->action != EB_UNPACK_UNTAR_SUBSET) return 0;
    for (size_t i = 0; i < d->n_members; i++)
        if (eb_starts_with(path + dl + 1, d->members[i])) return 1;
    return d->n_members == 0;
}

/* True when every file the download produces exists and hashes to the
 * download's pin, the manifest's reference hash, or the fetch record. */
static int installed(const eb_manifest *m, const eb_manifest_download *d, const eb_fetch_record *rec,
                     const char *data_dir) {
    int seen = 0;
    for (size_t i = 0; i < m->n_files; i++) {
        const eb_manifest_file *f = &m->files[i];
        if (!produces(d, f->path)) continue;
        seen = 1;
        char *full = eb_path_join(data_dir, f->path);
        char hex[65];
        eb_err e;
        int ok = eb_file_exists(full) && eb_sha256_file(full, hex, &e) == 0;
        free(full);
        if (!ok) return 0;
        const eb_fetch_entry *fe = eb_fetch_record_get(rec, f->path);
        int match = (f->sha256[0] && strcmp(hex, f->sha256) == 0) ||
                    (d->action == EB_UNPACK_NONE && d->sha256[0] && strcmp(hex, d->sha256) == 0) ||
                    (fe && strcmp(fe->sha256, hex) == 0);
        if (!match) return 0;
    }
    return seen;
}

static char *source_url(const eb_data_opts *o, const eb_manifest_download *d) {
    if (!o->mirror) return eb_strdup(d->url);
    eb_buf b = {0};
    eb_buf_puts(&b, o->mirror);
    while (b.len > 0 && b.data[b.len - 1] == '/') b.data[--b.len] = '\0';
    eb_buf_putc(&b, '/');
    eb_buf_puts(&b, d->mirror_path);
    return eb_buf_take(&b);
}

static void record_file(eb_fetch_record *rec, const char *data_dir, const char *rel, const char *source,
                        const eb_manifest *m, FILE *out) {
    char *full = eb_path_join(data_dir, rel);
    char hex[65];
    eb_err e;
    if (eb_sha256_file(full, hex, &e) == 0) {
        eb_fetch_record_put(rec, rel, hex, source);
        for (size_t i = 0; i < m->n_files; i++) {
            const eb_manifest_file *f = &m->files[i];
            if (strcmp(f->path, rel) == 0 && f->sha256[0] && strcmp(f->sha256, hex) != 0)
                fprintf(out, "  note: %s differs from the reference copy (sha256 %s, reference %s); recorded\n", rel,
                        hex, f->sha256);
        }
    }
    free(full);
}

static int fetch_one(const eb_data_opts *o, const eb_manifest *m, const eb_manifest_download *d,
                     eb_fetch_record *rec, eb_err *err) {
    FILE *out = o->out;
    if (!o->force && installed(m, d, rec, o->data_dir)) {
        fprintf(out, "%s: %s is up to date\n", d->suite, d->dest);
        return 0;
    }
    char *url = source_url(o, d);
    /* Archives land beside their files as the mirror path names them and
     * are removed once unpacked; plain files download straight to dest. */
    const char *dl_rel = d->action == EB_UNPACK_NONE ? d->dest : d->mirror_path;
    char *dl_path = eb_path_join(o->data_dir, dl_rel);
    int rc = -1;
    {
        char *dir = eb_strdup(dl_path);
        char *slash = strrchr(dir, '/');
        if (slash) *slash = '\0';
        int mk = eb_mkdirs(dir, err);
        free(dir);
        if (mk != 0) goto done;
    }
    fprintf(out, "%s: fetching %s\n", d->suite, url);
    fflush(out);
    char hex[65];
    eb_download_opts dopt = {.url = url, .dest = dl_path, .expected_sha256 = d->sha256, .label = dl_rel,
                             .progress = out};
    if (eb_download(&dopt, hex, err) != 0) goto done;
    if (d->sha256[0]) fprintf(out, "  %s: sha256 ok (%s)\n", dl_rel, hex);
    else fprintf(out, "  %s: upstream publishes no hash we pin; observed sha256 %s (recorded)\n", dl_rel, hex);

    switch (d->action) {
    case EB_UNPACK_NONE:
        record_file(rec, o->data_dir, d->dest, url, m, out);
        break;
    case EB_UNPACK_GUNZIP: {
        char *dest = eb_path_join(o->data_dir, d->dest);
        int u = eb_unpack_gunzip(dl_path, dest, err);
        free(dest);
        if (u != 0) goto done;
        unlink(dl_path);
        record_file(rec, o->data_dir, d->dest, url, m, out);
        fprintf(out, "  %s: inflated\n", d->dest);
        break;
    }
    case EB_UNPACK_UNTAR_SUBSET: {
        char **written;
        size_t n;
        if (eb_unpack_tar_subset(dl_path, o->data_dir, d->dest, d->members, d->n_members, &written, &n, err) != 0)
            goto done;
        for (size_t i = 0; i < n; i++) record_file(rec, o->data_dir, written[i], url, m, out);
        fprintf(out, "  %s: extracted %zu files into %s/\n", dl_rel, n, d->dest);
        eb_strv_free(written, n);
        unlink(dl_path);
        break;
    }
    case EB_UNPACK_UNTAR_MATH: {
        char *dest = eb_path_join(o->data_dir, d->dest);
        long rows = 0;
        int u = eb_unpack_math_tar(dl_path, dest, d->n_members ? d->members[0] : "MATH/test/", &rows, err);
        free(dest);
        if (u != 0) goto done;
        record_file(rec, o->data_dir, d->dest, url, m, out);
        fprintf(out, "  %s: wrote %ld problems to %s\n", dl_rel, rows, d->dest);
        unlink(dl_path);
        break;
    }
    }
    if (d->action != EB_UNPACK_NONE) eb_fetch_record_put(rec, dl_rel, hex, url);
    rc = eb_fetch_record_save(o->data_dir, rec, err);
done:
    free(dl_path);
    free(url);
    return rc;
}

int eb_data_fetch(const eb_data_opts *o, eb_err *err) {
    eb_manifest m;
    if (eb_manifest_load_builtin(&m, err) != 0) return -1;
    if (eb_mkdirs(o->data_dir, err) != 0) {
        eb_manifest_free(&m);
        return -1;
    }
    eb_fetch_record rec;
    if (eb_fetch_record_load(o->data_dir, &rec, err) != 0) {
        eb_manifest_free(&m);
        return -1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int failures = 0, fetched_any = 0;
    eb_err first = {{0}};
    for (size_t i = 0; i < m.n_downloads; i++) {
        const eb_manifest_download *d = &m.downloads[i];
        if (!eb_data_suite_selected(o, d->suite)) continue;
        fetched_any = 1;
        eb_err e;
        if (fetch_one(o, &m, d, &rec, &e) != 0) {
            fprintf(o->out, "error: %s\n", e.msg);
            if (failures++ == 0) first = e;
        }
    }
    curl_global_cleanup();
    eb_fetch_record_free(&rec);
    eb_manifest_free(&m);
    if (!fetched_any) return eb_err_set(err, "no downloadable files for the selected suites");
    if (failures) {
        if (failures > 1) return eb_err_set(err, "%.900s (and %d more failures)", first.msg, failures - 1);
        return eb_err_set(err, "%s", first.msg);
    }
    fprintf(o->out, "fetch: done; verifying\n");
    return eb_data_verify(o, err);
}
