// RUN: remat-opt %s --split-input-file --remat-vectorize-contractions | FileCheck %s

// Tiles are the largest divisors of the shape within 8 x 16 x 16: 8 x 10 x 16
// here (10 has no larger divisor up to 16), each a vector.contract.
// CHECK-LABEL: func.func @matmul
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG: %[[C10:.*]] = arith.constant 10 : index
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK: scf.for %{{.*}} step %[[C8]]
// CHECK: scf.for %{{.*}} step %[[C10]]
// CHECK: scf.for %{{.*}} step %[[C16]]
// CHECK: vector.contract
// CHECK-SAME: vector<8x16xf32>, vector<16x10xf32> into vector<8x10xf32>
// CHECK-NOT: linalg.matmul
func.func @matmul(%a: memref<32x64xf32>, %b: memref<64x10xf32>, %c: memref<32x10xf32>) {
  linalg.matmul ins(%a, %b : memref<32x64xf32>, memref<64x10xf32>) outs(%c : memref<32x10xf32>)
  return
}

// -----

// A batch is tiled by one.
// CHECK-LABEL: func.func @batch_matmul
// CHECK: vector.contract
// CHECK-SAME: vector<1x8x16xf32>, vector<1x16x16xf32> into vector<1x8x16xf32>
// CHECK-NOT: linalg.batch_matmul
func.func @batch_matmul(%a: memref<4x32x16xf32>, %b: memref<4x16x32xf32>, %c: memref<4x32x32xf32>) {
  linalg.batch_matmul ins(%a, %b : memref<4x32x16xf32>, memref<4x16x32xf32>) outs(%c : memref<4x32x32xf32>)
  return
}

// -----

// Tensors are left to bufferization.
// CHECK-LABEL: func.func @on_tensors
// CHECK: linalg.matmul
func.func @on_tensors(%a: tensor<8x8xf32>, %b: tensor<8x8xf32>, %c: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<8x8xf32>, tensor<8x8xf32>) outs(%c : tensor<8x8xf32>) -> tensor<8x8xf32>
  return %r : tensor<8x8xf32>
}
