//===- VectorizeElementwise.cpp - elementwise ops as vector rows ----------===//

#include "remat/Pipelines/Passes.h"

#include "TileAndVectorize.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace remat {
#define GEN_PASS_DEF_REMATVECTORIZEELEMENTWISE
#include "remat/Pipelines/Passes.h.inc"

namespace {
/// Whether `operand` reads or writes its innermost, unit-stride dimension
/// along the innermost loop `inner`, or does not depend on that loop (a
/// broadcast): then a tile of the innermost loop is one contiguous vector
/// of it.
static bool isContiguousAlong(linalg::LinalgOp op, OpOperand &operand,
                              unsigned inner) {
  AffineMap map = op.getMatchingIndexingMap(&operand);
  if (!map.isProjectedPermutation())
    return false;
  if (!map.isFunctionOfDim(inner))
    return true;
  auto type = dyn_cast<MemRefType>(operand.get().getType());
  return type && type.isLastDimUnitStride() &&
         map.getDimPosition(map.getNumResults() - 1) == inner;
}

/// Whether a vector of `type`'s elements has the layout in memory of the
/// elements one by one. Not so for i1 (and other widths that are not whole
/// bytes): a memref stores each in a byte of its own (the bytes the memory
/// model counts), an LLVM vector of them is bit-packed, so a vector load
/// would read the bits of a scalar loop's bytes.
static bool hasByteElements(Type type) {
  auto shaped = dyn_cast<ShapedType>(type);
  Type element = shaped ? shaped.getElementType() : type;
  return !element.isIntOrFloat() || element.getIntOrFloatBitWidth() % 8 == 0;
}

/// Whether the body has an op whose vector form does not lower: an integer
/// power's exponent, defined above the body, becomes a vector like every
/// operand, and `llvm.intr.powi` takes only a scalar exponent (`math.ipowi`
/// has no LLVM lowering at all).
static bool hasUnlowerableVectorForm(linalg::LinalgOp op) {
  return op->walk([](Operation *inner) {
             return isa<math::FPowIOp, math::IPowIOp>(inner)
                        ? WalkResult::interrupt()
                        : WalkResult::advance();
           }).wasInterrupted();
}

/// An all-parallel op on static buffers of whole-byte elements whose
/// innermost loop runs along every operand's contiguous dimension, without
/// lookups in its body or ops without a vector lowering, which upstream
/// vectorization takes.
static bool isVectorizable(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.hasDynamicShape() ||
      op.getNumLoops() == 0 || op.getNumLoops() != op.getNumParallelLoops())
    return false;
  unsigned inner = op.getNumLoops() - 1;
  if (op.getStaticLoopRanges()[inner] < 2)
    return false;
  for (OpOperand &operand : op->getOpOperands())
    if (!isContiguousAlong(op, operand, inner) ||
        !hasByteElements(operand.get().getType()))
      return false;
  // A lookup (an embedding's tensor.extract) would become a gather.
  bool looksUp = op->walk([](Operation *inner) {
                     return isa<tensor::ExtractOp, memref::LoadOp>(inner)
                                ? WalkResult::interrupt()
                                : WalkResult::advance();
                   }).wasInterrupted();
  return !looksUp && !hasUnlowerableVectorForm(op) &&
         succeeded(linalg::vectorizeOpPrecondition(op));
}

struct VectorizeElementwise
    : public impl::RematVectorizeElementwiseBase<VectorizeElementwise> {
  using Base::Base;

  /// One row of `width` lanes along the innermost loop (a divisor of its
  /// range), one iteration of every other loop.
  SmallVector<int64_t> tileSizes(linalg::LinalgOp op) const {
    SmallVector<int64_t> sizes(op.getNumLoops(), 1);
    sizes.back() = largestDivisorAtMost(op.getStaticLoopRanges().back(), width);
    return sizes;
  }

  void runOnOperation() override {
    // x ** n with a constant n (torch-mlir's square in an MSE loss) as
    // products first (upstream's expansion), so that its op vectorizes; a
    // variable n stays a scalar llvm.intr.powi.
    SmallVector<Operation *> powers;
    getOperation().walk([&](math::FPowIOp power) {
      if (matchPattern(power.getRhs(), m_Constant()))
        powers.push_back(power);
    });
    RewritePatternSet expansions(&getContext());
    math::populateExpansionPatterns(expansions, {"fpowi"});
    if (failed(applyOpPatternsGreedily(powers, std::move(expansions))))
      return signalPassFailure();

    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (isVectorizable(op))
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : ops)
      if (failed(tileAndVectorize(rewriter, op, tileSizes(op),
                                  /*namedContraction=*/false,
                                  "remat-vectorize-elementwise")))
        return signalPassFailure();
  }
};
} // namespace

} // namespace remat
