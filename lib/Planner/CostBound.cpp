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
  // Per node, how many of one knapsack's values read it (scratch, zero
  // between knapsacks).
  std::vector<int> readersDropped(n, 0);
  // The crossing values a plan may recompute, but those in `live`, as a
  // knapsack that must free what is held beyond the budget. A value v
  // recomputed after the step needs its inputs then; one that crosses
  // nothing (made before v, last read before the step) is then either live
  // at the step too or recomputed after it. Its bytes and cost are shared
  // among the knapsack's values that read it (each takes 1/k of them:
  // whichever of them are recomputed, together they take no more than the
  // whole), and each of v's shares is held or recomputed: v's options are
  // its own bytes and cost, less the shares it holds, plus those it
  // recomputes. Their lower convex hull from "v stays" (recompute the
  // shares cheapest per byte first, Graham's scan) gives v's segments, and
  // the cheapest fractional choice of all values' segments, cost per byte
  // ascending, is the multiple-choice knapsack's LP bound (each value's
  // segments come in the order of its hull).
  auto knapsack = [&](int t, int64_t held, const std::vector<int> &live) {
    Knapsack sack;
    sack.heldBytes = problem.alwaysLiveBytes + held;
    std::vector<int> droppable;
    for (int i = 0; i < t; ++i)
      if (lastRead[i] >= t && mayRecompute(problem.nodes[i]) &&
          problem.nodes[i].bytes > 0 &&
          !std::binary_search(live.begin(), live.end(), i))
        droppable.push_back(i);
    // v's inputs that cross nothing, once each.
    auto spareInputs = [&](int v) {
      std::vector<int> inputs;
      for (int u : problem.nodes[v].inputs)
        if (lastRead[u] < t)
          inputs.push_back(u);
      std::sort(inputs.begin(), inputs.end());
      inputs.erase(std::unique(inputs.begin(), inputs.end()), inputs.end());
      return inputs;
    };
    for (int v : droppable)
      for (int u : spareInputs(v))
        ++readersDropped[u];
    struct Segment {
      double bytes, cost;
      int value;
    };
    std::vector<Segment> segments;
    struct Point {
      double bytes, cost;
    };
    std::vector<Point> options, hull;
    for (int v : droppable) {
      Point own{static_cast<double>(problem.nodes[v].bytes),
                std::max(0.0, problem.nodes[v].cost)};
      std::vector<Point> shares;
      for (int u : spareInputs(v)) {
        const Node &input = problem.nodes[u];
        const double part = 1.0 / readersDropped[u];
        own.bytes -= input.bytes * part;
        if (mayRecompute(input) && input.bytes > 0)
          shares.push_back({input.bytes * part,
                            std::max(0.0, input.cost) * part});
      }
      std::sort(shares.begin(), shares.end(),
                [](const Point &a, const Point &b) {
                  return a.cost * b.bytes < b.cost * a.bytes;
                });
      // The options that free bytes, ascending in bytes (each share adds
      // some), then their lower hull from the origin.
      options.clear();
      if (own.bytes > 0)
        options.push_back(own);
      for (const Point &share : shares) {
        own = {own.bytes + share.bytes, own.cost + share.cost};
        if (own.bytes > 0)
          options.push_back(own);
      }
      hull.assign(1, {0, 0});
      for (const Point &p : options) {
        // Drop the last hull point while it lies on or above the segment
        // from the one before it to p.
        while (hull.size() >= 2) {
          const Point &o = hull[hull.size() - 2], &q = hull.back();
          if ((q.cost - o.cost) * (p.bytes - o.bytes) <
              (p.cost - o.cost) * (q.bytes - o.bytes))
            break;
          hull.pop_back();
        }
        hull.push_back(p);
      }
      for (size_t k = 1; k < hull.size(); ++k)
        segments.push_back({hull[k].bytes - hull[k - 1].bytes,
                            hull[k].cost - hull[k - 1].cost, v});
    }
    for (int v : droppable)
      for (int u : spareInputs(v))
        readersDropped[u] = 0;
    // Cheapest per byte first; cross-multiplied; ties by value (a value's
    // segments ascend in cost per byte, so its own order is kept).
    std::stable_sort(segments.begin(), segments.end(),
                     [](const Segment &a, const Segment &b) {
                       const double lhs = a.cost * b.bytes;
                       const double rhs = b.cost * a.bytes;
                       return lhs != rhs ? lhs < rhs : a.value < b.value;
                     });
    sack.bytesBefore.reserve(segments.size() + 1);
    sack.costBefore.reserve(segments.size() + 1);
    sack.bytesBefore.push_back(0);
    sack.costBefore.push_back(0);
    for (const Segment &segment : segments) {
      sack.bytesBefore.push_back(sack.bytesBefore.back() + segment.bytes);
      sack.costBefore.push_back(sack.costBefore.back() + segment.cost);
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
  const double need = static_cast<double>(heldBytes - budget);
  if (need <= 0)
    return 0;
  // The segments' bytes are sums of shares (fractions): "no plan" only
  // beyond their rounding.
  if (need >= bytesBefore.back())
    return need > bytesBefore.back() + std::max(1e-6, 1e-9 * need)
               ? std::numeric_limits<double>::infinity()
               : costBefore.back();
  // The first prefix that frees `need`; its last segment counts by the
  // fraction of its bytes still needed.
  const size_t k =
      std::lower_bound(bytesBefore.begin(), bytesBefore.end(), need) -
      bytesBefore.begin();
  const double whole = costBefore[k - 1];
  const double item = costBefore[k] - costBefore[k - 1];
  const double bytes = bytesBefore[k] - bytesBefore[k - 1];
  return whole + item * ((need - bytesBefore[k - 1]) / bytes);
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
