//===- Chain.cpp - Segment-level DP over the forward chain ----------------===//
//
// See docs/planner.md, "fast", stage 0. Training steps are mostly chains of
// blocks: a forward value that no forward edge crosses (every earlier forward
// value is dead, in the forward pass, once it exists) is a chain point, and
// the forward nodes between consecutive chain points form a segment. The
// choice made here is per segment: Keep (its stashed values stay live into
// the backward pass) or Cut (they are dropped after the forward pass and
// recomputed, all at once, from the nearest kept segment before them when the
// backward pass reaches the run of cut segments they belong to; the
// recomputed versions serve the rest of the backward pass). That is Rotor's
// single-level persistent checkpointing with heterogeneous segment costs and
// sizes (Beaumont et al. 2019/2021; Chen et al.'s sqrt(n) is one fixed point
// of it), and the plan is a retention-family plan (Keep / Cut per value).
//
// The DP runs left to right over segments; its state is the next kept segment
// and the bytes kept so far (discretized into slots, rounded up). A run of
// cut segments a+1..b-1 between kept segments a and b costs the recompute of
// its nodes and must fit, at each segment r of the run, the model's peak
// while the backward pass is in r: kept bytes + the run's recomputed bytes up
// to r + the backward working set of r (measured on the keep-all schedule).
// The model is an estimate, so it is solved for a range of model budgets and
// every resulting plan is built and simulated; the cheapest that fits is
// polished. The caller keeps it only when it beats the retention search.
//
//===----------------------------------------------------------------------===//

#include "Liveness.h"
#include "SolverImpl.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <cstdio>
#include <cstdlib>

namespace remat::planner {

namespace {

/// Slots of the memory dimension and the longest run of cut segments.
constexpr int kSlots = 96;
constexpr int kMaxRun = 48;
/// Model budgets bisected, as multiples of the real headroom.
constexpr double kLowScale = 0.5, kHighScale = 4.0;
constexpr int kGridPoints = 24;
constexpr int kBisections = 5;
/// Above this many nodes, a coarser scan and fewer plans polished (each
/// model budget costs a build and simulation of the whole graph).
constexpr size_t kLargeGraph = 4000;
constexpr int kLargeGridPoints = 12, kLargeBisections = 4;
/// Chains with more segments are coarsened to at most this many (merged runs
/// of consecutive segments): the DP's work is O(segments * kSlots * kMaxRun)
/// per model budget, and 10k nodes must solve in under a second.
constexpr int kMaxSegments = 512;

struct Segment {
  std::vector<int> nodes;
  /// Stashed bytes that stay kept whatever the choice (not recomputable).
  int64_t fixedBytes = 0;
  /// Stashed bytes a cut drops (and the run's recompute brings back).
  int64_t candidateBytes = 0;
  /// The chain point's bytes when it is not stashed: kept as the source of
  /// a following run's recompute, it lives longer than in keep-all.
  int64_t boundaryBytes = 0;
  /// Recompute cost of the segment's nodes when it is cut.
  double cost = 0;
  /// Largest working set of the segment's forward steps and of the backward
  /// steps that belong to it, not counting stashed values (keep-all).
  int64_t forwardWork = 0;
  int64_t backwardWork = 0;
};

class ChainDP {
public:
  ChainDP(const RetentionFamily &family, int64_t budget)
      : family_(family), problem_(family.problem()), budget_(budget) {}

  Plan run();

private:
  bool findSegments();
  void measureWork();
  /// Kept segments for model headroom `headroom`; empty when none fits.
  std::vector<char> solve(int64_t headroom) const;
  std::vector<Retention> stateFor(const std::vector<char> &kept) const;

