/* Gemma 4 prompts: the chat template rendered in C, the stop tokens, and
 * the removal of the thinking channel from a response.
 *
 * Chat prompts are rendered to text (with "<bos>" and the turn markers
 * written out) and then encoded with eb_tokenizer_encode(..., 0, ...):
 * the markers are special tokens that the encoder matches, exactly as
 * apply_chat_template(tokenize=True) does.  Raw-completion prompts (base
 * models: MMLU 5-shot, HumanEval completion) skip the template and are
 * encoded with EB_TOK_ADD_BOS or without it, as the caller decides. */
#ifndef EB_CHAT_TEMPLATE_H
#define EB_CHAT_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "tokenizer.h"

/* The two published templates differ in the generation prompt. */
typedef enum eb_gemma4_family {
    EB_GEMMA4_SMALL = 0, /* E2B, E4B: "<|turn>model\n" */
    EB_GEMMA4_LARGE = 1, /* 26B-A4B, 31B: adds an empty thought block when thinking is off */
} eb_gemma4_family;

typedef struct eb_chat_msg {
    const char *role;    /* "system", "developer", "user", "assistant" (or "model") */
    const char *content; /* UTF-8; surrounding whitespace is trimmed as the template does */
} eb_chat_msg;

typedef struct eb_gemma4_chat_opts {
    eb_gemma4_family family;
    bool enable_thinking;       /* "<|think|>" at the top of the system turn */
    bool add_generation_prompt; /* end with the opening of the model's turn */
    bool no_bos;                /* leave out the leading "<bos>" */
    bool think_newline;         /* "<|think|>\n", as later template revisions write it */
} eb_gemma4_chat_opts;

/* Reads the checkpoint's own template text (chat_template.jinja, or the
 * "chat_template" string of tokenizer_config.json) and sets opts->family
 * (LARGE when the generation prompt writes the empty thought block) and
 * opts->think_newline.  Returns 0, or -1 when the text does not look like a
 * Gemma 4 template (no "<|turn>"), leaving opts unchanged. */
int eb_gemma4_opts_from_template(const char *template_text, eb_gemma4_chat_opts *opts);

/* Appends the rendered prompt to *out.  A system/developer message is only
 * allowed first (as its own turn); an unknown role, a NULL content or an
 * empty conversation is an error. */
int eb_gemma4_render_chat(const eb_chat_msg *msgs, size_t n, const eb_gemma4_chat_opts *opts, eb_buf *out,
                          eb_err *err);

/* The generation stop tokens: <eos>, <turn|>, <|tool_response>; those
 * present in the vocabulary are written to out.  Returns how many. */
size_t eb_gemma4_stop_ids(const eb_tokenizer *tok, int32_t out[3]);

/* The response text for scorers: every "<|channel>...<channel|>" block is
 * removed (an unclosed one runs to the end), then surrounding whitespace is
 * trimmed -- the rule the template itself applies to earlier model turns.
 * Decode without EB_TOK_SKIP_SPECIAL so the markers are there to find.
 * Returns a new string (free() it); keep the raw text separately. */
char *eb_strip_thinking(const char *text, size_t len);

#endif
