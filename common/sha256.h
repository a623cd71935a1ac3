/* SHA-256 (FIPS 180-4), used for dataset fingerprints, download checks and
 * request-cache keys.  Implemented here to avoid a crypto library dependency. */
#ifndef EB_SHA256_H
#define EB_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct eb_sha256_ctx {
    uint32_t h[8];
    uint64_t total;
    uint8_t block[64];
    size_t fill;
} eb_sha256_ctx;

void eb_sha256_init(eb_sha256_ctx *c);
void eb_sha256_update(eb_sha256_ctx *c, const void *data, size_t n);
void eb_sha256_final_hex(eb_sha256_ctx *c, char hex[65]);
void eb_sha256_hex(const void *data, size_t n, char hex[65]);
/* Hash of the raw bytes of a file (not inflated). */
int eb_sha256_file(const char *path, char hex[65], eb_err *err);

#endif
