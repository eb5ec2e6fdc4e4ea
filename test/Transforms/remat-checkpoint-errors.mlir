// RUN: remat-opt %s --split-input-file --remat-checkpoint="budget=0.5" --verify-diagnostics
// RUN: not remat-opt %s --remat-checkpoint="budget=lots" 2>&1 | FileCheck %s --check-prefix=BUDGET
// RUN: not remat-opt %s --remat-checkpoint="budget=0.9 solver=magic" 2>&1 | FileCheck %s --check-prefix=SOLVER
// RUN: not remat-opt %s --split-input-file --remat-checkpoint="budget=0.9 solver=keep-all" 2>&1 | FileCheck %s --check-prefix=KEEP
// A refusal fails the run (remat-opt exits non-zero), whatever the budget.
// RUN: not remat-opt %s --split-input-file --remat-checkpoint="budget=1.0" -o /dev/null 2>&1 | FileCheck %s --check-prefix=REFUSED
// REFUSED: error: remat-checkpoint: the module has no training step to plan
// REFUSED: error: remat-checkpoint: cannot plan @planned_twice

// BUDGET: error: remat-checkpoint: invalid budget 'lots':
// SOLVER: for the --solver option: unknown solver 'magic'; expected fast, exact, keep-all, recompute-all, sqrtn, knapsack or manual

// Half the unplanned peak (28676 / 2) is below what recomputing everything
// reaches: %x, two live layers and the backward temporaries, 16388 bytes.
// expected-error @below {{remat-checkpoint: budget of 14338 bytes is below the smallest feasible budget for this step, 16388 bytes (16.0 KiB: the least peak solver=fast reaches; the unplanned peak is 28676 bytes)}}
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
  %loss = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]}
      ins(%a5 : tensor<1024xf32>) outs(%l_acc : tensor<f32>) {
    ^bb0(%in: f32, %acc: f32):
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
  } -> tensor<f32>
  %s5 = arith.mulf %a5, %a5 : tensor<1024xf32>
  %g5 = arith.subf %one, %s5 : tensor<1024xf32>
  %s4 = arith.mulf %a4, %a4 : tensor<1024xf32>
  %g4 = arith.mulf %g5, %s4 : tensor<1024xf32>
  %s3 = arith.mulf %a3, %a3 : tensor<1024xf32>
  %g3 = arith.mulf %g4, %s3 : tensor<1024xf32>
  %s2 = arith.mulf %a2, %a2 : tensor<1024xf32>
  %g2 = arith.mulf %g3, %s2 : tensor<1024xf32>
  %s1 = arith.mulf %a1, %a1 : tensor<1024xf32>
  %g1 = arith.mulf %g2, %s1 : tensor<1024xf32>
  return %loss, %g1 : tensor<f32>, tensor<1024xf32>
}
// A baseline that cannot meet a budget says so; it never returns a plan over
// budget.
// KEEP: error: remat-checkpoint: solver 'keep-all' found no plan within 25808 bytes (planned peak 28676 bytes exceeds the budget of 25808 bytes); the smallest feasible budget is 16388 bytes, which solver=fast reaches

// -----

// Functions that are not training steps are left alone, with a remark, but a
// module without any training step is an error (at the module): the pass
// never succeeds having planned nothing.
// expected-error @-5 {{remat-checkpoint: the module has no training step to plan}}
// expected-remark @below {{not a training step}}
func.func @inference(%x: tensor<1024xf32>) -> tensor<1024xf32> {
  %y = math.exp %x : tensor<1024xf32>
  return %y : tensor<1024xf32>
}

// -----

// A step remat cannot plan is an error that fails the pass, never a remark
// and an empty plan: here one planned already.
// expected-error @below {{remat-checkpoint: cannot plan @planned_twice: the function holds remat.recompute regions already}}
func.func @planned_twice(%x: tensor<1024xf32>) -> (tensor<f32> {remat.loss}, tensor<1024xf32>) {
  %zero = arith.constant 0.0 : f32
  %a1 = math.tanh %x : tensor<1024xf32>
  %l_init = tensor.empty() : tensor<f32>
  %l_acc = linalg.fill ins(%zero : f32) outs(%l_init : tensor<f32>) -> tensor<f32>
  %loss = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]}
      ins(%a1 : tensor<1024xf32>) outs(%l_acc : tensor<f32>) {
    ^bb0(%in: f32, %acc: f32):
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
  } -> tensor<f32>
  %r = remat.recompute (%a = %x) : (tensor<1024xf32>) -> tensor<1024xf32> {
    %t = math.tanh %a : tensor<1024xf32>
    remat.yield %t : tensor<1024xf32>
  }
  %g = arith.mulf %r, %r : tensor<1024xf32>
  return %loss, %g : tensor<f32>, tensor<1024xf32>
}

// -----

