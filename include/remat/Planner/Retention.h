//===- Retention.h - Plans from a per-value keep/recompute choice -*- C++ -*-===//
//
// The family of plans the baselines, the fast solver and the tests' brute force
// share. Each value has a retention:
//
//   Keep    its original version serves every consumer;
//   Cut     its original version serves only the consumers before the
//           value's cut position (and recomputes no later than the last of
//           them); the first later use recomputes it, and that version
//           serves all later consumers;
//   Always  like Cut, but every later use recomputes it again, and the
//           recomputed version serves only that use.
//
// The cut position of a forward value of a training graph is its first
// backward consumer; in a graph without a backward pass, it is the consumer
// after the largest gap between consecutive uses (counting the definition).
// A value with no such use (forward-only, or no gap) is cut right after its
// last consumer: only recomputes of other values can then need it again.
// Policies (Problem.h): a node pinned Save is no candidate (always Keep); a
// candidate pinned Recompute is built as Cut when asked to Keep, so every
// plan of the family honours the pins.
// Recomputes needed before a node run right before it, in program order,
// recursively from values still valid there. Every plan of this family is a
// Checkmate stage schedule, so `exact` is never worse than the family's best.
//
//===----------------------------------------------------------------------===//
#ifndef REMAT_PLANNER_RETENTION_H
#define REMAT_PLANNER_RETENTION_H

#include "remat/Planner/Problem.h"

#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

namespace remat::planner {

enum class Retention : uint8_t { Keep, Cut, Always };

/// The problem in flat arrays for the simulator (lib/Planner/Liveness.h).
class CompactGraph;

/// Per-problem facts the family needs, computed once.
class RetentionFamily {
public:
  explicit RetentionFamily(const Problem &problem);

  const Problem &problem() const { return problem_; }
  /// The problem in flat arrays, built once: what build() and the searches'
  /// simulations read.
  const CompactGraph &graph() const { return *graph_; }
  /// Values whose retention may be other than Keep: recomputable, with a
  /// later use a cut can serve.
  const std::vector<int> &candidates() const { return candidates_; }
  bool isCandidate(int node) const { return cutPosition_[node] < numNodes(); }
  /// Program position of the first use that a non-Keep retention recomputes
  /// for; the node count when there is none.
  int cutPosition(int node) const { return cutPosition_[node]; }
  /// A cut serves a consumer of the original program (a stashed activation),
  /// not only recomputes of other values.
  bool isStashed(int node) const { return stashed_[node]; }
  /// The last consumer the original version serves under a cut (the node
  /// itself when none).
  int lastUseBeforeCut(int node) const { return lastUseBeforeCut_[node]; }

  /// Candidates pinned Policy::Recompute: never Keep.
  const std::vector<int> &pinnedRecompute() const { return pinnedRecompute_; }

  /// The plan for the given retention of every node (non-candidates Keep,
  /// pinnedRecompute Cut where Keep is asked); an empty plan as soon as its
  /// schedule would be longer than `maxSteps` (a caller that discards longer
  /// ones is spared building them: all-Always schedules can be quadratic).
  Plan build(const std::vector<Retention> &retention,
             size_t maxSteps = std::numeric_limits<size_t>::max()) const;

  /// The min-cut starts' states (lib/Planner/MinCut.cpp), grouped by chain
  /// limit. They depend on the family alone, so they are computed on first
  /// use and shared by every search of this family and its copies (the
  /// min-peak search's solves, a frontier's levels). Thread-safe.
  const std::vector<std::vector<std::vector<Retention>>> &
  minCutGroups() const;

  /// minPeakPlan(*this), searched on the first call (with `threads`; the
  /// plan is the same on any count) and shared by this family's solves and
  /// copies: a frontier's levels that start before the search ends wait for
  /// it instead of searching again. `known` (SolveOptions::knownMinPeak, the
  /// same plan by contract) is taken instead of searching when this call is
  /// the first. Thread-safe.
  const Plan &leastPeakPlan(unsigned threads, const Plan *known = nullptr) const;

  /// What simulating the plan of a state gave: recorded by the searches of
  /// this family and its copies, on any thread, for any budget, so a search
  /// that meets a state again (a relax's weakening tried before, by itself
  /// or at another level of a frontier) can tell its outcome without
  /// building the plan. Keyed by a 128-bit hash of the state: a collision
  /// (odds about 2^-100 per pair) would cost a search one trial, never
  /// validity (every plan is simulated and validated before it is returned).
  struct Outcome {
    int64_t peakBytes = 0;
    double recomputeCost = 0;
    /// Steps of the plan's schedule (what the searches' work bound counts).
    int64_t steps = 0;
  };
  bool knownOutcome(const std::vector<Retention> &state, Outcome &outcome) const;
  void recordOutcome(const std::vector<Retention> &state,
                     const Outcome &outcome) const;

private:
  int numNodes() const { return problem_.nodes.size(); }

  const Problem &problem_;
  std::shared_ptr<const CompactGraph> graph_;
  std::vector<int> cutPosition_;
  std::vector<int> lastUseBeforeCut_;
  std::vector<bool> stashed_;
  std::vector<int> candidates_;
  std::vector<int> pinnedRecompute_;
  /// What minCutGroups() and leastPeakPlan() computed, once, and the
  /// recorded outcomes (one entry of about 64 bytes per simulated weakening;
  /// shared by copies).
  struct Memo;
  std::shared_ptr<Memo> memo_;
};

/// The least recompute that honours the policies: every node kept but those
/// pinned Recompute, recomputed once, where backward first needs them (what
/// solver=manual runs; keepAllPlan when nothing is pinned).
Plan policyPlan(const RetentionFamily &family);

} // namespace remat::planner

#endif // REMAT_PLANNER_RETENTION_H
