/* A small parser for the LaTeX of a single MATH answer (one number or
 * expression, no lists), and two evaluators: exact rational arithmetic,
 * and complex floating point at chosen values of the variables. */
#ifndef EB_EXTRACT_MATH_EXPR_H
#define EB_EXTRACT_MATH_EXPR_H

#include <complex.h>
#include <stdbool.h>

#include "math_rational.h"

typedef struct eb_expr eb_expr;

/* Parses a normalized answer (no spaces).  NULL when the text is not an
 * expression this parser understands (words, \infty, subscripts, ...). */
eb_expr *eb_expr_parse(const char *s);
void eb_expr_free(eb_expr *e);

typedef enum {
    EB_RAT_OK,
    EB_RAT_NOT_RATIONAL, /* contains variables, \pi, i, roots or functions */
    EB_RAT_OVERFLOW,     /* rational, but beyond 128-bit numerators */
    EB_RAT_UNDEFINED,    /* division by zero, 0^-1 */
} eb_rat_status;

eb_rat_status eb_expr_rational(const eb_expr *e, eb_rat *out);

/* The value with every variable set from `point` (0, 1, 2, ...): the same
 * variable name gets the same value within one point. */
double complex eb_expr_eval(const eb_expr *e, int point);

/* Whether the expression contains any variable. */
bool eb_expr_has_vars(const eb_expr *e);

#endif
