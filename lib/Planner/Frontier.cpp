//===- Frontier.cpp - Plans monotone in the budget ------------------------===//
//
// See Frontier.h and docs/planner.md, "Monotone plans". Nothing here looks at
// the budget a caller asks for, so every answer comes from the same set.
//
//===----------------------------------------------------------------------===//

#include "remat/Planner/Frontier.h"

#include "SolverImpl.h"
#include "remat/Planner/Budget.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

namespace remat::planner {

namespace {

/// The default grid (levels, each a solve): 32 evenly spaced on graphs
/// that are walked; above, whole percents of the unplanned peak
/// (defaultPercentStep): every one up to kDenseGridNodes (no walks fill
/// the gaps there: on a 1000-node graph 48 even levels answered better than
/// 32 with gap solves), every 5th above (no gap solves there). `levels=N`
/// asks for N evenly spaced ones instead.
constexpr size_t kDenseGridNodes = 5000;
constexpr int kWalkedGrid = 32;
/// Steps of a walk down from one point (walkDown), and the simulated steps
/// each repair may spend, per node.
constexpr int kWalkSteps = 64;
constexpr int64_t kWalkWorkPerNode = 2000;
/// Largest graph walked (the stage search's size; a 1000-node frontier took
/// 9x as long with walks).
constexpr size_t kWalkNodes = 400;
/// Solves spent closing the gaps between points (default): one per grid
/// point on graphs that are walked, kDenseRefines in all up to
/// kDenseGridNodes, none above (the grid's density did more there; on
/// 10k-node graphs 8 gap solves changed no answer of a 1% budget grid:
/// docs/planner.md, "Monotone plans"); and the least cost ratio across a
/// gap worth a solve.
constexpr int kRefinePerGrid = 1;
constexpr int kDenseRefines = 16;
constexpr double kLeastRefinedRatio = 1.001;
/// Levels computed at and above the budget a caller asks for (maxBudget):
/// on graphs that are walked 4 (the answers on fine budget grids were
/// within 0.2% of the whole frontier's), 1 on larger ones (their solves and
/// polishes land just below their own level: 2-4 changed no answer on the
/// 1% grids of graphs of 1000-10000 nodes; docs/planner.md, "Monotone
/// plans"). Fixed per graph, so the answers stay monotone.
constexpr size_t kWalkedLookahead = 4, kLookahead = 1;
/// Parts of the band between the two levels around a budget that a
/// monotone answer solves at (kBandParts - 1 solves, then up to kBandParts
/// more one byte below their plans' peaks, on threads; graphs over
/// kWalkNodes up to kDenseGridNodes, fast with the default levels): with 2
/// (the middle only) RegNetY and MobileNetV2 answered dearer between the
/// sub-levels (docs/planner.md, "Sub-levels in the budget's band").
constexpr int kBandParts = 4;
/// The same above kDenseGridNodes (levels every 5th percent): the middle
/// only. Against 4 parts, the same answers at the two budgets of a 10k-node
/// graph measured for 2.1-2.6 s instead of 3.0-4.0 s, dearer ones at
/// lstm.mlir's two PyTorch peaks (712704 against 499712 FLOPs at 1.0;
/// docs/planner.md).
constexpr int kTopDownBandParts = 2;
/// Links of a top-down answer's polish chains (docs/planner.md, "Polish
/// chains"): each level's plan is polished for one byte below the own
/// plan's peak of each of the next kDenseChainLinks levels in turn, each
/// polish from the last, on graphs up to kDenseGridNodes (whole-percent
/// levels); one link above (every 5th percent). The level-by-level
/// frontier polishes its answer again at every level, and on an LSTM cell
/// loop (3278 nodes) its answers are polishes of a plan found up to 16
/// levels below (1.42 G FLOPs at 0.81 of the peak; 1.67 G with 8 links, 1.97
/// G for the level's own solve). The levels a chain reaches are those the
/// cost bound must leave out too, so the descent goes at least this far.
constexpr int kDenseChainLinks = 16, kSparseChainLinks = 1;

/// A point of the frontier under construction and the budget it was last
/// polished for (-1: never), so a level polishes only where a point's
/// answer interval grew; `gapFound`: found by a gap solve (or polished from
/// such a point).
struct Entry {
  FrontierPoint point;
  int64_t polishedFor = -1;
  bool gapFound = false;
};

/// Ascending peak, strictly descending cost; ties go to the lower peak, then
/// the cheaper plan.
void pruneToParetoFront(std::vector<Entry> &entries) {
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry &a, const Entry &b) {
                     if (a.point.peakBytes != b.point.peakBytes)
                       return a.point.peakBytes < b.point.peakBytes;
                     return a.point.recomputeCost < b.point.recomputeCost;
                   });
  std::vector<Entry> front;
  for (Entry &entry : entries)
    if (front.empty() ||
        entry.point.recomputeCost < front.back().point.recomputeCost)
      front.push_back(std::move(entry));
  entries = std::move(front);
}

/// The default levels above kWalkNodes: every whole percent of the
/// unplanned peak above the least peak up to kDenseGridNodes nodes, every
/// 5th above (`Budget`'s rounding, so `budget=0.8` is a level): a monotone
/// answer at such a budget includes the plain solve at that budget.
/// resnet50.mlir, every 2nd percent: 1.115x a plain solve (geomean, worst
/// 5.2x) with 48 even levels, 0.999x (worst 1.000x) with whole percents,
/// and half a percent off them 1.150x (6.8x) -> 1.090x (1.35x), at 1.15x
/// the time; `--random 10000 --seed 1` at 0.50-0.95: 1.350x with 16 even
/// levels, 1.000x with every 5th percent, 2.5% off them 1.650x -> 1.421x,
/// at 1.2x the time (docs/planner.md, "Levels at whole percents"). 0:
/// evenly spaced (graphs up to kWalkNodes).
constexpr int kDensePercentStep = 1, kSparsePercentStep = 5;
int defaultPercentStep(size_t numNodes) {
  if (numNodes <= kWalkNodes)
    return 0;
  return numNodes <= kDenseGridNodes ? kDensePercentStep : kSparsePercentStep;
}

