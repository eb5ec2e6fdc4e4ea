// RUN: remat-opt %s --split-input-file --remat-sink-allocations | FileCheck %s

// Each allocation moves to right before its first user.
// CHECK-LABEL: func.func @sink
// CHECK: %[[B:.*]] = memref.alloc() : memref<8xf32>
// CHECK-NEXT: linalg.fill ins(%{{.*}} : f32) outs(%[[B]]
// CHECK-NEXT: %[[A:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: linalg.fill ins(%{{.*}} : f32) outs(%[[A]]
func.func @sink(%c: f32) -> (memref<4xf32>, memref<8xf32>) {
  %a = memref.alloc() : memref<4xf32>
  %b = memref.alloc() : memref<8xf32>
  linalg.fill ins(%c : f32) outs(%b : memref<8xf32>)
  linalg.fill ins(%c : f32) outs(%a : memref<4xf32>)
  return %a, %b : memref<4xf32>, memref<8xf32>
}

// -----

// A use inside a region counts at the op holding the region.
// CHECK-LABEL: func.func @nested
// CHECK: arith.constant
// CHECK: %[[A:.*]] = memref.alloc()
// CHECK-NEXT: scf.for
// CHECK: memref.store %{{.*}}, %[[A]]
func.func @nested(%c: f32) -> memref<4xf32> {
  %a = memref.alloc() : memref<4xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %i = %c0 to %c4 step %c1 {
    memref.store %c, %a[%i] : memref<4xf32>
  }
  return %a : memref<4xf32>
}
