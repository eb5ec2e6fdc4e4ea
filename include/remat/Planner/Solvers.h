//===- Solvers.h - Plans that fit a memory budget ----------------*- C++ -*-===//
//
// Every solver returns a plan that has been simulated; `feasible` is decided by
// that simulation alone (peak <= budget), never by the solver's own model.
//
//===----------------------------------------------------------------------===//
#ifndef REMAT_PLANNER_SOLVERS_H
#define REMAT_PLANNER_SOLVERS_H

#include "remat/Planner/Problem.h"

#include <optional>
#include <string>
#include <string_view>

namespace remat::planner {

enum class SolverKind { Fast, Exact, KeepAll, RecomputeAll, SqrtN, Knapsack };

/// Parses `fast`, `exact`, `keep-all`, `recompute-all`, `sqrtn`, `knapsack`.
std::optional<SolverKind> parseSolverKind(std::string_view name);
std::string_view solverKindName(SolverKind kind);

struct SolveOptions {
  int64_t budgetBytes = 0;
  /// Wall-clock limit of the MILP (exact); the other solvers do not need it.
  double timeLimitSeconds = 60;
};

struct SolveResult {
  Plan plan;
  Simulation sim;
  /// sim.peakBytes <= budget.
  bool feasible = false;
  /// The MILP proved `plan` has the least recompute cost among stage
  /// schedules (exact only).
  bool provenOptimal = false;
  /// Relative gap of the MILP between its incumbent and its bound (exact).
  double gap = 0;
  double solveSeconds = 0;
  /// Why the plan is infeasible, or what the solver noticed.
  std::string message;
};

SolveResult solve(const Problem &problem, SolverKind kind,
                  const SolveOptions &options);

/// The simulated peak of the recompute-all plan: every recomputable forward
/// value is dropped after its forward uses and recomputed, from values that
/// are not, right before each backward use. It is the budget below which remat
/// reports "infeasible"; a search may occasionally fit a little below it, but
/// no solver is asked to.
int64_t smallestFeasibleBudget(const Problem &problem);

} // namespace remat::planner

#endif // REMAT_PLANNER_SOLVERS_H
