/* Internal representation of a loaded tokenizer.json, shared by the loader,
 * the encoder and the decoder.  Not part of the public API. */
#ifndef EB_TOK_INTERNAL_H
#define EB_TOK_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "tokenizer.h"

/* ---- string -> id hash map (open addressing, keys borrowed) ---- */
typedef struct tk_entry {
    const char *s;
    uint32_t len;
    int32_t id; /* -1: empty slot */
} tk_entry;

typedef struct tk_strmap {
    tk_entry *e;
    size_t mask;
    size_t n;
} tk_strmap;

void tk_strmap_init(tk_strmap *m, size_t expected);
/* Inserts or overwrites. */
void tk_strmap_put(tk_strmap *m, const char *s, size_t len, int32_t id);
int32_t tk_strmap_get(const tk_strmap *m, const char *s, size_t len);
void tk_strmap_free(tk_strmap *m);

/* ---- (left id, right id) -> (rank, merged id) ---- */
typedef struct tk_pair {
    uint64_t key;
    uint32_t rank; /* UINT32_MAX: empty slot */
    int32_t id;
} tk_pair;

typedef struct tk_pairmap {
    tk_pair *e;
    size_t mask;
} tk_pairmap;

void tk_pairmap_init(tk_pairmap *m, size_t expected);
void tk_pairmap_put(tk_pairmap *m, int32_t a, int32_t b, uint32_t rank, int32_t id);
const tk_pair *tk_pairmap_get(const tk_pairmap *m, int32_t a, int32_t b);
void tk_pairmap_free(tk_pairmap *m);

/* ---- UTF-8 ---- */
/* Length of the valid UTF-8 sequence at s (1..4), 0 if invalid/truncated. */
size_t tk_utf8_len(const unsigned char *s, size_t avail);
/* Appends s with every maximal invalid subpart replaced by U+FFFD. */
void tk_utf8_lossy(eb_buf *out, const char *s, size_t len);
bool tk_utf8_valid(const char *s, size_t len);
/* Number of trailing bytes that form an unfinished (but so far valid)
 * UTF-8 sequence; 0 when the text ends on a character boundary. */
size_t tk_utf8_incomplete_tail(const char *s, size_t len);
/* Decodes one code point from valid UTF-8; returns its byte length. */
size_t tk_utf8_decode(const char *s, uint32_t *cp);
size_t tk_utf8_encode(uint32_t cp, char out[4]);
/* GPT-2 byte-level alphabet: byte -> code point and back (-1: none). */
uint32_t tk_bytelevel_cp(unsigned char b);
int tk_bytelevel_byte(uint32_t cp);
/* Unicode White_Space (Rust char::is_whitespace). */
bool tk_is_whitespace(uint32_t cp);

/* ---- pieces of text flowing through the encoder ---- */
typedef struct tk_piece {
    size_t off, len;   /* bytes in the owning arena */
    int32_t id;        /* >= 0: already an added token, not split further */
    bool at_start;     /* begins at offset 0 of the original text */
} tk_piece;

typedef struct tk_pieces {
    eb_buf arena;
    tk_piece *v;
    size_t n, cap;
} tk_pieces;

void tk_pieces_add(tk_pieces *p, const char *s, size_t len, int32_t id, bool at_start);
void tk_pieces_reset(tk_pieces *p);
void tk_pieces_free(tk_pieces *p);

/* ---- components ---- */
enum tk_pattern_kind { TK_PAT_STRING, TK_PAT_REGEX };

typedef struct tk_pattern {
    int kind;
    char *lit; /* TK_PAT_STRING */
    size_t litlen;
    pcre2_code *re; /* TK_PAT_REGEX */
} tk_pattern;

/* Appends to (starts, ends) the non-overlapping matches of pat in s.
 * Returns 0, or the PCRE2 error code when matching itself failed (a
 * resource limit): the caller reports it rather than splitting wrongly. */
int tk_pattern_find(const tk_pattern *pat, const char *s, size_t len, size_t **starts, size_t **ends, size_t *n,
                     size_t *cap);
