/* Finding the final answer in a MATH solution or model response. */
#ifndef EB_EXTRACT_MATH_ANSWER_H
#define EB_EXTRACT_MATH_ANSWER_H

/* Returns a new string with the contents of the last \boxed{...} or
 * \fbox{...} (whichever comes later), braces matched with nesting; for the
 * brace-less form "\boxed 5" the text after the space up to the next '$',
 * newline or end, trimmed.  NULL when there is none, or when the last one
 * is never closed (a response cut off inside its answer has no answer). */
char *eb_math_last_boxed(const char *text);

/* The answer of a response: the last boxed answer; failing that, the
 * fallbacks, in order:
 *   1. Minerva: "Final Answer: The final answer is X. I hope it is correct."
 *      (X up to the first ". I hope it is correct.");
 *   2. the last "final answer is X", else the last "answer is X", else the
 *      last "Answer: X" (X runs to the end of its line or sentence, ". ";
 *      a trailing period is dropped);
 *   3. the contents of the last inline math "$...$" (lm-eval minerva_math
 *      and the Hendrycks grader read answers written this way);
 * NULL when none of them is found.  The result is not normalized. */
char *eb_math_extract_answer(const char *text);

/* The same, and *how (when non-NULL) names the rule that found it: "boxed",
 * "minerva", "final answer is", "answer is", "answer:" or "last $...$"; a
 * score row records the fallbacks so an extraction audit can count them. */
char *eb_math_extract_answer_how(const char *text, const char **how);

#endif
