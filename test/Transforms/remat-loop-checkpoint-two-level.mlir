// RUN: remat-opt %s --split-input-file --remat-loop-checkpoint="schedule=two-level checkpoints=2" --verify-diagnostics | FileCheck %s
// RUN: remat-opt %s --split-input-file --remat-loop-checkpoint=schedule=two-level --verify-diagnostics | FileCheck %s --check-prefix=SQRT

// remat-loop-checkpoint with schedule=two-level (the binomial schedule, the
// default, is in remat-loop-checkpoint.mlir).

// A forward loop of 4 iterations stashes its input %h per iteration; the
// reverse loop reads slice 3 - j. With 2 checkpoints (segments of 2): the
// forward keeps %h at the start of each segment (a 2x64 stack) and runs the
// segment's iterations without the stash; the backward, per segment from the
// last, restores %h (a copy out of the stack, linalg.copy: the NVVM pipeline
// cannot lower bufferization's memref.copy of a strided slice), re-runs the
// 2 forward iterations into a 2x64 stash and
// runs the segment's 2 backward iterations on it (local slice 1 - tj).
// CHECK-LABEL: func @stash_h
// CHECK-NOT: tensor.empty() : tensor<4x64xf32>
// CHECK: %[[CKINIT:.*]] = tensor.empty() : tensor<2x64xf32>
// CHECK: %[[FW:.*]]:2 = scf.for %[[S:.*]] = %{{.*}} to %[[C2:.*]] step %{{.*}} iter_args(%[[H:.*]] = %{{.*}}, %[[CK:.*]] = %[[CKINIT]])
// CHECK:   tensor.insert_slice %[[H]] into %[[CK]][%[[S]], 0] [1, 64] [1, 1]
// CHECK:   scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %[[H]]) -> (tensor<64xf32>)
// CHECK:     arith.muli %[[S]]
// CHECK:     math.tanh
// CHECK-NOT: tensor.insert_slice
// CHECK:     scf.yield
// CHECK: math.exp %[[FW]]#0
// CHECK: scf.for %[[SJ:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (tensor<64xf32>)
// CHECK:   %[[SEG:.*]] = arith.subi %{{.*}}, %[[SJ]]
// CHECK:   %[[CK:.*]] = tensor.extract_slice %[[FW]]#1[%[[SEG]], 0] [1, 64] [1, 1] : tensor<2x64xf32> to tensor<64xf32>
// CHECK:   %[[H0:.*]] = linalg.copy ins(%[[CK]] : tensor<64xf32>) outs(%{{.*}} : tensor<64xf32>)
// CHECK:   %[[LOCAL:.*]] = tensor.empty() : tensor<2x64xf32>
// CHECK:   %[[RE:.*]]:2 = scf.for %[[T:.*]] = %{{.*}} iter_args(%{{.*}} = %[[H0]], %[[ST:.*]] = %[[LOCAL]])
// CHECK:     math.tanh
// CHECK:     tensor.insert_slice %{{.*}} into %[[ST]][%[[T]], 0] [1, 64] [1, 1] : tensor<64xf32> into tensor<2x64xf32>
// CHECK:   scf.for %[[TJ:.*]] = %{{.*}} iter_args
// CHECK:     %[[L:.*]] = arith.subi %{{.*}}, %[[TJ]]
// CHECK:     tensor.extract_slice %[[RE]]#1[%[[L]], 0] [1, 64] [1, 1] : tensor<2x64xf32> to tensor<64xf32>
// CHECK:     arith.mulf
// SQRT-LABEL: func @stash_h
// SQRT: tensor.empty() : tensor<2x64xf32>
func.func @stash_h(%x: tensor<64xf32>, %w: tensor<4x64xf32>) -> (tensor<64xf32>, tensor<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %empty = tensor.empty() : tensor<4x64xf32>
  // expected-remark @below {{remat-loop-checkpoint: 2 checkpoints, segments of 2 iterations: the backward re-runs 4 forward iterations and stashes 2 at a time instead of 4}}
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
