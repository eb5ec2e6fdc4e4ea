// Ops recomputed whole, and ops never recomputed. Recomputing everything
// that can be recomputed shows both.
// RUN: remat-opt %s --allow-unregistered-dialect --split-input-file --remat-checkpoint="budget=1.0 solver=recompute-all" 2>/dev/null | FileCheck %s --check-prefix=ALL
// RUN: remat-opt %s --allow-unregistered-dialect --split-input-file --remat-checkpoint="budget=1.0 solver=recompute-all" -o /dev/null 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: remat-opt %s --allow-unregistered-dialect --split-input-file --remat-checkpoint="budget=1.0 solver=recompute-all" -o /dev/null 2>&1 | FileCheck %s --check-prefix=DIALECT

#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
// Recomputing everything re-runs the two-result generic as a whole, and
// yields both of its results.
// ALL-LABEL: func.func @multi_result
// ALL:      remat.recompute (%{{.*}} = %arg0)
// ALL:        %[[G:.*]]:2 = linalg.generic
// ALL:        remat.yield %{{.*}}, %[[G]]#0, %[[G]]#1
// A two-result generic is recomputed whole.
func.func @multi_result(%x: tensor<1024xf32>) -> (tensor<f32> {remat.loss}, tensor<1024xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<1024xf32>
  %a1 = math.tanh %x : tensor<1024xf32>
  %e1 = tensor.empty() : tensor<1024xf32>
  %e2 = tensor.empty() : tensor<1024xf32>
  %t, %u = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%a1 : tensor<1024xf32>) outs(%e1, %e2 : tensor<1024xf32>, tensor<1024xf32>) {
    ^bb0(%in: f32, %o1: f32, %o2: f32):
      %th = math.tanh %in : f32
      %ex = math.exp %in : f32
      linalg.yield %th, %ex : f32, f32
  } -> (tensor<1024xf32>, tensor<1024xf32>)
  %v = arith.mulf %t, %u : tensor<1024xf32>
  %a3 = math.tanh %v : tensor<1024xf32>
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
  %gv_s = arith.mulf %a3, %a3 : tensor<1024xf32>
  %gv_t = arith.subf %one, %gv_s : tensor<1024xf32>
  %gv = arith.mulf %g4, %gv_t : tensor<1024xf32>
  %gt = arith.mulf %gv, %u : tensor<1024xf32>
  %gu = arith.mulf %gv, %t : tensor<1024xf32>
  %gue = arith.mulf %gu, %u : tensor<1024xf32>
  %gtt_s = arith.mulf %t, %t : tensor<1024xf32>
  %gtt_t = arith.subf %one, %gtt_s : tensor<1024xf32>
  %gtt = arith.mulf %gt, %gtt_t : tensor<1024xf32>
  %g1 = arith.addf %gtt, %gue : tensor<1024xf32>
  %dx_s = arith.mulf %a1, %a1 : tensor<1024xf32>
  %dx_t = arith.subf %one, %dx_s : tensor<1024xf32>
  %dx = arith.mulf %g1, %dx_t : tensor<1024xf32>
  return %loss, %dx : tensor<f32>, tensor<1024xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
// The result of "foreign.op" is never recomputed: the regions keep it.
// ALL-LABEL: func.func @side_effects
// ALL:      %[[F:.*]] = "foreign.op"(%arg0)
// ALL-NOT:  "foreign.op"
// ALL:      remat.recompute (%{{.*}} = %[[F]])
// ALL-NOT:  "foreign.op"
// REMARK: remark: 'foreign.op' has memory effects: remat keeps it where it is and never recomputes it
// An op of a dialect remat does not know (torch-mlir's tm_tensor, say) is
// named with its dialect, and what remat assumes of it is said.
// DIALECT: remat-checkpoint-whole-ops.mlir:[[# @LINE + 5]]:9: warning: remat-checkpoint: 'foreign.op' is from dialect 'foreign', which remat does not know (it is not registered in this tool); 1 such op(s) in @side_effects. remat keeps them where they are, never recomputes them and counts each tensor result as a buffer of its own
// An op with memory effects (unregistered: anything may happen) is kept.
func.func @side_effects(%x: tensor<1024xf32>) -> (tensor<f32> {remat.loss}, tensor<1024xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<1024xf32>
  %a1 = "foreign.op"(%x) : (tensor<1024xf32>) -> tensor<1024xf32>
  %a2 = math.tanh %a1 : tensor<1024xf32>
  %a3 = math.tanh %a2 : tensor<1024xf32>
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
  %g2_s = arith.mulf %a2, %a2 : tensor<1024xf32>
  %g2_t = arith.subf %one, %g2_s : tensor<1024xf32>
  %g2 = arith.mulf %g3, %g2_t : tensor<1024xf32>
  %dx_s = arith.mulf %a1, %a1 : tensor<1024xf32>
  %dx_t = arith.subf %one, %dx_s : tensor<1024xf32>
  %dx = arith.mulf %g2, %dx_t : tensor<1024xf32>
  return %loss, %dx : tensor<f32>, tensor<1024xf32>
}

// -----

// An unknown op with a body (torch-mlir's tm_tensor.scatter, IREE's
// iree_linalg_ext.scatter) is named once, not through the yield in its body.
// DIALECT: remat-checkpoint-whole-ops.mlir:[[# @LINE + 6]]:8: warning: remat-checkpoint: 'tm_tensor.scatter' is from dialect 'tm_tensor', which remat does not know (it is not registered in this tool); 1 such op(s) in @unknown_with_body.
// DIALECT-NOT: tm_tensor.yield
func.func @unknown_with_body(%x: tensor<1024xf32>, %i: tensor<8x1xi32>, %u: tensor<8xf32>) -> (tensor<f32> {remat.loss}, tensor<1024xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<1024xf32>
  %a1 = math.tanh %x : tensor<1024xf32>
  %s = "tm_tensor.scatter"(%u, %i, %a1) ({
  ^bb0(%new: f32, %old: f32):
    "tm_tensor.yield"(%new) : (f32) -> ()
  }) : (tensor<8xf32>, tensor<8x1xi32>, tensor<1024xf32>) -> tensor<1024xf32>
  %a2 = math.tanh %s : tensor<1024xf32>
  %l_init = tensor.empty() : tensor<f32>
  %l_acc = linalg.fill ins(%zero : f32) outs(%l_init : tensor<f32>) -> tensor<f32>
  %loss = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]}
      ins(%a2 : tensor<1024xf32>) outs(%l_acc : tensor<f32>) {
    ^bb0(%in: f32, %acc: f32):
      %t = arith.addf %in, %acc : f32
      linalg.yield %t : f32
  } -> tensor<f32>
  %g2_s = arith.mulf %a2, %a2 : tensor<1024xf32>
  %g2 = arith.subf %one, %g2_s : tensor<1024xf32>
  %g1_s = arith.mulf %a1, %a1 : tensor<1024xf32>
  %g1_t = arith.subf %one, %g1_s : tensor<1024xf32>
  %dx = arith.mulf %g2, %g1_t : tensor<1024xf32>
  return %loss, %dx : tensor<f32>, tensor<1024xf32>
}
