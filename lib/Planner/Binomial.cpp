//===- Binomial.cpp - Griewank's binomial checkpointing of a chain --------===//

#include "remat/Planner/Binomial.h"

#include <algorithm>
#include <limits>
#include <vector>

namespace remat::planner {

static constexpr int64_t kSaturated = std::numeric_limits<int64_t>::max();

int64_t binomialBeta(int64_t s, int64_t r) {
  if (s < 0 || r < 0)
    return 0;
  // C(s + r, r) = prod_{k=1..r} (s + k) / k; every partial product is a
  // binomial coefficient, so each division is exact.
  int64_t beta = 1;
  for (int64_t k = 1; k <= std::min(s, r); ++k) {
    int64_t n = std::max(s, r) + k;
    __int128 next = static_cast<__int128>(beta) * n / k;
    if (next > kSaturated)
      return kSaturated;
    beta = static_cast<int64_t>(next);
  }
  return beta;
}

int64_t binomialRepetitions(int64_t l, int64_t s) {
  int64_t r = 0;
  while (binomialBeta(s, r) < l)
    ++r;
  return r;
}

int64_t binomialForwardSteps(int64_t l, int64_t s) {
  if (l <= 1)
    return 0;
  int64_t r = binomialRepetitions(l, s);
  return r * l - binomialBeta(s + 1, r - 1);
}

int64_t binomialSplit(int64_t l, int64_t s) {
  if (s == 1)
    return l - 1;
  // As the emitted loops compute it: r and beta(s, r) by the recurrence
  // beta(s, r) = beta(s, r - 1) (s + r) / r, keeping beta(s, r - 1).
  int64_t r = 0, beta = 1, previous = 0;
  while (beta < l) {
    ++r;
    previous = beta;
    beta = beta * (s + r) / r;
  }
  // beta(s - 1, r - 1) = beta(s, r - 1) s / (s + r - 1).
  int64_t fewer = previous * s / std::max<int64_t>(s + r - 1, 1);
  return std::min(previous, l - fewer);
}

BinomialReplay replayBinomialSchedule(int64_t l, int64_t s) {
  BinomialReplay replay;
  // The position each slot holds: s checkpoint slots and the working state.
  std::vector<int64_t> position(s + 1, -1);
  position[0] = 0;
  for (int64_t i = l - 1; i >= 0; --i) {
    // Descend the recursion from the whole chain to the segment that ends
    // at i; its start is the newest live checkpoint at or before i.
    int64_t lo = 0, hi = l, slots = s, slot = 0;
    while (hi != i + 1) {
      int64_t m = lo + binomialSplit(hi - lo, slots);
      if (i >= m) {
        lo = m;
        --slots;
        ++slot;
      } else {
        hi = slots == 1 ? i + 1 : m;
      }
    }
    if (position[slot] != lo)
      replay.consistent = false;
    replay.slotsUsed = std::max(replay.slotsUsed, slot + 1);
    // Advance to i, checkpointing at the split points.
    int64_t next = lo + (i > lo ? binomialSplit(i + 1 - lo, slots) : 0);
    int64_t source = slot, top = slot;
    for (int64_t q = lo; q < i; ++q) {
      int64_t working = top + 1;
      if (working > s || position[source] != q) {
        replay.consistent = false;
        return replay;
      }
      position[working] = q + 1;
      ++replay.advances;
      source = working;
      if (q + 1 != next)
        continue;
      top = working;
      --slots;
      if (q + 1 < i) {
        replay.slotsUsed = std::max(replay.slotsUsed, top + 1);
        next = q + 1 + binomialSplit(i - q, slots);
      }
    }
    if (position[source] != i)
      replay.consistent = false;
  }
  return replay;
}

} // namespace remat::planner
