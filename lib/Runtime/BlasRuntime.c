/*===- BlasRuntime.c - matmuls of the lowered step on OpenBLAS ------------===//
 *
 * remat-blas-contractions (lib/Pipelines) turns each linalg.matmul and
 * linalg.batch_matmul on f32/f64 buffers into a call of these functions
 * through their C interface (`_mlir_ciface_`: pointers to memref
 * descriptors). They compute C += op(A) op(B) with cblas_?gemm on the
 * buffers the step allocated; they allocate no buffer of the step.
 * OpenBLAS's own memory (packing buffers, thread stacks, allocated once)
 * is not a tensor of the step and is outside the memory model
 * (docs/lowering.md, docs/memory-model.md).
 *
 * Determinism: OpenBLAS splits a gemm between threads by rows and columns
 * of C, never along the reduction, and the split depends only on the shape
 * and the thread count; so a given shape gives the same bits on every call
 * at a given thread count (planned and unplanned steps agree bitwise).
 *
 *===----------------------------------------------------------------------===*/

#include "RematRuntime.h"

#include <stdint.h>

/* The CBLAS interface (cblas.h's values), declared here so that the runtime
 * needs only the library, not the header's location (Debian keeps it under
 * an alternatives directory). */
enum { kCblasRowMajor = 101, kCblasNoTrans = 111, kCblasTrans = 112 };
void cblas_sgemm(int order, int transA, int transB, int m, int n, int k,
                 float alpha, const float *a, int lda, const float *b,
                 int ldb, float beta, float *c, int ldc);
void cblas_dgemm(int order, int transA, int transB, int m, int n, int k,
                 double alpha, const double *a, int lda, const double *b,
                 int ldb, double beta, double *c, int ldc);
void openblas_set_num_threads(int threads);

typedef struct {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
} Matrix;

typedef struct {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes[3];
  int64_t strides[3];
} Batch;

/* The leading dimension of a row-major view with unit column stride. BLAS
 * requires at least the row length, even where a single row's stride is
 * irrelevant (a 1 x n view may carry any stride). */
static int leading(int64_t rowStride, int64_t columns) {
  int64_t ld = rowStride > columns ? rowStride : columns;
  return (int)(ld > 1 ? ld : 1);
}

static void gemmF32(int transA, int transB, int64_t m, int64_t n, int64_t k,
                    const float *a, int64_t strideA, const float *b,
                    int64_t strideB, float *c, int64_t strideC) {
  cblas_sgemm(kCblasRowMajor, transA ? kCblasTrans : kCblasNoTrans,
              transB ? kCblasTrans : kCblasNoTrans, (int)m, (int)n, (int)k,
              1.0f, a, leading(strideA, transA ? m : k), b,
              leading(strideB, transB ? k : n), 1.0f, c, leading(strideC, n));
}

static void gemmF64(int transA, int transB, int64_t m, int64_t n, int64_t k,
                    const double *a, int64_t strideA, const double *b,
                    int64_t strideB, double *c, int64_t strideC) {
  cblas_dgemm(kCblasRowMajor, transA ? kCblasTrans : kCblasNoTrans,
              transB ? kCblasTrans : kCblasNoTrans, (int)m, (int)n, (int)k,
              1.0, a, leading(strideA, transA ? m : k), b,
              leading(strideB, transB ? k : n), 1.0, c, leading(strideC, n));
}

/* The reduction extent: A is m x k, stored k x m when transposed. */
#define REDUCTION(trans, a, first) ((trans) ? (a)->sizes[first] : (a)->sizes[first + 1])

void _mlir_ciface_remat_gemm_f32(int32_t transA, int32_t transB, Matrix *a,
                                 Matrix *b, Matrix *c) {
  gemmF32(transA, transB, c->sizes[0], c->sizes[1], REDUCTION(transA, a, 0),
          (const float *)a->aligned + a->offset, a->strides[0],
          (const float *)b->aligned + b->offset, b->strides[0],
          (float *)c->aligned + c->offset, c->strides[0]);
}

void _mlir_ciface_remat_gemm_f64(int32_t transA, int32_t transB, Matrix *a,
                                 Matrix *b, Matrix *c) {
  gemmF64(transA, transB, c->sizes[0], c->sizes[1], REDUCTION(transA, a, 0),
          (const double *)a->aligned + a->offset, a->strides[0],
          (const double *)b->aligned + b->offset, b->strides[0],
          (double *)c->aligned + c->offset, c->strides[0]);
}

void _mlir_ciface_remat_batch_gemm_f32(int32_t transA, int32_t transB,
                                       Batch *a, Batch *b, Batch *c) {
  for (int64_t i = 0; i < c->sizes[0]; ++i)
    gemmF32(transA, transB, c->sizes[1], c->sizes[2], REDUCTION(transA, a, 1),
            (const float *)a->aligned + a->offset + i * a->strides[0],
            a->strides[1],
            (const float *)b->aligned + b->offset + i * b->strides[0],
            b->strides[1], (float *)c->aligned + c->offset + i * c->strides[0],
            c->strides[1]);
}

void _mlir_ciface_remat_batch_gemm_f64(int32_t transA, int32_t transB,
                                       Batch *a, Batch *b, Batch *c) {
  for (int64_t i = 0; i < c->sizes[0]; ++i)
    gemmF64(transA, transB, c->sizes[1], c->sizes[2], REDUCTION(transA, a, 1),
            (const double *)a->aligned + a->offset + i * a->strides[0],
            a->strides[1],
            (const double *)b->aligned + b->offset + i * b->strides[0],
            b->strides[1],
            (double *)c->aligned + c->offset + i * c->strides[0],
            c->strides[1]);
}

void remat_set_num_threads(int threads) { openblas_set_num_threads(threads); }
