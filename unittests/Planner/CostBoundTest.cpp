//===- CostBoundTest.cpp - The recompute-cost lower bound holds -----------===//
//
// RecomputeCostBound against every solver's plans (exact's proven optima
// included) on random training graphs, with and without policies, at
// budgets from the unplanned peak down: never above a plan that fits. Two
// hand-made graphs check its values (a step's own output and inputs; a
// recomputed value's inputs needed again), and where it says no plan fits,
// exact finds none.
//
//===----------------------------------------------------------------------===//

#include "remat/Planner/RandomGraph.h"
#include "remat/Planner/Solvers.h"

#include "ProblemBuilder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

using namespace remat::planner;

namespace {

SolveResult solveAt(const Problem &problem, SolverKind kind, int64_t budget) {
  SolveOptions options;
  options.budgetBytes = budget;
  options.timeLimitSeconds = 20;
  options.effort = 1;
  return solve(problem, kind, options);
}

/// Every plan of every solver that fits `budget` costs at least the bound
/// there and at its own peak; returns how many plans were checked.
int expectBelowEveryPlan(const Problem &problem, int64_t budget,
                         bool withExact, const std::string &what) {
  const RecomputeCostBound bound(problem);
  int checked = 0;
  for (SolverKind kind :
       {SolverKind::Fast, SolverKind::Exact, SolverKind::KeepAll,
        SolverKind::Manual, SolverKind::RecomputeAll, SolverKind::SqrtN,
        SolverKind::Knapsack}) {
    if (kind == SolverKind::Exact && !withExact)
      continue;
    const SolveResult result = solveAt(problem, kind, budget);
    if (result.plan.schedule.empty() || !validate(problem, result.plan).empty())
      continue;
    const Simulation sim = simulate(problem, result.plan);
    const std::string at = what + " " + std::string(solverKindName(kind));
    EXPECT_LE(bound.at(sim.peakBytes), sim.recomputeCost + 1e-9) << at;
    if (sim.peakBytes <= budget) {
      EXPECT_LE(bound.at(budget), sim.recomputeCost + 1e-9) << at;
      ++checked;
    }
  }
  return checked;
}

TEST(CostBound, NeverAboveAPlanThatFits) {
  int checked = 0, positive = 0;
  const uint64_t seeds = test::sweepSeeds(16);
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    Problem problem = randomTrainingGraph(6 + seed % 8, 700 + seed);
    if (seed % 2 == 0)
      test::pinAtRandom(problem, seed);
    const int64_t peak = simulate(problem, keepAllPlan(problem)).peakBytes;
    const RecomputeCostBound bound(problem);
    for (double fraction : {1.0, 0.85, 0.7, 0.55, 0.4, 0.3}) {
      const int64_t budget = static_cast<int64_t>(fraction * peak);
      const std::string what = "seed " + std::to_string(seed) + " at " +
                               std::to_string(fraction);
      checked += expectBelowEveryPlan(problem, budget, /*withExact=*/true, what);
      positive += bound.at(budget) > 0 && std::isfinite(bound.at(budget));
    }
  }
  // Most solvers fit most budgets, and the bound says something: positive
  // at two or more budgets per graph (16 seeds: 127 plans, 73 positive).
  EXPECT_GE(checked, static_cast<int>(6 * seeds));
  EXPECT_GE(positive, static_cast<int>(2 * seeds));
  std::printf("cost bound: %d plans checked, positive at %d budgets\n",
              checked, positive);
}

TEST(CostBound, NeverAboveFastOnLargerGraphs) {
  for (uint64_t seed = 1; seed <= test::sweepSeeds(4); ++seed) {
    const Problem problem = randomTrainingGraph(300 + 100 * seed, seed);
    const int64_t peak = simulate(problem, keepAllPlan(problem)).peakBytes;
    for (double fraction : {0.9, 0.6, 0.35})
      expectBelowEveryPlan(problem, static_cast<int64_t>(fraction * peak),
                           /*withExact=*/false,
                           "seed " + std::to_string(seed) + " at " +
                               std::to_string(fraction));
  }
}

