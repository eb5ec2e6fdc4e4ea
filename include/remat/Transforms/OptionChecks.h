//===- OptionChecks.h - Pass and pipeline options, checked early -*- C++ -*-===//
//
// Options are checked before a pass touches the IR (in Pass::initialize, or
// when a pipeline is built), so a bad option is one error that says what is
// expected, not a failure inside the pass with the module dumped after it.
//
//===----------------------------------------------------------------------===//
#ifndef REMAT_TRANSFORMS_OPTIONCHECKS_H
#define REMAT_TRANSFORMS_OPTIONCHECKS_H

#include "llvm/ADT/StringRef.h"

#include <string>

namespace remat {

/// The most budgets remat-frontier plans at (each is a full solve).
inline constexpr unsigned kMaxFrontierPoints = 1000;

/// Empty when remat-checkpoint's options are valid: `budget` empty (no
/// planning) or a budget (planner::parseBudget), a known `solver`, and a
/// time limit in (0, a week]. Otherwise the first reason.
std::string checkPlanningOptions(llvm::StringRef budget, llvm::StringRef solver,
                                 double timeLimit);

/// Empty when remat-frontier's options are valid: `points` in [1,
/// kMaxFrontierPoints], a known solver and a usable time limit.
std::string checkFrontierOptions(unsigned points, llvm::StringRef solver,
                                 double timeLimit);

} // namespace remat

#endif // REMAT_TRANSFORMS_OPTIONCHECKS_H
