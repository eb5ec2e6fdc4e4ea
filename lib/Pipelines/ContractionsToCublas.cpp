//===- ContractionsToCublas.cpp - GPU matmuls become cuBLAS calls ---------===//
//
// A buffer contraction with one M, one N, one K and at most one batch
// dimension (matmul, batch_matmul, their transposed forms, a linalg.generic
// that multiplies and adds) whose operands are strided with static strides
// is a (strided batched) GEMM. cuBLAS is column-major: a row-major C = A B is
// computed as C^T = B^T A^T, and each operand is read as itself or transposed
// according to which of its strides is 1. A 1x1 convolution with unit strides
// is one such GEMM per image. Everything but the base pointers is known at
// compile time and becomes a constant argument of the runtime's
// `remat_cublas_[sd]gemm` (lib/Runtime/CublasRuntime.c).
//
//===----------------------------------------------------------------------===//

#include "remat/Pipelines/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

using namespace mlir;

namespace remat {
#define GEN_PASS_DEF_REMATCONTRACTIONSTOCUBLAS
#include "remat/Pipelines/Passes.h.inc"

namespace {
/// How cuBLAS reads one operand: transposed or not, its leading dimension,
/// and the distance between two batch entries (0 without a batch).
struct MatrixView {
  Value memref;
  bool transposed = false;
  int64_t leading = 0;
  int64_t batchStride = 0;
};

/// One call of cublas<t>gemmStridedBatched: C (rows x cols, column-major)
/// = op(A) (rows x depth) * op(B) (depth x cols) [+ C].
struct Gemm {
  int64_t rows = 0, cols = 0, depth = 0, batch = 1;
  MatrixView a, b, c;
};

/// An operand's memory layout along the loop dimensions of the contraction.
struct Operand {
  Value memref;
  AffineMap map;
  SmallVector<int64_t> strides;

  /// Stride of loop dimension `dim` in this operand; 0 if it does not index
  /// it (then every position along `dim` reads the same element).
  int64_t strideOf(unsigned dim) const {
    for (auto [position, expr] : llvm::enumerate(map.getResults()))
      if (auto d = dyn_cast<AffineDimExpr>(expr); d && d.getPosition() == dim)
        return strides[position];
    return 0;
  }
};

/// cuBLAS's view of a rows x cols matrix whose element (i, j) is at
/// i * rowStride + j * colStride: column-major as it is (rowStride 1,
/// leading dimension colStride), or the transpose of a column-major
/// cols x rows matrix (colStride 1, leading dimension rowStride). A stride
/// along a dimension of extent 1 never matters. cuBLAS needs a leading
/// dimension of at least the stored matrix's row count.
static std::optional<MatrixView> columnMajorView(int64_t rows, int64_t cols,
                                                 int64_t rowStride,
                                                 int64_t colStride) {
  if (rowStride == 1 || rows == 1) {
    int64_t leading = cols == 1 ? std::max<int64_t>(rows, 1) : colStride;
    if (leading >= std::max<int64_t>(rows, 1))
      return MatrixView{Value(), /*transposed=*/false, leading, 0};
  }
  if (colStride == 1 || cols == 1) {
    int64_t leading = rows == 1 ? std::max<int64_t>(cols, 1) : rowStride;
    if (leading >= std::max<int64_t>(cols, 1))
      return MatrixView{Value(), /*transposed=*/true, leading, 0};
  }
  return std::nullopt;
}

/// Static strides of a buffer, or nothing.
static std::optional<SmallVector<int64_t>> staticStrides(MemRefType type) {
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)) ||
      llvm::any_of(strides, ShapedType::isDynamic))
    return std::nullopt;
  return strides;
}

/// The GEMM computing `op`, or nothing when `op` is not a single GEMM over
/// static strided f32/f64 buffers (it then lowers to loops as before).
static std::optional<Gemm> matchGemm(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->batch.size() > 1 || dims->m.size() != 1 ||
      dims->n.size() != 1 || dims->k.size() != 1)
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (llvm::any_of(ranges, ShapedType::isDynamic))
    return std::nullopt;

  Type element;
  SmallVector<Operand, 3> operands;
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type || (element && type.getElementType() != element))
      return std::nullopt;
    element = type.getElementType();
    std::optional<SmallVector<int64_t>> strides = staticStrides(type);
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (!strides || !map.isProjectedPermutation())
      return std::nullopt;
    operands.push_back({operand.get(), map, *strides});
  }
  if (!element.isF32() && !element.isF64())
    return std::nullopt;

  unsigned m = dims->m[0], n = dims->n[0], k = dims->k[0];
  const Operand &lhs = operands[0], &rhs = operands[1], &out = operands[2];
  // Column-major C = A B with C's rows along M, or C^T = B^T A^T with its
  // rows along N: whichever makes the result column-major.
  for (bool swap : {true, false}) {
    unsigned rowDim = swap ? n : m, colDim = swap ? m : n;
    const Operand &a = swap ? rhs : lhs, &b = swap ? lhs : rhs;
    Gemm gemm;
    gemm.rows = ranges[rowDim];
    gemm.cols = ranges[colDim];
    gemm.depth = ranges[k];
    auto c = columnMajorView(gemm.rows, gemm.cols, out.strideOf(rowDim),
                             out.strideOf(colDim));
    auto va = columnMajorView(gemm.rows, gemm.depth, a.strideOf(rowDim),
                              a.strideOf(k));
    auto vb = columnMajorView(gemm.depth, gemm.cols, b.strideOf(k),
                              b.strideOf(colDim));
    if (!c || c->transposed || !va || !vb)
      continue;
    gemm.a = *va;
    gemm.b = *vb;
    gemm.c = *c;
    gemm.a.memref = a.memref;
    gemm.b.memref = b.memref;
    gemm.c.memref = out.memref;
    if (!dims->batch.empty()) {
      unsigned batch = dims->batch[0];
      gemm.batch = ranges[batch];
      gemm.a.batchStride = a.strideOf(batch);
      gemm.b.batchStride = b.strideOf(batch);
      gemm.c.batchStride = out.strideOf(batch);
    }
    return gemm;
  }
  return std::nullopt;
}

