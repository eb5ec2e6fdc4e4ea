// RUN: remat-opt %s --split-input-file --remat-instrument-ops -verify-diagnostics

// A body of several blocks has no single sequence of top-level ops.
// expected-error @below {{remat-instrument-ops: the body of @branches has 2 blocks; only a body of one block is instrumented}}
func.func @branches(%c: i1, %x: tensor<4xf32>) -> tensor<4xf32> {
  cf.cond_br %c, ^bb1, ^bb1
^bb1:
  return %x : tensor<4xf32>
}

// -----

// The clock's name is taken by a function with a body.
// expected-error @below {{remat-instrument-ops: @remat_tick is the clock the ticks call and must be a declaration `func.func private @remat_tick(i64)`; name another clock with tick=}}
func.func @remat_tick(%i: i64) {
  return
}

// -----

// ... or by a declaration of another type.
// expected-error @below {{@remat_tick is the clock the ticks call}}
func.func private @remat_tick(i32)
func.func @step(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
