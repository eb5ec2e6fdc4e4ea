//===- SimulateTest.cpp - The memory model on hand-built schedules --------===//

#include "remat/Planner/Problem.h"
#include "remat/Planner/Solvers.h"

#include <gtest/gtest.h>

using namespace remat::planner;

namespace {

Node node(const char *name, int64_t bytes, std::vector<int> inputs,
          double cost = 1) {
  Node result;
  result.name = name;
  result.bytes = bytes;
  result.cost = cost;
  result.inputs = std::move(inputs);
  return result;
}

/// a(1) -> b(10) -> c(100) -> d(1000), d an output.
Problem chain() {
  Problem problem;
  problem.nodes = {node("a", 1, {}), node("b", 10, {0}), node("c", 100, {1}),
                   node("d", 1000, {2})};
  problem.nodes[3].output = true;
  return problem;
}

TEST(Simulate, ChainFreesAfterLastUse) {
  Simulation sim = simulate(chain(), keepAllPlan(chain()));
  EXPECT_EQ(sim.timeline, (std::vector<int64_t>{1, 11, 110, 1100}));
  EXPECT_EQ(sim.peakBytes, 1100);
  EXPECT_EQ(sim.peakStep, 3);
  EXPECT_EQ(sim.recomputeCost, 0);
}

TEST(Simulate, AlwaysLiveBytesAddToEveryStep) {
  Problem problem = chain();
  problem.alwaysLiveBytes = 5;
  Simulation sim = simulate(problem, keepAllPlan(problem));
  EXPECT_EQ(sim.timeline, (std::vector<int64_t>{6, 16, 115, 1105}));
}

TEST(Simulate, UnconsumedValueLivesOnlyAtItsStep) {
  Problem problem;
  problem.nodes = {node("a", 1, {}), node("dead", 50, {0}), node("b", 2, {0})};
  problem.nodes[2].output = true;
  Simulation sim = simulate(problem, keepAllPlan(problem));
  EXPECT_EQ(sim.timeline, (std::vector<int64_t>{1, 51, 3}));
}

// The chain with b and c recomputed right before d, which reads the
// recomputed c: c's first run is read by nothing, and b's first run only by
// it, so the lowering deletes both (ops whose results nothing reads) and the
// model counts neither their bytes nor their reads.
TEST(Simulate, RunReadByNothingKeptCountsNothing) {
  Problem problem = chain();
  Plan plan;
  plan.schedule = {{0, false}, {1, false}, {2, false}, {1, true}, {2, true},
                   {3, false}};
  ASSERT_EQ(validate(problem, plan), "");
  Simulation sim = simulate(problem, plan);
  // a lives until b's recomputation reads it; b's and c's first runs hold
  // nothing.
  EXPECT_EQ(sim.timeline, (std::vector<int64_t>{1, 1, 1, 11, 110, 1100}));
  EXPECT_EQ(sim.recomputeCost, 2);
  // A recomputation that nothing reads costs nothing either.
  plan.schedule = {{0, false}, {1, false}, {2, false}, {1, true}, {3, false}};
  ASSERT_EQ(validate(problem, plan), "");
  sim = simulate(problem, plan);
  EXPECT_EQ(sim.timeline, (std::vector<int64_t>{1, 11, 110, 100, 1100}));
  EXPECT_EQ(sim.recomputeCost, 0);
}

TEST(Simulate, OutputsStayLiveToTheEnd) {
  Problem problem;
  problem.nodes = {node("a", 1, {}), node("out", 50, {0}), node("b", 2, {0})};
  problem.nodes[1].output = true;
  problem.nodes[2].output = true;
  EXPECT_EQ(simulate(problem, keepAllPlan(problem)).timeline,
            (std::vector<int64_t>{1, 51, 53}));
}

/// x(8) feeds f(4) and, much later, g(2): recomputing x before g frees it
/// in between.
TEST(Simulate, RecomputeMakesANewVersion) {
  Problem problem;
  problem.nodes = {node("in", 1, {}), node("x", 8, {0}, 7), node("f", 4, {1}),
                   node("h", 16, {2}), node("g", 2, {1, 3})};
  problem.nodes[0].recomputable = false;
  problem.nodes[4].output = true;
  EXPECT_EQ(simulate(problem, keepAllPlan(problem)).timeline,
            (std::vector<int64_t>{1, 9, 12, 28, 26}));
  Plan plan = keepAllPlan(problem);
  plan.schedule.insert(plan.schedule.begin() + 4, {1, true});
  Simulation sim = simulate(problem, plan);
  // in stays live: the recompute of x reads it.
  EXPECT_EQ(sim.timeline, (std::vector<int64_t>{1, 9, 13, 21, 25, 26}));
  EXPECT_EQ(sim.peakBytes, 26);
  EXPECT_EQ(sim.peakStep, 5);
  EXPECT_EQ(sim.recomputeCost, 7);
  EXPECT_EQ(validate(problem, plan), "");
}

/// peakLowerBound on a value recomputed later than its program step (here
/// k and j, run again right before c): the values live across that moment
/// are those made before the next step and read at it or later, without
/// what that step makes. d (100) dies at f, c (100) is made by the step
/// after the recomputation: the bound used to count one of them there (it
/// took the least live bytes of a whole step from j's on, 100) and claimed
/// 151 bytes for j's run, where this plan holds f, k and j, 52.
TEST(PeakLowerBound, HoldsForARecomputationBeforeAStep) {
  Problem problem;
  problem.nodes = {node("d", 100, {}), node("k", 50, {}), node("j", 1, {1}),
                   node("f", 1, {0}), node("c", 100, {2, 3})};
  problem.nodes[0].recomputable = false;
  problem.nodes[3].recomputable = false;
  problem.nodes[4].recomputable = false;
  problem.nodes[4].output = true;
  Plan plan;
  plan.schedule = {{0, false}, {1, false}, {2, false}, {3, false},
                   {1, true},  {2, true},  {4, false}};
  ASSERT_EQ(validate(problem, plan), "");
  const Simulation sim = simulate(problem, plan);
  // k's and j's first runs are read by nothing kept.
  EXPECT_EQ(sim.timeline,
            (std::vector<int64_t>{100, 100, 100, 101, 51, 52, 102}));
  EXPECT_LE(peakLowerBound(problem), sim.peakBytes);
  // Still the bound of c's own step: f, j and c.
  EXPECT_EQ(peakLowerBound(problem), 102);
}

TEST(Validate, RejectsBadSchedules) {
  Problem problem = chain();
  problem.nodes[0].recomputable = false;
  Plan missing = keepAllPlan(problem);
  missing.schedule.pop_back();
  EXPECT_NE(validate(problem, missing).find("never runs"), std::string::npos);

  Plan swapped = keepAllPlan(problem);
  std::swap(swapped.schedule[1], swapped.schedule[2]);
  EXPECT_NE(validate(problem, swapped), "");

  Plan twice = keepAllPlan(problem);
  twice.schedule.push_back({3, false});
  EXPECT_NE(validate(problem, twice), "");

  Plan pinned = keepAllPlan(problem);
  pinned.schedule.push_back({0, true});
  EXPECT_NE(validate(problem, pinned).find("non-recomputable"),
            std::string::npos);

  Plan early = keepAllPlan(problem);
  early.schedule.insert(early.schedule.begin(), {2, true});
  EXPECT_NE(validate(problem, early).find("before it is defined"),
            std::string::npos);

  EXPECT_EQ(validate(problem, keepAllPlan(problem)), "");
}

} // namespace
