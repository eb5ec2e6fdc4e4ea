// segments=N: the checkpoint regions torch.utils.checkpoint_sequential places
// with N segments. The forward pass, five tanh layers and the loss, 1024 FLOPs
// each, splits into N segments of equal FLOPs; all but the last are
// checkpointed.
// RUN: remat-opt %s --remat-checkpoint="solver=manual segments=1" -o /dev/null 2>&1 | FileCheck %s --check-prefix=S1
// RUN: remat-opt %s --remat-checkpoint="solver=manual segments=2" -o /dev/null 2>&1 | FileCheck %s --check-prefix=S2
// RUN: remat-opt %s --remat-checkpoint="solver=manual segments=3" -o /dev/null 2>&1 | FileCheck %s --check-prefix=S3
// RUN: remat-opt %s --remat-checkpoint="budget=0.6 solver=fast segments=2" -o /dev/null 2>&1 | FileCheck %s --check-prefix=FAST2
// RUN: remat-opt %s --remat-checkpoint="solver=manual segments=2" | FileCheck %s --check-prefix=REWRITE

// One segment is the whole forward pass, not checkpointed: eager PyTorch.
// S1-NOT: pinned
// S1: remark: remat-checkpoint: unplanned peak 28676 bytes, budget none, planned peak 28676 bytes (rewritten IR: 28676 bytes); recompute 0 FLOPs, 0.00% of the step; solver manual

// Two segments, {%a1, %a2, %a3} and the rest: the first is checkpointed;
// %a1 and %a2 are recomputed from %x (an argument, kept anyway), %a3 leaves
// the region.
// S2: remark: remat-checkpoint: recompute %0 (4096 bytes, 1024 FLOPs) 1 time, pinned recompute
// S2: remark: remat-checkpoint: recompute %1 (4096 bytes, 1024 FLOPs) 1 time, pinned recompute
// S2: remark: remat-checkpoint: keep %2 (4096 bytes)
// S2: remark: remat-checkpoint: unplanned peak 28676 bytes, budget none, planned peak 20484 bytes (rewritten IR: 20484 bytes); recompute 2048 FLOPs, 9.52% of the step; solver manual in {{.*}} s; policies pin 0 value(s) save, 2 recompute
// REWRITE: remat.recompute (%{{.*}} = %arg0)
// REWRITE-COUNT-2: math.tanh

// Three segments, {%a1, %a2}, {%a3, %a4} and the rest: the second region's
// input %a2 is kept.
// S3: remark: remat-checkpoint: recompute %0 (4096 bytes, 1024 FLOPs) 1 time, pinned recompute
// S3: remark: remat-checkpoint: keep %1 (4096 bytes), pinned save
// S3: remark: remat-checkpoint: recompute %2 (4096 bytes, 1024 FLOPs) 1 time, pinned recompute
// S3: remark: remat-checkpoint: keep %3 (4096 bytes)
// S3: remark: remat-checkpoint: unplanned peak 28676 bytes, budget none, planned peak 20484 bytes (rewritten IR: 20484 bytes); recompute 2048 FLOPs, 9.52% of the step; solver manual in {{.*}} s; policies pin 1 value(s) save, 2 recompute
// With a budget below the manual plan's peak, fast keeps the two-segment
// pins and plans the rest: it recomputes %a3 too, and the pinned values
// more than once, to reach 16388 bytes.
// FAST2: remark: remat-checkpoint: recompute %0 (4096 bytes, 1024 FLOPs) {{[0-9]+}} times, pinned recompute
// FAST2: remark: remat-checkpoint: recompute %1 (4096 bytes, 1024 FLOPs) {{[0-9]+}} times, pinned recompute
// FAST2: remark: remat-checkpoint: unplanned peak 28676 bytes, budget 17205 bytes, planned peak 16388 bytes
// FAST2-SAME: policies pin 0 value(s) save, 2 recompute
#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
func.func @sequential(%x: tensor<1024xf32>) -> (tensor<f32> {remat.loss}, tensor<1024xf32>) {
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
