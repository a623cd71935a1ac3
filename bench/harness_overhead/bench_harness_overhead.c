/* The harness's own cost per item: all 14,042 MMLU test items x 3
 * repetitions scored and stored through the replay engine, against a
 * baseline measured in the same run (extraction and scoring alone, in
 * memory, no engine and no database).
 *
 *   build/bench/harness_overhead/bench_harness_overhead [DATA_DIR]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "db.h"
#include "engine.h"
#include "fileio.h"
#include "runner.h"
#include "suite.h"
#include "timeutil.h"

int eb_replay_create(const eb_engine_config *cfg, eb_engine **out, eb_err *err);

static const char *const phrasings[] = {"Reasoning...\n\nAnswer: %s", "The answer is (%s).", "**%s**"};

static void die(const char *what, const eb_err *err) {
    fprintf(stderr, "bench_harness_overhead: %s: %s\n", what, err->msg);
    exit(1);
}

int main(int argc, char **argv) {
    const char *data = argc > 1 ? argv[1] : getenv("EVALBENCH_DATA") ? getenv("EVALBENCH_DATA") : EVALBENCH_TEST_DATA;
    const int runs = 3;
    eb_err err = {{0}};
    eb_suite_options o = {0};
    o.data_dir = data;
    o.style = EB_PROMPT_CHAT;
    eb_suite s;
    double t0 = eb_now_ms();
    if (eb_suite_load("mmlu", &o, &s, &err) != 0) die("loading MMLU", &err);
    double t_load = eb_now_ms() - t0;
    size_t n = s.n_items * (size_t)runs;

    /* Responses: one line per item and repetition, varied phrasings, a
     * quarter of them wrong. */
    char dir[] = "/tmp/eb_bench_XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char replay[128], dbp[128];
    snprintf(replay, sizeof replay, "%s/replay.jsonl", dir);
    snprintf(dbp, sizeof dbp, "%s/results.db", dir);
    eb_buf b = {0};
    char **texts = malloc(n * sizeof *texts);
    for (size_t i = 0; i < s.n_items; i++)
        for (int r = 0; r < runs; r++) {
            const char *gold = s.items[i].answer;
            char letter[2] = {(char)((i % 4 == 0) ? 'A' + (gold[0] - 'A' + 1) % 4 : gold[0]), 0};
            char text[128];
            snprintf(text, sizeof text, phrasings[(i + (size_t)r) % 3], letter);
            texts[i * (size_t)runs + (size_t)r] = eb_strdup(text);
            eb_buf_printf(&b, "{\"suite\":\"mmlu\",\"item_id\":\"%s\",\"run\":%d,\"response\":\"", s.items[i].id, r);
            for (const char *p = text; *p; p++) {
                if (*p == '\n') eb_buf_puts(&b, "\\n");
                else eb_buf_putc(&b, *p);
            }
            eb_buf_puts(&b, "\",\"tokens_in\":300,\"tokens_out\":40}\n");
        }
    if (eb_write_file_atomic(replay, b.data, b.len, &err) != 0) die("writing replay", &err);
    eb_buf_free(&b);

    /* Baseline: extraction + scoring only. */
    t0 = eb_now_ms();
    long base_correct = 0;
    for (size_t i = 0; i < s.n_items; i++)
        for (int r = 0; r < runs; r++) {
            eb_score sc;
            eb_suite_score(&s, &s.items[i], &o, texts[i * (size_t)runs + (size_t)r], NULL, 0, NULL, &sc, &err);
            base_correct += sc.correct;
            eb_score_clear(&sc);
        }
    double t_base = eb_now_ms() - t0;

    /* Full pipeline: prompt building, request hashing, cache lookups, the
     * replay engine, scoring, and SQLite commits. */
    eb_results_db *db;
    if (eb_db_open(dbp, &db, &err) != 0) die("opening db", &err);
    eb_engine_config ec = {0};
    ec.replay_file = replay;
    eb_engine *e;
    t0 = eb_now_ms();
    if (eb_replay_create(&ec, &e, &err) != 0) die("replay", &err);
    double t_replay_load = eb_now_ms() - t0;
    eb_run_row rr = {0};
    rr.config_hash = "bench";
    rr.model = "bench";
    rr.engine = "replay";
    rr.suites = "mmlu";
    rr.n_runs = runs;
    rr.params_json = "{}";
    long run_id;
    if (eb_db_create_run(db, &rr, &run_id, &err) != 0) die("run", &err);
    eb_runner_config c = {0};
    c.db = db;
    c.run_id = run_id;
    c.engine = e;
    c.suites = &s;
    c.n_suites = 1;
    c.suite_opt = &o;
    c.n_runs = runs;
    c.concurrency = 256;
    eb_runner_stats st;
    t0 = eb_now_ms();
    if (eb_runner_execute(&c, &st, &err) != 0) die("runner", &err);
    double t_pipe = eb_now_ms() - t0;

    /* Resume of a finished run: only the bookkeeping. */
    eb_runner_stats st2;
    t0 = eb_now_ms();
    if (eb_runner_execute(&c, &st2, &err) != 0) die("runner", &err);
    double t_resume = eb_now_ms() - t0;

    printf("MMLU %zu items x %d repetitions = %zu scored responses\n\n", s.n_items, runs, n);
    printf("| phase | total ms | us per item | vs baseline |\n|---|---:|---:|---:|\n");
    printf("| load suite (57 CSVs, sha256) | %.1f | %.2f | |\n", t_load, 1000 * t_load / (double)s.n_items);
    printf("| baseline: extract + score in memory | %.1f | %.2f | 1.00x |\n", t_base, 1000 * t_base / (double)n);
    printf("| load replay JSONL | %.1f | %.2f | |\n", t_replay_load, 1000 * t_replay_load / (double)n);
    printf("| pipeline: runner + replay + score + SQLite | %.1f | %.2f | %.2fx |\n", t_pipe, 1000 * t_pipe / (double)n,
           t_pipe / t_base);
    printf("| resume of the finished run | %.1f | %.2f | %.2fx |\n", t_resume, 1000 * t_resume / (double)n,
           t_resume / t_base);
    printf("\nscored %ld, correct %ld (baseline correct %ld)\n", st.scored, st.correct, base_correct);
    int ok = st.correct == base_correct && st2.already_done == (long)n;
    for (size_t i = 0; i < n; i++) free(texts[i]);
    free(texts);
    eb_engine_destroy(e);
    eb_db_close(db);
    eb_suite_free(&s);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) return 1;
    return ok ? 0 : 1;
}
