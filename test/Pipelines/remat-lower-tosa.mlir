// remat-lower-tosa lowers TOSA with upstream's conversions, inside a planned
// step's recompute regions too: the region keeps what it recomputes.
// RUN: remat-opt %s --remat-checkpoint=budget=0.9 -o %t.planned.mlir
// RUN: remat-opt %t.planned.mlir --remat-lower-tosa | FileCheck %s
// Transposed convolutions (through upstream's decompositions) and rescales
// (their apply_scale too) lower as well.
// RUN: remat-opt %S/Inputs/tosa-decomposed.mlir --remat-lower-tosa | FileCheck %s --check-prefix=DECOMPOSED
// DECOMPOSED-LABEL: func.func @transpose_conv
// DECOMPOSED-NOT: tosa.{{[a-z_0-9]+}} %
// DECOMPOSED: linalg.conv_2d_nhwc_fhwc
// DECOMPOSED-LABEL: func.func @rescale
// DECOMPOSED-NOT: tosa.{{[a-z_0-9]+}} %
// DECOMPOSED: return
// A step without TOSA stays exactly as it is (upstream's tosa-to-tensor and
// tosa-to-arith fold ops they visit: a linalg.index of tiny_convnet, views of
// tiny_unet, whose lowered peak then fell below the model's).
// RUN: remat-opt %remat_src_root/bench/graphs/tiny_convnet.mlir > %t.convnet
// RUN: remat-opt %remat_src_root/bench/graphs/tiny_convnet.mlir --remat-lower-tosa > %t.convnet.lowered
// RUN: diff %t.convnet %t.convnet.lowered
// RUN: remat-opt %remat_src_root/bench/graphs/tiny_unet.mlir > %t.unet
// RUN: remat-opt %remat_src_root/bench/graphs/tiny_unet.mlir --remat-lower-tosa > %t.unet.lowered
// RUN: diff %t.unet %t.unet.lowered
// And the CPU pipeline lowers TOSA before it plans and bufferizes.
// RUN: remat-opt %s '--remat-pipeline-cpu=budget=0.9' | FileCheck %s --check-prefix=CPU
// CPU: llvm.func @step
// CPU-NOT: tosa.

// loss = sum(exp(exp(exp(x)))); its gradient reads all three exponentials.
// Below the unplanned peak the plan recomputes exp(x) after the first
// product.
// CHECK-LABEL: func.func @step
// CHECK-NOT: tosa.
// CHECK: remat.recompute
// CHECK: linalg.generic
// CHECK: math.exp
// CHECK: remat.yield
// CHECK-NOT: tosa.
// CHECK: return
func.func @step(%x: tensor<1x64x64xf32>)
    -> (tensor<1x1x1xf32> {remat.loss}, tensor<1x64x64xf32>) {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %a = tosa.exp %x : (tensor<1x64x64xf32>) -> tensor<1x64x64xf32>
  %b = tosa.exp %a : (tensor<1x64x64xf32>) -> tensor<1x64x64xf32>
  %c = tosa.exp %b : (tensor<1x64x64xf32>) -> tensor<1x64x64xf32>
  %s1 = tosa.reduce_sum %c {axis = 2 : i32} : (tensor<1x64x64xf32>) -> tensor<1x64x1xf32>
  %s2 = tosa.reduce_sum %s1 {axis = 1 : i32} : (tensor<1x64x1xf32>) -> tensor<1x1x1xf32>
  // d loss / d x = exp(b) exp(a) exp(x) = c b a
  %cb = tosa.mul %c, %b, %shift : (tensor<1x64x64xf32>, tensor<1x64x64xf32>, tensor<1xi8>) -> tensor<1x64x64xf32>
  %g = tosa.mul %cb, %a, %shift : (tensor<1x64x64xf32>, tensor<1x64x64xf32>, tensor<1xi8>) -> tensor<1x64x64xf32>
  return %s2, %g : tensor<1x1x1xf32>, tensor<1x64x64xf32>
}
