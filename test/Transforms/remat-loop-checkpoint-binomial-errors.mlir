// RUN: remat-opt %s --split-input-file --remat-loop-checkpoint=checkpoints=4 --verify-diagnostics
// RUN: not remat-opt %s --remat-loop-checkpoint="budget=0.5 checkpoints=2" 2>&1 | FileCheck %s --check-prefix=BOTH
// RUN: not remat-opt %s --remat-loop-checkpoint=budget=lots 2>&1 | FileCheck %s --check-prefix=BUDGET
// RUN: not remat-opt %s --remat-loop-checkpoint=schedule=revolve 2>&1 | FileCheck %s --check-prefix=SCHEDULE
// BOTH: error: remat-loop-checkpoint: give checkpoints= or budget=, not both
// BUDGET: error: remat-loop-checkpoint: {{.*}}lots
// SCHEDULE: unknown schedule 'revolve'; expected binomial or two-level

// The binomial schedule takes 1 to L - 1 checkpoints (L - 1 already re-run
// each iteration once): an error at the loop, and the pass fails.
func.func @too_many(%x: tensor<64xf32>) -> tensor<64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %empty = tensor.empty() : tensor<4x64xf32>
  // expected-error @below {{remat-loop-checkpoint: 4 checkpoints for 4 iterations: the binomial schedule takes 1 to 3 (3 already re-run each iteration once)}}
  %fw:2 = scf.for %i = %c0 to %c4 step %c1 iter_args(%h = %x, %st = %empty) -> (tensor<64xf32>, tensor<4x64xf32>) {
    %t = math.tanh %h : tensor<64xf32>
    %st2 = tensor.insert_slice %h into %st[%i, 0] [1, 64] [1, 1] : tensor<64xf32> into tensor<4x64xf32>
    scf.yield %t, %st2 : tensor<64xf32>, tensor<4x64xf32>
  }
  %bw = scf.for %j = %c0 to %c4 step %c1 iter_args(%g = %fw#0) -> (tensor<64xf32>) {
    %i = arith.subi %c3, %j : index
    %hi = tensor.extract_slice %fw#1[%i, 0] [1, 64] [1, 1] : tensor<4x64xf32> to tensor<64xf32>
    %g2 = arith.mulf %g, %hi : tensor<64xf32>
    scf.yield %g2 : tensor<64xf32>
  }
  return %bw : tensor<64xf32>
}

// -----

// Two iterations: left alone, with a warning.
func.func @too_short(%x: tensor<64xf32>) -> tensor<64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %empty = tensor.empty() : tensor<2x64xf32>
  // expected-warning @below {{remat-loop-checkpoint: loop left alone: the binomial schedule needs at least 3 iterations}}
  %fw:2 = scf.for %i = %c0 to %c2 step %c1 iter_args(%h = %x, %st = %empty) -> (tensor<64xf32>, tensor<2x64xf32>) {
    %t = math.tanh %h : tensor<64xf32>
    %st2 = tensor.insert_slice %h into %st[%i, 0] [1, 64] [1, 1] : tensor<64xf32> into tensor<2x64xf32>
    scf.yield %t, %st2 : tensor<64xf32>, tensor<2x64xf32>
  }
  %bw = scf.for %j = %c0 to %c2 step %c1 iter_args(%g = %fw#0) -> (tensor<64xf32>) {
    %i = arith.subi %c1, %j : index
    %hi = tensor.extract_slice %fw#1[%i, 0] [1, 64] [1, 1] : tensor<2x64xf32> to tensor<64xf32>
    %g2 = arith.mulf %g, %hi : tensor<64xf32>
    scf.yield %g2 : tensor<64xf32>
  }
  return %bw : tensor<64xf32>
}

// -----

// The backward reads the value the re-run iteration stashes directly, so it
// must extract the type the forward inserts: a 1x64 slice read back as 64
// is left alone.
func.func @reshaped(%x: tensor<1x64xf32>) -> tensor<64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %c6 = arith.constant 6 : index
  %empty = tensor.empty() : tensor<6x64xf32>
  // expected-warning @below {{remat-loop-checkpoint: loop left alone: the backward extracts a stash slice as another type than the forward inserts}}
  %fw:2 = scf.for %i = %c0 to %c6 step %c1 iter_args(%h = %x, %st = %empty) -> (tensor<1x64xf32>, tensor<6x64xf32>) {
    %t = math.tanh %h : tensor<1x64xf32>
    %st2 = tensor.insert_slice %h into %st[%i, 0] [1, 64] [1, 1] : tensor<1x64xf32> into tensor<6x64xf32>
    scf.yield %t, %st2 : tensor<1x64xf32>, tensor<6x64xf32>
  }
  %g0 = tensor.extract_slice %fw#0[0, 0] [1, 64] [1, 1] : tensor<1x64xf32> to tensor<64xf32>
  %bw = scf.for %j = %c0 to %c6 step %c1 iter_args(%g = %g0) -> (tensor<64xf32>) {
    %i = arith.subi %c5, %j : index
    %hi = tensor.extract_slice %fw#1[%i, 0] [1, 64] [1, 1] : tensor<6x64xf32> to tensor<64xf32>
    %g2 = arith.mulf %g, %hi : tensor<64xf32>
    scf.yield %g2 : tensor<64xf32>
  }
  return %bw : tensor<64xf32>
}
