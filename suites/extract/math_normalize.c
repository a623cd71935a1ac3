/* MATH answer normalization.  The steps, in order (H = Hendrycks
 * strip_string, M = Minerva normalize_final_answer, E = our own addition):
 *
 *  1. trim; newlines and tabs become spaces (H)
 *  2. unwrap a \boxed{} / \fbox{} around the whole answer (M)
 *  3. drop \$ and $ (H, M), and the math delimiters \( \) \[ \] (E)
 *  4. outside matrix environments, \\ becomes \ (H)
 *  5. drop the thin spaces \! \, \; \: and turn \ , ~, \quad into spaces (H, M)
 *  6. \tfrac, \dfrac, \cfrac -> \frac (H, E); a trailing "\approx ..." is
 *     dropped (E); \mbox, \textbf, \textrm, \textit,
 *     \textnormal, \mathrm, \mathbf -> \text (M); drop \displaystyle (E)
 *  7. drop \left and \right, with "." invisible delimiters (H)
 *  8. drop degree signs ^\circ, ^{\circ}, \degree, U+00B0 (H, M)
 *  9. \text{} groups: "\text{and}" and "\text{or}" become commas (M); a
 *     group of plain words (letters, spaces, . - ') that follows a value
 *     (the text before it ends in a letter, digit, or one of } ) ] | .)
 *     is a unit or label and is dropped with a following ^2 / ^3
 *     ("15\mbox{ cm}^2", "8\text{ meals}"; this generalizes H's "\text{ "
 *     rule and M's unit list); every other group is unwrapped (M), so a
 *     word answer such as "\text{east}" stays "east"
 * 10. drop \% and % (H)
 * 11. drop trailing plain unit words after a space ("5 cents") (M)
 * 12. drop \dots \ldots \cdots (M)
 *     Then lists written with "and" ("12 and 13", "3, 4, and 5") become
 *     comma lists (E).
 * 13. "x =", "f(x) =", "x \in" prefixes: with exactly one '=', a left side
 *     that is a variable (at most 2 characters starting with a letter, H
 *     without the letter rule, so "2 = 5" is not 5; a letter with a
 *     subscript or "(x)"; or a tuple of variables "(x, y)", E) is dropped;
 *     likewise "v \in" (E); a right side that is one letter with no letter
 *     on the left ("2 = x") leaves the left side (E)
 * 14. \sqrt3 -> \sqrt{3} (H)
 * 15. drop a leading article before a word answer ("an ellipse") (M), then
 *     all spaces (H)
 * 16. \frac12 -> \frac{1}{2}, \frac{a}b -> \frac{a}{b}: both arguments of
 *     \frac are braced (H fixes only the first form)
 * 17. drop {,} (M); digit groups "1,234,567" (whole answer) lose their
 *     commas (M drops commas in digit-only answers)
 * 18. "{.5" / ".5" / "-.5" gain a leading 0 (H); "2.50" keeps its digits but
 *     "5.0" / "5.00" lose the zero fraction (H removes a trailing ".0" only
 *     as part of its exact-string checks)
 * 19. ^{2} -> ^2 and _{5} -> _5 for one-character scripts (E)
 * 20. a whole answer int/int becomes \frac{int}{int} (H)
 * 21. braces around the whole answer and trailing periods are dropped (E)
 *
 * Not done (H does it, eb_math_equiv makes it unnecessary): "0.5" ->
 * \frac{1}{2}. */
#include "math_normalize.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "error.h"
#include "strutil.h"

/* Replaces every occurrence and frees the input. */
static char *sub(char *s, const char *from, const char *to) {
    if (!strstr(s, from)) return s;
    char *r = eb_replace_all(s, from, to);
    free(s);
    return r;
}

/* Removes the command `cmd` wherever it is not the prefix of a longer
 * command name. */
static char *drop_command(char *s, const char *cmd) {
    size_t n = strlen(cmd);
    if (!strstr(s, cmd)) return s;
    eb_buf b = {0};
    eb_buf_append(&b, "", 0);
    for (size_t i = 0; s[i];) {
        if (s[i] == cmd[0] && strncmp(s + i, cmd, n) == 0 && !isalpha((unsigned char)s[i + n])) {
            i += n;
        } else {
            eb_buf_putc(&b, s[i++]);
        }
    }
    free(s);
    return eb_buf_take(&b);
}

