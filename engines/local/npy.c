#include "npy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int eb_npy_write_f32(const char *path, const float *data, size_t rows, size_t cols, eb_err *err) {
    char dict[128];
    int n = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu, %zu), }", rows, cols);
    /* magic (6) + version (2) + header length (2) + dict, padded with spaces
     * and a newline to a multiple of 64 bytes */
    size_t total = 10 + (size_t)n + 1;
    size_t pad = (64 - total % 64) % 64;
    FILE *f = fopen(path, "wb");
    if (!f) return eb_err_set(err, "%s: cannot create: %s", path, strerror(errno));
    unsigned short hlen = (unsigned short)(n + pad + 1);
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff), (unsigned char)(hlen >> 8)};
    int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(dict, 1, (size_t)n, f) == (size_t)n;
    for (size_t i = 0; ok && i < pad; i++) ok = fputc(' ', f) != EOF;
    ok = ok && fputc('\n', f) != EOF;
    /* x86-64 and arm64 are little-endian, as '<f4' says */
    if (ok && rows > 0 && cols > 0) ok = fwrite(data, sizeof(float), rows * cols, f) == rows * cols;
    if (fclose(f) != 0) ok = 0;
    if (!ok) return eb_err_set(err, "%s: write failed: %s", path, strerror(errno));
    return 0;
}
