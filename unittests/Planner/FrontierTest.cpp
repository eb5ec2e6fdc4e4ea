//===- FrontierTest.cpp - Plans are monotone in the budget ----------------===//
//
// The frontier (and solveMonotone, which answers from it) on random training
// graphs, chains and random DAGs without a backward pass, at 24 budgets from
// the smallest feasible one to the unplanned peak: the recompute cost never
// rises with the budget, feasibility never falls, and every plan validates
// and fits its budget under the simulator; at whole percents of the peak
// on a 600-node graph, never dearer than a plain solve. Properties only, no
// timings.
//
//===----------------------------------------------------------------------===//

#include "remat/Planner/Budget.h"
#include "remat/Planner/Frontier.h"
#include "remat/Planner/RandomGraph.h"

#include "ProblemBuilder.h"
#include "SolverImpl.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>

using namespace remat::planner;

namespace {

/// `layers` matmul + activation layers, a loss and the backward pass; sizes
/// and costs vary per layer.
Problem chain(int layers, uint64_t seed) {
  Problem problem;
  problem.alwaysLiveBytes = 1000;
  auto add = [&](int64_t bytes, double cost, bool backward,
                 std::vector<int> inputs) {
    return test::addNode(problem, bytes, cost, backward, std::move(inputs));
  };
  std::vector<int> activations;
  int previous = add(4096, 0, false, {});
  problem.nodes[0].recomputable = false;
  activations.push_back(previous);
  for (int k = 0; k < layers; ++k) {
    const int64_t bytes = 1024 * (1 + (k * 7 + seed) % 5);
    int matmul = add(bytes, 100.0 * (1 + (k * 3 + seed) % 4), false, {previous});
    previous = add(bytes, 5, false, {matmul});
    activations.push_back(previous);
  }
  int grad = add(4, 1, false, {previous});
  for (int k = layers; k >= 1; --k) {
    int dact = add(problem.nodes[activations[k]].bytes, 10, true,
                   {grad, activations[k]});
    add(512, 100, true, {dact, activations[k - 1]});
    grad = add(problem.nodes[activations[k - 1]].bytes, 100, true, {dact});
  }
  test::markUnreadAsOutputs(problem);
  return problem;
}

/// A random DAG with no backward pass: each node reads one to three earlier
/// nodes, mostly recent ones, sometimes far back.
Problem randomDag(int numNodes, uint64_t seed) {
  uint64_t state = seed * 0x9E3779B97F4A7C15ULL + 1;
  auto next = [&]() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  Problem problem;
  problem.alwaysLiveBytes = 100;
  std::vector<bool> consumed(numNodes, false);
  for (int i = 0; i < numNodes; ++i) {
    Node node;
    node.name = "v" + std::to_string(i);
    node.bytes = 256 * (1 + next() % 16);
    node.cost = 1 + next() % 50;
    node.recomputable = i > 0;
    const int fanIn = i == 0 ? 0 : 1 + next() % std::min(3, i);
    for (int k = 0; k < fanIn; ++k) {
      const int span = next() % 4 == 0 ? i : std::min(i, 3);
      const int input = i - 1 - static_cast<int>(next() % span);
      if (std::find(node.inputs.begin(), node.inputs.end(), input) ==
          node.inputs.end())
        node.inputs.push_back(input);
      consumed[input] = true;
    }
    std::sort(node.inputs.begin(), node.inputs.end());
    problem.nodes.push_back(node);
  }
  for (int i = 0; i < numNodes; ++i)
    problem.nodes[i].output = !consumed[i];
  return problem;
}

/// Answers at ascending budgets: each fits its budget and validates, and
/// the recompute cost never rises.
struct AscendingAnswers {
  const Problem &problem;
  bool wasFeasible = false;
  double lastCost = 0;

