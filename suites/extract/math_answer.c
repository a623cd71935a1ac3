#include "math_answer.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "strutil.h"

/* The last occurrence of `cmd` that is a whole command (not a prefix of a
 * longer one such as \boxedx). */
static const char *last_command(const char *text, const char *cmd) {
    const char *last = NULL;
    size_t n = strlen(cmd);
    for (const char *p = strstr(text, cmd); p; p = strstr(p + 1, cmd))
        if (!isalpha((unsigned char)p[n])) last = p;
    return last;
}

char *eb_math_last_boxed(const char *text) {
    if (!text) return NULL;
    const char *boxed = last_command(text, "\\boxed");
    const char *fbox = last_command(text, "\\fbox");
    const char *at = boxed;
    size_t n = 6;
    if (fbox && (!boxed || fbox > boxed)) {
        at = fbox;
        n = 5;
    }
    if (!at) return NULL;
    const char *p = at + n;
    const char *q = p;
    while (*q == ' ' || *q == '\t' || *q == '\n') q++;
    if (*q == '{') {
        int depth = 0;
        for (const char *r = q; *r; r++) {
            if (*r == '\\' && (r[1] == '{' || r[1] == '}')) { /* escaped brace, e.g. \{1,2\} */
                r++;
                continue;
            }
            if (*r == '{') depth++;
            if (*r == '}' && --depth == 0) return eb_strndup(q + 1, (size_t)(r - q - 1));
        }
        return NULL;
    }
    if (p == q || !*q) return NULL; /* "\boxed" glued to nothing usable */
    size_t len = strcspn(q, "$\n");
    char *raw = eb_strndup(q, len);
    char *t = eb_trim_dup(raw);
    free(raw);
    if (!*t) {
        free(t);
        return NULL;
    }
    return t;
}

/* Drops a trailing period and surrounding whitespace. */
static char *tidy(const char *s, size_t n) {
    char *raw = eb_strndup(s, n);
    char *t = eb_trim_dup(raw);
    free(raw);
    size_t len = strlen(t);
    while (len > 0 && (t[len - 1] == '.' || isspace((unsigned char)t[len - 1]))) t[--len] = '\0';
    if (!*t) {
        free(t);
        return NULL;
    }
    return t;
}

static const char *strcasestr_last(const char *text, const char *needle) {
    const char *last = NULL;
    for (const char *p = strcasestr(text, needle); p; p = strcasestr(p + 1, needle)) last = p;
    return last;
}

/* The contents of the last "$...$" or "$$...$$"; an escaped "\\$" is not a
 * delimiter. */
static char *last_inline_math(const char *text) {
    const char *open = NULL, *s = NULL, *e = NULL;
    size_t open_len = 0;
    for (const char *p = text; *p; p++) {
        if (*p != '$' || (p > text && p[-1] == '\\')) continue;
        size_t d = p[1] == '$' ? 2 : 1;
        if (!open) {
            open = p;
            open_len = d;
        } else {
            s = open + open_len;
            e = p;
            open = NULL;
        }
        p += d - 1;
    }
    return s && e > s ? tidy(s, (size_t)(e - s)) : NULL;
}

char *eb_math_extract_answer(const char *text) { return eb_math_extract_answer_how(text, NULL); }

char *eb_math_extract_answer_how(const char *text, const char **how) {
    const char *dummy;
    if (!how) how = &dummy;
    *how = NULL;
    if (!text) return NULL;
    char *boxed = eb_math_last_boxed(text);
    if (boxed) {
        *how = "boxed";
        return boxed;
    }

    static const char minerva[] = "Final Answer: The final answer is";
    static const char hope[] = ". I hope it is correct.";
    const char *m = strcasestr_last(text, minerva);
    if (m) {
        const char *start = m + sizeof minerva - 1;
        const char *end = strstr(start, hope);
        if (end) {
            *how = "minerva";
            return tidy(start, (size_t)(end - start));
        }
    }

    static const char *const markers[] = {"final answer is", "answer is", "answer:"};
    for (size_t k = 0; k < sizeof markers / sizeof markers[0]; k++) {
        const char *hit = strcasestr_last(text, markers[k]);
        if (!hit) continue;
        const char *start = hit + strlen(markers[k]);
        while (*start == ' ' || *start == '\t' || *start == ':') start++;
        size_t len = strcspn(start, "\n");
        const char *sentence_end = strstr(start, ". ");
        if (sentence_end && (size_t)(sentence_end - start) < len) len = (size_t)(sentence_end - start);
        char *t = tidy(start, len);
        if (t) {
            *how = markers[k];
            return t;
        }
    }
    char *m2 = last_inline_math(text);
    if (m2) *how = "last $...$";
    return m2;
}
