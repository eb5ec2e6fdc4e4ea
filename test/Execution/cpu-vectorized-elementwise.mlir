// Elementwise ops that remat-vectorize-elementwise turns into vector rows,
// run and checked exactly: an i1 mask written by an op that stays a scalar
// loop (a threshold per row read through (i, j) -> (i, 0), as torch-mlir
// writes its one-hot masks) and read by two others (a byte per i1 in memory,
// as the memory model counts it, where an LLVM vector of i1 is bit-packed:
// read as a vector the mask was garbage), math.fpowi with a constant
// exponent (torch-mlir writes x ** 2 so; llvm.intr.powi takes no vector
// exponent, the lowering failed) and linalg.index along either dimension
// (torch.arange, masks). Every result is
// exact in float32: Inputs/check_vectorized_elementwise.py recomputes it from
// the dumped arguments and wants the same bits. The test of the fixes that put
// the pass back into the default CPU pipeline (with vector masks, the GPT
// block of test/frontends-py was off by 0.78 relative).
// RUN: remat-opt %s --remat-pipeline-cpu="contractions=vector" --mlir-print-ir-after=remat-vectorize-elementwise -o /dev/null 2>&1 | FileCheck %s --check-prefix=VEC
// RUN: rm -rf %t && mkdir -p %t
// RUN: remat-run %s --check-peak 0 -o %t/step.exe > %t/run.txt
// RUN: %t/step.exe --dump %t/ > /dev/null
// RUN: python3 %S/Inputs/check_vectorized_elementwise.py %t/ | FileCheck %s
// RUN: FileCheck %s --check-prefix=PEAK < %t/run.txt

// The ops on f32 buffers are vector rows, x ** 2 a product; the i1 mask is
// written and read by scalar loops.
// VEC-LABEL: func.func @train_step
// VEC: arith.cmpf ogt, {{.*}} : f32
// VEC: arith.uitofp {{.*}} : i1 to f32
// VEC: arith.select {{.*}} : f32
// VEC: arith.mulf {{.*}} : vector<1x16xf32>
// VEC-NOT: math.fpowi
// VEC: vector.step
// VEC: vector.step
// VEC-NOT: vector<{{.*}}xi1>
// CHECK: all 5 results exact
// PEAK: peak_bytes [[P:[0-9]+]]
// PEAK-NEXT: predicted_peak_bytes [[P]]

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0, 0)>
func.func @train_step(%x: tensor<4x16xf32>, %y: tensor<4x1xf32>)
    -> (tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>) {
  %c2 = arith.constant 2 : i64
  %zero = arith.constant 0.0 : f32
  %em = tensor.empty() : tensor<4x16xi1>
  %mask = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %y : tensor<4x16xf32>, tensor<4x1xf32>) outs(%em : tensor<4x16xi1>) {
  ^bb0(%a: f32, %b: f32, %o: i1):
    %gt = arith.cmpf ogt, %a, %b : f32
    linalg.yield %gt : i1
  } -> tensor<4x16xi1>
  %e0 = tensor.empty() : tensor<4x16xf32>
  %ones = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mask : tensor<4x16xi1>) outs(%e0 : tensor<4x16xf32>) {
  ^bb0(%m: i1, %o: f32):
    %f = arith.uitofp %m : i1 to f32
    linalg.yield %f : f32
  } -> tensor<4x16xf32>
  %e1 = tensor.empty() : tensor<4x16xf32>
  %relu = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mask, %x : tensor<4x16xi1>, tensor<4x16xf32>) outs(%e1 : tensor<4x16xf32>) {
  ^bb0(%m: i1, %a: f32, %o: f32):
    %s = arith.select %m, %a, %zero : f32
    linalg.yield %s : f32
  } -> tensor<4x16xf32>
  %e2 = tensor.empty() : tensor<4x16xf32>
  %square = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x16xf32>) outs(%e2 : tensor<4x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %p = math.fpowi %a, %c2 : f32, i64
    linalg.yield %p : f32
  } -> tensor<4x16xf32>
  %e3 = tensor.empty() : tensor<4x16xf32>
  %rows = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
      outs(%e3 : tensor<4x16xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %k = arith.muli %i, %j : index
    %n = arith.index_cast %k : index to i64
    %f = arith.sitofp %n : i64 to f32
    linalg.yield %f : f32
  } -> tensor<4x16xf32>
  %e4 = tensor.empty() : tensor<4x16xf32>
  %cols = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x16xf32>) outs(%e4 : tensor<4x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %j = linalg.index 1 : index
    %n = arith.index_cast %j : index to i64
    %f = arith.sitofp %n : i64 to f32
    %s = arith.addf %a, %f : f32
    linalg.yield %s : f32
  } -> tensor<4x16xf32>
  return %ones, %relu, %square, %rows, %cols
      : tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>
}
