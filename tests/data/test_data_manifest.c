/* The compiled-in data manifest: it parses, covers every suite with a
 * download, pins the hashes published for the files we know, describes our
 * layout; malformed manifests are refused naming file and line; gunzip
 * unpacking gives the published decompressed HumanEval hash. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manifest.h"
#include "server_util.h"
#include "sha256.h"
#include "test_util.h"
#include "unpack.h"

static const eb_manifest_file *file_row(const eb_manifest *m, const char *path) {
    for (size_t i = 0; i < m->n_files; i++)
        if (strcmp(m->files[i].path, path) == 0) return &m->files[i];
    return NULL;
}

int main(void) {
    eb_manifest m;
    eb_err err = {{0}};
    CHECK_INT(eb_manifest_load_builtin(&m, &err), 0);
    CHECK_INT(m.n_downloads, 14);
    long mmlu_rows[3] = {0, 0, 0};
    int mmlu_files = 0;
    for (size_t i = 0; i < m.n_files; i++) {
        const eb_manifest_file *f = &m.files[i];
        if (strcmp(f->suite, "mmlu") != 0) continue;
        mmlu_files++;
        if (strstr(f->path, "/dev/")) mmlu_rows[0] += f->rows;
        if (strstr(f->path, "/val/")) mmlu_rows[1] += f->rows;
        if (strstr(f->path, "/test/")) mmlu_rows[2] += f->rows;
    }
    CHECK_INT(mmlu_files, 171);
    CHECK_INT(mmlu_rows[0], 285);
    CHECK_INT(mmlu_rows[1], 1531);
    CHECK_INT(mmlu_rows[2], 14042);
    const eb_manifest_file *f = file_row(&m, "mmlu/data/test/professional_law_test.csv");
    CHECK(f && f->rows == 1534);
    f = file_row(&m, "humaneval/HumanEval.jsonl.gz");
    CHECK(f && f->rows == 164 && strcmp(f->sha256, "b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef") == 0);
    f = file_row(&m, "math/math_test_5000.jsonl");
    CHECK(f && f->rows == 5000);
    f = file_row(&m, "math/math500_test.jsonl");
    CHECK(f && f->rows == 500);
    long lcb = 0;
    for (size_t i = 0; i < m.n_files; i++)
        if (strcmp(m.files[i].set, "lcb-official") == 0) lcb += m.files[i].rows;
    CHECK_INT(lcb, 1055); /* release_v6 */

    /* every suite but mmlu_pro downloads something; every download lands
     * on files verify knows */
    const char *suites[] = {"mmlu", "humaneval", "humaneval_plus", "math", "livecodebench"};
    for (size_t s = 0; s < 5; s++) {
        int n = 0;
        for (size_t i = 0; i < m.n_downloads; i++) n += strcmp(m.downloads[i].suite, suites[s]) == 0;
        CHECK_MSG(n > 0, "no download for %s", suites[s]);
    }
    for (size_t i = 0; i < m.n_downloads; i++) {
        const eb_manifest_download *d = &m.downloads[i];
        CHECK(strncmp(d->url, "https://", 8) == 0);
        int covered = 0;
        for (size_t k = 0; k < m.n_files; k++)
            covered |= strcmp(m.files[k].path, d->dest) == 0 ||
                       (strncmp(m.files[k].path, d->dest, strlen(d->dest)) == 0 && m.files[k].path[strlen(d->dest)] == '/');
        CHECK_MSG(covered, "download %s lands on no known file", d->url);
        if (d->action == EB_UNPACK_NONE && d->sha256[0]) {
            f = file_row(&m, d->dest);
            CHECK(f && strcmp(f->sha256, d->sha256) == 0);
        }
    }
    eb_manifest_free(&m);

    /* malformed manifests */
    const char *bad[] = {
        "download\tmmlu\thttps://x/y\t-\tnone\ta\tb\n",                       /* 7 fields */
        "# c\nfile\tmmlu\tmmlu\t../etc/passwd\t-\t5\tcsv6\n",                  /* traversal */
        "file\tmmlu\tmmlu\ta.csv\t-\tfive\tcsv6\n",                            /* rows */
        "download\tmmlu\tftp://x/y\t-\tnone\ta\tb\t-\n",                       /* scheme */
        "download\tmmlu\thttps://x/y\tabc\tnone\ta\tb\t-\n",                   /* sha */
        "download\tnosuite\thttps://x/y\t-\tnone\ta\tb\t-\n",                  /* suite */
        "download\tmmlu\thttps://x/y\t-\tunzip\ta\tb\t-\n",                    /* action */
        "mirror\tx\n",                                                         /* kind */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        eb_manifest bm;
        CHECK_MSG(eb_manifest_parse(bad[i], strlen(bad[i]), "t.tsv", &bm, &err) != 0, "accepted: %s", bad[i]);
        CHECK_MSG(strstr(err.msg, "t.tsv:") != NULL, "%s", err.msg);
    }
    CHECK(strstr(err.msg, "t.tsv:1: unknown row kind 'mirror'") != NULL);

    /* gunzip action: the decompressed HumanEval hash published in SOURCES.md */
    char *work = make_tmpdir("manifest");
    char src[1024], dst[1024];
    snprintf(src, sizeof src, "%s/humaneval/HumanEval.jsonl.gz", eb_test_data_dir());
    snprintf(dst, sizeof dst, "%s/sub/HumanEval.jsonl", work);
    CHECK_INT(eb_unpack_gunzip(src, dst, &err), 0);
    char hex[65];
    CHECK_INT(eb_sha256_file(dst, hex, &err), 0);
    CHECK_STR(hex, "1d49078ba3e2b196b9344535bef34a43021f038fad9561d6ee7c53450609a6a2");
    /* a damaged gzip is refused and leaves no file */
    size_t len = 0;
    char *gz = slurp(src, &len);
    CHECK(gz != NULL);
    snprintf(src, sizeof src, "%s/bad.gz", work);
    CHECK_INT(write_bytes(src, gz, len / 2), 0);
    free(gz);
    snprintf(dst, sizeof dst, "%s/bad.jsonl", work);
    CHECK(eb_unpack_gunzip(src, dst, &err) != 0);
    CHECK(access(dst, F_OK) != 0);
    remove_tree(work);
    free(work);
    return eb_test_finish();
}
