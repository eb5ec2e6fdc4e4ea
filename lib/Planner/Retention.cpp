//===- Retention.cpp - Plans from a per-value keep/recompute choice ------===//

#include "remat/Planner/Retention.h"

#include "Liveness.h"
#include "MinCut.h"
#include "SolverImpl.h"

#include <algorithm>
#include <limits>
#include <mutex>
#include <string_view>
#include <unordered_map>

namespace remat::planner {

namespace {

std::vector<std::vector<int>> consumersOf(const Problem &problem) {
  std::vector<std::vector<int>> consumers(problem.nodes.size());
  for (int j = 0, e = problem.nodes.size(); j < e; ++j)
    for (int input : problem.nodes[j].inputs)
      if (consumers[input].empty() || consumers[input].back() != j)
        consumers[input].push_back(j);
  return consumers;
}

/// The consumer after the widest gap between uses (the definition counts as
/// the first use), or -1 when every gap is a single step.
int afterWidestGap(int node, const std::vector<int> &consumers) {
  int best = -1, widest = 1, previous = node;
  for (int c : consumers) {
    if (c - previous > widest) {
      widest = c - previous;
      best = c;
    }
    previous = c;
  }
  return best;
}

int firstBackwardConsumer(const Problem &problem,
                          const std::vector<int> &consumers) {
  for (int c : consumers)
    if (problem.nodes[c].backward)
      return c;
  return -1;
}

/// Two 64-bit hashes of a state's bytes (the standard library's and
/// FNV-1a): the key of the outcomes.
struct StateKey {
  uint64_t first, second;
  bool operator==(const StateKey &other) const {
    return first == other.first && second == other.second;
  }
};

StateKey keyOf(const std::vector<Retention> &state) {
  const std::string_view bytes(reinterpret_cast<const char *>(state.data()),
                               state.size());
  uint64_t fnv = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes)
    fnv = (fnv ^ c) * 0x100000001b3ULL;
  return {std::hash<std::string_view>()(bytes), fnv};
}

struct StateKeyHash {
  size_t operator()(const StateKey &key) const { return key.first; }
};

} // namespace

struct RetentionFamily::Memo {
  std::once_flag minCutOnce;
  std::vector<std::vector<std::vector<Retention>>> minCutGroups;
  std::once_flag leastPeakOnce;
  Plan leastPeak;
  std::mutex outcomesMutex;
  std::unordered_map<StateKey, Outcome, StateKeyHash> outcomes;
};

bool RetentionFamily::knownOutcome(const std::vector<Retention> &state,
                                   Outcome &outcome) const {
  const StateKey key = keyOf(state);
  std::lock_guard<std::mutex> lock(memo_->outcomesMutex);
  auto found = memo_->outcomes.find(key);
  if (found == memo_->outcomes.end())
    return false;
  outcome = found->second;
  return true;
}

void RetentionFamily::recordOutcome(const std::vector<Retention> &state,
                                    const Outcome &outcome) const {
  const StateKey key = keyOf(state);
  std::lock_guard<std::mutex> lock(memo_->outcomesMutex);
  memo_->outcomes.emplace(key, outcome);
}

const std::vector<std::vector<std::vector<Retention>>> &
RetentionFamily::minCutGroups() const {
  std::call_once(memo_->minCutOnce,
                 [&] { memo_->minCutGroups = computeMinCutGroups(*this); });
  return memo_->minCutGroups;
}

const Plan &RetentionFamily::leastPeakPlan(unsigned threads,
                                           const Plan *known) const {
  std::call_once(memo_->leastPeakOnce, [&] {
    memo_->leastPeak = known ? *known : minPeakPlan(*this, threads);
  });
  return memo_->leastPeak;
}

