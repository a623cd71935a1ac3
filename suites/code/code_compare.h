/* Output comparison for LiveCodeBench standard-input problems.
 *
 * The official rule (the upstream grader's): strip the whole output, split
 * it on "\n", strip every line; the line counts must be equal and each line
 * must be identical or, failing that, both lines must split on whitespace
 * into tokens that all read as decimal numbers (Python's Decimal(str)) and
 * compare equal one by one.  "Strip" and "whitespace" follow Python's
 * str.strip()/str.split(), which include the Unicode spaces.
 *
 * The tolerant rule, recorded beside the official verdict and never mixed
 * into it: the same lines, but token by token, where two numeric tokens also
 * match when they differ by at most 1e-6 absolutely or relatively.  It
 * accepts everything the official rule accepts. */
#ifndef EB_CODE_COMPARE_H
#define EB_CODE_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

/* Compares `got` (program output) with `expected`.  When they differ and
 * `why` is non-NULL, a one-line reason ("line 2: got '3' expected '4'") is
 * written to it. */
bool eb_lcb_output_matches(const char *got, size_t got_len, const char *expected, size_t expected_len,
                           bool tolerant, char *why, size_t why_size);

/* Decimal(a) == Decimal(b) for two tokens, as Python decides it; false when
 * either is not a decimal number (*numeric tells which case it was). */
bool eb_lcb_decimal_equal(const char *a, size_t an, const char *b, size_t bn, bool *numeric);

#endif
