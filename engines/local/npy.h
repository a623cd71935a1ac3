/* Writes float32 arrays in NumPy's .npy format (version 1.0), for
 * `evalbench generate --logits-out` and the benchmarks' comparisons. */
#ifndef EB_NPY_H
#define EB_NPY_H

#include <stddef.h>

#include "error.h"

/* data is row-major [rows, cols]. */
int eb_npy_write_f32(const char *path, const float *data, size_t rows, size_t cols, eb_err *err);

#endif
