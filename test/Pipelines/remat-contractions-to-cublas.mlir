// RUN: remat-opt %s --split-input-file --remat-contractions-to-cublas | FileCheck %s

// Row-major C = A B is C^T = B^T A^T for column-major cuBLAS: m and n swap,
// B comes first, nothing is transposed. The zero fill of the fresh C goes:
// cuBLAS writes C (accumulate 0). The buffer stays allocated where it was.
// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[A:.*]]: memref<32x64xf32>, %[[B:.*]]: memref<64x16xf32>
// CHECK: %[[C:.*]] = memref.alloc() : memref<32x16xf32>
// CHECK-NOT: linalg.fill
// CHECK-DAG: %[[F:.*]] = llvm.mlir.constant(0 : i64) : i64
// CHECK-DAG: %[[M:.*]] = llvm.mlir.constant(16 : i64) : i64
// CHECK-DAG: %[[N:.*]] = llvm.mlir.constant(32 : i64) : i64
// CHECK-DAG: %[[K:.*]] = llvm.mlir.constant(64 : i64) : i64
// CHECK-DAG: %[[ONE:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK-DAG: memref.extract_strided_metadata %[[B]]
// CHECK-DAG: memref.extract_strided_metadata %[[A]]
// CHECK-DAG: memref.extract_strided_metadata %[[C]]
// CHECK: llvm.call @remat_cublas_sgemm(%[[F]], %[[F]], %[[M]], %[[N]], %[[K]], %{{.*}}, %[[M]], %[[F]], %{{.*}}, %[[K]], %[[F]], %[[F]], %{{.*}}, %[[M]], %[[F]], %[[ONE]])
// CHECK-NOT: linalg.matmul
// CHECK: memref.dealloc %[[C]]
// CHECK: llvm.func @remat_cublas_sgemm(i64, i64, i64, i64, i64, !llvm.ptr, i64, i64, !llvm.ptr, i64, i64, i64, !llvm.ptr, i64, i64, i64)
func.func @matmul(%a: memref<32x64xf32>, %b: memref<64x16xf32>, %out: memref<32x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<32x16xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<32x16xf32>)
  linalg.matmul ins(%a, %b : memref<32x64xf32>, memref<64x16xf32>) outs(%c : memref<32x16xf32>)
  memref.copy %c, %out : memref<32x16xf32> to memref<32x16xf32>
  memref.dealloc %c : memref<32x16xf32>
  return
}

// -----