// A step with a loop is refused, not planned around a loop whose iterations
// the planning problem cannot see.
// expected-error @below {{remat-checkpoint: cannot plan @looped: the step holds an scf.for; the planning problem models each iteration's buffers only as the loop's own peak (docs/memory-model.md, loops), so remat-checkpoint plans loop-free steps only: unroll the loop to plan it}}
func.func @looped(%x: tensor<1024xf32>) -> (tensor<f32> {remat.loss}, tensor<1024xf32>) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %a = scf.for %i = %c0 to %c4 step %c1 iter_args(%h = %x) -> (tensor<1024xf32>) {
    %t = math.tanh %h : tensor<1024xf32>
    scf.yield %t : tensor<1024xf32>
  }
  %l_init = tensor.empty() : tensor<f32>
  %l_acc = linalg.fill ins(%zero : f32) outs(%l_init : tensor<f32>) -> tensor<f32>
  %loss = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]}
      ins(%a : tensor<1024xf32>) outs(%l_acc : tensor<f32>) {
    ^bb0(%in: f32, %acc: f32):
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
  } -> tensor<f32>
  %g = arith.mulf %a, %a : tensor<1024xf32>
  return %loss, %g : tensor<f32>, tensor<1024xf32>
}

// -----

// A computed value that two ops write in place (the first reads it before the
// second overwrites it) is no fresh destination remat-localize-inits may
// re-make: refused at the first writer, with the later one in a note.
func.func @shared_computed(%x: tensor<1024xf32>) -> (tensor<f32> {remat.loss}, tensor<1024xf32>) {
  %zero = arith.constant 0.0 : f32
  %a1 = math.tanh %x : tensor<1024xf32>
  %t = math.exp %x : tensor<1024xf32>
  // expected-error @below {{remat-checkpoint: cannot plan @shared_computed: 'linalg.generic' reads a buffer that is still being written in place after it; remat plans programs whose in-place writes are not interleaved with other readers: give the later writer a destination of its own (a linalg.copy of the value into a tensor.empty)}}
  %w1 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%a1 : tensor<1024xf32>) outs(%t : tensor<1024xf32>) {
    ^bb0(%in: f32, %out: f32):
      %s = arith.addf %in, %out : f32
      linalg.yield %s : f32
  } -> tensor<1024xf32>
  // expected-note @below {{written in place here}}
  %w2 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%w1 : tensor<1024xf32>) outs(%t : tensor<1024xf32>) {
    ^bb0(%in: f32, %out: f32):
      %s = arith.mulf %in, %out : f32
      linalg.yield %s : f32
  } -> tensor<1024xf32>
  %l_init = tensor.empty() : tensor<f32>
  %l_acc = linalg.fill ins(%zero : f32) outs(%l_init : tensor<f32>) -> tensor<f32>
  %loss = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]}
      ins(%w2 : tensor<1024xf32>) outs(%l_acc : tensor<f32>) {
    ^bb0(%in: f32, %acc: f32):
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
  } -> tensor<f32>
  %g = arith.mulf %a1, %w1 : tensor<1024xf32>
  return %loss, %g : tensor<f32>, tensor<1024xf32>
}

// -----

// A call's callee is another function, whose buffers the step's memory model
// cannot see: refused at the call (it used to crash in the simulator).
// expected-remark @below {{not a training step}}
func.func private @helper(%x: tensor<1024xf32>) -> tensor<1024xf32> {
  %y = math.tanh %x : tensor<1024xf32>
  return %y : tensor<1024xf32>
}
func.func @step(%x: tensor<1024xf32>) -> (tensor<f32> {remat.loss}, tensor<1024xf32>) {
  %zero = arith.constant 0.0 : f32
  // expected-remark @below {{'func.call' has memory effects}}
  // expected-error @below {{remat-checkpoint: cannot plan @step: 'func.call' calls @helper, whose buffers and FLOPs remat cannot see (it plans one function at a time); inline the call first (--inline)}}
  %a1 = func.call @helper(%x) : (tensor<1024xf32>) -> tensor<1024xf32>
  %a2 = math.tanh %a1 : tensor<1024xf32>
  %l_init = tensor.empty() : tensor<f32>
  %l_acc = linalg.fill ins(%zero : f32) outs(%l_init : tensor<f32>) -> tensor<f32>
  %loss = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]}
      ins(%a2 : tensor<1024xf32>) outs(%l_acc : tensor<f32>) {
    ^bb0(%in: f32, %acc: f32):
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
  } -> tensor<f32>
  %g = arith.mulf %a1, %a2 : tensor<1024xf32>
  %g2 = arith.mulf %g, %a1 : tensor<1024xf32>
  return %loss, %g2 : tensor<f32>, tensor<1024xf32>
}

// -----

// A dynamic shape: the error points at the warnings, which say which values
// (they used to come only from remat-report).
// expected-error @below {{remat-checkpoint: cannot plan @dynamic: 3 tensor value(s) cannot be sized (dynamic shapes or sizes overflowing int64, see the warnings)}}
// expected-warning @below {{argument #0 of type 'tensor<?x64xf32>' has no static shape: remat cannot size it and counts it as 0 bytes}}
func.func @dynamic(%x: tensor<?x64xf32>) -> (tensor<f32> {remat.loss}, tensor<?x64xf32>) {
  %c0 = arith.constant 0.0 : f32
  // expected-warning @below {{result #0 of type 'tensor<?x64xf32>' has no static shape}}
  %e = math.exp %x : tensor<?x64xf32>
  %t = tensor.empty() : tensor<f32>
  %z = linalg.fill ins(%c0 : f32) outs(%t : tensor<f32>) -> tensor<f32>
  %s = linalg.reduce ins(%e : tensor<?x64xf32>) outs(%z : tensor<f32>) dimensions = [0, 1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  // expected-warning @below {{result #0 of type 'tensor<?x64xf32>' has no static shape}}
  %g = math.exp %e : tensor<?x64xf32>
  return %s, %g : tensor<f32>, tensor<?x64xf32>
}
