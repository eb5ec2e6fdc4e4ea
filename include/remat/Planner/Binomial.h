//===- Binomial.h - Griewank's binomial checkpointing of a chain -*- C++ -*-===//
//
// Reversing a chain of l equal steps (a loop's iterations) with s checkpoint
// slots, the first holding the chain's initial state: Griewank's binomial
// (Revolve) schedule advances the fewest steps of any schedule,
//   t(l, s) = r l - beta(s + 1, r - 1),   beta(s, r) = C(s + r, s),
// where the repetition number r is the least with beta(s, r) >= l
// (Griewank 1992; Griewank and Walther, ACM TOMS 26(1), 2000). Each step is
// run once more, taped, right before it is reversed: t(l, s) counts only the
// untaped advances, the recomputation a step without checkpoints avoids.
//
// remat-loop-checkpoint emits this schedule as loops with the split points
// computed at run time by the same arithmetic as binomialSplit;
// replayBinomialSchedule runs that program on the host, for tests and the
// benchmark. Plain C++, no MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef REMAT_PLANNER_BINOMIAL_H
#define REMAT_PLANNER_BINOMIAL_H

#include <cstdint>

namespace remat::planner {

/// beta(s, r) = C(s + r, s), saturating at INT64_MAX.
int64_t binomialBeta(int64_t s, int64_t r);

/// The least r with beta(s, r) >= l (s >= 1, l >= 1).
int64_t binomialRepetitions(int64_t l, int64_t s);

/// t(l, s): the least number of untaped forward steps that reverse a chain
/// of l steps with s >= 1 checkpoint slots; 0 for l <= 1.
int64_t binomialForwardSteps(int64_t l, int64_t s);

/// Where to place the next checkpoint in a chain of l >= 2 steps with s >= 1
/// slots (the one holding its start included): after this many steps. The
/// largest optimal split, min(beta(s, r - 1), l - beta(s - 1, r - 1)); l - 1
/// with one slot. The loops remat-loop-checkpoint emits compute it the same
/// way, with this integer arithmetic, so it must stay exact: l < 2^31.
int64_t binomialSplit(int64_t l, int64_t s);

/// The schedule as remat-loop-checkpoint's loops run it: for each step from
/// the last, restore the newest live checkpoint at or before it, advance to
/// it storing checkpoints at the split points, then run it taped.
struct BinomialReplay {
  /// Untaped forward steps (t(l, s) when the schedule is the optimum).
  int64_t advances = 0;
  /// The most checkpoint slots in use at once (at most s).
  int64_t slotsUsed = 0;
  /// Every restore read a live checkpoint of the position the schedule
  /// assumed, and every taped step ran from its own state.
  bool consistent = true;
};
BinomialReplay replayBinomialSchedule(int64_t l, int64_t s);

} // namespace remat::planner

#endif // REMAT_PLANNER_BINOMIAL_H
