#include "code_block.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "error.h"
#include "strutil.h"

const char *const eb_humaneval_stops[EB_HUMANEVAL_N_STOPS] = {"\nclass", "\ndef", "\n#", "\nif", "\nprint"};

typedef struct block {
    size_t body_start, body_end; /* byte range of the contents */
    size_t tag_start, tag_len;   /* language tag on the opening fence */
} block;

/* If the line starting at `line` is a fence, returns the offset just after
 * its backticks, else 0. */
static size_t fence_at(const char *text, size_t line) {
    size_t i = line;
    while (text[i] == ' ' || text[i] == '\t') i++;
    size_t ticks = 0;
    while (text[i + ticks] == '`') ticks++;
    return ticks >= 3 ? i + ticks : 0;
}

static size_t line_end(const char *text, size_t i) {
    while (text[i] && text[i] != '\n') i++;
    return i;
}

static bool is_python_alias(const char *tag, size_t n) {
    static const char *const names[] = {"python", "py", "python3", "py3", "python2"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (strlen(names[k]) == n && strncasecmp(tag, names[k], n) == 0) return true;
    return false;
}

static bool tag_matches(const char *text, const block *b, const char *hint) {
    const char *tag = text + b->tag_start;
    size_t n = b->tag_len;
    size_t lh = strlen(hint);
    if (is_python_alias(hint, lh)) return is_python_alias(tag, n);
    return n == lh && strncasecmp(tag, hint, n) == 0;
}

/* text[0, n) without leading blank lines and trailing whitespace; the first
 * kept line keeps its indentation. */
static char *trim_blank_lines(const char *text, size_t n) {
    size_t s = 0, line = 0;
    while (s < n && isspace((unsigned char)text[s])) {
        if (text[s] == '\n') line = s + 1;
        s++;
    }
    if (s == n) return eb_strdup("");
    while (n > line && isspace((unsigned char)text[n - 1])) n--;
    return eb_strndup(text + line, n - line);
}

char *eb_extract_code_block(const char *text, const char *language_hint) {
    if (!text) return NULL;
    size_t cap = 8, nb = 0;
    block *blocks = eb_malloc(cap * sizeof *blocks);
    bool inside = false;
    size_t i = 0;
    while (text[i]) {
        size_t end = line_end(text, i);
        size_t after = fence_at(text, i);
        if (after && after <= end) {
            if (!inside) {
                if (nb == cap) blocks = eb_realloc(blocks, (cap *= 2) * sizeof *blocks);
                block *b = &blocks[nb++];
                size_t t = after;
                while (t < end && isspace((unsigned char)text[t])) t++;
                size_t te = t;
                /* The tag is the first word of the info string ("python {.x}"). */
                while (te < end && !isspace((unsigned char)text[te]) && text[te] != '{') te++;
                b->tag_start = t;
                b->tag_len = te - t;
                b->body_start = text[end] ? end + 1 : end;
                b->body_end = strlen(text); /* until a closing fence is found */
                inside = true;
            } else {
                blocks[nb - 1].body_end = i;
                inside = false;
            }
        }
        i = text[end] ? end + 1 : end;
    }

    char *result;
    /* a lone fence with only blank text after it closes what came before */
    bool lone_close = false;
    if (nb == 1 && blocks[0].body_end == strlen(text)) {
        lone_close = true;
        for (size_t k = blocks[0].body_start; k < blocks[0].body_end && lone_close; k++)
            lone_close = isspace((unsigned char)text[k]) != 0;
    }
    if (nb == 0 || lone_close) {
        size_t e = nb == 0 ? strlen(text) : blocks[0].tag_start;
        if (nb) /* back to the start of the fence's line */
            while (e > 0 && text[e - 1] != '\n') e--;
        result = trim_blank_lines(text, e);
    } else {
        long pick = -1;
        bool hinted = language_hint && *language_hint;
        if (hinted) {
            for (size_t k = 0; k < nb; k++)
                if (tag_matches(text, &blocks[k], language_hint)) pick = (long)k;
            if (pick < 0)
                for (size_t k = 0; k < nb; k++)
                    if (blocks[k].tag_len == 0) pick = (long)k;
        }
        if (pick < 0) pick = (long)nb - 1;
        const block *b = &blocks[pick];
        size_t s = b->body_start, e = b->body_end;
        if (e < s) e = s;
        result = eb_strndup(text + s, e - s);
    }
    free(blocks);
    return result;
}

char *eb_truncate_at_stops(const char *text, const char *const *stops, size_t n) {
    if (!text) return NULL;
    size_t cut = strlen(text);
    for (size_t k = 0; k < n; k++) {
        if (!stops || !stops[k] || !*stops[k]) continue;
        const char *hit = strstr(text, stops[k]);
        if (hit && (size_t)(hit - text) < cut) cut = (size_t)(hit - text);
    }
    return eb_strndup(text, cut);
}
