/* A loaded benchmark suite: its items, the dataset files they came from
 * (with sha256), and the operations the runner needs: build the request for
 * an item and score the response. */
#ifndef EB_SUITE_H
#define EB_SUITE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "item.h"
#include "score.h"

struct eb_executor;

typedef enum eb_prompt_style {
    EB_PROMPT_AUTO = 0,     /* the engine's default */
    EB_PROMPT_CHAT,         /* instruction in a chat turn, answer extracted from free text */
    EB_PROMPT_COMPLETION    /* raw base-model prompt (MMLU 5-shot, HumanEval completion) */
} eb_prompt_style;

typedef struct eb_suite_options {
    const char *data_dir;
    const char *mmlu_mode;     /* "generate" (default) or "loglik" */
    const char *math_set;      /* "math500" (default) or "full" */
    const char *lcb_release;   /* "v1".."v6", "release_v5", or NULL for everything present */
    const char *since;         /* LiveCodeBench contest_date window, YYYY-MM-DD, inclusive */
    const char *until;
    eb_prompt_style style;     /* resolved before building prompts */
    long limit;                /* at most this many items per suite (0: all) */
    int max_tokens;            /* 0: the suite's default */
} eb_suite_options;

typedef struct eb_dataset_file {
    char *path;                /* relative to the data directory */
    char sha256[65];
    size_t n_items;            /* items taken from it */
} eb_dataset_file;

typedef struct eb_suite {
    const char *name;          /* static: "mmlu", "humaneval", "math", "livecodebench" */
    eb_item *items;
    size_t n_items;
    eb_dataset_file *files;
    size_t n_files;
    char fingerprint[65];      /* sha256 over (path, sha256) of all files + options */
    char *options_desc;        /* e.g. "mode=generate" */
} eb_suite;

/* The four suite names, in report order. */
extern const char *const eb_suite_names[];
extern const size_t eb_n_suite_names;
bool eb_suite_is_known(const char *name);

int eb_suite_load(const char *name, const eb_suite_options *opt, eb_suite *out, eb_err *err);
void eb_suite_free(eb_suite *s);

/* What to send for one item. */
typedef struct eb_prompt {
    char *system;              /* may be NULL */
    char *prompt;
    bool chat;
    bool add_bos;
    char **stop;
    size_t n_stop;
    int max_tokens;
    char **continuations;      /* log-likelihood mode */
    size_t n_continuations;
} eb_prompt;

int eb_suite_build_prompt(const eb_suite *s, const eb_item *item, const eb_suite_options *opt, eb_prompt *out,
                          eb_err *err);
void eb_prompt_free(eb_prompt *p);

/* True when scoring runs code (needs an executor, and is slow: the runner
 * scores such items on worker threads). */
bool eb_suite_needs_executor(const eb_suite *s);

/* Scores one response.  text is the raw response (reasoning is stripped
 * here); logprobs are given for log-likelihood requests.  ex may be NULL for
 * suites that do not execute code. */
int eb_suite_score(const eb_suite *s, const eb_item *item, const eb_suite_options *opt, const char *text,
                   const double *logprobs, size_t n_logprobs, struct eb_executor *ex, eb_score *out, eb_err *err);

/* Internal: per-suite loaders (suites/<name>.c). */
int eb_mmlu_load(const eb_suite_options *opt, eb_suite *out, eb_err *err);
int eb_humaneval_load(const eb_suite_options *opt, eb_suite *out, eb_err *err);
int eb_math_load(const eb_suite_options *opt, eb_suite *out, eb_err *err);
int eb_lcb_load(const eb_suite_options *opt, eb_suite *out, eb_err *err);
/* Appends a dataset file (hashing it) and returns its index. */
int eb_suite_add_file(eb_suite *s, const char *data_dir, const char *rel_path, eb_err *err);
/* Appends an item (moved in) and returns a pointer to the stored copy. */
eb_item *eb_suite_push_item(eb_suite *s, size_t *cap);
/* The MMLU category group of a subject: STEM, humanities, social sciences, other. */
const char *eb_mmlu_category(const char *subject);

#endif
