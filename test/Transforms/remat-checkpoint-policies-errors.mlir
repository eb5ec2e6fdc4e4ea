// RUN: remat-opt %s --split-input-file --allow-unregistered-dialect --remat-checkpoint="budget=0.8" --verify-diagnostics
// Contradictory policies are errors at the op (the segments= conflict is in
// remat-checkpoint-policies.mlir).

// An unknown policy.
#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
func.func @unknown_policy(%x: tensor<1024xf32>) -> (tensor<f32> {remat.loss}, tensor<1024xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<1024xf32>
  %a1 = math.tanh %x : tensor<1024xf32>
  // expected-error @below {{remat-checkpoint: unknown remat.policy "maybe"; expected "save" or "recompute"}}
  %a2 = math.tanh %a1 {remat.policy = "maybe"} : tensor<1024xf32>
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

// A checkpoint id that is not an integer.
#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
func.func @string_id(%x: tensor<1024xf32>) -> (tensor<f32> {remat.loss}, tensor<1024xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<1024xf32>
  %a1 = math.tanh %x : tensor<1024xf32>
  // expected-error @below {{remat-checkpoint: remat.checkpoint must be an integer id of the checkpoint region (one per torch.utils.checkpoint call), got "layer1"}}
  %a2 = math.tanh %a1 {remat.checkpoint = "layer1"} : tensor<1024xf32>
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

// A float is no id either.
#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
func.func @float_id(%x: tensor<1024xf32>) -> (tensor<f32> {remat.loss}, tensor<1024xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<1024xf32>
  %a1 = math.tanh %x : tensor<1024xf32>
  // expected-error @below {{remat-checkpoint: remat.checkpoint must be an integer id}}
  %a2 = math.tanh %a1 {remat.checkpoint = 1.0 : f32} : tensor<1024xf32>
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

// Backward ops run once; a policy there means nothing.
#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
func.func @backward_policy(%x: tensor<1024xf32>) -> (tensor<f32> {remat.loss}, tensor<1024xf32>) {
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
  // expected-error @below {{remat-checkpoint: 'remat.policy' on a backward op: policies and checkpoint regions apply to forward ops (those the loss depends on)}}
  %s1 = arith.mulf %a1, %a1 {remat.policy = "save"} : tensor<1024xf32>
  %t1 = arith.subf %one, %s1 : tensor<1024xf32>
  %g1 = arith.mulf %g2, %t1 : tensor<1024xf32>
  return %loss, %g1 : tensor<f32>, tensor<1024xf32>
}

// -----

// Only ops free of memory effects are re-run.
#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
func.func @side_effects(%x: tensor<1024xf32>) -> (tensor<f32> {remat.loss}, tensor<1024xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<1024xf32>
  %a1 = math.tanh %x : tensor<1024xf32>
  // expected-warning @below {{remat-checkpoint: 'foreign.op' is from dialect 'foreign'}}
  // expected-remark @below {{'foreign.op' has memory effects}}
  // expected-error @below {{remat-checkpoint: remat.policy "recompute" on an op that cannot be recomputed (it has memory effects, or writes a buffer with an op that does); remat re-runs only ops free of memory effects}}
  %a2 = "foreign.op"(%a1) {remat.policy = "recompute"} : (tensor<1024xf32>) -> tensor<1024xf32>
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

// A fill and the reduction into it write one buffer: one policy.
#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
func.func @one_buffer_two_policies(%x: tensor<1024xf32>) -> (tensor<f32> {remat.loss}, tensor<1024xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<1024xf32>
  %a1 = math.tanh %x : tensor<1024xf32>
  %a2 = math.tanh %a1 : tensor<1024xf32>
  %a3 = math.tanh %a2 : tensor<1024xf32>
  %a4 = math.tanh %a3 : tensor<1024xf32>
  %a5 = math.tanh %a4 : tensor<1024xf32>
  %l_init = tensor.empty() : tensor<f32>
  %l_acc = linalg.fill {remat.policy = "save"} ins(%zero : f32) outs(%l_init : tensor<f32>) -> tensor<f32>
  // expected-error @below {{remat-checkpoint: remat.policy "recompute" contradicts "save" on an op writing the same buffer}}
  %loss = linalg.generic {remat.policy = "recompute", indexing_maps = [#id, #sum], iterator_types = ["reduction"]}
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

// Every layer pinned "save": 0.8 of the unplanned peak cannot hold them.
#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
func.func @saved_too_much(%x: tensor<1024xf32>) -> (tensor<f32> {remat.loss}, tensor<1024xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : tensor<1024xf32>
  // The error names the smallest budget that fits the pins, and the one
  // without them, at the largest pinned value live at that peak.
  // expected-error @below {{remat-checkpoint: budget of 22940 bytes is below the smallest budget that fits the policies, 28676 bytes (28.0 KiB; without them 16388 bytes): this op's result is pinned "save" and live at that peak}}
  %a1 = math.tanh %x {remat.policy = "save"} : tensor<1024xf32>
  %a2 = math.tanh %a1 {remat.policy = "save"} : tensor<1024xf32>
  %a3 = math.tanh %a2 {remat.policy = "save"} : tensor<1024xf32>
  %a4 = math.tanh %a3 {remat.policy = "save"} : tensor<1024xf32>
  %a5 = math.tanh %a4 {remat.policy = "save"} : tensor<1024xf32>
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
