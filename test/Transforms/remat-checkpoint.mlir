// RUN: remat-opt %s --split-input-file --remat-checkpoint="budget=0.8 solver=exact" 2>/dev/null | FileCheck %s --check-prefix=EXACT
// RUN: remat-opt %s --split-input-file --remat-checkpoint="budget=0.8 solver=exact" -o /dev/null 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: remat-opt %s --split-input-file --remat-checkpoint="budget=0.8 solver=exact" 2>/dev/null | remat-opt --split-input-file --remat-report -o /dev/null 2>&1 | FileCheck %s --check-prefix=REPORT
// RUN: remat-opt %s --split-input-file --remat-checkpoint="budget=21KiB solver=exact" -o /dev/null 2>&1 | FileCheck %s --check-prefix=BYTES
// RUN: remat-opt %s --split-input-file --remat-checkpoint="budget=0.8 solver=exact plan-file=%t.json" -o /dev/null 2>/dev/null
// RUN: FileCheck %s --check-prefix=PLAN < %t.json
// RUN: remat-opt %s --split-input-file --remat-checkpoint="budget=0.8 plan-file=%t.fast.json" -o /dev/null 2>/dev/null
// RUN: FileCheck %s --check-prefix=FASTPLAN < %t.fast.json
// RUN: remat-opt %s --split-input-file --remat-checkpoint="budget=1.0" 2>/dev/null | FileCheck %s --check-prefix=NONE
// RUN: remat-opt %s --split-input-file --remat-checkpoint="solver=exact" 2>/dev/null | FileCheck %s --check-prefix=NONE

// All tensors are 1024 x f32 = 4096 bytes; the loss is 4 bytes.
// Without a budget, or with the whole unplanned peak, nothing changes.
// NONE-NOT: remat.recompute

#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
// The unplanned peak is at the first backward op: %x, %a1..%a5 and the first
// backward temporary (7 x 4096) plus the loss = 28676. The budget 0.8 x 28676
// = 22940; keeping %a3..%a5 and recomputing %a1, %a2 from %x in one region
// before their first backward use peaks at 20484 (5 x 4096 + 4), the optimum.
// EXACT-LABEL: func.func @chain
// EXACT-COUNT-5: math.tanh
// EXACT:      %[[R:[0-9]+]]{{(:[0-9])?}} = remat.recompute (%[[X:.*]] = %arg0) : (tensor<1024xf32>)
// EXACT-NEXT:   math.tanh %[[X]]
// The backward pass reads the recomputed values, not the forward ones.
// EXACT:      arith.mulf %[[R]]{{(#[0-9])?}}, %[[R]]
// REMARK: remark: remat-checkpoint: recompute %0 (4096 bytes, 1024 FLOPs) 1 time
// REMARK: remark: remat-checkpoint: recompute %1 (4096 bytes, 1024 FLOPs) 1 time
// REMARK: remark: remat-checkpoint: keep %2 (4096 bytes)
// REMARK: remark: remat-checkpoint: unplanned peak 28676 bytes, budget 22940 bytes, planned peak 20484 bytes (rewritten IR: 20484 bytes); recompute 2048 FLOPs, 9.52% of the step; solver exact in {{.*}} s, proven optimal
// The rewritten function, measured again, peaks where the plan said.
// REPORT: remark: remat-report: peak 20.0 KiB (20484 bytes)
// A budget in bytes: 21KiB = 21504 bytes, met by the same plan.
// BYTES: remark: remat-checkpoint: unplanned peak 28676 bytes, budget 21504 bytes, planned peak 20484 bytes
// A chain of five tanh layers.
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

// -----