/// k percent of `bytes`, as a budget written as that fraction resolves.
int64_t percentOf(int k, int64_t bytes) {
  Budget fraction;
  fraction.kind = Budget::Kind::Fraction;
  fraction.fraction = k / 100.0;
  return fraction.resolve(bytes);
}

/// Every `step`th percent of `high` (percentOf) strictly between `above`
/// and `high`, ascending: the grid's levels on larger graphs.
std::vector<int64_t> percentLevels(int step, int64_t above, int64_t high) {
  std::vector<int64_t> levels;
  for (int k = step; k < 100; k += step) {
    const int64_t level = percentOf(k, high);
    if (level > above && level < high)
      levels.push_back(level);
  }
  return levels;
}

/// The grid's solves, one per level, claimed in ascending order by worker
/// threads (work()) and by the level loop (take(k)), which solves the next
/// unclaimed level itself rather than wait: the loop's gap solves and
/// polishes overlap the grid's solves of the levels above. Each solve depends
/// only on its level, so the plans are the same on any number of threads.
class GridSolves {
public:
  GridSolves(size_t count, std::function<Plan(size_t)> solve)
      : solve_(std::move(solve)), plans_(count), done_(count, false) {}

  /// Solves unclaimed levels until none is left.
  void work() {
    while (claimAndSolve()) {
    }
  }

  /// Level k's plan, once solved.
  Plan take(size_t k) {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        if (done_[k])
          return std::move(plans_[k]);
      }
      if (!claimAndSolve()) {
        std::unique_lock<std::mutex> lock(mutex_);
        solved_.wait(lock, [&] { return static_cast<bool>(done_[k]); });
        return std::move(plans_[k]);
      }
    }
  }

private:
  bool claimAndSolve() {
    const size_t k = next_++;
    if (k >= plans_.size())
      return false;
    Plan plan = solve_(k);
    std::lock_guard<std::mutex> lock(mutex_);
    plans_[k] = std::move(plan);
    done_[k] = true;
    solved_.notify_all();
    return true;
  }

  std::function<Plan(size_t)> solve_;
  std::vector<Plan> plans_;
  std::vector<bool> done_;
  std::atomic<size_t> next_{0};
  std::mutex mutex_;
  std::condition_variable solved_;
};

/// Walk down from `plan` (peak `peak`) towards a point of peak `lowPeak`
/// and cost `lowCost`: repair the plan one byte below its own peak (the
/// stage search's add moves, then its polish), keep the result, and repeat
/// from there while the walk costs less than that point. Each step is a
/// local repair, not a solve, and fills the gap with plans that use the
/// memory the point below leaves free. Graphs up to kWalkNodes;
/// budget-independent.
std::vector<FrontierPoint> walkDown(const Problem &problem, Plan plan,
                                    int64_t peak, int64_t lowPeak,
                                    double lowCost) {
  std::vector<FrontierPoint> found;
  if (problem.nodes.size() > kWalkNodes)
    return found;
  const int64_t work =
      kWalkWorkPerNode * static_cast<int64_t>(problem.nodes.size());
  for (int step = 0; step < kWalkSteps && peak - 1 > lowPeak; ++step) {
    Plan next = stageRepair(problem, plan, peak - 1, work);
    if (next.schedule.empty())
      break;
    const Simulation sim = simulate(problem, next);
    if (sim.recomputeCost >= lowCost)
      break;
    found.push_back({sim.peakBytes, sim.recomputeCost, next});
    plan = std::move(next);
    peak = sim.peakBytes;
  }
  return found;
}

} // namespace

const FrontierPoint *Frontier::at(int64_t budget) const {
  // The last point peaking within the budget is the cheapest of those.
  auto after = std::upper_bound(
      points.begin(), points.end(), budget,
      [](int64_t b, const FrontierPoint &point) { return b < point.peakBytes; });
  return after == points.begin() ? nullptr : &*std::prev(after);
}

