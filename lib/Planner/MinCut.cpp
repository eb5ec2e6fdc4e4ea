//===- MinCut.cpp - Starts from min cuts of the forward/backward boundary --===//
//
// See docs/planner.md, "fast", the min-cut start. PyTorch's partitioner
// (torch._functorch.partitioners.min_cut_rematerialization_partition) splits
// every forward node v into v_in -> v_out with capacity bytes(v), joins
// v_out -> u_in for each forward consumer u and v_out -> sink for each
// backward one, and source -> v_in for the nodes it will not recompute
// (inputs, compute-intensive ops, ...). A minimum cut saves the values whose
// v_in -> v_out edge it cuts, and the backward pass recomputes the forward
// nodes on the sink side from them. As retentions: Keep for the saved
// values, Cut for the recomputed ones (recomputed once, when the backward
// pass first needs them; the retention family's closure recomputes exactly
// the sink side). That is a good plan shape on graphs fast's greedy descent
// handles badly (recurrent steps, where cheap pointwise chains run through
// every time step), so fast starts from it too.
//
// Which nodes are banned from recompute is the knob: a node is banned when
// its cost per byte is above a threshold, swept over the powers of two the
// graph's nodes span (every forward node banned ... none). A second knob
// bans long recompute chains, as PyTorch's `ban_if_long_fusible_chains`
// does: a Cut value that a recompute closure rebuilds long before the
// backward pass needs it (its version then lives across that stretch, as if
// saved) is banned and the cut is solved again, a few rounds. Ties between
// minimum cuts go to the one closest to the sink (the least recompute).
//
// Max flow is Dinic's algorithm with an iterative search (recompute chains
// can be as deep as the graph).
//
//===----------------------------------------------------------------------===//

#include "Liveness.h"
#include "MinCut.h"

#include "SolverImpl.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <iterator>
#include <set>

namespace remat::planner {

namespace {

/// Most ban thresholds tried (evenly spaced over the powers of two the
/// nodes' cost per byte spans).
constexpr int kMaxThresholds = 12;
/// Above this many nodes, fewer thresholds (each is a max flow and a
/// simulation of the whole graph).
constexpr size_t kLargeGraph = 20000;
constexpr int kLargeThresholds = 6;
/// Chain limits tried, as fractions of the step's length in program
/// positions (0: no limit), and the rounds of ban-and-cut-again.
constexpr double kChainLimits[] = {0, 1.0 / 16, 1.0 / 64};
constexpr int kChainRounds = 3;
/// Up to this many nodes, fast descends from each chain limit's states on
/// their own (minCutPlan); above, from all of them at once (10k-node
/// solves: 2.1 s -> 3.7 s per-limit, under load).
constexpr size_t kGroupedDescentNodes = 5000;

constexpr int64_t kInfinity = std::numeric_limits<int64_t>::max() / 4;

/// Dinic's max flow on a static graph.
class MaxFlow {
public:
  explicit MaxFlow(int vertices) : head_(vertices, -1) {}

  void addEdge(int from, int to, int64_t capacity) {
    if (capacity <= 0)
      return;
    to_.push_back(to);
    from_.push_back(from);
    capacity_.push_back(capacity);
    next_.push_back(head_[from]);
    head_[from] = to_.size() - 1;
    to_.push_back(from);
    from_.push_back(to);
    capacity_.push_back(0);
    next_.push_back(head_[to]);
    head_[to] = to_.size() - 1;
  }

  void run(int source, int sink) {
    while (levels(source, sink))
      blockingFlow(source, sink);
  }

  /// Vertices that reach `sink` in the residual graph: the sink side of the
  /// minimum cut closest to the sink.
  std::vector<char> sinkSide(int sink) const {
    std::vector<char> side(head_.size(), 0);
    std::vector<int> stack = {sink};
    side[sink] = 1;
    while (!stack.empty()) {
      const int v = stack.back();
      stack.pop_back();
      // Edge e = u -> v has residual capacity when capacity_[e] > 0; it is
      // the reverse (e ^ 1) of the edge v -> u listed at v.
      for (int e = head_[v]; e >= 0; e = next_[e]) {
        const int u = to_[e];
        if (!side[u] && capacity_[e ^ 1] > 0) {
          side[u] = 1;
          stack.push_back(u);
        }
      }
    }
    return side;
  }

private:
  bool levels(int source, int sink) {
    level_.assign(head_.size(), -1);
    std::vector<int> queue = {source};
    level_[source] = 0;
    for (size_t k = 0; k < queue.size(); ++k) {
      const int v = queue[k];
      for (int e = head_[v]; e >= 0; e = next_[e])
        if (capacity_[e] > 0 && level_[to_[e]] < 0) {
          level_[to_[e]] = level_[v] + 1;
          queue.push_back(to_[e]);
        }
    }
    return level_[sink] >= 0;
  }

