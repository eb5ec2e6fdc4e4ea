// Found by the MLIR fuzzer (fuzz/MlirFuzzer.cpp) on its first pass over its
// seeds: the unrolled residual MLP writes its stacked weight gradients with
// tensor.insert_slice, one slice per layer as the backward pass reaches it.
// One node for all those writers sat at the last one, so the planning problem
// kept every slice's operand to the end and counted the stacked buffer only
// there; planned at 70% of its unplanned peak, the step ended in "internal
// error: the rewritten step peaks at 692484 bytes where its plan peaks at
// 576004 bytes". Such interleaved backward writers are now nodes of their
// own, the first owning the buffer (lib/Analysis/PlanningProblem.cpp).
// RUN: remat-opt %examples/loops/residual_mlp_unrolled.mlir --remat-checkpoint=budget=0.7 -o /dev/null 2>&1 | FileCheck %s --implicit-check-not="internal error"
// CHECK: remark: remat-checkpoint: unplanned peak
