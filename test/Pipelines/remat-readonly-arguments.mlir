// RUN: remat-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(remat-readonly-arguments))' | FileCheck %s

// Tensor arguments become non-writable; others are left alone.
// CHECK-LABEL: func.func @args
// CHECK-SAME: %{{.*}}: tensor<4xf32> {bufferization.writable = false}
// CHECK-SAME: %{{.*}}: f32)
func.func @args(%a: tensor<4xf32>, %s: f32) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}

// -----

// With it, one-shot bufferization gives a destination-style op whose init is
// an argument a buffer of its own instead of writing into the argument.
// RUN: remat-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(remat-readonly-arguments), one-shot-bufferize{bufferize-function-boundaries})' | FileCheck %s --check-prefix=BUF
// BUF-LABEL: func.func @fill_argument
// BUF: %[[A:.*]] = memref.alloc
// BUF: linalg.fill ins(%{{.*}} : f32) outs(%[[A]] : memref<4xf32>)
// BUF: return %[[A]]
func.func @fill_argument(%a: tensor<4xf32>) -> tensor<4xf32> {
  %c = arith.constant 1.0 : f32
  %r = linalg.fill ins(%c : f32) outs(%a : tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}