/* For each '{' the index of its matching '}' (or -1); escaped braces \{ \}
 * are not grouping braces. */
static long *match_braces(const char *s, size_t n) {
    long *m = eb_malloc((n + 1) * sizeof *m);
    long *stack = eb_malloc((n + 1) * sizeof *stack);
    size_t top = 0;
    for (size_t i = 0; i < n; i++) {
        m[i] = -1;
        if (s[i] == '\\' && (s[i + 1] == '{' || s[i + 1] == '}')) {
            m[++i] = -1;
            continue;
        }
        if (s[i] == '{') stack[top++] = (long)i;
        else if (s[i] == '}' && top > 0) m[stack[--top]] = (long)i;
    }
    free(stack);
    return m;
}

/* Step 5, reading escapes left to right so that the row break \\ in
 * "1 \\ 3" is not taken for "\ ". */
static char *spacing_commands(char *s) {
    size_t k = 0;
    for (size_t i = 0; s[i];) {
        if (s[i] == '\\' && s[i + 1] == '\\') {
            s[k++] = s[i++];
            s[k++] = s[i++];
        } else if (s[i] == '\\' && s[i + 1] && strchr("!,;:", s[i + 1])) {
            i += 2;
        } else if (s[i] == '\\' && s[i + 1] == ' ') {
            s[k++] = ' ';
            i += 2;
        } else if (s[i] == '~') {
            s[k++] = ' ';
            i++;
        } else {
            s[k++] = s[i++];
        }
    }
    s[k] = '\0';
    return s;
}

static char *trim_free(char *s) {
    char *t = eb_trim_dup(s);
    free(s);
    return t;
}

/* Step 2 and 21: a wrapper that spans the whole string. */
static char *unwrap_whole(char *s, const char *prefix) {
    size_t lp = strlen(prefix);
    for (int rounds = 0; rounds < 8; rounds++) {
        size_t n = strlen(s);
        if (n < lp + 1 || strncmp(s, prefix, lp) != 0 || s[n - 1] != '}') break;
        long *m = match_braces(s, n);
        bool whole = m[lp - 1] == (long)(n - 1);
        free(m);
        if (!whole) break;
        char *inner = eb_strndup(s + lp, n - lp - 1);
        free(s);
        s = trim_free(inner);
    }
    return s;
}

static const char *const unit_words[] = {
    "unit", "units", "square", "sq", "cubic", "ways", "way", "integers", "integer", "dollars", "dollar", "cents",
    "cent", "mph", "inches", "inch", "in", "ft", "foot", "feet", "yard", "yards", "yd", "mile", "miles", "mi",
    "hours", "hour", "hr", "hrs", "minutes", "minute", "min", "mins", "seconds", "second", "sec", "secs", "s",
    "days", "day", "weeks", "week", "months", "month", "years", "year", "km", "cm", "mm", "m", "meter", "meters",
    "metre", "metres", "kilometers", "centimeters", "gm", "g", "grams", "gram", "kg", "kilograms", "pounds",
    "pound", "lb", "lbs", "ounces", "ounce", "oz", "points", "point", "digits", "digit", "degrees", "degree",
    "radians", "liters", "liter", "gallons", "gallon", "people", "students", "handshakes", "games", "times",
    "tiles", "edges", "faces", "vertices", "sides", "diagonals", "marbles", "coins", "balls", "boxes", "apples",
    "pages", "books", "cookies", "squares", "triangles", "numbers", "pairs", "terms", "steps", "outfits",
    "seats", "chairs", "rows", "minutes.", "percent", "mph.", "kph", "and", "of", "per", "the", "a", "an",
    "is", "are", "each", "total", "sq.", "ft.", "in.", "cm.", "m.", "km.", "hours.", "p.m.", "a.m.", "pm", "am",
    "o'clock", "bits", "bytes", "cups", "cup", "pints", "pint", "quarts", "quart", "tons", "ton", "watts",
    "volts", "hertz", "hz", "calories", "dozen",
};

