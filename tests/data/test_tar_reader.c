/* The tar reader and the extraction built on it: GNU long names, pax and
 * ustar prefixes read correctly; '..', absolute paths and links escaping
 * the directory rejected; and garbage, mutated and truncated archives fail
 * cleanly (ASan/UBSan watch for the crashes). */
#include <stdint.h>

#include "server_util.h"
#include "strutil.h"
#include "tar_reader.h"
#include "test_util.h"
#include "unpack.h"

typedef struct mem {
    const unsigned char *p;
    size_t len, pos;
} mem;

static long mem_read(void *ctx, void *buf, size_t n) {
    mem *m = ctx;
    size_t left = m->len - m->pos;
    if (n > left) n = left;
    memcpy(buf, m->p + m->pos, n);
    m->pos += n;
    return (long)n;
}

/* Reads every entry and its data; returns 0 at a clean end, -1 on error. */
static int read_all(const unsigned char *data, size_t len, int *entries, uint64_t *bytes, eb_err *err) {
    mem m = {data, len, 0};
    eb_tar *t = eb_tar_open(mem_read, &m, "fuzz.tar");
    int rc = 0;
    *entries = 0;
    *bytes = 0;
    for (;;) {
        const eb_tar_entry *e;
        int r = eb_tar_next(t, &e, err);
        if (r <= 0) {
            rc = r;
            break;
        }
        (*entries)++;
        char *clean = eb_tar_clean_path(e->path, err);
        free(clean);
        (void)eb_tar_link_inside(e->path, e->linkname);
        if (*entries % 2) { /* read half of the entries, skip the others */
            char buf[700];
            long got;
            while ((got = eb_tar_read(t, buf, sizeof buf, err)) > 0) *bytes += (uint64_t)got;
            if (got < 0) {
                rc = -1;
                break;
            }
        }
    }
    eb_tar_close(t);
    return rc;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

/* Rewrites a header's checksum so mutations reach the field parsers. */
static void fix_checksum(unsigned char *h) {
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
}

static void test_valid(const char *work) {
    char path[1024];
    snprintf(path, sizeof path, "%s/good_gnu.tar", work);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (!f) return;
    eb_tar *t = eb_tar_open_file(f, path);
    eb_err err = {{0}};
    const eb_tar_entry *e;
    int n = 0, saw_long = 0, saw_link = 0, saw_dir = 0, saw_b = 0;
    while (eb_tar_next(t, &e, &err) == 1) {
        n++;
        if (strlen(e->path) > 100 && eb_ends_with(e->path, "test.csv")) {
            saw_long = 1;
            CHECK_INT(e->size, 1000);
            char buf[2000];
            long got = eb_tar_read(t, buf, sizeof buf, &err);
            CHECK_INT(got, 1000);
            CHECK(buf[0] == 'x' && buf[999] == 'x');
        }
        if (e->type == EB_TAR_SYMLINK) {
            saw_link = 1;
            CHECK_STR(e->linkname, "test/a.csv");
        }
        if (e->type == EB_TAR_DIR) saw_dir = 1;
        if (strstr(e->path, "b.csv")) {
            saw_b = 1;
            char *clean = eb_tar_clean_path(e->path, &err);
            CHECK_STR(clean, "data/dev/b.csv");
            free(clean);
        }
    }
    CHECK_INT(n, 6);
    CHECK(saw_long && saw_link && saw_dir && saw_b);
    eb_tar_close(t);
    fclose(f);

    const char *tars[] = {"good_gnu.tar", "good_pax.tar", "good_ustar.tar"};
    const int expect[] = {4, 5, 2};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", work, tars[i]);
        char dest[1024];
        snprintf(dest, sizeof dest, "%s/out", work);
        char **written;
        size_t nw;
        char *members[] = {"data/"};
        int rc = eb_unpack_tar_subset(path, dest, tars[i], members, 1, &written, &nw, &err);
        CHECK_MSG(rc == 0, "%s", err.msg);
        CHECK_INT(nw, expect[i]);
        if (rc == 0) eb_strv_free(written, nw);
    }
    snprintf(path, sizeof path, "%s/out/good_pax.tar/data/ünïcode_名前.csv", work);
    char *d = slurp(path, NULL);
    CHECK_STR(d, "héllo");
    free(d);
    snprintf(path, sizeof path, "%s/out/good_ustar.tar/data/%0*d/%0*d/file.csv", work, 0, 0, 0, 0);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "test -f '%s/out/good_ustar.tar/data/'d*/e*/file.csv", work);
    CHECK_INT(run_cmd(cmd), 0);
    snprintf(path, sizeof path, "%s/out/good_gnu.tar/data/link", work);
    struct stat st;
    CHECK(lstat(path, &st) != 0); /* links are not extracted */
    snprintf(path, sizeof path, "%s/out/good_gnu.tar/data/test/a.csv", work);
    d = slurp(path, NULL);
    CHECK_STR(d, "q,1,2,3,4,A\n");
    free(d);
}

