/* Multiple-choice letter extraction.
 *
 * The response is first cleaned of presentation markup (Markdown emphasis,
 * dollar signs, \( \) \[ \], and the wrappers \text{} \textbf{} \textit{}
 * \mathrm{} \mathbf{} \emph{}), much as simple-evals' normalize_response
 * does, but \boxed{} is kept because it marks a final answer.  Then the
 * patterns below are tried in order; the first pattern that matches
 * anywhere decides, and within a pattern the LAST match in the text wins
 * (a model that corrects itself ends with its final choice):
 *
 *   1. an explicit statement: "answer" (or "correct/right/best/final
 *      option/choice") optionally followed by is / would be / should be /
 *      to this question, a colon, equals sign or dash, optionally "option",
 *      then the letter, optionally in ( ) [ ] or \boxed{ };
 *      OR a \boxed{B} anywhere.  (Both kinds compete; the last one wins.)
 *   2. the whole response is one letter, possibly as (B), [B], B., B: or B);
 *   3. the last line that is only such a letter;
 *   3a. the last "choose / select / pick (option) B";
 *   3b. the last "B is (the) correct / right / best";
 *   4. the response starts with "B) ...", "B. ...", "B: ..." or "(B) ...";
 *   5. the last "(B)" anywhere (lm-eval's flexible-extract filter).
 *
 * Patterns 3a, 3b and 5 read letters out of running text: there a letter
 * whose clause rejects it ("I would not choose (B)") is skipped, and 3a
 * does not take a letter that starts a formula ("Choose $C \in ...").
 *
 * The letter itself must be an upper-case letter of the item's options
 * (A-D for four, up to A-J for ten), in quotes or brackets or bare, not
 * followed by a letter or digit ("Answer: Both" is not B); the keyword is matched in any case.  A
 * lower-case "a" is never taken as a choice: it is almost always the
 * article. */
#include "mmlu_letter.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"

#define LETTER_END "(?![A-Za-z0-9_])"
/* A fallback letter must also not be the start of a formula: after the
 * dollar signs are deleted, "Choose $C \in \mathbb{R}$" reads "Choose C \in". */
#define NOT_FORMULA "(?!\\s*(?:\\\\(?:in|notin|subset|subseteq|le|ge|leq|geq|neq|cdot|times)(?![A-Za-z])|[=<>+^_]))"
/* An optional opening bracket or quote: (B) [B] "B" 'B' “B” ‘B’ `B`. */
#define OPEN "(?:[\\(\\[\"'`]|\xe2\x80\x9c|\xe2\x80\x98)?"
/* %s is the letter class, e.g. [A-D]. */
static const char *const explicit_patterns[] = {
    "(?i:\\banswer|\\b(?:correct|right|best|final)\\s+(?:option|choice))"
    "(?i:\\s+to\\s+th(?:is|e)\\s+question)?"
    "(?i:\\s+(?:is|would\\s+be|should\\s+be|will\\s+be|must\\s+be))?"
    "\\s*[:=\\-]?\\s*(?i:(?:option|choice)\\s+)?(?:\\\\boxed\\s*\\{\\s*)?" OPEN "(%s)" LETTER_END,
    "\\\\boxed\\s*\\{\\s*" OPEN "(%s)" LETTER_END,
};

static const char *const fallback_patterns[] = {
    "\\A\\s*" OPEN "(%s)[\\)\\]\\.:\"'`]?\\s*\\z",
    "(?m)^[ \\t]*" OPEN "(%s)[\\)\\]\\.:\"'`]?[ \\t]*$",
    "(?i:\\b(?:choose|select|pick)(?:\\s+(?:option|choice|answer))?)\\s+" OPEN "(%s)" LETTER_END NOT_FORMULA,
    "\\b" OPEN "(%s)[\\)\\]]?\\s+(?i:is\\s+(?:the\\s+)?(?:correct|right|best))\\b",
    "\\A\\s*\\(?(%s)[\\)\\.:](?:\\s|\\z)",
    "\\((%s)\\)",
};
/* Fallbacks that read a letter out of running text: a letter there is
 * skipped when its clause rejects it ("I would not choose (B)"). */
static const bool fallback_in_text[] = {false, false, true, true, false, true};

#define N_EXPLICIT (sizeof explicit_patterns / sizeof explicit_patterns[0])
#define N_FALLBACK (sizeof fallback_patterns / sizeof fallback_patterns[0])
#define MIN_OPTIONS 2
#define MAX_OPTIONS 10
#define N_SETS (MAX_OPTIONS - MIN_OPTIONS + 1)

static pcre2_code *explicit_code[N_SETS][N_EXPLICIT];
static pcre2_code *fallback_code[N_SETS][N_FALLBACK];
static pcre2_code *rejection_code;
static pthread_once_t compile_once = PTHREAD_ONCE_INIT;

static pcre2_code *compile(const char *pattern) {
    int errcode;
    PCRE2_SIZE erroff;
    pcre2_code *c = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &errcode, &erroff, NULL);
    if (!c) {
        /* A bad built-in pattern is a programming error, caught by the tests. */
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(errcode, msg, sizeof msg);
        fprintf(stderr, "eb_extract: bad MMLU pattern at %zu: %s\n", (size_t)erroff, (const char *)msg);
        abort();
    }
    pcre2_jit_compile(c, PCRE2_JIT_COMPLETE); /* optional speed-up; falls back silently */
    return c;
}