static bool is_unit_word(const char *w, size_t n) {
    if (n > 1 && w[n - 1] == '.') n--; /* "ways." */
    for (size_t k = 0; k < sizeof unit_words / sizeof unit_words[0]; k++)
        if (strlen(unit_words[k]) == n && strncasecmp(unit_words[k], w, n) == 0) return true;
    return false;
}

/* True when `content` is made of unit words only (at least one); single
 * letters count only inside \text (the caller's context). */
static bool only_units(const char *c, size_t n) {
    size_t i = 0, words = 0;
    while (i < n) {
        while (i < n && (c[i] == ' ' || c[i] == '-' || c[i] == '/')) i++;
        if (i >= n) break;
        size_t j = i;
        while (j < n && c[j] != ' ' && c[j] != '-' && c[j] != '/') j++;
        if (!is_unit_word(c + i, j - i)) return false;
        words++;
        i = j;
    }
    return words > 0;
}

static bool only_words(const char *c, size_t n) {
    bool letter = false;
    for (size_t i = 0; i < n; i++) {
        if (isalpha((unsigned char)c[i])) letter = true;
        else if (c[i] != ' ' && c[i] != '.' && c[i] != '-' && c[i] != '\'') return false;
    }
    return letter;
}

/* Skips a "^2", "^3", "^{2}" or "^{3}" at s+i; returns the new index. */
static size_t skip_unit_power(const char *s, size_t i) {
    if (s[i] == '^' && (s[i + 1] == '2' || s[i + 1] == '3')) return i + 2;
    if (s[i] == '^' && s[i + 1] == '{' && (s[i + 2] == '2' || s[i + 2] == '3') && s[i + 3] == '}') return i + 4;
    return i;
}

/* Step 9. */
static char *text_groups(char *s) {
    if (!strstr(s, "\\text{")) return s;
    size_t n = strlen(s);
    long *m = match_braces(s, n);
    bool *skip_close = eb_calloc(n + 1, 1);
    eb_buf b = {0};
    eb_buf_append(&b, "", 0);
    for (size_t i = 0; i < n;) {
        if (strncmp(s + i, "\\text{", 6) == 0 && m[i + 5] > 0) {
            size_t open = i + 5, close = (size_t)m[open];
            const char *c = s + open + 1;
            size_t cn = close - open - 1;
            char *trimmed_raw = eb_strndup(c, cn);
            char *t = eb_trim_dup(trimmed_raw);
            free(trimmed_raw);
            /* A unit follows a value: the last character before it ends a
             * number or expression, not "(" or "," (so "(\text{E})" and
             * "1,\text{two}" keep their words). */
            size_t last = b.len;
            while (last > 0 && isspace((unsigned char)b.data[last - 1])) last--;
            char before = last ? b.data[last - 1] : '\0';
            bool something_before = before && (isalnum((unsigned char)before) || strchr("})]|.", before));
            if (strcasecmp(t, "and") == 0 || strcasecmp(t, "or") == 0) {
                eb_buf_putc(&b, ',');
                i = close + 1;
            } else if (something_before && (only_units(t, strlen(t)) || only_words(t, strlen(t)))) {
                i = skip_unit_power(s, close + 1);
            } else {
                skip_close[close] = true;
                i = open + 1;
            }
            free(t);
        } else if (skip_close[i]) {
            i++;
        } else {
            eb_buf_putc(&b, s[i++]);
        }
    }
    free(m);
    free(skip_close);
    free(s);
    return eb_buf_take(&b);
}

/* Step 11: "5 cents", "864 square inches". */
static char *trailing_units(char *s) {
    for (int rounds = 0; rounds < 4; rounds++) {
        size_t n = strlen(s);
        while (n > 0 && isspace((unsigned char)s[n - 1])) n--;
        size_t end = n;
        /* an optional ^2 / ^3 after the word */
        if (end >= 2 && s[end - 2] == '^' && (s[end - 1] == '2' || s[end - 1] == '3')) end -= 2;
        size_t w = end;
        while (w > 0 && (isalpha((unsigned char)s[w - 1]) || s[w - 1] == '.')) w--;
        if (w == end || w == 0 || s[w - 1] != ' ' || end - w < 2) break;
        if (!is_unit_word(s + w, end - w)) break;
        bool before = false;
        for (size_t k = 0; k + 1 < w; k++)
            if (!isspace((unsigned char)s[k])) before = true;
        if (!before) break;
        s[w - 1] = '\0';
        s = trim_free(s);
    }
    return s;
}

