//===- MinCut.h - Min-cut starts for fast (internal) -------------*- C++ -*-===//
//
// See MinCut.cpp and docs/planner.md, "fast", the min-cut start.
//
//===----------------------------------------------------------------------===//
#ifndef REMAT_LIB_PLANNER_MINCUT_H
#define REMAT_LIB_PLANNER_MINCUT_H

#include "remat/Planner/Retention.h"

#include <vector>

namespace remat::planner {

/// Retention states of minimum cuts between the forward pass and the
/// backward pass (PyTorch's min-cut partitioner, swept over which forward
/// nodes may be recomputed): Keep for the values a cut saves, Cut for the
/// forward values the backward pass recomputes. Empty for graphs without a
/// backward pass. Independent of the budget: RetentionFamily::minCutGroups()
/// computes them once per family, by this, one group per chain limit
/// (deduplicated within it).
std::vector<std::vector<std::vector<Retention>>>
computeMinCutGroups(const RetentionFamily &family);

/// Every min-cut state once (the family's groups, deduplicated).
std::vector<std::vector<Retention>> minCutStates(const RetentionFamily &family);

/// Fast's descent, relaxation and polish started from `states` (the
/// cheapest that fit the budget and the nearest cheaper ones that do not);
/// an empty plan when `states` is empty. Fast.cpp.
Plan fastPlanFrom(const RetentionFamily &family, int64_t budgetBytes,
                  const std::vector<std::vector<Retention>> &states);

/// The best of fastPlanFrom on the states of each chain limit (one
/// fastPlanFrom of all the states above 5000 nodes); may not fit.
Plan minCutPlan(const RetentionFamily &family, int64_t budgetBytes);

} // namespace remat::planner

#endif // REMAT_LIB_PLANNER_MINCUT_H
