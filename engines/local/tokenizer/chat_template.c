/* The Gemma 4 chat template, written out in C (text path only: no tools,
 * images or audio).  The strings follow the published templates; see
 * docs/local-engine-tokenizer.md for the sources and the differences
 * between the E2B/E4B and the 26B/31B versions. */
#include "chat_template.h"

#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

/* Python's str.isspace(), which the template's `trim` filter uses. */
static bool py_space(uint32_t cp) { return tk_is_whitespace(cp) || (cp >= 0x1C && cp <= 0x1F); }

/* Trimmed [*b, *e) of s[0..len); invalid UTF-8 is never whitespace. */
static void trim_span(const char *s, size_t len, size_t *b, size_t *e) {
    size_t lo = 0, hi = len;
    while (lo < hi) {
        size_t k = tk_utf8_len((const unsigned char *)s + lo, hi - lo);
        uint32_t cp;
        if (!k) break;
        tk_utf8_decode(s + lo, &cp);
        if (!py_space(cp)) break;
        lo += k;
    }
    while (hi > lo) {
        size_t cs = hi - 1;
        while (cs > lo && ((unsigned char)s[cs] & 0xC0) == 0x80) cs--;
        size_t k = tk_utf8_len((const unsigned char *)s + cs, hi - cs);
        uint32_t cp;
        if (k != hi - cs) break;
        tk_utf8_decode(s + cs, &cp);
        if (!py_space(cp)) break;
        hi = cs;
    }
    *b = lo;
    *e = hi;
}

static void put_trimmed(eb_buf *out, const char *s, size_t len) {
    size_t b, e;
    trim_span(s, len, &b, &e);
    eb_buf_append(out, s + b, e - b);
}

static const char CH_OPEN[] = "<|channel>", CH_CLOSE[] = "<channel|>";

char *eb_strip_thinking(const char *text, size_t len) {
    eb_buf kept = {0};
    size_t pos = 0;
    /* Split on the closing marker; in each part keep what precedes an
     * opening marker (or the whole part when there is none). */
    for (;;) {
        const char *close = memmem(text + pos, len - pos, CH_CLOSE, sizeof CH_CLOSE - 1);
        size_t end = close ? (size_t)(close - text) : len;
        const char *open = memmem(text + pos, end - pos, CH_OPEN, sizeof CH_OPEN - 1);
        size_t keep_end = open ? (size_t)(open - text) : end;
        eb_buf_append(&kept, text + pos, keep_end - pos);
        if (!close) break;
        pos = end + sizeof CH_CLOSE - 1;
    }
    eb_buf res = {0};
    put_trimmed(&res, eb_buf_str(&kept), kept.len);
    eb_buf_free(&kept);
    if (!res.data) eb_buf_puts(&res, "");
    return eb_buf_take(&res);
}

static bool is_system(const char *role) { return !strcmp(role, "system") || !strcmp(role, "developer"); }

int eb_gemma4_render_chat(const eb_chat_msg *msgs, size_t n, const eb_gemma4_chat_opts *opts, eb_buf *out,
                          eb_err *err) {
    static const eb_gemma4_chat_opts defaults = {0};
    if (!opts) opts = &defaults;
    if (n == 0) return eb_err_set(err, "gemma4 chat template: the conversation has no messages");
    for (size_t i = 0; i < n; i++) {
        if (!msgs[i].role || !msgs[i].content)
            return eb_err_set(err, "gemma4 chat template: message %zu has no %s", i, msgs[i].role ? "content" : "role");
        const char *r = msgs[i].role;
        if (is_system(r) && i > 0)
            return eb_err_set(err, "gemma4 chat template: message %zu: a %s message is only allowed first", i, r);
        if (!is_system(r) && strcmp(r, "user") && strcmp(r, "assistant") && strcmp(r, "model"))
            return eb_err_set(err, "gemma4 chat template: message %zu: unsupported role \"%s\"", i, r);
    }
    if (!opts->no_bos) eb_buf_puts(out, "<bos>");
    size_t first = 0;
    if (opts->enable_thinking || is_system(msgs[0].role)) {
        eb_buf_puts(out, "<|turn>system\n");
        if (opts->enable_thinking) eb_buf_puts(out, opts->think_newline ? "<|think|>\n" : "<|think|>");
        if (is_system(msgs[0].role)) {
            put_trimmed(out, msgs[0].content, strlen(msgs[0].content));
            first = 1;
        }
        eb_buf_puts(out, "<turn|>\n");
    }
    for (size_t i = first; i < n; i++) {
        bool model = !strcmp(msgs[i].role, "assistant") || !strcmp(msgs[i].role, "model");
        eb_buf_puts(out, "<|turn>");
        eb_buf_puts(out, model ? "model" : msgs[i].role);
        eb_buf_putc(out, '\n');
        if (model) { /* earlier answers go back without their thinking */
            char *s = eb_strip_thinking(msgs[i].content, strlen(msgs[i].content));
            eb_buf_puts(out, s);
            free(s);
        } else {
            put_trimmed(out, msgs[i].content, strlen(msgs[i].content));
        }
        eb_buf_puts(out, "<turn|>\n");
    }
    if (opts->add_generation_prompt) {
        eb_buf_puts(out, "<|turn>model\n");
        if (opts->family == EB_GEMMA4_LARGE && !opts->enable_thinking)
            eb_buf_puts(out, "<|channel>thought\n<channel|>");
    }
    return 0;
}

size_t eb_gemma4_stop_ids(const eb_tokenizer *tok, int32_t out[3]) {
    static const char *const names[3] = {"<eos>", "<turn|>", "<|tool_response>"};
    size_t n = 0;
    for (int i = 0; i < 3; i++) {
        int32_t id = eb_tokenizer_token_id(tok, names[i]);
        if (id >= 0) out[n++] = id;
    }
    return n;
}

/* The template source writes the strings as Jinja literals, with "\n"
 * spelled as backslash-n. */
int eb_gemma4_opts_from_template(const char *t, eb_gemma4_chat_opts *opts) {
    if (!t || !strstr(t, "<|turn>")) return -1;
    opts->family = strstr(t, "<|channel>thought\\n<channel|>") || strstr(t, "<|channel>thought\n<channel|>")
                       ? EB_GEMMA4_LARGE
                       : EB_GEMMA4_SMALL;
    opts->think_newline = strstr(t, "<|think|>\\n") || strstr(t, "<|think|>\n");
    return 0;
}
