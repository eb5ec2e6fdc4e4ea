//===- VectorizeContractions.cpp - register-tiled vector matmuls ----------===//

#include "remat/Pipelines/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace remat {
#define GEN_PASS_DEF_REMATVECTORIZECONTRACTIONS
#include "remat/Pipelines/Passes.h.inc"

namespace {
/// The largest divisor of `extent` that is at most `limit`: full tiles only,
/// so every tile vectorizes with static shapes and no masks.
static int64_t largestDivisorAtMost(int64_t extent, int64_t limit) {
  for (int64_t size = std::min(extent, limit); size > 1; --size)
    if (extent % size == 0)
      return size;
  return 1;
}

struct VectorizeContractions
    : public impl::RematVectorizeContractionsBase<VectorizeContractions> {
  using Base::Base;

  /// Tile sizes of a (batch) matmul with static loop ranges [b,] m, n, k; a
  /// batch is tiled by one.
  SmallVector<int64_t> tileSizes(linalg::LinalgOp op) const {
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    size_t m = ranges.size() - 3;
    SmallVector<int64_t> sizes(m, 1);
    sizes.push_back(largestDivisorAtMost(ranges[m], tileM));
    sizes.push_back(largestDivisorAtMost(ranges[m + 1], tileN));
    sizes.push_back(largestDivisorAtMost(ranges[m + 2], tileK));
    return sizes;
  }

  LogicalResult tileAndVectorize(IRRewriter &rewriter, linalg::LinalgOp op) {
    rewriter.setInsertionPoint(op);
    linalg::LinalgTilingOptions tiling;
    tiling.setTileSizes(tileSizes(op));
    FailureOr<linalg::TiledLinalgOp> tiled =
        linalg::tileLinalgOp(rewriter, op, tiling);
    if (failed(tiled))
      return op.emitOpError("remat-vectorize-contractions: tiling failed");
    rewriter.eraseOp(op);
    rewriter.setInsertionPoint(tiled->op);
    if (failed(linalg::vectorize(rewriter, tiled->op, /*inputVectorSizes=*/{},
                                 /*inputScalableVecDims=*/{},
                                 /*vectorizeNDExtract=*/false,
                                 /*flatten1DDepthwiseConv=*/false,
                                 /*assumeDynamicDimsMatchVecSizes=*/false,
                                 /*createNamedContraction=*/true)))
      return tiled->op.emitOpError(
          "remat-vectorize-contractions: vectorization failed");
    rewriter.eraseOp(tiled->op);
    return success();
  }

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> contractions;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (isa<linalg::MatmulOp, linalg::BatchMatmulOp>(op) &&
          op.hasPureBufferSemantics() && !op.hasDynamicShape())
        contractions.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : contractions)
      if (failed(tileAndVectorize(rewriter, op)))
        return signalPassFailure();
  }
};
} // namespace

} // namespace remat
