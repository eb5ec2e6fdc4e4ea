//===- SolverPropertyTest.cpp - Solvers on seeded random training graphs --===//
//
// Properties, not timings: every plan a solver calls feasible fits the budget
// under the simulator and validates; exact is at least as good as a brute
// force over the retention family on tiny graphs; fast is close to exact.
//
//===----------------------------------------------------------------------===//

#include "remat/Planner/Frontier.h"
#include "remat/Planner/RandomGraph.h"
#include "remat/Planner/Retention.h"
#include "remat/Planner/Solvers.h"

#include "ProblemBuilder.h"
#include "SolverImpl.h"

#include <gtest/gtest.h>

#include <cmath>
#include <iterator>
#include <limits>

using namespace remat::planner;

namespace {

int64_t unplannedPeak(const Problem &problem) {
  return simulate(problem, keepAllPlan(problem)).peakBytes;
}

/// Budgets from the unplanned peak down to the smallest feasible one.
std::vector<int64_t> budgetsFor(const Problem &problem) {
  const int64_t top = unplannedPeak(problem);
  const int64_t bottom = smallestFeasibleBudget(problem);
  std::vector<int64_t> budgets = {top, bottom};
  for (double f : {0.8, 0.6, 0.45})
    budgets.push_back(std::max(bottom, static_cast<int64_t>(f * top)));
  return budgets;
}

/// `effort` 0 is SolveOptions' default (automatic); properties that do not
/// depend on how long the stage search runs ask for 1, a sixteenth of the
/// time on these small graphs.
SolveResult solveWith(const Problem &problem, SolverKind kind, int64_t budget,
                      int effort = 0, MipSolver mipSolver = MipSolver::Highs) {
  SolveOptions options;
  options.budgetBytes = budget;
  options.timeLimitSeconds = 20;
  options.effort = effort;
  options.mipSolver = mipSolver;
  return solve(problem, kind, options);
}

void expectHonest(const Problem &problem, const SolveResult &result,
                  int64_t budget, const std::string &what) {
  if (!result.feasible) {
    EXPECT_FALSE(result.message.empty()) << what;
    return;
  }
  EXPECT_EQ(validate(problem, result.plan), "") << what;
  Simulation sim = simulate(problem, result.plan);
  EXPECT_LE(sim.peakBytes, budget) << what;
  EXPECT_GE(sim.peakBytes, peakLowerBound(problem)) << what;
  EXPECT_EQ(sim.peakBytes, result.sim.peakBytes) << what;
  EXPECT_EQ(sim.recomputeCost, result.sim.recomputeCost) << what;
}

// The fast search's relax skips weakenings it bounds as over budget without
// simulating them (OverflowBound, Fast.cpp), and the chain DP the Always
// variant of a kept set whose Cut variant is over budget before its first
// recompute (Chain.cpp): the bounds must hold, so a skipped plan never fits
// (cheaper or not: a weakening that fits dearer would not have been taken,
// but the bound was wrong). The hook simulates every skipped one too; on
// these graphs most weakenings are skipped (not vacuous). Odd seeds pin a
// fifth of the values Save and a fifth Recompute (pinned values are built
// Cut whatever the search's state says).
TEST(SolverProperty, SkipsOnlyWhatOverflows) {
  setCheckSkips(true);
  const uint64_t seeds = test::sweepSeeds(8);
  for (int nodes : {24, 64, 200, 800})
    for (uint64_t seed = 1; seed <= seeds; ++seed) {
      Problem problem = randomTrainingGraph(nodes, seed);
      if (seed % 2)
        test::pinAtRandom(problem, seed);
      const int64_t top = unplannedPeak(problem);
      for (double fraction : {0.45, 0.6, 0.75, 0.9}) {
        const int64_t budget = static_cast<int64_t>(fraction * top);
        solveWith(problem, SolverKind::Fast, budget, /*effort=*/1);
      }
    }
  const SkipCounts counts = skipCounts();
  setCheckSkips(false);
  EXPECT_EQ(counts.relaxSkippedThatFit, 0) << counts.relaxSkipped << " skipped";
  EXPECT_GT(counts.relaxSkipped, 100);
  EXPECT_EQ(counts.chainSkippedThatFit, 0) << counts.chainSkipped << " skipped";
  EXPECT_GT(counts.chainSkipped, 10);
}

TEST(SolverProperty, FeasiblePlansFitAndValidate) {
  const SolverKind kinds[] = {SolverKind::Fast, SolverKind::KeepAll,
                              SolverKind::RecomputeAll, SolverKind::SqrtN,
                              SolverKind::Knapsack};
  for (uint64_t seed = 1; seed <= test::sweepSeeds(200); ++seed) {
    Problem problem = randomTrainingGraph(8 + seed % 53, seed);
    const int64_t smallest = smallestFeasibleBudget(problem);
    // More effort only runs more rounds of the same search: every 25th seed
    // at the default (automatic) effort, the others at 1.
    const int effort = seed % 25 == 0 ? 0 : 1;
    for (int64_t budget : budgetsFor(problem)) {
      double fastCost = std::numeric_limits<double>::infinity();
      for (SolverKind kind : kinds) {
        std::string what = "seed " + std::to_string(seed) + " budget " +
                           std::to_string(budget) + " " +
                           std::string(solverKindName(kind));
        SolveResult result = solveWith(problem, kind, budget, effort);
        expectHonest(problem, result, budget, what);
        if (kind == SolverKind::Fast && budget >= smallest)
          EXPECT_TRUE(result.feasible) << what << ": " << result.message;
        if (kind == SolverKind::Fast && result.feasible)
          fastCost = result.sim.recomputeCost;
        // Fast is never worse than a baseline that fits.
        if (kind != SolverKind::Fast && result.feasible)
          EXPECT_LE(fastCost, result.sim.recomputeCost + 1e-6) << what;
      }
    }
  }
}

/// The smallest feasible budget is what fast reaches: fast has a plan there,
/// it is never above keep-all's peak nor below the lower bound.
TEST(SolverProperty, SmallestFeasibleBudgetIsReached) {
  for (uint64_t seed = 1; seed <= test::sweepSeeds(60); ++seed) {
    Problem problem = randomTrainingGraph(8 + seed % 41, seed);
    const int64_t smallest = smallestFeasibleBudget(problem);
    const std::string what = "seed " + std::to_string(seed);
    EXPECT_LE(smallest, unplannedPeak(problem)) << what;
    EXPECT_GE(smallest, peakLowerBound(problem)) << what;
    SolveResult fast = solveWith(problem, SolverKind::Fast, smallest, 1);
    expectHonest(problem, fast, smallest, what);
    EXPECT_TRUE(fast.feasible) << what << ": " << fast.message;
  }
}

/// recomputeAllPeakBound, which spares the min-peak search and fast's
/// fallback recompute-all's quadratic schedule, is a lower bound on its
/// peak, pinned values (odd seeds) included, and a tight one on some graphs
/// (where it proves that recompute-all cannot peak lower than a plan found).
TEST(SolverProperty, RecomputeAllPeakBoundHolds) {
  int tight = 0, graphs = 0;
  for (int nodes : {12, 40, 200, 1000})
    for (uint64_t seed = 1; seed <= test::sweepSeeds(24); ++seed) {
      Problem problem = randomTrainingGraph(nodes, seed);
      if (seed % 2)
        test::pinAtRandom(problem, seed);
      const RetentionFamily family(problem);
      const int64_t peak =
          simulate(problem, recomputeAllPlan(family)).peakBytes;
      const int64_t bound = recomputeAllPeakBound(family);
      EXPECT_LE(bound, peak) << nodes << " nodes, seed " << seed;
      tight += bound == peak;
      ++graphs;
    }
  EXPECT_GT(tight, graphs / 2) << tight << " of " << graphs;
}

/// Below the smallest feasible budget a fast solve reports it (callers need
/// not search for it again), and the monotone one its frontier's least peak.
TEST(SolverProperty, InfeasibleSolvesNameTheSmallestBudget) {
  for (uint64_t seed = 1; seed <= test::sweepSeeds(20); ++seed) {
    Problem problem = randomTrainingGraph(8 + seed % 41, seed);
    const int64_t smallest = smallestFeasibleBudget(problem);
    const std::string what = "seed " + std::to_string(seed);
    SolveResult below = solveWith(problem, SolverKind::Fast, smallest - 1, 1);
    EXPECT_FALSE(below.feasible) << what;
    EXPECT_EQ(below.leastPeakBytes, smallest) << what;
    SolveOptions options;
    options.budgetBytes = peakLowerBound(problem) - 1;
    SolveResult monotone = solveMonotone(problem, SolverKind::Fast, options);
    EXPECT_FALSE(monotone.feasible) << what;
    EXPECT_GE(monotone.leastPeakBytes, peakLowerBound(problem)) << what;
    EXPECT_LE(monotone.leastPeakBytes, smallest) << what;
  }
}

/// Regression (issue 10): fast said infeasible at 0.8 of this graph's peak,
/// naming the recompute-all peak (276824064 B) as the smallest budget, while
/// exact proves a plan at 247463940 B.
TEST(SolverProperty, FitsBelowTheRecomputeAllPeak) {
  Problem problem = randomTrainingGraph(16, 13);
  const int64_t budget = static_cast<int64_t>(0.8 * unplannedPeak(problem));
  SolveResult fast = solveWith(problem, SolverKind::Fast, budget);
  expectHonest(problem, fast, budget, "fast");
  EXPECT_TRUE(fast.feasible) << fast.message;
  EXPECT_LT(smallestFeasibleBudget(problem), 276824064);
}

/// Regression: on this graph the descent used to spend its evaluation budget
/// at 1k nodes and fall back to recompute-all (8426% overhead).
TEST(SolverProperty, FastDoesNotStallOnLargeGraphs) {
  for (uint64_t seed : {1, 2}) {
    Problem problem = randomTrainingGraph(1000, seed);
    const int64_t budget = unplannedPeak(problem) / 2;
    SolveResult fast = solveWith(problem, SolverKind::Fast, budget);
    expectHonest(problem, fast, budget, "fast 1k");
    ASSERT_TRUE(fast.feasible);
    double base = 0;
    for (const Node &node : problem.nodes)
      base += node.cost;
    EXPECT_LE(fast.sim.recomputeCost, 0.05 * base) << "seed " << seed;
  }
}

/// The same schedule, step by step.
static void expectSame(const Plan &a, const Plan &b, const std::string &what) {
  ASSERT_EQ(a.schedule.size(), b.schedule.size()) << what;
  for (size_t k = 0; k < a.schedule.size(); ++k) {
    ASSERT_EQ(a.schedule[k].node, b.schedule[k].node) << what << " " << k;
    ASSERT_EQ(a.schedule[k].recompute, b.schedule[k].recompute)
        << what << " " << k;
  }
}

// Above 1000 nodes a solve runs fast's starts on threads, and the min-peak
// search builds recompute-all beside its first search: the plans must not
// depend on the thread count (a start writing into another's slot, or the
// search reading recompute-all before it is built, would show here).
TEST(SolverProperty, SamePlanOnAnyNumberOfThreads) {
  const Problem problem = randomTrainingGraph(1200, 3);
  expectSame(minPeakPlan(problem, 1), minPeakPlan(problem, 3), "min peak");
  for (double fraction : {0.35, 0.6}) {
    SolveOptions options;
    options.budgetBytes =
        static_cast<int64_t>(fraction * unplannedPeak(problem));
    options.threads = 1;
    const SolveResult serial = solve(problem, SolverKind::Fast, options);
    options.threads = 3;
    const SolveResult parallel = solve(problem, SolverKind::Fast, options);
    EXPECT_TRUE(serial.feasible) << fraction;
    EXPECT_GT(serial.sim.recomputeCost, 0) << fraction;
    expectSame(serial.plan, parallel.plan, std::to_string(fraction));
  }
}

// A family remembers what its searches simulated (RetentionFamily's outcomes,
// the min-cut states) and a relax skips a weakening it would refuse again:
// the plans must be those of a fresh family, whatever the memo holds (here:
// everything the solves at other budgets left in it), and a frontier's
// answers the same on any number of threads (its levels share one family).
TEST(SolverProperty, SamePlanWhateverTheFamilyRemembers) {
  for (auto [nodes, seed] : {std::pair{120, 4}, std::pair{1200, 5}}) {
    const Problem problem = randomTrainingGraph(nodes, seed);
    const RetentionFamily shared(problem);
    for (double fraction : {0.35, 0.45, 0.6, 0.8}) {
      SolveOptions options;
      options.budgetBytes =
          static_cast<int64_t>(fraction * unplannedPeak(problem));
      options.threads = 1;
      const SolveResult fresh = solve(problem, SolverKind::Fast, options);
      const SolveResult remembered =
          solveInFamily(shared, SolverKind::Fast, options);
      const std::string what =
          std::to_string(nodes) + " nodes at " + std::to_string(fraction);
      EXPECT_TRUE(fresh.feasible) << what;
      expectSame(fresh.plan, remembered.plan, what);
      if (fraction != 0.6)
        continue;
      const SolveResult serial =
          solveMonotone(problem, SolverKind::Fast, options, 0);
      options.threads = 3;
      const SolveResult parallel =
          solveMonotone(problem, SolverKind::Fast, options, 0);
      expectSame(serial.plan, parallel.plan, "monotone " + what);
    }
  }
}

TEST(SolverProperty, ReportsInfeasibleBelowEverything) {
  Problem problem = randomTrainingGraph(30, 7);
  for (SolverKind kind : {SolverKind::Fast, SolverKind::Exact,
                          SolverKind::Knapsack, SolverKind::SqrtN}) {
    SolveResult result = solveWith(problem, kind, problem.alwaysLiveBytes);
    EXPECT_FALSE(result.feasible) << solverKindName(kind);
    EXPECT_FALSE(result.message.empty()) << solverKindName(kind);
  }
}

/// The cheapest feasible plan of the retention family, by enumeration.
double bruteForceCost(const Problem &problem, int64_t budget) {
  RetentionFamily family(problem);
  const std::vector<int> &candidates = family.candidates();
  std::vector<Retention> state(problem.nodes.size(), Retention::Keep);
  double best = std::numeric_limits<double>::infinity();
  int64_t combinations = 1;
  for (size_t k = 0; k < candidates.size(); ++k)
    combinations *= 3;
  for (int64_t code = 0; code < combinations; ++code) {
    int64_t rest = code;
    for (int node : candidates) {
      state[node] = static_cast<Retention>(rest % 3);
      rest /= 3;
    }
    Simulation sim = simulate(problem, family.build(state));
    if (sim.peakBytes <= budget)
      best = std::min(best, sim.recomputeCost);
  }
  return best;
}

/// Both MILP solvers (HiGHS, the default, and CBC) prove optima no dearer
/// than the best stage schedule enumerated.
TEST(SolverProperty, ExactBeatsBruteForceOnTinyGraphs) {
  for (uint64_t seed = 1; seed <= test::sweepSeeds(30); ++seed) {
    Problem problem = randomTrainingGraph(4 + seed % 5, 1000 + seed);
    for (int64_t budget : budgetsFor(problem)) {
      double brute = bruteForceCost(problem, budget);
      SolveResult fast = solveWith(problem, SolverKind::Fast, budget, 1);
      for (MipSolver mip : {MipSolver::Highs, MipSolver::Cbc}) {
        std::string what = "seed " + std::to_string(seed) + " budget " +
                           std::to_string(budget) + " " +
                           std::string(mipSolverName(mip));
        ASSERT_TRUE(std::isfinite(brute)) << what;
        SolveResult exact =
            solveWith(problem, SolverKind::Exact, budget, 1, mip);
        expectHonest(problem, exact, budget, what);
        ASSERT_TRUE(exact.feasible) << what << ": " << exact.message;
        EXPECT_TRUE(exact.provenOptimal) << what;
        EXPECT_LE(exact.sim.recomputeCost, brute + 1e-6) << what;
        ASSERT_TRUE(fast.feasible) << what;
        EXPECT_GE(fast.sim.recomputeCost, exact.sim.recomputeCost - 1e-6)
            << what;
      }
    }
  }
}

double totalCost(const Problem &problem, const SolveResult &result) {
  double base = 0;
  for (const Node &node : problem.nodes)
    base += node.cost;
  return base + result.sim.recomputeCost;
}

/// Geomean of fast's total cost over the proven MILP optimum. Measured 1.0011
/// (worst 1.027) on these instances; see docs/planner.md, "Measured".
constexpr double kFastOverExactBound = 1.02;

TEST(SolverProperty, FastIsCloseToExact) {
  double logRatioSum = 0, worst = 1;
  int compared = 0;
  const uint64_t seeds = test::sweepSeeds(24);
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    Problem problem = randomTrainingGraph(10 + seed % 9, 5000 + seed);
    const int64_t top = unplannedPeak(problem);
    const int64_t bottom = smallestFeasibleBudget(problem);
    const int64_t budget = std::max(bottom, static_cast<int64_t>(0.6 * top));
    SolveResult exact = solveWith(problem, SolverKind::Exact, budget, 1);
    expectHonest(problem, exact, budget, "exact");
    if (!exact.provenOptimal)
      continue;
    SolveResult fast = solveWith(problem, SolverKind::Fast, budget);
    ASSERT_TRUE(fast.feasible) << "seed " << seed;
    // Not asserted >= 1: a MILP solver's preprocessing can cut off the true
    // optimum at budgets tight to the byte (CBC's did at seed 9 here once:
    // 78 "proven" vs fast's 77; docs/planner.md, "exact").
    double ratio = totalCost(problem, fast) / totalCost(problem, exact);
    logRatioSum += std::log(ratio);
    worst = std::max(worst, ratio);
    ++compared;
  }
  // HiGHS proves nearly all of them (24 of 24 here, as CBC did).
  ASSERT_GE(compared, static_cast<int>(seeds * 5 / 6));
  double geomean = std::exp(logRatioSum / compared);
  std::printf("fast/exact total cost over %d instances: geomean %.4f, worst "
              "%.4f\n",
              compared, geomean, worst);
  EXPECT_LE(geomean, kFastOverExactBound);
}

} // namespace