/// a -> b -> loss, then db (reads loss, b) and da (reads db, a), with 100
/// bytes live throughout. Keep-all peaks at 708 (db's step: a, b, the
/// loss and db, and the 100); b's step alone holds 700 (a is its input), so
/// 700-707 need a recomputed (cost 8), and nothing fits below 700.
Problem handMade() {
  Problem problem;
  problem.alwaysLiveBytes = 100;
  const int a = test::addNode(problem, 400, 8, false, {});
  const int b = test::addNode(problem, 200, 1, false, {a});
  const int loss = test::addNode(problem, 4, 1, false, {b});
  const int db = test::addNode(problem, 4, 1, true, {loss, b});
  test::addNode(problem, 4, 1, true, {db, a});
  test::markUnreadAsOutputs(problem);
  return problem;
}

TEST(CostBound, HandMadeStep) {
  const Problem problem = handMade();
  const RecomputeCostBound bound(problem);
  // db's step, its own step kept: 708 held, of which only a (8 per 400
  // bytes) may go (b and the loss are db's inputs). db recomputed later
  // instead (cost 1): 704 held, b the cheapest per byte (1 per 200), then
  // a, then the loss (1 per 4). At 700: 8 * 8 / 400 kept, 1 + 4 / 200
  // deferred; the loss's step (704 held, input b) says 4 * 8 / 400.
  EXPECT_NEAR(bound.at(704), 4 * 8.0 / 400, 1e-6);
  EXPECT_NEAR(bound.at(700), 8 * 8.0 / 400, 1e-6);
  // At 600 db's step: kept 108 * 8 / 400 = 2.16, deferred 1 + 104 / 200.
  EXPECT_NEAR(bound.at(600), 1 + 104 / 200.0, 1e-6);
  // At 400 a's own step (500 held: a and the 100) cannot be kept, and its
  // recomputation costs 8; db's step says 1 + 1 + 104 * 8 / 400 = 4.08.
  EXPECT_NEAR(bound.at(400), 8, 1e-6);
  // At 200 db's step deferred: 1 + 1 + 304 * 8 / 400.
  EXPECT_NEAR(bound.at(200), 2 + 304 * 8.0 / 400, 1e-6);
  // The 100 bytes live throughout: nothing peaks below them.
  EXPECT_TRUE(std::isinf(bound.at(99)));
  EXPECT_FALSE(solveAt(problem, SolverKind::Exact, 99).feasible);
  // Where exact fits below the unplanned peak its optimum (a recomputed)
  // is at least the bound, which is positive there.
  for (int64_t budget : {700, 702}) {
    const SolveResult exact = solveAt(problem, SolverKind::Exact, budget);
    ASSERT_TRUE(exact.feasible) << budget;
    EXPECT_EQ(exact.sim.recomputeCost, 8) << budget;
    EXPECT_GT(bound.at(budget), 0) << budget;
    EXPECT_GE(exact.sim.recomputeCost, bound.at(budget) - 1e-9) << budget;
  }
  EXPECT_FALSE(solveAt(problem, SolverKind::Exact, 699).feasible);
}

/// x -> y -> m -> n, then dn (150 bytes, cost 10; reads n), dm (reads dn,
/// m) and dy (reads dm, y). Keep-all peaks at dn's step: y, m, n and dn,
/// 270 bytes. x is read by y only, so it crosses no backward step; but a
/// plan that recomputes y after dn's step needs x again then: x is live
/// at dn's step too, or recomputed as well. `fromZ`: x is made from z (40
/// bytes, cost 1), which a recomputation of x needs in turn.
Problem chainMade(bool fromZ = false) {
  Problem problem;
  std::vector<int> xInputs;
  if (fromZ)
    xInputs.push_back(test::addNode(problem, 40, 1, false, {}));
  const int x = test::addNode(problem, 40, 1, false, xInputs);
  const int y = test::addNode(problem, 100, 1, false, {x});
  const int m = test::addNode(problem, 10, 1, false, {y});
  const int n = test::addNode(problem, 10, 1, false, {m});
  const int dn = test::addNode(problem, 150, 10, true, {n});
  const int dm = test::addNode(problem, 10, 1, true, {dn, m});
  test::addNode(problem, 10, 1, true, {dm, y});
  test::markUnreadAsOutputs(problem);
  return problem;
}

