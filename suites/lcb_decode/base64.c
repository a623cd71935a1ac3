/* Base64 (RFC 4648, standard alphabet) decoding as Python's b64decode
 * accepts it for our inputs: whitespace is ignored, padding is optional. */
#include <stdlib.h>
#include <string.h>

#include "lcb_decode.h"

static int b64_value(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

int eb_base64_decode(const char *s, size_t len, unsigned char **out, size_t *out_len, eb_err *err) {
    unsigned char *o = eb_malloc(len / 4 * 3 + 4);
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0, pad = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        if (c == '=') {
            pad++;
            continue;
        }
        int v = b64_value(c);
        if (v < 0 || pad) {
            free(o);
            return eb_err_set(err, "base64: %s at offset %zu",
                              pad ? "data after '=' padding" : "invalid character", i);
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[n++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* 6 leftover bits cannot encode a byte: the input was cut mid-group. */
    if (bits >= 6 || pad > 2) {
        free(o);
        return eb_err_set(err, "base64: input length is not a whole number of bytes (truncated?)");
    }
    *out = o;
    *out_len = n;
    return 0;
}
