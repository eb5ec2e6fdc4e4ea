// RUN: remat-opt %s --split-input-file --remat-loop-checkpoint=budget=4700 --verify-diagnostics | FileCheck %s

// budget= picks the checkpoint count from the memory model of the rewritten
// step: the fewest re-run iterations whose predicted peak fits. The loops
// below carry a 256-byte state (tensor<64xf32>) and stash it per iteration.

// The step fits as it is (peak 3840 bytes: the weights, x, the 4-slice
// stash, one iteration): left alone.
// CHECK-LABEL: func @fits
// CHECK: tensor.empty() : tensor<4x64xf32>
// CHECK-NOT: scf.while
func.func @fits(%x: tensor<64xf32>, %w: tensor<4x64xf32>) -> (tensor<64xf32>, tensor<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %empty = tensor.empty() : tensor<4x64xf32>
  // expected-remark @below {{remat-loop-checkpoint: the step peaks at 3840 bytes, within the budget of 4700: loop left as it is}}
  %fw:2 = scf.for %i = %c0 to %c4 step %c1 iter_args(%h = %x, %st = %empty) -> (tensor<64xf32>, tensor<4x64xf32>) {
    %wi = tensor.extract_slice %w[%i, 0] [1, 64] [1, 1] : tensor<4x64xf32> to tensor<64xf32>
    %z = arith.mulf %h, %wi : tensor<64xf32>
    %t = math.tanh %z : tensor<64xf32>
    %st2 = tensor.insert_slice %h into %st[%i, 0] [1, 64] [1, 1] : tensor<64xf32> into tensor<4x64xf32>
    scf.yield %t, %st2 : tensor<64xf32>, tensor<4x64xf32>
  }
  %out = math.exp %fw#0 : tensor<64xf32>
  %bw = scf.for %j = %c0 to %c4 step %c1 iter_args(%g = %out) -> (tensor<64xf32>) {
    %i = arith.subi %c3, %j : index
    %hi = tensor.extract_slice %fw#1[%i, 0] [1, 64] [1, 1] : tensor<4x64xf32> to tensor<64xf32>
    %g2 = arith.mulf %g, %hi : tensor<64xf32>
    scf.yield %g2 : tensor<64xf32>
  }
  return %out, %bw : tensor<64xf32>, tensor<64xf32>
}

// -----

// 8 iterations: unplanned 5888 bytes; the binomial schedule peaks at 4096
// bytes with one checkpoint and 256 more per checkpoint (each is a state in
// the stack): 3 fit (4608), re-running t(8, 3) = 11 iterations.
// CHECK-LABEL: func @chooses
// CHECK: tensor.empty() : tensor<4x64xf32>
// CHECK: scf.while
func.func @chooses(%x: tensor<64xf32>, %w: tensor<8x64xf32>) -> (tensor<64xf32>, tensor<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 7 : index
  %c4 = arith.constant 8 : index
  %empty = tensor.empty() : tensor<8x64xf32>
  // expected-remark @below {{remat-loop-checkpoint: binomial schedule, 3 checkpoints for 8 iterations: 11 forward iterations re-run (the least for 3 checkpoints; none more than 2 times); holds 4 states and one iteration's stash instead of 8 iterations' stash; predicted peak 4608 bytes within the budget of 4700 (unplanned 5888)}}
  %fw:2 = scf.for %i = %c0 to %c4 step %c1 iter_args(%h = %x, %st = %empty) -> (tensor<64xf32>, tensor<8x64xf32>) {
    %wi = tensor.extract_slice %w[%i, 0] [1, 64] [1, 1] : tensor<8x64xf32> to tensor<64xf32>
    %z = arith.mulf %h, %wi : tensor<64xf32>
    %t = math.tanh %z : tensor<64xf32>
    %st2 = tensor.insert_slice %h into %st[%i, 0] [1, 64] [1, 1] : tensor<64xf32> into tensor<8x64xf32>
    scf.yield %t, %st2 : tensor<64xf32>, tensor<8x64xf32>
  }
  %out = math.exp %fw#0 : tensor<64xf32>
  %bw = scf.for %j = %c0 to %c4 step %c1 iter_args(%g = %out) -> (tensor<64xf32>) {
    %i = arith.subi %c3, %j : index
    %hi = tensor.extract_slice %fw#1[%i, 0] [1, 64] [1, 1] : tensor<8x64xf32> to tensor<64xf32>
    %g2 = arith.mulf %g, %hi : tensor<64xf32>
    scf.yield %g2 : tensor<64xf32>
  }
  return %out, %bw : tensor<64xf32>, tensor<64xf32>
}

// -----

// Twice as wide: one checkpoint already peaks at 8192 bytes. The error names
// that smallest feasible budget.
func.func @too_small(%x: tensor<128xf32>, %w: tensor<8x128xf32>) -> (tensor<128xf32>, tensor<128xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 7 : index
  %c4 = arith.constant 8 : index
  %empty = tensor.empty() : tensor<8x128xf32>
  // expected-error @below {{remat-loop-checkpoint: budget of 4700 bytes is below the smallest feasible budget for this loop, 8192 bytes (8.0 KiB: the binomial schedule with 1 checkpoint; the unplanned peak is 11776 bytes)}}
  %fw:2 = scf.for %i = %c0 to %c4 step %c1 iter_args(%h = %x, %st = %empty) -> (tensor<128xf32>, tensor<8x128xf32>) {
    %wi = tensor.extract_slice %w[%i, 0] [1, 128] [1, 1] : tensor<8x128xf32> to tensor<128xf32>
    %z = arith.mulf %h, %wi : tensor<128xf32>
    %t = math.tanh %z : tensor<128xf32>
    %st2 = tensor.insert_slice %h into %st[%i, 0] [1, 128] [1, 1] : tensor<128xf32> into tensor<8x128xf32>
    scf.yield %t, %st2 : tensor<128xf32>, tensor<8x128xf32>
  }
  %out = math.exp %fw#0 : tensor<128xf32>
  %bw = scf.for %j = %c0 to %c4 step %c1 iter_args(%g = %out) -> (tensor<128xf32>) {
    %i = arith.subi %c3, %j : index
    %hi = tensor.extract_slice %fw#1[%i, 0] [1, 128] [1, 1] : tensor<8x128xf32> to tensor<128xf32>
    %g2 = arith.mulf %g, %hi : tensor<128xf32>
    scf.yield %g2 : tensor<128xf32>
  }
  return %out, %bw : tensor<128xf32>, tensor<128xf32>
}
