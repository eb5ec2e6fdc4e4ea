//===- Planning.h - A function analysed for planning ------------*- C++ -*-===//
#ifndef REMAT_TRANSFORMS_PLANNING_H
#define REMAT_TRANSFORMS_PLANNING_H

#include "remat/Analysis/PlanningProblem.h"
#include "remat/Analysis/TimeModel.h"
#include "remat/Planner/Solvers.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/JSON.h"

#include <memory>

namespace remat {

/// Everything the planning passes need to know about one function.
struct FunctionPlanning {
  explicit FunctionPlanning(mlir::FunctionOpInterface fn,
                            const CostOptions &cost = {});

  TrainingGraph graph;
  CostModel costs;
  MemorySimulator sim;
  PlanningProblem problem;
  /// What the problem's node costs are: FLOPs (cost=flops), else predicted
  /// nanoseconds (see useCostModel).
  CostOptions cost;
  /// Predicted seconds of the step's ops under a time model.
  std::optional<TimeModel> times;
  /// FLOPs and predicted seconds (0 under cost=flops) of each node.
  std::vector<double> nodeFlops, nodeSeconds;
  int64_t unplannedPeak = 0;
  /// FLOPs of one unplanned step, forward and backward.
  double stepFlops = 0;
  /// Predicted seconds of one unplanned step (0 under cost=flops).
  double stepSeconds = 0;
  /// Below this budget remat reports the step infeasible (with the
  /// policies; see Policies.h).
  int64_t smallestFeasible = 0;
  /// The same without the policies.
  int64_t smallestFeasibleWithoutPolicies = 0;
  /// The plan whose peak is smallestFeasible, for the problem as it stands
  /// (policies and node costs): the solvers take it (knownMinPeak) instead of
  /// searching again. Empty when the problem could not be extracted, or once
  /// useCostModel changed the costs it was found with.
  std::optional<planner::Plan> minPeak;
  /// Nodes pinned save / recompute by the policies.
  int pinnedSave = 0, pinnedRecompute = 0;
  /// Threads the planner may use (SolveOptions::threads): every core, or 1
  /// when the context is single-threaded (--mlir-disable-threading). The
  /// plans are the same either way.
  unsigned threads = 0;

  /// Analyses `fn` and reads its policies (`segments`: see readPolicies),
  /// emitting what the analyses noticed. Null, with a remark, when `fn` is
  /// not a training step; failure, with an error at the op or the function,
  /// when it is one that remat refuses to plan.
  static mlir::FailureOr<std::unique_ptr<FunctionPlanning>>
  analyze(mlir::FunctionOpInterface fn, llvm::StringRef pass,
          unsigned segments = 0, const CostOptions &cost = {});

  /// Options for a solve of this step at `budgetBytes`: its threads, and
  /// its min-peak plan (not searched again).
  planner::SolveOptions
  solveOptions(int64_t budgetBytes, double timeLimit, int effort = 0,
               planner::MipSolver mipSolver = planner::MipSolver::Highs) const {
    planner::SolveOptions options;
    options.budgetBytes = budgetBytes;
    options.timeLimitSeconds = timeLimit;
    options.mipSolver = mipSolver;
    options.effort = effort;
    options.threads = threads;
    options.knownMinPeak = minPeak ? &*minPeak : nullptr;
    return options;
  }

  /// Recomputed FLOPs as a percentage of the step's FLOPs.
  double overheadPercent(double recomputeFlops) const {
    return stepFlops > 0 ? 100.0 * recomputeFlops / stepFlops : 0.0;
  }
  /// FLOPs and predicted seconds of the recompute steps of `plan`.
  double recomputeFlops(const planner::Plan &plan) const;
  double recomputeSeconds(const planner::Plan &plan) const;
  /// The cost model's prediction of the plan's overhead: its recompute
  /// cost as a percentage of the step's (FLOPs or time).
  double predictedOverheadPercent(const planner::Plan &plan) const;

  /// The plan's figures under a time model, for the planning passes' JSON:
  /// cost_model, predicted_overhead_percent, recompute_seconds and
  /// step_seconds. Nothing under cost=flops (overhead_percent is its
  /// prediction).
  void addCostJson(llvm::json::Object &object,
                   const planner::Plan &plan) const;
  /// "; predicted time (cost=K): recompute T, P% of the step's S" for a
  /// time model, empty under cost=flops.
  std::string describePredictedTime(const planner::Plan &plan) const;

private:
  /// Makes the problem's node costs predicted nanoseconds under a time
  /// model. After the policies: `segments` splits by FLOPs.
  void useCostModel();
  /// Sets minPeak for the problem as it stands; its peak.
  int64_t findMinPeak();
};

/// The cost options of a planning pass (see TimeModel.h), with cost=measured's
/// calibration read into `calibration`; fails, with an error at `module`
/// naming the file and what is wrong with it, when it cannot be used.
mlir::FailureOr<CostOptions>
loadCostOptions(mlir::ModuleOp module, llvm::StringRef pass, CostKind kind,
                CostTarget target, double peakGflops, double bandwidthGBps,
                llvm::StringRef calibrationPath,
                std::optional<Calibration> &calibration);

/// Calls `plan` on every training step among the functions of `module`. Fails
/// when `plan` fails, when a step is refused, or when no function is a
/// training step at all: a planning pass never succeeds having planned
/// nothing. Every function is visited, so every refusal is reported.
mlir::LogicalResult forEachTrainingStep(
    mlir::ModuleOp module, llvm::StringRef pass,
    llvm::function_ref<mlir::LogicalResult(mlir::FunctionOpInterface,
                                           FunctionPlanning &)>
        plan,
    unsigned segments = 0, const CostOptions &cost = {});

/// Writes `functions` as a JSON array to `path` ('-' for stdout); emits an
/// error at `loc` and fails when it cannot.
mlir::LogicalResult writeJsonFile(llvm::StringRef path,
                                  llvm::json::Array functions,
                                  mlir::Location loc);

} // namespace remat

#endif // REMAT_TRANSFORMS_PLANNING_H
