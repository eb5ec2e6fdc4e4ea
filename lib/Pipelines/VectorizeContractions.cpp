//===- VectorizeContractions.cpp - register-tiled vector matmuls ----------===//

#include "remat/Pipelines/Passes.h"

#include "TileAndVectorize.h"

using namespace mlir;

namespace remat {
#define GEN_PASS_DEF_REMATVECTORIZECONTRACTIONS
#include "remat/Pipelines/Passes.h.inc"

namespace {
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

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> contractions;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (isa<linalg::MatmulOp, linalg::BatchMatmulOp>(op) &&
          op.hasPureBufferSemantics() && !op.hasDynamicShape())
        contractions.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : contractions)
      if (failed(tileAndVectorize(rewriter, op, tileSizes(op),
                                  /*namedContraction=*/true,
                                  "remat-vectorize-contractions")))
        return signalPassFailure();
  }
};
} // namespace

} // namespace remat