namespace {

/// computeFrontier in a family the caller holds: solveMonotone's band solves
/// then share its memo (the min-cut starts' states, the least-peak plan,
/// the outcomes of the levels' relax weakenings) instead of computing it
/// again in a family of their own.
Frontier computeFrontierIn(const RetentionFamily &family,
                           const FrontierOptions &options) {
  const Problem &problem = family.problem();
  Frontier frontier;
  const Plan keepAll = keepAllPlan(problem);
  frontier.unplannedPeakBytes = simulate(problem, keepAll).peakBytes;
  frontier.lowerBoundBytes = peakLowerBound(problem);
  std::vector<Entry> entries;
  auto add = [&](Plan plan, int64_t polishedFor) {
    if (plan.schedule.empty() && !problem.nodes.empty())
      return;
    if (!validate(problem, plan).empty())
      return;
    Simulation sim = simulate(problem, plan);
    entries.push_back(
        {{sim.peakBytes, sim.recomputeCost, std::move(plan)}, polishedFor});
  };
  auto finish = [&] {
    for (Entry &entry : entries)
      frontier.points.push_back(std::move(entry.point));
    return std::move(frontier);
  };
  if (problem.nodes.empty()) {
    add(keepAll, -1);
    return finish();
  }
  // Level 0, the least budget: the min-peak plan, and with policies their
  // own plan (the cheapest valid one; keep-all is invalid then).
  if (!family.pinnedRecompute().empty())
    add(policyPlan(family), -1);
  const int64_t high = frontier.unplannedPeakBytes;
  const int step = options.gridPoints > 0
                       ? 0
                       : defaultPercentStep(problem.nodes.size());
  const unsigned threads =
      options.solver == SolverKind::Exact ? 1 : options.threads;
  // Fast's levels at every 5th percent (graphs over kDenseGridNodes) do not
  // depend on the least peak but for which of them lie above it, so their
  // solves start now, on threads, while this thread searches the min-peak
  // plan (0.9 s at 10k nodes, half of it recompute-all's schedule, built
  // beside one search): the percents above the lower bound, up to the
  // lookahead-th at or above maxBudget. A solve that needs the min-peak plan
  // (nothing it finds fits) waits for the family's; one that turns out at
  // or below the least peak is not a level, and once that peak is known it
  // is not started. Each depends only on its budget, so the levels' plans
  // are the same as solved after the search, on any number of threads. Not
  // on the whole-percent grid: between the lower bound and the least peak
  // lie several percents there (resnet50: 37-41%), each a wasted solve.
  const size_t lookahead =
      problem.nodes.size() <= kWalkNodes ? kWalkedLookahead : kLookahead;
  std::vector<int64_t> early;
  if (step == kSparsePercentStep && options.solver == SolverKind::Fast) {
    size_t atOrAbove = 0;
    for (int64_t budget : percentLevels(step, frontier.lowerBoundBytes, high)) {
      if (atOrAbove == lookahead)
        break;
      early.push_back(budget);
      if (budget >= options.maxBudget)
        ++atOrAbove;
    }
  }
  // The levels' range (above the least peak, up to the last level
  // computed), set once known: early solves not started by then outside it
  // are not levels and are not started.
  std::atomic<int64_t> levelsAbove{-1}, levelsUpTo{INT64_MAX};
  // The plan of one solve (empty when it found none: add() skips it);
  // reads nothing shared but the problem, so the grid runs it on threads.
  auto planAt = [&](int64_t budget, int effort, unsigned solveThreads,
                    const Plan *least, double timeLimit) -> Plan {
    SolveOptions solveOptions;
    solveOptions.budgetBytes = budget;
    solveOptions.timeLimitSeconds = timeLimit;
    solveOptions.threads = solveThreads;
    solveOptions.effort = effort;
    solveOptions.knownMinPeak = least;
    SolveResult result = solveInFamily(family, options.solver, solveOptions);
    return result.feasible ? std::move(result.plan) : Plan{};
  };
  GridSolves earlySolves(early.size(), [&](size_t k) {
    if (early[k] <= levelsAbove.load() || early[k] > levelsUpTo.load())
      return Plan{};
    // The caller's min-peak plan, if any, so that a solve that needs it
    // before this thread asks never searches it again.
    return planAt(early[k], options.effort, 1, options.knownMinPeak,
                  options.timeLimitSeconds);
  });
  std::vector<std::thread> earlyWorkers;
  for (unsigned t = 1; t < resolveThreads(threads, early.size() + 1); ++t)
    earlyWorkers.emplace_back([&] { earlySolves.work(); });
  // The min-peak plan (level 0); the grid's solves fall back to it too where
  // nothing they find fits.
  const Plan &least =
      family.leastPeakPlan(options.threads, options.knownMinPeak);
  const int64_t leastPeak = simulate(problem, least).peakBytes;
  add(least, leastPeak);
  const int64_t low =
      entries.empty()
          ? leastPeak
          : std::min_element(entries.begin(), entries.end(),
                             [](const Entry &a, const Entry &b) {
                               return a.point.peakBytes < b.point.peakBytes;
                             })
                ->point.peakBytes;
  if (high <= low)
    add(keepAll, high);
  // The levels: `low`, the grid between, `high` (keep-all's peak). What a
  // level adds depends only on the levels up to it, so the points of the
  // levels up to a budget are the same however far the frontier goes:
  // options.maxBudget cuts the rest (solveMonotone), and the answers stay
  // monotone (a higher budget sees a superset of points).
  std::vector<int64_t> levels{low};
  if (step > 0) {
    for (int64_t budget : percentLevels(step, low, high))
      levels.push_back(budget);
  } else {
    const int points =
        options.gridPoints > 0 ? std::max(2, options.gridPoints) : kWalkedGrid;
    for (int k = 1; k + 1 < points && high > low; ++k)
      levels.push_back(low + (high - low) * k / (points - 1));
  }
  if (high > low)
    levels.push_back(high);
  const int grid = std::max<int>(2, levels.size());
  const int64_t totalLevels = levels.size();
  // Up to the lookahead-th level at or above maxBudget: on walked graphs the
  // solves just above a budget often find plans below it, and the walks and
  // gap solves of those levels land below it too.
  const size_t firstAbove =
      std::lower_bound(levels.begin(), levels.end(), options.maxBudget) -
      levels.begin();
  // Below the least peak nothing fits: level 0 (the min-peak plan) says so.
  levels.resize(options.maxBudget < low
                    ? 1
                    : std::min(levels.size(), firstAbove + lookahead));
  const size_t numLevels = levels.size();
  levelsUpTo.store(levels.back());
  levelsAbove.store(low);
  frontier.levels = levels;
  auto isKeepAllLevel = [&](size_t k) {
    return k > 0 && static_cast<int64_t>(k) + 1 == totalLevels;
  };
  // The time limit (exact) is shared by the grid's solves: grid - 2, and
  // one at `low`.
  const double perSolve = options.timeLimitSeconds / (grid - 1);
  // The levels' solves share the threads; a lone level takes them all.
  auto solveAt = [&](int64_t budget, int effort) {
    return planAt(budget, effort, numLevels == 1 ? threads : 1, &least,
                  perSolve);
  };
  // The grid's solves (one per level below keep-all's, `low` included: a
  // solve at the least peak often finds a cheaper plan there than the
  // min-peak search's, so the answer at the smallest feasible budget is
  // never dearer than a plain solve's) are independent: on threads (fast;
  // exact's MILP runs one at a time), each into its own slot, or taken from
  // the early solves. None at `low` when the caller asks for less (nothing
  // fits there) or keep-all fits.
  std::vector<int64_t> gridBudgets(numLevels, -1);
  for (size_t k = 0; k < numLevels; ++k)
    if (!isKeepAllLevel(k))
      gridBudgets[k] = levels[k];
  if (options.maxBudget < low || high <= low)
    gridBudgets[0] = -1;
  GridSolves gridSolves(numLevels, [&](size_t k) {
    if (gridBudgets[k] < 0)
      return Plan{};
    auto started = std::find(early.begin(), early.end(), gridBudgets[k]);
    if (k > 0 && started != early.end())
      return earlySolves.take(started - early.begin());
    return solveAt(gridBudgets[k], k == 0 ? options.leastEffort : options.effort);
  });
  std::vector<std::thread> gridWorkers;
  if (early.empty())
    for (unsigned t = 1; t < resolveThreads(threads, numLevels); ++t)
      gridWorkers.emplace_back([&] { gridSolves.work(); });
  // Walk down from `from` towards the front's point below its peak, when
  // that one costs more (graphs up to kWalkNodes); `entries` is the front.
  auto walkFrom = [&](const FrontierPoint &from) {
    auto above = std::lower_bound(entries.begin(), entries.end(),
                                  from.peakBytes,
                                  [](const Entry &entry, int64_t peak) {
                                    return entry.point.peakBytes < peak;
                                  });
    if (above == entries.begin() ||
        std::prev(above)->point.recomputeCost <= from.recomputeCost)
      return;
    const FrontierPoint &below = std::prev(above)->point;
    for (FrontierPoint &point :
         walkDown(problem, from.plan, from.peakBytes, below.peakBytes,
                  below.recomputeCost))
      entries.push_back({std::move(point), -1});
  };
  // Gap solves: refineSolves in all (default one per level on graphs that
  // are walked, kDenseRefines up to kDenseGridNodes, none above or for
  // exact, whose time limit the grid shares), spread evenly over the levels.
  const size_t numNodes = problem.nodes.size();
  const int64_t refineSolves =
      options.refineSolves >= 0                ? options.refineSolves
      : options.solver == SolverKind::Exact ? 0
      : numNodes <= kWalkNodes                 ? grid * kRefinePerGrid
      : numNodes <= kDenseGridNodes            ? kDenseRefines
                                               : 0;
  auto refineAllowance = [&](size_t k) -> int64_t {
    return refineSolves * static_cast<int64_t>(k + 1) / totalLevels;
  };
  const int64_t trials = 4 * static_cast<int64_t>(problem.nodes.size()) + 1000;
  std::set<int64_t> solved;
  int64_t spent = 0;
  pruneToParetoFront(entries);
  for (size_t k = 0; k < numLevels; ++k) {
    const int64_t level = levels[k];
    // This level's plan: the grid's solve, keep-all at the top.
    Plan plan = isKeepAllLevel(k) ? keepAll : gridSolves.take(k);
    const size_t before = entries.size();
    if (!plan.schedule.empty())
      add(std::move(plan), isKeepAllLevel(k) ? high : gridBudgets[k]);
    if (entries.size() > before) {
      const FrontierPoint added = entries.back().point;
      pruneToParetoFront(entries);
      // Walk down from it when it is on the front.
      if (std::any_of(entries.begin(), entries.end(), [&](const Entry &e) {
            return e.point.peakBytes == added.peakBytes &&
                   e.point.recomputeCost == added.recomputeCost;
          })) {
        walkFrom(added);
        pruneToParetoFront(entries);
      }
    }
    // Close the gaps where the answer drops most: in the gap of largest
    // cost ratio not yet solved, solve one byte below the peak of the point
    // after it, or, when that point came from a gap solve itself, at the
    // gap's middle (a budget derived from this level's front, never from a
    // caller's); walk down from what it finds, and repeat while this
    // level's share of the solves is left. A solve lands just below its
    // budget, so solving below a gap solve's point again walked down a few
    // bytes at a time (BERT: 1 KB a solve, every gap solve of a frontier);
    // the middle halves the gap (docs/planner.md, "Gap solves").
    const int64_t allowed = refineAllowance(k);
    for (; spent < allowed; ++spent) {
      int64_t budget = -1;
      double widest = kLeastRefinedRatio;
      for (size_t i = 0; i + 1 < entries.size(); ++i) {
        const FrontierPoint &a = entries[i].point, &b = entries[i + 1].point;
        const int64_t below =
            entries[i + 1].gapFound
                ? a.peakBytes + (b.peakBytes - a.peakBytes) / 2
                : b.peakBytes - 1;
        const double ratio = (a.recomputeCost + 1) / (b.recomputeCost + 1);
        if (below > a.peakBytes && ratio > widest && !solved.count(below)) {
          widest = ratio;
          budget = below;
        }
      }
      if (budget < 0)
        break;
      solved.insert(budget);
      const size_t before = entries.size();
      add(solveAt(budget, options.effort), budget);
      if (entries.size() > before) {
        entries.back().gapFound = true;
        // Walk down from the new plan to the point below its peak (the
        // rest of `entries` is still the sorted front).
        Entry found = std::move(entries.back());
        entries.pop_back();
        walkFrom(found.point);
        entries.push_back(std::move(found));
      }
      pruneToParetoFront(entries);
    }
    // Polish each point for the largest budget at which it is this level's
    // answer (one byte below the next point's peak; the level itself for
    // the last), where that grew since it was last polished: recompute
    // steps it does not need there go.
    std::vector<int64_t> polishAt(entries.size(), -1);
    for (size_t i = 0; i < entries.size(); ++i) {
      const FrontierPoint &point = entries[i].point;
      if (point.recomputeCost <= 0 || point.peakBytes > level)
        continue;
      const int64_t until =
          i + 1 < entries.size()
              ? std::min(entries[i + 1].point.peakBytes - 1, level)
              : level;
      if (until > entries[i].polishedFor)
        polishAt[i] = until;
    }
    std::vector<Plan> polished(entries.size());
    forEachIndex(entries.size(), threads, [&](size_t i) {
      if (polishAt[i] >= 0)
        polished[i] =
            polishPlan(problem, family.graph(), entries[i].point.plan,
                       polishAt[i], trials);
    });
    const size_t count = entries.size();
    for (size_t i = 0; i < count; ++i)
      if (polishAt[i] >= 0) {
        entries[i].polishedFor = polishAt[i];
        const size_t before = entries.size();
        add(std::move(polished[i]), polishAt[i]);
        if (entries.size() > before)
          entries.back().gapFound = entries[i].gapFound;
      }
    pruneToParetoFront(entries);
  }
  for (std::thread &worker : gridWorkers)
    worker.join();
  for (std::thread &worker : earlyWorkers)
    worker.join();
  return finish();
}

} // namespace