  /// Augmenting paths in the level graph, found by an explicit stack.
  void blockingFlow(int source, int sink) {
    std::vector<int> edgeAt = head_;
    std::vector<int> path;
    int v = source;
    while (true) {
      if (v == sink) {
        int64_t pushed = kInfinity;
        for (int e : path)
          pushed = std::min(pushed, capacity_[e]);
        size_t cut = path.size();
        for (size_t k = 0; k < path.size(); ++k) {
          capacity_[path[k]] -= pushed;
          capacity_[path[k] ^ 1] += pushed;
          if (capacity_[path[k]] == 0 && cut == path.size())
            cut = k;
        }
        path.resize(cut);
        v = path.empty() ? source : to_[path.back()];
        continue;
      }
      int &e = edgeAt[v];
      while (e >= 0 && (capacity_[e] <= 0 || level_[to_[e]] != level_[v] + 1))
        e = next_[e];
      if (e >= 0) {
        path.push_back(e);
        v = to_[e];
        continue;
      }
      if (v == source)
        return;
      level_[v] = -1;
      const int back = path.back();
      path.pop_back();
      v = from_[back];
      edgeAt[v] = next_[edgeAt[v]];
    }
  }

  std::vector<int> head_, next_, to_, from_, level_;
  std::vector<int64_t> capacity_;
};

class MinCutSweep {
public:
  explicit MinCutSweep(const RetentionFamily &family)
      : family_(family), problem_(family.problem()) {
    const int n = problem_.nodes.size();
    deadline_ = recomputeDeadlines(problem_);
    firstBackward_.assign(n, -1);
    lastBackward_.assign(n, -1);
    for (int j = 0; j < n; ++j) {
      if (!problem_.nodes[j].backward)
        continue;
      for (int input : problem_.nodes[j].inputs) {
        if (firstBackward_[input] < 0)
          firstBackward_[input] = j;
        lastBackward_[input] = j;
      }
    }
  }

  /// The states at each chain limit (kChainLimits), deduplicated per limit.
  std::vector<std::vector<std::vector<Retention>>> run();

private:
  bool isForward(int v) const { return !problem_.nodes[v].backward; }
  bool bannedByCost(int v, double threshold) const;
  /// The sink side of the minimum cut with `banned` never recomputed.
  std::vector<char> cut(const std::vector<char> &banned) const;
  /// Recomputed values that a closure rebuilds more than `limit` positions
  /// before they are needed.
  std::vector<int> longChains(const std::vector<char> &recomputed,
                              int limit) const;
  std::vector<Retention> stateOf(const std::vector<char> &recomputed) const;

