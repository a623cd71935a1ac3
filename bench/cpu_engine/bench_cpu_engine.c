/* CPU throughput of the local engine's Gemma 4 forward pass: prompt
 * (prefill) and generation (one token per step, KV cache) tokens per second
 * for each checkpoint directory given, next to transformers on the CPU for
 * the same checkpoint, measured in the same run by hf_baseline.py with the
 * same thread count.
 *
 *   bench_cpu_engine [--threads N] [--prompt P] [--gen G] [--no-baseline]
 *                    [--baseline-script PATH] DIR...
 *
 * Prompts are random token ids (BOS first), the same for both sides. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "g4_model.h"
#include "g4_sample.h"
#include "timeutil.h"

typedef struct result {
    double prompt_tps, gen_tps;
} result;

static int run_ours(const char *dir, int threads, int P, int G, result *r) {
    eb_err err = {0};
    eb_g4_model *m = NULL;
    eb_g4_backend *be = eb_g4_cpu_backend_create(threads);
    if (eb_g4_model_load(dir, be, &m, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        eb_g4_backend_destroy(be);
        return -1;
    }
    int V = m->cfg.vocab;
    int32_t *ids = malloc((size_t)P * sizeof *ids);
    eb_rng rng;
    eb_rng_seed(&rng, 1);
    ids[0] = 2;
    for (int i = 1; i < P; i++) ids[i] = 5 + (int32_t)(eb_rng_uniform(&rng) * (V - 5));
    float *lg = malloc((size_t)V * sizeof *lg);
    /* Warm-up (untimed): the first pass faults the mapped weights in. */
    eb_g4_seq *s = eb_g4_seq_new(m);
    eb_g4_chunk w = {s, ids, P < 8 ? P : 8, 0, NULL, NULL};
    if (eb_g4_forward(m, &w, 1, &err) != 0) fprintf(stderr, "%s\n", err.msg);
    eb_g4_seq_reset(s);
    double t0 = eb_now_ms();
    eb_g4_chunk c = {s, ids, P, P - 1, lg, NULL};
    int rc = eb_g4_forward(m, &c, 1, &err);
    double t1 = eb_now_ms();
    for (int i = 0; rc == 0 && i < G; i++) {
        int32_t t = eb_argmax(lg, V);
        eb_g4_chunk d = {s, &t, 1, 0, lg, NULL};
        rc = eb_g4_forward(m, &d, 1, &err);
    }
    double t2 = eb_now_ms();
    if (rc != 0) fprintf(stderr, "%s\n", err.msg);
    r->prompt_tps = P / ((t1 - t0) / 1000.0);
    r->gen_tps = G / ((t2 - t1) / 1000.0);
    eb_g4_seq_free(m, s);
    eb_g4_model_free(m);
    free(ids);
    free(lg);
    return rc;
}

static int run_hf(const char *script, const char *dir, int threads, int P, int G, result *r) {
    eb_buf cmd = {0};
    eb_buf_printf(&cmd, "TRANSFORMERS_VERBOSITY=error HF_HUB_DISABLE_PROGRESS_BARS=1 python3 '%s' '%s' %d %d %d", script,
                  dir, P, G, threads);
    FILE *f = popen(eb_buf_str(&cmd), "r");
    eb_buf_free(&cmd);
    if (!f) return -1;
    char line[256];
    int ok = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "RESULT %lf %lf", &r->prompt_tps, &r->gen_tps) == 2) ok = 1;
    int st = pclose(f);
    return ok && st == 0 ? 0 : -1;
}

int main(int argc, char **argv) {
    int threads = 2, P = 128, G = 32, baseline = 1;
    int first = 1;
    char script[4096];
    snprintf(script, sizeof script, "%s/bench/cpu_engine/hf_baseline.py", EVALBENCH_SOURCE_DIR);
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (!strcmp(argv[first], "--no-baseline")) baseline = 0;
        else if (first + 1 < argc && !strcmp(argv[first], "--threads")) threads = atoi(argv[++first]);
        else if (first + 1 < argc && !strcmp(argv[first], "--prompt")) P = atoi(argv[++first]);
        else if (first + 1 < argc && !strcmp(argv[first], "--gen")) G = atoi(argv[++first]);
        else if (first + 1 < argc && !strcmp(argv[first], "--baseline-script"))
            snprintf(script, sizeof script, "%s", argv[++first]);
        else {
            fprintf(stderr, "usage: bench_cpu_engine [--threads N] [--prompt P] [--gen G] [--no-baseline] [--baseline-script PATH] DIR...\n");
            return 2;
        }
    }
    if (first >= argc || P < 2 || G < 1 || threads < 1) {
        fprintf(stderr, "usage: bench_cpu_engine [--threads N] [--prompt P] [--gen G] [--no-baseline] [--baseline-script PATH] DIR...\n");
        return 2;
    }
    printf("threads %d, prompt %d tokens, generation %d tokens\n\n", threads, P, G);
    printf("| model | evalbench prompt tok/s | transformers prompt tok/s | ratio | evalbench gen tok/s | transformers gen tok/s | ratio |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|\n");
    int rc = 0;
    for (int i = first; i < argc; i++) {
        result ours = {0}, hf = {0};
        if (run_ours(argv[i], threads, P, G, &ours) != 0) {
            rc = 1;
            continue;
        }
        const char *name = strrchr(argv[i], '/');
        name = name && name[1] ? name + 1 : argv[i];
        if (baseline && run_hf(script, argv[i], threads, P, G, &hf) == 0)
            printf("| %s | %.1f | %.1f | %.2fx | %.2f | %.2f | %.2fx |\n", name, ours.prompt_tps, hf.prompt_tps,
                   ours.prompt_tps / hf.prompt_tps, ours.gen_tps, hf.gen_tps, ours.gen_tps / hf.gen_tps);
        else
            printf("| %s | %.1f | - | - | %.2f | - | - |\n", name, ours.prompt_tps, ours.gen_tps);
        fflush(stdout);
    }
    return rc;
}
