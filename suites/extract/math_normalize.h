/* Canonical text form of a MATH answer, before equivalence checking. */
#ifndef EB_EXTRACT_MATH_NORMALIZE_H
#define EB_EXTRACT_MATH_NORMALIZE_H

/* Answers longer than this are not normalized (returned trimmed): no MATH
 * answer comes close, and it bounds the work done on hostile input. */
#define EB_MATH_MAX_ANSWER 16384

/* Returns a new string: `ans` rewritten by the steps listed in
 * math_normalize.c (Hendrycks strip_string plus parts of Minerva's
 * normalize_final_answer).  The steps only ever map equal answers to equal
 * strings; deciding that different strings are equal is eb_math_equiv's
 * job.  NULL input gives NULL. */
char *eb_math_normalize(const char *ans);

#endif