/* Step 6: "0.33 \approx \frac13" or "\frac13 \approx 0.33": a value
 * followed by its approximation keeps the value. */
static char *drop_approx(char *s) {
    char *a = strstr(s, "\\approx");
    if (!a || a == s) return s;
    *a = '\0';
    return trim_free(s);
}

/* After step 9: lists written with "and" ("3, 4, and 5", "12 and 13",
 * "3, 4, \text{ and } 5") are comma lists. */
static char *and_lists(char *s) {
    eb_buf b = {0};
    eb_buf_append(&b, "", 0);
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        if (strncmp(s + i, " and ", 5) == 0) {
            size_t last = b.len;
            while (last > 0 && b.data[last - 1] == ' ') last--;
            char before = last ? b.data[last - 1] : '\0';
            size_t j = i + 5;
            while (s[j] == ' ') j++;
            char after = s[j];
            if (before && (isdigit((unsigned char)before) || strchr("}),", before)) &&
                (isdigit((unsigned char)after) || strchr("-\\(", after))) {
                b.len = last;
                b.data[b.len] = '\0';
                if (before != ',') eb_buf_putc(&b, ',');
                i = j;
                continue;
            }
        }
        eb_buf_putc(&b, s[i++]);
    }
    free(s);
    char *r = eb_buf_take(&b);
    /* "\text{and}" became a comma after a comma already there: a comma
     * after another with only spaces between is dropped */
    size_t w = 0;
    bool after_comma = false;
    for (size_t i = 0; r[i]; i++) {
        if (r[i] == ',' && after_comma) continue;
        if (r[i] == ',') after_comma = true;
        else if (r[i] != ' ') after_comma = false;
        r[w++] = r[i];
    }
    r[w] = '\0';
    return r;
}

/* Step 13. */
static char *drop_variable_prefix(char *s) {
    const char *eq = strchr(s, '=');
    const char *in = NULL;
    for (const char *p = strstr(s, "\\in"); p; p = strstr(p + 1, "\\in"))
        if (!isalpha((unsigned char)p[3])) {
            in = p;
            break;
        }
    const char *cut = NULL;
    size_t skip = 0;
    if (eq && !strchr(eq + 1, '=') && eq > s && !strchr("<>!\\", eq[-1])) {
        cut = eq;
        skip = 1;
    } else if (in && !eq) {
        cut = in;
        skip = 3;
    }
    if (!cut) return s;
    /* "2 = x" (the variable on the right): the value is the left side */
    if (skip == 1) {
        char rhs[64];
        size_t r = 0;
        for (const char *p = cut + 1; *p && r + 1 < sizeof rhs; p++)
            if (!isspace((unsigned char)*p)) rhs[r++] = *p;
        rhs[r] = '\0';
        bool lhs_has_letter = false;
        for (const char *p = s; p < cut; p++) lhs_has_letter |= isalpha((unsigned char)*p) != 0;
        if (r == 1 && isalpha((unsigned char)rhs[0]) && !lhs_has_letter && cut > s) {
            char *l = eb_strndup(s, (size_t)(cut - s));
            char *t = eb_trim_dup(l);
            free(l);
            free(s);
            return t;
        }
    }
    char lhs[64];
    size_t k = 0;
    for (const char *p = s; p < cut && k + 1 < sizeof lhs; p++)
        if (!isspace((unsigned char)*p)) lhs[k++] = *p;
    lhs[k] = '\0';
    if ((size_t)(cut - s) >= sizeof lhs) return s;
    /* a variable starts with a letter: "2 = 5" keeps its "2 =" (and is
     * then not equal to 5) */
    bool variable = k > 0 && k <= 2 && isalpha((unsigned char)lhs[0]) && strchr(lhs, ',') == NULL;
    if (!variable && k >= 5 && lhs[0] == '(' && lhs[k - 1] == ')') {
        /* a tuple of variables: "(x,y)", "(a,b,c)" */
        variable = true;
        size_t item = 0;
        for (size_t i = 1; i + 1 < k && variable; i++) {
            if (lhs[i] == ',') {
                variable = item > 0;
                item = 0;
            } else {
                variable = isalpha((unsigned char)lhs[i]) || (item > 0 && isdigit((unsigned char)lhs[i]));
                item++;
            }
        }
        variable = variable && item > 0 && item <= 2;
    }
    if (!variable && k > 0 && isalpha((unsigned char)lhs[0])) {
        /* x_1, x_{12}, f(x), p(t) */
        size_t i = 1;
        if (lhs[i] == '_') {
            i++;
            if (lhs[i] == '{') {
                while (lhs[i] && lhs[i] != '}') i++;
                if (lhs[i] == '}') i++;
            } else if (isalnum((unsigned char)lhs[i])) {
                i++;
            }
        }
        if (lhs[i] == '(' && isalpha((unsigned char)lhs[i + 1]) && lhs[i + 2] == ')') i += 3;
        variable = lhs[i] == '\0';
    }
    if (!variable) return s;
    char *r = eb_trim_dup(cut + skip);
    free(s);
    return r;
}

