/* private_test_cases decoding: base64 -> zlib -> pickled str.  See
 * lcb_decode.h. */
#include "lcb_decode.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* The largest official blob inflates to tens of megabytes; a cap keeps a
 * hostile "zip bomb" from exhausting memory. */
#define INFLATE_MAX ((size_t)1 << 30)

int eb_zlib_inflate(const unsigned char *in, size_t len, unsigned char **out, size_t *out_len, eb_err *err) {
    z_stream z;
    memset(&z, 0, sizeof z);
    /* 15 + 32: zlib or gzip header, detected automatically. */
    if (inflateInit2(&z, 15 + 32) != Z_OK) return eb_err_set(err, "zlib: cannot initialise inflate");
    size_t cap = len * 4 + 1024, n = 0;
    unsigned char *o = eb_malloc(cap);
    z.next_in = (unsigned char *)in;
    int rc;
    size_t left = len;
    for (;;) {
        if (n == cap) {
            if (cap >= INFLATE_MAX) {
                inflateEnd(&z);
                free(o);
                return eb_err_set(err, "zlib: data inflates beyond %zu bytes", INFLATE_MAX);
            }
            cap = cap * 2 > INFLATE_MAX ? INFLATE_MAX : cap * 2;
            o = eb_realloc(o, cap);
        }
        /* avail_in/avail_out are 32-bit: feed in slices. */
        uInt in_slice = left > 0x40000000u ? 0x40000000u : (uInt)left;
        z.avail_in = in_slice;
        size_t room = cap - n;
        z.avail_out = room > 0x40000000u ? 0x40000000u : (uInt)room;
        uInt out_before = z.avail_out;
        z.next_out = o + n;
        rc = inflate(&z, Z_NO_FLUSH);
        left -= in_slice - z.avail_in;
        n += out_before - z.avail_out;
        if (rc == Z_STREAM_END) break;
        if (rc == Z_BUF_ERROR && left == 0 && z.avail_out > 0) {
            inflateEnd(&z);
            free(o);
            return eb_err_set(err, "zlib: compressed data ends early (truncated)");
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            const char *msg = z.msg ? z.msg : "invalid data";
            eb_err_set(err, "zlib: %s at input byte %zu", msg, len - left);
            inflateEnd(&z);
            free(o);
            return -1;
        }
    }
    inflateEnd(&z);
    *out = o;
    *out_len = n;
    return 0;
}

int eb_lcb_decode_private(const char *b64, char **json_out, eb_err *err) {
    *json_out = NULL;
    if (!b64) return eb_err_set(err, "private_test_cases: no value");
    unsigned char *raw = NULL, *pickled = NULL;
    size_t raw_len = 0, pickled_len = 0, json_len = 0;
    int rc = -1;
    if (eb_base64_decode(b64, strlen(b64), &raw, &raw_len, err) != 0) goto done;
    if (eb_zlib_inflate(raw, raw_len, &pickled, &pickled_len, err) != 0) goto done;
    if (eb_unpickle_str(pickled, pickled_len, json_out, &json_len, err) != 0) goto done;
    rc = 0;
done:
    if (rc != 0) eb_err_prefix(err, "private_test_cases");
    free(raw);
    free(pickled);
    return rc;
}
