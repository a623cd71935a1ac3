/* Execution scoring of the code suites: HumanEval (with HumanEval+) and
 * LiveCodeBench.  Every program runs in the sandbox through eb_executor; the
 * rules followed, and where they differ from the reference harnesses, are in
 * docs/SCORING.md.
 *
 * All functions are thread-safe: the runner calls them from several workers
 * at once.  `out` must be zero-initialised, except that `out->extracted` may
 * already hold the extracted code (it is filled with the scored source when
 * NULL).  On success the functions fill correct, correct_plus, verdict,
 * details_json and tests, and return 0 whatever the verdict.  They return -1
 * with `err` set when the item is unusable or the sandbox itself failed; the
 * fields are then still filled as far as scoring got (verdict
 * "internal_error"), and eb_score_clear releases them. */
#ifndef EB_CODE_SCORE_H
#define EB_CODE_SCORE_H

#include "error.h"
#include "executor.h"
#include "passk.h"
#include "item.h"
#include "score.h"

/* Time limits of the reference harnesses (seconds). */
#define EB_HUMANEVAL_TIMEOUT_S 3.0       /* human-eval's per-program limit */
#define EB_EVALPLUS_MIN_TIME_LIMIT_S 4.0 /* per input, floor */
#define EB_EVALPLUS_GT_TIME_FACTOR 4.0   /* per input, x canonical runtime */
#define EB_EVALPLUS_TASK_TIMEOUT_S 60.0  /* per input set, cap */
#define EB_LCB_TIMEOUT_S 6.0             /* per test */

/* HumanEval.  `solution_source` is the complete solution: prompt +
 * completion for completion-style models, the extracted code block for chat
 * models.  The program solution + "\n" + test + "\ncheck(<entry_point>)\n"
 * decides out->correct (tests[0], set "base").  When item->plus_json holds
 * the HumanEval+ record, the solution is also tested differentially on its
 * base_input and plus_input against the canonical solution's outputs
 * (computed once per task in the sandbox and cached), and out->correct_plus
 * is 1 when both input sets pass (tests set "plus": 0 = base_input,
 * 1 = plus_input); otherwise correct_plus is -1. */
int eb_score_humaneval(const eb_item *item, const char *solution_source, eb_executor *ex, eb_score *out,
                       eb_err *err);

/* LiveCodeBench.  item->func_name set: functional (LeetCode) tests that call
 * Solution().<func_name>(*args); otherwise standard input/output tests, one
 * sandboxed run per test.  Tests run in item order; each gets an outcome in
 * set "public" or "private" with its index within that set.  out->correct is
 * 1 when every test passes under the upstream grader's exact rules; a
 * float-tolerant verdict is recorded only in details_json ("tolerant"). */
int eb_score_livecodebench(const eb_item *item, const char *code, eb_executor *ex, eb_score *out, eb_err *err);

/* pass@k: eb_pass_at_k in common/passk.h. */

/* Drops the cached HumanEval+ expected outputs (tens of MB for the full
 * set).  Only call it while no scoring is in progress. */
void eb_codescore_cache_clear(void);

#endif
