//===- Frontier.cpp - Plans monotone in the budget ------------------------===//
//
// See Frontier.h and docs/planner.md, "Monotone plans". Nothing here looks at
// the budget a caller asks for, so every answer comes from the same set.
//
//===----------------------------------------------------------------------===//

#include "remat/Planner/Frontier.h"

#include "SolverImpl.h"

#include <algorithm>
#include <chrono>

namespace remat::planner {

namespace {

/// The default grid: dense up to this many nodes, sparse (each point is a
/// solve) above.
constexpr size_t kDenseGridNodes = 5000;
constexpr int kDenseGrid = 32, kSparseGrid = 12;

/// Ascending peak, strictly descending cost; ties go to the lower peak, then
/// the cheaper plan.
void pruneToParetoFront(std::vector<FrontierPoint> &points) {
  std::stable_sort(points.begin(), points.end(),
                   [](const FrontierPoint &a, const FrontierPoint &b) {
                     if (a.peakBytes != b.peakBytes)
                       return a.peakBytes < b.peakBytes;
                     return a.recomputeCost < b.recomputeCost;
                   });
  std::vector<FrontierPoint> front;
  for (FrontierPoint &point : points)
    if (front.empty() || point.recomputeCost < front.back().recomputeCost)
      front.push_back(std::move(point));
  points = std::move(front);
}

} // namespace

const FrontierPoint *Frontier::at(int64_t budget) const {
  // The last point peaking within the budget is the cheapest of those.
  auto after = std::upper_bound(
      points.begin(), points.end(), budget,
      [](int64_t b, const FrontierPoint &point) { return b < point.peakBytes; });
  return after == points.begin() ? nullptr : &*std::prev(after);
}

Frontier computeFrontier(const Problem &problem,
                         const FrontierOptions &options) {
  Frontier frontier;
  const Plan keepAll = keepAllPlan(problem);
  frontier.unplannedPeakBytes = simulate(problem, keepAll).peakBytes;
  frontier.lowerBoundBytes = peakLowerBound(problem);
  std::vector<FrontierPoint> points;
  auto add = [&](Plan plan) {
    if (plan.schedule.empty() && !problem.nodes.empty())
      return;
    if (!validate(problem, plan).empty())
      return;
    Simulation sim = simulate(problem, plan);
    points.push_back({sim.peakBytes, sim.recomputeCost, std::move(plan)});
  };
  add(keepAll);
  if (problem.nodes.empty()) {
    frontier.points = std::move(points);
    return frontier;
  }
  RetentionFamily family(problem);
  // With policies keep-all is invalid (not added) and this is the cheapest
  // plan; without, it is keep-all again.
  if (!family.pinnedRecompute().empty())
    add(policyPlan(family));
  add(minPeakPlan(family));
  const int64_t low = std::min_element(points.begin(), points.end(),
                                       [](const auto &a, const auto &b) {
                                         return a.peakBytes < b.peakBytes;
                                       })
                          ->peakBytes;
  const int64_t high = frontier.unplannedPeakBytes;
  const int grid =
      options.gridPoints > 0
          ? std::max(2, options.gridPoints)
          : (problem.nodes.size() <= kDenseGridNodes ? kDenseGrid : kSparseGrid);
  // The grid's ends are keep-all and the min-peak plan, already in. The
  // time limit (exact) is shared by its solves: grid - 2, and one at `low`.
  const double perSolve = options.timeLimitSeconds / (grid - 1);
  auto solveAt = [&](int64_t budget) {
    SolveOptions solveOptions;
    solveOptions.budgetBytes = budget;
    solveOptions.timeLimitSeconds = perSolve;
    SolveResult result = solve(problem, options.solver, solveOptions);
    if (result.feasible)
      add(std::move(result.plan));
  };
  for (int k = 1; k + 1 < grid && high > low; ++k)
    solveAt(low + (high - low) * k / (grid - 1));
  if (options.solver == SolverKind::Exact)
    solveAt(low);
  pruneToParetoFront(points);
  // A point is the answer up to the next point's peak: solve just below each
  // such peak (the budgets where the answer changes, derived from the front,
  // not from a caller's budget), and polish each point for the
  // largest budget below that (recompute steps it does not need there go).
  const int64_t trials = 4 * static_cast<int64_t>(problem.nodes.size()) + 1000;
  for (int round = 0; round < options.refineRounds; ++round) {
    std::vector<int64_t> budgets;
    for (size_t i = 0; i + 1 < points.size(); ++i)
      if (points[i + 1].peakBytes - 1 > points[i].peakBytes)
        budgets.push_back(points[i + 1].peakBytes - 1);
    for (int64_t budget : budgets)
      solveAt(budget);
    pruneToParetoFront(points);
  }
  const size_t count = points.size();
  for (size_t i = 0; i + 1 < count; ++i)
    if (points[i].recomputeCost > 0)
      add(polishPlan(problem, points[i].plan, points[i + 1].peakBytes - 1,
                     trials));
  pruneToParetoFront(points);
  frontier.points = std::move(points);
  return frontier;
}

SolveResult solveMonotone(const Problem &problem, SolverKind kind,
                          const SolveOptions &options, int gridPoints) {
  auto begin = std::chrono::steady_clock::now();
  FrontierOptions frontierOptions;
  frontierOptions.solver = kind;
  frontierOptions.gridPoints = gridPoints;
  frontierOptions.timeLimitSeconds = options.timeLimitSeconds;
  Frontier frontier = computeFrontier(problem, frontierOptions);
  SolveResult result;
  const FrontierPoint *point = frontier.at(options.budgetBytes);
  // Below the smallest feasible budget: the least-peak plan, infeasible.
  if (!point && !frontier.points.empty())
    point = &frontier.points.front();
  if (point)
    result.plan = point->plan;
  result.sim = simulate(problem, result.plan);
  result.feasible = result.sim.peakBytes <= options.budgetBytes &&
                    validate(problem, result.plan).empty();
  if (!result.feasible)
    result.message = "planned peak " + std::to_string(result.sim.peakBytes) +
                     " bytes exceeds the budget of " +
                     std::to_string(options.budgetBytes) +
                     " bytes (the least peak on the frontier)";
  result.solveSeconds = std::chrono::duration<double>(
                            std::chrono::steady_clock::now() - begin)
                            .count();
  return result;
}

} // namespace remat::planner
