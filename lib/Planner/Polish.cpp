//===- Polish.cpp - Drop recompute steps a plan does not need -------------===//
//
// Local improvement in the space of all schedules (Checkmate's stage
// schedules), not only the retention family: remove one recompute step at a
// time, most expensive first, and keep the removal when the plan still fits.
// Consumers of the removed version then read the previous version of the
// node, which lives longer; the inputs the removed step read may die earlier.
//
// Each trial is incremental: the timeline lives in a segment tree with range
// add and global max, and a removal changes O(inputs + 2) live intervals, so a
// trial costs O((inputs + readers) log steps) instead of a full simulation.
// Removed steps keep their slot (its live bytes set to -infinity) so step
// indices stay stable. A removal that would let a node pinned Recompute be
// read in its original version from its deadline on is never tried. The result is always re-checked by `simulate` by the
// caller (solve), so an error here can cost quality, never honesty.
//
//===----------------------------------------------------------------------===//

#include "Liveness.h"
#include "SolverImpl.h"

#include <algorithm>
#include <limits>

namespace remat::planner {

namespace {

/// Range add, global max.
class MaxTree {
public:
  explicit MaxTree(const std::vector<int64_t> &values) {
    size_ = 1;
    while (size_ < static_cast<int>(values.size()))
      size_ *= 2;
    max_.assign(2 * size_, kMinusInfinity);
    add_.assign(2 * size_, 0);
    for (size_t i = 0; i < values.size(); ++i)
      max_[size_ + i] = values[i];
    for (int i = size_ - 1; i >= 1; --i)
      max_[i] = std::max(max_[2 * i], max_[2 * i + 1]);
  }
  /// Bottom-up over the canonical nodes of [lo, hi], then their ancestors
  /// (the two boundary leaves' paths, together once they meet) are
  /// recomputed.
  void add(int lo, int hi, int64_t delta) {
    if (lo > hi)
      return;
    int l = lo + size_, r = hi + size_;
    const int first = l, last = r;
    while (l <= r) {
      if (l & 1)
        apply(l++, delta);
      if (!(r & 1))
        apply(r--, delta);
      l >>= 1;
      r >>= 1;
    }
    l = first >> 1;
    r = last >> 1;
    for (; l != r; l >>= 1, r >>= 1) {
      pull(l);
      pull(r);
    }
    for (; l >= 1; l >>= 1)
      pull(l);
  }
  int64_t max() const { return max_[1]; }

  static constexpr int64_t kMinusInfinity =
      std::numeric_limits<int64_t>::min() / 4;

private:
  /// max_[node] is the largest value below it, add_[node] included.
  void apply(int node, int64_t delta) {
    max_[node] += delta;
    add_[node] += delta;
  }
  void pull(int node) {
    max_[node] = std::max(max_[2 * node], max_[2 * node + 1]) + add_[node];
  }

  int size_ = 1;
  std::vector<int64_t> max_, add_;
};

class Polisher {
public:
  Polisher(const Problem &problem, const Plan &plan, int64_t budget,
           const std::vector<int64_t> &timeline)
      : problem_(problem), schedule_(plan.schedule), budget_(budget),
        tree_(timeline) {
    // Deadlines only where a node is pinned Recompute (an O(edges) pass
    // per polish otherwise, and a polish runs for every start of a solve).
    if (std::any_of(problem.nodes.begin(), problem.nodes.end(),
                    [](const Node &node) {
                      return node.policy == Policy::Recompute;
                    }))
      deadline_ = recomputeDeadlines(problem);
    const int numSteps = schedule_.size();
    const int numNodes = problem.nodes.size();
    stageOf_.resize(numSteps);
    for (int s = 0, stage = 0; s < numSteps; ++s) {
      stageOf_[s] = stage;
      if (!schedule_[s].recompute)
        ++stage;
    }
    alive_.assign(numSteps, true);
    prev_.assign(numSteps, -1);
    next_.assign(numSteps, -1);
    readers_.assign(numSteps, {});
    readStart_.assign(numSteps + 1, 0);
    std::vector<int> current(numNodes, -1);
    for (int s = 0; s < numSteps; ++s) {
      const int node = schedule_[s].node;
      readStart_[s] = reads_.size();
      for (int input : problem.nodes[node].inputs) {
        reads_.push_back(current[input]);
        readers_[current[input]].push_back(s);
      }
      if (current[node] >= 0) {
        prev_[s] = current[node];
        next_[current[node]] = s;
      }
      current[node] = s;
    }
    readStart_[numSteps] = reads_.size();
    lastLive_.resize(numSteps);
    for (int s = 0; s < numSteps; ++s)
      lastLive_[s] = computeLastLive(s);
  }

  /// Greedy removal passes; `work` bounds the trials.
  Plan run(int64_t work) {
    std::vector<int> order;
    for (int s = 0, e = schedule_.size(); s < e; ++s)
      if (schedule_[s].recompute)
        order.push_back(s);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
      return problem_.nodes[schedule_[a].node].cost >
             problem_.nodes[schedule_[b].node].cost;
    });
    bool changed = true;
    while (changed && work > 0) {
      changed = false;
      for (int s : order) {
        if (!alive_[s])
          continue;
        if (--work < 0)
          break;
        if (tryRemove(s))
          changed = true;
      }
    }
    Plan plan;
    for (int s = 0, e = schedule_.size(); s < e; ++s)
      if (alive_[s])
        plan.schedule.push_back(schedule_[s]);
    return plan;
  }

private:
  int lastStep() const { return static_cast<int>(schedule_.size()) - 1; }

