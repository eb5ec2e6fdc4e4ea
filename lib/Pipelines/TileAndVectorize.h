//===- TileAndVectorize.h - full tiles, then vector ops ---------*- C++ -*-===//
//
// What remat-vectorize-contractions and remat-vectorize-elementwise share:
// tiles of sizes that divide the loop ranges (static shapes, no masks), each
// tile turned into vector ops by upstream's linalg::vectorize.
//
//===----------------------------------------------------------------------===//

#ifndef REMAT_LIB_PIPELINES_TILEANDVECTORIZE_H
#define REMAT_LIB_PIPELINES_TILEANDVECTORIZE_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace remat {

/// The largest divisor of `extent` that is at most `limit` (1 if none is
/// larger): full tiles only, so every tile vectorizes with static shapes.
int64_t largestDivisorAtMost(int64_t extent, int64_t limit);

/// Tiles `op` by `sizes` (linalg::tileLinalgOp), vectorizes the tile
/// (contractions as vector.contract when `namedContraction`) and erases both
/// originals. The error, on the op that failed, names `pass`.
mlir::LogicalResult tileAndVectorize(mlir::IRRewriter &rewriter,
                                     mlir::linalg::LinalgOp op,
                                     llvm::ArrayRef<int64_t> sizes,
                                     bool namedContraction,
                                     llvm::StringRef pass);

} // namespace remat

#endif // REMAT_LIB_PIPELINES_TILEANDVECTORIZE_H
