//===- Passes.td - passes of remat's lowering pipelines ----*- tablegen -*-===//
//
// Small passes that make the lowered program follow remat's memory model
// (docs/lowering.md) or map the bufferized step onto the CPU or the GPU. They
// run inside --remat-pipeline-cpu / --remat-pipeline-nvvm.
//
//===----------------------------------------------------------------------===//

#ifndef REMAT_PIPELINES_PASSES
#define REMAT_PIPELINES_PASSES

include "mlir/Pass/PassBase.td"

def RematLowerTosa : Pass<"remat-lower-tosa", "mlir::func::FuncOp"> {
  let summary = "Lower TOSA to linalg, tensor, arith and scf";
  let description = [{
    In a function that holds TOSA ops (recompute regions included), runs
    upstream's lowering of them: the decompositions of transposed (and 1x1
    depthwise) convolutions, `tosa-to-linalg-named`, `tosa-to-linalg`, the
    constants and `apply_scale` (which `tosa.rescale` leaves) to arith,
    `tosa-to-tensor`, `tosa-to-scf`; no canonicalization, shape inference or
    folding. A function without TOSA is left exactly as it is: upstream's
    passes change ops that are not theirs (`tosa-to-tensor`'s conversion
    folds a `linalg.index` of a unit dimension; the greedy driver of
    `tosa-optional-decompositions` and `tosa-to-arith` folds whatever it
    visits), so their patterns are applied here to the TOSA ops only. The
    pipelines run it first, before they plan, so that the plan is made on
    the ops the program runs (docs/memory-model.md, "TOSA").

    ```mlir
    %h = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, pad = array<i64: 1, 1, 1, 1>, ...}
    // becomes
    %padded = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] { ... }
    %init = linalg.generic ... ins(%b) outs(%empty)   // the bias, broadcast
    %h = linalg.conv_2d_nhwc_fhwc ins(%padded, %w) outs(%init)
    ```
  }];
}

def RematReadonlyArguments
    : Pass<"remat-readonly-arguments", "mlir::func::FuncOp"> {
  let summary = "Mark tensor arguments non-writable for bufferization";
  let description = [{
    The memory model never writes into a function argument (parameters and
    batch belong to the caller). One-shot bufferization with function
    boundaries would otherwise write a destination-style op in place into an
    argument used as its `outs`. This pass sets `bufferization.writable =
    false` on every tensor argument, so such an op gets a buffer of its own,
    as the simulator assumes.

    ```mlir
    func.func @f(%a: tensor<4xf32>) -> tensor<4xf32>
    // becomes
    func.func @f(%a: tensor<4xf32> {bufferization.writable = false}) -> tensor<4xf32>
    ```
  }];
  let dependentDialects = ["mlir::bufferization::BufferizationDialect"];
}

def RematSinkAllocations
    : Pass<"remat-sink-allocations", "mlir::func::FuncOp"> {
  let summary = "Move each allocation right before its first user";
  let description = [{
    The memory model counts a buffer from its first writer (a `tensor.empty`
    allocates nothing by itself). Bufferization allocates at the
    `tensor.empty`, which may sit above unrelated ops, e.g. a recompute
    region the planner placed between an init and its user. This pass moves
    each `memref.alloc` of the function body down to right before the first
    op of the same block that uses it, so nothing is allocated earlier than
    the model says.

    ```mlir
    %a = memref.alloc() : memref<8xf32>
    %b = memref.alloc() : memref<8xf32>
    linalg.fill ins(%c : f32) outs(%b : memref<8xf32>)
    linalg.fill ins(%c : f32) outs(%a : memref<8xf32>)
    // becomes
    %b = memref.alloc() : memref<8xf32>
    linalg.fill ins(%c : f32) outs(%b : memref<8xf32>)
    %a = memref.alloc() : memref<8xf32>
    linalg.fill ins(%c : f32) outs(%a : memref<8xf32>)
    ```
  }];
}

def RematFreeTogether : Pass<"remat-free-together", "mlir::func::FuncOp"> {
  let summary = "Free the buffers that one op writes together";
  let description = [{
    A multi-result op (a reduction into a sum and a count, a max pool with its
    indices) writes several buffers. The memory model keeps them one node of
    the planning problem, with one lifetime: they are freed together, after
    the last use of any of them (docs/memory-model.md). Run after the
    deallocations are placed (`optimize-allocation-liveness`), this pass moves
    the `memref.dealloc` of every buffer that a destination-style op writes
    together with others down to the latest of their deallocations, so the
    program frees what the model frees.

    ```mlir
    linalg.generic ... outs(%sum, %count : memref<f32>, memref<f32>)
    ... uses of %sum ...
    memref.dealloc %sum : memref<f32>
    ... uses of %count ...
    memref.dealloc %count : memref<f32>
    // becomes
    linalg.generic ... outs(%sum, %count : memref<f32>, memref<f32>)
    ... uses of %sum ...
    ... uses of %count ...
    memref.dealloc %sum : memref<f32>
    memref.dealloc %count : memref<f32>
    ```
  }];
}