/* Step 15: "an ellipse" -> "ellipse" for word answers (M drops "a " and
 * "an "); only when the rest is words, so "a b" (a product) is kept. */
static char *drop_article(char *s) {
    static const char *const articles[] = {"a ", "an ", "the "};
    for (size_t k = 0; k < 3; k++) {
        size_t n = strlen(articles[k]);
        if (strncasecmp(s, articles[k], n) != 0) continue;
        const char *rest = s + n;
        size_t letters = 0;
        bool words = true;
        for (const char *p = rest; *p; p++) {
            if (isalpha((unsigned char)*p)) letters++;
            else if (*p != ' ') words = false;
        }
        if (words && letters >= 3) memmove(s, rest, strlen(rest) + 1);
        break;
    }
    return s;
}

/* Step 14: \sqrt3 -> \sqrt{3} (one character, as LaTeX reads it). */
static char *fix_sqrt(char *s) {
    if (!strstr(s, "\\sqrt")) return s;
    eb_buf b = {0};
    eb_buf_append(&b, "", 0);
    for (size_t i = 0; s[i];) {
        if (strncmp(s + i, "\\sqrt", 5) == 0 && !isalpha((unsigned char)s[i + 5])) {
            eb_buf_puts(&b, "\\sqrt");
            i += 5;
            while (s[i] == ' ') i++;
            if (s[i] && s[i] != '{' && s[i] != '[' && s[i] != '\\') {
                eb_buf_putc(&b, '{');
                eb_buf_putc(&b, s[i++]);
                eb_buf_putc(&b, '}');
            }
        } else {
            eb_buf_putc(&b, s[i++]);
        }
    }
    free(s);
    return eb_buf_take(&b);
}

/* Length of one \frac argument at s (at most n bytes): a braced group, a
 * command with its letters, or one character; 0 when there is none or the
 * braces don't close. */
static size_t frac_arg(const char *s, size_t n, bool *braced) {
    *braced = false;
    if (n == 0) return 0;
    if (*s == '{') {
        int depth = 0;
        for (size_t i = 0; i < n; i++) {
            if (s[i] == '{') depth++;
            else if (s[i] == '}' && --depth == 0) {
                *braced = true;
                return i + 1;
            }
        }
        return 0;
    }
    if (*s == '}') return 0;
    if (*s == '\\') {
        size_t i = 1;
        while (i < n && isalpha((unsigned char)s[i])) i++;
        return i > 1 ? i : (n > 1 ? 2 : 0);
    }
    return 1;
}

/* Step 16 on s[0..n), recursing into braced arguments so that nested
 * shorthand is fixed too.  Past a nesting limit the text is copied as is. */
