/* The numbers behind `evalbench compare RUN_A RUN_B`: for every suite both
 * runs scored on the same dataset fingerprint, the items scored by both, the
 * accuracy of each run, the difference B - A with a paired bootstrap
 * interval, the exact McNemar test on item-level majority correctness, and
 * the items that flipped. */
#ifndef EB_COMPARE_MODEL_H
#define EB_COMPARE_MODEL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "stats.h"

typedef struct eb_cmp_run {
    int64_t run_id;
    char *model, *engine, *quantization, *status, *finished_at;
    int n_runs;
    double temperature;
} eb_cmp_run;

typedef struct eb_cmp_item {
    char *item_id, *gold;
    int n_a, c_a, n_b, c_b;         /* repetitions scored and correct */
    double score_a, score_b;        /* c / n */
    bool major_a, major_b;          /* correct in more than half of the repetitions */
    char *answers_a, *answers_b;    /* per repetition, " | "-separated */
} eb_cmp_item;

typedef struct eb_cmp_suite {
    char *suite;
    bool plus;                      /* HumanEval+: scores.correct_plus */
    char *fingerprint, *options;
    eb_cmp_item *items;             /* items scored by both runs, in item order */
    size_t n_items;
    long only_a, only_b;            /* items scored by one run only (left out) */
    double acc_a, acc_b, diff;      /* diff = acc_b - acc_a */
    eb_interval wilson_a, wilson_b; /* 95% */
    eb_interval diff_ci;            /* 95% paired bootstrap percentile interval */
    long both_right, both_wrong, a_only_right, b_only_right; /* majority contingency */
    double mcnemar_p;
} eb_cmp_suite;

typedef struct eb_cmp_skip {
    char *suite, *reason;
} eb_cmp_skip;

typedef struct eb_compare {
    char *db_path;
    eb_cmp_run a, b;
    eb_cmp_suite *suites;
    size_t n_suites;
    eb_cmp_skip *skipped;           /* common suites not compared (fingerprints differ) */
    size_t n_skipped;
    int resamples;
    uint64_t seed;
} eb_compare;

typedef struct eb_compare_options {
    const char *suite;              /* NULL: every common suite; "humaneval+" selects the plus scores */
    int resamples;
    uint64_t seed;
} eb_compare_options;

/* Return codes besides 0 and -1 (database error). */
#define EB_COMPARE_NO_RUN (-2)      /* a run id does not exist */
#define EB_COMPARE_REFUSED (-3)     /* nothing comparable: suite missing or fingerprints differ */

int eb_compare_load(sqlite3 *db, const char *db_path, int64_t run_a, int64_t run_b, const eb_compare_options *opt,
                    eb_compare *out, eb_err *err);
void eb_compare_free(eb_compare *c);

char *eb_compare_markdown(const eb_compare *c);
char *eb_compare_json(const eb_compare *c);

#endif
