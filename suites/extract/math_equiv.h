/* Whether two MATH answers are the same answer. */
#ifndef EB_EXTRACT_MATH_EQUIV_H
#define EB_EXTRACT_MATH_EQUIV_H

#include <stdbool.h>

/* Normalizes both (eb_math_normalize) and compares, in order:
 *   1. the normalized strings;
 *   2. structure: matrices cell by cell; unions (\cup) as unordered parts;
 *      tuples and intervals element by element, with the same brackets;
 *      sets \{...\} and bare comma lists ("1, 2", a list of solutions) as
 *      unordered multisets, where "a \pm b" stands for the two values; a
 *      column vector as the tuple of its entries; every item is normalized
 *      on its own first ("x = 1, x = -2" reads as "1,-2");
 *   3. single values: equations (one '=' on each side) when left minus
 *      right agree up to a non-zero constant factor; words ignoring case, "(C)" as "C", mixed numbers
 *      "2\frac{1}{2}" as 5/2; then, when both parse as expressions, exact
 *      rational arithmetic when both are rational (an overflow there means
 *      "not equal"), else complex floating point at four assignments of
 *      the variables with a relative tolerance of 1e-9.
 *   4. when only one side carries a percent sign, that side divided by 100
 *      ("50\%" matches both 50, as in the anchors, and 0.5).
 * NULL on either side is never equivalent.  Never fails on any input;
 * inputs longer than EB_MATH_MAX_ANSWER are compared as trimmed text, and
 * a check that needs more than 20,000 structural comparisons (hostile
 * nested lists) answers "not equivalent". */
bool eb_math_equiv(const char *a, const char *b);

#endif