static void fracs_rec(const char *s, size_t n, eb_buf *b, int depth) {
    for (size_t i = 0; i < n;) {
        if (depth < 64 && n - i >= 5 && strncmp(s + i, "\\frac", 5) == 0 &&
            !(n - i > 5 && isalpha((unsigned char)s[i + 5]))) {
            eb_buf_puts(b, "\\frac");
            i += 5;
            for (int arg = 0; arg < 2; arg++) {
                bool braced;
                size_t len = frac_arg(s + i, n - i, &braced);
                if (len == 0) break;
                eb_buf_putc(b, '{');
                if (braced) fracs_rec(s + i + 1, len - 2, b, depth + 1);
                else eb_buf_append(b, s + i, len);
                eb_buf_putc(b, '}');
                i += len;
            }
        } else {
            eb_buf_putc(b, s[i++]);
        }
    }
}

static char *fix_fracs(char *s) {
    if (!strstr(s, "\\frac")) return s;
    eb_buf b = {0};
    eb_buf_append(&b, "", 0);
    fracs_rec(s, strlen(s), &b, 0);
    free(s);
    return eb_buf_take(&b);
}

static char *remove_chars(char *s, const char *set) {
    bool drop[256] = {false};
    for (const char *c = set; *c; c++) drop[(unsigned char)*c] = true;
    size_t k = 0;
    for (size_t i = 0; s[i]; i++)
        if (!drop[(unsigned char)s[i]]) s[k++] = s[i];
    s[k] = '\0';
    return s;
}

/* Step 17: "1,234,567" or "-12,345.5" as a whole answer. */
static char *digit_groups(char *s) {
    const char *p = s;
    if (*p == '-') p++;
    size_t lead = 0;
    while (isdigit((unsigned char)p[lead])) lead++;
    if (lead < 1 || lead > 3 || p[lead] != ',') return s;
    p += lead;
    bool any = false;
    while (*p == ',') {
        if (!(isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) && isdigit((unsigned char)p[3])))
            return s;
        p += 4;
        any = true;
    }
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) p++;
    }
    if (*p || !any) return s;
    return remove_chars(s, ",");
}

/* Step 18. */
static char *fix_decimals(char *s) {
    eb_buf b = {0};
    eb_buf_append(&b, "", 0);
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        char prev = i > 0 ? s[i - 1] : '\0';
        if (s[i] == '.' && isdigit((unsigned char)s[i + 1]) && !isdigit((unsigned char)prev) &&
            !isalpha((unsigned char)prev) && prev != '.' && prev != '\\') {
            eb_buf_putc(&b, '0');
        }
        if (isdigit((unsigned char)s[i]) && !(i > 0 && (isdigit((unsigned char)prev) || prev == '.'))) {
            /* a number: copy the integer part, drop an all-zero fraction */
            size_t j = i;
            while (isdigit((unsigned char)s[j])) j++;
            eb_buf_append(&b, s + i, j - i);
            if (s[j] == '.' && isdigit((unsigned char)s[j + 1])) {
                size_t k = j + 1;
                bool zeros = true;
                while (isdigit((unsigned char)s[k])) {
                    if (s[k] != '0') zeros = false;
                    k++;
                }
                if (!zeros) eb_buf_append(&b, s + j, k - j);
                j = k;
            }
            i = j;
            continue;
        }
        eb_buf_putc(&b, s[i++]);
    }
    free(s);
    return eb_buf_take(&b);
}

/* Step 19. */
static char *single_scripts(char *s) {
    size_t k = 0;
    for (size_t i = 0; s[i];) {
        if ((s[i] == '^' || s[i] == '_') && s[i + 1] == '{' && s[i + 2] && s[i + 2] != '\\' && s[i + 2] != '{' &&
            s[i + 2] != '}' && s[i + 3] == '}') {
            s[k++] = s[i];
            s[k++] = s[i + 2];
            i += 4;
        } else {
            s[k++] = s[i++];
        }
    }
    s[k] = '\0';
    return s;
}