Frontier computeFrontier(const Problem &problem,
                         const FrontierOptions &options) {
  dumpProblemIfAsked(problem);
  return computeFrontierIn(RetentionFamily(problem), options);
}

namespace {

/// A monotone answer: `plan` (the least-peak one when nothing fits), checked
/// by the simulator like every solve.
SolveResult monotoneAnswer(const Problem &problem, Plan plan, int64_t budget,
                           int64_t leastPeak,
                           std::chrono::steady_clock::time_point begin) {
  SolveResult result;
  result.plan = std::move(plan);
  result.leastPeakBytes = leastPeak;
  result.sim = simulate(problem, result.plan);
  result.feasible = result.sim.peakBytes <= budget &&
                    validate(problem, result.plan).empty();
  if (!result.feasible)
    result.message = "planned peak " + std::to_string(result.sim.peakBytes) +
                     " bytes exceeds the budget of " + std::to_string(budget) +
                     " bytes (the least peak on the frontier)";
  result.solveSeconds = std::chrono::duration<double>(
                            std::chrono::steady_clock::now() - begin)
                            .count();
  return result;
}

/// A point of a top-down answer and where it comes from: its level (0: the
/// least peak; grid level i: i + 1) and its rank within the level (own plans
/// first, then their polishes), which break ties between points of equal
/// cost and peak as the whole frontier's level order does.
struct Ranked {
  FrontierPoint point;
  size_t level = 0;
  int rank = 0;
};

/// Whether `a` answers before `b`: cheaper, then lower peak, then from a
/// lower level, then of lower rank.
bool answersBefore(const Ranked &a, const Ranked &b) {
  if (a.point.recomputeCost != b.point.recomputeCost)
    return a.point.recomputeCost < b.point.recomputeCost;
  if (a.point.peakBytes != b.point.peakBytes)
    return a.point.peakBytes < b.point.peakBytes;
  if (a.level != b.level)
    return a.level < b.level;
  return a.rank < b.rank;
}

} // namespace