// x W^T (a linear layer as the PyTorch exporter writes it, bias already in C):
// W (16x64, row-major) is read transposed (transa 1, lda 64); C is not fresh,
// so the GEMM adds to it (accumulate 1).
// CHECK-LABEL: func.func @linear
// CHECK-DAG: %[[F:.*]] = llvm.mlir.constant(0 : i64) : i64
// CHECK-DAG: %[[T:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK-DAG: %[[M:.*]] = llvm.mlir.constant(16 : i64) : i64
// CHECK-DAG: %[[N:.*]] = llvm.mlir.constant(32 : i64) : i64
// CHECK-DAG: %[[K:.*]] = llvm.mlir.constant(64 : i64) : i64
// CHECK: llvm.call @remat_cublas_sgemm(%[[T]], %[[F]], %[[M]], %[[N]], %[[K]], %{{.*}}, %[[K]], %[[F]], %{{.*}}, %[[K]], %[[F]], %[[T]], %{{.*}}, %[[M]], %[[F]], %[[T]])
// CHECK-NOT: linalg.generic
func.func @linear(%x: memref<32x64xf32>, %w: memref<16x64xf32>, %y: memref<32x16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>,
                                   affine_map<(d0, d1, d2) -> (d1, d2)>,
                                   affine_map<(d0, d1, d2) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<32x64xf32>, memref<16x64xf32>) outs(%y : memref<32x16xf32>) {
  ^bb0(%in0: f32, %in1: f32, %acc: f32):
    %p = arith.mulf %in0, %in1 : f32
    %s = arith.addf %p, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Weight gradient x^T dy: x (8x32) is read transposed as cuBLAS's B.
// CHECK-LABEL: func.func @weight_gradient
// CHECK-DAG: %[[F:.*]] = llvm.mlir.constant(0 : i64) : i64
// CHECK-DAG: %[[T:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK-DAG: %[[M:.*]] = llvm.mlir.constant(16 : i64) : i64
// CHECK-DAG: %[[N:.*]] = llvm.mlir.constant(32 : i64) : i64
// CHECK-DAG: %[[K:.*]] = llvm.mlir.constant(8 : i64) : i64
// CHECK: llvm.call @remat_cublas_sgemm(%[[F]], %[[T]], %[[M]], %[[N]], %[[K]], %{{.*}}, %[[M]], %[[F]], %{{.*}}, %[[N]], %[[F]], %[[T]], %{{.*}}, %[[M]], %[[F]], %[[T]])
func.func @weight_gradient(%x: memref<8x32xf32>, %dy: memref<8x16xf32>, %dw: memref<32x16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d2, d0)>,
                                   affine_map<(d0, d1, d2) -> (d2, d1)>,
                                   affine_map<(d0, d1, d2) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %dy : memref<8x32xf32>, memref<8x16xf32>) outs(%dw : memref<32x16xf32>) {
  ^bb0(%in0: f32, %in1: f32, %acc: f32):
    %p = arith.mulf %in0, %in1 : f32
    %s = arith.addf %p, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A batch: one strided batched GEMM, each operand's batch stride its own.
// CHECK-LABEL: func.func @batch_matmul
// CHECK-DAG: %[[F:.*]] = llvm.mlir.constant(0 : i64) : i64
// CHECK-DAG: %[[BATCH:.*]] = llvm.mlir.constant(4 : i64) : i64
// CHECK-DAG: %[[SA:.*]] = llvm.mlir.constant(512 : i64) : i64
// CHECK-DAG: %[[SB:.*]] = llvm.mlir.constant(128 : i64) : i64
// CHECK-DAG: %[[SC:.*]] = llvm.mlir.constant(256 : i64) : i64
// CHECK: llvm.call @remat_cublas_sgemm(%[[F]], %[[F]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[SA]], %{{.*}}, %{{.*}}, %[[SB]], %{{.*}}, %{{.*}}, %{{.*}}, %[[SC]], %[[BATCH]])
func.func @batch_matmul(%a: memref<4x8x16xf32>, %b: memref<4x16x32xf32>, %c: memref<4x8x32xf32>) {
  linalg.batch_matmul ins(%a, %b : memref<4x8x16xf32>, memref<4x16x32xf32>) outs(%c : memref<4x8x32xf32>)
  return
}

// -----

// f64 calls the dgemm entry point; a view's offset moves the address.
// CHECK-LABEL: func.func @f64_view
// CHECK: %{{.*}}, %[[OFFSET:.*]], %{{.*}}:2, %{{.*}}:2 = memref.extract_strided_metadata %{{.*}} : memref<4x8xf64, strided<[16, 1], offset: 8>>
// CHECK: llvm.call @remat_cublas_dgemm(
// CHECK: llvm.func @remat_cublas_dgemm(
func.func @f64_view(%a: memref<4x16xf64>, %b: memref<8x8xf64>, %c: memref<4x8xf64>) {
  %v = memref.subview %a[0, 8] [4, 8] [1, 1] : memref<4x16xf64> to memref<4x8xf64, strided<[16, 1], offset: 8>>
  linalg.matmul ins(%v, %b : memref<4x8xf64, strided<[16, 1], offset: 8>>, memref<8x8xf64>) outs(%c : memref<4x8xf64>)
  return
}

// -----

// The zero fill stays when something reads C between it and the GEMM, and
// what cuBLAS cannot take stays a loop: integers, a convolution.
// CHECK-LABEL: func.func @stays
// CHECK: linalg.fill
// CHECK: linalg.generic
// CHECK: llvm.call @remat_cublas_sgemm
// CHECK: linalg.matmul ins(%{{.*}} : memref<4x4xi32>, memref<4x4xi32>)
// CHECK: linalg.conv_2d_nchw_fchw
func.func @stays(%a: memref<4x4xf32>, %b: memref<4x4xf32>, %s: memref<4xf32>,
                 %i: memref<4x4xi32>, %o: memref<4x4xi32>,
                 %x: memref<1x2x6x6xf32>, %w: memref<3x2x3x3xf32>, %y: memref<1x3x4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<4x4xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<4x4xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%c : memref<4x4xf32>) outs(%s : memref<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %t = arith.addf %in, %acc : f32
    linalg.yield %t : f32
  }
  linalg.matmul ins(%a, %b : memref<4x4xf32>, memref<4x4xf32>) outs(%c : memref<4x4xf32>)
  memref.dealloc %c : memref<4x4xf32>
  linalg.matmul ins(%i, %i : memref<4x4xi32>, memref<4x4xi32>) outs(%o : memref<4x4xi32>)
  linalg.conv_2d_nchw_fchw ins(%x, %w : memref<1x2x6x6xf32>, memref<3x2x3x3xf32>) outs(%y : memref<1x3x4x4xf32>)
  return
}

// -----

// A 1x1 convolution with unit strides is a GEMM per image: rows along the
// 4x4 plane (16), columns along F (3), depth C (2), one batch entry per
// image (strides C*H*W = 32 and F*H*W = 48), the filter shared (stride 0).
// CHECK-LABEL: func.func @pointwise_conv
// CHECK-DAG: %[[F:.*]] = llvm.mlir.constant(0 : i64) : i64
// CHECK-DAG: %[[T:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK-DAG: %[[C2:.*]] = llvm.mlir.constant(2 : i64) : i64
// CHECK-DAG: %[[C3:.*]] = llvm.mlir.constant(3 : i64) : i64
// CHECK-DAG: %[[C16:.*]] = llvm.mlir.constant(16 : i64) : i64
// CHECK-DAG: %[[C32:.*]] = llvm.mlir.constant(32 : i64) : i64
// CHECK-DAG: %[[C48:.*]] = llvm.mlir.constant(48 : i64) : i64
// CHECK: llvm.call @remat_cublas_sgemm(%[[F]], %[[F]], %[[C16]], %[[C3]], %[[C2]], %{{.*}}, %[[C16]], %[[C32]], %{{.*}}, %[[C2]], %[[F]], %[[T]], %{{.*}}, %[[C16]], %[[C48]], %[[C2]])
// CHECK-NOT: linalg.conv_2d_nchw_fchw
func.func @pointwise_conv(%x: memref<2x2x4x4xf32>, %w: memref<3x2x1x1xf32>, %y: memref<2x3x4x4xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : memref<2x2x4x4xf32>, memref<3x2x1x1xf32>) outs(%y : memref<2x3x4x4xf32>)
  return
}

// -----

// Strided 1x1 convolutions read every other pixel: not a GEMM, a loop.
// CHECK-LABEL: func.func @strided_pointwise_conv
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK-NOT: llvm.call
func.func @strided_pointwise_conv(%x: memref<1x2x4x4xf32>, %w: memref<3x2x1x1xf32>, %y: memref<1x3x2x2xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : memref<1x2x4x4xf32>, memref<3x2x1x1xf32>) outs(%y : memref<1x3x2x2xf32>)
  return
}