/* Step 20. */
static char *a_slash_b(char *s) {
    const char *p = s;
    if (*p == '-') p++;
    size_t a = 0;
    while (isdigit((unsigned char)p[a])) a++;
    if (a == 0 || p[a] != '/') return s;
    size_t bl = 0;
    while (isdigit((unsigned char)p[a + 1 + bl])) bl++;
    if (bl == 0 || p[a + 1 + bl]) return s;
    eb_buf b = {0};
    if (*s == '-') eb_buf_putc(&b, '-');
    eb_buf_printf(&b, "\\frac{%.*s}{%.*s}", (int)a, p, (int)bl, p + a + 1);
    free(s);
    return eb_buf_take(&b);
}

static char *strip_outer_braces_and_periods(char *s) {
    for (int rounds = 0; rounds < 8; rounds++) {
        size_t n = strlen(s);
        while (n > 0 && s[n - 1] == '.') s[--n] = '\0';
        if (n < 2 || s[0] != '{' || s[n - 1] != '}') break;
        long *m = match_braces(s, n);
        bool whole = m[0] == (long)(n - 1);
        free(m);
        if (!whole) break;
        memmove(s, s + 1, n - 2);
        s[n - 2] = '\0';
    }
    return s;
}

char *eb_math_normalize(const char *ans) {
    if (!ans) return NULL;
    char *s = eb_trim_dup(ans);
    if (strlen(s) > EB_MATH_MAX_ANSWER) return s;

    /* 1 */
    for (char *p = s; *p; p++)
        if (*p == '\n' || *p == '\t' || *p == '\r') *p = ' ';
    /* 2 */
    s = unwrap_whole(s, "\\boxed{");
    s = unwrap_whole(s, "\\fbox{");
    /* 3 */
    s = sub(s, "\\$", "");
    s = remove_chars(s, "$");
    s = sub(s, "\\(", "");
    s = sub(s, "\\)", "");
    s = sub(s, "\\[", "");
    s = sub(s, "\\]", "");
    /* 4 */
    if (!strstr(s, "\\begin{")) s = sub(s, "\\\\", "\\");
    /* 5 */
    s = spacing_commands(s);
    s = drop_command(s, "\\qquad");
    s = drop_command(s, "\\quad");
    /* 6 */
    s = sub(s, "tfrac", "frac");
    s = sub(s, "dfrac", "frac");
    s = sub(s, "cfrac", "frac");
    s = drop_approx(s);
    s = drop_command(s, "\\displaystyle");
    static const char *const text_like[] = {"\\mbox{",   "\\textbf{", "\\textrm{", "\\textit{",
                                            "\\textnormal{", "\\mathrm{", "\\mathbf{", "\\text {"};
    for (size_t k = 0; k < sizeof text_like / sizeof text_like[0]; k++) s = sub(s, text_like[k], "\\text{");
    /* 7 */
    s = sub(s, "\\left.", "");
    s = sub(s, "\\right.", "");
    s = drop_command(s, "\\left");
    s = drop_command(s, "\\right");
    /* 8 */
    s = sub(s, "^{\\circ}", "");
    s = sub(s, "^\\circ", "");
    s = drop_command(s, "\\degree");
    s = sub(s, "\xc2\xb0", "");
    /* 9 */
    s = text_groups(s);
    s = and_lists(s);
    /* 10 */
    s = sub(s, "\\%", "");
    s = remove_chars(s, "%");
    /* 11 */
    s = trim_free(s);
    s = trailing_units(s);
    /* 12 */
    s = drop_command(s, "\\ldots");
    s = drop_command(s, "\\cdots");
    s = drop_command(s, "\\dots");
    /* 13 */
    s = drop_variable_prefix(s);
    /* 14 */
    s = fix_sqrt(s);
    /* 15 */
    s = drop_article(s);
    s = remove_chars(s, " ");
    /* 16 */
    s = fix_fracs(s);
    /* 17 */
    s = sub(s, "{,}", "");
    s = digit_groups(s);
    /* 18 */
    s = fix_decimals(s);
    /* 19 */
    s = single_scripts(s);
    /* 20 */
    s = a_slash_b(s);
    /* 21 */
    s = strip_outer_braces_and_periods(s);
    return s;
}
