// RUN: remat-opt %s --split-input-file --remat-checkpoint="solver=manual" -o /dev/null 2>&1 | FileCheck %s --check-prefix=MANUAL
// RUN: remat-opt %s --split-input-file --remat-checkpoint="solver=manual" 2>/dev/null | FileCheck %s --check-prefix=REWRITE
// RUN: not remat-opt %s --split-input-file --remat-checkpoint="budget=0.8" -o /dev/null 2>&1 | FileCheck %s --check-prefix=FAST
// RUN: not remat-opt %s --split-input-file --remat-checkpoint="budget=0.8 solver=exact" -o /dev/null 2>&1 | FileCheck %s --check-prefix=EXACT
// RUN: remat-opt %s --split-input-file --remat-checkpoint="solver=manual plan-file=%t.json" -o /dev/null 2>/dev/null
// RUN: FileCheck %s --check-prefix=PLAN < %t.json
// segments= places regions of its own: with remat.checkpoint in the IR, an
// error at the first op of a region (%a2 of @region).
// RUN: not remat-opt %s --split-input-file --remat-checkpoint="solver=manual segments=2" -o /dev/null 2>&1 | FileCheck %s --check-prefix=CONFLICT
// CONFLICT: error: remat-checkpoint: segments= splits the step into checkpoint regions of its own, but this op already belongs to region 0; use one or the other

// Policies on a chain of five tanh layers, 1024 x f32 = 4096 bytes each; the
// backward pass reads every layer. Unplanned peak: 28676 bytes; solver=fast
// fits 16388 bytes without policies. At budget=0.8 (22940 bytes) the
// unpinned optimum recomputes %a1 and %a2 (2048 FLOPs, peak 20484).

