/* Machinery shared by the code scorers: running a driver in the sandbox,
 * finding its report lines, turning sandbox statuses into verdicts, and
 * collecting per-test outcomes. */
#ifndef EB_CODE_RUN_H
#define EB_CODE_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "executor.h"
#include "score.h"

/* A random 32-hex-digit tag that marks the driver's report lines, so that
 * nothing a solution prints can pass for one. */
void eb_code_nonce(char out[33]);

char *eb_code_base64(const void *data, size_t n);

/* Finds the next report line "<nonce> <text>\n" in data starting at *pos;
 * returns the text (not NUL-terminated) and its length, or NULL at the end.
 * Report lines always start a line. */
const char *eb_code_next_report(const char *data, size_t len, const char *nonce, size_t *pos, size_t *text_len);

/* The verdict for a run that ended without the driver reporting. */
const char *eb_code_status_verdict(eb_exec_status s);
/* A short description of how the run ended (detail, signal, stderr tail). */
void eb_code_status_detail(const eb_exec_result *r, char *out, size_t size);

/* Maps a verdict word written by a driver to the static verdict string;
 * unknown words map to "internal_error". */
const char *eb_code_verdict(const char *word, size_t n);

typedef struct eb_outcomes {
    eb_test_outcome *v;
    size_t n, cap;
} eb_outcomes;

/* Appends an outcome (detail copied when non-NULL). */
eb_test_outcome *eb_outcomes_add(eb_outcomes *o, const char *test_set, int index, const char *verdict,
                                 const char *detail);

#endif
