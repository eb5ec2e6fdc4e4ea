//===- Planning.h - A function analysed for planning ------------*- C++ -*-===//
#ifndef REMAT_TRANSFORMS_PLANNING_H
#define REMAT_TRANSFORMS_PLANNING_H

#include "remat/Analysis/PlanningProblem.h"
#include "remat/Planner/Solvers.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/JSON.h"

#include <memory>

namespace remat {

/// Everything the planning passes need to know about one function.
struct FunctionPlanning {
  explicit FunctionPlanning(mlir::FunctionOpInterface fn);

  TrainingGraph graph;
  CostModel costs;
  MemorySimulator sim;
  PlanningProblem problem;
  int64_t unplannedPeak = 0;
  /// FLOPs of one unplanned step, forward and backward.
  double stepFlops = 0;
  /// Below this budget remat reports the step infeasible (with the
  /// policies; see Policies.h).
  int64_t smallestFeasible = 0;
  /// The same without the policies.
  int64_t smallestFeasibleWithoutPolicies = 0;
  /// Nodes pinned save / recompute by the policies.
  int pinnedSave = 0, pinnedRecompute = 0;

  /// Analyses `fn` and reads its policies (`segments`: see readPolicies),
  /// emitting what the analyses noticed. Null, with a remark, when `fn` is
  /// not a training step; failure, with an error at the op or the function,
  /// when it is one that remat refuses to plan.
  static mlir::FailureOr<std::unique_ptr<FunctionPlanning>>
  analyze(mlir::FunctionOpInterface fn, llvm::StringRef pass,
          unsigned segments = 0);

  /// Recompute cost as a percentage of the step's FLOPs.
  double overheadPercent(double recomputeCost) const {
    return stepFlops > 0 ? 100.0 * recomputeCost / stepFlops : 0.0;
  }
};

/// Calls `plan` on every training step among the functions of `module`. Fails
/// when `plan` fails, when a step is refused, or when no function is a
/// training step at all: a planning pass never succeeds having planned
/// nothing. Every function is visited, so every refusal is reported.
mlir::LogicalResult forEachTrainingStep(
    mlir::ModuleOp module, llvm::StringRef pass,
    llvm::function_ref<mlir::LogicalResult(mlir::FunctionOpInterface,
                                           FunctionPlanning &)>
        plan,
    unsigned segments = 0);

/// Writes `functions` as a JSON array to `path` ('-' for stdout); emits an
/// error at `loc` and fails when it cannot.
mlir::LogicalResult writeJsonFile(llvm::StringRef path,
                                  llvm::json::Array functions,
                                  mlir::Location loc);

} // namespace remat

#endif // REMAT_TRANSFORMS_PLANNING_H
