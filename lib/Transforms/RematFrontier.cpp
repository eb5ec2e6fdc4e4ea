//===- RematFrontier.cpp - The memory / recompute trade-off ---------------===//

#include "remat/Transforms/Passes.h"

#include "remat/Transforms/OptionChecks.h"
#include "remat/Transforms/Planning.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace remat {
#define GEN_PASS_DEF_REMATFRONTIER
#include "remat/Transforms/Passes.h.inc"

namespace {

struct FrontierPoint {
  int64_t budget = 0;
  int64_t plannedPeak = 0;
  /// In the cost model's unit (FLOPs or nanoseconds).
  double recomputeCost = 0;
  planner::Plan plan;
};

/// Plans at `count` budgets from the unplanned peak down to the smallest
/// feasible one, and keeps the points no other point beats on both memory and
/// recompute.
static std::vector<FrontierPoint>
computeFrontier(const FunctionPlanning &planning, planner::SolverKind kind,
                unsigned count, double timeLimit,
                planner::MipSolver mipSolver) {
  std::vector<FrontierPoint> points;
  int64_t high = planning.unplannedPeak;
  int64_t low = std::min(planning.smallestFeasible, high);
  for (unsigned i = 0; i < count; ++i) {
    const planner::SolveOptions options = planning.solveOptions(
        count == 1 ? high : high - (high - low) * int64_t(i) / (count - 1),
        timeLimit, /*effort=*/0, mipSolver);
    planner::SolveResult solved =
        planner::solve(planning.problem.problem, kind, options);
    if (solved.feasible)
      points.push_back({options.budgetBytes, solved.sim.peakBytes,
                        solved.sim.recomputeCost, std::move(solved.plan)});
  }
  // In order of recompute cost, a point is on the frontier when it peaks
  // lower than every cheaper point.
  llvm::sort(points, [](const FrontierPoint &a, const FrontierPoint &b) {
    return a.recomputeCost < b.recomputeCost ||
           (a.recomputeCost == b.recomputeCost &&
            a.plannedPeak < b.plannedPeak);
  });
  std::vector<FrontierPoint> frontier;
  for (const FrontierPoint &point : points)
    if (frontier.empty() || point.plannedPeak < frontier.back().plannedPeak)
      frontier.push_back(point);
  return frontier;
}

struct RematFrontierPass : public impl::RematFrontierBase<RematFrontierPass> {
  using RematFrontierBase::RematFrontierBase;

  /// Rejects bad options before any IR is touched, however the pass was made.
  LogicalResult initialize(MLIRContext *context) override {
    std::string invalid = checkFrontierOptions(points, timeLimit);
    if (invalid.empty())
      invalid = checkCostOptions(cost, peakGflops, bandwidthGbps, calibration);
    if (invalid.empty())
      return success();
    return emitError(UnknownLoc::get(context), "remat-frontier: ") << invalid;
  }

  void runOnOperation() override {
    planner::SolverKind kind = solver;
    std::optional<Calibration> measured;
    FailureOr<CostOptions> costOptions = loadCostOptions(
        getOperation(), "remat-frontier", cost, target, peakGflops,
        bandwidthGbps, calibration, measured);
    if (failed(costOptions))
      return signalPassFailure();
    llvm::json::Array functions;
    if (failed(forEachTrainingStep(
            getOperation(), "remat-frontier",
            [&](FunctionOpInterface fn, FunctionPlanning &planning) {
              std::vector<FrontierPoint> frontier =
                  computeFrontier(planning, kind, points, timeLimit, mipSolver);
              emitRemarks(fn, planning, frontier);
              functions.push_back(toJson(fn, planning, frontier));
              return success();
            },
            /*segments=*/0, *costOptions)))
      return signalPassFailure();
    if (!reportFile.empty() &&
        failed(writeJsonFile(reportFile, std::move(functions),
                             getOperation().getLoc())))
      return signalPassFailure();
    markAllAnalysesPreserved();
  }

  void emitRemarks(FunctionOpInterface fn, const FunctionPlanning &planning,
                   ArrayRef<FrontierPoint> frontier) {
    InFlightDiagnostic diag = emitRemark(fn.getLoc());
    diag << "remat-frontier: " << frontier.size()
         << " points (peak bytes at recompute % of the step";
    if (planning.cost.isTime())
      diag << "'s FLOPs / predicted time, cost="
           << costKindName(planning.cost.kind);
    diag << "):";
    for (const FrontierPoint &point : frontier) {
      diag << " " << point.plannedPeak << " at "
           << llvm::formatv("{0:f2}", planning.overheadPercent(
                                          planning.recomputeFlops(point.plan)));
      if (planning.cost.isTime())
        diag << llvm::formatv(
            "/{0:f2}", planning.predictedOverheadPercent(point.plan));
      diag << "%;";
    }
  }

  llvm::json::Object toJson(FunctionOpInterface fn,
                            const FunctionPlanning &planning,
                            ArrayRef<FrontierPoint> frontier) {
    llvm::json::Array array;
    for (const FrontierPoint &point : frontier) {
      const double flops = planning.recomputeFlops(point.plan);
      llvm::json::Object object{
          {"budget_bytes", point.budget},
          {"planned_peak_bytes", point.plannedPeak},
          {"recompute_flops", flops},
          {"overhead_percent", planning.overheadPercent(flops)},
      };
      planning.addCostJson(object, point.plan);
      array.push_back(std::move(object));
    }
    return llvm::json::Object{
        {"function", fn.getName()},
        {"solver", llvm::StringRef(planner::solverKindName(solver))},
        {"unplanned_peak_bytes", planning.unplannedPeak},
        {"smallest_feasible_bytes", planning.smallestFeasible},
        {"step_flops", planning.stepFlops},
        {"frontier", std::move(array)},
    };
  }
};

} // namespace
} // namespace remat
