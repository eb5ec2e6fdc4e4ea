//===- RandomGraph.cpp - Seeded synthetic training graphs ----------------===//

#include "remat/Planner/RandomGraph.h"

#include <algorithm>

namespace remat::planner {

namespace {

/// SplitMix64: tiny, and unlike <random>'s distributions, identical everywhere.
class Rng {
public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [lo, hi].
  int64_t between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(next() % uint64_t(hi - lo + 1));
  }
  bool chance(int percent) { return between(1, 100) <= percent; }

private:
  uint64_t state_;
};

constexpr int64_t kMiB = 1 << 20;

/// Forward layers: a chain, every layer after the first with a chance of a
/// residual input from a few layers back. Activation sizes shrink in stages
/// like a CNN's, with per-layer noise; cost is not proportional to size.
void addForward(Problem &problem, int numLayers, Rng &rng) {
  Node batch;
  batch.name = "batch";
  batch.bytes = 8 * kMiB;
  batch.recomputable = false;
  problem.nodes.push_back(batch);
  int64_t stageBytes = 64 * kMiB;
  for (int k = 1; k < numLayers; ++k) {
    if (rng.chance(10))
      stageBytes = std::max<int64_t>(kMiB, stageBytes / 2);
    Node node;
    node.name = "f" + std::to_string(k);
    node.bytes = stageBytes / 4 * rng.between(1, 8);
    node.cost = static_cast<double>(rng.between(1, 100));
    node.inputs.push_back(k - 1);
    if (k >= 3 && rng.chance(25))
      node.inputs.insert(node.inputs.begin(),
                         rng.between(std::max(0, k - 8), k - 2));
    problem.nodes.push_back(node);
  }
  Node loss;
  loss.name = "loss";
  loss.bytes = 4;
  loss.cost = 1;
  loss.inputs = {numLayers - 1};
  problem.nodes.push_back(loss);
}

/// Gradient of layer k reads its inputs and (often) its own activation, and
/// the gradients of every layer that consumed it.
void addBackward(Problem &problem, int numLayers, Rng &rng) {
  const int lossIndex = numLayers;
  std::vector<int> gradientOf(numLayers + 1, -1);
  gradientOf[lossIndex] = lossIndex;
  std::vector<std::vector<int>> consumers(numLayers + 1);
  for (int k = 1; k <= numLayers; ++k)
    for (int input : problem.nodes[k].inputs)
      consumers[input].push_back(k);
  for (int k = numLayers - 1; k >= 1; --k) {
    const Node &forward = problem.nodes[k];
    Node grad;
    grad.name = "d" + forward.name;
    grad.bytes = forward.bytes;
    grad.cost = 2 * forward.cost;
    grad.backward = true;
    grad.inputs = forward.inputs;
    if (rng.chance(60))
      grad.inputs.push_back(k);
    for (int c : consumers[k])
      grad.inputs.push_back(gradientOf[c]);
    std::sort(grad.inputs.begin(), grad.inputs.end());
    grad.inputs.erase(std::unique(grad.inputs.begin(), grad.inputs.end()),
                      grad.inputs.end());
    gradientOf[k] = problem.nodes.size();
    problem.nodes.push_back(grad);
  }
}

void markOutputs(Problem &problem) {
  std::vector<bool> consumed(problem.nodes.size(), false);
  for (const Node &node : problem.nodes)
    for (int input : node.inputs)
      consumed[input] = true;
  for (int i = 0, e = problem.nodes.size(); i < e; ++i)
    problem.nodes[i].output = !consumed[i];
}

} // namespace

Problem randomTrainingGraph(int numNodes, uint64_t seed) {
  Rng rng(seed);
  const int numLayers = std::max(2, numNodes / 2);
  Problem problem;
  addForward(problem, numLayers, rng);
  addBackward(problem, numLayers, rng);
  markOutputs(problem);
  problem.alwaysLiveBytes = 16 * kMiB;
  return problem;
}

} // namespace remat::planner
