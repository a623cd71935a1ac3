/* Encoding and decoding speed of the tokenizer on real prompts, against the
 * Hugging Face `tokenizers` library (Rust, called one text at a time from
 * python3) on the same texts and the same tokenizer files, measured in the
 * same run.  Three workloads: MMLU 5-shot prompts (57 subjects),
 * LiveCodeBench statements (279), and one long text of all of them joined.
 *
 *   build/bench/tokenizer/bench_tokenizer [DATA_DIR]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "fileio.h"
#include "jsonutil.h"
#include "tokenizer.h"

#define FIXDIR EVALBENCH_SOURCE_DIR "/tests/fixtures/tokenizers"

static const char *const names[] = {"gemma_like", "gpt2_like", "llama3_like"};
enum { N_TOK = 3, N_SETS = 3 };
static const char *const set_names[N_SETS] = {"mmlu_5shot", "livecodebench", "long_joined"};

typedef struct set {
    char **texts;
    size_t n, bytes;
} set;

static void add(set *s, const char *t, size_t len) {
    s->texts = realloc(s->texts, (s->n + 1) * sizeof *s->texts);
    s->texts[s->n++] = eb_strndup(t, len);
    s->bytes += len;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what, const eb_err *e) {
    fprintf(stderr, "bench_tokenizer: %s: %s\n", what, e->msg);
    exit(1);
}

static int add_lcb(const cJSON *o, eb_jloc loc, void *ctx, eb_err *err) {
    const char *p = eb_json_str(o, "prompt", loc, err);
    if (!p) return -1;
    add(ctx, p, strlen(p));
    return 0;
}

/* A 5-shot prompt: the five dev rows with answers, then the first test row. */
static void mmlu_sets(const char *data, set *s) {
    static const char *const subjects[] = {
        "abstract_algebra", "anatomy", "astronomy", "business_ethics", "clinical_knowledge", "college_biology",
        "college_chemistry", "college_computer_science", "college_mathematics", "college_medicine", "college_physics",
        "computer_security", "conceptual_physics", "econometrics", "electrical_engineering", "elementary_mathematics",
        "formal_logic", "global_facts", "high_school_biology", "high_school_chemistry",
        "high_school_computer_science", "high_school_european_history", "high_school_geography",
        "high_school_government_and_politics", "high_school_macroeconomics", "high_school_mathematics",
        "high_school_microeconomics", "high_school_physics", "high_school_psychology", "high_school_statistics",
        "high_school_us_history", "high_school_world_history", "human_aging", "human_sexuality",
        "international_law", "jurisprudence", "logical_fallacies", "machine_learning", "management", "marketing",
        "medical_genetics", "miscellaneous", "moral_disputes", "moral_scenarios", "nutrition", "philosophy",
        "prehistory", "professional_accounting", "professional_law", "professional_medicine",
        "professional_psychology", "public_relations", "security_studies", "sociology", "us_foreign_policy",
        "virology", "world_religions"};
    for (size_t i = 0; i < sizeof subjects / sizeof *subjects; i++) {
        char path[4096];
        eb_err err = {{0}};
        char *dev, *test;
        size_t dl, tl;
        snprintf(path, sizeof path, "%s/mmlu/data/dev/%s_dev.csv", data, subjects[i]);
        if (eb_read_file(path, &dev, &dl, &err)) die("reading MMLU", &err);
        snprintf(path, sizeof path, "%s/mmlu/data/test/%s_test.csv", data, subjects[i]);
        if (eb_read_file(path, &test, &tl, &err)) die("reading MMLU", &err);
        /* Raw CSV rows are close enough to the prompt text for timing. */
        eb_buf b = {0};
        eb_buf_printf(&b, "The following are multiple choice questions (with answers) about %s.\n\n", subjects[i]);
        eb_buf_append(&b, dev, dl);
        size_t first = strcspn(test, "\n");
        eb_buf_append(&b, test, first);
        eb_buf_puts(&b, "\nAnswer:");
        add(s, b.data, b.len);
        eb_buf_free(&b);
        free(dev);
        free(test);
    }
}

static void write_texts(const char *file, set *sets) {
    cJSON *root = cJSON_CreateArray();
    for (int i = 0; i < N_SETS; i++) {
        cJSON *arr = cJSON_CreateArray();
        for (size_t j = 0; j < sets[i].n; j++) cJSON_AddItemToArray(arr, cJSON_CreateString(sets[i].texts[j]));
        cJSON_AddItemToArray(root, arr);
    }
    char *s = cJSON_PrintUnformatted(root);
    eb_err err = {{0}};
    if (eb_write_file_atomic(file, s, strlen(s), &err)) die("writing texts", &err);
    free(s);
    cJSON_Delete(root);
}

