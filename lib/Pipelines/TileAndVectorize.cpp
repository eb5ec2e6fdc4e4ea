//===- TileAndVectorize.cpp - full tiles, then vector ops -----------------===//

#include "TileAndVectorize.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"

using namespace mlir;

namespace remat {

int64_t largestDivisorAtMost(int64_t extent, int64_t limit) {
  for (int64_t size = std::min(extent, limit); size > 1; --size)
    if (extent % size == 0)
      return size;
  return 1;
}

LogicalResult tileAndVectorize(IRRewriter &rewriter, linalg::LinalgOp op,
                               ArrayRef<int64_t> sizes, bool namedContraction,
                               StringRef pass) {
  rewriter.setInsertionPoint(op);
  linalg::LinalgTilingOptions tiling;
  tiling.setTileSizes(sizes);
  FailureOr<linalg::TiledLinalgOp> tiled =
      linalg::tileLinalgOp(rewriter, op, tiling);
  if (failed(tiled))
    return op.emitOpError(pass) << ": tiling failed";
  rewriter.eraseOp(op);
  rewriter.setInsertionPoint(tiled->op);
  if (failed(linalg::vectorize(rewriter, tiled->op, /*inputVectorSizes=*/{},
                               /*inputScalableVecDims=*/{},
                               /*vectorizeNDExtract=*/false,
                               /*flatten1DDepthwiseConv=*/false,
                               /*assumeDynamicDimsMatchVecSizes=*/false,
                               /*createNamedContraction=*/namedContraction)))
    return tiled->op.emitOpError(pass) << ": vectorization failed";
  rewriter.eraseOp(tiled->op);
  return success();
}

} // namespace remat
