// math.erf (an exact GELU, torch's default F.gelu) has no LLVM intrinsic: the
// CPU pipeline lowers it to a call of libm's erff after the math ops LLVM
// does have. The step below is an exact-GELU layer and its gradient; the
// lowered step runs, peaks where predicted, and its results are the GELU's
// to float precision (Inputs/check_gelu.py recomputes them in float64 from
// the dumped arguments).
// RUN: remat-opt %s --remat-pipeline-cpu | FileCheck %s --check-prefix=LLVM
// RUN: rm -rf %t && mkdir -p %t
// RUN: remat-run %s --check-peak 0 --keep %t/keep -o %t/step.exe > %t/run.txt
// RUN: %t/step.exe --dump %t/ > /dev/null
// RUN: python3 %S/Inputs/check_gelu.py %t/ | FileCheck %s
// RUN: FileCheck %s --check-prefix=PEAK < %t/run.txt

// LLVM: llvm.func @erff(f32) -> f32
// LLVM: llvm.call @erff
// LLVM-NOT: math.erf
// CHECK: gelu loss and gradient match float64 within 1e-05
// PEAK: peak_bytes [[P:[0-9]+]]
// PEAK-NEXT: predicted_peak_bytes [[P]]

#map = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
// loss = sum(gelu(x * w)), gelu(h) = h/2 (1 + erf(h / sqrt 2));
// d loss / d w = x (1/2 (1 + erf(h / sqrt 2)) + h exp(-h^2 / 2) / sqrt(2 pi)).
func.func @train_step(%w: tensor<64xf32>, %x: tensor<64xf32>) -> (tensor<f32>, tensor<64xf32>) {
  %half = arith.constant 0.5 : f32
  %one = arith.constant 1.0 : f32
  %rsqrt2 = arith.constant 0.707106781 : f32
  %rsqrt2pi = arith.constant 0.398942280 : f32
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<64xf32>
  %h = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel"]}
      ins(%x, %w : tensor<64xf32>, tensor<64xf32>) outs(%e0 : tensor<64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    linalg.yield %p : f32
  } -> tensor<64xf32>
  %e1 = tensor.empty() : tensor<64xf32>
  %g = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%h : tensor<64xf32>) outs(%e1 : tensor<64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.mulf %a, %rsqrt2 : f32
    %erf = math.erf %s : f32
    %t = arith.addf %erf, %one : f32
    %u = arith.mulf %a, %half : f32
    %r = arith.mulf %u, %t : f32
    linalg.yield %r : f32
  } -> tensor<64xf32>
  %l0 = tensor.empty() : tensor<f32>
  %l1 = linalg.fill ins(%zero : f32) outs(%l0 : tensor<f32>) -> tensor<f32>
  %loss = linalg.generic {indexing_maps = [#map, #sum], iterator_types = ["reduction"]}
      ins(%g : tensor<64xf32>) outs(%l1 : tensor<f32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  %e2 = tensor.empty() : tensor<64xf32>
  %dw = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel"]}
      ins(%h, %x : tensor<64xf32>, tensor<64xf32>) outs(%e2 : tensor<64xf32>) {
  ^bb0(%a: f32, %xx: f32, %o: f32):
    %s = arith.mulf %a, %rsqrt2 : f32
    %erf = math.erf %s : f32
    %t = arith.addf %erf, %one : f32
    %cdf = arith.mulf %t, %half : f32
    %sq = arith.mulf %a, %a : f32
    %nsq = arith.mulf %sq, %half : f32
    %neg = arith.negf %nsq : f32
    %ex = math.exp %neg : f32
    %pdf = arith.mulf %ex, %rsqrt2pi : f32
    %hp = arith.mulf %a, %pdf : f32
    %d = arith.addf %cdf, %hp : f32
    %r = arith.mulf %d, %xx : f32
    linalg.yield %r : f32
  } -> tensor<64xf32>
  return %loss, %dw : tensor<f32>, tensor<64xf32>
}