/// A 1x1 convolution with unit strides and dilations is, for each image, a
/// GEMM: out[n] (F x HW) = W (F x C) in[n] (C x HW). Column-major: rows along
/// the H x W plane (contiguous in both images), columns along F, depth C,
/// one batch entry per image, the filter shared (batch stride 0). Nothing
/// is copied, so the memory model is unchanged.
static std::optional<Gemm> matchPointwiseConv(linalg::Conv2DNchwFchwOp conv) {
  auto unit = [](DenseIntElementsAttr values) {
    return llvm::all_of(values.getValues<int64_t>(),
                        [](int64_t v) { return v == 1; });
  };
  if (!conv.hasPureBufferSemantics() || !unit(conv.getStrides()) ||
      !unit(conv.getDilations()))
    return std::nullopt;
  Value input = conv.getInputs()[0], filter = conv.getInputs()[1],
        output = conv.getOutputs()[0];
  auto inputType = cast<MemRefType>(input.getType());
  auto filterType = cast<MemRefType>(filter.getType());
  auto outputType = cast<MemRefType>(output.getType());
  Type element = outputType.getElementType();
  if (!inputType.hasStaticShape() || !filterType.hasStaticShape() ||
      !outputType.hasStaticShape() || inputType.getElementType() != element ||
      filterType.getElementType() != element ||
      (!element.isF32() && !element.isF64()) || filterType.getDimSize(2) != 1 ||
      filterType.getDimSize(3) != 1)
    return std::nullopt;
  auto in = staticStrides(inputType), weights = staticStrides(filterType),
       out = staticStrides(outputType);
  int64_t height = outputType.getDimSize(2), width = outputType.getDimSize(3);
  // Each H x W plane one run of contiguous elements in both images.
  if (!in || !weights || !out || (*in)[3] != 1 || (*in)[2] != width ||
      (*out)[3] != 1 || (*out)[2] != width)
    return std::nullopt;
  Gemm gemm;
  gemm.rows = height * width;
  gemm.cols = outputType.getDimSize(1);
  gemm.depth = inputType.getDimSize(1);
  gemm.batch = outputType.getDimSize(0);
  auto a = columnMajorView(gemm.rows, gemm.depth, 1, (*in)[1]);
  auto b = columnMajorView(gemm.depth, gemm.cols, (*weights)[1], (*weights)[0]);
  auto c = columnMajorView(gemm.rows, gemm.cols, 1, (*out)[1]);
  if (!a || !b || !c || c->transposed)
    return std::nullopt;
  gemm.a = *a;
  gemm.b = *b;
  gemm.c = *c;
  gemm.a.memref = input;
  gemm.b.memref = filter;
  gemm.c.memref = output;
  gemm.a.batchStride = (*in)[0];
  gemm.c.batchStride = (*out)[0];
  return gemm;
}

/// The linalg.fill of +0.0 that initializes `result` right before
/// `contraction` reads it, when nothing else can see the zeros: `result` is
/// a fresh allocation of its own, and apart from that fill every other user
/// follows the contraction in its block. cuBLAS then writes C with beta = 0
/// instead of adding to zeros a kernel wrote. The buffer is still allocated
/// where it was, so the memory model is unchanged.
static linalg::FillOp zeroFillToFold(Operation *contraction, Value result) {
  Operation *alloc = result.getDefiningOp();
  if (!alloc || !isa<memref::AllocOp, gpu::AllocOp>(alloc))
    return nullptr;
  linalg::FillOp fill;
  for (Operation *user : result.getUsers()) {
    if (user == contraction)
      continue;
    if (user->getBlock() != contraction->getBlock())
      return nullptr;
    if (auto candidate = dyn_cast<linalg::FillOp>(user);
        candidate && !fill && candidate.getOutputs()[0] == result &&
        candidate->isBeforeInBlock(contraction) &&
        matchPattern(candidate.getInputs()[0], m_PosZeroFloat())) {
      fill = candidate;
      continue;
    }
    if (!contraction->isBeforeInBlock(user))
      return nullptr;
  }
  return fill;
}

