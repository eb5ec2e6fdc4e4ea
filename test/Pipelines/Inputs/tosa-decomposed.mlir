// Inputs of remat-lower-tosa.mlir: TOSA ops upstream lowers only after its
// optional decompositions (transpose_conv2d) or with apply_scale (rescale).
func.func @transpose_conv(%x: tensor<1x16x16x8xf32>, %w: tensor<16x3x3x8xf32>, %bias: tensor<16xf32>) -> tensor<1x18x18x16xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %r = tosa.transpose_conv2d %x, %w, %bias, %zp, %zp {acc_type = f32, out_pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x16x16x8xf32>, tensor<16x3x3x8xf32>, tensor<16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x18x18x16xf32>
  return %r : tensor<1x18x18x16xf32>
}

func.func @rescale(%x: tensor<1x64x128xi32>) -> tensor<1x64x128xi8> {
  %mult = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %rsh = "tosa.const"() <{values = dense<30> : tensor<1xi8>}> : () -> tensor<1xi8>
  %izp = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %ozp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %r = tosa.rescale %x, %mult, %rsh, %izp, %ozp {rounding_mode = SINGLE_ROUND, scale32 = true, per_channel = false, input_unsigned = false, output_unsigned = false} : (tensor<1x64x128xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x64x128xi8>
  return %r : tensor<1x64x128xi8>
}
