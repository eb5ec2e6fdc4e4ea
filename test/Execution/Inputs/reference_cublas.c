/* remat_cublas_sgemm / _dgemm as cuBLAS computes them (column-major,
 * op(A) m x k, op(B) k x n, leading dimensions, strided batches), in plain C
 * on the host: linked into a CPU build of a step lowered with
 * --remat-contractions-to-cublas, it checks the sizes, transpositions,
 * leading dimensions and strides that the pass derives, without a GPU
 * (test/Execution/cpu-cublas-reference.test). */
#include <stdint.h>

#define REFERENCE_GEMM(NAME, TYPE)                                             \
  void NAME(int64_t transa, int64_t transb, int64_t m, int64_t n, int64_t k,   \
            const void *a, int64_t lda, int64_t strideA, const void *b,        \
            int64_t ldb, int64_t strideB, int64_t accumulate, void *c,         \
            int64_t ldc, int64_t strideC, int64_t batch) {                     \
    for (int64_t p = 0; p < batch; ++p) {                                      \
      const TYPE *A = (const TYPE *)a + p * strideA;                           \
      const TYPE *B = (const TYPE *)b + p * strideB;                           \
      TYPE *C = (TYPE *)c + p * strideC;                                       \
      for (int64_t j = 0; j < n; ++j)                                          \
        for (int64_t i = 0; i < m; ++i) {                                      \
          TYPE sum = 0;                                                        \
          for (int64_t l = 0; l < k; ++l)                                      \
            sum += (transa ? A[l + i * lda] : A[i + l * lda]) *                \
                   (transb ? B[j + l * ldb] : B[l + j * ldb]);                 \
          C[i + j * ldc] = accumulate ? C[i + j * ldc] + sum : sum;            \
        }                                                                      \
    }                                                                          \
  }

REFERENCE_GEMM(remat_cublas_sgemm, float)
REFERENCE_GEMM(remat_cublas_dgemm, double)
