//===- BlasContractions.cpp - buffer matmuls as calls to BLAS -------------===//
//
// The CPU runtime implements the called functions on an optimized BLAS
// (lib/Runtime/BlasRuntime.c, OpenBLAS's cblas_?gemm). The call writes the
// matmul's own output buffer and allocates no tensor, so the memory model
// is unchanged; what BLAS holds inside (its packing buffers, its threads'
// stacks) is outside the model (docs/lowering.md).
//
//===----------------------------------------------------------------------===//

#include "remat/Pipelines/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;

namespace remat {
#define GEN_PASS_DEF_REMATBLASCONTRACTIONS
#include "remat/Pipelines/Passes.h.inc"

namespace {
/// How a (batch) matmul reads its operands: as stored or transposed. The
/// loops are [b,] m, n, k; `batch` is the number of batch loops (0 or 1).
struct GemmForm {
  bool transposeA = false;
  bool transposeB = false;
};

/// Whether `map` reads [batch,] `row`, `col` (plain) or [batch,] `col`, `row`
/// (transposed) of the loops; failure for anything else (broadcasts,
/// permuted batches).
static FailureOr<bool> isTransposed(AffineMap map, unsigned batch,
                                    unsigned row, unsigned col) {
  if (map.getNumResults() != batch + 2 || !map.isProjectedPermutation())
    return failure();
  if (batch && map.getDimPosition(0) != 0)
    return failure();
  unsigned first = map.getDimPosition(batch),
           second = map.getDimPosition(batch + 1);
  if (first == row && second == col)
    return false;
  if (first == col && second == row)
    return true;
  return failure();
}

/// The form of a matmul or batch_matmul with user-defined indexing maps
/// (transposed operands) or the default ones; failure where BLAS cannot
/// compute it as one gemm per batch.
static FailureOr<GemmForm> gemmForm(linalg::LinalgOp op) {
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  unsigned batch = op.getNumLoops() - 3;
  unsigned m = batch, n = batch + 1, k = batch + 2;
  FailureOr<bool> a = isTransposed(maps[0], batch, m, k);
  FailureOr<bool> b = isTransposed(maps[1], batch, k, n);
  FailureOr<bool> c = isTransposed(maps[2], batch, m, n);
  if (failed(a) || failed(b) || failed(c) || *c)
    return failure();
  return GemmForm{*a, *b};
}

/// A static, f32 or f64, unit-innermost-stride buffer: what the runtime
/// hands to cblas_?gemm as a row-major matrix with a leading dimension.
static bool isBlasOperand(Value value, Type element) {
  auto type = dyn_cast<MemRefType>(value.getType());
  return type && type.hasStaticShape() && type.getElementType() == element &&
         type.isLastDimUnitStride();
}

static bool isBlasContraction(linalg::LinalgOp op) {
  if (!isa<linalg::MatmulOp, linalg::BatchMatmulOp>(op) ||
      !op.hasPureBufferSemantics() || failed(gemmForm(op)))
    return false;
  Type element = getElementTypeOrSelf(op.getDpsInits()[0].getType());
  if (!element.isF32() && !element.isF64())
    return false;
  return llvm::all_of(op->getOperands(), [&](Value operand) {
    return isBlasOperand(operand, element);
  });
}

/// `memref<?x?xf32, strided<[?, ?], offset: ?>>` of the operand's rank: one
/// runtime function takes every static shape and view.
static MemRefType dynamicType(MemRefType type) {
  SmallVector<int64_t> dynamic(type.getRank(), ShapedType::kDynamic);
  auto layout = StridedLayoutAttr::get(type.getContext(),
                                       ShapedType::kDynamic, dynamic);
  return MemRefType::get(dynamic, type.getElementType(), layout,
                         type.getMemorySpace());
}

struct BlasContractions
    : public impl::RematBlasContractionsBase<BlasContractions> {
  using Base::Base;

  /// `remat_gemm_f32` and friends, declared once in the module with a C
  /// interface: the runtime receives memref descriptors.
  func::FuncOp declaration(OpBuilder &builder, linalg::LinalgOp op) {
    Type element = getElementTypeOrSelf(op.getDpsInits()[0].getType());
    std::string name = (isa<linalg::BatchMatmulOp>(op) ? "remat_batch_gemm_"
                                                       : "remat_gemm_") +
                       std::string(element.isF32() ? "f32" : "f64");
    ModuleOp module = getOperation();
    if (auto existing = module.lookupSymbol<func::FuncOp>(name))
      return existing;
    SmallVector<Type> inputs(2, builder.getI32Type());
    for (Value operand : op->getOperands())
      inputs.push_back(dynamicType(cast<MemRefType>(operand.getType())));
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToEnd(module.getBody());
    auto function = func::FuncOp::create(
        builder, module.getLoc(), name, builder.getFunctionType(inputs, {}));
    function.setPrivate();
    function->setAttr("llvm.emit_c_interface", builder.getUnitAttr());
    return function;
  }

  void rewrite(IRRewriter &rewriter, linalg::LinalgOp op) {
    GemmForm form = *gemmForm(op);
    func::FuncOp callee = declaration(rewriter, op);
    rewriter.setInsertionPoint(op);
    Location loc = op.getLoc();
    SmallVector<Value> operands = {
        arith::ConstantIntOp::create(rewriter, loc, form.transposeA, 32),
        arith::ConstantIntOp::create(rewriter, loc, form.transposeB, 32)};
    for (Value operand : op->getOperands())
      operands.push_back(memref::CastOp::create(
          rewriter, loc, dynamicType(cast<MemRefType>(operand.getType())),
          operand));
    func::CallOp::create(rewriter, loc, callee, operands);
    rewriter.eraseOp(op);
  }

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> contractions;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (isBlasContraction(op))
        contractions.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : contractions)
      rewrite(rewriter, op);
  }
};
} // namespace

} // namespace remat
