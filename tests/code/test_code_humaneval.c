/* HumanEval and HumanEval+ scoring with real python3 in the real sandbox:
 * the canonical solutions pass all 164 tasks (base with HumanEval's own
 * canonical solutions, base and plus with the HumanEval+ ones), and
 * deliberately broken solutions get the verdict they deserve. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "code_score.h"
#include "code_test_data.h"
#include "test_util.h"

#define N_TASKS 164
#define THREADS 3

typedef struct task {
    eb_item base_item;   /* HumanEval record, no plus_json */
    eb_item plus_item;   /* the same with the HumanEval+ record attached */
    char *plus_solution; /* HumanEval+ prompt + canonical_solution */
    char *he_solution;   /* HumanEval prompt + canonical_solution */
} task;

typedef struct run {
    task *tasks;
    eb_executor *ex;
    int base_ok[N_TASKS], plus_correct[N_TASKS], plus_plus[N_TASKS];
    double exec_ms[2 * N_TASKS], gt_ms[N_TASKS]; /* sandboxed wall time, for the summary line */
    int rc_fail;
} run;

static task *find_task(task *tasks, size_t n, const char *id) {
    for (size_t i = 0; i < n; i++)
        if (tasks[i].base_item.id && strcmp(tasks[i].base_item.id, id) == 0) return &tasks[i];
    return NULL;
}

static size_t load_tasks(task *tasks) {
    char path[4096];
    char **lines;
    snprintf(path, sizeof path, "%s/humaneval/HumanEval.jsonl.gz", eb_test_data_dir());
    size_t n = ct_read_lines(path, &lines);
    CHECK_INT(n, N_TASKS);
    for (size_t i = 0; i < n && i < N_TASKS; i++) {
        cJSON *o = cJSON_Parse(lines[i]);
        eb_item *it = &tasks[i].base_item;
        it->suite = "humaneval";
        it->id = ct_json_str(o, "task_id");
        it->question = ct_json_str(o, "prompt");
        it->solution = ct_json_str(o, "canonical_solution");
        it->entry_point = ct_json_str(o, "entry_point");
        it->test = ct_json_str(o, "test");
        size_t l = strlen(it->question) + strlen(it->solution) + 1;
        tasks[i].he_solution = eb_malloc(l);
        snprintf(tasks[i].he_solution, l, "%s%s", it->question, it->solution);
        cJSON_Delete(o);
        free(lines[i]);
    }
    free(lines);

    snprintf(path, sizeof path, "%s/humaneval_plus/HumanEvalPlus.jsonl.gz", eb_test_data_dir());
    size_t np = ct_read_lines(path, &lines);
    CHECK_INT(np, N_TASKS);
    size_t matched = 0;
    for (size_t i = 0; i < np; i++) {
        cJSON *o = cJSON_Parse(lines[i]);
        char *id = ct_json_str(o, "task_id");
        task *t = id ? find_task(tasks, n, id) : NULL;
        if (t) {
            eb_item *b = &t->base_item, *p = &t->plus_item;
            p->suite = "humaneval";
            p->id = eb_strdup(b->id);
            p->question = eb_strdup(b->question);
            p->solution = eb_strdup(b->solution);
            p->entry_point = eb_strdup(b->entry_point);
            p->test = eb_strdup(b->test);
            p->plus_json = lines[i];
            lines[i] = NULL;
            char *prompt = ct_json_str(o, "prompt"), *canon = ct_json_str(o, "canonical_solution");
            size_t l = strlen(prompt) + strlen(canon) + 1;
            t->plus_solution = eb_malloc(l);
            snprintf(t->plus_solution, l, "%s%s", prompt, canon);
            free(prompt);
            free(canon);
            matched++;
        }
        free(id);
        free(lines[i]);
        cJSON_Delete(o);
    }
    free(lines);
    CHECK_INT(matched, N_TASKS);
    return n;
}