// "recompute" on %a3: solver=manual recomputes it once, from %a2, right
// before its backward use, and keeps everything else (it needs no budget).
// fast and exact at 0.8 keep the pin and recompute %a1 besides: 2048 FLOPs.
// REWRITE-LABEL: func.func @op_recompute
// REWRITE:      math.tanh %[[A2:[0-9]+]] {remat.policy = "recompute"}
// REWRITE:      %[[R:.*]] = remat.recompute (%{{.*}} = %[[A2]])
// REWRITE-NEXT:   math.tanh
// REWRITE:      arith.mulf %[[R]], %[[R]]
// MANUAL: remark: remat-checkpoint: keep %1 (4096 bytes)
// MANUAL: remark: remat-checkpoint: recompute %2 (4096 bytes, 1024 FLOPs) 1 time, pinned recompute
// MANUAL: remark: remat-checkpoint: keep %3 (4096 bytes)
// MANUAL:      remark: remat-checkpoint: unplanned peak 28676 bytes, budget none, planned peak 24580 bytes (rewritten IR: 24580 bytes); recompute 1024 FLOPs, 4.76% of the step; solver manual in {{.*}} s; policies pin 0 value(s) save, 1 recompute
// FAST: remark: remat-checkpoint: recompute %0 (4096 bytes, 1024 FLOPs) 1 time
// FAST: remark: remat-checkpoint: keep %1 (4096 bytes)
// FAST: remark: remat-checkpoint: recompute %2 (4096 bytes, 1024 FLOPs) 1 time, pinned recompute
// FAST: remark: remat-checkpoint: unplanned peak 28676 bytes, budget 22940 bytes, planned peak 20484 bytes (rewritten IR: 20484 bytes); recompute 2048 FLOPs, 9.52% of the step; solver fast in {{.*}} s; policies pin 0 value(s) save, 1 recompute
// FAST-SAME: ; recompute at most 29.98% above the least any plan within the budget needs (proven lower bound)
// EXACT: remark: remat-checkpoint: unplanned peak 28676 bytes, budget 22940 bytes, planned peak 20484 bytes (rewritten IR: 20484 bytes); recompute 2048 FLOPs, 9.52% of the step; solver exact in {{.*}} s, proven optimal (gap 0.00%); policies pin 0 value(s) save, 1 recompute
#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
func.func @op_recompute(%x: tensor<1024xf32>) -> (tensor<f32> {remat.loss}, tensor<1024xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<1024xf32>
  %a1 = math.tanh %x : tensor<1024xf32>
  %a2 = math.tanh %a1 : tensor<1024xf32>
  %a3 = math.tanh %a2 {remat.policy = "recompute"} : tensor<1024xf32>
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

// "save" on %a1 and %a2: nothing to do for solver=manual. The optimum at
// 0.8 recomputes exactly those two, so with the pins the least peak is
// 24580 bytes, over the budget: an error at the largest pinned value live at
// that peak (remat-checkpoint-policies-errors.mlir has it under
// -verify-diagnostics).
// MANUAL: remark: remat-checkpoint: keep %0 (4096 bytes), pinned save
// MANUAL: remark: remat-checkpoint: keep %1 (4096 bytes), pinned save
// MANUAL: remark: remat-checkpoint: keep %2 (4096 bytes)
// MANUAL: remark: remat-checkpoint: unplanned peak 28676 bytes, budget none, planned peak 28676 bytes (rewritten IR: 28676 bytes); recompute 0 FLOPs, 0.00% of the step; solver manual in {{.*}} s; policies pin 2 value(s) save, 0 recompute
// FAST: remat-checkpoint-policies.mlir:[[# @LINE + 7]]:9: error: remat-checkpoint: budget of 22940 bytes is below the smallest budget that fits the policies, 24580 bytes (24.0 KiB; without them 16388 bytes): this op's result is pinned "save" and live at that peak
// EXACT: error: remat-checkpoint: budget of 22940 bytes is below the smallest budget that fits the policies, 24580 bytes
#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
func.func @op_save(%x: tensor<1024xf32>) -> (tensor<f32> {remat.loss}, tensor<1024xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<1024xf32>
  %a1 = math.tanh %x {remat.policy = "save"} : tensor<1024xf32>
  %a2 = math.tanh %a1 {remat.policy = "save"} : tensor<1024xf32>
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

// One checkpoint region over %a2, %a3, %a4 (checkpoint(layers 2-4, %a1)):
// its input %a1 is kept, %a2 and %a3 (read only inside) are recomputed once
// in backward, %a4 leaves the region (%a5 reads it) and follows the normal
// rules: solver=manual keeps it. At 0.8 the manual plan (24580 bytes) does
// not fit: fast and exact keep the pins and recompute %a2 twice (3072 FLOPs,
// the optimum, exact proves).
// MANUAL: remark: remat-checkpoint: keep %0 (4096 bytes), pinned save
// MANUAL: remark: remat-checkpoint: recompute %1 (4096 bytes, 1024 FLOPs) 1 time, pinned recompute
// MANUAL: remark: remat-checkpoint: recompute %2 (4096 bytes, 1024 FLOPs) 1 time, pinned recompute
// MANUAL: remark: remat-checkpoint: keep %3 (4096 bytes)
// MANUAL: remark: remat-checkpoint: unplanned peak 28676 bytes, budget none, planned peak 24580 bytes (rewritten IR: 24580 bytes); recompute 2048 FLOPs, 9.52% of the step; solver manual in {{.*}} s; policies pin 1 value(s) save, 2 recompute
// FAST: remark: remat-checkpoint: keep %0 (4096 bytes), pinned save
// FAST: remark: remat-checkpoint: recompute %1 (4096 bytes, 1024 FLOPs) 2 times, pinned recompute
// FAST: remark: remat-checkpoint: recompute %2 (4096 bytes, 1024 FLOPs) 1 time, pinned recompute
// FAST: remark: remat-checkpoint: unplanned peak 28676 bytes, budget 22940 bytes, planned peak 20484 bytes (rewritten IR: 20484 bytes); recompute 3072 FLOPs, 14.29% of the step; solver fast
// EXACT: remark: remat-checkpoint: unplanned peak 28676 bytes, budget 22940 bytes, planned peak 20484 bytes (rewritten IR: 20484 bytes); recompute 3072 FLOPs, 14.29% of the step; solver exact in {{.*}} s, proven optimal (gap 0.00%); policies pin 1 value(s) save, 2 recompute
#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
func.func @region(%x: tensor<1024xf32>) -> (tensor<f32> {remat.loss}, tensor<1024xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<1024xf32>
  %a1 = math.tanh %x : tensor<1024xf32>
  %a2 = math.tanh %a1 {remat.checkpoint = 0 : i64} : tensor<1024xf32>
  %a3 = math.tanh %a2 {remat.checkpoint = 0 : i64} : tensor<1024xf32>
  %a4 = math.tanh %a3 {remat.checkpoint = 0 : i64} : tensor<1024xf32>
  %a5 = math.tanh %a4 : tensor<1024xf32>
  %l_init = tensor.empty() : tensor<f32>
  %l_acc = linalg.fill ins(%zero : f32) outs(%l_init : tensor<f32>) -> tensor<f32>
  %loss = linalg.generic {indexing_maps = [#id, #sum], iterator_types = ["reduction"]}
      ins(%a5 : tensor<1024xf32>) outs(%l_acc : tensor<f32>) {
    ^bb0(%in: f32, %acc: f32):
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
  } -> tensor<f32>
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

// Two regions, as checkpoint_sequential with three segments: {%a1, %a2} and
// {%a3, %a4}. The second region's input %a2 is kept; %a1 and %a3 are
// recomputed; %a4 and %a5 leave their regions. 20484 bytes at 2048 FLOPs:
// what the unpinned optimum reaches at 0.8 too.
// MANUAL: remark: remat-checkpoint: recompute %0 (4096 bytes, 1024 FLOPs) 1 time, pinned recompute
// MANUAL: remark: remat-checkpoint: keep %1 (4096 bytes), pinned save
// MANUAL: remark: remat-checkpoint: recompute %2 (4096 bytes, 1024 FLOPs) 1 time, pinned recompute
// MANUAL: remark: remat-checkpoint: keep %3 (4096 bytes)
// MANUAL: remark: remat-checkpoint: unplanned peak 28676 bytes, budget none, planned peak 20484 bytes (rewritten IR: 20484 bytes); recompute 2048 FLOPs, 9.52% of the step; solver manual in {{.*}} s; policies pin 1 value(s) save, 2 recompute
// FAST: remark: remat-checkpoint: unplanned peak 28676 bytes, budget 22940 bytes, planned peak 20484 bytes (rewritten IR: 20484 bytes); recompute 2048 FLOPs, 9.52% of the step; solver fast in {{.*}} s; policies pin 1 value(s) save, 2 recompute
#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
func.func @two_regions(%x: tensor<1024xf32>) -> (tensor<f32> {remat.loss}, tensor<1024xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<1024xf32>
  %a1 = math.tanh %x {remat.checkpoint = 0 : i64} : tensor<1024xf32>
  %a2 = math.tanh %a1 {remat.checkpoint = 0 : i64} : tensor<1024xf32>
  %a3 = math.tanh %a2 {remat.checkpoint = 1 : i64} : tensor<1024xf32>
  %a4 = math.tanh %a3 {remat.checkpoint = 1 : i64} : tensor<1024xf32>
  %a5 = math.tanh %a4 : tensor<1024xf32>
  %l_init = tensor.empty() : tensor<f32>
  %l_acc = linalg.fill ins(%zero : f32) outs(%l_init : tensor<f32>) -> tensor<f32>
  %loss = linalg.generic {indexing_maps = [#id, #sum], iterator_types = ["reduction"]}
      ins(%a5 : tensor<1024xf32>) outs(%l_acc : tensor<f32>) {
    ^bb0(%in: f32, %acc: f32):
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
  } -> tensor<f32>
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

// An explicit policy overrides its region's: %a2, inside region 0, is
// pinned "save", so only %a1 is recomputed (%a3 leaves the region).
// The plan file (the last function's: --split-input-file writes it per
// chunk) names each pinned value's policy and counts the pins.
// PLAN: "function": "override",
// PLAN: "kept": [
// PLAN: "policy": "save",
// PLAN-NEXT: "value": "%1"
// PLAN: "pinned_recompute": 1,
// PLAN-NEXT: "pinned_save": 1,
// PLAN: "recomputed": [
// PLAN: "policy": "recompute",
// PLAN-NEXT: "times": 1,
// PLAN-NEXT: "value": "%0"
// PLAN: "smallest_feasible_bytes": 20484,
// PLAN-NEXT: "smallest_feasible_without_policies_bytes": 16388,
// MANUAL: remark: remat-checkpoint: recompute %0 (4096 bytes, 1024 FLOPs) 1 time, pinned recompute
// MANUAL: remark: remat-checkpoint: keep %1 (4096 bytes), pinned save
// MANUAL: remark: remat-checkpoint: keep %2 (4096 bytes)
// MANUAL: remark: remat-checkpoint: unplanned peak 28676 bytes, budget none, planned peak 24580 bytes (rewritten IR: 24580 bytes); recompute 1024 FLOPs, 4.76% of the step; solver manual in {{.*}} s; policies pin 1 value(s) save, 1 recompute
#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
func.func @override(%x: tensor<1024xf32>) -> (tensor<f32> {remat.loss}, tensor<1024xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<1024xf32>
  %a1 = math.tanh %x {remat.checkpoint = 0 : i64} : tensor<1024xf32>
  %a2 = math.tanh %a1 {remat.checkpoint = 0 : i64, remat.policy = "save"} : tensor<1024xf32>
  %a3 = math.tanh %a2 {remat.checkpoint = 0 : i64} : tensor<1024xf32>
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
