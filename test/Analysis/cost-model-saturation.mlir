// FLOP sums saturate at INT64_MAX instead of wrapping: two forward ops of
// INT64_MAX FLOPs each were once reported as "forward 446 FLOPs".
// RUN: remat-opt %s --remat-report -o /dev/null 2>&1 | FileCheck %s
// RUN: remat-opt %s --remat-test-cost-model | FileCheck %s --check-prefix=REGION

// CHECK: forward 9223372036854775807 FLOPs, backward 9223372036854775807 FLOPs
func.func @step(%x: tensor<4xf32>) -> (tensor<4xf32> {remat.loss}, tensor<4xf32>) {
  %a = math.exp %x {remat.flops = 9223372036854775807 : i64} : tensor<4xf32>
  %b = math.exp %a {remat.flops = 9223372036854775807 : i64} : tensor<4xf32>
  %g = arith.mulf %b, %a {remat.flops = 9223372036854775807 : i64} : tensor<4xf32>
  %h = arith.mulf %g, %a {remat.flops = 9223372036854775807 : i64} : tensor<4xf32>
  return %b, %h : tensor<4xf32>, tensor<4xf32>
}

// A region op without a cost model costs the sum of what it holds.
// REGION-LABEL: func.func @region
// REGION: scf.execute_region
// REGION: } {{{.*}}remat.test.flops = 9223372036854775807 : i64}
func.func @region(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = scf.execute_region -> tensor<4xf32> {
    %a = math.exp %x {remat.flops = 9223372036854775807 : i64} : tensor<4xf32>
    %b = math.exp %a {remat.flops = 9223372036854775807 : i64} : tensor<4xf32>
    scf.yield %b : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