namespace {

/// The budget's band (docs/planner.md, "Sub-levels in the budget's band"):
/// between the last two levels L' < L computed for a budget B (L' < B < L),
/// the levels' own solves often leave no plan peaking in (L', B] cheaper
/// than the answer at L'. Solve at the band's sub-levels, L' + (L - L') * j
/// / kBandParts for j = 1 .. kBandParts - 1, then one byte below the peak of
/// each plan found and of the answer at L, P (budgets that depend on the
/// band only, never on B), and keep the plans that cost at least P. For
/// B1 < B2 in one band, B2 sees every plan B1 sees; for B2 in a band above,
/// P is already eligible and no dearer than any plan kept for B1. So the
/// answers stay monotone. bandAnswer picks from what bandPlans found.

/// Whether the band can answer at `budget` at all: not at a level, nor
/// where the answer is the upper level's already (`top` is P, `point` the
/// frontier's answer at B).
bool bandMayAnswer(int64_t low, int64_t high, const FrontierPoint &top,
                   const FrontierPoint &point, int64_t budget) {
  return budget > low && budget < high && top.peakBytes > budget &&
         point.recomputeCost > top.recomputeCost;
}

/// Fast's plans at `budgets`, on threads (an empty plan where none fits),
/// each solve with its share of them (a solve's plan is the same on any
/// count) and effort 1, as the frontier's own solves. Where nothing fits, a
/// solve falls back to the least-peak plan: `least`, or where null the
/// family's (RetentionFamily::leastPeakPlan, which the caller's search
/// fills). A feasible result is validated and simulated already
/// (solveInFamily's checkBySimulation): its simulation is the point's.
std::vector<FrontierPoint> plansAt(const RetentionFamily &family,
                                   const std::vector<int64_t> &budgets,
                                   unsigned threads, const Plan *least) {
  const unsigned cores =
      resolveThreads(threads, std::numeric_limits<size_t>::max());
  std::vector<FrontierPoint> found(budgets.size());
  forEachIndex(budgets.size(), cores, [&](size_t j) {
    SolveOptions solveOptions;
    solveOptions.budgetBytes = budgets[j];
    solveOptions.threads = std::max<size_t>(1, cores / budgets.size());
    solveOptions.effort = 1;
    solveOptions.knownMinPeak = least;
    SolveResult result = solveInFamily(family, SolverKind::Fast, solveOptions);
    if (result.feasible)
      found[j] = {result.sim.peakBytes, result.sim.recomputeCost,
                  std::move(result.plan)};
  });
  return found;
}

/// The band's sub-levels between `low` and `high` (L' and L): L' + (L - L')
/// * j / parts for j = 1 .. parts - 1 (`parts` kBandParts or
/// kTopDownBandParts).
std::vector<int64_t> bandSubLevels(int64_t low, int64_t high, int parts) {
  std::vector<int64_t> subLevels;
  for (int j = 1; j < parts; ++j)
    subLevels.push_back(low + (high - low) * j / parts);
  return subLevels;
}

/// The band's plans above `low` (L') in the order bandAnswer reads them:
/// `sub`, the sub-levels' (plansAt(bandSubLevels(...)): they depend on the
/// band only), then the solves one byte below the peak of P (`top`) and of
/// each of the sub-levels' plans, on threads, in ascending budget order:
/// the cheapest plans often peak a few bytes below another's (RegNetY's
/// min-cut start, 192 bytes below a sub-level's plan). `least` as plansAt.
std::vector<FrontierPoint> bandPlans(const RetentionFamily &family,
                                     int64_t low, const FrontierPoint &top,
                                     unsigned threads, const Plan *least,
                                     std::vector<FrontierPoint> sub) {
  std::set<int64_t> below;
  if (top.peakBytes - 1 > low)
    below.insert(top.peakBytes - 1);
  for (const FrontierPoint &f : sub)
    if (!f.plan.schedule.empty() && f.peakBytes - 1 > low)
      below.insert(f.peakBytes - 1);
  std::vector<FrontierPoint> found = std::move(sub);
  for (FrontierPoint &f : plansAt(
           family, std::vector<int64_t>(below.begin(), below.end()), threads,
           least))
    found.push_back(std::move(f));
  return found;
}

/// The first of the band's plans `found` that fits `budget`, costs at least
/// P (`top`) and is the cheapest of those, when it is cheaper than `point`
/// (the frontier's answer at B; null: any cost).
const FrontierPoint *bandAnswer(const std::vector<FrontierPoint> &found,
                                const FrontierPoint &top,
                                const FrontierPoint *point, int64_t budget) {
  const FrontierPoint *best = nullptr;
  for (const FrontierPoint &f : found)
    if (!f.plan.schedule.empty() && f.peakBytes <= budget &&
        f.recomputeCost >= top.recomputeCost &&
        (!point || f.recomputeCost < point->recomputeCost) &&
        (!best || f.recomputeCost < best->recomputeCost))
      best = &f;
  return best;
}

/// bandPlans and bandAnswer, where bandMayAnswer: the cheapest kept plan
/// fitting B when it is cheaper than `point`. `solvedSub`, when not null,
/// holds the sub-levels' plans of this band solved already (taken from it);
/// `solves` (may be null) counts the solves run here.
std::optional<FrontierPoint>
solveBand(const RetentionFamily &family, int64_t low, int64_t high,
          const FrontierPoint &top, const FrontierPoint &point,
          int64_t budget, unsigned threads, const Plan *least, int parts,
          int *solves = nullptr,
          std::vector<FrontierPoint> *solvedSub = nullptr) {
  if (!bandMayAnswer(low, high, top, point, budget))
    return std::nullopt;
  const size_t solvedAlready = solvedSub ? solvedSub->size() : 0;
  const std::vector<FrontierPoint> found = bandPlans(
      family, low, top, threads, least,
      solvedSub ? std::move(*solvedSub)
                : plansAt(family, bandSubLevels(low, high, parts), threads,
                          least));
  if (solves)
    *solves += found.size() - solvedAlready;
  if (const FrontierPoint *best = bandAnswer(found, top, &point, budget))
    return *best;
  return std::nullopt;
}

} // namespace

