/* One benchmark item, as loaded from the dataset files.  A single struct
 * serves the four suites; fields a suite does not use stay NULL. */
#ifndef EB_ITEM_H
#define EB_ITEM_H

#include <stdbool.h>
#include <stddef.h>

/* Multiple-choice items have at most ten options (A-J). */
#define EB_MAX_CHOICES 10

typedef struct eb_test_case {
    char *input;      /* stdin text, or newline-separated JSON arguments (functional) */
    char *output;     /* expected stdout, or the JSON of the expected return value */
    bool functional;  /* LeetCode-style call of Solution().<func_name>(...) */
    bool is_private;  /* hidden test (official LiveCodeBench release only) */
} eb_test_case;

typedef struct eb_item {
    const char *suite;     /* "mmlu", "humaneval", "math", "livecodebench" (static string) */
    char *id;              /* stable id: "abstract_algebra/17", "HumanEval/0", "test/algebra/1.json", "abc365_b" */
    char *source_file;     /* dataset file, relative to the data directory */
    char *dataset_sha256;  /* sha256 of the raw bytes of source_file */
    char *subject;         /* MMLU subject, MATH subject, LiveCodeBench platform */
    char *category;        /* MMLU category group, MATH "Level N", LiveCodeBench difficulty */

    char *question;        /* MMLU question, MATH problem, HumanEval prompt, LCB question_content */
    char *choices[EB_MAX_CHOICES]; /* multiple-choice options A, B, ... */
    size_t n_choices;      /* how many of them (4 for MMLU); the letter set follows it */
    char *answer;          /* gold: MMLU letter, MATH final answer */
    char *solution;        /* MATH worked solution, HumanEval canonical_solution */
    char *context;         /* few-shot prefix (MMLU loglik mode), or NULL */

    /* HumanEval / HumanEval+ */
    char *entry_point;
    char *test;            /* the original `check` test code */
    char *plus_json;       /* HumanEval+ record (JSON text: base_input, plus_input, atol), or NULL */

    /* LiveCodeBench */
    char *starter_code;
    char *func_name;       /* metadata.func_name for functional problems */
    char *contest_date;    /* "2024-08-03T00:00:00" */
    eb_test_case *tests;
    size_t n_tests;
} eb_item;

void eb_item_free(eb_item *item);

#endif