#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
// EXACT-LABEL: func.func @diamond
// The exact plan recomputes the diamond's inputs from %a1 and %x; the
// backward ops read the recomputed values.
// EXACT: %[[D:[0-9]+]]{{(:[0-9])?}} = remat.recompute
// EXACT: arith.mulf {{.*}}%[[D]]
// REMARK: remark: remat-checkpoint: unplanned peak 32772 bytes, budget 26217 bytes, planned peak 24580 bytes (rewritten IR: 24580 bytes); recompute 3072 FLOPs, 11.54% of the step; solver exact in {{.*}} s, proven optimal
// REPORT: remark: remat-report: peak 24.0 KiB (24580 bytes)
// A diamond: %a2 feeds exp and sin, which meet in %d.
func.func @diamond(%x: tensor<1024xf32>) -> (tensor<f32> {remat.loss}, tensor<1024xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<1024xf32>
  %a1 = math.tanh %x : tensor<1024xf32>
  %a2 = math.tanh %a1 : tensor<1024xf32>
  %b = math.exp %a2 : tensor<1024xf32>
  %c = math.sin %a2 : tensor<1024xf32>
  %d = arith.mulf %b, %c : tensor<1024xf32>
  %a3 = math.tanh %d : tensor<1024xf32>
  %a4 = math.tanh %a3 : tensor<1024xf32>
  %l_init = tensor.empty() : tensor<f32>
  %l_acc = linalg.fill ins(%zero : f32) outs(%l_init : tensor<f32>) -> tensor<f32>
  %loss = linalg.generic {indexing_maps = [#id, #sum], iterator_types = ["reduction"]}
      ins(%a4 : tensor<1024xf32>) outs(%l_acc : tensor<f32>) {
    ^bb0(%in: f32, %acc: f32):
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
  } -> tensor<f32>
  %g4_s = arith.mulf %a4, %a4 : tensor<1024xf32>
  %g4_t = arith.subf %one, %g4_s : tensor<1024xf32>
  %g4 = arith.mulf %one, %g4_t : tensor<1024xf32>
  %g3_s = arith.mulf %a3, %a3 : tensor<1024xf32>
  %g3_t = arith.subf %one, %g3_s : tensor<1024xf32>
  %g3 = arith.mulf %g4, %g3_t : tensor<1024xf32>
  %gb = arith.mulf %g3, %c : tensor<1024xf32>
  %gc = arith.mulf %g3, %b : tensor<1024xf32>
  %cc = math.cos %a2 : tensor<1024xf32>
  %gcc = arith.mulf %gc, %cc : tensor<1024xf32>
  %gbb = arith.mulf %gb, %b : tensor<1024xf32>
  %g2 = arith.addf %gbb, %gcc : tensor<1024xf32>
  %g1_s = arith.mulf %a2, %a2 : tensor<1024xf32>
  %g1_t = arith.subf %one, %g1_s : tensor<1024xf32>
  %g1 = arith.mulf %g2, %g1_t : tensor<1024xf32>
  %dx_s = arith.mulf %a1, %a1 : tensor<1024xf32>
  %dx_t = arith.subf %one, %dx_s : tensor<1024xf32>
  %dx = arith.mulf %g1, %dx_t : tensor<1024xf32>
  return %loss, %dx : tensor<f32>, tensor<1024xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
// The plan as JSON (keys in alphabetical order, one object per function; with
// --split-input-file the last chunk's file remains, this one).
// PLAN:      "budget_bytes": 22940,
// PLAN:      "function": "residual",
// PLAN:      "kept": [
// PLAN:        "bytes": 4096,
// PLAN:      "overhead_percent": 8.69
// PLAN:      "planned_peak_bytes": 20484,
// PLAN:      "proven_gap": 0,
// PLAN:      "proven_optimal": true,
// PLAN:      "recompute_cost_lower_bound": 1433.99
// PLAN:      "recompute_flops": 2048,
// fast's plan is exact's optimum; the proven lower bound on any plan's
// recompute within the budget (planner::RecomputeCostBound) is below it, so
// the gap fast can prove is (2048 - 1434) / 2048:
// FASTPLAN:  "proven_gap": 0.2998
// FASTPLAN:  "proven_optimal": false,
// FASTPLAN:  "recompute_cost_lower_bound": 1433.99
// FASTPLAN:  "recompute_flops": 2048,
// PLAN:      "recomputed": [
// PLAN:          "flops": 1024,
// PLAN:          "op": "math.tanh",
// PLAN:          "times": 1,
// PLAN:      "rewritten_peak_bytes": 20484,
// PLAN:      "smallest_feasible_bytes": 16388,
// PLAN:      "solver": "exact",
// PLAN:      "timeline_after": [
// PLAN:      "timeline_before": [
// PLAN:      "unplanned_peak_bytes": 28676
// EXACT-LABEL: func.func @residual
// EXACT: %[[R:[0-9]+]]{{(:[0-9])?}} = remat.recompute
// EXACT: arith.mulf %[[R]]
// REMARK: remark: remat-checkpoint: unplanned peak 28676 bytes, budget 22940 bytes, planned peak 20484 bytes (rewritten IR: 20484 bytes); recompute 2048 FLOPs, 8.70% of the step; solver exact in {{.*}} s, proven optimal
// REPORT: remark: remat-report: peak 20.0 KiB (20484 bytes)
// A residual block: %y = %a2 + tanh(%a2).
func.func @residual(%x: tensor<1024xf32>) -> (tensor<f32> {remat.loss}, tensor<1024xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<1024xf32>
  %a1 = math.tanh %x : tensor<1024xf32>
  %a2 = math.tanh %a1 : tensor<1024xf32>
  %r = math.tanh %a2 : tensor<1024xf32>
  %y = arith.addf %a2, %r : tensor<1024xf32>
  %a3 = math.tanh %y : tensor<1024xf32>
  %a4 = math.tanh %a3 : tensor<1024xf32>
  %l_init = tensor.empty() : tensor<f32>
  %l_acc = linalg.fill ins(%zero : f32) outs(%l_init : tensor<f32>) -> tensor<f32>
  %loss = linalg.generic {indexing_maps = [#id, #sum], iterator_types = ["reduction"]}
      ins(%a4 : tensor<1024xf32>) outs(%l_acc : tensor<f32>) {
    ^bb0(%in: f32, %acc: f32):
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
  } -> tensor<f32>
  %g4_s = arith.mulf %a4, %a4 : tensor<1024xf32>
  %g4_t = arith.subf %one, %g4_s : tensor<1024xf32>
  %g4 = arith.mulf %one, %g4_t : tensor<1024xf32>
  %gy_s = arith.mulf %a3, %a3 : tensor<1024xf32>
  %gy_t = arith.subf %one, %gy_s : tensor<1024xf32>
  %gy = arith.mulf %g4, %gy_t : tensor<1024xf32>
  %gr_s = arith.mulf %r, %r : tensor<1024xf32>
  %gr_t = arith.subf %one, %gr_s : tensor<1024xf32>
  %gr = arith.mulf %gy, %gr_t : tensor<1024xf32>
  %g2 = arith.addf %gy, %gr : tensor<1024xf32>
  %g1_s = arith.mulf %a2, %a2 : tensor<1024xf32>
  %g1_t = arith.subf %one, %g1_s : tensor<1024xf32>
  %g1 = arith.mulf %g2, %g1_t : tensor<1024xf32>
  %dx_s = arith.mulf %a1, %a1 : tensor<1024xf32>
  %dx_t = arith.subf %one, %dx_s : tensor<1024xf32>
  %dx = arith.mulf %g1, %dx_t : tensor<1024xf32>
  return %loss, %dx : tensor<f32>, tensor<1024xf32>
}

