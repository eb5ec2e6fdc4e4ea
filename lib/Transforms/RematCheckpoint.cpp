//===- RematCheckpoint.cpp - Fit a training step into a budget ------------===//

#include "remat/Transforms/Passes.h"

#include "remat/Analysis/PlanningProblem.h"
#include "remat/Planner/Budget.h"
#include "remat/Planner/Solvers.h"
#include "remat/Transforms/ApplyPlan.h"
#include "remat/Transforms/Report.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace remat {
#define GEN_PASS_DEF_REMATCHECKPOINT
#include "remat/Transforms/Passes.h.inc"

namespace {

/// What the pass found for one function, for its remarks.
struct Outcome {
  int64_t unplannedPeak = 0;
  int64_t budget = 0;
  int64_t plannedPeak = 0;
  int64_t rewrittenPeak = 0;
  double stepFlops = 0;
  planner::SolveResult solved;
};

struct RematCheckpointPass
    : public impl::RematCheckpointBase<RematCheckpointPass> {
  using RematCheckpointBase::RematCheckpointBase;

  void runOnOperation() override {
    if (budget.empty())
      return;
    planner::BudgetOrError parsed = planner::parseBudget(budget);
    if (!parsed.budget) {
      getOperation().emitError("remat-checkpoint: invalid budget '")
          << budget << "': " << parsed.error;
      return signalPassFailure();
    }
    std::optional<planner::SolverKind> kind =
        planner::parseSolverKind(solver);
    if (!kind) {
      getOperation().emitError("remat-checkpoint: unknown solver '")
          << solver
          << "'; expected fast, exact, keep-all, recompute-all, sqrtn or "
             "knapsack";
      return signalPassFailure();
    }
    for (auto fn : getOperation().getOps<FunctionOpInterface>())
      if (!fn.isExternal() && failed(planFunction(fn, *parsed.budget, *kind)))
        signalPassFailure();
  }

  LogicalResult planFunction(FunctionOpInterface fn,
                             const planner::Budget &requested,
                             planner::SolverKind kind) {
    TrainingGraph graph(fn);
    emitFindings(graph.getFindings());
    if (!graph.isTrainingStep())
      return success();
    CostModel costs(fn);
    MemorySimulator sim(fn);
    PlanningProblem problem = extractPlanningProblem(fn, graph, costs, sim);
    if (!problem.error.empty()) {
      emitRemark(fn.getLoc()) << "remat-checkpoint: cannot plan: "
                              << problem.error << "; left unchanged";
      return success();
    }

    Outcome outcome;
    outcome.unplannedPeak = sim.getPeakBytes();
    outcome.budget = requested.resolve(outcome.unplannedPeak);
    for (Operation *op : graph.getOps())
      outcome.stepFlops += costs.getFlops(op);
    int64_t smallest = planner::smallestFeasibleBudget(problem.problem);
    if (outcome.budget < smallest)
      return emitError(fn.getLoc(), "remat-checkpoint: budget of ")
             << outcome.budget << " bytes is below the smallest feasible "
             << "budget for this step, " << smallest << " bytes ("
             << formatBytes(smallest)
             << ": the peak with every recomputable activation recomputed; "
                "the unplanned peak is "
             << outcome.unplannedPeak << " bytes)";

    planner::SolveOptions options;
    options.budgetBytes = outcome.budget;
    options.timeLimitSeconds = timeLimit;
    outcome.solved = planner::solve(problem.problem, kind, options);
    if (!outcome.solved.feasible)
      return emitError(fn.getLoc(), "remat-checkpoint: solver '")
             << solver << "' found no plan within " << outcome.budget
             << " bytes (its plan peaks at " << outcome.solved.sim.peakBytes
             << " bytes: " << outcome.solved.message
             << "); the smallest feasible budget is " << smallest
             << " bytes, which solver=fast reaches";
    // The planner's own simulation decided feasibility; re-check it against
    // the problem before touching the IR.
    planner::Simulation check =
        planner::simulate(problem.problem, outcome.solved.plan);
    std::string invalid =
        planner::validate(problem.problem, outcome.solved.plan);
    if (!invalid.empty() || check.peakBytes > outcome.budget)
      return emitError(fn.getLoc(), "remat-checkpoint: internal error: the plan of '")
             << solver << "' does not hold: "
             << (invalid.empty() ? "it peaks over budget" : invalid);
    outcome.plannedPeak = check.peakBytes;

    emitActivationRemarks(fn, graph, problem, outcome.solved.plan, sim);
    applyPlan(fn, problem, outcome.solved.plan);
    if (failed(verify(fn)))
      return emitError(fn.getLoc(), 
          "remat-checkpoint: internal error: the rewrite broke the IR");
    outcome.rewrittenPeak = MemorySimulator(fn).getPeakBytes();
    emitFunctionRemark(fn, outcome);
    return success();
  }

  void emitActivationRemarks(FunctionOpInterface fn, const TrainingGraph &graph,
                             const PlanningProblem &problem,
                             const planner::Plan &plan,
                             const MemorySimulator &sim) {
    std::vector<int> recomputes(problem.problem.nodes.size(), 0);
    for (const planner::Step &step : plan.schedule)
      if (step.recompute)
        ++recomputes[step.node];
    AsmState state(fn);
    for (Value value : graph.getStashed()) {
      int node = problem.getProducerNode(value);
      if (node < 0)
        continue;
      ValueInfo info = describeValue(value, sim, state);
      InFlightDiagnostic diag = emitRemark(value.getLoc());
      if (recomputes[node] == 0) {
        diag << "remat-checkpoint: keep " << info.name << " ("
             << info.bytes << " bytes)";
        continue;
      }
      diag << "remat-checkpoint: recompute " << info.name << " ("
           << info.bytes << " bytes, "
           << int64_t(problem.problem.nodes[node].cost) << " FLOPs) "
           << recomputes[node] << (recomputes[node] == 1 ? " time" : " times");
    }
  }

  void emitFunctionRemark(FunctionOpInterface fn, const Outcome &outcome) {
    const planner::SolveResult &solved = outcome.solved;
    double overhead = outcome.stepFlops > 0
                          ? 100.0 * solved.sim.recomputeCost / outcome.stepFlops
                          : 0.0;
    InFlightDiagnostic diag = emitRemark(fn.getLoc());
    diag << "remat-checkpoint: unplanned peak " << outcome.unplannedPeak
         << " bytes, budget " << outcome.budget << " bytes, planned peak "
         << outcome.plannedPeak << " bytes (rewritten IR: "
         << outcome.rewrittenPeak << " bytes); recompute "
         << int64_t(solved.sim.recomputeCost) << " FLOPs, "
         << llvm::formatv("{0:f2}", overhead) << "% of the step; solver "
         << solver << " in " << llvm::formatv("{0:f3}", solved.solveSeconds)
         << " s";
    if (planner::parseSolverKind(solver) == planner::SolverKind::Exact)
      diag << (solved.provenOptimal ? ", proven optimal"
                                    : ", not proven optimal")
           << " (gap " << llvm::formatv("{0:f2}", 100 * solved.gap) << "%)";
  }
};

} // namespace
} // namespace remat
