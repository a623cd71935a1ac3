/* The whole pipeline with the local engine: `evalbench run --engine local
 * --model-path tests/fixtures/gemma4/<model>` on MMLU (generation and
 * log-likelihood modes) and HumanEval, with the real datasets, the real
 * sandbox and a real results database.  The tiny random models answer
 * nonsense; what is checked is that every request is answered and scored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

static char *run(const char *args, int *status) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "EVALBENCH_THREADS=2 %s/harness/evalbench run %s --data %s 2>&1", EVALBENCH_BINARY_DIR,
             args, eb_test_data_dir());
    FILE *p = popen(cmd, "r");
    char *out = calloc(1, 1 << 20);
    size_t n = 0, k;
    while (p && (k = fread(out + n, 1, (1 << 20) - 1 - n, p)) > 0) n += k;
    *status = p ? pclose(p) : -1;
    return out;
}

int main(void) {
    char dir[] = "/tmp/eb_g4_run_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char args[2048];
    int st;
    snprintf(args, sizeof args,
             "--engine local --model-path %s/tests/fixtures/gemma4/dense --suite mmlu,humaneval --limit 4 --runs 1 "
             "--max-tokens 24 --db %s/r.db",
             EVALBENCH_SOURCE_DIR, dir);
    char *out = run(args, &st);
    CHECK_MSG(st == 0, "evalbench run exits 0:\n%s", out);
    CHECK_MSG(strstr(out, "| humaneval |") && strstr(out, "| mmlu |"), "both suites reported:\n%s", out);
    CHECK_MSG(strstr(out, "8/8 complete") != NULL, "every item answered:\n%s", out);
    free(out);

    snprintf(args, sizeof args,
             "--engine local --model-path %s/tests/fixtures/gemma4/moe --suite mmlu --mmlu-mode loglik --limit 4 "
             "--runs 1 --db %s/r2.db",
             EVALBENCH_SOURCE_DIR, dir);
    out = run(args, &st);
    CHECK_MSG(st == 0, "loglik run exits 0:\n%s", out);
    CHECK_MSG(strstr(out, "4/4 complete") != NULL && strstr(out, "| mmlu |"), "loglik items scored:\n%s", out);
    free(out);

    char cmd[2100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return eb_test_finish();
}