  const RetentionFamily &family_;
  const Problem &problem_;
  std::vector<int> deadline_;
  /// First and last backward consumer of each node (-1: none).
  std::vector<int> firstBackward_, lastBackward_;
};

bool MinCutSweep::bannedByCost(int v, double threshold) const {
  const Node &node = problem_.nodes[v];
  return node.cost > threshold * std::max<int64_t>(1, node.bytes);
}

std::vector<char> MinCutSweep::cut(const std::vector<char> &banned) const {
  const int n = problem_.nodes.size();
  // Vertex 0 is the source, 1 the sink, 2 + 2v and 3 + 2v node v's in and out.
  MaxFlow flow(2 + 2 * n);
  auto in = [](int v) { return 2 + 2 * v; };
  auto out = [](int v) { return 3 + 2 * v; };
  for (int v = 0; v < n; ++v) {
    const Node &node = problem_.nodes[v];
    if (!isForward(v))
      continue;
    // Outputs live to the end anyway: saving them is free.
    flow.addEdge(in(v), out(v), node.output ? 0 : node.bytes);
    if (deadline_[v] >= 0)
      flow.addEdge(in(v), 1, kInfinity);
    else if (banned[v] || !mayRecompute(node))
      flow.addEdge(0, in(v), kInfinity);
    for (int input : node.inputs)
      flow.addEdge(out(input), in(v), kInfinity);
    if (firstBackward_[v] >= 0)
      flow.addEdge(out(v), 1, kInfinity);
  }
  flow.run(0, 1);
  std::vector<char> side = flow.sinkSide(1);
  std::vector<char> recomputed(n, 0);
  for (int v = 0; v < n; ++v)
    recomputed[v] = isForward(v) && side[in(v)];
  return recomputed;
}

std::vector<int> MinCutSweep::longChains(const std::vector<char> &recomputed,
                                         int limit) const {
  const int n = problem_.nodes.size();
  // trigger[v]: the backward position whose recompute closure first rebuilds
  // v; need[v]: the last position its rebuilt version is read by a closure
  // or, at the latest, first read by the backward pass itself.
  std::vector<int> trigger(n, n), need(n, -1);
  std::vector<std::vector<int>> readers(n);
  for (int v = 0; v < n; ++v)
    if (recomputed[v])
      for (int input : problem_.nodes[v].inputs)
        if (recomputed[input])
          readers[input].push_back(v);
  std::vector<int> banned;
  for (int v = n - 1; v >= 0; --v) {
    if (!recomputed[v])
      continue;
    if (firstBackward_[v] >= 0) {
      trigger[v] = firstBackward_[v];
      need[v] = firstBackward_[v];
    }
    for (int reader : readers[v]) {
      if (trigger[reader] >= n)
        continue;
      trigger[v] = std::min(trigger[v], trigger[reader]);
      need[v] = std::max(need[v], trigger[reader]);
    }
    if (trigger[v] < n && need[v] - trigger[v] > limit &&
        deadline_[v] < 0) {
      banned.push_back(v);
      // Saved from now on: its recompute reads none of its inputs.
      trigger[v] = n;
    }
  }
  return banned;
}

std::vector<Retention>
MinCutSweep::stateOf(const std::vector<char> &recomputed) const {
  std::vector<Retention> state(problem_.nodes.size(), Retention::Keep);
  for (int v : family_.candidates())
    if (recomputed[v])
      state[v] = Retention::Cut;
  return state;
}

std::vector<std::vector<std::vector<Retention>>> MinCutSweep::run() {
  const int n = problem_.nodes.size();
  // Powers of two spanned by the forward nodes' cost per byte.
  std::set<int> exponents;
  bool anyBackwardRead = false;
  for (int v = 0; v < n; ++v) {
    const Node &node = problem_.nodes[v];
    if (!isForward(v) || !mayRecompute(node))
      continue;
    anyBackwardRead |= firstBackward_[v] >= 0;
    const double ratio =
        node.cost / static_cast<double>(std::max<int64_t>(1, node.bytes));
    exponents.insert(ratio > 0 ? static_cast<int>(std::floor(std::log2(ratio)))
                               : -1000);
  }
  if (!anyBackwardRead)
    return {};
  // Thresholds from "ban all but the cheapest" to "ban none".
  std::vector<double> thresholds;
  std::vector<int> levels(exponents.begin(), exponents.end());
  const int most = problem_.nodes.size() > kLargeGraph ? kLargeThresholds
                                                        : kMaxThresholds;
  const int count = std::min<int>(levels.size(), most);
  for (int k = 0; k < count; ++k) {
    const size_t at = count == 1 ? levels.size() - 1
                                 : k * (levels.size() - 1) / (count - 1);
    if (at + 1 == levels.size())
      thresholds.push_back(std::numeric_limits<double>::infinity());
    else
      thresholds.push_back(std::ldexp(1.0, levels[at] + 1));
  }
  constexpr size_t kLimits = std::size(kChainLimits);
  std::vector<std::set<std::vector<Retention>>> seen(kLimits);
  std::vector<std::vector<std::vector<Retention>>> states(kLimits);
  for (double threshold : thresholds) {
    std::vector<char> byCost(n, 0);
    for (int v = 0; v < n; ++v)
      byCost[v] = isForward(v) && bannedByCost(v, threshold);
    // Every chain limit starts from the same cut (a max flow each).
    const std::vector<char> costCut = cut(byCost);
    for (size_t group = 0; group < kLimits; ++group) {
      const double fraction = kChainLimits[group];
      std::vector<char> banned = byCost;
      std::vector<char> recomputed = costCut;
      const int limit = static_cast<int>(fraction * n);
      for (int round = 0; fraction > 0 && round < kChainRounds; ++round) {
        std::vector<int> chains = longChains(recomputed, std::max(limit, 1));
        if (chains.empty())
          break;
        for (int v : chains)
          banned[v] = 1;
        recomputed = cut(banned);
      }
      std::vector<Retention> state = stateOf(recomputed);
      if (seen[group].insert(state).second)
        states[group].push_back(std::move(state));
    }
  }
  return states;
}

} // namespace

std::vector<std::vector<std::vector<Retention>>>
computeMinCutGroups(const RetentionFamily &family) {
  return MinCutSweep(family).run();
}

std::vector<std::vector<Retention>> minCutStates(const RetentionFamily &family) {
  std::set<std::vector<Retention>> seen;
  std::vector<std::vector<Retention>> states;
  for (const auto &group : family.minCutGroups())
    for (const auto &state : group)
      if (seen.insert(state).second)
        states.push_back(state);
  return states;
}

Plan minCutPlan(const RetentionFamily &family, int64_t budgetBytes) {
  const Problem &problem = family.problem();
  if (problem.nodes.size() > kGroupedDescentNodes)
    return fastPlanFrom(family, budgetBytes, minCutStates(family));
  // Each chain limit gives recompute runs of its own length; descended
  // together, the few seeds taken all came from one of them (the residual
  // MLP's runs scale with the graph: 400 layers at 0.6 recomputed 5.63%
  // with the pooled seeds, 4.26% with each limit's own).
  Plan best;
  double bestCost = 0;
  for (const auto &group : family.minCutGroups()) {
    Plan plan = fastPlanFrom(family, budgetBytes, group);
    if (plan.schedule.empty())
      continue;
    const Simulation sim = simulate(family.graph(), plan);
    if (sim.peakBytes > budgetBytes)
      continue;
    if (best.schedule.empty() || sim.recomputeCost < bestCost) {
      best = std::move(plan);
      bestCost = sim.recomputeCost;
    }
  }
  return best;
}

} // namespace remat::planner