namespace {

/// Near the smallest feasible budget (5% of the way from it to the unplanned
/// peak), where fast used to stop far above the best known plan: the stage
/// search's kicks and restarts and the deep moves tried beside the plain ones
/// reach it. Costs before / now / exact's best in 10 s: 530 / 396 / 396,
/// 1803 / 1429 / 1803, 691 / 609 / 691 (docs/planner.md, "Stage search").
TEST(SolverProperty, FastNearTheBestKnownAtTightBudgets) {
  struct Case {
    int nodes;
    uint64_t seed;
    int64_t budget;
    double bestKnown;
  };
  for (const Case &c : {Case{20, 2, 443757363, 396},
                        Case{36, 5, 206988902, 1429},
                        Case{44, 3, 668572057, 609}}) {
    Problem problem = randomTrainingGraph(c.nodes, c.seed);
    SolveResult fast = solveWith(problem, SolverKind::Fast, c.budget);
    const std::string what = "random " + std::to_string(c.nodes) + " seed " +
                             std::to_string(c.seed);
    expectHonest(problem, fast, c.budget, what);
    ASSERT_TRUE(fast.feasible) << what;
    EXPECT_LE(fast.sim.recomputeCost, c.bestKnown) << what;
  }
}

} // namespace

namespace {

/// SolveOptions::effort: each round of the stage search's iterated local
/// search and restarts continues from where the last one stopped, so more
/// effort never ends dearer. The default (automatic, 0) runs the plain
/// search 16 rounds on graphs up to 128 nodes and the deep-move one 1, so it
/// lies between effort 1 and effort 16 (docs/planner.md, "Search effort").
/// Budgets 5% of the way from the smallest feasible budget to the unplanned
/// peak, and 0.6 of the peak for the last graph (the benchmark's cell whose
/// proven optimum is 265). Costs at effort 1 / default / 16 when this test
/// was written: 302 / 265 / 265, 536 / 511 / 511, 943 / 921 / 921,
/// 1325 / 1215 / 1215 (the searches' paths shift with any change to the
/// moves, so the default's values are pinned and it must beat effort 1 in
/// at least 3 cases).
TEST(SolverProperty, MoreEffortNeverDearer) {
  struct Case {
    int nodes;
    uint64_t seed;
    int64_t budget;
    double atDefault;
  };
  const Case cases[] = {Case{32, 12, 699609909, 265},
                        Case{48, 7, 267124736, 511},
                        Case{40, 5, 223766118, 921},
                        Case{96, 5, 235405312, 1215}};
  const uint64_t count = test::sweepSeeds(std::size(cases));
  int cheaper = 0;
  for (uint64_t k = 0; k < count; ++k) {
    const Case &c = cases[k];
    Problem problem = randomTrainingGraph(c.nodes, c.seed);
    const std::string what = "random " + std::to_string(c.nodes) + " seed " +
                             std::to_string(c.seed);
    SolveResult one = solveWith(problem, SolverKind::Fast, c.budget, 1);
    SolveResult automatic = solveWith(problem, SolverKind::Fast, c.budget);
    SolveResult more = solveWith(problem, SolverKind::Fast, c.budget, 16);
    expectHonest(problem, one, c.budget, what + " effort 1");
    expectHonest(problem, automatic, c.budget, what);
    expectHonest(problem, more, c.budget, what + " effort 16");
    ASSERT_TRUE(one.feasible && automatic.feasible && more.feasible) << what;
    EXPECT_LE(automatic.sim.recomputeCost, one.sim.recomputeCost) << what;
    EXPECT_LE(more.sim.recomputeCost, automatic.sim.recomputeCost) << what;
    EXPECT_LE(automatic.sim.recomputeCost, c.atDefault) << what;
    cheaper += automatic.sim.recomputeCost < one.sim.recomputeCost;
  }
  EXPECT_GE(cheaper, std::min<int>(3, count));
}

} // namespace