/// The runtime's entry point for `element`, declared once per module:
/// void remat_cublas_<s|d>gemm(i64 transa, i64 transb, i64 m, i64 n, i64 k,
///   ptr a, i64 lda, i64 strideA, ptr b, i64 ldb, i64 strideB,
///   i64 accumulate, ptr c, i64 ldc, i64 strideC, i64 batch)
/// An llvm.func, not a func.func: llvm-request-c-wrappers would otherwise
/// ask for a `_mlir_ciface_` wrapper of the declaration.
static LLVM::LLVMFuncOp declareGemm(ModuleOp module, Type element) {
  StringRef name =
      element.isF32() ? "remat_cublas_sgemm" : "remat_cublas_dgemm";
  if (auto existing = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
    return existing;
  MLIRContext *context = module.getContext();
  Type i64 = IntegerType::get(context, 64);
  Type ptr = LLVM::LLVMPointerType::get(context);
  SmallVector<Type> params = {i64, i64, i64, i64, i64, ptr, i64, i64,
                              ptr, i64, i64, i64, ptr, i64, i64, i64};
  OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
  return LLVM::LLVMFuncOp::create(
      builder, module.getLoc(), name,
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(context), params));
}

/// The address of the first element of `memref` (its aligned pointer plus
/// its offset) as an !llvm.ptr.
static Value firstElement(OpBuilder &builder, Location loc, Value memref) {
  auto metadata =
      memref::ExtractStridedMetadataOp::create(builder, loc, memref);
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(
      builder, loc, metadata.getBaseBuffer());
  int64_t bytes =
      cast<MemRefType>(memref.getType()).getElementTypeBitWidth() / 8;
  Value offset = arith::MulIOp::create(
      builder, loc, metadata.getOffset(),
      arith::ConstantIndexOp::create(builder, loc, bytes));
  Value address = arith::IndexCastOp::create(
      builder, loc, builder.getI64Type(),
      arith::AddIOp::create(builder, loc, base, offset));
  return LLVM::IntToPtrOp::create(
      builder, loc, LLVM::LLVMPointerType::get(builder.getContext()), address);
}

static void replaceWithCall(linalg::LinalgOp op, const Gemm &gemm,
                            LLVM::LLVMFuncOp callee, bool accumulate) {
  OpBuilder builder(op);
  Location loc = op.getLoc();
  llvm::SmallDenseMap<int64_t, Value> constants;
  auto constant = [&](int64_t value) -> Value {
    Value &known = constants[value];
    if (!known)
      known = LLVM::ConstantOp::create(builder, loc, builder.getI64Type(),
                                       builder.getI64IntegerAttr(value));
    return known;
  };
  SmallVector<Value> args = {constant(gemm.a.transposed),
                             constant(gemm.b.transposed),
                             constant(gemm.rows),
                             constant(gemm.cols),
                             constant(gemm.depth),
                             firstElement(builder, loc, gemm.a.memref),
                             constant(gemm.a.leading),
                             constant(gemm.a.batchStride),
                             firstElement(builder, loc, gemm.b.memref),
                             constant(gemm.b.leading),
                             constant(gemm.b.batchStride),
                             constant(accumulate),
                             firstElement(builder, loc, gemm.c.memref),
                             constant(gemm.c.leading),
                             constant(gemm.c.batchStride),
                             constant(gemm.batch)};
  LLVM::CallOp::create(builder, loc, callee, args);
  op->erase();
}

struct ContractionsToCublas
    : public impl::RematContractionsToCublasBase<ContractionsToCublas> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<std::pair<linalg::LinalgOp, Gemm>> gemms;
    module.walk([&](linalg::LinalgOp op) {
      // Kernel bodies stay as they are: cuBLAS is called from the host.
      if (op->getParentOfType<gpu::GPUModuleOp>())
        return;
      std::optional<Gemm> gemm;
      if (auto conv = dyn_cast<linalg::Conv2DNchwFchwOp>(op.getOperation()))
        gemm = matchPointwiseConv(conv);
      else
        gemm = matchGemm(op);
      if (gemm)
        gemms.push_back({op, *gemm});
    });
    for (auto &[op, gemm] : gemms) {
      Type element = cast<MemRefType>(gemm.c.memref.getType()).getElementType();
      linalg::FillOp fill = zeroFillToFold(op, gemm.c.memref);
      if (fill)
        fill->erase();
      replaceWithCall(op, gemm, declareGemm(module, element),
                      /*accumulate=*/!fill);
    }
  }
};
} // namespace

} // namespace remat
