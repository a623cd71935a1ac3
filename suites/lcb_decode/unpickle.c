/* A deliberately tiny unpickler: it accepts exactly what pickle.dumps(str)
 * emits under protocols 0-5 and nothing else.
 *
 *   protocol 0:   'V' raw-unicode-escape text '\n', PUT, STOP
 *   protocol 1-3: [PROTO n] BINUNICODE, BINPUT, STOP
 *   protocol 4-5: PROTO n, FRAME, SHORT_BINUNICODE | BINUNICODE | BINUNICODE8,
 *                 MEMOIZE, STOP
 *
 * Opcode values follow the pickle format as documented in CPython's
 * pickletools module. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "lcb_decode.h"

static const char *opcode_name(unsigned char op) {
    switch (op) {
    case '(': return "MARK";
    case ')': return "EMPTY_TUPLE";
    case ']': return "EMPTY_LIST";
    case '}': return "EMPTY_DICT";
    case 'N': return "NONE";
    case 'I': return "INT";
    case 'J': return "BININT";
    case 'K': return "BININT1";
    case 'M': return "BININT2";
    case 'L': return "LONG";
    case 'F': return "FLOAT";
    case 'G': return "BINFLOAT";
    case 'S': return "STRING";
    case 'T': return "BINSTRING";
    case 'U': return "SHORT_BINSTRING";
    case 'B': return "BINBYTES";
    case 'C': return "SHORT_BINBYTES";
    case 'a': return "APPEND";
    case 'e': return "APPENDS";
    case 's': return "SETITEM";
    case 'u': return "SETITEMS";
    case 't': return "TUPLE";
    case 'l': return "LIST";
    case 'd': return "DICT";
    case 'c': return "GLOBAL";
    case 'R': return "REDUCE";
    case 'b': return "BUILD";
    case 'i': return "INST";
    case 'o': return "OBJ";
    case 'g': return "GET";
    case 'h': return "BINGET";
    case 'j': return "LONG_BINGET";
    case '0': return "POP";
    case '1': return "POP_MARK";
    case '2': return "DUP";
    case 0x81: return "NEWOBJ";
    case 0x85: return "TUPLE1";
    case 0x86: return "TUPLE2";
    case 0x87: return "TUPLE3";
    case 0x88: return "NEWTRUE";
    case 0x89: return "NEWFALSE";
    case 0x8a: return "LONG1";
    case 0x8b: return "LONG4";
    case 0x8e: return "BINBYTES8";
    case 0x8f: return "EMPTY_SET";
    case 0x90: return "ADDITEMS";
    case 0x91: return "FROZENSET";
    case 0x92: return "NEWOBJ_EX";
    case 0x93: return "STACK_GLOBAL";
    case 0x96: return "BYTEARRAY8";
    case 0x97: return "NEXT_BUFFER";
    case 0x98: return "READONLY_BUFFER";
    default: return "unknown opcode";
    }
}

static uint64_t le(const unsigned char *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static void put_utf8(eb_buf *b, uint32_t cp) {
    char s[4];
    if (cp < 0x80) {
        eb_buf_putc(b, (char)cp);
    } else if (cp < 0x800) {
        s[0] = (char)(0xc0 | (cp >> 6));
        s[1] = (char)(0x80 | (cp & 0x3f));
        eb_buf_append(b, s, 2);
    } else if (cp < 0x10000) {
        s[0] = (char)(0xe0 | (cp >> 12));
        s[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        s[2] = (char)(0x80 | (cp & 0x3f));
        eb_buf_append(b, s, 3);
    } else {
        s[0] = (char)(0xf0 | (cp >> 18));
        s[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        s[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        s[3] = (char)(0x80 | (cp & 0x3f));
        eb_buf_append(b, s, 4);
    }
}

static int hex_value(const unsigned char *p, int n, uint32_t *out) {
    uint32_t v = 0;
    for (int i = 0; i < n; i++) {
        unsigned char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + (uint32_t)d;
    }
    *out = v;
    return 0;
}

/* Protocol 0 text: raw-unicode-escape, where bytes are Latin-1 code points
 * and \uXXXX / \UXXXXXXXX are escapes (pickle escapes every backslash and
 * newline this way, so a lone backslash is literal). */
static int decode_raw_unicode_escape(const unsigned char *p, size_t len, size_t at, eb_buf *out, eb_err *err) {
    for (size_t i = 0; i < len;) {
        unsigned char c = p[i];
        if (c == '\\' && i + 1 < len && (p[i + 1] == 'u' || p[i + 1] == 'U')) {
            int digits = p[i + 1] == 'u' ? 4 : 8;
            uint32_t cp;
            if (i + 2 + (size_t)digits > len || hex_value(p + i + 2, digits, &cp) != 0)
                return eb_err_set(err, "pickle: malformed \\%c escape in UNICODE at byte %zu", p[i + 1], at + i);
            i += 2 + (size_t)digits;
            if (cp >= 0xd800 && cp <= 0xdbff && i + 6 <= len && p[i] == '\\' && p[i + 1] == 'u') {
                uint32_t lo;
                if (hex_value(p + i + 2, 4, &lo) == 0 && lo >= 0xdc00 && lo <= 0xdfff) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    i += 6;
                }
            }
            if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return eb_err_set(err, "pickle: code point U+%04X in UNICODE at byte %zu is not valid text",
                                  (unsigned)cp, at + i);
            if (cp == 0) return eb_err_set(err, "pickle: NUL character in string at byte %zu", at + i);
            put_utf8(out, cp);
        } else {
            if (c == 0) return eb_err_set(err, "pickle: NUL character in string at byte %zu", at + i);
            put_utf8(out, c);
            i++;
        }
    }
    return 0;
}

