// RUN: remat-opt %s --remat-device-buffers | FileCheck %s

// CHECK-LABEL: func.func @buffers
// CHECK: %[[S:.*]] = gpu.wait async
// CHECK-NEXT: %[[M:.*]], %[[T:.*]] = gpu.alloc async [%[[S]]] () : memref<8xf32>
// CHECK-NEXT: gpu.wait [%[[T]]]
// CHECK: %[[S2:.*]] = gpu.wait async
// CHECK-NEXT: %[[T2:.*]] = gpu.dealloc async [%[[S2]]] %[[M]] : memref<8xf32>
// CHECK-NEXT: gpu.wait [%[[T2]]]
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.dealloc
func.func @buffers(%c: f32) {
  %a = memref.alloc() : memref<8xf32>
  linalg.fill ins(%c : f32) outs(%a : memref<8xf32>)
  memref.dealloc %a : memref<8xf32>
  return
}

// A copy between buffers runs on the device.
// CHECK-LABEL: func.func @copy
// CHECK: %[[S:.*]] = gpu.wait async
// CHECK-NEXT: %[[T:.*]] = gpu.memcpy async [%[[S]]] %arg1, %arg0 : memref<8xf32>, memref<8xf32>
// CHECK-NEXT: gpu.wait [%[[T]]]
// CHECK-NOT: memref.copy
func.func @copy(%src: memref<8xf32>, %dst: memref<8xf32>) {
  memref.copy %src, %dst : memref<8xf32> to memref<8xf32>
  return
}
