// RUN: remat-opt %s --remat-report="report-file=%t.json" -o /dev/null 2>&1 | FileCheck %s
// RUN: FileCheck %s --check-prefix=JSON < %t.json
// RUN: remat-opt %s --remat-report | FileCheck %s --check-prefix=UNCHANGED

// loss = sum(tanh(x @ w) ^ 2) with x: 16x64, w: 64x64 (f32). Arguments:
// 4096 + 16384 = 20480 bytes. Forward: matmul 2*16*64*64 = 131072 FLOPs,
// tanh 1024, the square-and-sum generic 1024 x 2 = 2048: 134144 FLOPs.
// Backward: dh = 2h (1024 x 1 = 1024), dz = dh * (1 - h^2) (1024 x 3 =
// 3072), transpose of x (0), dw = x^T @ dz (131072): 135168 FLOPs.
// The stashed activation is %h (16x64 f32 = 4096 bytes); %x is an argument.
//
// Steps 0-17: constant, z_init, z_acc, z, h, l_init, l_acc, loss, dh_init,
// dh, dz_init, dz, xT_init, xT, dw_init, dw_acc, dw, return. %h and %dh die at
// %dz (step 11). Peak: from the dw fill (step 15) on, %dz (4096), %xT (4096)
// and the dw buffer (16384) are live beside the arguments (20480) and the
// loss (4): 20480 + 4 + 4096 * 2 + 16384 = 45060.
//
// CHECK:      remark: remat-report: peak 44.0 KiB (45060 bytes) at step 15 of 18 ('linalg.fill'); arguments 20480 bytes; forward 134144 FLOPs, backward 135168 FLOPs; stashed activations: 1 values, 4096 bytes
// CHECK-NEXT: func.func @step
// CHECK:      note: the peak is reached here
// CHECK-NEXT:   %dw_acc = linalg.fill
// CHECK:      note: live at the peak: %{{.*}} (16.0 KiB, 16384 bytes), from 'argument'
// CHECK:      note: live at the peak: %{{.*}} (16.0 KiB, 16384 bytes), from 'linalg.matmul'
// CHECK-NEXT:   %dw = linalg.matmul
// CHECK:      note: live at the peak: %{{.*}} (4.0 KiB, 4096 bytes), from 'argument'
#map = affine_map<(d0, d1) -> (d0, d1)>
#sum = affine_map<(d0, d1) -> ()>
func.func @step(%w: tensor<64x64xf32>, %x: tensor<16x64xf32>) -> (tensor<f32> {remat.loss}, tensor<64x64xf32>) {
  %zero = arith.constant 0.0 : f32
  %z_init = tensor.empty() : tensor<16x64xf32>
  %z_acc = linalg.fill ins(%zero : f32) outs(%z_init : tensor<16x64xf32>) -> tensor<16x64xf32>
  %z = linalg.matmul ins(%x, %w : tensor<16x64xf32>, tensor<64x64xf32>) outs(%z_acc : tensor<16x64xf32>) -> tensor<16x64xf32>
  %h = math.tanh %z : tensor<16x64xf32>
  %l_init = tensor.empty() : tensor<f32>
  %l_acc = linalg.fill ins(%zero : f32) outs(%l_init : tensor<f32>) -> tensor<f32>
  %loss = linalg.generic {indexing_maps = [#map, #sum], iterator_types = ["reduction", "reduction"]}
      ins(%h : tensor<16x64xf32>) outs(%l_acc : tensor<f32>) {
    ^bb0(%in: f32, %acc: f32):
      %sq = arith.mulf %in, %in : f32
      %s = arith.addf %sq, %acc : f32
      linalg.yield %s : f32
  } -> tensor<f32>
  %dh_init = tensor.empty() : tensor<16x64xf32>
  %dh = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%h : tensor<16x64xf32>) outs(%dh_init : tensor<16x64xf32>) {
    ^bb0(%in: f32, %out: f32):
      %d = arith.addf %in, %in : f32
      linalg.yield %d : f32
  } -> tensor<16x64xf32>
  %dz_init = tensor.empty() : tensor<16x64xf32>
  %dz = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%dh, %h : tensor<16x64xf32>, tensor<16x64xf32>) outs(%dz_init : tensor<16x64xf32>) {
    ^bb0(%g: f32, %hv: f32, %out: f32):
      %h2 = arith.mulf %hv, %hv : f32
      %one_minus = arith.subf %g, %h2 : f32
      %r = arith.mulf %g, %one_minus : f32
      linalg.yield %r : f32
  } -> tensor<16x64xf32>
  %xT_init = tensor.empty() : tensor<64x16xf32>
  %xT = linalg.transpose ins(%x : tensor<16x64xf32>) outs(%xT_init : tensor<64x16xf32>) permutation = [1, 0]
  %dw_init = tensor.empty() : tensor<64x64xf32>
  %dw_acc = linalg.fill ins(%zero : f32) outs(%dw_init : tensor<64x64xf32>) -> tensor<64x64xf32>
  %dw = linalg.matmul ins(%xT, %dz : tensor<64x16xf32>, tensor<16x64xf32>) outs(%dw_acc : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %loss, %dw : tensor<f32>, tensor<64x64xf32>
}

// JSON (keys in alphabetical order, one object per function):
// JSON:      "argument_bytes": 20480,
// JSON-NEXT: "backward_flops": 135168,
// The FLOPs above by source line: the matmul (32), tanh (33), the loss (36),
// dh (44), dz (51), dw (63).
// JSON-NEXT: "flops_by_line": {
// JSON-NEXT:   "32": 131072,
// JSON-NEXT:   "33": 1024,
// JSON-NEXT:   "36": 2048,
// JSON-NEXT:   "44": 1024,
// JSON-NEXT:   "51": 3072,
// JSON-NEXT:   "63": 131072
// JSON-NEXT: },
// JSON-NEXT: "forward_flops": 134144,
// JSON-NEXT: "function": "step",
// JSON:      "peak_bytes": 45060,
// JSON-NEXT: "peak_loc": "{{.*}}remat-report.mlir:{{[0-9]+}}:13",
// JSON-NEXT: "peak_op": "linalg.fill",
// JSON-NEXT: "peak_step": 15,
// JSON-NEXT: "pinned_recompute": [],
// JSON-NEXT: "pinned_save": [],
// JSON-NEXT: "stashed": [
// JSON-NEXT:   {
// JSON-NEXT:     "bytes": 4096,
// JSON-NEXT:     "loc": "{{.*}}remat-report.mlir:{{[0-9]+}}:8",
// JSON-NEXT:     "op": "math.tanh",
// JSON:      "stashed_bytes": 4096,
// JSON-NEXT: "stashed_count": 1,
// The live bytes of each step, the peak among them.
// JSON-NEXT: "timeline": [
// JSON-NEXT:   20480,
// JSON:        45060,
// JSON:      "timeline_ops": [
// JSON-NEXT:   "arith.constant",
// JSON:      "training_step": true

// A function that is not a training step is still measured; the remark says
// what remat does with it.
// CHECK:      remark: not a training step: no op computes anything beyond the loss (result #0), so there is no backward pass; remat leaves it unchanged
// CHECK:      remark: remat-report: peak 12.0 KiB (12288 bytes) at step 1 of 3 ('math.exp'); arguments 4096 bytes
// CHECK-NOT:  stashed
// JSON:       "function": "inference",
// JSON:       "peak_bytes": 12288,
// JSON:       "training_step": false
func.func @inference(%x: tensor<1024xf32>) -> tensor<1024xf32> {
  %a = math.exp %x : tensor<1024xf32>
  %b = math.exp %a : tensor<1024xf32>
  return %b : tensor<1024xf32>
}

// The report leaves the IR as it was.
// UNCHANGED: func.func @step
// UNCHANGED: linalg.matmul
