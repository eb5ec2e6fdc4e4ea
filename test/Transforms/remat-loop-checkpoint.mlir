// RUN: remat-opt %s --split-input-file --remat-loop-checkpoint=checkpoints=2 --verify-diagnostics | FileCheck %s
// RUN: remat-opt %s --split-input-file --remat-loop-checkpoint --verify-diagnostics | FileCheck %s

// The binomial schedule (the default; schedule=two-level is in
// remat-loop-checkpoint-two-level.mlir). A forward loop of 4 iterations
// stashes its input %h per iteration; the reverse loop reads slice 3 - j.
// With 2 checkpoints (also the default for 4 iterations: the fewest that
// re-run no iteration more than twice), %h is kept in a stack of 3 (2
// checkpoints and the working state). The forward advances from slot 0,
// each new state into the slot above the newest checkpoint, and at split
// point 2 that state becomes a checkpoint; then iteration 3 runs with its
// stash, which the peeled backward iteration 0 reads. Each later backward
// iteration finds its checkpoint (scf.while), advances from it (scf.for of
// run-time length; the same body) and re-runs its iteration: here the stash
// is the state itself, so the re-run is the slice of the stack and nothing
// else. 4 iterations re-run in all: 0 -> 1 -> 2 -> 3 in the forward, 0 -> 1
// for iteration 1.
// CHECK-LABEL: func @stash_h
// CHECK-NOT: tensor.empty() : tensor<4x64xf32>
// CHECK: %[[EMPTY:.*]] = tensor.empty() : tensor<3x64xf32>
// CHECK: %[[STACK:.*]] = tensor.insert_slice %[[X:.*]] into %[[EMPTY]][%{{.*}}, 0] [1, 64] [1, 1] : tensor<64xf32> into tensor<3x64xf32>
// CHECK: %[[FW:.*]]:5 = scf.for %[[Q:.*]] = %{{.*}} to %[[C3:.*]] step %{{.*}} iter_args(%[[STK:.*]] = %[[STACK]], %[[SRC:.*]] = %{{.*}}, %[[TOP:.*]] = %{{.*}}, %[[NEXT:.*]] = %{{.*}}, %[[S:.*]] = %{{.*}}) -> (tensor<3x64xf32>, index, index, index, index)
// CHECK:   %[[W:.*]] = arith.addi %[[TOP]], %{{.*}}
// CHECK:   tensor.extract_slice %[[STK]][%[[SRC]], 0] [1, 64] [1, 1]
// CHECK:   math.tanh
// CHECK:   tensor.insert_slice %{{.*}} into %[[STK]][%[[W]], 0] [1, 64] [1, 1]
// CHECK:   arith.cmpi eq, %{{.*}}, %[[NEXT]]
// CHECK:   scf.if
// CHECK:     scf.while
// CHECK: %[[H3:.*]] = tensor.extract_slice %[[FW]]#0[%[[FW]]#1, 0] [1, 64] [1, 1]
// CHECK: math.tanh
// CHECK: %[[OUT:.*]] = math.exp
// CHECK: %[[G3:.*]] = arith.mulf %[[OUT]], %[[H3]]
// CHECK: %[[BW:.*]]:2 = scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[G:.*]] = %[[G3]], %[[STK2:.*]] = %[[FW]]#0) -> (tensor<64xf32>, tensor<3x64xf32>)
// CHECK:   %[[I:.*]] = arith.subi %{{.*}}, %[[J]]
// CHECK:   %[[D:.*]]:4 = scf.while
// CHECK:   %[[ADV:.*]]:5 = scf.for %{{.*}} = %[[D]]#0 to %[[I]] step %{{.*}} iter_args(%{{.*}} = %[[STK2]], %{{.*}} = %[[D]]#3, %{{.*}} = %[[D]]#3, %{{.*}} = %{{.*}}, %{{.*}} = %[[D]]#2)
// CHECK:   %[[HI:.*]] = tensor.extract_slice %[[ADV]]#0[%[[ADV]]#1, 0] [1, 64] [1, 1]
// CHECK-NOT: math.tanh
// CHECK:   %[[G2:.*]] = arith.mulf %[[G]], %[[HI]]
// CHECK:   scf.yield %[[G2]], %[[ADV]]#0
// CHECK: return %[[OUT]], %[[BW]]#0
func.func @stash_h(%x: tensor<64xf32>, %w: tensor<4x64xf32>) -> (tensor<64xf32>, tensor<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %empty = tensor.empty() : tensor<4x64xf32>
  // expected-remark @below {{remat-loop-checkpoint: binomial schedule, 2 checkpoints for 4 iterations: 4 forward iterations re-run (the least for 2 checkpoints; none more than 2 times); holds 3 states and one iteration's stash instead of 4 iterations' stash}}
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

// A stash of a value the iteration computes (%t) is what a re-run
// recomputes: the backward iteration re-runs the body from its state up to
// %t, without the next state (%n, unused there). Two stashes, one state.
// CHECK-LABEL: func @stash_t
// CHECK: scf.for {{.*}} -> (tensor<3x64xf32>, index, index, index, index)
// CHECK: %[[BW:.*]]:2 = scf.for
// CHECK:   scf.while
// CHECK:   %[[ADV:.*]]:5 = scf.for
// CHECK:     arith.addf
// CHECK:   %[[H:.*]] = tensor.extract_slice %[[ADV]]#0[%[[ADV]]#1, 0]
// CHECK:   %[[T:.*]] = math.tanh %[[H]]
// CHECK-NOT: arith.addf
// CHECK:   arith.mulf %{{.*}}, %[[T]]
// CHECK:   arith.mulf %{{.*}}, %[[H]]
// CHECK:   scf.yield
func.func @stash_t(%x: tensor<64xf32>) -> tensor<64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c5 = arith.constant 5 : index
  %eh = tensor.empty() : tensor<5x64xf32>
  %et = tensor.empty() : tensor<5x64xf32>
  // expected-remark @below {{remat-loop-checkpoint: binomial schedule, 2 checkpoints for 5 iterations: 6 forward iterations re-run (the least for 2 checkpoints; none more than 2 times); holds 3 states and one iteration's stash instead of 5 iterations' stash}}
  %fw:3 = scf.for %i = %c0 to %c5 step %c1 iter_args(%h = %x, %sh = %eh, %st = %et) -> (tensor<64xf32>, tensor<5x64xf32>, tensor<5x64xf32>) {
    %t = math.tanh %h : tensor<64xf32>
    %n = arith.addf %h, %t : tensor<64xf32>
    %sh2 = tensor.insert_slice %h into %sh[%i, 0] [1, 64] [1, 1] : tensor<64xf32> into tensor<5x64xf32>
    %st2 = tensor.insert_slice %t into %st[%i, 0] [1, 64] [1, 1] : tensor<64xf32> into tensor<5x64xf32>
    scf.yield %n, %sh2, %st2 : tensor<64xf32>, tensor<5x64xf32>, tensor<5x64xf32>
  }
  %bw = scf.for %j = %c0 to %c5 step %c1 iter_args(%g = %fw#0) -> (tensor<64xf32>) {
    %i = arith.subi %c4, %j : index
    %hi = tensor.extract_slice %fw#1[%i, 0] [1, 64] [1, 1] : tensor<5x64xf32> to tensor<64xf32>
    %ti = tensor.extract_slice %fw#2[%i, 0] [1, 64] [1, 1] : tensor<5x64xf32> to tensor<64xf32>
    %a = arith.mulf %g, %ti : tensor<64xf32>
    %g2 = arith.mulf %a, %hi : tensor<64xf32>
    scf.yield %g2 : tensor<64xf32>
  }
  return %bw : tensor<64xf32>
}

// -----

// A loop that carries no stash is no forward loop: left alone, silently.
// CHECK-LABEL: func @plain_loop
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK-NOT: scf.for
func.func @plain_loop(%x: tensor<64xf32>) -> tensor<64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %r = scf.for %i = %c0 to %c4 step %c1 iter_args(%h = %x) -> (tensor<64xf32>) {
    %t = math.tanh %h : tensor<64xf32>
    scf.yield %t : tensor<64xf32>
  }
  return %r : tensor<64xf32>
}
