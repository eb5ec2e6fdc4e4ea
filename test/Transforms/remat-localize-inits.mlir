// RUN: remat-opt %s --split-input-file --remat-localize-inits | FileCheck %s
// A shared zero fill (what torch-mlir and CSE make) costs a copy per writer
// and lives until its last writer; localized, each matmul fills a buffer of
// its own right before it. The simulator sees the difference:
// RUN: remat-opt %s --split-input-file --remat-report -o /dev/null 2>&1 | FileCheck %s --check-prefix=SHARED
// RUN: remat-opt %s --split-input-file --remat-localize-inits --remat-report -o /dev/null 2>&1 | FileCheck %s --check-prefix=LOCAL

// CHECK-LABEL: func.func @shared_fill
// CHECK:       %[[ZERO:.*]] = arith.constant
// CHECK-NEXT:  %[[E0:.*]] = tensor.empty()
// CHECK-NEXT:  %[[F0:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E0]]
// CHECK-NEXT:  %[[A:.*]] = linalg.matmul ins(%arg0, %arg1 {{.*}}) outs(%[[F0]]
// CHECK-NEXT:  %[[E1:.*]] = tensor.empty()
// CHECK-NEXT:  %[[F1:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E1]]
// CHECK-NEXT:  %[[B:.*]] = linalg.matmul ins(%[[A]], %arg1 {{.*}}) outs(%[[F1]]
// CHECK-NEXT:  %[[E2:.*]] = tensor.empty()
// CHECK-NEXT:  %[[F2:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E2]]
// CHECK-NEXT:  %[[C:.*]] = linalg.matmul ins(%[[B]], %arg1 {{.*}}) outs(%[[F2]]
// CHECK-NEXT:  return %[[C]]
// SHARED: remark: remat-report: peak 320 B (320 bytes)
// LOCAL: remark: remat-report: peak 256 B (256 bytes)
func.func @shared_fill(%x: tensor<4x4xf32>, %y: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  %a = linalg.matmul ins(%x, %y : tensor<4x4xf32>, tensor<4x4xf32>) outs(%z : tensor<4x4xf32>) -> tensor<4x4xf32>
  %b = linalg.matmul ins(%a, %y : tensor<4x4xf32>, tensor<4x4xf32>) outs(%z : tensor<4x4xf32>) -> tensor<4x4xf32>
  %c = linalg.matmul ins(%b, %y : tensor<4x4xf32>, tensor<4x4xf32>) outs(%z : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %c : tensor<4x4xf32>
}

// -----

// A destination made far from its writer moves next to it; one already next
// to its only writer stays as it is.
// CHECK-LABEL: func.func @far_empty
// CHECK:       math.exp
// CHECK-NEXT:  tensor.empty
// CHECK-NEXT:  linalg.fill
// CHECK-NEXT:  linalg.generic
// CHECK-NOT:   tensor.empty
#id = affine_map<(d0) -> (d0)>
func.func @far_empty(%x: tensor<16xf32>) -> tensor<16xf32> {
  %e = tensor.empty() : tensor<16xf32>
  %zero = arith.constant 0.0 : f32
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<16xf32>) -> tensor<16xf32>
  %t = math.exp %x : tensor<16xf32>
  %g = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%t : tensor<16xf32>) outs(%f : tensor<16xf32>) {
    ^bb0(%in: f32, %out: f32):
      %s = arith.addf %in, %out : f32
      linalg.yield %s : f32
  } -> tensor<16xf32>
  return %g : tensor<16xf32>
}
