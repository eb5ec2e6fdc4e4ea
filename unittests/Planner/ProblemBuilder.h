//===- ProblemBuilder.h - Hand-made planning problems for tests -*- C++ -*-===//
#ifndef REMAT_UNITTESTS_PLANNER_PROBLEMBUILDER_H
#define REMAT_UNITTESTS_PLANNER_PROBLEMBUILDER_H

#include "remat/Planner/Problem.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace remat::planner::test {

/// Appends a node named n<index> to `problem`; returns its index.
inline int addNode(Problem &problem, int64_t bytes, double cost, bool backward,
                   std::vector<int> inputs) {
  Node node;
  node.name = "n" + std::to_string(problem.nodes.size());
  node.bytes = bytes;
  node.cost = cost;
  node.backward = backward;
  node.inputs = std::move(inputs);
  std::sort(node.inputs.begin(), node.inputs.end());
  problem.nodes.push_back(node);
  return static_cast<int>(problem.nodes.size()) - 1;
}

/// Marks the nodes nobody reads as the step's results (weight gradients,
/// the loss).
inline void markUnreadAsOutputs(Problem &problem) {
  std::vector<bool> consumed(problem.nodes.size(), false);
  for (const Node &node : problem.nodes)
    for (int input : node.inputs)
      consumed[input] = true;
  for (size_t i = 0; i < problem.nodes.size(); ++i)
    problem.nodes[i].output = !consumed[i];
}

/// Pins about a fifth of the recomputable forward nodes Save and a fifth
/// Recompute.
inline void pinAtRandom(Problem &problem, uint64_t seed) {
  std::mt19937_64 generator(seed);
  for (Node &node : problem.nodes) {
    if (node.backward || !node.recomputable)
      continue;
    const int draw = generator() % 5;
    node.policy = draw == 0   ? Policy::Save
                  : draw == 1 ? Policy::Recompute
                              : Policy::Free;
  }
}

/// How many seeds a property sweep runs: `full`, or an eighth of them (at
/// least 2) when REMAT_TEST_QUICK is set to anything but 0.
/// scripts/test-sanitizers sets it: under ASan+UBSan the solvers run about
/// 30x slower, and the Release suite (scripts/test) runs every seed.
inline uint64_t sweepSeeds(uint64_t full) {
  const char *quick = std::getenv("REMAT_TEST_QUICK");
  if (!quick || !*quick || std::strcmp(quick, "0") == 0)
    return full;
  return std::max<uint64_t>(2, full / 8);
}

} // namespace remat::planner::test

#endif // REMAT_UNITTESTS_PLANNER_PROBLEMBUILDER_H