RetentionFamily::RetentionFamily(const Problem &problem)
    : problem_(problem), graph_(std::make_shared<CompactGraph>(problem)),
      memo_(std::make_shared<Memo>()) {
  const int n = numNodes();
  const bool hasBackward =
      std::any_of(problem.nodes.begin(), problem.nodes.end(),
                  [](const Node &node) { return node.backward; });
  std::vector<std::vector<int>> consumers = consumersOf(problem);
  cutPosition_.assign(n, n);
  lastUseBeforeCut_.resize(n);
  stashed_.assign(n, false);
  for (int i = 0; i < n; ++i) {
    lastUseBeforeCut_[i] = consumers[i].empty() ? i : consumers[i].back();
    const Node &node = problem.nodes[i];
    if (!mayRecompute(node) || consumers[i].empty())
      continue;
    // A backward value read again much later (a gradient summed into a
    // skip connection's) is cut like a value of a graph without backward
    // pass: after its widest gap; it is never a stashed activation.
    int cut = hasBackward && !node.backward
                  ? firstBackwardConsumer(problem, consumers[i])
                  : afterWidestGap(i, consumers[i]);
    if (node.backward && cut < 0)
      continue;
    stashed_[i] = cut >= 0 && !node.backward;
    if (cut < 0)
      cut = std::min(consumers[i].back() + 1, n);
    cutPosition_[i] = cut;
    auto before = std::lower_bound(consumers[i].begin(), consumers[i].end(), cut);
    lastUseBeforeCut_[i] =
        before == consumers[i].begin() ? i : *std::prev(before);
    if (cut < n)
      candidates_.push_back(i);
  }
  // A pinned node's deadline is its first backward consumer, its cut.
  const std::vector<int> deadline = recomputeDeadlines(problem);
  for (int i : candidates_)
    if (deadline[i] >= 0)
      pinnedRecompute_.push_back(i);
}

Plan policyPlan(const RetentionFamily &family) {
  return family.build(std::vector<Retention>(family.problem().nodes.size(),
                                             Retention::Keep));
}

Plan RetentionFamily::build(const std::vector<Retention> &requested,
                            size_t maxSteps) const {
  const int n = numNodes();
  std::vector<Retention> pinned;
  if (!pinnedRecompute_.empty()) {
    pinned = requested;
    for (int node : pinnedRecompute_)
      if (pinned[node] == Retention::Keep)
        pinned[node] = Retention::Cut;
  }
  const std::vector<Retention> &retention =
      pinnedRecompute_.empty() ? requested : pinned;
  // The last position at which the current version of each value may serve
  // a read (what decides whether a closure recomputes it, as one load and
  // compare: most reads need nothing). A dropped original serves only its
  // own consumers before the cut: letting a recompute read it later would
  // stretch its lifetime. A recomputed Always version serves only the node
  // it was made for, any other recomputed version every later one.
  std::vector<int> validUntil(n);
  for (int i = 0; i < n; ++i)
    validUntil[i] = retention[i] == Retention::Keep || !isCandidate(i)
                        ? std::numeric_limits<int>::max()
                        : lastUseBeforeCut_[i];
  std::vector<int> visitedFor(n, -1);

  // A search builds thousands of plans of about one length: reserving the
  // last one's length on this thread (up to 4n: recompute-all's can be
  // quadratic) spares the schedule's regrowth and copies.
  thread_local size_t lengthHint = 0;
  Plan plan;
  plan.schedule.reserve(std::max<size_t>(
      n, std::min<size_t>(lengthHint, 4 * static_cast<size_t>(n))));
  // Fields written in place: a Step built on the stack from two narrower
  // stores and copied as one 8-byte load stalled store forwarding (half of
  // build's time on a 1.8k-node step).
  auto emit = [&](int node, bool recompute) {
    Step &step = plan.schedule.emplace_back();
    step.node = node;
    step.recompute = recompute;
  };
  const CompactGraph &graph = *graph_;
  std::vector<int> stack, closure;
  // Only values that need recomputing go on the stack (validity does not
  // change while a closure is collected; the closure is a set, sorted below).
  auto push = [&](int value, int v) {
    if (v > validUntil[value] && visitedFor[value] != v)
      stack.push_back(value);
  };
  for (int v = 0; v < n; ++v) {
    closure.clear();
    for (const int *in = graph.inputsBegin(v), *e = graph.inputsEnd(v);
         in != e; ++in)
      push(*in, v);
    while (!stack.empty()) {
      int value = stack.back();
      stack.pop_back();
      if (visitedFor[value] == v)
        continue;
      visitedFor[value] = v;
      closure.push_back(value);
      for (const int *in = graph.inputsBegin(value),
                     *e = graph.inputsEnd(value);
           in != e; ++in)
        push(*in, v);
    }
    if (plan.schedule.size() + closure.size() + 1 > maxSteps)
      return {};
    // Program order is a topological order of any closure.
    std::sort(closure.begin(), closure.end());
    for (int value : closure) {
      emit(value, /*recompute=*/true);
      validUntil[value] = retention[value] == Retention::Always
                              ? v
                              : std::numeric_limits<int>::max();
    }
    emit(v, /*recompute=*/false);
  }
  lengthHint = plan.schedule.size();
  return plan;
}

} // namespace remat::planner
