// RUN: remat-opt %s --split-input-file --remat-inline-recompute | FileCheck %s

// CHECK-LABEL: func.func @inline
// CHECK-NOT:   remat.recompute
// CHECK:       %[[E:.*]] = math.exp %arg0
// CHECK-NEXT:  %[[T:.*]] = math.tanh %[[E]]
// CHECK-NEXT:  %[[S:.*]] = arith.addf %[[E]], %[[T]]
// CHECK-NEXT:  return %[[S]]
func.func @inline(%x: tensor<16xf32>) -> tensor<16xf32> {
  %r:2 = remat.recompute (%a = %x) : (tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
    %e = math.exp %a : tensor<16xf32>
    %t = math.tanh %e : tensor<16xf32>
    remat.yield %e, %t : tensor<16xf32>, tensor<16xf32>
  }
  %s = arith.addf %r#0, %r#1 : tensor<16xf32>
  return %s : tensor<16xf32>
}