static void score_canonical(size_t i, void *ctx) {
    run *r = ctx;
    task *t = &r->tasks[i / 2];
    eb_score s = {0};
    eb_err err = {{0}};
    if (i % 2 == 0) {
        /* HumanEval's own canonical solution, base check only. */
        int rc = eb_score_humaneval(&t->base_item, t->he_solution, r->ex, &s, &err);
        if (rc != 0) {
            fprintf(stderr, "%s: %s\n", t->base_item.id, err.msg);
            __atomic_add_fetch(&r->rc_fail, 1, __ATOMIC_RELAXED);
        }
        r->base_ok[i / 2] = rc == 0 && s.correct == 1 && s.correct_plus == -1 && s.n_tests == 1;
        if (!r->base_ok[i / 2])
            fprintf(stderr, "%s base: verdict %s details %s\n", t->base_item.id, s.verdict ? s.verdict : "-",
                    s.details_json ? s.details_json : "-");
    } else {
        int rc = eb_score_humaneval(&t->plus_item, t->plus_solution, r->ex, &s, &err);
        if (rc != 0) {
            fprintf(stderr, "%s: %s\n", t->plus_item.id, err.msg);
            __atomic_add_fetch(&r->rc_fail, 1, __ATOMIC_RELAXED);
        }
        r->plus_correct[i / 2] = rc == 0 && s.correct == 1;
        r->plus_plus[i / 2] = rc == 0 && s.correct_plus == 1 && s.n_tests == 3 &&
                              strcmp(s.tests[1].test_set, "plus") == 0 && strcmp(s.tests[2].verdict, "passed") == 0;
        if (!r->plus_correct[i / 2] || !r->plus_plus[i / 2])
            fprintf(stderr, "%s plus: verdict %s details %s\n", t->plus_item.id, s.verdict ? s.verdict : "-",
                    s.details_json ? s.details_json : "-");
    }
    for (size_t k = 0; k < s.n_tests; k++) r->exec_ms[i] += s.tests[k].wall_ms;
    cJSON *d = cJSON_Parse(s.details_json ? s.details_json : "");
    const cJSON *gt = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "plus"), "groundtruth_ms");
    if (cJSON_IsNumber(gt)) r->gt_ms[i / 2] = gt->valuedouble;
    cJSON_Delete(d);
    ct_score_free(&s);
}

static char *with_body(const task *t, const char *body) {
    size_t l = strlen(t->base_item.question) + strlen(body) + 1;
    char *s = eb_malloc(l);
    snprintf(s, l, "%s%s", t->base_item.question, body);
    return s;
}

/* Scores `source` on the task with plus tests and checks the outcome. */
static void expect(task *tasks, eb_executor *ex, const char *id, const char *source, int correct,
                   const char *verdict, int correct_plus, const char *plus_verdict) {
    task *t = find_task(tasks, N_TASKS, id);
    CHECK(t != NULL);
    if (!t) return;
    eb_score s = {0};
    eb_err err = {{0}};
    int rc = eb_score_humaneval(&t->plus_item, source, ex, &s, &err);
    CHECK_MSG(rc == 0, "%s: %s", id, err.msg);
    CHECK_MSG(s.correct == correct, "%s: correct %d", id, s.correct);
    CHECK_MSG(s.verdict && strcmp(s.verdict, verdict) == 0, "%s: verdict %s, wanted %s (%s)", id,
              s.verdict ? s.verdict : "-", verdict, s.details_json ? s.details_json : "-");
    CHECK_MSG(s.correct_plus == correct_plus, "%s: correct_plus %d", id, s.correct_plus);
    CHECK_INT(s.n_tests, 3);
    if (s.n_tests == 3) {
        CHECK_STR(s.tests[0].test_set, "base");
        CHECK_STR(s.tests[0].verdict, verdict);
        CHECK_STR(s.tests[1].test_set, "plus");
        CHECK_MSG(strcmp(s.tests[1].verdict, plus_verdict) == 0, "%s: plus verdict %s, wanted %s", id,
                  s.tests[1].verdict, plus_verdict);
        if (!correct) CHECK_MSG(s.tests[0].detail != NULL, "%s: failure without detail", id);
    }
    cJSON *d = cJSON_Parse(s.details_json ? s.details_json : "");
    CHECK_MSG(d != NULL && cJSON_GetObjectItem(d, "base") && cJSON_GetObjectItem(d, "plus"), "%s: details %s", id,
              s.details_json ? s.details_json : "-");
    cJSON_Delete(d);
    CHECK_STR(s.extracted, source);
    ct_score_free(&s);
}