/* Appends s with every match replaced by rep; 0 or a PCRE2 error code. */
int tk_pattern_replace(const tk_pattern *pat, const char *s, size_t len, const char *rep, size_t replen, eb_buf *out);
void tk_pattern_free(tk_pattern *pat);

enum tk_norm_kind { TK_N_REPLACE, TK_N_PREPEND, TK_N_STRIP };

typedef struct tk_norm {
    int kind;
    tk_pattern pat;
    char *content; /* replacement (Replace) or prefix (Prepend) */
    size_t clen;
    bool left, right; /* Strip */
} tk_norm;

enum tk_split_behavior { TK_REMOVED, TK_ISOLATED, TK_MERGED_PREV, TK_MERGED_NEXT, TK_CONTIGUOUS };
enum tk_prepend_scheme { TK_PREPEND_ALWAYS, TK_PREPEND_FIRST, TK_PREPEND_NEVER };
enum tk_pre_kind { TK_P_SPLIT, TK_P_BYTELEVEL, TK_P_METASPACE };

typedef struct tk_pre {
    int kind;
    tk_pattern pat; /* Split; ByteLevel's regex when use_regex */
    int behavior;
    bool invert;
    bool add_prefix_space, use_regex; /* ByteLevel */
    char rep[8];                      /* Metaspace replacement character */
    size_t replen;
    int prepend;
    bool split;
} tk_pre;

enum tk_dec_kind { TK_D_REPLACE, TK_D_BYTEFALLBACK, TK_D_FUSE, TK_D_STRIP, TK_D_BYTELEVEL, TK_D_METASPACE };

typedef struct tk_dec {
    int kind;
    tk_pattern pat;
    char *content; /* Replace: replacement; Strip: the character */
    size_t clen;
    int start, stop; /* Strip */
    char rep[8];     /* Metaspace */
    size_t replen;
    int prepend;
} tk_dec;

typedef struct tk_added {
    char *content; /* as written in the file */
    size_t len;
    char *match; /* what is searched: content, normalized when `normalized` */
    size_t mlen;
    int32_t id;
    bool special, single_word, lstrip, rstrip, normalized;
} tk_added;

/* A byte trie over added-token strings for leftmost-longest matching. */
typedef struct tk_trie_node {
    int32_t first_child, next_sibling;
    int32_t added; /* index into added[] or -1 */
    unsigned char byte;
} tk_trie_node;

typedef struct tk_trie {
    tk_trie_node *nodes;
    size_t n, cap;
    bool first_byte[256];
} tk_trie;

struct eb_tokenizer {
    char *name;

    /* every id's string (added tokens take precedence over the vocabulary);
     * the strings are owned by model_str and added[] */
    char **model_str;
    char **id_str;
    uint32_t *id_len;
    size_t n_ids;
    bool *id_special;

    tk_strmap vocab;     /* model vocabulary only (what BPE sees) */
    tk_strmap all_ids;   /* vocabulary + added tokens (token_id lookups) */
    tk_pairmap merges;

    /* BPE options */
    int32_t unk_id;
    bool byte_fallback, fuse_unk, ignore_merges;
    char *cont_prefix, *eow_suffix;
    size_t cont_prefix_len, eow_suffix_len;
    int32_t byte_ids[256];
    bool all_bytes; /* every <0xXX> present */

    tk_added *added;
    size_t n_added;
    tk_trie trie_raw, trie_norm;

    tk_norm *norms;
    size_t n_norms;
    tk_pre *pres;
    size_t n_pres;
    tk_dec *decs;
    size_t n_decs;

    int32_t *post_prefix, *post_suffix;
    size_t n_post_prefix, n_post_suffix;

    int32_t bos_id;
};

/* Applies the normalizer chain to s, appending the result to out; 0 or a
 * PCRE2 error code. */
int tk_normalize(const eb_tokenizer *tok, const char *s, size_t len, eb_buf *out);

/* Decodes ids; `first` says the list starts the text (Metaspace and Strip
 * treat the first token specially); *incomplete is set when the text ends
 * in the middle of a character or a byte-fallback run. */
int tk_decode_ids(const eb_tokenizer *tok, const int32_t *ids, size_t n, unsigned flags, bool first, eb_buf *out,
                  bool *incomplete, eb_err *err);

#endif
