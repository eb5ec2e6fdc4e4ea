//===- OptionChecks.h - Pass and pipeline options, checked early -*- C++ -*-===//
//
// Options are checked before a pass touches the IR (in Pass::initialize, or
// when a pipeline is built), so a bad option is one error that says what is
// expected, not a failure inside the pass with the module dumped after it.
//
//===----------------------------------------------------------------------===//
#ifndef REMAT_TRANSFORMS_OPTIONCHECKS_H
#define REMAT_TRANSFORMS_OPTIONCHECKS_H

#include "remat/Analysis/TimeModel.h"
#include "remat/Planner/Solvers.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"

#include <string>

namespace remat {

/// The most budgets remat-frontier plans at (each is a full solve).
inline constexpr unsigned kMaxFrontierPoints = 1000;

/// The solvers the `solver=` option of remat-checkpoint, remat-frontier and
/// the pipelines can name (by planner::solverKindName), in the order help and
/// messages list them. A new planner::SolverKind is listed here to be
/// selectable.
struct SolverOptionValue {
  planner::SolverKind kind;
  const char *description;
};
inline constexpr SolverOptionValue kSolverOptionValues[] = {
    {planner::SolverKind::Fast, "heuristic search, no time limit (the default)"},
    {planner::SolverKind::Exact,
     "MILP (HiGHS or CBC, mip-solver=): the least recompute within "
     "time-limit"},
    {planner::SolverKind::KeepAll, "baseline: keep every activation"},
    {planner::SolverKind::RecomputeAll,
     "baseline: recompute every activation"},
    {planner::SolverKind::SqrtN, "baseline: Chen et al.'s sqrt(n) checkpoints"},
    {planner::SolverKind::Knapsack,
     "baseline: a 0/1 knapsack of the activations to keep"},
    {planner::SolverKind::Manual,
     "the policies (remat.policy, remat.checkpoint) and nothing else"},
};

/// The `solver=` enum option's values, a modifier like llvm::cl::values:
/// `Option<planner::SolverKind> solver{*this, "solver", ...,
/// SolverOptionValues()}`.
struct SolverOptionValues {
  template <typename Opt> void apply(Opt &option) const {
    for (const SolverOptionValue &entry : kSolverOptionValues) {
      std::string_view name = planner::solverKindName(entry.kind);
      option.getParser().addLiteralOption(
          llvm::StringRef(name.data(), name.size()), entry.kind,
          entry.description);
    }
  }
};

/// The `mip-solver=` option's values: exact's MILP solver.
struct MipSolverOptionValues {
  template <typename Opt> void apply(Opt &option) const {
    option.getParser().addLiteralOption(
        "highs", planner::MipSolver::Highs,
        "HiGHS (the default): proves more optima within minutes");
    option.getParser().addLiteralOption("cbc", planner::MipSolver::Cbc,
                                        "COIN-OR CBC");
  }
};

/// The `cost=` option's values (TimeModel.h), with their help.
struct CostKindOptionValues {
  template <typename Opt> void apply(Opt &option) const {
    option.getParser().addLiteralOption("flops", CostKind::Flops,
                                        "FLOPs (the default)");
    option.getParser().addLiteralOption(
        "roofline", CostKind::Roofline,
        "max(FLOPs / FLOP rate, bytes / bandwidth) of the target");
    option.getParser().addLiteralOption(
        "measured", CostKind::Measured,
        "per-op times of calibration= (remat-calibrate)");
  }
};

/// The `target=` option's values.
struct CostTargetOptionValues {
  template <typename Opt> void apply(Opt &option) const {
    option.getParser().addLiteralOption("cpu", CostTarget::Cpu,
                                        "2 x86 cores (the default)");
    option.getParser().addLiteralOption("gpu", CostTarget::Gpu,
                                        "an H100-class GPU, fp32");
  }
};

/// "unknown solver 'NAME'; expected fast, exact, ...": what an unknown
/// `solver=` value (or a C API solver name) is told.
std::string unknownSolverMessage(llvm::StringRef name);

/// Empty when remat-checkpoint's options are valid: `budget` empty (no
/// planning) or a budget (planner::parseBudget), and a time limit in (0, a
/// week]. Otherwise the first reason. (The solver is an enum option: its
/// parser rejects unknown names.)
std::string checkPlanningOptions(llvm::StringRef budget, double timeLimit);

/// Empty when `effort` (remat-checkpoint's `effort=`, SolveOptions::effort)
/// is in [1, planner::kMaxEffort]; otherwise why not.
std::string checkEffort(int effort);

/// Empty when `levels` (remat-checkpoint's `levels=`, the monotone
/// frontier's FrontierOptions::gridPoints) is 0 (by graph size) or in
/// [2, planner::kMaxFrontierLevels]; otherwise why not.
std::string checkLevels(int levels);

/// remat-loop-checkpoint's `schedule=`.
enum class LoopSchedule { Binomial, TwoLevel };

/// Empty when remat-loop-checkpoint's options are valid: `budget` empty or a
/// budget (planner::parseBudget), and not both `budget` and `checkpoints`.
std::string checkLoopCheckpointOptions(llvm::StringRef budget,
                                       unsigned checkpoints);

/// Empty when remat-frontier's options are valid: `points` in [1,
/// kMaxFrontierPoints] and a usable time limit.
std::string checkFrontierOptions(unsigned points, double timeLimit);

} // namespace remat

/// The `solver=` option's parser names the solvers it knows when a value is
/// none of them (LLVM's generic enum parser says only "Cannot find option
/// named 'X'!").
template <>
bool llvm::cl::parser<remat::planner::SolverKind>::parse(
    llvm::cl::Option &option, llvm::StringRef argName, llvm::StringRef arg,
    remat::planner::SolverKind &value);

/// `schedule=` names the schedules when given another.
template <>
bool llvm::cl::parser<remat::LoopSchedule>::parse(llvm::cl::Option &option,
                                                  llvm::StringRef argName,
                                                  llvm::StringRef arg,
                                                  remat::LoopSchedule &value);

/// `mip-solver=` names the MILP solvers when given another.
template <>
bool llvm::cl::parser<remat::planner::MipSolver>::parse(
    llvm::cl::Option &option, llvm::StringRef argName, llvm::StringRef arg,
    remat::planner::MipSolver &value);

/// `cost=` and `target=` name their values when given another.
template <>
bool llvm::cl::parser<remat::CostKind>::parse(llvm::cl::Option &option,
                                              llvm::StringRef argName,
                                              llvm::StringRef arg,
                                              remat::CostKind &value);
template <>
bool llvm::cl::parser<remat::CostTarget>::parse(llvm::cl::Option &option,
                                                llvm::StringRef argName,
                                                llvm::StringRef arg,
                                                remat::CostTarget &value);

#endif // REMAT_TRANSFORMS_OPTIONCHECKS_H
