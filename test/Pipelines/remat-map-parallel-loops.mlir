// RUN: remat-opt %s --split-input-file --remat-map-parallel-loops | FileCheck %s
// RUN: remat-opt %s --split-input-file --remat-map-parallel-loops=block-threads=64 | FileCheck %s --check-prefix=SMALL

// The contiguous (last) dimension goes to x: 128 threads along j, the 2 left
// of 256 along i. Both extents divide, so there is no guard.
// CHECK-LABEL: func.func @rows
// CHECK: %[[TI:.*]] = arith.muli %c1, %c2 : index
// CHECK: %[[TJ:.*]] = arith.muli %c1, %c128{{.*}} : index
// CHECK: scf.parallel ({{.*}}) = ({{.*}}) to ({{.*}}) step (%[[TI]], %[[TJ]])
// CHECK: scf.parallel ({{.*}}) = ({{.*}}) to (%[[TI]], %[[TJ]])
// CHECK-NOT: scf.if
// CHECK: memref.load
// CHECK: mapping = [#gpu.loop_dim_map<processor = thread_y, {{.*}}>, #gpu.loop_dim_map<processor = thread_x, {{.*}}>]
// CHECK: mapping = [#gpu.loop_dim_map<processor = block_y, {{.*}}>, #gpu.loop_dim_map<processor = block_x, {{.*}}>]
// SMALL-LABEL: func.func @rows
// SMALL-DAG: arith.muli %{{.*}}, %c1{{.*}} : index
// SMALL-DAG: arith.muli %{{.*}}, %c64{{.*}} : index
func.func @rows(%a: memref<64x128xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c128 = arith.constant 128 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c64, %c128) step (%c1, %c1) {
    %v = memref.load %a[%i, %j] : memref<64x128xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %a[%i, %j] : memref<64x128xf32>
    scf.reduce
  }
  return
}

// -----

// One dimension: a full block of 256 threads, guarded (1000 is not a
// multiple of 256).
// CHECK-LABEL: func.func @vector
// CHECK: %[[C256:.*]] = arith.constant 256 : index
// CHECK: %[[T:.*]] = arith.muli %{{.*}}, %[[C256]] : index
// CHECK: scf.parallel ({{.*}}) = ({{.*}}) to ({{.*}}) step (%[[T]])
// CHECK: scf.parallel ({{.*}}) = ({{.*}}) to (%[[T]])
// CHECK: arith.cmpi ult, %{{.*}}, %c1000
// CHECK: scf.if
// CHECK: mapping = [#gpu.loop_dim_map<processor = thread_x, {{.*}}>]
// CHECK: mapping = [#gpu.loop_dim_map<processor = block_x, {{.*}}>]
func.func @vector(%a: memref<1000xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant 1000 : index
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = memref.load %a[%i] : memref<1000xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %a[%i] : memref<1000xf32>
    scf.reduce
  }
  return
}

// -----

// Four dimensions: the leading two fold into one (6), so the grid covers all
// of them; 16 threads along the last (10, guarded), 8 along the next, 2 along
// the folded one: z, y, x.
// CHECK-LABEL: func.func @nchw
// CHECK: scf.parallel ({{.*}}, {{.*}}, {{.*}}) =
// CHECK: scf.parallel ({{.*}}, {{.*}}, {{.*}}) =
// CHECK: arith.remsi
// CHECK: arith.divsi
// CHECK: mapping = [#gpu.loop_dim_map<processor = thread_z, {{.*}}>, #gpu.loop_dim_map<processor = thread_y, {{.*}}>, #gpu.loop_dim_map<processor = thread_x, {{.*}}>]
// CHECK: mapping = [#gpu.loop_dim_map<processor = block_z, {{.*}}>, #gpu.loop_dim_map<processor = block_y, {{.*}}>, #gpu.loop_dim_map<processor = block_x, {{.*}}>]
func.func @nchw(%a: memref<2x3x8x10xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c8 = arith.constant 8 : index
  %c10 = arith.constant 10 : index
  scf.parallel (%n, %c, %h, %w) = (%c0, %c0, %c0, %c0) to (%c2, %c3, %c8, %c10) step (%c1, %c1, %c1, %c1) {
    %v = memref.load %a[%n, %c, %h, %w] : memref<2x3x8x10xf32>
    %x = arith.addf %v, %v : f32
    memref.store %x, %a[%n, %c, %h, %w] : memref<2x3x8x10xf32>
    scf.reduce
  }
  return
}
