/* Consistency of the MATH scorer with the real datasets:
 *   - MATH-500: every `answer` field is equivalent to the last boxed answer
 *     of its `solution` (in our copy the two are the same text, so this
 *     guards extraction), and answers of different problems are equivalent
 *     only when they are the same value (checks for false positives over
 *     all 124,750 pairs);
 *   - all 5,000 test problems: the gold boxed answer, phrased as a model
 *     would ("The answer is $\boxed{...}$."), is extracted back unchanged
 *     and is equivalent to itself, before and after normalization;
 *     normalization is idempotent on it; and it stays equivalent under six
 *     rewrites models commonly make (\dfrac, no \left and \right, spacing,
 *     \( \) delimiters). */
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fileio.h"
#include "jsonutil.h"
#include "math_answer.h"
#include "math_equiv.h"
#include "math_normalize.h"
#include "strutil.h"
#include "test_util.h"

typedef struct counts {
    int rows, mismatches, missing, variant_failures, not_idempotent;
} counts;

typedef struct answers {
    char *v[600];
    int n;
} answers;

static int collect(const cJSON *obj, eb_jloc loc, void *ctx, eb_err *err) {
    answers *a = ctx;
    const char *answer = eb_json_str(obj, "answer", loc, err);
    if (!answer) return -1;
    if (a->n < 600) a->v[a->n++] = eb_strdup(answer);
    return 0;
}

/* Different problems' answers must not be judged equivalent unless they
 * normalize to the same text, or are the same list of solutions in
 * another order (the one such pair in MATH-500: "1,-2" and "-2,1"). */
static void check_cross_problem(void) {
    answers a = {0};
    char *path = eb_path_join(eb_test_data_dir(), "math/math500_test.jsonl");
    char *text = NULL;
    size_t len = 0;
    eb_err err = {{0}};
    CHECK_MSG(eb_read_file(path, &text, &len, &err) == 0, "%s", err.msg);
    if (text) CHECK_MSG(eb_jsonl_each(path, text, len, collect, &a, &err) == 0, "%s", err.msg);
    char *norm[600];
    for (int i = 0; i < a.n; i++) norm[i] = eb_math_normalize(a.v[i]);
    int equivalent = 0, unexplained = 0;
    for (int i = 0; i < a.n; i++) {
        for (int j = i + 1; j < a.n; j++) {
            if (!eb_math_equiv(a.v[i], a.v[j])) continue;
            equivalent++;
            bool reordered = (strcmp(norm[i], "1,-2") == 0 && strcmp(norm[j], "-2,1") == 0) ||
                             (strcmp(norm[i], "-2,1") == 0 && strcmp(norm[j], "1,-2") == 0);
            if (strcmp(norm[i], norm[j]) != 0 && !reordered) {
                unexplained++;
                fprintf(stderr, "unexpected equivalence: [%s] ~ [%s]\n", a.v[i], a.v[j]);
            }
        }
    }
    printf("MATH-500 cross-problem: %d pairs of problems with equivalent answers, %d unexplained\n", equivalent,
           unexplained);
    CHECK_INT(a.n, 500);
    CHECK(equivalent > 0);
    CHECK_INT(unexplained, 0);
    for (int i = 0; i < a.n; i++) {
        free(a.v[i]);
        free(norm[i]);
    }
    free(text);
    free(path);
}

static int check_math500(const cJSON *obj, eb_jloc loc, void *ctx, eb_err *err) {
    counts *c = ctx;
    const char *answer = eb_json_str(obj, "answer", loc, err);
    const char *solution = eb_json_str(obj, "solution", loc, err);
    if (!answer || !solution) return -1;
    c->rows++;
    char *boxed = eb_math_last_boxed(solution);
    if (!boxed) {
        c->missing++;
        fprintf(stderr, "%s:%ld: no boxed answer in solution\n", loc.file, loc.line);
    } else if (!eb_math_equiv(answer, boxed) || !eb_math_equiv(boxed, answer)) {
        c->mismatches++;
        char *na = eb_math_normalize(answer), *nb = eb_math_normalize(boxed);
        fprintf(stderr, "%s:%ld: answer [%s] -> [%s] vs boxed [%s] -> [%s]\n", loc.file, loc.line, answer, na,
                boxed, nb);
        free(na);
        free(nb);
    }
    free(boxed);
    return 0;
}

/* The answer with the spaces a model might leave out: all of them except
 * inside \text{} and after a backslash ("\ " is a command). */
static char *without_spaces(const char *s) {
    eb_buf b = {0};
    eb_buf_append(&b, "", 0);
    int text_depth = 0, depth = 0;
    for (size_t i = 0; s[i]; i++) {
        if (strncmp(s + i, "\\text{", 6) == 0 && text_depth == 0) text_depth = depth + 1;
        if (s[i] == '{') depth++;
        if (s[i] == '}' && --depth < text_depth) text_depth = 0;
        if (s[i] == ' ' && text_depth == 0 && i > 0 && s[i - 1] != '\\') continue;
        eb_buf_putc(&b, s[i]);
    }
    return eb_buf_take(&b);
}

