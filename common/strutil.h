/* Small string helpers used across modules. */
#ifndef EB_STRUTIL_H
#define EB_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>

bool eb_starts_with(const char *s, const char *prefix);
bool eb_ends_with(const char *s, const char *suffix);
/* Returns a new string without leading/trailing ASCII whitespace. */
char *eb_trim_dup(const char *s);
/* Splits on a delimiter character; empty fields are dropped.  *out is an
 * array of new strings; free with eb_strv_free. Returns the count. */
size_t eb_split(const char *s, char delim, char ***out);
void eb_strv_free(char **v, size_t n);
/* Replaces every occurrence of `from` with `to`; returns a new string. */
char *eb_replace_all(const char *s, const char *from, const char *to);
/* Parses a non-negative decimal integer that must fill the whole string. */
bool eb_parse_long(const char *s, long *out);
bool eb_parse_double(const char *s, double *out);

#endif
