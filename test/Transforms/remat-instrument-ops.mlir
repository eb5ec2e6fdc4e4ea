// RUN: remat-opt %s --split-input-file --remat-instrument-ops | FileCheck %s
// The map says which op each index is, with the key remat-extract-kernels
// gives its kernel (the calibration key); ops that compute the same thing on
// the same shapes share one, free ops and ops with no kernel have none (the
// whole file as one module: the map lists every function of it):
// RUN: remat-opt %s --remat-instrument-ops=map-file=%t.map -o /dev/null
// RUN: remat-opt %s --remat-extract-kernels -o %t.kernels
// RUN: cat %t.map %t.kernels | FileCheck %s --check-prefix=MAP
// Keys are the same whatever the printing flags (no locations in them):
// RUN: remat-opt %s --mlir-print-debuginfo --remat-instrument-ops=map-file=%t.debug -o /dev/null
// RUN: cat %t.debug %t.kernels | FileCheck %s --check-prefix=MAP
// remat's own marks (a dissolved recomputation's) do not change a key; the
// map of the last split is the last function's:
// RUN: remat-opt %s --split-input-file --remat-instrument-ops=map-file=%t.last -o /dev/null
// RUN: FileCheck %s --check-prefix=MARKED < %t.last
// Another clock:
// RUN: remat-opt %s --split-input-file --remat-instrument-ops=tick=my_clock | FileCheck %s --check-prefix=OTHER --implicit-check-not='call @remat_tick'

// A tick before each top-level op and before the return; an op with regions
// (here a recompute region) is one op; indices run on into the next function.
// CHECK-LABEL: module
// CHECK:       func.func private @remat_tick(i64)
// CHECK-LABEL: func.func @step
// CHECK-NEXT:  %[[C0:.*]] = arith.constant 0 : i64
// CHECK-NEXT:  call @remat_tick(%[[C0]]) : (i64) -> ()
// CHECK-NEXT:  math.tanh
// CHECK-NEXT:  %[[C1:.*]] = arith.constant 1 : i64
// CHECK-NEXT:  call @remat_tick(%[[C1]])
// CHECK-NEXT:  remat.recompute
// CHECK-NEXT:    math.tanh
// CHECK-NEXT:    remat.yield
// CHECK-NEXT:  }
// CHECK-NEXT:  %[[C2:.*]] = arith.constant 2 : i64
// CHECK-NEXT:  call @remat_tick(%[[C2]])
// CHECK-NEXT:  math.tanh
// CHECK-NEXT:  %[[C3:.*]] = arith.constant 3 : i64
// CHECK-NEXT:  call @remat_tick(%[[C3]])
// CHECK-NEXT:  arith.addf
// CHECK-NEXT:  %[[C4:.*]] = arith.constant 4 : i64
// CHECK-NEXT:  call @remat_tick(%[[C4]])
// CHECK-NEXT:  return
// CHECK-LABEL: func.func @second
// CHECK-NEXT:  %[[C5:.*]] = arith.constant 5 : i64
// CHECK-NEXT:  call @remat_tick(%[[C5]])
// CHECK-NEXT:  return

// MAP:      "function": "step"
// MAP:      "index": 0,
// MAP-NEXT: "key": "[[TANH:[0-9a-f]+]]",
// MAP-NEXT: "loc": "loc(
// MAP-NEXT: "op": "math.tanh"
// Each operand: [index, result number] of the top-level op that defines
// it, or null (an argument); a recompute region says which op each of its
// results recomputes (remat-calibrate's hot run reads both).
// MAP:      "index": 1,
// MAP-NEXT: "key": "[[REGION:[0-9a-f]+]]",
// MAP:      "op": "remat.recompute"
// MAP-NEXT: "operands": [
// MAP-NEXT:   null
// MAP-NEXT: ],
// MAP-NEXT: "yields": [
// MAP-NEXT:   {
// MAP-NEXT:     "loc": "loc({{.*}}remat-instrument-ops.mlir{{.*}}:{{[0-9]+}}:10)",
// MAP-NEXT:     "op": "math.tanh"
// MAP:      "index": 2,
// MAP-NEXT: "key": "[[TANH]]",
// MAP:      "op": "math.tanh"
// MAP:      "index": 3,
// MAP-NEXT: "key": "[[ADD:[0-9a-f]+]]",
// MAP:      "op": "arith.addf"
// MAP-NEXT: "operands": [
// MAP-NEXT:   [
// MAP-NEXT:     0,
// MAP-NEXT:     0
// MAP-NEXT:   ],
// MAP-NEXT:   [
// MAP-NEXT:     2,
// MAP-NEXT:     0
// MAP-NEXT:   ]
// MAP-NEXT: ]
// MAP-NOT:  "yields"
// MAP:      "return": 4
// MAP:      "function": "second"
// MAP-NEXT: "ops": []
// MAP-NEXT: "return": 5
// MAP:      "index": 6,
// MAP-NEXT: "key": null,
// MAP:      "op": "arith.constant"
// MAP:      "return": 7
// MAP:      func.func @k_[[TANH]](
// MAP:      func.func @k_[[REGION]](
// MAP:      func.func @k_[[ADD]](

// OTHER: func.func private @my_clock(i64)
// OTHER: call @my_clock
func.func @step(%x: tensor<16xf32>) -> tensor<16xf32> {
  %a = math.tanh %x : tensor<16xf32>
  %r = remat.recompute (%k = %x) : (tensor<16xf32>) -> tensor<16xf32> {
    %t = math.tanh %k : tensor<16xf32>
    remat.yield %t : tensor<16xf32>
  }
  %b = math.tanh %x : tensor<16xf32>
  %c = arith.addf %a, %b : tensor<16xf32>
  return %c : tensor<16xf32>
}

func.func @second() {
  return
}

// -----

// A declaration of the clock the module has already is the one called.
// CHECK-LABEL: module
// CHECK-COUNT-1: func.func private @remat_tick(i64)
// CHECK-NOT:   func.func private @remat_tick
// CHECK-LABEL: func.func @constant
// CHECK-NEXT:  %[[C0:.*]] = arith.constant 0 : i64
// CHECK-NEXT:  call @remat_tick(%[[C0]])
// CHECK-NEXT:  arith.constant dense<1.0
func.func private @remat_tick(i64)
func.func @constant() -> tensor<4xf32> {
  %c = arith.constant dense<1.0> : tensor<4xf32>
  return %c : tensor<4xf32>
}

// -----

// The zeroed accumulator is cloned into the matmul's kernel, marks and all.
// MARKED:      "function": "marked"
// MARKED:      "index": 3,
// MARKED-NEXT: "key": "[[MATMUL:[0-9a-f]+]]",
// MARKED:      "op": "linalg.matmul"
// MARKED:      "index": 6,
// MARKED-NEXT: "key": "[[MATMUL]]",
// MARKED:      "op": "linalg.matmul"
func.func @marked(%x: tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  %a = linalg.matmul ins(%x, %x : tensor<4x4xf32>, tensor<4x4xf32>) outs(%f : tensor<4x4xf32>) -> tensor<4x4xf32>
  %e2 = tensor.empty() {remat.recomputed = 1 : i64} : tensor<4x4xf32>
  %f2 = linalg.fill {remat.recomputed = 1 : i64} ins(%zero : f32) outs(%e2 : tensor<4x4xf32>) -> tensor<4x4xf32>
  %b = linalg.matmul {remat.recomputed = 1 : i64} ins(%x, %x : tensor<4x4xf32>, tensor<4x4xf32>) outs(%f2 : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %a, %b : tensor<4x4xf32>, tensor<4x4xf32>
}