  void expect(const SolveResult &answer, int64_t budget,
              const std::string &at) {
    EXPECT_EQ(validate(problem, answer.plan), "") << at;
    EXPECT_LE(answer.sim.peakBytes, budget) << at;
    if (wasFeasible)
      EXPECT_LE(answer.sim.recomputeCost, lastCost) << at << ": cost rose";
    wasFeasible = true;
    lastCost = answer.sim.recomputeCost;
  }
};

/// A coarser grid than the default keeps the test quick; the properties hold
/// for any grid.
constexpr int kGrid = 12;

void expectMonotone(const Problem &problem, const std::string &what) {
  FrontierOptions frontierOptions;
  frontierOptions.gridPoints = kGrid;
  const Frontier frontier = computeFrontier(problem, frontierOptions);
  ASSERT_FALSE(frontier.points.empty()) << what;
  const int64_t low = frontier.smallestFeasibleBytes();
  const int64_t high = frontier.unplannedPeakBytes;
  EXPECT_LE(low, high) << what;
  EXPECT_GE(low, frontier.lowerBoundBytes) << what;
  // The frontier holds the min-peak plan, and may find lower (a plan whose
  // kept steps leave some run unread, which the lowering deletes).
  EXPECT_LE(low, smallestFeasibleBudget(problem)) << what;
  constexpr int kBudgets = 24;
  bool wasFeasible = false;
  double lastCost = 0, lastSolverCost = 0;
  bool solverFeasible = false;
  // Just below the smallest budget, then 24 budgets up to the peak: the
  // frontier's answers. solveMonotone computes only the frontier's levels
  // up to a little above the budget (asked at 4 of them): its answers fit,
  // never rise either, and cost no less than the whole frontier's (whose
  // points at a budget are a superset of those).
  for (int k = -1; k < kBudgets; ++k) {
    const int64_t budget =
        k < 0 ? low - 1 : low + (high - low) * k / (kBudgets - 1);
    const std::string at = what + " budget " + std::to_string(budget);
    const FrontierPoint *point = frontier.at(budget);
    const bool askSolver = k < 0 || k == 6 || k == 12 || k == 18;
    SolveResult result;
    if (askSolver) {
      SolveOptions options;
      options.budgetBytes = budget;
      result = solveMonotone(problem, SolverKind::Fast, options, kGrid);
    }
    if (k < 0) {
      EXPECT_EQ(point, nullptr) << at;
      EXPECT_FALSE(result.feasible) << at;
      EXPECT_FALSE(result.message.empty()) << at;
      continue;
    }
    ASSERT_NE(point, nullptr) << at << ": feasibility fell";
    EXPECT_EQ(validate(problem, point->plan), "") << at;
    const Simulation sim = simulate(problem, point->plan);
    EXPECT_LE(sim.peakBytes, budget) << at;
    EXPECT_EQ(sim.recomputeCost, point->recomputeCost) << at;
    if (wasFeasible)
      EXPECT_LE(sim.recomputeCost, lastCost) << at << ": cost rose";
    if (askSolver) {
      EXPECT_TRUE(result.feasible || !solverFeasible)
          << at << ": solveMonotone's feasibility fell";
      if (result.feasible) {
        EXPECT_EQ(validate(problem, result.plan), "") << at;
        EXPECT_LE(result.sim.peakBytes, budget) << at;
        EXPECT_GE(result.sim.recomputeCost, sim.recomputeCost) << at;
        if (solverFeasible)
          EXPECT_LE(result.sim.recomputeCost, lastSolverCost)
              << at << ": solveMonotone's cost rose";
        solverFeasible = true;
        lastSolverCost = result.sim.recomputeCost;
      }
    }
    wasFeasible = true;
    lastCost = sim.recomputeCost;
  }
  // The 18th of 24 budgets asks for the whole frontier but its top level.
  EXPECT_TRUE(solverFeasible) << what << ": solveMonotone found no plan";
  EXPECT_EQ(lastCost, 0) << what << ": keep-all fits the unplanned peak";
}

TEST(Frontier, MonotoneOnRandomTrainingGraphs) {
  for (uint64_t seed = 1; seed <= test::sweepSeeds(12); ++seed)
    expectMonotone(randomTrainingGraph(10 + 4 * seed, seed),
                   "training graph seed " + std::to_string(seed));
}

TEST(Frontier, MonotoneOnChains) {
  for (uint64_t seed = 1; seed <= test::sweepSeeds(6); ++seed)
    expectMonotone(chain(4 + 3 * seed, seed),
                   "chain seed " + std::to_string(seed));
}

TEST(Frontier, MonotoneOnDagsWithoutBackward) {
  for (uint64_t seed = 1; seed <= test::sweepSeeds(6); ++seed)
    expectMonotone(randomDag(20 + 5 * seed, seed),
                   "dag seed " + std::to_string(seed));
}

TEST(Frontier, SameOnAnyNumberOfThreads) {
  const Problem problem = randomTrainingGraph(40, 7);
  FrontierOptions one, four;
  one.threads = 1;
  four.threads = 4;
  const Frontier serial = computeFrontier(problem, one);
  const Frontier parallel = computeFrontier(problem, four);
  ASSERT_EQ(serial.points.size(), parallel.points.size());
  ASSERT_GT(serial.points.size(), 2u);
  for (size_t i = 0; i < serial.points.size(); ++i) {
    EXPECT_EQ(serial.points[i].peakBytes, parallel.points[i].peakBytes) << i;
    EXPECT_EQ(serial.points[i].recomputeCost, parallel.points[i].recomputeCost)
        << i;
    ASSERT_EQ(serial.points[i].plan.schedule.size(),
              parallel.points[i].plan.schedule.size())
        << i;
    for (size_t k = 0; k < serial.points[i].plan.schedule.size(); ++k) {
      EXPECT_EQ(serial.points[i].plan.schedule[k].node,
                parallel.points[i].plan.schedule[k].node);
      EXPECT_EQ(serial.points[i].plan.schedule[k].recompute,
                parallel.points[i].plan.schedule[k].recompute);
    }
  }
}

// On graphs of 401-5000 nodes the levels are the whole percents of the
// unplanned peak, so at a budget written as a two-digit fraction the
// monotone answer includes the plain solve there and is never dearer. With
// the 48 evenly spaced levels used before, this graph's answers are dearer
// than the plain solve at both budgets (603 vs 602, 379 vs 365): the
// property is the levels', not the graph's.
TEST(Frontier, NeverDearerThanPlainAtWholePercents) {
  const Problem problem = randomTrainingGraph(600, 1);
  const int64_t peak = simulate(problem, keepAllPlan(problem)).peakBytes;
  int dearerWithEvenLevels = 0;
  for (double fraction : {0.55, 0.65}) {
    Budget budget;
    budget.kind = Budget::Kind::Fraction;
    budget.fraction = fraction;
    SolveOptions options;
    options.budgetBytes = budget.resolve(peak);
    const SolveResult plain = solve(problem, SolverKind::Fast, options);
    const SolveResult monotone =
        solveMonotone(problem, SolverKind::Fast, options);
    const SolveResult even =
        solveMonotone(problem, SolverKind::Fast, options, /*gridPoints=*/48);
    ASSERT_TRUE(plain.feasible) << fraction;
    ASSERT_TRUE(monotone.feasible) << fraction;
    EXPECT_LE(monotone.sim.recomputeCost, plain.sim.recomputeCost) << fraction;
    dearerWithEvenLevels +=
        even.sim.recomputeCost > plain.sim.recomputeCost ? 1 : 0;
  }
  EXPECT_GT(dearerWithEvenLevels, 0)
      << "48 even levels answered like a plain solve at both budgets";
}

// The frontier solves at its least peak too (FrontierOptions::leastEffort:
// the caller's effort, as a plain solve), so its answer at the smallest
// feasible budget is never dearer than a plain solve there. Without that
// solve the answer was the min-peak plan, dearer on both graphs (2652 vs
// 2377 on the walked 48-node one, 2812 vs 2329 on the 600-node one).
TEST(Frontier, NeverDearerThanPlainAtTheSmallestBudget) {
  for (auto [nodes, seed] : {std::pair{48, 5}, std::pair{600, 1}}) {
    const Problem problem = randomTrainingGraph(nodes, seed);
    const Plan least = minPeakPlan(problem);
    const Simulation leastSim = simulate(problem, least);
    SolveOptions options;
    options.budgetBytes = leastSim.peakBytes;
    const SolveResult plain = solve(problem, SolverKind::Fast, options);
    const SolveResult monotone =
        solveMonotone(problem, SolverKind::Fast, options);
    ASSERT_TRUE(plain.feasible) << nodes;
    ASSERT_TRUE(monotone.feasible) << nodes;
    EXPECT_LE(monotone.sim.recomputeCost, plain.sim.recomputeCost) << nodes;
    EXPECT_GT(leastSim.recomputeCost, plain.sim.recomputeCost)
        << nodes << ": the min-peak plan is already as cheap as a plain solve";
  }
}

// Between two whole-percent levels (graphs of 401-5000 nodes) the answer
// also comes from solves at three sub-levels of the band and just below
// their plans' peaks (docs/planner.md, "Sub-levels in the budget's band").
// On a 600-node graph, budgets every 0.2% across two bands (0.551-0.569 of
// the peak): the answers (top down since session 28) fit, validate and
// never rise; none is dearer than the level-by-level frontier's answer
// (computed up to the band's upper level, as solveMonotone did before), and
// they answer cheaper at some of them (without the band's solves, 602 at
// 0.553 and 0.555 where they find 599, 575 at 0.561 and 0.563 where they
// find 566 and 565, when the frontier answered).
TEST(Frontier, BandSubLevelsStayMonotoneAndAnswerCheaper) {
  const Problem problem = randomTrainingGraph(600, 1);
  const int64_t peak = simulate(problem, keepAllPlan(problem)).peakBytes;
  auto percent = [&](int k) {
    Budget budget;
    budget.kind = Budget::Kind::Fraction;
    budget.fraction = k / 100.0;
    return budget.resolve(peak);
  };
  std::map<int64_t, Frontier> byBand;   // keyed by the band's upper level
  AscendingAnswers answers{problem};
  int cheaper = 0;
  const bool quick = test::sweepSeeds(8) < 8;
  for (int k = 551; k <= 569; k += quick ? 6 : 2) {
    const int64_t budget = peak * k / 1000;
    const std::string at = "budget " + std::to_string(budget);
    SolveOptions options;
    options.budgetBytes = budget;
    const SolveResult answer =
        solveMonotone(problem, SolverKind::Fast, options);
    ASSERT_TRUE(answer.feasible) << at;
    answers.expect(answer, budget, at);
    const int64_t upper = percent(k / 10 + 1);
    ASSERT_GT(upper, budget) << at;
    if (!byBand.count(upper)) {
      FrontierOptions frontierOptions;
      frontierOptions.maxBudget = budget;
      byBand[upper] = computeFrontier(problem, frontierOptions);
      ASSERT_EQ(byBand[upper].levels.back(), upper) << at;
    }
    const FrontierPoint *point = byBand[upper].at(budget);
    ASSERT_NE(point, nullptr) << at;
    EXPECT_LE(answer.sim.recomputeCost, point->recomputeCost) << at;
    cheaper += answer.sim.recomputeCost < point->recomputeCost ? 1 : 0;
  }
  EXPECT_GT(cheaper, 0) << "the band's solves answered nowhere cheaper";
}

TEST(Frontier, ParetoFront) {
  const Frontier frontier = computeFrontier(randomTrainingGraph(40, 3));
  for (size_t i = 1; i < frontier.points.size(); ++i) {
    EXPECT_LT(frontier.points[i - 1].peakBytes, frontier.points[i].peakBytes);
    EXPECT_GT(frontier.points[i - 1].recomputeCost,
              frontier.points[i].recomputeCost);
  }
  EXPECT_EQ(frontier.at(frontier.smallestFeasibleBytes() - 1), nullptr);
}

/// Top-down answers (graphs over 400 nodes; run here on smaller ones), with
/// levels every `percentStep`th percent (0: by graph size, every 5th here;
/// 1: whole percents, with 16-link polish chains, as on 401-5000 nodes):
/// the cost bound only leaves out levels that cannot change the answer, and
/// the band solved before the levels below the budget's changes none either,
/// so the plan is the same as without the bound and with the band after the
/// descent at every budget of a grid every 10% of the peak and 2.5% above
/// every other one (between two levels: the band's budgets), and 1 byte
/// below the least peak; the answers are monotone, and each fits and validates.
/// Returns the solves the bound spared.
int expectTopDownExact(const Problem &problem, const std::string &what,
                       int percentStep = 0) {
  const Plan least = minPeakPlan(problem);
  const int64_t leastPeak = simulate(problem, least).peakBytes;
  const int64_t peak = simulate(problem, keepAllPlan(problem)).peakBytes;
  std::vector<int64_t> budgets{leastPeak - 1, leastPeak};
  // Under the sanitizers (REMAT_TEST_QUICK) every 20%; every other one
  // also 2.5% of the peak above, between two levels (every 5th percent),
  // where the band answers.
  const int steps = test::sweepSeeds(8) < 8 ? 5 : 10;
  for (int k = 1; k <= steps + 1; ++k) {
    budgets.push_back(peak * k / steps);
    if (k % 2)
      budgets.push_back(peak * k / steps + peak / 40);
  }
  std::sort(budgets.begin(), budgets.end());
  double lastCost = 0;
  bool wasFeasible = false;
  int spared = 0;
  for (int64_t budget : budgets) {
    SolveOptions options;
    options.budgetBytes = budget;
    options.knownMinPeak = &least;
    int boundedSolves = 0, wholeSolves = 0;
    const SolveResult bounded = solveMonotoneTopDown(
        problem, options, true, &boundedSolves, true, percentStep);
    // Without the bound, the band after the descent (its first version).
    const SolveResult whole =
        solveMonotoneTopDown(problem, options, false, &wholeSolves,
                             /*bandFirst=*/false, percentStep);
    spared += wholeSolves - boundedSolves;
    const std::string at = what + " budget " + std::to_string(budget);
    bool same = bounded.plan.schedule.size() == whole.plan.schedule.size();
    for (size_t k = 0; same && k < bounded.plan.schedule.size(); ++k)
      same = bounded.plan.schedule[k].node == whole.plan.schedule[k].node &&
             bounded.plan.schedule[k].recompute ==
                 whole.plan.schedule[k].recompute;
    EXPECT_TRUE(same) << at << ": the bound changed the plan";
    EXPECT_EQ(bounded.feasible, budget >= leastPeak) << at;
    EXPECT_EQ(bounded.leastPeakBytes, leastPeak) << at;
    if (!bounded.feasible)
      continue;
    EXPECT_EQ(validate(problem, bounded.plan), "") << at;
    EXPECT_LE(simulate(problem, bounded.plan).peakBytes, budget) << at;
    if (wasFeasible)
      EXPECT_LE(bounded.sim.recomputeCost, lastCost) << at << ": cost rose";
    wasFeasible = true;
    lastCost = bounded.sim.recomputeCost;
  }
  // With policies keep-all is not a plan (pinned values are recomputed).
  bool pinned = false;
  for (const Node &node : problem.nodes)
    pinned |= node.policy == Policy::Recompute;
  if (!pinned)
    EXPECT_EQ(lastCost, 0) << what << ": keep-all fits the unplanned peak";
  return spared;
}

// Top-down answers between their levels also take the band's solves: with
// levels every 5th percent (graphs over 5000 nodes) its middle, with whole
// percents (401-5000 nodes) three sub-levels, and just below the plans'
// peaks. On a 600-node graph, budgets every 0.5% across the 0.55 level
// (0.52-0.58 of the peak) fit, validate and never rise, with and without
// the cost bound alike, either way.
TEST(Frontier, TopDownBandStaysMonotone) {
  const Problem problem = randomTrainingGraph(600, 2);
  const int64_t peak = simulate(problem, keepAllPlan(problem)).peakBytes;
  const Plan least = minPeakPlan(problem);
  const bool quick = test::sweepSeeds(8) < 8;
  for (int step : {5, 1}) {
    AscendingAnswers answers{problem};
    for (int k = 520; k <= 580; k += quick ? 15 : 5) {
      SolveOptions options;
      options.budgetBytes = peak * k / 1000;
      options.knownMinPeak = &least;
      const std::string at = "every " + std::to_string(step) +
                             " percent, budget " +
                             std::to_string(options.budgetBytes);
      const SolveResult bounded =
          solveMonotoneTopDown(problem, options, true, nullptr, true, step);
      const SolveResult whole =
          solveMonotoneTopDown(problem, options, false, nullptr, true, step);
      EXPECT_EQ(bounded.sim.recomputeCost, whole.sim.recomputeCost) << at;
      if (!bounded.feasible) {
        EXPECT_FALSE(answers.wasFeasible) << at << ": feasibility fell";
        continue;
      }
      answers.expect(bounded, options.budgetBytes, at);
    }
    EXPECT_TRUE(answers.wasFeasible) << step;
  }
}

// The band keeps only plans that cost at least P, the answer at the level
// above it (L). On this graph a band solve under the 40% level finds a plan
// cheaper than P (704 against 711 FLOPs when this test was written): kept,
// it would answer one byte below L cheaper than one byte above it, where
// the next band's plans are no cheaper than the answer at its own upper
// level. Found by scanning the answers around every 5% level of 77 random
// training graphs with the filter removed (docs/planner.md, "The band
// before the levels below"); should fast change, the example may no longer
// reach the filter, and the test then shows less.
TEST(Frontier, TopDownBandKeepsNothingCheaperThanTheLevelAbove) {
  const Problem problem = randomTrainingGraph(180, 5);
  const Plan least = minPeakPlan(problem);
  const int64_t peak = simulate(problem, keepAllPlan(problem)).peakBytes;
  const int64_t level = peak * 40 / 100;
  SolveOptions options;
  options.knownMinPeak = &least;
  options.budgetBytes = level - 1;
  const SolveResult below = solveMonotoneTopDown(problem, options, true);
  options.budgetBytes = level + 1;
  const SolveResult above = solveMonotoneTopDown(problem, options, true);
  ASSERT_TRUE(below.feasible);
  ASSERT_TRUE(above.feasible);
  EXPECT_GE(below.sim.recomputeCost, above.sim.recomputeCost)
      << "one byte more than " << level - 1 << " bytes costs more";
}

TEST(Frontier, TopDownSameWithAndWithoutTheBound) {
  int spared = 0;
  const bool quick = test::sweepSeeds(8) < 8;
  for (uint64_t seed = 1; seed <= (quick ? 1u : 2u); ++seed) {
    spared += expectTopDownExact(randomTrainingGraph(40 + 20 * seed, seed),
                                 "training graph seed " + std::to_string(seed));
    spared += expectTopDownExact(chain(6 + 4 * seed, seed),
                                 "chain seed " + std::to_string(seed));
    spared += expectTopDownExact(randomDag(30 + 10 * seed, seed),
                                 "dag seed " + std::to_string(seed));
  }
  Problem pinned = randomTrainingGraph(80, 9);
  test::pinAtRandom(pinned, 9);
  spared += expectTopDownExact(pinned, "training graph with policies");
  // Whole-percent levels and their chains: the bound must leave out every
  // level a chain reaches from (the 16 below the budget's at least).
  // (Under the sanitizers the DAG only: every level of the unbounded
  // answers is a stage search there.)
  int sparedDense = 0;
  sparedDense += expectTopDownExact(randomDag(40, 1), "whole percents, dag", 1);
  if (!quick) {
    sparedDense += expectTopDownExact(randomTrainingGraph(40, 2),
                                      "whole percents, training graph", 1);
    sparedDense += expectTopDownExact(chain(8, 1), "whole percents, chain", 1);
  }
  EXPECT_GT(sparedDense, 0);
  std::printf("top-down at whole percents: the cost bound spared %d solves\n",
              sparedDense);
  // The bound left levels out (else the comparison above shows nothing).
  EXPECT_GT(spared, quick ? 10 : 50);
  std::printf("top-down: the cost bound spared %d solves\n", spared);
}


// Polish chains (top-down answers at whole-percent levels, graphs of
// 401-5000 nodes): each level's plan is polished for one byte below the own
// plans' peaks of the next 16 levels in turn, each polish from the last, as
// the level-by-level frontier polishes its answer again at every level. On a
// 600-node DAG without a backward pass, budgets every 5% of the range from
// the least peak: the answers fit, validate and never rise, and they are
// cheaper than with one link (each level's plan polished for the level
// above only) at some budgets and dearer at none (1584 against 1844 at
// 0.15 of the range, 542 against 575 at 0.35, when this test was written;
// the 600-node training graphs of this file, seeds 1 and 2, gained at 0
// and 1 of 21 budgets), and at two of them the same as without the cost
// bound.
// docs/planner.md, "Polish chains".
TEST(Frontier, TopDownPolishChainsAnswerCheaper) {
  const Problem problem = randomDag(600, 2);
  const Plan least = minPeakPlan(problem);
  const int64_t leastPeak = simulate(problem, least).peakBytes;
  const int64_t peak = simulate(problem, keepAllPlan(problem)).peakBytes;
  const bool quick = test::sweepSeeds(8) < 8;
  int cheaper = 0, dearer = 0;
  AscendingAnswers answers{problem};
  for (int k = 0; k <= 60; k += quick ? 12 : 3) {
    SolveOptions options;
    options.budgetBytes = leastPeak + (peak - leastPeak) * k / 60;
    options.knownMinPeak = &least;
    const std::string at = "budget " + std::to_string(options.budgetBytes);
    const SolveResult chained = solveMonotoneTopDown(
        problem, options, true, nullptr, true, /*percentStep=*/1);
    const SolveResult oneLink =
        solveMonotoneTopDown(problem, options, true, nullptr, true,
                             /*percentStep=*/1, /*chainLinks=*/1);
    ASSERT_TRUE(chained.feasible) << at;
    answers.expect(chained, options.budgetBytes, at);
    cheaper += chained.sim.recomputeCost < oneLink.sim.recomputeCost;
    dearer += chained.sim.recomputeCost > oneLink.sim.recomputeCost;
    // The bound leaves out only levels whose chains cannot reach the
    // answer: the same plan as from every level. At 0.55 of the range the
    // answer is a chain's from a level the bound would leave out at its
    // own budget (183 instead of 179 with such a cut, when this test was
    // written).
    if (k == 21 || k == 33) {
      const SolveResult whole = solveMonotoneTopDown(
          problem, options, /*bounded=*/false, nullptr, true, 1);
      EXPECT_EQ(chained.sim.recomputeCost, whole.sim.recomputeCost) << at;
    }
  }
  EXPECT_GT(cheaper, 0) << "the chains answered nowhere cheaper";
  EXPECT_EQ(dearer, 0);
  std::printf("polish chains: cheaper at %d budgets, dearer at %d\n", cheaper,
              dearer);
}

} // namespace
