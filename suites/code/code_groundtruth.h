/* HumanEval+ expected outputs: the canonical solution of each task is run
 * once in the sandbox on all of its base and plus inputs, and its outputs
 * (a compressed pickle, opaque here) and per-input runtimes are kept for
 * every later check of that task.  Thread-safe; computed on first use, and a
 * second caller for the same task waits for the first instead of computing
 * it again. */
#ifndef EB_CODE_GROUNDTRUTH_H
#define EB_CODE_GROUNDTRUTH_H

#include <stddef.h>

#include "error.h"
#include "executor.h"

typedef struct eb_groundtruth {
    unsigned char *blob[2];   /* [0] base_input, [1] plus_input: zlib(pickle(outputs)) */
    size_t blob_len[2];
    double *times[2];         /* seconds per input, measured around each call */
    size_t n_inputs[2];
    double compute_ms;        /* wall time of the computing run */
} eb_groundtruth;

/* Returns the entry for this record (keyed by the record's text), computing
 * it when needed; the pointer stays valid until eb_codescore_cache_clear.
 * *computed is set to 1 when this call ran the canonical solution. */
const eb_groundtruth *eb_groundtruth_get(const char *plus_json, eb_executor *ex, int *computed, eb_err *err);

#endif
