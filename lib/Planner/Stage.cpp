//===- Stage.cpp - Local search over stage schedules ----------------------===//
//
// See docs/planner.md, "fast", stage 4. The retention family gives each value
// one cut position; the optimum of small graphs often recomputes a value at
// another gap, recomputes a recomputed value again, or recomputes an input
// together with its consumer. This search works directly on Checkmate stage
// schedules: a set of (stage t, node x) pairs, x recomputed right before
// original node t (x < t), the recomputes of a stage in program order. Every
// such set is a valid plan, so the moves need no repair beyond the budget:
//
//   add      a value live across the peak and not read there is recomputed in
//            the stage of its first later reader, so its version dies at the
//            peak; alone, or with the inputs the recompute would stretch back
//            across the peak (transitively, up to kMaxClosure);
//   remove   the polish (Polish.cpp) drops recomputes the budget does not need;
//   kick     iterated local search: a random change (StageSearch::kick,
//            fixed-seed generator), repaired with the add moves (best
//            relieved excess per added cost, every move simulated; now and
//            then one of the best few), polished, kept when not dearer;
//   restart  randomized greedy constructions from keep-all, each searched
//            by kicks of its own.
//
// Every state is judged by the simulator; work is bounded by simulated steps,
// so the result is deterministic. Graphs up to kStageSearchNodes nodes; up to
// kStageRepairNodes only when the start does not fit (repair, no kicks).
// Policies: no move recomputes a node pinned Save, kicks never drop or move a
// recompute of a node pinned Recompute, and the polish keeps their pins.
//
//===----------------------------------------------------------------------===//

#include "SolverImpl.h"

#include <algorithm>

namespace remat::planner {

namespace {

/// Largest graph searched (every move is simulated on its own) ...
constexpr size_t kStageSearchNodes = 400;
/// ... and, when the start does not fit, repaired (no kicks).
constexpr size_t kStageRepairNodes = 1000;
/// Inputs (transitively) an add move also recomputes. A value computed
/// from a chain of small ones (the exporter's pooling family: a 24-byte
/// value from 8 others) frees nothing when part of its chain is stretched
/// back across the peak instead; at 6 fast reported that step infeasible
/// 24 bytes above exact's plan (docs/planner.md, "Stage search").
constexpr size_t kMaxClosure = 16;
/// Kicks of the iterated local search.
constexpr int kKickRounds = 200;
/// ... when no start fits the budget.
constexpr int kInfeasibleKicks = 10;
/// Kicks without a new best after which the search stops.
constexpr int kStaleKicks = 60;
/// A randomized repair (after a kick) takes, one step in this many, one of
/// the best few moves instead of the best.
constexpr uint64_t kRandomRepairOneIn = 3;
constexpr size_t kRandomRepairChoices = 3;
/// Kinds of kick (StageSearch::kick), the widest window of stages one
/// drops, and the stale kicks after which the search returns to its best.
constexpr uint64_t kKickKinds = 4;
constexpr int kKickWindow = 4;
constexpr int kRestartKicks = 20;
/// Randomized greedy constructions searched after the first start, and the
/// kicks each gets.
constexpr int kGraspStarts = 8;
constexpr int kGraspKicks = 60;

/// Per original node t, the nodes recomputed right before it, ascending.
using Stages = std::vector<std::vector<int>>;

/// A stage schedule as built and simulated (remat's memory model, as
/// `simulate`; the caller re-simulates the result).
struct StageEval {
  std::vector<Step> schedule;
  /// Per step, its stage (the original node it precedes, or is).
  std::vector<int> stageOf;
  std::vector<int> lastLive;
  int64_t peak = 0;
  int peakStep = 0;
  double cost = 0;
  /// Bytes over budget summed over steps (guides the repair).
  double excess = 0;
  bool feasible = false;
};

/// Add the recompute of `nodes` to stage `t`.
struct StageMove {
  int t;
  std::vector<int> nodes;
};

class StageSearch {
public:
  StageSearch(const Problem &problem, int64_t budget, int64_t work, bool kicks,
              int effort = 1)
      : problem_(problem), budget_(budget), workLeft_(work), kicks_(kicks),
        effort_(std::max(1, effort)), deadlines_(recomputeDeadlines(problem)) {
    double total = 0;
    for (const Node &node : problem_.nodes)
      total += node.cost;
    costEpsilon_ =
        1e-6 * (total / std::max<size_t>(1, problem_.nodes.size()) + 1);
  }

