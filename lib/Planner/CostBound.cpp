//===- CostBound.cpp - A proven lower bound on the recompute cost ---------===//
//
// See Solvers.h (RecomputeCostBound) and docs/planner.md, "A lower bound on
// the recompute cost".
//
//===----------------------------------------------------------------------===//

#include "SolverImpl.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>

namespace remat::planner {

namespace {

/// Program steps whose crossing sets are kept (the steps with most bytes
/// crossing): on `--random 10000 --seed 1` the 4 largest gave the same
/// bound as the 100 largest at 0.1, 0.3, 0.5, 0.7 and 0.9 of the peak.
constexpr size_t kCuts = 16;
/// Levels of inputs followed behind a recomputed value (RecomputeCostBound's
/// knapsack): on resnet50.mlir's problem at 0.9 of the peak, 1 proved 42.1
/// M, 3 105.3 M (fast's plan: 105.4 M), 5 the same as 3.
constexpr int kInputDepth = 3;

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
  auto uniqueInputs = [&](int i) {
    std::vector<int> inputs = problem.nodes[i].inputs;
    std::sort(inputs.begin(), inputs.end());
    inputs.erase(std::unique(inputs.begin(), inputs.end()), inputs.end());
    return inputs;
  };
  // Each node's readers, once each.
  std::vector<std::vector<int>> readers(n);
  for (int i = 0; i < n; ++i)
    for (int u : uniqueInputs(i))
      readers[u].push_back(i);
  // Per node, whether it is one knapsack's value (scratch, zero between
  // knapsacks).
  std::vector<uint8_t> isValue(n, 0);
  // The crossing values a plan may recompute, but those in `live`, as a
  // knapsack that must free what is held beyond the budget. A value v
  // recomputed after the step needs its inputs then; one that crosses
  // nothing (made before v, last read before the step) is then either live
  // at the step too or recomputed after it, and a recomputation of it needs
  // its own inputs in turn (kInputDepth levels of them are followed; deeper
  // ones count as free). Such an input u is shared among the readers that
  // may be recomputed after the step (the knapsack's values, and readers
  // that cross nothing and may be recomputed): each takes 1/k of it, so that
  // whichever are recomputed, together they never count more than u. Each
  // share is held (its bytes less to free) or recomputed (its cost more,
  // and its inputs' shares of that share): convex option sets (lower chains
  // of bytes freed against cost) summed over the inputs (Minkowski sums:
  // edges merged by slope). v's chain, from "v stays" (the origin), gives
  // its segments, and the cheapest fractional choice of all values'
  // segments, cost per byte ascending, is the multiple-choice knapsack's LP
  // bound (each value's segments come in the order of its chain).
  auto knapsack = [&](int t, int64_t held, const std::vector<int> &live) {
    Knapsack sack;
    sack.heldBytes = problem.alwaysLiveBytes + held;
    auto crosses = [&](int i) { return lastRead[i] >= t; };
    std::vector<int> droppable;
    for (int i = 0; i < t; ++i)
      if (crosses(i) && mayRecompute(problem.nodes[i]) &&
          problem.nodes[i].bytes > 0 &&
          !std::binary_search(live.begin(), live.end(), i))
        droppable.push_back(i);
    for (int v : droppable)
      isValue[v] = 1;
    // How many readers of u (which crosses nothing) may be recomputed after
    // the step.
    auto sharers = [&](int u) {
      int k = 0;
      for (int r : readers[u])
        k += crosses(r) ? isValue[r] : mayRecompute(problem.nodes[r]);
      return std::max(k, 1);
    };
    struct Point {
      double bytes, cost;
    };
    using Chain = std::vector<Point>;
    // The lower convex chain of `points`, left to right; `fromCheapest`:
    // only from its cheapest point (ties: the most bytes) on, as fewer bytes
    // for more cost never helps.
    auto lowerChain = [](std::vector<Point> points, bool fromCheapest) {
      std::sort(points.begin(), points.end(),
                [](const Point &a, const Point &b) {
                  return a.bytes != b.bytes ? a.bytes < b.bytes
                                            : a.cost < b.cost;
                });
      Chain chain;
      for (const Point &p : points) {
        // Drop the last point while it lies on or above the segment from
        // the one before it to p.
        while (chain.size() >= 2) {
          const Point &o = chain[chain.size() - 2], &q = chain.back();
          if ((q.cost - o.cost) * (p.bytes - o.bytes) <
              (p.cost - o.cost) * (q.bytes - o.bytes))
            break;
          chain.pop_back();
        }
        if (chain.empty() || p.bytes > chain.back().bytes)
          chain.push_back(p);
      }
      size_t cheapest = 0;
      for (size_t k = 1; fromCheapest && k < chain.size(); ++k)
        if (chain[k].cost <= chain[cheapest].cost)
          cheapest = k;
      chain.erase(chain.begin(), chain.begin() + cheapest);
      return chain;
    };
    // Two chains' sum: the starts added, the edges merged by slope.
    auto sum = [](const Chain &a, const Chain &b) {
      struct Edge {
        double bytes, cost;
      };
      std::vector<Edge> edges;
      for (const Chain *c : {&a, &b})
        for (size_t k = 1; k < c->size(); ++k)
          edges.push_back({(*c)[k].bytes - (*c)[k - 1].bytes,
                           (*c)[k].cost - (*c)[k - 1].cost});
      std::stable_sort(edges.begin(), edges.end(),
                       [](const Edge &x, const Edge &y) {
                         return x.cost * y.bytes < y.cost * x.bytes;
                       });
      Chain out{{a.front().bytes + b.front().bytes,
                 a.front().cost + b.front().cost}};
      for (const Edge &e : edges)
        out.push_back({out.back().bytes + e.bytes, out.back().cost + e.cost});
      return out;
    };
    // The options of `share` of u (which crosses nothing), relative to not
    // needing it: held, or recomputed with `depth` more levels of inputs.
    std::function<Chain(int, double, int)> shareOf = [&](int u, double share,
                                                        int depth) {
      const Node &node = problem.nodes[u];
      const Point hold{-node.bytes * share, 0};
      if (!mayRecompute(node) || node.bytes <= 0)
        return Chain{hold};
      Chain again{{0, std::max(0.0, node.cost) * share}};
      if (depth > 0)
        for (int w : uniqueInputs(u))
          if (!crosses(w))
            again = sum(again, shareOf(w, share / sharers(w), depth - 1));
      std::vector<Point> points = again;
      points.push_back(hold);
      return lowerChain(std::move(points), /*fromCheapest=*/true);
    };
    struct Segment {
      double bytes, cost;
      int value;
    };
    std::vector<Segment> segments;
    for (int v : droppable) {
      const Node &node = problem.nodes[v];
      Chain chain{{static_cast<double>(node.bytes),
                   std::max(0.0, node.cost)}};
      for (int u : uniqueInputs(v))
        if (!crosses(u))
          chain = sum(chain, shareOf(u, 1.0 / sharers(u), kInputDepth));
      // From the origin ("v stays") through the options that free bytes.
      std::vector<Point> points{{0, 0}};
      for (const Point &p : chain)
        if (p.bytes > 0)
          points.push_back(p);
      const Chain hull = lowerChain(std::move(points), /*fromCheapest=*/false);
      for (size_t k = 1; k < hull.size(); ++k)
        segments.push_back({hull[k].bytes - hull[k - 1].bytes,
                            hull[k].cost - hull[k - 1].cost, v});
    }
    for (int v : droppable)
      isValue[v] = 0;
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
