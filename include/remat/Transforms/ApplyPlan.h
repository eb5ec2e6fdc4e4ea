//===- ApplyPlan.h - Rewrite a function after a plan ------------*- C++ -*-===//
#ifndef REMAT_TRANSFORMS_APPLYPLAN_H
#define REMAT_TRANSFORMS_APPLYPLAN_H

#include "remat/Analysis/PlanningProblem.h"
#include "remat/Planner/Problem.h"

namespace remat {

/// Rewrites the function of `problem` so that it runs `plan`: each run of consecutive recompute
/// steps becomes one remat.recompute region, placed before the first op of the
/// next node that reads what it recomputes; every op after it reads the newest
/// version of each value. Empty tensors, constants and views the recomputation
/// needs are re-made inside the region (they cost nothing), so the region keeps
/// exactly the buffers the plan keeps. Ops the plan does not recompute stay
/// where they are.
void applyPlan(const PlanningProblem &problem, const planner::Plan &plan);

} // namespace remat

#endif // REMAT_TRANSFORMS_APPLYPLAN_H
