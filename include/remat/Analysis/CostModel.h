//===- CostModel.h - Bytes of values, FLOPs of ops --------------*- C++ -*-===//
#ifndef REMAT_ANALYSIS_COSTMODEL_H
#define REMAT_ANALYSIS_COSTMODEL_H

#include "remat/Analysis/Finding.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/OpDefinition.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/MathExtras.h"

#include <optional>

#include "remat/Analysis/CostModelInterface.h.inc"

namespace remat {

/// Name of the integer attribute that overrides an op's FLOPs.
inline constexpr llvm::StringLiteral kFlopsAttrName = "remat.flops";

/// Bytes of a value of `type` as the lowering stores it: element count x the
/// element's allocation size (whole bytes: `i1` takes one byte, see
/// docs/memory-model.md). Scalars (int, float, index) count as one element.
/// Nothing for types without a static size (dynamic or unranked shapes,
/// memrefs are not ours) or whose size overflows int64.
std::optional<int64_t> getStaticBytes(mlir::Type type);

/// True for a static tensor type whose byte size overflows int64.
bool isTooLargeToSize(mlir::Type type);

/// `a + b` for FLOP counts (non-negative), saturating at INT64_MAX: a sum of
/// FLOPs never wraps.
inline int64_t addFlops(int64_t a, int64_t b) {
  int64_t sum;
  return llvm::AddOverflow(a, b, sum) ? INT64_MAX : sum;
}

/// A FLOP count held as a double (planner costs), as an integer: truncated,
/// saturating at INT64_MAX.
inline int64_t toFlops(double flops) {
  return flops >= 9223372036854775808.0 ? INT64_MAX : int64_t(flops);
}

/// Attaches CostOpInterface to the ops of linalg, tosa, arith, math, tensor.
void registerCostModelExternalModels(mlir::DialectRegistry &registry);

/// FLOPs of every op nested in a root op (a function, usually). Ops with
/// regions that the interface does not cover (remat.recompute, scf.for, ...)
/// cost the sum of the ops they hold, once. Unknown ops get an estimate of one
/// operation per result element and a finding that says so.
class CostModel {
public:
  explicit CostModel(mlir::Operation *root);

  int64_t getFlops(mlir::Operation *op) const;
  int64_t getBytesMoved(mlir::Operation *op) const;
  /// Bytes of a tensor value; 0 when its shape is not static.
  int64_t getBytes(mlir::Value value) const;

  llvm::ArrayRef<Finding> getFindings() const { return findings; }

private:
  int64_t computeFlops(mlir::Operation *op);

  llvm::DenseMap<mlir::Operation *, int64_t> flops;
  llvm::SmallVector<Finding> findings;
};

} // namespace remat

#endif // REMAT_ANALYSIS_COSTMODEL_H
