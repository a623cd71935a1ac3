/* The whole pipeline with the local engine: `evalbench run --engine local
 * --model-path tests/fixtures/gemma4/<model>` on MMLU (generation and
 * log-likelihood modes) and HumanEval, with the real datasets, the real
 * sandbox and a real results database.  The tiny random models answer
 * nonsense; what is checked is that every request is answered and scored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "g4_cuda.h"
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

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *b = calloc(1, 1 << 24);
    *len = f ? fread(b, 1, (1 << 24) - 1, f) : 0;
    if (f) fclose(f);
    return b;
}

/* --device cuda: on a machine without a GPU (or a build without CUDA) a one-line error, exit code 5
 * (engine refused), and the database already there is not touched; with a
 * GPU the same command runs. */
static void check_device_flag(const char *dir) {
    char db[1024], args[2048];
    snprintf(db, sizeof db, "%s/r.db", dir);
    size_t n0, n1;
    char *before = slurp(db, &n0);
    snprintf(args, sizeof args,
             "--engine local --device cuda --model-path %s/tests/fixtures/gemma4/dense --suite mmlu --limit 2 --runs 1 "
             "--db %s",
             EVALBENCH_SOURCE_DIR, db);
    int st;
    char *out = run(args, &st);
    if (eb_g4_cuda_device_count() == 0) {
        CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 5, "--device cuda without a GPU exits 5:\n%s", out);
        CHECK_MSG(strstr(out, "--device cuda") && (strstr(out, "GPU") || strstr(out, "CUDA")) && strchr(out, '\n') == strrchr(out, '\n'),
                  "one line naming the device:\n%s", out);
        char *after = slurp(db, &n1);
        CHECK_MSG(n0 > 0 && n0 == n1 && memcmp(before, after, n0) == 0, "the database is untouched");
        free(after);
        /* generate says the same, with the same exit code */
        char cmd[2048];
        snprintf(cmd, sizeof cmd,
                 "%s/harness/evalbench generate --device cuda --model-path %s/tests/fixtures/gemma4/dense "
                 "--prompt-ids 2,10 --max-tokens 1 >/dev/null 2>&1",
                 EVALBENCH_BINARY_DIR, EVALBENCH_SOURCE_DIR);
        int g = system(cmd);
        CHECK_MSG(WIFEXITED(g) && WEXITSTATUS(g) == 5, "generate --device cuda without a GPU exits 5 (%d)", g);
    } else {
        CHECK_MSG(st == 0, "--device cuda runs on the GPU:\n%s", out);
    }
    /* a device name that does not exist is refused the same way */
    snprintf(args, sizeof args,
             "--engine local --device tpu --model-path %s/tests/fixtures/gemma4/dense --suite mmlu --limit 2 --runs 1 "
             "--db %s",
             EVALBENCH_SOURCE_DIR, db);
    free(out);
    out = run(args, &st);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 5 && strstr(out, "expected cpu, cuda or cuda:N"),
              "--device tpu is refused:\n%s", out);
    free(out);
    free(before);
}

/* --quant: a bad mode is refused before anything is stored; a quantized
 * run is its own run, recorded as such, and answers every request itself
 * (the checkpoint's cached answers are not its answers). */
static void check_quant_flag(const char *dir) {
    char args[2048], db[1100];
    int st;
    snprintf(db, sizeof db, "%s/r.db", dir);
    size_t n0, n1;
    char *before = slurp(db, &n0);
    snprintf(args, sizeof args,
             "--engine local --device cpu --quant int3 --model-path %s/tests/fixtures/gemma4/dense --suite mmlu "
             "--limit 4 --runs 1 --db %s",
             EVALBENCH_SOURCE_DIR, db);
    char *out = run(args, &st);
    char *after = slurp(db, &n1);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) != 0 && strstr(out, "\"int3\"") && strstr(out, "w4a16"),
              "--quant int3 is refused, naming the choices:\n%s", out);
    CHECK_MSG(n0 > 0 && n0 == n1 && memcmp(before, after, n0) == 0, "the database is untouched");
    free(out);
    free(before);
    free(after);
    snprintf(args, sizeof args,
             "--engine local --device cpu --quant int8 --model-path %s/tests/fixtures/gemma4/dense --suite mmlu "
             "--limit 4 --runs 1 --max-tokens 24 --db %s",
             EVALBENCH_SOURCE_DIR, db);
    out = run(args, &st);
    CHECK_MSG(st == 0, "the int8 run exits 0:\n%s", out);
    CHECK_MSG(strstr(out, "(0 from the response cache, 4 requests sent)") != NULL,
              "the quantized model answers for itself:\n%s", out);
    free(out);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s/harness/evalbench runs --db %s 2>&1", EVALBENCH_BINARY_DIR, db);
    FILE *p = popen(cmd, "r");
    char buf[8192] = {0};
    size_t k = p ? fread(buf, 1, sizeof buf - 1, p) : 0;
    buf[k] = 0;
    if (p) pclose(p);
    CHECK_MSG(strstr(buf, "| local | int8 |") && strstr(buf, "| local | bf16 |"),
              "both runs listed with their quantization:\n%s", buf);
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
    check_device_flag(dir);
    check_quant_flag(dir);

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
