// RUN: remat-opt %s --remat-frontier="points=5 solver=exact" -o /dev/null 2>&1 | FileCheck %s
// RUN: remat-opt %s --remat-frontier="points=5 solver=exact report-file=%t.json" -o /dev/null 2>/dev/null
// RUN: FileCheck %s --check-prefix=JSON < %t.json
// RUN: not remat-opt %s --remat-frontier="points=0" 2>&1 | FileCheck %s --check-prefix=ZERO

// The tanh chain of remat-checkpoint.mlir: unplanned 28676 bytes, smallest
// feasible 16388. Budgets 28676, 25604, 22532, 19460, 16388 give the optimal
// plans 28676 at no recompute, 24580 (recompute %a1: 1024 of 21504 step
// FLOPs, 4.76%), 20484 (%a1, %a2: 9.52%) and 16388 (28.57%); 19460 needs the
// same plan as 16388, so the frontier has four points.
// CHECK: remark: remat-frontier: 4 points (peak bytes at recompute % of the step): 28676 at 0.00%; 24580 at 4.76%; 20484 at 9.52%; 16388 at 28.57%;

// JSON:      "frontier": [
// JSON-NEXT:   {
// JSON-NEXT:     "budget_bytes": 28676,
// JSON-NEXT:     "overhead_percent": 0,
// JSON-NEXT:     "planned_peak_bytes": 28676,
// JSON-NEXT:     "recompute_flops": 0
// JSON:        "planned_peak_bytes": 16388,
// JSON:      "function": "chain",
// JSON:      "smallest_feasible_bytes": 16388,
// JSON:      "unplanned_peak_bytes": 28676

// ZERO: error: remat-frontier: points must be from 1 to 1000, got 0
#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
func.func @chain(%x: tensor<1024xf32>) -> (tensor<f32> {remat.loss}, tensor<1024xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<1024xf32>
  %a1 = math.tanh %x : tensor<1024xf32>
  %a2 = math.tanh %a1 : tensor<1024xf32>
  %a3 = math.tanh %a2 : tensor<1024xf32>
  %a4 = math.tanh %a3 : tensor<1024xf32>
  %a5 = math.tanh %a4 : tensor<1024xf32>
  %l_init = tensor.empty() : tensor<f32>
  %l_acc = linalg.fill ins(%zero : f32) outs(%l_init : tensor<f32>) -> tensor<f32>
  %loss = linalg.generic {indexing_maps = [#id, #sum], iterator_types = ["reduction"]}
      ins(%a5 : tensor<1024xf32>) outs(%l_acc : tensor<f32>) {
    ^bb0(%in: f32, %acc: f32):
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
  } -> tensor<f32>
  // Backward: d tanh(u) = 1 - tanh(u)^2, from the last layer down.
  %s5 = arith.mulf %a5, %a5 : tensor<1024xf32>
  %t5 = arith.subf %one, %s5 : tensor<1024xf32>
  %g5 = arith.mulf %one, %t5 : tensor<1024xf32>
  %s4 = arith.mulf %a4, %a4 : tensor<1024xf32>
  %t4 = arith.subf %one, %s4 : tensor<1024xf32>
  %g4 = arith.mulf %g5, %t4 : tensor<1024xf32>
  %s3 = arith.mulf %a3, %a3 : tensor<1024xf32>
  %t3 = arith.subf %one, %s3 : tensor<1024xf32>
  %g3 = arith.mulf %g4, %t3 : tensor<1024xf32>
  %s2 = arith.mulf %a2, %a2 : tensor<1024xf32>
  %t2 = arith.subf %one, %s2 : tensor<1024xf32>
  %g2 = arith.mulf %g3, %t2 : tensor<1024xf32>
  %s1 = arith.mulf %a1, %a1 : tensor<1024xf32>
  %t1 = arith.subf %one, %s1 : tensor<1024xf32>
  %g1 = arith.mulf %g2, %t1 : tensor<1024xf32>
  return %loss, %g1 : tensor<f32>, tensor<1024xf32>
}
