//===- Frontier.h - Plans monotone in the budget ----------------*- C++ -*-===//
//
// A solver asked for one budget at a time need not be monotone: with more
// memory a heuristic can take a different path and return a dearer plan, or
// none. A frontier is a set of plans computed without looking at any one
// budget (solves at a fixed grid of budgets between the least peak fast
// reaches and the unplanned peak), pruned to the Pareto front of (peak,
// recompute cost). The plan for budget B is the cheapest point peaking at or
// below B: a plan for less memory is a plan for more, so as B grows the set
// of eligible points only grows and the cost can only fall. See
// docs/planner.md, "Monotone plans".
//
//===----------------------------------------------------------------------===//
#ifndef REMAT_PLANNER_FRONTIER_H
#define REMAT_PLANNER_FRONTIER_H

#include "remat/Planner/Solvers.h"

#include <cstdint>
#include <vector>

namespace remat::planner {

struct FrontierPoint {
  /// Simulated peak and recompute cost of `plan`.
  int64_t peakBytes = 0;
  double recomputeCost = 0;
  Plan plan;
};

/// The most levels (FrontierOptions::gridPoints) the tools accept.
inline constexpr int kMaxFrontierLevels = 1024;

/// The levels the tools accept: 0 (by graph size) or 2 to kMaxFrontierLevels.
inline bool isValidFrontierLevels(int levels) {
  return levels == 0 || (levels >= 2 && levels <= kMaxFrontierLevels);
}

struct FrontierOptions {
  SolverKind solver = SolverKind::Fast;
  /// Budgets solved for (the levels), evenly spaced from the smallest
  /// feasible budget to the unplanned peak, both included (at least 2); 0:
  /// 32 evenly spaced up to 400 nodes, every whole percent of the unplanned
  /// peak above the smallest feasible budget up to 5000 nodes (a budget
  /// written as a two-digit fraction, such as 0.8, is a level), every 5th
  /// percent above (each is a solve). With 32, the frontier's answer costs
  /// 0.994x a solve at the budget itself (geomean, worst 1.41x;
  /// docs/planner.md).
  int gridPoints = 0;
  /// Solves just below the points' peaks (where the answer changes), at
  /// the widest cost drops, spread evenly over the levels; -1: one per grid
  /// point on graphs up to 400 nodes, 16 up to 5000, none above (none for
  /// exact).
  int refineSolves = -1;
  /// Shared by all the solves of the grid (exact only): each gets
  /// timeLimitSeconds / (gridPoints - 1), each refine solve as much again.
  double timeLimitSeconds = 60;
  /// Threads for the independent solves of the grid and the polish (fast
  /// only: exact's run one at a time); 0: every core. The frontier is the
  /// same for any count.
  unsigned threads = 0;
  /// SolveOptions::effort of every solve (the grid's and the gap solves)
  /// but the one at the least peak, which takes `leastEffort` (0: automatic,
  /// as a plain solve's default: it is one solve, and the answer at the
  /// smallest feasible budget is then the plain solve's); the min-peak
  /// search and the walks take neither.
  int effort = 1;
  int leastEffort = 0;
  /// Only the levels (the min-peak plan's peak, the grid's budgets,
  /// keep-all's peak) up to the 4th at or above this budget are computed
  /// (graphs up to 400 nodes; the 1st on larger ones, which are not walked).
  /// What a level adds depends only on the levels up to it, so the points
  /// are those the whole frontier has from those levels, and a higher
  /// maxBudget gives a superset of them: solveMonotone's answers stay
  /// monotone at a fraction of the cost.
  int64_t maxBudget = INT64_MAX;
  /// minPeakPlan(problem) when the caller has it (SolveOptions::knownMinPeak):
  /// level 0 takes it instead of searching again; the frontier is the same.
  const Plan *knownMinPeak = nullptr;
};

struct Frontier {
  /// Ascending peak, strictly descending recompute cost: no point is beaten
  /// by another on both. The first is the least peak found (the smallest
  /// feasible budget), the last costs the least (keep-all's 0 when its peak
  /// is the unplanned peak).
  std::vector<FrontierPoint> points;
  int64_t unplannedPeakBytes = 0;
  /// peakLowerBound: no plan of any solver peaks below it.
  int64_t lowerBoundBytes = 0;
  /// The budgets of the levels computed, ascending (the least peak first;
  /// with FrontierOptions::maxBudget, up to the lookahead-th level at or
  /// above it).
  std::vector<int64_t> levels;

  int64_t smallestFeasibleBytes() const {
    return points.empty() ? unplannedPeakBytes : points.front().peakBytes;
  }
  /// The cheapest point with peakBytes <= budget; null below the smallest
  /// feasible budget. Non-increasing cost as `budget` grows.
  const FrontierPoint *at(int64_t budget) const;
};

/// Level by level, from the min-peak plan's peak (level 0: the min-peak
/// plan and a solve at its peak with leastEffort) through the grid's
/// budgets to the unplanned peak (keep-all): the level's solve, a
/// walk down from it towards the point below (stage-search repairs one byte
/// below the last plan's peak, graphs up to 400 nodes), its share of the gap
/// solves (just below the points after the widest cost drops, each walked
/// down from too), then each point polished for the largest budget at which
/// it is the level's answer, pruned to the Pareto front. A level looks only
/// at the levels up to it, so with options.maxBudget the result is the same
/// as the whole frontier's up to the levels computed. Budget-independent:
/// costs up to gridPoints + refineSolves + 1 solves plus a min-peak search.
Frontier computeFrontier(const Problem &problem,
                         const FrontierOptions &options = {});

/// `solve` made monotone: the answer at options.budgetBytes of the frontier
/// computed up to it (maxBudget: its levels up to the 4th at or above the
/// budget on graphs up to 400 nodes, the 1st above, where exact or
/// `gridPoints` asks for the frontier), checked by the simulator like every
/// solve. A higher budget sees
/// every point a lower one sees, so for budgets B1 < B2 the plan at B2 costs
/// no more than the plan at B1, and a plan at B1 means a plan at B2. The
/// whole frontier (computeFrontier without maxBudget) may answer cheaper:
/// it also holds the plans the levels above the budget found below it.
/// Callers asking for many budgets should compute it once and use
/// Frontier::at.
/// Over 400 nodes (fast, default levels) the levels are computed from the
/// budget down and only as far as RecomputeCostBound leaves a lower one able
/// to change the answer (solveMonotoneTopDown; docs/planner.md, "Top-down
/// answers"); each level's plan is polished along a chain, for one byte
/// below the own plan's peak of each of the next 16 levels in turn up to
/// 5000 nodes (whole-percent levels; one above, every 5th percent), each
/// polish from the last, as the level-by-level frontier polishes its answer
/// again at every level ("Polish chains"). A budget between two levels is
/// also answered from solves at sub-levels of that band (a quarter, half
/// and three quarters of the way up to 5000 nodes, the middle above) and
/// one byte below the peaks of their plans and of the upper level's
/// answer, keeping only plans no cheaper than that answer. All of it is
/// monotone by the arguments in docs/planner.md ("Sub-levels in the
/// budget's band", "Polish chains").
/// `gridPoints` is FrontierOptions::gridPoints (0: by graph size): more
/// levels answer closer to a plain solve at proportionally more solves
/// (docs/planner.md, "More levels").
SolveResult solveMonotone(const Problem &problem, SolverKind kind,
                          const SolveOptions &options, int gridPoints = 0);

} // namespace remat::planner

#endif // REMAT_PLANNER_FRONTIER_H
