//===- Baselines.cpp - Recompute-all, Chen sqrt(n), knapsack --------------===//
//
// Benchmark baselines only; all are plans of the retention family.
//
//===----------------------------------------------------------------------===//

#include "Liveness.h"
#include "SolverImpl.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace remat::planner {

namespace {

/// The baselines drop forward values only (the family also has backward
/// values read again much later).
std::vector<int> forwardCandidates(const RetentionFamily &family) {
  std::vector<int> forward;
  for (int node : family.candidates())
    if (!family.problem().nodes[node].backward)
      forward.push_back(node);
  return forward;
}

} // namespace

Plan recomputeAllPlan(const RetentionFamily &family, size_t maxSteps) {
  std::vector<Retention> retention(family.problem().nodes.size(),
                                   Retention::Keep);
  for (int node : forwardCandidates(family))
    retention[node] = Retention::Always;
  return family.build(retention, maxSteps);
}

int64_t recomputeAllPeakBound(const RetentionFamily &family) {
  // recomputeAllPlan recomputes the forward candidates and the pinned
  // backward ones (build makes them Cut); every other value has one
  // version, run once at its program step.
  const Problem &problem = family.problem();
  const int n = problem.nodes.size();
  std::vector<uint8_t> once(n, 1);
  for (int node : forwardCandidates(family))
    once[node] = 0;
  for (int node : family.pinnedRecompute())
    once[node] = 0;
  int64_t bound = peakLowerBound(problem, once, once);
  // Recompute-all recomputes a forward candidate x right before each value
  // run once that reads x after its cut, and within the closure of each
  // one that reads a forward candidate recomputed there which reads x
  // after x's cut. There x, one version of each of its inputs and the
  // values run once that were made before that step and are read at or
  // after it (`gap`) are live. The peak is often there: on `--random 10000
  // --seed 3` at an early forward value, recomputed for one of the last
  // gradients. Per forward candidate, from the last: of the steps whose
  // closures recompute it (some of them), the one of the largest gap and
  // the first.
  const std::vector<int64_t> live = oneVersionLiveBytes(problem, once);
  const std::vector<int> lastUse = lastReaders(problem);
  auto gap = [&](int v) { return live[v] - problem.nodes[v].bytes; };
  auto recomputed = [&](int x) {
    return !once[x] && !problem.nodes[x].backward;
  };
  std::vector<int> widest(n, -1), first(n, n);
  auto offer = [&](int x, int v, int from) {
    if (widest[x] < 0 || gap(v) > gap(widest[x]))
      widest[x] = v;
    first[x] = std::min(first[x], from);
  };
  for (int y = n - 1; y >= 0; --y) {
    if (!once[y] && !(recomputed(y) && widest[y] >= 0))
      continue;
    const std::vector<int> inputs = distinctInputs(problem.nodes[y]);
    if (!once[y]) {
      // y's recomputation before widest[y].
      const int v = widest[y];
      int64_t at = gap(v) + problem.nodes[y].bytes;
      for (int u : inputs)
        if (!once[u] || lastUse[u] < v)
          at += problem.nodes[u].bytes;
      bound = std::max(bound, problem.alwaysLiveBytes + at);
    }
    const int from = once[y] ? y : first[y];
    for (int x : inputs)
      if (recomputed(x) && from > family.lastUseBeforeCut(x))
        offer(x, once[y] ? y : widest[y], from);
  }
  return bound;
}

Plan sqrtNPlan(const RetentionFamily &family) {
  const std::vector<int> candidates = forwardCandidates(family);
  std::vector<Retention> retention(family.problem().nodes.size(),
                                   Retention::Keep);
  const int segment = std::max<int>(
      1, std::lround(std::sqrt(static_cast<double>(candidates.size()))));
  // Segment ends stay as checkpoints; the values inside a segment are
  // recomputed once, from the previous checkpoint, for its backward pass.
  for (int k = 0, e = candidates.size(); k < e; ++k)
    if (k % segment != segment - 1)
      retention[candidates[k]] = Retention::Cut;
  return family.build(retention);
}

namespace {

/// 0/1 knapsack maximizing kept recompute cost within `capacity` bytes. Sizes
/// are rounded up to `kBuckets` units of the capacity, so the choice never
/// exceeds it.
std::vector<bool> knapsack(const std::vector<int64_t> &bytes,
                           const std::vector<double> &value, int64_t capacity) {
  constexpr int kBuckets = 2000;
  const int n = bytes.size();
  std::vector<bool> take(n, false);
  if (capacity <= 0)
    return take;
  const double unit = static_cast<double>(capacity) / kBuckets;
  std::vector<int> weight(n);
  for (int i = 0; i < n; ++i)
    weight[i] = static_cast<int>(std::min<double>(
        kBuckets + 1, std::ceil(static_cast<double>(bytes[i]) / unit)));
  // best[w]: most value in w buckets so far; bit w of item i's row of
  // `chose`: item i improved it (one flat bit array: a vector<bool> per item
  // was n allocations and proxy writes).
  constexpr int kWords = kBuckets / 64 + 1;
  std::vector<double> best(kBuckets + 1, 0);
  std::vector<uint64_t> chose(static_cast<size_t>(n) * kWords, 0);
  for (int i = 0; i < n; ++i) {
    uint64_t *row = chose.data() + static_cast<size_t>(i) * kWords;
    for (int w = kBuckets; w >= weight[i]; --w)
      if (best[w - weight[i]] + value[i] > best[w]) {
        best[w] = best[w - weight[i]] + value[i];
        row[w / 64] |= uint64_t{1} << (w % 64);
      }
  }
  for (int i = n - 1, w = kBuckets; i >= 0; --i)
    if (chose[static_cast<size_t>(i) * kWords + w / 64] >> (w % 64) & 1) {
      take[i] = true;
      w -= weight[i];
    }
  return take;
}

} // namespace

Plan knapsackPlan(const RetentionFamily &family, int64_t budgetBytes) {
  const Problem &problem = family.problem();
  const std::vector<int> forward = forwardCandidates(family);
  std::vector<int> stashed;
  for (int node : forward)
    if (family.isStashed(node))
      stashed.push_back(node);
  std::vector<int64_t> bytes;
  std::vector<double> value;
  int64_t stashedBytes = 0;
  for (int node : stashed) {
    bytes.push_back(problem.nodes[node].bytes);
    value.push_back(problem.nodes[node].cost);
    stashedBytes += problem.nodes[node].bytes;
  }
  // Like PyTorch's memory-budget knob: the budget minus what is not stashed is
  // what the kept stash may use, as if everything else were never live at once.
  const int64_t unplannedPeak =
      simulate(family.graph(), keepAllPlan(problem)).peakBytes;
  std::vector<bool> keep =
      knapsack(bytes, value, budgetBytes - (unplannedPeak - stashedBytes));
  std::vector<Retention> retention(problem.nodes.size(), Retention::Keep);
  for (int node : forward)
    retention[node] = Retention::Cut;
  for (int k = 0, e = stashed.size(); k < e; ++k)
    if (keep[k])
      retention[stashed[k]] = Retention::Keep;
  return family.build(retention);
}

} // namespace remat::planner