  const RetentionFamily &family_;
  const Problem &problem_;
  const int64_t budget_;
  /// segments_[0] is unused; segments 1..m.
  std::vector<Segment> segments_;
  std::vector<int> segmentOf_;
};

bool ChainDP::findSegments() {
  const int n = problem_.nodes.size();
  // Last forward consumer of each node.
  std::vector<int> reach(n);
  for (int i = 0; i < n; ++i)
    reach[i] = i;
  for (int j = 0; j < n; ++j)
    if (!problem_.nodes[j].backward)
      for (int input : problem_.nodes[j].inputs)
        reach[input] = std::max(reach[input], j);
  segmentOf_.assign(n, -1);
  segments_.assign(1, Segment());
  Segment current;
  int crossing = -1;
  for (int v = 0; v < n; ++v) {
    const Node &node = problem_.nodes[v];
    if (node.backward)
      continue;
    current.nodes.push_back(v);
    // v is a chain point when no earlier forward value is read after it.
    if (crossing <= v) {
      segments_.push_back(std::move(current));
      current = Segment();
    }
    crossing = std::max(crossing, reach[v]);
  }
  if (!current.nodes.empty())
    segments_.push_back(std::move(current));
  // Long chains: merge runs of consecutive segments (a merged segment ends at
  // a chain point too), so the DP's work stays bounded.
  const int fine = segments_.size() - 1;
  if (fine > kMaxSegments) {
    const int group = (fine + kMaxSegments - 1) / kMaxSegments;
    std::vector<Segment> coarse(1);
    for (int s = 1; s <= fine; ++s) {
      if ((s - 1) % group == 0)
        coarse.emplace_back();
      std::vector<int> &nodes = coarse.back().nodes;
      nodes.insert(nodes.end(), segments_[s].nodes.begin(),
                   segments_[s].nodes.end());
    }
    segments_ = std::move(coarse);
  }
  const int m = segments_.size() - 1;
  for (int s = 1; s <= m; ++s) {
    Segment &segment = segments_[s];
    if (!family_.isStashed(segment.nodes.back()))
      segment.boundaryBytes = problem_.nodes[segment.nodes.back()].bytes;
    for (int v : segment.nodes) {
      segmentOf_[v] = s;
      const Node &node = problem_.nodes[v];
      if (mayRecompute(node))
        segment.cost += node.cost;
      if (!family_.isStashed(v))
        continue;
      if (family_.isCandidate(v))
        segment.candidateBytes += node.bytes;
      else
        segment.fixedBytes += node.bytes;
    }
  }
  return m >= 3;
}

void ChainDP::measureWork() {
  const Plan keepAll = keepAllPlan(problem_);
  std::vector<int> lastLive;
  const Simulation sim = simulateWithLiveness(problem_, keepAll, lastLive);
  const int n = problem_.nodes.size();
  // Bytes of stashed forward values live at each step, counted from the step
  // after their definition.
  std::vector<int64_t> delta(n + 2, 0);
  for (int v = 0; v < n; ++v)
    if (segmentOf_[v] > 0 && family_.isStashed(v)) {
      delta[v + 1] += problem_.nodes[v].bytes;
      delta[lastLive[v] + 1] -= problem_.nodes[v].bytes;
    }
  int64_t stashedLive = 0;
  // Backward steps belong to the lowest segment whose stashed values they
  // have reached (the backward pass walks the chain from its end).
  int region = segments_.size() - 1;
  for (int s = 0; s < n; ++s) {
    stashedLive += delta[s];
    const int64_t work = sim.timeline[s] - problem_.alwaysLiveBytes - stashedLive;
    const Node &node = problem_.nodes[s];
    if (!node.backward) {
      if (segmentOf_[s] > 0) {
        Segment &segment = segments_[segmentOf_[s]];
        segment.forwardWork = std::max(segment.forwardWork, work);
      }
      continue;
    }
    int reads = 0;
    for (int input : node.inputs)
      if (segmentOf_[input] > 0)
        reads = std::max(reads, segmentOf_[input]);
    if (reads > 0)
      region = std::min(region, reads);
    Segment &segment = segments_[region];
    segment.backwardWork = std::max(segment.backwardWork, work);
  }
}

std::vector<char> ChainDP::solve(int64_t headroom) const {
  const int m = segments_.size() - 1;
  if (headroom <= 0)
    return {};
  const int64_t unit = std::max<int64_t>(1, (headroom + kSlots - 1) / kSlots);
  auto slotsOf = [&](int64_t bytes) {
    return static_cast<int>((bytes + unit - 1) / unit);
  };
  // The most slots p with p * unit <= limit (-1: none).
  auto slotsWithin = [&](int64_t limit) {
    return limit < 0 ? -1 : static_cast<int>(std::min<int64_t>(kSlots, limit / unit));
  };
  constexpr double kNone = std::numeric_limits<double>::infinity();
  // best[a][p]: least cost with segment a kept (0: the start) and p slots of
  // kept bytes; fromSegment/fromSlot[a][p]: the previous kept segment and
  // its slots (rows of kSlots + 1, flat; apart, so the sweep below is
  // branch-free). Each row's finite entries lie in [first[a], last[a]].
  constexpr int kRow = kSlots + 1;
  std::vector<double> best((m + 2) * kRow, kNone);
  std::vector<int> fromSegment((m + 2) * kRow, -1), fromSlot((m + 2) * kRow, -1);
  std::vector<int> first(m + 2, kRow), last(m + 2, -1);
  best[0] = 0;
  first[0] = last[0] = 0;
  // From kept segment a with p slots, a run of cut segments a+1..b-1 ends at
  // kept segment b (or at the end, b = m+1). Every test below is
  // `p * unit + (bytes that do not depend on p) <= headroom`, so for each
  // (a, b) the slots p that reach b are 0..(a bound), and a kept b lands
  // in slot p + (a shift): the slots are swept per b, a row at a time (one
  // target per p, so the same updates in the same order as p-major; an
  // infinite entry never updates, so only the row's finite range is swept).
  for (int a = 0; a <= m; ++a) {
    if (first[a] > last[a])
      continue;
    const double *row = best.data() + a * kRow;
    // A run after a keeps a's chain point alive until it is recomputed.
    const int64_t boundary = a > 0 && a < m ? segments_[a].boundaryBytes : 0;
    int64_t runFixed = 0, runRecomputed = 0;
    double runCost = 0;
    // p * unit <= reach: every test before b passed.
    int64_t reach = std::numeric_limits<int64_t>::max();
    for (int b = a + 1; b <= m + 1 && b - a - 1 <= kMaxRun; ++b) {
      if (b == m + 1) {
        // Everything after a is cut; the end needs nothing more.
        double &end = best[(m + 1) * kRow];
        for (int p = first[a], e = std::min(slotsWithin(reach), last[a]);
             p <= e; ++p)
          if (row[p] + runCost < end) {
            end = row[p] + runCost;
            fromSegment[(m + 1) * kRow] = a;
            fromSlot[(m + 1) * kRow] = p;
            first[m + 1] = last[m + 1] = 0;
          }
        break;
      }
      const Segment &segment = segments_[b];
      // Kept bytes up to b but a's slots: a's chain point once a run began.
      const int64_t before = (b == a + 1 ? 0 : boundary) + runFixed;
      const int64_t keptShift =
          before + segment.fixedBytes + segment.candidateBytes;
      // Forward through b: kept so far, plus b's own working set.
      reach = std::min(reach, headroom - keptShift - segment.forwardWork);
      const int reached = slotsWithin(reach);
      if (reached < 0)
        break;
      // b kept: its backward region holds everything kept up to b.
      const int shift = slotsOf(keptShift);
      const int keptLast =
          std::min({reached, slotsWithin(headroom - keptShift - segment.backwardWork),
                    kSlots - shift, last[a]});
      if (first[a] <= keptLast) {
        double *target = best.data() + b * kRow + shift;
        int *targetSegment = fromSegment.data() + b * kRow + shift;
        int *targetSlot = fromSlot.data() + b * kRow + shift;
        for (int p = first[a]; p <= keptLast; ++p) {
          const double cost = row[p] + runCost;
          const bool better = cost < target[p];
          target[p] = better ? cost : target[p];
          targetSegment[p] = better ? a : targetSegment[p];
          targetSlot[p] = better ? p : targetSlot[p];
        }
        first[b] = std::min(first[b], first[a] + shift);
        last[b] = std::max(last[b], keptLast + shift);
      }
      // b cut: its backward region holds the run's recomputed values.
      runFixed += segment.fixedBytes;
      runRecomputed += segment.candidateBytes;
      runCost += segment.cost;
      reach = std::min(reach, headroom - boundary - runFixed - runRecomputed -
                                  segment.backwardWork);
      if (reach < 0)
        break;
    }
  }
  if (best[(m + 1) * kRow] == kNone)
    return {};
  std::vector<char> keptSegments(m + 1, 0);
  for (int a = fromSegment[(m + 1) * kRow], p = fromSlot[(m + 1) * kRow];
       a > 0;) {
    keptSegments[a] = 1;
    const int at = a * kRow + p;
    a = fromSegment[at];
    p = fromSlot[at];
  }
  return keptSegments;
}

std::vector<Retention> ChainDP::stateFor(const std::vector<char> &kept) const {
  std::vector<Retention> state(problem_.nodes.size(), Retention::Keep);
  for (int v = 0, n = problem_.nodes.size(); v < n; ++v)
    if (segmentOf_[v] > 0 && !kept[segmentOf_[v]] && family_.isCandidate(v))
      state[v] = Retention::Cut;
  return state;
}

Plan ChainDP::run() {
  if (!findSegments())
    return {};
  measureWork();
  const int64_t headroom = budget_ - problem_.alwaysLiveBytes;
  std::map<std::vector<char>, bool> seen;
  std::vector<std::pair<double, std::vector<Retention>>> feasible;
  // Each kept set is tried as is (Cut) and with every Cut made Always (one
  // recompute per backward use: lower peaks, more cost); true when a variant
  // fits.
  auto tryScale = [&](double scale) {
    std::vector<char> kept =
        solve(static_cast<int64_t>(std::floor(scale * headroom)));
    if (kept.empty())
      return false;
    auto found = seen.find(kept);
    if (found != seen.end())
      return found->second;
    bool fits = false;
    std::vector<Retention> state = stateFor(kept);
    // The Cut variant's most live bytes before its first recompute step.
    int64_t sharedPeak = 0;
    for (int variant = 0; variant < 2; ++variant) {
      // Always costs more than Cut and, on long chains, builds a schedule
      // many times the graph: tried only where Cut does not fit (large
      // graphs) or as a polish start (small ones).
      if (variant == 1 && fits && problem_.nodes.size() > kLargeGraph)
        break;
      if (variant == 1)
        for (Retention &r : state)
          if (r == Retention::Cut)
            r = Retention::Always;
      // Up to the first recompute step the Always variant runs the Cut
      // variant's steps with the same versions live: both recompute a
      // dropped value first right before the first backward step that
      // reads it (the cut values' originals are dead by then in both), and
      // afterwards read the same originals (kept values, the sources of
      // the same closures). Where the Cut variant is over budget there, the
      // Always one is too, and its schedule, the longest of all on long
      // chains, is not built (a 100k-node monotone answer: 42 of 48 Always
      // builds, 85% of the chain DP's simulated steps; checked by
      // setCheckSkips).
      if (variant == 1 && sharedPeak > budget_) {
        if (checkingSkips())
          countChainSkip(
              simulate(family_.graph(), family_.build(state)).peakBytes <=
              budget_);
        break;
      }
      const Plan plan = family_.build(state);
      Simulation sim = simulate(family_.graph(), plan);
      if (variant == 0) {
        const std::vector<Step> &steps = plan.schedule;
        for (size_t s = 0; s < steps.size() && !steps[s].recompute; ++s)
          sharedPeak = std::max(sharedPeak, sim.timeline[s]);
      }
      if (sim.peakBytes <= budget_) {
        feasible.push_back({sim.recomputeCost, state});
        fits = true;
      }
    }
    seen[kept] = fits;
    return fits;
  };
  // The model is an estimate: scan its budget on a geometric grid, then
  // bisect between the largest scale whose plan fits and the next one (kept
  // bytes grow with the scale), trying every plan met.
  double lastFit = 0;
  const bool large = problem_.nodes.size() > kLargeGraph;
  const int gridPoints = large ? kLargeGridPoints : kGridPoints;
  const int bisections = large ? kLargeBisections : kBisections;
  const double ratio = std::pow(kHighScale / kLowScale, 1.0 / (gridPoints - 1));
  for (int k = 0; k < gridPoints; ++k) {
    const double scale = kLowScale * std::pow(ratio, k);
    if (tryScale(scale))
      lastFit = scale;
  }
  if (lastFit > 0 && lastFit < kHighScale) {
    double low = lastFit, high = lastFit * ratio;
    for (int k = 0; k < bisections; ++k) {
      const double middle = std::sqrt(low * high);
      (tryScale(middle) ? low : high) = middle;
    }
  }
  std::stable_sort(feasible.begin(), feasible.end(),
                   [](const auto &x, const auto &y) { return x.first < y.first; });
  const size_t polished = large ? 1 : 3;
  if (feasible.size() > polished)
    feasible.resize(polished);
  Plan bestPlan;
  double bestCost = 0;
  auto consider = [&](Plan plan) {
    Simulation sim = simulate(family_.graph(), plan);
    if (sim.peakBytes > budget_)
      return;
    if (bestPlan.schedule.empty() || sim.recomputeCost < bestCost) {
      bestPlan = std::move(plan);
      bestCost = sim.recomputeCost;
    }
  };
  const int64_t trials = 4 * static_cast<int64_t>(problem_.nodes.size()) + 1000;
  for (auto &[cost, state] : feasible) {
    consider(polishPlan(problem_, family_.graph(), family_.build(state), budget_, trials));
  }
  return bestPlan;
}

} // namespace

Plan chainPlan(const RetentionFamily &family, int64_t budgetBytes) {
  return ChainDP(family, budgetBytes).run();
}

} // namespace remat::planner
