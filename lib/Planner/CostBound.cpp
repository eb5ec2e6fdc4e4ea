//===- CostBound.cpp - A proven lower bound on the recompute cost ---------===//
//
// See Solvers.h (RecomputeCostBound) and docs/planner.md, "A lower bound on
// the recompute cost".
//
//===----------------------------------------------------------------------===//

#include "SolverImpl.h"

#include <algorithm>
#include <limits>

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
  std::vector<int> steps(n);
  for (int t = 0; t < n; ++t)
    steps[t] = t;
  const size_t kept = std::min<size_t>(kCuts, n);
  std::partial_sort(steps.begin(), steps.begin() + kept, steps.end(),
                    [&](int a, int b) {
                      return crossing[a] != crossing[b]
                                 ? crossing[a] > crossing[b]
                                 : a < b;
                    });
  steps.resize(kept);
  for (int t : steps) {
    Cut cut;
    cut.crossingBytes = problem.alwaysLiveBytes + crossing[t];
    // The crossing values a plan may recompute, cheapest per byte first.
    std::vector<int> droppable;
    for (int i = 0; i < t; ++i)
      if (lastRead[i] >= t && mayRecompute(problem.nodes[i]) &&
          problem.nodes[i].bytes > 0)
        droppable.push_back(i);
    // Cross-multiplied, so that no ratio is rounded; ties by index.
    std::sort(droppable.begin(), droppable.end(), [&](int a, int b) {
      const Node &x = problem.nodes[a], &y = problem.nodes[b];
      const double lhs = x.cost * static_cast<double>(y.bytes);
      const double rhs = y.cost * static_cast<double>(x.bytes);
      return lhs != rhs ? lhs < rhs : a < b;
    });
    cut.bytesBefore.reserve(droppable.size() + 1);
    cut.costBefore.reserve(droppable.size() + 1);
    cut.bytesBefore.push_back(0);
    cut.costBefore.push_back(0);
    for (int i : droppable) {
      cut.bytesBefore.push_back(cut.bytesBefore.back() +
                                problem.nodes[i].bytes);
      cut.costBefore.push_back(cut.costBefore.back() +
                               std::max(0.0, problem.nodes[i].cost));
    }
    cuts_.push_back(std::move(cut));
  }
}

double RecomputeCostBound::at(int64_t budget) const {
  double bound = 0;
  for (const Cut &cut : cuts_) {
    const int64_t need = cut.crossingBytes - budget;
    if (need <= 0)
      continue;
    if (need > cut.bytesBefore.back())
      return std::numeric_limits<double>::infinity();
    // The first prefix that frees `need`; its last value counts by the
    // fraction of its bytes still needed.
    const size_t k =
        std::lower_bound(cut.bytesBefore.begin(), cut.bytesBefore.end(),
                         need) -
        cut.bytesBefore.begin();
    const double whole = cut.costBefore[k - 1];
    const double item = cut.costBefore[k] - cut.costBefore[k - 1];
    const double bytes =
        static_cast<double>(cut.bytesBefore[k] - cut.bytesBefore[k - 1]);
    const double part =
        item * (static_cast<double>(need - cut.bytesBefore[k - 1]) / bytes);
    bound = std::max(bound, whole + part);
  }
  // The prefix sums add the costs in another order than a simulation of a
  // plan does: a margin far above their rounding, far below any cost.
  return bound * (1 - 1e-9);
}

} // namespace remat::planner