/* Runs the reference on the same texts; fills ref[tok][set] (seconds per
 * repetition), or returns -1 when python3/tokenizers is not available. */
static int reference(const char *file, int reps, double ref[N_TOK][N_SETS]) {
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "python3 -c '\n"
             "import json, sys, time\n"
             "from tokenizers import Tokenizer\n"
             "sets = json.load(open(sys.argv[1]))\n"
             "for name in sys.argv[3:]:\n"
             "    tok = Tokenizer.from_file(sys.argv[2] + \"/\" + name + \".json\")\n"
             "    for texts in sets:\n"
             "        best = 1e9\n"
             "        for r in range(%d):\n"
             "            t0 = time.perf_counter()\n"
             "            for t in texts: tok.encode(t, add_special_tokens=False)\n"
             "            best = min(best, time.perf_counter() - t0)\n"
             "        print(best)\n"
             "' %s %s %s %s %s 2>/dev/null",
             reps, file, FIXDIR, names[0], names[1], names[2]);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    int got = 0;
    for (int t = 0; t < N_TOK; t++)
        for (int s = 0; s < N_SETS; s++) got += fscanf(p, "%lf", &ref[t][s]) == 1;
    int rc = pclose(p);
    return got == N_TOK * N_SETS && rc == 0 ? 0 : -1;
}

int main(int argc, char **argv) {
    const char *data = argc > 1 ? argv[1] : getenv("EVALBENCH_DATA") ? getenv("EVALBENCH_DATA") : EVALBENCH_TEST_DATA;
    const int reps = 3;
    set sets[N_SETS] = {{0}};
    eb_err err = {{0}};
    mmlu_sets(data, &sets[0]);
    char path[4096], *buf;
    size_t len;
    snprintf(path, sizeof path, "%s/livecodebench/qwq_livecodebench_v5_2408_2502_prompts.jsonl", data);
    if (eb_read_file(path, &buf, &len, &err) || eb_jsonl_each(path, buf, len, add_lcb, &sets[1], &err)) die(path, &err);
    free(buf);
    eb_buf joined = {0};
    for (int i = 0; i < 2; i++)
        for (size_t j = 0; j < sets[i].n; j++) eb_buf_puts(&joined, sets[i].texts[j]);
    add(&sets[2], joined.data, joined.len);
    eb_buf_free(&joined);

    char tmp[] = "/tmp/eb_bench_tok_XXXXXX";
    int fd = mkstemp(tmp);
    if (fd < 0) return 1;
    close(fd);
    write_texts(tmp, sets);
    double ref[N_TOK][N_SETS];
    int have_ref = reference(tmp, reps, ref) == 0;
    unlink(tmp);

    printf("%-12s %-14s %9s %9s %12s %12s %8s\n", "tokenizer", "workload", "MB", "tokens", "evalbench s",
           "reference s", "ratio");
    for (int t = 0; t < N_TOK; t++) {
        snprintf(path, sizeof path, "%s/%s.json", FIXDIR, names[t]);
        eb_tokenizer *tok;
        if (eb_tokenizer_load(path, &tok, &err)) die("loading", &err);
        for (int s = 0; s < N_SETS; s++) {
            double best = 1e9;
            size_t ntok = 0;
            for (int r = 0; r < reps; r++) {
                double t0 = now();
                ntok = 0;
                for (size_t j = 0; j < sets[s].n; j++) {
                    int32_t *ids;
                    size_t n;
                    if (eb_tokenizer_encode(tok, sets[s].texts[j], strlen(sets[s].texts[j]), 0, &ids, &n, &err))
                        die("encode", &err);
                    ntok += n;
                    free(ids);
                }
                double dt = now() - t0;
                if (dt < best) best = dt;
            }
            char refs[32] = "n/a", ratio[32] = "n/a";
            if (have_ref) {
                snprintf(refs, sizeof refs, "%.4f", ref[t][s]);
                snprintf(ratio, sizeof ratio, "%.2f", best / ref[t][s]);
            }
            printf("%-12s %-14s %9.2f %9zu %12.4f %12s %8s\n", names[t], set_names[s], sets[s].bytes / 1e6, ntok, best,
                   refs, ratio);
        }
        eb_tokenizer_free(tok);
    }
    printf("ratio = evalbench time / reference time (best of %d; below 1 is faster)%s\n", reps,
           have_ref ? "" : "; reference unavailable (python3 with tokenizers needed)");
    for (int s = 0; s < N_SETS; s++) {
        for (size_t j = 0; j < sets[s].n; j++) free(sets[s].texts[j]);
        free(sets[s].texts);
    }
    return 0;
}
