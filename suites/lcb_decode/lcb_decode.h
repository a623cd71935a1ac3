/* LiveCodeBench packs the hidden tests of its official release
 * (`private_test_cases` in code_generation_lite) as
 *     base64( zlib( pickle( json.dumps(tests) ) ) )
 * i.e. a pickled Python str holding the JSON text of the test list.  This
 * decodes that in C without running a Python unpickler: only the opcodes
 * that pickling one str can produce (protocols 0-5) are accepted, so a
 * crafted blob can never do more than fail with a message. */
#ifndef EB_LCB_DECODE_H
#define EB_LCB_DECODE_H

#include <stddef.h>

#include "error.h"

/* Decodes one private_test_cases value.  On success *json_out is a new
 * NUL-terminated UTF-8 string (the caller frees it with free()); on failure
 * returns -1 with err saying which stage failed (base64, zlib, pickle: the
 * opcode and byte offset). */
int eb_lcb_decode_private(const char *b64, char **json_out, eb_err *err);

/* The three stages, exposed for tests and tools. */
int eb_base64_decode(const char *s, size_t len, unsigned char **out, size_t *out_len, eb_err *err);
int eb_zlib_inflate(const unsigned char *in, size_t len, unsigned char **out, size_t *out_len, eb_err *err);
int eb_unpickle_str(const unsigned char *p, size_t len, char **str_out, size_t *str_len, eb_err *err);

#endif
