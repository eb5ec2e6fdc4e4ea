// RUN: remat-opt %s --split-input-file --remat-free-together | FileCheck %s

// The sum and the count one reduction writes are freed together, after the
// last use of either.
// CHECK-LABEL: func.func @sum_and_count
// CHECK:       linalg.generic
// CHECK:       memref.copy %[[SUM:.*]], %arg1
// CHECK-NEXT:  memref.copy %[[COUNT:.*]], %arg2
// CHECK-NEXT:  memref.dealloc %[[SUM]]
// CHECK-NEXT:  memref.dealloc %[[COUNT]]
// CHECK-NEXT:  return
func.func @sum_and_count(%x: memref<16xf32>, %s: memref<f32>, %c: memref<f32>) {
  %sum = memref.alloc() : memref<f32>
  %count = memref.alloc() : memref<f32>
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]}
      ins(%x : memref<16xf32>) outs(%sum, %count : memref<f32>, memref<f32>) {
    ^bb0(%in: f32, %acc: f32, %n: f32):
      %one = arith.constant 1.0 : f32
      %a = arith.addf %in, %acc : f32
      %b = arith.addf %n, %one : f32
      linalg.yield %a, %b : f32, f32
  }
  memref.copy %sum, %s : memref<f32> to memref<f32>
  memref.dealloc %sum : memref<f32>
  memref.copy %count, %c : memref<f32> to memref<f32>
  memref.dealloc %count : memref<f32>
  return
}

// -----

// One buffer an op writes alone is freed where it was.
// CHECK-LABEL: func.func @single
// CHECK:       memref.copy %{{.*}}, %arg1
// CHECK-NEXT:  memref.dealloc
// CHECK-NEXT:  memref.copy %arg0, %arg2
func.func @single(%x: memref<16xf32>, %s: memref<f32>, %t: memref<16xf32>) {
  %sum = memref.alloc() : memref<f32>
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]}
      ins(%x : memref<16xf32>) outs(%sum : memref<f32>) {
    ^bb0(%in: f32, %acc: f32):
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
  }
  memref.copy %sum, %s : memref<f32> to memref<f32>
  memref.dealloc %sum : memref<f32>
  memref.copy %x, %t : memref<16xf32> to memref<16xf32>
  return
}
