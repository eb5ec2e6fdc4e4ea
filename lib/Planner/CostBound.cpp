//===- CostBound.cpp - A proven lower bound on the recompute cost ---------===//
//
// See Solvers.h (RecomputeCostBound) and docs/planner.md, "A lower bound on
// the recompute cost".
//
//===----------------------------------------------------------------------===//

#include "SolverImpl.h"

#include <algorithm>
#include <limits>
#include <optional>

namespace remat::planner {

namespace {

/// Program steps whose crossing sets are kept (the steps with most bytes
/// crossing): on `--random 10000 --seed 1` the 4 largest gave the same
/// bound as the 100 largest at 0.1, 0.3, 0.5, 0.7 and 0.9 of the peak.
constexpr size_t kCuts = 16;

} // namespace

RecomputeCostBound::RecomputeCostBound(const Problem &problem) {
  const int n = problem.nodes.size();
  if (n == 0)
    return;
  // A value crosses step t when it is made before t and read at or after t
  // (outputs: to the end). Every node lies on a path to an output or to a
  // node nothing reads, so keep-all runs every step.
  const std::vector<int> lastRead = lastReaders(problem);
  // crossing[t]: bytes of the values made before t and read at t or later.
  std::vector<int64_t> delta(n + 2, 0), crossing(n, 0);
  for (int i = 0; i < n; ++i) {
    if (lastRead[i] <= i)
      continue;
    delta[i + 1] += problem.nodes[i].bytes;
    delta[std::min(lastRead[i], n - 1) + 1] -= problem.nodes[i].bytes;
  }
  int64_t live = 0;
  for (int t = 0; t < n; ++t)
    crossing[t] = live += delta[t];
  // What keep-all holds at step t: the crossing values, and t's own output
  // and scratch.
  auto heldAt = [&](int t) {
    return crossing[t] + problem.nodes[t].bytes +
           problem.nodes[t].transientBytes;
  };
  std::vector<int> steps(n);
  for (int t = 0; t < n; ++t)
    steps[t] = t;
  const size_t kept = std::min<size_t>(kCuts, n);
  std::partial_sort(steps.begin(), steps.begin() + kept, steps.end(),
                    [&](int a, int b) {
                      return heldAt(a) != heldAt(b) ? heldAt(a) > heldAt(b)
                                                    : a < b;
                    });
  steps.resize(kept);
  // The crossing values a plan may recompute, but those in `live`, as a
  // knapsack that must free what is held beyond the budget.
  auto knapsack = [&](int t, int64_t held, const std::vector<int> &live) {
    Knapsack sack;
    sack.heldBytes = problem.alwaysLiveBytes + held;
    std::vector<int> droppable;
    for (int i = 0; i < t; ++i)
      if (lastRead[i] >= t && mayRecompute(problem.nodes[i]) &&
          problem.nodes[i].bytes > 0 &&
          !std::binary_search(live.begin(), live.end(), i))
        droppable.push_back(i);
    // Cheapest per byte first; cross-multiplied, so that no ratio is
    // rounded; ties by index.
    std::sort(droppable.begin(), droppable.end(), [&](int a, int b) {
      const Node &x = problem.nodes[a], &y = problem.nodes[b];
      const double lhs = x.cost * static_cast<double>(y.bytes);
      const double rhs = y.cost * static_cast<double>(x.bytes);
      return lhs != rhs ? lhs < rhs : a < b;
    });
    sack.bytesBefore.reserve(droppable.size() + 1);
    sack.costBefore.reserve(droppable.size() + 1);
    sack.bytesBefore.push_back(0);
    sack.costBefore.push_back(0);
    for (int i : droppable) {
      sack.bytesBefore.push_back(sack.bytesBefore.back() +
                                 problem.nodes[i].bytes);
      sack.costBefore.push_back(sack.costBefore.back() +
                                std::max(0.0, problem.nodes[i].cost));
    }
    return sack;
  };
  for (int t : steps) {
    // Either t's own step is kept: it holds t's output and scratch and a
    // version of each input. Or it is not: t is recomputed later, and at
    // its step only the crossing values count.
    std::vector<int> inputs = problem.nodes[t].inputs;
    std::sort(inputs.begin(), inputs.end());
    Cut cut{knapsack(t, heldAt(t), inputs), std::nullopt, 0};
    if (mayRecompute(problem.nodes[t])) {
      cut.deferred = knapsack(t, crossing[t], {});
      cut.deferredCost = std::max(0.0, problem.nodes[t].cost);
    }
    cuts_.push_back(std::move(cut));
  }
}

double RecomputeCostBound::Knapsack::cost(int64_t budget) const {
  const int64_t need = heldBytes - budget;
  if (need <= 0)
    return 0;
  if (need > bytesBefore.back())
    return std::numeric_limits<double>::infinity();
  // The first prefix that frees `need`; its last value counts by the
  // fraction of its bytes still needed.
  const size_t k =
      std::lower_bound(bytesBefore.begin(), bytesBefore.end(), need) -
      bytesBefore.begin();
  const double whole = costBefore[k - 1];
  const double item = costBefore[k] - costBefore[k - 1];
  const double bytes =
      static_cast<double>(bytesBefore[k] - bytesBefore[k - 1]);
  return whole +
         item * (static_cast<double>(need - bytesBefore[k - 1]) / bytes);
}

double RecomputeCostBound::at(int64_t budget) const {
  double bound = 0;
  for (const Cut &cut : cuts_) {
    double least = cut.kept.cost(budget);
    if (cut.deferred)
      least = std::min(least, cut.deferredCost + cut.deferred->cost(budget));
    bound = std::max(bound, least);
  }
  // The prefix sums add the costs in another order than a simulation of a
  // plan does: a margin far above their rounding, far below any cost.
  return bound * (1 - 1e-9);
}

} // namespace remat::planner
