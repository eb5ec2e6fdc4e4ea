//===- BinomialTest.cpp - Binomial checkpointing of a chain ---------------===//

#include "remat/Planner/Binomial.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

using namespace remat::planner;

namespace {

/// The least number of advances reversing l steps with s slots, by dynamic
/// programming over the first checkpoint's position (no closed form).
class Optimum {
public:
  Optimum(int64_t maxSteps, int64_t maxSlots)
      : slots(maxSlots), table((maxSteps + 1) * (maxSlots + 1), -1) {}

  /// -1 when impossible (more than one step and no slot).
  int64_t operator()(int64_t l, int64_t s) {
    if (l <= 1)
      return 0;
    if (s == 0)
      return -1;
    int64_t &cell = table[l * (slots + 1) + s];
    if (cell >= 0)
      return cell;
    int64_t best = -1;
    for (int64_t m = 1; m < l; ++m) {
      int64_t right = (*this)(l - m, s - 1), left = (*this)(m, s);
      if (right < 0 || left < 0)
        continue;
      if (best < 0 || m + right + left < best)
        best = m + right + left;
    }
    return cell = best;
  }

private:
  int64_t slots;
  std::vector<int64_t> table;
};

TEST(Binomial, Beta) {
  EXPECT_EQ(binomialBeta(0, 5), 1);
  EXPECT_EQ(binomialBeta(3, 2), 10);
  EXPECT_EQ(binomialBeta(2, 3), 10);
  EXPECT_EQ(binomialBeta(10, 10), 184756);
  EXPECT_EQ(binomialBeta(-1, 3), 0);
  EXPECT_EQ(binomialBeta(1000, 1000), INT64_MAX);
}

TEST(Binomial, ClosedFormIsTheOptimum) {
  Optimum optimum(90, 7);
  for (int64_t s = 1; s <= 7; ++s)
    for (int64_t l = 1; l <= 90; ++l)
      EXPECT_EQ(binomialForwardSteps(l, s), optimum(l, s))
          << "l = " << l << ", s = " << s;
}

TEST(Binomial, SmallCases) {
  // One slot: advance from the start to each step in turn.
  EXPECT_EQ(binomialForwardSteps(8, 1), 28);
  // Enough slots for every state: one forward sweep.
  EXPECT_EQ(binomialForwardSteps(8, 7), 7);
  EXPECT_EQ(binomialForwardSteps(8, 100), 7);
  // r = 2 with 3 slots: 2 x 8 - beta(4, 1).
  EXPECT_EQ(binomialForwardSteps(8, 3), 11);
}

TEST(Binomial, ReplayRunsTheOptimum) {
  for (int64_t s = 1; s <= 8; ++s)
    for (int64_t l = 1; l <= 120; ++l) {
      BinomialReplay replay = replayBinomialSchedule(l, s);
      EXPECT_TRUE(replay.consistent) << "l = " << l << ", s = " << s;
      EXPECT_EQ(replay.advances, binomialForwardSteps(l, s))
          << "l = " << l << ", s = " << s;
      EXPECT_LE(replay.slotsUsed, s) << "l = " << l << ", s = " << s;
    }
  for (auto [l, s] : {std::pair<int64_t, int64_t>{1000, 2},
                      {1000, 10},
                      {4096, 4},
                      {999, 998}}) {
    BinomialReplay replay = replayBinomialSchedule(l, s);
    EXPECT_TRUE(replay.consistent);
    EXPECT_EQ(replay.advances, binomialForwardSteps(l, s)) << l << ", " << s;
  }
}

TEST(Binomial, MoreSlotsAdvanceLess) {
  // Strictly fewer advances for each slot added, up to one per state.
  for (int64_t l : {3, 8, 50, 1000})
    for (int64_t s = 1; s + 1 < l; ++s)
      EXPECT_LT(binomialForwardSteps(l, s + 1), binomialForwardSteps(l, s))
          << "l = " << l << ", s = " << s;
}

} // namespace
