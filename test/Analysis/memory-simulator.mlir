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
func.func @dynamic(%a: tensor<?xf32>, %u: tensor<*xf32>) -> tensor<*xf32> {
  // expected-warning @below {{result #0 of type 'tensor<?xf32>' has no static shape: remat cannot size it and counts it as 0 bytes}}
  %b = math.exp %a : tensor<?xf32>
  // expected-warning @below {{result #0 of type 'tensor<*xf32>' has no static shape: remat cannot size it and counts it as 0 bytes}}
  %c = math.exp %u : tensor<*xf32>
  return %c : tensor<*xf32>
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
