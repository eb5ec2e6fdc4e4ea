//===- SolverImpl.h - Solvers behind planner::solve (internal) ---*- C++ -*-===//
#ifndef REMAT_LIB_PLANNER_SOLVERIMPL_H
#define REMAT_LIB_PLANNER_SOLVERIMPL_H

#include "remat/Planner/Retention.h"
#include "remat/Planner/Solvers.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <thread>
#include <vector>

namespace remat::planner {

/// The threads to use for `count` tasks: `threads`, 0 meaning every core.
inline unsigned resolveThreads(unsigned threads, size_t count) {
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  return static_cast<unsigned>(std::min<size_t>(threads, count));
}

/// Runs fn(0) .. fn(count - 1) on up to `threads` threads (0: every core),
/// claimed in index order. Each call writes only its own result slot, so
/// what the caller reads afterwards does not depend on the thread count or
/// the order of the calls.
template <typename Fn>
void forEachIndex(size_t count, unsigned threads, Fn fn) {
  threads = resolveThreads(threads, count);
  if (threads <= 1) {
    for (size_t k = 0; k < count; ++k)
      fn(k);
    return;
  }
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t)
    workers.emplace_back([&] {
      for (size_t k = next++; k < count; k = next++)
        fn(k);
    });
  for (std::thread &worker : workers)
    worker.join();
}

/// Every forward value Always recomputed (an empty plan where the schedule
/// would be longer than `maxSteps`, as RetentionFamily::build).
Plan recomputeAllPlan(const RetentionFamily &family,
                      size_t maxSteps = std::numeric_limits<size_t>::max());
/// A lower bound on recomputeAllPlan's peak in linear time (its schedule is
/// quadratic on long chains: 12.5 M steps at 10k nodes): peakLowerBound with
/// every value it never recomputes counted as one version, and the live
/// bytes at each forward value's recomputation for a step that reads it
/// (directly or through the closure) after its cut.
int64_t recomputeAllPeakBound(const RetentionFamily &family);
/// peakLowerBound where `oneVersion` marks the values every plan in
/// question keeps as one version, live from their step to their last
/// consumer, and `runsOnce` those whose program step runs in every such
/// plan (peakLowerBound: not mayRecompute, and not recomputable).
int64_t peakLowerBound(const Problem &problem,
                       const std::vector<uint8_t> &oneVersion,
                       const std::vector<uint8_t> &runsOnce);
/// A node's inputs, each once, ascending (a node may read a value twice).
inline std::vector<int> distinctInputs(const Node &node) {
  std::vector<int> inputs = node.inputs;
  std::sort(inputs.begin(), inputs.end());
  inputs.erase(std::unique(inputs.begin(), inputs.end()), inputs.end());
  return inputs;
}
/// Per program step, the bytes of the `oneVersion` values live there: made
/// at or before it and read at or after it (lastReaders).
std::vector<int64_t> oneVersionLiveBytes(const Problem &problem,
                                         const std::vector<uint8_t> &oneVersion);
/// Chen et al. 2016: every ~sqrt(n)-th candidate kept, the rest Cut.
Plan sqrtNPlan(const RetentionFamily &family);
/// PyTorch-style: stashed values kept by a 0/1 knapsack, liveness ignored.
Plan knapsackPlan(const RetentionFamily &family, int64_t budgetBytes);
/// Greedy descent and local search over the retention family; `deepMoves`
/// adds moves that also recompute a value's inputs before every use (lower
/// peaks, used when the plain search finds nothing that fits).
Plan fastPlan(const RetentionFamily &family, int64_t budgetBytes,
              bool deepMoves = false);
/// Test hook (unittests/Planner): while on, every plan a search skips as
/// surely over budget without building it (the fast search's relax
/// weakenings, OverflowBound in Fast.cpp; the chain DP's Always variants,
/// Chain.cpp) is built and simulated anyway, outside the searches' work
/// counts, and counted when it fits: the skip was wrong (both skips claim a
/// lower bound of the peak, so a fit is wrong even where it would not have
/// been taken). Counts are since the last setCheckSkips(true).
void setCheckSkips(bool on);
bool checkingSkips();
struct SkipCounts {
  int64_t relaxSkipped = 0;
  int64_t relaxSkippedThatFit = 0;
  int64_t chainSkipped = 0;
  int64_t chainSkippedThatFit = 0;
};
SkipCounts skipCounts();
/// The chain DP's side of the hook: one skipped variant checked.
void countChainSkip(bool fits);
/// Rotor-style DP over the segments of the forward chain (Chain.cpp),
/// polished; an empty plan when the graph is no chain or nothing fits.
Plan chainPlan(const RetentionFamily &family, int64_t budgetBytes);
/// Removes recompute steps, most expensive first, while the plan fits the
/// budget (simulated incrementally); at most `maxTrials` removal trials. A
/// plan over the budget is returned unchanged.
Plan polishPlan(const Problem &problem, const Plan &plan, int64_t budgetBytes,
                int64_t maxTrials);
