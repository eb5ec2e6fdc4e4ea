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

/// For each schedule step, whether the program keeps it: it defines the final
/// version of an output, or a version a kept step reads, or its node is one
/// nothing consumes (kept for its side effects) or may not be re-run. The
/// lowering deletes every other step (an op whose results nothing reads, and
/// then the ops only it read: docs/memory-model.md), so `simulate` counts
/// neither its bytes nor its cost nor its reads.
std::vector<bool> usedSteps(const Problem &problem, const Plan &plan);

/// For each schedule step, the last step (inclusive) at which the version it
/// defines is live; reads by unused steps (`usedSteps`) do not count.
std::vector<int> versionLastLiveStep(const Problem &problem, const Plan &plan);

/// `simulate`, also handing back the version lifetimes it computed.
Simulation simulateWithLiveness(const Problem &problem, const Plan &plan,
                                std::vector<int> &lastLive);

} // namespace remat::planner

#endif // REMAT_LIB_PLANNER_LIVENESS_H