static int check_roundtrip(const cJSON *obj, eb_jloc loc, void *ctx, eb_err *err) {
    counts *c = ctx;
    const char *solution = eb_json_str(obj, "solution", loc, err);
    if (!solution) return -1;
    c->rows++;
    char *gold = eb_math_last_boxed(solution);
    if (!gold) {
        c->missing++;
        fprintf(stderr, "%s:%ld: no boxed answer in solution\n", loc.file, loc.line);
        return 0;
    }
    eb_buf resp = {0};
    eb_buf_printf(&resp, "Let me work through this.\n\nThe answer is $\\boxed{%s}$.", gold);
    char *got = eb_math_extract_answer(eb_buf_str(&resp));
    char *norm = eb_math_normalize(gold);
    /* Ways a model writes the same answer differently. */
    static const char *const rewrites[][2] = {
        {"\\frac", "\\dfrac"}, {"\\left(", "("}, {"\\right)", ")"}, {",", ", "},
    };
    for (size_t k = 0; k < sizeof rewrites / sizeof rewrites[0]; k++) {
        char *variant = eb_replace_all(gold, rewrites[k][0], rewrites[k][1]);
        if (!eb_math_equiv(gold, variant) || !eb_math_equiv(variant, gold)) {
            c->variant_failures++;
            fprintf(stderr, "%s:%ld: gold [%s] vs rewritten [%s] not equivalent\n", loc.file, loc.line, gold,
                    variant);
        }
        free(variant);
    }
    char *compact = without_spaces(gold);
    if (!eb_math_equiv(gold, compact) || !eb_math_equiv(compact, gold)) {
        c->variant_failures++;
        fprintf(stderr, "%s:%ld: gold [%s] vs [%s] not equivalent\n", loc.file, loc.line, gold, compact);
    }
    free(compact);
    eb_buf wrapped = {0};
    eb_buf_printf(&wrapped, "\\(%s\\)", gold);
    if (!eb_math_equiv(gold, eb_buf_str(&wrapped))) {
        c->variant_failures++;
        fprintf(stderr, "%s:%ld: gold [%s] vs [%s] not equivalent\n", loc.file, loc.line, gold, eb_buf_str(&wrapped));
    }
    eb_buf_free(&wrapped);
    char *norm2 = eb_math_normalize(norm);
    if (strcmp(norm, norm2) != 0) {
        c->not_idempotent++;
        fprintf(stderr, "%s:%ld: normalizing [%s] twice: [%s] then [%s]\n", loc.file, loc.line, gold, norm, norm2);
    }
    free(norm2);
    bool ok = got && strcmp(got, gold) == 0 && eb_math_equiv(gold, got) && eb_math_equiv(gold, gold) &&
              eb_math_equiv(norm, gold) && eb_math_equiv(gold, norm) && eb_math_equiv(norm, norm);
    if (!ok) {
        c->mismatches++;
        fprintf(stderr, "%s:%ld: gold [%s] extracted [%s] normalized [%s] not equivalent\n", loc.file, loc.line,
                gold, got ? got : "(null)", norm);
    }
    free(norm);
    free(got);
    free(gold);
    eb_buf_free(&resp);
    return 0;
}

static void run_file(const char *name, eb_jsonl_cb cb, counts *c) {
    char *path = eb_path_join(eb_test_data_dir(), name);
    char *text = NULL;
    size_t len = 0;
    eb_err err = {{0}};
    int rc = eb_read_file(path, &text, &len, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc == 0) {
        rc = eb_jsonl_each(path, text, len, cb, c, &err);
        CHECK_MSG(rc == 0, "%s", err.msg);
    }
    free(text);
    free(path);
}

int main(void) {
    counts m500 = {0};
    run_file("math/math500_test.jsonl", check_math500, &m500);
    printf("MATH-500: %d rows, %d answer/boxed mismatches, %d without a boxed answer\n", m500.rows,
           m500.mismatches, m500.missing);
    CHECK_INT(m500.rows, 500);
    CHECK_INT(m500.missing, 0);
    CHECK_INT(m500.mismatches, 0);

    check_cross_problem();

    counts all = {0};
    run_file("math/math_test_5000.jsonl", check_roundtrip, &all);
    printf("MATH test 5000: %d rows, %d round-trip failures, %d without a boxed answer\n", all.rows,
           all.mismatches, all.missing);
    CHECK_INT(all.rows, 5000);
    CHECK_INT(all.missing, 0);
    CHECK_INT(all.mismatches, 0);
    printf("MATH test 5000: %d failures over 6 rewritten forms of each gold answer\n", all.variant_failures);
    CHECK_INT(all.variant_failures, 0);
    printf("MATH test 5000: %d gold answers whose normalization is not idempotent\n", all.not_idempotent);
    CHECK_INT(all.not_idempotent, 0);
    return eb_test_finish();
}
