//===- PolicyTest.cpp - Save / recompute pins honoured by every solver ----===//
//
// Random training graphs with random pins (Node::policy): every plan a solver
// calls feasible validates (so it honours the pins) and fits; manual's plan
// costs exactly the pinned recomputes and no plan costs less; fast has a plan
// at every budget down to the smallest feasible one with the pins.
//
//===----------------------------------------------------------------------===//

#include "ProblemBuilder.h"

#include "remat/Planner/Frontier.h"
#include "remat/Planner/RandomGraph.h"
#include "remat/Planner/Retention.h"
#include "remat/Planner/Solvers.h"

#include <gtest/gtest.h>

#include <random>

using namespace remat::planner;
using namespace remat::planner::test;

namespace {

/// The costs of the pinned nodes a backward node reads: each must be
/// recomputed at least once. (A pinned node only forward nodes read is
/// recomputed only when a backward recomputation needs it.)
double pinnedCost(const Problem &problem) {
  const std::vector<int> deadline = recomputeDeadlines(problem);
  std::vector<bool> readByBackward(problem.nodes.size(), false);
  for (const Node &node : problem.nodes)
    if (node.backward)
      for (int input : node.inputs)
        readByBackward[input] = true;
  double cost = 0;
  for (int i = 0, e = problem.nodes.size(); i < e; ++i)
    if (deadline[i] >= 0 && readByBackward[i])
      cost += problem.nodes[i].cost;
  return cost;
}

/// The manual plan recomputes pinned nodes only, each once at most, and
/// every pinned node a backward node reads.
void expectManual(const Problem &problem, const Plan &plan,
                  const std::string &what) {
  const std::vector<int> deadline = recomputeDeadlines(problem);
  std::vector<int> times(problem.nodes.size(), 0);
  double cost = 0;
  for (const Step &step : plan.schedule)
    if (step.recompute) {
      EXPECT_GE(deadline[step.node], 0) << what << ": node " << step.node;
      EXPECT_EQ(++times[step.node], 1) << what << ": node " << step.node;
      cost += problem.nodes[step.node].cost;
    }
  EXPECT_GE(cost, pinnedCost(problem) - 1e-6) << what;
}

/// Budget, time limit (exact).
SolveOptions at(int64_t budget) { return {budget, 10}; }

void expectHonours(const Problem &problem, const SolveResult &result,
                   int64_t budget, const std::string &what) {
  if (!result.feasible)
    return;
  EXPECT_EQ(validate(problem, result.plan), "") << what;
  EXPECT_LE(simulate(problem, result.plan).peakBytes, budget) << what;
  EXPECT_GE(result.sim.recomputeCost, pinnedCost(problem) - 1e-6) << what;
}

TEST(Policy, ValidateRejectsPlansThatIgnorePins) {
  // 0 -> 1 -> 2 (loss) -> 3 (backward reads 1) -> 4 (backward reads 0).
  Problem problem;
  addNode(problem, 10, 1, false, {});
  addNode(problem, 20, 2, false, {0});
  addNode(problem, 1, 1, false, {1});
  addNode(problem, 20, 1, true, {1, 2});
  addNode(problem, 10, 1, true, {0, 3});
  markUnreadAsOutputs(problem);
  problem.nodes[1].policy = Policy::Recompute;
  EXPECT_EQ(recomputeDeadlines(problem), (std::vector<int>{-1, 3, -1, -1, -1}));
  EXPECT_NE(validate(problem, keepAllPlan(problem)), "");
  RetentionFamily family(problem);
  Plan manual = policyPlan(family);
  EXPECT_EQ(validate(problem, manual), "");
  EXPECT_EQ(simulate(problem, manual).recomputeCost, 2);

  problem.nodes[1].policy = Policy::Free;
  problem.nodes[0].policy = Policy::Save;
  Plan recomputesSaved = keepAllPlan(problem);
  recomputesSaved.schedule.insert(recomputesSaved.schedule.begin() + 4,
                                  {0, /*recompute=*/true});
  EXPECT_NE(validate(problem, recomputesSaved), "");
  EXPECT_FALSE(mayRecompute(problem.nodes[0]));
}

TEST(Policy, RecomputePinOnAnUnrecomputableNodeIsReported) {
  Problem problem;
  addNode(problem, 10, 1, false, {});
  addNode(problem, 20, 2, false, {0});
  addNode(problem, 10, 1, true, {1});
  markUnreadAsOutputs(problem);
  problem.nodes[1].recomputable = false;
  problem.nodes[1].policy = Policy::Recompute;
  EXPECT_NE(checkPolicies(problem), "");
  SolveResult result = solve(problem, SolverKind::Fast, at(1000));
  EXPECT_FALSE(result.feasible);
  EXPECT_NE(result.message.find("pinned recompute"), std::string::npos);
}

TEST(Policy, EverySolverHonoursRandomPins) {
  const SolverKind kinds[] = {SolverKind::Fast,    SolverKind::Manual,
                              SolverKind::KeepAll, SolverKind::RecomputeAll,
                              SolverKind::SqrtN,   SolverKind::Knapsack};
  for (uint64_t seed = 1; seed <= test::sweepSeeds(40); ++seed) {
    Problem problem = randomTrainingGraph(8 + seed % 31, seed);
    pinAtRandom(problem, seed);
    ASSERT_EQ(checkPolicies(problem), "");
    const int64_t smallest = smallestFeasibleBudget(problem);
    SolveResult manual = solve(problem, SolverKind::Manual, at(INT64_MAX));
    ASSERT_TRUE(manual.feasible) << "seed " << seed << ": " << manual.message;
    expectManual(problem, manual.plan, "seed " + std::to_string(seed));
    const int64_t top = manual.sim.peakBytes;
    ASSERT_LE(smallest, top);
    for (int64_t budget :
         {top, smallest, smallest + (top - smallest) / 2}) {
      for (SolverKind kind : kinds) {
        std::string what = "seed " + std::to_string(seed) + " budget " +
                           std::to_string(budget) + " " +
                           std::string(solverKindName(kind));
        // Pins are the family's, whatever the search's length: one round
        // (automatic effort would run up to 16 on these small graphs).
        SolveOptions options = at(budget);
        options.effort = 1;
        SolveResult result = solve(problem, kind, options);
        expectHonours(problem, result, budget, what);
        if (kind == SolverKind::Fast)
          EXPECT_TRUE(result.feasible) << what << ": " << result.message;
      }
    }
    // At manual's own peak the frontier answers with manual's cost (and
    // has an answer at the smallest feasible budget). One frontier, asked
    // twice (solveMonotone would compute it per call).
    const Frontier frontier = computeFrontier(problem);
    EXPECT_NE(frontier.at(smallest), nullptr) << "seed " << seed;
    const FrontierPoint *atTop = frontier.at(top);
    ASSERT_NE(atTop, nullptr) << "seed " << seed;
    EXPECT_DOUBLE_EQ(atTop->recomputeCost, manual.sim.recomputeCost)
        << "seed " << seed;
  }
}

TEST(Policy, ExactHonoursPinsAndBeatsFast) {
  for (uint64_t seed = 1; seed <= test::sweepSeeds(12); ++seed) {
    Problem problem = randomTrainingGraph(8 + seed % 6, seed);
    pinAtRandom(problem, seed + 100);
    const int64_t smallest = smallestFeasibleBudget(problem);
    const int64_t top =
        solve(problem, SolverKind::Manual, at(INT64_MAX)).sim.peakBytes;
    for (int64_t budget : {smallest, smallest + (top - smallest) / 2}) {
      const std::string what =
          "seed " + std::to_string(seed) + " budget " + std::to_string(budget);
      SolveResult exact = solve(problem, SolverKind::Exact, at(budget));
      SolveResult fast = solve(problem, SolverKind::Fast, at(budget));
      expectHonours(problem, exact, budget, what + " exact");
      ASSERT_TRUE(exact.feasible) << what << ": " << exact.message;
      ASSERT_TRUE(fast.feasible) << what;
      EXPECT_LE(exact.sim.recomputeCost, fast.sim.recomputeCost + 1e-6)
          << what;
    }
  }
}

TEST(Policy, FrontierPointsHonourPins) {
  // The frontier polishes each point for the largest budget it answers:
  // polish must not drop the recomputes the pins require.
  for (uint64_t seed = 1; seed <= test::sweepSeeds(40); ++seed) {
    Problem problem = randomTrainingGraph(10 + seed % 20, seed);
    pinAtRandom(problem, seed + 7);
    Frontier frontier = computeFrontier(problem);
    ASSERT_FALSE(frontier.points.empty());
    for (const FrontierPoint &point : frontier.points) {
      EXPECT_EQ(validate(problem, point.plan), "") << "seed " << seed;
      EXPECT_GE(point.recomputeCost, pinnedCost(problem) - 1e-6);
    }
  }
}

} // namespace
