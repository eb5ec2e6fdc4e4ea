/*===- CudaRuntimeInternal.h - shared by the CUDA runtime's files -*- C -*-===//
 *
 * Not for steps or their main: what CublasRuntime.c needs from
 * CudaRuntime.c.
 *
 *===----------------------------------------------------------------------===*/
#ifndef REMAT_CUDA_RUNTIME_INTERNAL_H
#define REMAT_CUDA_RUNTIME_INTERNAL_H

#include <cuda.h>

/* Reports a failed driver call (its name and the error) and exits 2. */
void remat_cuda_check(CUresult result, const char *what);
/* Makes the default device's primary context current, once. */
void remat_cuda_ensure_context(void);

#endif /* REMAT_CUDA_RUNTIME_INTERNAL_H */
