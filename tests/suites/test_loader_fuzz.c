/* Damaged dataset files (bit flips, cuts, deleted and duplicated spans) must
 * load or fail with a message naming the file: never crash, never hang. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fileio.h"
#include "suite.h"
#include "test_util.h"

typedef struct target {
    const char *suite;
    const char *rel;        /* file to damage, relative to the data dir */
    size_t head;            /* only the first `head` bytes are used (keeps runs fast) */
} target;

static void copy_prefix(const char *src, const char *dst, size_t head, unsigned *seed, int mode) {
    FILE *f = fopen(src, "rb");
    char *buf = malloc(head);
    size_t n = fread(buf, 1, head, f);
    fclose(f);
    size_t pos = n ? (size_t)rand_r(seed) % n : 0;
    switch (mode) {
    case 0: /* flip bytes */
        for (int k = 0; k < 8 && n; k++) buf[(size_t)rand_r(seed) % n] ^= (char)(1 << (rand_r(seed) % 8));
        break;
    case 1: /* cut */
        n = pos;
        break;
    case 2: /* delete a span */
        if (n > pos + 16) {
            memmove(buf + pos, buf + pos + 16, n - pos - 16);
            n -= 16;
        }
        break;
    default: /* structural characters */
        for (int k = 0; k < 4 && n; k++) buf[(size_t)rand_r(seed) % n] = "\"{}[],\n\\"[rand_r(seed) % 8];
        break;
    }
    f = fopen(dst, "wb");
    fwrite(buf, 1, n, f);
    fclose(f);
    free(buf);
}

int main(void) {
    const char *data = eb_test_data_dir();
    char dir[] = "/tmp/eb_fuzz_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    const target targets[] = {
        {"math", "math/math500_test.jsonl", 40000},
        {"humaneval", "humaneval/HumanEval.jsonl.gz", 1u << 20},
        {"livecodebench", "livecodebench/rllm_livecodebench_2408_2502_public_tests.json", 1u << 20},
        {"mmlu", "mmlu/data/test/abstract_algebra_test.csv", 1u << 20},
    };
    unsigned seed = 12345;
    eb_err err = {{0}};
    int loaded = 0, refused = 0, named = 0;
    for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++) {
        const target *tg = &targets[t];
        /* The other files the suite needs, copied intact. */
        char cmd[2048];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'/* && mkdir -p '%s/mmlu/data/test' '%s/math' '%s/humaneval' "
                 "'%s/livecodebench' && cp '%s/livecodebench/'* '%s/livecodebench/'",
                 dir, dir, dir, dir, dir, data, dir);
        CHECK(system(cmd) == 0);
        char src[1024], dst[1024];
        snprintf(src, sizeof src, "%s/%s", data, tg->rel);
        snprintf(dst, sizeof dst, "%s/%s", dir, tg->rel);
        for (int iter = 0; iter < 60; iter++) {
            copy_prefix(src, dst, tg->head, &seed, iter % 4);
            eb_suite_options o = {0};
            o.data_dir = dir;
            o.style = EB_PROMPT_CHAT;
            eb_suite s;
            if (eb_suite_load(tg->suite, &o, &s, &err) == 0) {
                loaded++;
                eb_suite_free(&s);
            } else {
                refused++;
                const char *base = strrchr(tg->rel, '/') + 1;
                named += strstr(err.msg, base) != NULL || strstr(err.msg, "no items") != NULL;
                if (!strstr(err.msg, base) && !strstr(err.msg, "no items")) fprintf(stderr, "unnamed: %s\n", err.msg);
            }
        }
    }
    CHECK(refused > 0);
    CHECK_INT(named, refused);
    printf("damaged files: %d loaded, %d refused with the file named\n", loaded, refused);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return eb_test_finish();
}
