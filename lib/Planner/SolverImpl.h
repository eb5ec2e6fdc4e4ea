//===- SolverImpl.h - Solvers behind planner::solve (internal) ---*- C++ -*-===//
#ifndef REMAT_LIB_PLANNER_SOLVERIMPL_H
#define REMAT_LIB_PLANNER_SOLVERIMPL_H

#include "remat/Planner/Retention.h"
#include "remat/Planner/Solvers.h"

namespace remat::planner {

/// Every forward value Always recomputed.
Plan recomputeAllPlan(const RetentionFamily &family);
/// Chen et al. 2016: every ~sqrt(n)-th candidate kept, the rest Cut.
Plan sqrtNPlan(const RetentionFamily &family);
/// PyTorch-style: stashed values kept by a 0/1 knapsack, liveness ignored.
Plan knapsackPlan(const RetentionFamily &family, int64_t budgetBytes);
/// Greedy descent and local search over the retention family; `deepMoves`
/// adds moves that also recompute a value's inputs before every use (lower
/// peaks, used when the plain search finds nothing that fits).
Plan fastPlan(const RetentionFamily &family, int64_t budgetBytes,
              bool deepMoves = false);
/// Test hook (unittests/Planner): while on, every weakening the fast
/// search's relax skips as surely over budget (FastSearch::keepingOverflows)
/// is built and simulated anyway, outside the search's work count, and
/// counted when it fits and is cheaper: the skip was wrong. Counts are
/// since the last setCheckRelaxSkips(true).
void setCheckRelaxSkips(bool on);
struct RelaxSkipCounts {
  int64_t skipped = 0;
  int64_t skippedThatFit = 0;
};
RelaxSkipCounts relaxSkipCounts();
/// Rotor-style DP over the segments of the forward chain (Chain.cpp),
/// polished; an empty plan when the graph is no chain or nothing fits.
Plan chainPlan(const RetentionFamily &family, int64_t budgetBytes);
/// Removes recompute steps, most expensive first, while the plan fits the
/// budget (simulated incrementally); at most `maxTrials` removal trials. A
/// plan over the budget is returned unchanged.
Plan polishPlan(const Problem &problem, const Plan &plan, int64_t budgetBytes,
                int64_t maxTrials);
/// Local search over stage schedules (Stage.cpp) from `start`: add moves at
/// the peak, the polish, and (`kicks`) iterated local search and randomized
/// starts, `effort` rounds of them; at most `workSteps` simulated steps.
/// The cheaper fitting plan of the two (or the lower peak when neither
/// fits); `start` itself on graphs over 400 nodes.
Plan stagePlan(const Problem &problem, const Plan &start, int64_t budgetBytes,
               int64_t workSteps, bool kicks = true, int effort = 1);
/// The stage search's repair (add moves at the peak until the plan fits)
/// and polish from `start` alone, at most `workSteps` simulated steps; an
/// empty plan when it does not come to fit or the graph is over 1000 nodes.
Plan stageRepair(const Problem &problem, const Plan &start, int64_t budgetBytes,
                 int64_t workSteps);
/// The plan of least simulated peak that fast's machinery finds (a search
/// over budgets); its peak is smallestFeasibleBudget.
Plan minPeakPlan(const RetentionFamily &family);
/// Checkmate's MILP on CBC; fills plan, provenOptimal, gap and message.
/// `start` (may be null), a feasible stage schedule, is handed to CBC as its
/// first incumbent (MIP start); `startSeconds` already spent count against
/// the time limit.
SolveResult exactSolve(const Problem &problem, const SolveOptions &options,
                       const Plan *start = nullptr, double startSeconds = 0);

} // namespace remat::planner

#endif // REMAT_LIB_PLANNER_SOLVERIMPL_H
