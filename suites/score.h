/* The outcome of scoring one response. */
#ifndef EB_SCORE_H
#define EB_SCORE_H

#include <stddef.h>

/* One executed test of a code problem (stored in the test_results table). */
typedef struct eb_test_outcome {
    const char *test_set;  /* static string: "base", "plus", "public", "private" */
    int index;
    const char *verdict;   /* static string: passed, failed, runtime_error, timeout, memory_limit,
                              output_limit, violation, internal_error, skipped */
    double cpu_ms;
    double wall_ms;
    long peak_kb;
    char *detail;          /* e.g. expected vs got, last traceback line; may be NULL */
} eb_test_outcome;

typedef struct eb_score {
    char *extracted;       /* answer letter / boxed answer / code, as extracted */
    char *normalized;      /* normalized answer (MMLU, MATH); NULL for code */
    int correct;           /* 1 or 0: the official score */
    int correct_plus;      /* HumanEval+ plus tests: 1/0; -1 when not applicable */
    char *verdict;         /* correct, wrong, no_answer, passed, failed, timeout, ... */
    char *details_json;    /* free-form JSON object with details; may be NULL */
    eb_test_outcome *tests;
    size_t n_tests;
} eb_score;

void eb_score_clear(eb_score *s);

#endif
