// RUN: remat-opt %s --split-input-file --remat-vectorize-elementwise | FileCheck %s

// An elementwise op with a broadcast operand (a bias along the rows): rows of
// 16, the largest divisor of 64 up to the width, each one vector op.
// CHECK-LABEL: func.func @bias_tanh
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK: scf.for %{{.*}} step %[[C1]]
// CHECK: scf.for %{{.*}} step %[[C16]]
// CHECK: vector.transfer_read {{.*}} : memref<1x16xf32, strided<[64, 1], offset: ?>>, vector<1x16xf32>
// CHECK: vector.transfer_read {{.*}} : memref<16xf32, strided<[1], offset: ?>>, vector<1x16xf32>
// CHECK: math.tanh {{.*}} : vector<1x16xf32>
// CHECK: vector.transfer_write
// CHECK-NOT: linalg.generic
func.func @bias_tanh(%x: memref<512x64xf32>, %b: memref<64xf32>, %y: memref<512x64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : memref<512x64xf32>, memref<64xf32>) outs(%y : memref<512x64xf32>) {
  ^bb0(%a: f32, %c: f32, %out: f32):
    %s = arith.addf %a, %c : f32
    %t = math.tanh %s : f32
    linalg.yield %t : f32
  }
  return
}

// -----

// A fill is a broadcast of its scalar; 50 has no divisor between 10 and 16.
// CHECK-LABEL: func.func @fill
// CHECK: vector.transfer_write {{.*}} : vector<1x10xf32>, memref<1x10xf32
func.func @fill(%y: memref<4x50xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<4x50xf32>)
  return
}

// -----

// Left as they are (scalar loops later): a reduction, a transpose (the
// innermost loop runs down a column of the input), a column-strided view, a
// tensor.extract in the body, a 1-wide innermost loop, tensors.
// CHECK-LABEL: func.func @not_vectorized
// CHECK-NOT: vector.
// CHECK: linalg.generic
// CHECK: linalg.transpose
// CHECK: linalg.copy
// CHECK: linalg.generic
// CHECK: linalg.fill
// CHECK: linalg.fill {{.*}} -> tensor<8xf32>
// CHECK-NOT: vector.
func.func @not_vectorized(%x: memref<8x8xf32>, %s: memref<8xf32>, %v: memref<8x8xf32, strided<[1, 8]>>,
                          %table: tensor<8xf32>, %n: memref<8x1xf32>, %t: tensor<8xf32>) -> tensor<8xf32> {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<8x8xf32>) outs(%s : memref<8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  }
  linalg.transpose ins(%x : memref<8x8xf32>) outs(%x : memref<8x8xf32>) permutation = [1, 0]
  linalg.copy ins(%v : memref<8x8xf32, strided<[1, 8]>>) outs(%x : memref<8x8xf32>)
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      outs(%s : memref<8xf32>) {
  ^bb0(%out: f32):
    %k = arith.fptosi %out : f32 to i32
    %ki = arith.index_cast %k : i32 to index
    %e = tensor.extract %table[%ki] : tensor<8xf32>
    linalg.yield %e : f32
  }
  %c = arith.constant 1.0 : f32
  linalg.fill ins(%c : f32) outs(%n : memref<8x1xf32>)
  %f = linalg.fill ins(%c : f32) outs(%t : tensor<8xf32>) -> tensor<8xf32>
  return %f : tensor<8xf32>
}

// -----

// i1 buffers stay scalar loops: a memref holds an i1 per byte (the bytes the
// memory model counts), an LLVM vector of i1 is bit-packed, so a vector row
// would read or write other bits than a scalar loop's. The f32 op beside them
// is vectorized.
// CHECK-LABEL: func.func @masks
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}} : memref<4x16xi1>)
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}} : memref<4x16xi1>)
// CHECK: vector.transfer_write {{.*}} : vector<1x16xf32>
// CHECK-NOT: xi1>
func.func @masks(%x: memref<4x16xf32>, %m: memref<4x16xi1>, %y: memref<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<4x16xf32>) outs(%m : memref<4x16xi1>) {
  ^bb0(%a: f32, %out: i1):
    %gt = arith.cmpf ogt, %a, %zero : f32
    linalg.yield %gt : i1
  }
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%m : memref<4x16xi1>) outs(%y : memref<4x16xf32>) {
  ^bb0(%b: i1, %out: f32):
    %f = arith.uitofp %b : i1 to f32
    linalg.yield %f : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<4x16xf32>) outs(%y : memref<4x16xf32>) {
  ^bb0(%a: f32, %out: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  }
  return
}

// -----

// x ** 2 with a constant exponent becomes a product (upstream's fpowi
// expansion) and vectorizes; with a variable exponent the op stays a scalar
// loop (llvm.intr.powi takes no vector exponent).
// CHECK-LABEL: func.func @powers
// CHECK: %[[X:.*]] = vector.transfer_read
// CHECK: arith.mulf %[[X]], %[[X]] : vector<1x16xf32>
// CHECK: linalg.generic
// CHECK: math.fpowi {{.*}} : f32, i64
func.func @powers(%x: memref<4x16xf32>, %y: memref<4x16xf32>, %n: i64) {
  %c2 = arith.constant 2 : i64
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<4x16xf32>) outs(%y : memref<4x16xf32>) {
  ^bb0(%a: f32, %out: f32):
    %p = math.fpowi %a, %c2 : f32, i64
    linalg.yield %p : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<4x16xf32>) outs(%y : memref<4x16xf32>) {
  ^bb0(%a: f32, %out: f32):
    %p = math.fpowi %a, %n : f32, i64
    linalg.yield %p : f32
  }
  return
}