/// The same on the problem's CompactGraph (what code that holds a
/// RetentionFamily passes: family.graph()).
Plan polishPlan(const Problem &problem, const CompactGraph &graph,
                const Plan &plan, int64_t budgetBytes, int64_t maxTrials);
/// Local search over stage schedules (Stage.cpp) from `start`: add moves at
/// the peak, the polish, and (`kicks`) iterated local search and randomized
/// starts, `effort` rounds of them; at most `workSteps` simulated steps.
/// The cheaper fitting plan of the two (or the lower peak when neither
/// fits); `start` itself on graphs over 400 nodes.
Plan stagePlan(const Problem &problem, const Plan &start, int64_t budgetBytes,
               int64_t workSteps, bool kicks = true, int effort = 1);
/// The stage search's repair (add moves at the peak until the plan fits)
/// and polish from `start` alone, at most `workSteps` simulated steps; an
/// empty plan when it does not come to fit or the graph is over 1000 nodes.
Plan stageRepair(const Problem &problem, const Plan &start, int64_t budgetBytes,
                 int64_t workSteps);
/// REMAT_PLANNER_DUMP=PATH: writes `problem` there in the remat-problem JSON
/// format that `remat-plan` reads (every solve() and frontier; the last wins).
void dumpProblemIfAsked(const Problem &problem);
/// solve() in a family the caller has (a frontier's levels share one, and
/// with it what the family computes once: RetentionFamily::minCutGroups).
SolveResult solveInFamily(const RetentionFamily &family, SolverKind kind,
                          const SolveOptions &options);
/// Per node, the last node that reads it in program order (itself when none
/// does; problem.nodes.size() for outputs, read at the end): what
/// peakLowerBound and RecomputeCostBound count lifetimes from.
std::vector<int> lastReaders(const Problem &problem);
/// solveMonotone on graphs over 400 nodes (fast, the default levels): the
/// levels (every `percentStep`th percent of the unplanned peak; 0: whole
/// percents up to 5000 nodes, every 5th above) from the first at or above
/// the budget down, each solve polished along a chain, for one byte below
/// the own plan's peak of each of the next 16 levels in turn (one level
/// with every 5th percent), and, when `bounded`, no level below one whose
/// every plan, chains included, RecomputeCostBound proves dearer than the
/// answer so far (docs/planner.md, "Top-down answers", "Polish chains").
/// `chainLinks` > 0 sets the chain's length instead (tests).
/// The budget's band (between the two levels around it) is solved before
/// the levels below the lower one, its plans an incumbent for the bound,
/// unless not `bandFirst` (then after the descent, as it was first written;
/// docs/planner.md, "The band before the levels below"). The same plan with
/// and without the bound and either way; `solves`, when given, counts the
/// solves it ran, the band's included.
SolveResult solveMonotoneTopDown(const Problem &problem,
                                 const SolveOptions &options, bool bounded,
                                 int *solves = nullptr, bool bandFirst = true,
                                 int percentStep = 0, int chainLinks = 0);
/// The plan of least simulated peak that fast's machinery finds (a search
/// over budgets); its peak is smallestFeasibleBudget. `threads` as
/// SolveOptions::threads (the same plan on any count).
Plan minPeakPlan(const RetentionFamily &family, unsigned threads = 0);
/// Checkmate's MILP on CBC; fills plan, provenOptimal, gap and message.
/// `start` (may be null), a feasible stage schedule, is handed to CBC as its
/// first incumbent (MIP start); `startSeconds` already spent count against
/// the time limit.
SolveResult exactSolve(const Problem &problem, const SolveOptions &options,
                       const Plan *start = nullptr, double startSeconds = 0);

} // namespace remat::planner

#endif // REMAT_LIB_PLANNER_SOLVERIMPL_H
