// RUN: remat-opt %s --split-input-file | FileCheck %s
// RUN: remat-opt %s --split-input-file | remat-opt --split-input-file | FileCheck %s
// RUN: remat-opt %s --split-input-file --mlir-print-op-generic | remat-opt --split-input-file | FileCheck %s

// CHECK-LABEL: func @recompute_one
// CHECK:         %[[R:.*]] = remat.recompute (%[[X:.*]] = %arg0, %[[W:.*]] = %arg1) : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> {
// CHECK:           %[[E:.*]] = tensor.empty() : tensor<4x8xf32>
// CHECK:           %[[M:.*]] = linalg.matmul ins(%[[X]], %[[W]] : {{.*}}) outs(%[[E]] : tensor<4x8xf32>)
// CHECK:           remat.yield %[[M]] : tensor<4x8xf32>
// CHECK:         }
// CHECK:         return %[[R]]
func.func @recompute_one(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
  %r = remat.recompute (%a = %x, %b = %w) : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> {
    %e = tensor.empty() : tensor<4x8xf32>
    %m = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x8xf32>) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
    remat.yield %m : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// -----

// Several results, an attribute dictionary, and a body that keeps nothing.
// CHECK-LABEL: func @recompute_many
// CHECK:         %[[R:.*]]:2 = remat.recompute (%{{.*}} = %arg0) : (tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) attributes {remat.group = 1 : i64} {
// CHECK:           math.exp
// CHECK:           math.tanh
// CHECK:           remat.yield %{{.*}}, %{{.*}} : tensor<16xf32>, tensor<16xf32>
// CHECK:         remat.recompute () : () -> tensor<2xf32> {
// CHECK:           arith.constant dense<1.000000e+00>
func.func @recompute_many(%x: tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>, tensor<2xf32>) {
  %r:2 = remat.recompute (%a = %x) : (tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) attributes {remat.group = 1} {
    %e = math.exp %a : tensor<16xf32>
    %t = math.tanh %e : tensor<16xf32>
    remat.yield %e, %t : tensor<16xf32>, tensor<16xf32>
  }
  %c = remat.recompute () : () -> tensor<2xf32> {
    %k = arith.constant dense<1.0> : tensor<2xf32>
    remat.yield %k : tensor<2xf32>
  }
  return %r#0, %r#1, %c : tensor<16xf32>, tensor<16xf32>, tensor<2xf32>
}
