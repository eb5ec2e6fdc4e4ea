/*===- CublasRuntime.c - the GEMMs of a lowered step, through cuBLAS ------===//
 *
 * remat-contractions-to-cublas turns each buffer matmul of the GPU pipeline
 * into a call of remat_cublas_sgemm / _dgemm with its column-major sizes,
 * transpositions, leading dimensions and batch strides. Kept apart from
 * CudaRuntime.c so that a step without GEMMs does not need libcublas (the
 * linker pulls this file out of the archive only when a step calls it).
 *
 * Reproducible results: one handle, one stream, full fp32/fp64 arithmetic
 * (CUBLAS_DEFAULT_MATH: no TF32 tensor cores), no algorithms that reduce
 * with atomics, and a workspace of a fixed size (cuBLAS may choose an
 * algorithm by the workspace it has). cuBLAS's results are then the same bits
 * on every run on the same GPU model with the same library version.
 *
 * Memory: the workspace is allocated once, at the first GEMM, outside the
 * tracker's buffers (the memory model counts the step's tensors); the
 * executable reports it as workspace_bytes. cuBLAS's own handle state is,
 * like the CUDA context, outside both.
 *
 *===----------------------------------------------------------------------===*/

#include "CudaRuntimeInternal.h"
#include "RematRuntime.h"

#include <cublas_v2.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

/* NVIDIA's recommended workspace on Hopper (4 MiB suffices on older GPUs). */
enum { kWorkspaceBytes = 32 << 20 };

static cublasHandle_t handle;
static CUstream stream;

static void checkBlas(cublasStatus_t status, const char *what) {
  if (status == CUBLAS_STATUS_SUCCESS)
    return;
  fprintf(stderr, "remat runtime: %s failed: %s (%d)\n", what,
          cublasGetStatusName(status), (int)status);
  exit(2);
}

static cublasHandle_t blasHandle(void) {
  if (handle)
    return handle;
  remat_cuda_ensure_context();
  checkBlas(cublasCreate(&handle), "cublasCreate");
  remat_cuda_check(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING),
                   "cuStreamCreate");
  checkBlas(cublasSetStream(handle, stream), "cublasSetStream");
  checkBlas(cublasSetMathMode(handle, CUBLAS_DEFAULT_MATH),
            "cublasSetMathMode");
  checkBlas(cublasSetAtomicsMode(handle, CUBLAS_ATOMICS_NOT_ALLOWED),
            "cublasSetAtomicsMode");
  CUdeviceptr workspace = 0;
  remat_cuda_check(cuMemAlloc(&workspace, kWorkspaceBytes), "cuMemAlloc");
  checkBlas(cublasSetWorkspace(handle, (void *)workspace, kWorkspaceBytes),
            "cublasSetWorkspace");
  remat_track_workspace(kWorkspaceBytes);
  return handle;
}

static cublasOperation_t operation(int64_t transposed) {
  return transposed ? CUBLAS_OP_T : CUBLAS_OP_N;
}

/* cuBLAS takes int sizes; the lowering passes int64 ones. */
static int narrow(int64_t value, const char *what) {
  if (value < 0 || value > INT_MAX) {
    fprintf(stderr, "remat runtime: GEMM %s %lld is out of cuBLAS's range\n",
            what, (long long)value);
    exit(2);
  }
  return (int)value;
}

/* The kernels before and after run synchronously, so a GEMM waits for its
 * own completion too: a buffer freed after its last use is no longer read. */
static void finish(void) {
  remat_cuda_check(cuStreamSynchronize(stream), "cuStreamSynchronize");
}

/* remat_cublas_sgemm and remat_cublas_dgemm: C = op(A) op(B) (+ C when
 * accumulate), column-major, `batch` times at the given strides. */
#define REMAT_GEMM(NAME, TYPE, CUBLAS_FUNCTION)                                \
  void NAME(int64_t transa, int64_t transb, int64_t m, int64_t n, int64_t k,   \
            const void *a, int64_t lda, int64_t strideA, const void *b,        \
            int64_t ldb, int64_t strideB, int64_t accumulate, void *c,         \
            int64_t ldc, int64_t strideC, int64_t batch) {                     \
    const TYPE alpha = 1, beta = accumulate ? 1 : 0;                           \
    checkBlas(                                                                 \
        CUBLAS_FUNCTION(blasHandle(), operation(transa), operation(transb),    \
                        narrow(m, "m"), narrow(n, "n"), narrow(k, "k"),        \
                        &alpha, a, narrow(lda, "lda"), strideA, b,             \
                        narrow(ldb, "ldb"), strideB, &beta, c,                 \
                        narrow(ldc, "ldc"), strideC, narrow(batch, "batch")),  \
        #CUBLAS_FUNCTION);                                                     \
    finish();                                                                  \
  }

REMAT_GEMM(remat_cublas_sgemm, float, cublasSgemmStridedBatched)
REMAT_GEMM(remat_cublas_dgemm, double, cublasDgemmStridedBatched)
