// RUN: remat-opt %s --remat-inline-recompute | FileCheck %s

// A region may yield a kept value as it is (a block argument, which dies
// with the region: reading it after inlining was a heap-use-after-free): the
// result becomes the kept value itself.
// CHECK-LABEL: func.func @yield_argument
// CHECK-NOT:   remat.recompute
// CHECK:       %[[E:.*]] = math.exp %arg0
// CHECK-NEXT:  %[[S:.*]] = arith.addf %arg0, %[[E]]
// CHECK-NEXT:  return %[[S]]
func.func @yield_argument(%x: tensor<16xf32>) -> tensor<16xf32> {
  %r:2 = remat.recompute (%a = %x) : (tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
    %e = math.exp %a : tensor<16xf32>
    remat.yield %a, %e : tensor<16xf32>, tensor<16xf32>
  }
  %s = arith.addf %r#0, %r#1 : tensor<16xf32>
  return %s : tensor<16xf32>
}