def RematVectorizeContractions
    : Pass<"remat-vectorize-contractions", "mlir::func::FuncOp"> {
  let summary = "Tile buffer matmuls to register tiles and vectorize them";
  let description = [{
    Tiles every `linalg.matmul` and `linalg.batch_matmul` on buffers into
    register tiles whose sizes divide the static shape (at most
    `tile-m` x `tile-n` x `tile-k`, batch 1), so every tile is a full static
    tile, and vectorizes each tile to a `vector.contract`. The tile sizes
    depend only on the op's shapes, so an op lowers the same way whether the
    planner recomputed it or not: planned and unplanned programs compute
    bitwise the same values.

    ```mlir
    linalg.matmul ins(%a, %b : memref<32x64xf32>, memref<64x128xf32>) outs(%c : memref<32x128xf32>)
    // becomes
    scf.for %i = %c0 to %c32 step %c8 {
      scf.for %j = %c0 to %c128 step %c16 {
        scf.for %k = %c0 to %c64 step %c16 {
          ... vector.transfer_read ... vector.contract ... vector.transfer_write
    ```
  }];
  let options = [
    Option<"tileM", "tile-m", "int64_t", /*default=*/"8",
           "Largest tile along the rows of the result">,
    Option<"tileN", "tile-n", "int64_t", /*default=*/"16",
           "Largest tile along the columns of the result">,
    Option<"tileK", "tile-k", "int64_t", /*default=*/"16",
           "Largest tile along the reduction">,
  ];
  let dependentDialects = ["mlir::scf::SCFDialect",
                           "mlir::vector::VectorDialect",
                           "mlir::memref::MemRefDialect"];
}

