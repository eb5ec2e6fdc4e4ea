// RUN: remat-opt %s --split-input-file --remat-test-memory-simulator --verify-diagnostics | FileCheck %s

// Live bytes per step. The argument (1 KiB) is live throughout. The fill
// writes into the empty tensor's buffer (started at the fill, not at the
// empty), the generic into the fill's: one 1 KiB buffer, buffer #1. The exp
// allocates buffer #2 while #1 is still read, then #1 dies.
// CHECK-LABEL: func @in_place_chain
// CHECK-SAME: remat.test.peak = 3072 : i64, remat.test.peak_step = 4 : i64
// CHECK: arith.constant {remat.test.buffer = array<i64: -1>, remat.test.live = 1024 : i64}
// CHECK: tensor.empty() {remat.test.buffer = array<i64: 1>, remat.test.live = 1024 : i64}
// CHECK: linalg.fill {remat.test.buffer = array<i64: 1>, remat.test.live = 2048 : i64}
// CHECK: linalg.generic
// CHECK: remat.test.buffer = array<i64: 1>, remat.test.live = 2048 : i64
// CHECK: math.exp {{.*}}{remat.test.buffer = array<i64: 2>, remat.test.live = 3072 : i64}
// CHECK: return {remat.test.live = 2048 : i64}
#id = affine_map<(d0) -> (d0)>
func.func @in_place_chain(%a: tensor<256xf32>) -> tensor<256xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<256xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<256xf32>) -> tensor<256xf32>
  %g = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a : tensor<256xf32>) outs(%f : tensor<256xf32>) {
    ^bb0(%in: f32, %out: f32):
      %s = arith.addf %in, %out : f32
      linalg.yield %s : f32
  } -> tensor<256xf32>
  %x = math.exp %g : tensor<256xf32>
  return %x : tensor<256xf32>
}

// -----

// An argument is never written in place: the fill into it copies (buffer
// #1, a new 1 KiB), and the argument (#0) stays live.
// CHECK-LABEL: func @argument_destination
// CHECK-SAME: remat.test.peak = 2048 : i64
// CHECK: linalg.fill {remat.test.buffer = array<i64: 1>, remat.test.live = 2048 : i64}
func.func @argument_destination(%a: tensor<256xf32>) -> tensor<256xf32> {
  %zero = arith.constant 0.0 : f32
  %f = linalg.fill ins(%zero : f32) outs(%a : tensor<256xf32>) -> tensor<256xf32>
  return %f : tensor<256xf32>
}

// -----

// Values remat cannot size are counted as 0 bytes, with a warning at the op.
// CHECK-LABEL: func @dynamic
// CHECK-SAME: remat.test.peak = 0 : i64
// expected-warning @below {{argument #0 of type 'tensor<?xf32>' has no static shape: remat cannot size it and counts it as 0 bytes}}
// expected-warning @below {{argument #1 of type 'tensor<*xf32>' has no static shape: remat cannot size it and counts it as 0 bytes}}
func.func @dynamic(%a: tensor<?xf32>, %u: tensor<*xf32>) -> (tensor<*xf32>, tensor<?xf32>) {
  // expected-warning @below {{result #0 of type 'tensor<?xf32>' has no static shape: remat cannot size it and counts it as 0 bytes}}
  %b = math.exp %a : tensor<?xf32>
  // expected-warning @below {{result #0 of type 'tensor<*xf32>' has no static shape: remat cannot size it and counts it as 0 bytes}}
  %c = math.exp %u : tensor<*xf32>
  return %c, %b : tensor<*xf32>, tensor<?xf32>
}

// -----

// Memrefs are outside the model (remat plans before bufferization).
// CHECK-LABEL: func @memrefs
func.func @memrefs() -> memref<4xf32> {
  // expected-remark @below {{memref results are outside remat's memory model, which plans tensor programs before bufferization; their bytes are not counted}}
  %m = memref.alloc() : memref<4xf32>
  return %m : memref<4xf32>
}

// -----

// Bytes as the lowering stores them: one byte per i1 and i4 element (not
// packed), 4 per i24 (LLVM's allocation size), 8 per index, 2 per bf16, 8 per
// complex<f32>. Arguments: 100 + 100 + 400 + 800 + 200 + 800 = 2400 bytes.
// CHECK-LABEL: func @element_sizes
// CHECK-SAME: remat.test.peak = 2500 : i64
func.func @element_sizes(%m: tensor<100xi1>, %n: tensor<100xi4>,
                         %w: tensor<100xi24>, %i: tensor<100xindex>,
                         %h: tensor<100xbf16>, %c: tensor<100xcomplex<f32>>)
    -> tensor<100xi1> {
  // CHECK: arith.xori {{.*}}remat.test.live = 2500 : i64
  %r = arith.xori %m, %m : tensor<100xi1>
  return %r : tensor<100xi1>
}

// -----

