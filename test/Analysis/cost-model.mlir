// RUN: remat-opt %s --allow-unregistered-dialect --remat-test-cost-model --verify-diagnostics | FileCheck %s

// FLOPs per op family, derived by hand in the comments. Bytes are element
// count x element bit width / 8.
// CHECK-LABEL: func @costs
#id = affine_map<(d0) -> (d0)>
func.func @costs(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %v: tensor<32xf32>,
                 %img: tensor<1x8x8x3xf32>, %filt: tensor<3x3x3x4xf32>,
                 %ba: tensor<2x4x8xf32>, %bb: tensor<2x8x16xf32>,
                 %h: tensor<32xf16>, %i: tensor<32xi8>) -> tensor<4x16xf32> {
  %zero = arith.constant 0.0 : f32
  // CHECK: tensor.empty() {remat.test.bytes = array<i64: 256>, remat.test.bytes_moved = 0 : i64, remat.test.flops = 0 : i64}
  %e = tensor.empty() : tensor<4x16xf32>
  // A fill does no arithmetic; it writes its 256 bytes.
  // CHECK: linalg.fill {remat.test.bytes = array<i64: 256>, remat.test.bytes_moved = 256 : i64, remat.test.flops = 0 : i64}
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  // 4x16 outputs x 8 reductions x (mul + add) = 1024.
  // CHECK: linalg.matmul {remat.test.bytes = array<i64: 256>, remat.test.bytes_moved = 0 : i64, remat.test.flops = 1024 : i64}
  %m = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%f : tensor<4x16xf32>) -> tensor<4x16xf32>
  // 2 batches x 4x16 outputs x 8 x 2 = 2048.
  // CHECK: linalg.batch_matmul {remat.test.bytes = array<i64: 512>, remat.test.bytes_moved = 0 : i64, remat.test.flops = 2048 : i64}
  %be = tensor.empty() : tensor<2x4x16xf32>
  %bm = linalg.batch_matmul ins(%ba, %bb : tensor<2x4x8xf32>, tensor<2x8x16xf32>) outs(%be : tensor<2x4x16xf32>) -> tensor<2x4x16xf32>
  // 6x6x4 outputs x 3x3x3 window x 2 = 7776.
  // CHECK: linalg.conv_2d_nhwc_hwcf {{.*}}remat.test.flops = 7776 : i64
  %ce = tensor.empty() : tensor<1x6x6x4xf32>
  %conv = linalg.conv_2d_nhwc_hwcf ins(%img, %filt : tensor<1x8x8x3xf32>, tensor<3x3x3x4xf32>) outs(%ce : tensor<1x6x6x4xf32>) -> tensor<1x6x6x4xf32>
  // A generic costs its 32 iterations x the 2 arithmetic ops of its payload.
  // CHECK: linalg.generic
  // CHECK-SAME: remat.test.flops = 64 : i64
  %ge = tensor.empty() : tensor<32xf32>
  %g = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%v : tensor<32xf32>) outs(%ge : tensor<32xf32>) {
    ^bb0(%in: f32, %out: f32):
      %x = arith.mulf %in, %in : f32
      %y = arith.addf %x, %out : f32
      linalg.yield %y : f32
  } -> tensor<32xf32>
  // A transpose moves its 256 bytes.
  // CHECK: linalg.transpose {{.*}}remat.test.bytes_moved = 256 : i64, remat.test.flops = 0 : i64
  %te = tensor.empty() : tensor<16x4xf32>
  %t = linalg.transpose ins(%m : tensor<4x16xf32>) outs(%te : tensor<16x4xf32>) permutation = [1, 0]
  // Elementwise arith and math on tensors: one per element; f16 and i8
  // elements are 2 and 1 bytes.
  // CHECK: arith.addf {{.*}}remat.test.bytes = array<i64: 128>, remat.test.bytes_moved = 0 : i64, remat.test.flops = 32 : i64
  %s = arith.addf %v, %g : tensor<32xf32>
  // CHECK: math.exp {{.*}}remat.test.bytes = array<i64: 64>, remat.test.bytes_moved = 0 : i64, remat.test.flops = 32 : i64
  %hx = math.exp %h : tensor<32xf16>
  // CHECK: arith.addi {{.*}}remat.test.bytes = array<i64: 32>, remat.test.bytes_moved = 0 : i64, remat.test.flops = 32 : i64
  %ix = arith.addi %i, %i : tensor<32xi8>
  // Views cost nothing; data movement notes its bytes.
  // CHECK: tensor.expand_shape {{.*}}remat.test.bytes = array<i64: 128>, remat.test.bytes_moved = 0 : i64, remat.test.flops = 0 : i64
  %xs = tensor.expand_shape %s [[0, 1]] output_shape [4, 8] : tensor<32xf32> into tensor<4x8xf32>
  // CHECK: tensor.pad
  // CHECK: } {remat.test.bytes = array<i64: 144>, remat.test.bytes_moved = 144 : i64, remat.test.flops = 0 : i64}
  %p = tensor.pad %v low[2] high[2] {
    ^bb0(%idx: index):
      tensor.yield %zero : f32
  } : tensor<32xf32> to tensor<36xf32>
  // CHECK: tensor.insert_slice {{.*}}remat.test.bytes = array<i64: 256>, remat.test.bytes_moved = 128 : i64, remat.test.flops = 0 : i64
  %ins = tensor.insert_slice %xs into %m[0, 0] [4, 8] [1, 1] : tensor<4x8xf32> into tensor<4x16xf32>
  // tosa: matmul [1,4,8] x [1,8,16]: 64 outputs x 8 x 2 = 1024; add: 32.
  // CHECK: tosa.matmul {{.*}}remat.test.flops = 1024 : i64
  %ta = tensor.expand_shape %a [[0, 1], [2]] output_shape [1, 4, 8] : tensor<4x8xf32> into tensor<1x4x8xf32>
  %tb = tensor.expand_shape %b [[0, 1], [2]] output_shape [1, 8, 16] : tensor<8x16xf32> into tensor<1x8x16xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %tm = tosa.matmul %ta, %tb, %zp, %zp : (tensor<1x4x8xf32>, tensor<1x8x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x16xf32>
  // CHECK: tosa.add {{.*}}remat.test.flops = 32 : i64
  %tadd = tosa.add %v, %v : (tensor<32xf32>, tensor<32xf32>) -> tensor<32xf32>
  // The `remat.flops` attribute overrides the model.
  // CHECK: math.tanh {{.*}}remat.test.flops = 999 : i64
  %o = math.tanh %v {remat.flops = 999} : tensor<32xf32>
  // An op without a model: one per result element, and a remark.
  // CHECK: "foreign.op"{{.*}}remat.test.flops = 32 : i64
  // expected-remark @below {{no cost model for 'foreign.op'; estimated 32 FLOPs, one per result element (set the 'remat.flops' attribute to override)}}
  %u = "foreign.op"(%v) : (tensor<32xf32>) -> tensor<32xf32>
  // A region op without a model costs what its body runs: 32 + 32.
  // CHECK: scf.execute_region
  // CHECK: remat.test.flops = 64 : i64
  %r = scf.execute_region -> tensor<32xf32> {
    %r1 = math.exp %v : tensor<32xf32>
    %r2 = math.exp %r1 : tensor<32xf32>
    scf.yield %r2 : tensor<32xf32>
  }
  // An scf.for with constant bounds costs its body per iteration: 5 x 32;
  // with other bounds, once.
  // CHECK: scf.for
  // CHECK: remat.test.flops = 160 : i64
  // CHECK: scf.for
  // CHECK: remat.test.flops = 32 : i64
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %l = scf.for %k = %c0 to %c5 step %c1 iter_args(%h1 = %v) -> (tensor<32xf32>) {
    %e1 = math.exp %h1 : tensor<32xf32>
    scf.yield %e1 : tensor<32xf32>
  }
  %n = tensor.dim %v, %c0 : tensor<32xf32>
  %d = scf.for %k2 = %c0 to %n step %c1 iter_args(%h2 = %v) -> (tensor<32xf32>) {
    %e2 = math.exp %h2 : tensor<32xf32>
    scf.yield %e2 : tensor<32xf32>
  }
  return %ins : tensor<4x16xf32>
}
