// RUN: remat-opt %s --split-input-file --remat-interchange-reductions | FileCheck %s

// A column sum (a bias gradient): the row loop, a reduction, was innermost;
// the column loop now is, and the maps follow it.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @column_sum
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[OUT]]], iterator_types = ["reduction", "parallel"]}
func.func @column_sum(%a: memref<512x64xf32>, %s: memref<64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(j, i) -> (i, j)>, affine_map<(j, i) -> (j)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<512x64xf32>) outs(%s : memref<64xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %r = arith.addf %x, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A convolution (n, f, oh, ow, c, kh, kw) is generalized and its output
// column loop ow moved inside the window: (n, f, oh, c, kh, kw, ow). The
// reduction loops c, kh, kw keep their order.
// CHECK-LABEL: func.func @conv
// CHECK-NOT: linalg.conv_2d_nchw_fchw
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @conv(%in: memref<2x3x10x10xf32>, %w: memref<4x3x3x3xf32>, %out: memref<2x4x8x8xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%in, %w : memref<2x3x10x10xf32>, memref<4x3x3x3xf32>) outs(%out : memref<2x4x8x8xf32>)
  return
}

// -----

// linalg.index follows its loop: index 1 (the reduction) becomes index 0.
// CHECK-LABEL: func.func @argmax_like
// CHECK: iterator_types = ["reduction", "parallel"]
// CHECK: linalg.index 0 : index
func.func @argmax_like(%a: memref<8x16xf32>, %s: memref<8xi64>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<8x16xf32>) outs(%s : memref<8xi64>) {
  ^bb0(%x: f32, %acc: i64):
    %j = linalg.index 1 : index
    %k = arith.index_cast %j : index to i64
    %r = arith.addi %k, %acc : i64
    linalg.yield %r : i64
  }
  return
}

// -----

// Left as they are: a full reduction (no parallel loop), a row sum whose
// innermost loop is parallel already, and an op on tensors.
// CHECK-LABEL: func.func @kept
// CHECK: iterator_types = ["reduction", "reduction"]
// CHECK: iterator_types = ["reduction", "parallel"]
// CHECK: iterator_types = ["parallel", "reduction"]
// CHECK-SAME: ins(%{{.*}} : tensor<8x16xf32>)
func.func @kept(%a: memref<8x16xf32>, %l: memref<f32>, %s: memref<16xf32>, %t: tensor<8x16xf32>,
                %u: tensor<8xf32>) -> tensor<8xf32> {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> ()>],
                  iterator_types = ["reduction", "reduction"]}
      ins(%a : memref<8x16xf32>) outs(%l : memref<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %r = arith.addf %x, %acc : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%a : memref<8x16xf32>) outs(%s : memref<16xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %r = arith.addf %x, %acc : f32
    linalg.yield %r : f32
  }
  %v = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%t : tensor<8x16xf32>) outs(%u : tensor<8xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %r = arith.addf %x, %acc : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  return %v : tensor<8xf32>
}