  int computeLastLive(int version) const {
    if (next_[version] < 0 && problem_.nodes[schedule_[version].node].output)
      return lastStep();
    int last = version;
    for (int reader : readers_[version])
      last = std::max(last, reader);
    return last;
  }

  struct Change {
    int lo, hi;
    int64_t delta;
  };

  /// Set a version's last live step, recording the timeline change.
  void setLastLive(int version, int last, std::vector<Change> &changes) {
    const int old = lastLive_[version];
    const int64_t bytes = problem_.nodes[schedule_[version].node].bytes;
    if (last > old)
      changes.push_back({old + 1, last, bytes});
    else if (last < old)
      changes.push_back({last + 1, old, -bytes});
    lastLive_[version] = last;
  }

  /// Removing `s` would hand the original version of a Recompute-pinned
  /// node to readers at or after its deadline.
  bool breaksPin(int s) const {
    if (deadline_.empty())
      return false;
    const int deadline = deadline_[schedule_[s].node];
    if (deadline < 0 || schedule_[prev_[s]].recompute)
      return false;
    for (int reader : readers_[s])
      if (stageOf_[reader] >= deadline)
        return true;
    return false;
  }

  bool tryRemove(int s) {
    if (breaksPin(s))
      return false;
    const int node = schedule_[s].node;
    const int64_t bytes = problem_.nodes[node].bytes;
    const int p = prev_[s], n = next_[s];
    std::vector<Change> &changes = changes_;
    changes.clear();
    const int oldLastS = lastLive_[s];
    const int oldLastP = lastLive_[p];
    // The removed step's own slot and version vanish.
    changes.push_back({s, s, MaxTree::kMinusInfinity});
    changes.push_back({s, oldLastS, -bytes});
    // Its readers read the previous version instead.
    next_[p] = n;
    if (n >= 0)
      prev_[n] = p;
    std::vector<int> &movedReaders = movedReaders_;
    movedReaders = readers_[s];
    readers_[p].insert(readers_[p].end(), movedReaders.begin(),
                       movedReaders.end());
    setLastLive(p, std::max(oldLastP, computeLastLive(p)), changes);
    // Inputs it read may die earlier.
    std::vector<std::pair<int, int>> &inputLast = inputLast_;
    inputLast.clear();
    for (int k = readStart_[s]; k < readStart_[s + 1]; ++k) {
      const int version = reads_[k];
      auto &readers = readers_[version];
      readers.erase(std::find(readers.begin(), readers.end(), s));
      inputLast.push_back({version, lastLive_[version]});
      setLastLive(version, computeLastLive(version), changes);
    }
    for (const Change &change : changes)
      tree_.add(change.lo, change.hi, change.delta);
    if (tree_.max() <= budget_) {
      alive_[s] = false;
      for (int reader : movedReaders)
        for (int k = readStart_[reader]; k < readStart_[reader + 1]; ++k)
          if (reads_[k] == s)
            reads_[k] = p;
      readers_[s].clear();
      return true;
    }
    // Undo.
    for (const Change &change : changes)
      tree_.add(change.lo, change.hi, -change.delta);
    for (int k = readStart_[s]; k < readStart_[s + 1]; ++k)
      readers_[reads_[k]].push_back(s);
    for (auto it = inputLast.rbegin(); it != inputLast.rend(); ++it)
      lastLive_[it->first] = it->second;
    readers_[p].resize(readers_[p].size() - movedReaders.size());
    lastLive_[p] = oldLastP;
    next_[p] = s;
    if (n >= 0)
      prev_[n] = s;
    return false;
  }

  const Problem &problem_;
  std::vector<Step> schedule_;
  const int64_t budget_;
  MaxTree tree_;
  /// recomputeDeadlines(problem); empty when nothing is pinned.
  std::vector<int> deadline_;
  std::vector<int> stageOf_;
  std::vector<bool> alive_;
  std::vector<int> prev_, next_, lastLive_;
  std::vector<std::vector<int>> readers_;
  std::vector<int> readStart_, reads_;
  /// One trial's scratch, kept between trials.
  std::vector<Change> changes_;
  std::vector<int> movedReaders_;
  std::vector<std::pair<int, int>> inputLast_;
};

} // namespace

Plan polishPlan(const Problem &problem, const CompactGraph &graph,
                const Plan &plan, int64_t budgetBytes, int64_t maxTrials) {
  Simulation sim = simulate(graph, plan);
  if (sim.peakBytes > budgetBytes)
    return plan;
  return Polisher(problem, plan, budgetBytes, sim.timeline).run(maxTrials);
}

Plan polishPlan(const Problem &problem, const Plan &plan, int64_t budgetBytes,
                int64_t maxTrials) {
  return polishPlan(problem, CompactGraph(problem), plan, budgetBytes,
                    maxTrials);
}

} // namespace remat::planner
