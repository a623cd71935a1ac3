/* Stands in for the CUDA backend in builds made without the CUDA toolkit. */
#include "g4_cuda.h"

int eb_g4_cuda_device_count(void) { return 0; }

eb_g4_backend *eb_g4_cuda_backend_create(int device, eb_err *err) {
    (void)device;
    eb_err_set(err, "this evalbench was built without the CUDA toolkit: rebuild with nvcc on the PATH, or use --device cpu");
    return NULL;
}

size_t eb_g4_cuda_free_bytes(eb_g4_backend *b) {
    (void)b;
    return 0;
}

const char *eb_g4_cuda_describe(eb_g4_backend *b) {
    (void)b;
    return "no CUDA backend";
}

int eb_g4_cuda_randomize_matrices(eb_g4_backend *b, uint64_t seed, float amplitude, eb_err *err) {
    (void)b;
    (void)seed;
    (void)amplitude;
    return eb_err_set(err, "no CUDA backend in this build");
}

int eb_g4_cuda_compiled(void) { return 0; }