TEST(CostBound, RecomputingAValueNeedsItsInputsAgain) {
  const Problem problem = chainMade();
  const RecomputeCostBound bound(problem);
  // At dn's step (270 held; n is its input) y frees 100 bytes for 1 only
  // with x recomputed too (1 more); holding x, 60 for 1. With 90 to free at
  // 180: 60 for 1, then 30 of the other 40 for 0.75 (m, 10 for 1, is
  // dearer per byte); without x, 90 of y's 100 bytes for 0.9. Recomputing
  // dn instead costs 10.
  EXPECT_NEAR(bound.at(180), 1.75, 1e-6);
  // At 170 the bound is exact's optimum: y and x recomputed.
  EXPECT_NEAR(bound.at(170), 2, 1e-6);
  for (int64_t budget : {250, 200, 180, 170}) {
    const SolveResult exact = solveAt(problem, SolverKind::Exact, budget);
    ASSERT_TRUE(exact.feasible) << budget;
    EXPECT_TRUE(exact.provenOptimal) << budget;
    EXPECT_GE(exact.sim.recomputeCost, bound.at(budget) - 1e-9) << budget;
  }
  EXPECT_EQ(solveAt(problem, SolverKind::Exact, 170).sim.recomputeCost, 2);
}

TEST(CostBound, RecomputingAnInputNeedsItsInputsToo) {
  const Problem problem = chainMade(/*fromZ=*/true);
  const RecomputeCostBound bound(problem);
  // At dn's step y frees 60 bytes for 1 with x held, 100 for 3 with x and
  // z recomputed (x recomputed with z held frees nothing more: z's 40 bytes
  // come back). 100 to free at 170: 3, exact's optimum (z, x, y again);
  // with x's inputs not followed it was 2.
  EXPECT_NEAR(bound.at(170), 3, 1e-6);
  const SolveResult exact = solveAt(problem, SolverKind::Exact, 170);
  ASSERT_TRUE(exact.feasible);
  EXPECT_TRUE(exact.provenOptimal);
  EXPECT_EQ(exact.sim.recomputeCost, 3);
  for (int64_t budget : {250, 200, 180})
    EXPECT_GE(solveAt(problem, SolverKind::Exact, budget).sim.recomputeCost,
              bound.at(budget) - 1e-9)
        << budget;
}

TEST(CostBound, InfiniteOnlyWhereExactFindsNothing) {
  int infinite = 0;
  for (uint64_t seed = 1; seed <= test::sweepSeeds(8); ++seed) {
    Problem problem = randomTrainingGraph(10 + seed, 900 + seed);
    test::pinAtRandom(problem, seed);
    const RecomputeCostBound bound(problem);
    const int64_t lower = peakLowerBound(problem);
    for (int64_t budget : {lower / 2, lower - 1, lower, lower + lower / 10}) {
      if (!std::isinf(bound.at(budget)))
        continue;
      ++infinite;
      const SolveResult exact = solveAt(problem, SolverKind::Exact, budget);
      EXPECT_FALSE(exact.feasible)
          << "seed " << seed << " budget " << budget
          << ": the bound says nothing fits, exact found a plan";
    }
  }
  // Half the budgets are below the peak bound: the bound sees some of them.
  EXPECT_GT(infinite, 0);
}

/// exact's gap (on recompute cost) is never wider than the bound proves:
/// with a time limit too short for CBC's root LP on a 200-node graph it was
/// 1 (no bound at all) before exact took RecomputeCostBound's. Either MILP
/// solver.
TEST(CostBound, ExactGapNoWiderThanTheBoundProves) {
  const Problem problem = randomTrainingGraph(200, 3);
  const int64_t peak = simulate(problem, keepAllPlan(problem)).peakBytes;
  const RecomputeCostBound bound(problem);
  for (MipSolver mip : {MipSolver::Highs, MipSolver::Cbc}) {
    for (double fraction : {0.7, 0.5}) {
      const int64_t budget = static_cast<int64_t>(fraction * peak);
      SolveOptions options;
      options.budgetBytes = budget;
      options.timeLimitSeconds = 1;
      options.effort = 1;
      options.mipSolver = mip;
      const SolveResult exact = solve(problem, SolverKind::Exact, options);
      ASSERT_TRUE(exact.feasible) << fraction;
      const double cost = exact.sim.recomputeCost;
      const double proven =
          cost > 0 ? std::max(0.0, (cost - bound.at(budget)) / cost) : 0;
      EXPECT_LE(exact.gap, proven + 1e-9) << fraction;
      EXPECT_LT(proven, 1) << fraction << ": the bound says nothing here";
    }
  }
}

} // namespace