SolveResult solveMonotoneTopDown(const Problem &problem,
                                 const SolveOptions &options, bool bounded,
                                 int *solves, bool bandFirst,
                                 int percentStep, int chainLinks) {
  dumpProblemIfAsked(problem);
  if (percentStep <= 0)
    percentStep = defaultPercentStep(problem.nodes.size()) == kDensePercentStep
                      ? kDensePercentStep
                      : kSparsePercentStep;
  const bool dense = percentStep == kDensePercentStep;
  const size_t links = chainLinks > 0 ? chainLinks
                       : dense        ? kDenseChainLinks
                                      : kSparseChainLinks;
  const int bandParts = dense ? kBandParts : kTopDownBandParts;
  auto begin = std::chrono::steady_clock::now();
  const int64_t budget = options.budgetBytes;
  const Plan keepAll = keepAllPlan(problem);
  const int64_t high = simulate(problem, keepAll).peakBytes;
  const RetentionFamily family(problem);
  // The grid (every percentStep-th percent of the unplanned peak above the
  // proven lower bound) and keep-all's level, ascending; the levels up to
  // the first at or above the budget are the answer's.
  const int64_t lowerBound = peakLowerBound(problem);
  std::vector<int64_t> levels =
      percentLevels(percentStep, lowerBound, high);
  levels.push_back(high);
  const size_t keepAllLevel = levels.size() - 1;
  const size_t top = std::min<size_t>(
      std::lower_bound(levels.begin(), levels.end(), budget) - levels.begin(),
      keepAllLevel);
  const int64_t trials = 4 * static_cast<int64_t>(problem.nodes.size()) + 1000;
  // The polish chain of the level under grid level `first` (addLevel): one
  // byte below the own plan's peak (`ownPeak`, -1 while unknown or none:
  // the level itself) of each of the `links` levels from `first` up, as far
  // as the top, in level order. Fixed per level (the levels' solves depend
  // on their budgets only), and a higher budget's top only appends to it,
  // so the polishes made at B1 are made at B2 > B1 too. (Not sorted: a
  // solve at a higher level may peak lower, and a target inserted before
  // the end would change the polishes after it.)
  std::vector<int64_t> ownPeak(levels.size(), -1);
  auto chainFrom = [&](size_t first) {
    std::vector<int64_t> targets;
    for (size_t k = first; k <= top && k < first + links; ++k)
      targets.push_back(ownPeak[k] >= 0 ? ownPeak[k] - 1 : levels[k]);
    return targets;
  };
  // The most bytes a level's points may peak at: its own level or the
  // highest target of its chain.
  auto reachOf = [](int64_t level, const std::vector<int64_t> &targets) {
    for (int64_t target : targets)
      level = std::max(level, target);
    return level;
  };
  auto solveAt = [&](int64_t level, int effort) {
    if (solves)
      ++*solves;
    SolveOptions solveOptions = options;
    solveOptions.budgetBytes = level;
    solveOptions.effort = effort;
    SolveResult solved = solveInFamily(family, SolverKind::Fast, solveOptions);
    return solved.feasible ? std::move(solved.plan) : Plan{};
  };
  auto pointOf = [&](Plan plan) {
    const Simulation sim = simulate(problem, plan);
    return FrontierPoint{sim.peakBytes, sim.recomputeCost, std::move(plan)};
  };
  // The min-peak plan (level 0), searched beside the grid's solves; a solve
  // that finds nothing waits for the family's.
  const Plan *least = nullptr;
  std::thread searching([&] {
    least = &family.leastPeakPlan(options.threads, options.knownMinPeak);
  });
  const std::optional<RecomputeCostBound> bound =
      bounded ? std::optional<RecomputeCostBound>(problem) : std::nullopt;
  std::vector<Ranked> found;
  std::optional<size_t> best;
  // `best` learns of found[k].
  auto offer = [&](size_t k) {
    if (found[k].point.peakBytes <= budget &&
        (!best || answersBefore(found[k], found[*best])))
      best = k;
  };
  auto consider = [&](FrontierPoint point, size_t level, int rank) {
    found.push_back({std::move(point), level, rank});
    offer(found.size() - 1);
  };
  // Between the level under the budget and the one above it (L' < B < L),
  // the band (solveBand): its sub-levels' plans, solved on a thread of
  // their own beside the level under the budget (they depend on the band
  // only; `least` as plansAt: the family's, the search's); its plans when
  // solved before the descent went on below that level (below), and the
  // cheapest of them that the answer may be: an incumbent for beyondReach.
  const bool bandAbove = bandFirst && top >= 2 && budget < levels[top];
  std::vector<FrontierPoint> subPlans;
  std::thread subSolving;
  auto joinSub = [&] {
    if (subSolving.joinable())
      subSolving.join();
  };
  std::optional<std::vector<FrontierPoint>> earlyBand;
  double incumbent = std::numeric_limits<double>::infinity();
  // Whether nothing at or below `reach` bytes can beat the best answer or
  // the incumbent: every plan peaking there costs more (RecomputeCostBound).
  auto beyondReach = [&](int64_t reach) {
    return bound && best &&
           bound->at(std::min(budget, reach)) >
               std::min(found[*best].point.recomputeCost, incumbent);
  };
  // The point answering at `peak` bytes (answersBefore) among those found.
  auto cheapestUpTo = [&](int64_t peak) {
    std::optional<size_t> at;
    for (size_t k = 0; k < found.size(); ++k)
      if (found[k].point.peakBytes <= peak &&
          (!at || answersBefore(found[k], found[*at])))
        at = k;
    return at;
  };
  // A level's own plans (each with the budget it was made for), on their
  // own Pareto front, and each polished along the level's chain: for each
  // target in turn above the budget of the last polish (or of the plan),
  // each polish from the last (a polish of a polish, as the level-by-level
  // frontier polishes its answer again at every level).
  auto addLevel = [&](size_t level, std::vector<Entry> own,
                      const std::vector<int64_t> &targets) {
    pruneToParetoFront(own);
    std::vector<std::vector<Plan>> polished(own.size());
    forEachIndex(own.size(), options.threads, [&](size_t j) {
      if (own[j].point.recomputeCost <= 0)
        return;
      const Plan *from = &own[j].point.plan;
      int64_t last = own[j].polishedFor;
      for (int64_t until : targets) {
        if (until <= last)
          continue;
        Plan next = polishPlan(problem, family.graph(), *from, until, trials);
        if (next.schedule.empty() || !validate(problem, next).empty())
          break;
        polished[j].push_back(std::move(next));
        from = &polished[j].back();
        last = until;
      }
    });
    int rank = 0;
    for (Entry &entry : own)
      consider(std::move(entry.point), level, rank++);
    for (std::vector<Plan> &chain : polished)
      for (Plan &plan : chain)
        consider(pointOf(std::move(plan)), level, rank++);
  };
  // Level 0: the min-peak plan, with policies their own plan too (`zeroOwn`,
  // once the search is joined), and `low`, the least of their peaks.
  std::vector<Entry> zeroOwn;
  int64_t low = -1;
  auto joinSearch = [&] {
    if (!searching.joinable())
      return;
    searching.join();
    zeroOwn.push_back({pointOf(*least)});
    zeroOwn.back().polishedFor = zeroOwn.back().point.peakBytes;
    if (!family.pinnedRecompute().empty())
      zeroOwn.push_back({pointOf(policyPlan(family)), -1});
    low = zeroOwn.front().point.peakBytes;
    for (const Entry &entry : zeroOwn)
      low = std::min(low, entry.point.peakBytes);
  };
  // Below the proven lower bound on the peak nothing fits: the min-peak
  // plan says so, as the frontier's level 0 alone does (a solve there would
  // find nothing: 0.77 s against 0.39 s on the LSTM cell loop at 0.5).
  if (budget < lowerBound) {
    joinSearch();
    return monotoneAnswer(problem, *least, budget, low, begin);
  }
  // The grid's levels from the top down, each polishing its plans along
  // its chain (one byte below the own plans' peaks of the levels above, as
  // the whole frontier does where each level's plan is on its front), until
  // what is left below cannot beat the answer: nothing at or below a
  // level's reach (its chain's highest target), since the chains of the
  // levels below reach no higher.
  std::optional<size_t> lowestGrid, cutOffAt;
  for (size_t i = top + 1; i-- > 0;) {
    const std::vector<int64_t> targets = chainFrom(i + 1);
    const int64_t reach = reachOf(levels[i], targets);
    // Below the level under the budget's (L' < B < L), the band between
    // them first: its plans may answer cheaper than any level's, and as an
    // incumbent they may show the levels below need no solve. The answer is
    // the one the band solved after the descent gives (docs/planner.md,
    // "The band before the levels below"): every point below L' fits B, so
    // one that changes P, the answer at L, is the answer itself, and the
    // band can answer nothing there; every plan the incumbent rules out
    // costs more than a plan the band keeps.
    // (The band's low end is L' as long as the least peak is below L':
    // checked once the search is joined, after the descent.)
    if (bandAbove && i + 2 == top && !earlyBand &&
        !beyondReach(reach)) {
      joinSub();
      const std::optional<size_t> atTop = cheapestUpTo(levels[top]);
      if (best && atTop) {
        const FrontierPoint &p = found[*atTop].point;
        earlyBand.emplace();
        if (bandMayAnswer(levels[top - 1], levels[top], p,
                          found[*best].point, budget)) {
          *earlyBand = bandPlans(family, levels[top - 1], p, options.threads,
                                 options.knownMinPeak, subPlans);
          if (solves)
            *solves += earlyBand->size() - subPlans.size();
        }
        if (const FrontierPoint *kept =
                bandAnswer(*earlyBand, p, nullptr, budget))
          incumbent = kept->recomputeCost;
      }
    }
    if (i < top && beyondReach(reach)) {
      cutOffAt = i;
      break;
    }
    if (bandAbove && i + 1 == top) {
      const std::vector<int64_t> subLevels =
          bandSubLevels(levels[top - 1], levels[top], bandParts);
      if (solves)
        *solves += subLevels.size();
      subSolving = std::thread([&, subLevels] {
        subPlans = plansAt(family, subLevels, 1, options.knownMinPeak);
      });
    }
    std::vector<Entry> own;
    if (i == keepAllLevel) {
      if (validate(problem, keepAll).empty())
        own.push_back({pointOf(keepAll), high});
    } else {
      Plan plan = solveAt(levels[i], options.effort > 0 ? options.effort : 1);
      // Below the least peak: no level here or under.
      if (plan.schedule.empty())
        break;
      own.push_back({pointOf(std::move(plan)), levels[i]});
    }
    // A grid level has one plan (keep-all's level at most one).
    ownPeak[i] = own.empty() ? -1 : own.front().point.peakBytes;
    addLevel(i + 1, std::move(own), targets);
    lowestGrid = i;
  }
  // Level 0, and a solve at its least peak. The grid's levels are those
  // above it: a solve at or below it is not one.
  joinSub();
  joinSearch();
  // The band solved early lies below the least peak: not the budget's
  // (the levels the incumbent left out lie there too, and hold only points
  // that are not the frontier's, below).
  if (earlyBand && levels[top - 1] <= low) {
    earlyBand.reset();
    incumbent = std::numeric_limits<double>::infinity();
  }
  // Below the least peak the frontier has level 0 only.
  found.erase(std::remove_if(found.begin(), found.end(),
                             [&](const Ranked &r) {
                               return r.level > 0 &&
                                      (levels[r.level - 1] <= low ||
                                       budget < low);
                             }),
              found.end());
  // The grid level just above the least peak, when it was solved.
  std::optional<size_t> firstAbove;
  if (lowestGrid)
    for (size_t i = *lowestGrid; i <= top && !firstAbove; ++i)
      if (levels[i] > low)
        firstAbove = i;
  const std::vector<int64_t> zeroTargets =
      firstAbove ? chainFrom(*firstAbove) : std::vector<int64_t>{};
  best.reset();
  for (size_t k = 0; k < found.size(); ++k)
    offer(k);
  // Level 0's solve and polishes peak at most at its reach. A cut-off at
  // a level above the least peak covered them (its chain is level 0's
  // chain, so they peak at most at its reach); one at
  // or below it was judged against points that are not the frontier's, so
  // level 0 is judged again against the rest.
  const bool covered =
      (cutOffAt && levels[*cutOffAt] > low) ||
      beyondReach(reachOf(low, zeroTargets));
  if (!covered && budget >= low && high > low) {
    Plan plan = solveAt(low, options.effort);
    if (!plan.schedule.empty())
      zeroOwn.push_back({pointOf(std::move(plan)), low});
    addLevel(0, std::move(zeroOwn), zeroTargets);
  } else {
    // What the search found is a point either way (a floor when nothing
    // fits); it is not polished here.
    int rank = 0;
    for (Entry &entry : zeroOwn)
      consider(std::move(entry.point), 0, rank++);
  }
  // Between two levels, the band's solves too (solveBand), kept where they
  // cost at least the answer at the upper level: the whole frontier's
  // answer there, as every answer here is (a level the bound cut off holds
  // only plans dearer than the answer at the budget, hence than that one).
  // Solved before the levels below when the descent went there (earlyBand):
  // its plans are read here with the answers as they are now.
  std::optional<FrontierPoint> banded;
  if (best && budget < levels[top]) {
    const std::optional<size_t> atTop = cheapestUpTo(levels[top]);
    const int64_t bandLow = top > 0 ? std::max(levels[top - 1], low) : low;
    if (atTop && earlyBand) {
      const FrontierPoint &p = found[*atTop].point;
      if (bandMayAnswer(bandLow, levels[top], p, found[*best].point, budget))
        if (const FrontierPoint *kept =
                bandAnswer(*earlyBand, p, &found[*best].point, budget))
          banded = *kept;
    } else if (atTop) {
      // The sub-levels' plans solved beside the level under the budget,
      // where the band is still theirs (counted when they started).
      const bool solvedBeside =
          bandAbove && bandLow == levels[top - 1] && !subPlans.empty();
      banded = solveBand(family, bandLow, levels[top], found[*atTop].point,
                         found[*best].point, budget, options.threads, least,
                         bandParts, solves,
                         solvedBeside ? &subPlans : nullptr);
    }
  }
  return monotoneAnswer(problem,
                        banded ? banded->plan
                        : best ? found[*best].point.plan
                               : *least,
                        budget, low, begin);
}