  Plan run(const Plan &start);
  /// Repair and polish from `start` alone; an empty plan when it does not
  /// come to fit.
  Plan repairFrom(const Plan &start);

private:
  Stages toStages(const std::vector<Step> &schedule) const;
  void evaluate(const Stages &stages, StageEval &eval);
  static bool better(const StageEval &a, const StageEval &b) {
    if (a.feasible != b.feasible)
      return a.feasible;
    if (!a.feasible)
      return a.excess < b.excess;
    return a.cost < b.cost;
  }
  std::vector<StageMove> movesAtPeak(const Stages &stages,
                                     const StageEval &eval);
  void repair(Stages &stages, StageEval &eval, uint64_t randomOneIn = 0);
  void kick(Stages &stages);
  void iterate(Stages &best, StageEval &bestEval, int rounds);
  void polish(Stages &stages, StageEval &eval);
  /// evaluate, repair (randomized as repair's randomOneIn), polish.
  void settle(Stages &stages, StageEval &eval, uint64_t randomOneIn = 0) {
    evaluate(stages, eval);
    repair(stages, eval, randomOneIn);
    polish(stages, eval);
  }
  static bool contains(const std::vector<int> &stage, int node) {
    return std::binary_search(stage.begin(), stage.end(), node);
  }
  static void insert(std::vector<int> &stage, int node) {
    stage.insert(std::lower_bound(stage.begin(), stage.end(), node), node);
  }
  static void erase(std::vector<int> &stage, int node) {
    stage.erase(std::lower_bound(stage.begin(), stage.end(), node));
  }
  static void apply(Stages &stages, const StageMove &move) {
    for (int node : move.nodes)
      insert(stages[move.t], node);
  }
  static void undo(Stages &stages, const StageMove &move) {
    for (int node : move.nodes)
      erase(stages[move.t], node);
  }
  uint64_t random(uint64_t bound) {
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    return bound ? rng_ % bound : 0;
  }

