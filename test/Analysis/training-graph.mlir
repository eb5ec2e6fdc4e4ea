// RUN: remat-opt %s --split-input-file --remat-test-training-graph --verify-diagnostics | FileCheck %s

// A two-layer step: loss = sum(tanh(x @ w1) @ w2); the backward pass uses the
// hidden activation %h (stashed) and the argument %x (not an activation).
// CHECK-LABEL: func @two_layers
// CHECK:      arith.constant {remat.phase = "forward"} 0.0
// CHECK:      linalg.matmul {remat.phase = "forward"}
// CHECK-NEXT: math.tanh {{.*}} {remat.phase = "forward", remat.stashed = array<i64: 0>}
// CHECK:      linalg.matmul {remat.phase = "forward"}
// CHECK:      linalg.generic
// CHECK:      remat.phase = "forward"
// CHECK:      linalg.transpose {{.*}} {remat.phase = "backward"}
// CHECK:      linalg.matmul {remat.phase = "backward"}
// CHECK:      math.tanh %arg2 {remat.phase = "backward"}
#id = affine_map<(d0, d1) -> (d0, d1)>
#sum = affine_map<(d0, d1) -> ()>
func.func @two_layers(%w1: tensor<8x8xf32>, %w2: tensor<8x8xf32>, %x: tensor<4x8xf32>)
    -> (tensor<f32>, tensor<8x8xf32>, tensor<4x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<4x8xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<4x8xf32>) -> tensor<4x8xf32>
  %a = linalg.matmul ins(%x, %w1 : tensor<4x8xf32>, tensor<8x8xf32>) outs(%f0 : tensor<4x8xf32>) -> tensor<4x8xf32>
  %h = math.tanh %a : tensor<4x8xf32>
  %e1 = tensor.empty() : tensor<4x8xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<4x8xf32>) -> tensor<4x8xf32>
  %o = linalg.matmul ins(%h, %w2 : tensor<4x8xf32>, tensor<8x8xf32>) outs(%f1 : tensor<4x8xf32>) -> tensor<4x8xf32>
  %e2 = tensor.empty() : tensor<f32>
  %f2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<f32>) -> tensor<f32>
  %loss = linalg.generic {indexing_maps = [#id, #sum], iterator_types = ["reduction", "reduction"]}
      ins(%o : tensor<4x8xf32>) outs(%f2 : tensor<f32>) {
    ^bb0(%in: f32, %acc: f32):
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
  } -> tensor<f32>
  // Backward: d loss / d w2 = h^T @ ones; an unrelated use of %x.
  %e3 = tensor.empty() : tensor<8x4xf32>
  %hT = linalg.transpose ins(%h : tensor<4x8xf32>) outs(%e3 : tensor<8x4xf32>) permutation = [1, 0]
  %ones = arith.constant dense<1.0> : tensor<4x8xf32>
  %e4 = tensor.empty() : tensor<8x8xf32>
  %f4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<8x8xf32>) -> tensor<8x8xf32>
  %dw2 = linalg.matmul ins(%hT, %ones : tensor<8x4xf32>, tensor<4x8xf32>) outs(%f4 : tensor<8x8xf32>) -> tensor<8x8xf32>
  %dx = math.tanh %x : tensor<4x8xf32>
  return %loss, %dw2, %dx : tensor<f32>, tensor<8x8xf32>, tensor<4x8xf32>
}

// -----

// `remat.loss` picks the loss among the results; the first result is then
// backward.
// CHECK-LABEL: func @marked_loss
// CHECK:  math.exp {{.*}} {remat.phase = "backward"}
// CHECK:  math.tanh {{.*}} {remat.phase = "forward", remat.stashed = array<i64: 0>}
// CHECK:  math.exp {{.*}} {remat.phase = "backward"}
func.func @marked_loss(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32> {remat.loss}) {
  %g = math.exp %x : tensor<4xf32>
  %l = math.tanh %x : tensor<4xf32>
  %d = math.exp %l : tensor<4xf32>
  %s = arith.addf %g, %d : tensor<4xf32>
  return %s, %l : tensor<4xf32>, tensor<4xf32>
}

// -----

// expected-remark @below {{not a training step: no op computes anything beyond the loss (result #0), so there is no backward pass; remat leaves it unchanged}}
func.func @forward_only(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = math.exp %x : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// expected-remark @below {{not a training step: the function returns nothing, so it has no loss; remat leaves it unchanged}}
func.func @no_results(%x: tensor<4xf32>) {
  return
}

// -----

// expected-remark @below {{not a training step: remat plans single-block functions only, this one has 2 blocks; remat leaves it unchanged}}
func.func @two_blocks(%x: tensor<4xf32>) -> tensor<4xf32> {
  cf.br ^bb1
^bb1:
  return %x : tensor<4xf32>
}

// -----

// An op with memory effects is noted: it is never recomputed.
func.func @side_effects(%x: tensor<4xf32>, %m: memref<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %l = math.exp %x : tensor<4xf32>
  %c0 = arith.constant 0 : index
  // expected-remark @below {{'memref.load' has memory effects: remat keeps it where it is and never recomputes it}}
  %v = memref.load %m[%c0] : memref<4xf32>
  %s = tensor.splat %v : tensor<4xf32>
  %g = arith.mulf %l, %s : tensor<4xf32>
  return %l, %g : tensor<4xf32>, tensor<4xf32>
}
