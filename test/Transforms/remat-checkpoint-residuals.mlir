// RUN: remat-opt %s --remat-checkpoint="budget=0.85" -o /dev/null 2>&1 | FileCheck %s
// RUN: remat-opt %s --remat-checkpoint="budget=0.85" 2>/dev/null | FileCheck %s --check-prefix=PLANNED

// Backward ops computed from forward values only are residuals of the
// forward pass, as JAX emits them (the 1 - tanh(h)^2 of tanh's derivative
// sits beside the tanh) and torch-mlir's GELU backward derives them: remat
// may recompute them, and what they are computed from, like forward values.
// All tensors are 1024 x f32 = 4096 bytes; the loss is 4 bytes.
// Unplanned, the peak is at %g3: %x, the residuals %r1 and %r2, %a3, %g3 and
// the loss (5 x 4096 + 4 = 20484). Run once, the residuals would pin that
// peak; recomputed (with %a1, from the argument) just before %g1, the step
// peaks at 4 x 4096 + 4 = 16388, within 0.85 x 20484 = 17411.
// CHECK: remark: remat-checkpoint: recompute %1 (4096 bytes, 1024 FLOPs) 1 time
// CHECK: remark: remat-checkpoint: unplanned peak 20484 bytes, budget 17411 bytes, planned peak 16388 bytes (rewritten IR: 16388 bytes); recompute 3072 FLOPs
// The residual %r1 is rebuilt with %a1 in the backward pass, right before
// its reader; the lowered step measures the planned peak.
// PLANNED: %[[RC:.*]]:2 = remat.recompute (%{{.*}} = %arg0)
// PLANNED: math.tanh
// PLANNED: arith.subf
// PLANNED: remat.yield
// PLANNED: ins(%{{.*}}, %[[RC]]#1 :
// PLANNED: return
// (Run on the CPU with its measured peak: test/Execution/cpu-residuals.test.)

#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
func.func @residuals(%x: tensor<1024xf32>) -> (tensor<f32>, tensor<1024xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %e0 = tensor.empty() : tensor<1024xf32>
  %a1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<1024xf32>) outs(%e0 : tensor<1024xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = math.tanh %in : f32
    linalg.yield %t : f32
  } -> tensor<1024xf32>
  %e1 = tensor.empty() : tensor<1024xf32>
  %r1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a1 : tensor<1024xf32>) outs(%e1 : tensor<1024xf32>) {
  ^bb0(%in: f32, %out: f32):
    %sq = arith.mulf %in, %in : f32
    %d = arith.subf %one, %sq : f32
    linalg.yield %d : f32
  } -> tensor<1024xf32>
  %e2 = tensor.empty() : tensor<1024xf32>
  %a2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a1 : tensor<1024xf32>) outs(%e2 : tensor<1024xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = math.tanh %in : f32
    linalg.yield %t : f32
  } -> tensor<1024xf32>
  %e3 = tensor.empty() : tensor<1024xf32>
  %r2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a2 : tensor<1024xf32>) outs(%e3 : tensor<1024xf32>) {
  ^bb0(%in: f32, %out: f32):
    %sq = arith.mulf %in, %in : f32
    %d = arith.subf %one, %sq : f32
    linalg.yield %d : f32
  } -> tensor<1024xf32>
  %e4 = tensor.empty() : tensor<1024xf32>
  %a3 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a2 : tensor<1024xf32>) outs(%e4 : tensor<1024xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = math.tanh %in : f32
    linalg.yield %t : f32
  } -> tensor<1024xf32>
  %l0 = tensor.empty() : tensor<f32>
  %l1 = linalg.fill ins(%zero : f32) outs(%l0 : tensor<f32>) -> tensor<f32>
  %loss = linalg.generic {indexing_maps = [#id, #sum], iterator_types = ["reduction"]}
      ins(%a3 : tensor<1024xf32>) outs(%l1 : tensor<f32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  // Backward: d loss / d x = (1 - a3^2) r2 r1.
  %e5 = tensor.empty() : tensor<1024xf32>
  %g3 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a3 : tensor<1024xf32>) outs(%e5 : tensor<1024xf32>) {
  ^bb0(%in: f32, %out: f32):
    %sq = arith.mulf %in, %in : f32
    %d = arith.subf %one, %sq : f32
    linalg.yield %d : f32
  } -> tensor<1024xf32>
  %e6 = tensor.empty() : tensor<1024xf32>
  %g2 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%g3, %r2 : tensor<1024xf32>, tensor<1024xf32>) outs(%e6 : tensor<1024xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %p = arith.mulf %a, %b : f32
    linalg.yield %p : f32
  } -> tensor<1024xf32>
  %e7 = tensor.empty() : tensor<1024xf32>
  %g1 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%g2, %r1 : tensor<1024xf32>, tensor<1024xf32>) outs(%e7 : tensor<1024xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %p = arith.mulf %a, %b : f32
    linalg.yield %p : f32
  } -> tensor<1024xf32>
  return %loss, %g1 : tensor<f32>, tensor<1024xf32>
}
