//===- Liveness.h - Version lifetimes of a schedule (internal) ---*- C++ -*-===//
//
// Shared by the simulator and the solvers that inspect which versions are live
// at a step (to pick what to recompute).
//
//===----------------------------------------------------------------------===//
#ifndef REMAT_LIB_PLANNER_LIVENESS_H
#define REMAT_LIB_PLANNER_LIVENESS_H

#include "remat/Planner/Problem.h"

#include <vector>

namespace remat::planner {

/// For each schedule step, the last step (inclusive) at which the version it
/// defines is live.
std::vector<int> versionLastLiveStep(const Problem &problem, const Plan &plan);

/// `simulate`, also handing back the version lifetimes it computed.
Simulation simulateWithLiveness(const Problem &problem, const Plan &plan,
                                std::vector<int> &lastLive);

} // namespace remat::planner

#endif // REMAT_LIB_PLANNER_LIVENESS_H