// A static shape whose bytes overflow int64 cannot be sized: a warning, not
// a wrapped-around size.
// CHECK-LABEL: func @too_large
// CHECK-SAME: remat.test.peak = 0 : i64
// expected-warning @below {{argument #0 of type 'tensor<4294967296x4294967296xf32>' is too large to size (its bytes overflow int64): remat cannot size it and counts it as 0 bytes}}
func.func @too_large(%a: tensor<4294967296x4294967296xf32>) -> tensor<4294967296x4294967296xf32> {
  // expected-warning @below {{result #0 of type 'tensor<4294967296x4294967296xf32>' is too large to size (its bytes overflow int64): remat cannot size it and counts it as 0 bytes}}
  %b = math.exp %a : tensor<4294967296x4294967296xf32>
  return %b : tensor<4294967296x4294967296xf32>
}

// -----

// An scf.for is one step whose live bytes add the peak of one iteration
// (docs/memory-model.md, "Loops"). Around the loop: the argument %x (1 KiB,
// buffer #0); the stash (4 KiB, #1: the empty tensor, written in place by
// the insert_slice into the carried %s, starts at the loop); a copy of %x
// (#2: a carried value's initial buffer is written by the loop, and an
// argument is not ours), held with the fresh result (#3) until the end of the
// block. In an iteration: the previous iteration's %h (1 KiB, the carried
// value is yielded afresh) and the new %e (1 KiB): 2 KiB. At the loop:
// 1 + 4 + 1 + 2 = 8 KiB; at the return: 1 + 4 + 1 + 1 = 7 KiB.
// CHECK-LABEL: func @loop_carried
// CHECK-SAME: remat.test.peak = 8192 : i64, remat.test.peak_step = 4 : i64
// CHECK: tensor.empty() {remat.test.buffer = array<i64: 1>, remat.test.live = 1024 : i64}
// CHECK: scf.for
// CHECK: } {remat.test.buffer = array<i64: 3, 1>, remat.test.live = 8192 : i64}
// CHECK: return {remat.test.live = 7168 : i64}
#id = affine_map<(d0) -> (d0)>
func.func @loop_carried(%x: tensor<256xf32>) -> tensor<4x256xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %s0 = tensor.empty() : tensor<4x256xf32>
  %r:2 = scf.for %i = %c0 to %c4 step %c1 iter_args(%h = %x, %s = %s0) -> (tensor<256xf32>, tensor<4x256xf32>) {
    %init = tensor.empty() : tensor<256xf32>
    %e = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
        ins(%h : tensor<256xf32>) outs(%init : tensor<256xf32>) {
      ^bb0(%in: f32, %out: f32):
        %v = math.exp %in : f32
        linalg.yield %v : f32
    } -> tensor<256xf32>
    %s2 = tensor.insert_slice %h into %s[%i, 0] [1, 256] [1, 1] : tensor<256xf32> into tensor<4x256xf32>
    scf.yield %e, %s2 : tensor<256xf32>, tensor<4x256xf32>
  }
  return %r#1 : tensor<4x256xf32>
}

// -----

// Loops whose iterations the model cannot count exactly say so.
// CHECK-LABEL: func @loop_bounds
func.func @loop_bounds(%x: tensor<256xf32>, %n: index) -> (tensor<256xf32>, tensor<256xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // expected-warning @below {{the trip count of this loop is not a constant: remat counts its iterations' buffers as if it ran at least twice}}
  %a = scf.for %i = %c0 to %n step %c1 iter_args(%h = %x) -> (tensor<256xf32>) {
    %e = math.exp %h : tensor<256xf32>
    scf.yield %e : tensor<256xf32>
  }
  // expected-warning @below {{a loop of 1 iterations is folded away by the lowering's canonicalization, but remat counts it as a loop: the measured peak can be lower than predicted}}
  %b = scf.for %i = %c0 to %c1 step %c1 iter_args(%h = %x) -> (tensor<256xf32>) {
    %e = math.exp %h : tensor<256xf32>
    scf.yield %e : tensor<256xf32>
  }
  return %a, %b : tensor<256xf32>, tensor<256xf32>
}

// -----

// A loop of run-time length that writes every carried value in place (as
// remat-loop-checkpoint's advance loops do) holds the same buffers however
// often it runs: no warning. Around it: %x and the stack it fills (1 + 4
// KiB); in an iteration, the exp's result (1 KiB) until the insert copies it
// into the stack.
// CHECK-LABEL: func @loop_bounds_in_place
// CHECK-SAME: remat.test.peak = 6144 : i64
func.func @loop_bounds_in_place(%x: tensor<256xf32>, %n: index) -> tensor<4x256xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %s0 = tensor.empty() : tensor<4x256xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%s = %s0) -> (tensor<4x256xf32>) {
    %e = math.exp %x : tensor<256xf32>
    %s2 = tensor.insert_slice %e into %s[%i, 0] [1, 256] [1, 1] : tensor<256xf32> into tensor<4x256xf32>
    scf.yield %s2 : tensor<4x256xf32>
  }
  return %r : tensor<4x256xf32>
}