static pcre2_code *compile_for(const char *pattern, int n_options) {
    char cls[8], buf[1024];
    snprintf(cls, sizeof cls, "[A-%c]", 'A' + n_options - 1);
    snprintf(buf, sizeof buf, pattern, cls);
    return compile(buf);
}

static void compile_all(void) {
    for (int n = MIN_OPTIONS; n <= MAX_OPTIONS; n++) {
        for (size_t i = 0; i < N_EXPLICIT; i++) explicit_code[n - MIN_OPTIONS][i] = compile_for(explicit_patterns[i], n);
        for (size_t i = 0; i < N_FALLBACK; i++) fallback_code[n - MIN_OPTIONS][i] = compile_for(fallback_patterns[i], n);
    }
    rejection_code = compile("(?i)\\b(?:not|never|wrong|incorrect|false|untrue|cannot|neither|nor|"
                             "rule[sd]?\\s+out|eliminat\\w*|exclud\\w*|reject\\w*|discard\\w*)\\b|n't\\b");
}

/* True when the clause around position `at` (bounded by . ! ? ; , : or a
 * line break) says the letter is not the answer. */
static bool clause_rejects(const char *s, size_t len, size_t at) {
    static const char bounds[] = ".!?;,:\n";
    size_t b = at, e = at;
    while (b > 0 && !strchr(bounds, s[b - 1])) b--;
    while (e < len && !(strchr(bounds, s[e]) && !(s[e] == '.' && e + 1 < len && s[e + 1] != ' ' && s[e + 1] != '\n')))
        e++;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(rejection_code, NULL);
    int rc = pcre2_match(rejection_code, (PCRE2_SPTR)(s + b), e - b, 0, 0, md, NULL);
    pcre2_match_data_free(md);
    return rc > 0;
}

/* Finds the last match of `code` in s; stores the start of the match and
 * the captured letter.  Returns false when there is none. */
static bool last_match(pcre2_code *code, const char *s, size_t len, bool skip_rejected, size_t *where, char *letter) {
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
    bool found = false;
    size_t offset = 0;
    while (offset <= len) {
        int rc = pcre2_match(code, (PCRE2_SPTR)s, len, offset, 0, md, NULL);
        if (rc < 2) break;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        offset = ov[0] + 1;
        if (skip_rejected && clause_rejects(s, len, ov[2])) continue;
        found = true;
        *where = ov[0];
        *letter = s[ov[2]];
    }
    pcre2_match_data_free(md);
    return found;
}

static bool is_wrapper(const char *p, size_t *skip) {
    static const char *const names[] = {"\\text{", "\\textbf{", "\\textit{", "\\mathrm{", "\\mathbf{", "\\emph{"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        size_t n = strlen(names[k]);
        if (strncmp(p, names[k], n) == 0) {
            *skip = n;
            return true;
        }
    }
    return false;
}

/* Removes presentation markup in one pass; a stack of brace kinds tells
 * which closing braces belong to removed wrappers. */
static char *clean(const char *s) {
    eb_buf out = {0};
    size_t depth_cap = 64, depth = 0;
    bool *dropped = eb_malloc(depth_cap);
    eb_buf_append(&out, "", 0);
    for (size_t i = 0; s[i];) {
        size_t skip;
        char c = s[i];
        if (c == '*' || c == '$') {
            i++;
        } else if (c == '\\' && (s[i + 1] == '(' || s[i + 1] == ')' || s[i + 1] == '[' || s[i + 1] == ']')) {
            i += 2;
        } else if (c == '\\' && is_wrapper(s + i, &skip)) {
            if (depth == depth_cap) dropped = eb_realloc(dropped, depth_cap *= 2);
            dropped[depth++] = true;
            i += skip;
        } else if (c == '{') {
            if (depth == depth_cap) dropped = eb_realloc(dropped, depth_cap *= 2);
            dropped[depth++] = false;
            eb_buf_putc(&out, c);
            i++;
        } else if (c == '}') {
            if (!(depth > 0 && dropped[--depth])) eb_buf_putc(&out, c);
            i++;
        } else {
            eb_buf_putc(&out, c);
            i++;
        }
    }
    free(dropped);
    return eb_buf_take(&out);
}

char *eb_mmlu_extract_letter(const char *text) { return eb_mmlu_extract_letter_n(text, 4); }

char *eb_mmlu_extract_letter_n(const char *text, int n_options) {
    if (!text || n_options < MIN_OPTIONS || n_options > MAX_OPTIONS) return NULL;
    const int set = n_options - MIN_OPTIONS;
    pthread_once(&compile_once, compile_all);
    char *s = clean(text);
    size_t len = strlen(s);
    char letter = 0;

    size_t best_at = 0;
    for (size_t i = 0; i < N_EXPLICIT; i++) {
        size_t at;
        char l;
        if (last_match(explicit_code[set][i], s, len, false, &at, &l) && (!letter || at >= best_at)) {
            best_at = at;
            letter = l;
        }
    }
    for (size_t i = 0; !letter && i < N_FALLBACK; i++) {
        size_t at;
        last_match(fallback_code[set][i], s, len, fallback_in_text[i], &at, &letter);
    }
    free(s);
    if (!letter) return NULL;
    char out[2] = {letter, '\0'};
    return eb_strdup(out);
}