  const Problem &problem_;
  const int64_t budget_;
  int64_t workLeft_;
  const bool kicks_;
  /// SolveOptions::effort: the iterated local search and the randomized
  /// starts run this many times, each round from the best so far (the
  /// caller scales the work).
  const int effort_;
  /// A node the repair may not recompute (-1: none): after a kick that
  /// dropped its recomputes, the repair must free memory elsewhere.
  int tabu_ = -1;
  /// Recompute-pinned nodes (>= 0): kicks leave their recomputes alone.
  const std::vector<int> deadlines_;
  double costEpsilon_ = 0;
  uint64_t rng_ = 0x2545F4914F6CDD1DULL;
  // Scratch buffers.
  std::vector<int> current_;
  std::vector<int64_t> delta_;
  std::vector<std::vector<int>> versions_;
  std::vector<int> firstReaderAfter_;
  std::vector<char> readAtPeak_;
};

Stages StageSearch::toStages(const std::vector<Step> &schedule) const {
  Stages stages(problem_.nodes.size());
  std::vector<int> pending;
  for (const Step &step : schedule) {
    if (step.recompute) {
      pending.push_back(step.node);
      continue;
    }
    std::vector<int> &stage = stages[step.node];
    for (int node : pending)
      if (node < step.node)
        stage.push_back(node);
    std::sort(stage.begin(), stage.end());
    stage.erase(std::unique(stage.begin(), stage.end()), stage.end());
    pending.clear();
  }
  return stages;
}

void StageSearch::evaluate(const Stages &stages, StageEval &eval) {
  const int n = problem_.nodes.size();
  eval.schedule.clear();
  eval.stageOf.clear();
  for (int t = 0; t < n; ++t) {
    for (int node : stages[t]) {
      eval.schedule.push_back({node, /*recompute=*/true});
      eval.stageOf.push_back(t);
    }
    eval.schedule.push_back({t, /*recompute=*/false});
    eval.stageOf.push_back(t);
  }
  const int numSteps = eval.schedule.size();
  // Version lifetimes, as versionLastLiveStep.
  current_.assign(n, -1);
  eval.lastLive.resize(numSteps);
  eval.cost = 0;
  for (int s = 0; s < numSteps; ++s) {
    const Step &step = eval.schedule[s];
    for (int input : problem_.nodes[step.node].inputs)
      if (current_[input] >= 0)
        eval.lastLive[current_[input]] = s;
    eval.lastLive[s] = s;
    current_[step.node] = s;
    if (step.recompute)
      eval.cost += problem_.nodes[step.node].cost;
  }
  for (int i = 0; i < n; ++i)
    if (problem_.nodes[i].output && current_[i] >= 0)
      eval.lastLive[current_[i]] = numSteps - 1;
  delta_.assign(numSteps + 1, 0);
  for (int s = 0; s < numSteps; ++s) {
    const Node &node = problem_.nodes[eval.schedule[s].node];
    delta_[s] += node.bytes + node.transientBytes;
    delta_[s + 1] -= node.transientBytes;
    delta_[eval.lastLive[s] + 1] -= node.bytes;
  }
  int64_t live = problem_.alwaysLiveBytes;
  eval.peak = live;
  eval.peakStep = 0;
  eval.excess = 0;
  for (int s = 0; s < numSteps; ++s) {
    live += delta_[s];
    if (s == 0 || live > eval.peak) {
      eval.peak = live;
      eval.peakStep = s;
    }
    if (live > budget_)
      eval.excess += static_cast<double>(live - budget_);
  }
  eval.feasible = eval.peak <= budget_;
  workLeft_ -= numSteps;
}

/// Moves that free a value live across the peak: it is recomputed in the
/// stage of its first reader after the peak, alone and with the inputs that
/// recompute would stretch back across the peak.
std::vector<StageMove> StageSearch::movesAtPeak(const Stages &stages,
                                                const StageEval &eval) {
  const std::vector<Step> &schedule = eval.schedule;
  const int numSteps = schedule.size();
  const int peak = eval.peakStep;
  const int n = problem_.nodes.size();
  // Versions of each node (steps, ascending), the first reader of each
  // version after the peak, and the versions the peak step reads.
  versions_.resize(n);
  for (std::vector<int> &list : versions_)
    list.clear();
  current_.assign(n, -1);
  firstReaderAfter_.assign(numSteps, -1);
  readAtPeak_.assign(numSteps, 0);
  for (int s = 0; s < numSteps; ++s) {
    const int node = schedule[s].node;
    for (int input : problem_.nodes[node].inputs) {
      const int version = current_[input];
      if (s == peak)
        readAtPeak_[version] = 1;
      if (s > peak && firstReaderAfter_[version] < 0)
        firstReaderAfter_[version] = s;
    }
    versions_[node].push_back(s);
    current_[node] = s;
  }
  // The version of `node` current right before step `position`.
  auto versionBefore = [&](int node, int position) {
    const std::vector<int> &list = versions_[node];
    auto it = std::lower_bound(list.begin(), list.end(), position);
    return it == list.begin() ? -1 : *(it - 1);
  };
  std::vector<StageMove> moves;
  std::vector<int> stack;
  for (int d = 0; d < peak; ++d) {
    if (eval.lastLive[d] <= peak || readAtPeak_[d])
      continue;
    const int node = schedule[d].node;
    const int reader = firstReaderAfter_[d];
    if (!mayRecompute(problem_.nodes[node]) || reader < 0 || node == tabu_)
      continue;
    const int t = eval.stageOf[reader];
    if (node >= t || contains(stages[t], node))
      continue;
    moves.push_back({t, {node}});
    // Inputs whose current version is dead at the peak: reading it after the
    // peak would stretch it back across. Recompute them in the stage too.
    // The recompute lands before the stage's first step of a later node.
    int position = versions_[t].front();
    for (auto it = stages[t].rbegin(); it != stages[t].rend() && *it > node;
         ++it)
      --position;
    StageMove closure{t, {node}};
    stack.assign(problem_.nodes[node].inputs.begin(),
                 problem_.nodes[node].inputs.end());
    while (!stack.empty() && closure.nodes.size() <= kMaxClosure) {
      const int input = stack.back();
      stack.pop_back();
      const int version = versionBefore(input, position);
      if (version < 0 || version >= peak || eval.lastLive[version] >= peak ||
          !mayRecompute(problem_.nodes[input]) || input == tabu_ ||
          contains(stages[t], input) ||
          std::find(closure.nodes.begin(), closure.nodes.end(), input) !=
              closure.nodes.end())
        continue;
      closure.nodes.push_back(input);
      stack.insert(stack.end(), problem_.nodes[input].inputs.begin(),
                   problem_.nodes[input].inputs.end());
    }
    if (closure.nodes.size() > 1)
      moves.push_back(std::move(closure));
  }
  return moves;
}

/// Greedy: apply the add move with the most excess relieved per added cost
/// until the plan fits or no move helps.
void StageSearch::repair(Stages &stages, StageEval &eval, uint64_t randomOneIn) {
  StageEval candidate;
  std::vector<std::pair<double, int>> scored;
  while (!eval.feasible && workLeft_ > 0) {
    std::vector<StageMove> moves = movesAtPeak(stages, eval);
    scored.clear();
    for (int k = 0, e = moves.size(); k < e && workLeft_ > 0; ++k) {
      const StageMove &move = moves[k];
      apply(stages, move);
      evaluate(stages, candidate);
      undo(stages, move);
      const double relieved = eval.excess - candidate.excess;
      const double added = std::max(0.0, candidate.cost - eval.cost);
      if (relieved > 0)
        scored.push_back({relieved / (added + costEpsilon_), k});
    }
    if (scored.empty())
      return;
    // The best move; in a randomized repair (kicks) one of the best few.
    std::stable_sort(scored.begin(), scored.end(),
                     [](const auto &a, const auto &b) { return a.first > b.first; });
    size_t pick = 0;
    if (randomOneIn && random(randomOneIn) == 0)
      pick = random(std::min(scored.size(), kRandomRepairChoices));
    apply(stages, moves[scored[pick].second]);
    evaluate(stages, eval);
  }
}

void StageSearch::polish(Stages &stages, StageEval &eval) {
  if (!eval.feasible)
    return;
  const int64_t trials = 4 * static_cast<int64_t>(problem_.nodes.size()) + 1000;
  Plan plan{eval.schedule};
  Plan polished = polishPlan(problem_, plan, budget_, trials);
  workLeft_ -= static_cast<int64_t>(eval.schedule.size());
  if (polished.schedule.size() == eval.schedule.size())
    return;
  Stages next = toStages(polished.schedule);
  StageEval candidate;
  evaluate(next, candidate);
  if (candidate.feasible && candidate.cost <= eval.cost) {
    stages = std::move(next);
    eval = std::move(candidate);
  }
}

/// A random change that the repair and the polish then complete: one or two
/// recomputes dropped or moved to a later stage, every recompute of a stage
/// window or of one node dropped, or a recompute added (the polish may then
/// drop others it makes unnecessary). Recompute-pinned nodes are left alone.
void StageSearch::kick(Stages &stages) {
  const int n = stages.size();
  std::vector<std::pair<int, int>> pairs;
  for (int t = 0; t < n; ++t)
    for (int node : stages[t])
      if (deadlines_[node] < 0)
        pairs.push_back({t, node});
  const uint64_t kind = pairs.empty() ? 3 : random(kKickKinds);
  if (kind == 0) {
    const int changes = 1 + static_cast<int>(random(2));
    for (int k = 0; k < changes; ++k) {
      const auto [t, node] = pairs[random(pairs.size())];
      if (!contains(stages[t], node))
        continue;
      erase(stages[t], node);
      if (random(2)) {
        const int other = node + 1 + static_cast<int>(random(n - node - 1));
        if (!contains(stages[other], node))
          insert(stages[other], node);
      }
    }
    return;
  }
  if (kind == 1) {
    // A window of stages starting at a random recompute's.
    const int from = pairs[random(pairs.size())].first;
    const int to = std::min(n - 1, from + static_cast<int>(random(kKickWindow)));
    for (int t = from; t <= to; ++t)
      for (int k = static_cast<int>(stages[t].size()) - 1; k >= 0; --k)
        if (deadlines_[stages[t][k]] < 0)
          stages[t].erase(stages[t].begin() + k);
    return;
  }
  if (kind == 2) {
    const int node = pairs[random(pairs.size())].second;
    tabu_ = node;
    for (int t = node + 1; t < n; ++t)
      if (contains(stages[t], node))
        erase(stages[t], node);
    return;
  }
  // Add a recompute of a random value before one of its later readers (a
  // one-node graph has no reader after its first node: nothing to add).
  for (int attempt = 0; attempt < 8 && n > 1; ++attempt) {
    const int reader = 1 + static_cast<int>(random(n - 1));
    const std::vector<int> &inputs = problem_.nodes[reader].inputs;
    if (inputs.empty())
      continue;
    const int node = inputs[random(inputs.size())];
    if (!mayRecompute(problem_.nodes[node]) || node + 1 >= reader)
      continue;
    const int t = node + 1 + static_cast<int>(random(reader - node));
    if (!contains(stages[t], node)) {
      insert(stages[t], node);
      return;
    }
  }
}

/// Iterated local search from `best` (updated in place): a kick that ends
/// no dearer becomes the state (plateaus are crossed), the best is kept
/// apart; back to the best after kRestartKicks stale kicks, stop after
/// kStaleKicks.
void StageSearch::iterate(Stages &best, StageEval &bestEval, int rounds) {
  Stages state = best;
  StageEval stateEval = bestEval;
  StageEval kickedEval;
  for (int round = 0, stale = 0;
       round < rounds && stale < kStaleKicks && workLeft_ > 0;
       ++round, ++stale) {
    if (stale > 0 && stale % kRestartKicks == 0) {
      state = best;
      stateEval = bestEval;
    }
    Stages kicked = state;
    kick(kicked);
    if (kicked == state)
      continue;
    evaluate(kicked, kickedEval);
    repair(kicked, kickedEval, kRandomRepairOneIn);
    tabu_ = -1;
    polish(kicked, kickedEval);
    if (better(stateEval, kickedEval))
      continue;
    state = std::move(kicked);
    std::swap(stateEval, kickedEval);
    if (better(stateEval, bestEval)) {
      best = state;
      bestEval = stateEval;
      stale = 0;
    }
  }
}

Plan StageSearch::run(const Plan &start) {
  Stages best = toStages(start.schedule);
  StageEval bestEval;
  settle(best, bestEval);
  // A second start from keep-all (invalid when a node is pinned Recompute).
  const bool pinned = std::any_of(deadlines_.begin(), deadlines_.end(),
                                  [](int deadline) { return deadline >= 0; });
  if (!pinned) {
    Stages fresh(problem_.nodes.size());
    StageEval freshEval;
    settle(fresh, freshEval);
    if (better(freshEval, bestEval)) {
      best = std::move(fresh);
      bestEval = std::move(freshEval);
    }
  }
  if (!kicks_)
    return Plan{bestEval.schedule};
  // Each round of effort continues where the last one stopped (the same
  // generator, from the best so far), so the first round is the whole
  // search at effort 1 and more effort never ends dearer.
  for (int round = 0; round < effort_ && workLeft_ > 0; ++round) {
    iterate(best, bestEval, bestEval.feasible ? kKickRounds : kInfeasibleKicks);
    // More starts, each searched on its own: randomized greedy
    // constructions (every repair step takes one of the best few moves)
    // from keep-all, or from the start when nodes are pinned.
    for (int g = 0; g < kGraspStarts && workLeft_ > 0; ++g) {
      Stages fresh = pinned ? toStages(start.schedule)
                            : Stages(problem_.nodes.size());
      StageEval freshEval;
      settle(fresh, freshEval, 1);
      iterate(fresh, freshEval, freshEval.feasible ? kGraspKicks : 0);
      if (better(freshEval, bestEval)) {
        best = std::move(fresh);
        bestEval = std::move(freshEval);
      }
    }
  }
  return Plan{bestEval.schedule};
}

Plan StageSearch::repairFrom(const Plan &start) {
  Stages stages = toStages(start.schedule);
  StageEval eval;
  settle(stages, eval);
  if (!eval.feasible)
    return {};
  return Plan{eval.schedule};
}

} // namespace

Plan stageRepair(const Problem &problem, const Plan &start,
                 int64_t budgetBytes, int64_t workSteps) {
  if (problem.nodes.empty() || problem.nodes.size() > kStageRepairNodes)
    return {};
  Plan found =
      StageSearch(problem, budgetBytes, workSteps, /*kicks=*/false)
          .repairFrom(start);
  if (found.schedule.empty() || !validate(problem, found).empty())
    return {};
  return found;
}

Plan stagePlan(const Problem &problem, const Plan &start, int64_t budgetBytes,
               int64_t workSteps, bool kicks, int effort) {
  const size_t n = problem.nodes.size();
  if (n == 0 || n > kStageRepairNodes)
    return start;
  if (n > kStageSearchNodes) {
    if (simulate(problem, start).peakBytes <= budgetBytes)
      return start;
    kicks = false;
  }
  Plan found =
      StageSearch(problem, budgetBytes, workSteps, kicks, effort).run(start);
  // Policies (Node::policy): the moves add no recompute of a Save-pinned
  // node and the kicks leave Recompute-pinned ones alone; checked anyway.
  if (!validate(problem, found).empty())
    return start;
  const Simulation mine = simulate(problem, found);
  const Simulation theirs = simulate(problem, start);
  const bool mineFits = mine.peakBytes <= budgetBytes;
  const bool theirsFit = theirs.peakBytes <= budgetBytes;
  if (mineFits && (!theirsFit || mine.recomputeCost < theirs.recomputeCost))
    return found;
  if (!mineFits && !theirsFit && mine.peakBytes < theirs.peakBytes)
    return found;
  return start;
}

} // namespace remat::planner
