//===- Frontier.cpp - Plans monotone in the budget ------------------------===//
//
// See Frontier.h and docs/planner.md, "Monotone plans". Nothing here looks at
// the budget a caller asks for, so every answer comes from the same set.
//
//===----------------------------------------------------------------------===//

#include "remat/Planner/Frontier.h"

#include "SolverImpl.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <set>

namespace remat::planner {

namespace {

/// The default grid: dense up to this many nodes, sparse (each point is a
/// solve) above.
constexpr size_t kDenseGridNodes = 5000;
constexpr int kDenseGrid = 32, kSparseGrid = 12;
/// Steps of a walk down from one point (walkDown), and the simulated steps
/// each repair may spend, per node.
constexpr int kWalkSteps = 64;
constexpr int64_t kWalkWorkPerNode = 2000;
/// Largest graph walked (the stage search's size; a 1000-node frontier took
/// 9x as long with walks).
constexpr size_t kWalkNodes = 400;
/// Solves spent closing the gaps between points, per grid point (default),
/// and the least cost ratio across a gap worth a solve.
constexpr int kRefinePerGrid = 1;
constexpr double kLeastRefinedRatio = 1.001;

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

/// Runs fn(0) .. fn(count - 1) on up to `threads` threads (0: every core).
/// Each call writes only its own result slot, so what the caller reads
/// afterwards does not depend on the thread count or the order of the calls.
template <typename Fn>
void forEachIndex(size_t count, unsigned threads, Fn fn) {
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<size_t>(threads, count));
  if (threads <= 1) {
    for (size_t k = 0; k < count; ++k)
      fn(k);
    return;
  }
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t)
    workers.emplace_back([&] {
      for (size_t k = next++; k < count; k = next++)
        fn(k);
    });
  for (std::thread &worker : workers)
    worker.join();
}

/// Walk down from `start` (peak `peak`) towards a point of peak `lowPeak`
/// and cost `lowCost`: repair the plan one byte below its own peak (the
/// stage search's add moves, then its polish), add the result to `points`,
/// and repeat from there while the walk costs less than that point. Each step
/// is a local repair, not a solve, and fills the gap with plans that use the
/// memory the point below leaves free. Graphs up to kWalkNodes;
/// budget-independent.
void walkDown(const Problem &problem, Plan plan, int64_t peak, int64_t lowPeak,
              double lowCost, std::vector<FrontierPoint> &points) {
  if (problem.nodes.size() > kWalkNodes)
    return;
  const int64_t work =
      kWalkWorkPerNode * static_cast<int64_t>(problem.nodes.size());
  for (int step = 0; step < kWalkSteps && peak - 1 > lowPeak; ++step) {
    Plan next = stageRepair(problem, plan, peak - 1, work);
    if (next.schedule.empty())
      return;
    const Simulation sim = simulate(problem, next);
    if (sim.recomputeCost >= lowCost)
      return;
    points.push_back({sim.peakBytes, sim.recomputeCost, next});
    plan = std::move(next);
    peak = sim.peakBytes;
  }
}

/// walkDown from every point of a pruned front towards the one before it.
void walkDownFromEach(const Problem &problem,
                      std::vector<FrontierPoint> &points) {
  const size_t count = points.size();
  for (size_t j = 1; j < count; ++j)
    walkDown(problem, points[j].plan, points[j].peakBytes,
             points[j - 1].peakBytes, points[j - 1].recomputeCost, points);
  pruneToParetoFront(points);
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
  // The plan of one solve (empty when it found none: add() skips it);
  // reads nothing shared but the problem, so the grid runs it on threads.
  auto planAt = [&](int64_t budget) -> Plan {
    SolveOptions solveOptions;
    solveOptions.budgetBytes = budget;
    solveOptions.timeLimitSeconds = perSolve;
    SolveResult result = solve(problem, options.solver, solveOptions);
    return result.feasible ? std::move(result.plan) : Plan{};
  };
  auto solveAt = [&](int64_t budget) { add(planAt(budget)); };
  // The grid's solves are independent: on threads (fast; exact's CBC runs
  // one at a time), added in budget order.
  std::vector<int64_t> gridBudgets;
  for (int k = 1; k + 1 < grid && high > low; ++k)
    gridBudgets.push_back(low + (high - low) * k / (grid - 1));
  if (options.solver == SolverKind::Exact)
    gridBudgets.push_back(low);
  std::vector<Plan> gridPlans(gridBudgets.size());
  const unsigned threads =
      options.solver == SolverKind::Exact ? 1 : options.threads;
  forEachIndex(gridBudgets.size(), threads,
               [&](size_t k) { gridPlans[k] = planAt(gridBudgets[k]); });
  for (Plan &plan : gridPlans)
    add(std::move(plan));
  pruneToParetoFront(points);
  walkDownFromEach(problem, points);
  // A point is the answer up to the next point's peak. Close the gaps
  // where the answer drops most: solve one byte below the peak of the point
  // after the gap of largest cost ratio not yet solved (a budget derived from
  // the front, never from a caller's), walk down from what it finds, and
  // repeat while solves are left. After a gap's solve, no solve just below
  // the next point's peak found anything cheaper than the point before it.
  // Not by default for exact: its time limit is shared by the grid's solves.
  const int refineSolves =
      options.refineSolves >= 0                ? options.refineSolves
      : options.solver == SolverKind::Exact ? 0
                                               : grid * kRefinePerGrid;
  std::set<int64_t> solved;
  for (int spent = 0; spent < refineSolves; ++spent) {
    int64_t budget = -1;
    double widest = kLeastRefinedRatio;
    for (size_t i = 0; i + 1 < points.size(); ++i) {
      const int64_t below = points[i + 1].peakBytes - 1;
      const double ratio =
          (points[i].recomputeCost + 1) / (points[i + 1].recomputeCost + 1);
      if (below > points[i].peakBytes && ratio > widest &&
          !solved.count(below)) {
        widest = ratio;
        budget = below;
      }
    }
    if (budget < 0)
      break;
    solved.insert(budget);
    const size_t before = points.size();
    solveAt(budget);
    if (points.size() > before) {
      // Walk down from the new plan to the point below its peak (the rest
      // of `points` is still the sorted front).
      const FrontierPoint found = points.back();
      auto above = std::lower_bound(
          points.begin(), points.end() - 1, found.peakBytes,
          [](const FrontierPoint &point, int64_t peak) {
            return point.peakBytes < peak;
          });
      if (above != points.begin() &&
          std::prev(above)->recomputeCost > found.recomputeCost) {
        const FrontierPoint &low = *std::prev(above);
        walkDown(problem, found.plan, found.peakBytes, low.peakBytes,
                 low.recomputeCost, points);
      }
    }
    pruneToParetoFront(points);
  }
  // Polish each point for the largest budget at which it is the answer
  // (recompute steps it does not need there go).
  const int64_t trials = 4 * static_cast<int64_t>(problem.nodes.size()) + 1000;
  const size_t count = points.size();
  std::vector<Plan> polished(count);
  forEachIndex(count > 0 ? count - 1 : 0, threads, [&](size_t i) {
    if (points[i].recomputeCost > 0)
      polished[i] = polishPlan(problem, points[i].plan,
                               points[i + 1].peakBytes - 1, trials);
  });
  for (Plan &plan : polished)
    add(std::move(plan));
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
  frontierOptions.threads = options.threads;
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
