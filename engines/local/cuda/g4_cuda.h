/* The CUDA backend of the Gemma 4 engine (engines/local/cuda/): the
 * operations table of g4_backend.h on one NVIDIA GPU.  Weights live on the
 * device in bf16, activations in f32; matrix products round their input
 * activations to bf16 and accumulate in f32 on the tensor cores.
 *
 * Every operation computes each row of its output with an arithmetic that
 * does not depend on how many other rows share the call, so a prompt gives
 * the same bits alone or inside any batch (see docs/local-engine-cuda.md).
 *
 * A build without the CUDA toolkit links g4_cuda_none.c instead: no device
 * is ever visible and creating the backend fails with a message. */
#ifndef EB_G4_CUDA_H
#define EB_G4_CUDA_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "g4_backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* CUDA devices visible to this process (0 when there is no driver or GPU,
 * or the build has no CUDA backend). */
int eb_g4_cuda_device_count(void);

/* A backend on device `device`; NULL with a message when it cannot be made. */
eb_g4_backend *eb_g4_cuda_backend_create(int device, eb_err *err);

/* Bytes of device memory free now (after the weights were loaded: what is
 * left for KV caches and activations). */
size_t eb_g4_cuda_free_bytes(eb_g4_backend *b);

/* "NVIDIA H200, driver 580.159, CUDA runtime 13.0, sm_90": what a reader
 * needs to reproduce a run. */
const char *eb_g4_cuda_describe(eb_g4_backend *b);

/* Benchmarks only: overwrites every device matrix (not the vectors) with
 * reproducible uniform values in [-amplitude, amplitude], so full-size
 * models can be timed from a sparse checkpoint file that holds only the
 * small tensors (bench/gpu_engine). */
int eb_g4_cuda_randomize_matrices(eb_g4_backend *b, uint64_t seed, float amplitude, eb_err *err);

/* Whether this binary carries the CUDA backend at all. */
int eb_g4_cuda_compiled(void);

#ifdef __cplusplus
}
#endif

#endif
