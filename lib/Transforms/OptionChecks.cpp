//===- OptionChecks.cpp - Pass and pipeline options, checked early --------===//

#include "remat/Transforms/OptionChecks.h"

#include "remat/Planner/Budget.h"
#include "remat/Planner/Solvers.h"
#include "remat/Planner/Validate.h"

namespace remat {

static std::string checkSolverAndTimeLimit(llvm::StringRef solver,
                                           double timeLimit) {
  if (!planner::parseSolverKind(solver))
    return "unknown solver '" + solver.str() +
           "'; expected fast, exact, keep-all, recompute-all, sqrtn or "
           "knapsack";
  return planner::checkTimeLimit(timeLimit);
}

std::string checkPlanningOptions(llvm::StringRef budget, llvm::StringRef solver,
                                 double timeLimit) {
  if (!budget.empty()) {
    planner::BudgetOrError parsed = planner::parseBudget(budget);
    if (!parsed.budget)
      return parsed.error;
  }
  return checkSolverAndTimeLimit(solver, timeLimit);
}

std::string checkFrontierOptions(unsigned points, llvm::StringRef solver,
                                 double timeLimit) {
  if (points < 1 || points > kMaxFrontierPoints)
    return "points must be from 1 to " + std::to_string(kMaxFrontierPoints) +
           ", got " + std::to_string(points);
  return checkSolverAndTimeLimit(solver, timeLimit);
}

} // namespace remat
