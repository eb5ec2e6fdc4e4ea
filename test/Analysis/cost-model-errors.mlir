// `remat.flops` overrides an op's FLOPs; the remat dialect verifies it before
// any pass runs, so no pass plans with a negative count.
// RUN: remat-opt %s --split-input-file --verify-diagnostics
// RUN: remat-opt %s --split-input-file --verify-diagnostics --remat-checkpoint="budget=0.5"
// RUN: remat-opt %s --split-input-file --verify-diagnostics --remat-report

func.func @negative(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{'remat.flops' must not be negative, got -17999933824 : i64}}
  %y = math.exp %x {remat.flops = -17999933824 : i64} : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @not_an_integer(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{'remat.flops' must be an integer (a FLOP count), got 1.000000e+03 : f32}}
  %y = math.exp %x {remat.flops = 1.0e3 : f32} : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @too_large(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{'remat.flops' must be at most INT64_MAX}}
  %y = math.exp %x {remat.flops = 9223372036854775808 : i128} : tensor<4xf32>
  return %y : tensor<4xf32>
}
