/* The numbers behind `evalbench report`, loaded from the results database
 * once and then printed as markdown, JSON or CSV, so the three formats
 * always carry the same values.
 *
 * Shape: runs x columns.  A column is one suite at one dataset fingerprint
 * (run_suites.fingerprint); two runs of a suite with different fingerprints
 * land in different columns and are never averaged together.  HumanEval+
 * is a column of its own, computed from scores.correct_plus. */
#ifndef EB_REPORT_MODEL_H
#define EB_REPORT_MODEL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "stats.h"

/* Counts for one repetition (scores.run_index). */
typedef struct eb_rep_count {
    long n, correct, no_answer;
} eb_rep_count;

/* Accuracy over repetitions: the per-repetition accuracies, their mean and
 * sample standard deviation (NAN with fewer than two repetitions). */
typedef struct eb_acc_summary {
    int n_reps;          /* repetitions with at least one scored item */
    double *per_rep;     /* n_reps accuracies, in run_index order */
    int *rep_index;      /* run_index of each entry of per_rep */
    double mean, std;
} eb_acc_summary;

/* One breakdown group: an MMLU subject or category group, a MATH level or
 * subject, a LiveCodeBench difficulty or platform. */
typedef struct eb_rgroup {
    char *name;
    eb_rep_count *reps;  /* indexed by run_index, cap_reps long */
    int cap_reps;
    long n_items;        /* largest per-repetition count: the items in the group */
    eb_acc_summary acc;
} eb_rgroup;

/* One suite of one run, for one score kind (official or the "plus" tests). */
typedef struct eb_rcell {
    bool present;        /* any scored rows */
    eb_rep_count *reps;
    int cap_reps;
    long rows, no_answer;
    long n_items;        /* distinct items scored */
    long expected_items; /* run_suites.n_items, -1 when unknown */
    bool complete;       /* every expected item scored n_runs times */
    eb_acc_summary acc;
    eb_interval wilson95;        /* Wilson interval of acc.mean over n_items */
    eb_rgroup *subjects, *categories;
    size_t n_subjects, n_categories;
    eb_acc_summary macro;        /* mean over subjects, per repetition */
    /* per item (n samples, c correct), for pass@k */
    long *item_n, *item_c;
    size_t n_item_counts, cap_item_counts;
    int max_k;                   /* pass@k reported for k = 1..max_k (0: none) */
    double *pass_at_k;           /* max_k values, index k-1 */
} eb_rcell;

typedef struct eb_rsuite {
    char *suite;
    char *fingerprint;   /* NULL when the run has no run_suites row for it */
    char *options;
    long expected_items;
    eb_rcell base, plus; /* plus: scores.correct_plus (HumanEval+) */
    int col_base, col_plus;  /* column indexes, -1 when none */
    /* tokens over every score row of the suite; cost only of the responses
     * this run sent (rows_reused: answered from another run's responses) */
    double tokens_in, tokens_out, cost_usd;
    long rows_tokens_in, rows_tokens_out, rows_cost, rows_reused;
} eb_rsuite;

typedef struct eb_rrun {
    int64_t run_id;
    char *model, *engine, *engine_version, *quantization, *suites_text, *status, *started_at, *finished_at;
    char *host, *params_json;
    int n_runs;
    double temperature;
    bool partial;            /* finished_at is NULL, or a suite is incomplete */
    double price_in_per_mtok, price_out_per_mtok;  /* from params_json when given; NAN otherwise */
    eb_rsuite *suites;
    size_t n_suites;
    double tokens_in, tokens_out, cost_usd;
    long rows, rows_tokens_in, rows_tokens_out, rows_cost, rows_reused;
} eb_rrun;

typedef struct eb_rcolumn {
    char *key;           /* "math", "math@1a2b3c4d", "humaneval+" ... unique */
    char *suite;         /* the stored suite name */
    bool plus;
    char *fingerprint;   /* NULL: unknown */
    char *options;
    char *label;         /* "MATH", or "MATH (set=full) [1a2b3c4d]" when split */
    bool split;          /* the suite appears with more than one fingerprint */
    bool code;           /* pass@k applies */
} eb_rcolumn;

typedef struct eb_report {
    char *db_path;
    eb_rrun *runs;
    size_t n_runs;
    eb_rcolumn *cols;
    size_t n_cols;
} eb_report;

/* Loads runs (all, or the given ids in that order) and every aggregate.
 * Returns 0, -1 on a database error, or EB_REPORT_NO_RUN (err names it)
 * when a requested run does not exist. */
#define EB_REPORT_NO_RUN (-2)
int eb_report_load(sqlite3 *db, const char *db_path, const int64_t *ids, size_t n_ids, eb_report *out,
                   eb_err *err);
void eb_report_free(eb_report *r);

/* The cell of run r for column c, or NULL when the run lacks that suite. */
const eb_rcell *eb_report_cell(const eb_rrun *r, size_t col, const eb_rsuite **suite_out);

/* Human name of a stored suite name ("mmlu" -> "MMLU"); plus adds "+". */
const char *eb_suite_display(const char *suite, bool plus, char *buf, size_t size);
/* Names of the two breakdown axes for a suite: items.category and items.subject. */
const char *eb_suite_category_axis(const char *suite);
const char *eb_suite_subject_axis(const char *suite);
bool eb_suite_is_code(const char *suite);

#endif
