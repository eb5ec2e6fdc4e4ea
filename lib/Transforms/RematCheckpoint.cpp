//===- RematCheckpoint.cpp - Fit a training step into a budget ------------===//

#include "remat/Transforms/Passes.h"

#include "remat/Planner/Budget.h"
#include "remat/Planner/Frontier.h"
#include "remat/Planner/Solvers.h"
#include "remat/Transforms/ApplyPlan.h"
#include "remat/Transforms/LocalizeInits.h"
#include "remat/Transforms/OptionChecks.h"
#include "remat/Transforms/Planning.h"
#include "remat/Transforms/Policies.h"
#include "remat/Transforms/Report.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

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
  planner::Policy policy = planner::Policy::Free;
};

/// What the pass did to one function, for its remarks and its JSON.
struct Outcome {
  /// INT64_MAX when solver=manual was given no budget.
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
      invalid = checkEffort(effort);
    if (invalid.empty())
      invalid = checkLevels(levels);
    if (invalid.empty())
      invalid = checkCostOptions(cost, peakGflops, bandwidthGbps, calibration);
    if (invalid.empty())
      return success();
    return emitError(UnknownLoc::get(context), "remat-checkpoint: ")
           << invalid;
  }

  llvm::StringRef solverName() const {
    return planner::solverKindName(solver);
  }

  void runOnOperation() override {
    planner::SolverKind kind = solver;
    // solver=manual needs no budget: it applies the policies.
    if (budget.empty() && kind != planner::SolverKind::Manual)
      return;
    // Parses: initialize() checked it.
    std::optional<planner::Budget> requested;
    if (!budget.empty())
      requested = *planner::parseBudget(budget).budget;
    std::optional<Calibration> measured;
    FailureOr<CostOptions> costOptions = loadCostOptions(
        getOperation(), "remat-checkpoint", cost, target, peakGflops,
        bandwidthGbps, calibration, measured);
    if (failed(costOptions))
      return signalPassFailure();
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
                  planFunction(fn, planning, requested, kind);
              if (failed(outcome))
                return failure();
              emitRemarks(fn, planning, *outcome);
              plans.push_back(toJson(fn, planning, *outcome));
              return success();
            },
            segments, *costOptions)))
      signalPassFailure();
    if (!planFile.empty() &&
        failed(writeJsonFile(planFile, std::move(plans),
                             getOperation().getLoc())))
      signalPassFailure();
  }

  FailureOr<Outcome> planFunction(FunctionOpInterface fn,
                                  FunctionPlanning &planning,
                                  std::optional<planner::Budget> requested,
                                  planner::SolverKind kind) {
    Outcome outcome;
    outcome.budget = requested ? requested->resolve(planning.unplannedPeak)
                               : std::numeric_limits<int64_t>::max();
    if (kind == planner::SolverKind::Manual)
      return planManually(fn, planning, std::move(outcome));
    if (outcome.budget < planning.smallestFeasible)
      return emitBudgetError(fn, planning, outcome.budget);

    // The policies' plan (keep-all without policies) fits: it is the least
    // recompute there is, the optimizing solvers have nothing to do. The
    // baselines run as asked.
    if (kind == planner::SolverKind::Fast ||
        kind == planner::SolverKind::Exact) {
      planner::SolveResult manual =
          solveWith(planning, planner::SolverKind::Manual, outcome.budget);
      if (manual.feasible) {
        manual.provenOptimal = true;
        return applySolution(fn, planning, std::move(outcome),
                             std::move(manual));
      }
    }

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

  planner::SolveResult solveWith(const FunctionPlanning &planning,
                                 planner::SolverKind kind,
                                 int64_t budgetBytes) const {
    return planner::solve(
        planning.problem.problem, kind,
        planning.solveOptions(budgetBytes, timeLimit, effort, mipSolver));
  }

  /// solver=manual: the policies and nothing else, over the budget or not
  /// when none was given.
  FailureOr<Outcome> planManually(FunctionOpInterface fn,
                                  FunctionPlanning &planning,
                                  Outcome outcome) {
    planner::SolveResult manual =
        solveWith(planning, planner::SolverKind::Manual, outcome.budget);
    if (manual.feasible)
      return applySolution(fn, planning, std::move(outcome),
                           std::move(manual));
    if (manual.sim.peakBytes <= outcome.budget)
      return emitError(fn.getLoc(), "remat-checkpoint: internal error: ")
             << manual.message;
    return emitError(fn.getLoc(), "remat-checkpoint: solver=manual: the "
                                  "policies' plan peaks at ")
           << manual.sim.peakBytes << " bytes, over the budget of "
           << outcome.budget
           << " bytes; solver=fast or exact keeps the policies and plans "
              "the rest to fit budgets down to "
           << planning.smallestFeasible << " bytes";
  }

  /// A solution found before planAndRewrite: kept as is when it recomputes
  /// nothing, rewritten otherwise.
  FailureOr<Outcome> applySolution(FunctionOpInterface fn,
                                   FunctionPlanning &planning, Outcome outcome,
                                   planner::SolveResult solved) {
    if (solved.sim.recomputeCost == 0 &&
        llvm::none_of(solved.plan.schedule,
                      [](const planner::Step &step) { return step.recompute; }))
      return keepEverything(fn, planning, std::move(outcome));
    outcome.solved = std::move(solved);
    if (failed(rewrite(fn, planning, outcome)))
      return failure();
    return outcome;
  }

  /// Below the smallest feasible budget. When the policies are what makes
  /// it too small, the error is at the largest value they keep live at the
  /// least peak.
  LogicalResult emitBudgetError(FunctionOpInterface fn,
                                const FunctionPlanning &planning,
                                int64_t budget) const {
    if (budget >= planning.smallestFeasibleWithoutPolicies) {
      Operation *op = savedAtLeastPeak(planning);
      InFlightDiagnostic diag = emitError(op ? op->getLoc() : fn.getLoc())
                                << "remat-checkpoint: budget of " << budget
                                << " bytes is below the smallest budget that "
                                   "fits the policies, "
                                << planning.smallestFeasible << " bytes ("
                                << formatBytes(planning.smallestFeasible)
                                << "; without them "
                                << planning.smallestFeasibleWithoutPolicies
                                << " bytes)";
      if (op)
        diag << ": this op's result is pinned \"save\" and live at that "
                "peak";
      return diag;
    }
    return emitError(fn.getLoc(), "remat-checkpoint: budget of ")
           << budget << " bytes is below the smallest feasible "
           << "budget for this step, " << planning.smallestFeasible
           << " bytes (" << formatBytes(planning.smallestFeasible)
           << ": the least peak solver=fast reaches; the unplanned peak is "
           << planning.unplannedPeak << " bytes)";
  }

  /// The op of the largest value pinned save that is live at the peak of
  /// fast's plan at the smallest feasible budget; null when none is.
  Operation *savedAtLeastPeak(const FunctionPlanning &planning) const {
    const planner::Problem &problem = planning.problem.problem;
    planner::SolveResult least =
        solveWith(planning, planner::SolverKind::Fast,
                  planning.smallestFeasible);
    const std::vector<planner::Step> &schedule = least.plan.schedule;
    if (!least.feasible || schedule.empty())
      return nullptr;
    const int peak = least.sim.peakStep, last = schedule.size() - 1;
    // A saved node has one version: live from its step to its last reader.
    std::vector<int> defined(problem.nodes.size(), -1),
        lastRead(problem.nodes.size(), -1);
    for (int s = 0; s <= last; ++s) {
      for (int input : problem.nodes[schedule[s].node].inputs)
        lastRead[input] = s;
      if (!schedule[s].recompute)
        defined[schedule[s].node] = s;
    }
    int best = -1;
    for (int i = 0, e = problem.nodes.size(); i < e; ++i) {
      const planner::Node &node = problem.nodes[i];
      const int end = node.output ? last : std::max(lastRead[i], defined[i]);
      if (node.policy == planner::Policy::Save && defined[i] <= peak &&
          peak <= end && (best < 0 || node.bytes > problem.nodes[best].bytes))
        best = i;
    }
    return best < 0 ? nullptr : planning.problem.members[best].back();
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
    // The frontier's solves run on every core unless the context is
    // single-threaded (--mlir-disable-threading); the plan is the same. The
    // min-peak plan behind the smallest feasible budget is the frontier's
    // least level, not searched again.
    const planner::SolveOptions options =
        planning.solveOptions(outcome.budget, timeLimit, effort, mipSolver);
    // exact's proven optima are monotone by themselves; a frontier of them
    // would cost a MILP solve per point.
    outcome.solved = kind == planner::SolverKind::Fast
                         ? planner::solveMonotone(problem, kind, options,
                                                  levels)
                         : planner::solve(problem, kind, options);
    if (!outcome.solved.feasible)
      return false;
    if (failed(rewrite(fn, planning, outcome)))
      return failure();
    return true;
  }

  /// Applies outcome.solved's plan to `fn`, checked before and after.
  LogicalResult rewrite(FunctionOpInterface fn, FunctionPlanning &planning,
                        Outcome &outcome) {
    const planner::Problem &problem = planning.problem.problem;
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
    return success();
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
           toFlops(planning.nodeFlops[node] * recomputes[node]),
           problem.problem.nodes[node].policy});
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
      } else {
        diag << "remat-checkpoint: recompute " << decision.value.name << " ("
             << decision.value.bytes << " bytes, "
             << decision.flops / decision.recomputes << " FLOPs) "
             << decision.recomputes
             << (decision.recomputes == 1 ? " time" : " times");
      }
      if (decision.policy != planner::Policy::Free)
        diag << ", pinned " << policyName(decision.policy);
    }
    const planner::SolveResult &solved = outcome.solved;
    const double recomputeFlops = planning.recomputeFlops(solved.plan);
    InFlightDiagnostic diag = emitRemark(fn.getLoc());
    diag << "remat-checkpoint: unplanned peak " << planning.unplannedPeak
         << " bytes, budget ";
    if (hasBudget(outcome))
      diag << outcome.budget << " bytes";
    else
      diag << "none";
    diag << ", planned peak "
         << outcome.plannedPeak << " bytes (rewritten IR: "
         << outcome.rewrittenPeak << " bytes); recompute "
         << toFlops(recomputeFlops) << " FLOPs, "
         << llvm::formatv("{0:f2}", planning.overheadPercent(recomputeFlops))
         << "% of the step" << planning.describePredictedTime(solved.plan)
         << "; solver " << solverName() << " in "
         << llvm::formatv("{0:f3}", solved.solveSeconds) << " s";
    if (solver == planner::SolverKind::Exact)
      diag << (solved.provenOptimal ? ", proven optimal"
                                    : ", not proven optimal")
           << " (gap " << llvm::formatv("{0:f2}", 100 * solved.gap) << "%)";
    if (planning.pinnedSave + planning.pinnedRecompute > 0)
      diag << "; policies pin " << planning.pinnedSave << " value(s) save, "
           << planning.pinnedRecompute << " recompute";
    if (solver != planner::SolverKind::Exact)
      if (std::optional<ProvenGap> gap = provenGap(planning, outcome))
        diag << "; recompute at most "
             << llvm::formatv("{0:f2}", 100 * gap->gap)
             << "% above the least any plan within the budget needs "
                "(proven lower bound)";
  }

  /// How far the plan's recompute cost is at most above the least of any
  /// plan within the budget (planner::RecomputeCostBound, in the problem's
  /// cost units: FLOPs or predicted nanoseconds), as a fraction of the
  /// plan's; exact's own gap (which takes the better of CBC's bound and
  /// that one). None without a budget (solver=manual), or where the bound
  /// says nothing fits (a plan that fits contradicts it: never).
  struct ProvenGap {
    double lowerBound, gap;
  };
  std::optional<ProvenGap> provenGap(const FunctionPlanning &planning,
                                     const Outcome &outcome) const {
    if (!hasBudget(outcome))
      return std::nullopt;
    const planner::Problem &problem = planning.problem.problem;
    const double bound =
        planner::RecomputeCostBound(problem).at(outcome.budget);
    if (!std::isfinite(bound))
      return std::nullopt;
    if (solver == planner::SolverKind::Exact)
      return ProvenGap{bound, outcome.solved.gap};
    const double cost =
        planner::simulate(problem, outcome.solved.plan).recomputeCost;
    return ProvenGap{bound, cost > 0 ? std::max(0.0, (cost - bound) / cost)
                                     : 0.0};
  }

  static bool hasBudget(const Outcome &outcome) {
    return outcome.budget != std::numeric_limits<int64_t>::max();
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
      if (decision.policy != planner::Policy::Free)
        entry["policy"] = policyName(decision.policy);
      if (decision.recomputes == 0) {
        kept.push_back(std::move(entry));
        continue;
      }
      entry["times"] = decision.recomputes;
      entry["flops"] = decision.flops;
      recomputed.push_back(std::move(entry));
    }
    const planner::SolveResult &solved = outcome.solved;
    const double recomputeFlops = planning.recomputeFlops(solved.plan);
    llvm::json::Object object{
        {"function", fn.getName()},
        {"solver", solverName()},
        {"unplanned_peak_bytes", planning.unplannedPeak},
        {"budget_bytes", hasBudget(outcome) ? llvm::json::Value(outcome.budget)
                                            : llvm::json::Value(nullptr)},
        {"smallest_feasible_bytes", planning.smallestFeasible},
        {"smallest_feasible_without_policies_bytes",
         planning.smallestFeasibleWithoutPolicies},
        {"pinned_save", planning.pinnedSave},
        {"pinned_recompute", planning.pinnedRecompute},
        {"planned_peak_bytes", outcome.plannedPeak},
        {"rewritten_peak_bytes", outcome.rewrittenPeak},
        {"recompute_flops", recomputeFlops},
        {"step_flops", planning.stepFlops},
        {"overhead_percent", planning.overheadPercent(recomputeFlops)},
        {"solve_seconds", solved.solveSeconds},
        {"proven_optimal", solved.provenOptimal},
        {"kept", std::move(kept)},
        {"recomputed", std::move(recomputed)},
        {"timeline_before", remat::toJson(planning.sim.getTimeline())},
        {"timeline_after", remat::toJson(outcome.timelineAfter)},
    };
    const std::optional<ProvenGap> gap = provenGap(planning, outcome);
    object["recompute_cost_lower_bound"] =
        gap ? llvm::json::Value(gap->lowerBound) : llvm::json::Value(nullptr);
    object["proven_gap"] =
        gap ? llvm::json::Value(gap->gap) : llvm::json::Value(nullptr);
    planning.addCostJson(object, solved.plan);
    return object;
  }
};

} // namespace
} // namespace remat