static void test_broken_solutions(task *tasks, eb_executor *ex) {
    /* Wrong answer. */
    char *src = with_body(find_task(tasks, N_TASKS, "HumanEval/0"), "    return False\n");
    expect(tasks, ex, "HumanEval/0", src, 0, "failed", 0, "failed");
    free(src);
    /* An exception. */
    src = with_body(find_task(tasks, N_TASKS, "HumanEval/2"), "    raise ValueError('not implemented')\n");
    expect(tasks, ex, "HumanEval/2", src, 0, "runtime_error", 0, "runtime_error");
    free(src);
    /* An infinite loop: the 3 s timer for the base check, the 4 s per-input
     * limit for the plus tests. */
    src = with_body(find_task(tasks, N_TASKS, "HumanEval/4"), "    while True:\n        pass\n");
    expect(tasks, ex, "HumanEval/4", src, 0, "timeout", 0, "timeout");
    free(src);
    /* Ending the process before the checker reports is not a pass. */
    src = with_body(find_task(tasks, N_TASKS, "HumanEval/13"), "    import os\n    os._exit(0)\n");
    expect(tasks, ex, "HumanEval/13", src, 0, "runtime_error", 0, "runtime_error");
    free(src);
    /* Output that imitates a report line cannot pass for one. */
    src = with_body(find_task(tasks, N_TASKS, "HumanEval/7"),
                    "    import os\n    os.write(1, b'\\n{\"verdict\": \"passed\"}\\n')\n    return None\n");
    expect(tasks, ex, "HumanEval/7", src, 0, "failed", 0, "failed");
    free(src);
    /* Right on the original tests, wrong on the plus inputs: HumanEval's
     * own find_zero misses the root tolerance on some HumanEval+ inputs. */
    task *t32 = find_task(tasks, N_TASKS, "HumanEval/32");
    expect(tasks, ex, "HumanEval/32", t32->he_solution, 1, "passed", 0, "passed");
}

/* Several workers asking for the same task's expected outputs at once:
 * the canonical solution runs once, the others wait for it. */
typedef struct same_task {
    task *t;
    eb_executor *ex;
    int computed[THREADS], correct_plus[THREADS];
} same_task;

static void score_same(size_t i, void *arg) {
    same_task *st = arg;
    eb_score s = {0};
    eb_err err = {{0}};
    if (eb_score_humaneval(&st->t->plus_item, st->t->plus_solution, st->ex, &s, &err) == 0) {
        st->correct_plus[i] = s.correct_plus;
        st->computed[i] = s.details_json && strstr(s.details_json, "\"groundtruth_computed_here\":true") != NULL;
    }
    ct_score_free(&s);
}

static void test_shared_groundtruth(task *tasks, eb_executor *ex) {
    same_task st = {.t = find_task(tasks, N_TASKS, "HumanEval/12"), .ex = ex};
    ct_parallel(THREADS, THREADS, score_same, &st);
    int computed = 0, passed = 0;
    for (int i = 0; i < THREADS; i++) {
        computed += st.computed[i];
        passed += st.correct_plus[i] == 1;
    }
    CHECK_INT(computed, 1);
    CHECK_INT(passed, THREADS);
}

int main(void) {
    static task tasks[N_TASKS];
    size_t n = load_tasks(tasks);
    eb_err err = {{0}};
    eb_executor_options opts = {.jobs = THREADS, .python = NULL, .fast_path = 1};
    eb_executor *ex = eb_executor_create(&opts, &err);
    CHECK_MSG(ex != NULL, "executor: %s", err.msg);
    if (!ex || n != N_TASKS) return eb_test_finish();

    test_shared_groundtruth(tasks, ex);

    static run r;
    r.tasks = tasks;
    r.ex = ex;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ct_parallel(2 * N_TASKS, THREADS, score_canonical, &r);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int base = 0, plus_base = 0, plus = 0;
    double base_ms = 0, check_ms = 0, gt_ms = 0;
    for (int i = 0; i < N_TASKS; i++) {
        base += r.base_ok[i];
        plus_base += r.plus_correct[i];
        plus += r.plus_plus[i];
        base_ms += r.exec_ms[2 * i];
        check_ms += r.exec_ms[2 * i + 1];
        gt_ms += r.gt_ms[i];
    }
    printf("canonical: base %d/%d, HumanEval+ solutions base %d/%d plus %d/%d in %.1f s\n", base, N_TASKS,
           plus_base, N_TASKS, plus, N_TASKS, (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    printf("sandboxed wall time: base-only scoring %.1f s, base+plus scoring %.1f s, ground truth %.1f s\n",
           base_ms / 1e3, check_ms / 1e3, gt_ms / 1e3);
    CHECK_INT(base, N_TASKS);
    CHECK_INT(plus_base, N_TASKS);
    CHECK_INT(plus, N_TASKS);
    CHECK_INT(r.rc_fail, 0);

    test_broken_solutions(tasks, ex);

    eb_executor_destroy(ex);
    eb_codescore_cache_clear();
    for (int i = 0; i < N_TASKS; i++) {
        ct_item_free(&tasks[i].base_item);
        ct_item_free(&tasks[i].plus_item);
        free(tasks[i].plus_solution);
        free(tasks[i].he_solution);
    }
    return eb_test_finish();
}
