// remat-inline-recompute on planned steps, with CSE and canonicalization
// around it. A planned chain (see remat-checkpoint.mlir: %a1 and %a2
// are recomputed from %x, the plan peaks at 20484 bytes, unplanned 28676):
// RUN: remat-opt %s --remat-checkpoint="budget=0.8 solver=exact" --cse 2>/dev/null | FileCheck %s --check-prefix=REGION
// RUN: remat-opt %s --remat-checkpoint="budget=0.8 solver=exact" --cse --remat-inline-recompute --remat-report -o /dev/null 2>&1 | FileCheck %s --check-prefix=KEPT
// RUN: remat-opt %s --remat-checkpoint="budget=0.8 solver=exact" --remat-inline-recompute --cse 2>/dev/null | FileCheck %s --check-prefix=MARKED
// RUN: remat-opt %s --remat-checkpoint="budget=0.8 solver=exact" --remat-inline-recompute --cse --canonicalize --cse --remat-report -o /dev/null 2>&1 | FileCheck %s --check-prefix=KEPT
// Equal regions stay apart under CSE: recompute-all on the mlp example makes
// five regions, some structurally equal (they write a resource of their
// own), and the step peaks as planned (283476 bytes) whatever CSE and
// canonicalization run around the inlining, once remat-bufferize's
// remat-localize-inits has given each writer its own fill again.
// RUN: remat-opt %examples/mlp.mlir --remat-checkpoint="budget=0.99 solver=recompute-all" --cse --canonicalize 2>/dev/null | FileCheck %s --check-prefix=REGIONS
// RUN: remat-opt %examples/mlp.mlir --remat-checkpoint="budget=0.99 solver=recompute-all" --cse --canonicalize --remat-inline-recompute --cse --canonicalize --remat-localize-inits --remat-report -o /dev/null 2>&1 | FileCheck %s --check-prefix=MLP
// REGIONS-LABEL: func.func @train_step
// REGIONS-COUNT-5: remat.recompute (
// REGIONS-NOT: remat.recompute (
// MLP: remark: remat-checkpoint: unplanned peak 299860 bytes, budget 296861 bytes, planned peak 283476 bytes
// MLP: remark: remat-report: peak 276.8 KiB (283476 bytes)

// While the recomputation sits in its region, CSE cannot merge it with the
// forward ops (the region is isolated from above), and the plan holds.
// REGION-LABEL: func.func @chain
// REGION-COUNT-5: math.tanh %
// REGION:      remat.recompute
// REGION-NEXT:   math.tanh
// KEPT: remark: remat-report: peak 20.0 KiB (20484 bytes)

// Dissolved, the recomputed tanh ops are marked with their region's number:
// CSE compares attributes, so it does not merge them with the forward ops,
// and the plan holds through CSE and canonicalization.
// MARKED-LABEL: func.func @chain
// MARKED-COUNT-5: math.tanh %{{[a-z0-9_]+}} : tensor<1024xf32>
// MARKED: math.tanh %{{.*}} {remat.recomputed = 1 : i64}
// MARKED: math.tanh %{{.*}} {remat.recomputed = 1 : i64}

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