SolveResult solveMonotone(const Problem &problem, SolverKind kind,
                          const SolveOptions &options, int gridPoints) {
  // Graphs that are not walked (fast, default levels): top down, from the
  // budget's level down as far as a lower level can change the answer.
  if (kind == SolverKind::Fast && gridPoints == 0 &&
      problem.nodes.size() > kWalkNodes)
    return solveMonotoneTopDown(problem, options, /*bounded=*/true);
  auto begin = std::chrono::steady_clock::now();
  FrontierOptions frontierOptions;
  frontierOptions.solver = kind;
  frontierOptions.gridPoints = gridPoints;
  frontierOptions.timeLimitSeconds = options.timeLimitSeconds;
  frontierOptions.threads = options.threads;
  frontierOptions.knownMinPeak = options.knownMinPeak;
  // 0 (automatic) means 1 here: a frontier runs dozens of solves; the one
  // at the least peak takes the caller's.
  frontierOptions.effort = options.effort > 0 ? options.effort : 1;
  frontierOptions.leastEffort = options.effort;
  // Only the levels up to the budget: their points are the same as in the
  // whole frontier's, and what the budget sees grows with it.
  frontierOptions.maxBudget = options.budgetBytes;
  dumpProblemIfAsked(problem);
  const RetentionFamily family(problem);
  Frontier frontier = computeFrontierIn(family, frontierOptions);
  const FrontierPoint *point = frontier.at(options.budgetBytes);
  // Below the smallest feasible budget: the least-peak plan, infeasible.
  if (!point && !frontier.points.empty())
    point = &frontier.points.front();
  return monotoneAnswer(problem, point ? point->plan : Plan{},
                        options.budgetBytes,
                        frontier.points.empty()
                            ? -1
                            : frontier.smallestFeasibleBytes(),
                        begin);
}

} // namespace remat::planner