static void test_hostile(const char *work) {
    struct {
        const char *tar, *msg;
    } cases[] = {
        {"evil_dotdot.tar", "path traversal"},
        {"evil_abs.tar", "absolute path"},
        {"evil_symlink.tar", "points outside"},
        {"evil_abs_symlink.tar", "points outside"},
        {"evil_hardlink.tar", "points outside"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[1024], dest[1024];
        snprintf(path, sizeof path, "%s/%s", work, cases[i].tar);
        snprintf(dest, sizeof dest, "%s/jail/inner", work);
        char **written;
        size_t nw;
        eb_err err = {{0}};
        int rc = eb_unpack_tar_subset(path, dest, "x", NULL, 0, &written, &nw, &err);
        CHECK_MSG(rc != 0, "%s was accepted", cases[i].tar);
        CHECK_MSG(strstr(err.msg, cases[i].msg) != NULL, "%s: %s", cases[i].tar, err.msg);
    }
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "test -z \"$(find '%s' -name 'evil_*.txt')\" && test ! -e /tmp/evalbench_evil_abs.txt", work);
    CHECK_INT(run_cmd(cmd), 0);

    CHECK(eb_tar_link_inside("a/b", "c") == 1);
    CHECK(eb_tar_link_inside("a/b", "../c") == 1);
    CHECK(eb_tar_link_inside("a/b", "../../c") == 0);
    CHECK(eb_tar_link_inside("a", "/etc/passwd") == 0);
    CHECK(eb_tar_link_inside("a/b", "x/../../../y") == 0);
}

static void test_fuzz(const char *work) {
    char path[1024];
    snprintf(path, sizeof path, "%s/good_pax.tar", work);
    size_t len = 0;
    unsigned char *orig = (unsigned char *)slurp(path, &len);
    CHECK(orig != NULL && len >= 2048);
    if (!orig) return;
    int ok = 0, errors = 0;
    int entries;
    uint64_t bytes;
    eb_err err;
    CHECK_INT(read_all(orig, len, &entries, &bytes, &err), 0);
    unsigned char *buf = malloc(len + 1024);
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = len;
        memcpy(buf, orig, len);
        int kind = iter % 4;
        if (kind == 0 || kind == 1) { /* flip bytes, mostly in headers */
            int flips = 1 + (int)(rnd() % 8);
            for (int k = 0; k < flips; k++) buf[rnd() % (kind == 0 ? 2048 : n)] = (unsigned char)rnd();
            if (kind == 0)
                for (size_t h = 0; h + 512 <= n; h += 512)
                    if (rnd() % 2) fix_checksum(buf + h);
        } else if (kind == 2) { /* truncate anywhere */
            n = rnd() % len;
        } else { /* random garbage, sometimes with a valid-looking checksum */
            n = rnd() % 3000;
            for (size_t k = 0; k < n; k++) buf[k] = (unsigned char)rnd();
            if (n >= 512 && rnd() % 2) fix_checksum(buf);
        }
        if (read_all(buf, n, &entries, &bytes, &err) == 0) ok++;
        else {
            errors++;
            CHECK(strlen(err.msg) > 0);
        }
        /* a share of the cases also goes through extraction to disk */
        if (iter % 25 == 0) {
            char tar[1024], dest[1024];
            snprintf(tar, sizeof tar, "%s/fuzz.tar", work);
            snprintf(dest, sizeof dest, "%s/fuzz_out", work);
            write_bytes(tar, buf, n);
            char **written;
            size_t nw;
            if (eb_unpack_tar_subset(tar, dest, "x", NULL, 0, &written, &nw, &err) == 0) eb_strv_free(written, nw);
        }
    }
    printf("fuzz: %d archives read to the end, %d rejected\n", ok, errors);
    CHECK(errors > 500);
    CHECK(ok > 0);
    char cmd[1024];
    /* whatever the fuzzed archives held, nothing lands outside fuzz_out */
    snprintf(cmd, sizeof cmd, "find '%s' -mindepth 1 -maxdepth 1 ! -name '*.tar' ! -name fuzz_out ! -name out ! -name jail | grep .", work);
    (void)run_cmd(cmd);
    snprintf(cmd, sizeof cmd, "test -z \"$(find '%s' -mindepth 1 -maxdepth 1 ! -name '*.tar' ! -name fuzz_out ! -name out ! -name jail)\"", work);
    CHECK_INT(run_cmd(cmd), 0);
    free(buf);
    free(orig);
}

int main(void) {
    char *work = make_tmpdir("tar");
    CHECK(work != NULL);
    if (!work) return eb_test_finish();
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "python3 '%s/tests/data/make_tars.py' '%s'", EVALBENCH_SOURCE_DIR, work);
    CHECK_INT(run_cmd(cmd), 0);
    test_valid(work);
    test_hostile(work);
    test_fuzz(work);
    remove_tree(work);
    free(work);
    return eb_test_finish();
}
