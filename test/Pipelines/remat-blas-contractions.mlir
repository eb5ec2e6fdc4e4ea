// RUN: remat-opt %s --split-input-file --remat-blas-contractions | FileCheck %s

// A matmul on buffers becomes one call with a C interface; the operands go
// as fully dynamic strided memrefs (one runtime function for every shape),
// untransposed (0, 0). The declaration is emitted once per module.
// CHECK-LABEL: func.func @matmul
// CHECK-DAG: %[[TA:.*]] = arith.constant 0 : i32
// CHECK-DAG: %[[TB:.*]] = arith.constant 0 : i32
// CHECK-DAG: %[[A:.*]] = memref.cast %arg0 : memref<32x64xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK-DAG: %[[B:.*]] = memref.cast %arg1 : memref<64x10xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK-DAG: %[[C:.*]] = memref.cast %arg2 : memref<32x10xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK: call @remat_gemm_f32(%[[TA]], %[[TB]], %[[A]], %[[B]], %[[C]])
// CHECK-NOT: linalg.matmul
// CHECK: call @remat_gemm_f32
// CHECK: func.func private @remat_gemm_f32(i32, i32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) attributes {llvm.emit_c_interface}
// CHECK-NOT: func.func private @remat_gemm_f32
func.func @matmul(%a: memref<32x64xf32>, %b: memref<64x10xf32>, %c: memref<32x10xf32>) {
  linalg.matmul ins(%a, %b : memref<32x64xf32>, memref<64x10xf32>) outs(%c : memref<32x10xf32>)
  linalg.matmul ins(%a, %b : memref<32x64xf32>, memref<64x10xf32>) outs(%c : memref<32x10xf32>)
  return
}

// -----

// Transposed operands (user-defined indexing maps) set the flags: A^T B^T.
// Views with a unit innermost stride go as they are (the runtime passes
// their row stride as the leading dimension).
// CHECK-LABEL: func.func @transposed
// CHECK: %[[TA:.*]] = arith.constant 1 : i32
// CHECK: %[[TB:.*]] = arith.constant 1 : i32
// CHECK: call @remat_gemm_f64(%[[TA]], %[[TB]],
// CHECK-NOT: linalg.matmul
func.func @transposed(%a: memref<64x32xf64, strided<[128, 1], offset: ?>>, %b: memref<10x64xf64>, %c: memref<32x10xf64>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
    ins(%a, %b : memref<64x32xf64, strided<[128, 1], offset: ?>>, memref<10x64xf64>) outs(%c : memref<32x10xf64>)
  return
}

// -----

// A batch matmul calls the batched function, B transposed here.
// CHECK-LABEL: func.func @batch_matmul
// CHECK: %[[TA:.*]] = arith.constant 0 : i32
// CHECK: %[[TB:.*]] = arith.constant 1 : i32
// CHECK: call @remat_batch_gemm_f32(%[[TA]], %[[TB]],
// CHECK-SAME: memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>
// CHECK-NOT: linalg.batch_matmul
func.func @batch_matmul(%a: memref<4x32x16xf32>, %b: memref<4x8x16xf32>, %c: memref<4x32x8xf32>) {
  linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, n, k)>, affine_map<(b, m, n, k) -> (b, m, n)>]
    ins(%a, %b : memref<4x32x16xf32>, memref<4x8x16xf32>) outs(%c : memref<4x32x8xf32>)
  return
}

// -----

// Left to remat-vectorize-contractions: integers, a column-strided view
// (BLAS needs unit strides along rows), a broadcast operand, tensors.
// CHECK-LABEL: func.func @not_blas
// CHECK-NOT: call
// CHECK: linalg.matmul ins(%arg0, %arg0
// CHECK: linalg.matmul ins(%arg1, %arg2
// CHECK: linalg.batch_matmul
// CHECK: linalg.matmul {{.*}} -> tensor<8x8xf32>
// CHECK-NOT: call
func.func @not_blas(%i: memref<8x8xi32>, %s: memref<8x8xf32, strided<[1, 8]>>, %f: memref<8x8xf32>,
                    %b: memref<8x8xf32>, %bc: memref<2x8x8xf32>, %t: tensor<8x8xf32>) -> tensor<8x8xf32> {
  linalg.matmul ins(%i, %i : memref<8x8xi32>, memref<8x8xi32>) outs(%i : memref<8x8xi32>)
  linalg.matmul ins(%s, %f : memref<8x8xf32, strided<[1, 8]>>, memref<8x8xf32>) outs(%f : memref<8x8xf32>)
  linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (m, k)>, affine_map<(b, m, n, k) -> (b, k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>]
    ins(%b, %bc : memref<8x8xf32>, memref<2x8x8xf32>) outs(%bc : memref<2x8x8xf32>)
  %r = linalg.matmul ins(%t, %t : tensor<8x8xf32>, tensor<8x8xf32>) outs(%t : tensor<8x8xf32>) -> tensor<8x8xf32>
  return %r : tensor<8x8xf32>
}
