func.func @train_step(%a_g_weight: tensor<6x6xf32>, %a_g_bias: tensor<6xf32>, %a_a_weight: tensor<6x6xf32>, %a_a_bias: tensor<6xf32>, %a_head_weight: tensor<5x6xf32>, %a_head_bias: tensor<5xf32>, %a_input0: tensor<2x8x6xf32>, %a_input1: tensor<2xi64>)
    -> (tensor<f32> {remat.loss}, tensor<6x6xf32>, tensor<6xf32>, tensor<6x6xf32>, tensor<6xf32>, tensor<5x6xf32>, tensor<5xf32>) {
  %v_view = tensor.collapse_shape %a_input0 [[0, 1], [2]] : tensor<2x8x6xf32> into tensor<16x6xf32>
  %v_addmm_bias_init = tensor.empty() : tensor<16x6xf32>
  %v_addmm_bias = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%a_g_bias : tensor<6xf32>)
      outs(%v_addmm_bias_init : tensor<16x6xf32>) {
  ^bb0(%in0: f32, %out0: f32):
    linalg.yield %in0 : f32
  } -> tensor<16x6xf32>
  %v_addmm = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%v_view, %a_g_weight : tensor<16x6xf32>, tensor<6x6xf32>)
      outs(%v_addmm_bias : tensor<16x6xf32>) {
  ^bb0(%in0: f32, %in1: f32, %out0: f32):
    %s0 = arith.mulf %in0, %in1 : f32
    %s1 = arith.addf %s0, %out0 : f32
    linalg.yield %s1 : f32
  } -> tensor<16x6xf32>
  %v_view_1 = tensor.expand_shape %v_addmm [[0, 1], [2]] output_shape [2, 8, 6] : tensor<16x6xf32> into tensor<2x8x6xf32>
  %v_sigmoid_init = tensor.empty() : tensor<2x8x6xf32>
  %v_sigmoid = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_view_1 : tensor<2x8x6xf32>)
      outs(%v_sigmoid_init : tensor<2x8x6xf32>) {
  ^bb0(%in0: f32, %out0: f32):
    %s0 = arith.constant 1.000000000e+00 : f32
    %s1 = arith.constant 1.000000000e+00 : f32
    %s2 = arith.negf %in0 : f32
    %s3 = math.exp %s2 : f32
    %s4 = arith.addf %s1, %s3 : f32
    %s5 = arith.divf %s0, %s4 : f32
    linalg.yield %s5 : f32
  } -> tensor<2x8x6xf32>
  %c_f32_1_000000000e_00 = arith.constant 1.000000000e+00 : f32
  %v_cumprod_acc_init = tensor.empty() : tensor<2x8x6xf32>
  %v_cumprod_acc_fill = linalg.fill ins(%c_f32_1_000000000e_00 : f32) outs(%v_cumprod_acc_init : tensor<2x8x6xf32>) -> tensor<2x8x6xf32>
  %v_cumprod = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%v_sigmoid : tensor<2x8x6xf32>)
      outs(%v_cumprod_acc_fill : tensor<2x8x6xf32>) {
  ^bb0(%in0: f32, %out0: f32):
    %s0 = linalg.index 3 : index
    %s1 = linalg.index 1 : index
    %s2 = arith.cmpi ule, %s0, %s1 : index
    %s3 = arith.mulf %in0, %out0 : f32
    %s4 = arith.select %s2, %s3, %out0 : f32
    linalg.yield %s4 : f32
  } -> tensor<2x8x6xf32>
  %c_f32_0_000000000e_00 = arith.constant 0.000000000e+00 : f32
  %v_mean_acc_init = tensor.empty() : tensor<2x6xf32>
  %v_mean_acc_fill = linalg.fill ins(%c_f32_0_000000000e_00 : f32) outs(%v_mean_acc_init : tensor<2x6xf32>) -> tensor<2x6xf32>
  %v_mean = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%v_cumprod : tensor<2x8x6xf32>)
      outs(%v_mean_acc_fill : tensor<2x6xf32>) {
  ^bb0(%in0: f32, %out0: f32):
    %s0 = arith.constant 1.250000000e-01 : f32
    %s1 = arith.mulf %in0, %s0 : f32
    %s2 = arith.addf %s1, %out0 : f32
    linalg.yield %s2 : f32
  } -> tensor<2x6xf32>
  %v_addmm_1_bias_init = tensor.empty() : tensor<2x5xf32>
  %v_addmm_1_bias = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%a_head_bias : tensor<5xf32>)
      outs(%v_addmm_1_bias_init : tensor<2x5xf32>) {
  ^bb0(%in0: f32, %out0: f32):
    linalg.yield %in0 : f32
  } -> tensor<2x5xf32>
  %v_addmm_1 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%v_mean, %a_head_weight : tensor<2x6xf32>, tensor<5x6xf32>)
      outs(%v_addmm_1_bias : tensor<2x5xf32>) {
  ^bb0(%in0: f32, %in1: f32, %out0: f32):
    %s0 = arith.mulf %in0, %in1 : f32
    %s1 = arith.addf %s0, %out0 : f32
    linalg.yield %s1 : f32
  } -> tensor<2x5xf32>
  %c_f32_0xFF800000 = arith.constant 0xFF800000 : f32
  %v_amax_acc_init = tensor.empty() : tensor<2xf32>
  %v_amax_acc_fill = linalg.fill ins(%c_f32_0xFF800000 : f32) outs(%v_amax_acc_init : tensor<2xf32>) -> tensor<2xf32>
  %v_amax = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%v_addmm_1 : tensor<2x5xf32>)
      outs(%v_amax_acc_fill : tensor<2xf32>) {
  ^bb0(%in0: f32, %out0: f32):
    %s0 = arith.maximumf %in0, %out0 : f32
    linalg.yield %s0 : f32
  } -> tensor<2xf32>
  %v_amax_keep = tensor.expand_shape %v_amax [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %v_sub_init = tensor.empty() : tensor<2x5xf32>
  %v_sub = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, 0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%v_addmm_1, %v_amax_keep : tensor<2x5xf32>, tensor<2x1xf32>)
      outs(%v_sub_init : tensor<2x5xf32>) {
  ^bb0(%in0: f32, %in1: f32, %out0: f32):
    %s0 = arith.subf %in0, %in1 : f32
    linalg.yield %s0 : f32
  } -> tensor<2x5xf32>
  %v_exp_init = tensor.empty() : tensor<2x5xf32>
  %v_exp = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%v_sub : tensor<2x5xf32>)
      outs(%v_exp_init : tensor<2x5xf32>) {
  ^bb0(%in0: f32, %out0: f32):
    %s0 = math.exp %in0 : f32
    linalg.yield %s0 : f32
  } -> tensor<2x5xf32>
  %v_sum_1_acc_init = tensor.empty() : tensor<2xf32>
  %v_sum_1_acc_fill = linalg.fill ins(%c_f32_0_000000000e_00 : f32) outs(%v_sum_1_acc_init : tensor<2xf32>) -> tensor<2xf32>
  %v_sum_1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%v_exp : tensor<2x5xf32>)
      outs(%v_sum_1_acc_fill : tensor<2xf32>) {
  ^bb0(%in0: f32, %out0: f32):
    %s0 = arith.addf %in0, %out0 : f32
    linalg.yield %s0 : f32
  } -> tensor<2xf32>
  %v_sum_1_keep = tensor.expand_shape %v_sum_1 [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %v_log_init = tensor.empty() : tensor<2x1xf32>
  %v_log = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%v_sum_1_keep : tensor<2x1xf32>)
      outs(%v_log_init : tensor<2x1xf32>) {
  ^bb0(%in0: f32, %out0: f32):
    %s0 = math.log %in0 : f32
    linalg.yield %s0 : f32
  } -> tensor<2x1xf32>
  %v_sub_1_init = tensor.empty() : tensor<2x5xf32>
  %v_sub_1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, 0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%v_sub, %v_log : tensor<2x5xf32>, tensor<2x1xf32>)
      outs(%v_sub_1_init : tensor<2x5xf32>) {
  ^bb0(%in0: f32, %in1: f32, %out0: f32):
    %s0 = arith.subf %in0, %in1 : f32
    linalg.yield %s0 : f32
  } -> tensor<2x5xf32>
  %v_nll_loss_forward_sum_init = tensor.empty() : tensor<f32>
  %v_nll_loss_forward_sum_fill = linalg.fill ins(%c_f32_0_000000000e_00 : f32) outs(%v_nll_loss_forward_sum_init : tensor<f32>) -> tensor<f32>
  %v_nll_loss_forward_count_init = tensor.empty() : tensor<f32>
  %v_nll_loss_forward_count_fill = linalg.fill ins(%c_f32_0_000000000e_00 : f32) outs(%v_nll_loss_forward_count_init : tensor<f32>) -> tensor<f32>
  %v_nll_loss_forward_terms:2 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> ()>, affine_map<(d0, d1) -> ()>], iterator_types = ["reduction", "reduction"]}
      ins(%v_sub_1, %a_input1 : tensor<2x5xf32>, tensor<2xi64>)
      outs(%v_nll_loss_forward_sum_fill, %v_nll_loss_forward_count_fill : tensor<f32>, tensor<f32>) {
  ^bb0(%in0: f32, %in1: i64, %out0: f32, %out1: f32):
    %s0 = linalg.index 1 : index
    %s1 = arith.index_cast %s0 : index to i64
    %s2 = arith.cmpi eq, %in1, %s1 : i64
    %s3 = arith.constant -100 : i64
    %s4 = arith.cmpi ne, %in1, %s3 : i64
    %s5 = arith.andi %s2, %s4 : i1
    %s6 = arith.constant 1.000000000e+00 : f32
    %s7 = arith.negf %in0 : f32
    %s8 = arith.constant 0.000000000e+00 : f32
    %s9 = arith.select %s5, %s7, %s8 : f32
    %s10 = arith.constant 0.000000000e+00 : f32
    %s11 = arith.select %s5, %s6, %s10 : f32
    %s12 = arith.addf %s9, %out0 : f32
    %s13 = arith.addf %s11, %out1 : f32
    linalg.yield %s12, %s13 : f32, f32
  } -> (tensor<f32>, tensor<f32>)
  %v_nll_loss_forward_init = tensor.empty() : tensor<f32>
  %v_nll_loss_forward = linalg.generic {indexing_maps = [affine_map<() -> ()>, affine_map<() -> ()>, affine_map<() -> ()>], iterator_types = []}
      ins(%v_nll_loss_forward_terms#0, %v_nll_loss_forward_terms#1 : tensor<f32>, tensor<f32>)
      outs(%v_nll_loss_forward_init : tensor<f32>) {
  ^bb0(%in0: f32, %in1: f32, %out0: f32):
    %s0 = arith.divf %in0, %in1 : f32
    linalg.yield %s0 : f32
  } -> tensor<f32>
  %v_full_like_init = tensor.empty() : tensor<f32>
  %v_full_like_fill = linalg.fill ins(%c_f32_1_000000000e_00 : f32) outs(%v_full_like_init : tensor<f32>) -> tensor<f32>
  %v_nll_loss_backward_init = tensor.empty() : tensor<2x5xf32>
  %v_nll_loss_backward = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> ()>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> ()>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%v_full_like_fill, %a_input1, %v_nll_loss_forward_terms#1 : tensor<f32>, tensor<2xi64>, tensor<f32>)
      outs(%v_nll_loss_backward_init : tensor<2x5xf32>) {
  ^bb0(%in0: f32, %in1: i64, %in2: f32, %out0: f32):
    %s0 = linalg.index 1 : index
    %s1 = arith.index_cast %s0 : index to i64
    %s2 = arith.cmpi eq, %in1, %s1 : i64
    %s3 = arith.constant -100 : i64
    %s4 = arith.cmpi ne, %in1, %s3 : i64
    %s5 = arith.andi %s2, %s4 : i1
    %s6 = arith.negf %in0 : f32
    %s7 = arith.divf %s6, %in2 : f32
    %s8 = arith.constant 0.000000000e+00 : f32
    %s9 = arith.select %s5, %s7, %s8 : f32
    linalg.yield %s9 : f32
  } -> tensor<2x5xf32>
  %v_exp_1_init = tensor.empty() : tensor<2x5xf32>
  %v_exp_1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%v_sub_1 : tensor<2x5xf32>)
      outs(%v_exp_1_init : tensor<2x5xf32>) {
  ^bb0(%in0: f32, %out0: f32):
    %s0 = math.exp %in0 : f32
    linalg.yield %s0 : f32
  } -> tensor<2x5xf32>
  %v_sum_2_acc_init = tensor.empty() : tensor<2xf32>
  %v_sum_2_acc_fill = linalg.fill ins(%c_f32_0_000000000e_00 : f32) outs(%v_sum_2_acc_init : tensor<2xf32>) -> tensor<2xf32>
  %v_sum_2 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%v_nll_loss_backward : tensor<2x5xf32>)
      outs(%v_sum_2_acc_fill : tensor<2xf32>) {
  ^bb0(%in0: f32, %out0: f32):
    %s0 = arith.addf %in0, %out0 : f32
    linalg.yield %s0 : f32
  } -> tensor<2xf32>
  %v_sum_2_keep = tensor.expand_shape %v_sum_2 [[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
  %v_mul_init = tensor.empty() : tensor<2x5xf32>
  %v_mul = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, 0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%v_exp_1, %v_sum_2_keep : tensor<2x5xf32>, tensor<2x1xf32>)
      outs(%v_mul_init : tensor<2x5xf32>) {
  ^bb0(%in0: f32, %in1: f32, %out0: f32):
    %s0 = arith.mulf %in0, %in1 : f32
    linalg.yield %s0 : f32
  } -> tensor<2x5xf32>
  %v_sub_2_init = tensor.empty() : tensor<2x5xf32>
  %v_sub_2 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%v_nll_loss_backward, %v_mul : tensor<2x5xf32>, tensor<2x5xf32>)
      outs(%v_sub_2_init : tensor<2x5xf32>) {
  ^bb0(%in0: f32, %in1: f32, %out0: f32):
    %s0 = arith.subf %in0, %in1 : f32
    linalg.yield %s0 : f32
  } -> tensor<2x5xf32>
  %v_mm_acc_init = tensor.empty() : tensor<2x6xf32>
  %v_mm_acc_fill = linalg.fill ins(%c_f32_0_000000000e_00 : f32) outs(%v_mm_acc_init : tensor<2x6xf32>) -> tensor<2x6xf32>
  %v_mm = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%v_sub_2, %a_head_weight : tensor<2x5xf32>, tensor<5x6xf32>)
      outs(%v_mm_acc_fill : tensor<2x6xf32>) {
  ^bb0(%in0: f32, %in1: f32, %out0: f32):
    %s0 = arith.mulf %in0, %in1 : f32
    %s1 = arith.addf %s0, %out0 : f32
    linalg.yield %s1 : f32
  } -> tensor<2x6xf32>
  %v_mm_1_acc_init = tensor.empty() : tensor<5x6xf32>
  %v_mm_1_acc_fill = linalg.fill ins(%c_f32_0_000000000e_00 : f32) outs(%v_mm_1_acc_init : tensor<5x6xf32>) -> tensor<5x6xf32>
  %v_mm_1 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d2, d0)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%v_sub_2, %v_mean : tensor<2x5xf32>, tensor<2x6xf32>)
      outs(%v_mm_1_acc_fill : tensor<5x6xf32>) {
  ^bb0(%in0: f32, %in1: f32, %out0: f32):
    %s0 = arith.mulf %in0, %in1 : f32
    %s1 = arith.addf %s0, %out0 : f32
    linalg.yield %s1 : f32
  } -> tensor<5x6xf32>
  %v_sum_3_acc_init = tensor.empty() : tensor<5xf32>
  %v_sum_3_acc_fill = linalg.fill ins(%c_f32_0_000000000e_00 : f32) outs(%v_sum_3_acc_init : tensor<5xf32>) -> tensor<5xf32>
  %v_sum_3 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>], iterator_types = ["reduction", "parallel"]}
      ins(%v_sub_2 : tensor<2x5xf32>)
      outs(%v_sum_3_acc_fill : tensor<5xf32>) {
  ^bb0(%in0: f32, %out0: f32):
    %s0 = arith.addf %in0, %out0 : f32
    linalg.yield %s0 : f32
  } -> tensor<5xf32>
  %v_sum_3_keep = tensor.expand_shape %v_sum_3 [[0, 1]] output_shape [1, 5] : tensor<5xf32> into tensor<1x5xf32>
  %v_view_2 = tensor.collapse_shape %v_sum_3_keep [[0, 1]] : tensor<1x5xf32> into tensor<5xf32>
  %v_unsqueeze = tensor.expand_shape %v_mm [[0, 1], [2]] output_shape [2, 1, 6] : tensor<2x6xf32> into tensor<2x1x6xf32>
  %v_div_init = tensor.empty() : tensor<2x8x6xf32>
  %v_div = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, 0, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_unsqueeze : tensor<2x1x6xf32>)
      outs(%v_div_init : tensor<2x8x6xf32>) {
  ^bb0(%in0: f32, %out0: f32):
    %s0 = arith.constant 8.000000000e+00 : f32
    %s1 = arith.divf %in0, %s0 : f32
    linalg.yield %s1 : f32
  } -> tensor<2x8x6xf32>
  %v_mul_1_init = tensor.empty() : tensor<2x8x6xf32>
  %v_mul_1 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_cumprod, %v_div : tensor<2x8x6xf32>, tensor<2x8x6xf32>)
      outs(%v_mul_1_init : tensor<2x8x6xf32>) {
  ^bb0(%in0: f32, %in1: f32, %out0: f32):
    %s0 = arith.mulf %in0, %in1 : f32
    linalg.yield %s0 : f32
  } -> tensor<2x8x6xf32>
  %v_eq_init = tensor.empty() : tensor<2x8x6xi1>
  %v_eq = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_sigmoid : tensor<2x8x6xf32>)
      outs(%v_eq_init : tensor<2x8x6xi1>) {
  ^bb0(%in0: f32, %out0: i1):
    %s0 = arith.constant 0.000000000e+00 : f32
    %s1 = arith.cmpf oeq, %in0, %s0 : f32
    linalg.yield %s1 : i1
  } -> tensor<2x8x6xi1>
  %v_full_init = tensor.empty() : tensor<2x8x6xf32>
  %v_full_fill = linalg.fill ins(%c_f32_0_000000000e_00 : f32) outs(%v_full_init : tensor<2x8x6xf32>) -> tensor<2x8x6xf32>
  %c_i64_0 = arith.constant 0 : i64
  %v_cumsum_acc_init = tensor.empty() : tensor<2x8x6xi64>
  %v_cumsum_acc_fill = linalg.fill ins(%c_i64_0 : i64) outs(%v_cumsum_acc_init : tensor<2x8x6xi64>) -> tensor<2x8x6xi64>
  %v_cumsum = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%v_eq : tensor<2x8x6xi1>)
      outs(%v_cumsum_acc_fill : tensor<2x8x6xi64>) {
  ^bb0(%in0: i1, %out0: i64):
    %s0 = arith.extui %in0 : i1 to i64
    %s1 = linalg.index 3 : index
    %s2 = linalg.index 1 : index
    %s3 = arith.cmpi ule, %s1, %s2 : index
    %s4 = arith.addi %s0, %out0 : i64
    %s5 = arith.select %s3, %s4, %out0 : i64
    linalg.yield %s5 : i64
  } -> tensor<2x8x6xi64>
  %v_eq_1_init = tensor.empty() : tensor<2x8x6xi1>
  %v_eq_1 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_cumsum : tensor<2x8x6xi64>)
      outs(%v_eq_1_init : tensor<2x8x6xi1>) {
  ^bb0(%in0: i64, %out0: i1):
    %s0 = arith.constant 0 : i64
    %s1 = arith.cmpi eq, %in0, %s0 : i64
    linalg.yield %s1 : i1
  } -> tensor<2x8x6xi1>
  %v_bitwise_not_init = tensor.empty() : tensor<2x8x6xi1>
  %v_bitwise_not = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_eq_1 : tensor<2x8x6xi1>)
      outs(%v_bitwise_not_init : tensor<2x8x6xi1>) {
  ^bb0(%in0: i1, %out0: i1):
    %s0 = arith.constant true
    %s1 = arith.xori %in0, %s0 : i1
    linalg.yield %s1 : i1
  } -> tensor<2x8x6xi1>
  %v_scalar_tensor_init = tensor.empty() : tensor<f32>
  %v_scalar_tensor_fill = linalg.fill ins(%c_f32_0_000000000e_00 : f32) outs(%v_scalar_tensor_init : tensor<f32>) -> tensor<f32>
  %v_where_init = tensor.empty() : tensor<2x8x6xf32>
  %v_where = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> ()>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_bitwise_not, %v_scalar_tensor_fill, %v_mul_1 : tensor<2x8x6xi1>, tensor<f32>, tensor<2x8x6xf32>)
      outs(%v_where_init : tensor<2x8x6xf32>) {
  ^bb0(%in0: i1, %in1: f32, %in2: f32, %out0: f32):
    %s0 = arith.select %in0, %in1, %in2 : f32
    linalg.yield %s0 : f32
  } -> tensor<2x8x6xf32>
  %v_flip_init = tensor.empty() : tensor<2x8x6xf32>
  %v_flip = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, -d1 + 7, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_where : tensor<2x8x6xf32>)
      outs(%v_flip_init : tensor<2x8x6xf32>) {
  ^bb0(%in0: f32, %out0: f32):
    linalg.yield %in0 : f32
  } -> tensor<2x8x6xf32>
  %v_cumsum_1_acc_init = tensor.empty() : tensor<2x8x6xf32>
  %v_cumsum_1_acc_fill = linalg.fill ins(%c_f32_0_000000000e_00 : f32) outs(%v_cumsum_1_acc_init : tensor<2x8x6xf32>) -> tensor<2x8x6xf32>
  %v_cumsum_1 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%v_flip : tensor<2x8x6xf32>)
      outs(%v_cumsum_1_acc_fill : tensor<2x8x6xf32>) {
  ^bb0(%in0: f32, %out0: f32):
    %s0 = linalg.index 3 : index
    %s1 = linalg.index 1 : index
    %s2 = arith.cmpi ule, %s0, %s1 : index
    %s3 = arith.addf %in0, %out0 : f32
    %s4 = arith.select %s2, %s3, %out0 : f32
    linalg.yield %s4 : f32
  } -> tensor<2x8x6xf32>
  %v_flip_1_init = tensor.empty() : tensor<2x8x6xf32>
  %v_flip_1 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, -d1 + 7, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_cumsum_1 : tensor<2x8x6xf32>)
      outs(%v_flip_1_init : tensor<2x8x6xf32>) {
  ^bb0(%in0: f32, %out0: f32):
    linalg.yield %in0 : f32
  } -> tensor<2x8x6xf32>
  %v_div_1_init = tensor.empty() : tensor<2x8x6xf32>
  %v_div_1 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_flip_1, %v_sigmoid : tensor<2x8x6xf32>, tensor<2x8x6xf32>)
      outs(%v_div_1_init : tensor<2x8x6xf32>) {
  ^bb0(%in0: f32, %in1: f32, %out0: f32):
    %s0 = arith.divf %in0, %in1 : f32
    linalg.yield %s0 : f32
  } -> tensor<2x8x6xf32>
  %v_where_1_init = tensor.empty() : tensor<2x8x6xf32>
  %v_where_1 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_eq_1, %v_div_1, %v_full_fill : tensor<2x8x6xi1>, tensor<2x8x6xf32>, tensor<2x8x6xf32>)
      outs(%v_where_1_init : tensor<2x8x6xf32>) {
  ^bb0(%in0: i1, %in1: f32, %in2: f32, %out0: f32):
    %s0 = arith.select %in0, %in1, %in2 : f32
    linalg.yield %s0 : f32
  } -> tensor<2x8x6xf32>
  %v_eq_2_init = tensor.empty() : tensor<2x8x6xi1>
  %v_eq_2 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_cumsum : tensor<2x8x6xi64>)
      outs(%v_eq_2_init : tensor<2x8x6xi1>) {
  ^bb0(%in0: i64, %out0: i1):
    %s0 = arith.constant 1 : i64
    %s1 = arith.cmpi eq, %in0, %s0 : i64
    linalg.yield %s1 : i1
  } -> tensor<2x8x6xi1>
  %c_i1_false = arith.constant false
  %v_max_1_vacc_init = tensor.empty() : tensor<2x6xi1>
  %v_max_1_vacc_fill = linalg.fill ins(%c_i1_false : i1) outs(%v_max_1_vacc_init : tensor<2x6xi1>) -> tensor<2x6xi1>
  %v_max_1_iacc_init = tensor.empty() : tensor<2x6xi64>
  %v_max_1_iacc_fill = linalg.fill ins(%c_i64_0 : i64) outs(%v_max_1_iacc_init : tensor<2x6xi64>) -> tensor<2x6xi64>
  %v_max_1:2 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%v_eq_2 : tensor<2x8x6xi1>)
      outs(%v_max_1_vacc_fill, %v_max_1_iacc_fill : tensor<2x6xi1>, tensor<2x6xi64>) {
  ^bb0(%in0: i1, %out0: i1, %out1: i64):
    %s0 = arith.cmpi ugt, %in0, %out0 : i1
    %s1 = linalg.index 1 : index
    %s2 = arith.index_cast %s1 : index to i64
    %s3 = arith.select %s0, %in0, %out0 : i1
    %s4 = arith.select %s0, %s2, %out1 : i64
    linalg.yield %s3, %s4 : i1, i64
  } -> (tensor<2x6xi1>, tensor<2x6xi64>)
  %v_max_1_values = tensor.expand_shape %v_max_1#0 [[0, 1], [2]] output_shape [2, 1, 6] : tensor<2x6xi1> into tensor<2x1x6xi1>
  %v_max_1_indices = tensor.expand_shape %v_max_1#1 [[0, 1], [2]] output_shape [2, 1, 6] : tensor<2x6xi64> into tensor<2x1x6xi64>
  %v_logical_and_init = tensor.empty() : tensor<2x8x6xi1>
  %v_logical_and = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_eq_2, %v_eq : tensor<2x8x6xi1>, tensor<2x8x6xi1>)
      outs(%v_logical_and_init : tensor<2x8x6xi1>) {
  ^bb0(%in0: i1, %in1: i1, %out0: i1):
    %s0 = arith.andi %in0, %in1 : i1
    linalg.yield %s0 : i1
  } -> tensor<2x8x6xi1>
  %v_bitwise_not_1_init = tensor.empty() : tensor<2x8x6xi1>
  %v_bitwise_not_1 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_logical_and : tensor<2x8x6xi1>)
      outs(%v_bitwise_not_1_init : tensor<2x8x6xi1>) {
  ^bb0(%in0: i1, %out0: i1):
    %s0 = arith.constant true
    %s1 = arith.xori %in0, %s0 : i1
    linalg.yield %s1 : i1
  } -> tensor<2x8x6xi1>
  %v_bitwise_and__init = tensor.empty() : tensor<2x8x6xi1>
  %v_bitwise_and_ = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_eq_2, %v_bitwise_not_1 : tensor<2x8x6xi1>, tensor<2x8x6xi1>)
      outs(%v_bitwise_and__init : tensor<2x8x6xi1>) {
  ^bb0(%in0: i1, %in1: i1, %out0: i1):
    %s0 = arith.andi %in0, %in1 : i1
    linalg.yield %s0 : i1
  } -> tensor<2x8x6xi1>
  %v_bitwise_not_2_init = tensor.empty() : tensor<2x8x6xi1>
  %v_bitwise_not_2 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_bitwise_and_ : tensor<2x8x6xi1>)
      outs(%v_bitwise_not_2_init : tensor<2x8x6xi1>) {
  ^bb0(%in0: i1, %out0: i1):
    %s0 = arith.constant true
    %s1 = arith.xori %in0, %s0 : i1
    linalg.yield %s1 : i1
  } -> tensor<2x8x6xi1>
  %v_scalar_tensor_1_init = tensor.empty() : tensor<f32>
  %v_scalar_tensor_1_fill = linalg.fill ins(%c_f32_1_000000000e_00 : f32) outs(%v_scalar_tensor_1_init : tensor<f32>) -> tensor<f32>
  %v_where_2_init = tensor.empty() : tensor<2x8x6xf32>
  %v_where_2 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> ()>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_bitwise_not_2, %v_scalar_tensor_1_fill, %v_sigmoid : tensor<2x8x6xi1>, tensor<f32>, tensor<2x8x6xf32>)
      outs(%v_where_2_init : tensor<2x8x6xf32>) {
  ^bb0(%in0: i1, %in1: f32, %in2: f32, %out0: f32):
    %s0 = arith.select %in0, %in1, %in2 : f32
    linalg.yield %s0 : f32
  } -> tensor<2x8x6xf32>
  %v_cumprod_1_acc_init = tensor.empty() : tensor<2x8x6xf32>
  %v_cumprod_1_acc_fill = linalg.fill ins(%c_f32_1_000000000e_00 : f32) outs(%v_cumprod_1_acc_init : tensor<2x8x6xf32>) -> tensor<2x8x6xf32>
  %v_cumprod_1 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%v_where_2 : tensor<2x8x6xf32>)
      outs(%v_cumprod_1_acc_fill : tensor<2x8x6xf32>) {
  ^bb0(%in0: f32, %out0: f32):
    %s0 = linalg.index 3 : index
    %s1 = linalg.index 1 : index
    %s2 = arith.cmpi ule, %s0, %s1 : index
    %s3 = arith.mulf %in0, %out0 : f32
    %s4 = arith.select %s2, %s3, %out0 : f32
    linalg.yield %s4 : f32
  } -> tensor<2x8x6xf32>
  %v_ne_init = tensor.empty() : tensor<2x8x6xi1>
  %v_ne = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_cumsum : tensor<2x8x6xi64>)
      outs(%v_ne_init : tensor<2x8x6xi1>) {
  ^bb0(%in0: i64, %out0: i1):
    %s0 = arith.constant 1 : i64
    %s1 = arith.cmpi ne, %in0, %s0 : i64
    linalg.yield %s1 : i1
  } -> tensor<2x8x6xi1>
  %v_scalar_tensor_2_init = tensor.empty() : tensor<f32>
  %v_scalar_tensor_2_fill = linalg.fill ins(%c_f32_0_000000000e_00 : f32) outs(%v_scalar_tensor_2_init : tensor<f32>) -> tensor<f32>
  %v_where_3_init = tensor.empty() : tensor<2x8x6xf32>
  %v_where_3 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> ()>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_ne, %v_scalar_tensor_2_fill, %v_div : tensor<2x8x6xi1>, tensor<f32>, tensor<2x8x6xf32>)
      outs(%v_where_3_init : tensor<2x8x6xf32>) {
  ^bb0(%in0: i1, %in1: f32, %in2: f32, %out0: f32):
    %s0 = arith.select %in0, %in1, %in2 : f32
    linalg.yield %s0 : f32
  } -> tensor<2x8x6xf32>
  %v_sub_3_init = tensor.empty() : tensor<2x1x6xi64>
  %v_sub_3 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_max_1_indices : tensor<2x1x6xi64>)
      outs(%v_sub_3_init : tensor<2x1x6xi64>) {
  ^bb0(%in0: i64, %out0: i64):
    %s0 = arith.constant 1 : i64
    %s1 = arith.subi %in0, %s0 : i64
    linalg.yield %s1 : i64
  } -> tensor<2x1x6xi64>
  %v_relu__init = tensor.empty() : tensor<2x1x6xi64>
  %v_relu_ = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_sub_3 : tensor<2x1x6xi64>)
      outs(%v_relu__init : tensor<2x1x6xi64>) {
  ^bb0(%in0: i64, %out0: i64):
    %s0 = arith.sitofp %in0 : i64 to f32
    %s1 = arith.constant 0.000000000e+00 : f32
    %s2 = arith.maximumf %s0, %s1 : f32
    %s3 = arith.fptosi %s2 : f32 to i64
    linalg.yield %s3 : i64
  } -> tensor<2x1x6xi64>
  %v_gather_init = tensor.empty() : tensor<2x1x6xf32>
  %v_gather = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_relu_ : tensor<2x1x6xi64>)
      outs(%v_gather_init : tensor<2x1x6xf32>) {
  ^bb0(%in0: i64, %out0: f32):
    %s0 = linalg.index 0 : index
    %s1 = linalg.index 1 : index
    %s2 = linalg.index 2 : index
    %s3 = arith.index_cast %in0 : i64 to index
    %s4 = arith.constant 0 : index
    %s5 = arith.cmpi slt, %s3, %s4 : index
    %s6 = arith.constant 8 : index
    %s7 = arith.addi %s3, %s6 : index
    %s8 = arith.select %s5, %s7, %s3 : index
    %s9 = tensor.extract %v_cumprod[%s0, %s8, %s2] : tensor<2x8x6xf32>
    linalg.yield %s9 : f32
  } -> tensor<2x1x6xf32>
  %v_eq_3_init = tensor.empty() : tensor<2x1x6xi1>
  %v_eq_3 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_max_1_indices : tensor<2x1x6xi64>)
      outs(%v_eq_3_init : tensor<2x1x6xi1>) {
  ^bb0(%in0: i64, %out0: i1):
    %s0 = arith.constant 0 : i64
    %s1 = arith.cmpi eq, %in0, %s0 : i64
    linalg.yield %s1 : i1
  } -> tensor<2x1x6xi1>
  %v_scalar_tensor_3_init = tensor.empty() : tensor<f32>
  %v_scalar_tensor_3_fill = linalg.fill ins(%c_f32_1_000000000e_00 : f32) outs(%v_scalar_tensor_3_init : tensor<f32>) -> tensor<f32>
  %v_where_4_init = tensor.empty() : tensor<2x1x6xf32>
  %v_where_4 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> ()>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_eq_3, %v_scalar_tensor_3_fill, %v_gather : tensor<2x1x6xi1>, tensor<f32>, tensor<2x1x6xf32>)
      outs(%v_where_4_init : tensor<2x1x6xf32>) {
  ^bb0(%in0: i1, %in1: f32, %in2: f32, %out0: f32):
    %s0 = arith.select %in0, %in1, %in2 : f32
    linalg.yield %s0 : f32
  } -> tensor<2x1x6xf32>
  %v_mul_2_init = tensor.empty() : tensor<2x8x6xf32>
  %v_mul_2 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_cumprod_1, %v_where_3 : tensor<2x8x6xf32>, tensor<2x8x6xf32>)
      outs(%v_mul_2_init : tensor<2x8x6xf32>) {
  ^bb0(%in0: f32, %in1: f32, %out0: f32):
    %s0 = arith.mulf %in0, %in1 : f32
    linalg.yield %s0 : f32
  } -> tensor<2x8x6xf32>
  %v_sum_4_acc_init = tensor.empty() : tensor<2x6xf32>
  %v_sum_4_acc_fill = linalg.fill ins(%c_f32_0_000000000e_00 : f32) outs(%v_sum_4_acc_init : tensor<2x6xf32>) -> tensor<2x6xf32>
  %v_sum_4 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%v_mul_2 : tensor<2x8x6xf32>)
      outs(%v_sum_4_acc_fill : tensor<2x6xf32>) {
  ^bb0(%in0: f32, %out0: f32):
    %s0 = arith.addf %in0, %out0 : f32
    linalg.yield %s0 : f32
  } -> tensor<2x6xf32>
  %v_sum_4_keep = tensor.expand_shape %v_sum_4 [[0, 1], [2]] output_shape [2, 1, 6] : tensor<2x6xf32> into tensor<2x1x6xf32>
  %v_mul_3_init = tensor.empty() : tensor<2x1x6xf32>
  %v_mul_3 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_sum_4_keep, %v_where_4 : tensor<2x1x6xf32>, tensor<2x1x6xf32>)
      outs(%v_mul_3_init : tensor<2x1x6xf32>) {
  ^bb0(%in0: f32, %in1: f32, %out0: f32):
    %s0 = arith.mulf %in0, %in1 : f32
    linalg.yield %s0 : f32
  } -> tensor<2x1x6xf32>
  %v_where_5_init = tensor.empty() : tensor<2x8x6xf32>
  %v_where_5 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, 0, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_logical_and, %v_mul_3, %v_where_1 : tensor<2x8x6xi1>, tensor<2x1x6xf32>, tensor<2x8x6xf32>)
      outs(%v_where_5_init : tensor<2x8x6xf32>) {
  ^bb0(%in0: i1, %in1: f32, %in2: f32, %out0: f32):
    %s0 = arith.select %in0, %in1, %in2 : f32
    linalg.yield %s0 : f32
  } -> tensor<2x8x6xf32>
  %v_sub_4_init = tensor.empty() : tensor<2x8x6xf32>
  %v_sub_4 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_sigmoid : tensor<2x8x6xf32>)
      outs(%v_sub_4_init : tensor<2x8x6xf32>) {
  ^bb0(%in0: f32, %out0: f32):
    %s0 = arith.constant 1.000000000e+00 : f32
    %s1 = arith.subf %s0, %in0 : f32
    linalg.yield %s1 : f32
  } -> tensor<2x8x6xf32>
  %v_mul_4_init = tensor.empty() : tensor<2x8x6xf32>
  %v_mul_4 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_sigmoid, %v_sub_4 : tensor<2x8x6xf32>, tensor<2x8x6xf32>)
      outs(%v_mul_4_init : tensor<2x8x6xf32>) {
  ^bb0(%in0: f32, %in1: f32, %out0: f32):
    %s0 = arith.mulf %in0, %in1 : f32
    linalg.yield %s0 : f32
  } -> tensor<2x8x6xf32>
  %v_mul_5_init = tensor.empty() : tensor<2x8x6xf32>
  %v_mul_5 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v_where_5, %v_mul_4 : tensor<2x8x6xf32>, tensor<2x8x6xf32>)
      outs(%v_mul_5_init : tensor<2x8x6xf32>) {
  ^bb0(%in0: f32, %in1: f32, %out0: f32):
    %s0 = arith.mulf %in0, %in1 : f32
    linalg.yield %s0 : f32
  } -> tensor<2x8x6xf32>
  %v_view_3 = tensor.collapse_shape %v_mul_5 [[0, 1], [2]] : tensor<2x8x6xf32> into tensor<16x6xf32>
  %v_mm_2_acc_init = tensor.empty() : tensor<6x6xf32>
  %v_mm_2_acc_fill = linalg.fill ins(%c_f32_0_000000000e_00 : f32) outs(%v_mm_2_acc_init : tensor<6x6xf32>) -> tensor<6x6xf32>
  %v_mm_2 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d2, d0)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%v_view_3, %v_view : tensor<16x6xf32>, tensor<16x6xf32>)
      outs(%v_mm_2_acc_fill : tensor<6x6xf32>) {
  ^bb0(%in0: f32, %in1: f32, %out0: f32):
    %s0 = arith.mulf %in0, %in1 : f32
    %s1 = arith.addf %s0, %out0 : f32
    linalg.yield %s1 : f32
  } -> tensor<6x6xf32>
  %v_sum_5_acc_init = tensor.empty() : tensor<6xf32>
  %v_sum_5_acc_fill = linalg.fill ins(%c_f32_0_000000000e_00 : f32) outs(%v_sum_5_acc_init : tensor<6xf32>) -> tensor<6xf32>
  %v_sum_5 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>], iterator_types = ["reduction", "parallel"]}
      ins(%v_view_3 : tensor<16x6xf32>)
      outs(%v_sum_5_acc_fill : tensor<6xf32>) {
  ^bb0(%in0: f32, %out0: f32):
    %s0 = arith.addf %in0, %out0 : f32
    linalg.yield %s0 : f32
  } -> tensor<6xf32>
  %v_sum_5_keep = tensor.expand_shape %v_sum_5 [[0, 1]] output_shape [1, 6] : tensor<6xf32> into tensor<1x6xf32>
  %v_view_4 = tensor.collapse_shape %v_sum_5_keep [[0, 1]] : tensor<1x6xf32> into tensor<6xf32>
  %v_full_like_1_init = tensor.empty() : tensor<6x6xf32>
  %v_full_like_1_fill = linalg.fill ins(%c_f32_0_000000000e_00 : f32) outs(%v_full_like_1_init : tensor<6x6xf32>) -> tensor<6x6xf32>
  %v_full_like_2_init = tensor.empty() : tensor<6xf32>
  %v_full_like_2_fill = linalg.fill ins(%c_f32_0_000000000e_00 : f32) outs(%v_full_like_2_init : tensor<6xf32>) -> tensor<6xf32>
  %v_result_init = tensor.empty() : tensor<6x6xf32>
  %v_result = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%v_mm_2 : tensor<6x6xf32>)
      outs(%v_result_init : tensor<6x6xf32>) {
  ^bb0(%in0: f32, %out0: f32):
    linalg.yield %in0 : f32
  } -> tensor<6x6xf32>
  %v_result_init_1 = tensor.empty() : tensor<5x6xf32>
  %v_result_1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%v_mm_1 : tensor<5x6xf32>)
      outs(%v_result_init_1 : tensor<5x6xf32>) {
  ^bb0(%in0: f32, %out0: f32):
    linalg.yield %in0 : f32
  } -> tensor<5x6xf32>
  return %v_nll_loss_forward, %v_result, %v_view_4, %v_full_like_1_fill, %v_full_like_2_fill, %v_result_1, %v_view_2 : tensor<f32>, tensor<6x6xf32>, tensor<6xf32>, tensor<6x6xf32>, tensor<6xf32>, tensor<5x6xf32>, tensor<5xf32>
}
