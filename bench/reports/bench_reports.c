/* How long `evalbench report` and `evalbench compare` take on databases
 * the size of real evaluations (full MMLU, 14,042 items x 3 repetitions per
 * run), against a baseline measured in the same run: the bare SQLite
 * aggregate that any report needs at least (per run and repetition, count
 * and sum of scores.correct), and, for compare, reading both runs' rows.
 * Best of 3 for each.  Usage: bench_reports [RUNS ...]  (default 3 10) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_fixture.h"
#include "stats.h"
#include "timeutil.h"

int cmd_report(int argc, char **argv);
int cmd_compare(int argc, char **argv);

#define N_ITEMS 14042
#define REPS 3

static void build(const char *path, int runs) {
    fx_db f;
    fx_open(&f, path);
    int64_t *pk = malloc(sizeof(int64_t) * N_ITEMS);
    char id[64], subject[32];
    static const char *const groups[] = {"STEM", "humanities", "social sciences", "other"};
    for (int i = 0; i < N_ITEMS; i++) {
        snprintf(subject, sizeof subject, "subject_%02d", i % 57);
        snprintf(id, sizeof id, "%s/%d", subject, i / 57);
        pk[i] = fx_item(&f, "mmlu", id, "sha", subject, groups[(i % 57) % 4], "A");
    }
    for (int r = 1; r <= runs; r++) {
        fx_run(&f, "model", "local", r % 2 ? "bf16" : "int8", REPS, true, "mmlu", NULL);
        fx_run_suite(&f, r, "mmlu", "fp", N_ITEMS, "mode=generate");
        for (int i = 0; i < N_ITEMS; i++)
            for (int j = 0; j < REPS; j++) {
                unsigned h = (unsigned)(i * 2654435761u) ^ (unsigned)(r * 7919 + j * 104729);
                int ok = (h >> 7) % 100 < 70;
                fx_score(&f, r, pk[i], j, ok, -1, ok ? "correct" : "wrong", ok ? "A" : "B", 600, 40, 0.0002);
            }
    }
    free(pk);
    fx_close(&f);
}

static double best_of_3_query(const char *path, const char *sql) {
    double best = 1e30;
    for (int k = 0; k < 3; k++) {
        double t0 = eb_now_ms();
        sqlite3 *db;
        sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
            fprintf(stderr, "bench: %s\n", sqlite3_errmsg(db));
            exit(1);
        }
        long rows = 0;
        while (sqlite3_step(st) == SQLITE_ROW) rows++;
        sqlite3_finalize(st);
        sqlite3_close(db);
        double t = eb_now_ms() - t0;
        if (t < best) best = t;
        if (rows == 0) exit(1);
    }
    return best;
}

static double best_of_3_cmd(int (*fn)(int, char **), char **argv, int argc) {
    double best = 1e30;
    for (int k = 0; k < 3; k++) {
        double t0 = eb_now_ms();
        if (fn(argc, argv) != 0) {
            fprintf(stderr, "bench: command failed\n");
            exit(1);
        }
        double t = eb_now_ms() - t0;
        if (t < best) best = t;
    }
    return best;
}

int main(int argc, char **argv) {
    int sizes[8] = {3, 10}, n_sizes = 2;
    /* realistic rows: a 2 KB prompt and a 2 KB answer per response */
    fx_text_bytes = getenv("EB_BENCH_TEXT_BYTES") ? (size_t)atol(getenv("EB_BENCH_TEXT_BYTES")) : 2048;
    if (argc > 1) {
        n_sizes = 0;
        for (int i = 1; i < argc && n_sizes < 8; i++) sizes[n_sizes++] = atoi(argv[i]);
    }
    char db[512], out[600];
    snprintf(db, sizeof db, "%s/bench_reports_%d.db", EVALBENCH_BINARY_DIR, (int)getpid());
    snprintf(out, sizeof out, "%s.out", db);
    printf("| runs | score rows | what | baseline ms | evalbench ms | ratio |\n|---:|---:|---|---:|---:|---:|\n");
    for (int s = 0; s < n_sizes; s++) {
        int runs = sizes[s];
        build(db, runs);
        long rows = (long)runs * N_ITEMS * REPS;
        double base = best_of_3_query(db, "SELECT run_id, run_index, COUNT(*), SUM(correct) FROM scores GROUP BY 1, 2");
        char *rep_json[] = {"report", "--db", db, "--format", "json", "--out", out, NULL};
        double t = best_of_3_cmd(cmd_report, rep_json, 7);
        printf("| %d | %ld | report, all runs, json | %.0f | %.0f | %.1f |\n", runs, rows, base, t, t / base);
        char *rep_md[] = {"report", "--db", db, "--run", "1,2", "--out", out, NULL};
        double base2 = best_of_3_query(db, "SELECT run_id, run_index, COUNT(*), SUM(correct) FROM scores"
                                           " WHERE run_id IN (1, 2) GROUP BY 1, 2");
        t = best_of_3_cmd(cmd_report, rep_md, 7);
        printf("| %d | %ld | report --run 1,2, markdown | %.0f | %.0f | %.1f |\n", runs, rows, base2, t, t / base2);
        double base3 = best_of_3_query(db, "SELECT s.item_pk, i.item_id, s.correct, s.extracted FROM scores s"
                                           " JOIN items i ON i.item_pk = s.item_pk WHERE s.run_id IN (1, 2)"
                                           " ORDER BY s.run_id, s.item_pk, s.run_index");
        char *cmp[] = {"compare", "1", "2", "--db", db, "--format", "json", "--out", out, NULL};
        t = best_of_3_cmd(cmd_compare, cmp, 9);
        printf("| %d | %ld | compare 1 2 (10,000 bootstrap resamples) | %.0f | %.0f | %.1f |\n", runs, rows, base3, t,
               t / base3);
        char *cmp1[] = {"compare", "1", "2", "--db", db, "--resamples", "1", "--format", "json", "--out", out, NULL};
        t = best_of_3_cmd(cmd_compare, cmp1, 11);
        printf("| %d | %ld | compare 1 2 (1 resample: queries and output only) | %.0f | %.0f | %.1f |\n", runs, rows,
               base3, t, t / base3);
        if (!getenv("EB_BENCH_KEEP")) fx_remove(db);
    }
    unlink(out);
    return 0;
}
