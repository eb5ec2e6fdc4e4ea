// Bad input: each case gets a diagnostic at the right place, never a crash.
// RUN: not remat-opt %s --split-input-file --allow-unregistered-dialect --remat-report 2>&1 | FileCheck %s

// Malformed IR stops at the parser, with its location.
// CHECK: remat-report-errors.mlir:[[@LINE+2]]:{{[0-9]+}}: error: use of undeclared SSA value name
func.func @malformed(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = math.exp %undefined : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Dynamic shapes, memrefs, side effects and unknown ops are reported at the
// op, and the rest of the function is still measured.
// CHECK-DAG: remat-report-errors.mlir:[[@LINE+1]]:{{[0-9]+}}: warning: argument #0 of type 'tensor<?x4xf32>' has no static shape: remat cannot size it and counts it as 0 bytes
func.func @mixed(%d: tensor<?x4xf32>, %x: tensor<256xf32>) -> (tensor<256xf32>, tensor<256xf32>) {
  // CHECK-DAG: remat-report-errors.mlir:[[@LINE+2]]:{{[0-9]+}}: remark: 'memref.alloc' has memory effects: remat keeps it where it is and never recomputes it
  // CHECK-DAG: remat-report-errors.mlir:[[@LINE+1]]:{{[0-9]+}}: remark: memref results are outside remat's memory model, which plans tensor programs before bufferization; their bytes are not counted
  %m = memref.alloc() : memref<4xf32>
  // An unregistered op may do anything: it is kept, and its cost estimated.
  // CHECK-DAG: remat-report-errors.mlir:[[@LINE+2]]:{{[0-9]+}}: remark: 'foreign.op' has memory effects: remat keeps it where it is and never recomputes it
  // CHECK-DAG: remat-report-errors.mlir:[[@LINE+1]]:{{[0-9]+}}: remark: no cost model for 'foreign.op'; estimated 256 FLOPs, one per result element
  %u = "foreign.op"(%x, %m) : (tensor<256xf32>, memref<4xf32>) -> tensor<256xf32>
  %l = math.exp %u : tensor<256xf32>
  %g = math.exp %l : tensor<256xf32>
  return %l, %g : tensor<256xf32>, tensor<256xf32>
}
// Peak at %l = exp %u (step 2): %x, %u and %l, 1 KiB each.
// CHECK: remark: remat-report: peak 3.0 KiB (3072 bytes) at step 2 of 5 ('math.exp'); arguments 1024 bytes; forward 516 FLOPs, backward 256 FLOPs; stashed activations: 1 values, 1024 bytes

// -----

// A call is measured as its results; the callee's own buffers are not counted,
// and the report says so at the call (the simulator used to crash on it).
func.func private @callee(%x: tensor<256xf32>) -> tensor<256xf32> {
  %y = math.exp %x : tensor<256xf32>
  %z = math.exp %y : tensor<256xf32>
  return %z : tensor<256xf32>
}
func.func @caller(%x: tensor<256xf32>) -> tensor<256xf32> {
  // CHECK: remat-report-errors.mlir:[[@LINE+1]]:{{[0-9]+}}: warning: remat counts this call's results as fresh buffers but not the buffers its callee allocates inside; inline it (--inline) to count them
  %r = func.call @callee(%x) : (tensor<256xf32>) -> tensor<256xf32>
  %s = math.exp %r : tensor<256xf32>
  return %s : tensor<256xf32>
}
