// RUN: remat-opt %s --split-input-file --remat-loop-checkpoint="schedule=two-level checkpoints=3" --verify-diagnostics

// The checkpoint count must split the trip count into equal segments of at
// least 2 iterations: an error at the loop, and the pass fails.
func.func @uneven(%x: tensor<64xf32>) -> tensor<64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %empty = tensor.empty() : tensor<4x64xf32>
  // expected-error @below {{remat-loop-checkpoint: cannot split 4 iterations into 3 segments of equal length of at least 2 iterations each; give checkpoints= a divisor of 4 between 2 and 2}}
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

// A stash read in another order than the reverse of the forward one is left
// alone, with a warning that says why.
func.func @forward_order(%x: tensor<64xf32>) -> tensor<64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c6 = arith.constant 6 : index
  %empty = tensor.empty() : tensor<6x64xf32>
  // expected-warning @below {{remat-loop-checkpoint: loop left alone: the loop that reads its stash does not read slice 5 - j at iteration j}}
  %fw:2 = scf.for %i = %c0 to %c6 step %c1 iter_args(%h = %x, %st = %empty) -> (tensor<64xf32>, tensor<6x64xf32>) {
    %t = math.tanh %h : tensor<64xf32>
    %st2 = tensor.insert_slice %h into %st[%i, 0] [1, 64] [1, 1] : tensor<64xf32> into tensor<6x64xf32>
    scf.yield %t, %st2 : tensor<64xf32>, tensor<6x64xf32>
  }
  %bw = scf.for %j = %c0 to %c6 step %c1 iter_args(%g = %fw#0) -> (tensor<64xf32>) {
    %hi = tensor.extract_slice %fw#1[%j, 0] [1, 64] [1, 1] : tensor<6x64xf32> to tensor<64xf32>
    %g2 = arith.mulf %g, %hi : tensor<64xf32>
    scf.yield %g2 : tensor<64xf32>
  }
  return %bw : tensor<64xf32>
}

// -----

// A stash that something other than a loop's slices reads is left alone.
func.func @stash_returned(%x: tensor<64xf32>) -> tensor<6x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c6 = arith.constant 6 : index
  %empty = tensor.empty() : tensor<6x64xf32>
  // expected-warning @below {{remat-loop-checkpoint: loop left alone: a stash it carries is read other than by slices in a loop}}
  %fw:2 = scf.for %i = %c0 to %c6 step %c1 iter_args(%h = %x, %st = %empty) -> (tensor<64xf32>, tensor<6x64xf32>) {
    %t = math.tanh %h : tensor<64xf32>
    %st2 = tensor.insert_slice %h into %st[%i, 0] [1, 64] [1, 1] : tensor<64xf32> into tensor<6x64xf32>
    scf.yield %t, %st2 : tensor<64xf32>, tensor<6x64xf32>
  }
  return %fw#1 : tensor<6x64xf32>
}