/* Checks that pickled UTF-8 is well formed (the JSON parser downstream
 * expects text) and has no NUL, which would cut the C string. */
static int check_utf8(const unsigned char *p, size_t len, size_t at, eb_err *err) {
    for (size_t i = 0; i < len;) {
        unsigned char c = p[i];
        int n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (c == 0) return eb_err_set(err, "pickle: NUL character in string at byte %zu", at + i);
        if (n == 0 || (c & 0xfe) == 0xc0 || i + (size_t)n > len)
            return eb_err_set(err, "pickle: invalid UTF-8 in string at byte %zu", at + i);
        for (int k = 1; k < n; k++)
            if ((p[i + (size_t)k] & 0xc0) != 0x80)
                return eb_err_set(err, "pickle: invalid UTF-8 in string at byte %zu", at + i);
        i += (size_t)n;
    }
    return 0;
}

int eb_unpickle_str(const unsigned char *p, size_t len, char **str_out, size_t *str_len, eb_err *err) {
    *str_out = NULL;
    eb_buf result = {0};
    int have = 0; /* strings on the stack: exactly one is allowed */
    size_t i = 0;
    while (i < len) {
        size_t at = i;
        unsigned char op = p[i++];
        switch (op) {
        case 0x80: /* PROTO */
            if (i >= len) goto truncated;
            if (p[i] > 5) {
                eb_err_set(err, "pickle: protocol %d at byte %zu is newer than 5", p[i], at);
                goto fail;
            }
            i++;
            break;
        case 0x95: { /* FRAME: a length hint for buffered readers; we have it all */
            if (len - i < 8) goto truncated;
            uint64_t n = le(p + i, 8);
            i += 8;
            if (n > len - i) {
                eb_err_set(err, "pickle: FRAME at byte %zu announces %llu bytes, only %zu follow", at,
                           (unsigned long long)n, len - i);
                goto fail;
            }
            break;
        }
        case 'X':    /* BINUNICODE: 4-byte length */
        case 0x8c:   /* SHORT_BINUNICODE: 1-byte length */
        case 0x8d: { /* BINUNICODE8: 8-byte length */
            int w = op == 'X' ? 4 : op == 0x8c ? 1 : 8;
            if (len - i < (size_t)w) goto truncated;
            uint64_t n = le(p + i, w);
            i += (size_t)w;
            if (n > len - i) goto truncated;
            if (have++) goto two_values;
            if (check_utf8(p + i, (size_t)n, i, err) != 0) goto fail;
            eb_buf_append(&result, p + i, (size_t)n);
            i += (size_t)n;
            break;
        }
        case 'V': { /* UNICODE (protocol 0): text up to newline */
            const unsigned char *nl = memchr(p + i, '\n', len - i);
            if (!nl) goto truncated;
            if (have++) goto two_values;
            size_t n = (size_t)(nl - (p + i));
            if (decode_raw_unicode_escape(p + i, n, i, &result, err) != 0) goto fail;
            i += n + 1;
            break;
        }
        case 0x94: /* MEMOIZE */
            if (!have) goto memo_empty;
            break;
        case 'q': /* BINPUT: 1-byte memo index */
            if (len - i < 1) goto truncated;
            if (!have) goto memo_empty;
            i += 1;
            break;
        case 'r': /* LONG_BINPUT: 4-byte memo index */
            if (len - i < 4) goto truncated;
            if (!have) goto memo_empty;
            i += 4;
            break;
        case 'p': { /* PUT: decimal memo index, newline */
            const unsigned char *nl = memchr(p + i, '\n', len - i);
            if (!nl) goto truncated;
            if (!have) goto memo_empty;
            for (const unsigned char *d = p + i; d < nl; d++)
                if (*d < '0' || *d > '9') {
                    eb_err_set(err, "pickle: PUT at byte %zu has a non-numeric index", at);
                    goto fail;
                }
            i = (size_t)(nl - p) + 1;
            break;
        }
        case '.': /* STOP */
            if (!have) {
                eb_err_set(err, "pickle: STOP at byte %zu with nothing to return", at);
                goto fail;
            }
            if (i != len) {
                eb_err_set(err, "pickle: %zu bytes of trailing data after STOP at byte %zu", len - i, at);
                goto fail;
            }
            *str_len = result.len;
            *str_out = eb_buf_take(&result);
            if (!*str_out) *str_out = eb_strdup(""); /* an empty string never allocated */
            return 0;
        default:
            eb_err_set(err, "pickle: unsupported opcode 0x%02x (%s) at byte %zu: only a pickled str is accepted", op,
                       opcode_name(op), at);
            goto fail;
        }
    }
    eb_err_set(err, "pickle: data ends without STOP (truncated?)");
    goto fail;
truncated:
    eb_err_set(err, "pickle: data ends inside an opcode (truncated?)");
    goto fail;
two_values:
    eb_err_set(err, "pickle: more than one value; expected a single str");
    goto fail;
memo_empty:
    eb_err_set(err, "pickle: memo opcode before any value");
fail:
    eb_buf_free(&result);
    return -1;
}
