/* Removal of a reasoning model's thinking text, so that answer extraction
 * only sees the final answer.  The raw response is stored separately by the
 * caller; this never changes what is kept in the database. */
#ifndef EB_EXTRACT_REASONING_H
#define EB_EXTRACT_REASONING_H

/* Returns a new string: `response` without
 *   - complete <think>...</think> blocks (any number, anywhere);
 *   - a leading block whose opening tag was part of the prompt: when a
 *     </think> appears with no <think> before it, everything up to and
 *     including the last such lone </think> is dropped;
 *   - an unterminated <think> block (output cut off while thinking):
 *     everything from it to the end is dropped;
 *   - Gemma 4 thinking channels <|channel>...<channel|> (the same three
 *     rules, with <|channel> / <channel|> as the markers);
 * then trimmed of surrounding whitespace.  NULL input gives NULL. */
char *eb_strip_reasoning(const char *response);

/* The same removal without the trim: for code, whose first line's
 * indentation is part of the program (a completion-style HumanEval answer
 * starts inside the function body). */
char *eb_remove_reasoning(const char *response);

#endif
