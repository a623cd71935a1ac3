/* A Hugging Face tokenizer.json implementation for the local engine.
 *
 * Supported pipeline (anything else is refused at load time with an error
 * naming the file and the component):
 *   added tokens   matched before anything else (leftmost-longest), with the
 *                  single_word / lstrip / rstrip / normalized options
 *   normalizer     Replace (string or regex), Prepend, Strip, Sequence
 *   pre_tokenizer  Split (string or PCRE2 regex, every split behaviour,
 *                  invert), ByteLevel, Metaspace, Digits, Whitespace,
 *                  WhitespaceSplit, Sequence
 *   model          BPE: merges by rank, byte_fallback (<0xXX> tokens), unk
 *                  and fuse_unk, continuing_subword_prefix,
 *                  end_of_word_suffix, ignore_merges
 *   post_processor TemplateProcessing, BertProcessing, RobertaProcessing,
 *                  ByteLevel, Sequence (used only with EB_TOK_ADD_SPECIAL)
 *   decoder        Replace, ByteFallback, Fuse, Strip, ByteLevel, Metaspace,
 *                  Sequence
 *
 * Text given to the encoder is UTF-8; invalid sequences are replaced by
 * U+FFFD first, one per maximal invalid subpart (the rule Python's
 * bytes.decode(errors="replace") follows), so the ids equal what the
 * `tokenizers` library returns for the lossily decoded string.
 *
 * A loaded tokenizer is immutable: encode and decode may be called from
 * several threads at once. */
#ifndef EB_TOKENIZER_H
#define EB_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

typedef struct eb_tokenizer eb_tokenizer;

/* Encode flags. */
enum {
    /* Prepend the BOS token ("<bos>", else "<s>") whatever the file says.
     * This is the explicit BOS control raw-completion prompts use. */
    EB_TOK_ADD_BOS = 1u << 0,
    /* Apply the file's post_processor, as add_special_tokens=True does in
     * Hugging Face (for Gemma 4 the file's processor adds nothing). */
    EB_TOK_ADD_SPECIAL = 1u << 1,
    /* Treat special tokens written in the text as plain text (Hugging Face
     * encode_special_tokens=True); use it for untrusted content. */
    EB_TOK_SPECIAL_AS_TEXT = 1u << 2,
};

/* Decode flags. */
enum {
    EB_TOK_SKIP_SPECIAL = 1u << 0, /* leave out added tokens marked special */
};

/* Loads a tokenizer.json (plain or gzip).  Errors name the file and the
 * component, e.g. "tok.json: model: unsupported type \"Unigram\"". */
int eb_tokenizer_load(const char *path, eb_tokenizer **out, eb_err *err);
/* The same from a buffer; `name` is used in messages. */
int eb_tokenizer_load_mem(const char *json, size_t len, const char *name, eb_tokenizer **out, eb_err *err);
void eb_tokenizer_free(eb_tokenizer *tok);

/* Text -> ids.  *ids is allocated (free() it); it may be NULL when *n is 0. */
int eb_tokenizer_encode(const eb_tokenizer *tok, const char *text, size_t len, unsigned flags, int32_t **ids,
                        size_t *n, eb_err *err);

/* Ids -> text, exactly as the file's decoder chain does it.  The result is
 * valid UTF-8 (byte-fallback runs that are not valid UTF-8 become U+FFFD,
 * one per byte, as in Hugging Face).  Appends to *out.  An id outside the
 * vocabulary is an error. */
int eb_tokenizer_decode(const eb_tokenizer *tok, const int32_t *ids, size_t n, unsigned flags, eb_buf *out,
                        eb_err *err);

/* Id of a token string (vocabulary or added token), -1 when absent. */
int32_t eb_tokenizer_token_id(const eb_tokenizer *tok, const char *token);
/* The token's string as stored in the file, NULL for an unused id. */
const char *eb_tokenizer_token_str(const eb_tokenizer *tok, int32_t id);
/* One past the largest id. */
size_t eb_tokenizer_vocab_size(const eb_tokenizer *tok);
/* Whether id is an added token marked special. */
int eb_tokenizer_is_special(const eb_tokenizer *tok, int32_t id);
/* "<bos>" or "<s>", -1 if the vocabulary has neither. */
int32_t eb_tokenizer_bos_id(const eb_tokenizer *tok);

/* Streaming decoder for generation: push ids one at a time and get the new
 * text as soon as it is final.  Partial UTF-8 characters and unfinished
 * byte-fallback runs are held back, so the concatenation of everything
 * pushed out (plus eb_tok_stream_finish) equals eb_tokenizer_decode of all
 * the ids.  A long run of byte-fallback tokens is decoded once, when it
 * ends, so streaming stays linear in the number of ids. */
typedef struct eb_tok_stream eb_tok_stream;

eb_tok_stream *eb_tok_stream_new(const eb_tokenizer *tok, unsigned decode_flags);
/* Appends newly final text to *out (possibly nothing). */
int eb_tok_stream_push(eb_tok_stream *s, int32_t id, eb_buf *out, eb_err *err);
/* Appends whatever is still held back (end of generation). */
int eb_tok_stream_finish(eb_tok_stream *s, eb_buf *out, eb_err *err);
void eb_tok_stream_free(eb_tok_stream *s);

#endif
