// A collapse_shape that bufferization cannot do as a view: it merges dims of
// a slice that are not contiguous (columns 0-3 of rows of 6), so one-shot
// bufferization copies the slice into a buffer of its own, which the strided
// insert_slice then writes in place. The model counts that copy (it was
// 192 bytes under the measured peak before: the collapse was taken as a view
// of the generic's buffer).
// RUN: remat-run %s --check-peak 0 | FileCheck %s
// RUN: remat-opt %s --remat-report -o /dev/null 2>&1 | FileCheck %s --check-prefix=REPORT
// CHECK: peak_bytes 816
// CHECK-NEXT: predicted_peak_bytes 816
// REPORT: peak 816 B (816 bytes) at step 5 of {{[0-9]+}} ('tensor.collapse_shape')

#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @train_step(%x: tensor<3x24xf32>, %s: tensor<3x4xf32>)
    -> tensor<3x16xf32> {
  %two = arith.constant 2.0 : f32
  %init = tensor.empty() : tensor<3x24xf32>
  %y = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<3x24xf32>) outs(%init : tensor<3x24xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %two : f32
    linalg.yield %m : f32
  } -> tensor<3x24xf32>
  %e = tensor.expand_shape %y [[0], [1, 2]] output_shape [3, 4, 6]
      : tensor<3x24xf32> into tensor<3x4x6xf32>
  %slice = tensor.extract_slice %e[0, 0, 0] [3, 4, 4] [1, 1, 1]
      : tensor<3x4x6xf32> to tensor<3x4x4xf32>
  %c = tensor.collapse_shape %slice [[0], [1, 2]] : tensor<3x4x4xf32> into tensor<3x16xf32>
  %diag = tensor.insert_slice %s into %c[0, 0] [3, 4] [1, 5]
      : tensor<3x4xf32> into tensor<3x16xf32>
  return %diag : tensor<3x16xf32>
}
