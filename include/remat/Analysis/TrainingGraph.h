//===- TrainingGraph.h - Forward, backward, stashed values ------*- C++ -*-===//
#ifndef REMAT_ANALYSIS_TRAININGGRAPH_H
#define REMAT_ANALYSIS_TRAININGGRAPH_H

#include "remat/Analysis/Finding.h"

#include "mlir/IR/OpDefinition.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

namespace remat {

/// Name of the result attribute that marks the loss of a training step.
inline constexpr llvm::StringLiteral kLossAttrName = "remat.loss";

/// Splits a training step (a function computing the loss and its gradients)
/// into forward and backward.
///
/// The loss is the result marked `remat.loss`, or the first result. Forward
/// ops are those the loss depends on; every other op is backward. A stashed
/// activation is a tensor produced by a forward op (not a constant) and used
/// by a backward op: what a training step keeps from the forward pass for the
/// backward pass.
/// Only the function's entry block is analysed, in program order; an op with
/// regions counts as one op.
class TrainingGraph {
public:
  explicit TrainingGraph(mlir::Operation *function);

  /// False for a function that is not a training step; getFindings() says why.
  bool isTrainingStep() const { return trainingStep; }
  /// Index of the loss among the function's results.
  unsigned getLossIndex() const { return lossIndex; }

  /// The ops of the entry block in program order, terminator included.
  llvm::ArrayRef<mlir::Operation *> getOps() const { return ops; }
  bool isForward(mlir::Operation *op) const { return forward.contains(op); }
  bool isBackward(mlir::Operation *op) const {
    return !forward.contains(op) && !op->hasTrait<mlir::OpTrait::IsTerminator>();
  }
  /// Stashed activations, in program order of their definitions.
  llvm::ArrayRef<mlir::Value> getStashed() const {
    return stashed.getArrayRef();
  }

  llvm::ArrayRef<Finding> getFindings() const { return findings; }

private:
  void markForward(mlir::Value loss);
  void collectStashed();

  bool trainingStep = false;
  unsigned lossIndex = 0;
  llvm::SmallVector<mlir::Operation *> ops;
  llvm::DenseSet<mlir::Operation *> forward;
  llvm::SetVector<mlir::Value> stashed;
  llvm::SmallVector<Finding> findings;
};

} // namespace remat

#endif // REMAT_ANALYSIS_TRAININGGRAPH_H
