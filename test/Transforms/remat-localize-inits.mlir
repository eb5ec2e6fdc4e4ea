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

// -----

// CSE merges the bias broadcasts of equal matmuls (an exported nn.LSTM's
// gates, torch's addmm): a broadcast of an argument into an empty tensor is a
// fresh destination too, re-made next to each writer. A fill seen through a
// reshape (a grouped convolution's expand_shape) is one as well.
// CHECK-LABEL: func.func @shared_bias
// CHECK:       %[[E0:.*]] = tensor.empty()
// CHECK-NEXT:  %[[B0:.*]] = linalg.generic {{.*}} ins(%arg2 : tensor<4xf32>) outs(%[[E0]]
// CHECK:       linalg.matmul ins(%arg0, %arg1 {{.*}}) outs(%[[B0]]
// CHECK-NEXT:  %[[E1:.*]] = tensor.empty()
// CHECK-NEXT:  %[[B1:.*]] = linalg.generic {{.*}} ins(%arg2 : tensor<4xf32>) outs(%[[E1]]
// CHECK:       linalg.matmul ins(%{{.*}}, %arg1 {{.*}}) outs(%[[B1]]
// CHECK-NEXT:  tensor.expand_shape
// CHECK-NEXT:  %[[E2:.*]] = tensor.empty()
// CHECK-NEXT:  %[[F2:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E2]]
// CHECK-NEXT:  %[[R2:.*]] = tensor.expand_shape %[[F2]]
// CHECK-NEXT:  linalg.generic {{.*}} outs(%[[R2]]
// CHECK:       %[[E3:.*]] = tensor.empty()
// CHECK-NEXT:  %[[F3:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E3]]
// CHECK-NEXT:  %[[R3:.*]] = tensor.expand_shape %[[F3]]
// CHECK-NEXT:  linalg.generic {{.*}} outs(%[[R3]]
// SHARED: remark: remat-report: peak 336 B (336 bytes)
// LOCAL: remark: remat-report: peak 272 B (272 bytes)
#bcast = affine_map<(d0, d1) -> (d1)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @shared_bias(%x: tensor<4x4xf32>, %w: tensor<4x4xf32>, %bias: tensor<4xf32>) -> tensor<1x4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x4xf32>
  %b = linalg.generic {indexing_maps = [#bcast, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%bias : tensor<4xf32>) outs(%e : tensor<4x4xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
  } -> tensor<4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  %r = tensor.expand_shape %f [[0, 1], [2]] output_shape [1, 4, 4] : tensor<4x4xf32> into tensor<1x4x4xf32>
  %h1 = linalg.matmul ins(%x, %w : tensor<4x4xf32>, tensor<4x4xf32>) outs(%b : tensor<4x4xf32>) -> tensor<4x4xf32>
  %h2 = linalg.matmul ins(%h1, %w : tensor<4x4xf32>, tensor<4x4xf32>) outs(%b : tensor<4x4xf32>) -> tensor<4x4xf32>
  %e1 = tensor.expand_shape %h2 [[0, 1], [2]] output_shape [1, 4, 4] : tensor<4x4xf32> into tensor<1x4x4xf32>
  %s1 = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%e1 : tensor<1x4x4xf32>) outs(%r : tensor<1x4x4xf32>) {
    ^bb0(%in: f32, %out: f32):
      %s = arith.addf %in, %out : f32
      linalg.yield %s : f32
  } -> tensor<1x4x4xf32>
  %s2 = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%s1 : tensor<1x4x4xf32>) outs(%r : tensor<1x4x4xf32>) {
    ^bb0(%in: f32, %out: f32):
      %s = arith.mulf %in, %out : f32
      linalg.yield %s : f32
  } -> tensor<1x4x4xf32>
  return %s2 : tensor<1x4x4xf32>
}

// -----

// A broadcast of a computed value is no fresh destination: re-made next to a
// later writer it would keep the value it reads alive until there. It stays
// shared.
// CHECK-LABEL: func.func @computed_broadcast
// CHECK:       %[[B:.*]] = linalg.generic
// CHECK:       linalg.matmul {{.*}} outs(%[[B]]
// CHECK-NEXT:  linalg.matmul {{.*}} outs(%[[B]]
#bcast = affine_map<(d0, d1) -> (d1)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @computed_broadcast(%x: tensor<4x4xf32>, %w: tensor<4x4xf32>, %v: tensor<4xf32>) -> tensor<4x4xf32> {
  %t = math.exp %v : tensor<4xf32>
  %e = tensor.empty() : tensor<4x4xf32>
  %b = linalg.generic {indexing_maps = [#bcast, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%t : tensor<4xf32>) outs(%e : tensor<4x4xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
  } -> tensor<4x4xf32>
  %h1 = linalg.matmul ins(%x, %w : tensor<4x4xf32>, tensor<4x4xf32>) outs(%b : tensor<4x4xf32>) -> tensor<4x4xf32>
  %h2 = linalg.matmul ins(%h1, %w : tensor<4x4xf32>, tensor<4x4xf32>) outs(%b : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %h2 : tensor<4x4xf32>
}
