// RUN: remat-opt %s --remat-wrap-serial-ops | FileCheck %s

// A 0-d fill and a full reduction run in a one-iteration parallel loop; an op
// with a parallel dimension stays where it is.
// CHECK-LABEL: func.func @serial
// CHECK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) {
// CHECK-NEXT: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : memref<f32>)
// CHECK: scf.parallel
// CHECK-NEXT: linalg.generic
// CHECK-SAME: iterator_types = ["reduction"]
// CHECK: scf.reduce
// CHECK-NEXT: }
// CHECK-NEXT: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : memref<4xf32>)
// CHECK-NEXT: return
func.func @serial(%in: memref<4xf32>, %out: memref<f32>, %c: f32) {
  linalg.fill ins(%c : f32) outs(%out : memref<f32>)
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>],
                  iterator_types = ["reduction"]}
      ins(%in : memref<4xf32>) outs(%out : memref<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %x, %acc : f32
    linalg.yield %s : f32
  }
  linalg.fill ins(%c : f32) outs(%in : memref<4xf32>)
  return
}
