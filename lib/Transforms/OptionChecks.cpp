//===- OptionChecks.cpp - Pass and pipeline options, checked early --------===//

#include "remat/Transforms/OptionChecks.h"

#include "remat/Planner/Budget.h"
#include "remat/Planner/Frontier.h"
#include "remat/Planner/Validate.h"

#include "llvm/ADT/STLExtras.h"

namespace remat {

std::string unknownSolverMessage(llvm::StringRef name) {
  std::string message = "unknown solver '" + name.str() + "'; expected ";
  for (auto [index, entry] : llvm::enumerate(kSolverOptionValues)) {
    if (index > 0)
      message += index + 1 == std::size(kSolverOptionValues) ? " or " : ", ";
    message += planner::solverKindName(entry.kind);
  }
  return message;
}

std::string checkPlanningOptions(llvm::StringRef budget, double timeLimit) {
  if (!budget.empty()) {
    planner::BudgetOrError parsed = planner::parseBudget(budget);
    if (!parsed.budget)
      return parsed.error;
  }
  return planner::checkTimeLimit(timeLimit);
}

std::string checkEffort(int effort) {
  if (effort < 1 || effort > planner::kMaxEffort)
    return "effort must be from 1 to " + std::to_string(planner::kMaxEffort) +
           ", got " + std::to_string(effort);
  return "";
}

std::string checkLevels(int levels) {
  if (!planner::isValidFrontierLevels(levels))
    return "levels must be 0 (by graph size) or from 2 to " +
           std::to_string(planner::kMaxFrontierLevels) + ", got " +
           std::to_string(levels);
  return "";
}

std::string checkLoopCheckpointOptions(llvm::StringRef budget,
                                       unsigned checkpoints) {
  if (budget.empty())
    return "";
  if (checkpoints != 0)
    return "give checkpoints= or budget=, not both";
  planner::BudgetOrError parsed = planner::parseBudget(budget);
  return parsed.budget ? "" : parsed.error;
}

std::string checkFrontierOptions(unsigned points, double timeLimit) {
  if (points < 1 || points > kMaxFrontierPoints)
    return "points must be from 1 to " + std::to_string(kMaxFrontierPoints) +
           ", got " + std::to_string(points);
  return planner::checkTimeLimit(timeLimit);
}

} // namespace remat

template <>
bool llvm::cl::parser<remat::planner::SolverKind>::parse(
    llvm::cl::Option &option, llvm::StringRef, llvm::StringRef arg,
    remat::planner::SolverKind &value) {
  for (const OptionInfo &info : Values)
    if (info.Name == arg) {
      value = info.V.getValue();
      return false;
    }
  return option.error(remat::unknownSolverMessage(arg));
}

template <>
bool llvm::cl::parser<remat::LoopSchedule>::parse(llvm::cl::Option &option,
                                                  llvm::StringRef,
                                                  llvm::StringRef arg,
                                                  remat::LoopSchedule &value) {
  for (const OptionInfo &info : Values)
    if (info.Name == arg) {
      value = info.V.getValue();
      return false;
    }
  return option.error("unknown schedule '" + arg +
                      "'; expected binomial or two-level");
}

template <>
bool llvm::cl::parser<remat::planner::MipSolver>::parse(
    llvm::cl::Option &option, llvm::StringRef, llvm::StringRef arg,
    remat::planner::MipSolver &value) {
  if (std::optional<remat::planner::MipSolver> solver =
          remat::planner::parseMipSolver(arg)) {
    value = *solver;
    return false;
  }
  return option.error("unknown MILP solver '" + arg +
                      "'; expected highs or cbc");
}

template <>
bool llvm::cl::parser<remat::CostKind>::parse(llvm::cl::Option &option,
                                              llvm::StringRef,
                                              llvm::StringRef arg,
                                              remat::CostKind &value) {
  if (std::optional<remat::CostKind> kind = remat::parseCostKind(arg)) {
    value = *kind;
    return false;
  }
  return option.error("unknown cost model '" + arg +
                      "'; expected flops, roofline or measured");
}

template <>
bool llvm::cl::parser<remat::CostTarget>::parse(llvm::cl::Option &option,
                                                llvm::StringRef,
                                                llvm::StringRef arg,
                                                remat::CostTarget &value) {
  if (std::optional<remat::CostTarget> target = remat::parseCostTarget(arg)) {
    value = *target;
    return false;
  }
  return option.error("unknown target '" + arg + "'; expected cpu or gpu");
}
