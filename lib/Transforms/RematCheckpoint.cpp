//===- RematCheckpoint.cpp - Fit a training step into a budget ------------===//

#include "remat/Transforms/Passes.h"

#include "remat/Planner/Budget.h"
#include "remat/Planner/Frontier.h"
#include "remat/Transforms/ApplyPlan.h"
#include "remat/Transforms/LocalizeInits.h"
#include "remat/Transforms/OptionChecks.h"
#include "remat/Transforms/Planning.h"
#include "remat/Transforms/Report.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace remat {
#define GEN_PASS_DEF_REMATCHECKPOINT
#include "remat/Transforms/Passes.h.inc"

namespace {

/// What became of one stashed activation.
struct Decision {
  ValueInfo value;
  /// How often the plan recomputes it; 0 when it is kept.
  int recomputes = 0;
  int64_t flops = 0;
};

/// What the pass did to one function, for its remarks and its JSON.
struct Outcome {
  int64_t budget = 0;
  int64_t plannedPeak = 0;
  int64_t rewrittenPeak = 0;
  planner::SolveResult solved;
  SmallVector<Decision> decisions;
  std::vector<int64_t> timelineAfter;
};

static llvm::json::Array toJson(ArrayRef<int64_t> values) {
  llvm::json::Array array;
  for (int64_t value : values)
    array.push_back(value);
  return array;
}

struct RematCheckpointPass
    : public impl::RematCheckpointBase<RematCheckpointPass> {
  using RematCheckpointBase::RematCheckpointBase;

  /// Rejects bad options before any IR is touched, however the pass was made.
  LogicalResult initialize(MLIRContext *context) override {
    std::string invalid = checkPlanningOptions(budget, timeLimit);
    if (invalid.empty())
      return success();
    return emitError(UnknownLoc::get(context), "remat-checkpoint: ")
           << invalid;
  }

  llvm::StringRef solverName() const {
    return planner::solverKindName(solver);
  }

  void runOnOperation() override {
    if (budget.empty())
      return;
    // Parses: initialize() checked it.
    planner::BudgetOrError parsed = planner::parseBudget(budget);
    planner::SolverKind kind = solver;
    // Plan the program the lowering will see (remat-bufferize localizes
    // too): every writer with a fresh destination of its own.
    for (auto fn : getOperation().getOps<FunctionOpInterface>())
      if (!fn.isExternal() && fn.getFunctionBody().hasOneBlock())
        localizeInits(fn.getFunctionBody().front());
    llvm::json::Array plans;
    if (failed(forEachTrainingStep(
            getOperation(), "remat-checkpoint",
            [&](FunctionOpInterface fn, FunctionPlanning &planning) {
              FailureOr<Outcome> outcome =
                  planFunction(fn, planning, *parsed.budget, kind);
              if (failed(outcome))
                return failure();
              emitRemarks(fn, planning, *outcome);
              plans.push_back(toJson(fn, planning, *outcome));
              return success();
            })))
      signalPassFailure();
    if (!planFile.empty() &&
        failed(writeJsonFile(planFile, std::move(plans),
                             getOperation().getLoc())))
      signalPassFailure();
  }

  FailureOr<Outcome> planFunction(FunctionOpInterface fn,
                                  FunctionPlanning &planning,
                                  const planner::Budget &requested,
                                  planner::SolverKind kind) {
    Outcome outcome;
    outcome.budget = requested.resolve(planning.unplannedPeak);
    if (outcome.budget < planning.smallestFeasible)
      return emitError(fn.getLoc(), "remat-checkpoint: budget of ")
             << outcome.budget << " bytes is below the smallest feasible "
             << "budget for this step, " << planning.smallestFeasible
             << " bytes (" << formatBytes(planning.smallestFeasible)
             << ": the least peak solver=fast reaches; the unplanned peak is "
             << planning.unplannedPeak << " bytes)";

    // The step already fits: the optimizing solvers have nothing to do. The
    // baselines run as asked.
    if (outcome.budget >= planning.unplannedPeak &&
        (kind == planner::SolverKind::Fast ||
         kind == planner::SolverKind::Exact))
      return keepEverything(fn, planning, std::move(outcome));

    FailureOr<bool> planned = planAndRewrite(fn, planning, kind, outcome);
    if (failed(planned))
      return failure();
    if (*planned)
      return outcome;
    return emitError(fn.getLoc(), "remat-checkpoint: solver '")
           << solverName() << "' found no plan within " << outcome.budget
           << " bytes (" << outcome.solved.message
           << "); the smallest feasible budget is " << planning.smallestFeasible
           << " bytes, which solver=fast reaches";
  }

  static Outcome keepEverything(FunctionOpInterface fn,
                                const FunctionPlanning &planning,
                                Outcome outcome) {
    outcome.solved.plan = planner::keepAllPlan(planning.problem.problem);
    outcome.solved.feasible = true;
    outcome.solved.provenOptimal = true;
    outcome.plannedPeak = outcome.rewrittenPeak = planning.unplannedPeak;
    outcome.decisions = decide(fn, planning, outcome.solved.plan);
    outcome.timelineAfter.assign(planning.sim.getTimeline().begin(),
                                 planning.sim.getTimeline().end());
    return outcome;
  }

  /// Plans `fn` for the budget and rewrites it. False when the solver found
  /// no plan. The planning problem is a lossless projection of the memory
  /// model (docs/memory-model.md): the rewritten step peaks exactly at the
  /// plan's peak, and anything else is a bug, reported as an internal error.
  /// `fast` answers from its budget-independent frontier, so the plan's cost
  /// never rises with the budget (exact's proven optima do not either).
  FailureOr<bool> planAndRewrite(FunctionOpInterface fn,
                                 FunctionPlanning &planning,
                                 planner::SolverKind kind, Outcome &outcome) {
    const planner::Problem &problem = planning.problem.problem;
    planner::SolveOptions options;
    options.budgetBytes = outcome.budget;
    options.timeLimitSeconds = timeLimit;
    // exact's proven optima are monotone by themselves; a frontier of them
    // would cost a MILP solve per point.
    outcome.solved = kind == planner::SolverKind::Fast
                         ? planner::solveMonotone(problem, kind, options)
                         : planner::solve(problem, kind, options);
    if (!outcome.solved.feasible)
      return false;
    // The solver's own simulation decided feasibility; check the plan
    // against the problem again before touching the IR.
    planner::Simulation check = planner::simulate(problem, outcome.solved.plan);
    std::string invalid = planner::validate(problem, outcome.solved.plan);
    if (!invalid.empty() || check.peakBytes > outcome.budget)
      return emitError(fn.getLoc(),
                       "remat-checkpoint: internal error: the plan of '")
             << solverName() << "' does not hold: "
             << (invalid.empty() ? "it peaks over budget" : invalid);
    outcome.plannedPeak = check.peakBytes;
    outcome.decisions = decide(fn, planning, outcome.solved.plan);

    applyPlan(planning.problem, outcome.solved.plan);
    if (failed(verify(fn)))
      return emitError(fn.getLoc(),
                       "remat-checkpoint: internal error: the rewrite broke "
                       "the IR");
    MemorySimulator rewritten(fn);
    outcome.rewrittenPeak = rewritten.getPeakBytes();
    if (outcome.rewrittenPeak != outcome.plannedPeak)
      return emitError(fn.getLoc(), "remat-checkpoint: internal error: the "
                                    "rewritten step peaks at ")
             << outcome.rewrittenPeak << " bytes where its plan peaks at "
             << outcome.plannedPeak
             << " bytes: the planning problem and the memory model disagree";
    outcome.timelineAfter.assign(rewritten.getTimeline().begin(),
                                 rewritten.getTimeline().end());
    return true;
  }

  static SmallVector<Decision> decide(FunctionOpInterface fn,
                                      const FunctionPlanning &planning,
                                      const planner::Plan &plan) {
    const PlanningProblem &problem = planning.problem;
    std::vector<int> recomputes(problem.problem.nodes.size(), 0);
    for (const planner::Step &step : plan.schedule)
      if (step.recompute)
        ++recomputes[step.node];
    AsmState state(fn);
    SmallVector<Decision> decisions;
    for (Value value : planning.graph.getStashed()) {
      int node = problem.getProducerNode(value);
      if (node < 0)
        continue;
      decisions.push_back(
          {describeValue(value, planning.sim, state), recomputes[node],
           toFlops(problem.problem.nodes[node].cost * recomputes[node])});
    }
    return decisions;
  }

  void emitRemarks(FunctionOpInterface fn, const FunctionPlanning &planning,
                   const Outcome &outcome) {
    for (const Decision &decision : outcome.decisions) {
      InFlightDiagnostic diag = emitRemark(decision.value.loc);
      if (decision.recomputes == 0) {
        diag << "remat-checkpoint: keep " << decision.value.name << " ("
             << decision.value.bytes << " bytes)";
        continue;
      }
      diag << "remat-checkpoint: recompute " << decision.value.name << " ("
           << decision.value.bytes << " bytes, "
           << decision.flops / decision.recomputes << " FLOPs) "
           << decision.recomputes
           << (decision.recomputes == 1 ? " time" : " times");
    }
    const planner::SolveResult &solved = outcome.solved;
    InFlightDiagnostic diag = emitRemark(fn.getLoc());
    diag << "remat-checkpoint: unplanned peak " << planning.unplannedPeak
         << " bytes, budget " << outcome.budget << " bytes, planned peak "
         << outcome.plannedPeak << " bytes (rewritten IR: "
         << outcome.rewrittenPeak << " bytes); recompute "
         << toFlops(solved.sim.recomputeCost) << " FLOPs, "
         << llvm::formatv("{0:f2}",
                          planning.overheadPercent(solved.sim.recomputeCost))
         << "% of the step; solver " << solverName() << " in "
         << llvm::formatv("{0:f3}", solved.solveSeconds) << " s";
    if (solver == planner::SolverKind::Exact)
      diag << (solved.provenOptimal ? ", proven optimal"
                                    : ", not proven optimal")
           << " (gap " << llvm::formatv("{0:f2}", 100 * solved.gap) << "%)";
  }

  llvm::json::Object toJson(FunctionOpInterface fn,
                            const FunctionPlanning &planning,
                            const Outcome &outcome) {
    llvm::json::Array kept, recomputed;
    for (const Decision &decision : outcome.decisions) {
      llvm::json::Object entry{{"value", decision.value.name},
                               {"op", decision.value.opName},
                               {"bytes", decision.value.bytes},
                               {"loc", formatLocation(decision.value.loc)}};
      if (decision.recomputes == 0) {
        kept.push_back(std::move(entry));
        continue;
      }
      entry["times"] = decision.recomputes;
      entry["flops"] = decision.flops;
      recomputed.push_back(std::move(entry));
    }
    const planner::SolveResult &solved = outcome.solved;
    return llvm::json::Object{
        {"function", fn.getName()},
        {"solver", solverName()},
        {"unplanned_peak_bytes", planning.unplannedPeak},
        {"budget_bytes", outcome.budget},
        {"smallest_feasible_bytes", planning.smallestFeasible},
        {"planned_peak_bytes", outcome.plannedPeak},
        {"rewritten_peak_bytes", outcome.rewrittenPeak},
        {"recompute_flops", solved.sim.recomputeCost},
        {"step_flops", planning.stepFlops},
        {"overhead_percent",
         planning.overheadPercent(solved.sim.recomputeCost)},
        {"solve_seconds", solved.solveSeconds},
        {"proven_optimal", solved.provenOptimal},
        {"kept", std::move(kept)},
        {"recomputed", std::move(recomputed)},
        {"timeline_before", remat::toJson(planning.sim.getTimeline())},
        {"timeline_after", remat::toJson(outcome.timelineAfter)},
    };
  }
};

} // namespace
} // namespace remat
