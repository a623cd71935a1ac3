/* Getting the program out of a model's response to a coding task. */
#ifndef EB_EXTRACT_CODE_BLOCK_H
#define EB_EXTRACT_CODE_BLOCK_H

#include <stddef.h>

/* Chat style: returns a new string with the contents of one fenced block.
 * A fence is a line whose first non-blank characters are ``` (three or more
 * backticks); the text after the opening backticks is the block's language
 * tag.  Blocks pair up in order; an opening fence with no closing fence runs
 * to the end of the text (a response cut off by the token limit).
 * Which block: with a language hint (e.g. "python"), the LAST block tagged
 * with that language or one of its aliases (python: py, python3, py3; case
 * ignored); if there is none, the last untagged block; if there is none, the
 * last block of any language.  Without a hint (NULL or ""), the last block.
 * With no fence at all, the whole text without its leading blank lines and
 * trailing whitespace, the first line's indentation kept (a model that
 * answers with a bare function body still gets graded).  A single fence
 * with nothing after it closes the code before it ("    return x\n```").
 * NULL input gives NULL. */
char *eb_extract_code_block(const char *text, const char *language_hint);

/* Completion style: returns a new string with `text` cut at the earliest
 * occurrence of any of the `n` stop sequences (the stop itself is removed).
 * Empty or NULL stops are ignored.  NULL text gives NULL. */
char *eb_truncate_at_stops(const char *text, const char *const *stops, size_t n);

/* The HumanEval stop sequences of the Codex paper and human-eval
 * ("\nclass", "\ndef", "\n#", "\nif", "\nprint"); a NULL-free array of
 * EB_HUMANEVAL_N_STOPS entries. */
#define EB_HUMANEVAL_N_STOPS 5
extern const char *const eb_humaneval_stops[EB_HUMANEVAL_N_STOPS];

#endif