def RematBlasContractions
    : Pass<"remat-blas-contractions", "mlir::ModuleOp"> {
  let summary = "Lower buffer matmuls to calls of the runtime's BLAS gemm";
  let description = [{
    Replaces every `linalg.matmul` and `linalg.batch_matmul` on static f32 or
    f64 buffers whose innermost stride is 1, with the default indexing maps
    or transposed operands (no broadcasts), by a call to the CPU runtime's
    `remat_gemm_f32` / `remat_batch_gemm_f32` (f64 likewise), declared with
    a C interface. The runtime calls `cblas_sgemm` / `cblas_dgemm` (OpenBLAS,
    multi-threaded) with alpha = beta = 1: `C += A B`, the matmul's
    semantics. The call writes the output buffer the op wrote and allocates
    no tensor, so the program allocates and frees as before; for a given
    thread count the same shapes give the same bits, so planned and
    unplanned programs agree bitwise. Other contractions are left to
    `remat-vectorize-contractions`.

    ```mlir
    linalg.matmul ins(%a, %b : memref<32x64xf32>, memref<64x128xf32>) outs(%c : memref<32x128xf32>)
    // becomes
    %false = arith.constant 0 : i32
    %0 = memref.cast %a : memref<32x64xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
    ...
    call @remat_gemm_f32(%false, %false, %0, %1, %2) : (i32, i32, memref<?x?xf32, strided<[?, ?], offset: ?>>, ...) -> ()
    ```
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::func::FuncDialect",
                           "mlir::memref::MemRefDialect"];
}

def RematInterchangeReductions
    : Pass<"remat-interchange-reductions", "mlir::func::FuncOp"> {
  let summary = "Put a parallel loop innermost in the loops of reductions";
  let description = [{
    A linalg op on buffers whose innermost loop is a reduction (a
    convolution's filter window, a weight gradient's batch, a column sum)
    lowers to loops whose innermost iteration loads, adds to and stores the
    same output element: one chain of dependent memory operations, as slow as
    the store-to-load latency. This pass moves the op's last parallel loop
    innermost (named ops are generalized first, by upstream), so that the
    innermost loop updates a row of independent output elements. The
    reduction loops keep their relative order, so every output element sums
    its terms in the same order as before: the results are bitwise those of
    the unpermuted loops. Ops without a parallel loop (a full reduction such
    as a loss) are left as they are.

    ```mlir
    linalg.generic {iterator_types = ["parallel", "reduction"]}
        ins(%a : memref<64x512xf32>) outs(%s : memref<64xf32>)
    // becomes
    linalg.generic {iterator_types = ["reduction", "parallel"]}
        ins(%a : memref<64x512xf32>) outs(%s : memref<64xf32>)
    ```
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def RematVectorizeElementwise
    : Pass<"remat-vectorize-elementwise", "mlir::func::FuncOp"> {
  let summary = "Vectorize elementwise buffer ops along their innermost loop";
  let description = [{
    Tiles every all-parallel linalg op on static buffers (elementwise
    `linalg.generic`, `linalg.fill`, copies, broadcasts) whose innermost loop
    runs along each operand's contiguous, unit-stride dimension (or not at
    all: a broadcast) by 1 along the outer loops and by the largest divisor
    of the innermost extent up to `width` along it, and vectorizes each tile
    with upstream linalg vectorization: one `vector<1x..xWxT>` row per tile,
    no masks. Reductions, transposes, ops reading with `tensor.extract`, ops
    on `i1` buffers (a memref holds an `i1` per byte, an LLVM vector of `i1`
    is bit-packed) and `math.fpowi` with a variable exponent
    (`llvm.intr.powi` takes no vector exponent) stay scalar loops
    (`convert-linalg-to-loops`); `math.fpowi` with a constant exponent is
    first expanded into products (upstream's math expansion). An elementwise
    op computes each element alone, so a vector lane gives the scalar loop's
    bits, and the tiles depend only on the shape: planned and unplanned
    programs agree bitwise.

    ```mlir
    linalg.generic {iterator_types = ["parallel", "parallel"]}
        ins(%a : memref<512x64xf32>) outs(%b : memref<512x64xf32>) { ... math.tanh ... }
    // becomes
    scf.for %i = %c0 to %c512 step %c1 {
      scf.for %j = %c0 to %c64 step %c16 {
        vector.transfer_read ... : vector<1x16xf32>
        math.tanh ... : vector<1x16xf32>
        vector.transfer_write ...
    ```
  }];
  let options = [
    Option<"width", "width", "int64_t", /*default=*/"16",
           "Largest vector length along the innermost loop">,
  ];
  let dependentDialects = ["mlir::scf::SCFDialect",
                           "mlir::vector::VectorDialect",
                           "mlir::memref::MemRefDialect"];
}

def RematApproximateMath
    : Pass<"remat-approximate-math", "mlir::func::FuncOp"> {
  let summary = "Compute f32 tanh, exp and log as upstream's polynomials";
  let description = [{
    Rewrites `math.tanh`, `exp`, `expm1`, `log`, `log1p` and `log2` on f32
    (scalars or vectors) with upstream MLIR's polynomial approximations
    (`populateMathPolynomialApproximationPatterns`: arithmetic and `math.fma`
    only, within a few ulp of libm). Unlike a libm call, the arithmetic
    vectorizes, and a lane of a vector computes the same bits as the scalar
    code, so an element's value does not depend on whether the loop around it
    ran vectorized. `math.erf` (exact GELU) is left to libm's `erff`.

    ```mlir
    %t = math.tanh %x : f32
    // becomes
    %0 = arith.cmpf olt, ... ; math.fma ... ; arith.divf ... ; arith.select ...
    ```
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect"];
}

def RematWrapSerialOps
    : Pass<"remat-wrap-serial-ops", "mlir::func::FuncOp"> {
  let summary = "Put linalg ops without a parallel loop in a 1-trip scf.parallel";
  let description = [{
    On the GPU every access to a device buffer must run in a kernel, but
    only parallel loops become kernels. A buffer linalg op without a parallel
    dimension (a fill of a 0-d buffer, a full reduction such as a mean loss)
    would lower to host loops reading device memory. This pass wraps each
    such op in a one-iteration `scf.parallel`, which the GPU mapping turns
    into a one-thread kernel.

    ```mlir
    linalg.fill ins(%c : f32) outs(%l : memref<f32>)
    // becomes
    scf.parallel (%i) = (%c0) to (%c1) step (%c1) {
      linalg.fill ins(%c : f32) outs(%l : memref<f32>)
      scf.reduce
    }
    ```
  }];
  let dependentDialects = ["mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect"];
}

def RematDeviceBuffers
    : Pass<"remat-device-buffers", "mlir::func::FuncOp"> {
  let summary = "Allocate the step's buffers on the GPU";
  let description = [{
    Replaces `memref.alloc` / `memref.dealloc` by host-side `gpu.alloc` /
    `gpu.dealloc` (device memory, not managed memory) and `memref.copy` by
    `gpu.memcpy` (the host never touches device memory), each on a stream of
    its own that is waited for at once (gpu-to-llvm lowers only the
    asynchronous forms), so the
    runtime's CUDA wrappers see and measure every allocation of the step.
    The caller passes arguments in device memory and receives results there.

    ```mlir
    %a = memref.alloc() : memref<8xf32>
    memref.dealloc %a : memref<8xf32>
    // becomes
    %s = gpu.wait async
    %a, %t = gpu.alloc async [%s] () : memref<8xf32>
    gpu.wait [%t]
    %s2 = gpu.wait async
    %t2 = gpu.dealloc async [%s2] %a : memref<8xf32>
    gpu.wait [%t2]
    ```
  }];
  let dependentDialects = ["mlir::gpu::GPUDialect"];
}

def RematContractionsToCublas
    : Pass<"remat-contractions-to-cublas", "mlir::ModuleOp"> {
  let summary = "Run buffer matmuls on the GPU as cuBLAS GEMMs";
  let description = [{
    Replaces every buffer contraction that is one (strided batched) GEMM
    (`linalg.matmul`, `linalg.batch_matmul`, their transposed forms, a
    `linalg.generic` that multiplies and adds with one M, N, K and at most
    one batch dimension) over f32 or f64 buffers with static strides by a
    host-side call of the CUDA runtime's `remat_cublas_sgemm` /
    `remat_cublas_dgemm` (lib/Runtime/CublasRuntime.c). cuBLAS is
    column-major: a row-major C = A B becomes C^T = B^T A^T, each operand
    read as stored or transposed after its unit stride; every size, leading
    dimension and batch stride is a constant argument, only the buffers'
    addresses are computed. A zero `linalg.fill` of a fresh C that nothing
    else reads before the contraction is dropped and the GEMM writes C
    (beta = 0) instead of adding to it (beta = 1). A
    `linalg.conv_2d_nchw_fchw` with a 1x1 filter and unit strides and
    dilations is one GEMM per image with the filter shared (batch stride 0)
    and becomes the same call. Buffers are allocated and freed where they
    were: the memory model does not change. Other contractions (other
    convolutions, several M/N/K dimensions, other element types) stay and
    become GPU loops.

    ```mlir
    linalg.matmul ins(%a, %b : memref<32x64xf32>, memref<64x16xf32>)
                  outs(%c : memref<32x16xf32>)
    // becomes (transa, transb, m, n, k, A, lda, strideA, B, ldb, strideB,
    //          accumulate, C, ldc, strideC, batch)
    llvm.call @remat_cublas_sgemm(%false, %false, %c16, %c32, %c64,
        %pb, %c16, %c0, %pa, %c64, %c0, %true, %pc, %c16, %c0, %c1)
    ```
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect"];
}

def RematMapParallelLoops
    : Pass<"remat-map-parallel-loops", "mlir::func::FuncOp"> {
  let summary = "Tile parallel loops into GPU blocks, innermost dimension to x";
  let description = [{
    Upstream `gpu-map-parallel-loops` maps a loop's first dimension to
    `threadIdx.x`; on row-major buffers the last one is contiguous, so a
    warp would read addresses a row apart. This pass tiles each outermost
    `scf.parallel` (without reductions) into a grid loop and a block loop
    and maps the innermost dimension to x, the next to y and z: a warp
    reads consecutive elements. The block holds up to `block-threads`
    threads: the innermost dimension takes the power of two that covers
    its extent (up to `block-threads`), the next ones what is left
    (z at most 64). Dimensions before the last two fold into one first, so
    the grid covers every dimension; a grid dimension with more than 65535
    blocks along y or z loops in each block instead. Guards, not min
    bounds, keep thread counts static.

    ```mlir
    scf.parallel (%i, %j) = (%c0, %c0) to (%c64, %c128) step (%c1, %c1) { ... }
    // becomes (block-threads=256: 128 threads along j, 2 along i)
    scf.parallel (%i, %j) = (%c0, %c0) to (%c64, %c128) step (%c2, %c128) {
      scf.parallel (%ti, %tj) = (%c0, %c0) to (%c2, %c128) step (%c1, %c1) {
        ...
      } {mapping = [#gpu.loop_dim_map<processor = thread_y, ...>,
                    #gpu.loop_dim_map<processor = thread_x, ...>]}
    } {mapping = [#gpu.loop_dim_map<processor = block_y, ...>,
                  #gpu.loop_dim_map<processor = block_x, ...>]}
    ```
  }];
  let options = [
    Option<"blockThreads", "block-threads", "int64_t", /*default=*/"256",
           "Threads per block (a power of two from 32 to 1024)">,
  ];
  let dependentDialects = ["mlir::scf::SCFDialect",
                           "mlir::gpu::GPUDialect",
                           "mlir::arith::ArithDialect"];
}

#endif // REMAT_PIPELINES_PASSES
